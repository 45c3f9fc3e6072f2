//! [`SharedPool`]: a few [`SharedClient`] connections to one server, opened
//! when first needed and opened again when they break.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use ::tokio::time::Instant;

use super::client::timed_out;
use super::shared::CallError;
use super::{AsyncChannel, SharedClient};
use crate::client::Connector;
use crate::codec::{Decode, Encode};
use crate::error::{Error, Result, TransportError, TransportErrorKind};
use crate::transport::socket::SocketStream;

/// Up to `connections` [`SharedClient`] connections to one server, which
/// calls take in turn: many tasks call through few connections, and a
/// connection that broke is replaced by the next call that comes to it.
///
/// `S` is the connector's kind of socket: TCP (the default), a Unix
/// domain socket (`SharedPool<UnixStream>` from
/// [`Connector::unix`](crate::Connector::unix)), or either
/// (`Connector<Socket>`).
///
/// Clone it (clones share the connections) or call through `&SharedPool`;
/// both are [`AsyncChannel`]s, so generated async clients work over them:
/// `FooAsyncClient::new(&pool)`. Connections are opened by the calls that
/// need them, with the connector's settings (see
/// [`Connector::connect_shared`]).
///
/// A call that fails after its request may have reached the server is
/// not made again: the server may have run it. A call on a connection that
/// breaks fails with the reason (see [`SharedClient`]); calls after it get
/// a new connection. But a call that its connection refused before any
/// byte of its request was sent (the connection had just broken, or the
/// call was still queued when it broke) is made once more, and its caller
/// sees only the outcome of that second try. The second try takes the
/// usable connection of the place whose turn is next, or else of the next
/// place after it that has one; only when no place has one does it go to
/// the place whose turn is next as any call does (below): it opens that
/// place's connection, or, if that place is backing off, fails at once
/// with an error that says when its next attempt is allowed.
/// Oneway calls likewise. The second try gets what is left of the read
/// timeout counted from the call's start, so a call through the pool is
/// bounded by one read timeout, as through one connection (plus the
/// connects it waits for); when that runs out it fails as timed out, not
/// as unsent. A call is never made more than twice, and only
/// the connection's own finding leads to a second try: an error that
/// merely says the request was not sent ([`Error::is_unsent`]), such as
/// one returned by an `Encode` or `Decode` impl, reaches the caller as it
/// is.
///
/// A place opens one connection at a time (so a server that is down gets
/// one attempt at a time per place, each bounded by the connect timeout).
/// A call that comes to a place while it opens its connection takes the
/// usable connection of the next place that has one; only when none has
/// does it wait for that attempt and take its outcome (the connection, or
/// the failure, below; if the call making the attempt is dropped midway,
/// a waiting call makes an attempt of its own, so it may wait about two
/// connect timeouts). After a failed connect the place backs off: it
/// makes no attempt for 100 ms, then for twice as long after each further
/// failure in a row, at most 5 s, starting over after a successful connect
/// (see [`reconnect_backoff`](Self::reconnect_backoff)). A call that comes
/// to a place that is backing off, or whose connect failed (one the call
/// made, or one it waited for), takes the connection of the next place
/// that has a usable one. When none has, the call fails with that connect
/// error: the call that made the attempt as the connector reported it,
/// the others (at once if they came while the place backed off) saying
/// too, while the place backs off, how long until the next attempt is
/// allowed. All these errors have [`TransportError::unsent`] set.
///
/// A connection's tasks run on the runtime of the call that opened it:
/// keep that runtime running (a multi-threaded one, or the one the pool is
/// used on).
///
/// ```
/// use thriftc_runtime::Connector;
/// use thriftc_runtime::tokio::{AsyncChannel, AsyncServer, SharedPool};
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
/// let pool = SharedPool::new(Connector::new(addr)?, 2);
/// let calls: Vec<_> = (0..8)
///     .map(|i| {
///         let mut pool = pool.clone();
///         tokio::spawn(async move { pool.call::<_, Num>("double", &Num(i)).await })
///     })
///     .collect();
/// for (i, call) in calls.into_iter().enumerate() {
///     assert_eq!(call.await.expect("the task")?.0, 2 * i as i32);
/// }
/// assert_eq!(pool.open(), 2);
/// # Ok(()) }
/// ```
pub struct SharedPool<S: SocketStream = std::net::TcpStream> {
    inner: Arc<Inner<S>>,
}

impl<S: SocketStream> Clone for SharedPool<S> {
    fn clone(&self) -> Self {
        SharedPool {
            inner: Arc::clone(&self.inner),
        }
    }
}

/// The delay after a place's first failed connect, by default.
const INITIAL_BACKOFF: Duration = Duration::from_millis(100);

/// The longest delay between a place's connects, by default.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

struct Inner<S: SocketStream> {
    connector: Connector<S>,
    places: Vec<Place>,
    next: AtomicUsize,
    /// The first delay after a failed connect, and the longest.
    backoff: Mutex<(Duration, Duration)>,
}

