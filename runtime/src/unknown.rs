//! Values of fields a schema does not know: [`UnknownField`] and the
//! self-describing [`Value`] tree it holds.
//!
//! Generated unions keep a variant they do not know in their `Unknown`
//! variant; with the generator's `keep_unknown_fields` option, structs keep
//! unknown fields in `unknown_fields`. Writing such a value back produces the
//! bytes that were read (for the same protocol): wire types, element types of
//! empty containers and the order of elements are all preserved. Strings are
//! kept as bytes (no UTF-8 check: the schema does not say whether it is a
//! `string` or a `binary`).
//!
//! With the feature `serde` both implement serde's traits, in a form that
//! keeps everything writing needs (see the crate docs, section *Serde*).
//!
//! Reading is bounded like every other read: the protocol counts depth for
//! each nested struct and container and checks counts against the remaining
//! bytes; vectors reserve at most
//! [`MAX_PREALLOC`](crate::protocol::MAX_PREALLOC) elements and
//! [`MAX_PREALLOC_BYTES`](crate::protocol::MAX_PREALLOC_BYTES) bytes up front.

use crate::error::{Error, ProtocolErrorKind, Result};
use crate::protocol::{FieldHeader, ProtocolRead, ProtocolWrite, TType, prealloc_capacity};
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

/// One field, as read from the wire: its id and value (the value's wire type
/// is [`Value::ttype`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownField {
    /// The field id.
    pub id: i16,
    /// The field's value.
    pub value: Value,
}

impl UnknownField {
    /// Reads the value of the field whose header was just read.
    pub fn read<P: ProtocolRead + ?Sized>(p: &mut P, header: FieldHeader) -> Result<UnknownField> {
        Ok(UnknownField {
            id: header.id,
            value: Value::read(p, header.ttype)?,
        })
    }

    /// Writes the field: header, value, field end.
    pub fn write<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_field_begin("", self.value.ttype(), self.id)?;
        self.value.write(p)?;
        p.write_field_end()
    }
}

/// A Thrift value of any type, without a schema.
#[derive(Clone, Debug)]
pub enum Value {
    /// A `bool`.
    Bool(bool),
    /// A `byte` / `i8`.
    I8(i8),
    /// An `i16`.
    I16(i16),
    /// An `i32` (also how an enum arrives).
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// A `double`. Compared by [`f64::total_cmp`], so a NaN equals itself.
    Double(f64),
    /// A `string` or `binary`.
    Bytes(Vec<u8>),
    /// A `uuid`: 16 bytes, in wire order.
    Uuid([u8; 16]),
    /// A struct, union or exception: its fields in wire order.
    Struct(Vec<UnknownField>),
    /// A `list`, with its element type (kept for empty lists).
    List {
        /// The element type.
        elem: TType,
        /// The elements, in wire order.
        items: Vec<Value>,
    },
    /// A `set`, with its element type (kept for empty sets).
    Set {
        /// The element type.
        elem: TType,
        /// The elements, in wire order.
        items: Vec<Value>,
    },
    /// A `map`, with its key and value types (kept for empty maps).
    Map {
        /// The key type.
        key: TType,
        /// The value type.
        value: TType,
        /// The entries, in wire order.
        entries: Vec<(Value, Value)>,
    },
}

impl Value {
    /// The wire type of this value.
    pub fn ttype(&self) -> TType {
        match self {
            Value::Bool(_) => TType::Bool,
            Value::I8(_) => TType::I8,
            Value::I16(_) => TType::I16,
            Value::I32(_) => TType::I32,
            Value::I64(_) => TType::I64,
            Value::Double(_) => TType::Double,
            Value::Bytes(_) => TType::String,
            Value::Uuid(_) => TType::Uuid,
            Value::Struct(_) => TType::Struct,
            Value::List { .. } => TType::List,
            Value::Set { .. } => TType::Set,
            Value::Map { .. } => TType::Map,
        }
    }

    /// Reads a value of wire type `ttype`.
    pub fn read<P: ProtocolRead + ?Sized>(p: &mut P, ttype: TType) -> Result<Value> {
        Ok(match ttype {
            TType::Bool => Value::Bool(p.read_bool()?),
            TType::I8 => Value::I8(p.read_i8()?),
            TType::I16 => Value::I16(p.read_i16()?),
            TType::I32 => Value::I32(p.read_i32()?),
            TType::I64 => Value::I64(p.read_i64()?),
            TType::Double => Value::Double(p.read_double()?),
            TType::String => Value::Bytes(p.read_binary()?),
            TType::Uuid => Value::Uuid(p.read_uuid()?),
            TType::Struct => {
                p.read_struct_begin()?;
                let mut fields = Vec::new();
                while let Some(h) = p.read_field_begin()? {
                    fields.push(UnknownField::read(p, h)?);
                    p.read_field_end()?;
                }
                p.read_struct_end()?;
                Value::Struct(fields)
            }
            TType::List => {
                let h = p.read_list_begin()?;
                let items = read_items(p, h.elem, h.len)?;
                p.read_list_end()?;
                Value::List {
                    elem: h.elem,
                    items,
                }
            }
            TType::Set => {
                let h = p.read_set_begin()?;
                let items = read_items(p, h.elem, h.len)?;
                p.read_set_end()?;
                Value::Set {
                    elem: h.elem,
                    items,
                }
            }
            TType::Map => {
                let h = p.read_map_begin()?;
                let mut entries = Vec::with_capacity(h.capacity_for::<Value, Value>());
                for _ in 0..h.len {
                    let k = Value::read(p, h.key)?;
                    let v = Value::read(p, h.value)?;
                    entries.push((k, v));
                }
                p.read_map_end()?;
                Value::Map {
                    key: h.key,
                    value: h.value,
                    entries,
                }
            }
            TType::Stop | TType::Void => {
                return Err(Error::protocol(
                    ProtocolErrorKind::InvalidData,
                    format!("cannot read a value of wire type {ttype:?}"),
                ));
            }
        })
    }

