//! [`AsyncServer`]: a Thrift server on tokio. Each connection is a task;
//! one shared [`AsyncProcessor`] answers every call.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
#[cfg(unix)]
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use ::tokio::io::{AsyncReadExt, AsyncWriteExt};
use ::tokio::net::TcpListener;
use ::tokio::sync::{Semaphore, watch};
use ::tokio::task::JoinSet;
use ::tokio::time::Instant;

use super::alarm::Alarm;
use super::call::{AsyncProcessor, Call, Wire};
use super::catch::{NAME_KEEP, guarded_in};
use super::inbox::{Inbox, Next};
use super::listener::{Accepted, AsyncListener};
use super::observe::Watch;
use super::stop::StopSignal;
use super::stream::AsyncStream;
use crate::limits::Limits;
use crate::processor::ProtocolKind;
use crate::protocol::MessageType;
use crate::server::listener::Peer;
use crate::server::{ServerConfig, ServerObserver};
use crate::transport::Framing;
use crate::transport::framed::FRAME_HEADER_LEN;
use crate::transport::socket::Endpoint;

/// Requests a connection still answers once a stop has begun (those that
/// had arrived), so that a peer that keeps sending cannot hold the stop.
const ANSWERED_WHILE_STOPPING: usize = 16;

/// How long a connection closing over unread input reads and discards it
/// at most, so that its last reply is not lost to a reset.
const LINGER: Duration = Duration::from_secs(1);

/// The first and the longest pause of the accept loop after an accept
/// error (e.g. `EMFILE`), doubling in between.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(10), Duration::from_secs(1));

/// How long a stop waits, after the drain timeout, for the connection
/// tasks it aborted to end.
pub const ABORT_GRACE: Duration = Duration::from_millis(500);

/// Configures an [`AsyncServer`]; start with [`AsyncServer::builder`].
///
/// The settings mean what they mean for the blocking
/// [`ServerBuilder`](crate::server::ServerBuilder), with the same defaults;
/// of a [`ServerConfig`] given whole ([`config`](Self::config)), the mode
/// and the in-flight budget are not used.
#[must_use]
pub struct AsyncServerBuilder {
    processor: Arc<dyn AsyncProcessor>,
    config: ServerConfig,
}

impl fmt::Debug for AsyncServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncServerBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AsyncServerBuilder {
    /// The wire protocol (default binary).
    pub fn protocol(mut self, protocol: ProtocolKind) -> Self {
        self.config.protocol = protocol;
        self
    }

    /// Unframed or framed messages (default buffered, i.e. unframed).
    pub fn framing(mut self, framing: Framing) -> Self {
        self.config.framing = framing;
        self
    }

    /// Tells each connection's protocol and framing from its first bytes,
    /// so that binary and compact clients, framed or not, share one port
    /// (default off); as the blocking
    /// [`detect_protocol`](crate::server::ServerBuilder::detect_protocol),
    /// whose docs say how.
    pub fn detect_protocol(mut self, yes: bool) -> Self {
        self.config.detect_protocol = yes;
        self
    }

