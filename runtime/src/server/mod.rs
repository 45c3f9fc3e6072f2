//! A threaded Thrift server on blocking sockets: one shared processor,
//! a thread per connection or a bounded worker pool, and defaults that
//! protect the process.
//!
//! ```no_run
//! # use thriftc_runtime::server::{Server, ServerProcessor};
//! # fn demo(processor: impl ServerProcessor) -> std::io::Result<()> {
//! use std::time::Duration;
//! use thriftc_runtime::{Framing, ProtocolKind};
//!
//! let handle = Server::builder(processor)
//!     .protocol(ProtocolKind::Compact)
//!     .framing(Framing::Framed)
//!     .idle_timeout(Duration::from_secs(30))
//!     .bind("127.0.0.1:9090")?
//!     .spawn()?;
//! println!("listening on {}", handle.local_addr());
//! // ...
//! handle.stop(); // refuses new connections, drains in-flight calls
//! # Ok(()) }
//! ```
//!
//! # Behaviour
//!
//! - **Connections.** At most [`max_connections`](ServerBuilder::max_connections)
//!   (default 1,024) are open at once. Beyond that the server *stops
//!   accepting* (backpressure): new clients wait in the kernel's listen
//!   backlog and are accepted as others close, rather than being accepted and
//!   dropped. Accept errors such as `EMFILE` make the accept loop sleep
//!   (10 ms, doubling up to 1 s) instead of spinning.
//! - **Timeouts.** Idle time between messages (default 60 s), the time to
//!   receive the rest of a started message (30 s) and the time sending a
//!   reply may take (30 s, however the peer paces its reads) are bounded; a
//!   connection that exceeds one is closed. `None` disables one.
//! - **Protocols.** One protocol and framing for every connection
//!   ([`protocol`](ServerBuilder::protocol), [`framing`](ServerBuilder::framing)),
//!   or, with [`detect_protocol`](ServerBuilder::detect_protocol), each
//!   connection's own, chosen by its first bytes.
//! - **Requests.** Each message is handled by the processor (see
//!   [`processor`](crate::processor) for the replies to each fault). A message
//!   type other than CALL or ONEWAY closes the connection. Pipelined requests
//!   are answered in order. A reply is sent with one `write`, and TCP
//!   sockets have `TCP_NODELAY`.
//! - **Memory.** Each connection reads through a buffer of at most 128 KiB
//!   (4 KiB until reads fill it), whatever size a frame announces, and
//!   keeps at most 128 KiB of its reply buffer between replies; a method
//!   name longer than 256 bytes is not kept past its call. Frames larger than
//!   64 KiB are charged to an in-flight byte budget shared by all
//!   connections (default 64 MiB, see [`ByteBudget`]) before their body is
//!   read, so many large requests at once wait their turn instead of
//!   exhausting memory. The event-driven mode buffers a request whole
//!   before decoding it (see Modes), so a connection's buffer may grow to
//!   the message size limit there, as a request being decoded may in the
//!   other modes.
//! - **Modes.** [`Mode::ThreadPerConnection`] (default) gives each connection
//!   its own thread. [`Mode::EventDriven`] (Linux) runs `threads` threads
//!   that share all connections through epoll: a connection holds a thread
//!   only while it has a whole request to serve, so neither idle keep-alive
//!   connections nor peers that have sent part of a message, of any size,
//!   hold one. So a request is buffered whole before it is decoded: its
//!   connection's buffer grows past 128 KiB with what arrives (doubling, so
//!   to at most twice what the peer sent), up to the frame's length or,
//!   unframed, the message size limit; a frame over 64 KiB is charged to
//!   the in-flight budget first, and waits for room in it without holding
//!   a thread. Replies are sent without waiting: one that a peer
//!   does not take at once waits with its connection for room in the
//!   socket, holding no thread, and the write timeout closes the
//!   connection if the peer takes too long. A handler that blocks holds one
//!   of the threads. On a busy loopback benchmark it is not faster than a
//!   thread per connection.
//!   [`Mode::WorkerPool`] runs `workers` threads and queues at most `queue`
//!   accepted connections; a worker serves one connection until it closes
//!   or times out, so idle keep-alive clients occupy workers up to the idle
//!   timeout: where the event-driven mode exists, prefer it when the number
//!   of threads must be fixed.
//! - **Shutdown.** [`ServerHandle::stop`] stops accepting, shuts the read side
//!   of every connection (idle ones end at once; a call being handled
//!   finishes and its reply is delivered, and requests that had wholly
//!   arrived, up to 16 per connection, are answered too: in every mode on
//!   Linux, in the event-driven mode elsewhere),
//!   waits up to the drain timeout (default 30 s; `Duration::MAX`: no limit)
//!   and then force-closes the sockets that remain. A handler that never
//!   returns keeps its thread, but not its socket or `stop`. The port (or
//!   the Unix socket's path) can be bound again as soon as `stop` returns. A connection counts as accepted
//!   once the accept loop has taken it from the listener and then found no
//!   stop begun; from there on it is served as above, even if the stop
//!   begins before it reaches a thread. One the loop takes once
//!   the stop has begun, or that is still in the listen backlog when the
//!   listener closes, is closed without being read.
//! - **Closing.** A connection closed while its peer's input is unread
//!   (after a malformed request, a panic, or the 16 answers of a stop)
//!   first ends its own side and reads and discards for up to 1 s (the
//!   event-driven mode does so holding no thread): closing over unread
//!   input would make the kernel reset the connection and drop the end of
//!   the last reply. This covers input that has arrived when the
//!   connection closes; during a stop (which has shut the read side of
//!   every connection), a request arriving after that can still reset the
//!   connection before a large last reply is all delivered.
//! - **Unix domain sockets** (Unix platforms): a server bound with
//!   [`bind_unix`](ServerBuilder::bind_unix) serves local clients through
//!   a socket file, with every setting, mode and guarantee above; see that
//!   method for what happens to the file. [`ServerHandle::endpoint`] says
//!   where a server listens, of either kind. The async server (feature
//!   `tokio`) binds one the same way, with the same rules for the file.
//! - **Observing.** [`ServerBuilder::observer`] takes a [`ServerObserver`],
//!   told of each connection as it opens and closes and of each call as it
//!   finishes (method, seqid, time, outcome), the same way in every mode;
//!   no clock is read for it when none is set.
//! - **Logging** goes through the `log` facade: connection ends and
//!   malformed input at `debug`/`info`, accept errors at `warn`, handler
//!   panics and errors at `error`. The server never writes to stdout (a
//!   handler panic still goes through the process's panic hook, which prints
//!   to stderr by default).

