//! The traits every Thrift value implements: generated structs, unions,
//! exceptions and enums, and the Rust types that base types and containers
//! map to.
//!
//! Implemented here for: `bool`, `i8`, `i16`, `i32`, `i64`, `f64`, `String`,
//! `Vec<u8>` (binary), [`Uuid`](crate::Uuid), `Vec<T>` (list), `HashSet<T, S>`,
//! `BTreeSet<T>`, [`VecSet<T>`](crate::VecSet) (set), `HashMap<K, V, S>`,
//! `BTreeMap<K, V>`, [`VecMap<K, V>`](crate::VecMap) (map) and `Box<T>`.
//! Container decoders check each element's wire type, reserve at most
//! [`MAX_PREALLOC`](crate::protocol::MAX_PREALLOC) elements up front, and
//! never allocate from a wire count that the remaining bytes cannot back.

use crate::error::Result;
use crate::protocol::{ProtocolRead, ProtocolWrite, TType};

/// The wire type a Rust type is encoded as.
pub trait WireType {
    const TTYPE: TType;
}

/// Writes a value.
pub trait Encode: WireType {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()>;
}

/// Reads a value.
pub trait Decode: WireType + Sized {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self>;
}
