//! TCP sockets as transports: [`SocketReader`] and [`SocketWriter`] over one
//! shared [`TcpStream`], with the timeouts the server and client need.
//!
//! Both sides set `TCP_NODELAY` (see [`tune`]) and send each message with one
//! `write` ([`MessageWriter`]), so no call waits for Nagle's algorithm or a
//! delayed ACK.
//!
//! Reads go through [`TimedStream`], which applies two timeouts: an idle
//! timeout while waiting for the first byte of a message, and a deadline for
//! the rest of a started message (so a peer sending one byte every few
//! seconds cannot hold a connection open). Between messages the socket's
//! timeout is left alone, so a request that arrives in one piece costs no
//! extra system call.

use std::io::{self, IoSlice, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::transport::buffered::StreamReader;
use crate::transport::writer::MessageWriter;

/// The read side of a connection.
pub type SocketReader = StreamReader<TimedStream>;

/// The write side of a connection.
pub type SocketWriter = MessageWriter<SharedStream>;

/// Sets the socket options for RPC latency: `TCP_NODELAY`, and the write
/// timeout (`None`: block indefinitely).
pub fn tune(stream: &TcpStream, write_timeout: Option<Duration>) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_write_timeout(write_timeout.filter(|d| !d.is_zero()))
}

/// A [`TcpStream`] shared by the read and write sides of one connection
/// (and by the server's registry, which shuts it down on stop) without
/// duplicating its file descriptor.
#[derive(Clone, Debug)]
pub struct SharedStream(pub Arc<TcpStream>);

