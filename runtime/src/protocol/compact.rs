//! The compact protocol (Apache Thrift `doc/specs/thrift-compact-protocol.md`):
//! zigzag varints (at most 5 bytes for 32 bits, 10 for 64), field-id deltas,
//! booleans folded into field headers, little-endian doubles.
//!
//! ```
//! use thriftc_runtime::compact;
//!
//! let bytes = compact::encode(&vec![1i32, -1]).unwrap();
//! assert_eq!(bytes, [0x25, 0x02, 0x01]);
//! let back: Vec<i32> = compact::decode(&bytes).unwrap();
//! assert_eq!(back, [1, -1]);
//! ```
//!
//! Over a transport: `CompactProtocol::new(transport, Limits::default())`.
//!
//! Boolean list elements are written as `1`/`0` with element type `1`, as
//! Apache Thrift's libraries do; both element types (`1`, `2`) and both
//! value encodings (`1`/`0` and `1`/`2`) are read.

use super::binary::{
    Depth, bad_version, check_count, check_elem, invalid_data, message_type, negative_size,
    read_fixed, read_name_into, skip_value, write_fixed, write_size_limit,
};
use crate::codec::{Decode, Encode};
use crate::error::Result;
use crate::limits::Limits;
use crate::processor::ProtocolKind;
use crate::protocol::{
    FieldHeader, Lent, ListHeader, MapHeader, MessageHeader, MessageType, ProtocolRead,
    ProtocolWrite, TType,
};
use crate::transport::{ReadBytes, WriteBytes};

const PROTOCOL_ID: u8 = 0x82;
const VERSION: u8 = 1;
const VERSION_MASK: u8 = 0x1f;
const TYPE_SHIFT: u8 = 5;

/// Compact type codes.
mod ct {
    pub const STOP: u8 = 0;
    pub const BOOL_TRUE: u8 = 1;
    pub const BOOL_FALSE: u8 = 2;
    pub const I8: u8 = 3;
    pub const I16: u8 = 4;
    pub const I32: u8 = 5;
    pub const I64: u8 = 6;
    pub const DOUBLE: u8 = 7;
    pub const BINARY: u8 = 8;
    pub const LIST: u8 = 9;
    pub const SET: u8 = 10;
    pub const MAP: u8 = 11;
    pub const STRUCT: u8 = 12;
    pub const UUID: u8 = 13;
}

/// The compact code of a wire type (bool as `BOOL_TRUE`, the element type
/// Apache's libraries write). STOP and VOID have no compact code and map to
/// 0, which readers reject for non-empty containers.
#[inline]
fn compact_code(t: TType) -> u8 {
    match t {
        TType::Stop | TType::Void => ct::STOP,
        TType::Bool => ct::BOOL_TRUE,
        TType::I8 => ct::I8,
        TType::I16 => ct::I16,
        TType::I32 => ct::I32,
        TType::I64 => ct::I64,
        TType::Double => ct::DOUBLE,
        TType::String => ct::BINARY,
        TType::List => ct::LIST,
        TType::Set => ct::SET,
        TType::Map => ct::MAP,
        TType::Struct => ct::STRUCT,
        TType::Uuid => ct::UUID,
    }
}

/// The wire type of a compact code in a container header (both bool codes
/// accepted; 0 stands for STOP and is only valid for an empty container).
#[inline]
fn elem_type(code: u8) -> Result<TType> {
    Ok(match code {
        ct::STOP => TType::Stop,
        ct::BOOL_TRUE | ct::BOOL_FALSE => TType::Bool,
        ct::I8 => TType::I8,
        ct::I16 => TType::I16,
        ct::I32 => TType::I32,
        ct::I64 => TType::I64,
        ct::DOUBLE => TType::Double,
        ct::BINARY => TType::String,
        ct::LIST => TType::List,
        ct::SET => TType::Set,
        ct::MAP => TType::Map,
        ct::STRUCT => TType::Struct,
        ct::UUID => TType::Uuid,
        _ => return Err(invalid_data("unknown compact element type")),
    })
}

