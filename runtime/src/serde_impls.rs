//! `serde::Serialize` and `serde::Deserialize` for the runtime's types that
//! generated owned types hold (feature `serde`), so that
//! `#[derive(serde::Serialize, serde::Deserialize)]` on every generated type
//! compiles. The representations are described in the crate docs
//! (section *Serde*); in short:
//!
//! - [`Uuid`]: the hyphenated text in human-readable formats, 16 bytes in
//!   the others;
//! - [`VecSet`]: a sequence, [`VecMap`]: a map, both in their order, with
//!   duplicates kept;
//! - [`UnknownField`]: `{ id, value }`, and [`Value`] an enum named by
//!   Thrift's type names (`{"i32": 7}`, `{"list": {"elem": "string",
//!   "items": [...]}}`), so that a serde round trip keeps unknown fields
//!   exactly as they would be written back on the wire. In human-readable
//!   formats a `double` that is NaN or infinite is `{"double_bits":
//!   "7ff8000000000000"}` (JSON has no number for it).
//!
//! Reading is bounded: sequences reserve at most what
//! [`prealloc_capacity`] allows, a [`Value`] nests at most
//! [`Limits::DEFAULT_MAX_DEPTH`](crate::Limits::DEFAULT_MAX_DEPTH) structs
//! and containers (on write too), as many as the protocols read with the
//! default limits, whatever the format's own limits, and nothing is skipped
//! (a surplus element is an error before it is read).

use crate::protocol::{TType, prealloc_capacity};
use crate::types::{Uuid, VecMap, VecSet};
use crate::unknown::{UnknownField, Value};
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};
use serde::ser::{self, SerializeSeq, SerializeStruct, SerializeStructVariant, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;

/// The most structs and containers nested in a [`Value`] written or read:
/// as many as the protocols read with [`Limits::default`](crate::Limits)
/// (scalars at the bottom do not count, as on the wire).
const MAX_DEPTH: u32 = crate::Limits::DEFAULT_MAX_DEPTH;

/// Refuses a surplus element of a fixed-length sequence without reading
/// it (skipping it with `IgnoredAny` would recurse as deep as the input
/// nests, in formats that do not bound that themselves).
struct Surplus<'a> {
    expected: &'a dyn de::Expected,
    len: usize,
}

impl<'de> DeserializeSeed<'de> for Surplus<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<(), D::Error> {
        Err(de::Error::invalid_length(self.len, self.expected))
    }
}

// ---------------------------------------------------------------- Uuid

impl Serialize for Uuid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Uuid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Uuid, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Uuid;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a UUID: 8-4-4-4-12 hex digits, or 16 bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Uuid, E> {
                Uuid::parse_str(v).ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Uuid, E> {
                <[u8; 16]>::try_from(v)
                    .map(Uuid)
                    .map_err(|_| E::invalid_length(v.len(), &self))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Uuid, A::Error> {
                let mut out = [0u8; 16];
                for (i, b) in out.iter_mut().enumerate() {
                    *b = seq
                        .next_element()?
                        .ok_or_else(|| de::Error::invalid_length(i, &self))?;
                }
                seq.next_element_seed(Surplus {
                    expected: &self,
                    len: 17,
                })?;
                Ok(Uuid(out))
            }
        }
        if d.is_human_readable() {
            d.deserialize_str(V)
        } else {
            d.deserialize_bytes(V)
        }
    }
}

// ------------------------------------------------------ VecSet, VecMap

impl<T: Serialize> Serialize for VecSet<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(&self.0)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for VecSet<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<VecSet<T>, D::Error> {
        // serde's `Vec` reserves cautiously too.
        Vec::deserialize(d).map(VecSet)
    }
}

impl<K: Serialize, V: Serialize> Serialize for VecMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for VecMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<VecMap<K, V>, D::Error> {
        struct Entries<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for Entries<K, V> {
            type Value = VecMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let n = map.size_hint().unwrap_or(0);
                let mut out = Vec::with_capacity(prealloc_capacity(n, size_of::<(K, V)>()));
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(VecMap(out))
            }
        }
        d.deserialize_map(Entries(PhantomData))
    }
}

// ----------------------------------------------- UnknownField, Value

