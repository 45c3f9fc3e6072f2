//! Borrowed views (option `views`) against the owned types of the same IDL:
//! the bench IDL (golden `bench_bench_views`) and the codegen fixture with
//! unknown fields kept (golden `codegen_types_views_keep_unknown`), in both
//! protocols:
//!
//! - every `string` and `binary` of a decoded view is a slice of the input;
//! - on arbitrary input (valid encodings with bytes changed, cut or added)
//!   the view decoder and the owned decoder agree: both fail with the same
//!   error, or both succeed and the view converts to the owned value;
//! - nesting past the depth limit is an error, not a stack overflow.
//!
//! Random values of every type with a view round-trip in `roundtrip_all`.

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/bench_bench_views/mod.rs"]
mod bench_views;

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/codegen_types_views_keep_unknown/mod.rs"]
mod types_views;

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use thriftc_runtime::{
    BinaryProtocol, CompactProtocol, Encode, Error, FromView, Limits, ProtocolErrorKind,
};

use thriftc_tests::{PROTOS, Proto, decode, decode_view, encode};

fn payload() -> bench_views::bench::Payload {
    let inner = |i: i32| bench_views::bench::Inner {
        id: i,
        name: format!("child-{i}"),
        score: f64::from(i) / 2.0,
        tags: vec![i, i + 1],
    };
    bench_views::bench::Payload {
        count: 7,
        timestamp: -5,
        ratio: 0.25,
        active: true,
        title: "a title, ünïcode".to_owned(),
        raw: vec![0, 1, 2, 255],
        note: Some("a note".to_owned()),
        values: vec![1, -2, 3],
        attrs: HashMap::from([("k1".to_owned(), 1), ("k2".to_owned(), -2)]),
        labels: HashSet::from(["x".to_owned(), "yy".to_owned()]),
        inner: inner(100),
        children: (0..3).map(inner).collect(),
        kind: bench_views::bench::Kind::LARGE,
    }
}

fn group() -> types_views::types::Group {
    use types_views::types::{Group, Shape};
    Group {
        members: vec![
            Shape::Label("a label".to_owned()),
            Shape::Radius(2.5),
            Shape::Group(Box::new(Group {
                members: vec![Shape::Label("inner".to_owned())],
                main: None,
                unknown_fields: Vec::new(),
            })),
        ],
        main: Some(Box::new(Shape::Label("main".to_owned()))),
        unknown_fields: Vec::new(),
    }
}

/// Does `s` lie inside `input`?
fn inside(input: &[u8], s: &[u8]) -> bool {
    let r = input.as_ptr_range();
    s.is_empty() || (r.contains(&s.as_ptr()) && s.as_ptr() as usize + s.len() <= r.end as usize)
}

#[test]
fn every_string_and_binary_of_a_view_is_a_slice_of_the_input() {
    let v = payload();
    for proto in PROTOS {
        let bytes = encode(proto, &v);
        let view: bench_views::bench::PayloadRef<'_> = decode_view(proto, &bytes).unwrap();
        let mut slices: Vec<&[u8]> = vec![view.title.as_bytes(), view.raw];
        slices.extend(view.note.map(str::as_bytes));
        slices.extend(view.attrs.keys().map(|k| k.as_bytes()));
        slices.extend(view.labels.iter().map(|k| k.as_bytes()));
        slices.push(view.inner.name.as_bytes());
        slices.extend(view.children.iter().map(|c| c.name.as_bytes()));
        assert_eq!(slices.len(), 11);
        for s in slices {
            assert!(inside(&bytes, s), "{proto:?}: {s:?} is a copy");
        }
        assert_eq!(bench_views::bench::Payload::from(&view), v);

        let g = group();
        let bytes = encode(proto, &g);
        let view: types_views::types::GroupRef<'_> = decode_view(proto, &bytes).unwrap();
        let types_views::types::ShapeRef::Label(label) = view.members[0] else {
            panic!("{proto:?}: {view:?}");
        };
        assert!(inside(&bytes, label.as_bytes()));
        assert_eq!(types_views::types::Group::from(&view), g);
    }
}

/// Decodes `bytes` as the bench `Payload` both ways; they must agree (see
/// the module docs).
fn agree_payload(proto: Proto, bytes: &[u8]) -> Result<(), String> {
    let owned: Result<bench_views::bench::Payload, Error> = decode(proto, bytes);
    let view: Result<bench_views::bench::PayloadRef<'_>, Error> = decode_view(proto, bytes);
    compare(
        proto,
        bytes,
        owned,
        view.map(|v| bench_views::bench::Payload::from(&v)),
    )
}

