//! The `small_strings` option on generated code: the bench IDL generated
//! with `string` as `CompactString` (golden `bench_bench_small`) next to the
//! same IDL with `String` (golden `bench_bench`), in both protocols:
//!
//! - both write the same bytes for the same values and read each other's;
//! - a decoded string of up to 24 bytes is kept inline, a longer one on the
//!   heap, from a byte slice and from a stream that hands out its bytes a
//!   few at a time (strings cut across reads);
//! - invalid UTF-8 (inline or not), and input cut anywhere, fail with the
//!   same typed errors as the owned types.
//!
//! Random values of every generated type round-trip in `roundtrip_all`
//! (tests `rs_bench_bench_small`, `rs_bench_bench_small_foldhash`,
//! `rs_codegen_types_views_small`).

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/bench_bench/mod.rs"]
mod owned;

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/bench_bench_small/mod.rs"]
mod small;

use std::io::Read;
use thriftc_runtime::transport::StreamReader;
use thriftc_runtime::{
    BinaryProtocol, CompactProtocol, CompactString, Decode, Framing, Limits, ProtocolErrorKind,
};
use thriftc_tests::{PROTOS, Proto, decode, encode};

/// A payload with `n` attributes and labels; strings of 0, 7-10, 24
/// (`note`), 25 (the first child's name) and 30 bytes, one not ASCII.
fn owned_payload(n: i32) -> owned::bench::Payload {
    let inner = |i: i32| owned::bench::Inner {
        id: i,
        name: format!("child {i:02}").repeat(if i == 2 { 3 } else { 1 }) + "x",
        score: f64::from(i) / 4.0,
        tags: (0..i).collect(),
    };
    owned::bench::Payload {
        count: 7,
        timestamp: -3,
        ratio: 0.5,
        active: true,
        title: "a title: h\u{e9}llo w\u{f6}rld, longer".to_owned(),
        raw: (0..=255u8).collect(),
        note: Some("exactly twenty-four byte".to_owned()),
        values: vec![1, -1, i64::MAX],
        attrs: (0..n).map(|i| (format!("attr {i}"), i)).collect(),
        labels: (0..n).map(|i| format!("label {i:03}")).collect(),
        inner: owned::bench::Inner {
            name: String::new(),
            ..inner(1)
        },
        children: (2..6).map(inner).collect(),
        kind: owned::bench::Kind::LARGE,
    }
}

/// The same value with small strings.
fn small_payload(p: &owned::bench::Payload) -> small::bench::Payload {
    let s = |v: &String| CompactString::from(v.as_str());
    let inner = |i: &owned::bench::Inner| small::bench::Inner {
        id: i.id,
        name: s(&i.name),
        score: i.score,
        tags: i.tags.clone(),
    };
    small::bench::Payload {
        count: p.count,
        timestamp: p.timestamp,
        ratio: p.ratio,
        active: p.active,
        title: s(&p.title),
        raw: p.raw.clone(),
        note: p.note.as_ref().map(s),
        values: p.values.clone(),
        attrs: p.attrs.iter().map(|(k, v)| (s(k), *v)).collect(),
        labels: p.labels.iter().map(s).collect(),
        inner: inner(&p.inner),
        children: p.children.iter().map(inner).collect(),
        kind: small::bench::Kind(p.kind.0),
    }
}

/// Every string of the value.
fn strings(p: &small::bench::Payload) -> Vec<&CompactString> {
    let mut out = vec![&p.title];
    out.extend(&p.note);
    out.extend(p.attrs.keys());
    out.extend(&p.labels);
    out.extend(
        std::iter::once(&p.inner)
            .chain(&p.children)
            .map(|i| &i.name),
    );
    out
}