    /// The most connections open at once (default 1,024, at least 1);
    /// beyond it the server stops accepting until one closes.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.config.max_connections = n.max(1);
        self
    }

    /// How long a connection may wait between messages (default 60 s).
    pub fn idle_timeout(mut self, t: impl Into<Option<Duration>>) -> Self {
        self.config.idle_timeout = t.into();
        self
    }

    /// How long the rest of a message may take to arrive once its first
    /// byte has (default 30 s).
    pub fn message_timeout(mut self, t: impl Into<Option<Duration>>) -> Self {
        self.config.message_timeout = t.into();
        self
    }

    /// How long sending one reply may take (default 30 s), counted from
    /// when writing it first has to wait for the peer.
    pub fn write_timeout(mut self, t: impl Into<Option<Duration>>) -> Self {
        self.config.write_timeout = t.into();
        self
    }

    /// How long a stop waits for in-flight calls before it closes their
    /// connections (default 30 s; `Duration::MAX`: no limit).
    pub fn drain_timeout(mut self, t: Duration) -> Self {
        self.config.drain_timeout = t;
        self
    }

    /// Message, frame and nesting limits (default [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// Tells `observer` of every connection as it opens and closes and of
    /// every call as it finishes, as the blocking server's
    /// [`observer`](crate::server::ServerBuilder::observer) does (see
    /// [`ServerObserver`] for when; default none). Its methods run on the
    /// connection's task: they must not block.
    pub fn observer(mut self, observer: impl ServerObserver) -> Self {
        self.config.observer = Some(Arc::new(observer));
        self
    }

    /// Replaces every setting at once (see the type's docs for the fields
    /// not used).
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Binds the listening TCP socket (port 0 picks a free port; see
    /// [`AsyncServer::local_addr`]).
    pub async fn bind(self, addr: impl ::tokio::net::ToSocketAddrs) -> io::Result<AsyncServer> {
        let listener = TcpListener::bind(addr).await?;
        let endpoint = Endpoint::Tcp(listener.local_addr()?);
        Ok(self.on(AsyncListener::Tcp(listener), endpoint))
    }

    /// Binds a Unix domain socket at `path` (Unix platforms): the server
    /// then serves local clients through that file, with every setting and
    /// guarantee it has over TCP, and the file handled as the blocking
    /// server's [`bind_unix`](crate::server::ServerBuilder::bind_unix)
    /// handles it: a stale socket there (no server listens on it) is
    /// replaced, a live server's is `AddrInUse`, any other file
    /// `AlreadyExists` and left alone; the server removes the file once
    /// its listener closes (when a stop has stopped accepting, or when a
    /// server that never served is dropped), unless the path names another
    /// file by then; on Linux a lock on `<path>.lock` orders servers that
    /// bind or stop on one path at once, as for the blocking server. Who
    /// may connect is who may write the file and search its folder:
    /// restrict it with the folder's permissions. A relative `path` is made
    /// absolute.
    ///
    /// The file is looked at and bound on the runtime's blocking threads
    /// (a socket found there is probed with a connect, which may take up
    /// to 100 ms). [`AsyncServer::endpoint`] reports the path; `local_addr`
    /// has no TCP address to report.
    #[cfg(unix)]
    pub async fn bind_unix(self, path: impl AsRef<Path>) -> io::Result<AsyncServer> {
        let path = path.as_ref().to_path_buf();
        let bind = {
            let path = path.clone();
            ::tokio::task::spawn_blocking(move || crate::server::listener::bind_unix_file(&path))
        };
        let (listener, file) = bind.await.map_err(io::Error::other)??;
        let endpoint = Endpoint::Unix(file.path().to_path_buf());
        let listener = AsyncListener::unix(listener, file)?;
        Ok(self.on(listener, endpoint))
    }

    /// The server that will accept from `listener`, bound at `endpoint`.
    fn on(self, listener: AsyncListener, endpoint: Endpoint) -> AsyncServer {
        let mut config = self.config;
        config.max_connections = config.max_connections.max(1);
        for t in [
            &mut config.idle_timeout,
            &mut config.message_timeout,
            &mut config.write_timeout,
        ] {
            *t = super::limit(*t);
        }
        AsyncServer {
            listener,
            processor: self.processor,
            shared: Arc::new(Shared {
                wire: Wire {
                    protocol: config.protocol,
                    framing: config.framing,
                    limits: config.limits,
                },
                config,
                endpoint,
                stop: watch::Sender::new(false),
                stopping: AtomicBool::new(false),
                connections: AtomicUsize::new(0),
                next_id: AtomicU64::new(0),
                stopped: AtomicBool::new(false),
            }),
        }
    }
}