/// The wire type of a field header's type nibble; `Stop` marks the codes a
/// field header cannot have (0 and 14, 15).
const FIELD_TYPES: [TType; 16] = [
    TType::Stop,
    TType::Bool,
    TType::Bool,
    TType::I8,
    TType::I16,
    TType::I32,
    TType::I64,
    TType::Double,
    TType::String,
    TType::List,
    TType::Set,
    TType::Map,
    TType::Struct,
    TType::Uuid,
    TType::Stop,
    TType::Stop,
];

/// The fewest bytes a value of type `t` takes in the compact protocol.
#[inline]
fn min_size(t: TType) -> usize {
    match t {
        TType::Stop | TType::Void => 0,
        TType::Double => 8,
        TType::Uuid => 16,
        _ => 1,
    }
}

/// Writes zigzagged values as varints through a stack buffer: one
/// `write_all` per run of up to 32 values instead of one per value.
#[inline]
fn write_varints<T: WriteBytes + ?Sized, V: Copy>(
    trans: &mut T,
    values: &[V],
    zigzag: fn(V) -> u64,
) -> Result<()> {
    let mut buf = [0u8; 320];
    for run in values.chunks(32) {
        let mut n = 0;
        for &v in run {
            let mut u = zigzag(v);
            while u >= 0x80 {
                buf[n] = u as u8 | 0x80;
                u >>= 7;
                n += 1;
            }
            buf[n] = u as u8;
            n += 1;
        }
        trans.write_all(&buf[..n])?;
    }
    Ok(())
}

