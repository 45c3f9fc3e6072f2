//! [`MessageWriter`]: the write side of a byte stream. A protocol encodes a
//! whole message into the writer's buffer, and [`flush`](WriteBytes::flush)
//! sends it with one `write` call (framed: the 4-byte length goes in the same
//! buffer), which is what keeps Nagle's algorithm and delayed ACKs from
//! adding latency to each call.

use std::io::Write;

use crate::error::Result;
use crate::limits::Limits;
use crate::transport::WriteBytes;
use crate::transport::buffered::Framing;
use crate::transport::framed::{FRAME_HEADER_LEN, frame_header};

/// A buffer that keeps more than this after a large message is released.
const KEEP_CAPACITY: usize = 256 * 1024;

/// Buffers one message and sends it on [`flush`](WriteBytes::flush).
#[derive(Debug)]
pub struct MessageWriter<W> {
    inner: W,
    buf: Vec<u8>,
    /// Where the message starts in `buf` (after the reserved frame header).
    start: usize,
    max_frame: usize,
}

impl<W: Write> MessageWriter<W> {
    /// A writer over `inner`. Framed writers refuse messages larger than
    /// `limits.max_frame_size()`.
    pub fn new(inner: W, framing: Framing, limits: Limits) -> MessageWriter<W> {
        let start = match framing {
            Framing::Buffered => 0,
            Framing::Framed => FRAME_HEADER_LEN,
        };
        let mut buf = Vec::with_capacity(1024);
        buf.resize(start, 0);
        MessageWriter {
            inner,
            buf,
            start,
            max_frame: limits.max_frame_size(),
        }
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The underlying stream, mutably.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Bytes of the current message written so far (not yet sent).
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// With nothing pending: gives back a buffer that grew past `keep`
    /// bytes (for a connection that goes idle after a large reply).
    pub fn shrink_idle(&mut self, keep: usize) {
        if self.buf.len() == self.start && self.buf.capacity() > keep.max(self.start) {
            self.buf.shrink_to(keep.max(self.start));
        }
    }

    /// Drops the unsent message (e.g. a reply that failed half-way through
    /// encoding).
    pub fn discard(&mut self) {
        self.buf.truncate(self.start);
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf.shrink_to(KEEP_CAPACITY);
        }
    }
}

impl<W: Write> WriteBytes for MessageWriter<W> {
    #[inline]
    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// Sends the buffered message with one `write` (nothing if it is empty).
    fn flush(&mut self) -> Result<()> {
        let len = self.pending();
        if len == 0 {
            return Ok(());
        }
        if self.start == FRAME_HEADER_LEN {
            match frame_header(len, self.max_frame) {
                Ok(h) => self.buf[..FRAME_HEADER_LEN].copy_from_slice(&h),
                Err(e) => {
                    self.discard();
                    return Err(e);
                }
            }
        }
        let sent = self
            .inner
            .write_all(&self.buf)
            .and_then(|()| self.inner.flush());
        self.discard();
        sent.map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records each `write` call separately.
    #[derive(Default)]
    struct Calls(Vec<Vec<u8>>);

    impl Write for Calls {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn framed_message_goes_out_in_one_write_with_its_length() {
        let mut w = MessageWriter::new(Calls::default(), Framing::Framed, Limits::default());
        w.write_all(&[1, 2]).unwrap();
        w.write_all(&[3]).unwrap();
        w.flush().unwrap();
        w.flush().unwrap();
        w.write_all(&[9]).unwrap();
        w.flush().unwrap();
        assert_eq!(
            w.get_ref().0,
            [vec![0, 0, 0, 3, 1, 2, 3], vec![0, 0, 0, 1, 9]]
        );
    }

    #[test]
    fn buffered_message_goes_out_in_one_write() {
        let mut w = MessageWriter::new(Calls::default(), Framing::Buffered, Limits::default());
        for b in 0..10u8 {
            w.write_all(&[b]).unwrap();
        }
        w.flush().unwrap();
        assert_eq!(w.get_ref().0, [(0..10u8).collect::<Vec<_>>()]);
    }

    #[test]
    fn oversized_frame_is_refused_and_dropped() {
        let limits = Limits::default().with_max_frame_size(4);
        let mut w = MessageWriter::new(Calls::default(), Framing::Framed, limits);
        w.write_all(&[0; 5]).unwrap();
        assert!(w.flush().is_err());
        assert_eq!(w.pending(), 0);
        w.write_all(&[7]).unwrap();
        w.flush().unwrap();
        assert_eq!(w.get_ref().0, [vec![0, 0, 0, 1, 7]]);
    }

    #[test]
    fn discard_drops_the_unsent_message() {
        let mut w = MessageWriter::new(Calls::default(), Framing::Framed, Limits::default());
        w.write_all(&[1, 2, 3]).unwrap();
        w.discard();
        w.flush().unwrap();
        assert!(w.get_ref().0.is_empty());
    }
}
