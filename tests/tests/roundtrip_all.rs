//! Round trips of every generated type of every fixture, with values drawn
//! from the type's description instead of hand-written strategies.
//!
//! What is covered: each struct, union, exception, enum and service argument
//! and result struct of each golden folder (`tests/golden/rs/*`,
//! `tests/golden/services/*`), in the binary and compact protocols. The
//! build script (`tests/build.rs`) mounts the golden folders and lists their
//! types, each with [`run`] monomorphized for it, from thriftc's own plan; a
//! new fixture with a golden is covered without writing code here. One test
//! per golden folder (`rs_<folder>`, `services_<folder>`).
//!
//! How: a proptest input (a string of choice bytes; shrinking it simplifies
//! the value) is interpreted against the planned type into two wire trees
//! ([`thriftc_runtime::Value`]), written with the runtime's protocol writers:
//!
//! - the *canonical* tree, as the generated code writes a value: every field
//!   in id order, required and default-requiredness fields present, optional
//!   fields present or absent, union with exactly one field, enum fields with
//!   declared and undeclared values, sets and maps without duplicates,
//!   recursion bounded by depth ([`BUDGET`]);
//! - the *lenient* tree of the same value as a peer may send it: fields in
//!   any order, default-requiredness fields absent (they read as the IDL
//!   default, or the type's default), unknown fields of every wire type
//!   (also a known id with another wire type) at any position, which are
//!   skipped, kept by `keep_unknown_fields` structs, or ignored next to a
//!   union's known field.
//!
//! Then, per protocol, with `x = decode(canonical bytes)`:
//! `decode(lenient bytes) == x`, also from a shared `Bytes` buffer
//! (`decode_bytes`, zero-copy for the `bytes_paths` golden);
//! `decode(encode(x)) == x`; `encode(x)` equals the canonical bytes up to
//! the order of set and map elements
//! (Thrift leaves it open: both sides are read back schema-less and their
//! sets and maps sorted before comparing); and binary and compact decode
//! the same tree to the same value. For a type with a borrowed view (the
//! `views` goldens), both byte strings also read as the view, which converts
//! to `x` and writes the canonical encoding (up to order) ([`check_view`]).
//! Trees without a required field, and
//! unions with no field or two known ones, must fail to decode (the error
//! naming the field or union), as owned values and as views. And for each type with `Default`,
//! `T::default()` equals the IDL's defaults (written as a tree and decoded).
//!
//! Bounded: [`DEFAULT_CASES`] cases per type, about 230 types: 2 to 5 s for
//! the whole file in a debug build on two busy cores. `PROPTEST_CASES=N`
//! overrides the count (1000: about a minute).
#![deny(warnings)]

use proptest::collection::vec;
use proptest::prelude::{Strategy, any};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::HashMap;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use thriftc::codegen::plan::{self, Crate, Item, Ty, Wire};
use thriftc::ir::{ConstValue, DefId, Requiredness};
use thriftc_runtime::protocol::TType;
use thriftc_runtime::{
    BinaryProtocol, CompactProtocol, Decode, DecodeView, Encode, Limits, UnknownField, Value,
    binary, compact,
};

// The golden modules, `GOLDENS` (built from the types below) and one test
// per golden folder.
include!(concat!(env!("OUT_DIR"), "/roundtrip_all.rs"));

/// Cases per type unless `PROPTEST_CASES` is set.
const DEFAULT_CASES: u32 = 64;

/// Nesting levels (structs and containers) a generated value may use before
/// containers stay empty, optional fields absent and unions take their
/// shallowest variant.
const BUDGET: u32 = 7;

/// The most choice bytes one case reads; past the end every choice is the
/// simplest (zero).
const MAX_CHOICES: usize = 1024;

/// A golden folder and the types generated into it.
struct Golden {
    /// Relative to `tests/`.
    folder: &'static str,
    /// The fixture it is generated from, relative to the repository.
    fixture: &'static str,
    include_dirs: &'static [&'static str],
    keep_unknown_fields: bool,
    btree_all: bool,
    /// Generated with `bytes_paths = ["."]` (`Bytes`, `ByteString`).
    bytes_all: bool,
    /// Generated with `views = ["."]` (`<Name>Ref<'a>` views).
    views_all: bool,
    /// Generated with `lazy = ["."]` (views' containers undecoded).
    lazy_all: bool,
    /// Generated with `wire_order_paths = ["."]` (`VecSet`, `VecMap`).
    wire_all: bool,
    /// Generated with `hasher = foldhash::fast::RandomState`.
    foldhash: bool,
    /// Generated with `small_strings = ["."]` (`CompactString`).
    small_all: bool,
    /// Generated with `serde = true` (serde's derives and attributes).
    serde: bool,
    types: &'static [Entry],
}

/// Which struct of a service function.
#[derive(Clone, Copy, Debug)]
enum Part {
    Args,
    Result,
}

/// One generated type: where it is in the plan, and the check for it.
struct Entry {
    module: usize,
    item: usize,
    function: Option<(usize, Part)>,
    /// `<module>::<Type>`, as the build script saw it.
    path: &'static str,
    run: fn(&Case) -> Result<(), String>,
    /// For types with `Default`: compares it with a tree of the IDL's
    /// defaults.
    default: Option<DefaultCheck>,
    /// For types with a borrowed view: [`check_view`] for it.
    view: Option<ViewCheck>,
}

/// [`check_view`] for one type and its view.
type ViewCheck = fn(&Case) -> Result<(), String>;

/// [`default`] monomorphized for one type.
type DefaultCheck = fn(&Value) -> Result<(), String>;

/// One generated value as two wire trees (see the module docs).
struct Case {
    ttype: TType,
    canonical: Value,
    lenient: Value,
    /// False when the value holds an unknown empty map: the compact protocol
    /// does not write the key and value types of an empty map, so such a
    /// value legitimately differs between the protocols.
    cross_protocol: bool,
    /// Trees that must not decode, each with a text the error must contain:
    /// the canonical tree without one of its required fields; a union with
    /// no field or two known ones.
    invalid: Vec<(Value, String)>,
}

