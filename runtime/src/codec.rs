//! The traits every Thrift value implements: generated structs, unions,
//! exceptions and enums, and the Rust types that base types and containers
//! map to.
//!
//! Implemented here for: `bool`, `i8`, `i16`, `i32`, `i64`, `f64`, `String`,
//! `Vec<u8>` (binary), [`Uuid`], `Vec<T>` (list), `HashSet<T, S>`,
//! `BTreeSet<T>`, [`VecSet<T>`](crate::VecSet) (set), `HashMap<K, V, S>`,
//! `BTreeMap<K, V>`, [`VecMap<K, V>`](crate::VecMap) (map) and `Box<T>`;
//! with the feature `bytes` also `Bytes` (binary) and `ByteString`
//! (string), with the feature `compact_str` also `CompactString` (string).
//! Container decoders check each element's wire type, reserve at most
//! [`MAX_PREALLOC`](crate::protocol::MAX_PREALLOC) elements and at most
//! [`MAX_PREALLOC_BYTES`](crate::protocol::MAX_PREALLOC_BYTES) bytes up front
//! (a hash set or map counts its table's buckets and control bytes), and
//! never allocate from a wire count that the remaining bytes cannot back.
//!
//! # Hashing
//!
//! Hash sets and maps decode into any `S: BuildHasher + Default`; generated
//! code uses std's `RandomState` (SipHash-1-3, randomly keyed per map), since
//! keys come from the wire and a peer must not be able to choose colliding
//! ones. A faster randomly seeded hasher (foldhash's `RandomState`, the
//! generator option `hasher`; measured on the 1 KB bench `Payload` with 16
//! string keys) saves about 14% of the decode's instructions but only 0-5%
//! of its time with `String` keys: the pace is then set by the allocations
//! (each one a chain of dependent loads through the allocator's free
//! lists), which the hashing overlaps with. Once the keys need no allocation
//! (borrowed views, or `CompactString`s with the generator option
//! `small_strings`) the same change saves 15-20% of the time. Too little
//! either way to make every generated map type non-std by default
//! (`HashMap::new()` would stop working for users).

use crate::error::Result;
use crate::protocol::{
    ListHeader, MapHeader, ProtocolRead, ProtocolWrite, TType, prealloc_capacity,
};

/// The wire type a Rust type is encoded as.
pub trait WireType {
    /// The type code this type's values are written with: `TType::I32` for
    /// `i32` and for generated enums, `TType::Struct` for structs, unions and
    /// exceptions, `TType::String` for `String` and binary `Vec<u8>`.
    const TTYPE: TType;
}

/// Writes a value.
pub trait Encode: WireType {
    /// Writes the value through `p`. Errors: `SIZE_LIMIT` for a length above
    /// `i32::MAX`, `DEPTH_LIMIT` past the nesting limit, a generated struct's
    /// unset required field, and whatever the sink reports.
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()>;

    /// Writes `items` as the elements of a list (or of a set kept in a
    /// vector) whose header has been written. The default encodes them one
    /// by one; `i16`, `i32`, `i64` and `f64` write them in bulk
    /// ([`ProtocolWrite::write_i32s`] and its siblings).
    #[inline]
    fn encode_elems<P: ProtocolWrite + ?Sized>(items: &[Self], p: &mut P) -> Result<()>
    where
        Self: Sized,
    {
        items.iter().try_for_each(|x| x.encode(p))
    }
}

/// Reads a value.
pub trait Decode: WireType + Sized {
    /// Reads one value. A container whose element type differs from the
    /// expected one is `INVALID_DATA`; a missing required field is
    /// `INVALID_DATA` naming the struct and field; sizes and nesting are
    /// checked against the protocol's [`Limits`](crate::Limits).
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self>;

