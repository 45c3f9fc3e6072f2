//! The bytes a connection has received and not yet used, and whether they
//! hold a whole message: the async server and client read until they do,
//! then decode the message from memory, so no decode ever waits for the
//! network (the event-driven server's way, with the same check).

use ::tokio::io::{AsyncRead, AsyncReadExt};

use super::call::Wire;
use super::stream::AsyncStream;
use crate::error::Error;
use crate::limits::Limits;
use crate::processor::ProtocolKind;
use crate::server::complete::{Arrived, Check};
use crate::server::connection::detect;
use crate::transport::Framing;
use crate::transport::buffered::READ_BUFFER_SIZE;
use crate::transport::framed::FRAME_HEADER_LEN;

/// The size of a fresh buffer, and the least a read asks for.
pub(crate) const INITIAL: usize = 4096;

/// The largest buffer kept for reuse ([`Inbox::recycle`]): as much as the
/// blocking server's read buffer holds ([`READ_BUFFER_SIZE`]), so that a
/// connection whose messages are a little over 64 KiB (a buffer that grew
/// to 128 KiB) reads each in one read into the last one's buffer, instead
/// of growing a new one through six reads and copies (async `blob@16` went
/// from 0.6 times the speed-of-light throughput to about the same); a
/// connection that once carried a larger message does not keep its memory.
const KEEP: usize = READ_BUFFER_SIZE;

/// What the received bytes hold, from their start.
#[derive(Debug)]
pub(crate) enum Next {
    /// A whole message of this many bytes (framed: with its frame header).
    Whole(usize),
    /// The start of a message; more bytes may complete it.
    Part,
    /// Unframed: the message is malformed or over a limit, so where it ends
    /// is unknown (decoding it reports why).
    Malformed,
    /// Framed: the frame header is invalid (negative, empty, over the frame
    /// limit).
    BadFrame(Error),
}

/// A connection's received, unused bytes and the progress of the check for
/// a whole message at their start.
///
/// Memory: a read asks for room up to what the message can still take (the
/// frame's length once its header is there, else the message size limit),
/// at most doubling the buffer each time; a peer-announced length is never
/// allocated ahead of the bytes.
#[derive(Debug)]
pub(crate) struct Inbox {
    buf: Vec<u8>,
    /// Bytes of `buf` already taken (moved out before the next read).
    start: usize,
    check: Check,
    wire: Wire,
    /// The protocol and framing are still to be told from the first bytes
    /// (`wire` holds only the limits until then).
    detecting: bool,
    /// An empty buffer given back ([`recycle`](Self::recycle)) for the
    /// next message taken (no capacity: none).
    spare: Vec<u8>,
}

impl Inbox {
    pub(crate) fn new(wire: Wire) -> Inbox {
        Inbox {
            buf: Vec::with_capacity(INITIAL),
            start: 0,
            check: Check::default(),
            wire,
            detecting: false,
            spare: Vec::new(),
        }
    }

    /// An inbox that tells the protocol and framing from the first bytes
    /// that arrive, as the blocking server's `detect_protocol` does.
    pub(crate) fn detecting(limits: Limits) -> Inbox {
        let mut inbox = Inbox::new(Wire {
            protocol: ProtocolKind::Binary,
            framing: Framing::Buffered,
            limits,
        });
        inbox.detecting = true;
        inbox
    }

    /// The protocol, framing and limits of the messages (once detected).
    pub(crate) fn wire(&self) -> Wire {
        self.wire
    }