#[derive(Clone, Copy, Debug)]
enum Proto {
    Binary,
    Compact,
}

fn write_tree(proto: Proto, v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    match proto {
        Proto::Binary => v.write(&mut BinaryProtocol::new(&mut out, Limits::default())),
        Proto::Compact => v.write(&mut CompactProtocol::new(&mut out, Limits::default())),
    }
    .unwrap_or_else(|e| panic!("cannot write a generated tree: {e}\n{v:?}"));
    out
}

fn read_tree(proto: Proto, bytes: &[u8], ttype: TType) -> Result<Value, String> {
    match proto {
        Proto::Binary => Value::read(&mut BinaryProtocol::new(bytes, Limits::default()), ttype),
        Proto::Compact => Value::read(&mut CompactProtocol::new(bytes, Limits::default()), ttype),
    }
    .map_err(|e| format!("{proto:?}: cannot read back {bytes:02x?}: {e}"))
}

fn decode<T: Decode>(proto: Proto, bytes: &[u8]) -> thriftc_runtime::Result<T> {
    match proto {
        Proto::Binary => binary::decode(bytes),
        Proto::Compact => compact::decode(bytes),
    }
}

/// Decodes from a shared buffer (`decode_bytes`: `Bytes`/`ByteString`
/// values are slices of it).
fn decode_shared<T: Decode>(proto: Proto, bytes: &[u8]) -> thriftc_runtime::Result<T> {
    let bytes = thriftc_runtime::Bytes::copy_from_slice(bytes);
    match proto {
        Proto::Binary => binary::decode_bytes(bytes),
        Proto::Compact => compact::decode_bytes(bytes),
    }
}

/// Decodes a borrowed view (`decode_view`: strings and binaries are slices
/// of `bytes`).
fn decode_view<'a, V: DecodeView<'a>>(proto: Proto, bytes: &'a [u8]) -> thriftc_runtime::Result<V> {
    match proto {
        Proto::Binary => binary::decode_view(bytes),
        Proto::Compact => compact::decode_view(bytes),
    }
}

/// The checks of a type's borrowed view. `read` decodes bytes as the view
/// and gives its owned copy (`From<&NameRef>`) and the view written back.
/// Per protocol: the canonical and the lenient bytes read as views convert
/// to the value the owned decoder reads; the view written back decodes to
/// it too, and equals the canonical encoding up to set and map order (with
/// `lazy` containers, which are written back as read: from the canonical
/// bytes); the invalid trees fail as views with the same errors.
fn check_view<T: Decode + PartialEq + Debug>(
    case: &Case,
    lazy: bool,
    read: impl Fn(Proto, &[u8]) -> thriftc_runtime::Result<(T, Vec<u8>)>,
) -> Result<(), String> {
    for proto in [Proto::Binary, Proto::Compact] {
        let canonical = write_tree(proto, &case.canonical);
        let x: T = decode(proto, &canonical)
            .map_err(|e| format!("{proto:?}: the canonical bytes do not decode: {e}"))?;
        for (which, bytes) in [
            ("canonical", canonical.clone()),
            ("lenient", write_tree(proto, &case.lenient)),
        ] {
            let (owned, again) = read(proto, &bytes).map_err(|e| {
                format!(
                    "{proto:?}: the {which} bytes do not decode as a view: {e}\nbytes: {bytes:02x?}"
                )
            })?;
            if owned != x {
                return Err(format!(
                    "{proto:?}: the {which} bytes as a view convert to\n{owned:?}\nnot\n{x:?}"
                ));
            }
            let back: T = decode(proto, &again)
                .map_err(|e| format!("{proto:?}: a view's bytes do not decode: {e}"))?;
            if back != x {
                return Err(format!(
                    "{proto:?}: the view of the {which} bytes writes\n{back:?}\nnot\n{x:?}"
                ));
            }
            // A lazy container is written back as it was read: what the
            // lenient bytes put inside one (fields out of order, defaults
            // left out, unknown fields) stays, so only their value is
            // checked (above).
            if lazy && which == "lenient" {
                continue;
            }
            let want = normalize(read_tree(proto, &canonical, case.ttype)?);
            let got = normalize(read_tree(proto, &again, case.ttype)?);
            if got != want {
                return Err(format!(
                    "{proto:?}: the view of the {which} bytes is not written canonically\nwritten:  {got:?}\nexpected: {want:?}"
                ));
            }
        }
    }
    for (tree, needle) in &case.invalid {
        for proto in [Proto::Binary, Proto::Compact] {
            let bytes = write_tree(proto, tree);
            match read(proto, &bytes) {
                Ok((v, _)) => {
                    return Err(format!(
                        "{proto:?}: {tree:?} decodes as a view (to {v:?}), expected an error naming {needle:?}"
                    ));
                }
                Err(e) if !e.to_string().contains(needle.as_str()) => {
                    return Err(format!(
                        "{proto:?}: {tree:?}: the view's error does not name {needle:?}: {e}"
                    ));
                }
                Err(_) => {}
            }
        }
    }
    Ok(())
}

fn encode<T: Encode>(proto: Proto, v: &T) -> thriftc_runtime::Result<Vec<u8>> {
    match proto {
        Proto::Binary => binary::encode(v),
        Proto::Compact => compact::encode(v),
    }
}

/// Sets and maps sorted (recursively): the order Thrift leaves open.
fn normalize(v: Value) -> Value {
    match v {
        Value::Struct(fields) => Value::Struct(
            fields
                .into_iter()
                .map(|f| UnknownField {
                    id: f.id,
                    value: normalize(f.value),
                })
                .collect(),
        ),
        Value::List { elem, items } => Value::List {
            elem,
            items: items.into_iter().map(normalize).collect(),
        },
        Value::Set { elem, items } => {
            let mut items: Vec<Value> = items.into_iter().map(normalize).collect();
            items.sort();
            Value::Set { elem, items }
        }
        Value::Map {
            key,
            value,
            entries,
        } => {
            let mut entries: Vec<(Value, Value)> = entries
                .into_iter()
                .map(|(k, v)| (normalize(k), normalize(v)))
                .collect();
            entries.sort();
            Value::Map {
                key,
                value,
                entries,
            }
        }
        scalar => scalar,
    }
}