    /// Reads one value into `self`, which holds `Self::default()` (like
    /// serde's `deserialize_in_place`; for generated code). The default
    /// assigns [`decode`](Decode::decode)'s value. A generated struct whose
    /// `Default` is derived and allocates nothing writes each field it reads
    /// straight into `self`, and reads the elements of a list of it in place
    /// too (its
    /// [`decode_elems`](Decode::decode_elems) pushes a default and reads
    /// into it): no value is moved once read.
    #[doc(hidden)]
    #[inline]
    fn decode_into<P: ProtocolRead + ?Sized>(&mut self, p: &mut P) -> Result<()> {
        *self = Self::decode(p)?;
        Ok(())
    }

    /// Reads the `len` elements of a list (or of a set kept in a vector)
    /// whose header has been read, appending them to `out`. The default
    /// decodes them one by one; `i16`, `i32`, `i64` and `f64` read them in
    /// bulk ([`ProtocolRead::read_i32s`] and its siblings).
    #[inline]
    fn decode_elems<P: ProtocolRead + ?Sized>(
        p: &mut P,
        len: usize,
        out: &mut Vec<Self>,
    ) -> Result<()> {
        for _ in 0..len {
            out.push(Self::decode(p)?);
        }
        Ok(())
    }
}

// ------------------------------------------------------------ implementations

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

use crate::error::{Error, ProtocolErrorKind};
use crate::types::{Uuid, VecMap, VecSet};

/// A non-empty container whose element wire type is not the one expected.
#[cold]
#[inline(never)]
fn wrong_elem(found: TType, expected: TType) -> Error {
    Error::protocol(
        ProtocolErrorKind::InvalidData,
        format!("container element type {found:?}, expected {expected:?}"),
    )
}

#[inline]
pub(crate) fn check_elem(found: TType, expected: TType, len: usize) -> Result<()> {
    if len > 0 && found != expected {
        return Err(wrong_elem(found, expected));
    }
    Ok(())
}

macro_rules! scalar {
    ($ty:ty, $ttype:ident, $write:ident, $read:ident) => {
        scalar!($ty, $ttype, $write, $read, {}, {});
    };
    ($ty:ty, $ttype:ident, $write:ident, $read:ident, $write_elems:ident, $read_elems:ident) => {
        scalar!($ty, $ttype, $write, $read, {
            #[inline]
            fn encode_elems<P: ProtocolWrite + ?Sized>(items: &[Self], p: &mut P) -> Result<()> {
                p.$write_elems(items)
            }
        }, {
            #[inline(always)]
            fn decode_elems<P: ProtocolRead + ?Sized>(
                p: &mut P,
                len: usize,
                out: &mut Vec<Self>,
            ) -> Result<()> {
                p.$read_elems(len, out)
            }
        });
    };
    ($ty:ty, $ttype:ident, $write:ident, $read:ident, {$($write_elems:tt)*}, {$($elems:tt)*}) => {
        impl WireType for $ty {
            const TTYPE: TType = TType::$ttype;
        }

        impl Encode for $ty {
            #[inline]
            fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
                p.$write(*self)
            }

            $($write_elems)*
        }

        impl Decode for $ty {
            #[inline]
            fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
                p.$read()
            }

            $($elems)*
        }
    };
}

scalar!(bool, Bool, write_bool, read_bool);
scalar!(i8, I8, write_i8, read_i8);
scalar!(i16, I16, write_i16, read_i16, write_i16s, read_i16s);
scalar!(i32, I32, write_i32, read_i32, write_i32s, read_i32s);
scalar!(i64, I64, write_i64, read_i64, write_i64s, read_i64s);
scalar!(
    f64,
    Double,
    write_double,
    read_double,
    write_doubles,
    read_doubles
);

impl WireType for String {
    const TTYPE: TType = TType::String;
}

impl Encode for String {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_string(self)
    }
}

impl Decode for String {
    #[inline(always)]
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        p.read_string()
    }
}

impl WireType for str {
    const TTYPE: TType = TType::String;
}

impl Encode for str {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_string(self)
    }
}

