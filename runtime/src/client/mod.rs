//! The client side: [`Connector`] opens connections, [`Client`] makes calls
//! on one, [`Channel`] is what generated typed clients call through.
//!
//! ```no_run
//! use std::time::Duration;
//! use thriftc_runtime::client::{Channel, Connector};
//! use thriftc_runtime::{Framing, ProtocolKind};
//! # fn demo() -> thriftc_runtime::Result<()> {
//! # type Res = i32; // stands for a generated result struct
//! let connector = Connector::new("127.0.0.1:9090")?
//!     .protocol(ProtocolKind::Binary)
//!     .framing(Framing::Framed)
//!     .read_timeout(Duration::from_secs(5));
//! let mut client = connector.connect()?;
//! // Generated clients wrap this: `CalcClient::new(client).add(1, 2)`.
//! # let args = 0i32; // stands for a generated arguments struct
//! let result: Res = client.call("add", &args)?;
//! # Ok(()) }
//! ```
//!
//! # Many threads
//!
//! A [`Client`] is one connection and makes one call at a time (`&mut self`),
//! like Apache's clients. To call from many threads, share the
//! [`Connector`]: it is `Clone + Send + Sync`, holds only the resolved
//! address and settings, and each thread [`connect`](Connector::connect)s
//! its own `Client` (a connection costs one TCP handshake on loopback, a few
//! tens of microseconds). Or share a [`Pool`]: it keeps connections open
//! between calls and hands each caller one of its own, checked on the way
//! out (see [`pool`]).
//!
//! # Unix domain sockets
//!
//! On Unix platforms, [`Connector::unix`] connects to a server's Unix
//! socket (a [`Server`](crate::Server) bound with
//! [`bind_unix`](crate::server::ServerBuilder::bind_unix), Apache Thrift's
//! `TServerSocket` on a path, thriftpy2's `unix_socket` servers). Its
//! clients and pools are the same types with the stream type
//! [`UnixStream`] instead of
//! [`TcpStream`] (`Client<UnixStream>`, `Pool<UnixStream>`; the default
//! `Client` is TCP), and behave as the TCP ones: the same settings,
//! checks, timeouts and idle checks. A [`Connector<Socket>`] connects to
//! either kind, chosen when the program runs (`.into()` from either
//! connector). The async clients (feature `tokio`) run over either kind too:
//! `connect_async` on a `Connector<UnixStream>` gives an `AsyncClient` over
//! tokio's `UnixStream`, and `connect_shared` a `SharedClient` from any
//! connector.
//!
//! # Replies
//!
//! Every reply is checked: a different seqid is `BAD_SEQUENCE_ID`, a
//! different method name `WRONG_METHOD_NAME`, a message type other than
//! REPLY or EXCEPTION `INVALID_MESSAGE_TYPE` (all as
//! [`Error::Application`]); an EXCEPTION message is decoded and returned as
//! the [`ApplicationError`] it carries. After a transport or protocol error,
//! or a reply that fails these checks, the connection's position in the
//! stream is unknown, so the client refuses further calls (`NotOpen`):
//! connect again. Framed, a reply that passes the checks but whose body
//! does not decode (a protocol error: a schema mismatch, a limit) is
//! skipped to the end of its frame, and the connection stays usable. An
//! EXCEPTION message leaves the connection usable,
//! whatever its kind: one of the kinds above, sent by the server, is its
//! answer, read whole ([`Client::is_usable`] tells the two apart).

pub mod pool;

pub use pool::{Pool, Pooled};

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
#[cfg(unix)]
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::codec::{Decode, Encode};
use crate::error::{
    ApplicationError, ApplicationErrorKind, Error, Result, TransportError, TransportErrorKind,
};
use crate::limits::Limits;
use crate::processor::{ProtocolKind, WireProtocol};
use crate::protocol::binary::BinaryProtocol;
use crate::protocol::compact::CompactProtocol;
use crate::protocol::{MessageType, ProtocolRead, ProtocolWrite};
use crate::transport::socket::{Endpoint, SharedStream, Socket, SocketStream, TimedStream, tune};
use crate::transport::{Framing, MessageWriter, StreamReader};

