//! serde adapters for Thrift's `binary` and `double` values, and for the
//! containers and options that hold them (feature `serde`).
//!
//! serde writes a `Vec<u8>` as a sequence of numbers (`[104, 105]` in
//! JSON) and a NaN or infinite `f64` as JSON's `null`, which does not read
//! back. The generator's option `serde` puts these adapters on every field
//! whose type holds a `binary` or a `double` (through lists, sets, maps,
//! options and typedefs), with serde's `with` attribute:
//!
//! ```text
//! #[serde(with = "__rt::serde_as::As::<__rt::serde_as::List<__rt::serde_as::Binary>>")]
//! pub blobs: Vec<Vec<u8>>,
//! ```
//!
//! In human-readable formats (JSON, YAML, TOML):
//!
//! - [`Binary`] (`Vec<u8>`, `Bytes`) is a base64 string, standard alphabet
//!   with padding (RFC 4648): `"aGk="`, the encoding Thrift's JSON
//!   protocols use for `binary` (some of them leave the padding out). It
//!   reads that with or without the padding, and also the sequence of
//!   numbers serde writes by default.
//! - [`Double`] (`f64`) is a number when finite; NaN and the infinities are
//!   `{"double_bits": "7ff8000000000000"}`, their IEEE 754 bits in hex (the
//!   form unknown fields use), so that the value reads back bit for bit. It
//!   also reads the strings `"NaN"`, `"Infinity"` and `"-Infinity"`
//!   (Thrift's JSON protocol's form), and finite numbers as strings in
//!   JSON's number syntax (how JSON writes a map's keys: a `map<double, _>`
//!   reads back; a NaN or infinite key cannot be written to JSON). It also
//!   reads numbers when serde_json's feature `arbitrary_precision` is on.
//!
//! In the other formats (CBOR, bincode, ...) a [`Binary`] is a byte string
//! (`serialize_bytes`) and a [`Double`] an `f64`, as the formats carry
//! both exactly. [`Same`] leaves a value to its own `Serialize` and
//! `Deserialize`; [`Opt`], [`Boxed`], [`List`], [`Set`] and [`Map`] apply
//! their parameters to what an `Option`, a `Box`, a `Vec`, a set (`HashSet`, `BTreeSet`,
//! [`VecSet`]) or a map (`HashMap`, `BTreeMap`, [`VecMap`]) holds. With
//! [`Binary`] as a map's key, a JSON object can have `binary` keys.
//!
//! The adapters are public, so hand-written types and the type-attribute
//! route (`field_attribute`) can use them too.

use crate::protocol::prealloc_capacity;
use crate::types::{VecMap, VecSet};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;

/// Writes a `T` the way the adapter `Self` says.
pub trait SerializeAs<T: ?Sized> {
    /// Writes `value` to `s`.
    fn serialize_as<S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error>;
}

/// Reads a `T` the way the adapter `Self` says.
pub trait DeserializeAs<'de, T>: Sized {
    /// Reads a value from `d`.
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<T, D::Error>;
}

/// The entry point for serde's `with` attribute:
/// `#[serde(with = "As::<List<Binary>>")]` on a `Vec<Vec<u8>>` field.
pub struct As<A: ?Sized>(PhantomData<A>);

impl<A: ?Sized> As<A> {
    /// Writes `value` as `A` says (serde's `serialize_with`).
    pub fn serialize<T: ?Sized, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error>
    where
        A: SerializeAs<T>,
    {
        A::serialize_as(value, s)
    }

    /// Reads a value as `A` says (serde's `deserialize_with`).
    pub fn deserialize<'de, T, D: Deserializer<'de>>(d: D) -> Result<T, D::Error>
    where
        A: DeserializeAs<'de, T>,
    {
        A::deserialize_as(d)
    }
}

/// A value written and read by its own `Serialize` and `Deserialize`.
pub struct Same;

