//! [`SharedClient`]: one connection that many tasks call through at once.
//! Requests are pipelined (written as they come, without waiting for the
//! replies before them) and replies are matched to their calls by seqid.
//!
//! Three parties share a [`Link`]: the callers, which encode requests and
//! decode replies on their own tasks; a writer task, which registers each
//! call as awaiting a reply and then writes its request; and a reader task,
//! which reads whole replies and hands each to the call with its seqid.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ::tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use ::tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use ::tokio::time::Instant;

use super::AsyncChannel;
use super::call::Wire;
use super::client::{check_reply, encode_request, timed_out};
use super::inbox::{Inbox, Next};
use super::stream::AsyncStream;
use super::whole::Whole;
use crate::client::{ClientConfig, Failed};
use crate::codec::{Decode, Encode};
use crate::error::{ApplicationErrorKind, Error, Result, TransportError, TransportErrorKind};
use crate::processor::ProtocolKind;
use crate::protocol::binary::BinaryProtocol;
use crate::protocol::compact::CompactProtocol;
use crate::protocol::{MessageType, ProtocolRead};
use crate::transport::Framing;
use crate::transport::framed::FRAME_HEADER_LEN;
use crate::transport::socket::Endpoint;

/// Requests already queued are gathered into one write up to this many
/// bytes (a larger request is written on its own, without a copy).
const BATCH: usize = 64 * 1024;

/// One connection that many tasks call through at once: clone it (a clone
/// is a cheap handle to the same connection) or call through `&SharedClient`.
/// Both are [`AsyncChannel`]s, so generated async clients work over them:
/// `FooAsyncClient::new(&shared)`.
///
/// Requests are pipelined: each is written as soon as the requests before
/// it are, without waiting for their replies, and each reply goes to the
/// call whose seqid it carries (servers answer a connection's requests in
/// order; replies out of order are matched too). Encoding and decoding run
/// on the calling task; a writer and a reader task, spawned on the current
/// runtime when the client is made, carry the bytes.
///
/// Pipelining saves round trips, not handler time: servers run one
/// connection's calls one after another, so the handlers' times add up on
/// one shared connection, and a slow call delays the calls behind it (and
/// counts against their read timeouts). For calls that run at once, use
/// several connections: [`SharedPool`](super::SharedPool).
///
/// At most [`ClientConfig::max_in_flight`] calls are sent and unanswered at
/// once (more wait for a free slot). The read timeout bounds each call
/// from its start to its whole reply, including the wait for a slot. A
/// call that timed out (or whose future was dropped) before it was sent is
/// not sent; one already sent keeps its slot until its reply arrives and is
/// discarded, so the connection stays in step. Since servers answer a
/// connection's calls in order, a connection that owes replies and
/// receives nothing for a whole read timeout, counted from the latest call
/// sent, is taken for dead and breaks: every reply it owes is then late.
/// The write timeout bounds each write to the socket.
///
/// Replies are checked as the blocking client checks them (see
/// [Replies](crate::client#replies)); the outcome reaches only the call
/// the reply answers. The connection becomes unusable, and every call
/// awaiting a reply or queued fails with the reason, when the server
/// closes it, a read or write fails or times out, a reply carries a seqid
/// no call awaits, an unframed reply is malformed (its end is unknown), or
/// the connection's tasks stop (their runtime shut down). Make a new client
/// then: [`is_usable`](SharedClient::is_usable) tells.
///
/// A call that fails because the connection broke before any byte of its
/// request was written says so: [`Error::is_unsent`] is true when the
/// call came after the break, or was still queued (not yet admitted into
/// one of the writer's writes) when it happened; the server cannot have
/// seen it, so making it again elsewhere is safe
/// ([`SharedPool`](super::SharedPool) does so once). A request admitted
/// into a write, written in full, in part or not yet, fails as sent ([`is_unsent`](Error::is_unsent) false), and so
/// does a oneway call whose connection's tasks stopped before telling it.
///
/// When every handle is dropped, requests already queued are still
/// written, the sending side is shut down, and the connection closes once
/// the replies still awaited have arrived (within the read timeout).
///
/// ```
/// use thriftc_runtime::tokio::{AsyncChannel, AsyncServer, SharedClient};
/// # use thriftc_runtime::tokio::{AsyncProcessor, BoxFuture, Call, Reply};
/// # use thriftc_runtime::protocol::{ProtocolRead, ProtocolWrite, TType};
/// # /// `struct { 1: i32 }`: stands for generated argument and result structs.
/// # struct Num(i32);
/// # impl thriftc_runtime::WireType for Num { const TTYPE: TType = TType::Struct; }
/// # impl thriftc_runtime::Encode for Num {
/// #     fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> thriftc_runtime::Result<()> {
/// #         p.write_struct_begin("Num")?;
/// #         p.write_field_begin("n", TType::I32, 1)?;
/// #         p.write_i32(self.0)?;
/// #         p.write_field_end()?;
/// #         p.write_field_stop()?;
/// #         p.write_struct_end()
/// #     }
/// # }
/// # impl thriftc_runtime::Decode for Num {
/// #     fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> thriftc_runtime::Result<Self> {
/// #         let mut n = 0;
/// #         p.read_struct_begin()?;
/// #         while let Some(f) = p.read_field_begin()? {
/// #             match f.ttype {
/// #                 TType::I32 => n = p.read_i32()?,
/// #                 t => p.skip(t)?,
/// #             }
/// #             p.read_field_end()?;
/// #         }
/// #         p.read_struct_end()?;
/// #         Ok(Num(n))
/// #     }
/// # }
/// # struct Doubler;
/// # impl AsyncProcessor for Doubler {
/// #     fn process(&self, call: Call) -> BoxFuture<'_, Reply> {
/// #         Box::pin(async move {
/// #             match call.args::<Num>() {
/// #                 Ok(n) => call.reply(Ok(Num(n.0 * 2))),
/// #                 Err(reply) => reply,
/// #             }
/// #         })
/// #     }
/// # }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> thriftc_runtime::Result<()> {
/// # let server = AsyncServer::builder(Doubler).bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr();
/// # tokio::spawn(server.serve());
/// let shared = SharedClient::connect(addr).await?;
/// let calls: Vec<_> = (0..8)
///     .map(|i| {
///         let mut client = shared.clone();
///         tokio::spawn(async move { client.call::<_, Num>("double", &Num(i)).await })
///     })
///     .collect();
/// for (i, call) in calls.into_iter().enumerate() {
///     assert_eq!(call.await.expect("the task")?.0, 2 * i as i32);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SharedClient {
    inner: Arc<Inner>,
}

