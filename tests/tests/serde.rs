//! serde on generated types, asked for the two ways the docs describe: the
//! generator's option `serde(true)`, and serde's derives as a type
//! attribute,
//! `type_attribute(".", "#[derive(serde::Serialize, serde::Deserialize)]")`.
//!
//! The build script generates `fixtures/codegen/types.thrift` (structs,
//! unions, exceptions, enums, typedefs, nested containers, unhashable keys,
//! binary, optional and default fields, recursion through boxes),
//! `fixtures/valid/uuid.thrift` and, for the first two configurations,
//! `fixtures/valid/services.thrift` (argument and result structs), with
//! that attribute, in six configurations: plain, `keep_unknown_fields`,
//! `wire_order`, `bytes`, `small_strings`, and views with lazy containers
//! (its owned types derive serde; its views, which borrow their input, get
//! no type attributes); and the first two files once more with the option
//! `serde(true)` and `keep_unknown_fields` instead of the attribute (module
//! `option`), with `fixtures/serde/names.thrift` (a module named `serde`,
//! types named like serde's traits, awkward field names, defaults next to
//! required fields). That the generated code compiles, also under clippy, is the
//! first check.
//!
//! With the option, a JSON document also reads as the wire would: the
//! `option_*` tests check that optional fields and unknown fields may be
//! missing (and are left out when `None` or empty), that a missing
//! default-requiredness field takes its IDL default and a missing required
//! one is an error, that an enum is its number, and that a kept unknown
//! field with the id and type of a known one is refused.
//!
//! Values are populated without naming a configuration's Rust types: each
//! is written as a schema-less tree ([`Value`]), encoded, and decoded as the
//! type of each configuration. Then a serde_json round trip must give an
//! equal value (unknown fields included), which encodes to the same Thrift
//! bytes (up to the order of hash sets and maps).

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use thriftc_runtime::protocol::TType;
use thriftc_runtime::{
    BinaryProtocol, CompactProtocol, Decode, Encode, Limits, UnknownField, Value, binary, compact,
};

include!(concat!(env!("OUT_DIR"), "/serde.rs"));

// ------------------------------------------------------------ trees

fn st(fields: Vec<(i16, Value)>) -> Value {
    Value::Struct(
        fields
            .into_iter()
            .map(|(id, value)| UnknownField { id, value })
            .collect(),
    )
}

fn s(text: &str) -> Value {
    Value::Bytes(text.as_bytes().to_vec())
}

fn list(elem: TType, items: Vec<Value>) -> Value {
    Value::List { elem, items }
}

fn set(elem: TType, items: Vec<Value>) -> Value {
    Value::Set { elem, items }
}

fn map(key: TType, value: TType, entries: Vec<(Value, Value)>) -> Value {
    Value::Map {
        key,
        value,
        entries,
    }
}

fn point(x: f64, y: f64) -> Value {
    st(vec![(1, Value::Double(x)), (2, Value::Double(y))])
}

/// Fields no version of the schema here knows, of every wire type, to
/// append to a struct's tree: kept by `keep_unknown_fields`, skipped
/// otherwise.
fn unknown_fields() -> Vec<(i16, Value)> {
    vec![
        (100, Value::I32(-5)),
        (101, s("from a newer peer")),
        (102, Value::Bytes(vec![0xff, 0xfe])),
        (103, Value::Double(2.5)),
        (104, Value::Uuid([7; 16])),
        (
            105,
            st(vec![
                (1, Value::Bool(true)),
                (2, list(TType::I16, vec![Value::I16(1), Value::I16(-1)])),
            ]),
        ),
        (106, set(TType::String, vec![])),
        (
            107,
            map(
                TType::I64,
                TType::Struct,
                vec![(Value::I64(9), st(vec![(1, Value::I8(3))]))],
            ),
        ),
    ]
}

/// `fields`, then the unknown ones.
fn with_unknown(mut fields: Vec<(i16, Value)>) -> Value {
    fields.extend(unknown_fields());
    st(fields)
}

fn primitives() -> Value {
    with_unknown(vec![
        (1, Value::Bool(true)),
        (2, Value::I8(-7)),
        (3, Value::I16(300)),
        (4, Value::I32(-70_000)),
        (5, Value::I64(1 << 40)),
        (6, Value::Double(-0.125)),
        (7, s("text ✓")),
        (8, Value::Bytes(vec![0, 0x80, 0xff])),
        (9, Value::Uuid(*b"0123456789abcdef")),
    ])
}

