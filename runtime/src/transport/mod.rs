//! Byte sources and sinks that protocols read from and write to.
//!
//! A protocol is generic over these traits (static dispatch). In memory, a
//! `&[u8]` is a source and a `Vec<u8>` a sink; on a socket the server and
//! client use the buffered and framed transports of this module, which read
//! one message's bytes at a time and write each message with one syscall.

use crate::error::{Error, Result, TransportError, TransportErrorKind};

pub mod budget;
pub mod buffered;
#[cfg(feature = "bytes")]
pub mod bytes_reader;
pub mod framed;
mod read_buffer;
pub mod socket;
pub mod writer;

pub use budget::ByteBudget;
pub use buffered::{Framing, StreamReader};
#[cfg(feature = "bytes")]
pub use bytes_reader::BytesReader;
pub use socket::{
    Endpoint, SharedStream, Socket, SocketReader, SocketStream, SocketWriter, TimedStream,
};
pub use writer::MessageWriter;

/// A source of bytes for a protocol reader.
pub trait ReadBytes {
    /// Fills `buf` entirely, or fails (`EndOfFile` if the stream ended).
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<()>;

    /// Reads one byte.
    #[inline]
    fn read_u8(&mut self) -> Result<u8> {
        let mut b = [0u8; 1];
        self.read_exact(&mut b)?;
        Ok(b[0])
    }

    /// The most bytes that can still be read in the current message: for a
    /// slice, its length; for a frame, what is left of it; for a stream, what
    /// is left of the maximum message size. Protocols check string lengths
    /// and `count × minimum element size` against it before allocating.
    fn remaining(&self) -> usize;

    /// The bytes of the current message that can be read now without a
    /// copy or a wait: a prefix of what follows, possibly empty (the
    /// default). Protocols read runs of fixed-size values straight from it
    /// and then [`consume_ready`](ReadBytes::consume_ready) what they used;
    /// whatever it does not hold they read through
    /// [`read_exact`](ReadBytes::read_exact) as usual.
    #[inline]
    fn ready_bytes(&self) -> &[u8] {
        &[]
    }

    /// Consumes the first `n` bytes of [`ready_bytes`](ReadBytes::ready_bytes)
    /// (at most all of them: a larger `n` consumes what is ready).
    #[inline]
    fn consume_ready(&mut self, n: usize) {
        let _ = n;
    }

    /// Reads exactly `len` bytes into a new vector. Callers have checked
    /// `len <= remaining()`; implementations over a stream still grow the
    /// vector only as bytes arrive.
    fn read_vec(&mut self, len: usize) -> Result<Vec<u8>> {
        const CHUNK: usize = 64 * 1024;
        let mut out = Vec::with_capacity(len.min(CHUNK));
        let mut left = len;
        let mut buf = [0u8; 4096];
        while left > 0 {
            let n = left.min(buf.len());
            self.read_exact(&mut buf[..n])?;
            out.extend_from_slice(&buf[..n]);
            left -= n;
        }
        Ok(out)
    }

    /// Reads exactly `len` bytes as a shared [`Bytes`](bytes::Bytes).
    /// Callers have checked `len <= remaining()`. A source over a `Bytes`
    /// ([`BytesReader`]) hands out a slice of its input without copying;
    /// the default copies ([`read_vec`](ReadBytes::read_vec)) and wraps the
    /// vector without another copy.
    #[cfg(feature = "bytes")]
    #[inline]
    fn read_shared(&mut self, len: usize) -> Result<bytes::Bytes> {
        self.read_vec(len).map(bytes::Bytes::from)
    }

    /// Reads the rest of the current message into the buffer when its end
    /// is known, so that [`ready_bytes`](ReadBytes::ready_bytes) holds all
    /// of it: `true` when it does. The default reads nothing and returns
    /// `false`; a framed [`StreamReader`] reads the rest of its frame.
    fn buffer_message(&mut self) -> Result<bool> {
        Ok(false)
    }

    /// Reads and discards exactly `len` bytes (skipping unknown strings).
    /// Callers have checked `len <= remaining()`; the default reads through a
    /// small stack buffer and allocates nothing.
    fn skip_bytes(&mut self, len: usize) -> Result<()> {
        let mut left = len;
        let mut buf = [0u8; 1024];
        while left > 0 {
            let n = left.min(buf.len());
            self.read_exact(&mut buf[..n])?;
            left -= n;
        }
        Ok(())
    }
}

