//! Wire form of [`ApplicationError`] (`TApplicationException`):
//! `struct { 1: string message, 2: i32 type }`, unknown fields skipped.

use crate::codec::{Decode, Encode, WireType};
use crate::error::{ApplicationError, ApplicationErrorKind, Result};
use crate::protocol::{ProtocolRead, ProtocolWrite, TType};

impl WireType for ApplicationError {
    const TTYPE: TType = TType::Struct;
}

impl Encode for ApplicationError {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_struct_begin("TApplicationException")?;
        p.write_field_begin("message", TType::String, 1)?;
        p.write_string(&self.message)?;
        p.write_field_end()?;
        p.write_field_begin("type", TType::I32, 2)?;
        p.write_i32(self.kind.as_i32())?;
        p.write_field_end()?;
        p.write_field_stop()?;
        p.write_struct_end()
    }
}

impl Decode for ApplicationError {
    /// Missing fields read as an empty message and kind `Unknown`; fields
    /// with other ids or wire types are skipped.
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        let mut message = String::new();
        let mut kind = ApplicationErrorKind::Unknown;
        p.read_struct_begin()?;
        while let Some(f) = p.read_field_begin()? {
            match (f.id, f.ttype) {
                (1, TType::String) => message = p.read_string()?,
                (2, TType::I32) => kind = ApplicationErrorKind::from_i32(p.read_i32()?),
                (_, t) => p.skip(t)?,
            }
            p.read_field_end()?;
        }
        p.read_struct_end()?;
        Ok(ApplicationError { kind, message })
    }
}
