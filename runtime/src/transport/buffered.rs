//! [`StreamReader`]: the read side of a byte stream (a socket), unframed or
//! framed, one message at a time.
//!
//! The reader keeps its own read buffer (allocated at the first read, 4 KiB
//! growing to 128 KiB while reads keep filling it, so a 64 KiB value and
//! its message header arrive with one `read`) so a protocol's many small
//! reads cost no syscall, and bounds each message:
//!
//! - **Buffered (unframed)**: a message may take at most
//!   [`Limits::max_message_size`] bytes; [`remaining`](ReadBytes::remaining)
//!   is what is left of that budget. Reading past it is a `SIZE_LIMIT` error.
//! - **Framed**: [`begin_message`](StreamReader::begin_message) reads the
//!   4-byte big-endian frame length and checks it (negative, zero, or above
//!   [`Limits::max_frame_size`] is an error before anything is allocated);
//!   `remaining` is the rest of the frame, and reading past the frame's end is
//!   a protocol `INVALID_DATA` error (the message is malformed: it does not
//!   fit the frame it came in) that never consumes the next frame's bytes, so
//!   a server can answer `PROTOCOL_ERROR` and go on with the next frame.
//!
//! The frame is not copied into a buffer of its declared size: bytes stream
//! through the bounded read buffer, so a peer that announces 16 MB and stalls
//! costs a few KiB, and decoded values grow only as their bytes arrive.
//!
//! With the feature `bytes`, a large `binary` read as shared `Bytes` (see
//! [`LEND_MIN`]) that is all in the buffer is
//! lent from it, not copied: the value holds the buffer, and the reader
//! writes into it again only once no value holds it. Else it goes on with a
//! new, small buffer, which the next large value bypasses (it is read
//! straight into its own memory), so a reader whose values are kept (a
//! client's replies) neither copies nor pins more buffers than values.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::error::{Error, ProtocolErrorKind, Result, TransportError, TransportErrorKind};
use crate::limits::Limits;
use crate::transport::ReadBytes;
use crate::transport::budget::ByteBudget;
use crate::transport::framed::{FRAME_HEADER_LEN, frame_len};
use crate::transport::read_buffer::ReadBuffer;

/// Largest size of the read buffer of a [`StreamReader`].
pub const READ_BUFFER_SIZE: usize = 128 * 1024;

/// The smallest shared value (feature `bytes`) lent from the read buffer
/// instead of copied; it must also be at least a quarter of the buffer, so
/// that a value keeps at most four times its size alive.
pub const LEND_MIN: usize = 16 * 1024;

/// The most a string or binary read from a stream reserves ahead of the
/// bytes that have arrived.
const MAX_RESERVE_AHEAD: usize = 64 * 1024;

/// Size of the read buffer at the first read; it doubles (up to
/// [`READ_BUFFER_SIZE`]) each time a read fills it, so an idle or stalled
/// connection holds 4 KiB.
pub const INITIAL_BUFFER_SIZE: usize = 4 * 1024;

/// How messages are delimited on a stream. More framings (e.g. Apache's
/// THeader) may be added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Framing {
    /// Messages follow each other with no delimiter (Apache's
    /// `TBufferedTransport`).
    #[default]
    Buffered,
    /// Each message is preceded by its length as a 4-byte big-endian integer
    /// (Apache's `TFramedTransport`).
    Framed,
}

/// Reads messages from a byte stream `R` (see the [module docs](self)).
///
/// One type serves both framings: the mode is checked once per message and
/// per buffer refill, never per value.
#[derive(Debug)]
pub struct StreamReader<R> {
    inner: R,
    /// Shared with the values lent from it (feature `bytes`); written only
    /// while no value holds it, else replaced by a new buffer.
    buf: ReadBuffer,
    pos: usize,
    /// End of the fast window `buf[pos..lim]`: the buffered bytes of the
    /// current message. Reads inside it only advance `pos`; the slow paths
    /// fold it back into `left` first ([`settle`](Self::settle)) and reopen
    /// it after ([`open`](Self::open)). `pos <= lim <= end` always.
    lim: usize,
    end: usize,
    /// Bytes the current message may still take past `lim` (the rest of
    /// the frame, or of the message budget, is `lim - pos + left`).
    left: usize,
    framing: Framing,
    limits: Limits,
    budget: Option<Arc<ByteBudget>>,
    budget_wait: Option<Duration>,
    budget_cancel: Option<Arc<AtomicBool>>,
    /// Bytes of the current frame charged to `budget`.
    charged: usize,
    /// Whether the current frame had to wait for the budget.
    waited: bool,
    /// Between messages: the length of the next frame, charged already
    /// ([`charge_next_now`](Self::charge_next_now)).
    prepaid: Option<usize>,
}

impl<R> Drop for StreamReader<R> {
    fn drop(&mut self) {
        self.uncharge();
    }
}

impl<R> StreamReader<R> {
    fn uncharge(&mut self) {
        if let Some(b) = &self.budget {
            b.release(std::mem::take(&mut self.charged));
        }
    }
}

impl<R: Read> StreamReader<R> {
    /// A reader over `inner` with the given framing and limits.
    pub fn new(inner: R, framing: Framing, limits: Limits) -> StreamReader<R> {
        StreamReader {
            inner,
            buf: ReadBuffer::zeroed(0),
            pos: 0,
            lim: 0,
            end: 0,
            left: 0,
            framing,
            limits,
            budget: None,
            budget_wait: None,
            budget_cancel: None,
            charged: 0,
            waited: false,
            prepaid: None,
        }
    }

