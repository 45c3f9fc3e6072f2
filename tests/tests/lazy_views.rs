//! Lazy containers (option `lazy`) against eager views and owned types of
//! the same IDL (goldens `bench_bench_views_lazy` and
//! `codegen_types_views_lazy_keep_unknown` beside their eager twins), in
//! both protocols, on changed encodings and on random bytes: all three
//! accept and reject the same inputs with the same error, the lazy view
//! converts to the owned value, and written back in either protocol it reads
//! as that value.

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/bench_bench_views/mod.rs"]
mod eager_bench;

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/bench_bench_views_lazy/mod.rs"]
mod lazy_bench;

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/codegen_types_views_keep_unknown/mod.rs"]
mod eager_types;

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "../golden/rs/codegen_types_views_lazy_keep_unknown/mod.rs"]
mod lazy_types;

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use thriftc_runtime::{Decode, DecodeView, Encode, Error};
use thriftc_tests::{PROTOS, Proto, Rng, decode, decode_view, encode, mutate};

fn other(p: Proto) -> Proto {
    match p {
        Proto::Binary => Proto::Compact,
        Proto::Compact => Proto::Binary,
    }
}

/// Owned `O` (of the eager golden), eager view `E`, lazy golden's owned `LO`
/// and lazy view `L`. `same` maps a lazy golden owned value to the eager
/// golden's type (through the encoding: the two goldens' owned types are the
/// same IDL).
fn agree<'a, O, E, LO, L>(proto: Proto, bytes: &'a [u8]) -> Result<bool, String>
where
    O: Decode + PartialEq + Debug + Encode + for<'b> From<&'b E>,
    E: DecodeView<'a>,
    LO: Decode + PartialEq + Debug + Encode + for<'b> From<&'b L>,
    L: DecodeView<'a> + Encode + Debug,
{
    let owned: Result<O, Error> = decode(proto, bytes);
    let eager: Result<E, Error> = decode_view(proto, bytes);
    let lazy: Result<L, Error> = decode_view(proto, bytes);
    let lazy_owned: Result<LO, Error> = decode(proto, bytes);
    match (&owned, &eager, &lazy) {
        (Ok(o), Ok(e), Ok(l)) => {
            let from_eager = O::from(e);
            if &from_eager != o {
                return Err(format!(
                    "eager view differs from owned: {from_eager:?} vs {o:?}"
                ));
            }
            let lo = lazy_owned.map_err(|e| format!("lazy golden owned fails: {e}"))?;
            let from_lazy = LO::from(l);
            if from_lazy != lo {
                return Err(format!(
                    "{proto:?}: lazy view converts to\n{from_lazy:?}\nowned is\n{lo:?}\nbytes {bytes:02x?}"
                ));
            }
            // Written back, both protocols: reads as the same owned value.
            for out in [proto, other(proto)] {
                let w = encode(out, l);
                let back: LO = decode(out, &w).map_err(|e| {
                    format!("{proto:?}->{out:?}: lazy written back does not decode: {e}\nin {bytes:02x?}\nout {w:02x?}")
                })?;
                if back != lo {
                    return Err(format!(
                        "{proto:?}->{out:?}: lazy written back reads as\n{back:?}\nnot\n{lo:?}\nin {bytes:02x?}\nout {w:02x?}"
                    ));
                }
            }
            Ok(true)
        }
        (Err(a), Err(b), Err(c)) => {
            if a.to_string() == b.to_string() && b.to_string() == c.to_string() {
                Ok(false)
            } else {
                Err(format!(
                    "{proto:?}: errors differ: owned {a}\neager {b}\nlazy {c}\nbytes {bytes:02x?}"
                ))
            }
        }
        _ => Err(format!(
            "{proto:?}: outcomes differ: owned {:?}\neager {:?}\nlazy {:?}\nbytes {bytes:02x?}",
            owned.as_ref().err().map(ToString::to_string),
            eager.as_ref().err().map(ToString::to_string),
            lazy.as_ref()
                .map(|l| format!("{l:?}"))
                .map_err(ToString::to_string),
        )),
    }
}

