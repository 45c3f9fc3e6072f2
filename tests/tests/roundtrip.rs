//! Round trips through generated code: `decode(encode(x)) == x` for random
//! values of the fixture types (`fixtures/codegen/types.thrift`, its
//! include, and the bench `Payload`), in the binary and compact protocols.
//! Covers unions (also their unknown variant), nested containers, sets and
//! maps of unhashable types, optional fields, unknown enum values and
//! recursive types. Strategies are written by hand for these types.
#![deny(warnings)]

// The test uses only some generated items; in a user's crate they are
// public API, so unused ones are not dead code there.
#[allow(dead_code)]
#[rustfmt::skip] // generated (prettyplease), compared byte for byte
#[path = "../golden/rs/bench_bench/mod.rs"]
mod bench_bench;
#[allow(dead_code)]
#[rustfmt::skip] // generated (prettyplease), compared byte for byte
#[path = "../golden/rs/codegen_types/mod.rs"]
mod codegen_types;

#[allow(dead_code)]
#[rustfmt::skip] // generated (prettyplease), compared byte for byte
#[path = "../golden/rs/structs/mod.rs"]
mod valid_structs;

use bench_bench::bench::{Inner, Kind, Payload};
use codegen_types::common_types::{Level, Point};
use codegen_types::types::*;
use proptest::collection::{btree_map, hash_map, hash_set, vec};
use proptest::prelude::*;
use std::fmt::Debug;
use thriftc_runtime::{Decode, Encode, UnknownField, Uuid, Value, VecMap, VecSet, binary, compact};

fn check<T: Encode + Decode + PartialEq + Debug>(v: &T) -> Result<(), TestCaseError> {
    let b = binary::encode(v).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: T = binary::decode(&b).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, v, "binary");
    let c = compact::encode(v).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: T = compact::decode(&c).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, v, "compact");
    Ok(())
}

/// Doubles that compare equal to themselves.
fn real() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(-0.0), Just(f64::INFINITY), -1e12..1e12f64]
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        prop::sample::select(Status::VALUES.to_vec()),
        any::<i32>().prop_map(Status::from),
    ]
}

fn point() -> impl Strategy<Value = Point> {
    (real(), real()).prop_map(|(x, y)| Point { x, y })
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<[u8; 16]>().prop_map(Uuid::from)
}

fn primitives() -> impl Strategy<Value = Primitives> {
    (
        any::<bool>(),
        any::<i8>(),
        any::<i16>(),
        any::<i32>(),
        any::<i64>(),
        real(),
        text(),
        vec(any::<u8>(), 0..20),
        uuid(),
    )
        .prop_map(
            |(flag, tiny, short_int, medium, big, real, text, raw, id)| Primitives {
                flag,
                tiny,
                short_int,
                medium,
                big,
                real,
                text,
                raw,
                id,
            },
        )
}

fn defaults() -> impl Strategy<Value = Defaults> {
    (
        (any::<i32>(), any::<Option<i32>>(), any::<i32>()),
        (
            proptest::option::of(text()),
            text(),
            vec(any::<i32>(), 0..5),
        ),
        (hash_map(text(), any::<i32>(), 0..4), status(), real()),
        (any::<bool>(), any::<i64>(), point(), hash_set(text(), 0..4)),
        (vec(any::<u8>(), 0..8), any::<i32>().prop_map(Level::from)),
    )
        .prop_map(
            |(
                (must, maybe, plain),
                (opt_text, text, nums),
                (weights, status, ratio),
                (on, zero, origin, tags),
                (blob, level),
            )| Defaults {
                must,
                maybe,
                plain,
                opt_text,
                text,
                nums,
                weights,
                status,
                level,
                ratio,
                on,
                zero,
                origin,
                tags,
                blob,
            },
        )
}