#[cfg(any(target_os = "linux", feature = "tokio"))]
mod binary_len;
mod compact_len;
pub(crate) mod complete;
pub(crate) mod connection;
#[cfg(target_os = "linux")]
mod event;
mod first_pass;
pub(crate) mod listener;
pub(crate) mod observer;

pub use observer::{CallInfo, CallOutcome, CallStart, ConnectionInfo, ServerObserver};

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
#[cfg(unix)]
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::limits::Limits;
use crate::processor::{Processor, ProtocolKind};
use crate::protocol::binary::BinaryProtocol;
use crate::protocol::compact::CompactProtocol;
use crate::transport::socket::sealed::Ops as _;
use crate::transport::socket::{Endpoint, Socket, SocketReader, SocketWriter, tune};
use crate::transport::{ByteBudget, Framing};
use listener::{Listener, Peer};

/// What the server needs of a processor: it handles both protocols over the
/// server's socket transports (generated processors implement
/// [`Processor`] for every protocol, so they qualify), and can be shared by
/// all connection threads.
pub trait ServerProcessor:
    Processor<BinaryProtocol<SocketReader>, BinaryProtocol<SocketWriter>>
    + Processor<CompactProtocol<SocketReader>, CompactProtocol<SocketWriter>>
    + Send
    + Sync
    + 'static
{
}

impl<T> ServerProcessor for T where
    T: Processor<BinaryProtocol<SocketReader>, BinaryProtocol<SocketWriter>>
        + Processor<CompactProtocol<SocketReader>, CompactProtocol<SocketWriter>>
        + Send
        + Sync
        + 'static
        + ?Sized
{
}

/// How connections are given threads. More modes may be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// One thread per connection, started when it is accepted.
    ThreadPerConnection,
    /// `workers` threads serve connections taken from a queue that holds at
    /// most `queue` accepted connections (the accept loop waits when it is
    /// full).
    WorkerPool {
        /// Number of threads serving connections.
        workers: usize,
        /// The most accepted connections waiting for a worker.
        queue: usize,
    },
    /// `threads` threads share every connection through epoll (Linux only;
    /// elsewhere starting the server fails with `Unsupported`). Between
    /// messages a connection is parked and holds no thread. Its slots are
    /// allocated when the server starts: `max_connections` of them, at most
    /// 2^20.
    EventDriven {
        /// Number of threads serving requests.
        threads: usize,
    },
}

/// Server settings; see [`ServerBuilder`] for each one. Start from
/// `ServerConfig::default()` and set fields (more may be added).
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The wire protocol (default binary).
    pub protocol: ProtocolKind,
    /// Unframed ([`Framing::Buffered`], the default) or framed messages.
    pub framing: Framing,
    /// How connections get threads (default one thread per connection).
    pub mode: Mode,
    /// The most connections open at once (default 1,024); beyond it the server
    /// stops accepting until one closes.
    pub max_connections: usize,
    /// How long a connection may wait between messages (default 60 s; `None`
    /// or zero: no limit).
    pub idle_timeout: Option<Duration>,
    /// How long the rest of a message may take to arrive once its first byte
    /// has (default 30 s; `None` or zero: no limit).
    pub message_timeout: Option<Duration>,
    /// How long sending one reply may take, to a client that reads slowly
    /// or not at all (default 30 s; `None` or zero: no limit).
    pub write_timeout: Option<Duration>,
    /// How long [`ServerHandle::stop`] waits for in-flight calls before it
    /// force-closes their connections (default 30 s).
    pub drain_timeout: Duration,
    /// Message, frame and nesting limits (default [`Limits::default`]).
    pub limits: Limits,
    /// The budget large frames are charged to while read and handled (default
    /// 64 MiB for this server; `None`: no budget). See
    /// [`ServerBuilder::in_flight_budget`].
    pub in_flight_budget: Option<Arc<ByteBudget>>,
    /// Each connection's first bytes choose its protocol and framing
    /// (default `false`: `protocol` and `framing` for all). See
    /// [`ServerBuilder::detect_protocol`].
    pub detect_protocol: bool,
    /// Told of every connection and call (default `None`). See
    /// [`ServerBuilder::observer`].
    pub observer: Option<Arc<dyn ServerObserver>>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ServerConfig {
            protocol,
            framing,
            mode,
            max_connections,
            idle_timeout,
            message_timeout,
            write_timeout,
            drain_timeout,
            limits,
            in_flight_budget,
            detect_protocol,
            observer,
        } = self;
        f.debug_struct("ServerConfig")
            .field("protocol", protocol)
            .field("framing", framing)
            .field("mode", mode)
            .field("max_connections", max_connections)
            .field("idle_timeout", idle_timeout)
            .field("message_timeout", message_timeout)
            .field("write_timeout", write_timeout)
            .field("drain_timeout", drain_timeout)
            .field("limits", limits)
            .field("in_flight_budget", in_flight_budget)
            .field("detect_protocol", detect_protocol)
            // An observer need not be `Debug`: whether there is one.
            .field("observer", &observer.as_ref().map(|_| "ServerObserver"))
            .finish()
    }
}

