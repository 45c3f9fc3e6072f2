//! [`SharedPool`]: a few [`SharedClient`] connections to one server, opened
//! when first needed and opened again when they break.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use std::sync::{Mutex, PoisonError};

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
/// [`Connector::connect_shared`]); a call whose connection cannot be opened
/// fails with that error, and the next call to that place tries again.
///
/// A call that fails is not made again: the server may have run it. A
/// call on a connection that breaks fails with the reason (see
/// [`SharedClient`]); calls after it get a new connection. While a place
/// opens its connection, the calls that come to it wait, and take its
/// outcome: the connection, or the failure (so a server that is down gets
/// one attempt at a time per place, each bounded by the connect timeout).
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

struct Inner<S: SocketStream> {
    connector: Connector<S>,
    places: Vec<Place>,
    next: AtomicUsize,
}

/// Where one connection is kept.
#[derive(Default)]
struct Place {
    client: Mutex<Option<SharedClient>>,
    /// Held while a connection is opened: a place opens one at a time, and
    /// the calls that waited for an attempt take its outcome, a connection
    /// or the failure, rather than each trying again in turn.
    /// Why the last attempt failed (`None`: it succeeded).
    opening: ::tokio::sync::Mutex<Option<(TransportErrorKind, String)>>,
    /// Attempts finished.
    attempts: AtomicU64,
}

impl Place {
    /// Its connection, if it has one that is usable.
    fn usable(&self) -> Option<SharedClient> {
        let client = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        client.as_ref().filter(|c| c.is_usable()).cloned()
    }
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
    /// `connector`; none is opened yet.
    pub fn new(connector: Connector<S>, connections: usize) -> SharedPool<S> {
        let places = (0..connections.max(1)).map(|_| Place::default()).collect();
        SharedPool {
            inner: Arc::new(Inner {
                connector,
                places,
                next: AtomicUsize::new(0),
            }),
        }
    }

    /// The connection the next call takes: the next place in turn, with its
    /// connection opened (again) if it has none or it broke.
    pub async fn client(&self) -> Result<SharedClient> {
        let inner = &*self.inner;
        let place = &inner.places[inner.next.fetch_add(1, Ordering::Relaxed) % inner.places.len()];
        if let Some(client) = place.usable() {
            return Ok(client);
        }
        let seen = place.attempts.load(Ordering::Acquire);
        let mut failed = place.opening.lock().await;
        // Another call may have opened it meanwhile.
        if let Some(client) = place.usable() {
            return Ok(client);
        }
        // An attempt that ended while this call waited failed: so does this
        // call.
        if let Some((kind, why)) = &*failed {
            if place.attempts.load(Ordering::Acquire) != seen {
                return Err(Error::Transport(TransportError::new(*kind, why.clone())));
            }
        }
        // A broken connection's handle is dropped here; its tasks end once
        // its calls have failed.
        match inner.connector.connect_shared().await {
            Ok(client) => {
                *failed = None;
                *place.client.lock().unwrap_or_else(PoisonError::into_inner) = Some(client.clone());
                place.attempts.fetch_add(1, Ordering::Release);
                Ok(client)
            }
            Err(e) => {
                let kind = match &e {
                    Error::Transport(t) => t.kind,
                    _ => TransportErrorKind::Unknown,
                };
                *failed = Some((kind, e.to_string()));
                place.attempts.fetch_add(1, Ordering::Release);
                Err(e)
            }
        }
    }

    /// Connections open and usable now.
    pub fn open(&self) -> usize {
        self.inner
            .places
            .iter()
            .filter(|p| p.usable().is_some())
            .count()
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
        self.client().await?.call(method, args).await
    }

    async fn call_oneway<A: Encode + Sync>(&mut self, method: &str, args: &A) -> Result<()> {
        self.client().await?.call_oneway(method, args).await
    }
}