/// Where one connection is kept.
#[derive(Default)]
struct Place {
    client: Mutex<Option<SharedClient>>,
    /// Held while a connection is opened: a place opens one at a time, and
    /// the calls that waited for an attempt take its outcome, a connection
    /// or the failure, rather than each trying again in turn.
    opening: ::tokio::sync::Mutex<()>,
    attempts: Mutex<Attempts>,
}

/// A place's connects so far.
#[derive(Default)]
struct Attempts {
    /// Attempts finished.
    count: u64,
    /// Why the last attempt failed (`None`: it succeeded, or none was made).
    failed: Option<Failure>,
}

/// A failed connect, and the backoff that follows it.
struct Failure {
    kind: TransportErrorKind,
    message: String,
    /// How long the place waits after it.
    delay: Duration,
    /// No attempt before then (`None`: never, the delay being too long to
    /// add to the clock).
    retry_at: Option<Instant>,
}

impl Place {
    /// Its connection, if it has one that is usable.
    fn usable(&self) -> Option<SharedClient> {
        let client = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        client.as_ref().filter(|c| c.is_usable()).cloned()
    }

    fn attempts(&self) -> MutexGuard<'_, Attempts> {
        self.attempts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Why a call that came to the place must not connect: the place is
    /// backing off after a failed connect, or an attempt that ended since
    /// the call saw `seen` attempts failed (its outcome is the call's).
    fn refusal(&self, seen: u64) -> Option<Error> {
        let attempts = self.attempts();
        let failure = attempts.failed.as_ref()?;
        let now = Instant::now();
        let message = if failure.retry_at.is_none_or(|at| now < at) {
            let next = match failure.retry_at {
                Some(at) => format!("allowed in {:?}", at - now),
                None => "not allowed".to_owned(),
            };
            format!(
                "{} (backing off for {:?} after that failed connect: the next attempt is {next})",
                failure.message, failure.delay,
            )
        } else if attempts.count != seen {
            failure.message.clone()
        } else {
            return None;
        };
        Some(unsent(TransportError::new(failure.kind, message)))
    }
}

/// Marks `e` as failing before any byte of the request was sent.
fn unsent(mut e: TransportError) -> Error {
    e.unsent = true;
    Error::Transport(e)
}

impl<S: SocketStream> fmt::Debug for SharedPool<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedPool")
            .field("connections", &self.inner.places.len())
            .field("open", &self.open())
            .finish_non_exhaustive()
    }
}

impl<S: SocketStream> SharedPool<S> {
    /// A pool of up to `connections` (at least 1) connections made by
    /// `connector`; none is opened yet. A place whose connect fails backs
    /// off for 100 ms, doubled after each failure in a row up to 5 s (see
    /// [`reconnect_backoff`](Self::reconnect_backoff)).
    pub fn new(connector: Connector<S>, connections: usize) -> SharedPool<S> {
        let places = (0..connections.max(1)).map(|_| Place::default()).collect();
        SharedPool {
            inner: Arc::new(Inner {
                connector,
                places,
                next: AtomicUsize::new(0),
                backoff: Mutex::new((INITIAL_BACKOFF, MAX_BACKOFF)),
            }),
        }
    }

    /// Sets how long a place waits after a failed connect before it tries
    /// again: `initial` after the first failure, twice the previous delay
    /// after each further failure in a row, never more than `max`; a
    /// successful connect starts over at `initial`. `(Duration::ZERO,
    /// Duration::ZERO)` turns backoff off. Applies to this pool and its
    /// clones, from their next failed connect on.
    pub fn reconnect_backoff(self, initial: Duration, max: Duration) -> SharedPool<S> {
        *self
            .inner
            .backoff
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = (initial, max);
        self
    }

    /// The connection the next call takes: the next place in turn, with its
    /// connection opened (again) if it has none or it broke. A place that
    /// is backing off after a failed connect, that another call is
    /// connecting, or whose connect this call made or waited for failed,
    /// lends the connection of the next place that has a usable one. When
    /// none has, a call that finds a connect under way waits for it and
    /// takes its outcome; one that finds the place backing off, or whose
    /// connect failed, fails with the place's last connect error (its
    /// [`TransportError::unsent`] set, like every error of this function;
    /// while the place backs off, it says when the next attempt is
    /// allowed).
    pub async fn client(&self) -> Result<SharedClient> {
        let at = self.turn();
        self.client_at(at).await
    }

    /// The place whose turn is next.
    fn turn(&self) -> usize {
        let inner = &*self.inner;
        inner.next.fetch_add(1, Ordering::Relaxed) % inner.places.len()
    }

    /// The connection for a call made again (its first request was not
    /// sent): the usable connection of the next place in turn, or else of
    /// the next place that has one; with none, as [`client`](Self::client)
    /// at that place.
    async fn client_again(&self) -> Result<SharedClient> {
        let at = self.turn();
        match self.inner.places[at].usable() {
            Some(client) => Ok(client),
            None => match self.elsewhere(at) {
                Some(client) => Ok(client),
                None => self.client_at(at).await,
            },
        }
    }