impl<T: Serialize + ?Sized> SerializeAs<T> for Same {
    fn serialize_as<S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        value.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> DeserializeAs<'de, T> for Same {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        T::deserialize(d)
    }
}

/// A `binary` (`Vec<u8>`, `Bytes`): base64 in human-readable formats,
/// bytes in the others (see the [module docs](self)).
pub struct Binary;

impl<T: AsRef<[u8]> + ?Sized> SerializeAs<T> for Binary {
    fn serialize_as<S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        let bytes = value.as_ref();
        if s.is_human_readable() {
            s.collect_str(&Base64(bytes))
        } else {
            s.serialize_bytes(bytes)
        }
    }
}

impl<'de, T: From<Vec<u8>>> DeserializeAs<'de, T> for Binary {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        read_binary(d).map(T::from)
    }
}

/// Reads a `binary`: in human-readable formats a base64 string (or a
/// sequence of numbers), in the others bytes (or a sequence).
pub(crate) fn read_binary<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    if d.is_human_readable() {
        // A string must reach `visit_str`: asked for bytes, serde_json
        // would hand over the string's own bytes.
        d.deserialize_any(BinaryVisitor)
    } else {
        d.deserialize_byte_buf(BinaryVisitor)
    }
}

struct BinaryVisitor;

impl<'de> Visitor<'de> for BinaryVisitor {
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("binary: a base64 string, bytes or a sequence of bytes")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
        base64_decode(v).ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(v)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        let mut out = Vec::with_capacity(prealloc_capacity(seq.size_hint().unwrap_or(0), 1));
        while let Some(b) = seq.next_element()? {
            out.push(b);
        }
        Ok(out)
    }
}

/// A `double` (`f64`): see the [module docs](self).
pub struct Double;

impl SerializeAs<f64> for Double {
    fn serialize_as<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() || !s.is_human_readable() {
            s.serialize_f64(*value)
        } else {
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry(DOUBLE_BITS, &format_args!("{:016x}", value.to_bits()))?;
            m.end()
        }
    }
}

impl<'de> DeserializeAs<'de, f64> for Double {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        if d.is_human_readable() {
            d.deserialize_any(DoubleVisitor)
        } else {
            d.deserialize_f64(DoubleVisitor)
        }
    }
}

/// The key of a NaN or infinite double's bits.
const DOUBLE_BITS: &str = "double_bits";

struct DoubleVisitor;

impl<'de> Visitor<'de> for DoubleVisitor {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a double: a number, {\"double_bits\": \"<16 hex digits>\"}, \
             \"NaN\", \"Infinity\" or \"-Infinity\"",
        )
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        match v {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            // A number as text: how JSON writes a map key.
            _ => parse_number(v).ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self)),
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<f64, A::Error> {
        let (key, text) = match map.next_key::<String>()? {
            Some(key) if key == DOUBLE_BITS || key == JSON_NUMBER => {
                let text = map.next_value::<String>()?;
                (key, text)
            }
            Some(key) => return Err(de::Error::unknown_field(&key, &[DOUBLE_BITS])),
            None => return Err(de::Error::missing_field(DOUBLE_BITS)),
        };
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(2, &self));
        }
        let value = if key == DOUBLE_BITS {
            parse_bits(&text).map(f64::from_bits)
        } else {
            parse_number(&text)
        };
        value.ok_or_else(|| de::Error::invalid_value(Unexpected::Str(&text), &self))
    }
}

/// The key under which serde_json hands over a number as its text when its
/// feature `arbitrary_precision` is on (asked for any value, as this
/// visitor asks).
const JSON_NUMBER: &str = "$serde_json::private::Number";

