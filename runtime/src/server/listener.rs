//! The listening socket of either kind: binding it, accepting from it,
//! waking an accept that blocks, and the lifecycle of a Unix socket's file.
//!
//! A Unix socket is a file: binding creates it, and closing the listener
//! leaves it behind. [`bind_unix`] replaces a file left by a server that is
//! gone (a socket nobody listens on), but never a socket a live server
//! listens on, nor a file that is not a socket. The server removes its
//! file when its listener closes (on stop, or when a server that never
//! served is dropped), unless the path has meanwhile been taken by another
//! file.
//!
//! On Linux, servers of this crate take an advisory lock on `<path>.lock`
//! (created beside the socket and left there) before they look at the
//! path, and hold it until their file is removed: so two of them never
//! both replace one stale file, and one that stops never removes the file
//! of one that has just bound the path.
//! The async server (feature `tokio`) holds its Unix socket's file
//! through [`bind_unix_file`] and [`SocketFile`] too.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixListener;
#[cfg(unix)]
use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::transport::socket::{Endpoint, Socket};

/// A bound listening socket.
pub(super) enum Listener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(UnixBound),
}

/// Who is at the other end of an accepted connection, for the logs.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Peer {
    Tcp(SocketAddr),
    /// A Unix socket peer: the connection's number on its listener (a
    /// client's socket has no name as a rule).
    #[cfg(unix)]
    Unix {
        n: u64,
    },
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Tcp(addr) => addr.fmt(f),
            #[cfg(unix)]
            Peer::Unix { n } => write!(f, "unix#{n}"),
        }
    }
}

impl Listener {
    /// Binds a TCP listener.
    pub(super) fn bind_tcp(addr: impl std::net::ToSocketAddrs) -> io::Result<Listener> {
        TcpListener::bind(addr).map(Listener::Tcp)
    }

    /// Where it listens.
    pub(super) fn endpoint(&self) -> io::Result<Endpoint> {
        match self {
            Listener::Tcp(l) => l.local_addr().map(Endpoint::Tcp),
            #[cfg(unix)]
            Listener::Unix(u) => Ok(Endpoint::Unix(u.path.clone())),
        }
    }

    /// Accepts a connection (blocking).
    pub(super) fn accept(&mut self) -> io::Result<(Socket, Peer)> {
        match self {
            Listener::Tcp(l) => l
                .accept()
                .map(|(stream, addr)| (Socket::Tcp(stream), Peer::Tcp(addr))),
            #[cfg(unix)]
            Listener::Unix(u) => {
                let (stream, _) = u.listener.accept()?;
                u.accepted += 1;
                let peer = Peer::Unix { n: u.accepted };
                Ok((Socket::Unix(stream), peer))
            }
        }
    }

    /// What [`wake`] needs to wake an accept on this listener.
    pub(super) fn waker(&self) -> Waker {
        match self {
            Listener::Tcp(_) => Waker::Connect,
            #[cfg(unix)]
            Listener::Unix(u) => Waker::Shutdown(Arc::downgrade(&u.listener)),
        }
    }
}

/// How to wake an accept loop blocked in `accept`.
#[derive(Clone, Debug)]
pub(super) enum Waker {
    /// Connect to the listener (TCP).
    Connect,
    /// On Linux, shut the listening socket down (a blocked `accept` then
    /// fails at once); elsewhere, connect to its path. Weak: the accept
    /// loop owns the listener, which closes when the loop drops it.
    #[cfg(unix)]
    Shutdown(Weak<UnixListener>),
}

/// Wakes an accept on the listener at `endpoint`, if it blocks there: with
/// a connection of our own (at most 100 ms to connect), or on a Unix socket
/// by shutting the listener down (Linux), which also works when its file
/// has been removed or replaced.
pub(super) fn wake(endpoint: &Endpoint, waker: &Waker) {
    const WAKE_TIMEOUT: Duration = Duration::from_millis(100);
    match (endpoint, waker) {
        (Endpoint::Tcp(addr), _) => {
            let _ = TcpStream::connect_timeout(&wake_addr(*addr), WAKE_TIMEOUT);
        }
        #[cfg(unix)]
        (Endpoint::Unix(path), waker) => {
            #[cfg(target_os = "linux")]
            {
                let _ = path;
                // None left: the accept loop has ended and closed it.
                if let Waker::Shutdown(listener) = waker {
                    if let Some(listener) = listener.upgrade() {
                        let _ = rustix::net::shutdown(&*listener, rustix::net::Shutdown::Read);
                    }
                }
            }
            #[cfg(not(target_os = "linux"))]
            {
                let _ = waker;
                let _ = crate::transport::socket::connect_unix(path, WAKE_TIMEOUT);
            }
        }
    }
}

