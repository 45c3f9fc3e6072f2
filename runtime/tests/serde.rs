//! The serde representations of the runtime's types (feature `serde`),
//! through JSON: exact text for each kind of unknown value, round trips
//! that keep everything the wire would (element types of empty
//! containers, order, duplicates, non-UTF-8 bytes), and bad input that is
//! refused without panicking.

use thriftc_runtime::protocol::TType;
use thriftc_runtime::{
    BinaryProtocol, CompactProtocol, Limits, UnknownField, Uuid, Value, VecMap, VecSet,
};

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("serialize")
}

fn back<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn field(id: i16, value: Value) -> UnknownField {
    UnknownField { id, value }
}

/// One value of every wire type, nested.
fn every_kind() -> Value {
    Value::Struct(vec![
        field(1, Value::Bool(true)),
        field(2, Value::I8(-8)),
        field(3, Value::I16(-16)),
        field(4, Value::I32(1 << 20)),
        field(5, Value::I64(i64::MIN)),
        field(6, Value::Double(-0.25)),
        field(7, Value::Bytes(b"text".to_vec())),
        field(8, Value::Bytes(vec![0xff, 0, 0x80])),
        field(9, Value::Uuid([0xab; 16])),
        field(
            10,
            Value::List {
                elem: TType::Struct,
                items: vec![
                    Value::Struct(vec![]),
                    Value::Struct(vec![field(1, Value::I8(1))]),
                ],
            },
        ),
        field(
            11,
            Value::Set {
                elem: TType::I32,
                items: vec![Value::I32(2), Value::I32(1), Value::I32(2)],
            },
        ),
        field(
            12,
            Value::Map {
                key: TType::String,
                value: TType::List,
                entries: vec![(
                    Value::Bytes(b"k".to_vec()),
                    Value::List {
                        elem: TType::Double,
                        items: vec![],
                    },
                )],
            },
        ),
        field(
            13,
            Value::Map {
                key: TType::I64,
                value: TType::Uuid,
                entries: vec![],
            },
        ),
    ])
}

