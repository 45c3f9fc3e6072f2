//! The async streams the clients and the server run over: tokio's
//! [`TcpStream`], on Unix platforms its [`UnixStream`], and [`AsyncSocket`]
//! (either, chosen when the program runs). One set of operations for all
//! of them ([`AsyncStream`]), so each client and the server's connections
//! have one code path, compiled for each kind; only TCP sets
//! `TCP_NODELAY`.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ::tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use ::tokio::net::TcpStream;
#[cfg(unix)]
use ::tokio::net::UnixStream;

use crate::transport::socket::Endpoint;

/// A connected stream the async clients and server run over: tokio's
/// [`TcpStream`], [`UnixStream`] (Unix platforms), or [`AsyncSocket`]
/// (either). Implemented by these types only.
pub trait AsyncStream:
    sealed::AsyncOps + AsyncRead + AsyncWrite + Unpin + fmt::Debug + Send + Sync + 'static
{
}

impl AsyncStream for TcpStream {}
#[cfg(unix)]
impl AsyncStream for UnixStream {}
impl AsyncStream for AsyncSocket {}

/// What the clients and the server do with a stream beyond reading and
/// writing it, as methods only this crate can call.
pub(crate) mod sealed {
    use super::*;

    pub trait AsyncOps: Sized {
        /// The read half of [`split`](AsyncOps::split).
        type Reader: AsyncRead + Unpin + Send + 'static;
        /// The write half of [`split`](AsyncOps::split).
        type Writer: AsyncWrite + Unpin + Send + 'static;
        /// The two halves, each usable by a task of its own.
        fn split(self) -> (Self::Reader, Self::Writer);
        /// Reads what has arrived without waiting, into the spare capacity
        /// of `buf` (`WouldBlock` when nothing has).
        fn read_now(&self, buf: &mut Vec<u8>) -> io::Result<usize>;
        /// `TCP_NODELAY` where the kind has it; nothing else.
        fn set_nodelay_if_tcp(&self) -> io::Result<()>;
        /// The other end (a Unix socket's: its path, if it has one).
        fn peer(&self) -> Option<Endpoint>;
        /// This end (a Unix socket's: its path, if it has one).
        fn local(&self) -> Option<Endpoint>;
    }
}

impl sealed::AsyncOps for TcpStream {
    type Reader = ::tokio::net::tcp::OwnedReadHalf;
    type Writer = ::tokio::net::tcp::OwnedWriteHalf;

    fn split(self) -> (Self::Reader, Self::Writer) {
        self.into_split()
    }

    #[inline]
    fn read_now(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        self.try_read_buf(buf)
    }

    fn set_nodelay_if_tcp(&self) -> io::Result<()> {
        self.set_nodelay(true)
    }

    fn peer(&self) -> Option<Endpoint> {
        self.peer_addr().ok().map(Endpoint::Tcp)
    }

    fn local(&self) -> Option<Endpoint> {
        self.local_addr().ok().map(Endpoint::Tcp)
    }
}

#[cfg(unix)]
impl sealed::AsyncOps for UnixStream {
    type Reader = ::tokio::net::unix::OwnedReadHalf;
    type Writer = ::tokio::net::unix::OwnedWriteHalf;

    fn split(self) -> (Self::Reader, Self::Writer) {
        self.into_split()
    }

    #[inline]
    fn read_now(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        self.try_read_buf(buf)
    }

    fn set_nodelay_if_tcp(&self) -> io::Result<()> {
        Ok(())
    }

    fn peer(&self) -> Option<Endpoint> {
        let addr = self.peer_addr().ok()?;
        addr.as_pathname().map(|p| Endpoint::Unix(p.to_path_buf()))
    }

    fn local(&self) -> Option<Endpoint> {
        let addr = self.local_addr().ok()?;
        addr.as_pathname().map(|p| Endpoint::Unix(p.to_path_buf()))
    }
}

/// A connected async stream of either kind: what a
/// [`Connector<Socket>`](crate::Connector) opens for the async clients.
#[derive(Debug)]
#[non_exhaustive]
pub enum AsyncSocket {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A Unix domain socket connection (Unix platforms).
    #[cfg(unix)]
    Unix(UnixStream),
}

impl From<TcpStream> for AsyncSocket {
    fn from(s: TcpStream) -> AsyncSocket {
        AsyncSocket::Tcp(s)
    }
}

#[cfg(unix)]
impl From<UnixStream> for AsyncSocket {
    fn from(s: UnixStream) -> AsyncSocket {
        AsyncSocket::Unix(s)
    }
}

/// `$call` on the value inside an enum of the two kinds (`$ty`: the enum),
/// whatever its kind.
macro_rules! each_kind {
    ($ty:ident, $value:expr, $s:ident => $call:expr) => {
        match $value {
            $ty::Tcp($s) => $call,
            #[cfg(unix)]
            $ty::Unix($s) => $call,
        }
    };
}

impl sealed::AsyncOps for AsyncSocket {
    type Reader = SocketReadHalf;
    type Writer = SocketWriteHalf;

    fn split(self) -> (SocketReadHalf, SocketWriteHalf) {
        match self {
            AsyncSocket::Tcp(s) => {
                let (r, w) = s.into_split();
                (SocketReadHalf::Tcp(r), SocketWriteHalf::Tcp(w))
            }
            #[cfg(unix)]
            AsyncSocket::Unix(s) => {
                let (r, w) = s.into_split();
                (SocketReadHalf::Unix(r), SocketWriteHalf::Unix(w))
            }
        }
    }