/// What the handles share; dropping the last one closes the queue, which
/// tells the writer to finish.
struct Inner {
    queue: mpsc::UnboundedSender<Outgoing>,
    link: Arc<Link>,
    wire: Wire,
    seqid: AtomicI32,
    read_timeout: Option<Duration>,
    max_in_flight: usize,
    peer: Option<Endpoint>,
    local: Option<Endpoint>,
}

/// What the callers, the writer and the reader share.
struct Link {
    state: Mutex<State>,
    /// A permit per call sent (or queued) and unanswered.
    slots: Arc<Semaphore>,
    /// Tells the reader that the writer finished or the connection broke.
    reader_wake: Notify,
    /// Tells the writer that the connection broke.
    writer_stop: Notify,
}

#[derive(Default)]
struct State {
    /// The calls written (or being written) and awaiting their reply, by seqid.
    waiting: HashMap<i32, Waiter>,
    /// Why the connection is unusable.
    broken: Option<Broken>,
    /// No more requests will be written.
    writer_done: bool,
    /// When bytes last arrived, or a call started awaiting a reply while
    /// none did: with calls waiting, silence since then for a whole read
    /// timeout breaks the connection.
    heard: Option<Instant>,
}

/// Why the connection became unusable, given to every call it fails.
#[derive(Clone, Debug)]
struct Broken {
    kind: TransportErrorKind,
    message: String,
}

impl Broken {
    fn new(kind: TransportErrorKind, message: impl Into<String>) -> Broken {
        Broken {
            kind,
            message: message.into(),
        }
    }

