//! [`MessageWriter`]: the write side of a byte stream. A protocol encodes a
//! whole message into the writer's buffer, and [`flush`](WriteBytes::flush)
//! sends it with one `write` call (framed: the 4-byte length goes in the same
//! buffer), which is what keeps Nagle's algorithm and delayed ACKs from
//! adding latency to each call.
//!
//! With the feature `bytes` and
//! [`splice_shared_values`](MessageWriter::splice_shared_values) (on for
//! the server's and client's sockets), a large shared value
//! (`WriteBytes::write_shared`, at least [`SPLICE_MIN`] bytes) is not
//! copied into the buffer: the writer keeps a reference and sends the
//! message with one vectored `write` of the buffer's pieces and the values
//! between them.

use std::io::{IoSlice, Write};

use crate::error::Result;
use crate::limits::Limits;
use crate::transport::WriteBytes;
use crate::transport::buffered::Framing;
use crate::transport::framed::{FRAME_HEADER_LEN, frame_header};

/// A buffer that keeps more than this after a large message is released
/// (as much as a connection's read buffer may hold).
const KEEP_CAPACITY: usize = 128 * 1024;

/// The smallest shared value sent from where it is rather than copied into
/// the buffer (feature `bytes`).
pub const SPLICE_MIN: usize = 16 * 1024;

/// Buffers one message and sends it on [`flush`](WriteBytes::flush).
#[derive(Debug)]
pub struct MessageWriter<W> {
    inner: W,
    buf: Vec<u8>,
    /// Where the message starts in `buf` (after the reserved frame header).
    start: usize,
    max_frame: usize,
    /// Whether [`flush`](WriteBytes::flush) leaves the sending to
    /// [`send_now`](Self::send_now) (see [`defer_sends`](Self::defer_sends)).
    deferred: bool,
    /// With `deferred`: `buf` (and `spliced`) hold a flushed message, sent
    /// up to `sent`.
    waiting: bool,
    sent: usize,
    /// Whether large shared values are spliced (see
    /// [`splice_shared_values`](Self::splice_shared_values)).
    #[cfg(feature = "bytes")]
    splice: bool,
    /// Large shared values of the current message, sent from where they
    /// are.
    spliced: Splices,
}

/// The large shared values of a message, each with the offset in the
/// writer's buffer it goes at (feature `bytes`; always empty without it).
#[derive(Debug, Default)]
struct Splices {
    #[cfg(feature = "bytes")]
    values: Vec<(usize, bytes::Bytes)>,
}

impl Splices {
    /// Their total length.
    fn len(&self) -> usize {
        #[cfg(feature = "bytes")]
        return self.values.iter().map(|(_, value)| value.len()).sum();
        #[cfg(not(feature = "bytes"))]
        0
    }

    fn clear(&mut self) {
        #[cfg(feature = "bytes")]
        self.values.clear();
    }

    /// Calls `f` with the message in `buf`, from its byte `skip` on, as the
    /// parts to send: the buffer's pieces and the values between them (one
    /// part when nothing is spliced).
    fn with_parts<T>(&self, buf: &[u8], skip: usize, f: impl FnOnce(&mut [IoSlice<'_>]) -> T) -> T {
        // What is unsent is never past the end; a clamp keeps a slip from
        // panicking in release builds.
        debug_assert!(skip <= buf.len() + self.len());
        #[cfg(feature = "bytes")]
        if !self.values.is_empty() {
            let mut parts = Vec::with_capacity(2 * self.values.len() + 1);
            let mut at = 0;
            for (offset, value) in &self.values {
                parts.push(IoSlice::new(&buf[at..*offset]));
                parts.push(IoSlice::new(value));
                at = *offset;
            }
            parts.push(IoSlice::new(&buf[at..]));
            let len = buf.len() + self.len();
            let mut rest = &mut parts[..];
            IoSlice::advance_slices(&mut rest, skip.min(len));
            return f(rest);
        }
        f(&mut [IoSlice::new(&buf[skip.min(buf.len())..])])
    }
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
            deferred: false,
            waiting: false,
            sent: 0,
            #[cfg(feature = "bytes")]
            splice: false,
            spliced: Splices::default(),
        }
    }

