//! Containers of a view left undecoded: [`LazyList`], [`LazySet`] and
//! [`LazyMap`] (the generator's `lazy` option).
//!
//! Reading one checks all of it, element by element, with the checks the
//! eager view makes (element types, UTF-8, sizes, depth, required fields),
//! and keeps only where its elements are: a slice of the input, the element
//! count and the protocol. The container itself allocates and hashes
//! nothing (elements that are eager containers, boxed, or keep unknown
//! fields allocate while they are checked, and are dropped). The elements
//! are decoded again, as views, when iterated; writing the container in the
//! protocol it was read in copies its bytes in one piece, and in another
//! protocol writes the elements one by one.
//!
//! This suits values that are mostly passed on (a proxy, an echo, a router
//! that looks at a few fields): reading and writing them costs a check and
//! a copy. Code that looks elements up often is better served by the eager
//! view or the owned type (`FromView` converts a lazy container into any
//! owned one). Equality, ordering and hashing follow the order of the
//! elements on the wire, as for [`VecSet`] and
//! [`VecMap`], not as for a `HashSet` or `HashMap`.
//!
//! A copy passes the elements on as they were sent: encodings this crate
//! reads but would not write (a binary `bool` byte other than 0 and 1, an
//! overlong compact varint), duplicate elements and keys, and fields of
//! struct elements this schema does not know. Their nesting passed the
//! reader's depth limit; the writer's is not applied inside the copy.
//!
//! Iterating does not fail when the container was read by this crate's
//! protocols: the elements were checked then, and the bytes cannot change
//! since. (Should a reader of another [`ViewRead`] implementation lend bytes
//! that do not read, iteration ends early and writing fails.)

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::iter::FusedIterator;
use std::marker::PhantomData;

use crate::codec::{Encode, WireType, check_elem};
use crate::error::{Error, ProtocolErrorKind, Result};
use crate::limits::Limits;
use crate::processor::ProtocolKind;
use crate::protocol::{Lent, ProtocolWrite, TType, binary, compact};
use crate::types::{VecMap, VecSet};
use crate::view::{DecodeView, FromView, ViewRead};

/// Where a lazy container's elements are. Small (24 bytes): views are
/// moved whole, a few times per request.
#[derive(Clone, Copy)]
struct Raw<'a> {
    /// The elements' encoding (after the container's header).
    bytes: &'a [u8],
    /// How many elements (entries of a map): a wire count, so it fits.
    len: u32,
    protocol: ProtocolKind,
}

impl Default for Raw<'_> {
    fn default() -> Self {
        Raw {
            bytes: &[],
            len: 0,
            protocol: ProtocolKind::Binary,
        }
    }
}

impl<'a> Raw<'a> {
    /// Checks the elements that follow a container's header in `p` with
    /// `check` (which reads them all and gives their count) and records
    /// where they are.
    fn read<P, F>(p: &mut P, check: F) -> Result<Raw<'a>>
    where
        P: ViewRead<'a> + ?Sized,
        F: FnOnce(&mut P) -> Result<usize>,
    {
        let Lent {
            bytes: start,
            protocol,
            ..
        } = p.lend_rest().ok_or_else(|| {
            Error::protocol(
                ProtocolErrorKind::NotImplemented,
                "this reader cannot keep containers undecoded",
            )
        })?;
        let len = check(p)?;
        let len = u32::try_from(len).map_err(|_| {
            Error::protocol(ProtocolErrorKind::SizeLimit, "container count over 2^32")
        })?;
        let rest = p.lend_rest().map_or(0, |l| l.bytes.len());
        // The reader only moves forward through `start`.
        let used = start.len().saturating_sub(rest);
        Ok(Raw {
            bytes: &start[..used],
            len,
            protocol,
        })
    }

    /// Writes the elements: a copy of their bytes when `p` writes the
    /// protocol they were read in, else each one as `write` encodes it.
    fn write<P, F>(&self, p: &mut P, write: F) -> Result<()>
    where
        P: ProtocolWrite + ?Sized,
        F: FnOnce(&mut P) -> Result<()>,
    {
        if self.len == 0 || p.write_encoded(self.protocol, self.bytes)? {
            Ok(())
        } else {
            write(p)
        }
    }