/// A Thrift server on tokio, bound and ready to [`serve`](Self::serve).
///
/// ```
/// use thriftc_runtime::tokio::{AsyncProcessor, AsyncServer, BoxFuture, Call, Reply};
///
/// /// Answers every call `UNKNOWN_METHOD` (a generated processor matches
/// /// the method name and decodes the arguments with `call.args()`).
/// struct Nothing;
///
/// impl AsyncProcessor for Nothing {
///     fn process(&self, call: Call) -> BoxFuture<'_, Reply> {
///         Box::pin(async move { call.unknown_method() })
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let server = AsyncServer::builder(Nothing).bind("127.0.0.1:0").await?;
/// let handle = server.handle();
/// let serving = tokio::spawn(server.serve());
/// // ... clients call `handle.local_addr()` ...
/// handle.stop();
/// serving.await??;
/// assert!(handle.is_stopped());
/// # Ok(()) }
/// ```
///
/// Behaviour, as the blocking [`Server`](crate::Server)'s (see
/// [`server`](crate::server)):
///
/// - **Connections**: each is a task; at most `max_connections` are open,
///   beyond that the server stops accepting (backpressure) until one
///   closes. Accept errors pause the accept loop (10 ms, doubling up to
///   1 s).
/// - **Requests**: read until a whole message has arrived (the frame, or
///   unframed the completeness check the event-driven server uses, which
///   resumes as bytes arrive), then handed to the processor as a [`Call`];
///   a connection's calls are answered in order, pipelined ones included,
///   while connections run concurrently. A message type other than CALL or
///   ONEWAY, a bad frame header or a bad message header closes the
///   connection. See [`Call`] for bad arguments.
/// - **Panics** in a processor's future are caught: a CALL is answered
///   `INTERNAL_ERROR` with its name and seqid, a ONEWAY message not at
///   all; the connection stays open.
/// - **Memory**: a connection's buffer grows with what arrives, up to the
///   frame's length or, unframed, the message size limit (doubling, so to
///   at most twice what the peer sent); nothing is allocated from a size
///   the peer announces before the bytes are there. A reply is written
///   into the buffer its request arrived in, and that buffer is reused for
///   a later message if it is at most 128 KiB (larger ones are freed). An
///   idle connection so keeps at most two buffers of 128 KiB: the one it
///   reads into, and the spare a later message is moved into.
/// - **Unix domain sockets** (Unix platforms): bound with
///   [`AsyncServerBuilder::bind_unix`], with everything here holding over
///   them; [`endpoint`](AsyncServer::endpoint) says where a server listens,
///   of either kind.
/// - **Observing**: [`AsyncServerBuilder::observer`] reports each
///   connection and call to a [`ServerObserver`] as the blocking server
///   does (opened on the connection's task, closed when the task ends or
///   is aborted, after its last call: a call in progress then is reported
///   `Undelivered`).
/// - **Timeouts**: `idle_timeout` between messages, `message_timeout` from
///   the first byte of a message to its last, `write_timeout` for sending a
///   reply (from when a write of it first has to wait: a reply the socket
///   takes at once costs no timer); a connection that exceeds one is
///   closed. A message's time
///   starts when the server reads its first bytes, or, for one that came
///   in behind the request before it, when the server turns to it (the
///   time spent answering that one is the server's, not the peer's), and
///   is checked before each read of the message, so a peer whose bytes
///   keep coming cannot stretch a message past it.
/// - **Stop**: [`AsyncServerHandle::stop`] makes the server stop
///   accepting; each connection finishes the call in progress and answers
///   the requests that have wholly arrived (up to 16), then closes; after
///   the drain timeout the remaining connection tasks are aborted, and
///   `serve` returns once they have ended, or at most [`ABORT_GRACE`] later
///   (a handler that blocks its thread cannot be aborted: its task is left
///   to end on its own, and its connection counts until then).
pub struct AsyncServer {
    listener: AsyncListener,
    processor: Arc<dyn AsyncProcessor>,
    shared: Arc<Shared>,
}

impl fmt::Debug for AsyncServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncServer")
            .field("endpoint", &self.shared.endpoint)
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

/// What the accept loop, the connection tasks and the handles share.
struct Shared {
    config: ServerConfig,
    wire: Wire,
    endpoint: Endpoint,
    /// `true` once a stop has begun.
    stop: watch::Sender<bool>,
    /// Set once a stop has begun, before `stop` is sent `true` (what the
    /// connections look at: see [`StopSignal`]).
    stopping: AtomicBool,
    connections: AtomicUsize,
    /// The id of the next connection accepted (for the observer).
    next_id: AtomicU64,
    /// The stop has finished (the drain is over).
    stopped: AtomicBool,
}

impl Shared {
    /// The TCP address, or the unspecified one (a Unix socket).
    fn local_addr(&self) -> SocketAddr {
        self.endpoint
            .tcp()
            .unwrap_or(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0))
    }
}

/// Stops an [`AsyncServer`] and tells how it is doing; cheap to clone.
#[derive(Clone)]
pub struct AsyncServerHandle {
    shared: Arc<Shared>,
}

impl fmt::Debug for AsyncServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncServerHandle")
            .field("endpoint", &self.shared.endpoint)
            .field("connections", &self.connections())
            .field("stopped", &self.is_stopped())
            .finish()
    }
}