fn payload() -> eager_bench::bench::Payload {
    let inner = |i: i32| eager_bench::bench::Inner {
        id: i,
        name: format!("child-{i}"),
        score: f64::from(i) / 2.0,
        tags: vec![i, i + 1],
    };
    eager_bench::bench::Payload {
        count: 7,
        timestamp: -5,
        ratio: 0.25,
        active: true,
        title: "a title".to_owned(),
        raw: vec![0, 1, 2, 255],
        note: Some("a note".to_owned()),
        values: vec![1, -2, 3, 300, -70000],
        attrs: HashMap::from([("k1".to_owned(), 1), ("k2".to_owned(), -2)]),
        labels: HashSet::from(["x".to_owned(), "yy".to_owned()]),
        inner: inner(100),
        children: (0..3).map(inner).collect(),
        kind: eager_bench::bench::Kind::LARGE,
    }
}

fn group() -> eager_types::types::Group {
    use eager_types::types::{Group, Shape};
    Group {
        members: vec![
            Shape::Label("a label".to_owned()),
            Shape::Radius(2.5),
            Shape::Group(Box::new(Group {
                members: vec![Shape::Label("inner".to_owned()), Shape::Radius(1.0)],
                main: None,
                unknown_fields: Vec::new(),
            })),
        ],
        main: Some(Box::new(Shape::Label("main".to_owned()))),
        unknown_fields: Vec::new(),
    }
}

fn containers() -> eager_types::types::Containers {
    use eager_types::common_types::Point;
    use eager_types::types::{Containers, Shape, Status};
    let pt = |x: f64| Point {
        x,
        y: -x,
        unknown_fields: Vec::new(),
    };
    Containers {
        grid: vec![vec![1, 2], vec![], vec![-3]],
        nested: HashMap::from([("a".to_owned(), vec![HashSet::from([1i64, 2])])]),
        points: thriftc_runtime::VecSet(vec![pt(1.0), pt(2.0)]),
        labels: thriftc_runtime::VecMap(vec![(pt(3.0), "three".to_owned())]),
        maps: thriftc_runtime::VecSet(vec![HashMap::from([("m".to_owned(), 5)])]),
        by_status: HashMap::from([(Status(1), vec!["n".to_owned()])]),
        path: vec![pt(4.0)],
        index: HashMap::from([("i".to_owned(), HashSet::from([9]))]),
        ids: Some(HashMap::from([(1, 2i64)])),
        shapes: vec![Shape::Radius(0.5), Shape::Label("l".to_owned())],
        reals: thriftc_runtime::VecSet(vec![0.5, 1.5]),
        empties: vec![],
        unknown_fields: Vec::new(),
    }
}