    fn cursor(&self) -> Cursor<'a> {
        Cursor {
            rest: self.bytes,
            protocol: self.protocol,
        }
    }
}

/// Reads the elements of a [`Raw`] one after another.
#[derive(Clone, Copy)]
struct Cursor<'a> {
    rest: &'a [u8],
    protocol: ProtocolKind,
}

/// The limits elements are read again under. They passed the reader's own
/// when the container was read (sizes and nesting are properties of the
/// bytes, which cannot change since), so these only need to let them
/// through: no depth or size bound of their own.
const AGAIN: Limits = Limits::new()
    .with_max_depth(u32::MAX)
    .with_max_message_size(usize::MAX)
    .with_max_frame_size(usize::MAX);

impl<'a> Cursor<'a> {
    /// The next value. An error is not expected (the bytes were checked
    /// when read); the iterators end there.
    fn next<T: DecodeView<'a>>(&mut self) -> Result<T> {
        let (v, used) = match self.protocol {
            ProtocolKind::Binary => binary::decode_view_prefix(self.rest, AGAIN)?,
            ProtocolKind::Compact => compact::decode_view_prefix(self.rest, AGAIN)?,
        };
        self.rest = self.rest.get(used..).unwrap_or_default();
        Ok(v)
    }
}

macro_rules! common {
    ($name:ident, $($param:ident),+) => {
        impl<'a, $($param),+> $name<'a, $($param),+> {
            /// The number of elements (entries), as sent.
            #[inline]
            pub fn len(&self) -> usize {
                self.raw.len as usize
            }

            /// No elements.
            #[inline]
            pub fn is_empty(&self) -> bool {
                self.raw.len == 0
            }

            /// The elements' encoding, as read (after the container's
            /// header), and its protocol.
            #[inline]
            pub fn encoded(&self) -> (&'a [u8], ProtocolKind) {
                (self.raw.bytes, self.raw.protocol)
            }
        }

        impl<$($param),+> Clone for $name<'_, $($param),+> {
            #[inline]
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<$($param),+> Copy for $name<'_, $($param),+> {}

        impl<$($param),+> Default for $name<'_, $($param),+> {
            /// Empty.
            #[inline]
            fn default() -> Self {
                $name {
                    raw: Raw::default(),
                    _elems: PhantomData,
                }
            }
        }
    };
}

/// A `list` of a view, left undecoded (see the [module docs](self)).
pub struct LazyList<'a, T> {
    raw: Raw<'a>,
    _elems: PhantomData<fn() -> T>,
}

/// A `set` of a view, left undecoded (see the [module docs](self)): the
/// elements in wire order, duplicates included.
pub struct LazySet<'a, T> {
    raw: Raw<'a>,
    _elems: PhantomData<fn() -> T>,
}

/// A `map` of a view, left undecoded (see the [module docs](self)): the
/// entries in wire order, duplicate keys included.
pub struct LazyMap<'a, K, V> {
    raw: Raw<'a>,
    _elems: PhantomData<fn() -> (K, V)>,
}

common!(LazyList, T);
common!(LazySet, T);
common!(LazyMap, K, V);

impl<'a, T: DecodeView<'a>> LazyList<'a, T> {
    /// The elements, decoded one by one.
    #[inline]
    pub fn iter(&self) -> LazyIter<'a, T> {
        LazyIter::new(&self.raw)
    }
}

impl<'a, T: DecodeView<'a>> LazySet<'a, T> {
    /// The elements, decoded one by one, in wire order.
    #[inline]
    pub fn iter(&self) -> LazyIter<'a, T> {
        LazyIter::new(&self.raw)
    }

    /// Whether `value` is an element (a linear search).
    pub fn contains<Q>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.iter().any(|v| v.borrow() == value)
    }
}

