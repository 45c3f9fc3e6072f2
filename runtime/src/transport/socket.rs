//! Sockets as transports: [`SocketReader`] and [`SocketWriter`] over one
//! shared stream socket, with the timeouts the server and client need.
//!
//! The stream is TCP, or on Unix platforms a Unix domain socket: both are
//! a [`SocketStream`], and [`Socket`] is either one (what the server
//! accepts). Reads, writes, timeouts and shutdowns are the same system
//! calls for both; only TCP has `TCP_NODELAY` and IP addresses.
//!
//! Both sides set `TCP_NODELAY` on TCP (see [`tune`]) and send each message
//! with one `write` ([`MessageWriter`]), so no call waits for Nagle's
//! algorithm or a delayed ACK.
//!
//! Reads go through [`TimedStream`], which applies two timeouts: an idle
//! timeout while waiting for the first byte of a message, and a deadline for
//! the rest of a started message (so a peer sending one byte every few
//! seconds cannot hold a connection open). Between messages the socket's
//! timeout is left alone, so a request that arrives in one piece costs no
//! extra system call.

use std::fmt;
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
#[cfg(unix)]
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::transport::buffered::StreamReader;
use crate::transport::writer::MessageWriter;

/// The read side of a connection.
pub type SocketReader = StreamReader<TimedStream<Socket>>;

/// The write side of a connection.
pub type SocketWriter = MessageWriter<SharedStream<Socket>>;

/// A connected stream socket the transports run over: [`TcpStream`],
/// [`UnixStream`] (Unix platforms), or
/// [`Socket`] (either). Implemented by these types only.
pub trait SocketStream: sealed::Ops + fmt::Debug + Send + Sync + Sized + 'static {}

impl SocketStream for TcpStream {}
#[cfg(unix)]
impl SocketStream for UnixStream {}
impl SocketStream for Socket {}

/// What the transports, the server and the client do with a socket: the
/// same calls for every kind, as methods only this crate can call.
pub(crate) mod sealed {
    use super::*;

    pub trait Ops {
        /// Where a client connects to reach a server of this kind.
        type Target: Clone + fmt::Debug + Send + Sync + 'static;
        /// Where `target` leads, for people (in connect errors).
        fn describe(target: &Self::Target) -> String;
        fn connect_to(target: &Self::Target, timeout: Duration) -> io::Result<Self>
        where
            Self: Sized;
        fn read_from(&self, buf: &mut [u8]) -> io::Result<usize>;
        fn write_to(&self, buf: &[u8]) -> io::Result<usize>;
        fn write_vectored_to(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
        fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()>;
        fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()>;
        fn write_timeout(&self) -> io::Result<Option<Duration>>;
        fn set_nonblocking(&self, yes: bool) -> io::Result<()>;
        fn shutdown(&self, how: Shutdown) -> io::Result<()>;
        /// `TCP_NODELAY` where the kind has it; nothing else.
        fn set_nodelay_if_tcp(&self) -> io::Result<()>;
        /// A read that does not wait finds nothing: no bytes, no end of
        /// the stream, no error. May consume what it finds (the caller
        /// closes a socket that is not quiet).
        fn is_quiet(&self) -> bool;
        #[cfg(unix)]
        fn fd(&self) -> std::os::fd::BorrowedFd<'_>;
        /// The async stream of this kind (feature `tokio`).
        #[cfg(feature = "tokio")]
        type Async: crate::tokio::AsyncStream;
        /// Connects an async stream of this kind, as
        /// [`connect_to`](Ops::connect_to) connects a blocking one.
        #[cfg(feature = "tokio")]
        fn connect_async(
            target: &Self::Target,
            timeout: Duration,
        ) -> impl std::future::Future<Output = io::Result<Self::Async>> + Send;
    }
}

use sealed::Ops;

/// One kind's [`Ops`] forwarded to its std type (both have the same
/// inherent methods).
macro_rules! forward_ops {
    () => {
        fn read_from(&self, buf: &mut [u8]) -> io::Result<usize> {
            (&*self).read(buf)
        }
        fn write_to(&self, buf: &[u8]) -> io::Result<usize> {
            (&*self).write(buf)
        }
        fn write_vectored_to(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            (&*self).write_vectored(bufs)
        }
        fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
            Self::set_read_timeout(self, t)
        }
        fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
            Self::set_write_timeout(self, t)
        }
        fn write_timeout(&self) -> io::Result<Option<Duration>> {
            Self::write_timeout(self)
        }
        fn set_nonblocking(&self, yes: bool) -> io::Result<()> {
            Self::set_nonblocking(self, yes)
        }
        fn shutdown(&self, how: Shutdown) -> io::Result<()> {
            Self::shutdown(self, how)
        }
        #[cfg(unix)]
        fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
            std::os::fd::AsFd::as_fd(self)
        }
    };
}

