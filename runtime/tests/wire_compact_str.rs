//! `CompactString` (feature `compact_str`) in both protocols: the same bytes
//! on the wire as `String`; decoded inline up to 24 bytes and on the heap
//! past that, from a byte slice and from a source that lends no ready bytes
//! (read through a stack buffer); invalid UTF-8 and short input fail as for
//! `String`.

use std::collections::HashMap;

use thriftc_runtime::transport::ReadBytes;
use thriftc_runtime::{
    BinaryProtocol, CompactProtocol, CompactString, Decode, Error, Limits, ProtocolErrorKind,
    binary, compact,
};

/// A source over a slice that lends nothing (`ready_bytes` stays empty),
/// like a stream whose buffer does not hold the value yet.
struct NoReady<'a>(&'a [u8]);

impl ReadBytes for NoReady<'_> {
    fn read_exact(&mut self, buf: &mut [u8]) -> thriftc_runtime::Result<()> {
        let mut slice = self.0;
        let r = slice.read_exact(buf);
        self.0 = slice;
        r
    }

    fn remaining(&self) -> usize {
        self.0.len()
    }
}

/// Decodes `bytes` from a slice and through `NoReady`; both must agree.
fn decode_both<T: Decode + PartialEq + std::fmt::Debug>(
    compact: bool,
    bytes: &[u8],
) -> Result<T, Error> {
    let (a, b) = if compact {
        (
            compact::decode::<T>(bytes),
            T::decode(&mut CompactProtocol::new(NoReady(bytes), Limits::default())),
        )
    } else {
        (
            binary::decode::<T>(bytes),
            T::decode(&mut BinaryProtocol::new(NoReady(bytes), Limits::default())),
        )
    };
    match (a, b) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b);
            Ok(a)
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string());
            Err(a)
        }
        (a, b) => panic!("slice: {a:?}, no ready bytes: {b:?}"),
    }
}

fn encode(compact: bool, v: &str) -> Vec<u8> {
    if compact {
        compact::encode(&v.to_owned())
    } else {
        binary::encode(&v.to_owned())
    }
    .unwrap()
}

#[test]
fn same_wire_as_string_inline_up_to_24_bytes() {
    let cases = [
        String::new(),
        "a".to_owned(),
        "attr_07".to_owned(),
        "h\u{e9}llo w\u{f6}rld \u{1f600}".to_owned(),
        "x".repeat(23),
        "y".repeat(24),
        "z".repeat(25),
        "long ".repeat(40),
    ];
    for compact in [false, true] {
        for s in &cases {
            let bytes = encode(compact, s);
            let c = CompactString::from(s.as_str());
            let again = if compact {
                compact::encode(&c)
            } else {
                binary::encode(&c)
            };
            assert_eq!(again.unwrap(), bytes, "{s:?}");
            let back: CompactString = decode_both(compact, &bytes).unwrap();
            assert_eq!(back, *s);
            assert_eq!(back.is_heap_allocated(), s.len() > 24, "{s:?}");
        }
        // In a container, keyed and looked up by `&str`.
        let map: HashMap<String, i32> = cases.iter().cloned().zip(0..).collect();
        let bytes = if compact {
            compact::encode(&map)
        } else {
            binary::encode(&map)
        }
        .unwrap();
        let back: HashMap<CompactString, i32> = decode_both(compact, &bytes).unwrap();
        assert_eq!(back.len(), map.len());
        for (k, v) in &map {
            assert_eq!(back.get(k.as_str()), Some(v));
        }
    }
}

#[test]
fn bad_utf8_and_short_input_fail_as_for_string() {
    for compact in [false, true] {
        for s in ["label-003", &"w".repeat(30)] {
            let mut bytes = encode(compact, s);
            let at = bytes.len() - s.len() + 2;
            bytes[at] = 0xc3; // a two-byte lead followed by ASCII
            let want = if compact {
                compact::decode::<String>(&bytes)
            } else {
                binary::decode::<String>(&bytes)
            }
            .unwrap_err();
            let got = decode_both::<CompactString>(compact, &bytes).unwrap_err();
            assert_eq!(got.protocol_kind(), Some(ProtocolErrorKind::InvalidData));
            assert_eq!(got.to_string(), want.to_string());

            let bytes = encode(compact, s);
            for end in 0..bytes.len() {
                let cut = &bytes[..end];
                let want = if compact {
                    compact::decode::<String>(cut)
                } else {
                    binary::decode::<String>(cut)
                }
                .unwrap_err();
                let got = decode_both::<CompactString>(compact, cut).unwrap_err();
                assert_eq!(got.to_string(), want.to_string(), "{s:?} cut at {end}");
            }
        }
    }
}