    /// Writes the value (without a field header).
    pub fn write<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        match self {
            Value::Bool(v) => p.write_bool(*v),
            Value::I8(v) => p.write_i8(*v),
            Value::I16(v) => p.write_i16(*v),
            Value::I32(v) => p.write_i32(*v),
            Value::I64(v) => p.write_i64(*v),
            Value::Double(v) => p.write_double(*v),
            Value::Bytes(v) => p.write_binary(v),
            Value::Uuid(v) => p.write_uuid(v),
            Value::Struct(fields) => {
                p.write_struct_begin("")?;
                for f in fields {
                    f.write(p)?;
                }
                p.write_field_stop()?;
                p.write_struct_end()
            }
            Value::List { elem, items } => {
                p.write_list_begin(*elem, items.len())?;
                write_items(p, *elem, items)?;
                p.write_list_end()
            }
            Value::Set { elem, items } => {
                p.write_set_begin(*elem, items.len())?;
                write_items(p, *elem, items)?;
                p.write_set_end()
            }
            Value::Map {
                key,
                value,
                entries,
            } => {
                p.write_map_begin(*key, *value, entries.len())?;
                for (k, v) in entries {
                    check_elem(*key, k)?;
                    check_elem(*value, v)?;
                    k.write(p)?;
                    v.write(p)?;
                }
                p.write_map_end()
            }
        }
    }

    /// A key for comparing and hashing: the variant's rank.
    fn rank(&self) -> u8 {
        self.ttype() as u8
    }
}

fn read_items<P: ProtocolRead + ?Sized>(p: &mut P, elem: TType, len: usize) -> Result<Vec<Value>> {
    let mut items = Vec::with_capacity(prealloc_capacity(len, size_of::<Value>()));
    for _ in 0..len {
        items.push(Value::read(p, elem)?);
    }
    Ok(items)
}

fn write_items<P: ProtocolWrite + ?Sized>(p: &mut P, elem: TType, items: &[Value]) -> Result<()> {
    for item in items {
        check_elem(elem, item)?;
        item.write(p)?;
    }
    Ok(())
}

/// A hand-built value whose elements disagree with the declared element type
/// would write bytes nobody can read.
fn check_elem(expected: TType, v: &Value) -> Result<()> {
    if v.ttype() == expected {
        Ok(())
    } else {
        Err(Error::protocol(
            ProtocolErrorKind::InvalidData,
            format!(
                "container element of wire type {:?} where {expected:?} was declared",
                v.ttype()
            ),
        ))
    }
}

// Equality, hashing and ordering are total: doubles compare by
// `f64::total_cmp` (so a NaN equals itself and values round-trip as equal),
// which lets generated types that hold unknown fields derive `Eq`, `Hash`
// and `Ord`.

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        let by_ttype = |a: &TType, b: &TType| (*a as u8).cmp(&(*b as u8));
        match (self, other) {
            (Bool(a), Bool(b)) => a.cmp(b),
            (I8(a), I8(b)) => a.cmp(b),
            (I16(a), I16(b)) => a.cmp(b),
            (I32(a), I32(b)) => a.cmp(b),
            (I64(a), I64(b)) => a.cmp(b),
            (Double(a), Double(b)) => a.total_cmp(b),
            (Bytes(a), Bytes(b)) => a.cmp(b),
            (Uuid(a), Uuid(b)) => a.cmp(b),
            (Struct(a), Struct(b)) => a.cmp(b),
            (List { elem: e1, items: a }, List { elem: e2, items: b })
            | (Set { elem: e1, items: a }, Set { elem: e2, items: b }) => {
                by_ttype(e1, e2).then_with(|| a.cmp(b))
            }
            (
                Map {
                    key: k1,
                    value: v1,
                    entries: a,
                },
                Map {
                    key: k2,
                    value: v2,
                    entries: b,
                },
            ) => by_ttype(k1, k2)
                .then_with(|| by_ttype(v1, v2))
                .then_with(|| a.cmp(b)),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(self.rank());
        match self {
            Value::Bool(v) => v.hash(state),
            Value::I8(v) => v.hash(state),
            Value::I16(v) => v.hash(state),
            Value::I32(v) => v.hash(state),
            Value::I64(v) => v.hash(state),
            Value::Double(v) => v.to_bits().hash(state),
            Value::Bytes(v) => v.hash(state),
            Value::Uuid(v) => v.hash(state),
            Value::Struct(v) => v.hash(state),
            Value::List { elem, items } | Value::Set { elem, items } => {
                state.write_u8(*elem as u8);
                items.hash(state);
            }
            Value::Map {
                key,
                value,
                entries,
            } => {
                state.write_u8(*key as u8);
                state.write_u8(*value as u8);
                entries.hash(state);
            }
        }
    }
}