#[test]
fn lazy_and_eager_views_agree_on_changed_input() {
    let mut ok = [0usize; 3];
    let mut failures = Vec::new();
    for case in 0..20000u64 {
        let mut rng = Rng(case.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let proto = PROTOS[rng.below(2)];
        let edits: Vec<(usize, u8)> = (0..1 + rng.below(3))
            .map(|_| (rng.below(usize::MAX), rng.next() as u8))
            .collect();
        let extra: Vec<u8> = (0..rng.below(3)).map(|_| rng.next() as u8).collect();
        let cut = rng.below(600);
        let p = mutate(&encode(proto, &payload()), &edits, cut, &extra);
        match agree::<
            eager_bench::bench::Payload,
            eager_bench::bench::PayloadRef<'_>,
            lazy_bench::bench::Payload,
            lazy_bench::bench::PayloadRef<'_>,
        >(proto, &p)
        {
            Ok(b) => ok[0] += usize::from(b),
            Err(e) => failures.push(format!("case {case} Payload: {e}")),
        }
        let g = mutate(&encode(proto, &group()), &edits, cut / 4, &extra);
        match agree::<
            eager_types::types::Group,
            eager_types::types::GroupRef<'_>,
            lazy_types::types::Group,
            lazy_types::types::GroupRef<'_>,
        >(proto, &g)
        {
            Ok(b) => ok[1] += usize::from(b),
            Err(e) => failures.push(format!("case {case} Group: {e}")),
        }
        let c = mutate(&encode(proto, &containers()), &edits, cut, &extra);
        match agree::<
            eager_types::types::Containers,
            eager_types::types::ContainersRef<'_>,
            lazy_types::types::Containers,
            lazy_types::types::ContainersRef<'_>,
        >(proto, &c)
        {
            Ok(b) => ok[2] += usize::from(b),
            Err(e) => failures.push(format!("case {case} Containers: {e}")),
        }
    }
    eprintln!("accepted: {ok:?}, failures: {}", failures.len());
    for f in failures.iter().take(8) {
        eprintln!("{f}\n");
    }
    assert!(failures.is_empty(), "{} failures", failures.len());
}

/// Random short inputs read as lazy and eager containers of base types,
/// both protocols: same outcome, same elements, and the lazy one written
/// back reads as the same elements.
#[test]
fn lazy_and_eager_base_containers_agree_on_random_bytes() {
    use thriftc_runtime::{LazyList, LazyMap, VecMap};
    fn check<'a, L, E, O>(proto: Proto, bytes: &'a [u8]) -> Result<(), String>
    where
        L: DecodeView<'a> + Encode,
        E: DecodeView<'a>,
        O: Decode + PartialEq + Debug + thriftc_runtime::FromView<L> + thriftc_runtime::FromView<E>,
    {
        let l: Result<L, Error> = decode_view(proto, bytes);
        let e: Result<E, Error> = decode_view(proto, bytes);
        match (l, e) {
            (Ok(l), Ok(e)) => {
                let a = O::from_view(&l);
                let b = O::from_view(&e);
                if a != b {
                    return Err(format!("{a:?} vs {b:?}"));
                }
                for out in [proto, other(proto)] {
                    let w = encode(out, &l);
                    let back: O = decode(out, &w).map_err(|x| format!("{x}"))?;
                    if back != a {
                        return Err(format!("written back {back:?} vs {a:?}"));
                    }
                }
                Ok(())
            }
            (Err(x), Err(y)) if x.to_string() == y.to_string() => Ok(()),
            (l, e) => Err(format!(
                "lazy {:?} eager {:?}",
                l.err().map(|x| x.to_string()),
                e.err().map(|x| x.to_string())
            )),
        }
    }
    let mut rng = Rng(7);
    let mut failures = Vec::new();
    for case in 0..60000u64 {
        let proto = PROTOS[rng.below(2)];
        let n = rng.below(24);
        let mut bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        // Plausible headers more often than not.
        if !bytes.is_empty() && rng.below(2) == 0 {
            bytes[0] = match proto {
                Proto::Compact => {
                    [0x31, 0x41, 0x11, 0x21, 0x81, 0x91, 0x01, 0x05, 0x71, 0xd1][rng.below(10)]
                }
                Proto::Binary => [2, 3, 6, 8, 10, 11, 15, 16, 4][rng.below(9)],
            };
        }
        let r = match case % 8 {
            0 => check::<LazyList<'_, bool>, Vec<bool>, Vec<bool>>(proto, &bytes),
            1 => check::<LazyList<'_, i16>, Vec<i16>, Vec<i16>>(proto, &bytes),
            2 => check::<LazyList<'_, i32>, Vec<i32>, Vec<i32>>(proto, &bytes),
            3 => check::<LazyList<'_, i64>, Vec<i64>, Vec<i64>>(proto, &bytes),
            4 => check::<LazyList<'_, &str>, Vec<&str>, Vec<String>>(proto, &bytes),
            5 => check::<LazyList<'_, LazyList<'_, bool>>, Vec<Vec<bool>>, Vec<Vec<bool>>>(
                proto, &bytes,
            ),
            6 => check::<LazyMap<'_, i8, bool>, VecMap<i8, bool>, VecMap<i8, bool>>(proto, &bytes),
            _ => check::<
                LazyList<'_, thriftc_runtime::Uuid>,
                Vec<thriftc_runtime::Uuid>,
                Vec<thriftc_runtime::Uuid>,
            >(proto, &bytes),
        };
        if let Err(e) = r {
            failures.push(format!("case {case} {proto:?} {bytes:02x?}: {e}"));
        }
    }
    for f in failures.iter().take(8) {
        eprintln!("{f}");
    }
    assert!(failures.is_empty(), "{} failures", failures.len());
}

