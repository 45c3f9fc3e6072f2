//! The serde representations of the runtime's types (feature `serde`),
//! through JSON and CBOR (a format that is not human-readable): exact text
//! for each kind of unknown value, round trips that keep everything the
//! wire would (element types of empty containers, order, duplicates,
//! non-UTF-8 bytes, the bits of every double), random values whose Thrift
//! bytes survive the detour through serde in both protocols, and hostile
//! input that is refused without panicking, deep recursion or large
//! allocations.

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

/// CBOR: a format that is not human-readable.
fn cbor<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(v, &mut out).expect("serialize");
    out
}

/// Reads CBOR with no nesting limit of the format's own.
fn cbor_back<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    ciborium::de::from_reader_with_recursion_limit(bytes, usize::MAX).map_err(|e| e.to_string())
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
        (Value::Bytes(vec![0xc3]), r#"{"binary":"ww=="}"#),
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

/// `n` lists nested around an `i8`.
fn nested_lists(n: usize) -> Value {
    let mut v = Value::I8(0);
    for _ in 0..n {
        v = Value::List {
            elem: v.ttype(),
            items: vec![v],
        };
    }
    v
}

/// Writes `v` (allowing any depth), and reads it back as the protocol
/// would with the default limits.
fn wire_read(v: &Value, compact: bool) -> thriftc_runtime::Result<Value> {
    let deep = Limits::default().with_max_depth(1000);
    let mut bytes = Vec::new();
    if compact {
        v.write(&mut CompactProtocol::new(&mut bytes, deep))?;
    } else {
        v.write(&mut BinaryProtocol::new(&mut bytes, deep))?;
    }
    if compact {
        Value::read(
            &mut CompactProtocol::new(&bytes[..], Limits::default()),
            v.ttype(),
        )
    } else {
        Value::read(
            &mut BinaryProtocol::new(&bytes[..], Limits::default()),
            v.ttype(),
        )
    }
}

fn wire(v: &Value, compact: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if compact {
        v.write(&mut CompactProtocol::new(&mut out, Limits::default()))
    } else {
        v.write(&mut BinaryProtocol::new(&mut out, Limits::default()))
    }
    .expect("a value that serde accepted writes");
    out
}

/// Reads JSON without serde_json's own nesting limit.
fn unbounded<T: serde::de::DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    T::deserialize(&mut de)
}