    /// Charges frames to `budget` (see [`ByteBudget`]), waiting at most
    /// `wait` for room, and giving up early once `cancel` is set (and the
    /// budget woken with [`ByteBudget::wake_all`]). Unframed readers ignore
    /// it.
    #[must_use]
    pub fn with_budget(
        mut self,
        budget: Arc<ByteBudget>,
        wait: Option<Duration>,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Self {
        self.budget = Some(budget);
        self.budget_wait = wait;
        self.budget_cancel = cancel;
        self
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The underlying stream, mutably.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The framing this reader expects.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Expects `framing` from the next message on (between messages: a
    /// server that learns a connection's framing from its first bytes).
    pub(crate) fn set_framing(&mut self, framing: Framing) {
        self.framing = framing;
    }

    /// Bytes already read from the stream and not yet consumed (e.g. the
    /// next pipelined request).
    pub fn buffered(&self) -> usize {
        self.end - self.pos
    }

    /// Where the whole read buffer is (tests).
    #[cfg(test)]
    pub(crate) fn buffer_range(&self) -> std::ops::Range<usize> {
        let r = self.buf.as_ptr_range();
        r.start as usize..r.end as usize
    }

    /// The bytes read from the stream and not consumed yet.
    // For the event-driven server mode (Linux).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(crate) fn unread(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Between messages: reads more after the unread bytes with `read_now`
    /// (a read that does not wait), moving them to the front of the buffer
    /// and doubling it when it is full, up to `room` bytes (at least
    /// [`READ_BUFFER_SIZE`]): so a peer that stops sending has made the
    /// buffer at most twice what it sent. Returns what `read_now` returned:
    /// the bytes added, 0 at end of stream, or `WouldBlock`; an error once
    /// `room` unread bytes are buffered. (For the event-driven server mode,
    /// and for reading a connection's first bytes, with a blocking `read`.)
    pub(crate) fn fill_now(
        &mut self,
        room: usize,
        read_now: impl FnOnce(&mut R, &mut [u8]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        self.settle();
        let filled = self.fill_now_settled(room.max(READ_BUFFER_SIZE), read_now);
        self.open();
        filled
    }

    fn fill_now_settled(
        &mut self,
        room: usize,
        read_now: impl FnOnce(&mut R, &mut [u8]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        if self.buf.is_empty() {
            self.buf = ReadBuffer::zeroed(INITIAL_BUFFER_SIZE);
        }
        if self.pos > 0 {
            let (pos, end) = (self.pos, self.end);
            match self.buf.get_mut() {
                Some(buf) => buf.copy_within(pos..end, 0),
                // Lent: a new buffer that starts with the unread bytes, as
                // small as they allow (as `fill` does).
                None => {
                    let len = (end - pos).next_power_of_two().max(INITIAL_BUFFER_SIZE);
                    self.buf = ReadBuffer::starting_with(&self.buf[pos..end], len);
                }
            }
            self.end -= self.pos;
            self.pos = 0;
        }
        // The buffer may be a little longer than asked for (whole cache
        // lines): `room` bounds the bytes, not the buffer.
        if self.end >= self.buf.len().min(room) {
            if self.buf.len() >= room {
                return Err(io::Error::other("the read buffer is full"));
            }
            self.grow(self.buf.len().saturating_mul(2).min(room));
        }
        let stop = self.buf.len().min(room);
        let n = read_now(&mut self.inner, &mut self.buf.make_mut()[self.end..stop])?;
        self.end += n;
        Ok(n)
    }

    /// Between messages, with nothing unread: gives back a buffer that grew
    /// past its initial size (a connection parked after a large message
    /// keeps 4 KiB at most; the next read allocates again).
    // For the event-driven server mode (Linux).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(crate) fn shrink_idle(&mut self) {
        if self.pos == self.end && self.buf.len() > INITIAL_BUFFER_SIZE {
            self.settle();
            self.buf = ReadBuffer::zeroed(0);
            self.pos = 0;
            self.end = 0;
            self.open();
        }
    }

    /// After a message that was buffered whole: back to a buffer of at
    /// most [`READ_BUFFER_SIZE`], keeping the unread bytes.
    fn shrink_oversized(&mut self) {
        let unread = self.end - self.pos;
        if self.buf.len() > READ_BUFFER_SIZE && unread <= READ_BUFFER_SIZE {
            self.settle();
            let len = unread.next_power_of_two().max(INITIAL_BUFFER_SIZE);
            self.buf =
                ReadBuffer::starting_with(&self.buf[self.pos..self.end], len.min(READ_BUFFER_SIZE));
            self.pos = 0;
            self.end = unread;
            self.open();
        }
    }

    /// Waits for the next message and starts its byte budget.
    ///
    /// Returns `Ok(false)` when the stream ended cleanly before the first
    /// byte of a message (the peer closed between messages), `Ok(true)` when
    /// a message has started. Framed: reads and checks the frame header.
    pub fn begin_message(&mut self) -> Result<bool> {
        let prepaid = self.prepaid.take();
        if prepaid.is_none() {
            self.uncharge();
        }
        self.waited = false;
        self.set_left(0);
        if self.pos == self.end && self.slow(Self::fill)? == 0 {
            return Ok(false);
        }
        match self.framing {
            Framing::Buffered => {
                self.uncharge();
                self.set_left(self.limits.max_message_size());
            }
            Framing::Framed => {
                let mut header = [0u8; FRAME_HEADER_LEN];
                self.set_left(FRAME_HEADER_LEN);
                self.read_exact(&mut header)?;
                let len = frame_len(header, self.limits.max_frame_size())?;
                if prepaid != Some(len) {
                    self.uncharge();
                }
                if let Some(b) = &self.budget {
                    if len > ByteBudget::UNCHARGED && prepaid != Some(len) {
                        let cancel = self.budget_cancel.as_deref();
                        self.waited = b.acquire(len, self.budget_wait, cancel)?;
                        self.charged = len;
                    }
                }
                self.set_left(len);
            }
        }
        Ok(true)
    }

    /// Between messages, framed: charges the next frame, of `len` bytes, to
    /// the budget if it must be ([`with_budget`](Self::with_budget), a frame
    /// over [`ByteBudget::UNCHARGED`]), without waiting. `false` when the
    /// budget has no room for it now, or when it must be charged and
    /// `behind_others` (other frames wait for the budget already: it does
    /// not go ahead of them); `true` when it is charged (it stays charged
    /// until that message ends) or needs no charge. The event-driven server
    /// mode charges a large frame this way before it buffers the frame's
    /// body, as [`begin_message`](Self::begin_message) would before reading
    /// it.
    // For the event-driven server mode (Linux).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(crate) fn charge_next_now(&mut self, len: usize, behind_others: bool) -> bool {
        if self.budget.is_none()
            || self.framing != Framing::Framed
            || len <= ByteBudget::UNCHARGED
            || self.prepaid == Some(len)
        {
            return true;
        }
        self.uncharge();
        self.prepaid = None;
        if behind_others || !self.budget.as_ref().is_some_and(|b| b.try_acquire(len)) {
            return false;
        }
        self.charged = len;
        self.prepaid = Some(len);
        true
    }

    /// True if the current frame waited for the in-flight budget (the
    /// caller may then restart the message's deadline: the wait was not the
    /// peer's doing).
    pub fn waited_for_budget(&self) -> bool {
        self.waited
    }

    /// Ends the current message. Framed: skips what the protocol left unread
    /// in the frame, so the next message starts at the next frame.
    pub fn end_message(&mut self) -> Result<()> {
        match self.framing {
            Framing::Buffered => {
                self.set_left(0);
                self.shrink_oversized();
                Ok(())
            }
            Framing::Framed => {
                let rest = self.remaining();
                let skipped = self.skip_bytes(rest);
                self.uncharge();
                self.shrink_oversized();
                skipped
            }
        }
    }

    /// True when, after a malformed message, the stream can continue at the
    /// next message: framed streams can (the rest of the frame is skipped),
    /// unframed ones cannot (the message's end is unknown).
    pub fn can_resync(&self) -> bool {
        self.framing == Framing::Framed
    }

    /// Folds the fast window into `left`: afterwards `lim == pos`, and
    /// `left` is all the current message may still take, as the slow paths
    /// expect.
    #[inline]
    fn settle(&mut self) {
        self.left += self.lim - self.pos;
        self.lim = self.pos;
    }

    /// Opens the fast window over the buffered bytes of the message.
    #[inline]
    fn open(&mut self) {
        let n = (self.end - self.pos).min(self.left);
        self.lim = self.pos + n;
        self.left -= n;
    }

    /// Runs a slow path on the settled state, and reopens the window
    /// whatever it returned.
    #[inline]
    fn slow<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.settle();
        let r = f(self);
        self.open();
        r
    }

    /// Makes `n` all the current message may still take.
    #[inline]
    fn set_left(&mut self, n: usize) {
        self.lim = self.pos;
        self.left = n;
        self.open();
    }

    /// Reads more bytes into the buffer; returns how many (0 at end of
    /// stream). Only called when the buffer is empty.
    fn fill(&mut self) -> Result<usize> {
        debug_assert_eq!(self.pos, self.end);
        if self.buf.is_empty() {
            self.buf = ReadBuffer::zeroed(INITIAL_BUFFER_SIZE);
        } else if self.buf.get_mut().is_none() {
            // A lent value still holds the buffer, and nothing in it is
            // unread: a new, small one rather than a copy. (A reader whose
            // values are kept, e.g. a client's replies, so goes on with a
            // small buffer, and large values are read straight into their
            // own memory.)
            self.buf = ReadBuffer::zeroed(INITIAL_BUFFER_SIZE);
        }
        self.pos = 0;
        self.lim = 0;
        self.end = 0;
        loop {
            match self.inner.read(self.buf.make_mut()) {
                Ok(n) => {
                    self.end = n;
                    if n == self.buf.len() && n < READ_BUFFER_SIZE {
                        // Bytes are flowing: a larger buffer for the next
                        // read, up to the usual size (a buffer sized to a
                        // frame may lie between two powers of two).
                        self.grow((n * 2).min(READ_BUFFER_SIZE));
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Replaces the buffer with a larger one that starts with the first
    /// `end` bytes of the old one.
    fn grow(&mut self, len: usize) {
        self.buf = ReadBuffer::starting_with(&self.buf[..self.end], len);
    }

    /// Checks that `n` more bytes fit in the current message.
    #[inline]
    fn take(&mut self, n: usize) -> Result<()> {
        if n > self.left {
            return Err(self.past_end());
        }
        self.left -= n;
        Ok(())
    }

    #[cold]
    fn past_end(&self) -> Error {
        match self.framing {
            // The frame's end is known: a message that does not fit in it
            // is malformed data, not a broken stream.
            Framing::Framed => Error::protocol(
                ProtocolErrorKind::InvalidData,
                "the message runs past the end of its frame",
            ),
            Framing::Buffered => Error::Transport(TransportError::new(
                TransportErrorKind::SizeLimit,
                format!(
                    "message larger than the limit of {} bytes",
                    self.limits.max_message_size()
                ),
            )),
        }
    }

    /// Copies buffered bytes into `out`, refilling as needed.
    fn copy_out(&mut self, mut out: &mut [u8]) -> Result<()> {
        while !out.is_empty() {
            if self.pos == self.end {
                // Large reads bypass the buffer once it is drained.
                if out.len() >= self.buf.len().max(INITIAL_BUFFER_SIZE) {
                    self.read_direct(out)?;
                    return Ok(());
                }
                if self.fill()? == 0 {
                    return Err(eof());
                }
            }
            let n = out.len().min(self.end - self.pos);
            crate::copy::copy(&mut out[..n], &self.buf[self.pos..self.pos + n]);
            self.pos += n;
            out = &mut out[n..];
        }
        Ok(())
    }

    /// `read_exact` when the bytes are not all buffered (or past the
    /// message's end).
    #[inline(never)]
    fn read_exact_slow(&mut self, out: &mut [u8]) -> Result<()> {
        self.slow(|r| r.read_exact_settled(out))
    }

    fn read_exact_settled(&mut self, out: &mut [u8]) -> Result<()> {
        self.take(out.len())?;
        let avail = self.end - self.pos;
        if out.len() <= avail {
            crate::copy::copy(out, &self.buf[self.pos..self.pos + out.len()]);
            self.pos += out.len();
            return Ok(());
        }
        self.copy_out(out)
    }

    /// `read_u8` when the buffer is empty (or at the message's end).
    #[inline(never)]
    fn read_u8_slow(&mut self) -> Result<u8> {
        self.slow(Self::read_u8_settled)
    }

    fn read_u8_settled(&mut self) -> Result<u8> {
        self.take(1)?;
        if self.pos == self.end && self.fill()? == 0 {
            return Err(eof());
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(b)
    }

    /// `read_vec` when the bytes are not all buffered.
    fn read_vec_slow(&mut self, len: usize) -> Result<Vec<u8>> {
        self.slow(|r| r.read_vec_settled(len))
    }

    fn read_vec_settled(&mut self, len: usize) -> Result<Vec<u8>> {
        self.take(len)?;
        // Grows with the bytes that arrive, never from `len` alone.
        let mut out = Vec::with_capacity(len.min(MAX_RESERVE_AHEAD));
        let buffered = len.min(self.end - self.pos);
        crate::copy::extend(&mut out, &self.buf[self.pos..self.pos + buffered]);
        self.pos += buffered;
        let need = len - buffered;
        if need > 0 {
            // The rest straight from the stream into `out`, not copied
            // through the buffer; `read_to_end` grows `out` only as bytes
            // arrive, and reads no byte past the value.
            let got = (&mut self.inner).take(need as u64).read_to_end(&mut out)?;
            if got < need {
                return Err(eof());
            }
        }
        Ok(out)
    }

    fn read_direct(&mut self, mut out: &mut [u8]) -> Result<()> {
        while !out.is_empty() {
            match self.inner.read(out) {
                Ok(0) => return Err(eof()),
                Ok(n) => out = &mut out[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

fn eof() -> Error {
    Error::Transport(TransportError::new(
        TransportErrorKind::EndOfFile,
        "the peer closed the connection in the middle of a message",
    ))
}

impl<R: Read> ReadBytes for StreamReader<R> {
    /// From the buffer when it holds the bytes (the common case, kept small
    /// so that protocol reads inline it); else through the refilling path.
    #[inline]
    fn read_exact(&mut self, out: &mut [u8]) -> Result<()> {
        let n = out.len();
        if let Some(src) = self.ready_bytes().get(..n) {
            crate::copy::copy(out, src);
            self.pos += n;
            return Ok(());
        }
        self.read_exact_slow(out)
    }

    #[inline]
    fn read_u8(&mut self) -> Result<u8> {
        if self.pos < self.lim {
            if let Some(&b) = self.buf.get(self.pos) {
                self.pos += 1;
                return Ok(b);
            }
        }
        self.read_u8_slow()
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.lim - self.pos + self.left
    }

    /// The buffered bytes, up to the end of the current message.
    #[inline]
    fn ready_bytes(&self) -> &[u8] {
        self.buf.get(self.pos..self.lim).unwrap_or_default()
    }

    #[inline]
    fn consume_ready(&mut self, n: usize) {
        self.pos += n.min(self.lim - self.pos);
    }

    #[inline]
    fn read_vec(&mut self, len: usize) -> Result<Vec<u8>> {
        if let Some(bytes) = self.ready_bytes().get(..len) {
            let out = crate::copy::to_vec(bytes);
            self.consume_ready(len);
            return Ok(out);
        }
        self.read_vec_slow(len)
    }

    fn skip_bytes(&mut self, len: usize) -> Result<()> {
        self.slow(|r| r.skip_settled(len))
    }

    /// Framed: reads the rest of the frame into the buffer, which grows
    /// past [`READ_BUFFER_SIZE`] to hold it (doubling as bytes arrive, so a
    /// peer that stalls costs at most twice what it sent; with a budget
    /// ([`with_budget`](Self::with_budget), which the server sets), a
    /// frame over 64 KiB has been charged to it). The next message starts with a
    /// buffer of the usual size again. Unframed: `false`, nothing read.
    fn buffer_message(&mut self) -> Result<bool> {
        if self.framing != Framing::Framed {
            return Ok(false);
        }
        self.slow(Self::buffer_frame_settled)?;
        Ok(true)
    }

    /// A large value all in the buffer is lent from it (see [`LEND_MIN`]);
    /// others are copied.
    #[cfg(feature = "bytes")]
    fn read_shared(&mut self, len: usize) -> Result<bytes::Bytes> {
        if len >= LEND_MIN && len.saturating_mul(4) >= self.buf.len() && self.lim - self.pos >= len
        {
            let start = self.pos;
            self.pos += len;
            let whole = bytes::Bytes::from_owner(self.buf.clone());
            return Ok(whole.slice(start..start + len));
        }
        if let Some(b) = self.ready_bytes().get(..len) {
            let out = bytes::Bytes::from(crate::copy::to_vec(b));
            self.consume_ready(len);
            return Ok(out);
        }
        self.read_vec_slow(len).map(bytes::Bytes::from)
    }
}

impl<R: Read> StreamReader<R> {
    /// Reads until the buffer holds the `left` bytes of the frame after
    /// `pos` (settled state).
    fn buffer_frame_settled(&mut self) -> Result<()> {
        let want = self.left;
        while self.end - self.pos < want {
            let have = self.end - self.pos;
            let lent = self.buf.get_mut().is_none();
            // Move only when no more fits (or the buffer is lent): into a
            // buffer twice the unread bytes, or to the front of this one
            // when that frees at least half of it.
            if lent || self.end == self.buf.len() {
                if !lent && (self.buf.len() >= want || have * 2 <= self.buf.len()) {
                    let (pos, end) = (self.pos, self.end);
                    self.buf.make_mut().copy_within(pos..end, 0);
                } else {
                    let len = (have * 2).max(INITIAL_BUFFER_SIZE).min(want);
                    self.buf = ReadBuffer::starting_with(&self.buf[self.pos..self.end], len);
                }
                self.pos = 0;
                self.end = have;
            }
            let stop = (self.pos + want).min(self.buf.len());
            match self.inner.read(&mut self.buf.make_mut()[self.end..stop]) {
                Ok(0) => return Err(eof()),
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn skip_settled(&mut self, len: usize) -> Result<()> {
        self.take(len)?;
        let mut need = len;
        while need > 0 {
            if self.pos == self.end && self.fill()? == 0 {
                return Err(eof());
            }
            let n = need.min(self.end - self.pos);
            self.pos += n;
            need -= n;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that hands out at most `chunk` bytes per read.
    struct Trickle<'a> {
        data: &'a [u8],
        chunk: usize,
        reads: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.reads += 1;
            let n = buf.len().min(self.chunk).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn fill_now_appends_after_unread_bytes_grows_and_shrinks_when_idle() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let t = Trickle {
            data: &data,
            chunk: 3000,
            reads: 0,
        };
        let mut r = StreamReader::new(t, Framing::Buffered, Limits::default());
        let now = |t: &mut Trickle<'_>, b: &mut [u8]| {
            if t.data.is_empty() {
                Err(io::ErrorKind::WouldBlock.into())
            } else {
                t.read(b)
            }
        };
        let mut got = 0;
        loop {
            match r.fill_now(READ_BUFFER_SIZE, now) {
                Ok(n) => got += n,
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
                    break;
                }
            }
            assert_eq!(r.unread(), &data[..got]);
        }
        assert_eq!(got, data.len());
        // 20,000 unread bytes: the buffer doubled from 4 KiB to 32 KiB.
        assert_eq!(r.buf.len(), 32 * 1024);
        r.begin_message().unwrap();
        let mut out = vec![0u8; 15_000];
        r.read_exact(&mut out).unwrap();
        assert_eq!(out, data[..15_000]);
        // Bytes left unread: the buffer stays.
        r.shrink_idle();
        assert_eq!(r.unread(), &data[15_000..]);
        let mut rest = vec![0u8; 5_000];
        r.read_exact(&mut rest).unwrap();
        assert_eq!(rest, data[15_000..]);
        r.shrink_idle();
        assert!(r.buf.is_empty());
        assert!(r.unread().is_empty());
    }

    fn framed(data: &[u8], chunk: usize) -> StreamReader<Trickle<'_>> {
        let t = Trickle {
            data,
            chunk,
            reads: 0,
        };
        StreamReader::new(t, Framing::Framed, Limits::default())
    }

    #[test]
    fn frames_are_read_one_at_a_time_without_stealing_bytes() {
        let data = [0, 0, 0, 2, b'a', b'b', 0, 0, 0, 1, b'c'];
        for chunk in [1, 3, 64] {
            let mut r = framed(&data, chunk);
            assert!(r.begin_message().unwrap());
            assert_eq!(r.remaining(), 2);
            let mut two = [0u8; 2];
            r.read_exact(&mut two).unwrap();
            assert_eq!(&two, b"ab");
            let err = r.read_u8().unwrap_err();
            assert_eq!(
                err.protocol_kind(),
                Some(ProtocolErrorKind::InvalidData),
                "{err}"
            );
            r.end_message().unwrap();
            assert!(r.begin_message().unwrap());
            assert_eq!(r.read_u8().unwrap(), b'c');
            r.end_message().unwrap();
            assert!(!r.begin_message().unwrap());
        }
    }

    #[test]
    fn end_message_skips_the_unread_rest_of_a_frame() {
        let data = [0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 1, 9];
        let mut r = framed(&data, 2);
        assert!(r.begin_message().unwrap());
        assert_eq!(r.read_u8().unwrap(), 1);
        r.end_message().unwrap();
        assert!(r.begin_message().unwrap());
        assert_eq!(r.read_u8().unwrap(), 9);
    }

    #[test]
    fn bad_frame_sizes_are_rejected_before_allocation() {
        for header in [[0xff, 0xff, 0xff, 0xff], [0, 0xfa, 0, 1], [0, 0, 0, 0]] {
            let mut r = framed(&header, 64);
            let err = r.begin_message().unwrap_err();
            assert!(matches!(err, Error::Transport(_)), "{err}");
            assert!(!err.is_eof());
        }
    }

    #[test]
    fn truncated_frame_header_is_eof() {
        let mut r = framed(&[0, 0], 64);
        assert!(r.begin_message().unwrap_err().is_eof());
    }

    #[test]
    fn buffered_budget_is_the_message_limit() {
        let data = [1u8; 10];
        let t = Trickle {
            data: &data,
            chunk: 4,
            reads: 0,
        };
        let limits = Limits::default().with_max_message_size(6);
        let mut r = StreamReader::new(t, Framing::Buffered, limits);
        assert!(r.begin_message().unwrap());
        assert_eq!(r.remaining(), 6);
        assert_eq!(r.read_vec(5).unwrap(), [1; 5]);
        let err = r.read_vec(2).unwrap_err();
        assert!(matches!(&err, Error::Transport(t) if t.kind == TransportErrorKind::SizeLimit));
        r.end_message().unwrap();
        assert!(r.begin_message().unwrap());
        assert_eq!(r.remaining(), 6);
    }

    #[test]
    fn small_reads_are_served_from_the_buffer() {
        let data: Vec<u8> = (0..200u8).collect();
        let t = Trickle {
            data: &data,
            chunk: usize::MAX,
            reads: 0,
        };
        let mut r = StreamReader::new(t, Framing::Buffered, Limits::default());
        assert!(r.begin_message().unwrap());
        for i in 0..200u8 {
            assert_eq!(r.read_u8().unwrap(), i);
        }
        assert_eq!(r.get_ref().reads, 1);
    }

    #[test]
    fn large_reads_and_skips_cross_buffer_refills() {
        let data: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
        let t = Trickle {
            data: &data,
            chunk: 10_000,
            reads: 0,
        };
        let mut r = StreamReader::new(t, Framing::Buffered, Limits::default());
        assert!(r.begin_message().unwrap());
        r.skip_bytes(3).unwrap();
        let v = r.read_vec(100_000).unwrap();
        assert_eq!(v[..], data[3..100_003]);
        let mut big = vec![0u8; 150_000];
        r.read_exact(&mut big).unwrap();
        assert_eq!(big[..], data[100_003..250_003]);
        r.skip_bytes(49_997).unwrap();
        assert!(r.read_u8().unwrap_err().is_eof());
    }

    #[test]
    fn a_large_read_that_the_stream_ends_inside_is_eof() {
        let data = vec![7u8; 50_000];
        let t = Trickle {
            data: &data,
            chunk: 4_000,
            reads: 0,
        };
        let mut r = StreamReader::new(t, Framing::Buffered, Limits::default());
        assert!(r.begin_message().unwrap());
        assert!(r.read_vec(60_000).unwrap_err().is_eof());
    }

    /// Every read of a frame, in any mix and at any chunking of the
    /// stream, gives the frame's bytes in order, and `remaining` always
    /// counts what the frame has left: the fast window and the slow paths
    /// agree.
    #[test]
    fn mixed_reads_track_the_frame_at_every_chunking() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let frames: Vec<Vec<u8>> = (0..40)
            .map(|i| (0..next(9000) + 1).map(|j| (i * 31 + j) as u8).collect())
            .collect();
        let mut stream = Vec::new();
        for f in &frames {
            stream.extend_from_slice(&(f.len() as u32).to_be_bytes());
            stream.extend_from_slice(f);
        }
        for chunk in [1, 2, 5, 64, 1000, 5000, 1 << 20] {
            let mut r = framed(&stream, chunk);
            for f in &frames {
                assert!(r.begin_message().unwrap());
                let mut at = 0;
                // Leave some frames partly unread: end_message skips the rest.
                let stop = if f.len() % 3 == 0 {
                    f.len() / 2
                } else {
                    f.len()
                };
                while at < stop {
                    assert_eq!(r.remaining(), f.len() - at, "chunk {chunk}");
                    let n = (next(300) + 1).min(stop - at);
                    match next(5) {
                        0 => {
                            assert_eq!(r.read_u8().unwrap(), f[at]);
                            at += 1;
                            continue;
                        }
                        1 => {
                            let mut out = vec![0u8; n];
                            r.read_exact(&mut out).unwrap();
                            assert_eq!(out, f[at..at + n]);
                        }
                        2 => assert_eq!(r.read_vec(n).unwrap(), f[at..at + n]),
                        3 => r.skip_bytes(n).unwrap(),
                        _ => {
                            let ready = r.ready_bytes();
                            let k = n.min(ready.len());
                            assert_eq!(ready[..k], f[at..at + k]);
                            r.consume_ready(k);
                            at += k;
                            continue;
                        }
                    }
                    at += n;
                }
                r.end_message().unwrap();
                assert_eq!(r.remaining(), 0);
            }
            assert!(!r.begin_message().unwrap(), "chunk {chunk}: clean end");
        }
    }

    /// A large value all in the buffer is lent from it; the reader then
    /// never writes over it while it is alive, and reuses the buffer once
    /// it is gone. Small values, and values not all buffered, are copies.
    #[cfg(feature = "bytes")]
    #[test]
    fn large_buffered_values_are_lent_and_never_overwritten() {
        let value = |n: usize, k: u8| -> Vec<u8> { (0..n).map(|i| (i as u8) ^ k).collect() };
        let sizes = [40_000, 100, 33_000, 20_000, 300_000, 40_000];
        let mut stream = Vec::new();
        for (k, &n) in sizes.iter().enumerate() {
            stream.extend_from_slice(&(n as u32).to_be_bytes());
            stream.extend_from_slice(&value(n, k as u8));
        }
        let mut r = framed(&stream, 1 << 20);
        // Full size from the start, so what is buffered is known.
        r.buf = ReadBuffer::zeroed(READ_BUFFER_SIZE);
        // Lent: at least LEND_MIN and a quarter of the buffer, and all
        // buffered. The first read buffers values 0 to 3; value 2 is just
        // over a quarter of it, value 3 under; value 4 is larger than the
        // buffer. The read after it finds the buffer lent (values 0 and 2
        // are kept), so it goes on with a new, small buffer, and value 5 is
        // read into its own memory.
        let lends = [true, false, true, false, false, false];
        let mut kept = Vec::new();
        for (k, &n) in sizes.iter().enumerate() {
            assert!(r.begin_message().unwrap());
            let v = r.read_shared(n).unwrap();
            r.end_message().unwrap();
            assert_eq!(v, value(n, k as u8));
            let buf = r.buf.as_ptr() as usize..r.buf.as_ptr() as usize + r.buf.len();
            let lent = buf.contains(&(v.as_ptr() as usize));
            assert_eq!(lent, lends[k], "value {k} of {n} bytes");
            kept.push(v);
        }
        assert!(r.buf.len() < READ_BUFFER_SIZE, "a new, small buffer");
        // Every value is intact after the reads that followed it.
        for (k, v) in kept.iter().enumerate() {
            assert_eq!(*v, value(sizes[k], k as u8), "value {k}");
        }
        // With no value alive, the next read reuses the buffer.
        drop(kept);
        let mut two = Vec::new();
        for k in 0..2u8 {
            two.extend_from_slice(&40_000u32.to_be_bytes());
            two.extend_from_slice(&value(40_000, k));
        }
        // One message per read.
        let mut r = framed(&two, 40_004);
        r.buf = ReadBuffer::zeroed(READ_BUFFER_SIZE);
        let first = r.buf.as_ptr();
        for k in 0..2u8 {
            assert!(r.begin_message().unwrap());
            let v = r.read_shared(40_000).unwrap();
            r.end_message().unwrap();
            assert_eq!(v, value(40_000, k));
            assert_eq!(r.buf.as_ptr(), first, "message {k}: the same buffer");
            assert_eq!(v.as_ptr(), first.wrapping_add(4), "message {k}: lent");
        }
    }

    fn check_invariants<R: Read>(r: &StreamReader<R>, what: &str) {
        assert!(
            r.pos <= r.lim && r.lim <= r.end && r.end <= r.buf.len(),
            "{what}: pos {} lim {} end {} len {}",
            r.pos,
            r.lim,
            r.end,
            r.buf.len()
        );
    }

    /// A stream that hands out `chunk` bytes per read and counts the reads
    /// whose slice does not continue where the previous read's bytes ended
    /// (i.e. the reader moved to another buffer, or moved its bytes).
    struct Tracking<'a> {
        data: &'a [u8],
        chunk: usize,
        reads: usize,
        next_at: usize,
        jumps: usize,
    }

    impl Read for Tracking<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.reads += 1;
            if buf.as_ptr() as usize != self.next_at {
                self.jumps += 1;
            }
            let n = buf.len().min(self.chunk).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            self.next_at = buf.as_ptr() as usize + n;
            Ok(n)
        }
    }

    fn frame_bytes(len: usize, k: u8) -> Vec<u8> {
        (0..len).map(|i| (i as u8).wrapping_mul(31) ^ k).collect()
    }

    #[test]
    fn fill_now_grows_past_the_read_buffer_up_to_the_room() {
        let data = frame_bytes(300_000, 5);
        let t = Trickle {
            data: &data,
            chunk: 7_000,
            reads: 0,
        };
        let mut r = StreamReader::new(t, Framing::Buffered, Limits::default());
        let now = |t: &mut Trickle<'_>, b: &mut [u8]| {
            if t.data.is_empty() {
                Err(io::ErrorKind::WouldBlock.into())
            } else {
                t.read(b)
            }
        };
        let room = 250_000;
        let mut got = 0;
        let err = loop {
            match r.fill_now(room, now) {
                Ok(n) => got += n,
                Err(e) => break e,
            }
            // At most twice what arrived (and the initial buffer).
            assert!(r.buf.len() <= (2 * got).max(INITIAL_BUFFER_SIZE), "{got}");
            assert_eq!(r.unread(), &data[..got]);
        };
        assert_ne!(err.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(got, room);
        // Whole cache lines: at most 63 bytes more than `room`.
        assert!((room..room + 64).contains(&r.buf.len()), "{}", r.buf.len());
        // Once consumed, the buffer is back to the usual size.
        r.begin_message().unwrap();
        let mut out = vec![0u8; room];
        r.read_exact(&mut out).unwrap();
        r.end_message().unwrap();
        assert!(r.buf.len() <= READ_BUFFER_SIZE, "{}", r.buf.len());
    }

    #[test]
    fn a_frame_charged_ahead_is_charged_once_and_returned_at_its_end() {
        let body = frame_bytes(100_000, 1);
        let mut data = (body.len() as u32).to_be_bytes().to_vec();
        data.extend(&body);
        data.extend(3u32.to_be_bytes());
        data.extend(b"abc");
        let budget = ByteBudget::new(150_000);
        let mut r = framed(&data, usize::MAX).with_budget(budget.clone(), None, None);
        assert!(!r.charge_next_now(body.len(), true), "went ahead of others");
        assert_eq!(budget.in_use(), 0);
        assert!(r.charge_next_now(body.len(), false));
        assert!(r.charge_next_now(body.len(), true), "charged again");
        assert_eq!(budget.in_use(), body.len());
        // Another reader finds no room meanwhile.
        assert!(!budget.try_acquire(60_000));
        assert!(r.begin_message().unwrap());
        assert_eq!(
            budget.in_use(),
            body.len(),
            "begin_message charged it again"
        );
        let mut out = vec![0u8; body.len()];
        r.read_exact(&mut out).unwrap();
        assert_eq!(out, body);
        r.end_message().unwrap();
        assert_eq!(budget.in_use(), 0);
        // Small frames need no charge.
        assert!(r.charge_next_now(3, true));
        assert!(r.begin_message().unwrap());
        assert_eq!(budget.in_use(), 0);
        // A charge ahead that is never used is returned with the reader.
        let mut r2 = framed(&data, usize::MAX).with_budget(budget.clone(), None, None);
        assert!(r2.charge_next_now(body.len(), false));
        drop(r2);
        assert_eq!(budget.in_use(), 0);
    }

    /// A frame arriving in pieces is buffered by doubling: the buffer
    /// moves O(log n) times, not once per read.
    #[test]
    fn buffer_message_moves_the_buffer_a_logarithmic_number_of_times() {
        let len = 2 << 20;
        let mut stream = (len as u32).to_be_bytes().to_vec();
        stream.extend(frame_bytes(len, 1));
        let t = Tracking {
            data: &stream,
            chunk: 1000,
            reads: 0,
            next_at: 0,
            jumps: 0,
        };
        let mut r = StreamReader::new(t, Framing::Framed, Limits::default());
        assert!(r.begin_message().unwrap());
        let before = r.get_ref().jumps;
        let started = std::time::Instant::now();
        assert!(r.buffer_message().unwrap());
        let jumps = r.get_ref().jumps - before;
        let reads = r.get_ref().reads;
        assert_eq!(r.ready_bytes(), &stream[4..]);
        assert!(
            jumps <= 20,
            "{jumps} buffer moves for {reads} reads of a {len}-byte frame, in {:?}",
            started.elapsed()
        );
    }

    /// A buffer sized to a frame (about 100,000 bytes) that the next read
    /// fills grows to the usual size, not past it.
    #[test]
    fn a_frame_sized_buffer_grows_no_larger_than_the_read_buffer() {
        let (first, second) = (frame_bytes(100_000, 1), frame_bytes(300_000, 2));
        let mut stream = (first.len() as u32).to_be_bytes().to_vec();
        stream.extend(&first);
        stream.extend((second.len() as u32).to_be_bytes());
        stream.extend(&second);
        let mut r = framed(&stream, usize::MAX);
        assert!(r.begin_message().unwrap());
        r.skip_bytes(1).unwrap();
        assert!(r.buffer_message().unwrap());
        r.end_message().unwrap();
        // Sized to the frame: doubling it would pass the usual size.
        let sized = r.buf.len();
        assert!(
            sized > READ_BUFFER_SIZE / 2 && sized < READ_BUFFER_SIZE,
            "{sized}"
        );
        assert!(r.begin_message().unwrap());
        assert!(r.buf.len() <= READ_BUFFER_SIZE, "{}", r.buf.len());
        assert_eq!(r.read_vec(second.len()).unwrap(), second);
        r.end_message().unwrap();
    }

    /// Invariants, accounting, pipelined frames and the shrink after the
    /// message, at several chunkings and prefix lengths.
    #[test]
    fn buffer_message_keeps_the_invariants_and_the_next_frame() {
        let sizes = [1usize, 10, 5_000, 200_000, 5 << 20];
        for chunk in [1usize, 3, 1000, 65_536, usize::MAX] {
            for &len in &sizes {
                if chunk < 1000 && len > 5_000 {
                    continue; // too slow byte by byte
                }
                for prefix in [0usize, 1, len / 2, len] {
                    let prefix = prefix.min(len);
                    let big = frame_bytes(len, 3);
                    let next = frame_bytes(50, 9);
                    let mut stream = (len as u32).to_be_bytes().to_vec();
                    stream.extend(&big);
                    stream.extend((next.len() as u32).to_be_bytes());
                    stream.extend(&next);
                    let mut r = framed(&stream, chunk);
                    let what = format!("chunk {chunk} len {len} prefix {prefix}");
                    assert!(r.begin_message().unwrap());
                    r.skip_bytes(prefix).unwrap();
                    check_invariants(&r, &what);
                    assert!(r.buffer_message().unwrap());
                    check_invariants(&r, &what);
                    assert_eq!(r.remaining(), len - prefix, "{what}");
                    assert_eq!(r.ready_bytes(), &big[prefix..], "{what}");
                    // A second call reads nothing more.
                    let reads = r.get_ref().reads;
                    assert!(r.buffer_message().unwrap());
                    assert_eq!(r.get_ref().reads, reads, "{what}");
                    r.end_message().unwrap();
                    check_invariants(&r, &what);
                    assert!(r.buf.len() <= READ_BUFFER_SIZE, "{what}: {}", r.buf.len());
                    assert!(r.begin_message().unwrap());
                    assert_eq!(r.read_vec(next.len()).unwrap(), next, "{what}");
                    r.end_message().unwrap();
                    assert!(!r.begin_message().unwrap(), "{what}");
                }
            }
        }
    }

    #[test]
    fn buffer_message_fails_at_an_end_of_stream_inside_the_frame() {
        for chunk in [1usize, 7, usize::MAX] {
            let mut stream = 300_000u32.to_be_bytes().to_vec();
            stream.extend(frame_bytes(1234, 0));
            let mut r = framed(&stream, chunk);
            assert!(r.begin_message().unwrap());
            assert!(r.buffer_message().unwrap_err().is_eof(), "chunk {chunk}");
            check_invariants(&r, "eof");
        }
        // A header announcing 16 MB and nothing after it allocates nothing
        // like 16 MB.
        let stream = (16u32 << 20).to_be_bytes();
        let t = Trickle {
            data: &stream,
            chunk: 64,
            reads: 0,
        };
        let limits = Limits::default().with_max_frame_size(16 << 20);
        let mut r = StreamReader::new(t, Framing::Framed, limits);
        assert!(r.begin_message().unwrap());
        assert!(r.buffer_message().unwrap_err().is_eof());
        assert!(r.buf.len() <= INITIAL_BUFFER_SIZE, "{}", r.buf.len());
    }

    /// A value lent from the buffer stays intact while the frame it is
    /// part of is buffered whole.
    #[cfg(feature = "bytes")]
    #[test]
    fn buffer_message_keeps_lent_values_intact() {
        for chunk in [1000usize, 40_000, usize::MAX] {
            let len = 600_000;
            let big = frame_bytes(len, 5);
            let mut stream = (len as u32).to_be_bytes().to_vec();
            stream.extend(&big);
            stream.extend(4u32.to_be_bytes());
            stream.extend(b"next");
            let mut r = framed(&stream, chunk);
            r.buf = ReadBuffer::zeroed(READ_BUFFER_SIZE);
            assert!(r.begin_message().unwrap());
            // Make sure 40,000 bytes are buffered so the value is lent.
            while r.ready_bytes().len() < 40_000 {
                let _ = r.slow(|r| {
                    let (pos, end) = (r.pos, r.end);
                    let n = r.inner.read(&mut r.buf.make_mut()[end..])?;
                    let _ = pos;
                    r.end += n;
                    Ok(())
                });
            }
            let v = r.read_shared(40_000).unwrap();
            let bufr = r.buf.as_ptr() as usize..r.buf.as_ptr() as usize + r.buf.len();
            assert!(bufr.contains(&(v.as_ptr() as usize)), "chunk {chunk}: lent");
            assert!(r.buffer_message().unwrap());
            check_invariants(&r, "lent");
            assert_eq!(v, big[..40_000], "chunk {chunk}");
            assert_eq!(r.ready_bytes(), &big[40_000..], "chunk {chunk}");
            r.end_message().unwrap();
            assert_eq!(v, big[..40_000], "chunk {chunk}");
            assert!(r.buf.len() <= READ_BUFFER_SIZE);
            assert!(r.begin_message().unwrap());
            assert_eq!(r.read_vec(4).unwrap(), b"next");
        }
    }
}