impl Ops for TcpStream {
    type Target = Vec<SocketAddr>;
    #[cfg(feature = "tokio")]
    type Async = ::tokio::net::TcpStream;

    #[cfg(feature = "tokio")]
    async fn connect_async(
        addrs: &Vec<SocketAddr>,
        timeout: Duration,
    ) -> io::Result<::tokio::net::TcpStream> {
        crate::tokio::stream::connect_tcp(addrs, timeout).await
    }

    fn describe(addrs: &Vec<SocketAddr>) -> String {
        describe_all(addrs)
    }

    /// Tries each address in turn, each within `timeout` (zero: the
    /// operating system's); the last failure if none answers.
    fn connect_to(addrs: &Vec<SocketAddr>, timeout: Duration) -> io::Result<TcpStream> {
        let mut last = None;
        for addr in addrs {
            let connect = if timeout.is_zero() {
                TcpStream::connect(addr)
            } else {
                TcpStream::connect_timeout(addr, timeout)
            };
            match connect {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address")))
    }

    forward_ops!();

    fn set_nodelay_if_tcp(&self) -> io::Result<()> {
        self.set_nodelay(true)
    }

    #[cfg(target_os = "linux")]
    fn is_quiet(&self) -> bool {
        peek_finds_nothing(self)
    }

    /// The socket is switched to non-blocking for a peek and back.
    #[cfg(not(target_os = "linux"))]
    fn is_quiet(&self) -> bool {
        if self.set_nonblocking(true).is_err() {
            return false;
        }
        let mut byte = [0u8; 1];
        let quiet = matches!(
            self.peek(&mut byte),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock
        );
        self.set_nonblocking(false).is_ok() && quiet
    }
}

#[cfg(unix)]
impl Ops for UnixStream {
    type Target = PathBuf;
    #[cfg(feature = "tokio")]
    type Async = ::tokio::net::UnixStream;

    #[cfg(feature = "tokio")]
    async fn connect_async(
        path: &PathBuf,
        timeout: Duration,
    ) -> io::Result<::tokio::net::UnixStream> {
        crate::tokio::stream::connect_unix(path, timeout).await
    }

    fn describe(path: &PathBuf) -> String {
        Endpoint::Unix(path.clone()).to_string()
    }

    fn connect_to(path: &PathBuf, timeout: Duration) -> io::Result<UnixStream> {
        connect_unix(path, timeout)
    }

    forward_ops!();

    fn set_nodelay_if_tcp(&self) -> io::Result<()> {
        Ok(())
    }

    #[cfg(target_os = "linux")]
    fn is_quiet(&self) -> bool {
        peek_finds_nothing(self)
    }

    /// The socket is switched to non-blocking for a read and back (std
    /// has no stable peek on Unix sockets; what the read takes is lost, and
    /// the caller closes the socket then).
    #[cfg(not(target_os = "linux"))]
    fn is_quiet(&self) -> bool {
        if self.set_nonblocking(true).is_err() {
            return false;
        }
        let mut byte = [0u8; 1];
        let quiet = matches!(
            (&*self).read(&mut byte),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock
        );
        self.set_nonblocking(false).is_ok() && quiet
    }
}

/// The addresses a connect tries, for people: `a`, or `a, b` when a name
/// resolved to several.
pub(crate) fn describe_all<T: fmt::Display>(targets: &[T]) -> String {
    let texts: Vec<String> = targets.iter().map(ToString::to_string).collect();
    texts.join(", ")
}

/// A peek that does not wait finds nothing to read: one `recv` with
/// `MSG_PEEK | MSG_DONTWAIT`, the socket's own mode untouched.
#[cfg(target_os = "linux")]
fn peek_finds_nothing(socket: &impl std::os::fd::AsFd) -> bool {
    use rustix::net::{RecvFlags, recv};
    let mut byte = [0u8; 1];
    matches!(
        recv(socket, &mut byte, RecvFlags::PEEK | RecvFlags::DONTWAIT),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK
    )
}

/// Connects to the Unix socket at `path`. On Linux a server whose listen
/// backlog is full makes a connect wait: at most `timeout` (zero: no
/// limit), then `TimedOut`. Elsewhere the wait is the system's.
#[cfg(unix)]
pub(crate) fn connect_unix(path: &Path, timeout: Duration) -> io::Result<UnixStream> {
    #[cfg(target_os = "linux")]
    {
        use rustix::net::sockopt::{Timeout, set_socket_timeout};
        use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
        let addr = SocketAddrUnix::new(path)?;
        let fd = rustix::net::socket_with(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::CLOEXEC,
            None,
        )?;
        // A Unix socket's connect waits for room in the backlog as long as
        // its send timeout allows.
        if !timeout.is_zero() {
            set_socket_timeout(&fd, Timeout::Send, Some(timeout))?;
        }
        match rustix::net::connect(&fd, &addr) {
            Ok(()) => {}
            Err(rustix::io::Errno::AGAIN) => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the server's listen backlog stayed full for the connect timeout",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        let stream = UnixStream::from(fd);
        stream.set_write_timeout(None)?;
        Ok(stream)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = timeout;
        UnixStream::connect(path)
    }
}

/// A connected socket of either kind: what the server accepts, and what
/// [`SocketReader`] and [`SocketWriter`] run over.
#[derive(Debug)]
#[non_exhaustive]
pub enum Socket {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A Unix domain socket connection (Unix platforms).
    #[cfg(unix)]
    Unix(UnixStream),
}

impl From<TcpStream> for Socket {
    fn from(s: TcpStream) -> Socket {
        Socket::Tcp(s)
    }
}

#[cfg(unix)]
impl From<UnixStream> for Socket {
    fn from(s: UnixStream) -> Socket {
        Socket::Unix(s)
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for Socket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd()
    }
}

/// `$call` on the stream inside a [`Socket`], whatever its kind.
macro_rules! each_kind {
    ($socket:expr, $s:ident => $call:expr) => {
        match $socket {
            Socket::Tcp($s) => $call,
            #[cfg(unix)]
            Socket::Unix($s) => $call,
        }
    };
}

impl Ops for Socket {
    type Target = Vec<Endpoint>;
    #[cfg(feature = "tokio")]
    type Async = crate::tokio::AsyncSocket;

    #[cfg(feature = "tokio")]
    async fn connect_async(
        endpoints: &Vec<Endpoint>,
        timeout: Duration,
    ) -> io::Result<crate::tokio::AsyncSocket> {
        crate::tokio::stream::connect_any(endpoints, timeout).await
    }

    fn describe(endpoints: &Vec<Endpoint>) -> String {
        describe_all(endpoints)
    }

    /// Tries each endpoint in turn, each within `timeout`; the last
    /// failure if none answers.
    fn connect_to(endpoints: &Vec<Endpoint>, timeout: Duration) -> io::Result<Socket> {
        let mut last = None;
        for endpoint in endpoints {
            let connect = match endpoint {
                Endpoint::Tcp(addr) => {
                    TcpStream::connect_to(&vec![*addr], timeout).map(Socket::Tcp)
                }
                #[cfg(unix)]
                Endpoint::Unix(path) => connect_unix(path, timeout).map(Socket::Unix),
            };
            match connect {
                Ok(socket) => return Ok(socket),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address")))
    }

    fn read_from(&self, buf: &mut [u8]) -> io::Result<usize> {
        each_kind!(self, s => s.read_from(buf))
    }
    fn write_to(&self, buf: &[u8]) -> io::Result<usize> {
        each_kind!(self, s => s.write_to(buf))
    }
    fn write_vectored_to(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        each_kind!(self, s => s.write_vectored_to(bufs))
    }
    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        each_kind!(self, s => Ops::set_read_timeout(s, t))
    }
    fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        each_kind!(self, s => Ops::set_write_timeout(s, t))
    }
    fn write_timeout(&self) -> io::Result<Option<Duration>> {
        each_kind!(self, s => Ops::write_timeout(s))
    }
    fn set_nonblocking(&self, yes: bool) -> io::Result<()> {
        each_kind!(self, s => Ops::set_nonblocking(s, yes))
    }
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        each_kind!(self, s => Ops::shutdown(s, how))
    }
    fn set_nodelay_if_tcp(&self) -> io::Result<()> {
        each_kind!(self, s => s.set_nodelay_if_tcp())
    }
    fn is_quiet(&self) -> bool {
        each_kind!(self, s => s.is_quiet())
    }
    #[cfg(unix)]
    fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        each_kind!(self, s => Ops::fd(s))
    }
}

impl Read for &Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_from(buf)
    }
}

