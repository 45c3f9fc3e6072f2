//! The binary protocol (Apache Thrift `doc/specs/thrift-binary-protocol.md`):
//! fixed-width big-endian integers, `i32` length prefixes, strict message
//! headers written and both strict and old non-strict headers read.
//!
//! For one value in memory use the free functions:
//!
//! ```
//! use thriftc_runtime::binary;
//!
//! let bytes = binary::encode(&vec![1i32, 2]).unwrap();
//! assert_eq!(bytes, [8, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
//! let back: Vec<i32> = binary::decode(&bytes).unwrap();
//! assert_eq!(back, [1, 2]);
//! ```
//!
//! Over a transport, wrap it: `BinaryProtocol::new(transport, Limits::default())`.
//!
//! # Errors
//!
//! Both protocols report the same typed errors:
//! - negative string or container size: `NEGATIVE_SIZE`;
//! - a size whose bytes cannot follow (`count × minimum element size` above
//!   [`ReadBytes::remaining`]), or a length that does not fit an `i32` on
//!   write: `SIZE_LIMIT`, before anything is allocated;
//! - unknown type codes, STOP/VOID elements of a non-empty container, a
//!   container element type other than the decoder expects, invalid UTF-8 in
//!   a `string`, over-long varints, field ids past 32767: `INVALID_DATA`;
//! - nesting deeper than [`Limits::max_depth`] on read, write or skip:
//!   `DEPTH_LIMIT`;
//! - a wrong version word or protocol id: `BAD_VERSION`;
//! - a message type other than 1..=4: an [`ApplicationError`] of kind
//!   `InvalidMessageType`;
//! - input that ends early: a transport `EndOfFile` error.
//!
//! [`ApplicationError`]: crate::ApplicationError

use crate::codec::{Decode, Encode};
use crate::error::{ApplicationErrorKind, Error, ProtocolErrorKind, Result};
use crate::limits::Limits;
use crate::processor::ProtocolKind;
use crate::protocol::{
    FieldHeader, Lent, ListHeader, MapHeader, MessageHeader, MessageType, ProtocolRead,
    ProtocolWrite, TType,
};
use crate::transport::{ReadBytes, WriteBytes};

const VERSION_1: u32 = 0x8001_0000;
const VERSION_MASK: u32 = 0xffff_0000;

/// The binary protocol over transport `T`: a reader when `T: ReadBytes`, a
/// writer when `T: WriteBytes`.
///
/// Reading accepts strict headers (version word `0x8001_00tt`) and, unless
/// [`with_strict_read`](BinaryProtocol::with_strict_read) is set, the old
/// non-strict form (name length first). Writing always uses strict headers.
#[derive(Debug)]
pub struct BinaryProtocol<T> {
    trans: T,
    limits: Limits,
    strict_read: bool,
    read_depth: Depth,
    write_depth: Depth,
}

impl<T> BinaryProtocol<T> {
    /// Wraps `trans`, enforcing `limits`.
    #[inline]
    pub fn new(trans: T, limits: Limits) -> BinaryProtocol<T> {
        BinaryProtocol {
            trans,
            limits,
            strict_read: false,
            read_depth: Depth::default(),
            write_depth: Depth::default(),
        }
    }

