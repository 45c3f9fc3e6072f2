//! [`Pool`]: connections kept open between calls and shared by threads.
//!
//! A [`Client`] is one connection making one call at a time. A `Pool` hands
//! each caller a connection of its own ([`Pool::get`]): an idle one when it
//! has one, else a new one from its [`Connector`]. The [`Pooled`] guard
//! derefs to the `Client` and is a [`Channel`] itself, so a generated client
//! wraps it (`CalcClient::new(pool.get()?)`); dropped, it goes back to the
//! pool if it is still usable and the pool keeps fewer than
//! [`max_idle`](Pool::max_idle) idle connections, else it is closed. Only
//! idle connections are bounded: a `get` with none idle connects, however
//! many are in use. A `Pool` is a handle (`Clone`, `Send`, `Sync`): clones
//! share the connections, and a guard owns its share, so both can move into
//! spawned threads.
//!
//! A connection idle in the pool may have been closed by the server
//! meanwhile (a server's idle timeout, a restart): a call on it would find
//! out only after sending its request. So `get` checks an idle connection
//! before handing it out, without waiting (a read that finds the end of
//! the stream, or bytes no call asked for, discards it), and closes those
//! idle for [`max_idle_time`](Pool::max_idle_time) or longer (default 30
//! s, below the server's default idle timeout of 60 s). A server can
//! still close a connection between that check and the call's request; a
//! caller that retries must know its call is safe to repeat. A connection
//! a call left out of step (an error, or a panic in an `Encode` or
//! `Decode` impl) is closed, never given back.
//!
//! ```no_run
//! use thriftc_runtime::client::{Channel, Connector, Pool};
//! # fn demo() -> thriftc_runtime::Result<()> {
//! # type Res = i32; // stands for a generated result struct
//! let pool = Pool::new(Connector::new("127.0.0.1:9090")?).max_idle(8);
//! let workers: Vec<_> = (0..4)
//!     .map(|_| {
//!         let pool = pool.clone();
//!         std::thread::spawn(move || -> thriftc_runtime::Result<Res> {
//!             // Generated clients wrap it: `CalcClient::new(pool.get()?)`.
//!             # let args = 0i32; // stands for a generated arguments struct
//!             pool.get()?.call("add", &args)
//!         })
//!     })
//!     .collect();
//! # Ok(()) }
//! ```

use std::fmt;
use std::io;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Channel, Client, Connector};
use crate::codec::{Decode, Encode};
use crate::error::Result;

/// Idle connections to one server, shared by threads (see the
/// [module docs](self)). Cloning gives another handle on the same
/// connections.
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    connector: Connector,
    /// Oldest first: connections are given back at the end and taken
    /// from it, so the expired ones are a prefix.
    idle: Mutex<Vec<Idle>>,
    max_idle: usize,
    max_idle_time: Duration,
}

/// A connection back in the pool, and since when.
struct Idle {
    client: Client,
    since: Instant,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("connector", &self.shared.connector)
            .field("idle", &self.idle())
            .field("max_idle", &self.shared.max_idle)
            .field("max_idle_time", &self.shared.max_idle_time)
            .finish()
    }
}

impl Pool {
    /// Idle connections kept at most, by default.
    pub const DEFAULT_MAX_IDLE: usize = 16;

    /// How long a connection may stay idle in the pool, by default.
    pub const DEFAULT_MAX_IDLE_TIME: Duration = Duration::from_secs(30);