#[inline]
fn zigzag32(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

#[inline]
fn zigzag64(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

#[inline]
fn unzigzag32(n: u32) -> i32 {
    ((n >> 1) as i32) ^ -((n & 1) as i32)
}

#[inline]
fn unzigzag64(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// A varint of at most `max_len` bytes at the front of `bytes` whose last
/// possible byte holds at most `last_max` (the rules of
/// `CompactProtocol::read_varint_rest`): the value and the bytes it took, or
/// `None` when `bytes` ends first or the varint is invalid (the caller then
/// reads it through the checked path, which reports either).
#[inline(always)]
fn varint_at(bytes: &[u8], max_len: usize, last_max: u8) -> Option<(u64, usize)> {
    let mut out = 0u64;
    for i in 0..max_len - 1 {
        let b = *bytes.get(i)?;
        out |= ((b & 0x7f) as u64) << (7 * i);
        if b & 0x80 == 0 {
            return Some((out, i + 1));
        }
    }
    let b = *bytes.get(max_len - 1)?;
    if b > last_max {
        return None;
    }
    Some((out | (b as u64) << (7 * (max_len - 1)), max_len))
}

/// The last field ids of the enclosing structs. The first levels live
/// inline, so encoding or decoding a value allocates nothing here.
#[derive(Debug, Default)]
struct IdStack {
    inline: [i16; IdStack::INLINE],
    len: usize,
    spill: Vec<i16>,
}

impl IdStack {
    const INLINE: usize = 16;

    #[inline]
    fn push(&mut self, id: i16) {
        if self.len < Self::INLINE {
            self.inline[self.len] = id;
        } else {
            self.spill.push(id);
        }
        self.len += 1;
    }

    #[inline]
    fn pop(&mut self) -> i16 {
        if self.len == 0 {
            return 0;
        }
        self.len -= 1;
        if self.len < Self::INLINE {
            self.inline[self.len]
        } else {
            self.spill.pop().unwrap_or(0)
        }
    }

    #[inline]
    fn clear(&mut self) {
        self.len = 0;
        self.spill.clear();
    }
}

/// The compact protocol over transport `T`: a reader when `T: ReadBytes`,
/// a writer when `T: WriteBytes`.
#[derive(Debug)]
pub struct CompactProtocol<T> {
    trans: T,
    limits: Limits,
    read_depth: Depth,
    write_depth: Depth,
    /// Last field id of the struct being read, and of its enclosing ones.
    last_read_id: i16,
    read_ids: IdStack,
    /// The value of a bool field, carried in its header.
    pending_read_bool: Option<bool>,
    last_write_id: i16,
    write_ids: IdStack,
    /// The id of a bool field whose header waits for its value.
    pending_write_bool: Option<i16>,
}

impl<T> CompactProtocol<T> {
    /// Wraps `trans`, enforcing `limits`.
    #[inline]
    pub fn new(trans: T, limits: Limits) -> CompactProtocol<T> {
        CompactProtocol {
            trans,
            limits,
            read_depth: Depth::default(),
            write_depth: Depth::default(),
            last_read_id: 0,
            read_ids: IdStack::default(),
            pending_read_bool: None,
            last_write_id: 0,
            write_ids: IdStack::default(),
            pending_write_bool: None,
        }
    }

    /// The transport.
    #[inline]
    pub fn get_ref(&self) -> &T {
        &self.trans
    }

    /// The transport, mutably.
    #[inline]
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.trans
    }

    /// Unwraps the transport.
    #[inline]
    pub fn into_inner(self) -> T {
        self.trans
    }

    /// The limits this protocol enforces.
    #[inline]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    #[inline]
    fn enter_read(&mut self) -> Result<()> {
        self.read_depth.enter(self.limits.max_depth())
    }

    #[inline]
    fn leave_read(&mut self) {
        self.read_depth.leave();
    }

    #[inline]
    fn enter_write(&mut self) -> Result<()> {
        self.write_depth.enter(self.limits.max_depth())
    }

    #[inline]
    fn leave_write(&mut self) {
        self.write_depth.leave();
    }
}

// ---------------------------------------------------------------- reading

impl<T: ReadBytes> CompactProtocol<T> {
    /// An unsigned varint of at most 5 bytes whose value fits 32 bits.
    #[inline]
    fn read_varint32(&mut self) -> Result<u32> {
        let b = self.trans.read_u8()?;
        if b < 0x80 {
            return Ok(b as u32);
        }
        self.read_varint32_rest(b)
    }

    /// The rest of a 32-bit varint whose first byte `first` has the
    /// continuation bit.
    #[inline(never)]
    fn read_varint32_rest(&mut self, first: u8) -> Result<u32> {
        self.read_varint_rest(
            first,
            5,
            0x0f,
            "varint longer than 5 bytes or above 32 bits",
        )
        .map(|v| v as u32)
    }

    /// An unsigned varint of at most 10 bytes whose value fits 64 bits.
    #[inline]
    fn read_varint64(&mut self) -> Result<u64> {
        let b = self.trans.read_u8()?;
        if b < 0x80 {
            return Ok(b as u64);
        }
        self.read_varint64_rest(b)
    }

    /// The rest of a 64-bit varint whose first byte `first` has the
    /// continuation bit.
    #[inline(never)]
    fn read_varint64_rest(&mut self, first: u8) -> Result<u64> {
        self.read_varint_rest(
            first,
            10,
            0x01,
            "varint longer than 10 bytes or above 64 bits",
        )
    }

    /// The rest of a varint of at most `len` bytes whose first byte `first`
    /// has the continuation bit. The last byte may hold at most `last_max`,
    /// so the value fits the width; anything longer or larger is
    /// `INVALID_DATA` (`what`), and every byte read is consumed.
    #[inline(always)]
    fn read_varint_rest(&mut self, first: u8, len: u32, last_max: u8, what: &str) -> Result<u64> {
        let mut out = (first & 0x7f) as u64;
        for i in 1..len - 1 {
            let b = self.trans.read_u8()?;
            out |= ((b & 0x7f) as u64) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(out);
            }
        }
        let b = self.trans.read_u8()?;
        if b > last_max {
            return Err(invalid_data(what));
        }
        Ok(out | (b as u64) << (7 * (len - 1)))
    }

    /// Appends `len` varint-coded values to `out`: decoded straight from the
    /// transport's ready bytes while they hold whole valid varints, the rest
    /// through `read_one`, which reports a short or invalid input exactly as
    /// single reads do.
    #[inline]
    fn read_varints<V>(
        &mut self,
        len: usize,
        out: &mut Vec<V>,
        (max_len, last_max): (usize, u8),
        conv: fn(u64) -> V,
        read_one: fn(&mut Self) -> Result<V>,
    ) -> Result<()> {
        let ready = self.trans.ready_bytes();
        let mut pos = 0;
        let mut done = 0;
        while done < len {
            let Some((v, n)) = ready
                .get(pos..)
                .and_then(|rest| varint_at(rest, max_len, last_max))
            else {
                break;
            };
            out.push(conv(v));
            pos += n;
            done += 1;
        }
        self.trans.consume_ready(pos);
        for _ in done..len {
            out.push(read_one(self)?);
        }
        Ok(())
    }

    #[inline]
    fn read_len(&mut self) -> Result<usize> {
        let n = self.read_varint32()? as i32;
        let remaining = self.trans.remaining().min(self.limits.max_message_size());
        check_count("string", n as i64, 1, remaining)
    }

    fn skip_string(&mut self) -> Result<()> {
        let n = self.read_len()?;
        self.trans.skip_bytes(n)
    }

    /// A field header with a full (varint) id, or a bad one.
    #[inline(never)]
    fn read_field_header_rest(&mut self, b: u8) -> Result<Option<FieldHeader>> {
        let delta = (b >> 4) as i16;
        let id = if delta != 0 {
            self.last_read_id
                .checked_add(delta)
                .ok_or_else(|| invalid_data("field id delta past 32767"))?
        } else {
            let v = unzigzag32(self.read_varint32()?);
            i16::try_from(v).map_err(|_| invalid_data("field id out of i16 range"))?
        };
        let ttype = FIELD_TYPES[(b & 0x0f) as usize];
        if ttype == TType::Stop {
            return Err(invalid_data("unknown compact field type"));
        }
        if ttype == TType::Bool {
            self.pending_read_bool = Some(b & 0x0f == ct::BOOL_TRUE);
        }
        self.last_read_id = id;
        Ok(Some(FieldHeader { ttype, id }))
    }

    #[inline]
    fn read_collection(&mut self, what: &str) -> Result<ListHeader> {
        let b = self.trans.read_u8()?;
        let elem = elem_type(b & 0x0f)?;
        let count = match b >> 4 {
            15 => self.read_varint32()? as i32,
            n => n as i32,
        };
        check_elem(elem, count)?;
        let len = check_count(what, count as i64, min_size(elem), self.trans.remaining())?;
        self.enter_read()?;
        Ok(ListHeader { elem, len })
    }
}

impl<T: ReadBytes> ProtocolRead for CompactProtocol<T> {
    fn read_message_begin(&mut self) -> Result<MessageHeader> {
        super::read_new_header(self)
    }

    fn read_message_begin_into(&mut self, header: &mut MessageHeader) -> Result<()> {
        self.read_depth.reset();
        self.last_read_id = 0;
        self.read_ids.clear();
        self.pending_read_bool = None;
        let id = self.trans.read_u8()?;
        if id != PROTOCOL_ID {
            return Err(bad_version(format!(
                "compact protocol id {id:#04x}, expected 0x82"
            )));
        }
        let b = self.trans.read_u8()?;
        if b & VERSION_MASK != VERSION {
            return Err(bad_version(format!(
                "compact protocol version {}, expected 1",
                b & VERSION_MASK
            )));
        }
        header.kind = message_type(b >> TYPE_SHIFT)?;
        header.seqid = self.read_varint32()? as i32;
        let n = self.read_len()?;
        read_name_into(&mut self.trans, n, &mut header.name)
    }

    #[inline]
    fn read_message_end(&mut self) -> Result<()> {
        Ok(())
    }

    #[inline]
    fn read_struct_begin(&mut self) -> Result<()> {
        self.enter_read()?;
        self.read_ids.push(self.last_read_id);
        self.last_read_id = 0;
        Ok(())
    }

    #[inline]
    fn read_struct_end(&mut self) -> Result<()> {
        self.leave_read();
        self.last_read_id = self.read_ids.pop();
        Ok(())
    }

    #[inline]
    fn read_field_begin(&mut self) -> Result<Option<FieldHeader>> {
        let b = self.trans.read_u8()?;
        if b == ct::STOP {
            return Ok(None);
        }
        // The common case inline: a short id delta and a known type.
        let delta = (b >> 4) as i16;
        let ttype = FIELD_TYPES[(b & 0x0f) as usize];
        if delta != 0 && ttype != TType::Stop {
            if let Some(id) = self.last_read_id.checked_add(delta) {
                if ttype == TType::Bool {
                    self.pending_read_bool = Some(b & 0x0f == ct::BOOL_TRUE);
                }
                self.last_read_id = id;
                return Ok(Some(FieldHeader { ttype, id }));
            }
        }
        self.read_field_header_rest(b)
    }

    #[inline]
    fn read_field_end(&mut self) -> Result<()> {
        Ok(())
    }

    #[inline]
    fn read_bool(&mut self) -> Result<bool> {
        if let Some(v) = self.pending_read_bool.take() {
            return Ok(v);
        }
        match self.trans.read_u8()? {
            1 => Ok(true),
            0 | 2 => Ok(false),
            _ => Err(invalid_data("bool element is not 0, 1 or 2")),
        }
    }

    #[inline]
    fn read_i8(&mut self) -> Result<i8> {
        Ok(self.trans.read_u8()? as i8)
    }

    #[inline]
    fn read_i16(&mut self) -> Result<i16> {
        let v = unzigzag32(self.read_varint32()?);
        i16::try_from(v).map_err(|_| invalid_data("i16 out of range"))
    }

    #[inline]
    fn read_i32(&mut self) -> Result<i32> {
        Ok(unzigzag32(self.read_varint32()?))
    }

    #[inline]
    fn read_i64(&mut self) -> Result<i64> {
        Ok(unzigzag64(self.read_varint64()?))
    }

    #[inline]
    fn read_double(&mut self) -> Result<f64> {
        let mut b = [0u8; 8];
        self.trans.read_exact(&mut b)?;
        Ok(f64::from_bits(u64::from_le_bytes(b)))
    }

    #[inline(always)]
    fn read_string(&mut self) -> Result<String> {
        let n = self.read_len()?;
        crate::utf8::string(self.trans.read_vec(n)?)
            .ok_or_else(|| invalid_data("string is not UTF-8"))
    }

    #[inline]
    fn read_binary(&mut self) -> Result<Vec<u8>> {
        let n = self.read_len()?;
        self.trans.read_vec(n)
    }

    #[cfg(feature = "bytes")]
    #[inline]
    fn read_bytes(&mut self) -> Result<bytes::Bytes> {
        let n = self.read_len()?;
        self.trans.read_shared(n)
    }

    #[cfg(feature = "bytes")]
    #[inline]
    fn read_byte_string(&mut self) -> Result<bytestring::ByteString> {
        let n = self.read_len()?;
        bytestring::ByteString::try_from(self.trans.read_shared(n)?)
            .map_err(|_| invalid_data("string is not UTF-8"))
    }

    #[cfg(feature = "compact_str")]
    #[inline(always)]
    fn read_compact_string(&mut self) -> Result<compact_str::CompactString> {
        let n = self.read_len()?;
        super::read_compact_str(&mut self.trans, n)
    }

    #[inline]
    fn read_uuid(&mut self) -> Result<[u8; 16]> {
        let mut b = [0u8; 16];
        self.trans.read_exact(&mut b)?;
        Ok(b)
    }

    #[inline]
    fn read_i32s(&mut self, len: usize, out: &mut Vec<i32>) -> Result<()> {
        self.read_varints(
            len,
            out,
            (5, 0x0f),
            |v| unzigzag32(v as u32),
            Self::read_i32,
        )
    }

    #[inline]
    fn read_i64s(&mut self, len: usize, out: &mut Vec<i64>) -> Result<()> {
        self.read_varints(len, out, (10, 0x01), unzigzag64, Self::read_i64)
    }

    #[inline]
    fn read_doubles(&mut self, len: usize, out: &mut Vec<f64>) -> Result<()> {
        read_fixed(&mut self.trans, len, out, |b| {
            f64::from_bits(u64::from_le_bytes(b))
        })
    }

    #[inline]
    fn read_list_begin(&mut self) -> Result<ListHeader> {
        self.read_collection("list")
    }

    #[inline]
    fn read_list_end(&mut self) -> Result<()> {
        self.leave_read();
        Ok(())
    }

    #[inline]
    fn read_set_begin(&mut self) -> Result<ListHeader> {
        self.read_collection("set")
    }

    #[inline]
    fn read_set_end(&mut self) -> Result<()> {
        self.leave_read();
        Ok(())
    }

    fn read_map_begin(&mut self) -> Result<MapHeader> {
        let n = self.read_varint32()? as i32;
        if n < 0 {
            return Err(negative_size("map", n as i64));
        }
        let (key, value, len) = if n == 0 {
            (TType::Stop, TType::Stop, 0)
        } else {
            let b = self.trans.read_u8()?;
            let key = elem_type(b >> 4)?;
            let value = elem_type(b & 0x0f)?;
            check_elem(key, n)?;
            check_elem(value, n)?;
            let min = min_size(key) + min_size(value);
            let len = check_count("map", n as i64, min, self.trans.remaining())?;
            (key, value, len)
        };
        self.enter_read()?;
        Ok(MapHeader { key, value, len })
    }

    #[inline]
    fn read_map_end(&mut self) -> Result<()> {
        self.leave_read();
        Ok(())
    }

    fn skip(&mut self, ttype: TType) -> Result<()> {
        skip_value(self, ttype, Self::skip_string)
    }

    #[inline]
    fn skip_elems(&mut self, ttype: TType, len: usize) -> Result<()> {
        // Bools are checked (0, 1 or 2) and integers are varints: one by one.
        match ttype {
            TType::I8 => super::skip_sized(&mut self.trans, len, 1),
            TType::Double => super::skip_sized(&mut self.trans, len, 8),
            TType::Uuid => super::skip_sized(&mut self.trans, len, 16),
            _ => super::skip_each(self, ttype, len),
        }
    }

    /// What the transport has ready of the message, at the top level only.
    fn lend(&self) -> Option<Lent<'_>> {
        (self.read_depth.is_top() && self.pending_read_bool.is_none()).then(|| Lent {
            bytes: self.trans.ready_bytes(),
            protocol: ProtocolKind::Compact,
            limits: self.limits,
        })
    }

    fn consume_lent(&mut self, n: usize) {
        self.trans.consume_ready(n);
    }

    fn buffer_message(&mut self) -> Result<bool> {
        self.trans.buffer_message()
    }
}

