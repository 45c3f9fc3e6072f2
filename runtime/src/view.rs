//! Borrowed decoding: views whose `string` and `binary` values are slices of
//! the input (`&'a str`, `&'a [u8]`), so decoding them copies and allocates
//! nothing for those values.
//!
//! Generated code gives a struct, union or exception selected by the
//! generator's `views` option a second type, `<Name>Ref<'a>`, with the same
//! fields where a `string` is `&'a str`, a `binary` is `&'a [u8]` and a
//! struct that has a view is its view. Views implement [`DecodeView`] and
//! [`Encode`](crate::Encode); the owned type converts from a view with
//! `From<&NameRef<'_>>` (through [`FromView`]).
//!
//! A view is read from a byte slice: [`binary::decode_view`] and
//! [`compact::decode_view`], or any protocol that implements [`ViewRead`]
//! (the binary and compact protocols over a `&'a [u8]`). Decoding checks
//! everything the owned decoder checks (UTF-8, container element types,
//! sizes, depth, required fields) and allocates nothing for strings and
//! binaries: only containers, boxed fields and kept unknown fields
//! allocate.
//!
//! Implemented here for the types fields map to: `bool`, the integers,
//! `f64`, [`Uuid`], `&'a str`, `&'a [u8]`, `Vec<T>`, `HashSet<T, S>`,
//! `BTreeSet<T>`, [`VecSet<T>`], `HashMap<K, V, S>`, `BTreeMap<K, V>`,
//! [`VecMap<K, V>`] and `Box<T>`. Generated enums, and generated types
//! without a view, implement it by decoding themselves.
//!
//! [`binary::decode_view`]: crate::binary::decode_view
//! [`compact::decode_view`]: crate::compact::decode_view

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

use crate::codec::{Decode, WireType};
use crate::error::Result;
use crate::protocol::ProtocolRead;
use crate::types::{Uuid, VecMap, VecSet};

/// A protocol reader that can lend `string` and `binary` values from its
/// input, which lives for `'a`.
pub trait ViewRead<'a>: ProtocolRead {
    /// Reads a `string` as a slice of the input (`INVALID_DATA` when it is
    /// not UTF-8).
    fn read_str_view(&mut self) -> Result<&'a str>;

    /// Reads a `binary` as a slice of the input.
    fn read_binary_view(&mut self) -> Result<&'a [u8]>;

    /// The input not read yet, its protocol and the limits this reader
    /// enforces, for containers read lazily
    /// ([`LazyList`](crate::LazyList) and its kin keep a slice of it).
    /// `None` (the default) when this reader cannot lend it: reading a lazy
    /// container then fails.
    fn lend_rest(&self) -> Option<crate::protocol::Lent<'a>> {
        None
    }
}

/// Reads a value that may borrow from the input.
pub trait DecodeView<'a>: WireType + Sized {
    /// Reads one value; the same checks as [`Decode::decode`].
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self>;

    /// Reads the `len` elements of a list whose header has been read,
    /// appending them to `out` (in bulk for the fixed-size base types).
    #[inline]
    fn decode_view_elems<P: ViewRead<'a> + ?Sized>(
        p: &mut P,
        len: usize,
        out: &mut Vec<Self>,
    ) -> Result<()> {
        for _ in 0..len {
            out.push(Self::decode_view(p)?);
        }
        Ok(())
    }

    /// Checks the `len` elements of a list or set whose header has been
    /// read, as reading them would, keeping nothing: for lazy containers
    /// ([`LazyList`](crate::LazyList)). Fixed-size base types are skipped
    /// in one step.
    #[doc(hidden)]
    #[inline]
    fn check_view_elems<P: ViewRead<'a> + ?Sized>(p: &mut P, len: usize) -> Result<()> {
        for _ in 0..len {
            Self::decode_view(p)?;
        }
        Ok(())
    }
}

/// Builds an owned value from a view of it (`String` from `&str`, a struct
/// from its `<Name>Ref`, containers element by element).
pub trait FromView<V: ?Sized> {
    /// The owned copy of `view`.
    fn from_view(view: &V) -> Self;
}