/// Something that makes calls: a [`Client`], a `&mut` one, or a
/// [`Multiplexed`] view of one. Generated clients are generic over it.
pub trait Channel {
    /// Sends a CALL of `method` with the arguments struct `args` and returns
    /// the decoded result struct `R` (declared exceptions are fields of it).
    ///
    /// Errors: [`Error::Transport`] when the connection fails or times out,
    /// [`Error::Protocol`] when the reply cannot be decoded, and
    /// [`Error::Application`] for an EXCEPTION reply or a reply that does
    /// not answer this call (see [Replies](self#replies)).
    fn call<A: Encode, R: Decode>(&mut self, method: &str, args: &A) -> Result<R>;

    /// Sends a ONEWAY message; no reply is read.
    fn call_oneway<A: Encode>(&mut self, method: &str, args: &A) -> Result<()>;
}

impl<C: Channel + ?Sized> Channel for &mut C {
    #[inline]
    fn call<A: Encode, R: Decode>(&mut self, method: &str, args: &A) -> Result<R> {
        (**self).call(method, args)
    }

    #[inline]
    fn call_oneway<A: Encode>(&mut self, method: &str, args: &A) -> Result<()> {
        (**self).call_oneway(method, args)
    }
}

/// Calls the methods of one service of a multiplexed server: sends
/// `service:method` (Apache's `TMultiplexedProtocol`), and accepts replies
/// named either way.
///
/// Several services can share one connection through `&mut Client`:
/// `Multiplexed::new(&mut client, "Calc")`.
#[derive(Debug)]
pub struct Multiplexed<C> {
    inner: C,
    service: String,
}

impl<C> Multiplexed<C> {
    /// Calls `service`'s methods over `inner`.
    pub fn new(inner: C, service: impl Into<String>) -> Multiplexed<C> {
        Multiplexed {
            inner,
            service: service.into(),
        }
    }

    /// The channel underneath.
    pub fn into_inner(self) -> C {
        self.inner
    }

    /// The channel underneath, mutably.
    pub fn inner_mut(&mut self) -> &mut C {
        &mut self.inner
    }

    /// The service name put before each method name.
    pub fn service(&self) -> &str {
        &self.service
    }
}

impl<C: Channel> Channel for Multiplexed<C> {
    fn call<A: Encode, R: Decode>(&mut self, method: &str, args: &A) -> Result<R> {
        let name = format!("{}:{method}", self.service);
        self.inner.call(&name, args)
    }

    fn call_oneway<A: Encode>(&mut self, method: &str, args: &A) -> Result<()> {
        let name = format!("{}:{method}", self.service);
        self.inner.call_oneway(&name, args)
    }
}

/// Client settings; see [`Connector`] for each one. Start from
/// `ClientConfig::default()` and set fields (more may be added).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The wire protocol (default binary).
    pub protocol: ProtocolKind,
    /// Unframed ([`Framing::Buffered`], the default) or framed messages.
    pub framing: Framing,
    /// The longest wait for the connection (default 5 s). Over a Unix
    /// socket only Linux bounds it (a connect there waits while the
    /// server's listen backlog is full).
    pub connect_timeout: Duration,
    /// The longest wait for a whole reply, counted from the request being
    /// sent (default 30 s; `None` or zero: wait indefinitely). A `tokio::SharedClient`
    /// counts it from the call's start, and breaks a connection that owes
    /// replies and stays silent this long.
    pub read_timeout: Option<Duration>,
    /// The longest sending one request may take (default 30 s; `None` or
    /// zero: no limit).
    pub write_timeout: Option<Duration>,
    /// Limits applied to replies (default [`Limits::default`]).
    pub limits: Limits,
    /// The most calls a `tokio::SharedClient` (feature
    /// `tokio`) has sent and not yet had answered; more wait (default 64,
    /// at least 1). Other clients make one call at a time.
    pub max_in_flight: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            protocol: ProtocolKind::Binary,
            framing: Framing::Buffered,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Some(Duration::from_secs(30)),
            write_timeout: Some(Duration::from_secs(30)),
            limits: Limits::default(),
            max_in_flight: 64,
        }
    }
}