    /// When `true`, a message header without the version word is a
    /// `BAD_VERSION` error (default `false`: old non-strict headers are read).
    #[must_use]
    #[inline]
    pub fn with_strict_read(mut self, strict: bool) -> BinaryProtocol<T> {
        self.strict_read = strict;
        self
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
    fn enter_write(&mut self) -> Result<()> {
        self.write_depth.enter(self.limits.max_depth())
    }

    #[inline]
    fn leave_write(&mut self) {
        self.write_depth.leave();
    }

    #[inline]
    fn enter_read(&mut self) -> Result<()> {
        self.read_depth.enter(self.limits.max_depth())
    }

    #[inline]
    fn leave_read(&mut self) {
        self.read_depth.leave();
    }
}

// ---------------------------------------------------------------- errors
// Shared with the compact protocol. Cold: they build a message string.

#[cold]
#[inline(never)]
pub(crate) fn invalid_data(message: &str) -> Error {
    Error::protocol(ProtocolErrorKind::InvalidData, message)
}

#[cold]
#[inline(never)]
pub(crate) fn negative_size(what: &str, n: i64) -> Error {
    Error::protocol(
        ProtocolErrorKind::NegativeSize,
        format!("negative {what} size {n}"),
    )
}

#[cold]
#[inline(never)]
pub(crate) fn size_limit(what: &str, need: u64, remaining: usize) -> Error {
    Error::protocol(
        ProtocolErrorKind::SizeLimit,
        format!("{what} needs at least {need} bytes but only {remaining} can follow"),
    )
}

#[cold]
#[inline(never)]
pub(crate) fn write_size_limit(len: usize) -> Error {
    Error::protocol(
        ProtocolErrorKind::SizeLimit,
        format!("length {len} does not fit the wire's i32"),
    )
}

#[cold]
#[inline(never)]
pub(crate) fn depth_limit(max: u32) -> Error {
    Error::protocol(
        ProtocolErrorKind::DepthLimit,
        format!("nesting deeper than {max} levels"),
    )
}

/// A nesting counter checked against [`Limits::max_depth`]: one for reading
/// (and skipping), one for writing, in both protocols.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Depth(u32);

impl Depth {
    /// Enters one level; `DEPTH_LIMIT` past `max`.
    #[inline]
    pub(crate) fn enter(&mut self, max: u32) -> Result<()> {
        if self.0 >= max {
            return Err(depth_limit(max));
        }
        self.0 += 1;
        Ok(())
    }

    /// At the top level: no struct or container entered.
    #[inline]
    pub(crate) fn is_top(self) -> bool {
        self.0 == 0
    }

    /// Leaves one level.
    #[inline]
    pub(crate) fn leave(&mut self) {
        self.0 = self.0.saturating_sub(1);
    }

    /// Back to the top level (at a message boundary).
    #[inline]
    pub(crate) fn reset(&mut self) {
        self.0 = 0;
    }
}

/// What the first four bytes of a message that is not binary look like
/// they are, as a hint for people (empty when nothing is recognised): a
/// compact message, a frame's length, or text such as an HTTP reply.
#[cold]
fn foreign_header_hint(word: u32) -> String {
    let bytes = word.to_be_bytes();
    if bytes[0] == 0x82 {
        "; 0x82 starts a compact message: does the peer use the compact protocol?".to_owned()
    } else if word > 0 && word < 0x0100_0000 {
        "; it looks like a frame's length: does the peer use framed transport?".to_owned()
    } else if bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!(
            "; it begins with the text {:?}: is the peer a Thrift server?",
            String::from_utf8_lossy(&bytes)
        )
    } else {
        String::new()
    }
}

#[cold]
#[inline(never)]
pub(crate) fn bad_version(message: String) -> Error {
    Error::protocol(ProtocolErrorKind::BadVersion, message)
}

#[cold]
#[inline(never)]
pub(crate) fn bad_message_type(b: u8) -> Error {
    Error::application(
        ApplicationErrorKind::InvalidMessageType,
        format!("invalid message type {b}"),
    )
}

#[cold]
#[inline(never)]
fn unknown_type(code: u8) -> Error {
    Error::protocol(
        ProtocolErrorKind::InvalidData,
        format!("unknown wire type code {code}"),
    )
}

// ------------------------------------------------------- shared helpers

/// A message type byte.
#[inline]
pub(crate) fn message_type(b: u8) -> Result<MessageType> {
    Ok(match b {
        1 => MessageType::Call,
        2 => MessageType::Reply,
        3 => MessageType::Exception,
        4 => MessageType::Oneway,
        _ => return Err(bad_message_type(b)),
    })
}