// ---------------------------------------------------------------- writing

impl<T: WriteBytes> CompactProtocol<T> {
    #[inline]
    fn write_varint32(&mut self, mut n: u32) -> Result<()> {
        // Fixed-size writes for the common short forms compile to a store,
        // not a call to memcpy.
        if n < 0x80 {
            return self.trans.write_all(&[n as u8]);
        }
        if n < 0x4000 {
            return self.trans.write_all(&[n as u8 | 0x80, (n >> 7) as u8]);
        }
        let mut buf = [0u8; 5];
        let mut i = 0;
        while n >= 0x80 {
            buf[i] = (n as u8) | 0x80;
            n >>= 7;
            i += 1;
        }
        buf[i] = n as u8;
        self.trans.write_all(&buf[..=i])
    }

    #[inline]
    fn write_varint64(&mut self, mut n: u64) -> Result<()> {
        if n < 0x80 {
            return self.trans.write_all(&[n as u8]);
        }
        let mut buf = [0u8; 10];
        let mut i = 0;
        while n >= 0x80 {
            buf[i] = (n as u8) | 0x80;
            n >>= 7;
            i += 1;
        }
        buf[i] = n as u8;
        self.trans.write_all(&buf[..=i])
    }

    #[inline]
    fn write_size(&mut self, len: usize) -> Result<()> {
        let n = i32::try_from(len).map_err(|_| write_size_limit(len))?;
        self.write_varint32(n as u32)
    }