/// `binary`, borrowed (a view's field).
impl WireType for [u8] {
    const TTYPE: TType = TType::String;
}

impl Encode for [u8] {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_binary(self)
    }
}

/// `binary`.
impl WireType for Vec<u8> {
    const TTYPE: TType = TType::String;
}

impl Encode for Vec<u8> {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_binary(self)
    }
}

impl Decode for Vec<u8> {
    #[inline]
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        p.read_binary()
    }
}

/// `binary`, shared (feature `bytes`).
#[cfg(feature = "bytes")]
impl WireType for bytes::Bytes {
    const TTYPE: TType = TType::String;
}

#[cfg(feature = "bytes")]
impl Encode for bytes::Bytes {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_bytes(self)
    }
}

#[cfg(feature = "bytes")]
impl Decode for bytes::Bytes {
    #[inline]
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        p.read_bytes()
    }
}

/// `string`, shared (feature `bytes`).
#[cfg(feature = "bytes")]
impl WireType for bytestring::ByteString {
    const TTYPE: TType = TType::String;
}

#[cfg(feature = "bytes")]
impl Encode for bytestring::ByteString {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_byte_string(self)
    }
}

#[cfg(feature = "bytes")]
impl Decode for bytestring::ByteString {
    #[inline]
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        p.read_byte_string()
    }
}

/// `string`, inline up to 24 bytes (feature `compact_str`).
#[cfg(feature = "compact_str")]
impl WireType for compact_str::CompactString {
    const TTYPE: TType = TType::String;
}

#[cfg(feature = "compact_str")]
impl Encode for compact_str::CompactString {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_string(self)
    }
}

#[cfg(feature = "compact_str")]
impl Decode for compact_str::CompactString {
    #[inline(always)]
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        p.read_compact_string()
    }
}

impl WireType for Uuid {
    const TTYPE: TType = TType::Uuid;
}

impl Encode for Uuid {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_uuid(&self.0)
    }
}

impl Decode for Uuid {
    #[inline]
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        p.read_uuid().map(Uuid)
    }
}

impl<T: WireType + ?Sized> WireType for Box<T> {
    const TTYPE: TType = T::TTYPE;
}

impl<T: Encode + ?Sized> Encode for Box<T> {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        (**self).encode(p)
    }
}

impl<T: Decode> Decode for Box<T> {
    #[inline]
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        T::decode(p).map(Box::new)
    }
}

impl<T: WireType + ?Sized> WireType for &T {
    const TTYPE: TType = T::TTYPE;
}

impl<T: Encode + ?Sized> Encode for &T {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        (**self).encode(p)
    }
}

// Lists and sets share their element loops.

#[inline]
fn write_elems<'a, T, P, I>(p: &mut P, set: bool, len: usize, items: I) -> Result<()>
where
    T: Encode + 'a,
    P: ProtocolWrite + ?Sized,
    I: IntoIterator<Item = &'a T>,
{
    if set {
        p.write_set_begin(T::TTYPE, len)?;
    } else {
        p.write_list_begin(T::TTYPE, len)?;
    }
    for item in items {
        item.encode(p)?;
    }
    if set {
        p.write_set_end()
    } else {
        p.write_list_end()
    }
}

#[inline]
fn write_entries<'a, K, V, P, I>(p: &mut P, len: usize, entries: I) -> Result<()>
where
    K: Encode + 'a,
    V: Encode + 'a,
    P: ProtocolWrite + ?Sized,
    I: IntoIterator<Item = (&'a K, &'a V)>,
{
    p.write_map_begin(K::TTYPE, V::TTYPE, len)?;
    for (k, v) in entries {
        k.encode(p)?;
        v.encode(p)?;
    }
    p.write_map_end()
}

/// Reads a set header and checks its element type.
#[inline(always)]
pub(crate) fn read_set_header<T: WireType, P: ProtocolRead + ?Sized>(
    p: &mut P,
) -> Result<ListHeader> {
    let h = p.read_set_begin()?;
    check_elem(h.elem, T::TTYPE, h.len)?;
    Ok(h)
}

