//! The bytes a connection has received and not yet used, and whether they
//! hold a whole message: the async server and client read until they do,
//! then decode the message from memory, so no decode ever waits for the
//! network (the event-driven server's way, with the same check).

use ::tokio::io::AsyncReadExt;
use ::tokio::net::TcpStream;

use super::call::Wire;
use crate::error::Error;
use crate::limits::Limits;
use crate::processor::ProtocolKind;
use crate::server::complete::{Arrived, Check};
use crate::server::connection::detect;
use crate::transport::Framing;
use crate::transport::framed::FRAME_HEADER_LEN;

/// The size of a fresh buffer, and the least a read asks for.
const INITIAL: usize = 4096;

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
}

impl Inbox {
    pub(crate) fn new(wire: Wire) -> Inbox {
        Inbox {
            buf: Vec::with_capacity(INITIAL),
            start: 0,
            check: Check::default(),
            wire,
            detecting: false,
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
        let buf = &self.buf[self.start..];
        match self.check.check(buf, framing, protocol, limits) {
            Arrived::Whole => Next::Whole(self.check.whole_len().unwrap_or(buf.len())),
            Arrived::Part => Next::Part,
            Arrived::Unknown => Next::Malformed,
        }
    }

    /// Makes room for the next read: up to what the message at the start
    /// can still take, at most as much as is buffered (or [`INITIAL`]).
    fn reserve(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let limits = self.wire.limits;
        let room = match (self.wire.framing, Check::frame_len(&self.buf, limits)) {
            (Framing::Framed, Some(Ok(len))) => len + FRAME_HEADER_LEN,
            (Framing::Framed, _) => INITIAL,
            _ => limits.max_message_size(),
        };
        let len = self.buf.len();
        let want = room.saturating_sub(len).min(len.max(INITIAL)).max(1);
        self.buf.reserve(want);
    }

    /// Reads what the peer sends next (`Ok(0)`: it closed its side).
    /// Cancel safe: a read dropped before it finished loses no byte.
    pub(crate) async fn fill(&mut self, stream: &mut TcpStream) -> std::io::Result<usize> {
        self.reserve();
        stream.read_buf(&mut self.buf).await
    }

    /// Reads what has arrived, without waiting (`WouldBlock`: nothing).
    pub(crate) fn fill_now(&mut self, stream: &TcpStream) -> std::io::Result<usize> {
        self.reserve();
        stream.try_read_buf(&mut self.buf)
    }

    /// Takes the first `n` bytes (all of them if fewer are there) as one
    /// message, and starts the check of the next one.
    pub(crate) fn take(&mut self, n: usize) -> Vec<u8> {
        self.check.reset();
        if self.start == 0 && n >= self.buf.len() {
            return std::mem::replace(&mut self.buf, Vec::with_capacity(INITIAL));
        }
        let end = self.start.saturating_add(n).min(self.buf.len());
        let out = self.buf[self.start..end].to_vec();
        self.start = end;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        out
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
}