/// Opens [`Client`] connections to one server: a `Clone + Send + Sync`
/// factory, so each thread can open its own connection.
///
/// `S` is the kind of socket: [`TcpStream`] (the default, [`Connector::new`]),
/// [`UnixStream`] ([`Connector::unix`]), or
/// [`Socket`] for either, chosen at run time (`.into()` from either).
#[must_use]
pub struct Connector<S: SocketStream = TcpStream> {
    target: S::Target,
    config: ClientConfig,
}

impl<S: SocketStream> Clone for Connector<S> {
    fn clone(&self) -> Self {
        Connector {
            target: self.target.clone(),
            config: self.config.clone(),
        }
    }
}

impl<S: SocketStream> fmt::Debug for Connector<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("target", &self.target)
            .field("config", &self.config)
            .finish()
    }
}

impl Connector {
    /// A connector for `addr` (resolved now; each address is tried in turn
    /// on connect) with the default settings: binary, unframed, connect
    /// timeout 5 s, read and write timeouts 30 s.
    pub fn new(addr: impl ToSocketAddrs) -> io::Result<Connector> {
        let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
        if addrs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the address resolved to nothing",
            ));
        }
        Ok(Connector {
            target: addrs,
            config: ClientConfig::default(),
        })
    }
}

#[cfg(unix)]
impl Connector<UnixStream> {
    /// A connector for the Unix domain socket at `path` (Unix platforms),
    /// with the default settings, as [`Connector::new`]. The path is not
    /// looked at until a connect.
    pub fn unix(path: impl AsRef<Path>) -> Connector<UnixStream> {
        Connector {
            target: path.as_ref().to_path_buf(),
            config: ClientConfig::default(),
        }
    }
}

impl From<Connector<TcpStream>> for Connector<Socket> {
    fn from(c: Connector<TcpStream>) -> Connector<Socket> {
        Connector {
            target: c.target.into_iter().map(Endpoint::Tcp).collect(),
            config: c.config,
        }
    }
}

#[cfg(unix)]
impl From<Connector<UnixStream>> for Connector<Socket> {
    fn from(c: Connector<UnixStream>) -> Connector<Socket> {
        Connector {
            target: vec![Endpoint::Unix(c.target)],
            config: c.config,
        }
    }
}

impl<S: SocketStream> Connector<S> {
    /// The wire protocol (default binary).
    pub fn protocol(mut self, protocol: ProtocolKind) -> Self {
        self.config.protocol = protocol;
        self
    }

    /// Unframed or framed messages (default unframed).
    pub fn framing(mut self, framing: Framing) -> Self {
        self.config.framing = framing;
        self
    }

    /// The longest wait for the connection (default 5 s; see
    /// [`ClientConfig::connect_timeout`]).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.config.connect_timeout = t;
        self
    }

    /// The longest wait for a whole reply, counted from the request being
    /// sent (default 30 s; `None` or zero: wait indefinitely). A `tokio::SharedClient`
    /// counts it from the call's start, and breaks a connection that owes
    /// replies and stays silent this long.
    pub fn read_timeout(mut self, t: impl Into<Option<Duration>>) -> Self {
        self.config.read_timeout = t.into();
        self
    }

    /// The longest sending one request may take (default 30 s).
    pub fn write_timeout(mut self, t: impl Into<Option<Duration>>) -> Self {
        self.config.write_timeout = t.into();
        self
    }

    /// Limits applied to replies (default [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// The most calls a `tokio::SharedClient` (feature
    /// `tokio`) sends ahead of their replies (default 64, at least 1).
    pub fn max_in_flight(mut self, calls: usize) -> Self {
        self.config.max_in_flight = calls;
        self
    }

    /// Replaces every setting at once.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// The settings.
    pub fn settings(&self) -> &ClientConfig {
        &self.config
    }

    /// Opens a connection, trying each resolved address in turn, each
    /// within the connect timeout (zero: the operating system's).
    ///
    /// Errors: the last address's failure as an [`Error::Transport`]
    /// (`TimedOut` when the timeout expired, `NotOpen` for a refused
    /// connection, `Unknown` for e.g. a Unix socket path with no file, with
    /// the I/O error in its field `source`), its message naming where it
    /// tried to connect and why
    /// (`cannot connect to 127.0.0.1:9090: Connection refused ...`).
    pub fn connect(&self) -> Result<Client<S>> {
        let stream = S::connect_to(&self.target, self.config.connect_timeout)
            .map_err(|e| connect_failed(&S::describe(&self.target), e))?;
        Client::from_stream(stream, &self.config)
    }
}