impl ServerConfig {
    /// The settings with every count at least 1: none would leave every
    /// client waiting for ever (no thread, no queue room, no connection).
    fn bounded(mut self) -> ServerConfig {
        self.max_connections = self.max_connections.max(1);
        self.mode = match self.mode {
            Mode::ThreadPerConnection => Mode::ThreadPerConnection,
            Mode::WorkerPool { workers, queue } => Mode::WorkerPool {
                workers: workers.max(1),
                queue: queue.max(1),
            },
            Mode::EventDriven { threads } => Mode::EventDriven {
                threads: threads.max(1),
            },
        };
        self
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            protocol: ProtocolKind::Binary,
            framing: Framing::Buffered,
            mode: Mode::ThreadPerConnection,
            max_connections: 1024,
            idle_timeout: Some(Duration::from_secs(60)),
            message_timeout: Some(Duration::from_secs(30)),
            write_timeout: Some(Duration::from_secs(30)),
            drain_timeout: Duration::from_secs(30),
            limits: Limits::default(),
            in_flight_budget: Some(ByteBudget::new(ByteBudget::DEFAULT)),
            detect_protocol: false,
            observer: None,
        }
    }
}

/// Configures a [`Server`]; start with [`Server::builder`].
#[must_use]
pub struct ServerBuilder<P> {
    processor: Arc<P>,
    config: ServerConfig,
}

impl<P> fmt::Debug for ServerBuilder<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<P: ServerProcessor> ServerBuilder<P> {
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

    /// Serves binary and compact, framed and unframed clients on the same
    /// port (default `false`): each connection's first bytes choose its
    /// protocol and framing, for its requests and replies, and
    /// [`protocol`](Self::protocol) and [`framing`](Self::framing) are not
    /// used. A strict binary message starts with `0x80`, a compact one with
    /// `0x82`, and a frame with its length (below `0x80` in its first
    /// byte), then its message; any other start is read as an old
    /// non-strict binary message, unframed (a framed non-strict one is not
    /// told apart, and fails to read); four zero bytes wait for a fifth (an
    /// empty frame, or an old binary call with an empty name). Before the
    /// first message, a connection waits under the idle timeout as between
    /// messages; the message timeout runs from its first byte. Apache
    /// Thrift's peers, thriftpy2 and this crate's client write strict
    /// binary headers.
    pub fn detect_protocol(mut self, yes: bool) -> Self {
        self.config.detect_protocol = yes;
        self
    }

    /// One thread per connection (the default).
    pub fn thread_per_connection(mut self) -> Self {
        self.config.mode = Mode::ThreadPerConnection;
        self
    }

    /// A fixed pool of `workers` threads and a queue of at most `queue`
    /// accepted connections waiting for one (both at least 1).
    pub fn worker_pool(mut self, workers: usize, queue: usize) -> Self {
        self.config.mode = Mode::WorkerPool {
            workers: workers.max(1),
            queue: queue.max(1),
        };
        self
    }