    fn from_error(e: &Error) -> Broken {
        let kind = match e {
            Error::Transport(t) => t.kind,
            _ => TransportErrorKind::Unknown,
        };
        Broken::new(kind, format!("the connection is closed: {e}"))
    }

    /// The error of a call whose request was sent, or may have been.
    fn error(&self) -> Error {
        Error::Transport(TransportError::new(self.kind, self.message.clone()))
    }

    /// The error of a call whose request was certainly not sent: refused,
    /// or still queued when the connection broke.
    fn refused(&self) -> Error {
        refused(self.kind, &self.message)
    }
}

/// A transport error of `kind` for a call none of whose bytes were written
/// ([`TransportError::unsent`]).
fn refused(kind: TransportErrorKind, why: &str) -> Error {
    let mut e = TransportError::new(kind, format!("{why} (the request was not sent)"));
    e.unsent = true;
    Error::Transport(e)
}

/// A call awaiting its reply.
struct Waiter {
    reply: oneshot::Sender<Result<Arrived>>,
    slot: OwnedSemaphorePermit,
}

/// A reply's bytes (framed: with the frame header) and whether its end is
/// known.
struct Arrived {
    bytes: Vec<u8>,
    in_step: bool,
}

/// A request handed to the writer.
struct Outgoing {
    bytes: Vec<u8>,
    seqid: i32,
    kind: Kind,
}

enum Kind {
    Call(Waiter),
    /// Told once the message is written.
    Oneway {
        sent: oneshot::Sender<Result<()>>,
        slot: OwnedSemaphorePermit,
    },
}

impl fmt::Debug for SharedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedClient")
            .field("peer", &self.inner.peer)
            .field("in_flight", &self.in_flight())
            .field("usable", &self.is_usable())
            .finish_non_exhaustive()
    }
}

impl SharedClient {
    /// Connects to `addr` with the default settings (see
    /// [`Connector`](crate::Connector); each resolved address is tried in
    /// turn within the connect timeout).
    pub async fn connect(addr: impl ::tokio::net::ToSocketAddrs) -> Result<SharedClient> {
        let addrs: Vec<SocketAddr> = ::tokio::net::lookup_host(addr).await?.collect();
        let config = ClientConfig::default();
        let stream = super::stream::connect_tcp(&addrs, config.connect_timeout)
            .await
            .map_err(|e| {
                crate::client::connect_failed(&crate::transport::socket::describe_all(&addrs), e)
            })?;
        SharedClient::from_stream(stream, &config)
    }

    /// Connects to the Unix domain socket at `path` (Unix platforms) with
    /// the default settings (see [`Connector::unix`](crate::Connector::unix)).
    #[cfg(unix)]
    pub async fn connect_unix(path: impl AsRef<std::path::Path>) -> Result<SharedClient> {
        crate::Connector::unix(path).connect_shared().await
    }

    /// Uses an already connected stream of any kind: tokio's `TcpStream`
    /// (`TCP_NODELAY` is set on it), its `UnixStream`, or an
    /// [`AsyncSocket`](super::AsyncSocket); the protocol, framing,
    /// timeouts, limits and `max_in_flight` are `config`'s. Spawns the
    /// writer and reader tasks on the current runtime: outside one, this
    /// is an error.
    pub fn from_stream<S: AsyncStream>(stream: S, config: &ClientConfig) -> Result<SharedClient> {
        let runtime = ::tokio::runtime::Handle::try_current().map_err(|e| {
            Error::Transport(TransportError::new(
                TransportErrorKind::NotOpen,
                format!("a SharedClient needs a tokio runtime to run its connection on: {e}"),
            ))
        })?;
        stream.set_nodelay_if_tcp()?;
        let (peer, local) = (stream.peer(), stream.local());
        let wire = Wire {
            protocol: config.protocol,
            framing: config.framing,
            limits: config.limits,
        };
        let max_in_flight = config.max_in_flight.clamp(1, Semaphore::MAX_PERMITS);
        let link = Arc::new(Link {
            state: Mutex::new(State::default()),
            slots: Arc::new(Semaphore::new(max_in_flight)),
            reader_wake: Notify::new(),
            writer_stop: Notify::new(),
        });
        let (queue, requests) = mpsc::unbounded_channel();
        let (input, output) = stream.split();
        // The guards are made here and moved into the tasks: a task dropped
        // before it ever ran breaks the connection too.
        runtime.spawn(write_loop(
            output,
            requests,
            TaskGuard::new(Arc::clone(&link)),
            super::limit(config.write_timeout),
        ));
        runtime.spawn(read_loop(
            input,
            Inbox::new(wire),
            TaskGuard::new(Arc::clone(&link)),
            super::limit(config.read_timeout),
        ));
        Ok(SharedClient {
            inner: Arc::new(Inner {
                queue,
                link,
                wire,
                seqid: AtomicI32::new(0),
                read_timeout: super::limit(config.read_timeout),
                max_in_flight,
                peer,
                local,
            }),
        })
    }