/// `T::default()` is the value of `tree` (the defaults the IDL gives, the
/// type's own default elsewhere, optional fields without a default unset).
fn default<T: Decode + Default + PartialEq + Debug>(tree: &Value) -> Result<(), String> {
    let bytes = write_tree(Proto::Binary, tree);
    let want: T = decode(Proto::Binary, &bytes).map_err(|e| format!("{tree:?}: {e}"))?;
    let got = T::default();
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "Default::default() is\n{got:?}\nthe IDL's defaults are\n{want:?}"
        ))
    }
}

/// Would a set (or map) of kind `coll` holding `items` (keys) merge `v`
/// into one of them? Hashed and ordered ones keep one of equal elements,
/// and their elements compare as values (sets inside them in any order);
/// `VecSet`/`VecMap` keep everything.
fn merges(coll: plan::Coll, items: &[Value], v: &Value) -> bool {
    if coll == plan::Coll::Vec {
        return false;
    }
    let v = normalize(v.clone());
    items.iter().any(|i| normalize(i.clone()) == v)
}

/// The checks of one case for one type (see the module docs).
fn run<T: Encode + Decode + PartialEq + Debug>(case: &Case) -> Result<(), String> {
    let mut decoded: Vec<T> = Vec::new();
    for proto in [Proto::Binary, Proto::Compact] {
        let canonical = write_tree(proto, &case.canonical);
        let lenient = write_tree(proto, &case.lenient);
        let x: T = decode(proto, &canonical).map_err(|e| {
            format!(
                "{proto:?}: the canonical bytes do not decode: {e}\nbytes: {canonical:02x?}\ntree: {:?}",
                case.canonical
            )
        })?;
        let y: T = decode(proto, &lenient).map_err(|e| {
            format!(
                "{proto:?}: the lenient bytes do not decode: {e}\nbytes: {lenient:02x?}\ntree: {:?}",
                case.lenient
            )
        })?;
        if y != x {
            return Err(format!(
                "{proto:?}: the lenient tree\n{:?}\ndecodes to\n{y:?}\nthe canonical tree\n{:?}\nto\n{x:?}",
                case.lenient, case.canonical
            ));
        }
        let z: T = decode_shared(proto, &lenient).map_err(|e| {
            format!("{proto:?}: the lenient bytes do not decode from a Bytes buffer: {e}")
        })?;
        if z != x {
            return Err(format!(
                "{proto:?}: from a Bytes buffer the lenient tree decodes to\n{z:?}\nnot\n{x:?}"
            ));
        }
        let again =
            encode(proto, &x).map_err(|e| format!("{proto:?}: encode fails: {e}\n{x:?}"))?;
        let back: T = decode(proto, &again)
            .map_err(|e| format!("{proto:?}: own bytes do not decode: {e}\n{again:02x?}"))?;
        if back != x {
            return Err(format!(
                "{proto:?}: decode(encode(x)) != x\nx:    {x:?}\nback: {back:?}"
            ));
        }
        let want = normalize(read_tree(proto, &canonical, case.ttype)?);
        let got = normalize(read_tree(proto, &again, case.ttype)?);
        if got != want {
            return Err(format!(
                "{proto:?}: encode(x) is not the canonical encoding\nx: {x:?}\nwritten:  {got:?}\nexpected: {want:?}"
            ));
        }
        decoded.push(x);
    }
    for (tree, needle) in &case.invalid {
        for proto in [Proto::Binary, Proto::Compact] {
            let bytes = write_tree(proto, tree);
            match decode::<T>(proto, &bytes) {
                Ok(v) => {
                    return Err(format!(
                        "{proto:?}: {tree:?} decodes (to {v:?}), expected an error naming {needle:?}"
                    ));
                }
                Err(e) if !e.to_string().contains(needle.as_str()) => {
                    return Err(format!(
                        "{proto:?}: {tree:?}: the error does not name {needle:?}: {e}"
                    ));
                }
                Err(_) => {}
            }
        }
    }
    if case.cross_protocol && decoded[0] != decoded[1] {
        return Err(format!(
            "binary and compact decode one tree differently\nbinary:  {:?}\ncompact: {:?}",
            decoded[0], decoded[1]
        ));
    }
    Ok(())
}

// ------------------------------------------------------------ generation

/// Choice bytes, read front to back; zero (also past the end) is always the
/// simplest choice, so shrinking the bytes simplifies the value.
struct Source<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Source<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        std::array::from_fn(|_| self.byte())
    }

    /// `0..n` (`0` for `n <= 1`).
    fn below(&mut self, n: usize) -> usize {
        match n {
            0 | 1 => 0,
            2..=256 => usize::from(self.byte()) % n,
            _ => usize::from(u16::from_le_bytes(self.bytes())) % n,
        }
    }

    /// True with probability `1/n`; false on a zero byte.
    fn one_in(&mut self, n: u8) -> bool {
        self.byte() % n == n - 1
    }

    /// A `bits`-wide signed integer, often an edge value.
    fn int(&mut self, bits: u32) -> i64 {
        let shift = 64 - bits;
        let min = i64::MIN >> shift;
        let max = i64::MAX >> shift;
        match self.byte() % 8 {
            0 => 0,
            1 => 1,
            2 => -1,
            3 => min,
            4 => max,
            5 => i64::from(self.byte() as i8),
            _ => (i64::from_le_bytes(self.bytes()) << shift) >> shift,
        }
    }

    /// A double that equals itself (generated types compare with `==`).
    fn double(&mut self) -> f64 {
        match self.byte() % 8 {
            0 => 0.0,
            1 => -0.0,
            2 => f64::from(self.byte() as i8) / 4.0,
            3 => [
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::MIN_POSITIVE,
                f64::MAX,
                f64::MIN,
                f64::EPSILON,
                5e-324,
            ][self.below(7)],
            _ => {
                let d = f64::from_bits(u64::from_le_bytes(self.bytes()));
                if d.is_nan() { 1.5 } else { d }
            }
        }
    }

    /// A string of up to eight characters of one to four UTF-8 bytes.
    fn string(&mut self) -> String {
        let n = self.below(9);
        (0..n)
            .map(|_| match self.byte() % 6 {
                0 => 'a',
                1 => char::from(b'a' + self.byte() % 26),
                2 => ['\0', '\n', '"', '\\', ' ', '\u{7f}'][self.below(6)],
                3 => ['é', 'ß', 'ŋ', '\u{7ff}'][self.below(4)],
                4 => ['☃', '€', '\u{fffd}', '\u{ffff}'][self.below(4)],
                _ => ['𝄞', '😀', '\u{10ffff}'][self.below(3)],
            })
            .collect()
    }

    fn binary(&mut self) -> Vec<u8> {
        let n = self.below(9);
        (0..n).map(|_| self.byte()).collect()
    }

    /// A field id for an unknown field: small, large or negative.
    fn field_id(&mut self) -> i16 {
        match self.byte() % 4 {
            0 => 1 + self.below(16) as i16,
            1 => 100 + self.below(200) as i16,
            2 => self.int(16) as i16,
            _ => -1 - self.below(8) as i16,
        }
    }
}