impl AsyncServerHandle {
    /// Begins the stop (see [`AsyncServer`]) and returns at once;
    /// [`AsyncServer::serve`] returns once it is over. Calling it again,
    /// or before `serve`, is harmless (`serve` then drains nothing and
    /// returns).
    pub fn stop(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        if !self.shared.stop.send_replace(true) {
            log::debug!("stopping the thrift server on {}", self.shared.endpoint);
        }
    }

    /// Connections open now (accepted and not yet closed).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// True once a stop has finished: `serve` has drained (or given up on)
    /// every connection.
    pub fn is_stopped(&self) -> bool {
        self.shared.stopped.load(Ordering::SeqCst)
    }

    /// The TCP address the server listens on; for a server bound to a
    /// Unix socket, the unspecified address `0.0.0.0:0` (see
    /// [`endpoint`](Self::endpoint)).
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr()
    }

    /// Where the server listens: its TCP address, or its Unix socket's
    /// path.
    pub fn endpoint(&self) -> &Endpoint {
        &self.shared.endpoint
    }
}

impl AsyncServer {
    /// Starts configuring a server for `processor`.
    pub fn builder<P: AsyncProcessor>(processor: P) -> AsyncServerBuilder {
        AsyncServerBuilder {
            processor: Arc::new(processor),
            config: ServerConfig::default(),
        }
    }

    /// The TCP address the server listens on; for a server bound to a
    /// Unix socket, the unspecified address `0.0.0.0:0`, which no client
    /// can connect to (see [`endpoint`](Self::endpoint)).
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr()
    }

    /// Where the server listens: its TCP address, or its Unix socket's
    /// path.
    pub fn endpoint(&self) -> &Endpoint {
        &self.shared.endpoint
    }

    /// A handle to stop the server from elsewhere.
    pub fn handle(&self) -> AsyncServerHandle {
        AsyncServerHandle {
            shared: self.shared.clone(),
        }
    }

    /// Accepts and serves connections until a stop has begun, then drains
    /// them (see [`AsyncServer`]) and returns. Must run inside a tokio
    /// runtime with the time driver enabled; connections are spawned on it.
    pub async fn serve(self) -> io::Result<()> {
        let AsyncServer {
            mut listener,
            processor,
            shared,
        } = self;
        let mut stop = shared.stop.subscribe();
        let room = Arc::new(Semaphore::new(shared.config.max_connections));
        let mut tasks = JoinSet::new();
        let mut backoff = ACCEPT_BACKOFF.0;
        while !*stop.borrow_and_update() {
            // Backpressure: no accept while every connection place is
            // taken.
            let permit = ::tokio::select! {
                permit = room.clone().acquire_owned() => permit,
                _ = stop.changed() => continue,
            };
            let Ok(permit) = permit else { break };
            let accepted = ::tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stop.changed() => continue,
            };
            while let Some(ended) = tasks.try_join_next() {
                log_task_end(ended);
            }
            match accepted {
                Ok(accepted) => {
                    backoff = ACCEPT_BACKOFF.0;
                    if *stop.borrow() {
                        // Taken once the stop had begun: closed unread.
                        break;
                    }
                    shared.connections.fetch_add(1, Ordering::SeqCst);
                    let open = Open {
                        shared: shared.clone(),
                        _permit: permit,
                    };
                    let processor = processor.clone();
                    let stop = shared.stop.subscribe();
                    // One connection task per kind of stream, each
                    // compiled for its kind.
                    match accepted {
                        Accepted::Tcp(stream, peer) => {
                            tasks.spawn(run_connection(stream, peer, processor, open, stop));
                        }
                        #[cfg(unix)]
                        Accepted::Unix(stream, peer) => {
                            tasks.spawn(run_connection(stream, peer, processor, open, stop));
                        }
                    }
                }
                Err(e) => {
                    log::warn!("accepting a connection failed: {e}; pausing {backoff:?}");
                    ::tokio::select! {
                        () = ::tokio::time::sleep(backoff) => {}
                        _ = stop.changed() => {}
                    }
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF.1);
                }
            }
        }
        drop(listener);
        let drain = async {
            while let Some(ended) = tasks.join_next().await {
                log_task_end(ended);
            }
        };
        if ::tokio::time::timeout(shared.config.drain_timeout, drain)
            .await
            .is_err()
        {
            log::warn!(
                "{} connections still busy after the drain timeout; closing them",
                tasks.len()
            );
            tasks.abort_all();
            // Aborted tasks end at their next poll: wait for that, so that
            // their sockets are closed and their places given back; but a
            // handler blocking its thread is not polled until it returns,
            // so that wait is bounded too, and such tasks are left to end
            // on their own (their places are given back then).
            let aborted = async {
                while let Some(ended) = tasks.join_next().await {
                    if let Err(e) = ended {
                        if !e.is_cancelled() {
                            log_task_end(Err(e));
                        }
                    }
                }
            };
            if ::tokio::time::timeout(ABORT_GRACE, aborted).await.is_err() {
                log::warn!(
                    "{} connections did not end when aborted (a handler blocking its \
                     thread?); left to end on their own",
                    tasks.len()
                );
                tasks.detach_all();
            }
        }
        shared.stopped.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// An open connection's place: counted in [`AsyncServerHandle::connections`]