    /// A pool of connections that `connector` opens.
    pub fn new(connector: Connector) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                connector,
                idle: Mutex::new(Vec::new()),
                max_idle: Self::DEFAULT_MAX_IDLE,
                max_idle_time: Self::DEFAULT_MAX_IDLE_TIME,
            }),
        }
    }

    /// Keeps at most `n` idle connections (default 16); more are closed
    /// when given back. `0` keeps none: every `get` connects. (A setting
    /// of the pool being built: call it before cloning the handle.)
    pub fn max_idle(self, n: usize) -> Pool {
        self.configure(|s| s.max_idle = n)
    }

    /// Closes connections left idle for `t` or longer instead of handing
    /// them out (default 30 s). Keep it below the server's idle timeout.
    /// (A setting of the pool being built, as [`max_idle`](Pool::max_idle).)
    pub fn max_idle_time(self, t: Duration) -> Pool {
        self.configure(|s| s.max_idle_time = t)
    }

    /// Applies a setting to a pool not shared yet, else to a new pool with
    /// the same settings (its handles are then separate).
    fn configure(self, set: impl FnOnce(&mut Shared)) -> Pool {
        let mut shared = Arc::try_unwrap(self.shared).unwrap_or_else(|shared| Shared {
            connector: shared.connector.clone(),
            idle: Mutex::new(Vec::new()),
            max_idle: shared.max_idle,
            max_idle_time: shared.max_idle_time,
        });
        set(&mut shared);
        Pool {
            shared: Arc::new(shared),
        }
    }

    /// The connector new connections come from.
    pub fn connector(&self) -> &Connector {
        &self.shared.connector
    }

    /// A connection for the caller alone: the most recently given back
    /// idle one that is still open, else a new one. Idle connections past
    /// [`max_idle_time`](Pool::max_idle_time) are closed on the way.
    ///
    /// Errors: as [`Connector::connect`] when a new connection fails.
    pub fn get(&self) -> Result<Pooled> {
        let shared = &self.shared;
        loop {
            let (expired, top) = {
                let mut idle = shared.lock();
                let fresh = idle.partition_point(|i| i.since.elapsed() >= shared.max_idle_time);
                let expired: Vec<Idle> = idle.drain(..fresh).collect();
                (expired, idle.pop())
            };
            // Closed outside the lock.
            drop(expired);
            match top {
                Some(idle) if still_open(&idle.client) => return Ok(self.guard(idle.client)),
                Some(_) => continue,
                None => return Ok(self.guard(shared.connector.connect()?)),
            }
        }
    }

    /// Idle connections now (some may have been closed by the server
    /// meanwhile: [`get`](Pool::get) checks).
    pub fn idle(&self) -> usize {
        self.shared.lock().len()
    }

    /// Closes every idle connection. Connections in use are given back as
    /// usual when their guards are dropped.
    pub fn clear(&self) {
        // Closed outside the lock.
        let idle = std::mem::take(&mut *self.shared.lock());
        drop(idle);
    }

    fn guard(&self, client: Client) -> Pooled {
        Pooled {
            pool: self.shared.clone(),
            client: Some(client),
        }
    }
}

impl Shared {
    fn give_back(&self, client: Client) {
        if !client.is_usable() || client.has_unread() || self.max_idle == 0 {
            return;
        }
        let mut idle = self.lock();
        if idle.len() < self.max_idle {
            idle.push(Idle {
                client,
                since: Instant::now(),
            });
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Idle>> {
        // A panic elsewhere while the list was held leaves it consistent
        // (every operation on it is one push, pop, drain or take).
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether an idle connection is still open and quiet: nothing unread in
/// its buffer, and a read that does not wait finds nothing (the end of the
/// stream, an error or bytes no call asked for mean it is not).
fn still_open(client: &Client) -> bool {
    if client.has_unread() {
        return false;
    }
    let stream = client.stream();
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    let quiet = matches!(
        stream.peek(&mut byte),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock
    );
    stream.set_nonblocking(false).is_ok() && quiet
}

/// A connection taken from a [`Pool`]: derefs to the [`Client`], is a
/// [`Channel`], and goes back to the pool when dropped (if still usable).
pub struct Pooled {
    pool: Arc<Shared>,
    client: Option<Client>,
}

impl fmt::Debug for Pooled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pooled").field(&self.client).finish()
    }
}

impl Pooled {
    /// Takes the connection out of the pool's care: it is not given back.
    pub fn detach(mut self) -> Client {
        self.client
            .take()
            .expect("a guard holds its client until dropped")
    }
}

impl Deref for Pooled {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client
            .as_ref()
            .expect("a guard holds its client until dropped")
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .expect("a guard holds its client until dropped")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // A guard dropped while its thread unwinds may have been in the
            // middle of a call.
            if !std::thread::panicking() {
                self.pool.give_back(client);
            }
        }
    }
}

impl Channel for Pooled {
    #[inline]
    fn call<A: Encode, R: Decode>(&mut self, method: &str, args: &A) -> Result<R> {
        (**self).call(method, args)
    }

    #[inline]
    fn call_oneway<A: Encode>(&mut self, method: &str, args: &A) -> Result<()> {
        (**self).call_oneway(method, args)
    }
}