#[test]
fn unknown_values_nest_a_bounded_depth() {
    // Deeper than the limit, built and as text: refused both ways (and no
    // stack overflow: serde_json alone would stop at 128).
    let mut v = Value::I8(0);
    for _ in 0..65 {
        v = Value::Struct(vec![field(1, v)]);
    }
    let err = serde_json::to_string(&v).expect_err("too deep to write");
    assert!(err.to_string().contains("deeper than 64"), "{err}");
    let mut text = String::from(r#"{"i8":0}"#);
    for _ in 0..65 {
        text = format!(r#"{{"struct":[{{"id":1,"value":{text}}}]}}"#);
    }
    let err = unbounded::<Value>(&text).expect_err("too deep to read");
    assert!(err.to_string().contains("deeper than 64"), "{err}");
    // Far deeper: refused as early, whatever the format allows.
    let mut text = String::from(r#"{"i8":0}"#);
    for _ in 0..5000 {
        text = format!(r#"{{"list":{{"elem":"list","items":[{text}]}}}}"#);
    }
    let err = unbounded::<Value>(&text).expect_err("far too deep");
    assert!(err.to_string().contains("deeper than 64"), "{err}");
    // At the limit: fine (serde_json's own limit, 128 levels of JSON,
    // stops it at about 42 levels of structs).
    let mut v = Value::I8(0);
    for _ in 0..64 {
        v = Value::Struct(vec![field(1, v)]);
    }
    let text = json(&v);
    assert_eq!(unbounded::<Value>(&text).expect("at the limit"), v);
}

#[test]
fn every_value_the_wire_reads_goes_through_serde() {
    // The protocols read 64 nested containers with the default limits and
    // refuse 65: serde takes exactly as many (the scalar at the bottom
    // does not count), so a value read from the wire always serializes.
    let deepest = nested_lists(64);
    for compact in [false, true] {
        assert_eq!(wire_read(&deepest, compact).expect("64 levels"), deepest);
        assert!(wire_read(&nested_lists(65), compact).is_err());
    }
    let again: Value = unbounded(&json(&deepest)).expect("JSON");
    assert_eq!(again, deepest);
    assert_eq!(cbor_back::<Value>(&cbor(&deepest)).expect("CBOR"), deepest);
    let err = serde_json::to_string(&nested_lists(65)).expect_err("65 levels");
    assert!(err.to_string().contains("deeper than 64"), "{err}");
    let mut out = Vec::new();
    assert!(ciborium::into_writer(&nested_lists(65), &mut out).is_err());
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

#[test]
fn doubles_keep_their_bits() {
    // JSON has no number for NaN or infinity (serde_json writes `null`,
    // which does not read back): those are written as their bits.
    let special = [
        (f64::NAN, r#"{"double_bits":"7ff8000000000000"}"#),
        (-f64::NAN, r#"{"double_bits":"fff8000000000000"}"#),
        (
            f64::from_bits(0x7ff0_0000_0000_0001),
            r#"{"double_bits":"7ff0000000000001"}"#,
        ),
        (f64::INFINITY, r#"{"double_bits":"7ff0000000000000"}"#),
        (f64::NEG_INFINITY, r#"{"double_bits":"fff0000000000000"}"#),
    ];
    for (d, text) in special {
        let v = Value::Double(d);
        assert_eq!(json(&v), text);
        let again: Value = back(text);
        assert_eq!(again, v, "{text}");
        assert_eq!(wire(&again, false), wire(&v, false));
        // CBOR has them: a plain double there.
        let bytes = cbor(&v);
        assert_eq!(cbor_back::<Value>(&bytes).unwrap(), v);
        assert!(bytes.windows(6).any(|w| w == b"double"));
        assert!(!bytes.windows(11).any(|w| w == b"double_bits"));
    }
    // Finite doubles stay numbers, and read back to the same bits (which
    // takes serde_json's `float_roundtrip`).
    for d in [
        -0.0,
        5e-324,
        f64::MAX,
        0.1,
        1.0715660391465826e-75,
        -1.603964615428183e143,
    ] {
        let v = Value::Double(d);
        let text = json(&v);
        assert!(text.starts_with(r#"{"double":"#), "{text}");
        let again: Value = back(&text);
        assert_eq!(again, v, "{text}");
        assert_eq!(wire(&again, true), wire(&v, true));
    }
    // Any double may come as its bits; nothing else does.
    assert_eq!(
        back::<Value>(r#"{"double_bits":"3ff8000000000000"}"#),
        Value::Double(1.5)
    );
    for text in [
        r#"{"double_bits":"7ff800000000000"}"#,
        r#"{"double_bits":"7ff80000000000000"}"#,
        r#"{"double_bits":"+ff8000000000000"}"#,
        r#"{"double_bits":"7ff800000000000g"}"#,
        r#"{"double_bits":9221120237041090560}"#,
        r#"{"double":null}"#,
        r#"{"double":"NaN"}"#,
    ] {
        assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
    }
}

#[test]
fn hostile_json_is_refused() {
    for (text, needle) in [
        (r#"{}"#, "expected value"),
        (r#"{"i32":1,"i64":2}"#, "column 8"),
        (r#"{"I32":1}"#, "unknown variant `I32`"),
        (r#"{"i16":32768}"#, "invalid value"),
        (r#"{"bool":1}"#, "invalid type"),
        (r#"{"string":"\udc00"}"#, "surrogate"),
        (r#"{"string":[104,105]}"#, "invalid type"),
        (r#"{"binary":[256]}"#, "invalid value"),
        (r#"{"binary":[-1]}"#, "invalid value"),
        (r#"{"binary":"a"}"#, "invalid value"),
        (r#"{"binary":"ww="}"#, "invalid value"),
        (r#"{"binary":"w!=="}"#, "invalid value"),
        (r#"{"binary":{}}"#, "invalid type"),
        (r#"{"uuid":"11111111-1111-1111-1111-11111111111"}"#, "UUID"),
        (
            r#"{"uuid":"11111111-1111-1111-1111-1111111111111"}"#,
            "UUID",
        ),
        (r#"{"uuid":"1111111-11111-1111-1111-111111111111"}"#, "UUID"),
        (r#"{"uuid":[1,2,3]}"#, "invalid type"),
        (
            r#"{"struct":[{"id":32768,"value":{"i8":1}}]}"#,
            "invalid value",
        ),
        (
            r#"{"struct":[{"id":-32769,"value":{"i8":1}}]}"#,
            "invalid value",
        ),
        (
            r#"{"struct":[{"id":1,"id":2,"value":{"i8":1}}]}"#,
            "duplicate field `id`",
        ),
        (
            r#"{"struct":[{"id":1,"value":{"i8":1},"value":{"i8":1}}]}"#,
            "duplicate field `value`",
        ),
        (r#"{"struct":[{"value":{"i8":1}}]}"#, "missing field `id`"),
        (r#"{"struct":{"id":1}}"#, "invalid type"),
        (r#"{"list":{}}"#, "missing field `elem`"),
        (
            r#"{"list":{"elem":"stop","items":[{"i8":1}]}}"#,
            "element of type i8 where stop was declared",
        ),
        (
            r#"{"set":{"elem":"void","items":[{"i8":1}]}}"#,
            "element of type i8 where void was declared",
        ),
        (
            r#"{"list":{"elem":"list","items":[{"set":{"elem":"i8","items":[]}}]}}"#,
            "element of type set where list was declared",
        ),
        (
            r#"{"map":{"key":"string","value":"i8","entries":[[{"binary":[255]},{"i16":1}]]}}"#,
            "element of type i16 where i8 was declared",
        ),
        (
            r#"{"map":{"key":"i8","value":"i8","entries":[[{"i16":1},{"i8":1}]]}}"#,
            "element of type i16 where i8 was declared",
        ),
        (
            r#"{"map":{"key":"stop","value":"stop","entries":[[{"i8":1},{"i8":1}]]}}"#,
            "where stop was declared",
        ),
        (
            r#"{"map":{"key":"i8","value":"i8","entries":[[{"i8":1},{"i8":1},{"i8":1}]]}}"#,
            "invalid length 3",
        ),
        (
            r#"{"map":{"key":"i8","value":"i8","entries":[[{"i8":1},{"i8":1},[[[[]]]]]]}}"#,
            "invalid length 3",
        ),
        (
            r#"{"map":{"key":"i8","value":"i8","entries":{}}}"#,
            "invalid type",
        ),
        (
            r#"{"map":{"key":"i8","entries":[]}}"#,
            "missing field `value`",
        ),
        (r#"{"list":{"elem":7,"items":[]}}"#, "invalid type"),
        (
            r#"{"list":{"elem":"binary","items":[]}}"#,
            "unknown variant",
        ),
    ] {
        let err = unbounded::<Value>(text).expect_err(text);
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
    assert!(unbounded::<UnknownField>(r#"{"id":1,"value":{"i8":1},"x":{}}"#).is_err());
    assert!(unbounded::<UnknownField>(r#"[1,{"i8":1},2]"#).is_err());
    // Odd but valid input: what is accepted writes in both protocols and
    // reads back as it was.
    for text in [
        r#"{"list":{"elem":"stop","items":[]}}"#,
        r#"{"set":{"elem":"void","items":[]}}"#,
        r#"{"map":{"key":"void","value":"stop","entries":[]}}"#,
        r#"{"binary":"text"}"#,
        r#"{"binary":[]}"#,
        r#"{"string":""}"#,
        r#"{"double":1}"#,
        r#"{"uuid":"ABCDEF01-2345-6789-abcd-ef0123456789"}"#,
        r#"{"struct":[{"id":-32768,"value":{"i8":1}},{"id":-32768,"value":{"i8":2}}]}"#,
        r#"{"struct":[[32767,{"bool":false}]]}"#,
        r#"{"set":{"elem":"i8","items":[{"i8":1},{"i8":1}]}}"#,
        r#"{"map":{"key":"double","value":"uuid","entries":[[{"double_bits":"7ff8000000000000"},{"uuid":"00000000-0000-0000-0000-000000000000"}]]}}"#,
    ] {
        let v: Value = back(text);
        for compact in [false, true] {
            let again = wire_read(&v, compact).unwrap_or_else(|e| panic!("{text}: {e}"));
            // The compact protocol writes an empty map as one byte, no
            // types; the bytes are the same.
            assert_eq!(wire(&again, compact), wire(&v, compact), "{text}");
            if !compact {
                assert_eq!(again, v, "{text}");
            }
        }
    }
}

#[test]
fn surplus_elements_are_refused_unread() {
    // A 17th byte of a UUID, a third item of a map entry: refused before
    // they are read, so their nesting costs nothing even in a format that
    // does not bound it (CBOR read here with no recursion limit; skipping
    // the surplus would overflow the stack).
    let deep = |prefix: &[u8]| {
        let mut b = prefix.to_vec();
        b.extend(std::iter::repeat_n(0x81, 1_000_000));
        b.push(0);
        b
    };
    // An array of 17 items where a UUID's 16 bytes go.
    let mut uuid = vec![0x91];
    uuid.extend([0; 16]);
    let uuid = deep(&uuid);
    // {"map": {"key": "i8", "value": "i8", "entries": [[k, v, surplus]]}}
    let mut map = vec![0xa1, 0x63];
    map.extend(b"map");
    map.extend([0xa3, 0x63]);
    map.extend(b"key");
    map.extend([0x62]);
    map.extend(b"i8");
    map.extend([0x65]);
    map.extend(b"value");
    map.extend([0x62]);
    map.extend(b"i8");
    map.extend([0x67]);
    map.extend(b"entries");
    map.extend([0x81, 0x83]);
    for _ in 0..2 {
        map.extend([0xa1, 0x62]);
        map.extend(b"i8");
        map.push(1);
    }
    let map = deep(&map);
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let err = cbor_back::<Uuid>(&uuid).expect_err("17 items");
            assert!(err.contains("invalid length 17"), "{err}");
            let err = cbor_back::<Value>(&map).expect_err("3 items");
            assert!(err.contains("invalid length 3"), "{err}");
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn huge_declared_sizes_reserve_little() {
    // CBOR declares lengths up front; 2^64 - 1 items at every level of the
    // deepest value reserve a bounded amount, then fail at the end of
    // input.
    let mut b = Vec::new();
    for _ in 0..64 {
        // {"list": {"elem": "list", "items": [2^64 - 1 items...
        b.extend([0xa1, 0x64]);
        b.extend(b"list");
        b.extend([0xa2, 0x64]);
        b.extend(b"elem");
        b.extend([0x64]);
        b.extend(b"list");
        b.extend([0x65]);
        b.extend(b"items");
        b.extend([0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    }
    let err = cbor_back::<Value>(&b).expect_err("truncated");
    assert!(err.contains("Eof"), "{err}");
    // The same as a byte string and as a struct's fields.
    for prefix in [&b"\xa1\x66binary\x5b"[..], &b"\xa1\x66struct\x9b"[..]] {
        let mut b = prefix.to_vec();
        b.extend([0xff; 8]);
        assert!(cbor_back::<Value>(&b).is_err());
    }
    let mut b = vec![0xbb];
    b.extend([0xff; 8]);
    assert!(cbor_back::<VecMap<i32, i32>>(&b).is_err());
}

#[test]
fn only_uuids_differ_between_readable_and_binary_formats() {
    let u = Uuid([0x5a; 16]);
    let mut expected = vec![0x50];
    expected.extend([0x5a; 16]);
    assert_eq!(cbor(&u), expected, "16 bytes in CBOR");
    assert_eq!(cbor_back::<Uuid>(&expected).unwrap(), u);
    for bad in [&[0x4f][..], &[0x51][..]] {
        let mut b = bad.to_vec();
        b.extend([0x5a; 17]);
        let b = &b[..(bad[0] & 0x1f) as usize + 1];
        assert!(cbor_back::<Uuid>(b).is_err());
    }
    // Everything else has the same shape in both: CBOR's reading of the
    // JSON document (through `ciborium::Value`) equals the CBOR document,
    // once UUIDs and non-finite doubles are taken out.
    let mut v = every_kind();
    if let Value::Struct(fields) = &mut v {
        fields.retain(|f| !matches!(f.value, Value::Uuid(_)));
        fields.retain(|f| !matches!(&f.value, Value::Map { value, .. } if *value == TType::Uuid));
    }
    let from_json: ciborium::Value = serde_json::from_str(&json(&v)).unwrap();
    let from_cbor: ciborium::Value = cbor_back(&cbor(&v)).unwrap();
    // JSON has no byte strings: `binary` is base64 text there.
    assert_eq!(from_json, normalize(from_cbor));
    assert_eq!(
        cbor_back::<Value>(&cbor(&every_kind())).unwrap(),
        every_kind()
    );
    let s = VecSet(vec![Uuid::NIL]);
    assert_eq!(cbor_back::<VecSet<Uuid>>(&cbor(&s)).unwrap(), s);
    let m = VecMap(vec![(Uuid::NIL, 1.5), (Uuid::NIL, 2.5)]);
    assert_eq!(cbor_back::<VecMap<Uuid, f64>>(&cbor(&m)).unwrap(), m);
}

/// Byte strings as base64 text, as JSON writes them.
fn normalize(v: ciborium::Value) -> ciborium::Value {
    use ciborium::Value as C;
    match v {
        C::Bytes(b) => C::Text(base64(&b)),
        C::Array(a) => C::Array(a.into_iter().map(normalize).collect()),
        C::Map(m) => C::Map(
            m.into_iter()
                .map(|(k, v)| (normalize(k), normalize(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Standard base64 with padding, written the slow way: an oracle for the
/// runtime's.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bits: String = bytes.iter().map(|b| format!("{b:08b}")).collect();
    let mut out: String = bits
        .as_bytes()
        .chunks(6)
        .map(|c| {
            let mut six = String::from_utf8(c.to_vec()).unwrap();
            while six.len() < 6 {
                six.push('0');
            }
            A[usize::from_str_radix(&six, 2).unwrap()] as char
        })
        .collect();
    while out.len() % 4 != 0 {
        out.push('=');
    }
    out
}

mod random {
    //! Random unknown values: their Thrift bytes, read, sent through JSON
    //! or CBOR and written again, are the bytes they were read from.

    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    const TYPES: [TType; 14] = [
        TType::Stop,
        TType::Void,
        TType::Bool,
        TType::I8,
        TType::I16,
        TType::I32,
        TType::I64,
        TType::Double,
        TType::String,
        TType::Struct,
        TType::Map,
        TType::Set,
        TType::List,
        TType::Uuid,
    ];

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<bool>().prop_map(Value::Bool),
            any::<i8>().prop_map(Value::I8),
            any::<i16>().prop_map(Value::I16),
            any::<i32>().prop_map(Value::I32),
            any::<i64>().prop_map(Value::I64),
            // Any bits: NaNs with payloads, infinities, subnormals.
            any::<u64>().prop_map(|b| Value::Double(f64::from_bits(b))),
            prop_oneof![
                Just(f64::NAN),
                Just(-f64::NAN),
                Just(f64::INFINITY),
                Just(0.1)
            ]
            .prop_map(Value::Double),
            vec(0x20u8..0x7f, 0..6).prop_map(Value::Bytes),
            vec(any::<u8>(), 0..6).prop_map(Value::Bytes),
            any::<[u8; 16]>().prop_map(Value::Uuid),
        ]
    }

    /// The declared type: the first element's, else any (an empty
    /// container keeps it); elements of another type are dropped.
    fn declared(items: &[Value], t: usize) -> TType {
        items.first().map_or(TYPES[t], Value::ttype)
    }

    fn value() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(5, 48, 4, |inner| {
            prop_oneof![
                vec((any::<i16>(), inner.clone()), 0..4).prop_map(|fs| {
                    Value::Struct(fs.into_iter().map(|(id, value)| field(id, value)).collect())
                }),
                (vec(inner.clone(), 0..4), 0..TYPES.len(), any::<bool>()).prop_map(
                    |(items, t, set)| {
                        let elem = declared(&items, t);
                        let items = items.into_iter().filter(|v| v.ttype() == elem).collect();
                        if set {
                            Value::Set { elem, items }
                        } else {
                            Value::List { elem, items }
                        }
                    }
                ),
                (
                    vec((inner.clone(), inner), 0..4),
                    0..TYPES.len(),
                    0..TYPES.len()
                )
                    .prop_map(|(entries, k, v)| {
                        let keys: Vec<Value> = entries.iter().map(|e| e.0.clone()).collect();
                        let values: Vec<Value> = entries.iter().map(|e| e.1.clone()).collect();
                        let (key, value) = (declared(&keys, k), declared(&values, v));
                        let entries = entries
                            .into_iter()
                            .filter(|(k, v)| k.ttype() == key && v.ttype() == value)
                            .collect();
                        Value::Map {
                            key,
                            value,
                            entries,
                        }
                    }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn thrift_bytes_survive_serde(v in value(), id in any::<i16>()) {
            for compact in [false, true] {
                let bytes = wire(&v, compact);
                let read = wire_read(&v, compact).expect("read back");
                let text = json(&read);
                let from_json: Value = unbounded(&text).expect("JSON");
                prop_assert_eq!(&from_json, &read, "{}", text);
                prop_assert_eq!(wire(&from_json, compact), bytes.clone());
                let from_cbor: Value = cbor_back(&cbor(&read)).expect("CBOR");
                prop_assert_eq!(&from_cbor, &read);
                prop_assert_eq!(wire(&from_cbor, compact), bytes);
            }
            let f = field(id, v);
            prop_assert_eq!(unbounded::<UnknownField>(&json(&f)).expect("field"), f.clone());
            prop_assert_eq!(cbor_back::<UnknownField>(&cbor(&f)).expect("field"), f);
        }
    }
}

mod adapters {
    //! The adapters of `serde_as`, which the generator's option `serde`
    //! puts on `binary` and `double` fields, used by hand as their docs
    //! allow: base64 and exact doubles in JSON, bytes and plain doubles in
    //! CBOR, through options, boxes, lists, sets and maps.

    use super::*;
    use proptest::prelude::*;
    use serde::de::DeserializeOwned;
    use std::collections::{BTreeMap, BTreeSet, HashSet};
    use std::marker::PhantomData;
    use thriftc_runtime::serde_as::{
        As, Binary, Boxed, DeserializeAs, Double, List, Map, Opt, Same, SerializeAs, Set,
    };

    /// `value`, written as the adapter `A` says.
    struct Out<'a, A, T>(&'a T, PhantomData<A>);

    impl<A: SerializeAs<T>, T> serde::Serialize for Out<'_, A, T> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            As::<A>::serialize(self.0, s)
        }
    }

    /// A value read as the adapter `A` says.
    struct In<A, T>(T, PhantomData<A>);

    impl<'de, A: DeserializeAs<'de, T>, T> serde::Deserialize<'de> for In<A, T> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            As::<A>::deserialize(d).map(|v| In(v, PhantomData))
        }
    }

    fn to_json<A: SerializeAs<T>, T>(v: &T) -> String {
        json(&Out::<A, T>(v, PhantomData))
    }

    fn from_json<A, T>(text: &str) -> Result<T, String>
    where
        In<A, T>: DeserializeOwned,
    {
        serde_json::from_str::<In<A, T>>(text)
            .map(|v| v.0)
            .map_err(|e| e.to_string())
    }

    fn to_cbor<A: SerializeAs<T>, T>(v: &T) -> Vec<u8> {
        cbor(&Out::<A, T>(v, PhantomData))
    }

    fn from_cbor<A, T>(bytes: &[u8]) -> Result<T, String>
    where
        In<A, T>: DeserializeOwned,
    {
        cbor_back::<In<A, T>>(bytes).map(|v| v.0)
    }

    #[test]
    fn binary_is_base64_in_json_and_bytes_in_cbor() {
        let v = vec![0u8, 0x80, 0xff];
        assert_eq!(to_json::<Binary, _>(&v), r#""AID/""#);
        assert_eq!(from_json::<Binary, Vec<u8>>(r#""AID/""#).unwrap(), v);
        assert_eq!(to_cbor::<Binary, _>(&v), [0x43, 0, 0x80, 0xff]);
        assert_eq!(
            from_cbor::<Binary, Vec<u8>>(&[0x43, 0, 0x80, 0xff]).unwrap(),
            v
        );
        // serde's own form of a `Vec<u8>` still reads, in both formats.
        assert_eq!(from_json::<Binary, Vec<u8>>("[0,128,255]").unwrap(), v);
        assert_eq!(
            from_cbor::<Binary, Vec<u8>>(&[0x83, 0, 0x18, 0x80, 0x18, 0xff]).unwrap(),
            v
        );
        // Without padding too; nothing that no encoder writes.
        assert_eq!(from_json::<Binary, Vec<u8>>(r#""aGk""#).unwrap(), b"hi");
        assert_eq!(from_json::<Binary, Vec<u8>>(r#""""#).unwrap(), b"");
        for bad in [
            r#""a""#,
            r#""aGk=a""#,
            r#""aGl=""#,
            r#""aG k""#,
            r#""aGk-""#,
            "256",
            "[256]",
            "{}",
            "true",
        ] {
            let err = from_json::<Binary, Vec<u8>>(bad).expect_err(bad);
            assert!(err.contains("invalid"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_huge_announced_length_reserves_little() {
        // A CBOR array announcing 2^32 - 1 binaries, with none following:
        // an error at the end of input, not an allocation of that size.
        let bytes = [0x9a, 0xff, 0xff, 0xff, 0xff];
        assert!(from_cbor::<List<Binary>, Vec<Vec<u8>>>(&bytes).is_err());
        let bytes = [0xba, 0xff, 0xff, 0xff, 0xff];
        assert!(from_cbor::<Map<Binary, Double>, BTreeMap<Vec<u8>, f64>>(&bytes).is_err());
    }

    #[test]
    fn doubles_keep_their_bits_in_json() {
        let nan_payload = f64::from_bits(0xfff8_0000_dead_beef);
        for (v, text) in [
            (1.5, "1.5"),
            (-0.0, "-0.0"),
            (f64::MIN_POSITIVE / 4.0, "5.562684646268003e-309"),
            (f64::NAN, r#"{"double_bits":"7ff8000000000000"}"#),
            (nan_payload, r#"{"double_bits":"fff80000deadbeef"}"#),
            (f64::INFINITY, r#"{"double_bits":"7ff0000000000000"}"#),
            (f64::NEG_INFINITY, r#"{"double_bits":"fff0000000000000"}"#),
        ] {
            assert_eq!(to_json::<Double, _>(&v), text);
            let back = from_json::<Double, f64>(text).unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{text}");
            // CBOR carries every double as it is.
            let back = from_cbor::<Double, f64>(&to_cbor::<Double, _>(&v)).unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{text} in CBOR");
        }
        // Thrift's JSON protocol's names, and integers, read too.
        for (text, v) in [
            (r#""NaN""#, f64::NAN),
            (r#""Infinity""#, f64::INFINITY),
            (r#""-Infinity""#, f64::NEG_INFINITY),
            ("3", 3.0),
            ("-3", -3.0),
            (r#""1.5""#, 1.5),
            (r#""-2e3""#, -2000.0),
            (r#""0""#, 0.0),
            (r#""-0.0""#, -0.0),
            (r#""2.5E-1""#, 0.25),
            (r#""1e+2""#, 100.0),
        ] {
            let back = from_json::<Double, f64>(text).unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{text}");
        }
        for bad in [
            r#""nan""#,
            r#""inf""#,
            r#""+1.5""#,
            r#"".5""#,
            r#""1e999""#,
            r#""1.5 ""#,
            r#""-.5""#,
            r#""1.""#,
            r#""01""#,
            r#""1e""#,
            r#""1e+""#,
            r#""-""#,
            r#""""#,
            r#"{"double_bits":"7ff8"}"#,
            r#"{"double_bits":"7ff800000000000g"}"#,
            r#"{"double_bits":"7ff8000000000000","x":1}"#,
            r#"{"bits":"7ff8000000000000"}"#,
            "{}",
            "null",
            "[1.5]",
        ] {
            assert!(from_json::<Double, f64>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers_read_under_serde_json_arbitrary_precision() {
        use serde::de::value::{Error, MapDeserializer};
        // With that feature, serde_json hands a number to a visitor that
        // asks for any value as a one-entry map holding its text.
        let read = |k: &'static str, v: &'static str| -> Result<f64, Error> {
            As::<Double>::deserialize(MapDeserializer::<_, Error>::new([(k, v)].into_iter()))
        };
        let number = "$serde_json::private::Number";
        assert_eq!(read(number, "1.5").unwrap(), 1.5);
        assert_eq!(read(number, "-2e3").unwrap(), -2000.0);
        assert!(read(number, "1e999").is_err());
        assert!(read(number, "NaN").is_err());
        assert!(
            read("double_bits", "7ff0000000000000")
                .unwrap()
                .is_infinite()
        );
        assert!(read("other", "1.5").is_err());
    }

    #[test]
    fn containers_apply_their_adapters() {
        let blobs: Vec<Vec<u8>> = vec![b"hi".to_vec(), vec![]];
        assert_eq!(to_json::<List<Binary>, _>(&blobs), r#"["aGk=",""]"#);
        assert_eq!(
            from_json::<List<Binary>, Vec<Vec<u8>>>(r#"["aGk=",""]"#).unwrap(),
            blobs
        );

        let some: Option<Vec<u8>> = Some(b"a".to_vec());
        assert_eq!(to_json::<Opt<Binary>, _>(&some), r#""YQ==""#);
        assert_eq!(to_json::<Opt<Binary>, _>(&None::<Vec<u8>>), "null");
        assert_eq!(
            from_json::<Opt<Binary>, Option<Vec<u8>>>("null").unwrap(),
            None
        );
        assert_eq!(
            from_json::<Opt<Binary>, Option<Vec<u8>>>(r#""YQ==""#).unwrap(),
            some
        );

        let boxed = Box::new(f64::NAN);
        let text = to_json::<Boxed<Double>, _>(&boxed);
        assert_eq!(text, r#"{"double_bits":"7ff8000000000000"}"#);
        assert!(
            from_json::<Boxed<Double>, Box<f64>>(&text)
                .unwrap()
                .is_nan()
        );

        let set: BTreeSet<Vec<u8>> = [b"b".to_vec(), b"a".to_vec()].into();
        assert_eq!(to_json::<Set<Binary>, _>(&set), r#"["YQ==","Yg=="]"#);
        assert_eq!(
            from_json::<Set<Binary>, BTreeSet<Vec<u8>>>(r#"["Yg==","YQ==","YQ"]"#).unwrap(),
            set
        );
        let hashed: HashSet<Vec<u8>> = [b"a".to_vec()].into();
        assert_eq!(to_json::<Set<Binary>, _>(&hashed), r#"["YQ=="]"#);
        assert_eq!(
            from_json::<Set<Binary>, HashSet<Vec<u8>>>(r#"["YQ==","YQ"]"#).unwrap(),
            hashed
        );
        // A `VecSet` keeps order and duplicates.
        let wire = VecSet(vec![b"b".to_vec(), b"a".to_vec(), b"b".to_vec()]);
        let text = to_json::<Set<Binary>, _>(&wire);
        assert_eq!(text, r#"["Yg==","YQ==","Yg=="]"#);
        assert_eq!(
            from_json::<Set<Binary>, VecSet<Vec<u8>>>(&text).unwrap(),
            wire
        );

        // Binary keys are JSON object keys.
        let map: BTreeMap<Vec<u8>, f64> = [(vec![0xff], f64::INFINITY), (vec![], 0.5)].into();
        let text = to_json::<Map<Binary, Double>, _>(&map);
        assert_eq!(
            text,
            r#"{"":0.5,"/w==":{"double_bits":"7ff0000000000000"}}"#
        );
        assert_eq!(
            from_json::<Map<Binary, Double>, BTreeMap<Vec<u8>, f64>>(&text).unwrap(),
            map
        );
        let wire = VecMap(vec![(vec![1u8], 1.0), (vec![1u8], f64::NEG_INFINITY)]);
        let text = to_json::<Map<Binary, Double>, _>(&wire);
        assert_eq!(
            text,
            r#"{"AQ==":1.0,"AQ==":{"double_bits":"fff0000000000000"}}"#
        );
        assert_eq!(
            from_json::<Map<Binary, Double>, VecMap<Vec<u8>, f64>>(&text).unwrap(),
            wire
        );
        // Double keys are JSON strings; only finite ones can be written.
        let reals = VecMap(vec![(1.5, 1), (-0.0, 2)]);
        let text = to_json::<Map<Double, Same>, _>(&reals);
        assert_eq!(text, r#"{"1.5":1,"-0.0":2}"#);
        let back = from_json::<Map<Double, Same>, VecMap<f64, i32>>(&text).unwrap();
        assert_eq!(back.0[1].0.to_bits(), (-0.0f64).to_bits());
        assert_eq!(back, reals);
        let nan_key = VecMap(vec![(f64::NAN, 1)]);
        let err = serde_json::to_string(&Out::<Map<Double, Same>, _>(&nan_key, PhantomData));
        assert!(err.is_err(), "a NaN key in JSON");
        let nested: BTreeMap<i32, Vec<f64>> = [(1, vec![f64::NAN, 2.0])].into();
        let text = to_json::<Map<Same, List<Double>>, _>(&nested);
        assert_eq!(text, r#"{"1":[{"double_bits":"7ff8000000000000"},2.0]}"#);
        let back = from_json::<Map<Same, List<Double>>, BTreeMap<i32, Vec<f64>>>(&text).unwrap();
        assert!(back[&1][0].is_nan() && back[&1][1] == 2.0);
        // In CBOR, bytes stay bytes inside containers.
        let back: BTreeMap<Vec<u8>, f64> =
            from_cbor::<Map<Binary, Double>, _>(&to_cbor::<Map<Binary, Double>, _>(&map)).unwrap();
        assert_eq!(back, map);
    }

    proptest! {
        #[test]
        fn base64_agrees_with_an_oracle(data in proptest::collection::vec(any::<u8>(), 0..100)) {
            let text = to_json::<Binary, _>(&data);
            prop_assert_eq!(&text, &format!("\"{}\"", base64(&data)));
            prop_assert_eq!(from_json::<Binary, Vec<u8>>(&text).unwrap(), data.clone());
            let unpadded = format!("\"{}\"", base64(&data).trim_end_matches('='));
            prop_assert_eq!(from_json::<Binary, Vec<u8>>(&unpadded).unwrap(), data);
        }

        #[test]
        fn doubles_survive_json_bit_for_bit(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            let back = from_json::<Double, f64>(&to_json::<Double, _>(&v)).unwrap();
            prop_assert_eq!(back.to_bits(), bits);
        }
    }
}