/// A value of a variant this schema does not know (ids 6 and up).
fn unknown_field() -> impl Strategy<Value = UnknownField> {
    let value = prop_oneof![
        any::<i32>().prop_map(Value::I32),
        any::<bool>().prop_map(Value::Bool),
        vec(any::<u8>(), 0..6).prop_map(Value::Bytes),
        vec(any::<i64>(), 0..4).prop_map(|v| Value::List {
            elem: thriftc_runtime::__codegen::TType::I64,
            items: v.into_iter().map(Value::I64).collect(),
        }),
        (any::<i16>(), any::<i8>()).prop_map(|(id, v)| Value::Struct(vec![UnknownField {
            id,
            value: Value::I8(v),
        }])),
    ];
    (6i16..200, value).prop_map(|(id, value)| UnknownField { id, value })
}

fn shape() -> impl Strategy<Value = Shape> {
    let leaf = prop_oneof![
        point().prop_map(Shape::Point),
        real().prop_map(Shape::Radius),
        text().prop_map(Shape::Label),
        any::<i32>().prop_map(Shape::Unknown),
        unknown_field().prop_map(Shape::Unknown2),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        (vec(inner.clone(), 0..4), proptest::option::of(inner)).prop_map(|(members, main)| {
            Shape::Group(Box::new(Group {
                members,
                main: main.map(Box::new),
            }))
        })
    })
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = any::<i32>().prop_map(|value| Tree {
        value,
        left: None,
        right: None,
    });
    leaf.prop_recursive(5, 32, 2, |inner| {
        (
            any::<i32>(),
            proptest::option::of(inner.clone()),
            proptest::option::of(inner),
        )
            .prop_map(|(value, l, r)| Tree {
                value,
                left: l.map(Box::new),
                right: r.map(Box::new),
            })
    })
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = any::<i64>().prop_map(|v| Expr {
        head: Box::new(Term::Literal(v)),
    });
    leaf.prop_recursive(4, 8, 1, |inner| {
        inner.prop_map(|e| Expr {
            head: Box::new(Term::Nested(Box::new(e))),
        })
    })
}

fn containers() -> impl Strategy<Value = Containers> {
    (
        (
            vec(vec(any::<i32>(), 0..3), 0..3),
            hash_map(text(), vec(hash_set(any::<i64>(), 0..3), 0..2), 0..3),
            vec(point(), 0..3).prop_map(VecSet),
            vec((point(), text()), 0..3).prop_map(VecMap),
            vec(hash_map(text(), any::<i32>(), 0..2), 0..2).prop_map(VecSet),
        ),
        (
            hash_map(status(), vec(text(), 0..2), 0..3),
            vec(point(), 0..3),
            hash_map(text(), hash_set(any::<i32>(), 0..3), 0..2),
            proptest::option::of(hash_map(any::<i32>(), any::<i64>(), 0..3)),
            vec(shape(), 0..2),
            vec(real(), 0..3).prop_map(VecSet),
            vec(any::<i32>().prop_map(Empty::from), 0..3),
        ),
    )
        .prop_map(
            |(
                (grid, nested, points, labels, maps),
                (by_status, path, index, ids, shapes, reals, empties),
            )| Containers {
                grid,
                nested,
                points,
                labels,
                maps,
                by_status,
                path,
                index,
                ids,
                shapes,
                reals,
                empties,
            },
        )
}

/// Five levels: sets as map keys, structs holding doubles as map keys.
fn deep() -> impl Strategy<Value = Deep> {
    let innermost = vec(vec((point(), text()), 0..2).prop_map(VecMap), 0..2);
    let inner_map = hash_map(any::<i32>(), vec(innermost, 0..2).prop_map(VecSet), 0..2);
    let layer = vec((hash_set(any::<i32>(), 0..3), inner_map), 0..2).prop_map(VecMap);
    vec(layer, 0..3).prop_map(|layers| Deep { layers })
}