    /// `threads` threads (at least 1) share all connections through epoll
    /// (Linux only); see [`Mode::EventDriven`].
    pub fn event_driven(mut self, threads: usize) -> Self {
        self.config.mode = Mode::EventDriven {
            threads: threads.max(1),
        };
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

    /// How long the rest of a message may take to arrive once its first byte
    /// has (default 30 s).
    pub fn message_timeout(mut self, t: impl Into<Option<Duration>>) -> Self {
        self.config.message_timeout = t.into();
        self
    }

    /// How long sending one reply may take, to a client that reads slowly
    /// or not at all (default 30 s).
    pub fn write_timeout(mut self, t: impl Into<Option<Duration>>) -> Self {
        self.config.write_timeout = t.into();
        self
    }

    /// How long [`ServerHandle::stop`] waits for in-flight calls before it
    /// force-closes their connections (default 30 s).
    pub fn drain_timeout(mut self, t: Duration) -> Self {
        self.config.drain_timeout = t;
        self
    }

    /// Message, frame and nesting limits (default [`Limits::default`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// The budget that frames larger than 64 KiB are charged to while they
    /// are read and handled (default: 64 MiB for this server; `None`: no
    /// budget). A budget can be shared by several servers. See
    /// [`ByteBudget`].
    pub fn in_flight_budget(mut self, budget: Option<Arc<ByteBudget>>) -> Self {
        self.config.in_flight_budget = budget;
        self
    }

    /// Tells `observer` of every connection as it opens and closes and of
    /// every call as it finishes, with its method, outcome and time (see
    /// [`ServerObserver`] for when, and on which thread; default none).
    /// Every mode calls it the same way. To read what it gathered
    /// elsewhere, keep an `Arc` of it and pass a clone (an `Arc` of an
    /// observer is one).
    pub fn observer(mut self, observer: impl ServerObserver) -> Self {
        self.config.observer = Some(Arc::new(observer));
        self
    }

    /// Replaces every setting at once. Counts below 1 (workers, queue,
    /// threads, connections) are taken as 1, as the methods that set them
    /// one by one take them.
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Binds the listening TCP socket (port 0 picks a free port; see
    /// [`Server::local_addr`]).
    pub fn bind(self, addr: impl ToSocketAddrs) -> io::Result<Server<P>> {
        let listener = Listener::bind_tcp(addr)?;
        self.on(listener)
    }

    /// Binds a Unix domain socket at `path` (Unix platforms): the server
    /// then serves local clients through that file, with every setting,
    /// mode and guarantee it has over TCP (there is no `TCP_NODELAY` to
    /// set, nor peer addresses to log: the logs name peers by number). Who
    /// may connect is who may write the file and search its folder: the
    /// file is created with the process's umask and listens at once, so
    /// restrict who may connect with the folder's permissions (a client
    /// that connects before the file's own permissions are changed is
    /// served).
    ///
    /// The file: if `path` names a socket that no server listens on (left
    /// by a server that did not stop, a connect to it is refused), it is
    /// replaced; a socket a server listens on fails with `AddrInUse`, and
    /// any other file (a regular file, a directory, a symbolic link) with
    /// `AlreadyExists`, untouched. The server removes the file once its
    /// listener closes (when [`ServerHandle::stop`] has stopped accepting,
    /// or when a server that never served is dropped), unless the path
    /// names another file by then; `path` can be bound again as soon as
    /// `stop` returns. A process that ends without stopping leaves the
    /// file behind, for the next bind to replace. On Linux, servers of
    /// this crate hold a lock on `<path>.lock` (created beside the socket
    /// and left there) from before they look at the path until their file
    /// is removed: of two starting at once, one fails with `AddrInUse`,
    /// and one that stops never removes the file of one that has just
    /// bound the path. A relative `path` is made absolute at bind.
    ///
    /// [`Server::endpoint`] and [`ServerHandle::endpoint`] report the path;
    /// `local_addr` has no TCP address to report (see
    /// [`Server::local_addr`]).
    #[cfg(unix)]
    pub fn bind_unix(self, path: impl AsRef<Path>) -> io::Result<Server<P>> {
        let listener = listener::bind_unix(path.as_ref())?;
        self.on(listener)
    }

    /// The server that will accept from `listener`.
    fn on(self, listener: Listener) -> io::Result<Server<P>> {
        let endpoint = listener.endpoint()?;
        let waker = listener.waker();
        let shared = Arc::new(Shared {
            config: self.config.bounded(),
            endpoint,
            waker,
            stopping: Arc::new(AtomicBool::new(false)),
            state: Mutex::new(State {
                listener: Some(listener),
                accepting: Phase::NotStarted,
                stop: Phase::NotStarted,
                conns: HashMap::new(),
                next_id: 0,
                queue: VecDeque::new(),
                event_threads: 0,
                #[cfg(all(test, target_os = "linux"))]
                event_threads_stopping: 0,
            }),
            changed: Condvar::new(),
            #[cfg(target_os = "linux")]
            poller: std::sync::OnceLock::new(),
            #[cfg(test)]
            after_accept: Mutex::new(None),
        });
        Ok(Server {
            processor: self.processor,
            shared,
        })
    }
}

/// A bound server, ready to [`serve`](Server::serve) in the foreground or
/// [`spawn`](Server::spawn) in the background.
#[must_use = "a bound server serves nothing until `serve` or `spawn` is called; dropping it closes the port"]
pub struct Server<P> {
    processor: Arc<P>,
    shared: Arc<Shared>,
}

impl<P> fmt::Debug for Server<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("endpoint", &self.shared.endpoint)
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Server<()> {
    /// Starts configuring a server for `processor`.
    pub fn builder<P: ServerProcessor>(processor: P) -> ServerBuilder<P> {
        ServerBuilder {
            processor: Arc::new(processor),
            config: ServerConfig::default(),
        }
    }
}

impl<P: ServerProcessor> Server<P> {
    /// The TCP address the server listens on. A server bound to a Unix
    /// socket has none, and reports the unspecified address `0.0.0.0:0`,
    /// which no client can connect to: see [`endpoint`](Server::endpoint).
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr()
    }

    /// Where the server listens: its TCP address, or its Unix socket's
    /// path.
    pub fn endpoint(&self) -> &Endpoint {
        &self.shared.endpoint
    }

    /// A handle to stop the server from another thread.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            shared: self.shared.clone(),
        }
    }

    /// Accepts and serves connections in the calling thread until
    /// [`ServerHandle::stop`] has finished. Returns at once if the server was
    /// stopped before.
    pub fn serve(self) -> io::Result<()> {
        let Some(listener) = self.start()? else {
            return Ok(());
        };
        self.run(listener);
        Ok(())
    }

    /// Serves in a background thread; returns the handle that stops it.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let handle = self.handle();
        let Some(listener) = self.start()? else {
            return Ok(handle);
        };
        let shared = self.shared.clone();
        let spawned = thread::Builder::new()
            .name("thrift-accept".into())
            .spawn(move || self.run(listener));
        if let Err(e) = spawned {
            // The listener went down with the closure.
            shared.end_accepting();
            handle.stop();
            return Err(e);
        }
        Ok(handle)
    }

    /// Takes the listener and starts the workers; `None` if the server was
    /// stopped already.
    fn start(&self) -> io::Result<Option<Listener>> {
        let listener = {
            let mut st = self.shared.lock();
            match st.listener.take() {
                Some(l) => {
                    st.accepting = Phase::Running;
                    l
                }
                None => return Ok(None),
            }
        };
        if let Err(e) = self.start_workers() {
            drop(listener);
            self.shared.end_accepting();
            self.handle().stop();
            return Err(e);
        }
        Ok(Some(listener))
    }

    /// The accept loop, then waits for `stop` to finish draining.
    fn run(&self, mut listener: Listener) {
        self.accept_loop(&mut listener);
        drop(listener);
        self.shared.end_accepting();
        let mut st = self.shared.lock();
        while st.stop != Phase::Done {
            st = self.shared.wait(st);
        }
    }

    fn start_workers(&self) -> io::Result<()> {
        if let Mode::EventDriven { threads } = self.shared.config.mode {
            return self.start_event_threads(threads);
        }
        if let Mode::WorkerPool { workers, .. } = self.shared.config.mode {
            for i in 0..workers {
                let shared = self.shared.clone();
                let processor = self.processor.clone();
                let spawned = thread::Builder::new()
                    .name(format!("thrift-worker-{i}"))
                    .spawn(move || worker(&shared, &*processor));
                if let Err(e) = spawned {
                    self.shared.stopping.store(true, Ordering::SeqCst);
                    self.shared.changed.notify_all();
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    #[cfg(target_os = "linux")]
    fn start_event_threads(&self, threads: usize) -> io::Result<()> {
        let config = &self.shared.config;
        let poller = event::Poller::new(
            config.max_connections,
            config.idle_timeout,
            config.message_timeout,
            config.write_timeout,
        )?;
        let _ = self.shared.poller.set(poller);
        for i in 0..threads {
            let shared = self.shared.clone();
            let processor = self.processor.clone();
            self.shared.lock().event_threads += 1;
            let spawned = thread::Builder::new()
                .name(format!("thrift-event-{i}"))
                .spawn(move || {
                    let _running = EventThread(&shared);
                    if let Some(poller) = shared.poller.get() {
                        event::worker(&shared, poller, &*processor);
                    }
                });
            if let Err(e) = spawned {
                self.shared.lock().event_threads -= 1;
                self.shared.stopping.store(true, Ordering::SeqCst);
                self.shared.stop_event_threads();
                return Err(e);
            }
        }
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    fn start_event_threads(&self, _threads: usize) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the event-driven server mode needs Linux (epoll)",
        ))
    }

    fn accept_loop(&self, listener: &mut Listener) {
        let shared = &self.shared;
        let config = &shared.config;
        let queue_cap = match config.mode {
            Mode::WorkerPool { queue, .. } => queue,
            Mode::ThreadPerConnection | Mode::EventDriven { .. } => usize::MAX,
        };
        let max_connections = match config.mode {
            #[cfg(target_os = "linux")]
            Mode::EventDriven { .. } => config.max_connections.min(event::MAX_SLOTS),
            _ => config.max_connections,
        };
        let mut backoff = Backoff::default();
        loop {
            {
                let mut st = shared.lock();
                while !shared.is_stopping()
                    && (st.conns.len() >= max_connections || st.queue.len() >= queue_cap)
                {
                    st = shared.wait(st);
                }
            }
            if shared.is_stopping() {
                return;
            }
            let (stream, peer) = match listener.accept() {
                Ok(accepted) => {
                    backoff.reset();
                    accepted
                }
                Err(_) if shared.is_stopping() => return,
                Err(e) => {
                    match e.kind() {
                        io::ErrorKind::Interrupted
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset => {}
                        _ => backoff.wait(shared, &e),
                    }
                    continue;
                }
            };
            if shared.is_stopping() {
                return;
            }
            #[cfg(test)]
            if let Some(hook) = &*shared
                .after_accept
                .lock()
                .unwrap_or_else(|e| e.into_inner())
            {
                hook(shared);
            }
            if let Err(e) = tune(&stream, config.write_timeout) {
                log::debug!("{peer}: cannot set up the socket: {e}");
                continue;
            }
            let conn = Conn::register(shared, Arc::new(stream), peer);
            log::debug!("{peer}: connected");
            match config.mode {
                Mode::ThreadPerConnection => {
                    let processor = self.processor.clone();
                    let shared2 = shared.clone();
                    let spawned = thread::Builder::new()
                        .name("thrift-conn".into())
                        .spawn(move || connection::serve(&shared2, &*processor, conn));
                    if let Err(e) = spawned {
                        // The connection (moved into the failed closure) is
                        // dropped and closed.
                        backoff.wait(shared, &e);
                    }
                }
                Mode::WorkerPool { .. } => {
                    let mut st = shared.lock();
                    st.queue.push_back(conn);
                    shared.changed.notify_all();
                }
                #[cfg(target_os = "linux")]
                Mode::EventDriven { .. } => {
                    if let (Some(poller), Some(io)) = (
                        shared.poller.get(),
                        connection::Io::open(shared, &conn, true),
                    ) {
                        poller.register(shared, conn, io);
                    }
                }
                #[cfg(not(target_os = "linux"))]
                Mode::EventDriven { .. } => {}
            }
        }
    }
}

impl<P> Drop for Server<P> {
    fn drop(&mut self) {
        // A server dropped without serving releases its port.
        let listener = self.shared.lock().listener.take();
        drop(listener);
    }
}

/// A worker of the pool: serves queued connections until the server stops
/// and the queue is empty. Not before the accept loop has ended: it may be
/// about to queue a connection it accepted as the stop began, which would
/// otherwise wait for no worker until the drain timeout.
fn worker<P: ServerProcessor + ?Sized>(shared: &Arc<Shared>, processor: &P) {
    loop {
        let conn = {
            let mut st = shared.lock();
            loop {
                if let Some(conn) = st.queue.pop_front() {
                    shared.changed.notify_all();
                    break conn;
                }
                if shared.is_stopping() && st.accepting != Phase::Running {
                    return;
                }
                st = shared.wait(st);
            }
        };
        connection::serve(shared, processor, conn);
    }
}

/// Stops a server; cheap to clone and send to other threads.
#[derive(Clone)]
pub struct ServerHandle {
    shared: Arc<Shared>,
}

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle")
            .field("endpoint", &self.shared.endpoint)
            .finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// The TCP address the server listens on; `0.0.0.0:0` for a server
    /// bound to a Unix socket (see [`Server::local_addr`]).
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr()
    }

    /// Where the server listens: its TCP address, or its Unix socket's
    /// path.
    pub fn endpoint(&self) -> &Endpoint {
        &self.shared.endpoint
    }

    /// Connections open now (accepted and not yet closed).
    pub fn connections(&self) -> usize {
        self.shared.lock().conns.len()
    }

    /// True once [`stop`](ServerHandle::stop) has finished.
    pub fn is_stopped(&self) -> bool {
        self.shared.lock().stop == Phase::Done
    }

    /// Stops the server gracefully and returns when it is done (see the
    /// [module docs](self)): no new connections, idle ones closed at once,
    /// in-flight calls finish and deliver their replies, the rest is
    /// force-closed after the drain timeout. Idempotent: a second or
    /// concurrent call waits for the first one; a call before
    /// [`Server::serve`] makes `serve` return at once.
    ///
    /// Called from inside a handler, `stop` waits for that very call, so it
    /// returns only after the drain timeout: call it from another thread
    /// (e.g. spawn one from the handler).
    pub fn stop(&self) {
        let shared = &*self.shared;
        {
            let mut st = shared.lock();
            match st.stop {
                Phase::Done => return,
                Phase::Running => {
                    while st.stop != Phase::Done {
                        st = shared.wait(st);
                    }
                    return;
                }
                Phase::NotStarted => st.stop = Phase::Running,
            }
            shared.stopping.store(true, Ordering::SeqCst);
            shared.changed.notify_all();
        }
        log::debug!("stopping the thrift server on {}", shared.endpoint);
        self.stop_accepting();
        // Event-driven threads end after their current call; parked
        // (idle) connections are closed here, even if every thread is busy.
        shared.stop_event_threads();

        // A drain timeout too long to add to the clock means no deadline.
        let deadline = Instant::now().checked_add(shared.config.drain_timeout);
        let mut st = shared.lock();
        for stream in st.conns.values() {
            // Idle connections see end-of-file at once; a call in progress
            // still writes its reply, then sees end-of-file.
            let _ = stream.shutdown(std::net::Shutdown::Read);
        }
        if let Some(budget) = &shared.config.in_flight_budget {
            // Frames waiting for the budget give up.
            budget.wake_all();
        }

        // Event-driven threads end once they have answered what arrived.
        while !st.conns.is_empty() || st.event_threads > 0 {
            st = match deadline {
                None => shared.wait(st),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    shared.wait_timeout(st, deadline - now)
                }
            };
        }
        let abandoned = std::mem::take(&mut st.queue);
        if !st.conns.is_empty() {
            log::warn!(
                "{} connection(s) still busy after the drain timeout: closing them",
                st.conns.len()
            );
            for stream in st.conns.values() {
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        }
        drop(st);
        drop(abandoned);
        let mut st = shared.lock();
        st.stop = Phase::Done;
        shared.changed.notify_all();
    }

    /// Waits until the accept loop has dropped the listener, waking it with
    /// a connection of our own if it is blocked in `accept`.
    fn stop_accepting(&self) {
        let shared = &*self.shared;
        let mut st = shared.lock();
        if let Some(listener) = st.listener.take() {
            st.accepting = Phase::Done;
            drop(listener);
            return;
        }
        while st.accepting == Phase::Running {
            drop(st);
            listener::wake(&shared.endpoint, &shared.waker);
            st = shared.lock();
            if st.accepting == Phase::Running {
                st = shared.wait_timeout(st, Duration::from_millis(100));
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    NotStarted,
    Running,
    Done,
}

/// State shared by the accept loop, the connections and the handles.
struct Shared {
    config: ServerConfig,
    endpoint: Endpoint,
    /// Wakes the accept loop from `accept` on stop.
    waker: listener::Waker,
    /// Set once `stop` begins; shared with the readers' budget waits.
    stopping: Arc<AtomicBool>,
    state: Mutex<State>,
    /// Signalled on every change of `state`.
    changed: Condvar,
    /// The epoll instance of the event-driven mode, once started.
    #[cfg(target_os = "linux")]
    poller: std::sync::OnceLock<event::Poller>,
    /// Tests: runs in the accept loop with each connection it has just
    /// accepted (to hold it there while a stop begins).
    #[cfg(test)]
    after_accept: Mutex<Option<AcceptHook>>,
}

/// See [`Shared::after_accept`].
#[cfg(test)]
type AcceptHook = Box<dyn Fn(&Shared) + Send>;

struct State {
    /// The listener until `serve` takes it.
    listener: Option<Listener>,
    accepting: Phase,
    stop: Phase,
    /// Open connections, to shut them down on stop.
    conns: HashMap<u64, Arc<Socket>>,
    next_id: u64,
    /// Accepted connections waiting for a worker (worker-pool mode).
    queue: VecDeque<Conn>,
    /// Event-driven threads that have not ended yet.
    event_threads: usize,
    /// Tests: event-driven threads that have seen the stop.
    #[cfg(all(test, target_os = "linux"))]
    event_threads_stopping: usize,
}

impl Shared {
    /// The TCP address, or the unspecified one (a Unix socket).
    fn local_addr(&self) -> SocketAddr {
        self.endpoint
            .tcp()
            .unwrap_or(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding the lock; recover anyway.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.changed.wait(guard).unwrap_or_else(|e| e.into_inner())
    }

    fn wait_timeout<'a>(&self, guard: MutexGuard<'a, State>, t: Duration) -> MutexGuard<'a, State> {
        match self.changed.wait_timeout(guard, t) {
            Ok((g, _)) => g,
            Err(e) => e.into_inner().0,
        }
    }

    /// Wakes the event-driven threads (they look at `stopping`, answer the
    /// requests already received and end) and closes the idle parked
    /// connections. Not with the state lock held: closing a connection
    /// takes it.
    fn stop_event_threads(&self) {
        #[cfg(target_os = "linux")]
        if let Some(poller) = self.poller.get() {
            poller.wake();
            poller.close_idle();
        }
    }

    /// Records that the accept loop has ended (or will never run), and
    /// wakes the threads that wait for it (the pool's workers and the
    /// event-driven threads on stop).
    fn end_accepting(&self) {
        self.lock().accepting = Phase::Done;
        self.changed.notify_all();
    }

    /// An event-driven thread that has seen the stop waits here until the
    /// accept loop has ended, before it answers what has arrived and ends:
    /// the loop may be about to register a connection it accepted as the
    /// stop began, whose request must not be left to no thread (as a
    /// worker of the pool waits, see [`worker`]). The loop ends promptly
    /// once `stopping` is set (`stop` wakes it from `accept`), and it never
    /// waits for these threads.
    #[cfg(target_os = "linux")]
    fn event_thread_stopping(&self) {
        let mut st = self.lock();
        #[cfg(test)]
        {
            st.event_threads_stopping += 1;
            self.changed.notify_all();
        }
        while st.accepting == Phase::Running {
            st = self.wait(st);
        }
    }

    #[inline]
    fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}

/// An accepted connection; unregisters itself when dropped.
struct Conn {
    shared: Arc<Shared>,
    id: u64,
    stream: Arc<Socket>,
    peer: Peer,
}

impl Conn {
    fn register(shared: &Arc<Shared>, stream: Arc<Socket>, peer: Peer) -> Conn {
        let mut st = shared.lock();
        let id = st.next_id;
        st.next_id += 1;
        st.conns.insert(id, stream.clone());
        drop(st);
        let conn = Conn {
            shared: shared.clone(),
            id,
            stream,
            peer,
        };
        if let Some(observer) = &shared.config.observer {
            observer::notify("connection_opened", || {
                observer.connection_opened(&conn.info());
            });
        }
        conn
    }

    /// What an observer is told of it.
    fn info(&self) -> ConnectionInfo {
        ConnectionInfo::new(self.id, self.peer)
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Before it leaves the open connections: once a stop has seen none
        // left, every close has been reported.
        if let Some(observer) = &self.shared.config.observer {
            observer::notify("connection_closed", || {
                observer.connection_closed(&self.info());
            });
        }
        let mut st = self.shared.lock();
        st.conns.remove(&self.id);
        self.shared.changed.notify_all();
    }
}

/// Counts an event-driven thread as running until it ends (also by a
/// panic).
#[cfg(target_os = "linux")]
struct EventThread<'a>(&'a Shared);

