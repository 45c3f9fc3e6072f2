//! The shared `binary` and `string` types of the feature `bytes`
//! ([`Bytes`], [`ByteString`]) in both protocols: the same bytes on the wire
//! as `Vec<u8>` and `String`, slices of the input (no copy) when decoding
//! from a [`BytesReader`], copies from other sources, and the same typed
//! errors as the owned types.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::Range;

use thriftc_runtime::transport::BytesReader;
use thriftc_runtime::{
    BinaryProtocol, ByteString, Bytes, CompactProtocol, Decode, Encode, Error, Limits,
    ProtocolErrorKind, VecMap, binary, compact,
};

fn encode_binary<T: Encode + ?Sized>(v: &T) -> Vec<u8> {
    binary::encode(v).expect("binary encode")
}

fn encode_compact<T: Encode + ?Sized>(v: &T) -> Vec<u8> {
    compact::encode(v).expect("compact encode")
}

/// Decodes `bytes` both ways in `compact` or binary; both must agree.
fn decode_both<T: Decode + PartialEq + Debug>(compact: bool, bytes: &[u8]) -> Result<T, Error> {
    let shared = Bytes::copy_from_slice(bytes);
    let (a, b) = if compact {
        (
            compact::decode::<T>(bytes),
            compact::decode_bytes::<T>(shared),
        )
    } else {
        (
            binary::decode::<T>(bytes),
            binary::decode_bytes::<T>(shared),
        )
    };
    match (a, b) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b);
            Ok(a)
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.protocol_kind(), b.protocol_kind(), "{a} vs {b}");
            assert_eq!(a.is_eof(), b.is_eof(), "{a} vs {b}");
            Err(b)
        }
        (a, b) => panic!("slice and shared input disagree: {a:?} vs {b:?}"),
    }
}

fn within(p: *const u8, range: &Range<*const u8>) -> bool {
    range.contains(&p)
}

#[test]
fn same_wire_bytes_as_the_owned_types() {
    let text = "h\u{e9}llo, shared world";
    let blob: Vec<u8> = (0..=255u8).collect();
    let map_owned: BTreeMap<String, Vec<u8>> =
        [("a".to_owned(), vec![1, 2]), (text.into(), blob.clone())].into();
    let map_shared: BTreeMap<ByteString, Bytes> = map_owned
        .iter()
        .map(|(k, v)| (ByteString::from(k.as_str()), Bytes::from(v.clone())))
        .collect();
    for compact in [false, true] {
        let (a, b) = if compact {
            (
                encode_compact(&text.to_owned()),
                encode_compact(&ByteString::from(text)),
            )
        } else {
            (
                encode_binary(&text.to_owned()),
                encode_binary(&ByteString::from(text)),
            )
        };
        assert_eq!(a, b);
        assert_eq!(decode_both::<ByteString>(compact, &a).unwrap(), text);
        let (a, b) = if compact {
            (
                encode_compact(&blob),
                encode_compact(&Bytes::from(blob.clone())),
            )
        } else {
            (
                encode_binary(&blob),
                encode_binary(&Bytes::from(blob.clone())),
            )
        };
        assert_eq!(a, b);
        assert_eq!(decode_both::<Bytes>(compact, &a).unwrap(), blob);
        let (a, b) = if compact {
            (encode_compact(&map_owned), encode_compact(&map_shared))
        } else {
            (encode_binary(&map_owned), encode_binary(&map_shared))
        };
        assert_eq!(a, b);
        assert_eq!(
            decode_both::<BTreeMap<ByteString, Bytes>>(compact, &a).unwrap(),
            map_shared
        );
        // Empty values.
        let empty = if compact {
            encode_compact(&ByteString::new())
        } else {
            encode_binary(&Bytes::new())
        };
        assert_eq!(decode_both::<Bytes>(compact, &empty).unwrap(), Bytes::new());
        assert_eq!(decode_both::<ByteString>(compact, &empty).unwrap(), "");
    }
}

#[test]
fn decoding_from_bytes_shares_the_input() {
    let values: VecMap<ByteString, Bytes> = (0..20)
        .map(|i| {
            (
                ByteString::from(format!("key number {i}")),
                Bytes::from(vec![i as u8; 40 + i]),
            )
        })
        .collect();
    for compact in [false, true] {
        let input = Bytes::from(if compact {
            encode_compact(&values)
        } else {
            encode_binary(&values)
        });
        let range = input.as_ptr_range();
        let back: VecMap<ByteString, Bytes> = if compact {
            compact::decode_bytes(input.clone()).unwrap()
        } else {
            binary::decode_bytes(input.clone()).unwrap()
        };
        assert_eq!(back, values);
        for (s, b) in &back {
            assert!(within(s.as_ptr(), &range), "string copied");
            assert!(within(b.as_ptr(), &range), "binary copied");
        }
        // From a plain slice the values are copies.
        let copied: VecMap<ByteString, Bytes> = if compact {
            compact::decode(&input).unwrap()
        } else {
            binary::decode(&input).unwrap()
        };
        assert_eq!(copied, values);
        assert!(
            copied
                .iter()
                .all(|(s, b)| !within(s.as_ptr(), &range) && !within(b.as_ptr(), &range))
        );
    }
}