    /// No byte received and unused.
    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.buf.len()
    }

    fn unread(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Whether a whole message has arrived (resumes the check where the
    /// last call left it).
    pub(crate) fn next(&mut self) -> Next {
        if self.detecting {
            let Some((protocol, framing)) = detect(self.unread()) else {
                return Next::Part;
            };
            self.wire.protocol = protocol;
            self.wire.framing = framing;
            self.detecting = false;
        }
        let Wire {
            protocol,
            framing,
            limits,
        } = self.wire;
        if framing == Framing::Framed {
            let buf = self.unread();
            return match Check::frame_len(buf, limits) {
                None => Next::Part,
                Some(Err(e)) => Next::BadFrame(e),
                Some(Ok(len)) if buf.len() - FRAME_HEADER_LEN >= len => {
                    Next::Whole(FRAME_HEADER_LEN + len)
                }
                Some(Ok(_)) => Next::Part,
            };
        }
        // A message that arrived whole is found in one pass; one that
        // arrives in parts, by a check that resumes where it stopped.
        let buf = &self.buf[self.start..];
        match self.check.check(buf, framing, protocol, limits) {
            Arrived::Whole => Next::Whole(self.check.whole_len().unwrap_or(buf.len())),
            Arrived::Part => Next::Part,
            Arrived::Unknown => Next::Malformed,
        }
    }

    /// Makes room for the next read, once the room left is less than a
    /// read asks for: up to what the message at the start can still take,
    /// at most as much as is buffered (or [`INITIAL`]). So the buffer holds
    /// at most about twice what has arrived, and grows by doubling (each
    /// byte is copied O(1) times over).
    fn reserve(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
            self.shed();
        }
        let limits = self.wire.limits;
        let room = match (self.wire.framing, Check::frame_len(&self.buf, limits)) {
            (Framing::Framed, Some(Ok(len))) => len + FRAME_HEADER_LEN,
            (Framing::Framed, _) => INITIAL,
            _ => limits.max_message_size(),
        };
        let len = self.buf.len();
        // At least one byte, so that a read can tell more bytes from the
        // end of the stream.
        let needed = room.saturating_sub(len).max(1);
        if self.buf.capacity() - len < needed.min(INITIAL) {
            // Exact: `reserve` would double the capacity, up to four times
            // what has arrived.
            self.buf.reserve_exact(needed.min(len.max(INITIAL)));
        }
    }

    /// Gives back the memory of a large buffer once little of it is in use
    /// (a large message was taken from it): a connection that once
    /// carried a large message does not keep its memory.
    fn shed(&mut self) {
        let len = self.buf.len();
        if self.buf.capacity() > KEEP && len <= KEEP / 2 {
            self.buf.shrink_to(len.max(INITIAL));
        }
    }

    /// Reads what the peer sends next (`Ok(0)`: it closed its side).
    /// Cancel safe: a read dropped before it finished loses no byte.
    pub(crate) async fn fill<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
    ) -> std::io::Result<usize> {
        self.reserve();
        stream.read_buf(&mut self.buf).await
    }

    /// Reads what has arrived, without waiting (`WouldBlock`: nothing).
    pub(crate) fn fill_now<S: AsyncStream>(&mut self, stream: &S) -> std::io::Result<usize> {
        self.reserve();
        stream.read_now(&mut self.buf)
    }

    /// Takes the first `n` bytes (all of them if fewer are there) as one
    /// message, and starts the check of the next one.
    pub(crate) fn take(&mut self, n: usize) -> Vec<u8> {
        self.check.reset();
        if self.start == 0 && n >= self.buf.len() {
            let fresh = match std::mem::take(&mut self.spare) {
                spare if spare.capacity() > 0 => spare,
                _ => Vec::with_capacity(INITIAL),
            };
            return std::mem::replace(&mut self.buf, fresh);
        }
        let end = self.start.saturating_add(n).min(self.buf.len());
        let mut out = std::mem::take(&mut self.spare);
        crate::copy::extend(&mut out, &self.buf[self.start..end]);
        self.start = end;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
            self.shed();
        }
        out
    }

    /// Gives back a buffer done with (a message taken, or the reply written
    /// into it), to be reused for a message taken later; one is kept, and
    /// only if it is no larger than [`KEEP`].
    pub(crate) fn recycle(&mut self, mut buf: Vec<u8>) {
        if buf.capacity() <= KEEP && buf.capacity() > self.spare.capacity() {
            buf.clear();
            self.spare = buf;
        }
    }

    /// Takes the bytes of a malformed message, whose end is unknown: every
    /// byte received, but no more than the message size limit, so that
    /// decoding them reports what the check found (a message over the limit
    /// ends early).
    pub(crate) fn take_malformed(&mut self) -> Vec<u8> {
        let mut bytes = self.take(usize::MAX);
        bytes.truncate(self.wire.limits.max_message_size());
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Taking a message leaves the bytes after it where they are: a large
    /// read of many small pipelined messages costs O(its bytes) to take
    /// apart, not O(messages × bytes).
    #[test]
    fn taking_a_message_does_not_move_the_rest() {
        let mut inbox = Inbox::new(Wire {
            protocol: ProtocolKind::Binary,
            framing: Framing::Framed,
            limits: Limits::default(),
        });
        let frame = |b: u8| [&3u32.to_be_bytes()[..], &[b; 3]].concat();
        for b in 0..100u8 {
            inbox.buf.extend(frame(b));
        }
        let at = inbox.buf.as_ptr();
        for b in 0..100u8 {
            assert!(matches!(inbox.next(), Next::Whole(7)));
            assert_eq!(inbox.take(7), frame(b));
            if b < 99 {
                assert_eq!(inbox.buf.as_ptr(), at, "the buffer stays put");
                assert_eq!(inbox.unread().len(), 7 * usize::from(99 - b));
            }
        }
        assert!(inbox.is_empty());
    }

    /// A buffer given back is where the next message is read (no
    /// allocation per message), pipelined messages included; one larger
    /// than [`KEEP`] is dropped.
    #[test]
    fn buffers_given_back_are_reused_up_to_a_bound() {
        let mut inbox = Inbox::new(Wire {
            protocol: ProtocolKind::Binary,
            framing: Framing::Framed,
            limits: Limits::default(),
        });
        let frame = |b: u8| [&3u32.to_be_bytes()[..], &[b; 3]].concat();
        inbox.buf.extend(frame(1));
        let first = inbox.take(7);
        assert_eq!(first, frame(1));
        let at = first.as_ptr();
        inbox.recycle(first);
        inbox.buf.extend(frame(2));
        assert_eq!(inbox.take(7), frame(2));
        assert_eq!(inbox.buf.as_ptr(), at, "the next message is read into it");
        assert!(inbox.is_empty());

        // Two pipelined messages: the first is copied into the spare.
        let spare = vec![9u8; 100];
        let at = spare.as_ptr();
        inbox.recycle(spare);
        inbox.buf.extend(frame(3));
        inbox.buf.extend(frame(4));
        let third = inbox.take(7);
        assert_eq!((third.as_slice(), third.as_ptr()), (&frame(3)[..], at));
        assert_eq!(inbox.take(7), frame(4));

        inbox.recycle(Vec::with_capacity(KEEP + 1));
        assert_eq!(inbox.spare.capacity(), 0, "a large buffer is not kept");
        // The buffer a message of a little over 64 KiB grew to is kept: the
        // next such message is read into it whole.
        let grown = Vec::with_capacity(128 * 1024);
        let at = grown.as_ptr();
        inbox.recycle(grown);
        inbox.buf.extend(frame(5));
        assert_eq!(inbox.take(7), frame(5));
        assert_eq!((inbox.buf.as_ptr(), inbox.buf.capacity()), (at, 128 * 1024));
    }
}