/// and holding one of the `max_connections` permits, both given back when
/// its task ends or is aborted.
struct Open {
    shared: Arc<Shared>,
    _permit: ::tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Open {
    fn drop(&mut self) {
        self.shared.connections.fetch_sub(1, Ordering::SeqCst);
    }
}

fn log_task_end(ended: Result<(), ::tokio::task::JoinError>) {
    if let Err(e) = ended {
        if e.is_panic() {
            log::error!("a connection task panicked");
        }
    }
}

/// A connection task: serves the connection, then gives its place back.
async fn run_connection<S: AsyncStream>(
    stream: S,
    peer: Peer,
    processor: Arc<dyn AsyncProcessor>,
    open: Open,
    stop: watch::Receiver<bool>,
) {
    serve_connection(stream, peer, &*processor, &open.shared, stop).await;
    drop(open);
}

/// Serves one connection until the peer leaves, a timeout fires, the
/// input is beyond repair, or the server stops.
async fn serve_connection<S: AsyncStream>(
    mut stream: S,
    peer: Peer,
    processor: &dyn AsyncProcessor,
    shared: &Shared,
    stop: watch::Receiver<bool>,
) {
    // Reports the connection closed when dropped, also when the task is
    // aborted.
    let watch = shared.config.observer.as_ref().map(|observer| {
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        Watch::open(observer.clone(), id, peer)
    });
    if let Err(e) = stream.set_nodelay_if_tcp() {
        log::debug!("{peer}: cannot set up the socket: {e}");
        return;
    }
    let mut conn = Connection {
        peer,
        shared,
        inbox: if shared.config.detect_protocol {
            Inbox::detecting(shared.wire.limits)
        } else {
            Inbox::new(shared.wire)
        },
        stop: StopSignal::new(&shared.stopping, stop),
        alarm: Alarm::default(),
        answered_stopping: 0,
        name: String::new(),
        spare_name: String::new(),
        watch,
    };
    conn.serve(&mut stream, processor).await;
    let unread = !conn.inbox.is_empty();
    close_gently(stream, unread).await;
    log::debug!("{peer}: closed");
}

struct Connection<'a> {
    peer: Peer,
    shared: &'a Shared,
    inbox: Inbox,
    /// Tells when a stop begins; waited on by every read, but made (and
    /// registered with the stop channel) once per connection.
    stop: StopSignal<'a>,
    /// The deadline of the read being waited for: one timer per
    /// connection, set for each read (a later deadline than the timer's
    /// leaves the timer as it is: see [`Alarm`]).
    alarm: Alarm,
    /// Requests answered since the stop began.
    answered_stopping: usize,
    /// The name of the call being served, kept to answer a panic.
    name: String,
    /// The buffer of an answered call's name, for the next call's.
    spare_name: String,
    /// Tells the server's observer of this connection and its calls;
    /// `None` without one.
    watch: Option<Watch>,
}

/// How a wait for bytes ended.
enum Waited {
    Read(io::Result<usize>),
    TimedOut,
    Stopping,
}

/// Why [`Connection::next_message`] found no message to serve.
struct Closed;