/// A case's choice bytes; failure reports show them as hex.
#[derive(Clone)]
struct Choices(Vec<u8>);

impl Debug for Choices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("choices ")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

fn choices() -> impl Strategy<Value = Choices> {
    vec(any::<u8>(), 0..=MAX_CHOICES).prop_map(Choices)
}

/// What an entry of the table is, in the plan.
enum Target<'a> {
    Struct(&'a plan::Struct),
    Union(&'a plan::Struct),
    Enum(&'a plan::Enum),
}

fn wire_ttype(w: Wire) -> TType {
    match w {
        Wire::Bool => TType::Bool,
        Wire::I8 => TType::I8,
        Wire::I16 => TType::I16,
        Wire::I32 => TType::I32,
        Wire::I64 => TType::I64,
        Wire::Double => TType::Double,
        Wire::String => TType::String,
        Wire::Uuid => TType::Uuid,
        Wire::Struct => TType::Struct,
        Wire::Map => TType::Map,
        Wire::Set => TType::Set,
        Wire::List => TType::List,
        Wire::Void => TType::Void,
    }
}

/// Every wire type a value can have.
const ANY_TTYPE: [TType; 12] = [
    TType::Bool,
    TType::I8,
    TType::I16,
    TType::I32,
    TType::I64,
    TType::Double,
    TType::String,
    TType::Uuid,
    TType::Struct,
    TType::List,
    TType::Set,
    TType::Map,
];

/// The plan of one golden folder, with what generation needs to know.
struct Model {
    krate: Crate,
    /// Per struct and union: the fewest nesting levels of a value (fields
    /// that must be present, a union's shallowest variant, empty
    /// containers). `u32::MAX`: no finite value.
    costs: HashMap<DefId, u32>,
}

impl Model {
    fn new(krate: Crate) -> Model {
        let mut model = Model {
            krate,
            costs: HashMap::new(),
        };
        // Fixpoint from "infinite" down.
        loop {
            let mut changed = false;
            for module in &model.krate.modules {
                for item in &module.items {
                    let (Item::Struct(s) | Item::Union(s)) = item else {
                        continue;
                    };
                    let Some(id) = s.def else { continue };
                    let cost = model.struct_cost(s);
                    if model.def_cost(id) != cost {
                        model.costs.insert(id, cost);
                        changed = true;
                    }
                }
            }
            if !changed {
                break model;
            }
        }
    }

    fn struct_cost(&self, s: &plan::Struct) -> u32 {
        if s.unknown_variant.is_some() {
            // A union: its shallowest variant; the unknown variant (a
            // scalar) is always possible.
            let known = s.fields.iter().map(|f| self.cost(&f.ty)).min();
            1 + known.unwrap_or(u32::MAX).min(1)
        } else {
            let deepest = s
                .fields
                .iter()
                .filter(|f| !f.is_optional())
                .map(|f| self.cost(&f.ty))
                .max()
                .unwrap_or(0);
            deepest.saturating_add(1)
        }
    }

    fn def_cost(&self, id: DefId) -> u32 {
        self.costs.get(&id).copied().unwrap_or(u32::MAX)
    }

    fn cost(&self, ty: &Ty) -> u32 {
        match ty {
            Ty::List(_) | Ty::Set(..) | Ty::Map(..) => 1,
            Ty::Named(id) => match self.krate.item(*id) {
                Item::Struct(_) | Item::Union(_) => self.def_cost(*id),
                Item::Typedef(t) => self.cost(&t.ty),
                _ => 0,
            },
            _ => 0,
        }
    }

    fn ttype(&self, ty: &Ty) -> TType {
        match ty {
            Ty::Bool => TType::Bool,
            Ty::I8 => TType::I8,
            Ty::I16 => TType::I16,
            Ty::I32 => TType::I32,
            Ty::I64 => TType::I64,
            Ty::Double => TType::Double,
            Ty::String | Ty::Binary | Ty::ByteString | Ty::Bytes | Ty::SmallString => TType::String,
            Ty::Uuid => TType::Uuid,
            Ty::List(_) => TType::List,
            Ty::Set(..) => TType::Set,
            Ty::Map(..) => TType::Map,
            Ty::Named(id) => wire_ttype(self.krate.def(*id).wire),
        }
    }

    /// Follows typedefs.
    fn resolve<'t>(&'t self, mut ty: &'t Ty) -> &'t Ty {
        while let Ty::Named(id) = ty {
            match self.krate.item(*id) {
                Item::Typedef(t) => ty = &t.ty,
                _ => break,
            }
        }
        ty
    }

    /// Is `f` a known field of `s` (same id and wire type)?
    fn is_known(&self, s: &plan::Struct, f: &UnknownField) -> bool {
        s.fields
            .iter()
            .any(|k| k.id == f.id && self.ttype(&k.ty) == f.value.ttype())
    }

    // ---- default values, as the generated code spells them

    /// The value an absent default-requiredness field reads as.
    fn field_default(&self, f: &plan::Field) -> Value {
        match &f.default {
            Some(v) => self.const_value(&f.ty, v),
            None => self.type_default(&f.ty),
        }
    }

    /// `Default::default()` of a type.
    fn type_default(&self, ty: &Ty) -> Value {
        match self.resolve(ty) {
            Ty::Bool => Value::Bool(false),
            Ty::I8 => Value::I8(0),
            Ty::I16 => Value::I16(0),
            Ty::I32 => Value::I32(0),
            Ty::I64 => Value::I64(0),
            Ty::Double => Value::Double(0.0),
            Ty::String | Ty::Binary | Ty::ByteString | Ty::Bytes | Ty::SmallString => {
                Value::Bytes(Vec::new())
            }
            Ty::Uuid => Value::Uuid([0; 16]),
            Ty::List(e) => Value::List {
                elem: self.ttype(e),
                items: Vec::new(),
            },
            Ty::Set(_, e) => Value::Set {
                elem: self.ttype(e),
                items: Vec::new(),
            },
            Ty::Map(_, k, v) => Value::Map {
                key: self.ttype(k),
                value: self.ttype(v),
                entries: Vec::new(),
            },
            Ty::Named(id) => match self.krate.item(*id) {
                // The first declared value (zero for an empty enum).
                Item::Enum(e) => Value::I32(e.values.first().map_or(0, |v| v.value)),
                Item::Struct(s) => self.struct_value(s, &[]),
                other => panic!("{other:?} has no default value"),
            },
        }
    }

    /// A struct constant: the given fields, the others as `Default` has
    /// them (optional fields with an IDL default are set).
    fn struct_value(&self, s: &plan::Struct, given: &[(usize, ConstValue)]) -> Value {
        let mut fields = Vec::new();
        let mut by_id: Vec<(usize, &plan::Field)> = s.fields.iter().enumerate().collect();
        by_id.sort_by_key(|(_, f)| f.id);
        for (i, f) in by_id {
            let value = match given.iter().rev().find(|(j, _)| *j == i) {
                Some((_, v)) => Some(self.const_value(&f.ty, v)),
                None if f.is_optional() => f.default.as_ref().map(|v| self.const_value(&f.ty, v)),
                None => Some(self.field_default(f)),
            };
            if let Some(value) = value {
                fields.push(UnknownField { id: f.id, value });
            }
        }
        Value::Struct(fields)
    }

    /// A constant of the IDL as a wire tree.
    fn const_value(&self, ty: &Ty, v: &ConstValue) -> Value {
        let ty = self.resolve(ty);
        match (ty, v) {
            (_, ConstValue::Bool(b)) => Value::Bool(*b),
            (Ty::I8, ConstValue::Int(i)) => Value::I8(*i as i8),
            (Ty::I16, ConstValue::Int(i)) => Value::I16(*i as i16),
            (Ty::I64, ConstValue::Int(i)) => Value::I64(*i),
            (Ty::Double, ConstValue::Int(i)) => Value::Double(*i as f64),
            // `i32` and enums given by number.
            (_, ConstValue::Int(i)) => Value::I32(*i as i32),
            (_, ConstValue::Double(d)) => Value::Double(*d),
            (_, ConstValue::String(s)) => Value::Bytes(s.as_bytes().to_vec()),
            (_, ConstValue::Uuid(u)) => Value::Uuid(*u),
            (Ty::List(e), ConstValue::List(items) | ConstValue::Set(items)) => Value::List {
                elem: self.ttype(e),
                items: items.iter().map(|i| self.const_value(e, i)).collect(),
            },
            (Ty::Set(coll, e), ConstValue::List(items) | ConstValue::Set(items)) => {
                let mut out: Vec<Value> = Vec::new();
                for i in items {
                    let v = self.const_value(e, i);
                    if !merges(*coll, &out, &v) {
                        out.push(v);
                    }
                }
                Value::Set {
                    elem: self.ttype(e),
                    items: out,
                }
            }
            (Ty::Map(coll, k, val), ConstValue::Map(entries)) => {
                let mut out: Vec<(Value, Value)> = Vec::new();
                for (a, b) in entries {
                    let (a, b) = (self.const_value(k, a), self.const_value(val, b));
                    // `HashMap::from`/`BTreeMap::from`: the last value wins.
                    let keys: Vec<Value> = out.iter().map(|(x, _)| x.clone()).collect();
                    if merges(*coll, &keys, &a) {
                        let na = normalize(a);
                        let slot = out.iter_mut().find(|(x, _)| normalize(x.clone()) == na);
                        slot.expect("merged with a key").1 = b;
                    } else {
                        out.push((a, b));
                    }
                }
                Value::Map {
                    key: self.ttype(k),
                    value: self.ttype(val),
                    entries: out,
                }
            }
            (_, ConstValue::Enum { def, index }) => match self.krate.item(*def) {
                Item::Enum(e) => Value::I32(e.values[*index].value),
                other => panic!("enum constant of {other:?}"),
            },
            (_, ConstValue::Struct { def, fields }) => match self.krate.item(*def) {
                Item::Struct(s) => self.struct_value(s, fields),
                Item::Union(u) => {
                    let (i, v) = fields.first().expect("a union constant sets a field");
                    let f = &u.fields[*i];
                    Value::Struct(vec![UnknownField {
                        id: f.id,
                        value: self.const_value(&f.ty, v),
                    }])
                }
                other => panic!("struct constant of {other:?}"),
            },
            (ty, v) => panic!("constant {v:?} of type {ty:?}"),
        }
    }
}

/// Interprets choice bytes against the model.
struct Gen<'a> {
    model: &'a Model,
    src: Source<'a>,
    untyped_empty_map: bool,
}

impl Gen<'_> {
    fn case(mut self, target: &Target) -> Case {
        let mut invalid = Vec::new();
        let (canonical, lenient, ttype) = match target {
            Target::Struct(s) => {
                let (c, l) = self.structure(s, BUDGET);
                let Value::Struct(fields) = &c else {
                    unreachable!()
                };
                // Required fields, and default-requiredness ones without a
                // default, must be present; the error names the field.
                for f in &s.fields {
                    let needed = f.req == Requiredness::Required
                        || (f.req == Requiredness::Default && f.default.is_none() && !f.ty_default);
                    if needed {
                        let rest = fields.iter().filter(|k| k.id != f.id).cloned().collect();
                        let needle = format!("`{}` of `{}`", f.thrift_name, s.thrift_name);
                        invalid.push((Value::Struct(rest), needle));
                    }
                }
                (c, l, TType::Struct)
            }
            Target::Union(u) => {
                let (c, l) = self.union(u, BUDGET);
                let no_field = format!("union `{}` has no field set", u.thrift_name);
                invalid.push((Value::Struct(Vec::new()), no_field));
                if !u.fields.is_empty() {
                    // Two known fields (maybe the same one twice).
                    let two = (0..2)
                        .map(|_| {
                            let f = &u.fields[self.src.below(u.fields.len())];
                            let (value, _) = self.value(&f.ty, 1);
                            UnknownField { id: f.id, value }
                        })
                        .collect();
                    let several = format!("union `{}` has more than one field set", u.thrift_name);
                    invalid.push((Value::Struct(two), several));
                }
                (c, l, TType::Struct)
            }
            Target::Enum(e) => {
                let v = Value::I32(self.enum_value(e));
                (v.clone(), v, TType::I32)
            }
        };
        Case {
            ttype,
            canonical,
            lenient,
            cross_protocol: !self.untyped_empty_map,
            invalid,
        }
    }

    fn len(&mut self, budget: u32) -> usize {
        match budget {
            0 => 0,
            b => self.src.below(b.min(3) as usize + 1),
        }
    }

    /// A declared value, or any `i32` (a newer peer's value).
    fn enum_value(&mut self, e: &plan::Enum) -> i32 {
        if !e.values.is_empty() && !self.src.one_in(4) {
            e.values[self.src.below(e.values.len())].value
        } else {
            self.src.int(32) as i32
        }
    }

    /// `(canonical, lenient)` trees of a value of `ty`.
    fn value(&mut self, ty: &Ty, budget: u32) -> (Value, Value) {
        let model = self.model;
        let same = |v: Value| (v.clone(), v);
        let inner = budget.saturating_sub(1);
        match ty {
            Ty::Bool => same(Value::Bool(self.src.byte() % 2 == 1)),
            Ty::I8 => same(Value::I8(self.src.int(8) as i8)),
            Ty::I16 => same(Value::I16(self.src.int(16) as i16)),
            Ty::I32 => same(Value::I32(self.src.int(32) as i32)),
            Ty::I64 => same(Value::I64(self.src.int(64))),
            Ty::Double => same(Value::Double(self.src.double())),
            Ty::String | Ty::ByteString | Ty::SmallString => {
                same(Value::Bytes(self.src.string().into_bytes()))
            }
            Ty::Binary | Ty::Bytes => same(Value::Bytes(self.src.binary())),
            Ty::Uuid => same(Value::Uuid(self.src.bytes())),
            Ty::List(e) => {
                let (mut c, mut l) = (Vec::new(), Vec::new());
                for _ in 0..self.len(budget) {
                    let (a, b) = self.value(e, inner);
                    c.push(a);
                    l.push(b);
                }
                let elem = model.ttype(e);
                (
                    Value::List { elem, items: c },
                    Value::List { elem, items: l },
                )
            }
            Ty::Set(coll, e) => {
                let (mut c, mut l) = (Vec::new(), Vec::new());
                for _ in 0..self.len(budget) {
                    let (a, b) = self.value(e, inner);
                    if !merges(*coll, &c, &a) {
                        c.push(a);
                        l.push(b);
                    }
                }
                let elem = model.ttype(e);
                (Value::Set { elem, items: c }, Value::Set { elem, items: l })
            }
            Ty::Map(coll, k, v) => {
                let (mut c, mut l) = (Vec::new(), Vec::new());
                for _ in 0..self.len(budget) {
                    let (ka, kb) = self.value(k, inner);
                    let (va, vb) = self.value(v, inner);
                    let keys: Vec<Value> =
                        c.iter().map(|(x, _): &(Value, Value)| x.clone()).collect();
                    if !merges(*coll, &keys, &ka) {
                        c.push((ka, va));
                        l.push((kb, vb));
                    }
                }
                let (key, value) = (model.ttype(k), model.ttype(v));
                (
                    Value::Map {
                        key,
                        value,
                        entries: c,
                    },
                    Value::Map {
                        key,
                        value,
                        entries: l,
                    },
                )
            }
            Ty::Named(id) => match model.krate.item(*id) {
                Item::Struct(s) => self.structure(s, budget),
                Item::Union(u) => self.union(u, budget),
                Item::Enum(e) => same(Value::I32(self.enum_value(e))),
                Item::Typedef(t) => self.value(&t.ty, budget),
                other => panic!("a field of type {other:?}"),
            },
        }
    }

    /// Up to two unknown fields for `s`, inserted into `fields` at random
    /// positions from `from` on.
    fn unknown_fields(
        &mut self,
        s: &plan::Struct,
        fields: &mut Vec<UnknownField>,
        from: usize,
        budget: u32,
    ) {
        for _ in 0..1 + self.src.below(2) {
            let id = self.src.field_id();
            let value = self.any(budget.saturating_sub(1));
            let mut f = UnknownField { id, value };
            if self.model.is_known(s, &f) {
                // Same id and wire type as a declared field: take the
                // first id no field has.
                f.id = (1..).find(|i| s.fields.iter().all(|k| k.id != *i)).unwrap();
            }
            let at = from + self.src.below(fields.len() - from + 1);
            fields.insert(at, f);
        }
    }

    fn structure(&mut self, s: &plan::Struct, budget: u32) -> (Value, Value) {
        let inner = budget.saturating_sub(1);
        let (mut c, mut l) = (Vec::new(), Vec::new());
        for f in s.fields_by_id() {
            if f.is_optional() {
                if budget > 0 && self.src.one_in(2) {
                    let (a, b) = self.value(&f.ty, inner);
                    c.push(UnknownField { id: f.id, value: a });
                    l.push(UnknownField { id: f.id, value: b });
                }
                continue;
            }
            // Absent, a default-requiredness field reads as its default
            // (when it has one; else it is as good as required).
            let may_be_absent =
                f.req == Requiredness::Default && (f.default.is_some() || f.ty_default);
            if may_be_absent && self.src.one_in(4) {
                c.push(UnknownField {
                    id: f.id,
                    value: self.model.field_default(f),
                });
                continue;
            }
            let (a, b) = self.value(&f.ty, inner);
            c.push(UnknownField { id: f.id, value: a });
            l.push(UnknownField { id: f.id, value: b });
        }
        if budget > 0 && self.src.one_in(3) {
            self.unknown_fields(s, &mut l, 0, budget);
        }
        if self.src.one_in(4) {
            for i in (1..l.len()).rev() {
                let j = self.src.below(i + 1);
                l.swap(i, j);
            }
        }
        if s.unknown_fields.is_some() {
            // Kept, and written back after the known fields in read order.
            let model = self.model;
            c.extend(l.iter().filter(|f| !model.is_known(s, f)).cloned());
        }
        (Value::Struct(c), Value::Struct(l))
    }

    fn union(&mut self, u: &plan::Struct, budget: u32) -> (Value, Value) {
        let model = self.model;
        let fields = u.fields_by_id();
        let shallowest = fields
            .iter()
            .min_by_key(|f| model.cost(&f.ty))
            .filter(|f| model.cost(&f.ty) <= 1);
        // A union of zero fields (legal IDL) has only its unknown variant:
        // its values are fields this schema does not know, covered here like
        // any union's unknown variant (and the invalid trees check that an
        // empty struct does not read as one).
        let known = if budget == 0 {
            shallowest
        } else if fields.is_empty() || self.src.one_in(6) {
            None
        } else {
            Some(&fields[self.src.below(fields.len())])
        };
        let (c, mut l) = match known {
            Some(f) => {
                let (a, b) = self.value(&f.ty, budget.saturating_sub(1));
                (
                    UnknownField { id: f.id, value: a },
                    vec![UnknownField { id: f.id, value: b }],
                )
            }
            None => {
                // A variant this schema does not know: the unknown variant.
                let mut l = Vec::new();
                self.unknown_fields(u, &mut l, 0, budget);
                l.truncate(1);
                (l[0].clone(), l)
            }
        };
        if budget > 0 && self.src.one_in(4) {
            // Ignored next to a known field; after the first unknown one.
            let from = usize::from(known.is_none());
            self.unknown_fields(u, &mut l, from, budget);
        }
        (Value::Struct(vec![c]), Value::Struct(l))
    }

    /// A value of any wire type (an unknown field's).
    fn any(&mut self, budget: u32) -> Value {
        let t = ANY_TTYPE[self.src.below(ANY_TTYPE.len())];
        self.any_of(t, budget)
    }

    fn any_of(&mut self, t: TType, budget: u32) -> Value {
        let inner = budget.saturating_sub(1);
        match t {
            TType::Bool => Value::Bool(self.src.byte() % 2 == 1),
            TType::I8 => Value::I8(self.src.int(8) as i8),
            TType::I16 => Value::I16(self.src.int(16) as i16),
            TType::I32 => Value::I32(self.src.int(32) as i32),
            TType::I64 => Value::I64(self.src.int(64)),
            // Any bits, NaN too: unknown values compare by bits.
            TType::Double => Value::Double(f64::from_bits(u64::from_le_bytes(self.src.bytes()))),
            TType::String => Value::Bytes(self.src.binary()),
            TType::Uuid => Value::Uuid(self.src.bytes()),
            TType::Struct => {
                let n = self.len(budget);
                Value::Struct(
                    (0..n)
                        .map(|_| UnknownField {
                            id: self.src.field_id(),
                            value: self.any(inner),
                        })
                        .collect(),
                )
            }
            TType::List | TType::Set => {
                let elem = ANY_TTYPE[self.src.below(ANY_TTYPE.len())];
                let n = self.len(budget);
                let items = (0..n).map(|_| self.any_of(elem, inner)).collect();
                if t == TType::List {
                    Value::List { elem, items }
                } else {
                    Value::Set { elem, items }
                }
            }
            TType::Map => {
                let key = ANY_TTYPE[self.src.below(ANY_TTYPE.len())];
                let value = ANY_TTYPE[self.src.below(ANY_TTYPE.len())];
                let n = self.len(budget);
                self.untyped_empty_map |= n == 0;
                let entries = (0..n)
                    .map(|_| (self.any_of(key, inner), self.any_of(value, inner)))
                    .collect();
                Value::Map {
                    key,
                    value,
                    entries,
                }
            }
            TType::Stop | TType::Void => unreachable!("not a value type"),
            other => unreachable!("{other:?} is not in ANY_TTYPE"),
        }
    }
}

