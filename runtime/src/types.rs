//! Rust types for Thrift values that have no standard-library counterpart:
//! [`Uuid`], and [`VecSet`] / [`VecMap`] for sets and maps whose elements
//! cannot be hashed or ordered (they contain a `double` or a map), or that
//! are kept in wire order (the generator's `wire_order` option).

use std::fmt;
use std::ops::{Deref, DerefMut};

/// A Thrift `uuid`: 16 bytes, sent as they are (big-endian, RFC 9562 order).
///
/// ```
/// use thriftc_runtime::Uuid;
///
/// let u = Uuid::from([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
///                     0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
/// assert_eq!(u.to_string(), "12345678-9abc-def0-0123-456789abcdef");
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// The nil UUID (all zero).
    pub const NIL: Uuid = Uuid([0; 16]);

    /// Wraps 16 bytes.
    #[inline]
    pub const fn from_bytes(bytes: [u8; 16]) -> Uuid {
        Uuid(bytes)
    }

    /// The 16 bytes.
    #[inline]
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Parses the hyphenated 8-4-4-4-12 hex form (either case); `None` if
    /// the text is not exactly that.
    pub fn parse_str(s: &str) -> Option<Uuid> {
        let b = s.as_bytes();
        if b.len() != 36 {
            return None;
        }
        let mut out = [0u8; 16];
        let mut nibbles = 0usize;
        for (i, &c) in b.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if c != b'-' {
                    return None;
                }
                continue;
            }
            let v = (c as char).to_digit(16)? as u8;
            out[nibbles / 2] |= if nibbles % 2 == 0 { v << 4 } else { v };
            nibbles += 1;
        }
        Some(Uuid(out))
    }
}

impl From<[u8; 16]> for Uuid {
    #[inline]
    fn from(bytes: [u8; 16]) -> Uuid {
        Uuid(bytes)
    }
}

impl From<Uuid> for [u8; 16] {
    #[inline]
    fn from(u: Uuid) -> [u8; 16] {
        u.0
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid({self})")
    }
}

/// A Thrift `set` kept as a vector, in wire order: for element types that
/// are neither hashable nor ordered (e.g. `set<double>`,
/// `set<map<string, i32>>`), and wherever the generator's `wire_order`
/// option asks for it. Duplicates on the wire are kept as they came.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VecSet<T>(pub Vec<T>);

// By hand: a derive would ask `T: Default`, and an empty set needs none
// (generated structs holding a set of unions derive `Default`).
impl<T> Default for VecSet<T> {
    #[inline]
    fn default() -> Self {
        VecSet(Vec::new())
    }
}

/// A Thrift `map` kept as a vector of pairs, in wire order: for key types
/// that are neither hashable nor ordered, and wherever the generator's
/// `wire_order` option asks for it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VecMap<K, V>(pub Vec<(K, V)>);

// By hand, as for `VecSet`: no `K: Default` or `V: Default` needed.
impl<K, V> Default for VecMap<K, V> {
    #[inline]
    fn default() -> Self {
        VecMap(Vec::new())
    }
}

impl<T> VecSet<T> {
    /// An empty set.
    #[inline]
    pub const fn new() -> VecSet<T> {
        VecSet(Vec::new())
    }

    /// An empty set with room for `n` elements.
    #[inline]
    pub fn with_capacity(n: usize) -> VecSet<T> {
        VecSet(Vec::with_capacity(n))
    }

    /// The elements.
    #[inline]
    pub fn into_inner(self) -> Vec<T> {
        self.0
    }
}

impl<K, V> VecMap<K, V> {
    /// An empty map.
    #[inline]
    pub const fn new() -> VecMap<K, V> {
        VecMap(Vec::new())
    }

    /// An empty map with room for `n` entries.
    #[inline]
    pub fn with_capacity(n: usize) -> VecMap<K, V> {
        VecMap(Vec::with_capacity(n))
    }

    /// The entries.
    #[inline]
    pub fn into_inner(self) -> Vec<(K, V)> {
        self.0
    }
}

impl<T> Deref for VecSet<T> {
    type Target = Vec<T>;
    #[inline]
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T> DerefMut for VecSet<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<K, V> Deref for VecMap<K, V> {
    type Target = Vec<(K, V)>;
    #[inline]
    fn deref(&self) -> &Vec<(K, V)> {
        &self.0
    }
}

impl<K, V> DerefMut for VecMap<K, V> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Vec<(K, V)> {
        &mut self.0
    }
}

impl<T> From<Vec<T>> for VecSet<T> {
    #[inline]
    fn from(v: Vec<T>) -> VecSet<T> {
        VecSet(v)
    }
}

impl<K, V> From<Vec<(K, V)>> for VecMap<K, V> {
    #[inline]
    fn from(v: Vec<(K, V)>) -> VecMap<K, V> {
        VecMap(v)
    }
}

impl<T> FromIterator<T> for VecSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> VecSet<T> {
        VecSet(iter.into_iter().collect())
    }
}

impl<K, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> VecMap<K, V> {
        VecMap(iter.into_iter().collect())
    }
}

impl<T> IntoIterator for VecSet<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a VecSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = &'a (K, V);
    type IntoIter = std::slice::Iter<'a, (K, V)>;
    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_wire_order_collections_need_no_default_elements() {
        // A type with no `Default`, as a generated union is.
        #[derive(Debug, PartialEq)]
        enum NoDefault {
            A(i32),
        }
        #[derive(Default)]
        struct Holder {
            set: VecSet<NoDefault>,
            map: VecMap<NoDefault, NoDefault>,
        }
        let h = Holder::default();
        assert!(h.set.0.is_empty() && h.map.0.is_empty());
        assert_eq!(VecSet(vec![NoDefault::A(1)]).0, [NoDefault::A(1)]);
    }

    #[test]
    fn uuid_display_and_parse_round_trip() {
        let u = Uuid(
            (0..16)
                .map(|i| i * 17)
                .collect::<Vec<u8>>()
                .try_into()
                .unwrap(),
        );
        let s = u.to_string();
        assert_eq!(s, "00112233-4455-6677-8899-aabbccddeeff");
        assert_eq!(Uuid::parse_str(&s), Some(u));
        assert_eq!(Uuid::parse_str(&s.to_uppercase()), Some(u));
        assert_eq!(Uuid::parse_str("00112233-4455-6677-8899-aabbccddeef"), None);
        assert_eq!(
            Uuid::parse_str("00112233x4455-6677-8899-aabbccddeeff"),
            None
        );
        assert_eq!(
            Uuid::parse_str("0011223g-4455-6677-8899-aabbccddeeff"),
            None
        );
        assert_eq!(
            format!("{:?}", Uuid::NIL),
            "Uuid(00000000-0000-0000-0000-000000000000)"
        );
    }

    #[test]
    fn vec_set_and_map_keep_order() {
        let s: VecSet<f64> = [2.5, 1.0, 2.5].into_iter().collect();
        assert_eq!(s.as_slice(), &[2.5, 1.0, 2.5]);
        let m: VecMap<f64, i32> = [(1.5, 1), (0.5, 2)].into_iter().collect();
        assert_eq!(m.iter().map(|e| e.1).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(m.into_iter().count(), 2);
    }
}