impl Connection<'_> {
    async fn serve<S: AsyncStream>(&mut self, stream: &mut S, processor: &dyn AsyncProcessor) {
        loop {
            let Ok(call) = self.next_call(stream).await else {
                return;
            };
            if let Some(watch) = &mut self.watch {
                watch.call_started(call.header());
            }
            let reply = guarded_in(processor, call, &mut self.name).await;
            let close = reply.closes_connection();
            if let Some(watch) = &mut self.watch {
                let wire = self.inbox.wire();
                watch.replied(wire.protocol, wire.framing, reply.as_bytes());
            }
            let (bytes, name) = reply.into_parts();
            if name.capacity() > self.spare_name.capacity() && name.capacity() <= NAME_KEEP {
                self.spare_name = name;
            }
            if !bytes.is_empty() {
                let sent = send(stream, &bytes, self.shared.config.write_timeout).await;
                if let Err(e) = sent {
                    log::debug!("{}: closing while writing a reply: {e}", self.peer);
                    // The call is reported undelivered as the watch drops.
                    return;
                }
                self.inbox.recycle(bytes);
            }
            if let Some(watch) = &mut self.watch {
                watch.call_finished();
            }
            if close {
                log::info!("{}: closing after a malformed request", self.peer);
                return;
            }
        }
    }

    /// The next call, once all of its message has arrived.
    async fn next_call<S: AsyncStream>(&mut self, stream: &mut S) -> Result<Call, Closed> {
        let (bytes, at, in_step) = match self.next_message(stream).await? {
            Next::Whole(n) => {
                let at = match self.inbox.wire().framing {
                    Framing::Framed => FRAME_HEADER_LEN,
                    _ => 0,
                };
                (self.inbox.take(n), at, true)
            }
            // Decoding it reports why (as the blocking server's decoder
            // does); the connection closes after the reply.
            Next::Malformed => (self.inbox.take_malformed(), 0, false),
            Next::BadFrame(e) => {
                log::info!("{}: closing on a bad frame: {e}", self.peer);
                return Err(Closed);
            }
            Next::Part => return Err(Closed),
        };
        let wire = self.inbox.wire();
        let call = Call::parse(
            bytes,
            at,
            wire,
            in_step,
            std::mem::take(&mut self.spare_name),
        );
        let call = match call {
            Ok(call) => call,
            Err(e) => {
                log::info!("{}: closing while reading a message header: {e}", self.peer);
                return Err(Closed);
            }
        };
        let header = call.header();
        if !matches!(header.kind, MessageType::Call | MessageType::Oneway) {
            log::info!(
                "{}: unexpected {:?} message '{}' from a client; closing",
                self.peer,
                header.kind,
                header.name
            );
            return Err(Closed);
        }
        Ok(call)
    }

    /// Reads until a whole message (or a malformed one) is buffered, under
    /// the idle timeout until its first byte and the message timeout from
    /// there (for a message pipelined behind the one before it, from when
    /// the server turns to it: the time spent answering that one is not
    /// the peer's). The message timeout is checked before every read of a
    /// message in progress, so it holds also when every read finds bytes.
    /// During a stop, what has arrived is still answered
    /// (up to [`ANSWERED_WHILE_STOPPING`] requests) but nothing more is
    /// waited for.
    async fn next_message<S: AsyncStream>(&mut self, stream: &mut S) -> Result<Next, Closed> {
        let config = &self.shared.config;
        let peer = self.peer;
        // Bytes of the message are here (a pipelined one, or some read
        // below); its clock runs from when that is first seen, the moment
        // it is needed (a message read whole never reads the clock for it).
        let mut arrived = !self.inbox.is_empty();
        let mut started: Option<Instant> = None;
        let mut stopping = self.stop.has_begun();
        if stopping {
            if self.answered_stopping >= ANSWERED_WHILE_STOPPING {
                return Err(Closed);
            }
            self.answered_stopping += 1;
        }
        loop {
            match self.inbox.next() {
                Next::Part => {}
                next => return Ok(next),
            }
            if stopping {
                match self.inbox.fill_now(stream) {
                    Ok(n) if n > 0 => continue,
                    _ => return Err(Closed),
                }
            }
            if arrived && started.is_none() {
                started = Some(Instant::now());
            }
            let (limit, doing) = match started {
                None => (config.idle_timeout, "waiting for a message"),
                Some(_) => (config.message_timeout, "reading the rest of a message"),
            };
            let deadline = limit.and_then(|t| started.unwrap_or_else(Instant::now).checked_add(t));
            self.alarm.set(deadline);
            // Between messages the read goes first and the timer is only
            // looked at when it would block; a message in progress is
            // checked against its deadline before each read too.
            let due = deadline.filter(|_| started.is_some());
            let waited = wait(
                self.inbox.fill(stream),
                Some(&mut self.stop),
                Some(&mut self.alarm),
                due,
            )
            .await;
            match waited {
                Waited::Stopping => {
                    stopping = true;
                    self.answered_stopping += 1;
                }
                Waited::TimedOut => {
                    log::debug!("{peer}: timed out {doing}");
                    return Err(Closed);
                }
                Waited::Read(Ok(0)) => {
                    if !self.inbox.is_empty() {
                        log::debug!("{peer}: closed in the middle of a message");
                    }
                    return Err(Closed);
                }
                Waited::Read(Ok(_)) => arrived = true,
                Waited::Read(Err(e)) => {
                    log::debug!("{peer}: closing while reading: {e}");
                    return Err(Closed);
                }
            }
        }
    }
}