// ------------------------------------------------------------ driver

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load(g: &Golden) -> (thriftc::Loaded, Crate) {
    let mut options = thriftc::Options::default();
    options.keep_unknown_fields = g.keep_unknown_fields;
    options.btree_all = g.btree_all;
    if g.bytes_all {
        options.bytes_paths = vec![".".to_owned()];
    }
    if g.views_all {
        options.views = vec![".".to_owned()];
    }
    if g.lazy_all {
        options.lazy = vec![".".to_owned()];
    }
    if g.wire_all {
        options.wire_order_paths = vec![".".to_owned()];
    }
    if g.foldhash {
        options.hasher = Some("foldhash::fast::RandomState".to_owned());
    }
    if g.small_all {
        options.small_strings = vec![".".to_owned()];
    }
    options.serde = g.serde;
    let dirs: Vec<PathBuf> = g.include_dirs.iter().map(|d| root().join(d)).collect();
    let loaded = thriftc::load(&[root().join(g.fixture)], &dirs)
        .unwrap_or_else(|e| panic!("{} does not load:\n{}", g.fixture, e.render(false)));
    let krate = plan::plan(&loaded.program, &options).unwrap_or_else(|e| panic!("{e}"));
    (loaded, krate)
}

/// The planned type of an entry, and its `<module>::<Type>` path.
fn target<'a>(krate: &'a Crate, e: &Entry) -> (Target<'a>, String) {
    let module = &krate.modules[e.module];
    let (target, name) = match (&module.items[e.item], e.function) {
        (Item::Struct(s), None) => (Target::Struct(s), &s.name),
        (Item::Union(u), None) => (Target::Union(u), &u.name),
        (Item::Enum(en), None) => (Target::Enum(en), &en.name),
        (Item::Service(svc), Some((f, part))) => {
            let s = match part {
                Part::Args => &svc.functions[f].args,
                Part::Result => &svc.functions[f].result,
            };
            (Target::Struct(s), &s.name)
        }
        (other, _) => panic!("{}: table entry for {other:?}", e.path),
    };
    (target, format!("{}::{}", module.name, name))
}