/// A binary-protocol type code; unknown codes are `INVALID_DATA`.
#[inline]
pub(crate) fn ttype(code: u8) -> Result<TType> {
    Ok(match code {
        0 => TType::Stop,
        1 => TType::Void,
        2 => TType::Bool,
        3 => TType::I8,
        4 => TType::Double,
        6 => TType::I16,
        8 => TType::I32,
        10 => TType::I64,
        11 => TType::String,
        12 => TType::Struct,
        13 => TType::Map,
        14 => TType::Set,
        15 => TType::List,
        16 => TType::Uuid,
        _ => return Err(unknown_type(code)),
    })
}

/// Rejects STOP/VOID elements of a non-empty container (a value of those
/// types takes no bytes, so a count of them would not be bounded by the
/// input). Checked before the count, so it costs O(1) whatever the count.
#[inline]
pub(crate) fn check_elem(t: TType, count: i32) -> Result<()> {
    if count != 0 && matches!(t, TType::Stop | TType::Void) {
        return Err(invalid_data("container element type STOP or VOID"));
    }
    Ok(())
}

/// `count × min_size ≤ remaining`, in 64-bit arithmetic (a count is below
/// 2^31 and a minimum size below 2^6, so the product cannot overflow).
#[inline]
pub(crate) fn check_count(
    what: &str,
    count: i64,
    min_size: usize,
    remaining: usize,
) -> Result<usize> {
    if count < 0 {
        return Err(negative_size(what, count));
    }
    let need = (count as u64).saturating_mul(min_size as u64);
    if need > remaining as u64 {
        return Err(size_limit(what, need, remaining));
    }
    Ok(count as usize)
}

/// Skips one value through `p`'s own read methods, so depth is counted by
/// `read_struct_begin` / `read_*_begin` and every step consumes bytes.
pub(crate) fn skip_value<P: ProtocolRead + ?Sized>(
    p: &mut P,
    t: TType,
    skip_string: fn(&mut P) -> Result<()>,
) -> Result<()> {
    match t {
        TType::Bool => p.read_bool().map(drop),
        TType::I8 => p.read_i8().map(drop),
        TType::I16 => p.read_i16().map(drop),
        TType::I32 => p.read_i32().map(drop),
        TType::I64 => p.read_i64().map(drop),
        TType::Double => p.read_double().map(drop),
        TType::Uuid => p.read_uuid().map(drop),
        TType::String => skip_string(p),
        TType::Struct => {
            p.read_struct_begin()?;
            while let Some(f) = p.read_field_begin()? {
                skip_value(p, f.ttype, skip_string)?;
                p.read_field_end()?;
            }
            p.read_struct_end()
        }
        TType::List | TType::Set => {
            let h = if t == TType::List {
                p.read_list_begin()?
            } else {
                p.read_set_begin()?
            };
            // Fixed-size elements in one step where the protocol can.
            p.skip_elems(h.elem, h.len)?;
            if t == TType::List {
                p.read_list_end()
            } else {
                p.read_set_end()
            }
        }
        TType::Map => {
            let h = p.read_map_begin()?;
            for _ in 0..h.len {
                skip_value(p, h.key, skip_string)?;
                skip_value(p, h.value, skip_string)?;
            }
            p.read_map_end()
        }
        TType::Stop | TType::Void => Err(invalid_data("cannot skip a STOP or VOID value")),
    }
}

/// The fewest bytes a value of type `t` takes in the binary protocol.
#[inline]
fn min_size(t: TType) -> usize {
    match t {
        TType::Stop | TType::Void => 0,
        TType::Bool | TType::I8 | TType::Struct => 1,
        TType::I16 => 2,
        TType::I32 | TType::String => 4,
        TType::I64 | TType::Double => 8,
        TType::Set | TType::List => 5,
        TType::Map => 6,
        TType::Uuid => 16,
    }
}

// ---------------------------------------------------------------- reading