impl Write for &Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_to(buf)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.write_vectored_to(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Where a server listens or a client connects: a TCP address, or the path
/// of a Unix domain socket (Unix platforms).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// A TCP address.
    Tcp(SocketAddr),
    /// The path of a Unix domain socket's file.
    #[cfg(unix)]
    Unix(PathBuf),
}

impl Endpoint {
    /// The TCP address, if it is one.
    pub fn tcp(&self) -> Option<SocketAddr> {
        match self {
            Endpoint::Tcp(addr) => Some(*addr),
            #[cfg(unix)]
            Endpoint::Unix(_) => None,
        }
    }

    /// The Unix socket's path, if it is one.
    #[cfg(unix)]
    pub fn unix_path(&self) -> Option<&Path> {
        match self {
            Endpoint::Tcp(_) => None,
            Endpoint::Unix(path) => Some(path),
        }
    }
}

/// A TCP address as is, a Unix socket as `unix:` and its path.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp(addr) => addr.fmt(f),
            #[cfg(unix)]
            Endpoint::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

impl From<SocketAddr> for Endpoint {
    fn from(addr: SocketAddr) -> Endpoint {
        Endpoint::Tcp(addr)
    }
}

#[cfg(unix)]
impl From<PathBuf> for Endpoint {
    fn from(path: PathBuf) -> Endpoint {
        Endpoint::Unix(path)
    }
}

