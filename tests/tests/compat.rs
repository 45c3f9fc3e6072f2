//! Forward and backward compatibility between two versions of a schema
//! (`fixtures/compat/v1.thrift` and its newer `v2.thrift`): values written
//! by one are read by the other, in the binary and compact protocols.
//!
//! - newer → older: extra fields of every type, an extra enum value and an
//!   extra union variant are read without error; the unknown enum value and
//!   union variant survive a round trip through the older schema; with
//!   `keep_unknown_fields` the older schema writes back the very same bytes.
//! - older → newer: absent optional fields read as `None`, absent default
//!   fields as their IDL defaults (or the type's default), or as `None`
//!   where the type has none (a union).
#![deny(warnings)]

// The tests use only some generated items; in a user's crate they are
// public API, so unused ones are not dead code there.
#[allow(dead_code)]
#[rustfmt::skip] // generated (prettyplease), compared byte for byte
#[path = "../golden/rs/compat_v2/mod.rs"]
mod new;
#[allow(dead_code)]
#[rustfmt::skip] // generated (prettyplease), compared byte for byte
#[path = "../golden/rs/compat_v1/mod.rs"]
mod old;
#[allow(dead_code)]
#[rustfmt::skip] // generated (prettyplease), compared byte for byte
#[path = "../golden/rs/compat_v1_keep_unknown/mod.rs"]
mod old_keep;

use std::collections::{HashMap, HashSet};
use thriftc_runtime::{Decode, Encode, Result, Uuid, VecSet, binary, compact};

/// A newer record with every field set, the new enum value and the new
/// union variant.
fn newer() -> new::v2::Record {
    use new::v2::*;
    let nested = |a: i32| Nested {
        a,
        b: Some(format!("b{a}")),
    };
    Record {
        id: 7,
        name: "seven".into(),
        stamp: Some(1_700_000_000),
        color: Color::BLUE,
        choice: Some(Choice::Many(vec![nested(1), nested(2)])),
        flag: false,
        tiny: -3,
        short_int: 300,
        ratio: 1.5,
        raw: vec![0, 255, 7],
        key: Uuid::from([9; 16]),
        items: vec![nested(3)],
        tags: HashSet::from(["x".to_owned(), "y".to_owned()]),
        groups: HashMap::from([("g".to_owned(), vec![nested(4), nested(5)])]),
        nested: nested(6),
        other: Some(Color::from(42)),
        extra: Some(Choice::Word("w".into())),
        comment: "new".into(),
        reals: HashMap::from([(1, VecSet(vec![0.5, -2.0]))]),
    }
}

type Codec<T> = (fn(&T) -> Result<Vec<u8>>, fn(&[u8]) -> Result<T>);

fn protocols<T: Encode + Decode>() -> [(&'static str, Codec<T>); 2] {
    [
        ("binary", (binary::encode::<T>, binary::decode::<T>)),
        ("compact", (compact::encode::<T>, compact::decode::<T>)),
    ]
}

#[test]
fn newer_is_read_by_older() {
    let new = newer();
    for ((name, (enc2, _)), (_, (enc1, dec1))) in protocols::<new::v2::Record>()
        .into_iter()
        .zip(protocols::<old::v1::Record>())
    {
        let bytes = enc2(&new).unwrap();
        let old = dec1(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(old.id, 7, "{name}");
        assert_eq!(old.name, "seven");
        assert_eq!(old.stamp, Some(1_700_000_000));
        // The value this schema does not declare is kept as a number.
        assert_eq!(i32::from(old.color), 3);
        assert_eq!(old.color.name(), None);
        assert!(
            matches!(old.choice, Some(old::v1::Choice::Unknown(ref f)) if f.id == 3),
            "{name}: {:?}",
            old.choice
        );

        // Written back by the older schema, read by the newer one: the
        // enum value and union variant survive; the fields the older
        // schema skipped read as the newer schema's defaults.
        let again: new::v2::Record = protocols::<new::v2::Record>()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, (_, dec2))| dec2(&enc1(&old).unwrap()).unwrap())
            .unwrap();
        assert_eq!(again.color, new::v2::Color::BLUE);
        assert_eq!(again.choice, new.choice);
        assert!(again.flag, "IDL default");
        assert_eq!(again.tiny, 7);
        assert_eq!(again.ratio, 0.25);
        assert_eq!(again.comment, "none");
        assert_eq!(again.short_int, 0);
        assert!(again.items.is_empty());
        assert_eq!(again.other, None);
        assert_eq!(again.extra, None);
    }
}