/// Compact input written by hand with what a random edit rarely reaches:
/// field ids at both ends of `i16` (long form, and short deltas next to
/// them), ids restored after nested structs (also inside lazy elements),
/// bools in field headers beside bool elements with element type `2` and
/// values `0`/`1`/`2`, long list headers with small counts, an empty map
/// (no type byte) and an empty set of element type 0, overlong and extreme
/// varints, and unknown fields of every type inside lazy elements.
fn inner_with_unknown_fields() -> Vec<u8> {
    let mut b = Vec::new();
    // 1000: list<bool> with element type 2, values 1, 0, 2.
    b.extend([0x09, 0xd0, 0x0f, 0x32, 0x01, 0x00, 0x02]);
    // 1: i32 1, long form.
    b.extend([0x05, 0x02, 0x02]);
    // 5 (delta 4): map<bool, struct>, one entry, key true.
    b.extend([0x4b, 0x01, 0x2c, 0x01]);
    // The struct: 32767 bool true (long form), -32768 uuid, STOP.
    b.extend([0x01, 0xfe, 0xff, 0x03, 0x0d, 0xff, 0xff, 0x03]);
    b.extend([0xab; 16]);
    b.push(0x00);
    // 6 (delta 1): set<double>, one element.
    b.extend([0x1a, 0x17]);
    b.extend(1.5f64.to_le_bytes());
    // 4: list<i32> in long form, long list header counting 2.
    b.extend([0x09, 0x08, 0xf5, 0x02, 0x01, 0x03]);
    // 7 (delta 3): an empty struct.
    b.extend([0x3c, 0x00]);
    // 8: i16 32767; 9: i8 -128; 10: empty binary; 11: bool false.
    b.extend([0x14, 0xfe, 0xff, 0x03, 0x13, 0x80, 0x18, 0x00, 0x12]);
    // 2: string "n", long form; STOP.
    b.extend([0x08, 0x04, 0x01, b'n', 0x00]);
    b
}

