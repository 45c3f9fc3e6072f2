//! Wire protocols: the traits generated code reads and writes through, and
//! their implementations (binary, compact).
//!
//! Every implementation is generic over its transport (static dispatch on the
//! hot path) and enforces one [`Limits`](crate::Limits) value: recursion depth
//! on read, write and skip; string and container sizes checked against the
//! bytes that can still arrive before anything is allocated.

use crate::error::Result;

/// The in-memory helpers of a protocol (`encode`, `decode`, `decode_bytes`,
/// `decode_view`), and its borrowed reads over a byte slice ([`ViewRead`]:
/// `string` and `binary` values are slices of it). Expanded in each
/// protocol's module: it uses their private `read_len` and transport.
///
/// [`ViewRead`]: crate::view::ViewRead
macro_rules! in_memory {
    ($protocol:ident, $kind:expr) => {
        /// Encodes one value (e.g. a struct) to a new byte vector with the default
        /// [`Limits`].
        pub fn encode<V: Encode + ?Sized>(value: &V) -> Result<Vec<u8>> {
            let mut out = Vec::new();
            encode_into(value, &mut out, Limits::default())?;
            Ok(out)
        }

        /// Appends the encoding of `value` to `out`.
        pub fn encode_into<V: Encode + ?Sized>(
            value: &V,
            out: &mut Vec<u8>,
            limits: Limits,
        ) -> Result<()> {
            value.encode(&mut $protocol::new(out, limits))
        }

        /// Decodes one value from `bytes` with the default [`Limits`]. All of
        /// `bytes` must be used: trailing bytes are an `INVALID_DATA` error.
        pub fn decode<V: Decode>(bytes: &[u8]) -> Result<V> {
            decode_with_limits(bytes, Limits::default())
        }

        /// [`decode`] with explicit limits.
        pub fn decode_with_limits<V: Decode>(bytes: &[u8], limits: Limits) -> Result<V> {
            decode_all(bytes, limits)
        }

        /// Decodes one value from `input`, which it must use up.
        fn decode_all<V: Decode, T: ReadBytes>(input: T, limits: Limits) -> Result<V> {
            let mut p = $protocol::new(input, limits);
            // The decoded result is returned as it is (not unwrapped and
            // wrapped again), which spares moving a large value twice.
            let mut v = V::decode(&mut p);
            if v.is_ok() && p.trans.remaining() != 0 {
                v = Err(invalid_data("trailing bytes after the value"));
            }
            v
        }

        /// Decodes one value from a shared buffer with the default [`Limits`]
        /// (feature `bytes`): `binary` and `string` values of types
        /// [`Bytes`](bytes::Bytes) and [`ByteString`](bytestring::ByteString) are
        /// slices of `bytes`, not copies (see
        /// [`BytesReader`](crate::transport::BytesReader)). All of `bytes` must be
        /// used, as for [`decode`].
        #[cfg(feature = "bytes")]
        pub fn decode_bytes<V: Decode>(bytes: bytes::Bytes) -> Result<V> {
            decode_bytes_with_limits(bytes, Limits::default())
        }

        /// [`decode_bytes`] with explicit limits.
        #[cfg(feature = "bytes")]
        pub fn decode_bytes_with_limits<V: Decode>(
            bytes: bytes::Bytes,
            limits: Limits,
        ) -> Result<V> {
            decode_all(crate::transport::BytesReader::new(bytes), limits)
        }

        impl<'a> crate::view::ViewRead<'a> for $protocol<&'a [u8]> {
            #[inline(always)]
            fn read_str_view(&mut self) -> Result<&'a str> {
                let b = self.read_binary_view()?;
                crate::utf8::str(b).ok_or_else(|| invalid_data("string is not UTF-8"))
            }

            #[inline(always)]
            fn read_binary_view(&mut self) -> Result<&'a [u8]> {
                let n = self.read_len()?;
                // `read_len` checked `n` against the bytes left.
                let (head, tail) = self
                    .trans
                    .split_at_checked(n)
                    .ok_or_else(crate::transport::eof)?;
                self.trans = tail;
                Ok(head)
            }

            #[inline]
            fn lend_rest(&self) -> Option<crate::protocol::Lent<'a>> {
                Some(crate::protocol::Lent {
                    bytes: self.trans,
                    protocol: $kind,
                    limits: self.limits,
                })
            }
        }

        /// Decodes a view of one value from `bytes` with the default
        /// [`Limits`]: its `string` and `binary` values are slices of `bytes`
        /// (see [`view`](crate::view)). All of `bytes` must be used, as for
        /// [`decode`].
        pub fn decode_view<'a, V: crate::view::DecodeView<'a>>(bytes: &'a [u8]) -> Result<V> {
            decode_view_with_limits(bytes, Limits::default())
        }

        /// [`decode_view`] with explicit limits.
        pub fn decode_view_with_limits<'a, V: crate::view::DecodeView<'a>>(
            bytes: &'a [u8],
            limits: Limits,
        ) -> Result<V> {
            let mut p = $protocol::new(bytes, limits);
            let v = V::decode_view(&mut p)?;
            if !p.trans.is_empty() {
                return Err(invalid_data("trailing bytes after the value"));
            }
            Ok(v)
        }

        /// A view of the one value at the start of `bytes` (more may
        /// follow) and how many bytes it took: how [`Lent::read`] reads.
        pub(crate) fn decode_view_prefix<'a, V: crate::view::DecodeView<'a>>(
            bytes: &'a [u8],
            limits: Limits,
        ) -> Result<(V, usize)> {
            let mut p = $protocol::new(bytes, limits);
            let v = V::decode_view(&mut p)?;
            Ok((v, bytes.len() - p.trans.len()))
        }
    };
}
use in_memory;