impl<'a, K: DecodeView<'a>, V: DecodeView<'a>> LazyMap<'a, K, V> {
    /// The entries, decoded one by one, in wire order.
    #[inline]
    pub fn iter(&self) -> LazyMapIter<'a, K, V> {
        LazyMapIter {
            cursor: self.raw.cursor(),
            left: self.raw.len as usize,
            _elems: PhantomData,
        }
    }

    /// The keys, in wire order.
    pub fn keys(&self) -> impl Iterator<Item = K> + use<'a, K, V> {
        self.iter().map(|(k, _)| k)
    }

    /// The values, in wire order.
    pub fn values(&self) -> impl Iterator<Item = V> + use<'a, K, V> {
        self.iter().map(|(_, v)| v)
    }

    /// Whether `key` is a key (a linear search).
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.keys().any(|k| k.borrow() == key)
    }

    /// The value of `key` (a linear search): the last one sent under that
    /// key, as when the map is decoded into a `HashMap`.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.iter()
            .filter(|(k, _)| k.borrow() == key)
            .last()
            .map(|(_, v)| v)
    }
}

/// The elements of a [`LazyList`] or [`LazySet`].
pub struct LazyIter<'a, T> {
    cursor: Cursor<'a>,
    left: usize,
    _elems: PhantomData<fn() -> T>,
}

impl<'a, T> LazyIter<'a, T> {
    fn new(raw: &Raw<'a>) -> Self {
        LazyIter {
            cursor: raw.cursor(),
            left: raw.len as usize,
            _elems: PhantomData,
        }
    }
}

impl<'a, T: DecodeView<'a>> Iterator for LazyIter<'a, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let v = self.cursor.next();
        if v.is_err() {
            self.left = 0;
        }
        v.ok()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<'a, T: DecodeView<'a>> ExactSizeIterator for LazyIter<'a, T> {}
impl<'a, T: DecodeView<'a>> FusedIterator for LazyIter<'a, T> {}

/// The entries of a [`LazyMap`].
pub struct LazyMapIter<'a, K, V> {
    cursor: Cursor<'a>,
    left: usize,
    _elems: PhantomData<fn() -> (K, V)>,
}

impl<'a, K: DecodeView<'a>, V: DecodeView<'a>> Iterator for LazyMapIter<'a, K, V> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let entry = self
            .cursor
            .next()
            .and_then(|k| Ok((k, self.cursor.next()?)));
        if entry.is_err() {
            self.left = 0;
        }
        entry.ok()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<'a, K: DecodeView<'a>, V: DecodeView<'a>> ExactSizeIterator for LazyMapIter<'a, K, V> {}
impl<'a, K: DecodeView<'a>, V: DecodeView<'a>> FusedIterator for LazyMapIter<'a, K, V> {}

/// `IntoIterator` by value and by reference (the containers are `Copy`).
macro_rules! into_iter {
    ($name:ident, [$($param:ident),+], $item:ty, $iter:ty) => {
        impl<'a, $($param: DecodeView<'a>),+> IntoIterator for $name<'a, $($param),+> {
            type Item = $item;
            type IntoIter = $iter;
            fn into_iter(self) -> $iter {
                self.iter()
            }
        }

        impl<'a, $($param: DecodeView<'a>),+> IntoIterator for &$name<'a, $($param),+> {
            type Item = $item;
            type IntoIter = $iter;
            fn into_iter(self) -> $iter {
                self.iter()
            }
        }
    };
}

into_iter!(LazyList, [T], T, LazyIter<'a, T>);
into_iter!(LazySet, [T], T, LazyIter<'a, T>);
into_iter!(LazyMap, [K, V], (K, V), LazyMapIter<'a, K, V>);

macro_rules! iter_common {
    ($name:ident, $($param:ident),+) => {
        impl<$($param),+> Clone for $name<'_, $($param),+> {
            fn clone(&self) -> Self {
                $name {
                    cursor: self.cursor,
                    left: self.left,
                    _elems: PhantomData,
                }
            }
        }

        impl<$($param),+> fmt::Debug for $name<'_, $($param),+> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("left", &self.left)
                    .finish_non_exhaustive()
            }
        }
    };
}