/// Reads a map header and checks its key and value types.
#[inline(always)]
pub(crate) fn read_map_header<K: WireType, V: WireType, P: ProtocolRead + ?Sized>(
    p: &mut P,
) -> Result<MapHeader> {
    let h = p.read_map_begin()?;
    check_elem(h.key, K::TTYPE, h.len)?;
    check_elem(h.value, V::TTYPE, h.len)?;
    Ok(h)
}

/// Capacity to reserve in a hash table for `len` entries of type `E`, capped
/// so that the table stays within
/// [`MAX_PREALLOC_BYTES`](crate::protocol::MAX_PREALLOC_BYTES): a table of capacity
/// `c` holds up to `2.3 * c` buckets of `size_of::<E>()` bytes plus one
/// control byte each.
#[inline]
pub(crate) fn hash_capacity<E>(len: usize) -> usize {
    prealloc_capacity(len, (size_of::<E>() + 1) * 3)
}

impl<T: WireType> WireType for Vec<T> {
    const TTYPE: TType = TType::List;
}

impl<T: Encode> Encode for Vec<T> {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_list_begin(T::TTYPE, self.len())?;
        T::encode_elems(self, p)?;
        p.write_list_end()
    }
}

impl<T: Decode> Decode for Vec<T> {
    #[inline(always)]
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        let h = p.read_list_begin()?;
        check_elem(h.elem, T::TTYPE, h.len)?;
        let mut out = Vec::with_capacity(h.capacity_for::<T>());
        T::decode_elems(p, h.len, &mut out)?;
        p.read_list_end()?;
        Ok(out)
    }
}

impl<T: WireType, S> WireType for HashSet<T, S> {
    const TTYPE: TType = TType::Set;
}

impl<T: Encode, S> Encode for HashSet<T, S> {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        write_elems(p, true, self.len(), self)
    }
}

impl<T: Decode + Eq + Hash, S: BuildHasher + Default> Decode for HashSet<T, S> {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        let h = read_set_header::<T, P>(p)?;
        let mut out = HashSet::with_capacity_and_hasher(hash_capacity::<T>(h.len), S::default());
        for _ in 0..h.len {
            out.insert(T::decode(p)?);
        }
        p.read_set_end()?;
        Ok(out)
    }
}

impl<T: WireType> WireType for BTreeSet<T> {
    const TTYPE: TType = TType::Set;
}

impl<T: Encode> Encode for BTreeSet<T> {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        write_elems(p, true, self.len(), self)
    }
}

/// Ordered sets and maps are built in bulk while the elements arrive in
/// increasing order (as a peer that wrote an ordered collection sends them):
/// the tree is then filled without a search per element. The first element
/// out of order switches to inserting one by one, so memory stays bounded by
/// the distinct elements however many repeats a peer sends.
impl<T: Decode + Ord> Decode for BTreeSet<T> {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        let h = read_set_header::<T, P>(p)?;
        let out = ordered_set(h.len, h.capacity_for::<T>(), || T::decode(p))?;
        p.read_set_end()?;
        Ok(out)
    }
}

/// Reads the `len` elements of an ordered set with `next`: in bulk while
/// they arrive in increasing order, then one by one (see above).
/// `capacity` is what the header allows to reserve up front.
pub(crate) fn ordered_set<T: Ord>(
    len: usize,
    capacity: usize,
    mut next: impl FnMut() -> Result<T>,
) -> Result<BTreeSet<T>> {
    let mut sorted: Vec<T> = Vec::with_capacity(capacity);
    let mut i = 0;
    while i < len {
        let v = next()?;
        i += 1;
        if sorted.last().is_none_or(|last| *last < v) {
            sorted.push(v);
            continue;
        }
        let mut out = BTreeSet::from_iter(sorted);
        out.insert(v);
        while i < len {
            out.insert(next()?);
            i += 1;
        }
        return Ok(out);
    }
    Ok(BTreeSet::from_iter(sorted))
}