#[cfg(target_os = "linux")]
impl Drop for EventThread<'_> {
    fn drop(&mut self) {
        let mut st = self.0.lock();
        st.event_threads -= 1;
        self.0.changed.notify_all();
    }
}

/// Sleeps after accept errors: 10 ms, doubling up to 1 s, logging the
/// first error of a run and then every 64th.
#[derive(Default)]
struct Backoff {
    delay: Option<Duration>,
    errors: u64,
}

impl Backoff {
    fn reset(&mut self) {
        self.delay = None;
        self.errors = 0;
    }

    /// Sleeps, or returns early when the server state changes (a stop, a
    /// connection closing and releasing its descriptor).
    fn wait(&mut self, shared: &Shared, e: &io::Error) {
        if self.errors % 64 == 0 {
            log::warn!(
                "accept failed ({} in a row): {e}; backing off",
                self.errors + 1
            );
        }
        self.errors += 1;
        let d = match self.delay {
            None => Duration::from_millis(10),
            Some(d) => (d * 2).min(Duration::from_secs(1)),
        };
        self.delay = Some(d);
        let st = shared.lock();
        if !shared.is_stopping() {
            drop(shared.wait_timeout(st, d));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processor::unknown_method;
    use crate::protocol::{MessageHeader, ProtocolRead, ProtocolWrite};
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::mpsc;

    /// Answers every call with `UNKNOWN_METHOD`.
    struct Nothing;

    impl<I: ProtocolRead + ?Sized, O: ProtocolWrite + ?Sized> Processor<I, O> for Nothing {
        fn process(&self, h: &MessageHeader, i: &mut I, o: &mut O) -> crate::Result<()> {
            unknown_method(h, i, o)
        }
    }

    /// The server's public types print their address and settings, not
    /// the processor (which need not be `Debug`).
    #[test]
    fn builder_server_and_handle_are_debug() {
        let builder = Server::builder(Nothing).max_connections(7);
        assert!(format!("{builder:?}").contains("max_connections: 7"));
        let server = builder.bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().to_string();
        let shown = format!("{server:?}");
        assert!(
            shown.starts_with("Server {") && shown.contains(&addr),
            "{shown}"
        );
        let handle = server.handle();
        let shown = format!("{handle:?}");
        assert!(
            shown.starts_with("ServerHandle {") && shown.contains(&addr),
            "{shown}"
        );
        fn check<T: Send + Sync>() {}
        check::<ServerHandle>();
        check::<Server<Nothing>>();
    }

    /// A connection the accept loop has accepted, but not yet queued, when
    /// a stop begins is still served by a worker (its request, which has
    /// arrived, is answered), and `stop` returns without waiting out the
    /// drain timeout.
    #[test]
    fn a_connection_accepted_as_a_stop_begins_gets_a_worker() {
        // Also when the first bytes choose the protocol.
        for detect in [false, true] {
            let server = Server::builder(Nothing)
                .detect_protocol(detect)
                .worker_pool(1, 4)
                .drain_timeout(Duration::from_secs(5))
                .bind("127.0.0.1:0")
                .unwrap();
            let (accepted, on_accept) = mpsc::channel();
            *server.shared.after_accept.lock().unwrap() = Some(Box::new(move |shared: &Shared| {
                let _ = accepted.send(());
                // Holds the connection until the stop has begun, and long
                // enough for an idle worker to see it.
                let deadline = Instant::now() + Duration::from_secs(5);
                while !shared.is_stopping() && Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(1));
                }
                thread::sleep(Duration::from_millis(50));
            }));
            let handle = server.spawn().unwrap();
            let (took, reply) = call_across_a_stop(&handle, &on_accept);
            assert!(
                took < Duration::from_secs(2),
                "stop took {took:?} (detect: {detect})"
            );
            assert_answers_ping(&reply);
        }
    }