fn defaults() -> Value {
    with_unknown(vec![
        (1, Value::I32(1)),
        (2, Value::I32(2)),
        (3, Value::I32(3)),
        (4, s("four")),
        (5, s("five")),
        (6, list(TType::I32, vec![Value::I32(6)])),
        (
            7,
            map(
                TType::String,
                TType::I32,
                vec![(s("seven"), Value::I32(7)), (s("eight"), Value::I32(8))],
            ),
        ),
        (8, Value::I32(7)),
        (9, Value::I32(99)), // an undeclared enum value, kept
        (10, Value::Double(0.75)),
        (11, Value::Bool(false)),
        (12, Value::I64(-12)),
        (13, point(0.5, -1.5)),
        (14, set(TType::String, vec![s("a"), s("b")])),
        (15, Value::Bytes(vec![1, 2, 3])),
    ])
}

fn text_defaults() -> Value {
    with_unknown(vec![
        (1, s("one")),
        (2, s("")),
        (3, Value::Bytes(vec![])),
        (4, s("required")),
        (5, list(TType::String, vec![s("w1"), s("w2")])),
        (6, list(TType::String, vec![])),
        (
            7,
            map(
                TType::String,
                TType::Struct,
                vec![(s("p"), point(1.0, 2.0))],
            ),
        ),
        (8, list(TType::I64, vec![Value::I64(8)])),
    ])
}

fn shape_group() -> Value {
    // A union holding a struct holding unions, one of them of a variant
    // this schema does not know.
    st(vec![(
        4,
        with_unknown(vec![
            (
                1,
                list(
                    TType::Struct,
                    vec![
                        st(vec![(2, Value::Double(3.0))]),
                        st(vec![(3, s("label"))]),
                        st(vec![(5, Value::I32(5))]),
                        st(vec![(42, s("a shape from the future"))]),
                    ],
                ),
            ),
            (2, st(vec![(1, point(-1.0, 1.0))])),
        ]),
    )])
}

/// `labels` (keyed by a struct) stays empty: JSON has no such keys.
fn containers() -> Value {
    with_unknown(vec![
        (
            1,
            list(
                TType::List,
                vec![
                    list(TType::I32, vec![Value::I32(1), Value::I32(2)]),
                    list(TType::I32, vec![]),
                ],
            ),
        ),
        (
            2,
            map(
                TType::String,
                TType::List,
                vec![(
                    s("n"),
                    list(
                        TType::Set,
                        vec![set(TType::I64, vec![Value::I64(1), Value::I64(2)])],
                    ),
                )],
            ),
        ),
        (
            3,
            set(TType::Struct, vec![point(1.0, 1.0), point(2.0, 0.0)]),
        ),
        (4, map(TType::Struct, TType::String, vec![])),
        (
            5,
            set(
                TType::Map,
                vec![map(
                    TType::String,
                    TType::I32,
                    vec![(s("k"), Value::I32(1))],
                )],
            ),
        ),
        (
            6,
            map(
                TType::I32,
                TType::List,
                vec![
                    (Value::I32(7), list(TType::String, vec![s("active")])),
                    (Value::I32(-2), list(TType::String, vec![])),
                ],
            ),
        ),
        (7, list(TType::Struct, vec![point(0.0, 0.0)])),
        (
            8,
            map(
                TType::String,
                TType::Set,
                vec![(s("i"), set(TType::I32, vec![Value::I32(3)]))],
            ),
        ),
        (
            9,
            map(
                TType::I32,
                TType::I64,
                vec![(Value::I32(1), Value::I64(-1))],
            ),
        ),
        (
            10,
            list(
                TType::Struct,
                vec![st(vec![(1, point(0.25, 0.5))]), shape_group()],
            ),
        ),
        (11, set(TType::Double, vec![Value::Double(0.5)])),
        (12, list(TType::I32, vec![Value::I32(12)])),
    ])
}

fn tree() -> Value {
    let leaf = |v| st(vec![(1, Value::I32(v))]);
    with_unknown(vec![
        (1, Value::I32(1)),
        (2, st(vec![(1, Value::I32(2)), (3, leaf(3))])),
        (3, leaf(4)),
    ])
}

fn expr() -> Value {
    let inner = st(vec![(1, st(vec![(1, Value::I64(5))]))]);
    with_unknown(vec![(1, st(vec![(2, inner)]))])
}

fn keywords() -> Value {
    with_unknown(vec![
        (1, Value::I32(1)),
        (2, s("self")),
        (3, Value::Bool(true)),
        (4, Value::I32(4)),
        (5, Value::I32(5)),
        (6, Value::I32(6)),
        (7, Value::I32(7)),
        (8, Value::I32(8)),
        (9, Value::I32(9)),
    ])
}

fn not_found() -> Value {
    with_unknown(vec![(1, s("gone")), (2, Value::I32(404))])
}

fn literal_defaults() -> Value {
    let span = |a, b| st(vec![(1, Value::I32(a)), (2, Value::I32(b))]);
    with_unknown(vec![
        (1, span(1, 9)),
        (2, st(vec![(3, s("text"))])),
        (3, span(4, 5)),
    ])
}