#[cfg(feature = "tokio")]
impl Connector {
    /// Opens an async connection ([`AsyncClient`](crate::tokio::AsyncClient))
    /// with this connector's settings: protocol, framing, limits, and the
    /// connect, read and write timeouts, which mean what they mean for
    /// [`connect`](Connector::connect). Each resolved address is tried in
    /// turn.
    ///
    /// Errors: as [`connect`](Connector::connect).
    pub async fn connect_async(&self) -> Result<crate::tokio::AsyncClient> {
        self.open_async().await
    }
}

#[cfg(all(feature = "tokio", unix))]
impl Connector<UnixStream> {
    /// Opens an async connection to the Unix socket
    /// ([`AsyncClient<tokio::net::UnixStream>`](crate::tokio::AsyncClient)),
    /// as [`Connector::connect_async`] does over TCP. A server whose listen
    /// backlog is full is tried again until the connect timeout.
    pub async fn connect_async(
        &self,
    ) -> Result<crate::tokio::AsyncClient<::tokio::net::UnixStream>> {
        self.open_async().await
    }
}

#[cfg(feature = "tokio")]
impl Connector<Socket> {
    /// Opens an async connection to the first endpoint that accepts
    /// ([`AsyncClient<AsyncSocket>`](crate::tokio::AsyncClient)), as
    /// [`Connector::connect_async`] does.
    pub async fn connect_async(
        &self,
    ) -> Result<crate::tokio::AsyncClient<crate::tokio::AsyncSocket>> {
        self.open_async().await
    }
}

#[cfg(feature = "tokio")]
impl<S: SocketStream> Connector<S> {
    /// An async client over a new connection of this connector's kind.
    async fn open_async(&self) -> Result<crate::tokio::AsyncClient<S::Async>> {
        let stream = S::connect_async(&self.target, self.config.connect_timeout)
            .await
            .map_err(|e| connect_failed(&S::describe(&self.target), e))?;
        crate::tokio::AsyncClient::from_stream(stream, &self.config)
    }

    /// Opens a connection that many tasks call through at once
    /// ([`SharedClient`](crate::tokio::SharedClient)), over TCP or a Unix
    /// socket as this connector connects, with its settings and
    /// [`max_in_flight`](Connector::max_in_flight). Must be called within
    /// a tokio runtime (it spawns the connection's tasks).
    ///
    /// Errors: as [`connect`](Connector::connect).
    pub async fn connect_shared(&self) -> Result<crate::tokio::SharedClient> {
        let stream = S::connect_async(&self.target, self.config.connect_timeout)
            .await
            .map_err(|e| connect_failed(&S::describe(&self.target), e))?;
        crate::tokio::SharedClient::from_stream(stream, &self.config)
    }
}

/// The message of a call whose connection the server closed before its
/// reply came. A server that stops or drops an idle connection does that,
/// and so does one that cannot read the request: the usual cause when a
/// client's protocol or framing is not the server's.
pub(crate) fn closed_before_reply(method: &str) -> String {
    format!(
        "the server closed the connection before replying to '{method}' \
         (it may be stopping or restarting; if it happens on every call: are the protocol \
         and framing the server's?)"
    )
}

/// A connect that failed, as a transport error whose message says where
/// it tried to connect (the I/O error's kind and the error itself kept).
pub(crate) fn connect_failed(target: &str, e: io::Error) -> Error {
    let mut error = TransportError::from(e);
    error.message = format!("cannot connect to {target}: {}", error.message);
    Error::Transport(error)
}

// One per client, never moved on the hot path: the size difference costs
// nothing, while boxing would add an indirection to every call.
#[allow(clippy::large_enum_variant)]
enum Io<S> {
    Binary(BinaryProtocol<Reader<S>>, BinaryProtocol<Writer<S>>),
    Compact(CompactProtocol<Reader<S>>, CompactProtocol<Writer<S>>),
}