    fn read_now(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        each_kind!(AsyncSocket, self, s => sealed::AsyncOps::read_now(s, buf))
    }

    fn set_nodelay_if_tcp(&self) -> io::Result<()> {
        each_kind!(AsyncSocket, self, s => sealed::AsyncOps::set_nodelay_if_tcp(s))
    }

    fn peer(&self) -> Option<Endpoint> {
        each_kind!(AsyncSocket, self, s => sealed::AsyncOps::peer(s))
    }

    fn local(&self) -> Option<Endpoint> {
        each_kind!(AsyncSocket, self, s => sealed::AsyncOps::local(s))
    }
}

/// Reading and writing forwarded to the stream inside, for the enums of
/// both kinds.
macro_rules! forward_io {
    ($ty:ident, read) => {
        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                each_kind!($ty, self.get_mut(), s => Pin::new(s).poll_read(cx, buf))
            }
        }
    };
    ($ty:ident, write) => {
        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                each_kind!($ty, self.get_mut(), s => Pin::new(s).poll_write(cx, buf))
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                each_kind!($ty, self.get_mut(), s => Pin::new(s).poll_write_vectored(cx, bufs))
            }

            fn is_write_vectored(&self) -> bool {
                each_kind!($ty, self, s => s.is_write_vectored())
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                each_kind!($ty, self.get_mut(), s => Pin::new(s).poll_flush(cx))
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                each_kind!($ty, self.get_mut(), s => Pin::new(s).poll_shutdown(cx))
            }
        }
    };
}

forward_io!(AsyncSocket, read);
forward_io!(AsyncSocket, write);

/// The read half of an [`AsyncSocket`], for a task of its own.
#[derive(Debug)]
pub enum SocketReadHalf {
    /// Of a TCP connection.
    Tcp(::tokio::net::tcp::OwnedReadHalf),
    /// Of a Unix domain socket connection.
    #[cfg(unix)]
    Unix(::tokio::net::unix::OwnedReadHalf),
}

/// The write half of an [`AsyncSocket`], for a task of its own.
#[derive(Debug)]
pub enum SocketWriteHalf {
    /// Of a TCP connection.
    Tcp(::tokio::net::tcp::OwnedWriteHalf),
    /// Of a Unix domain socket connection.
    #[cfg(unix)]
    Unix(::tokio::net::unix::OwnedWriteHalf),
}

forward_io!(SocketReadHalf, read);
forward_io!(SocketWriteHalf, write);

/// Connects to `addrs` in turn, each within `timeout` (zero: the
/// operating system's); the last failure if none answers.
pub(crate) async fn connect_tcp(
    addrs: &[std::net::SocketAddr],
    timeout: Duration,
) -> io::Result<TcpStream> {
    let mut last = None;
    for &addr in addrs {
        match within(timeout, TcpStream::connect(addr), || {
            format!("connecting to {addr} timed out")
        })
        .await
        {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address")))
}

/// Connects to the Unix socket at `path` within `timeout` (zero: no
/// limit). A server whose listen backlog is full refuses a connect that
/// does not wait (Linux: `EAGAIN`): it is tried again, pausing 1 ms and
/// doubling up to 50 ms, until the timeout, as a blocking connect waits.
#[cfg(unix)]
pub(crate) async fn connect_unix(
    path: &std::path::Path,
    timeout: Duration,
) -> io::Result<UnixStream> {
    let deadline = (!timeout.is_zero())
        .then(|| ::tokio::time::Instant::now().checked_add(timeout))
        .flatten();
    let mut pause = Duration::from_millis(1);
    loop {
        match UnixStream::connect(path).await {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let now = ::tokio::time::Instant::now();
                if deadline.is_some_and(|d| now >= d) {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "the listen backlog of {} stayed full for the connect timeout",
                            path.display()
                        ),
                    ));
                }
                let wake = deadline.map_or(now + pause, |d| d.min(now + pause));
                ::tokio::time::sleep_until(wake).await;
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            connected => return connected,
        }
    }
}

/// Connects to `endpoints` in turn, each within `timeout`; the last
/// failure if none answers.
pub(crate) async fn connect_any(
    endpoints: &[Endpoint],
    timeout: Duration,
) -> io::Result<AsyncSocket> {
    let mut last = None;
    for endpoint in endpoints {
        let connected = match endpoint {
            Endpoint::Tcp(addr) => connect_tcp(&[*addr], timeout).await.map(AsyncSocket::Tcp),
            #[cfg(unix)]
            Endpoint::Unix(path) => connect_unix(path, timeout).await.map(AsyncSocket::Unix),
        };
        match connected {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address")))
}

/// `connect` within `timeout` (zero: no limit); `TimedOut` with `why`'s
/// message after it.
async fn within<T>(
    timeout: Duration,
    connect: impl std::future::Future<Output = io::Result<T>>,
    why: impl FnOnce() -> String,
) -> io::Result<T> {
    if timeout.is_zero() {
        return connect.await;
    }
    match ::tokio::time::timeout(timeout, connect).await {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, why())),
    }
}
