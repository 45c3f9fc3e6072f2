//! The `bytes_paths` option on generated code: the bench IDL generated with
//! `string` as `ByteString` and `binary` as `Bytes` (golden
//! `bench_bench_bytes`) next to the same IDL with `String`/`Vec<u8>`
//! (golden `bench_bench`), in both protocols:
//!
//! - both write the same bytes for the same values and read each other's;
//! - decoded from a `Bytes` buffer every string and binary of the value is a
//!   slice of that buffer (no copy); from a byte slice, a copy;
//! - invalid UTF-8 in a string, and input cut anywhere, fail with the same
//!   typed errors as the owned types.
//!
//! Random values of every generated type round-trip in `roundtrip_all`
//! (test `rs_bench_bench_bytes`).

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/bench_bench/mod.rs"]
mod owned;

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/bench_bench_bytes/mod.rs"]
mod shared;

use std::ops::Range;
use thriftc_runtime::{ByteString, Bytes, ProtocolErrorKind};

use thriftc_tests::{PROTOS, decode, decode_shared, encode};

/// A payload with `n` attributes and labels (one of each keeps the
/// encoding's order fixed, so bytes can be compared).
fn owned_payload(n: i32) -> owned::bench::Payload {
    let inner = |i: i32| owned::bench::Inner {
        id: i,
        name: format!("child number {i}, with a name longer than usual"),
        score: f64::from(i) / 4.0,
        tags: (0..i).collect(),
    };
    owned::bench::Payload {
        count: 7,
        timestamp: -3,
        ratio: 0.5,
        active: true,
        title: "a title: h\u{e9}llo w\u{f6}rld".to_owned(),
        raw: (0..=255u8).collect(),
        note: Some(String::new()),
        values: vec![1, -1, i64::MAX],
        attrs: (0..n).map(|i| (format!("attr {i}"), i)).collect(),
        labels: (0..n).map(|i| format!("label {i}")).collect(),
        inner: inner(1),
        children: (2..6).map(inner).collect(),
        kind: owned::bench::Kind::LARGE,
    }
}

/// The same value with the shared types.
fn shared_payload(p: &owned::bench::Payload) -> shared::bench::Payload {
    let s = |v: &String| ByteString::from(v.as_str());
    let inner = |i: &owned::bench::Inner| shared::bench::Inner {
        id: i.id,
        name: s(&i.name),
        score: i.score,
        tags: i.tags.clone(),
    };
    shared::bench::Payload {
        count: p.count,
        timestamp: p.timestamp,
        ratio: p.ratio,
        active: p.active,
        title: s(&p.title),
        raw: Bytes::from(p.raw.clone()),
        note: p.note.as_ref().map(s),
        values: p.values.clone(),
        attrs: p.attrs.iter().map(|(k, v)| (s(k), *v)).collect(),
        labels: p.labels.iter().map(s).collect(),
        inner: inner(&p.inner),
        children: p.children.iter().map(inner).collect(),
        kind: shared::bench::Kind(p.kind.0),
    }
}

/// Pointers to every string and binary of the value.
fn pointers(p: &shared::bench::Payload) -> Vec<*const u8> {
    let mut out = vec![p.title.as_ptr(), p.raw.as_ptr()];
    out.extend(p.note.iter().map(|n| n.as_ptr()));
    out.extend(p.attrs.keys().map(|k| k.as_ptr()));
    out.extend(p.labels.iter().map(|l| l.as_ptr()));
    out.extend(
        std::iter::once(&p.inner)
            .chain(&p.children)
            .map(|i| i.name.as_ptr()),
    );
    out
}

fn inside(range: &Range<*const u8>, p: *const u8) -> bool {
    range.contains(&p)
}

#[test]
fn same_bytes_as_the_owned_types_both_ways() {
    for proto in PROTOS {
        let owned_v = owned_payload(1);
        let shared_v = shared_payload(&owned_v);
        let bytes = encode(proto, &owned_v);
        assert_eq!(encode(proto, &shared_v), bytes, "{proto:?}");
        // Larger maps and sets: read each other's bytes.
        let owned_v = owned_payload(8);
        let shared_v = shared_payload(&owned_v);
        let from_owned = encode(proto, &owned_v);
        let from_shared = encode(proto, &shared_v);
        assert_eq!(from_owned.len(), from_shared.len());
        let a: shared::bench::Payload = decode(proto, &from_owned).unwrap();
        assert_eq!(a, shared_v);
        let b: shared::bench::Payload = decode_shared(proto, Bytes::from(from_owned)).unwrap();
        assert_eq!(b, shared_v);
        let c: owned::bench::Payload = decode(proto, &from_shared).unwrap();
        assert_eq!(c, owned_v);
    }
}

