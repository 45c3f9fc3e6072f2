//! The async server's listening socket, of either kind. A Unix socket's
//! file is handled by the blocking server's code (`server::listener`):
//! the same rules for a file already there, and the same removal.

use std::io;

use ::tokio::net::{TcpListener, TcpStream};
#[cfg(unix)]
use ::tokio::net::{UnixListener, UnixStream};

use crate::server::listener::Peer;
#[cfg(unix)]
use crate::server::listener::SocketFile;

/// A bound listening socket.
pub(super) enum AsyncListener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix {
        listener: UnixListener,
        /// Connections accepted so far (names peers in the logs).
        accepted: u64,
        /// Removes the file when the listener is dropped (declared after
        /// it: the socket closes first).
        _file: SocketFile,
    },
}

/// A connection just accepted, of either kind, and who is at its other
/// end.
pub(super) enum Accepted {
    Tcp(TcpStream, Peer),
    #[cfg(unix)]
    Unix(UnixStream, Peer),
}

impl AsyncListener {
    /// Takes over a bound Unix listener and its file (on a tokio runtime).
    #[cfg(unix)]
    pub(super) fn unix(
        listener: std::os::unix::net::UnixListener,
        file: SocketFile,
    ) -> io::Result<AsyncListener> {
        listener.set_nonblocking(true)?;
        Ok(AsyncListener::Unix {
            listener: UnixListener::from_std(listener)?,
            accepted: 0,
            _file: file,
        })
    }

    /// The next connection. Cancel safe.
    pub(super) async fn accept(&mut self) -> io::Result<Accepted> {
        match self {
            AsyncListener::Tcp(l) => {
                let (stream, addr) = l.accept().await?;
                Ok(Accepted::Tcp(stream, Peer::Tcp(addr)))
            }
            #[cfg(unix)]
            AsyncListener::Unix {
                listener, accepted, ..
            } => {
                let (stream, _) = listener.accept().await?;
                *accepted += 1;
                let peer = Peer::Unix { n: *accepted };
                Ok(Accepted::Unix(stream, peer))
            }
        }
    }
}