/// A finite number in JSON's syntax (`-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`).
fn parse_number(v: &str) -> Option<f64> {
    let b = v.as_bytes();
    let digits = |i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = usize::from(b.first() == Some(&b'-'));
    match digits(i) {
        0 => return None,
        n if n > 1 && b[i] == b'0' => return None,
        n => i += n,
    }
    if b.get(i) == Some(&b'.') {
        match digits(i + 1) {
            0 => return None,
            n => i += 1 + n,
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        match digits(i) {
            0 => return None,
            n => i += n,
        }
    }
    if i != b.len() {
        return None;
    }
    v.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The 64 bits written as 16 hex digits.
pub(crate) fn parse_bits(v: &str) -> Option<u64> {
    (v.len() == 16 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u64::from_str_radix(v, 16).ok())
        .flatten()
}

/// An `Option` whose value is written and read as `A` says.
pub struct Opt<A>(PhantomData<A>);

impl<T, A: SerializeAs<T>> SerializeAs<Option<T>> for Opt<A> {
    fn serialize_as<S: Serializer>(value: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_some(&SerAs::<A, T>::new(v)),
            None => s.serialize_none(),
        }
    }
}

impl<'de, T, A: DeserializeAs<'de, T>> DeserializeAs<'de, Option<T>> for Opt<A> {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
        struct V<A, T>(PhantomData<(A, T)>);
        impl<'de, T, A: DeserializeAs<'de, T>> Visitor<'de> for V<A, T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an optional value")
            }
            fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
                Ok(None)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Option<T>, D2::Error> {
                A::deserialize_as(d).map(Some)
            }
        }
        d.deserialize_option(V::<A, T>(PhantomData))
    }
}

/// A `Box` whose value is written and read as `A` says.
pub struct Boxed<A>(PhantomData<A>);

impl<T, A: SerializeAs<T>> SerializeAs<Box<T>> for Boxed<A> {
    fn serialize_as<S: Serializer>(value: &Box<T>, s: S) -> Result<S::Ok, S::Error> {
        A::serialize_as(&**value, s)
    }
}

impl<'de, T, A: DeserializeAs<'de, T>> DeserializeAs<'de, Box<T>> for Boxed<A> {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Box<T>, D::Error> {
        A::deserialize_as(d).map(Box::new)
    }
}

/// A list (`Vec`) whose elements are written and read as `A` says.
pub struct List<A>(PhantomData<A>);

impl<T, A: SerializeAs<T>> SerializeAs<Vec<T>> for List<A> {
    fn serialize_as<S: Serializer>(value: &Vec<T>, s: S) -> Result<S::Ok, S::Error> {
        write_seq::<A, T, S>(value, s)
    }
}

impl<'de, T, A: DeserializeAs<'de, T>> DeserializeAs<'de, Vec<T>> for List<A> {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        read_seq::<A, T, Vec<T>, D>(d, "a list", |v, n| v.reserve(n), Vec::push)
    }
}

/// A set (`HashSet`, `BTreeSet`, [`VecSet`]) whose elements are written
/// and read as `A` says. As serde's own sets, a `HashSet` or `BTreeSet`
/// keeps one of equal elements read; a `VecSet` keeps them all.
pub struct Set<A>(PhantomData<A>);

impl<T, H, A: SerializeAs<T>> SerializeAs<HashSet<T, H>> for Set<A> {
    fn serialize_as<S: Serializer>(value: &HashSet<T, H>, s: S) -> Result<S::Ok, S::Error> {
        write_seq::<A, T, S>(value, s)
    }
}

impl<'de, T, H, A> DeserializeAs<'de, HashSet<T, H>> for Set<A>
where
    T: Eq + Hash,
    H: BuildHasher + Default,
    A: DeserializeAs<'de, T>,
{
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<HashSet<T, H>, D::Error> {
        read_seq::<A, T, HashSet<T, H>, D>(
            d,
            "a set",
            |v, n| v.reserve(n),
            |v, e| {
                v.insert(e);
            },
        )
    }
}

impl<T, A: SerializeAs<T>> SerializeAs<BTreeSet<T>> for Set<A> {
    fn serialize_as<S: Serializer>(value: &BTreeSet<T>, s: S) -> Result<S::Ok, S::Error> {
        write_seq::<A, T, S>(value, s)
    }
}