pub mod binary;
pub mod compact;

/// Wire type codes (the binary protocol's numbering; the compact protocol maps
/// its own codes onto these).
///
/// `#[non_exhaustive]`: Thrift has added types before (`uuid`, in 0.19), so
/// a match outside this crate needs a `_` arm (an unknown type is an error
/// where the data must be understood, and is skipped where it may be).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum TType {
    /// `T_STOP`: ends a struct's fields; never a value.
    Stop = 0,
    /// `T_VOID`: no value; never valid in data.
    Void = 1,
    /// `bool`.
    Bool = 2,
    /// `byte` / `i8`.
    I8 = 3,
    /// `double`.
    Double = 4,
    /// `i16`.
    I16 = 6,
    /// `i32`, and enums.
    I32 = 8,
    /// `i64`.
    I64 = 10,
    /// `string` and `binary`.
    String = 11,
    /// A struct, union or exception.
    Struct = 12,
    /// `map<K, V>`.
    Map = 13,
    /// `set<T>`.
    Set = 14,
    /// `list<T>`.
    List = 15,
    /// `uuid` (16 bytes).
    Uuid = 16,
}

/// The four message types of the RPC layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageType {
    /// `CALL`: a request expecting a REPLY or an EXCEPTION.
    Call = 1,
    /// `REPLY`: the result of a CALL, a success value or a declared exception.
    Reply = 2,
    /// `EXCEPTION`: an [`ApplicationError`](crate::ApplicationError) answering a CALL.
    Exception = 3,
    /// `ONEWAY`: a request with no reply.
    Oneway = 4,
}

/// A message header as read from or written to the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageHeader {
    /// The function name.
    pub name: String,
    /// CALL, REPLY, EXCEPTION or ONEWAY.
    pub kind: MessageType,
    /// Chosen by the client for a call; the reply carries the same value.
    pub seqid: i32,
}

impl MessageHeader {
    /// A header to read into ([`ProtocolRead::read_message_begin_into`]):
    /// no name, a CALL, sequence id 0.
    pub(crate) fn empty() -> MessageHeader {
        MessageHeader {
            name: String::new(),
            kind: MessageType::Call,
            seqid: 0,
        }
    }
}

/// [`ProtocolRead::read_message_begin`] of a protocol that reads headers in
/// place: a new header, read into.
pub(crate) fn read_new_header<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<MessageHeader> {
    let mut header = MessageHeader::empty();
    p.read_message_begin_into(&mut header)?;
    Ok(header)
}

/// A field header; [`ProtocolRead::read_field_begin`] returns `None` at the
/// STOP marker instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldHeader {
    /// The value's wire type.
    pub ttype: TType,
    /// The field id.
    pub id: i16,
}

/// A list or set header. `len` has been checked: it is non-negative and
/// `len` × the element's minimum wire size fits in the bytes that can still
/// arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListHeader {
    /// Wire type of the elements.
    pub elem: TType,
    /// Number of elements.
    pub len: usize,
}

