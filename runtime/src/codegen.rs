//! The facade that generated code imports (`<runtime>::__codegen`). Not for
//! people: its contents follow the generator, not semver.

pub use crate::codec::{Decode, Encode, WireType};

/// Generated code names this constant (`const _: () =
/// __rt::GENERATED_BY_THRIFTC_0_1;`), so code from a thriftc of another
/// release line fails to compile at that line, naming both lines, rather
/// than deep inside a generated item. A runtime that still runs the code of
/// an older line keeps that line's constant too.
pub const GENERATED_BY_THRIFTC_0_1: () = ();
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
// The option `serde`: adapters for `binary` and `double` fields.
#[cfg(feature = "serde")]
pub use crate::serde_as;

// RPC: generated processors implement `Processor` and call the helpers; generated
// clients are generic over `Channel`.
pub use crate::client::{Channel, Multiplexed};
pub use crate::processor::{Processor, internal_error, serve_call, serve_oneway, unknown_method};
// The option `async_services`: async processors and clients.
#[cfg(feature = "tokio")]
pub use crate::tokio;
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

/// For the option `serde`: a struct's kept unknown fields, refusing one
/// with the id and wire type of a field in `known` (written back, it would
/// be read in place of that field; a Thrift read never keeps such a one).
/// `owner` names the type in the error (``struct `Name` ``).
#[cfg(feature = "serde")]
pub fn serde_unknown_fields<'de, D: serde::Deserializer<'de>>(
    d: D,
    known: &[(i16, TType)],
    owner: &str,
) -> std::result::Result<Vec<UnknownField>, D::Error> {
    let read: Vec<UnknownField> = serde::Deserialize::deserialize(d)?;
    match read.iter().find(|f| shadows(f, known)) {
        Some(f) => Err(shadowing(f, owner)),
        None => Ok(read),
    }
}

/// For the option `serde`: a union's unknown variant, refused as
/// [`serde_unknown_fields`] refuses a field.
#[cfg(feature = "serde")]
pub fn serde_unknown_variant<'de, D: serde::Deserializer<'de>>(
    d: D,
    known: &[(i16, TType)],
    owner: &str,
) -> std::result::Result<UnknownField, D::Error> {
    let read: UnknownField = serde::Deserialize::deserialize(d)?;
    if shadows(&read, known) {
        return Err(shadowing(&read, owner));
    }
    Ok(read)
}

#[cfg(feature = "serde")]
fn shadows(f: &UnknownField, known: &[(i16, TType)]) -> bool {
    known.contains(&(f.id, f.value.ttype()))
}

#[cfg(feature = "serde")]
fn shadowing<E: serde::de::Error>(f: &UnknownField, owner: &str) -> E {
    E::custom(format_args!(
        "unknown field {} of {owner} has the id and type of a known field",
        f.id
    ))
}
