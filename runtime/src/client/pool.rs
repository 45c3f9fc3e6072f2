//! [`Pool`]: connections kept open between calls and shared by threads.
//!
//! A [`Client`] is one connection making one call at a time. A `Pool` hands
//! each caller a connection of its own ([`Pool::get`]): an idle one when it
//! has one, else a new one from its [`Connector`]. The [`Pooled`] guard
//! derefs to the `Client` and is a [`Channel`] itself, so a generated client
//! wraps it (`CalcClient::new(pool.get()?)`); dropped, it goes back to the
//! pool if it is still usable and the pool keeps fewer than
//! [`max_idle`](Pool::max_idle) idle connections, else it is closed.
//!
//! A connection idle in the pool may have been closed by the server
//! meanwhile (a server's idle timeout, a restart): a call on it would find
//! out only after sending its request. So `get` checks an idle connection
//! before handing it out, without waiting (a read that finds the end of
//! the stream, or bytes no call asked for, discards it), and discards one
//! idle for longer than [`max_idle_time`](Pool::max_idle_time) (default 30
//! s, below the server's default idle timeout of 60 s) unseen. A server
//! can still close a connection between that check and the call's
//! request; a caller that retries must know its call is safe to repeat.
//!
//! ```no_run
//! use thriftc_runtime::client::{Channel, Connector, Pool};
//! # fn demo() -> thriftc_runtime::Result<()> {
//! # type Res = i32; // stands for a generated result struct
//! let pool = Pool::new(Connector::new("127.0.0.1:9090")?).max_idle(8);
//! std::thread::scope(|s| {
//!     for _ in 0..4 {
//!         s.spawn(|| -> thriftc_runtime::Result<Res> {
//!             // Generated clients wrap it: `CalcClient::new(pool.get()?)`.
//!             # let args = 0i32; // stands for a generated arguments struct
//!             pool.get()?.call("add", &args)
//!         });
//!     }
//! });
//! # Ok(()) }
//! ```

use std::io;
use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Channel, Client, Connector};
use crate::codec::{Decode, Encode};
use crate::error::Result;

/// Idle connections to one server, shared by threads (see the
/// [module docs](self)).
#[derive(Debug)]
pub struct Pool {
    connector: Connector,
    idle: Mutex<Vec<Idle>>,
    max_idle: usize,
    max_idle_time: Duration,
}

/// A connection back in the pool, and since when.
#[derive(Debug)]
struct Idle {
    client: Client,
    since: Instant,
}

impl Pool {
    /// Idle connections kept at most, by default.
    pub const DEFAULT_MAX_IDLE: usize = 16;

    /// How long a connection may stay idle in the pool, by default.
    pub const DEFAULT_MAX_IDLE_TIME: Duration = Duration::from_secs(30);

    /// A pool of connections that `connector` opens.
    pub fn new(connector: Connector) -> Pool {
        Pool {
            connector,
            idle: Mutex::new(Vec::new()),
            max_idle: Self::DEFAULT_MAX_IDLE,
            max_idle_time: Self::DEFAULT_MAX_IDLE_TIME,
        }
    }

    /// Keeps at most `n` idle connections (default 16); more are closed
    /// when given back. `0` keeps none: every `get` connects.
    pub fn max_idle(mut self, n: usize) -> Pool {
        self.max_idle = n;
        self
    }

    /// Closes connections left idle for `t` or longer instead of handing
    /// them out (default 30 s). Keep it below the server's idle timeout.
    pub fn max_idle_time(mut self, t: Duration) -> Pool {
        self.max_idle_time = t;
        self
    }

    /// The connector new connections come from.
    pub fn connector(&self) -> &Connector {
        &self.connector
    }

    /// A connection for the caller alone: the most recently given back
    /// idle one that is still open, else a new one.
    ///
    /// Errors: as [`Connector::connect`] when a new connection fails.
    pub fn get(&self) -> Result<Pooled<'_>> {
        while let Some(idle) = self.take_idle() {
            if idle.since.elapsed() < self.max_idle_time && still_open(&idle.client) {
                return Ok(self.guard(idle.client));
            }
        }
        Ok(self.guard(self.connector.connect()?))
    }

    /// Idle connections now (some may have been closed by the server
    /// meanwhile: [`get`](Pool::get) checks).
    pub fn idle(&self) -> usize {
        self.lock().len()
    }

    /// Closes every idle connection (e.g. after the server moved).
    pub fn clear(&self) {
        // Closed outside the lock.
        let idle = std::mem::take(&mut *self.lock());
        drop(idle);
    }

    fn guard(&self, client: Client) -> Pooled<'_> {
        Pooled {
            pool: self,
            client: Some(client),
        }
    }

    fn take_idle(&self) -> Option<Idle> {
        self.lock().pop()
    }

    fn give_back(&self, client: Client) {
        if !client.is_usable() {
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        // A panic elsewhere while the list was held leaves it consistent
        // (every operation on it is one push, pop or take).
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether an idle connection is still open and quiet: a read that does
/// not wait finds nothing to read (the end of the stream, an error or
/// bytes no call asked for mean it is not).
fn still_open(client: &Client) -> bool {
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
#[derive(Debug)]
pub struct Pooled<'a> {
    pool: &'a Pool,
    client: Option<Client>,
}

impl Pooled<'_> {
    /// Takes the connection out of the pool's care: it is not given back.
    pub fn detach(mut self) -> Client {
        self.client
            .take()
            .expect("a guard holds its client until dropped")
    }
}

impl Deref for Pooled<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client
            .as_ref()
            .expect("a guard holds its client until dropped")
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .expect("a guard holds its client until dropped")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            self.pool.give_back(client);
        }
    }
}

impl Channel for Pooled<'_> {
    #[inline]
    fn call<A: Encode, R: Decode>(&mut self, method: &str, args: &A) -> Result<R> {
        (**self).call(method, args)
    }

    #[inline]
    fn call_oneway<A: Encode>(&mut self, method: &str, args: &A) -> Result<()> {
        (**self).call_oneway(method, args)
    }
}