fn hand_written_payload() -> Vec<u8> {
    let mut b = Vec::new();
    // 4 (delta 4): bool true, in the header.
    b.push(0x41);
    // 1: i32::MIN, long form.
    b.extend([0x05, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    // 2 (delta 1): i64::MIN.
    b.extend([
        0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    // 8 (delta 6): list<i64>, long header counting 3: MAX, MIN, an
    // overlong 0.
    b.extend([0x69, 0xf6, 0x03]);
    b.extend([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    b.extend([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    b.extend([0x80, 0x80, 0x00]);
    // 9: empty map, no type byte; 10: empty set of element type 0.
    b.extend([0x1b, 0x00, 0x1a, 0x00]);
    // 32767: bool false, long form (unknown).
    b.extend([0x02, 0xfe, 0xff, 0x03]);
    // 11: Inner, long form.
    b.extend([0x0c, 0x16]);
    b.extend(inner_with_unknown_fields());
    // 12 (delta 1 from 11, restored after the struct): list<Inner> of 2.
    b.extend([0x19, 0x2c]);
    b.extend(inner_with_unknown_fields());
    b.extend([0x00]); // an empty Inner
    // 13: kind LARGE; 3: ratio 0.5, long form.
    b.extend([0x15, 0x06, 0x07, 0x06]);
    b.extend(0.5f64.to_le_bytes());
    b.push(0x00);
    b
}

#[test]
fn hand_written_compact_edges_read_alike_in_all_three_ways() {
    use eager_bench::bench::{Inner, Kind, Payload};
    let bytes = hand_written_payload();
    let inner = Inner {
        id: 1,
        name: "n".to_owned(),
        score: 0.0,
        tags: vec![-1, -2],
    };
    let expected = Payload {
        count: i32::MIN,
        timestamp: i64::MIN,
        ratio: 0.5,
        active: true,
        title: String::new(),
        raw: Vec::new(),
        note: None,
        values: vec![i64::MAX, i64::MIN, 0],
        attrs: HashMap::new(),
        labels: HashSet::new(),
        inner: inner.clone(),
        children: vec![inner, Inner::default()],
        kind: Kind::LARGE,
    };
    let owned: Payload = decode(Proto::Compact, &bytes).unwrap();
    assert_eq!(owned, expected);
    assert_eq!(
        agree::<
            Payload,
            eager_bench::bench::PayloadRef<'_>,
            lazy_bench::bench::Payload,
            lazy_bench::bench::PayloadRef<'_>,
        >(Proto::Compact, &bytes),
        Ok(true)
    );
    // The lazy children, copied as read, are the bytes sent.
    let lazy: lazy_bench::bench::PayloadRef<'_> = decode_view(Proto::Compact, &bytes).unwrap();
    let (elems, _) = lazy.children.encoded();
    let mut sent = inner_with_unknown_fields();
    sent.push(0x00);
    assert_eq!(elems, sent);
    let tags: Vec<i32> = lazy.inner.tags.iter().collect();
    assert_eq!(tags, [-1, -2]);

    // A short delta past 32767 after a long-form 32767, in a struct inside
    // the first lazy child: the same error all three ways.
    let mut bad = hand_written_payload();
    let at = bad
        .windows(4)
        .rposition(|w| w == [0x01, 0xfe, 0xff, 0x03])
        .unwrap();
    bad.splice(at + 4..at + 4, [0x12]);
    let e = agree::<
        Payload,
        eager_bench::bench::PayloadRef<'_>,
        lazy_bench::bench::Payload,
        lazy_bench::bench::PayloadRef<'_>,
    >(Proto::Compact, &bad);
    assert_eq!(e, Ok(false));
    let err = decode::<Payload>(Proto::Compact, &bad).unwrap_err();
    assert!(err.to_string().contains("32767"), "{err}");
}

/// Unions in a lazy list: zero fields set, two set, and one only unknown,
/// read from compact the same three ways.
#[test]
fn unions_in_lazy_lists_read_alike() {
    use eager_types::types::{Containers, ContainersRef};
    // Containers { 10: list<Shape> [..] }.
    let with = |shapes: &[u8], n: u8| {
        let mut b = vec![0x09, 0x14, (n << 4) | 0x0c];
        b.extend(shapes);
        b.push(0x00);
        b
    };
    let none = with(&[0x00], 1);
    let two = with(&[0x27, 0, 0, 0, 0, 0, 0, 0, 0, 0x18, 0x01, b'x', 0x00], 1);
    let unknown_only = with(&[0x09, 0x10, 0x11, 0x01, 0x00, 0x25, 0x04, 0x00], 2);
    for (bytes, accepted) in [(none, false), (two, false), (unknown_only, true)] {
        let r = agree::<
            Containers,
            ContainersRef<'_>,
            lazy_types::types::Containers,
            lazy_types::types::ContainersRef<'_>,
        >(Proto::Compact, &bytes);
        assert_eq!(r, Ok(accepted), "{bytes:02x?}");
    }
}