/// A map header, checked like [`ListHeader`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapHeader {
    /// Wire type of the keys.
    pub key: TType,
    /// Wire type of the values.
    pub value: TType,
    /// Number of entries.
    pub len: usize,
}

/// The most elements a decoder reserves room for up front, whatever count the
/// wire declares: a lying count costs at most this much before the bytes run
/// out. Reservations are also capped in bytes by [`MAX_PREALLOC_BYTES`]: on an
/// unframed stream the remaining-bytes check only bounds a count by the
/// message budget, not by bytes that actually arrived, so a few header bytes
/// must not reserve `MAX_PREALLOC` wide elements.
pub const MAX_PREALLOC: usize = 4096;

/// The most bytes a decoder reserves up front for one container's elements,
/// whatever count the wire declares (see [`prealloc_capacity`]).
pub const MAX_PREALLOC_BYTES: usize = 64 * 1024;

/// Capacity to reserve for `len` elements of `elem_size` bytes each: `len`,
/// capped at [`MAX_PREALLOC`] elements and at [`MAX_PREALLOC_BYTES`] bytes
/// (zero-sized elements count as one byte). Past the reservation, a
/// container grows as elements actually decode.
#[inline]
pub fn prealloc_capacity(len: usize, elem_size: usize) -> usize {
    len.min(MAX_PREALLOC)
        .min(MAX_PREALLOC_BYTES / elem_size.max(1))
}

/// The longest string a [`CompactString`](compact_str::CompactString) keeps
/// inline.
#[cfg(feature = "compact_str")]
const INLINE_STR: usize = size_of::<compact_str::CompactString>();

/// The error of a `string` that is not UTF-8 (out of line: rare).
#[cfg(feature = "compact_str")]
#[cold]
#[inline(never)]
fn not_utf8() -> crate::Error {
    crate::Error::protocol(crate::ProtocolErrorKind::InvalidData, "string is not UTF-8")
}

/// Reads a `string` of `len` bytes (checked against the remaining bytes) as
/// a [`CompactString`](compact_str::CompactString): a short one straight
/// from the transport's ready bytes, or through a stack buffer, with no
/// allocation; a longer one through [`ReadBytes::read_vec`], whose buffer
/// the string keeps.
#[cfg(feature = "compact_str")]
#[inline(always)]
pub(crate) fn read_compact_str<T: crate::transport::ReadBytes>(
    trans: &mut T,
    len: usize,
) -> Result<compact_str::CompactString> {
    if len > INLINE_STR {
        return crate::utf8::string(trans.read_vec(len)?)
            .map(compact_str::CompactString::from)
            .ok_or_else(not_utf8);
    }
    if let Some(bytes) = trans.ready_bytes().get(..len) {
        let s = crate::utf8::str(bytes)
            .map(compact_str::CompactString::new)
            .ok_or_else(not_utf8)?;
        trans.consume_ready(len);
        return Ok(s);
    }
    let mut buf = [0u8; INLINE_STR];
    trans.read_exact(&mut buf[..len])?;
    crate::utf8::str(&buf[..len])
        .map(compact_str::CompactString::new)
        .ok_or_else(not_utf8)
}

impl ListHeader {
    /// Capacity to reserve for the elements, capped in elements only:
    /// `min(len, MAX_PREALLOC)`. Decoders use [`ListHeader::capacity_for`],
    /// which also caps the bytes.
    #[inline]
    pub fn capacity_hint(&self) -> usize {
        self.len.min(MAX_PREALLOC)
    }

    /// Capacity to reserve for elements of type `T`:
    /// [`prealloc_capacity`]`(len, size_of::<T>())`, so at most
    /// [`MAX_PREALLOC_BYTES`] bytes of a `Vec<T>`.
    #[inline]
    pub fn capacity_for<T>(&self) -> usize {
        prealloc_capacity(self.len, std::mem::size_of::<T>())
    }
}

impl MapHeader {
    /// Capacity to reserve for the entries, capped in entries only:
    /// `min(len, MAX_PREALLOC)`. Decoders use [`MapHeader::capacity_for`],
    /// which also caps the bytes.
    #[inline]
    pub fn capacity_hint(&self) -> usize {
        self.len.min(MAX_PREALLOC)
    }