/// [`agree_payload`] for the fixture's `Group` (unions, recursion, unknown
/// fields).
fn agree_group(proto: Proto, bytes: &[u8]) -> Result<(), String> {
    let owned: Result<types_views::types::Group, Error> = decode(proto, bytes);
    let view: Result<types_views::types::GroupRef<'_>, Error> = decode_view(proto, bytes);
    compare(
        proto,
        bytes,
        owned,
        view.map(|v| types_views::types::Group::from(&v)),
    )
}

fn compare<T: PartialEq + Debug>(
    proto: Proto,
    bytes: &[u8],
    owned: Result<T, Error>,
    view: Result<T, Error>,
) -> Result<(), String> {
    match (owned, view) {
        (Ok(o), Ok(v)) if o == v => Ok(()),
        (Err(a), Err(b)) if a.to_string() == b.to_string() => Ok(()),
        (o, v) => Err(format!(
            "{proto:?}: owned {o:?}\nview (converted) {v:?}\nbytes: {bytes:02x?}"
        )),
    }
}

/// Changes `bytes`: each `(position, value)` overwrites one byte; then the
/// input is cut at `cut` (when shorter) or `extra` bytes are appended.
fn mutate(bytes: &[u8], edits: &[(usize, u8)], cut: usize, extra: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for &(pos, b) in edits {
        let n = out.len();
        out[pos % n] = b;
    }
    if cut < out.len() {
        out.truncate(cut);
    } else {
        out.extend_from_slice(extra);
    }
    out
}

/// A small deterministic generator (xorshift64*), so that a failure names
/// the case to replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn owned_and_view_decoders_agree_on_changed_input() {
    let mut outcomes = [0usize; 2];
    for case in 0..3000u64 {
        let mut rng = Rng(case.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let proto = PROTOS[rng.below(2)];
        let edits: Vec<(usize, u8)> = (0..rng.below(4))
            .map(|_| (rng.below(usize::MAX), rng.next() as u8))
            .collect();
        let extra: Vec<u8> = (0..rng.below(3)).map(|_| rng.next() as u8).collect();
        let cut = rng.below(400);
        let p = mutate(&encode(proto, &payload()), &edits, cut, &extra);
        if let Err(e) = agree_payload(proto, &p) {
            panic!("case {case}: {e}");
        }
        outcomes[usize::from(decode::<bench_views::bench::Payload>(proto, &p).is_ok())] += 1;
        let g = mutate(&encode(proto, &group()), &edits, cut / 4, &extra);
        if let Err(e) = agree_group(proto, &g) {
            panic!("case {case} (Group): {e}");
        }
    }
    // Both outcomes are exercised.
    assert!(outcomes[0] > 100 && outcomes[1] > 100, "{outcomes:?}");
}

#[test]
fn nesting_past_the_depth_limit_is_an_error() {
    use types_views::types::{Group, Shape};
    let mut g = group();
    for _ in 0..200 {
        g = Group {
            members: vec![Shape::Group(Box::new(g))],
            main: None,
            unknown_fields: Vec::new(),
        };
    }
    let deep = Limits::default().with_max_depth(1000);
    for proto in PROTOS {
        let mut bytes = Vec::new();
        match proto {
            Proto::Binary => g.encode(&mut BinaryProtocol::new(&mut bytes, deep)),
            Proto::Compact => g.encode(&mut CompactProtocol::new(&mut bytes, deep)),
        }
        .unwrap();
        let e = decode_view::<types_views::types::GroupRef<'_>>(proto, &bytes).unwrap_err();
        assert!(
            matches!(&e, Error::Protocol(p) if p.kind == ProtocolErrorKind::DepthLimit),
            "{proto:?}: {e}"
        );
        agree_group(proto, &bytes).unwrap();
    }
}

#[test]
fn converting_a_view_copies_what_it_borrows() {
    let v = payload();
    let bytes = encode(Proto::Binary, &v);
    let owned = {
        let view: bench_views::bench::PayloadRef<'_> = decode_view(Proto::Binary, &bytes).unwrap();
        <bench_views::bench::Payload as FromView<_>>::from_view(&view)
    };
    drop(bytes);
    assert_eq!(owned, v);
}