/// Variant names of [`Value`], indexed as serialized. A `string` or
/// `binary` value ([`Value::Bytes`]) is written as `string` when it is
/// UTF-8, else as `binary`; both read back as [`Value::Bytes`]. A `double`
/// is `double_bits` (its IEEE 754 bits as 16 hex digits) where a
/// human-readable format could not write it as a number: NaN (whatever its
/// sign and payload) and the infinities; both read back as
/// [`Value::Double`].
const VARIANTS: &[&str] = &[
    "bool",
    "i8",
    "i16",
    "i32",
    "i64",
    "double",
    "string",
    "binary",
    "uuid",
    "struct",
    "list",
    "set",
    "map",
    "double_bits",
];
const FIELD_FIELDS: &[&str] = &["id", "value"];
const LIST_FIELDS: &[&str] = &["elem", "items"];
const MAP_FIELDS: &[&str] = &["key", "value", "entries"];

/// Thrift's name of a wire type (`TType::String` carries `string` and
/// `binary` alike and is named `string`).
fn type_name(t: TType) -> &'static str {
    match t {
        TType::Stop => "stop",
        TType::Void => "void",
        TType::Bool => "bool",
        TType::I8 => "i8",
        TType::I16 => "i16",
        TType::I32 => "i32",
        TType::I64 => "i64",
        TType::Double => "double",
        TType::String => "string",
        TType::Struct => "struct",
        TType::Map => "map",
        TType::Set => "set",
        TType::List => "list",
        TType::Uuid => "uuid",
    }
}

const TYPE_NAMES: &[&str] = &[
    "stop", "void", "bool", "i8", "i16", "i32", "i64", "double", "string", "struct", "map", "set",
    "list", "uuid",
];

fn type_of_name(name: &str) -> Option<TType> {
    Some(match name {
        "stop" => TType::Stop,
        "void" => TType::Void,
        "bool" => TType::Bool,
        "i8" => TType::I8,
        "i16" => TType::I16,
        "i32" => TType::I32,
        "i64" => TType::I64,
        "double" => TType::Double,
        "string" => TType::String,
        "struct" => TType::Struct,
        "map" => TType::Map,
        "set" => TType::Set,
        "list" => TType::List,
        "uuid" => TType::Uuid,
        _ => return None,
    })
}

struct TypeName(TType);

impl Serialize for TypeName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(type_name(self.0))
    }
}

impl<'de> Deserialize<'de> for TypeName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TypeName, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TypeName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Thrift wire type name such as \"i32\" or \"struct\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TypeName, E> {
                type_of_name(v)
                    .map(TypeName)
                    .ok_or_else(|| E::unknown_variant(v, TYPE_NAMES))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<TypeName, E> {
                match std::str::from_utf8(v) {
                    Ok(s) => self.visit_str(s),
                    Err(_) => Err(E::invalid_value(Unexpected::Bytes(v), &self)),
                }
            }
        }
        d.deserialize_str(V)
    }
}

fn too_deep() -> String {
    format!("unknown field values nested deeper than {MAX_DEPTH} levels")
}

impl Serialize for UnknownField {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        FieldSer {
            field: self,
            depth: 0,
        }
        .serialize(s)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ValueSer {
            value: self,
            depth: 0,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for UnknownField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<UnknownField, D::Error> {
        FieldSeed { depth: 0 }.deserialize(d)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        ValueSeed { depth: 0 }.deserialize(d)
    }
}

/// A field and how many structs and containers enclose it.
struct FieldSer<'a> {
    field: &'a UnknownField,
    depth: u32,
}

impl Serialize for FieldSer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("UnknownField", 2)?;
        st.serialize_field("id", &self.field.id)?;
        st.serialize_field(
            "value",
            &ValueSer {
                value: &self.field.value,
                depth: self.depth,
            },
        )?;
        st.end()
    }
}

/// A value and how many structs and containers enclose it.
struct ValueSer<'a> {
    value: &'a Value,
    depth: u32,
}

/// Elements (of a list, a set or a struct's fields) one level down.
struct Many<'a, T> {
    items: &'a [T],
    depth: u32,
}

impl Serialize for Many<'_, Value> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.items.len()))?;
        for value in self.items {
            seq.serialize_element(&ValueSer {
                value,
                depth: self.depth,
            })?;
        }
        seq.end()
    }
}

impl Serialize for Many<'_, UnknownField> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.items.len()))?;
        for field in self.items {
            seq.serialize_element(&FieldSer {
                field,
                depth: self.depth,
            })?;
        }
        seq.end()
    }
}