    /// Capacity to reserve for entries with keys `K` and values `V`:
    /// [`prealloc_capacity`]`(len, size_of::<(K, V)>())`, so at most
    /// [`MAX_PREALLOC_BYTES`] bytes of a `Vec<(K, V)>`.
    #[inline]
    pub fn capacity_for<K, V>(&self) -> usize {
        prealloc_capacity(self.len, std::mem::size_of::<(K, V)>())
    }
}

/// Reading side of a protocol. Methods mirror Apache Thrift's
/// `TInputProtocol`; every error is typed ([`crate::Error`]).
///
/// Generated code calls these through [`Decode`](crate::Decode); by hand, a
/// struct `{ 1: i32 x }` written and read back:
///
/// ```
/// use thriftc_runtime::protocol::{ProtocolRead, ProtocolWrite, TType};
/// use thriftc_runtime::{BinaryProtocol, Limits};
///
/// let mut out = BinaryProtocol::new(Vec::new(), Limits::default());
/// out.write_struct_begin("Point")?;
/// out.write_field_begin("x", TType::I32, 1)?;
/// out.write_i32(7)?;
/// out.write_field_end()?;
/// out.write_field_stop()?;
/// out.write_struct_end()?;
/// let bytes = out.into_inner();
///
/// let mut input = BinaryProtocol::new(&bytes[..], Limits::default());
/// input.read_struct_begin()?;
/// let field = input.read_field_begin()?.expect("a field");
/// assert_eq!((field.ttype, field.id), (TType::I32, 1));
/// assert_eq!(input.read_i32()?, 7);
/// input.read_field_end()?;
/// assert!(input.read_field_begin()?.is_none());
/// input.read_struct_end()?;
/// # Ok::<(), thriftc_runtime::Error>(())
/// ```
pub trait ProtocolRead {
    /// A message header. `BAD_VERSION` if it does not start like a message of
    /// this protocol; an [`ApplicationError`](crate::ApplicationError) of kind
    /// `InvalidMessageType` for a message type other than 1..=4.
    fn read_message_begin(&mut self) -> Result<MessageHeader>;
    /// Reads a message header into `header`, as
    /// [`read_message_begin`](Self::read_message_begin) does, reusing the
    /// allocation of its name: a server that reads one message after another
    /// into the same header allocates no name per message. After an error,
    /// `header` holds no meaningful value.
    fn read_message_begin_into(&mut self, header: &mut MessageHeader) -> Result<()> {
        *header = self.read_message_begin()?;
        Ok(())
    }
    /// Ends a message.
    fn read_message_end(&mut self) -> Result<()>;
    /// Enters a struct: counts one level of recursion depth.
    fn read_struct_begin(&mut self) -> Result<()>;
    /// Leaves a struct.
    fn read_struct_end(&mut self) -> Result<()>;
    /// The next field header, or `None` at the STOP marker. Unknown wire type
    /// codes are an `INVALID_DATA` error.
    fn read_field_begin(&mut self) -> Result<Option<FieldHeader>>;
    /// Ends a field.
    fn read_field_end(&mut self) -> Result<()>;
    /// A `bool`.
    fn read_bool(&mut self) -> Result<bool>;
    /// A `byte` / `i8`.
    fn read_i8(&mut self) -> Result<i8>;
    /// An `i16`.
    fn read_i16(&mut self) -> Result<i16>;
    /// An `i32`.
    fn read_i32(&mut self) -> Result<i32>;
    /// An `i64`.
    fn read_i64(&mut self) -> Result<i64>;
    /// A `double`.
    fn read_double(&mut self) -> Result<f64>;
    /// A `string`: must be valid UTF-8 (`INVALID_DATA` otherwise).
    fn read_string(&mut self) -> Result<String>;
    /// A `binary`: any bytes.
    fn read_binary(&mut self) -> Result<Vec<u8>>;
    /// A `uuid`: 16 bytes, in wire order.
    fn read_uuid(&mut self) -> Result<[u8; 16]>;
    /// `len` `i16` list or set elements appended to `out` (the header has
    /// been read and its count checked). The default reads them one by one;
    /// the protocols decode runs of them straight from the transport's
    /// [`ready_bytes`](crate::transport::ReadBytes::ready_bytes).
    #[inline]
    fn read_i16s(&mut self, len: usize, out: &mut Vec<i16>) -> Result<()> {
        for _ in 0..len {
            out.push(self.read_i16()?);
        }
        Ok(())
    }
    /// `len` `i32` elements, like [`read_i16s`](ProtocolRead::read_i16s).
    #[inline]
    fn read_i32s(&mut self, len: usize, out: &mut Vec<i32>) -> Result<()> {
        for _ in 0..len {
            out.push(self.read_i32()?);
        }
        Ok(())
    }
    /// `len` `i64` elements, like [`read_i16s`](ProtocolRead::read_i16s).
    #[inline]
    fn read_i64s(&mut self, len: usize, out: &mut Vec<i64>) -> Result<()> {
        for _ in 0..len {
            out.push(self.read_i64()?);
        }
        Ok(())
    }
    /// `len` `double` elements, like [`read_i16s`](ProtocolRead::read_i16s).
    #[inline]
    fn read_doubles(&mut self, len: usize, out: &mut Vec<f64>) -> Result<()> {
        for _ in 0..len {
            out.push(self.read_double()?);
        }
        Ok(())
    }
    /// A `binary` as shared [`Bytes`](bytes::Bytes) (feature `bytes`): a
    /// slice of the input when the transport is a
    /// [`BytesReader`](crate::transport::BytesReader), else a copy. Checked
    /// like [`read_binary`](ProtocolRead::read_binary); the default wraps
    /// its vector.
    #[cfg(feature = "bytes")]
    #[inline]
    fn read_bytes(&mut self) -> Result<bytes::Bytes> {
        self.read_binary().map(bytes::Bytes::from)
    }
    /// A `string` as a shared [`ByteString`](bytestring::ByteString)
    /// (feature `bytes`), shared like [`read_bytes`](ProtocolRead::read_bytes);
    /// must be valid UTF-8 (`INVALID_DATA` otherwise). The default wraps
    /// [`read_string`](ProtocolRead::read_string)'s result.
    #[cfg(feature = "bytes")]
    #[inline]
    fn read_byte_string(&mut self) -> Result<bytestring::ByteString> {
        self.read_string().map(bytestring::ByteString::from)
    }
    /// A `string` as a [`CompactString`](compact_str::CompactString)
    /// (feature `compact_str`): up to 24 bytes are kept inline, with no
    /// allocation; must be valid UTF-8 (`INVALID_DATA` otherwise). The
    /// binary and compact protocols read a short one through a stack
    /// buffer; the default wraps [`read_string`](ProtocolRead::read_string)'s
    /// result.
    #[cfg(feature = "compact_str")]
    #[inline]
    fn read_compact_string(&mut self) -> Result<compact_str::CompactString> {
        self.read_string().map(compact_str::CompactString::from)
    }
    /// Enters a list: counts one level of depth; checks the count.
    fn read_list_begin(&mut self) -> Result<ListHeader>;
    /// Leaves a list.
    fn read_list_end(&mut self) -> Result<()>;
    /// Enters a set: counts one level of depth; checks the count.
    fn read_set_begin(&mut self) -> Result<ListHeader>;
    /// Leaves a set.
    fn read_set_end(&mut self) -> Result<()>;
    /// Enters a map: counts one level of depth; checks the count.
    fn read_map_begin(&mut self) -> Result<MapHeader>;
    /// Leaves a map.
    fn read_map_end(&mut self) -> Result<()>;
    /// Skips one value of type `ttype`, depth-bounded, rejecting unknown type
    /// codes and STOP/VOID container elements.
    fn skip(&mut self, ttype: TType) -> Result<()>;