impl Read for SharedStream {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

impl SharedStream {
    /// Sends what the socket takes of `parts` now, without waiting
    /// (`WouldBlock` when it takes nothing), whatever its timeouts.
    #[cfg(target_os = "linux")]
    pub(crate) fn send_now(&mut self, parts: &[IoSlice<'_>]) -> io::Result<usize> {
        use rustix::net::SendFlags;
        loop {
            match send_parts(&self.0, parts, SendFlags::DONTWAIT | SendFlags::NOSIGNAL) {
                Ok(n) => return Ok(n),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl MessageWriter<SharedStream> {
    /// Sends what is left of a waiting (deferred) reply without waiting:
    /// `Ok(true)` once it is all sent, `Ok(false)` when the socket takes no
    /// more for now (see [`MessageWriter::send_now`]).
    #[cfg(target_os = "linux")]
    pub(crate) fn send_waiting_now(&mut self) -> io::Result<bool> {
        self.send_now(|stream, parts| stream.send_now(parts))
    }
}

impl Write for SharedStream {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self.0).write(buf)
    }

    /// Writes all of `buf`. The socket's write timeout bounds the whole
    /// call, not each `write`: a peer that reads a little at a time cannot
    /// hold the writer longer.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write_all_parts(&mut [IoSlice::new(buf)])
    }

    /// Writes all of `bufs` (a message sent from several places, see
    /// [`MessageWriter`]) within one write timeout, and returns their
    /// length: it never stops part-way except with an error.
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let total = bufs.iter().map(|b| b.len()).sum();
        let mut parts = bufs.to_vec();
        self.write_all_parts(&mut parts)?;
        Ok(total)
    }

    #[inline]
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl SharedStream {
    /// Writes all of `parts`. The socket's write timeout bounds the whole
    /// call, not each `write`: a peer that reads a little at a time cannot
    /// hold the writer longer. Most calls end with their first `write`;
    /// after a partial one (which may itself have waited up to the socket's
    /// timeout) the rest gets what is left of the timeout since the call
    /// began.
    fn write_all_parts(&mut self, mut parts: &mut [IoSlice<'_>]) -> io::Result<()> {
        let stream = &*self.0;
        let began = Instant::now();
        let total: usize = parts.iter().map(|b| b.len()).sum();
        match write_parts(stream, parts) {
            Ok(n) if n == total => return Ok(()),
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut parts, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        let timeout = stream.write_timeout()?;
        let deadline = timeout.map(|t| began + t);
        let mut current = timeout;
        let written = loop {
            if parts.is_empty() {
                break Ok(());
            }
            if let Some(deadline) = deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "reply not sent before its deadline",
                    ));
                }
                if current.is_some_and(|c| left.abs_diff(c) > TIMEOUT_SLACK) {
                    // On failure the loop ends, and the timeout is put back.
                    if let Err(e) = stream.set_write_timeout(Some(left)) {
                        break Err(e);
                    }
                    current = Some(left);
                }
            }
            match write_parts(stream, parts) {
                Ok(0) => break Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut parts, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        if current != timeout {
            stream.set_write_timeout(timeout)?;
        }
        written
    }
}

/// The most parts one `sendmsg` may carry (Linux's `UIO_MAXIOV`).
const MAX_PARTS: usize = 1024;

/// One send of `parts` (of the first [`MAX_PARTS`]) with `flags`: `send`
/// for one part, else `sendmsg`.
#[cfg(target_os = "linux")]
fn send_parts(
    stream: &TcpStream,
    parts: &[IoSlice<'_>],
    flags: rustix::net::SendFlags,
) -> rustix::io::Result<usize> {
    use rustix::net::{SendAncillaryBuffer, send, sendmsg};
    match &parts[..parts.len().min(MAX_PARTS)] {
        [one] => send(stream, one, flags),
        parts => sendmsg(stream, parts, &mut SendAncillaryBuffer::default(), flags),
    }
}

/// One blocking `write` of `parts`, with `MSG_NOSIGNAL` on Linux (as std's
/// `write` has), so a peer gone away is an error, never a `SIGPIPE`.
#[cfg(target_os = "linux")]
fn write_parts(stream: &TcpStream, parts: &[IoSlice<'_>]) -> io::Result<usize> {
    Ok(send_parts(stream, parts, rustix::net::SendFlags::NOSIGNAL)?)
}

/// One blocking `write` of `parts` (of the first [`MAX_PARTS`]).
#[cfg(not(target_os = "linux"))]
fn write_parts(mut stream: &TcpStream, parts: &[IoSlice<'_>]) -> io::Result<usize> {
    match &parts[..parts.len().min(MAX_PARTS)] {
        [one] => stream.write(one),
        parts => stream.write_vectored(parts),
    }
}

/// The read half of a socket with an idle timeout between messages and a
/// deadline for finishing a started message.
#[derive(Debug)]
pub struct TimedStream {
    stream: Arc<TcpStream>,
    idle: Option<Duration>,
    message: Option<Duration>,
    deadline: Option<Instant>,
    /// The read timeout currently set on the socket.
    current: Option<Duration>,
}

impl TimedStream {
    /// Wraps `stream`. `idle` bounds the wait for a message to start,
    /// `message` the time to receive the rest of it; `None` (or zero) means
    /// no limit.
    pub fn new(
        stream: Arc<TcpStream>,
        idle: Option<Duration>,
        message: Option<Duration>,
    ) -> io::Result<TimedStream> {
        let idle = idle.filter(|d| !d.is_zero());
        stream.set_read_timeout(idle)?;
        Ok(TimedStream {
            stream,
            idle,
            message: message.filter(|d| !d.is_zero()),
            deadline: None,
            current: idle,
        })
    }

    /// The socket.
    pub fn stream(&self) -> &Arc<TcpStream> {
        &self.stream
    }

    /// Between messages: the next read waits at most the idle timeout.
    #[inline]
    pub fn wait_idle(&mut self) {
        self.deadline = None;
    }

    /// Restarts the current message's deadline from now (after a wait that
    /// was not the peer's doing).
    #[inline]
    pub fn restart_message(&mut self) {
        self.deadline = None;
        self.start_message();
    }

    /// A message started at `at` (its first bytes arrived then, before this
    /// reader was asked for the rest): its deadline runs from then.
    pub fn start_message_at(&mut self, at: Instant) {
        self.deadline = self.message.and_then(|d| at.checked_add(d));
    }

    /// A message has started (its first bytes were already buffered): the
    /// rest of it must arrive before the message deadline. A read that
    /// returns bytes while idle starts the deadline by itself.
    #[inline]
    pub fn start_message(&mut self) {
        if self.deadline.is_none() {
            self.deadline = self.message.and_then(|d| Instant::now().checked_add(d));
        }
    }
}

impl TimedStream {
    /// Reads what has arrived without waiting (`WouldBlock` when nothing
    /// has), whatever the socket's timeouts.
    #[cfg(target_os = "linux")]
    pub(crate) fn read_now(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use rustix::net::{RecvFlags, recv};
        loop {
            match recv(&*self.stream, &mut *buf, RecvFlags::DONTWAIT) {
                Ok((n, _)) => return Ok(n),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl Read for TimedStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = match self.deadline {
            None => self.idle,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "message not received before its deadline",
                    ));
                }
                Some(left)
            }
        };
        if !close_enough(want, self.current) {
            self.stream.set_read_timeout(want)?;
            self.current = want;
        }
        let n = (&*self.stream).read(buf)?;
        if n > 0 && self.deadline.is_none() {
            // The first bytes of a message: its deadline runs from now.
            self.start_message();
        }
        Ok(n)
    }
}

/// How far the socket's timeout may be from the one wanted before it is set
/// again: a deadline fires within this of its time. Without it, every read
/// during a message (the time left shrinks by microseconds between reads)
/// and every client call (the deadline starts at each send) would cost a
/// `setsockopt` system call.
const TIMEOUT_SLACK: Duration = Duration::from_millis(10);

fn close_enough(want: Option<Duration>, current: Option<Duration>) -> bool {
    match (want, current) {
        (None, None) => true,
        (Some(w), Some(c)) => w.abs_diff(c) <= TIMEOUT_SLACK,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn message_deadline_stops_a_trickling_peer() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            for _ in 0..20 {
                if s.write_all(&[1]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(40));
            }
        });
        let (s, _) = listener.accept().unwrap();
        let mut t = TimedStream::new(
            Arc::new(s),
            Some(Duration::from_secs(5)),
            Some(Duration::from_millis(150)),
        )
        .unwrap();
        let mut b = [0u8; 1];
        // The first byte starts the message deadline.
        assert_eq!(t.read(&mut b).unwrap(), 1);
        let started = Instant::now();
        let err = loop {
            match t.read(&mut b) {
                Ok(n) => assert_eq!(n, 1, "the peer closed early"),
                Err(e) => break e,
            }
        };
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_millis(600));
        drop(t);
        peer.join().unwrap();
    }

    /// A message of more spliced values than one `sendmsg` may carry
    /// goes out whole, through several calls.
    #[cfg(feature = "bytes")]
    #[test]
    fn a_message_of_many_spliced_values_is_sent_whole() {
        use crate::transport::WriteBytes;
        use crate::transport::buffered::Framing;
        use crate::transport::writer::SPLICE_MIN;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = std::thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap();
            got
        });
        let (s, _) = listener.accept().unwrap();
        let mut w = MessageWriter::new(
            SharedStream(Arc::new(s)),
            Framing::Buffered,
            crate::Limits::default(),
        )
        .splice_shared_values(true);
        let values: Vec<bytes::Bytes> = (0..700u32)
            .map(|i| bytes::Bytes::from(vec![i as u8; SPLICE_MIN]))
            .collect();
        let mut want = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let sep = [i as u8, (i >> 8) as u8];
            w.write_all(&sep).unwrap();
            w.write_shared(v).unwrap();
            want.extend_from_slice(&sep);
            want.extend_from_slice(v);
        }
        w.flush().unwrap();
        drop(w);
        assert!(peer.join().unwrap() == want);
    }
}