#[cfg(test)]
mod unframed_tests {
    use super::*;
    use crate::protocol::binary::BinaryProtocol;
    use crate::protocol::compact::CompactProtocol;
    use crate::protocol::{MessageType, ProtocolWrite, TType};

    fn message(protocol: ProtocolKind, seqid: i32, text: &str) -> Vec<u8> {
        fn write<P: ProtocolWrite>(p: &mut P, seqid: i32, text: &str) {
            p.write_message_begin_parts("echo", MessageType::Call, seqid)
                .unwrap();
            p.write_struct_begin("args").unwrap();
            p.write_field_begin("s", TType::String, 1).unwrap();
            p.write_string(text).unwrap();
            p.write_field_end().unwrap();
            p.write_field_stop().unwrap();
            p.write_struct_end().unwrap();
            p.write_message_end().unwrap();
        }
        let limits = Limits::default();
        match protocol {
            ProtocolKind::Binary => {
                let mut p = BinaryProtocol::new(Vec::new(), limits);
                write(&mut p, seqid, text);
                p.into_inner()
            }
            ProtocolKind::Compact => {
                let mut p = CompactProtocol::new(Vec::new(), limits);
                write(&mut p, seqid, text);
                p.into_inner()
            }
        }
    }

    fn inbox(protocol: ProtocolKind) -> Inbox {
        Inbox::new(Wire {
            protocol,
            framing: Framing::Buffered,
            limits: Limits::default(),
        })
    }

    /// Whole messages in one buffer, a message that arrives in pieces, and
    /// a malformed one: the first pass and the resumable check agree on
    /// where each ends.
    #[test]
    fn unframed_messages_end_where_they_end_however_they_arrive() {
        for protocol in [ProtocolKind::Binary, ProtocolKind::Compact] {
            let one = message(protocol, 1, "one");
            let two = message(protocol, 2, &"x".repeat(300));
            // Two whole messages and half of a third, in one read.
            let mut inbox = inbox(protocol);
            inbox.buf.extend(&one);
            inbox.buf.extend(&two);
            inbox.buf.extend(&one[..one.len() / 2]);
            assert!(matches!(inbox.next(), Next::Whole(n) if n == one.len()));
            assert_eq!(inbox.take(one.len()), one);
            assert!(matches!(inbox.next(), Next::Whole(n) if n == two.len()));
            assert_eq!(inbox.take(two.len()), two);
            assert!(matches!(inbox.next(), Next::Part));
            // The rest, a byte at a time.
            for (i, b) in one[one.len() / 2..].iter().enumerate() {
                inbox.buf.push(*b);
                let whole = one.len() / 2 + i + 1 == one.len();
                match inbox.next() {
                    Next::Whole(n) => assert!(whole && n == one.len(), "{protocol:?} at {i}"),
                    Next::Part => assert!(!whole, "{protocol:?} at {i}"),
                    other => panic!("{protocol:?} at {i}: {other:?}"),
                }
            }
            assert_eq!(inbox.take(one.len()), one);
            // A message type no message has, with more bytes behind it.
            let mut bad = one.clone();
            match protocol {
                ProtocolKind::Binary => bad[3] = 9,
                ProtocolKind::Compact => bad[1] = 0xe1,
            }
            inbox.buf.extend(&bad);
            assert!(matches!(inbox.next(), Next::Malformed), "{protocol:?}");
        }
    }
}