/// A client's read side over a socket of kind `S`.
type Reader<S> = StreamReader<TimedStream<S>>;

/// A client's write side over a socket of kind `S`.
type Writer<S> = MessageWriter<SharedStream<S>>;

/// One connection to a server; makes one call at a time.
///
/// `S` is the kind of socket: [`TcpStream`] (the default), or a Unix
/// domain socket (see [Unix domain sockets](self#unix-domain-sockets)).
pub struct Client<S: SocketStream = TcpStream> {
    io: Io<S>,
    stream: Arc<S>,
    seqid: i32,
    broken: bool,
    /// The configured timeouts, named in the errors they cause.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl<S: SocketStream> fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("stream", &self.stream)
            .field("seqid", &self.seqid)
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects to `addr` with the default settings (see [`Connector`]).
    pub fn connect(addr: impl ToSocketAddrs) -> Result<Client> {
        Connector::new(addr)?.connect()
    }
}

#[cfg(unix)]
impl Client<UnixStream> {
    /// Connects to the Unix domain socket at `path` with the default
    /// settings (see [`Connector::unix`]).
    pub fn connect_unix(path: impl AsRef<Path>) -> Result<Client<UnixStream>> {
        Connector::unix(path).connect()
    }
}

impl<S: SocketStream> Client<S> {
    /// Uses an already connected stream (`TCP_NODELAY`, on TCP, and the
    /// timeouts of `config` are set on it).
    pub fn from_stream(stream: S, config: &ClientConfig) -> Result<Client<S>> {
        tune(&stream, config.write_timeout)?;
        let stream = Arc::new(stream);
        let timed = TimedStream::new(stream.clone(), config.read_timeout, config.read_timeout)?;
        let reader = StreamReader::new(timed, config.framing, config.limits);
        let writer =
            MessageWriter::new(SharedStream(stream.clone()), config.framing, config.limits)
                .splice_shared_values(true);
        let io = match config.protocol {
            ProtocolKind::Binary => Io::Binary(
                BinaryProtocol::new(reader, config.limits),
                BinaryProtocol::new(writer, config.limits),
            ),
            ProtocolKind::Compact => Io::Compact(
                CompactProtocol::new(reader, config.limits),
                CompactProtocol::new(writer, config.limits),
            ),
        };
        Ok(Client {
            io,
            stream,
            seqid: 0,
            broken: false,
            read_timeout: config.read_timeout.filter(|t| !t.is_zero()),
            write_timeout: config.write_timeout.filter(|t| !t.is_zero()),
        })
    }

    /// The socket (e.g. to read its addresses or shut it down).
    pub fn stream(&self) -> &S {
        &self.stream
    }

    /// False after an error that left the connection unusable (or a panic
    /// in an `Encode` or `Decode` impl during a call).
    pub fn is_usable(&self) -> bool {
        !self.broken
    }

    /// Bytes read from the server that no call asked for yet (more than
    /// the last reply held).
    pub(crate) fn has_unread(&self) -> bool {
        match &self.io {
            Io::Binary(i, _) => i.transport().buffered() > 0,
            Io::Compact(i, _) => i.transport().buffered() > 0,
        }
    }

    fn next_seqid(&mut self) -> Result<i32> {
        if self.broken {
            return Err(Error::Transport(TransportError::new(
                TransportErrorKind::NotOpen,
                "the connection is unusable after an earlier error; connect again",
            )));
        }
        self.seqid = self.seqid.wrapping_add(1);
        Ok(self.seqid)
    }

    /// Marks the connection unusable after an error sending a request: the
    /// server may have received part of it.
    fn note<T>(&mut self, r: Result<T>) -> Result<T> {
        if r.is_err() {
            self.broken = true;
        }
        r
    }

