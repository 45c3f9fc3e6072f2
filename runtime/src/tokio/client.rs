//! [`AsyncClient`]: one connection's calls on tokio, with the blocking
//! [`Client`](crate::Client)'s checks and outcomes.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use ::tokio::io::AsyncWriteExt;
use ::tokio::net::TcpStream;
#[cfg(unix)]
use ::tokio::net::UnixStream;

use super::AsyncChannel;
use super::call::{Sink, Wire};
use super::inbox::{Inbox, Next};
use super::stream::AsyncStream;
use super::whole::Whole;
use crate::client::{ClientConfig, Failed, read_reply};
use crate::codec::{Decode, Encode};
use crate::error::{
    ApplicationError, Error, ProtocolErrorKind, Result, TransportError, TransportErrorKind,
};
use crate::processor::ProtocolKind;
use crate::protocol::binary::BinaryProtocol;
use crate::protocol::compact::CompactProtocol;
use crate::protocol::{MessageType, ProtocolWrite};
use crate::transport::Framing;
use crate::transport::framed::FRAME_HEADER_LEN;

/// One connection to a server, on tokio; makes one call at a time.
///
/// `S` is the kind of stream: tokio's [`TcpStream`] (the default), its
/// `UnixStream` (Unix platforms: [`connect_unix`](AsyncClient::connect_unix),
/// or [`Connector::unix`](crate::Connector::unix) and
/// [`connect_async`](crate::Connector::connect_async)), or
/// [`AsyncSocket`](super::AsyncSocket) for either.
///
/// Its replies are checked as the blocking client checks them (see
/// [Replies](crate::client#replies)): a wrong seqid, method name or
/// message type is an [`Error::Application`] and leaves the client
/// unusable; an EXCEPTION is returned as its [`ApplicationError`] and the
/// client stays usable. A reply that passes the checks but whose body does
/// not decode is skipped, and the client stays usable, whenever the reply's
/// end is known: always framed, and unframed once the bytes were found to
/// make a whole message (they are, unless they are malformed).
///
/// The whole reply must arrive within the read timeout of the request
/// being sent. A call whose future is dropped before it finished leaves
/// the client unusable (the stream may hold part of a message): connect
/// again.
pub struct AsyncClient<S: AsyncStream = TcpStream> {
    stream: S,
    inbox: Inbox,
    wire: Wire,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    seqid: i32,
    broken: bool,
}

impl<S: AsyncStream> fmt::Debug for AsyncClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncClient")
            .field("peer", &self.stream.peer())
            .field("seqid", &self.seqid)
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

impl AsyncClient {
    /// Connects to `addr` with the default settings (see
    /// [`Connector`](crate::Connector); each resolved address is tried in
    /// turn within the connect timeout).
    pub async fn connect(addr: impl ::tokio::net::ToSocketAddrs) -> Result<AsyncClient> {
        let addrs: Vec<SocketAddr> = ::tokio::net::lookup_host(addr).await?.collect();
        let config = ClientConfig::default();
        let stream = super::stream::connect_tcp(&addrs, config.connect_timeout)
            .await
            .map_err(|e| {
                crate::client::connect_failed(&crate::transport::socket::describe_all(&addrs), e)
            })?;
        AsyncClient::from_stream(stream, &config)
    }
}

#[cfg(unix)]
impl AsyncClient<UnixStream> {
    /// Connects to the Unix domain socket at `path` with the default
    /// settings (see [`Connector::unix`](crate::Connector::unix)).
    pub async fn connect_unix(
        path: impl AsRef<std::path::Path>,
    ) -> Result<AsyncClient<UnixStream>> {
        crate::Connector::unix(path).connect_async().await
    }
}

impl<S: AsyncStream> AsyncClient<S> {
    /// Uses an already connected stream (`TCP_NODELAY` is set on it, on
    /// TCP; the protocol, framing, timeouts and limits are `config`'s; its
    /// connect timeout is not used).
    pub fn from_stream(stream: S, config: &ClientConfig) -> Result<AsyncClient<S>> {
        stream.set_nodelay_if_tcp()?;
        let wire = Wire {
            protocol: config.protocol,
            framing: config.framing,
            limits: config.limits,
        };
        Ok(AsyncClient {
            stream,
            inbox: Inbox::new(wire),
            wire,
            read_timeout: super::limit(config.read_timeout),
            write_timeout: super::limit(config.write_timeout),
            seqid: 0,
            broken: false,
        })
    }

    /// The socket (e.g. to read its addresses).
    pub fn stream(&self) -> &S {
        &self.stream
    }