impl Serialize for Many<'_, (Value, Value)> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.items.len()))?;
        for (k, v) in self.items {
            let k = ValueSer {
                value: k,
                depth: self.depth,
            };
            let v = ValueSer {
                value: v,
                depth: self.depth,
            };
            seq.serialize_element(&(k, v))?;
        }
        seq.end()
    }
}

/// A `binary` that is not UTF-8: base64 in human-readable formats, bytes
/// in the others, as the option `serde` writes `binary` fields.
struct RawBytes<'a>(&'a [u8]);

impl Serialize for RawBytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        <crate::serde_as::Binary as crate::serde_as::SerializeAs<[u8]>>::serialize_as(self.0, s)
    }
}

/// Whether a value holds others (and counts one level of depth).
fn nests(v: &Value) -> bool {
    matches!(
        v,
        Value::Struct(_) | Value::List { .. } | Value::Set { .. } | Value::Map { .. }
    )
}

/// The 16 hex digits of a `double`'s bits (variant `double_bits`).
struct DoubleBits(f64);

impl Serialize for DoubleBits {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{:016x}", self.0.to_bits()))
    }
}

impl<'de> Deserialize<'de> for DoubleBits {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DoubleBits, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DoubleBits;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the 64 bits of a double as 16 hex digits")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DoubleBits, E> {
                let bits = crate::serde_as::parse_bits(v)
                    .ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))?;
                Ok(DoubleBits(f64::from_bits(bits)))
            }
        }
        d.deserialize_str(V)
    }
}

impl Serialize for ValueSer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if nests(self.value) && self.depth >= MAX_DEPTH {
            return Err(ser::Error::custom(too_deep()));
        }
        let depth = self.depth + 1;
        let name = "Value";
        match self.value {
            Value::Bool(v) => s.serialize_newtype_variant(name, 0, VARIANTS[0], v),
            Value::I8(v) => s.serialize_newtype_variant(name, 1, VARIANTS[1], v),
            Value::I16(v) => s.serialize_newtype_variant(name, 2, VARIANTS[2], v),
            Value::I32(v) => s.serialize_newtype_variant(name, 3, VARIANTS[3], v),
            Value::I64(v) => s.serialize_newtype_variant(name, 4, VARIANTS[4], v),
            Value::Double(v) if !v.is_finite() && s.is_human_readable() => {
                s.serialize_newtype_variant(name, 13, VARIANTS[13], &DoubleBits(*v))
            }
            Value::Double(v) => s.serialize_newtype_variant(name, 5, VARIANTS[5], v),
            Value::Bytes(v) => match std::str::from_utf8(v) {
                Ok(text) => s.serialize_newtype_variant(name, 6, VARIANTS[6], text),
                Err(_) => s.serialize_newtype_variant(name, 7, VARIANTS[7], &RawBytes(v)),
            },
            Value::Uuid(v) => s.serialize_newtype_variant(name, 8, VARIANTS[8], &Uuid(*v)),
            Value::Struct(fields) => {
                let fields = Many {
                    items: fields,
                    depth,
                };
                s.serialize_newtype_variant(name, 9, VARIANTS[9], &fields)
            }
            Value::List { elem, items } | Value::Set { elem, items } => {
                let index = if matches!(self.value, Value::List { .. }) {
                    10
                } else {
                    11
                };
                let mut sv =
                    s.serialize_struct_variant(name, index, VARIANTS[index as usize], 2)?;
                sv.serialize_field(LIST_FIELDS[0], &TypeName(*elem))?;
                sv.serialize_field(LIST_FIELDS[1], &Many { items, depth })?;
                sv.end()
            }
            Value::Map {
                key,
                value,
                entries,
            } => {
                let mut sv = s.serialize_struct_variant(name, 12, VARIANTS[12], 3)?;
                sv.serialize_field(MAP_FIELDS[0], &TypeName(*key))?;
                sv.serialize_field(MAP_FIELDS[1], &TypeName(*value))?;
                let entries = Many {
                    items: entries,
                    depth,
                };
                sv.serialize_field(MAP_FIELDS[2], &entries)?;
                sv.end()
            }
        }
    }
}

/// A name among `names` (a variant or a field), read as its text or its
/// index.
struct Name {
    names: &'static [&'static str],
    variant: bool,
}