    /// The outcome of reading a reply: an error reading it (a transport or
    /// protocol error, or a reply that fails the checks) leaves the stream
    /// out of step and marks the connection unusable, unless the reply was
    /// the right one in a frame whose body failed to decode (the rest of
    /// the frame is skipped: the next reply starts at the next frame); an
    /// EXCEPTION the server sent was read whole, so whatever its kind (even
    /// one the checks also use, such as `BAD_SEQUENCE_ID`) the connection
    /// stays in step.
    fn note_reply<T>(
        &mut self,
        r: std::result::Result<Result<T, ApplicationError>, Failed>,
    ) -> Result<T> {
        match r {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(sent)) => Err(Error::Application(sent)),
            Err(Failed { error, in_step, .. }) => {
                self.broken |= !in_step;
                Err(error)
            }
        }
    }

    /// As [`note`](Client::note), for sending a request. A request over the
    /// frame limit is discarded before any byte of it is sent, so it leaves
    /// the connection usable, as an encoding error does.
    fn note_send(&mut self, r: Result<()>) -> Result<()> {
        match r {
            Err(Error::Transport(t)) if t.kind == TransportErrorKind::SizeLimit => {
                Err(Error::Transport(t))
            }
            r => self.note(r),
        }
    }
}

impl<S: SocketStream> Channel for Client<S> {
    fn call<A: Encode, R: Decode>(&mut self, method: &str, args: &A) -> Result<R> {
        let seqid = self.next_seqid()?;
        // Unusable while user code runs (`Encode` and `Decode` impls): a
        // panic there leaves the connection anywhere in a message. Each
        // normal way out sets it back as the outcome says.
        self.broken = true;
        let encoded = match &mut self.io {
            Io::Binary(_, o) => encode(o, method, MessageType::Call, seqid, args),
            Io::Compact(_, o) => encode(o, method, MessageType::Call, seqid, args),
        };
        // An encoding error sends nothing and leaves the connection usable.
        self.broken = false;
        encoded?;
        let sent = match &mut self.io {
            Io::Binary(_, o) => o.flush(),
            Io::Compact(_, o) => o.flush(),
        };
        let sent = sent.map_err(|e| self.name_write_timeout(e, method));
        self.note_send(sent)?;
        self.broken = true;
        let r = match &mut self.io {
            Io::Binary(i, _) => exchange(i, method, seqid),
            Io::Compact(i, _) => exchange(i, method, seqid),
        };
        self.broken = false;
        let r = r.map_err(|failed| Failed {
            error: name_timeout(failed.error, self.read_timeout, |t| {
                format!("no whole reply to '{method}' within {t:?} (the read timeout)")
            }),
            ..failed
        });
        self.note_reply(r)
    }

    fn call_oneway<A: Encode>(&mut self, method: &str, args: &A) -> Result<()> {
        let seqid = self.next_seqid()?;
        // As in `call`.
        self.broken = true;
        let encoded = match &mut self.io {
            Io::Binary(_, o) => encode(o, method, MessageType::Oneway, seqid, args),
            Io::Compact(_, o) => encode(o, method, MessageType::Oneway, seqid, args),
        };
        self.broken = false;
        encoded?;
        let sent = match &mut self.io {
            Io::Binary(_, o) => o.flush(),
            Io::Compact(_, o) => o.flush(),
        };
        let sent = sent.map_err(|e| self.name_write_timeout(e, method));
        self.note_send(sent)
    }
}

impl<S: SocketStream> Client<S> {
    /// A request that could not be sent within the write timeout, said as
    /// such (the socket's own words name neither the call nor the timeout).
    fn name_write_timeout(&self, error: Error, method: &str) -> Error {
        name_timeout(error, self.write_timeout, |t| {
            format!("sending '{method}' took longer than {t:?} (the write timeout)")
        })
    }
}

/// `error` with the message `says(timeout)` when it is a transport error
/// of kind `TimedOut` and a timeout is set; the kind and the I/O error
/// behind it are kept. A socket's own message for its timeout ("Resource
/// temporarily unavailable" on Linux) says nothing of what waited.
fn name_timeout(
    error: Error,
    timeout: Option<Duration>,
    says: impl FnOnce(Duration) -> String,
) -> Error {
    match (error, timeout) {
        (Error::Transport(mut t), Some(timeout)) if t.kind == TransportErrorKind::TimedOut => {
            t.message = says(timeout);
            Error::Transport(t)
        }
        (error, _) => error,
    }
}