    /// False after an error that left the connection unusable, a call
    /// future dropped before it finished, or a panic in an `Encode` or
    /// `Decode` impl during a call.
    pub fn is_usable(&self) -> bool {
        !self.broken
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

    /// Encodes and sends one request; the client is left unusable if
    /// sending fails (the server may have received part of it), usable if
    /// encoding does (nothing was sent).
    async fn send<A: Encode>(
        &mut self,
        name: &str,
        kind: MessageType,
        seqid: i32,
        args: &A,
    ) -> Result<()> {
        // Unusable while user code runs (`Encode`): a panic there, as a
        // dropped future while sending, leaves the stream anywhere.
        self.broken = true;
        let request = encode_request(self.wire, name, kind, seqid, args);
        self.broken = false;
        let request = request?;
        self.broken = true;
        let write = self.stream.write_all(&request);
        match self.write_timeout {
            Some(t) => ::tokio::time::timeout(t, write)
                .await
                .map_err(|_| timed_out(format!("sending '{name}' took longer than {t:?}")))??,
            None => write.await?,
        }
        self.broken = false;
        Ok(())
    }

    /// Reads until a whole message has arrived (or the stream ends).
    async fn gather(&mut self, name: &str) -> Result<Next> {
        loop {
            match self.inbox.next() {
                Next::Part => {}
                next => return Ok(next),
            }
            if self.inbox.fill(&mut self.stream).await? == 0 {
                return Err(Error::Transport(TransportError::new(
                    TransportErrorKind::EndOfFile,
                    crate::client::closed_before_reply(name),
                )));
            }
        }
    }

    /// Reads and checks the reply to the call just sent.
    async fn receive<R: Decode>(
        &mut self,
        name: &str,
        seqid: i32,
    ) -> std::result::Result<Result<R, ApplicationError>, Failed> {
        let next = match self.read_timeout {
            Some(t) => ::tokio::time::timeout(t, self.gather(name))
                .await
                .map_err(|_| timed_out(format!("no whole reply to '{name}' within {t:?}")))??,
            None => self.gather(name).await?,
        };
        let (bytes, in_step) = match next {
            Next::Whole(n) => (self.inbox.take(n), true),
            Next::Malformed => (self.inbox.take_malformed(), false),
            Next::BadFrame(e) => return Err(e.into()),
            // Not returned by `gather`.
            Next::Part => return Err(crate::transport::eof().into()),
        };
        check_reply(self.wire, &bytes, in_step, name, seqid)
    }
}

impl<S: AsyncStream> AsyncChannel for AsyncClient<S> {
    async fn call<A: Encode + Sync, R: Decode + Send>(
        &mut self,
        method: &str,
        args: &A,
    ) -> Result<R> {
        let seqid = self.next_seqid()?;
        self.send(method, MessageType::Call, seqid, args).await?;
        // Unusable until the reply is read: a future dropped meanwhile (or
        // a panic in a `Decode` impl) leaves the stream anywhere.
        self.broken = true;
        let read = self.receive::<R>(method, seqid).await;
        self.broken = false;
        match read {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(sent)) => Err(Error::Application(sent)),
            Err(Failed { error, in_step, .. }) => {
                self.broken = !in_step;
                Err(error)
            }
        }
    }

    async fn call_oneway<A: Encode + Sync>(&mut self, method: &str, args: &A) -> Result<()> {
        let seqid = self.next_seqid()?;
        self.send(method, MessageType::Oneway, seqid, args).await
    }
}

/// Encodes one request message (framed if `wire` is); nothing is sent. A
/// message over the frame limit is a `SIZE_LIMIT` error.
pub(crate) fn encode_request<A: Encode>(
    wire: Wire,
    name: &str,
    kind: MessageType,
    seqid: i32,
    args: &A,
) -> Result<Vec<u8>> {
    fn write<O: ProtocolWrite, A: Encode>(
        o: &mut O,
        name: &str,
        kind: MessageType,
        seqid: i32,
        args: &A,
    ) -> Result<()> {
        o.write_message_begin_parts(name, kind, seqid)?;
        args.encode(o)?;
        o.write_message_end()?;
        o.flush()
    }
    let sink = Sink::new(wire);
    let limits = wire.limits;
    let sink = match wire.protocol {
        ProtocolKind::Binary => {
            let mut o = BinaryProtocol::new(sink, limits);
            write(&mut o, name, kind, seqid, args)?;
            o.into_inner()
        }
        ProtocolKind::Compact => {
            let mut o = CompactProtocol::new(sink, limits);
            write(&mut o, name, kind, seqid, args)?;
            o.into_inner()
        }
    };
    Ok(sink.into_bytes())
}

/// Checks and decodes the reply `bytes` (framed if `wire` is) to the call
/// of `name` with `seqid`; `in_step`: the reply's end is known (always
/// framed; unframed, unless the check found the bytes malformed).
pub(crate) fn check_reply<R: Decode>(
    wire: Wire,
    bytes: &[u8],
    in_step: bool,
    name: &str,
    seqid: i32,
) -> std::result::Result<Result<R, ApplicationError>, Failed> {
    let at = match wire.framing {
        Framing::Framed => FRAME_HEADER_LEN,
        _ => 0,
    };
    // Reading past the end of a reply whose end is known is malformed
    // data (the reply to this call, if it passed the checks, leaves the
    // client in step), not the end of the stream.
    let input = Whole::new(bytes.get(at..).unwrap_or_default());
    let limits = wire.limits;
    let read = match wire.protocol {
        ProtocolKind::Binary => read_reply(&mut BinaryProtocol::new(input, limits), name, seqid),
        ProtocolKind::Compact => read_reply(&mut CompactProtocol::new(input, limits), name, seqid),
    };
    match read {
        Ok(_) if !in_step => Err(Error::protocol(
            ProtocolErrorKind::InvalidData,
            format!("the reply to '{name}' is malformed"),
        )
        .into()),
        Ok(body) => Ok(body),
        // The reply to this call, whose body does not decode (a schema
        // mismatch, a limit): its end is known, the next reply starts
        // there.
        Err(Failed {
            error: error @ Error::Protocol(_),
            body: true,
            ..
        }) if in_step => Err(Failed {
            error,
            in_step: true,
            body: true,
        }),
        Err(failed) => Err(Failed {
            in_step: false,
            ..failed
        }),
    }
}

pub(crate) fn timed_out(message: String) -> Error {
    Error::Transport(TransportError::new(TransportErrorKind::TimedOut, message))
}