    /// The server's TCP address (`None` over a Unix socket: see
    /// [`peer`](Self::peer)).
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.inner.peer.as_ref().and_then(Endpoint::tcp)
    }

    /// This end's TCP address (`None` over a Unix socket).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.local.as_ref().and_then(Endpoint::tcp)
    }

    /// The server's end: its TCP address, or its Unix socket's path.
    pub fn peer(&self) -> Option<&Endpoint> {
        self.inner.peer.as_ref()
    }

    /// False once the connection broke (see the type's docs): every call
    /// then fails at once with the reason.
    pub fn is_usable(&self) -> bool {
        self.inner.link.state().broken.is_none()
    }

    /// Calls sent or queued whose reply (or, oneway, whose sending) is
    /// still awaited, abandoned ones included.
    pub fn in_flight(&self) -> usize {
        let free = self.inner.link.slots.available_permits();
        self.inner.max_in_flight.saturating_sub(free)
    }

    /// Makes a call; its error says whether this connection found that
    /// the request was not sent (see [`CallError`]).
    pub(crate) async fn exchange<A: Encode, R: Decode>(
        &self,
        method: &str,
        args: &A,
    ) -> std::result::Result<R, CallError> {
        let inner = &*self.inner;
        inner.link.usable().map_err(CallError::own)?;
        let seqid = inner.next_seqid();
        let bytes = encode_request(inner.wire, method, MessageType::Call, seqid, args)
            .map_err(CallError::foreign)?;
        let late = |t| format!("no reply to '{method}' within {t:?}");
        let arrived = within(inner.read_timeout, late, async {
            let slot = inner.link.slot().await?;
            let (reply, arrived) = oneshot::channel();
            inner.send(Outgoing {
                bytes,
                seqid,
                kind: Kind::Call(Waiter { reply, slot }),
            })?;
            // A call's waiter is answered once it is handed to the writer:
            // one dropped unanswered was still queued when the writer
            // stopped.
            arrived.await.unwrap_or_else(|_| Err(inner.link.refused()))
        })
        .await
        .map_err(CallError::own)?;
        // The reply is decoded by the caller's `Decode`: whatever its
        // errors say, they are not the connection's.
        match check_reply::<R>(inner.wire, &arrived.bytes, arrived.in_step, method, seqid) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(sent)) => Err(CallError::foreign(Error::Application(sent))),
            Err(Failed { error, .. }) => Err(CallError::foreign(error)),
        }
    }

    /// Sends a oneway call; its error says whether this connection found
    /// that the request was not sent (see [`CallError`]).
    pub(crate) async fn oneway<A: Encode>(
        &self,
        method: &str,
        args: &A,
    ) -> std::result::Result<(), CallError> {
        let inner = &*self.inner;
        inner.link.usable().map_err(CallError::own)?;
        let seqid = inner.next_seqid();
        let bytes = encode_request(inner.wire, method, MessageType::Oneway, seqid, args)
            .map_err(CallError::foreign)?;
        let late = |t| format!("'{method}' was not sent within {t:?}");
        within(inner.read_timeout, late, async {
            let slot = inner.link.slot().await?;
            let (sent, written) = oneshot::channel();
            inner.send(Outgoing {
                bytes,
                seqid,
                kind: Kind::Oneway { sent, slot },
            })?;
            // Dropped unanswered: still queued, or being written when the
            // writer stopped (not certain either way).
            written.await.unwrap_or_else(|_| Err(inner.link.closed()))
        })
        .await
        .map_err(CallError::own)
    }
}