/// A sink of bytes for a protocol writer.
pub trait WriteBytes {
    /// Appends all of `buf` (a buffered sink keeps it until
    /// [`flush`](WriteBytes::flush)).
    fn write_all(&mut self, buf: &[u8]) -> Result<()>;

    /// Sends what has been buffered (the end of a message). In-memory sinks
    /// have nothing to do. A `SIZE_LIMIT` transport error must mean that
    /// nothing of the message was sent: the server then answers the call
    /// with an `INTERNAL_ERROR` exception, and the client stays usable.
    #[inline]
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }

    /// Appends a shared value. A sink that sends messages
    /// ([`MessageWriter`]) may keep a reference to a large one and send it
    /// from where it is, with no copy; the default copies
    /// ([`write_all`](WriteBytes::write_all)).
    #[cfg(feature = "bytes")]
    #[inline]
    fn write_shared(&mut self, bytes: &bytes::Bytes) -> Result<()> {
        self.write_all(bytes)
    }
}

impl<R: ReadBytes + ?Sized> ReadBytes for &mut R {
    #[inline]
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        (**self).read_exact(buf)
    }

    #[inline]
    fn read_u8(&mut self) -> Result<u8> {
        (**self).read_u8()
    }

    #[inline]
    fn remaining(&self) -> usize {
        (**self).remaining()
    }

    #[inline]
    fn ready_bytes(&self) -> &[u8] {
        (**self).ready_bytes()
    }

    #[inline]
    fn consume_ready(&mut self, n: usize) {
        (**self).consume_ready(n)
    }

    #[inline]
    fn read_vec(&mut self, len: usize) -> Result<Vec<u8>> {
        (**self).read_vec(len)
    }

    #[inline]
    fn skip_bytes(&mut self, len: usize) -> Result<()> {
        (**self).skip_bytes(len)
    }

    #[inline]
    fn buffer_message(&mut self) -> Result<bool> {
        (**self).buffer_message()
    }

    #[cfg(feature = "bytes")]
    #[inline]
    fn read_shared(&mut self, len: usize) -> Result<bytes::Bytes> {
        (**self).read_shared(len)
    }
}

impl<W: WriteBytes + ?Sized> WriteBytes for &mut W {
    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> Result<()> {
        (**self).write_all(buf)
    }

    #[inline]
    fn flush(&mut self) -> Result<()> {
        (**self).flush()
    }

    #[cfg(feature = "bytes")]
    #[inline]
    fn write_shared(&mut self, bytes: &bytes::Bytes) -> Result<()> {
        (**self).write_shared(bytes)
    }
}

pub(crate) fn eof() -> Error {
    Error::Transport(TransportError::new(
        TransportErrorKind::EndOfFile,
        "unexpected end of input",
    ))
}

impl ReadBytes for &[u8] {
    #[inline]
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        if self.len() < buf.len() {
            return Err(eof());
        }
        let (head, tail) = self.split_at(buf.len());
        crate::copy::copy(buf, head);
        *self = tail;
        Ok(())
    }

    #[inline]
    fn read_u8(&mut self) -> Result<u8> {
        match self.split_first() {
            Some((&b, rest)) => {
                *self = rest;
                Ok(b)
            }
            None => Err(eof()),
        }
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.len()
    }

    #[inline]
    fn ready_bytes(&self) -> &[u8] {
        self
    }

    #[inline]
    fn consume_ready(&mut self, n: usize) {
        *self = self.get(n..).unwrap_or_default();
    }

    #[inline]
    fn read_vec(&mut self, len: usize) -> Result<Vec<u8>> {
        if self.len() < len {
            return Err(eof());
        }
        let (head, tail) = self.split_at(len);
        *self = tail;
        Ok(crate::copy::to_vec(head))
    }

    #[inline]
    fn skip_bytes(&mut self, len: usize) -> Result<()> {
        if self.len() < len {
            return Err(eof());
        }
        *self = &self[len..];
        Ok(())
    }
}

impl WriteBytes for Vec<u8> {
    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> Result<()> {
        crate::copy::extend(self, buf);
        Ok(())
    }
}