/// The innermost maps, keyed by sets, stay empty (JSON has no such keys).
fn deep() -> Value {
    with_unknown(vec![(
        1,
        list(TType::Map, vec![map(TType::Set, TType::Map, vec![])]),
    )])
}

fn entity() -> Value {
    with_unknown(vec![
        (1, Value::Uuid([1; 16])),
        (2, Value::Uuid([2; 16])),
        (3, list(TType::Uuid, vec![Value::Uuid([3; 16])])),
        (
            4,
            map(
                TType::Uuid,
                TType::String,
                vec![(Value::Uuid([4; 16]), s("four"))],
            ),
        ),
    ])
}

// ------------------------------------------------------------ checks

fn write_tree(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    v.write(&mut BinaryProtocol::new(&mut out, Limits::default()))
        .expect("write a tree");
    out
}

/// The tree of `bytes`, with sets and maps sorted (their order in a hash
/// container is not the value's).
fn normalized(bytes: &[u8], compact: bool) -> Value {
    let v = if compact {
        Value::read(
            &mut CompactProtocol::new(bytes, Limits::default()),
            TType::Struct,
        )
    } else {
        Value::read(
            &mut BinaryProtocol::new(bytes, Limits::default()),
            TType::Struct,
        )
    };
    sorted(v.expect("read back"))
}

fn sorted(v: Value) -> Value {
    match v {
        Value::Struct(fields) => Value::Struct(
            fields
                .into_iter()
                .map(|f| UnknownField {
                    id: f.id,
                    value: sorted(f.value),
                })
                .collect(),
        ),
        Value::List { elem, items } => list(elem, items.into_iter().map(sorted).collect()),
        Value::Set { elem, items } => {
            let mut items: Vec<Value> = items.into_iter().map(sorted).collect();
            items.sort();
            set(elem, items)
        }
        Value::Map {
            key,
            value,
            entries,
        } => {
            let mut entries: Vec<(Value, Value)> = entries
                .into_iter()
                .map(|(k, v)| (sorted(k), sorted(v)))
                .collect();
            entries.sort();
            map(key, value, entries)
        }
        scalar => scalar,
    }
}

/// Decodes `tree` as a `T`, sends it through serde_json and back, and
/// checks that the copy equals it and encodes as it does. Returns the
/// value and its JSON text.
fn round_trip<T>(what: &str, tree: &Value) -> (T, String)
where
    T: Decode + Encode + Serialize + DeserializeOwned + PartialEq + Debug,
{
    let x: T = binary::decode(&write_tree(tree))
        .unwrap_or_else(|e| panic!("{what}: the tree does not decode: {e}"));
    let text = serde_json::to_string(&x).unwrap_or_else(|e| panic!("{what}: to JSON: {e}\n{x:?}"));
    let y: T =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: from JSON: {e}\n{text}"));
    assert_eq!(y, x, "{what}: not equal after JSON\n{text}");
    for compact in [false, true] {
        let (a, b) = if compact {
            (compact::encode(&x), compact::encode(&y))
        } else {
            (binary::encode(&x), binary::encode(&y))
        };
        let (a, b) = (a.expect("encode"), b.expect("encode"));
        assert_eq!(
            normalized(&b, compact),
            normalized(&a, compact),
            "{what}: other Thrift bytes after JSON"
        );
    }
    (x, text)
}

/// Round trips of every type `types.thrift` and `uuid.thrift` define with
/// a value, in configuration `$m`; `$keep` says whether its structs keep
/// unknown fields. The JSON texts of `Primitives` and `Containers` are
/// returned for configuration-specific checks.
macro_rules! round_trips {
    ($m:ident, $keep:expr) => {{
        use $m::common_types as c;
        use $m::types as t;
        let keep: bool = $keep;
        let name = stringify!($m);
        let (p, primitives_json) = round_trip::<t::Primitives>(name, &primitives());
        assert_eq!(p.unknown_fields_len(), if keep { 8 } else { 0 });
        round_trip::<t::Defaults>(name, &defaults());
        round_trip::<t::TextDefaults>(name, &text_defaults());
        let (_, containers_json) = round_trip::<t::Containers>(name, &containers());
        round_trip::<t::Shape>(name, &shape_group());
        round_trip::<t::Group>(name, &shape_group().fields()[0].value);
        round_trip::<t::Tree>(name, &tree());
        round_trip::<t::Expr>(name, &expr());
        round_trip::<t::Term>(name, &expr().fields()[0].value);
        round_trip::<t::EmptyStruct>(name, &with_unknown(vec![]));
        round_trip::<t::Keywords>(name, &keywords());
        round_trip::<t::Option_>(name, &with_unknown(vec![(1, Value::I32(1))]));
        round_trip::<t::NotFound>(name, &not_found());
        round_trip::<t::Bare>(name, &with_unknown(vec![]));
        round_trip::<t::LiteralDefaults>(name, &literal_defaults());
        round_trip::<t::Deep>(name, &deep());
        round_trip::<c::Point>(name, &point(1.0, -1.0));
        round_trip::<$m::uuids::Entity>(name, &entity());
        // Enums, as a field of a one-field struct would hold them.
        for v in [7, -2, 1234] {
            let x = t::Status(v);
            let text = serde_json::to_string(&x).unwrap();
            assert_eq!(serde_json::from_str::<t::Status>(&text).unwrap(), x);
        }
        (primitives_json, containers_json)
    }};
}