    /// Connects, sends a whole `ping` call (binary, unframed, seqid 7, no
    /// arguments), waits until the accept loop has the connection, stops
    /// the server; returns how long `stop` took and what the peer read
    /// until the server closed the connection.
    fn call_across_a_stop(
        handle: &ServerHandle,
        on_accept: &mpsc::Receiver<()>,
    ) -> (Duration, Vec<u8>) {
        let mut peer = TcpStream::connect(handle.local_addr()).unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut call = vec![0x80, 1, 0, 1, 0, 0, 0, 4];
        call.extend(b"ping");
        call.extend([0, 0, 0, 7, 0]);
        peer.write_all(&call).unwrap();
        on_accept
            .recv_timeout(Duration::from_secs(5))
            .expect("the connection was accepted");
        let started = Instant::now();
        handle.stop();
        let took = started.elapsed();
        let mut reply = Vec::new();
        let _ = peer.read_to_end(&mut reply);
        (took, reply)
    }

    /// An EXCEPTION message (type 3) answering seqid 7.
    #[track_caller]
    fn assert_answers_ping(reply: &[u8]) {
        assert!(
            reply.starts_with(&[0x80, 1, 0, 3, 0, 0, 0, 4]) && reply[12..16] == [0, 0, 0, 7],
            "reply {reply:?}"
        );
    }

