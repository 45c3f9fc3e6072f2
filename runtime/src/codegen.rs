//! The facade that generated code imports (`<runtime>::__codegen`). Not for
//! people: its contents follow the generator, not semver.

pub use crate::codec::{Decode, Encode, WireType};
pub use crate::error::{
    ApplicationError, ApplicationErrorKind, Error, ProtocolError, ProtocolErrorKind, Result,
};
pub use crate::protocol::{
    FieldHeader, ListHeader, MapHeader, MessageHeader, MessageType, ProtocolRead, ProtocolWrite,
    TType,
};
pub use crate::types::{Uuid, VecMap, VecSet};
pub use crate::unknown::{UnknownField, Value};