    /// Skips `len` elements of the base type `ttype` (of a list or set
    /// whose header was read), with the checks reading them makes: how a
    /// lazy container ([`LazyList`](crate::LazyList)) checks elements it
    /// does not keep. The default skips them one by one; the binary and
    /// compact protocols skip fixed-size ones in one step.
    #[doc(hidden)]
    #[inline]
    fn skip_elems(&mut self, ttype: TType, len: usize) -> Result<()> {
        skip_each(self, ttype, len)
    }

    /// Lends the bytes of the current message that are already buffered,
    /// from where the next value starts, so that a value that borrows them
    /// (a [`DecodeView`](crate::view::DecodeView)) can be read in place; see
    /// [`Lent`]. `None` (the default) when this reader cannot lend them, or
    /// not here: call it only at the top level of a message, e.g. right
    /// after its header. The binary and compact protocols lend from any
    /// transport; the server's reader lends what it has received of the
    /// message.
    fn lend(&self) -> Option<Lent<'_>> {
        None
    }

    /// Consumes the first `n` bytes that [`lend`](ProtocolRead::lend) lent,
    /// after a value was read from them with [`Lent::read`].
    fn consume_lent(&mut self, n: usize) {
        let _ = n;
    }

    /// Reads the rest of the current message into the transport's buffer
    /// when its end is known (a frame), so that [`lend`](ProtocolRead::lend)
    /// then lends all of it: `true` when it does. `false` (the default)
    /// when the transport cannot: nothing was read.
    fn buffer_message(&mut self) -> Result<bool> {
        Ok(false)
    }
}