/// A failed call through a [`SharedClient`], and whether the connection
/// itself found that no byte of its request was sent: it refused the
/// call (already broken), or the call was still queued when it broke.
/// [`SharedPool`](super::SharedPool) makes a call again only then, never
/// on an error that merely says so ([`Error::is_unsent`]), such as one a
/// `Decode` or `Encode` impl returned.
pub(crate) struct CallError {
    /// What the caller sees.
    pub(crate) error: Error,
    /// Not sent, as the connection established it.
    pub(crate) refused: bool,
}

impl CallError {
    /// An error this module made: every one that says the request was
    /// not sent was made where that is certain.
    fn own(error: Error) -> CallError {
        let refused = error.is_unsent();
        CallError { error, refused }
    }

    /// An error from the caller's types (encoding the arguments, decoding
    /// the reply): never taken as a refusal.
    fn foreign(error: Error) -> CallError {
        CallError {
            error,
            refused: false,
        }
    }
}

/// Runs `exchange` within `timeout`, if any; `late` says what did not
/// happen in time.
async fn within<T>(
    timeout: Option<Duration>,
    late: impl FnOnce(Duration) -> String,
    exchange: impl Future<Output = Result<T>>,
) -> Result<T> {
    match timeout {
        Some(t) => ::tokio::time::timeout(t, exchange)
            .await
            .map_err(|_| timed_out(late(t)))?,
        None => exchange.await,
    }
}

impl AsyncChannel for SharedClient {
    async fn call<A: Encode + Sync, R: Decode + Send>(
        &mut self,
        method: &str,
        args: &A,
    ) -> Result<R> {
        (&*self).call(method, args).await
    }

    async fn call_oneway<A: Encode + Sync>(&mut self, method: &str, args: &A) -> Result<()> {
        (&*self).call_oneway(method, args).await
    }
}

impl AsyncChannel for &SharedClient {
    async fn call<A: Encode + Sync, R: Decode + Send>(
        &mut self,
        method: &str,
        args: &A,
    ) -> Result<R> {
        self.exchange(method, args).await.map_err(|e| e.error)
    }

    async fn call_oneway<A: Encode + Sync>(&mut self, method: &str, args: &A) -> Result<()> {
        self.oneway(method, args).await.map_err(|e| e.error)
    }
}

impl Inner {
    fn next_seqid(&self) -> i32 {
        self.seqid.fetch_add(1, Ordering::Relaxed).wrapping_add(1)
    }

    fn send(&self, request: Outgoing) -> Result<()> {
        self.queue.send(request).map_err(|_| self.link.refused())
    }
}

impl Link {
    fn state(&self) -> MutexGuard<'_, State> {
        // The state stays consistent however a holder stops: every change
        // is one assignment or one map operation.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the reader last heard from the server, or the latest call was
    /// registered, while calls await replies.
    fn overdue_since(&self) -> Option<Instant> {
        let state = self.state();
        state.heard.filter(|_| !state.waiting.is_empty())
    }

    /// The error a call meets on a connection that is closed.
    fn closed(&self) -> Error {
        match &self.state().broken {
            Some(broken) => broken.error(),
            None => Error::Transport(TransportError::new(
                TransportErrorKind::NotOpen,
                "the connection is closed",
            )),
        }
    }

    /// The error a call meets that the connection refused, its request
    /// not sent ([`TransportError::unsent`]).
    fn refused(&self) -> Error {
        match &self.state().broken {
            Some(broken) => broken.refused(),
            None => refused(TransportErrorKind::NotOpen, "the connection is closed"),
        }
    }