/// Where to connect to reach a listener bound to `addr`.
fn wake_addr(addr: SocketAddr) -> SocketAddr {
    use std::net::{IpAddr, Ipv6Addr};
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// A listening Unix socket and its file (removed when this is dropped, see
/// [`SocketFile`]).
#[cfg(unix)]
pub(super) struct UnixBound {
    listener: Arc<UnixListener>,
    path: PathBuf,
    /// Connections accepted so far (names peers in the logs).
    accepted: u64,
    _file: SocketFile,
}

/// The file of a bound Unix socket, removed when this is dropped if the
/// path still names the file that was bound (and not one another server
/// has bound since). Held by the blocking and the async servers' listeners.
#[cfg(unix)]
#[derive(Debug)]
pub(crate) struct SocketFile {
    /// Absolute: the current directory may change while it serves.
    path: PathBuf,
    /// The device and inode of the socket's file, as bound.
    file: Option<(u64, u64)>,
    /// The lock on `<path>.lock` (Linux), released after the file is
    /// removed (fields drop after `drop`).
    _lock: Option<std::fs::File>,
}

#[cfg(unix)]
impl SocketFile {
    /// The socket's path, absolute.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
impl Drop for SocketFile {
    fn drop(&mut self) {
        if self.file.is_some() && file_id(&self.path) == self.file {
            if let Err(e) = std::fs::remove_file(&self.path) {
                log::debug!("cannot remove {}: {e}", self.path.display());
            }
        }
    }
}

/// The device and inode of the file at `path` (not following a symbolic
/// link).
#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// Binds a Unix socket at `path` for the blocking server (see
/// [`bind_unix_file`]).
#[cfg(unix)]
pub(super) fn bind_unix(path: &Path) -> io::Result<Listener> {
    let (listener, file) = bind_unix_file(path)?;
    Ok(Listener::Unix(UnixBound {
        listener: Arc::new(listener),
        path: file.path().to_path_buf(),
        accepted: 0,
        _file: file,
    }))
}

/// Binds a Unix socket at `path`, and owns its file. If a file is there
/// already: a socket no server listens on (a connect is refused) is
/// removed and the path bound again; a socket a server listens on is
/// `AddrInUse`; anything else (a regular file, a directory, a symbolic
/// link) is `AlreadyExists`, and left alone. May wait (at most 100 ms)
/// for a connect to a socket found there. A relative `path` is made
/// absolute.
#[cfg(unix)]
pub(crate) fn bind_unix_file(path: &Path) -> io::Result<(UnixListener, SocketFile)> {
    let path = std::path::absolute(path)?;
    let lock = lock_path(&path)?;
    let listener = match UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
            replace_stale(&path)?;
            UnixListener::bind(&path)?
        }
        Err(e) => return Err(e),
    };
    let file = SocketFile {
        file: file_id(&path),
        path,
        _lock: lock,
    };
    Ok((listener, file))
}

/// Takes the lock on `<path>.lock` (Linux): `AddrInUse` when another
/// server holds it.
#[cfg(target_os = "linux")]
fn lock_path(path: &Path) -> io::Result<Option<std::fs::File>> {
    use rustix::fs::{FlockOperation, flock};
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&name)?;
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(file)),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("another server holds {}", Path::new(&name).display()),
        )),
        Err(e) => Err(e.into()),
    }
}

/// No lock outside Linux.
#[cfg(all(unix, not(target_os = "linux")))]
fn lock_path(_: &Path) -> io::Result<Option<std::fs::File>> {
    Ok(None)
}

/// Removes the file at `path` if it is a socket no server listens on;
/// else says why the path cannot be bound.
#[cfg(unix)]
fn replace_stale(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let shown = path.display();
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.file_type().is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{shown} exists and is not a socket; not replaced"),
        ));
    }
    match crate::transport::socket::connect_unix(path, Duration::from_millis(100)) {
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("a server is listening on {shown}"),
        )),
        // A listener whose backlog is full: a live server.
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("a server is listening on {shown} (its backlog is full)"),
            ))
        }
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            log::info!("removing the stale socket {shown}");
            match std::fs::remove_file(path) {
                // Gone meanwhile: the path is free.
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        }
        // A full backlog (a live server), no permission...
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("{shown} exists and may be in use ({e}); not replaced"),
        )),
    }
}