    /// [`client`](Self::client) at place `at`.
    async fn client_at(&self, at: usize) -> Result<SharedClient> {
        let inner = &*self.inner;
        let place = &inner.places[at];
        if let Some(client) = place.usable() {
            return Ok(client);
        }
        let seen = place.attempts().count;
        if let Some(refused) = place.refusal(seen) {
            return self.elsewhere(at).ok_or(refused);
        }
        // One attempt at a time: a call that finds one under way takes a
        // usable connection elsewhere rather than wait, and waits only
        // when there is none.
        let _opening = match place.opening.try_lock() {
            Ok(opening) => opening,
            Err(_) => match self.elsewhere(at) {
                Some(client) => return Ok(client),
                None => place.opening.lock().await,
            },
        };
        // Another call may have opened it meanwhile, or failed to.
        if let Some(client) = place.usable() {
            return Ok(client);
        }
        if let Some(refused) = place.refusal(seen) {
            return self.elsewhere(at).ok_or(refused);
        }
        // A broken connection's handle is dropped here; its tasks end once
        // its calls have failed.
        let outcome = inner.connector.connect_shared().await;
        let mut attempts = place.attempts();
        attempts.count += 1;
        match outcome {
            Ok(client) => {
                attempts.failed = None;
                *place.client.lock().unwrap_or_else(PoisonError::into_inner) = Some(client.clone());
                Ok(client)
            }
            Err(e) => {
                let (initial, max) = *inner.backoff.lock().unwrap_or_else(PoisonError::into_inner);
                let delay = match &attempts.failed {
                    Some(last) => last.delay.saturating_mul(2),
                    None => initial,
                }
                .min(max);
                let e = match e {
                    Error::Transport(t) => t,
                    other => TransportError::new(TransportErrorKind::Unknown, other.to_string()),
                };
                attempts.failed = Some(Failure {
                    kind: e.kind,
                    message: e.message.clone(),
                    delay,
                    retry_at: Instant::now().checked_add(delay),
                });
                drop(attempts);
                self.elsewhere(at).ok_or_else(|| unsent(e))
            }
        }
    }

    /// A usable connection of another place than `at`, the next in turn
    /// first.
    fn elsewhere(&self, at: usize) -> Option<SharedClient> {
        let places = &self.inner.places;
        (1..places.len()).find_map(|k| places[(at + k) % places.len()].usable())
    }

    /// Connections open and usable now.
    pub fn open(&self) -> usize {
        self.inner
            .places
            .iter()
            .filter(|p| p.usable().is_some())
            .count()
    }

    /// Makes a call through [`client`](Self::client)'s connection. If that
    /// connection refused it, or broke while it was still queued (so it
    /// was certainly not sent), it is made once more, through
    /// [`client_again`](Self::client_again)'s connection. No other error
    /// leads to a second try, whatever [`Error::is_unsent`] says of it.
    ///
    /// The second try gets what is left of the read timeout counted from
    /// the call's start (the first try's wait for a slot or a queue counts
    /// against it), so a call through the pool is bounded by one read
    /// timeout as a call through one connection is (plus the connects it
    /// waited for).
    async fn call_with<T, F>(
        &self,
        late: impl FnOnce(Duration) -> String,
        call: impl Fn(SharedClient) -> F,
    ) -> Result<T>
    where
        F: Future<Output = std::result::Result<T, CallError>>,
    {
        let started = Instant::now();
        match call(self.client().await?).await {
            Ok(value) => Ok(value),
            Err(e) if e.refused => {
                let again = async { call(self.client_again().await?).await.map_err(|e| e.error) };
                let timeout = super::limit(self.inner.connector.settings().read_timeout);
                match timeout.and_then(|t| started.checked_add(t)) {
                    Some(deadline) => ::tokio::time::timeout_at(deadline, again)
                        .await
                        .map_err(|_| timed_out(late(timeout.unwrap_or_default())))?,
                    None => again.await,
                }
            }
            Err(e) => Err(e.error),
        }
    }
}

impl<S: SocketStream> AsyncChannel for SharedPool<S> {
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

impl<S: SocketStream> AsyncChannel for &SharedPool<S> {
    async fn call<A: Encode + Sync, R: Decode + Send>(
        &mut self,
        method: &str,
        args: &A,
    ) -> Result<R> {
        let late = |t| format!("no reply to '{method}' within {t:?}");
        self.call_with(
            late,
            |client| async move { client.exchange(method, args).await },
        )
        .await
    }

    async fn call_oneway<A: Encode + Sync>(&mut self, method: &str, args: &A) -> Result<()> {
        let late = |t| format!("'{method}' was not sent within {t:?}");
        self.call_with(
            late,
            |client| async move { client.oneway(method, args).await },
        )
        .await
    }
}