    /// `Err` (the request is not sent) once the connection broke.
    fn usable(&self) -> Result<()> {
        match &self.state().broken {
            Some(broken) => Err(broken.refused()),
            None => Ok(()),
        }
    }

    /// Waits for a free slot (fails once the connection breaks; the
    /// request is not sent).
    async fn slot(&self) -> Result<OwnedSemaphorePermit> {
        Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|_| self.refused())
    }

    /// Marks the connection unusable (the first reason wins) and fails
    /// every call awaiting a reply, and every call waiting for a slot.
    fn break_with(&self, broken: Broken) {
        let waiting = {
            let mut state = self.state();
            if state.broken.is_some() {
                return;
            }
            state.broken = Some(broken.clone());
            std::mem::take(&mut state.waiting)
        };
        self.slots.close();
        for (_, waiter) in waiting {
            waiter.answer(Err(broken.error()));
        }
        self.writer_stop.notify_one();
        self.reader_wake.notify_one();
    }

    /// Registers `request`'s call as awaiting its reply (or, oneway, as to
    /// be told when written) and appends its bytes to `bytes`; a request
    /// that cannot be sent (the connection broke) is failed here instead,
    /// as not sent.
    fn admit(
        &self,
        request: Outgoing,
        bytes: &mut Vec<Vec<u8>>,
        oneways: &mut Vec<(oneshot::Sender<Result<()>>, OwnedSemaphorePermit)>,
    ) {
        let mut state = self.state();
        if let Some(broken) = &state.broken {
            let error = broken.refused();
            drop(state);
            match request.kind {
                Kind::Call(waiter) => waiter.answer(Err(error)),
                Kind::Oneway { sent, slot } => {
                    drop(slot);
                    let _ = sent.send(Err(error));
                }
            }
            return;
        }
        // A call whose future is gone (it timed out or was dropped) is not
        // sent: nothing would read its reply.
        let abandoned = match &request.kind {
            Kind::Call(waiter) => waiter.reply.is_closed(),
            Kind::Oneway { sent, .. } => sent.is_closed(),
        };
        if abandoned {
            return;
        }
        match request.kind {
            Kind::Call(waiter) => {
                if state.waiting.contains_key(&request.seqid) {
                    // Only after 2^32 calls with this one still unanswered.
                    drop(state);
                    let error = Error::application(
                        ApplicationErrorKind::BadSequenceId,
                        format!("seqid {} still awaits an earlier reply", request.seqid),
                    );
                    waiter.answer(Err(error));
                    return;
                }
                // The silence that breaks the connection counts from the
                // latest call too: it breaks once every reply owed is late.
                state.heard = Some(Instant::now());
                if state.waiting.is_empty() {
                    // The reader's wait for replies starts now.
                    self.reader_wake.notify_one();
                }
                state.waiting.insert(request.seqid, waiter);
            }
            Kind::Oneway { sent, slot } => oneways.push((sent, slot)),
        }
        bytes.push(request.bytes);
    }

    /// Takes the call that the reply `bytes` answers off the waiting list;
    /// `Err`: it answers none, or its header does not decode.
    fn answered(&self, wire: Wire, bytes: &[u8]) -> std::result::Result<Waiter, Broken> {
        let Some(seqid) = seqid_of(wire, bytes) else {
            return Err(Broken::new(
                TransportErrorKind::Unknown,
                "the connection is closed: a reply's header does not decode",
            ));
        };
        let waiter = self.state().waiting.remove(&seqid);
        waiter.ok_or_else(|| {
            Broken::new(
                TransportErrorKind::Unknown,
                format!(
                    "the connection is closed: a reply has seqid {seqid}, which no call awaits"
                ),
            )
        })
    }
}

impl Waiter {
    /// Frees the call's slot, then hands it its outcome (a call that timed
    /// out or was dropped no longer listens).
    fn answer(self, outcome: Result<Arrived>) {
        let Waiter { reply, slot } = self;
        drop(slot);
        let _ = reply.send(outcome);
    }
}