impl<'de> DeserializeSeed<'de> for Name {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for Name {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "one of {:?}", self.names)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<usize, E> {
        usize::try_from(v)
            .ok()
            .filter(|&i| i < self.names.len())
            .ok_or_else(|| E::invalid_value(Unexpected::Unsigned(v), &self))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        match self.names.iter().position(|n| *n == v) {
            Some(i) => Ok(i),
            None if self.variant => Err(E::unknown_variant(v, self.names)),
            None => Err(E::unknown_field(v, self.names)),
        }
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<usize, E> {
        match std::str::from_utf8(v) {
            Ok(s) => self.visit_str(s),
            Err(_) => Err(E::invalid_value(Unexpected::Bytes(v), &self)),
        }
    }
}

fn field_name(names: &'static [&'static str]) -> Name {
    Name {
        names,
        variant: false,
    }
}

/// Reads an [`UnknownField`] enclosed in `depth` structs and containers.
#[derive(Clone, Copy)]
struct FieldSeed {
    depth: u32,
}

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = UnknownField;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<UnknownField, D::Error> {
        d.deserialize_struct("UnknownField", FIELD_FIELDS, self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = UnknownField;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an unknown field: { id, value }")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UnknownField, A::Error> {
        let id = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let value = seq
            .next_element_seed(ValueSeed { depth: self.depth })?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        Ok(UnknownField { id, value })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UnknownField, A::Error> {
        let (mut id, mut value) = (None, None);
        while let Some(k) = map.next_key_seed(field_name(FIELD_FIELDS))? {
            match k {
                0 if id.is_none() => id = Some(map.next_value()?),
                1 if value.is_none() => {
                    value = Some(map.next_value_seed(ValueSeed { depth: self.depth })?)
                }
                _ => return Err(de::Error::duplicate_field(FIELD_FIELDS[k])),
            }
        }
        Ok(UnknownField {
            id: id.ok_or_else(|| de::Error::missing_field("id"))?,
            value: value.ok_or_else(|| de::Error::missing_field("value"))?,
        })
    }
}

/// Reads a [`Value`] enclosed in `depth` structs and containers.
#[derive(Clone, Copy)]
struct ValueSeed {
    depth: u32,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_enum("Value", VARIANTS, self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Thrift value named by its type, such as {\"i32\": 7}")
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, v) = data.variant_seed(Name {
            names: VARIANTS,
            variant: true,
        })?;
        if (9..=12).contains(&tag) && self.depth >= MAX_DEPTH {
            return Err(de::Error::custom(too_deep()));
        }
        let depth = self.depth + 1;
        Ok(match tag {
            0 => Value::Bool(v.newtype_variant()?),
            1 => Value::I8(v.newtype_variant()?),
            2 => Value::I16(v.newtype_variant()?),
            3 => Value::I32(v.newtype_variant()?),
            4 => Value::I64(v.newtype_variant()?),
            5 => Value::Double(v.newtype_variant()?),
            6 => Value::Bytes(v.newtype_variant::<String>()?.into_bytes()),
            7 => Value::Bytes(v.newtype_variant_seed(ByteBuf)?),
            8 => Value::Uuid(v.newtype_variant::<Uuid>()?.0),
            9 => Value::Struct(v.newtype_variant_seed(Seq {
                item: FieldSeed { depth },
            })?),
            10 | 11 => {
                let set = tag == 11;
                v.struct_variant(LIST_FIELDS, ListVisitor { depth, set })?
            }
            12 => v.struct_variant(MAP_FIELDS, MapVisitor { depth })?,
            _ => Value::Double(v.newtype_variant::<DoubleBits>()?.0),
        })
    }
}

/// Reads a `binary` value (see [`RawBytes`]; also a sequence of numbers,
/// the form before base64).
struct ByteBuf;

impl<'de> DeserializeSeed<'de> for ByteBuf {
    type Value = Vec<u8>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<u8>, D::Error> {
        crate::serde_as::read_binary(d)
    }
}

/// Reads a sequence of what `item` reads.
struct Seq<T> {
    item: T,
}

impl<'de, T: DeserializeSeed<'de> + Copy> DeserializeSeed<'de> for Seq<T> {
    type Value = Vec<T::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeSeed<'de> + Copy> Visitor<'de> for Seq<T> {
    type Value = Vec<T::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let n = seq.size_hint().unwrap_or(0);
        let mut out = Vec::with_capacity(prealloc_capacity(n, size_of::<T::Value>()));
        while let Some(x) = seq.next_element_seed(self.item)? {
            out.push(x);
        }
        Ok(out)
    }
}