impl<'de, T: Ord, A: DeserializeAs<'de, T>> DeserializeAs<'de, BTreeSet<T>> for Set<A> {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<BTreeSet<T>, D::Error> {
        read_seq::<A, T, BTreeSet<T>, D>(
            d,
            "a set",
            |_, _| {},
            |v, e| {
                v.insert(e);
            },
        )
    }
}

impl<T, A: SerializeAs<T>> SerializeAs<VecSet<T>> for Set<A> {
    fn serialize_as<S: Serializer>(value: &VecSet<T>, s: S) -> Result<S::Ok, S::Error> {
        write_seq::<A, T, S>(&value.0, s)
    }
}

impl<'de, T, A: DeserializeAs<'de, T>> DeserializeAs<'de, VecSet<T>> for Set<A> {
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<VecSet<T>, D::Error> {
        read_seq::<A, T, VecSet<T>, D>(d, "a set", |v, n| v.0.reserve(n), |v, e| v.0.push(e))
    }
}

/// A map (`HashMap`, `BTreeMap`, [`VecMap`]) whose keys are written and
/// read as `K` says and values as `V` says. As serde's own maps, a
/// `HashMap` or `BTreeMap` keeps the last of equal keys read; a `VecMap`
/// keeps them all.
pub struct Map<K, V>(PhantomData<(K, V)>);

impl<K, V, H, KA: SerializeAs<K>, VA: SerializeAs<V>> SerializeAs<HashMap<K, V, H>>
    for Map<KA, VA>
{
    fn serialize_as<S: Serializer>(value: &HashMap<K, V, H>, s: S) -> Result<S::Ok, S::Error> {
        write_map::<KA, VA, K, V, S>(value, s)
    }
}

impl<'de, K, V, H, KA, VA> DeserializeAs<'de, HashMap<K, V, H>> for Map<KA, VA>
where
    K: Eq + Hash,
    H: BuildHasher + Default,
    KA: DeserializeAs<'de, K>,
    VA: DeserializeAs<'de, V>,
{
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<HashMap<K, V, H>, D::Error> {
        read_map::<KA, VA, K, V, HashMap<K, V, H>, D>(
            d,
            |m, n| m.reserve(n),
            |m, k, v| {
                m.insert(k, v);
            },
        )
    }
}

impl<K, V, KA: SerializeAs<K>, VA: SerializeAs<V>> SerializeAs<BTreeMap<K, V>> for Map<KA, VA> {
    fn serialize_as<S: Serializer>(value: &BTreeMap<K, V>, s: S) -> Result<S::Ok, S::Error> {
        write_map::<KA, VA, K, V, S>(value, s)
    }
}

impl<'de, K, V, KA, VA> DeserializeAs<'de, BTreeMap<K, V>> for Map<KA, VA>
where
    K: Ord,
    KA: DeserializeAs<'de, K>,
    VA: DeserializeAs<'de, V>,
{
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<BTreeMap<K, V>, D::Error> {
        read_map::<KA, VA, K, V, BTreeMap<K, V>, D>(
            d,
            |_, _| {},
            |m, k, v| {
                m.insert(k, v);
            },
        )
    }
}

impl<K, V, KA: SerializeAs<K>, VA: SerializeAs<V>> SerializeAs<VecMap<K, V>> for Map<KA, VA> {
    fn serialize_as<S: Serializer>(value: &VecMap<K, V>, s: S) -> Result<S::Ok, S::Error> {
        write_map::<KA, VA, K, V, S>(value.0.iter().map(|(k, v)| (k, v)), s)
    }
}

impl<'de, K, V, KA, VA> DeserializeAs<'de, VecMap<K, V>> for Map<KA, VA>
where
    KA: DeserializeAs<'de, K>,
    VA: DeserializeAs<'de, V>,
{
    fn deserialize_as<D: Deserializer<'de>>(d: D) -> Result<VecMap<K, V>, D::Error> {
        read_map::<KA, VA, K, V, VecMap<K, V>, D>(
            d,
            |m, n| m.0.reserve(n),
            |m, k, v| m.0.push((k, v)),
        )
    }
}