/// A type that reads and converts the same way whether owned or viewed.
macro_rules! owned {
    ($($ty:ty),*) => {$(
        impl<'a> DecodeView<'a> for $ty {
            #[inline]
            fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
                <$ty as Decode>::decode(p)
            }

            #[inline]
            fn decode_view_elems<P: ViewRead<'a> + ?Sized>(
                p: &mut P,
                len: usize,
                out: &mut Vec<Self>,
            ) -> Result<()> {
                <$ty as Decode>::decode_elems(p, len, out)
            }

            #[inline]
            fn check_view_elems<P: ViewRead<'a> + ?Sized>(p: &mut P, len: usize) -> Result<()> {
                p.skip_elems(<$ty as WireType>::TTYPE, len)
            }
        }

        impl FromView<$ty> for $ty {
            #[inline]
            fn from_view(view: &$ty) -> Self {
                *view
            }
        }
    )*};
}

owned!(bool, i8, i16, i32, i64, f64, Uuid);

impl<'a> DecodeView<'a> for &'a str {
    #[inline(always)]
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        p.read_str_view()
    }
}

impl<'a> DecodeView<'a> for &'a [u8] {
    #[inline]
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        p.read_binary_view()
    }
}

impl FromView<&str> for String {
    #[inline]
    fn from_view(view: &&str) -> Self {
        (*view).to_owned()
    }
}

impl FromView<&[u8]> for Vec<u8> {
    #[inline]
    fn from_view(view: &&[u8]) -> Self {
        crate::copy::to_vec(view)
    }
}

#[cfg(feature = "bytes")]
impl FromView<&str> for bytestring::ByteString {
    #[inline]
    fn from_view(view: &&str) -> Self {
        bytestring::ByteString::from(*view)
    }
}

#[cfg(feature = "bytes")]
impl FromView<&[u8]> for bytes::Bytes {
    #[inline]
    fn from_view(view: &&[u8]) -> Self {
        bytes::Bytes::from(crate::copy::to_vec(view))
    }
}

#[cfg(feature = "compact_str")]
impl FromView<&str> for compact_str::CompactString {
    #[inline]
    fn from_view(view: &&str) -> Self {
        compact_str::CompactString::new(view)
    }
}

impl<'a, T: DecodeView<'a>> DecodeView<'a> for Box<T> {
    #[inline]
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        T::decode_view(p).map(Box::new)
    }
}

impl<T: FromView<V>, V> FromView<Box<V>> for Box<T> {
    #[inline]
    fn from_view(view: &Box<V>) -> Self {
        Box::new(T::from_view(view))
    }
}

// Containers: the owned decoders' checks (element types, preallocation
// bounded by the remaining input), elements read as views.

impl<'a, T: DecodeView<'a>> DecodeView<'a> for Vec<T> {
    #[inline]
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        let h = p.read_list_begin()?;
        crate::codec::check_elem(h.elem, T::TTYPE, h.len)?;
        let mut out = Vec::with_capacity(h.capacity_for::<T>());
        T::decode_view_elems(p, h.len, &mut out)?;
        p.read_list_end()?;
        Ok(out)
    }
}

impl<T: FromView<V>, V> FromView<Vec<V>> for Vec<T> {
    fn from_view(view: &Vec<V>) -> Self {
        view.iter().map(T::from_view).collect()
    }
}

impl<'a, T, S> DecodeView<'a> for HashSet<T, S>
where
    T: DecodeView<'a> + Eq + Hash,
    S: BuildHasher + Default,
{
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        let h = crate::codec::read_set_header::<T, P>(p)?;
        let cap = crate::codec::hash_capacity::<T>(h.len);
        let mut out = HashSet::with_capacity_and_hasher(cap, S::default());
        for _ in 0..h.len {
            out.insert(T::decode_view(p)?);
        }
        p.read_set_end()?;
        Ok(out)
    }
}