/// The seqid in the header of the message `bytes`.
fn seqid_of(wire: Wire, bytes: &[u8]) -> Option<i32> {
    let at = match wire.framing {
        Framing::Framed => FRAME_HEADER_LEN,
        _ => 0,
    };
    let input = Whole::new(bytes.get(at..)?);
    let header = match wire.protocol {
        ProtocolKind::Binary => BinaryProtocol::new(input, wire.limits).read_message_begin(),
        ProtocolKind::Compact => CompactProtocol::new(input, wire.limits).read_message_begin(),
    };
    header.ok().map(|h| h.seqid)
}

/// Breaks the connection when its task ends other than by returning: a
/// panic, or its runtime shutting down (which drops the task). The calls
/// then fail instead of waiting for a task that is gone.
struct TaskGuard {
    link: Arc<Link>,
    armed: bool,
}

impl TaskGuard {
    fn new(link: Arc<Link>) -> TaskGuard {
        TaskGuard { link, armed: true }
    }

    /// The task ends as it should.
    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.armed {
            let why = if std::thread::panicking() {
                "the connection is closed: one of its tasks panicked"
            } else {
                "the connection is closed: its tasks stopped (their runtime shut down)"
            };
            self.link
                .break_with(Broken::new(TransportErrorKind::NotOpen, why));
        }
    }
}

/// Writes the requests as they are queued, several at once when several
/// are waiting, until every handle is gone or the connection breaks (also
/// while a write is under way); then fails the requests still queued and
/// shuts the sending side down.
async fn write_loop(
    mut output: impl AsyncWrite + Unpin,
    mut requests: mpsc::UnboundedReceiver<Outgoing>,
    mut guard: TaskGuard,
    timeout: Option<Duration>,
) {
    let link = Arc::clone(&guard.link);
    let mut batch = Vec::new();
    let mut bytes = Vec::new();
    let mut oneways = Vec::new();
    // A request that would have made the batch too large: the next one's.
    let mut held: Option<Outgoing> = None;
    loop {
        let first = match held.take() {
            Some(request) => request,
            None => ::tokio::select! {
                biased;
                () = link.writer_stop.notified() => break,
                next = requests.recv() => match next {
                    Some(request) => request,
                    None => break,
                },
            },
        };
        let mut size = first.bytes.len();
        link.admit(first, &mut bytes, &mut oneways);
        while size < BATCH {
            let Ok(request) = requests.try_recv() else {
                break;
            };
            if !bytes.is_empty() && size + request.bytes.len() > BATCH {
                held = Some(request);
                break;
            }
            size += request.bytes.len();
            link.admit(request, &mut bytes, &mut oneways);
        }
        let out: &[u8] = match bytes.as_slice() {
            [] => continue,
            [one] => one,
            many => {
                batch.clear();
                many.iter().for_each(|b| crate::copy::extend(&mut batch, b));
                &batch
            }
        };
        let write = async {
            let write = output.write_all(out);
            match timeout {
                Some(t) => match ::tokio::time::timeout(t, write).await {
                    Ok(r) => r.map_err(|e| Broken::from_error(&e.into())),
                    Err(_) => Err(Broken::new(
                        TransportErrorKind::TimedOut,
                        format!(
                            "the connection is closed: sending requests took longer than {t:?}"
                        ),
                    )),
                },
                None => write.await.map_err(|e| Broken::from_error(&e.into())),
            }
        };
        // A break found by the reader ends a write that cannot finish (the
        // server no longer reads).
        let written = ::tokio::select! {
            biased;
            () = link.writer_stop.notified() => Err(None),
            written = write => written.map_err(Some),
        };
        bytes.clear();
        if batch.capacity() > 4 * BATCH {
            batch = Vec::new();
        }
        match written {
            Ok(()) => {
                for (sent, slot) in oneways.drain(..) {
                    drop(slot);
                    let _ = sent.send(Ok(()));
                }
            }
            Err(broken) => {
                if let Some(broken) = broken {
                    link.break_with(broken);
                }
                for (sent, slot) in oneways.drain(..) {
                    drop(slot);
                    let _ = sent.send(Err(link.closed()));
                }
                break;
            }
        }
    }
    // Broken: what is still queued fails with the reason (every handle
    // gone: nothing is queued).
    requests.close();
    for request in held
        .into_iter()
        .chain(std::iter::from_fn(|| requests.try_recv().ok()))
    {
        link.admit(request, &mut bytes, &mut oneways);
    }
    guard.disarm();
    link.state().writer_done = true;
    link.reader_wake.notify_one();
    // The server reads the end of the stream after the last request, and
    // closes the connection once it has answered them all.
    let _ = output.shutdown().await;
}