/// Sets the socket options for RPC latency: `TCP_NODELAY` (TCP only), and
/// the write timeout (`None`: block indefinitely).
pub fn tune<S: SocketStream>(stream: &S, write_timeout: Option<Duration>) -> io::Result<()> {
    stream.set_nodelay_if_tcp()?;
    stream.set_write_timeout(write_timeout.filter(|d| !d.is_zero()))
}

/// A socket shared by the read and write sides of one connection (and by
/// the server's registry, which shuts it down on stop) without duplicating
/// its file descriptor.
#[derive(Debug)]
pub struct SharedStream<S = TcpStream>(pub Arc<S>);

impl<S> Clone for SharedStream<S> {
    fn clone(&self) -> Self {
        SharedStream(self.0.clone())
    }
}

impl<S: SocketStream> Read for SharedStream<S> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read_from(buf)
    }
}

impl<S: SocketStream> SharedStream<S> {
    /// Sends what the socket takes of `parts` now, without waiting
    /// (`WouldBlock` when it takes nothing), whatever its timeouts.
    #[cfg(target_os = "linux")]
    pub(crate) fn send_now(&mut self, parts: &[IoSlice<'_>]) -> io::Result<usize> {
        use rustix::net::SendFlags;
        loop {
            match send_parts(
                self.0.fd(),
                parts,
                SendFlags::DONTWAIT | SendFlags::NOSIGNAL,
            ) {
                Ok(n) => return Ok(n),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl<S: SocketStream> MessageWriter<SharedStream<S>> {
    /// Sends what is left of a waiting (deferred) reply without waiting:
    /// `Ok(true)` once it is all sent, `Ok(false)` when the socket takes no
    /// more for now (see [`MessageWriter::send_now`]).
    #[cfg(target_os = "linux")]
    pub(crate) fn send_waiting_now(&mut self) -> io::Result<bool> {
        self.send_now(|stream, parts| stream.send_now(parts))
    }
}

impl<S: SocketStream> Write for SharedStream<S> {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_to(buf)
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

impl<S: SocketStream> SharedStream<S> {
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
        let deadline = timeout.and_then(|t| began.checked_add(t));
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
    fd: std::os::fd::BorrowedFd<'_>,
    parts: &[IoSlice<'_>],
    flags: rustix::net::SendFlags,
) -> rustix::io::Result<usize> {
    use rustix::net::{SendAncillaryBuffer, send, sendmsg};
    match &parts[..parts.len().min(MAX_PARTS)] {
        [one] => send(fd, one, flags),
        parts => sendmsg(fd, parts, &mut SendAncillaryBuffer::default(), flags),
    }
}

/// One blocking `write` of `parts`, with `MSG_NOSIGNAL` on Linux (as std's
/// `write` has), so a peer gone away is an error, never a `SIGPIPE`.
#[cfg(target_os = "linux")]
fn write_parts<S: SocketStream>(stream: &S, parts: &[IoSlice<'_>]) -> io::Result<usize> {
    Ok(send_parts(
        stream.fd(),
        parts,
        rustix::net::SendFlags::NOSIGNAL,
    )?)
}

/// One blocking `write` of `parts` (of the first [`MAX_PARTS`]).
#[cfg(not(target_os = "linux"))]
fn write_parts<S: SocketStream>(stream: &S, parts: &[IoSlice<'_>]) -> io::Result<usize> {
    match &parts[..parts.len().min(MAX_PARTS)] {
        [one] => stream.write_to(one),
        parts => stream.write_vectored_to(parts),
    }
}

/// The read half of a socket with an idle timeout between messages and a
/// deadline for finishing a started message.
#[derive(Debug)]
pub struct TimedStream<S = TcpStream> {
    stream: Arc<S>,
    idle: Option<Duration>,
    message: Option<Duration>,
    deadline: Option<Instant>,
    /// The read timeout currently set on the socket.
    current: Option<Duration>,
}

impl<S: SocketStream> TimedStream<S> {
    /// Wraps `stream`. `idle` bounds the wait for a message to start,
    /// `message` the time to receive the rest of it; `None` (or zero) means
    /// no limit.
    pub fn new(
        stream: Arc<S>,
        idle: Option<Duration>,
        message: Option<Duration>,
    ) -> io::Result<TimedStream<S>> {
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
    pub fn stream(&self) -> &Arc<S> {
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

impl<S: SocketStream> TimedStream<S> {
    /// Reads what has arrived without waiting (`WouldBlock` when nothing
    /// has), whatever the socket's timeouts.
    #[cfg(target_os = "linux")]
    pub(crate) fn read_now(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use rustix::net::{RecvFlags, recv};
        loop {
            match recv(self.stream.fd(), &mut *buf, RecvFlags::DONTWAIT) {
                Ok((n, _)) => return Ok(n),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl<S: SocketStream> Read for TimedStream<S> {
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
        let n = self.stream.read_from(buf)?;
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