impl<T, V, S, S2> FromView<HashSet<V, S2>> for HashSet<T, S>
where
    T: FromView<V> + Eq + Hash,
    S: BuildHasher + Default,
{
    fn from_view(view: &HashSet<V, S2>) -> Self {
        let mut out = HashSet::with_capacity_and_hasher(view.len(), S::default());
        out.extend(view.iter().map(T::from_view));
        out
    }
}

/// Built in bulk while the elements arrive in order, as owned sets are.
impl<'a, T: DecodeView<'a> + Ord> DecodeView<'a> for BTreeSet<T> {
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        let h = crate::codec::read_set_header::<T, P>(p)?;
        let out = crate::codec::ordered_set(h.len, h.capacity_for::<T>(), || T::decode_view(p))?;
        p.read_set_end()?;
        Ok(out)
    }
}

impl<T: FromView<V> + Ord, V> FromView<BTreeSet<V>> for BTreeSet<T> {
    fn from_view(view: &BTreeSet<V>) -> Self {
        view.iter().map(T::from_view).collect()
    }
}

impl<'a, T: DecodeView<'a>> DecodeView<'a> for VecSet<T> {
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        let h = crate::codec::read_set_header::<T, P>(p)?;
        let mut out = Vec::with_capacity(h.capacity_for::<T>());
        T::decode_view_elems(p, h.len, &mut out)?;
        p.read_set_end()?;
        Ok(VecSet(out))
    }
}

impl<T: FromView<V>, V> FromView<VecSet<V>> for VecSet<T> {
    fn from_view(view: &VecSet<V>) -> Self {
        VecSet(view.iter().map(T::from_view).collect())
    }
}

impl<'a, K, V, S> DecodeView<'a> for HashMap<K, V, S>
where
    K: DecodeView<'a> + Eq + Hash,
    V: DecodeView<'a>,
    S: BuildHasher + Default,
{
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        let h = crate::codec::read_map_header::<K, V, P>(p)?;
        let cap = crate::codec::hash_capacity::<(K, V)>(h.len);
        let mut out = HashMap::with_capacity_and_hasher(cap, S::default());
        for _ in 0..h.len {
            let k = K::decode_view(p)?;
            let v = V::decode_view(p)?;
            out.insert(k, v);
        }
        p.read_map_end()?;
        Ok(out)
    }
}

impl<K, V, KV, VV, S, S2> FromView<HashMap<KV, VV, S2>> for HashMap<K, V, S>
where
    K: FromView<KV> + Eq + Hash,
    V: FromView<VV>,
    S: BuildHasher + Default,
{
    fn from_view(view: &HashMap<KV, VV, S2>) -> Self {
        let mut out = HashMap::with_capacity_and_hasher(view.len(), S::default());
        out.extend(view.iter().map(|(k, v)| (K::from_view(k), V::from_view(v))));
        out
    }
}

/// Built in bulk while the keys arrive in order, as owned maps are.
impl<'a, K: DecodeView<'a> + Ord, V: DecodeView<'a>> DecodeView<'a> for BTreeMap<K, V> {
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        let h = crate::codec::read_map_header::<K, V, P>(p)?;
        let out = crate::codec::ordered_map(h.len, h.capacity_for::<K, V>(), || {
            let k = K::decode_view(p)?;
            Ok((k, V::decode_view(p)?))
        })?;
        p.read_map_end()?;
        Ok(out)
    }
}

impl<K: FromView<KV> + Ord, V: FromView<VV>, KV, VV> FromView<BTreeMap<KV, VV>> for BTreeMap<K, V> {
    fn from_view(view: &BTreeMap<KV, VV>) -> Self {
        view.iter()
            .map(|(k, v)| (K::from_view(k), V::from_view(v)))
            .collect()
    }
}

impl<'a, K: DecodeView<'a>, V: DecodeView<'a>> DecodeView<'a> for VecMap<K, V> {
    fn decode_view<P: ViewRead<'a> + ?Sized>(p: &mut P) -> Result<Self> {
        let h = crate::codec::read_map_header::<K, V, P>(p)?;
        let mut out = Vec::with_capacity(h.capacity_for::<K, V>());
        for _ in 0..h.len {
            let k = K::decode_view(p)?;
            let v = V::decode_view(p)?;
            out.push((k, v));
        }
        p.read_map_end()?;
        Ok(VecMap(out))
    }
}