/// Skips `len` values of type `ttype` one by one.
#[inline]
pub(crate) fn skip_each<P: ProtocolRead + ?Sized>(
    p: &mut P,
    ttype: TType,
    len: usize,
) -> Result<()> {
    for _ in 0..len {
        p.skip(ttype)?;
    }
    Ok(())
}

/// Skips `len` elements of `size` bytes each, in one step.
#[inline]
pub(crate) fn skip_sized<T: crate::transport::ReadBytes>(
    trans: &mut T,
    len: usize,
    size: usize,
) -> Result<()> {
    let n = len.checked_mul(size).ok_or_else(crate::transport::eof)?;
    trans.skip_bytes(n)
}

/// Buffered bytes of a message, lent by [`ProtocolRead::lend`] to read one
/// value in place.
#[derive(Clone, Copy, Debug)]
pub struct Lent<'s> {
    /// The bytes, from where the next value starts; the message may go on
    /// past them.
    pub bytes: &'s [u8],
    /// The protocol they are written in.
    pub protocol: crate::ProtocolKind,
    /// The limits the lending reader enforces.
    pub limits: crate::Limits,
}

impl<'s> Lent<'s> {
    /// Reads a view of one value from the start of the lent bytes, with the
    /// same checks as the lending reader: the view and how many bytes it
    /// took (to pass to [`ProtocolRead::consume_lent`]). An error when the
    /// value is not all in the lent bytes, as when it is malformed: the
    /// caller then reads it through the protocol, which waits for the rest.
    pub fn read<V: crate::view::DecodeView<'s>>(&self) -> Result<(V, usize)> {
        match self.protocol {
            crate::ProtocolKind::Binary => binary::decode_view_prefix(self.bytes, self.limits),
            crate::ProtocolKind::Compact => compact::decode_view_prefix(self.bytes, self.limits),
        }
    }
}

