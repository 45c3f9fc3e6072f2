//! The facade that generated code imports (`<runtime>::__codegen`). Not for
//! people: its contents follow the generator, not semver.

pub use crate::codec::{Decode, Encode, WireType};
pub use crate::error::{
    ApplicationError, ApplicationErrorKind, Error, ProtocolError, ProtocolErrorKind, Result,
};
pub use crate::lazy::{LazyList, LazyMap, LazySet};
pub use crate::protocol::{
    FieldHeader, ListHeader, MapHeader, MessageHeader, MessageType, ProtocolRead, ProtocolWrite,
    TType,
};
pub use crate::types::{Uuid, VecMap, VecSet};
pub use crate::unknown::{UnknownField, Value};
pub use crate::view::{DecodeView, FromView, ViewRead};
#[cfg(feature = "bytes")]
pub use bytes::Bytes;
#[cfg(feature = "bytes")]
pub use bytestring::ByteString;
#[cfg(feature = "compact_str")]
pub use compact_str::CompactString;

// RPC: generated processors implement `Processor` and call the helpers; generated
// clients are generic over `Channel`.
pub use crate::client::{Channel, Multiplexed};
pub use crate::processor::{Processor, internal_error, serve_call, serve_oneway, unknown_method};
pub use crate::view_call::{
    CowView, ViewCall, ViewOneway, ViewResult, serve_view_call, serve_view_oneway,
};

/// [`Decode::decode_elems`] of a generated struct that reads in place
/// ([`Decode::decode_into`]): each element is read into a default pushed
/// onto `out`, so no element is moved once read.
#[inline]
pub fn decode_elems_in_place<T, P>(p: &mut P, len: usize, out: &mut Vec<T>) -> Result<()>
where
    T: Decode + Default,
    P: crate::protocol::ProtocolRead + ?Sized,
{
    for _ in 0..len {
        out.push(T::default());
        if let Some(v) = out.last_mut() {
            v.decode_into(p)?;
        }
    }
    Ok(())
}

/// The error a generated client returns when a reply's result struct has no
/// field set: `MISSING_RESULT` "m failed: unknown result".
pub fn missing_result(method: &str) -> Error {
    Error::application(
        ApplicationErrorKind::MissingResult,
        format!("{method} failed: unknown result"),
    )
}