/// Writes fixed-width values of `N` bytes each through a stack buffer: one
/// `write_all` per run of up to 256 bytes instead of one per value.
#[inline]
pub(crate) fn write_fixed<T: WriteBytes + ?Sized, V: Copy, const N: usize>(
    trans: &mut T,
    values: &[V],
    conv: fn(V) -> [u8; N],
) -> Result<()> {
    let mut buf = [0u8; 256];
    for run in values.chunks(256 / N) {
        let used = run.len() * N;
        for (dst, &v) in buf[..used].chunks_exact_mut(N).zip(run) {
            dst.copy_from_slice(&conv(v));
        }
        trans.write_all(&buf[..used])?;
    }
    Ok(())
}

/// Appends `len` fixed-width values of `N` bytes each to `out`: converted
/// straight from the transport's ready bytes when they hold all of them
/// (always, for a slice), else read one by one, which reports a short input
/// exactly as single reads do.
#[inline(always)]
pub(crate) fn read_fixed<T: ReadBytes + ?Sized, V, const N: usize>(
    trans: &mut T,
    len: usize,
    out: &mut Vec<V>,
    conv: fn([u8; N]) -> V,
) -> Result<()> {
    let ready = trans.ready_bytes();
    // `len × N` cannot overflow once `len ≤ ready.len() / N`.
    if len <= ready.len() / N {
        let size = len * N;
        if let Some(bytes) = ready.get(..size) {
            out.extend(
                bytes
                    .chunks_exact(N)
                    .map(|c| conv(c.try_into().unwrap_or([0; N]))),
            );
            trans.consume_ready(size);
            return Ok(());
        }
    }
    for _ in 0..len {
        let mut b = [0u8; N];
        trans.read_exact(&mut b)?;
        out.push(conv(b));
    }
    Ok(())
}

impl<T: ReadBytes> BinaryProtocol<T> {
    #[inline]
    fn read_array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        self.trans.read_exact(&mut b)?;
        Ok(b)
    }

    /// A string/binary length, checked against what can still arrive.
    #[inline]
    fn read_len(&mut self) -> Result<usize> {
        let n = i32::from_be_bytes(self.read_array()?);
        let remaining = self.trans.remaining().min(self.limits.max_message_size());
        check_count("string", n as i64, 1, remaining)?;
        // Not negative: checked above.
        Ok(n as u32 as usize)
    }

    fn skip_string(&mut self) -> Result<()> {
        let n = self.read_len()?;
        self.trans.skip_bytes(n)
    }

    /// A field header read byte-wise: the ready bytes end inside it.
    #[cold]
    #[inline(never)]
    fn read_field_begin_slow(&mut self) -> Result<Option<FieldHeader>> {
        let code = self.trans.read_u8()?;
        if code == 0 {
            return Ok(None);
        }
        let ttype = ttype(code)?;
        let id = i16::from_be_bytes(self.read_array()?);
        Ok(Some(FieldHeader { ttype, id }))
    }

    /// A list or set header's type code and count read through
    /// [`ReadBytes::read_exact`]: the ready bytes end inside it.
    #[cold]
    #[inline(never)]
    fn read_collection_header_slow(&mut self) -> Result<(u8, i32)> {
        let [code, a, b, c, d] = self.read_array()?;
        Ok((code, i32::from_be_bytes([a, b, c, d])))
    }

    /// A map header's type codes and count read through
    /// [`ReadBytes::read_exact`]: the ready bytes end inside it.
    #[cold]
    #[inline(never)]
    fn read_map_header_slow(&mut self) -> Result<(u8, u8, i32)> {
        let [k, v, a, b, c, d] = self.read_array()?;
        Ok((k, v, i32::from_be_bytes([a, b, c, d])))
    }

    fn read_name(&mut self, len: i32, name: &mut String) -> Result<()> {
        let remaining = self.trans.remaining();
        let n = check_count("message name", len as i64, 1, remaining)?;
        read_name_into(&mut self.trans, n, name)
    }

    #[inline(always)]
    fn read_collection(&mut self, what: &str) -> Result<ListHeader> {
        let (code, count) = match self.trans.ready_bytes().first_chunk::<5>() {
            Some(&[code, a, b, c, d]) => {
                self.trans.consume_ready(5);
                (code, i32::from_be_bytes([a, b, c, d]))
            }
            None => self.read_collection_header_slow()?,
        };
        let elem = ttype(code)?;
        check_elem(elem, count)?;
        check_count(what, count as i64, min_size(elem), self.trans.remaining())?;
        self.enter_read()?;
        // Not negative: checked above.
        let len = count as u32 as usize;
        Ok(ListHeader { elem, len })
    }
}