fn config() -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = DEFAULT_CASES;
    }
    config.failure_persistence = None;
    config.max_shrink_iters = 4096;
    config
}

/// Checks every type of a golden folder; reports all failing types at once.
fn check_golden(g: &Golden) {
    let (_, krate) = load(g);
    let expected: usize = krate
        .modules
        .iter()
        .flat_map(|m| &m.items)
        .map(|item| match item {
            Item::Struct(_) | Item::Union(_) | Item::Enum(_) => 1,
            Item::Service(svc) => 2 * svc.functions.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(
        g.types.len(),
        expected,
        "{}: the table lists {} types, the plan has {expected}: rebuild (tests/build.rs)",
        g.folder,
        g.types.len()
    );
    let views = g.types.iter().filter(|e| e.view.is_some()).count();
    assert!(
        !g.views_all || views > 0,
        "{}: generated with views, but no type has one",
        g.folder
    );
    let model = Model::new(krate);
    let mut failures = Vec::new();
    for e in g.types {
        let (ty, path) = target(&model.krate, e);
        assert_eq!(path, e.path, "{}: table and plan disagree", g.folder);
        if let Some(check) = e.default {
            let tree = match ty {
                Target::Struct(s) => model.struct_value(s, &[]),
                Target::Enum(en) => Value::I32(en.values.first().map_or(0, |v| v.value)),
                Target::Union(_) => unreachable!("unions have no Default"),
            };
            if let Err(err) = check(&tree) {
                failures.push(format!("{}::{path}: {err}", g.folder));
            }
        }
        if let Target::Struct(s) | Target::Union(s) = ty {
            assert!(
                s.def.is_none_or(|id| model.def_cost(id) != u32::MAX),
                "{}::{path}: no finite value exists (a required field leads back to the struct)",
                g.folder
            );
        }
        let mut runner = TestRunner::new(config());
        let result = runner.run(&choices(), |choices| {
            let case = Gen {
                model: &model,
                src: Source {
                    bytes: &choices.0,
                    pos: 0,
                },
                untyped_empty_map: false,
            }
            .case(&ty);
            (e.run)(&case).map_err(TestCaseError::fail)?;
            match e.view {
                Some(view) => view(&case).map_err(TestCaseError::fail),
                None => Ok(()),
            }
        });
        if let Err(err) = result {
            failures.push(format!("{}::{path}: {err}", g.folder));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} types fail:\n\n{}",
        failures.len(),
        g.types.len(),
        failures.join("\n\n")
    );
}

/// Every fixture that gets generated code is in some golden folder's
/// program, so its types are checked above; a fixture folder that gained a
/// file without a golden fails here.
#[test]
fn every_fixture_is_covered() {
    let mut covered = std::collections::BTreeSet::new();
    for g in GOLDENS {
        let (loaded, _) = load(g);
        for f in &loaded.program.files {
            covered.insert(f.path.canonicalize().unwrap_or_else(|_| f.path.clone()));
        }
    }
    for dir in ["valid", "codegen", "bench", "compat", "interop", "services"] {
        let dir = root().join("fixtures").join(dir);
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "thrift") {
                let path = path.canonicalize().unwrap();
                assert!(
                    covered.contains(&path),
                    "{} has no golden folder, so its types are not round-tripped",
                    path.display()
                );
            }
        }
    }
    let types: usize = GOLDENS.iter().map(|g| g.types.len()).sum();
    assert!(types > 100, "only {types} types in the table");
}

/// The generator itself: a union takes its shallowest variant once the
/// budget is spent, so recursive types stay finite; and canonical trees of
/// a known struct are what the generated code writes.
#[test]
fn generator_terminates_and_is_canonical() {
    let g = GOLDENS
        .iter()
        .find(|g| g.folder == "golden/rs/codegen_types")
        .expect("the codegen_types golden");
    let (_, krate) = load(g);
    let model = Model::new(krate);
    for e in g.types {
        let (ty, path) = target(&model.krate, e);
        // All zeros: the simplest value of every type.
        let case = Gen {
            model: &model,
            src: Source { bytes: &[], pos: 0 },
            untyped_empty_map: false,
        }
        .case(&ty);
        assert_eq!(case.canonical, case.lenient, "{path}");
        (e.run)(&case).unwrap_or_else(|err| panic!("{path}: {err}"));
        // All 0xff: deep and wide; still bounded.
        let bytes = [0xffu8; MAX_CHOICES];
        let case = Gen {
            model: &model,
            src: Source {
                bytes: &bytes,
                pos: 0,
            },
            untyped_empty_map: false,
        }
        .case(&ty);
        (e.run)(&case).unwrap_or_else(|err| panic!("{path}: {err}"));
    }
}