// ------------------------------------------------------------ plumbing

/// A borrowed value that serializes as `A` says.
struct SerAs<'a, A, T: ?Sized> {
    value: &'a T,
    adapter: PhantomData<A>,
}

impl<'a, A, T: ?Sized> SerAs<'a, A, T> {
    fn new(value: &'a T) -> Self {
        SerAs {
            value,
            adapter: PhantomData,
        }
    }
}

impl<A: SerializeAs<T>, T: ?Sized> Serialize for SerAs<'_, A, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        A::serialize_as(self.value, s)
    }
}

/// A value read as `A` says.
struct DeAs<A, T> {
    value: T,
    adapter: PhantomData<A>,
}

impl<'de, A: DeserializeAs<'de, T>, T> Deserialize<'de> for DeAs<A, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        A::deserialize_as(d).map(|value| DeAs {
            value,
            adapter: PhantomData,
        })
    }
}

fn write_seq<'a, A, T, S>(items: impl IntoIterator<Item = &'a T>, s: S) -> Result<S::Ok, S::Error>
where
    A: SerializeAs<T>,
    T: 'a,
    S: Serializer,
{
    let items = items.into_iter();
    let mut seq = s.serialize_seq(items.size_hint().1)?;
    for item in items {
        seq.serialize_element(&SerAs::<A, T>::new(item))?;
    }
    seq.end()
}

fn write_map<'a, KA, VA, K, V, S>(
    entries: impl IntoIterator<Item = (&'a K, &'a V)>,
    s: S,
) -> Result<S::Ok, S::Error>
where
    KA: SerializeAs<K>,
    VA: SerializeAs<V>,
    K: 'a,
    V: 'a,
    S: Serializer,
{
    let entries = entries.into_iter();
    let mut map = s.serialize_map(entries.size_hint().1)?;
    for (k, v) in entries {
        map.serialize_entry(&SerAs::<KA, K>::new(k), &SerAs::<VA, V>::new(v))?;
    }
    map.end()
}