fn keywords() -> impl Strategy<Value = Keywords> {
    (
        any::<i32>(),
        text(),
        any::<bool>(),
        any::<i32>(),
        any::<i32>(),
        any::<(i32, i32)>(),
        any::<Option<i32>>(),
        any::<i32>(),
    )
        .prop_map(
            |(r#type, self_, r#match, foo_bar, foo_bar2, (p, h), crate_, r#async)| Keywords {
                r#type,
                self_,
                r#match,
                foo_bar,
                foo_bar2,
                p,
                h,
                crate_,
                r#async,
            },
        )
}

fn inner() -> impl Strategy<Value = Inner> {
    (any::<i32>(), text(), real(), vec(any::<i32>(), 0..4)).prop_map(|(id, name, score, tags)| {
        Inner {
            id,
            name,
            score,
            tags,
        }
    })
}

fn payload() -> impl Strategy<Value = Payload> {
    (
        (any::<i32>(), any::<i64>(), real(), any::<bool>(), text()),
        (
            vec(any::<u8>(), 0..16),
            proptest::option::of(text()),
            vec(any::<i64>(), 0..6),
        ),
        (
            hash_map(text(), any::<i32>(), 0..4),
            hash_set(text(), 0..4),
            inner(),
            vec(inner(), 0..3),
            any::<i32>().prop_map(Kind::from),
        ),
    )
        .prop_map(
            |(
                (count, timestamp, ratio, active, title),
                (raw, note, values),
                (attrs, labels, inner, children, kind),
            )| Payload {
                count,
                timestamp,
                ratio,
                active,
                title,
                raw,
                note,
                values,
                attrs,
                labels,
                inner,
                children,
                kind,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn primitives_round_trip(v in primitives()) { check(&v)?; }

    #[test]
    fn defaults_round_trip(v in defaults()) { check(&v)?; }

    #[test]
    fn containers_round_trip(v in containers()) { check(&v)?; }

    #[test]
    fn unions_round_trip(v in shape()) { check(&v)?; }

    #[test]
    fn empty_union_round_trips_unknown(f in unknown_field()) { check(&Nothing::Unknown(f))?; }

    #[test]
    fn recursive_round_trip(t in tree(), e in expr()) { check(&t)?; check(&e)?; }

    #[test]
    fn keywords_round_trip(v in keywords()) { check(&v)?; }

    #[test]
    fn deep_nesting_round_trips(v in deep()) { check(&v)?; }

    #[test]
    fn enums_round_trip(s in status(), m in btree_map(any::<i32>(), text(), 0..3)) {
        check(&s)?;
        let e = NotFound { message: m.values().cloned().collect(), code: m.keys().next().copied() };
        check(&e)?;
    }

    #[test]
    fn payload_round_trip(v in payload()) { check(&v)?; }
}

#[test]
fn empty_types_round_trip() {
    check(&EmptyStruct {}).unwrap();
    check(&Bare {}).unwrap();
    check(&Option_ { value: 3 }).unwrap();
}

/// A recursive field with no requiredness keyword is an `Option`: the end
/// of a list, as Apache's peers write it (binary: field 2, an `i16`, then
/// stop; no field 1), reads, and chains round-trip.
#[test]
fn recursive_fields_without_a_keyword_may_be_absent() {
    use valid_structs::structs::{CoRec, CoRec2, RecList};
    let last: RecList = binary::decode(&[0x06, 0x00, 0x02, 0x00, 0x05, 0x00]).unwrap();
    assert_eq!(
        last,
        RecList {
            next: None,
            item: 5
        }
    );
    let chain = RecList {
        next: Some(Box::new(RecList {
            next: Some(Box::new(RecList::default())),
            item: 2,
        })),
        item: 1,
    };
    check(&chain).unwrap();
    let co: CoRec = binary::decode(&[0x0c, 0x00, 0x01, 0x00, 0x00]).unwrap();
    assert_eq!(
        co,
        CoRec {
            other: Some(Box::new(CoRec2 { other: None }))
        }
    );
}