/// Reads a message name of `n` bytes (checked against what is left) into
/// `name`, in place when the bytes are ready.
pub(crate) fn read_name_into<T: ReadBytes>(
    trans: &mut T,
    n: usize,
    name: &mut String,
) -> Result<()> {
    name.clear();
    if let Some(bytes) = trans.ready_bytes().get(..n) {
        name.push_str(
            crate::utf8::str(bytes).ok_or_else(|| invalid_data("message name is not UTF-8"))?,
        );
        trans.consume_ready(n);
    } else {
        *name = crate::utf8::string(trans.read_vec(n)?)
            .ok_or_else(|| invalid_data("message name is not UTF-8"))?;
    }
    Ok(())
}

impl<T: ReadBytes> ProtocolRead for BinaryProtocol<T> {
    fn read_message_begin(&mut self) -> Result<MessageHeader> {
        super::read_new_header(self)
    }

    fn read_message_begin_into(&mut self, header: &mut MessageHeader) -> Result<()> {
        self.read_depth.reset();
        let word = i32::from_be_bytes(self.read_array()?);
        if word < 0 {
            let w = word as u32;
            if w & VERSION_MASK != VERSION_1 {
                return Err(bad_version(format!(
                    "bad binary version word {w:#010x}{}",
                    foreign_header_hint(w)
                )));
            }
            header.kind = message_type((w & 0xff) as u8)?;
            let name_len = i32::from_be_bytes(self.read_array()?);
            self.read_name(name_len, &mut header.name)?;
        } else {
            if self.strict_read {
                return Err(bad_version(
                    "message header without version word (strict read)".into(),
                ));
            }
            // Read as an old-style header (no version word): what the
            // first word looks like, when a name it cannot be.
            self.read_name(word, &mut header.name)
                .map_err(|e| match e {
                    Error::Protocol(mut p) => {
                        p.message.push_str(&foreign_header_hint(word as u32));
                        Error::Protocol(p)
                    }
                    e => e,
                })?;
            let [kind] = self.read_array()?;
            header.kind = message_type(kind)?;
        }
        header.seqid = i32::from_be_bytes(self.read_array()?);
        Ok(())
    }

    #[inline]
    fn read_message_end(&mut self) -> Result<()> {
        Ok(())
    }

    #[inline]
    fn read_struct_begin(&mut self) -> Result<()> {
        self.enter_read()
    }

    #[inline]
    fn read_struct_end(&mut self) -> Result<()> {
        self.leave_read();
        Ok(())
    }

    #[inline]
    fn read_field_begin(&mut self) -> Result<Option<FieldHeader>> {
        // The whole header at once when it is ready (one length check);
        // bytes are consumed as the byte-wise path does.
        match *self.trans.ready_bytes() {
            [0, ..] => {
                self.trans.consume_ready(1);
                Ok(None)
            }
            [code, a, b, ..] => match ttype(code) {
                Ok(ttype) => {
                    self.trans.consume_ready(3);
                    let id = i16::from_be_bytes([a, b]);
                    Ok(Some(FieldHeader { ttype, id }))
                }
                Err(e) => {
                    self.trans.consume_ready(1);
                    Err(e)
                }
            },
            _ => self.read_field_begin_slow(),
        }
    }

    #[inline]
    fn read_field_end(&mut self) -> Result<()> {
        Ok(())
    }

    #[inline]
    fn read_bool(&mut self) -> Result<bool> {
        Ok(self.trans.read_u8()? != 0)
    }

    #[inline]
    fn read_i8(&mut self) -> Result<i8> {
        Ok(self.trans.read_u8()? as i8)
    }