    /// Thread per connection: a connection the accept loop has accepted,
    /// but not yet given its thread, when a stop begins has its request
    /// (which has arrived) answered (Linux: elsewhere the blocking modes
    /// answer no request during a stop).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_connection_accepted_as_a_stop_begins_gets_its_thread() {
        // Also when the first bytes choose the protocol.
        for detect in [false, true] {
            let server = Server::builder(Nothing)
                .detect_protocol(detect)
                .thread_per_connection()
                .drain_timeout(Duration::from_secs(5))
                .bind("127.0.0.1:0")
                .unwrap();
            let (accepted, on_accept) = mpsc::channel();
            *server.shared.after_accept.lock().unwrap() = Some(Box::new(move |shared: &Shared| {
                let _ = accepted.send(());
                let deadline = Instant::now() + Duration::from_secs(5);
                while !shared.is_stopping() && Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(1));
                }
            }));
            let handle = server.spawn().unwrap();
            let (took, reply) = call_across_a_stop(&handle, &on_accept);
            assert!(
                took < Duration::from_secs(2),
                "stop took {took:?} (detect: {detect})"
            );
            assert_answers_ping(&reply);
        }
    }

    /// Event-driven mode: a connection the accept loop has accepted, but
    /// not yet registered, when a stop begins has its request (which has
    /// arrived) answered, even though every event thread has already seen
    /// the stop (as one woken by any event or tick may), and `stop` returns
    /// without waiting out the drain timeout.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_connection_accepted_as_a_stop_begins_is_answered_by_an_event_thread() {
        // Also when the first bytes choose the protocol.
        for detect in [false, true] {
            const THREADS: usize = 2;
            let server = Server::builder(Nothing)
                .detect_protocol(detect)
                .event_driven(THREADS)
                .drain_timeout(Duration::from_secs(5))
                .bind("127.0.0.1:0")
                .unwrap();
            let (accepted, on_accept) = mpsc::channel();
            let (saw_stop, threads_saw_stop) = mpsc::channel();
            *server.shared.after_accept.lock().unwrap() = Some(Box::new(move |shared: &Shared| {
                let _ = accepted.send(());
                let deadline = Instant::now() + Duration::from_secs(5);
                while !shared.is_stopping() && Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(1));
                }
                // Every event thread sees the stop before the connection is
                // registered.
                if let Some(poller) = shared.poller.get() {
                    poller.wake();
                }
                while shared.lock().event_threads_stopping < THREADS && Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(1));
                }
                let _ = saw_stop.send(shared.lock().event_threads_stopping);
            }));
            let handle = server.spawn().unwrap();
            let (took, reply) = call_across_a_stop(&handle, &on_accept);
            let seen = threads_saw_stop.recv_timeout(Duration::from_secs(5));
            assert_eq!(seen, Ok(THREADS), "event threads that had seen the stop");
            assert!(
                took < Duration::from_secs(2),
                "stop took {took:?} (detect: {detect})"
            );
            assert_answers_ping(&reply);
        }
    }
}