iter_common!(LazyIter, T);
iter_common!(LazyMapIter, K, V);

// Wire types and the codec.

impl<T> WireType for LazyList<'_, T> {
    const TTYPE: TType = TType::List;
}

impl<T> WireType for LazySet<'_, T> {
    const TTYPE: TType = TType::Set;
}

impl<K, V> WireType for LazyMap<'_, K, V> {
    const TTYPE: TType = TType::Map;
}

impl<'a, T: DecodeView<'a>> DecodeView<'a> for LazyList<'a, T> {
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        let h = p.read_list_begin()?;
        check_elem(h.elem, T::TTYPE, h.len)?;
        let raw = Raw::read(p, |p| T::check_view_elems(p, h.len).map(|()| h.len))?;
        p.read_list_end()?;
        Ok(LazyList {
            raw,
            _elems: PhantomData,
        })
    }
}

impl<'a, T: DecodeView<'a>> DecodeView<'a> for LazySet<'a, T> {
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        let h = crate::codec::read_set_header::<T, P>(p)?;
        let raw = Raw::read(p, |p| T::check_view_elems(p, h.len).map(|()| h.len))?;
        p.read_set_end()?;
        Ok(LazySet {
            raw,
            _elems: PhantomData,
        })
    }
}

impl<'a, K: DecodeView<'a>, V: DecodeView<'a>> DecodeView<'a> for LazyMap<'a, K, V> {
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        let h = crate::codec::read_map_header::<K, V, P>(p)?;
        let raw = Raw::read(p, |p| {
            for _ in 0..h.len {
                K::decode_view(p)?;
                V::decode_view(p)?;
            }
            Ok(h.len)
        })?;
        p.read_map_end()?;
        Ok(LazyMap {
            raw,
            _elems: PhantomData,
        })
    }
}

impl<'a> Raw<'a> {
    /// Writes each element as `T` (in another protocol), failing if one
    /// does not read (the count is written already).
    fn write_each<T, P>(&self, p: &mut P) -> Result<()>
    where
        T: DecodeView<'a> + Encode,
        P: ProtocolWrite + ?Sized,
    {
        self.write(p, |p| {
            let mut c = self.cursor();
            (0..self.len).try_for_each(|_| c.next::<T>()?.encode(p))
        })
    }
}

impl<'a, T: DecodeView<'a> + Encode> Encode for LazyList<'a, T> {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_list_begin(T::TTYPE, self.len())?;
        self.raw.write_each::<T, P>(p)?;
        p.write_list_end()
    }
}

impl<'a, T: DecodeView<'a> + Encode> Encode for LazySet<'a, T> {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_set_begin(T::TTYPE, self.len())?;
        self.raw.write_each::<T, P>(p)?;
        p.write_set_end()
    }
}

impl<'a, K, V> Encode for LazyMap<'a, K, V>
where
    K: DecodeView<'a> + Encode,
    V: DecodeView<'a> + Encode,
{
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_map_begin(K::TTYPE, V::TTYPE, self.len())?;
        self.raw.write(p, |p| {
            let mut c = self.raw.cursor();
            (0..self.raw.len).try_for_each(|_| {
                c.next::<K>()?.encode(p)?;
                c.next::<V>()?.encode(p)
            })
        })?;
        p.write_map_end()
    }
}

// Comparisons, hashing and `Debug`, element by element in wire order.

