//! Compiles every golden file (`tests/golden/rs/all.rs`) with
//! `#![deny(warnings)]`; `cargo clippy -p thriftc-tests --all-targets -- -D
//! warnings` (part of `cargo xtask ci`) lints them. The tests below check
//! behaviour the generated API promises.
#![deny(warnings)]

// The test uses only some generated items; in a user's crate they are
// public API, so unused ones are not dead code there.
#[allow(dead_code)]
#[rustfmt::skip] // generated (prettyplease), compared byte for byte
#[path = "../golden/rs/all.rs"]
mod golden;

// Mounted as users often do, under the IDL file's name: the module inside
// then has its parent's name, which clippy's `module_inception` would
// refuse (`-D warnings`) but for the generated `mod.rs`'s `allow` (the
// folder is mounted in `golden` too).
#[allow(dead_code)]
#[rustfmt::skip]
#[allow(clippy::duplicate_mod)]
#[path = "../golden/rs/base_types/mod.rs"]
mod base_types;

use golden::idl_codegen_types::common_types::{Level, Point};
use golden::idl_codegen_types::types::*;
use thriftc_runtime::Encode;
use thriftc_runtime::binary::{decode, encode as try_encode};

#[test]
fn enums_keep_unknown_values() {
    assert_eq!(Status::from(7), Status::ACTIVE);
    assert_eq!(i32::from(Status::RETIRED), -2);
    assert_eq!(format!("{:?}", Status::from(99)), "Status(99)");
    assert_eq!(format!("{:?}", Status::UNKNOWN), "UNKNOWN");
    assert_eq!(Status::default(), Status::UNKNOWN);
    assert_eq!(Status::NEXT_ONE.0, -1);
    assert_eq!(Status::VALUES.len(), 4);
    assert_eq!(Level::default(), Level::LOW);
}

#[test]
fn enum_aliases_share_a_value_and_print_as_the_first_name() {
    use golden::idl_consts::consts::{FLOOR, Level};
    assert_eq!(Level::MINIMUM, Level::LOW);
    assert_eq!(FLOOR, Level::LOW);
    assert_eq!(format!("{:?}", Level::MAXIMUM), "HIGH");
    assert_eq!(Level::MINIMUM.name(), Some("LOW"));
    // Each number once, under its first name.
    assert_eq!(Level::VALUES, [Level::LOW, Level::HIGH]);
}

#[test]
fn doubles_far_from_one_keep_their_value() {
    use golden::idl_consts::consts::{Extremes, HUGE, LARGEST, SMALLEST, THOUSAND, TINY, WIDE};
    assert_eq!(LARGEST, f64::MAX);
    assert_eq!(HUGE.to_bits(), 1.7e308_f64.to_bits());
    assert_eq!(TINY.to_bits(), 1e-300_f64.to_bits());
    // The least subnormal double.
    assert_eq!(SMALLEST.to_bits(), 1);
    assert_eq!(THOUSAND.to_bits(), 1000_f64.to_bits());
    assert_eq!(WIDE.to_bits(), 123_456_789_012_345_680_000_f64.to_bits());
    let d = Extremes::default();
    assert_eq!(d.largest, f64::MAX);
    assert_eq!(d.tiny.to_bits(), (-1e-300_f64).to_bits());
    assert_eq!(d.both.len(), 2);
    assert_eq!(d.both[1].to_bits(), 1);
}

#[test]
fn defaults_follow_the_idl() {
    let d = Defaults::default();
    assert_eq!(d.plain, 42);
    assert_eq!(d.opt_text.as_deref(), Some("hello"));
    assert_eq!(d.text, "world");
    assert_eq!(d.nums, vec![1, 2, 3]);
    assert_eq!(d.weights.get("b"), Some(&2));
    assert_eq!(d.status, Status::ACTIVE);
    assert_eq!(d.level, Level::HIGH);
    assert_eq!(d.origin, Point { x: 1.5, y: -2.0 });
    assert!(d.on);
    assert_eq!(d.blob, b"bytes".to_vec());
    assert_eq!(d.maybe, None);
}

#[test]
fn constants() {
    assert_eq!(LIMIT, 10);
    assert_eq!(BIG, i64::MIN);
    assert_eq!(GREETING, "hi \"there\"");
    assert_eq!(MAGIC, b"magic");
    assert_eq!(WORDS.len(), 2);
    assert_eq!(NUMBERS.get(&2).map(String::as_str), Some("two"));
    assert!(PRIMES.contains(&5));
    assert_eq!(*UNIT, Shape::Radius(1.0));
    assert_eq!(DEFAULT_STATUS, Status::RETIRED);
    assert_eq!(NIL_ID.0[15], 1);
}

#[test]
fn exceptions_are_errors() {
    let e: Box<dyn std::error::Error> = Box::new(NotFound {
        message: "gone".into(),
        code: Some(4),
    });
    assert!(e.to_string().contains("gone"));
}

fn encode<T: Encode>(v: &T) -> Vec<u8> {
    try_encode(v).unwrap()
}

#[test]
fn required_field_missing_is_invalid_data() {
    // An empty struct: STOP only.
    let err = decode::<Defaults>(&[0]).unwrap_err();
    assert_eq!(
        err.protocol_kind(),
        Some(thriftc_runtime::ProtocolErrorKind::InvalidData)
    );
    assert!(err.to_string().contains("must"), "{err}");
    assert!(err.to_string().contains("Defaults"), "{err}");
}

#[test]
fn absent_fields_read_as_idl_defaults() {
    // Only field 1 (`must`, i32) set.
    let d: Defaults = decode(&[8, 0, 1, 0, 0, 0, 5, 0]).unwrap();
    assert_eq!(d.must, 5);
    assert_eq!(d.plain, 42);
    assert_eq!(d.text, "world");
    assert_eq!(d.opt_text, None);
}

#[test]
fn unions() {
    let empty = decode::<Shape>(&[0]).unwrap_err();
    assert!(empty.to_string().contains("no field"), "{empty}");
    // Two known fields: radius (2, double) and label (3, string).
    let mut two = vec![4, 0, 2];
    two.extend_from_slice(&1.0f64.to_be_bytes());
    two.extend_from_slice(&[11, 0, 3, 0, 0, 0, 1, b'x', 0]);
    assert!(decode::<Shape>(&two).is_err());
    // An unknown variant (id 9, i32) is kept and written back as read.
    let unknown = [8, 0, 9, 0, 0, 0, 1, 0];
    let s: Shape = decode(&unknown).unwrap();
    assert!(matches!(s, Shape::Unknown2(_)), "{s:?}");
    assert_eq!(encode(&s), unknown);
    // The empty union reads only unknown variants.
    let n: Nothing = decode(&unknown).unwrap();
    assert_eq!(encode(&n), unknown);
}

#[test]
fn wrong_wire_type_is_skipped() {
    // Field 1 of Tree (`value`, i32) sent as a string: skipped.
    let bytes = [11, 0, 1, 0, 0, 0, 2, b'h', b'i', 8, 0, 1, 0, 0, 0, 3, 0];
    let t: Tree = decode(&bytes).unwrap();
    assert_eq!(t.value, 3);
}