#[test]
fn protocols_over_a_bytes_reader_share_too() {
    let input = Bytes::from(encode_compact(&Bytes::from_static(b"0123456789")));
    let mut p = CompactProtocol::new(BytesReader::new(input.clone()), Limits::default());
    let b = Bytes::decode(&mut p).unwrap();
    assert_eq!(b.as_ptr(), input[1..].as_ptr());
    assert!(p.get_ref().is_empty());

    let input = Bytes::from(encode_binary(&ByteString::from_static("0123456789")));
    let mut p = BinaryProtocol::new(BytesReader::new(input.clone()), Limits::default());
    let s = ByteString::decode(&mut p).unwrap();
    assert_eq!(s.as_ptr(), input[4..].as_ptr());
}

#[test]
fn bad_utf8_is_invalid_data_like_string() {
    // Binary: length 2, then a lone continuation byte and an ASCII byte.
    let bin = [0, 0, 0, 2, 0x80, b'a'];
    // Compact: varint length 2.
    let comp = [2, 0x80, b'a'];
    for (compact, bytes) in [(false, &bin[..]), (true, &comp[..])] {
        let owned = if compact {
            compact::decode::<String>(bytes).unwrap_err()
        } else {
            binary::decode::<String>(bytes).unwrap_err()
        };
        assert_eq!(owned.protocol_kind(), Some(ProtocolErrorKind::InvalidData));
        let shared = decode_both::<ByteString>(compact, bytes).unwrap_err();
        assert_eq!(shared.protocol_kind(), Some(ProtocolErrorKind::InvalidData));
        assert!(shared.to_string().contains("UTF-8"), "{shared}");
        // The same bytes are a valid binary.
        assert_eq!(
            decode_both::<Bytes>(compact, bytes).unwrap(),
            &[0x80, b'a'][..]
        );
    }
}

#[test]
fn lengths_are_checked_before_anything_is_read() {
    // Binary: length 5 with 3 bytes following; length -1; length cut short.
    let cases: [(bool, &[u8], Option<ProtocolErrorKind>); 6] = [
        (
            false,
            &[0, 0, 0, 5, 1, 2, 3],
            Some(ProtocolErrorKind::SizeLimit),
        ),
        (
            false,
            &[0xff, 0xff, 0xff, 0xff],
            Some(ProtocolErrorKind::NegativeSize),
        ),
        (false, &[0, 0, 0], None),
        (true, &[5, 1, 2, 3], Some(ProtocolErrorKind::SizeLimit)),
        (
            true,
            &[0xff, 0xff, 0xff, 0xff, 0x0f],
            Some(ProtocolErrorKind::NegativeSize),
        ),
        (true, &[0x80], None),
    ];
    for (compact, bytes, kind) in cases {
        for e in [
            decode_both::<Bytes>(compact, bytes).unwrap_err(),
            decode_both::<ByteString>(compact, bytes).unwrap_err(),
        ] {
            assert_eq!(e.protocol_kind(), kind, "{bytes:?}: {e}");
            assert_eq!(e.is_eof(), kind.is_none(), "{bytes:?}: {e}");
            let owned = if compact {
                compact::decode::<Vec<u8>>(bytes).unwrap_err()
            } else {
                binary::decode::<Vec<u8>>(bytes).unwrap_err()
            };
            assert_eq!(owned.protocol_kind(), e.protocol_kind());
        }
    }
}

#[test]
fn the_message_size_limit_applies() {
    let bytes = encode_binary(&vec![7u8; 100]);
    let limits = Limits::default().with_max_message_size(50);
    let e =
        binary::decode_bytes_with_limits::<Bytes>(Bytes::from(bytes.clone()), limits).unwrap_err();
    assert_eq!(e.protocol_kind(), Some(ProtocolErrorKind::SizeLimit));
    let ok = binary::decode_bytes_with_limits::<Bytes>(Bytes::from(bytes), Limits::default());
    assert_eq!(ok.unwrap().len(), 100);
    let bytes = encode_compact(&"x".repeat(100));
    let e =
        compact::decode_bytes_with_limits::<ByteString>(Bytes::from(bytes), limits).unwrap_err();
    assert_eq!(e.protocol_kind(), Some(ProtocolErrorKind::SizeLimit));
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes = encode_binary(&Bytes::from_static(b"ab"));
    bytes.push(0);
    let e = binary::decode_bytes::<Bytes>(Bytes::from(bytes)).unwrap_err();
    assert_eq!(e.protocol_kind(), Some(ProtocolErrorKind::InvalidData));
    let mut bytes = encode_compact(&ByteString::from_static("ab"));
    bytes.push(0);
    let e = compact::decode_bytes::<ByteString>(Bytes::from(bytes)).unwrap_err();
    assert_eq!(e.protocol_kind(), Some(ProtocolErrorKind::InvalidData));
}