/// Reads whole replies and hands each to its call, until the connection
/// breaks, or the writer finished and no call awaits a reply. With calls
/// awaiting replies, a read timeout without a byte breaks the connection.
async fn read_loop(
    mut input: impl AsyncRead + Unpin,
    mut inbox: Inbox,
    mut guard: TaskGuard,
    timeout: Option<Duration>,
) {
    let link = Arc::clone(&guard.link);
    let wire = inbox.wire();
    // Once every handle is gone, the replies still owed have a read
    // timeout to arrive, however slowly their bytes come.
    let mut closing: Option<Instant> = None;
    loop {
        let delivered = match inbox.next() {
            Next::Whole(n) => {
                let bytes = inbox.take(n);
                link.answered(wire, &bytes).map(|waiter| {
                    waiter.answer(Ok(Arrived {
                        bytes,
                        in_step: true,
                    }));
                })
            }
            Next::Malformed => {
                // The rest of the stream cannot be read: the connection
                // breaks first, then the call the reply answers learns why
                // it failed.
                let bytes = inbox.take_malformed();
                let waiter = link.answered(wire, &bytes);
                link.break_with(Broken::new(
                    TransportErrorKind::Unknown,
                    "the connection is closed: a reply was malformed",
                ));
                if let Ok(waiter) = waiter {
                    waiter.answer(Ok(Arrived {
                        bytes,
                        in_step: false,
                    }));
                }
                guard.disarm();
                return;
            }
            Next::BadFrame(e) => Err(Broken::from_error(&e)),
            Next::Part => {
                let deadline = {
                    let state = link.state();
                    if state.broken.is_some() || (state.writer_done && state.waiting.is_empty()) {
                        guard.disarm();
                        return;
                    }
                    if state.writer_done && closing.is_none() {
                        closing = timeout.and_then(|t| Instant::now().checked_add(t));
                    }
                    if closing.is_some_and(|c| c <= Instant::now()) {
                        drop(state);
                        guard.disarm();
                        return;
                    }
                    let silence = match (timeout, state.waiting.is_empty()) {
                        (Some(t), false) => state.heard.unwrap_or_else(Instant::now).checked_add(t),
                        _ => None,
                    };
                    silence.into_iter().chain(closing).min()
                };
                ::tokio::select! {
                    read = inbox.fill(&mut input) => match read {
                        Ok(0) => Err(Broken::new(
                            TransportErrorKind::EndOfFile,
                            "the connection is closed: the server closed it",
                        )),
                        Ok(_) => {
                            link.state().heard = Some(Instant::now());
                            Ok(())
                        }
                        Err(e) => Err(Broken::from_error(&e.into())),
                    },
                    () = link.reader_wake.notified() => Ok(()),
                    // A call registered since may have moved the deadline.
                    () = sleep_until(deadline) => match (timeout, link.overdue_since()) {
                        _ if closing.is_some_and(|c| c <= Instant::now()) => Err(Broken::new(
                            TransportErrorKind::TimedOut,
                            "the connection is closed: every handle was dropped, and the replies \
                             still owed did not arrive within the read timeout",
                        )),
                        (Some(t), Some(heard)) if heard + t <= Instant::now() => {
                            Err(Broken::new(
                                TransportErrorKind::TimedOut,
                                format!(
                                    "the connection is closed: calls awaited replies and nothing \
                                     arrived within {t:?}"
                                ),
                            ))
                        }
                        _ => Ok(()),
                    },
                }
            }
        };
        if let Err(broken) = delivered {
            link.break_with(broken);
            guard.disarm();
            return;
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => ::tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