    #[inline]
    fn write_field_header(&mut self, code: u8, id: i16) -> Result<()> {
        let delta = id as i32 - self.last_write_id as i32;
        self.last_write_id = id;
        if (1..=15).contains(&delta) {
            self.trans.write_all(&[(delta as u8) << 4 | code])
        } else {
            self.trans.write_all(&[code])?;
            self.write_varint32(zigzag32(id as i32))
        }
    }

    #[inline]
    fn write_collection(&mut self, elem: TType, len: usize) -> Result<()> {
        if i32::try_from(len).is_err() {
            return Err(write_size_limit(len));
        }
        self.enter_write()?;
        let code = compact_code(elem);
        if len < 15 {
            self.trans.write_all(&[(len as u8) << 4 | code])
        } else {
            self.trans.write_all(&[0xf0 | code])?;
            self.write_varint32(len as u32)
        }
    }
}

impl<T: WriteBytes> ProtocolWrite for CompactProtocol<T> {
    fn write_message_begin(&mut self, header: &MessageHeader) -> Result<()> {
        self.write_message_begin_parts(&header.name, header.kind, header.seqid)
    }

    fn write_message_begin_parts(
        &mut self,
        name: &str,
        kind: MessageType,
        seqid: i32,
    ) -> Result<()> {
        self.write_depth.reset();
        self.last_write_id = 0;
        self.write_ids.clear();
        self.pending_write_bool = None;
        let kind = (kind as u8) << TYPE_SHIFT | VERSION;
        self.trans.write_all(&[PROTOCOL_ID, kind])?;
        self.write_varint32(seqid as u32)?;
        self.write_string(name)
    }