#[test]
fn decoding_from_bytes_slices_the_input() {
    for proto in PROTOS {
        let v = shared_payload(&owned_payload(8));
        let input = Bytes::from(encode(proto, &v));
        let range = input.as_ptr_range();
        let back: shared::bench::Payload = decode_shared(proto, input.clone()).unwrap();
        assert_eq!(back, v);
        let ptrs = pointers(&back);
        assert_eq!(ptrs.len(), 2 + 1 + 8 + 8 + 5);
        for p in ptrs {
            assert!(inside(&range, p), "{proto:?}: a value was copied");
        }
        // The empty note is a slice of nothing; all other values share the
        // buffer, which lives as long as they do.
        drop(input);
        assert_eq!(back, v);

        // From a byte slice: copies.
        let plain = encode(proto, &v);
        let range = plain.as_ptr_range();
        let copied: shared::bench::Payload = decode(proto, &plain).unwrap();
        assert_eq!(copied, v);
        assert!(pointers(&copied).into_iter().all(|p| !inside(&range, p)));
    }
}

#[test]
fn bad_utf8_is_invalid_data_as_for_string() {
    for proto in PROTOS {
        let v = owned_payload(1);
        let mut bytes = encode(proto, &v);
        // Break the first byte of the title ("a title: ...").
        let at = bytes
            .windows(8)
            .position(|w| w == b"a title:")
            .expect("title in the encoding");
        bytes[at] = 0xff;
        let owned_err = decode::<owned::bench::Payload>(proto, &bytes).unwrap_err();
        assert_eq!(
            owned_err.protocol_kind(),
            Some(ProtocolErrorKind::InvalidData)
        );
        for e in [
            decode::<shared::bench::Payload>(proto, &bytes).unwrap_err(),
            decode_shared::<shared::bench::Payload>(proto, Bytes::from(bytes.clone())).unwrap_err(),
        ] {
            assert_eq!(
                e.protocol_kind(),
                Some(ProtocolErrorKind::InvalidData),
                "{e}"
            );
            assert_eq!(e.to_string(), owned_err.to_string());
        }
        // In `binary` any bytes are fine.
        let mut raw_bad = encode(proto, &v);
        let at = raw_bad
            .windows(3)
            .position(|w| w == [0, 1, 2])
            .expect("raw in the encoding");
        raw_bad[at] = 0xff;
        let back: shared::bench::Payload = decode_shared(proto, Bytes::from(raw_bad)).unwrap();
        assert_eq!(back.raw[0], 0xff);
    }
}

#[test]
fn cut_input_fails_like_the_owned_types() {
    for proto in PROTOS {
        let bytes = encode(proto, &owned_payload(2));
        for end in 0..bytes.len() {
            let cut = &bytes[..end];
            let want = decode::<owned::bench::Payload>(proto, cut).unwrap_err();
            for got in [
                decode::<shared::bench::Payload>(proto, cut).unwrap_err(),
                decode_shared::<shared::bench::Payload>(proto, Bytes::copy_from_slice(cut))
                    .unwrap_err(),
            ] {
                assert_eq!(
                    got.protocol_kind(),
                    want.protocol_kind(),
                    "{proto:?} at {end}"
                );
                assert_eq!(got.is_eof(), want.is_eof(), "{proto:?} at {end}: {got}");
            }
        }
    }
}

#[test]
fn defaults_are_empty_and_keys_hash_like_str() {
    // `Default` gives empty shared values; the types compare and hash like
    // the owned ones.
    let d = shared::bench::Payload::default();
    assert_eq!(d.title, "");
    assert!(d.raw.is_empty());
    let mut set = std::collections::HashSet::new();
    assert!(set.insert(ByteString::from_static("k")));
    assert!(!set.insert(ByteString::from("k".to_owned())));
    assert!(set.contains("k"));
}