macro_rules! by_elements {
    ($name:ident, [$($param:ident),+], $debug:ident) => {
        impl<'a, $($param: DecodeView<'a> + PartialEq),+> PartialEq for $name<'a, $($param),+> {
            fn eq(&self, other: &Self) -> bool {
                self.len() == other.len() && self.iter().eq(other.iter())
            }
        }

        impl<'a, $($param: DecodeView<'a> + Eq),+> Eq for $name<'a, $($param),+> {}

        impl<'a, $($param: DecodeView<'a> + PartialOrd),+> PartialOrd for $name<'a, $($param),+> {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                self.iter().partial_cmp(other.iter())
            }
        }

        impl<'a, $($param: DecodeView<'a> + Ord),+> Ord for $name<'a, $($param),+> {
            fn cmp(&self, other: &Self) -> Ordering {
                self.iter().cmp(other.iter())
            }
        }

        impl<'a, $($param: DecodeView<'a> + Hash),+> Hash for $name<'a, $($param),+> {
            fn hash<H: Hasher>(&self, state: &mut H) {
                state.write_usize(self.len());
                for e in self.iter() {
                    e.hash(state);
                }
            }
        }

        impl<'a, $($param: DecodeView<'a> + fmt::Debug),+> fmt::Debug for $name<'a, $($param),+> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                by_elements!(@debug $debug, self, f)
            }
        }
    };
    (@debug list, $self:ident, $f:ident) => {
        $f.debug_list().entries($self.iter()).finish()
    };
    (@debug set, $self:ident, $f:ident) => {
        $f.debug_set().entries($self.iter()).finish()
    };
    (@debug map, $self:ident, $f:ident) => {
        $f.debug_map().entries($self.iter()).finish()
    };
}

by_elements!(LazyList, [T], list);
by_elements!(LazySet, [T], set);
by_elements!(LazyMap, [K, V], map);

// Owned containers from lazy ones.

impl<'a, T: FromView<V>, V: DecodeView<'a>> FromView<LazyList<'a, V>> for Vec<T> {
    fn from_view(view: &LazyList<'a, V>) -> Self {
        view.iter().map(|v| T::from_view(&v)).collect()
    }
}

impl<'a, T, V, S> FromView<LazySet<'a, V>> for HashSet<T, S>
where
    T: FromView<V> + Eq + Hash,
    V: DecodeView<'a>,
    S: BuildHasher + Default,
{
    fn from_view(view: &LazySet<'a, V>) -> Self {
        // The count sent includes duplicates: reserve as the owned decoder
        // does, bounded.
        let cap = crate::codec::hash_capacity::<T>(view.len());
        let mut out = HashSet::with_capacity_and_hasher(cap, S::default());
        // Not `extend`: it would reserve for the whole count again.
        for v in view.iter() {
            out.insert(T::from_view(&v));
        }
        out
    }
}

impl<'a, T: FromView<V> + Ord, V: DecodeView<'a>> FromView<LazySet<'a, V>> for BTreeSet<T> {
    fn from_view(view: &LazySet<'a, V>) -> Self {
        view.iter().map(|v| T::from_view(&v)).collect()
    }
}

impl<'a, T: FromView<V>, V: DecodeView<'a>> FromView<LazySet<'a, V>> for VecSet<T> {
    fn from_view(view: &LazySet<'a, V>) -> Self {
        VecSet(view.iter().map(|v| T::from_view(&v)).collect())
    }
}

impl<'a, K, V, KV, VV, S> FromView<LazyMap<'a, KV, VV>> for HashMap<K, V, S>
where
    K: FromView<KV> + Eq + Hash,
    V: FromView<VV>,
    KV: DecodeView<'a>,
    VV: DecodeView<'a>,
    S: BuildHasher + Default,
{
    fn from_view(view: &LazyMap<'a, KV, VV>) -> Self {
        let cap = crate::codec::hash_capacity::<(K, V)>(view.len());
        let mut out = HashMap::with_capacity_and_hasher(cap, S::default());
        // Not `extend`: it would reserve for the whole count again.
        for (k, v) in view.iter() {
            out.insert(K::from_view(&k), V::from_view(&v));
        }
        out
    }
}

impl<'a, K, V, KV, VV> FromView<LazyMap<'a, KV, VV>> for BTreeMap<K, V>
where
    K: FromView<KV> + Ord,
    V: FromView<VV>,
    KV: DecodeView<'a>,
    VV: DecodeView<'a>,
{
    fn from_view(view: &LazyMap<'a, KV, VV>) -> Self {
        view.iter()
            .map(|(k, v)| (K::from_view(&k), V::from_view(&v)))
            .collect()
    }
}