/// How many unknown fields a generated struct holds (none without
/// `keep_unknown_fields`), through its JSON form.
trait UnknownFieldsLen {
    fn unknown_fields_len(&self) -> usize;
}

impl<T: Serialize> UnknownFieldsLen for T {
    fn unknown_fields_len(&self) -> usize {
        let v = serde_json::to_value(self).unwrap();
        v.get("unknown_fields")
            .map_or(0, |u| u.as_array().expect("a list of unknown fields").len())
    }
}

/// The fields of a struct tree.
trait Fields {
    fn fields(&self) -> &[UnknownField];
}

impl Fields for Value {
    fn fields(&self) -> &[UnknownField] {
        match self {
            Value::Struct(f) => f,
            other => panic!("not a struct: {other:?}"),
        }
    }
}

#[test]
fn plain_types_round_trip_through_json() {
    let (primitives, containers) = round_trips!(plain, false);
    assert!(!primitives.contains("unknown_fields"), "{primitives}");
    // Readable as JSON: text as text, a uuid as its hyphenated form, an
    // enum key as its number.
    assert!(primitives.contains(r#""text":"text ✓""#), "{primitives}");
    assert!(
        primitives.contains(r#""id":"30313233-3435-3637-3839-616263646566""#),
        "{primitives}"
    );
    assert!(containers.contains(r#""by_status":{"#), "{containers}");
    assert!(containers.contains(r#""7":["active"]"#), "{containers}");
}

#[test]
fn kept_unknown_fields_round_trip_through_json() {
    let (primitives, _) = round_trips!(keep_unknown, true);
    assert!(
        primitives.contains(
            r#""unknown_fields":[{"id":100,"value":{"i32":-5}},{"id":101,"value":{"string":"from a newer peer"}},{"id":102,"value":{"binary":"//4="}}"#
        ),
        "{primitives}"
    );
}

#[test]
fn wire_order_types_round_trip_through_json() {
    let (_, containers) = round_trips!(wire, false);
    // Maps in wire order, as JSON objects; sets as arrays.
    assert!(
        containers.contains(r#""by_status":{"7":["active"],"-2":[]}"#),
        "{containers}"
    );
    assert!(containers.contains(r#""reals":[0.5]"#), "{containers}");
}

#[test]
fn bytes_types_round_trip_through_json() {
    let (primitives, _) = round_trips!(bytes, false);
    // `Bytes` as an array of numbers, as a `Vec<u8>` is.
    assert!(primitives.contains(r#""raw":[0,128,255]"#), "{primitives}");
}

#[test]
fn small_string_types_round_trip_through_json() {
    let (primitives, _) = round_trips!(small, false);
    assert!(primitives.contains(r#""text":"text ✓""#), "{primitives}");
}

#[test]
fn views_configuration_round_trips_its_owned_types() {
    // The owned types of a views-and-lazy build derive serde too (their
    // views do not: they borrow the input).
    let (p, _) = round_trip::<views_lazy::types::Primitives>("views_lazy", &primitives());
    assert_eq!(p.unknown_fields.len(), 8);
    round_trip::<views_lazy::types::Containers>("views_lazy", &containers());
}

#[test]
fn service_argument_and_result_structs_round_trip_through_json() {
    use plain::services as s_;
    let args = with_unknown(vec![(1, Value::I32(2)), (2, Value::I32(3))]);
    round_trip::<s_::CalculatorAddArgs>("plain", &args);
    round_trip::<keep_unknown::services::CalculatorAddArgs>("keep_unknown", &args);
    let result = st(vec![(1, st(vec![(1, s("bad"))]))]);
    let (r, _) = round_trip::<s_::CalculatorAddResult>("plain", &result);
    assert!(r.invalid.is_some());
    let group = st(vec![(
        0,
        map(
            TType::String,
            TType::List,
            vec![(
                s("g"),
                list(
                    TType::Struct,
                    vec![st(vec![(1, Value::I32(1)), (2, s("v"))])],
                ),
            )],
        ),
    )]);
    round_trip::<s_::CalculatorGroupResult>("plain", &group);
    round_trip::<keep_unknown::services::CalculatorGroupResult>("keep_unknown", &group);
}

/// `tree` written in one protocol, read as a `T`, through JSON and back,
/// written again: the same bytes.
fn same_bytes<T>(tree: &Value)
where
    T: Decode + Encode + Serialize + DeserializeOwned + Debug,
{
    for compact in [false, true] {
        let mut input = Vec::new();
        if compact {
            tree.write(&mut CompactProtocol::new(&mut input, Limits::default()))
        } else {
            tree.write(&mut BinaryProtocol::new(&mut input, Limits::default()))
        }
        .unwrap();
        let x: T = if compact {
            compact::decode(&input)
        } else {
            binary::decode(&input)
        }
        .unwrap();
        let text = serde_json::to_string(&x).unwrap();
        let y: T = serde_json::from_str(&text).unwrap();
        let out = if compact {
            compact::encode(&y)
        } else {
            binary::encode(&y)
        }
        .unwrap();
        assert_eq!(out, input, "compact: {compact}\n{text}");
    }
}

#[test]
fn unknown_fields_survive_json_byte_for_byte() {
    // Read from Thrift bytes with unknown fields (also in nested structs, a
    // union's unknown variant inside a list), through JSON and back: the
    // bytes that were read, in both protocols.
    use keep_unknown::types as t;
    same_bytes::<t::Primitives>(&primitives());
    same_bytes::<t::LiteralDefaults>(&literal_defaults());
    same_bytes::<t::Tree>(&tree());
    same_bytes::<t::Expr>(&expr());
    same_bytes::<t::Group>(&shape_group().fields()[0].value);
    same_bytes::<t::Shape>(&st(vec![(42, primitives())]));
    same_bytes::<t::Keywords>(&keywords());
}

#[test]
fn struct_keys_are_refused_by_json_not_dropped() {
    // A map keyed by a struct (held as a `VecMap`): serde_json refuses such
    // keys, for a generated type as for a `HashMap`; it reports an error.
    let mut fields = containers().fields().to_vec();
    fields[3].value = map(
        TType::Struct,
        TType::String,
        vec![(point(1.0, 2.0), s("p"))],
    );
    let tree = Value::Struct(fields);
    let x: plain::types::Containers = binary::decode(&write_tree(&tree)).unwrap();
    assert_eq!(x.labels.len(), 1);
    let err = serde_json::to_string(&x).expect_err("a struct key in JSON");
    assert!(err.to_string().contains("key must be a string"), "{err}");
}

// ------------------------------------------------------------ option `serde`

#[test]
fn option_types_round_trip_through_json() {
    let (primitives, _) = round_trips!(option, true);
    // Unknown fields that are there are written as with the attribute.
    assert!(
        primitives.contains(r#""unknown_fields":[{"id":100,"value":{"i32":-5}},"#),
        "{primitives}"
    );
    // A `binary` is base64 text, as Thrift's JSON protocol writes it.
    assert!(primitives.contains(r#""raw":"AID/""#), "{primitives}");
    let (primitives, _) = round_trips!(option_shared, false);
    assert!(primitives.contains(r#""raw":"AID/""#), "{primitives}");
}

/// Every place `json.thrift` puts a `binary` or a `double`, with NaNs
/// and infinities.
fn blobs() -> Value {
    let nan_payload = Value::Double(f64::from_bits(0xfff8_0000_dead_beef));
    st(vec![
        (1, Value::Bytes(vec![0, 0x80, 0xff])),
        (2, list(TType::String, vec![s("hi"), s("")])),
        (3, set(TType::String, vec![s("a")])),
        (
            4,
            map(
                TType::String,
                TType::Double,
                vec![(Value::Bytes(vec![0xff]), nan_payload)],
            ),
        ),
        (
            5,
            map(
                TType::String,
                TType::List,
                vec![(s("x"), list(TType::String, vec![s(""), s("abc")]))],
            ),
        ),
        (6, s("z")),
        (7, Value::Double(f64::INFINITY)),
        (
            8,
            list(
                TType::Double,
                vec![
                    Value::Double(f64::NEG_INFINITY),
                    Value::Double(0.5),
                    Value::Double(f64::NAN),
                ],
            ),
        ),
        (
            9,
            map(
                TType::I32,
                TType::List,
                vec![(
                    Value::I32(1),
                    list(TType::Double, vec![Value::Double(-0.0)]),
                )],
            ),
        ),
        (10, s("maybe")),
        (11, s("hi")),
        (12, Value::Double(-1.5)),
        (
            13,
            map(
                TType::Double,
                TType::String,
                vec![
                    (Value::Double(-0.0), s("neg")),
                    (Value::Double(2.5), s("x")),
                ],
            ),
        ),
    ])
}

/// `tree` read as a `T` from both protocols: its JSON document, which goes
/// back to the same Thrift bytes.
fn document<T>(tree: &Value) -> serde_json::Value
where
    T: Decode + Encode + Serialize + DeserializeOwned + Debug,
{
    same_bytes::<T>(tree);
    let x: T = binary::decode(&write_tree(tree)).expect("the tree decodes");
    serde_json::to_value(&x).expect("to JSON")
}

#[test]
fn option_writes_binary_as_base64_and_doubles_with_their_bits() {
    // The same document whatever holds the values (`Vec<u8>` or `Bytes`,
    // hash, B-tree or wire-order sets and maps, boxed or not), and back to
    // the same Thrift bytes, NaN payloads included.
    let expected = serde_json::json!({
        "one": "AID/",
        "many": ["aGk=", ""],
        "unique": ["YQ=="],
        "by_key": {"/w==": {"double_bits": "fff80000deadbeef"}},
        "nested": {"x": ["", "YWJj"]},
        "aliased": "eg==",
        "maybe": {"double_bits": "7ff0000000000000"},
        "reals": [
            {"double_bits": "fff0000000000000"},
            0.5,
            {"double_bits": "7ff8000000000000"}
        ],
        "table": {"1": [-0.0]},
        "maybe_blob": "bWF5YmU=",
        "with_default": "aGk=",
        "must": -1.5,
        "by_real": {"-0.0": "neg", "2.5": "x"},
    });
    assert_eq!(document::<option::json::Blobs>(&blobs()), expected);
    assert_eq!(document::<option_shared::json::Blobs>(&blobs()), expected);
    assert_eq!(document::<option_btree::json::Blobs>(&blobs()), expected);

    for (variant, json) in [
        (
            st(vec![(1, Value::Bytes(vec![0xfb, 0xff]))]),
            serde_json::json!({"Blob": "+/8="}),
        ),
        (
            st(vec![(2, Value::Double(f64::NAN))]),
            serde_json::json!({"Real": {"double_bits": "7ff8000000000000"}}),
        ),
        (
            st(vec![(
                3,
                list(TType::Double, vec![Value::Double(f64::INFINITY)]),
            )]),
            serde_json::json!({"Reals": [{"double_bits": "7ff0000000000000"}]}),
        ),
        (
            st(vec![(4, s("text"))]),
            serde_json::json!({"Text": "text"}),
        ),
        // An `optional` variant holds its value as any other.
        (
            st(vec![(5, Value::Bytes(vec![1]))]),
            serde_json::json!({"Maybe": "AQ=="}),
        ),
    ] {
        assert_eq!(document::<option::json::BlobOrReal>(&variant), json);
        assert_eq!(document::<option_shared::json::BlobOrReal>(&variant), json);
        assert_eq!(document::<option_btree::json::BlobOrReal>(&variant), json);
    }
}

#[test]
fn option_reads_other_forms_of_binary_and_double() {
    use option::json as j;
    // serde's own array of numbers, base64 without padding, and Thrift's
    // JSON protocol's names of the special doubles.
    let b: j::Blobs = reads_as_wire(
        r#"{"one":[104,105],"many":["aGk"],"must":"-Infinity","maybe":"Infinity","reals":[1,2.5]}"#,
        &st(vec![
            (1, s("hi")),
            (2, list(TType::String, vec![s("hi")])),
            (7, Value::Double(f64::INFINITY)),
            (
                8,
                list(TType::Double, vec![Value::Double(1.0), Value::Double(2.5)]),
            ),
            (12, Value::Double(f64::NEG_INFINITY)),
        ]),
    );
    assert_eq!(b.with_default, b"hi", "the IDL default");
    let nan: j::Blobs = serde_json::from_str(r#"{"must":"NaN"}"#).unwrap();
    assert!(nan.must.is_nan());
    for (bad, needle) in [
        (r#"{"must":0,"one":"aGk=x"}"#, "invalid value"),
        (r#"{"must":0,"one":"a"}"#, "invalid value"),
        (r#"{"must":"nan"}"#, "invalid value"),
        (r#"{"must":{"double_bits":"7ff8"}}"#, "invalid value"),
        (r#"{"must":null}"#, "invalid type"),
        (r#"{"one":""}"#, "missing field `must`"),
    ] {
        let err = serde_json::from_str::<j::Blobs>(bad).expect_err(bad);
        assert!(err.to_string().contains(needle), "{bad}: {err}");
    }
}

#[test]
fn option_keeps_unknown_fields_byte_for_byte() {
    use option::types as t;
    // Types without hash sets and maps, whose order is not the wire's.
    same_bytes::<t::Primitives>(&primitives());
    same_bytes::<t::LiteralDefaults>(&literal_defaults());
    same_bytes::<t::Tree>(&tree());
    same_bytes::<t::Expr>(&expr());
    same_bytes::<t::Group>(&shape_group().fields()[0].value);
    same_bytes::<t::Shape>(&st(vec![(42, primitives())]));
    same_bytes::<t::Keywords>(&keywords());
}

/// `json` read as a `T`: equal to `tree` read from the Thrift wire.
fn reads_as_wire<T>(json: &str, tree: &Value) -> T
where
    T: Decode + DeserializeOwned + PartialEq + Debug,
{
    let from_json: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
    let from_wire: T = binary::decode(&write_tree(tree)).expect("the tree decodes");
    assert_eq!(from_json, from_wire, "{json}");
    from_json
}

#[test]
fn option_missing_fields_read_as_on_the_wire() {
    use option::types as t;
    // Only the required field: optional fields are `None` (also one with an
    // IDL default, as a Thrift read leaves it), default-requiredness ones
    // take their IDL defaults, and there are no unknown fields.
    let d: t::Defaults = reads_as_wire(r#"{"must":5}"#, &st(vec![(1, Value::I32(5))]));
    assert_eq!((d.must, d.maybe, d.opt_text.as_deref()), (5, None, None));
    assert_eq!(
        (d.plain, d.text.as_str(), d.nums.as_slice()),
        (42, "world", &[1, 2, 3][..])
    );
    assert_eq!(
        (d.status, d.on, d.ratio, d.zero),
        (t::Status::ACTIVE, true, 0.5, 0)
    );
    assert_eq!(d.blob, b"bytes");
    assert!(d.unknown_fields.is_empty());
    // A missing required field fails the read, as it fails a Thrift read.
    let err = serde_json::from_str::<t::Defaults>(r#"{"plain":1}"#).unwrap_err();
    assert!(err.to_string().contains("missing field `must`"), "{err}");
    let err = serde_json::from_str::<t::TextDefaults>("{}").unwrap_err();
    assert!(err.to_string().contains("missing field `name`"), "{err}");
    // Required and defaulted fields side by side.
    let td: t::TextDefaults = reads_as_wire(r#"{"name":"n"}"#, &st(vec![(4, s("n"))]));
    assert_eq!(
        (td.text.as_str(), td.blob.as_slice()),
        ("world", &b"bytes"[..])
    );
    assert_eq!(td.extra, None);
    // No required field: `{}` is the struct read from an empty one.
    let ld: t::LiteralDefaults = reads_as_wire("{}", &st(vec![]));
    assert_eq!((ld.whole.start, ld.whole.end, ld.part), (1, 2, None));
    reads_as_wire::<t::Primitives>("{}", &st(vec![]));
    reads_as_wire::<t::NotFound>("{}", &st(vec![]));
    reads_as_wire::<t::Tree>(r#"{"value":3}"#, &st(vec![(1, Value::I32(3))]));
    reads_as_wire::<t::Keywords>(r#"{"type":1}"#, &st(vec![(1, Value::I32(1))]));
    // The attribute route, for comparison, needs every field but the
    // `Option`s, which serde reads as `None` when missing.
    assert!(serde_json::from_str::<plain::types::Primitives>("{}").is_err());
    let d = plain::types::Defaults {
        maybe: None,
        opt_text: None,
        ..Default::default()
    };
    let mut v = serde_json::to_value(&d).unwrap();
    let obj = v.as_object_mut().unwrap();
    assert_eq!(obj.remove("maybe"), Some(serde_json::Value::Null));
    assert_eq!(obj.remove("opt_text"), Some(serde_json::Value::Null));
    assert_eq!(
        serde_json::from_value::<plain::types::Defaults>(v).unwrap(),
        d
    );
}

#[test]
fn option_leaves_out_none_and_empty_unknown_fields() {
    use option::types as t;
    let tree = st(vec![(1, Value::I32(5))]);
    let d: t::Defaults = binary::decode(&write_tree(&tree)).unwrap();
    let json = serde_json::to_string(&d).unwrap();
    for absent in ["null", "unknown_fields", "maybe", "opt_text"] {
        assert!(!json.contains(absent), "{absent} in {json}");
    }
    // Enums are their numbers; the document reads back as it was.
    assert!(json.contains(r#""status":7,"#), "{json}");
    assert_eq!(serde_json::from_str::<t::Defaults>(&json).unwrap(), d);
    // Set options are written.
    let set = t::Defaults {
        maybe: Some(3),
        opt_text: Some("x".to_owned()),
        ..d
    };
    let json = serde_json::to_string(&set).unwrap();
    assert!(json.contains(r#""maybe":3,"#), "{json}");
    assert!(json.contains(r#""opt_text":"x","#), "{json}");
    // The attribute route writes `null` and `[]` instead.
    let p: keep_unknown::types::Defaults = binary::decode(&write_tree(&tree)).unwrap();
    let json = serde_json::to_string(&p).unwrap();
    assert!(json.contains(r#""maybe":null"#), "{json}");
    assert!(json.contains(r#""unknown_fields":[]"#), "{json}");
}

#[test]
fn option_enums_are_their_numbers() {
    use option::types as t;
    // Declared or not, a value is its number, in any format: transparent.
    for v in [7, -2, 0, 1234, i32::MIN] {
        let text = serde_json::to_string(&t::Status(v)).unwrap();
        assert_eq!(text, v.to_string());
        assert_eq!(
            serde_json::from_str::<t::Status>(&text).unwrap(),
            t::Status(v)
        );
    }
    assert!(serde_json::from_str::<t::Status>(r#""ACTIVE""#).is_err());
    // A union is tagged by its variant's Rust name.
    let shape: t::Shape = reads_as_wire(r#"{"Radius":2.5}"#, &st(vec![(2, Value::Double(2.5))]));
    assert_eq!(shape, t::Shape::Radius(2.5));
}

#[test]
fn option_refuses_unknown_fields_that_shadow_known_ones() {
    use option::types as t;
    // Written back, an unknown field 1 of type i32 would be read as `must`
    // (the last value read wins): 5 in the document, 999 after the wire.
    let shadow = r#"{"must":5,"unknown_fields":[{"id":1,"value":{"i32":999}}]}"#;
    let err = serde_json::from_str::<t::Defaults>(shadow).unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown field 1 of struct `Defaults` has the id and type of a known field"),
        "{err}"
    );
    // A known id with another type is what a Thrift read keeps too, and an
    // unknown id is unknown: both are kept, and survive the wire.
    let kept =
        r#"{"must":5,"unknown_fields":[{"id":1,"value":{"i64":9}},{"id":77,"value":{"i32":1}}]}"#;
    let d: t::Defaults = serde_json::from_str(kept).unwrap();
    assert_eq!((d.must, d.unknown_fields.len()), (5, 2));
    let back: t::Defaults = binary::decode(&binary::encode(&d).unwrap()).unwrap();
    assert_eq!(back, d);
    // A union's unknown variant: field 2 is `radius`, a double.
    let err = serde_json::from_str::<t::Shape>(r#"{"Unknown2":{"id":2,"value":{"double":1.0}}}"#)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown field 2 of union `Shape` has the id and type of a known field"),
        "{err}"
    );
    let u: t::Shape = serde_json::from_str(r#"{"Unknown2":{"id":2,"value":{"i32":1}}}"#).unwrap();
    let back: t::Shape = binary::decode(&binary::encode(&u).unwrap()).unwrap();
    assert_eq!(back, u);
    // So does a struct's whose other fields are required.
    let err = serde_json::from_str::<option::serde::Deserialize>(
        r#"{"r":1,"rd":2,"unknown_fields":[{"id":7,"value":{"i32":3}}]}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("unknown field 7 of struct"),
        "{err}"
    );
}

#[test]
fn option_awkward_names_read_as_on_the_wire() {
    use option::serde as n;
    // Required fields only: every other field takes its IDL default (its
    // own function, as the struct has required fields), as on the wire.
    let d: n::Deserialize = reads_as_wire(
        r#"{"r":1,"rd":2}"#,
        &st(vec![(7, Value::I32(1)), (12, Value::I32(2))]),
    );
    assert_eq!(
        (d.l.as_slice(), d.ti, d.d, d.od),
        (&[1, 2][..], 7, 1.5, None)
    );
    assert_eq!(
        (d.k, d.k2, d.c),
        (n::Kw::MATCH, n::Kw::TYPE, n::Choice::A(1))
    );
    assert_eq!((d.st.r#type, d.st.foo_bar, d.st.foo_bar2), (2, 3, 4));
    assert_eq!(d.b, b"xy");
    // Keyword and renamed fields are keys by their Rust names, unraw. A
    // field named like the kept unknown fields keeps its name: those take
    // the next free one.
    let s: n::Serialize = reads_as_wire(
        r#"{"type":1,"default":"d","unknown_fields":3,"x2":4}"#,
        &st(vec![
            (1, Value::I32(1)),
            (2, s("d")),
            (3, Value::I32(3)),
            (7, Value::I32(4)),
        ]),
    );
    assert_eq!((s.r#type, s.x, s.x2), (1, 9, 4));
    assert_eq!((s.unknown_fields, s.unknown_fields2.len()), (Some(3), 0));
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<n::Serialize>(&json).unwrap(), s);
    // A function's arguments: the required id must be there, the union
    // has no default, the count takes its IDL default.
    let a: n::SvcPutArgs = serde_json::from_str(r#"{"id":1,"c":{"B":"x"}}"#).unwrap();
    assert_eq!((a.id, a.count), (1, 2));
    assert!(serde_json::from_str::<n::SvcPutArgs>(r#"{"c":{"B":"x"}}"#).is_err());
    let f: n::Failure = reads_as_wire(r#"{"code":3}"#, &st(vec![(2, Value::I32(3))]));
    assert_eq!((f.message.as_str(), f.level), ("", 2));
}