/// Waits for `read`, until `stop` (if still pending) ends or `alarm` (if
/// any) goes off; bytes that have arrived are read first, unless `due` (the
/// deadline of a message in progress) has passed: then no more is read
/// of it, however readily bytes come. Without `due` the clock is not
/// read (the timer says when the time is up once the read would block);
/// with it, once per poll, so only a message that takes several reads
/// pays for it.
async fn wait(
    read: impl Future<Output = io::Result<usize>>,
    mut stop: Option<&mut StopSignal<'_>>,
    mut alarm: Option<&mut Alarm>,
    due: Option<Instant>,
) -> Waited {
    let mut read = pin!(read);
    poll_fn(|cx| {
        if due.is_some_and(|due| Instant::now() >= due) {
            return Poll::Ready(Waited::TimedOut);
        }
        if let Poll::Ready(r) = read.as_mut().poll(cx) {
            return Poll::Ready(Waited::Read(r));
        }
        if let Some(stop) = stop.as_mut() {
            if stop.poll(cx).is_ready() {
                return Poll::Ready(Waited::Stopping);
            }
        }
        if let Some(alarm) = alarm.as_mut() {
            if alarm.poll(cx).is_ready() {
                return Poll::Ready(Waited::TimedOut);
            }
        }
        Poll::Pending
    })
    .await
}

/// Writes all of `bytes` to `stream`, in at most `limit` once a write has
/// to wait: a reply that the socket takes at once (the common case) costs
/// no timer. The time before, spent in writes that did not wait, is the
/// server's, not the peer's.
async fn send<S: AsyncStream>(
    stream: &mut S,
    bytes: &[u8],
    limit: Option<Duration>,
) -> io::Result<()> {
    let mut write = pin!(stream.write_all(bytes));
    if let Poll::Ready(sent) = poll_fn(|cx| Poll::Ready(write.as_mut().poll(cx))).await {
        return sent;
    }
    match limit {
        Some(t) => ::tokio::time::timeout(t, write)
            .await
            .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into())),
        None => write.await,
    }
}

/// Closes `stream` so that the replies written to it still reach the peer:
/// with input left unread (`unread`, or arriving now), the server ends its
/// side first, then reads and discards until the peer closes or [`LINGER`]
/// passes (closing over unread input would make the kernel reset the
/// connection and drop the end of the last reply).
async fn close_gently<S: AsyncStream>(mut stream: S, unread: bool) {
    let mut scratch = [0u8; 4096];
    let unread = unread || matches!(stream.read_now(&mut Vec::with_capacity(4096)), Ok(n) if n > 0);
    if !unread || stream.shutdown().await.is_err() {
        return;
    }
    let _ = ::tokio::time::timeout(LINGER, async {
        while let Ok(n) = stream.read(&mut scratch).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> impl Future<Output = io::Result<usize>> {
        std::future::ready(Ok(1))
    }

    /// A read that finds bytes loses to the deadline of a message in
    /// progress once it has passed, and wins before it and between
    /// messages (no deadline given).
    #[::tokio::test]
    async fn a_passed_deadline_comes_before_a_ready_read() {
        let passed = Instant::now();
        let waited = wait(ready(), None, None, Some(passed)).await;
        assert!(matches!(waited, Waited::TimedOut));
        let later = Instant::now() + Duration::from_secs(60);
        let waited = wait(ready(), None, None, Some(later)).await;
        assert!(matches!(waited, Waited::Read(Ok(1))));
        let waited = wait(ready(), None, None, None).await;
        assert!(matches!(waited, Waited::Read(Ok(1))));
    }
}