impl<K: FromView<KV>, V: FromView<VV>, KV, VV> FromView<VecMap<KV, VV>> for VecMap<K, V> {
    fn from_view(view: &VecMap<KV, VV>) -> Self {
        VecMap(
            view.iter()
                .map(|(k, v)| (K::from_view(k), V::from_view(v)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ProtocolErrorKind};
    use crate::{binary, compact};

    fn kind(e: &Error) -> Option<ProtocolErrorKind> {
        match e {
            Error::Protocol(p) => Some(p.kind),
            _ => None,
        }
    }

    #[test]
    fn strings_and_binaries_are_slices_of_the_input() {
        let list = vec!["alpha".to_owned(), "βeta".to_owned()];
        for bytes in [
            binary::encode(&list).unwrap(),
            compact::encode(&list).unwrap(),
        ] {
            let binary_form = bytes == binary::encode(&list).unwrap();
            let v: Vec<&str> = if binary_form {
                binary::decode_view(&bytes).unwrap()
            } else {
                compact::decode_view(&bytes).unwrap()
            };
            assert_eq!(v, ["alpha", "βeta"]);
            for s in &v {
                assert!(bytes.as_ptr_range().contains(&s.as_ptr()), "{s} is a copy");
            }
            assert_eq!(Vec::<String>::from_view(&v), list);
        }
        let raw = vec![1u8, 2, 3];
        let bytes = binary::encode(&raw).unwrap();
        let v: &[u8] = binary::decode_view(&bytes).unwrap();
        assert_eq!(v, [1, 2, 3]);
        assert!(bytes.as_ptr_range().contains(&v.as_ptr()));
    }

    #[test]
    fn bad_input_is_an_error() {
        // Not UTF-8.
        let bytes = [0, 0, 0, 2, 0xc3, 0x28];
        let e = binary::decode_view::<&str>(&bytes).unwrap_err();
        assert_eq!(kind(&e), Some(ProtocolErrorKind::InvalidData), "{e}");
        // A length past the end of the input, and a negative one.
        for bytes in [[0, 0, 0, 9, b'a'], [0xff, 0xff, 0xff, 0xff, b'a']] {
            assert!(binary::decode_view::<&[u8]>(&bytes).is_err());
        }
        assert!(compact::decode_view::<&str>(&[20, b'a']).is_err());
        // Trailing bytes.
        let e = binary::decode_view::<&str>(&[0, 0, 0, 1, b'a', 0]).unwrap_err();
        assert_eq!(kind(&e), Some(ProtocolErrorKind::InvalidData), "{e}");
        // A container whose element type is not the expected one.
        let ints = binary::encode(&vec![1i32, 2]).unwrap();
        let e = binary::decode_view::<Vec<&str>>(&ints).unwrap_err();
        assert_eq!(kind(&e), Some(ProtocolErrorKind::InvalidData), "{e}");
        // A count the input cannot back allocates nothing large.
        let huge = [0x0b, 0x7f, 0xff, 0xff, 0xff];
        assert!(binary::decode_view::<Vec<&str>>(&huge).is_err());
    }

    #[test]
    fn containers_convert_element_by_element() {
        let bytes = binary::encode(&HashMap::from([("k".to_owned(), vec![1i64, 2])])).unwrap();
        let v: HashMap<&str, Vec<i64>> = binary::decode_view(&bytes).unwrap();
        let owned: BTreeMap<String, Vec<i64>> = BTreeMap::from_view(
            &v.iter()
                .map(|(k, v)| (*k, v.clone()))
                .collect::<BTreeMap<_, _>>(),
        );
        assert_eq!(owned, BTreeMap::from([("k".to_owned(), vec![1, 2])]));
        let set: HashSet<String> = HashSet::from_view(&HashSet::from(["a", "b"]));
        assert_eq!(set.len(), 2);
    }
}