    #[inline]
    fn write_message_end(&mut self) -> Result<()> {
        Ok(())
    }

    #[inline]
    fn write_struct_begin(&mut self, _name: &str) -> Result<()> {
        self.enter_write()?;
        self.write_ids.push(self.last_write_id);
        self.last_write_id = 0;
        Ok(())
    }

    #[inline]
    fn write_struct_end(&mut self) -> Result<()> {
        self.leave_write();
        self.last_write_id = self.write_ids.pop();
        Ok(())
    }

    #[inline]
    fn write_field_begin(&mut self, _name: &str, ttype: TType, id: i16) -> Result<()> {
        if ttype == TType::Bool {
            self.pending_write_bool = Some(id);
            return Ok(());
        }
        self.write_field_header(compact_code(ttype), id)
    }

    #[inline]
    fn write_field_end(&mut self) -> Result<()> {
        Ok(())
    }

    #[inline]
    fn write_field_stop(&mut self) -> Result<()> {
        self.trans.write_all(&[ct::STOP])
    }

    #[inline]
    fn write_bool(&mut self, v: bool) -> Result<()> {
        match self.pending_write_bool.take() {
            Some(id) => {
                let code = if v { ct::BOOL_TRUE } else { ct::BOOL_FALSE };
                self.write_field_header(code, id)
            }
            None => self.trans.write_all(&[v as u8]),
        }
    }