impl<'a, K, V, KV, VV> FromView<LazyMap<'a, KV, VV>> for VecMap<K, V>
where
    K: FromView<KV>,
    V: FromView<VV>,
    KV: DecodeView<'a>,
    VV: DecodeView<'a>,
{
    fn from_view(view: &LazyMap<'a, KV, VV>) -> Self {
        VecMap(
            view.iter()
                .map(|(k, v)| (K::from_view(&k), V::from_view(&v)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both<V: Encode + ?Sized>(v: &V) -> [(Vec<u8>, ProtocolKind); 2] {
        [
            (binary::encode(v).unwrap(), ProtocolKind::Binary),
            (compact::encode(v).unwrap(), ProtocolKind::Compact),
        ]
    }

    fn view<'a, V: DecodeView<'a>>(bytes: &'a [u8], kind: ProtocolKind) -> Result<V> {
        match kind {
            ProtocolKind::Binary => binary::decode_view(bytes),
            ProtocolKind::Compact => compact::decode_view(bytes),
        }
    }

    fn encode<V: Encode>(v: &V, kind: ProtocolKind) -> Vec<u8> {
        match kind {
            ProtocolKind::Binary => binary::encode(v).unwrap(),
            ProtocolKind::Compact => compact::encode(v).unwrap(),
        }
    }

    fn other(kind: ProtocolKind) -> ProtocolKind {
        match kind {
            ProtocolKind::Binary => ProtocolKind::Compact,
            ProtocolKind::Compact => ProtocolKind::Binary,
        }
    }

    #[test]
    fn a_list_iterates_and_is_written_back_as_read() {
        let owned = vec![
            vec!["a".to_owned(), "βeta".to_owned()],
            vec![],
            vec!["c".into()],
        ];
        for (bytes, kind) in both(&owned) {
            let lazy: LazyList<'_, LazyList<'_, &str>> = view(&bytes, kind).unwrap();
            assert_eq!(lazy.len(), 3);
            let inner: Vec<Vec<&str>> = lazy.iter().map(|l| l.iter().collect()).collect();
            assert_eq!(inner, [vec!["a", "βeta"], vec![], vec!["c"]]);
            // The strings are slices of the input.
            let first = lazy.iter().next().unwrap().iter().next().unwrap();
            assert!(bytes.as_ptr_range().contains(&first.as_ptr()));
            // The same protocol: the same bytes, its elements copied in one
            // piece; the other: the owned value's encoding.
            assert_eq!(encode(&lazy, kind), bytes);
            assert_eq!(encode(&lazy, other(kind)), encode(&owned, other(kind)));
            assert_eq!(Vec::<Vec<String>>::from_view(&lazy), owned);
            let (elems, protocol) = lazy.encoded();
            assert_eq!(protocol, kind);
            assert!(bytes.ends_with(elems) && elems.len() + 4 >= bytes.len() - 1);
        }
    }

    #[test]
    fn maps_and_sets_keep_wire_order_and_duplicates() {
        // Written as a list of pairs: a map with a repeated key.
        let entries = VecMap(vec![
            ("k".to_owned(), 1i32),
            ("j".into(), 2),
            ("k".into(), 3),
        ]);
        for (bytes, kind) in both(&entries) {
            let lazy: LazyMap<'_, &str, i32> = view(&bytes, kind).unwrap();
            assert_eq!(lazy.len(), 3);
            assert_eq!(
                lazy.iter().collect::<Vec<_>>(),
                [("k", 1), ("j", 2), ("k", 3)]
            );
            assert_eq!(
                lazy.get("k"),
                Some(3),
                "the last one sent, as a HashMap keeps"
            );
            assert_eq!(lazy.get("x"), None);
            assert_eq!(lazy.keys().collect::<Vec<_>>(), ["k", "j", "k"]);
            assert_eq!(lazy.values().sum::<i32>(), 6);
            assert_eq!(encode(&lazy, kind), bytes);
            assert_eq!(encode(&lazy, other(kind)), encode(&entries, other(kind)));
            let owned: HashMap<String, i32> = HashMap::from_view(&lazy);
            assert_eq!(
                owned,
                HashMap::from([("k".to_owned(), 3), ("j".to_owned(), 2)])
            );
            let ordered: BTreeMap<String, i32> = BTreeMap::from_view(&lazy);
            assert_eq!(ordered.len(), 2);
            assert_eq!(format!("{lazy:?}"), r#"{"k": 1, "j": 2, "k": 3}"#);
        }
        let set = VecSet(vec![3i64, 1, 3]);
        for (bytes, kind) in both(&set) {
            let lazy: LazySet<'_, i64> = view(&bytes, kind).unwrap();
            assert!(lazy.contains(&1) && !lazy.contains(&2));
            assert_eq!(lazy.iter().collect::<Vec<_>>(), [3, 1, 3]);
            assert_eq!(BTreeSet::<i64>::from_view(&lazy), BTreeSet::from([1, 3]));
            assert_eq!(VecSet::<i64>::from_view(&lazy), set);
            assert_eq!(encode(&lazy, kind), bytes);
            assert_eq!(encode(&lazy, other(kind)), encode(&set, other(kind)));
        }
    }

    #[test]
    fn comparisons_follow_the_elements() {
        let a = binary::encode(&vec![1i32, 2]).unwrap();
        let b = compact::encode(&vec![1i32, 2]).unwrap();
        let c = binary::encode(&vec![1i32, 3]).unwrap();
        let la: LazyList<'_, i32> = binary::decode_view(&a).unwrap();
        let lb: LazyList<'_, i32> = compact::decode_view(&b).unwrap();
        let lc: LazyList<'_, i32> = binary::decode_view(&c).unwrap();
        assert_eq!(la, lb, "equal values read from different protocols");
        assert_ne!(la, lc);
        assert!(la < lc);
        let hash = |l: &LazyList<'_, i32>| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            l.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&la), hash(&lb));
        assert_eq!(LazyList::<i32>::default().len(), 0);
        assert_eq!(
            encode(&LazyList::<i32>::default(), ProtocolKind::Compact),
            [0x05]
        );
    }

    #[test]
    fn bad_elements_fail_the_read() {
        // A string that is not UTF-8, inside a list of lists.
        let mut bytes = binary::encode(&vec![vec!["ok".to_owned(), "xx".to_owned()]]).unwrap();
        let at = bytes.len() - 2;
        bytes[at] = 0xc3;
        bytes[at + 1] = 0x28;
        let e = binary::decode_view::<LazyList<'_, LazyList<'_, &str>>>(&bytes).unwrap_err();
        assert_eq!(
            e.protocol_kind(),
            Some(ProtocolErrorKind::InvalidData),
            "{e}"
        );
        // Elements of another type.
        let ints = binary::encode(&vec![1i32]).unwrap();
        assert!(binary::decode_view::<LazyList<'_, &str>>(&ints).is_err());
        // A count the input cannot back.
        let huge = [0x0b, 0x7f, 0xff, 0xff, 0xff];
        assert!(binary::decode_view::<LazyList<'_, &str>>(&huge).is_err());
        // Cut short.
        let cut = &binary::encode(&vec![7i64, 8]).unwrap()[..12];
        assert!(binary::decode_view::<LazyList<'_, i64>>(cut).is_err());
        // Nesting past the depth limit.
        let deep = binary::encode(&vec![vec![vec![1i32]]]).unwrap();
        let limits = Limits::new().with_max_depth(2);
        let e = binary::decode_view_with_limits::<LazyList<'_, LazyList<'_, LazyList<'_, i32>>>>(
            &deep, limits,
        );
        assert!(e.is_err());
        let two = binary::encode(&vec![vec![1i32]]).unwrap();
        let ok = binary::decode_view_with_limits::<LazyList<'_, LazyList<'_, i32>>>(&two, limits);
        assert_eq!(
            ok.unwrap()
                .iter()
                .next()
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            [1]
        );
    }
}