/// A source that hands out at most `chunk` bytes per read, so that strings
/// are cut across the stream reader's buffer fills.
struct Trickle {
    bytes: Vec<u8>,
    pos: usize,
    chunk: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.chunk).min(self.bytes.len() - self.pos);
        buf[..n].copy_from_slice(&self.bytes[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Decodes one framed message holding `bytes` from a stream handing out
/// `chunk` bytes per read.
fn decode_trickled<T: Decode>(proto: Proto, bytes: &[u8], chunk: usize) -> T {
    let mut framed = (bytes.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(bytes);
    let source = Trickle {
        bytes: framed,
        pos: 0,
        chunk,
    };
    let mut r = StreamReader::new(source, Framing::Framed, Limits::default());
    assert!(r.begin_message().unwrap());
    let v = match proto {
        Proto::Binary => T::decode(&mut BinaryProtocol::new(&mut r, Limits::default())),
        Proto::Compact => T::decode(&mut CompactProtocol::new(&mut r, Limits::default())),
    }
    .unwrap();
    r.end_message().unwrap();
    v
}

#[test]
fn same_bytes_as_the_owned_types_both_ways() {
    for proto in PROTOS {
        let owned_v = owned_payload(1);
        let small_v = small_payload(&owned_v);
        let bytes = encode(proto, &owned_v);
        assert_eq!(encode(proto, &small_v), bytes, "{proto:?}");
        // Larger maps and sets: read each other's bytes.
        let owned_v = owned_payload(8);
        let small_v = small_payload(&owned_v);
        let from_owned = encode(proto, &owned_v);
        let from_small = encode(proto, &small_v);
        assert_eq!(from_owned.len(), from_small.len());
        let a: small::bench::Payload = decode(proto, &from_owned).unwrap();
        assert_eq!(a, small_v);
        let b: owned::bench::Payload = decode(proto, &from_small).unwrap();
        assert_eq!(b, owned_v);
    }
}

#[test]
fn short_strings_are_inline_long_ones_on_the_heap() {
    for proto in PROTOS {
        let v = small_payload(&owned_payload(8));
        let bytes = encode(proto, &v);
        let mut decoded: Vec<small::bench::Payload> = vec![decode(proto, &bytes).unwrap()];
        for chunk in [1, 3, 7, 64] {
            decoded.push(decode_trickled(proto, &bytes, chunk));
        }
        for back in &decoded {
            assert_eq!(*back, v, "{proto:?}");
            let all = strings(back);
            assert_eq!(all.len(), 1 + 1 + 8 + 8 + 5);
            for s in all {
                assert_eq!(s.is_heap_allocated(), s.len() > 24, "{proto:?}: {s:?}");
            }
            // Both sides of the limit are there.
            assert_eq!(back.note.as_deref().map(str::len), Some(24));
            assert_eq!(back.children[0].name.len(), 25);
            assert!(back.children[0].name.is_heap_allocated());
            // Looked up by `&str`.
            assert_eq!(back.attrs.get("attr 3"), Some(&3));
            assert!(back.labels.contains("label 007"));
        }
    }
}

#[test]
fn bad_utf8_is_invalid_data_as_for_string() {
    for proto in PROTOS {
        let v = owned_payload(1);
        // A heap string (the title) and an inline one (the label).
        for marker in [&b"a title:"[..], b"label 000"] {
            let mut bytes = encode(proto, &v);
            let at = bytes
                .windows(marker.len())
                .position(|w| w == marker)
                .expect("string in the encoding");
            bytes[at + 1] = 0xc3; // a two-byte lead followed by ASCII
            let owned_err = decode::<owned::bench::Payload>(proto, &bytes).unwrap_err();
            assert_eq!(
                owned_err.protocol_kind(),
                Some(ProtocolErrorKind::InvalidData)
            );
            let e = decode::<small::bench::Payload>(proto, &bytes).unwrap_err();
            assert_eq!(e.protocol_kind(), Some(ProtocolErrorKind::InvalidData));
            assert_eq!(e.to_string(), owned_err.to_string());
        }
    }
}

#[test]
fn cut_input_fails_like_the_owned_types() {
    for proto in PROTOS {
        let bytes = encode(proto, &owned_payload(2));
        for end in 0..bytes.len() {
            let cut = &bytes[..end];
            let want = decode::<owned::bench::Payload>(proto, cut).unwrap_err();
            let got = decode::<small::bench::Payload>(proto, cut).unwrap_err();
            assert_eq!(got.to_string(), want.to_string(), "{proto:?} cut at {end}");
        }
    }
}