    #[inline]
    fn write_i8(&mut self, v: i8) -> Result<()> {
        self.trans.write_all(&[v as u8])
    }

    #[inline]
    fn write_i16(&mut self, v: i16) -> Result<()> {
        self.write_varint32(zigzag32(v as i32))
    }

    #[inline]
    fn write_i32(&mut self, v: i32) -> Result<()> {
        self.write_varint32(zigzag32(v))
    }

    #[inline]
    fn write_i64(&mut self, v: i64) -> Result<()> {
        self.write_varint64(zigzag64(v))
    }

    #[inline]
    fn write_double(&mut self, v: f64) -> Result<()> {
        self.trans.write_all(&v.to_bits().to_le_bytes())
    }

    #[inline]
    fn write_string(&mut self, v: &str) -> Result<()> {
        self.write_binary(v.as_bytes())
    }

    #[inline]
    fn write_binary(&mut self, v: &[u8]) -> Result<()> {
        self.write_size(v.len())?;
        self.trans.write_all(v)
    }

    #[cfg(feature = "bytes")]
    #[inline]
    fn write_bytes(&mut self, v: &bytes::Bytes) -> Result<()> {
        self.write_size(v.len())?;
        self.trans.write_shared(v)
    }

    #[cfg(feature = "bytes")]
    #[inline]
    fn write_byte_string(&mut self, v: &bytestring::ByteString) -> Result<()> {
        self.write_bytes(v.as_bytes())
    }

    #[inline]
    fn write_uuid(&mut self, v: &[u8; 16]) -> Result<()> {
        self.trans.write_all(v)
    }

    #[inline]
    fn write_i16s(&mut self, v: &[i16]) -> Result<()> {
        write_varints(&mut self.trans, v, |x| u64::from(zigzag32(i32::from(x))))
    }

    #[inline]
    fn write_i32s(&mut self, v: &[i32]) -> Result<()> {
        write_varints(&mut self.trans, v, |x| u64::from(zigzag32(x)))
    }

    #[inline]
    fn write_i64s(&mut self, v: &[i64]) -> Result<()> {
        write_varints(&mut self.trans, v, zigzag64)
    }

    #[inline]
    fn write_doubles(&mut self, v: &[f64]) -> Result<()> {
        write_fixed(&mut self.trans, v, |x| x.to_bits().to_le_bytes())
    }

    #[inline]
    fn write_list_begin(&mut self, elem: TType, len: usize) -> Result<()> {
        self.write_collection(elem, len)
    }

