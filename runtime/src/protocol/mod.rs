//! Wire protocols: the traits generated code reads and writes through, and
//! their implementations (binary, compact).
//!
//! Every implementation is generic over its transport (static dispatch on the
//! hot path) and enforces one [`Limits`](crate::Limits) value: recursion depth
//! on read, write and skip; string and container sizes checked against the
//! bytes that can still arrive before anything is allocated.

use crate::error::Result;

pub mod binary;
pub mod compact;

/// Wire type codes (the binary protocol's numbering; the compact protocol maps
/// its own codes onto these).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TType {
    Stop = 0,
    Void = 1,
    Bool = 2,
    I8 = 3,
    Double = 4,
    I16 = 6,
    I32 = 8,
    I64 = 10,
    /// `string` and `binary`.
    String = 11,
    Struct = 12,
    Map = 13,
    Set = 14,
    List = 15,
    Uuid = 16,
}

/// The four message types of the RPC layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageType {
    Call = 1,
    Reply = 2,
    Exception = 3,
    Oneway = 4,
}

/// A message header as read from or written to the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageHeader {
    pub name: String,
    pub kind: MessageType,
    pub seqid: i32,
}

/// A field header; [`ProtocolRead::read_field_begin`] returns `None` at the
/// STOP marker instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldHeader {
    pub ttype: TType,
    pub id: i16,
}

/// A list or set header. `len` has been checked: it is non-negative and
/// `len` × the element's minimum wire size fits in the bytes that can still
/// arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListHeader {
    pub elem: TType,
    pub len: usize,
}

/// A map header, checked like [`ListHeader`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapHeader {
    pub key: TType,
    pub value: TType,
    pub len: usize,
}

/// The most elements a decoder reserves room for up front, whatever count the
/// wire declares: a lying count costs at most this much before the bytes run
/// out.
pub const MAX_PREALLOC: usize = 4096;

impl ListHeader {
    /// Capacity to reserve for the elements: `min(len, MAX_PREALLOC)`.
    #[inline]
    pub fn capacity_hint(&self) -> usize {
        self.len.min(MAX_PREALLOC)
    }
}

impl MapHeader {
    /// Capacity to reserve for the entries: `min(len, MAX_PREALLOC)`.
    #[inline]
    pub fn capacity_hint(&self) -> usize {
        self.len.min(MAX_PREALLOC)
    }
}

/// Reading side of a protocol. Methods mirror Apache Thrift's
/// `TInputProtocol`; every error is typed ([`crate::Error`]).
pub trait ProtocolRead {
    fn read_message_begin(&mut self) -> Result<MessageHeader>;
    fn read_message_end(&mut self) -> Result<()>;
    /// Enters a struct: counts one level of recursion depth.
    fn read_struct_begin(&mut self) -> Result<()>;
    fn read_struct_end(&mut self) -> Result<()>;
    /// The next field header, or `None` at the STOP marker. Unknown wire type
    /// codes are an `INVALID_DATA` error.
    fn read_field_begin(&mut self) -> Result<Option<FieldHeader>>;
    fn read_field_end(&mut self) -> Result<()>;
    fn read_bool(&mut self) -> Result<bool>;
    fn read_i8(&mut self) -> Result<i8>;
    fn read_i16(&mut self) -> Result<i16>;
    fn read_i32(&mut self) -> Result<i32>;
    fn read_i64(&mut self) -> Result<i64>;
    fn read_double(&mut self) -> Result<f64>;
    /// A `string`: must be valid UTF-8 (`INVALID_DATA` otherwise).
    fn read_string(&mut self) -> Result<String>;
    /// A `binary`: any bytes.
    fn read_binary(&mut self) -> Result<Vec<u8>>;
    fn read_uuid(&mut self) -> Result<[u8; 16]>;
    /// Enters a list: counts one level of depth; checks the count.
    fn read_list_begin(&mut self) -> Result<ListHeader>;
    fn read_list_end(&mut self) -> Result<()>;
    fn read_set_begin(&mut self) -> Result<ListHeader>;
    fn read_set_end(&mut self) -> Result<()>;
    fn read_map_begin(&mut self) -> Result<MapHeader>;
    fn read_map_end(&mut self) -> Result<()>;
    /// Skips one value of type `ttype`, depth-bounded, rejecting unknown type
    /// codes and STOP/VOID container elements.
    fn skip(&mut self, ttype: TType) -> Result<()>;
}

/// Writing side of a protocol. Mirrors Apache Thrift's `TOutputProtocol`.
pub trait ProtocolWrite {
    fn write_message_begin(&mut self, header: &MessageHeader) -> Result<()>;
    fn write_message_end(&mut self) -> Result<()>;
    /// Enters a struct: counts one level of depth (`DEPTH_LIMIT` past the
    /// limit).
    fn write_struct_begin(&mut self, name: &str) -> Result<()>;
    fn write_struct_end(&mut self) -> Result<()>;
    fn write_field_begin(&mut self, name: &str, ttype: TType, id: i16) -> Result<()>;
    fn write_field_end(&mut self) -> Result<()>;
    fn write_field_stop(&mut self) -> Result<()>;
    fn write_bool(&mut self, v: bool) -> Result<()>;
    fn write_i8(&mut self, v: i8) -> Result<()>;
    fn write_i16(&mut self, v: i16) -> Result<()>;
    fn write_i32(&mut self, v: i32) -> Result<()>;
    fn write_i64(&mut self, v: i64) -> Result<()>;
    fn write_double(&mut self, v: f64) -> Result<()>;
    fn write_string(&mut self, v: &str) -> Result<()>;
    fn write_binary(&mut self, v: &[u8]) -> Result<()>;
    fn write_uuid(&mut self, v: &[u8; 16]) -> Result<()>;
    /// `len` above `i32::MAX` is a `SIZE_LIMIT` error.
    fn write_list_begin(&mut self, elem: TType, len: usize) -> Result<()>;
    fn write_list_end(&mut self) -> Result<()>;
    fn write_set_begin(&mut self, elem: TType, len: usize) -> Result<()>;
    fn write_set_end(&mut self) -> Result<()>;
    fn write_map_begin(&mut self, key: TType, value: TType, len: usize) -> Result<()>;
    fn write_map_end(&mut self) -> Result<()>;
    /// Pushes buffered bytes to the transport (one write per message).
    fn flush(&mut self) -> Result<()>;
}