    /// With the feature `bytes`: sends shared values of at least
    /// [`SPLICE_MIN`] bytes from where they are, through the sink's
    /// `write_vectored`, instead of copying them into the buffer (off by
    /// default; without the feature it does nothing). Turn it on only for a
    /// sink whose vectored write takes all it can at once and cannot raise
    /// `SIGPIPE`: [`SharedStream`](crate::transport::SharedStream) (which
    /// the server and client use) qualifies; std's `TcpStream` does not
    /// (its `writev` has no `MSG_NOSIGNAL`).
    #[must_use]
    pub fn splice_shared_values(self, on: bool) -> Self {
        #[cfg(feature = "bytes")]
        return MessageWriter { splice: on, ..self };
        #[cfg(not(feature = "bytes"))]
        {
            let _ = on;
            self
        }
    }

    /// From now on [`flush`](WriteBytes::flush) completes the message but
    /// does not send it: the caller sends it with [`send_now`](Self::send_now)
    /// (which never waits) or [`send_rest`](Self::send_rest). For a server
    /// thread that must not wait for a peer that reads slowly. A message
    /// started while one waits sends the waiting one first, waiting as the
    /// stream does.
    // For the event-driven server mode (Linux).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(crate) fn defer_sends(&mut self) {
        self.deferred = true;
    }

    /// Whether a flushed message waits to be sent (deferred sends only).
    pub(crate) fn is_waiting(&self) -> bool {
        self.waiting
    }

    /// The flushed message waiting to be sent, without its frame header
    /// (deferred sends only; large spliced values are not in it).
    pub(crate) fn waiting_message(&self) -> Option<&[u8]> {
        self.waiting.then(|| self.buf.get(self.start..)).flatten()
    }

    /// Sends what is left of the waiting message with `send`, a write of
    /// its parts that does not wait: `Ok(true)` once all of it is sent (or
    /// none waited), `Ok(false)` when the peer takes no more for now
    /// (`WouldBlock`).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(crate) fn send_now(
        &mut self,
        mut send: impl FnMut(&mut W, &[IoSlice<'_>]) -> std::io::Result<usize>,
    ) -> std::io::Result<bool> {
        let len = self.buf.len() + self.spliced.len();
        while self.waiting {
            let inner = &mut self.inner;
            let result = self
                .spliced
                .with_parts(&self.buf, self.sent, |parts| send(inner, parts));
            match result {
                Ok(0) => {
                    self.drop_waiting();
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                Ok(n) => {
                    self.sent += n;
                    if self.sent >= len {
                        self.drop_waiting();
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.drop_waiting();
                    return Err(e);
                }
            }
        }
        Ok(true)
    }

    /// Sends what is left of the waiting message, waiting as the stream
    /// does (its write timeout bounds the rest of the message).
    pub(crate) fn send_rest(&mut self) -> Result<()> {
        if !self.waiting {
            return Ok(());
        }
        let sent = self.send_from(self.sent).and_then(|()| self.inner.flush());
        self.drop_waiting();
        sent.map_err(Into::into)
    }

    /// Forgets the waiting message (sent, or beyond sending).
    fn drop_waiting(&mut self) {
        self.waiting = false;
        self.sent = 0;
        self.discard();
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
        self.buf.len() - self.start + self.spliced.len()
    }

    /// With nothing pending: gives back a buffer that grew past `keep`
    /// bytes (for a connection that goes idle after a large reply).
    pub fn shrink_idle(&mut self, keep: usize) {
        if self.pending() == 0 && self.buf.capacity() > keep.max(self.start) {
            self.buf.shrink_to(keep.max(self.start));
        }
    }

    /// Drops the unsent message (e.g. a reply that failed half-way through
    /// encoding). A flushed message waiting to be sent (deferred sends) is
    /// not dropped: it would have been sent already without deferral.
    pub fn discard(&mut self) {
        if self.waiting {
            return;
        }
        self.spliced.clear();
        self.buf.truncate(self.start);
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf.shrink_to(KEEP_CAPACITY);
        }
    }
}

impl<W: Write> WriteBytes for MessageWriter<W> {
    #[inline]
    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        if self.waiting {
            // A new message while one waits: the waiting one goes first.
            self.send_rest()?;
        }
        crate::copy::extend(&mut self.buf, bytes);
        Ok(())
    }

    /// Keeps a reference to a value of at least [`SPLICE_MIN`] bytes (when
    /// splicing); copies others.
    #[cfg(feature = "bytes")]
    fn write_shared(&mut self, bytes: &bytes::Bytes) -> Result<()> {
        if bytes.len() < SPLICE_MIN || !self.splice {
            return self.write_all(bytes);
        }
        if self.waiting {
            // A new message while one waits: the waiting one goes first.
            self.send_rest()?;
        }
        self.spliced.values.push((self.buf.len(), bytes.clone()));
        Ok(())
    }

    /// Sends the buffered message with one `write` (nothing if it is empty).
    fn flush(&mut self) -> Result<()> {
        if self.waiting {
            return Ok(());
        }
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
        if self.deferred {
            self.waiting = true;
            self.sent = 0;
            return Ok(());
        }
        let sent = self.send_from(0).and_then(|()| self.inner.flush());
        self.discard();
        sent.map_err(Into::into)
    }
}