#[test]
fn older_keeping_unknown_fields_writes_the_same_bytes() {
    let new = newer();
    for ((name, (enc2, dec2)), (_, (enc1, dec1))) in protocols::<new::v2::Record>()
        .into_iter()
        .zip(protocols::<old_keep::v1::Record>())
    {
        let bytes = enc2(&new).unwrap();
        let old = dec1(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(old.unknown_fields.len(), 14, "{name}: fields 6..=19");
        let written = enc1(&old).unwrap();
        assert_eq!(
            written, bytes,
            "{name}: a proxy on the old IDL loses nothing"
        );
        assert_eq!(dec2(&written).unwrap(), new, "{name}");
    }
}

#[test]
fn older_is_read_by_newer() {
    let old = old::v1::Record {
        id: 1,
        name: "one".into(),
        stamp: None,
        color: old::v1::Color::GREEN,
        choice: Some(old::v1::Choice::Number(5)),
    };
    for ((name, (enc1, _)), (_, (_, dec2))) in protocols::<old::v1::Record>()
        .into_iter()
        .zip(protocols::<new::v2::Record>())
    {
        let new = dec2(&enc1(&old).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = new::v2::Record {
            id: 1,
            name: "one".into(),
            stamp: None,
            color: new::v2::Color::GREEN,
            choice: Some(new::v2::Choice::Number(5)),
            flag: true,
            tiny: 7,
            short_int: 0,
            ratio: 0.25,
            raw: Vec::new(),
            key: Uuid::default(),
            items: Vec::new(),
            tags: HashSet::new(),
            groups: HashMap::new(),
            nested: new::v2::Nested::default(),
            other: None,
            extra: None,
            comment: "none".into(),
            reals: HashMap::new(),
        };
        assert_eq!(new, expected, "{name}");
    }
}

/// `choice` has no requiredness keyword and its type, a union, has no
/// default value: a peer that leaves it out (as Apache's generators and
/// thriftpy2 leave out any unset field not `required`) is read, not
/// refused, as `None`, and `None` is not written.
#[test]
fn a_union_field_left_out_reads_as_none() {
    let record = old::v1::Record {
        id: 3,
        name: "three".into(),
        ..old::v1::Record::default()
    };
    assert_eq!(record.choice, None);
    // What such a peer sends: fields 1 and 2 (and `color`), no field 5.
    let bytes = binary::encode(&record).unwrap();
    assert!(!bytes.windows(3).any(|w| w == [12, 0, 5]), "{bytes:?}");
    let back: new::v2::Record = binary::decode(&bytes).unwrap();
    assert_eq!((back.id, back.choice), (3, None));
    let back: old::v1::Record = compact::decode(&compact::encode(&record).unwrap()).unwrap();
    assert_eq!(back, record);
}

#[test]
fn nested_structs_with_extra_fields_are_read() {
    // A newer `Nested` (with `b`) inside a list, read as the older one.
    let items = vec![
        new::v2::Nested {
            a: 1,
            b: Some("x".into()),
        },
        new::v2::Nested { a: 2, b: None },
    ];
    let bytes = binary::encode(&items).unwrap();
    let old: Vec<old::v1::Nested> = binary::decode(&bytes).unwrap();
    assert_eq!(
        old,
        vec![old::v1::Nested { a: 1 }, old::v1::Nested { a: 2 }]
    );
}