/// Reads a map entry: a pair of values.
#[derive(Clone, Copy)]
struct PairSeed {
    depth: u32,
}

impl<'de> DeserializeSeed<'de> for PairSeed {
    type Value = (Value, Value);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_tuple(2, self)
    }
}

impl<'de> Visitor<'de> for PairSeed {
    type Value = (Value, Value);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map entry: [key, value]")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let item = ValueSeed { depth: self.depth };
        let k = seq
            .next_element_seed(item)?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let v = seq
            .next_element_seed(item)?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        seq.next_element_seed(Surplus {
            expected: &self,
            len: 3,
        })?;
        Ok((k, v))
    }
}

/// Checks that every value has the declared wire type, as writing the
/// container would.
fn check_elems<'v, E: de::Error>(
    declared: TType,
    values: impl IntoIterator<Item = &'v Value>,
) -> Result<(), E> {
    match values.into_iter().find(|v| v.ttype() != declared) {
        None => Ok(()),
        Some(v) => Err(E::custom(format!(
            "container element of type {} where {} was declared",
            type_name(v.ttype()),
            type_name(declared)
        ))),
    }
}

/// Reads the fields of a `list` or `set` variant.
struct ListVisitor {
    depth: u32,
    set: bool,
}

impl ListVisitor {
    fn build<E: de::Error>(&self, elem: TType, items: Vec<Value>) -> Result<Value, E> {
        check_elems::<E>(elem, &items)?;
        Ok(if self.set {
            Value::Set { elem, items }
        } else {
            Value::List { elem, items }
        })
    }
}

impl<'de> Visitor<'de> for ListVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list or set: { elem, items }")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let TypeName(elem) = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let items = seq
            .next_element_seed(Seq {
                item: ValueSeed { depth: self.depth },
            })?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        self.build(elem, items)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let (mut elem, mut items) = (None, None);
        while let Some(k) = map.next_key_seed(field_name(LIST_FIELDS))? {
            match k {
                0 if elem.is_none() => elem = Some(map.next_value::<TypeName>()?.0),
                1 if items.is_none() => {
                    items = Some(map.next_value_seed(Seq {
                        item: ValueSeed { depth: self.depth },
                    })?)
                }
                _ => return Err(de::Error::duplicate_field(LIST_FIELDS[k])),
            }
        }
        let elem = elem.ok_or_else(|| de::Error::missing_field("elem"))?;
        let items = items.ok_or_else(|| de::Error::missing_field("items"))?;
        self.build(elem, items)
    }
}

/// Reads the fields of a `map` variant.
struct MapVisitor {
    depth: u32,
}

fn build_map<E: de::Error>(
    key: TType,
    value: TType,
    entries: Vec<(Value, Value)>,
) -> Result<Value, E> {
    check_elems::<E>(key, entries.iter().map(|e| &e.0))?;
    check_elems::<E>(value, entries.iter().map(|e| &e.1))?;
    Ok(Value::Map {
        key,
        value,
        entries,
    })
}

impl<'de> Visitor<'de> for MapVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map: { key, value, entries }")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let TypeName(key) = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let TypeName(value) = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        let entries = seq
            .next_element_seed(Seq {
                item: PairSeed { depth: self.depth },
            })?
            .ok_or_else(|| de::Error::invalid_length(2, &self))?;
        build_map(key, value, entries)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let (mut key, mut value, mut entries) = (None, None, None);
        while let Some(k) = map.next_key_seed(field_name(MAP_FIELDS))? {
            match k {
                0 if key.is_none() => key = Some(map.next_value::<TypeName>()?.0),
                1 if value.is_none() => value = Some(map.next_value::<TypeName>()?.0),
                2 if entries.is_none() => {
                    entries = Some(map.next_value_seed(Seq {
                        item: PairSeed { depth: self.depth },
                    })?)
                }
                _ => return Err(de::Error::duplicate_field(MAP_FIELDS[k])),
            }
        }
        build_map(
            key.ok_or_else(|| de::Error::missing_field("key"))?,
            value.ok_or_else(|| de::Error::missing_field("value"))?,
            entries.ok_or_else(|| de::Error::missing_field("entries"))?,
        )
    }
}