    #[inline]
    fn write_list_end(&mut self) -> Result<()> {
        self.leave_write();
        Ok(())
    }

    #[inline]
    fn write_set_begin(&mut self, elem: TType, len: usize) -> Result<()> {
        self.write_collection(elem, len)
    }

    #[inline]
    fn write_set_end(&mut self) -> Result<()> {
        self.leave_write();
        Ok(())
    }

    #[inline]
    fn write_map_begin(&mut self, key: TType, value: TType, len: usize) -> Result<()> {
        if i32::try_from(len).is_err() {
            return Err(write_size_limit(len));
        }
        self.enter_write()?;
        if len == 0 {
            return self.trans.write_all(&[0]);
        }
        self.write_varint32(len as u32)?;
        self.trans
            .write_all(&[compact_code(key) << 4 | compact_code(value)])
    }

    #[inline]
    fn write_map_end(&mut self) -> Result<()> {
        self.leave_write();
        Ok(())
    }

    #[inline]
    fn flush(&mut self) -> Result<()> {
        self.trans.flush()
    }

    #[inline]
    fn write_encoded(&mut self, protocol: crate::ProtocolKind, bytes: &[u8]) -> Result<bool> {
        if protocol != crate::ProtocolKind::Compact {
            return Ok(false);
        }
        self.trans.write_all(bytes)?;
        Ok(true)
    }
}

// ------------------------------------------------------ in-memory helpers

super::in_memory!(CompactProtocol, crate::ProtocolKind::Compact);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ProtocolErrorKind};

    fn reader(bytes: &[u8]) -> CompactProtocol<&[u8]> {
        CompactProtocol::new(bytes, Limits::default())
    }

    /// Every type nibble of a short-form header, as written by our writer.
    #[test]
    fn field_headers_of_every_type_round_trip() {
        let types = [
            TType::Bool,
            TType::I8,
            TType::I16,
            TType::I32,
            TType::I64,
            TType::Double,
            TType::String,
            TType::List,
            TType::Set,
            TType::Map,
            TType::Struct,
            TType::Uuid,
        ];
        for (i, &t) in types.iter().enumerate() {
            let id = i as i16 + 1;
            let mut out = Vec::new();
            let mut w = CompactProtocol::new(&mut out, Limits::default());
            w.write_field_begin("f", t, id).unwrap();
            if t == TType::Bool {
                w.write_bool(id % 2 == 0).unwrap();
            }
            let mut r = reader(&out);
            let h = r.read_field_begin().unwrap().unwrap();
            assert_eq!((h.ttype, h.id), (t, id), "{t:?}");
            if t == TType::Bool {
                assert_eq!(r.read_bool().unwrap(), id % 2 == 0);
            }
        }
    }

    /// Short and long forms mix; the delta counts from the last id read.
    #[test]
    fn field_ids_short_long_and_bools() {
        // id 3 bool true (delta 3), id 300 i32 (long form: zigzag 600 =
        // varint d8 04), id 301 bool false (delta 1), stop.
        let bytes = [0x31, 0x05, 0xd8, 0x04, 0x12, 0x00];
        let mut r = reader(&bytes);
        let h = r.read_field_begin().unwrap().unwrap();
        assert_eq!((h.ttype, h.id), (TType::Bool, 3));
        assert!(r.read_bool().unwrap());
        let h = r.read_field_begin().unwrap().unwrap();
        assert_eq!((h.ttype, h.id), (TType::I32, 300));
        let h = r.read_field_begin().unwrap().unwrap();
        assert_eq!((h.ttype, h.id), (TType::Bool, 301));
        assert!(!r.read_bool().unwrap());
        assert_eq!(r.read_field_begin().unwrap(), None);
    }

    /// Type nibbles 0, 14 and 15 are not field types, in either form.
    #[test]
    fn unknown_field_type_nibbles_are_invalid_data() {
        for b in [0x10u8, 0x1e, 0x1f, 0x0e, 0x0f] {
            let bytes = [b, 0x02, 0x00];
            let err = reader(&bytes).read_field_begin().unwrap_err();
            assert!(
                matches!(&err, Error::Protocol(e) if e.kind == ProtocolErrorKind::InvalidData),
                "{b:#04x}: {err}"
            );
        }
    }
}