impl<T: WireType> WireType for VecSet<T> {
    const TTYPE: TType = TType::Set;
}

impl<T: Encode> Encode for VecSet<T> {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_set_begin(T::TTYPE, self.len())?;
        T::encode_elems(&self.0, p)?;
        p.write_set_end()
    }
}

impl<T: Decode> Decode for VecSet<T> {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        let h = read_set_header::<T, P>(p)?;
        let mut out = Vec::with_capacity(h.capacity_for::<T>());
        T::decode_elems(p, h.len, &mut out)?;
        p.read_set_end()?;
        Ok(VecSet(out))
    }
}

impl<K: WireType, V: WireType, S> WireType for HashMap<K, V, S> {
    const TTYPE: TType = TType::Map;
}

impl<K: Encode, V: Encode, S> Encode for HashMap<K, V, S> {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        write_entries(p, self.len(), self)
    }
}

impl<K: Decode + Eq + Hash, V: Decode, S: BuildHasher + Default> Decode for HashMap<K, V, S> {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        let h = read_map_header::<K, V, P>(p)?;
        let mut out =
            HashMap::with_capacity_and_hasher(hash_capacity::<(K, V)>(h.len), S::default());
        for _ in 0..h.len {
            let k = K::decode(p)?;
            let v = V::decode(p)?;
            out.insert(k, v);
        }
        p.read_map_end()?;
        Ok(out)
    }
}

impl<K: WireType, V: WireType> WireType for BTreeMap<K, V> {
    const TTYPE: TType = TType::Map;
}

impl<K: Encode, V: Encode> Encode for BTreeMap<K, V> {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        write_entries(p, self.len(), self)
    }
}

/// Built in bulk while the keys increase, as [`BTreeSet`]; of a repeated
/// key, the last value received is kept.
impl<K: Decode + Ord, V: Decode> Decode for BTreeMap<K, V> {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        let h = read_map_header::<K, V, P>(p)?;
        let out = ordered_map(h.len, h.capacity_for::<K, V>(), || {
            let k = K::decode(p)?;
            Ok((k, V::decode(p)?))
        })?;
        p.read_map_end()?;
        Ok(out)
    }
}

/// Reads the `len` entries of an ordered map with `next`, as
/// [`ordered_set`] reads a set's elements.
pub(crate) fn ordered_map<K: Ord, V>(
    len: usize,
    capacity: usize,
    mut next: impl FnMut() -> Result<(K, V)>,
) -> Result<BTreeMap<K, V>> {
    let mut sorted: Vec<(K, V)> = Vec::with_capacity(capacity);
    let mut i = 0;
    while i < len {
        let (k, v) = next()?;
        i += 1;
        if sorted.last().is_none_or(|(last, _)| *last < k) {
            sorted.push((k, v));
            continue;
        }
        let mut out = BTreeMap::from_iter(sorted);
        out.insert(k, v);
        while i < len {
            let (k, v) = next()?;
            out.insert(k, v);
            i += 1;
        }
        return Ok(out);
    }
    Ok(BTreeMap::from_iter(sorted))
}

impl<K: WireType, V: WireType> WireType for VecMap<K, V> {
    const TTYPE: TType = TType::Map;
}

impl<K: Encode, V: Encode> Encode for VecMap<K, V> {
    #[inline]
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        write_entries(p, self.len(), self.iter().map(|(k, v)| (k, v)))
    }
}

impl<K: Decode, V: Decode> Decode for VecMap<K, V> {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        let h = read_map_header::<K, V, P>(p)?;
        let mut out = Vec::with_capacity(h.capacity_for::<K, V>());
        for _ in 0..h.len {
            let k = K::decode(p)?;
            let v = V::decode(p)?;
            out.push((k, v));
        }
        p.read_map_end()?;
        Ok(VecMap(out))
    }
}