#[test]
fn unknown_values_have_a_readable_form() {
    let cases = [
        (Value::Bool(false), r#"{"bool":false}"#),
        (Value::I8(-1), r#"{"i8":-1}"#),
        (Value::I16(300), r#"{"i16":300}"#),
        (Value::I32(7), r#"{"i32":7}"#),
        (Value::I64(-7), r#"{"i64":-7}"#),
        (Value::Double(1.5), r#"{"double":1.5}"#),
        (Value::Bytes(b"hi".to_vec()), r#"{"string":"hi"}"#),
        (Value::Bytes(vec![0xc3]), r#"{"binary":[195]}"#),
        (
            Value::Uuid([0x11; 16]),
            r#"{"uuid":"11111111-1111-1111-1111-111111111111"}"#,
        ),
        (
            Value::Struct(vec![field(3, Value::I32(1))]),
            r#"{"struct":[{"id":3,"value":{"i32":1}}]}"#,
        ),
        (
            Value::List {
                elem: TType::String,
                items: vec![],
            },
            r#"{"list":{"elem":"string","items":[]}}"#,
        ),
        (
            Value::Set {
                elem: TType::I8,
                items: vec![Value::I8(1)],
            },
            r#"{"set":{"elem":"i8","items":[{"i8":1}]}}"#,
        ),
        (
            Value::Map {
                key: TType::I16,
                value: TType::Bool,
                entries: vec![(Value::I16(1), Value::Bool(true))],
            },
            r#"{"map":{"key":"i16","value":"bool","entries":[[{"i16":1},{"bool":true}]]}}"#,
        ),
    ];
    for (value, text) in cases {
        assert_eq!(json(&value), text);
        assert_eq!(back::<Value>(text), value, "{text}");
    }
    let f = field(-3, Value::I32(9));
    assert_eq!(json(&f), r#"{"id":-3,"value":{"i32":9}}"#);
    // Fields in any order.
    assert_eq!(back::<UnknownField>(r#"{"value":{"i32":9},"id":-3}"#), f);
}

#[test]
fn unknown_values_round_trip_and_write_the_same_bytes() {
    let v = every_kind();
    let text = json(&v);
    let again: Value = back(&text);
    assert_eq!(again, v);
    // The same wire bytes as the original, in both protocols.
    let (mut a, mut b) = (Vec::new(), Vec::new());
    v.write(&mut BinaryProtocol::new(&mut a, Limits::default()))
        .unwrap();
    again
        .write(&mut BinaryProtocol::new(&mut b, Limits::default()))
        .unwrap();
    assert_eq!(a, b);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    v.write(&mut CompactProtocol::new(&mut a, Limits::default()))
        .unwrap();
    again
        .write(&mut CompactProtocol::new(&mut b, Limits::default()))
        .unwrap();
    assert_eq!(a, b);
}

#[test]
fn bad_unknown_values_are_refused() {
    for (text, needle) in [
        (r#"{"i33":1}"#, "unknown variant `i33`"),
        (r#"{"i8":300}"#, "invalid value"),
        (r#"{"uuid":"not-a-uuid"}"#, "UUID"),
        (
            r#"{"list":{"elem":"i32","items":[{"i64":1}]}}"#,
            "element of type i64 where i32 was declared",
        ),
        (
            r#"{"map":{"key":"i32","value":"i32","entries":[[{"i32":1}]]}}"#,
            "invalid length 1",
        ),
        (
            r#"{"map":{"key":"i32","value":"bool","entries":[[{"i32":1},{"i32":1}]]}}"#,
            "element of type i32 where bool was declared",
        ),
        (r#"{"list":{"elem":"integer","items":[]}}"#, "integer"),
        (r#"{"list":{"elem":"i32"}}"#, "missing field `items`"),
        (
            r#"{"list":{"elem":"i32","elem":"i32","items":[]}}"#,
            "duplicate field `elem`",
        ),
        (r#"{"struct":[{"id":1}]}"#, "missing field `value`"),
        (
            r#"{"struct":[{"id":1,"value":{"i8":1},"x":0}]}"#,
            "unknown field `x`",
        ),
    ] {
        let err = serde_json::from_str::<Value>(text).expect_err(text);
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
}

#[test]
fn unknown_values_nest_a_bounded_depth() {
    // Deeper than the limit, built and as text: refused both ways (and no
    // stack overflow: serde_json alone would stop at 128).
    let mut v = Value::I8(0);
    for _ in 0..70 {
        v = Value::Struct(vec![field(1, v)]);
    }
    let err = serde_json::to_string(&v).expect_err("too deep to write");
    assert!(err.to_string().contains("deeper than 64"), "{err}");
    let mut text = String::from(r#"{"i8":0}"#);
    for _ in 0..70 {
        text = format!(r#"{{"struct":[{{"id":1,"value":{text}}}]}}"#);
    }
    let mut de = serde_json::Deserializer::from_str(&text);
    de.disable_recursion_limit();
    let err = <Value as serde::Deserialize>::deserialize(&mut de).expect_err("too deep to read");
    assert!(err.to_string().contains("deeper than 64"), "{err}");
    // At the limit: fine (serde_json's own limit, 128 levels of JSON,
    // stops it at about 42 levels of structs).
    let mut v = Value::I8(0);
    for _ in 0..63 {
        v = Value::Struct(vec![field(1, v)]);
    }
    let text = json(&v);
    let mut de = serde_json::Deserializer::from_str(&text);
    de.disable_recursion_limit();
    let again = <Value as serde::Deserialize>::deserialize(&mut de).expect("at the limit");
    assert_eq!(again, v);
}

#[test]
fn uuids_are_text_in_json() {
    let u = Uuid::parse_str("6ba7b810-9dad-11d1-80b4-00c04fd430c8").unwrap();
    assert_eq!(json(&u), r#""6ba7b810-9dad-11d1-80b4-00c04fd430c8""#);
    assert_eq!(back::<Uuid>(r#""6BA7B810-9DAD-11D1-80B4-00C04FD430C8""#), u);
    assert!(serde_json::from_str::<Uuid>(r#""6ba7b810""#).is_err());
    // As a map key too.
    let m = std::collections::BTreeMap::from([(u, 1)]);
    let text = json(&m);
    assert_eq!(text, r#"{"6ba7b810-9dad-11d1-80b4-00c04fd430c8":1}"#);
    assert_eq!(back::<std::collections::BTreeMap<Uuid, i32>>(&text), m);
}

#[test]
fn wire_order_collections_keep_order_and_duplicates() {
    let s = VecSet(vec![3, 1, 3]);
    assert_eq!(json(&s), "[3,1,3]");
    assert_eq!(back::<VecSet<i32>>("[3,1,3]"), s);
    let m = VecMap(vec![
        ("b".to_owned(), 1),
        ("a".to_owned(), 2),
        ("b".to_owned(), 3),
    ]);
    let text = json(&m);
    assert_eq!(text, r#"{"b":1,"a":2,"b":3}"#);
    assert_eq!(back::<VecMap<String, i32>>(&text), m);
    // Integer keys, as serde_json writes them for a `HashMap`.
    let m = VecMap(vec![(2i64, 0.5f64), (-1, 1.5)]);
    assert_eq!(json(&m), r#"{"2":0.5,"-1":1.5}"#);
    assert_eq!(back::<VecMap<i64, f64>>(&json(&m)), m);
    // Keys JSON cannot hold are an error, as for a `HashMap`.
    let m = VecMap(vec![(VecSet(vec![1]), 0)]);
    let err = serde_json::to_string(&m).expect_err("a sequence key");
    assert!(err.to_string().contains("key must be a string"), "{err}");
}