/// Encodes one message into the writer's buffer; on an error the partial
/// message is dropped (nothing has been sent).
fn encode<S, O, A>(
    output: &mut O,
    name: &str,
    kind: MessageType,
    seqid: i32,
    args: &A,
) -> Result<()>
where
    S: SocketStream,
    O: ProtocolWrite + WireProtocol<Writer<S>>,
    A: Encode,
{
    let encoded = output
        .write_message_begin_parts(name, kind, seqid)
        .and_then(|()| args.encode(output))
        .and_then(|()| output.write_message_end());
    if encoded.is_err() {
        output.transport_mut().discard();
    }
    encoded
}

/// A reply that could not be read, and whether the stream is still in
/// step (the next reply starts where the connection now reads).
pub(crate) struct Failed {
    pub(crate) error: Error,
    pub(crate) in_step: bool,
    /// The reply passed the checks (it answers this call); its body failed
    /// to decode.
    pub(crate) body: bool,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Failed {
        Failed {
            error,
            in_step: false,
            body: false,
        }
    }
}

/// Reads and checks the reply to the call just sent: the result struct, or
/// the application error of an EXCEPTION message (`Ok(Err(_))`, read whole);
/// `Err` for a reply that could not be read or fails the checks.
fn exchange<S, I, R>(
    input: &mut I,
    name: &str,
    seqid: i32,
) -> std::result::Result<Result<R, ApplicationError>, Failed>
where
    S: SocketStream,
    I: ProtocolRead + WireProtocol<Reader<S>>,
    R: Decode,
{
    let reader = input.transport_mut();
    // The whole reply must arrive within the read timeout of the request
    // being sent.
    reader.get_mut().restart_message();
    if !reader.begin_message()? {
        return Err(Error::Transport(TransportError::new(
            TransportErrorKind::EndOfFile,
            crate::client::closed_before_reply(name),
        ))
        .into());
    }
    match read_reply(input, name, seqid) {
        Ok(body) => {
            input.transport_mut().end_message()?;
            Ok(body)
        }
        // The reply to this call, framed, whose body does not decode (a
        // schema mismatch, a limit): the rest of its frame is skipped and
        // the next reply starts at the next frame.
        Err(Failed {
            error: error @ Error::Protocol(_),
            body: true,
            ..
        }) if input.transport().can_resync() && input.transport_mut().end_message().is_ok() => {
            Err(Failed {
                error,
                in_step: true,
                body: true,
            })
        }
        Err(failed) => Err(failed),
    }
}

/// Reads one reply message from `input` and checks it against the call
/// (`name`, `seqid`): a different seqid is `BAD_SEQUENCE_ID`, a different
/// name (with or without a `Service:` prefix) `WRONG_METHOD_NAME`, a type
/// other than REPLY or EXCEPTION `INVALID_MESSAGE_TYPE`; then the body, as
/// the result struct or the application error of an EXCEPTION. The
/// blocking and the async clients share it; each decides from
/// [`Failed::body`] whether it is still in step.
pub(crate) fn read_reply<I, R>(
    input: &mut I,
    name: &str,
    seqid: i32,
) -> std::result::Result<Result<R, ApplicationError>, Failed>
where
    I: ProtocolRead + ?Sized,
    R: Decode,
{
    let header = input.read_message_begin()?;
    if header.seqid != seqid {
        return Err(Error::application(
            ApplicationErrorKind::BadSequenceId,
            format!(
                "reply to '{name}' has seqid {}, expected {seqid}",
                header.seqid
            ),
        )
        .into());
    }
    let bare = name.split_once(':').map_or(name, |(_, m)| m);
    if header.name != name && header.name != bare {
        return Err(Error::application(
            ApplicationErrorKind::WrongMethodName,
            format!("reply to '{name}' is named '{}'", header.name),
        )
        .into());
    }
    let body = match header.kind {
        MessageType::Reply => R::decode(input).map(Ok),
        MessageType::Exception => ApplicationError::decode(input).map(Err),
        other => {
            return Err(Error::application(
                ApplicationErrorKind::InvalidMessageType,
                format!("reply to '{name}' has message type {other:?}"),
            )
            .into());
        }
    };
    body.and_then(|body| input.read_message_end().map(|()| body))
        .map_err(|error| Failed {
            error,
            in_step: false,
            body: true,
        })
}