impl<W: Write> MessageWriter<W> {
    /// Sends the message from its byte `skip` on, waiting as the stream
    /// does: one `write_all` of the buffer, or vectored writes of its pieces
    /// and the spliced values.
    fn send_from(&mut self, skip: usize) -> std::io::Result<()> {
        let inner = &mut self.inner;
        self.spliced
            .with_parts(&self.buf, skip, |parts| match parts {
                [one] => inner.write_all(one),
                _ => write_all_vectored(inner, parts),
            })
    }
}

/// Writes all of `parts` with vectored writes.
fn write_all_vectored<W: Write>(w: &mut W, mut parts: &mut [IoSlice<'_>]) -> std::io::Result<()> {
    while !parts.is_empty() {
        match w.write_vectored(parts) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut parts, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
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

    /// Takes at most `room` bytes per call, then `WouldBlock` once `room`
    /// is used up.
    struct Slow {
        got: Vec<u8>,
        room: usize,
        /// Where each part a vectored write took from starts.
        from: Vec<usize>,
    }

    impl Write for Slow {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.room);
            self.got.extend_from_slice(&buf[..n]);
            self.room -= n;
            Ok(n)
        }
        /// Takes from every part, up to `room`.
        fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
            let mut n = 0;
            for b in bufs {
                let took = self.write(b)?;
                if took > 0 {
                    self.from.push(b.as_ptr() as usize);
                }
                n += took;
            }
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn send_slowly(s: &mut Slow, parts: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
        if s.room == 0 {
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        s.write_vectored(parts)
    }

    #[test]
    fn deferred_message_is_sent_in_pieces_and_kept_until_sent() {
        let slow = Slow {
            got: Vec::new(),
            room: 3,
            from: Vec::new(),
        };
        let mut w = MessageWriter::new(slow, Framing::Framed, Limits::default());
        w.defer_sends();
        w.write_all(&[1, 2, 3, 4]).unwrap();
        w.flush().unwrap();
        assert!(w.is_waiting());
        assert!(w.get_ref().got.is_empty(), "flush sent it");
        assert!(!w.send_now(send_slowly).unwrap());
        assert_eq!(w.get_ref().got, [0, 0, 0]);
        // Discarding (an error path after the reply went out) keeps it.
        w.discard();
        w.flush().unwrap();
        w.get_mut().room = 100;
        assert!(w.send_now(send_slowly).unwrap());
        assert!(!w.is_waiting());
        assert_eq!(w.get_ref().got, [0, 0, 0, 4, 1, 2, 3, 4]);
        assert!(w.send_now(send_slowly).unwrap());
        // A message begun while one waits sends that one first.
        w.write_all(&[5]).unwrap();
        w.flush().unwrap();
        w.get_mut().room = 2;
        assert!(!w.send_now(send_slowly).unwrap());
        w.get_mut().room = 100;
        w.write_all(&[6]).unwrap();
        assert_eq!(w.get_ref().got[8..], [0, 0, 0, 1, 5]);
        w.flush().unwrap();
        w.send_rest().unwrap();
        assert_eq!(w.get_ref().got[13..], [0, 0, 0, 1, 6]);
        assert!(!w.is_waiting());
    }

    #[test]
    fn discard_drops_the_unsent_message() {
        let mut w = MessageWriter::new(Calls::default(), Framing::Framed, Limits::default());
        w.write_all(&[1, 2, 3]).unwrap();
        w.discard();
        w.flush().unwrap();
        assert!(w.get_ref().0.is_empty());
    }

    /// Records each vectored write: its parts' contents and addresses.
    #[cfg(feature = "bytes")]
    #[derive(Default)]
    struct Vectored {
        calls: Vec<Vec<(Vec<u8>, usize)>>,
        /// At most this many bytes per call (0: all).
        per_call: usize,
    }

    #[cfg(feature = "bytes")]
    impl Write for Vectored {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.write_vectored(&[std::io::IoSlice::new(buf)])
        }
        fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
            let mut room = if self.per_call == 0 {
                usize::MAX
            } else {
                self.per_call
            };
            let mut call = Vec::new();
            for b in bufs {
                let n = b.len().min(room);
                call.push((b[..n].to_vec(), b.as_ptr() as usize));
                room -= n;
            }
            let n = call.iter().map(|(b, _)| b.len()).sum();
            self.calls.push(call);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[cfg(feature = "bytes")]
    fn sent(v: &Vectored) -> Vec<u8> {
        v.calls
            .iter()
            .flatten()
            .flat_map(|(b, _)| b.clone())
            .collect()
    }

    #[cfg(feature = "bytes")]
    #[test]
    fn a_large_shared_value_is_sent_from_where_it_is_in_one_write() {
        let big = bytes::Bytes::from((0..40_000u32).map(|i| i as u8).collect::<Vec<_>>());
        let small = bytes::Bytes::from_static(b"small");
        for framing in [Framing::Buffered, Framing::Framed] {
            let mut w = MessageWriter::new(Vectored::default(), framing, Limits::default())
                .splice_shared_values(true);
            w.write_all(&[1, 2, 3]).unwrap();
            w.write_shared(&big).unwrap();
            w.write_shared(&small).unwrap();
            w.write_shared(&big).unwrap();
            w.write_all(&[9]).unwrap();
            assert_eq!(w.pending(), 3 + 40_000 + 5 + 40_000 + 1);
            w.flush().unwrap();
            let mut want = Vec::new();
            if framing == Framing::Framed {
                want.extend_from_slice(&(80_009u32).to_be_bytes());
            }
            want.extend_from_slice(&[1, 2, 3]);
            want.extend_from_slice(&big);
            want.extend_from_slice(b"small");
            want.extend_from_slice(&big);
            want.push(9);
            let v = w.get_ref();
            assert_eq!(v.calls.len(), 1, "one write");
            assert_eq!(sent(v), want);
            // The large values went out from their own memory; the small
            // one was copied into the buffer.
            let from_big = v.calls[0]
                .iter()
                .filter(|(_, at)| *at == big.as_ptr() as usize);
            assert_eq!(from_big.count(), 2);
            assert_eq!(w.pending(), 0);
        }
    }

    #[cfg(feature = "bytes")]
    #[test]
    fn a_spliced_message_survives_partial_writes() {
        let big = bytes::Bytes::from(vec![7u8; 50_000]);
        let mut w = MessageWriter::new(
            Vectored {
                per_call: 4_999,
                ..Vectored::default()
            },
            Framing::Framed,
            Limits::default(),
        )
        .splice_shared_values(true);
        w.write_all(&[1]).unwrap();
        w.write_shared(&big).unwrap();
        w.write_all(&[2]).unwrap();
        w.flush().unwrap();
        let mut want = 50_002u32.to_be_bytes().to_vec();
        want.push(1);
        want.extend_from_slice(&big);
        want.push(2);
        assert_eq!(sent(w.get_ref()), want);
        assert_eq!(w.get_ref().calls.len(), want.len().div_ceil(4_999));
    }

    #[cfg(feature = "bytes")]
    #[test]
    fn spliced_values_are_dropped_with_the_message_and_copied_when_not_spliced() {
        let big = bytes::Bytes::from(vec![3u8; 20_000]);
        let limits = Limits::default().with_max_frame_size(10_000);
        let mut w = MessageWriter::new(Vectored::default(), Framing::Framed, limits)
            .splice_shared_values(true);
        w.write_shared(&big).unwrap();
        assert!(w.flush().is_err(), "larger than a frame may be");
        assert_eq!(w.pending(), 0);
        w.write_shared(&big).unwrap();
        w.discard();
        assert_eq!(w.pending(), 0);
        w.write_all(&[5]).unwrap();
        w.flush().unwrap();
        assert_eq!(sent(w.get_ref()), [0, 0, 0, 1, 5]);
        // Without splicing (the default), a copy.
        let mut w = MessageWriter::new(Vectored::default(), Framing::Buffered, Limits::default());
        w.write_shared(&big).unwrap();
        w.flush().unwrap();
        assert_eq!(sent(w.get_ref()), big);
        assert_ne!(w.get_ref().calls[0][0].1, big.as_ptr() as usize);
    }

    /// The protocols pass large `Bytes` and `ByteString` values down to be
    /// spliced, with the same bytes on the wire as a copy.
    #[cfg(feature = "bytes")]
    #[test]
    fn protocols_splice_large_binaries_and_strings() {
        use crate::codec::Encode;
        use crate::protocol::ProtocolWrite;
        use crate::protocol::binary::BinaryProtocol;
        use crate::protocol::compact::CompactProtocol;
        let text: String = (0..20_000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let string = bytestring::ByteString::from(text.clone());
        let binary = bytes::Bytes::from(vec![9u8; 30_000]);
        let encode = |p: &mut dyn ProtocolWrite| {
            string.encode(p).unwrap();
            binary.encode(p).unwrap();
            p.flush().unwrap();
        };
        let copied = |p: &mut dyn ProtocolWrite| {
            p.write_string(&text).unwrap();
            p.write_binary(&binary).unwrap();
            p.flush().unwrap();
        };
        for compact in [false, true] {
            let mut sinks = Vec::new();
            for spliced in [true, false] {
                let w =
                    MessageWriter::new(Vectored::default(), Framing::Buffered, Limits::default())
                        .splice_shared_values(true);
                let limits = Limits::default();
                let w = match compact {
                    false => {
                        let mut p = BinaryProtocol::new(w, limits);
                        if spliced {
                            encode(&mut p)
                        } else {
                            copied(&mut p)
                        }
                        p.into_inner()
                    }
                    true => {
                        let mut p = CompactProtocol::new(w, limits);
                        if spliced {
                            encode(&mut p)
                        } else {
                            copied(&mut p)
                        }
                        p.into_inner()
                    }
                };
                sinks.push(w);
            }
            assert_eq!(sent(sinks[0].get_ref()), sent(sinks[1].get_ref()));
            let parts: Vec<usize> = sinks[0].get_ref().calls[0]
                .iter()
                .map(|(_, at)| *at)
                .collect();
            assert!(
                parts.contains(&(string.as_ptr() as usize)),
                "compact {compact}"
            );
            assert!(
                parts.contains(&(binary.as_ptr() as usize)),
                "compact {compact}"
            );
        }
    }

    /// A deferred message with spliced values is sent in pieces by
    /// `send_now`, from the values' own memory, and kept (values included)
    /// until all of it is sent; `send_rest` sends what is left.
    #[cfg(feature = "bytes")]
    #[test]
    fn deferred_spliced_message_is_sent_in_pieces_from_where_it_is() {
        let big = bytes::Bytes::from((0..40_000u32).map(|i| i as u8).collect::<Vec<_>>());
        let mut want = 80_003u32.to_be_bytes().to_vec();
        want.push(1);
        want.extend_from_slice(&big);
        want.push(2);
        want.extend_from_slice(&big);
        want.push(3);
        for finish_with_rest in [false, true] {
            let slow = Slow {
                got: Vec::new(),
                room: 0,
                from: Vec::new(),
            };
            let mut w = MessageWriter::new(slow, Framing::Framed, Limits::default())
                .splice_shared_values(true);
            w.defer_sends();
            w.write_all(&[1]).unwrap();
            w.write_shared(&big).unwrap();
            w.write_all(&[2]).unwrap();
            w.write_shared(&big).unwrap();
            w.write_all(&[3]).unwrap();
            w.flush().unwrap();
            assert!(w.is_waiting());
            // Pieces that end inside the header, a value and the middle byte.
            for room in [3, 20_000, 20_003, 1] {
                w.get_mut().room = room;
                assert!(!w.send_now(send_slowly).unwrap());
                assert!(w.is_waiting());
            }
            let at = 3 + 20_000 + 20_003 + 1;
            assert_eq!(w.get_ref().got, want[..at]);
            w.get_mut().room = usize::MAX;
            if finish_with_rest {
                w.send_rest().unwrap();
            } else {
                assert!(w.send_now(send_slowly).unwrap());
            }
            assert!(!w.is_waiting());
            assert!(w.get_ref().got == want);
            assert_eq!(w.pending(), 0);
            // Both copies of the value went out from its own memory.
            let from_big = w
                .get_ref()
                .from
                .iter()
                .filter(|at| **at == big.as_ptr() as usize);
            assert_eq!(from_big.count(), 2);
        }
    }
}