/// Reads a sequence into a `C` made by `Default`, reserving for the size
/// the format announces within [`prealloc_capacity`]'s bounds.
fn read_seq<'de, A, T, C, D>(
    d: D,
    what: &'static str,
    reserve: fn(&mut C, usize),
    push: fn(&mut C, T),
) -> Result<C, D::Error>
where
    A: DeserializeAs<'de, T>,
    C: Default,
    D: Deserializer<'de>,
{
    struct V<A, T, C> {
        what: &'static str,
        reserve: fn(&mut C, usize),
        push: fn(&mut C, T),
        adapter: PhantomData<A>,
    }
    impl<'de, A: DeserializeAs<'de, T>, T, C: Default> Visitor<'de> for V<A, T, C> {
        type Value = C;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.what)
        }
        fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<C, S::Error> {
            let mut out = C::default();
            let hint = seq.size_hint().unwrap_or(0);
            (self.reserve)(&mut out, prealloc_capacity(hint, size_of::<T>()));
            while let Some(item) = seq.next_element::<DeAs<A, T>>()? {
                (self.push)(&mut out, item.value);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(V::<A, T, C> {
        what,
        reserve,
        push,
        adapter: PhantomData,
    })
}

/// Reads a map into a `C` made by `Default` (see [`read_seq`]).
fn read_map<'de, KA, VA, K, V, C, D>(
    d: D,
    reserve: fn(&mut C, usize),
    insert: fn(&mut C, K, V),
) -> Result<C, D::Error>
where
    KA: DeserializeAs<'de, K>,
    VA: DeserializeAs<'de, V>,
    C: Default,
    D: Deserializer<'de>,
{
    struct Vis<KA, VA, K, V, C> {
        reserve: fn(&mut C, usize),
        insert: fn(&mut C, K, V),
        adapters: PhantomData<(KA, VA)>,
    }
    impl<'de, KA, VA, K, V, C> Visitor<'de> for Vis<KA, VA, K, V, C>
    where
        KA: DeserializeAs<'de, K>,
        VA: DeserializeAs<'de, V>,
        C: Default,
    {
        type Value = C;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<C, M::Error> {
            let mut out = C::default();
            let hint = map.size_hint().unwrap_or(0);
            (self.reserve)(&mut out, prealloc_capacity(hint, size_of::<(K, V)>()));
            while let Some((k, v)) = map.next_entry::<DeAs<KA, K>, DeAs<VA, V>>()? {
                (self.insert)(&mut out, k.value, v.value);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Vis::<KA, VA, K, V, C> {
        reserve,
        insert,
        adapters: PhantomData,
    })
}

// -------------------------------------------------------------- base64

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Bytes displayed as standard base64 with padding (RFC 4648, section 4).
pub(crate) struct Base64<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Base64<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; 64];
        // 48 input bytes make 64 characters.
        for chunk in self.0.chunks(48) {
            let mut n = 0;
            for group in chunk.chunks(3) {
                let b = [
                    group[0],
                    group.get(1).copied().unwrap_or(0),
                    group.get(2).copied().unwrap_or(0),
                ];
                let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
                for (i, slot) in out[n..n + 4].iter_mut().enumerate() {
                    *slot = if i <= group.len() {
                        ALPHABET[(v >> (18 - 6 * i) & 63) as usize]
                    } else {
                        b'='
                    };
                }
                n += 4;
            }
            // The alphabet and padding are ASCII.
            f.write_str(std::str::from_utf8(&out[..n]).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

/// Decodes standard base64, padded or not; `None` for a character outside
/// the alphabet, padding anywhere but at the end, a length no encoding
/// has, or bits set past the last byte.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let body = match bytes.len() % 4 {
        0 if bytes.ends_with(b"==") => &bytes[..bytes.len() - 2],
        0 if bytes.ends_with(b"=") => &bytes[..bytes.len() - 1],
        _ => bytes,
    };
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    for group in body.chunks(4) {
        let mut v = 0u32;
        for &c in group {
            v = v << 6 | u32::from(sextet(c)?);
        }
        match group.len() {
            4 => out.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]),
            3 => {
                if v & 0b11 != 0 {
                    return None;
                }
                out.extend_from_slice(&[(v >> 10) as u8, (v >> 2) as u8]);
            }
            _ => {
                if v & 0b1111 != 0 {
                    return None;
                }
                out.push((v >> 4) as u8);
            }
        }
    }
    Some(out)
}

fn sextet(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::{Base64, base64_decode};

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(Base64(plain.as_bytes()).to_string(), encoded);
            assert_eq!(base64_decode(encoded).as_deref(), Some(plain.as_bytes()));
            let unpadded = encoded.trim_end_matches('=');
            assert_eq!(base64_decode(unpadded).as_deref(), Some(plain.as_bytes()));
        }
    }

    #[test]
    fn base64_round_trips_every_length_and_byte() {
        for len in 0..200usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 97 + len) as u8).collect();
            let text = Base64(&data).to_string();
            assert_eq!(text.len(), len.div_ceil(3) * 4);
            assert_eq!(base64_decode(&text), Some(data));
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(base64_decode(&Base64(&all).to_string()), Some(all));
    }

    #[test]
    fn base64_refuses_what_no_encoder_writes() {
        for bad in [
            "Z",
            "Zg=",
            "Z===",
            "Zh==",
            "Zm9=",
            "Zm9v=",
            "=Zm9",
            "Zm=v",
            "Zm9v\n",
            "Zm-v",
            "Zm_v",
            "Zm9vYg==Zg==",
            "é",
        ] {
            assert_eq!(base64_decode(bad), None, "{bad:?}");
        }
    }
}