    #[inline]
    fn read_i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(self.read_array()?))
    }

    #[inline]
    fn read_i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.read_array()?))
    }

    #[inline]
    fn read_i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.read_array()?))
    }

    #[inline]
    fn read_double(&mut self) -> Result<f64> {
        Ok(f64::from_bits(u64::from_be_bytes(self.read_array()?)))
    }

    #[inline(always)]
    fn read_string(&mut self) -> Result<String> {
        let n = self.read_len()?;
        crate::utf8::string(self.trans.read_vec(n)?)
            .ok_or_else(|| invalid_data("string is not UTF-8"))
    }

    #[inline(always)]
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
        self.read_array()
    }

    #[inline(always)]
    fn read_i16s(&mut self, len: usize, out: &mut Vec<i16>) -> Result<()> {
        read_fixed(&mut self.trans, len, out, i16::from_be_bytes)
    }

    #[inline(always)]
    fn read_i32s(&mut self, len: usize, out: &mut Vec<i32>) -> Result<()> {
        read_fixed(&mut self.trans, len, out, i32::from_be_bytes)
    }

    #[inline(always)]
    fn read_i64s(&mut self, len: usize, out: &mut Vec<i64>) -> Result<()> {
        read_fixed(&mut self.trans, len, out, i64::from_be_bytes)
    }

    #[inline(always)]
    fn read_doubles(&mut self, len: usize, out: &mut Vec<f64>) -> Result<()> {
        read_fixed(&mut self.trans, len, out, |b| {
            f64::from_bits(u64::from_be_bytes(b))
        })
    }

    #[inline(always)]
    fn read_list_begin(&mut self) -> Result<ListHeader> {
        self.read_collection("list")
    }

    #[inline]
    fn read_list_end(&mut self) -> Result<()> {
        self.leave_read();
        Ok(())
    }

    #[inline(always)]
    fn read_set_begin(&mut self) -> Result<ListHeader> {
        self.read_collection("set")
    }

    #[inline]
    fn read_set_end(&mut self) -> Result<()> {
        self.leave_read();
        Ok(())
    }

    #[inline(always)]
    fn read_map_begin(&mut self) -> Result<MapHeader> {
        let (k, v, count) = match self.trans.ready_bytes().first_chunk::<6>() {
            Some(&[k, v, a, b, c, d]) => {
                self.trans.consume_ready(6);
                (k, v, i32::from_be_bytes([a, b, c, d]))
            }
            None => self.read_map_header_slow()?,
        };
        let key = ttype(k)?;
        let value = ttype(v)?;
        check_elem(key, count)?;
        check_elem(value, count)?;
        let min = min_size(key) + min_size(value);
        check_count("map", count as i64, min, self.trans.remaining())?;
        self.enter_read()?;
        // Not negative: checked above.
        let len = count as u32 as usize;
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
        // Every byte is a valid `bool` here (non-zero is true).
        match ttype {
            TType::Bool | TType::I8 => super::skip_sized(&mut self.trans, len, 1),
            TType::I16 => super::skip_sized(&mut self.trans, len, 2),
            TType::I32 => super::skip_sized(&mut self.trans, len, 4),
            TType::I64 | TType::Double => super::skip_sized(&mut self.trans, len, 8),
            TType::Uuid => super::skip_sized(&mut self.trans, len, 16),
            _ => super::skip_each(self, ttype, len),
        }
    }

    /// What the transport has ready of the message, at the top level only.
    fn lend(&self) -> Option<Lent<'_>> {
        self.read_depth.is_top().then(|| Lent {
            bytes: self.trans.ready_bytes(),
            protocol: ProtocolKind::Binary,
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

impl<T: WriteBytes> BinaryProtocol<T> {
    #[inline]
    fn write_len(&mut self, len: usize) -> Result<()> {
        let n = i32::try_from(len).map_err(|_| write_size_limit(len))?;
        self.trans.write_all(&n.to_be_bytes())
    }

    #[inline]
    fn write_collection(&mut self, elem: TType, len: usize) -> Result<()> {
        let n = i32::try_from(len).map_err(|_| write_size_limit(len))?;
        self.enter_write()?;
        let [a, b, c, d] = n.to_be_bytes();
        self.trans.write_all(&[elem as u8, a, b, c, d])
    }
}

impl<T: WriteBytes> ProtocolWrite for BinaryProtocol<T> {
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
        let word = VERSION_1 | kind as u32;
        self.trans.write_all(&word.to_be_bytes())?;
        self.write_string(name)?;
        self.trans.write_all(&seqid.to_be_bytes())
    }

    #[inline]
    fn write_message_end(&mut self) -> Result<()> {
        Ok(())
    }

    #[inline]
    fn write_struct_begin(&mut self, _name: &str) -> Result<()> {
        self.enter_write()
    }

    #[inline]
    fn write_struct_end(&mut self) -> Result<()> {
        self.leave_write();
        Ok(())
    }

    #[inline]
    fn write_field_begin(&mut self, _name: &str, ttype: TType, id: i16) -> Result<()> {
        let [a, b] = id.to_be_bytes();
        self.trans.write_all(&[ttype as u8, a, b])
    }

    #[inline]
    fn write_field_end(&mut self) -> Result<()> {
        Ok(())
    }

    #[inline]
    fn write_field_stop(&mut self) -> Result<()> {
        self.trans.write_all(&[0])
    }

    #[inline]
    fn write_bool(&mut self, v: bool) -> Result<()> {
        self.trans.write_all(&[v as u8])
    }

    #[inline]
    fn write_i8(&mut self, v: i8) -> Result<()> {
        self.trans.write_all(&[v as u8])
    }

    #[inline]
    fn write_i16(&mut self, v: i16) -> Result<()> {
        self.trans.write_all(&v.to_be_bytes())
    }

    #[inline]
    fn write_i32(&mut self, v: i32) -> Result<()> {
        self.trans.write_all(&v.to_be_bytes())
    }

    #[inline]
    fn write_i64(&mut self, v: i64) -> Result<()> {
        self.trans.write_all(&v.to_be_bytes())
    }

    #[inline]
    fn write_double(&mut self, v: f64) -> Result<()> {
        self.trans.write_all(&v.to_bits().to_be_bytes())
    }

    #[inline]
    fn write_string(&mut self, v: &str) -> Result<()> {
        self.write_binary(v.as_bytes())
    }

    #[inline]
    fn write_binary(&mut self, v: &[u8]) -> Result<()> {
        self.write_len(v.len())?;
        self.trans.write_all(v)
    }

    #[cfg(feature = "bytes")]
    #[inline]
    fn write_bytes(&mut self, v: &bytes::Bytes) -> Result<()> {
        self.write_len(v.len())?;
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
        write_fixed(&mut self.trans, v, i16::to_be_bytes)
    }

    #[inline]
    fn write_i32s(&mut self, v: &[i32]) -> Result<()> {
        write_fixed(&mut self.trans, v, i32::to_be_bytes)
    }

    #[inline]
    fn write_i64s(&mut self, v: &[i64]) -> Result<()> {
        write_fixed(&mut self.trans, v, i64::to_be_bytes)
    }

    #[inline]
    fn write_doubles(&mut self, v: &[f64]) -> Result<()> {
        write_fixed(&mut self.trans, v, |x| x.to_bits().to_be_bytes())
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
        let n = i32::try_from(len).map_err(|_| write_size_limit(len))?;
        self.enter_write()?;
        let [a, b, c, d] = n.to_be_bytes();
        self.trans.write_all(&[key as u8, value as u8, a, b, c, d])
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
        if protocol != crate::ProtocolKind::Binary {
            return Ok(false);
        }
        self.trans.write_all(bytes)?;
        Ok(true)
    }
}

// ------------------------------------------------------ in-memory helpers

super::in_memory!(BinaryProtocol, crate::ProtocolKind::Binary);