/// Writing side of a protocol. Mirrors Apache Thrift's `TOutputProtocol`.
pub trait ProtocolWrite {
    /// Writes a message header.
    fn write_message_begin(&mut self, header: &MessageHeader) -> Result<()>;
    /// Starts a message from the parts of its header, as
    /// [`write_message_begin`](Self::write_message_begin) does, without an
    /// owned name: a server answers under the caller's name without copying it.
    fn write_message_begin_parts(
        &mut self,
        name: &str,
        kind: MessageType,
        seqid: i32,
    ) -> Result<()> {
        self.write_message_begin(&MessageHeader {
            name: name.to_owned(),
            kind,
            seqid,
        })
    }
    /// Ends a message.
    fn write_message_end(&mut self) -> Result<()>;
    /// Enters a struct: counts one level of depth (`DEPTH_LIMIT` past the
    /// limit).
    fn write_struct_begin(&mut self, name: &str) -> Result<()>;
    /// Leaves a struct.
    fn write_struct_end(&mut self) -> Result<()>;
    /// A field header: wire type and id (`name` is for protocols that write names).
    fn write_field_begin(&mut self, name: &str, ttype: TType, id: i16) -> Result<()>;
    /// Ends a field.
    fn write_field_end(&mut self) -> Result<()>;
    /// The STOP marker that ends a struct's fields.
    fn write_field_stop(&mut self) -> Result<()>;
    /// A `bool`.
    fn write_bool(&mut self, v: bool) -> Result<()>;
    /// A `byte` / `i8`.
    fn write_i8(&mut self, v: i8) -> Result<()>;
    /// An `i16`.
    fn write_i16(&mut self, v: i16) -> Result<()>;
    /// An `i32`.
    fn write_i32(&mut self, v: i32) -> Result<()>;
    /// An `i64`.
    fn write_i64(&mut self, v: i64) -> Result<()>;
    /// A `double`.
    fn write_double(&mut self, v: f64) -> Result<()>;
    /// A `string`. Longer than `i32::MAX` bytes is a `SIZE_LIMIT` error.
    fn write_string(&mut self, v: &str) -> Result<()>;
    /// A `binary`. Longer than `i32::MAX` bytes is a `SIZE_LIMIT` error.
    fn write_binary(&mut self, v: &[u8]) -> Result<()>;
    /// A `binary` held as shared [`Bytes`](bytes::Bytes) (feature
    /// `bytes`): the same bytes on the wire as
    /// [`write_binary`](ProtocolWrite::write_binary), which the default
    /// calls; the protocols hand the value to their sink's
    /// [`write_shared`](crate::transport::WriteBytes::write_shared), so a
    /// large one is sent without a copy.
    #[cfg(feature = "bytes")]
    #[inline]
    fn write_bytes(&mut self, v: &bytes::Bytes) -> Result<()> {
        self.write_binary(v)
    }
    /// A `string` held as a shared
    /// [`ByteString`](bytestring::ByteString) (feature `bytes`): as
    /// [`write_string`](ProtocolWrite::write_string), which the default
    /// calls; the protocols send a large one without a copy, as
    /// [`write_bytes`](ProtocolWrite::write_bytes) does.
    #[cfg(feature = "bytes")]
    #[inline]
    fn write_byte_string(&mut self, v: &bytestring::ByteString) -> Result<()> {
        self.write_string(v)
    }
    /// A `uuid`: 16 bytes, in wire order.
    fn write_uuid(&mut self, v: &[u8; 16]) -> Result<()>;

    /// Writes the elements of a list or set of `i16` after its header. The
    /// default writes them one by one; the binary and compact protocols
    /// encode runs of them into one write.
    fn write_i16s(&mut self, v: &[i16]) -> Result<()> {
        v.iter().try_for_each(|&x| self.write_i16(x))
    }

    /// [`write_i16s`](ProtocolWrite::write_i16s) for `i32`.
    fn write_i32s(&mut self, v: &[i32]) -> Result<()> {
        v.iter().try_for_each(|&x| self.write_i32(x))
    }

    /// [`write_i16s`](ProtocolWrite::write_i16s) for `i64`.
    fn write_i64s(&mut self, v: &[i64]) -> Result<()> {
        v.iter().try_for_each(|&x| self.write_i64(x))
    }

    /// [`write_i16s`](ProtocolWrite::write_i16s) for `double`.
    fn write_doubles(&mut self, v: &[f64]) -> Result<()> {
        v.iter().try_for_each(|&x| self.write_double(x))
    }
    /// `len` above `i32::MAX` is a `SIZE_LIMIT` error.
    fn write_list_begin(&mut self, elem: TType, len: usize) -> Result<()>;
    /// Leaves a list.
    fn write_list_end(&mut self) -> Result<()>;
    /// Enters a set; like [`ProtocolWrite::write_list_begin`].
    fn write_set_begin(&mut self, elem: TType, len: usize) -> Result<()>;
    /// Leaves a set.
    fn write_set_end(&mut self) -> Result<()>;
    /// Enters a map: counts one level of depth; `len` above `i32::MAX` is a `SIZE_LIMIT` error.
    fn write_map_begin(&mut self, key: TType, value: TType, len: usize) -> Result<()>;
    /// Leaves a map.
    fn write_map_end(&mut self) -> Result<()>;
    /// Pushes buffered bytes to the transport (one write per message).
    fn flush(&mut self) -> Result<()>;

    /// Writes `bytes`, the elements of a container as encoded in
    /// `protocol`, unchanged when this writer writes that protocol:
    /// `Ok(true)`. `Ok(false)` (the default) when it does not, having
    /// written nothing: the caller writes the elements one by one. How a
    /// lazily read container ([`LazyList`](crate::LazyList)) is written
    /// back in one copy.
    fn write_encoded(&mut self, protocol: crate::ProtocolKind, bytes: &[u8]) -> Result<bool> {
        let _ = (protocol, bytes);
        Ok(false)
    }
}
