//! [`Pool`]: connections kept open between calls and shared by threads.
//!
//! A [`Client`] is one connection making one call at a time. A `Pool` hands
//! each caller a connection of its own ([`Pool::get`]): an idle one when it
//! has one, else a new one from its [`Connector`]. The [`Pooled`] guard
//! derefs to the `Client` and is a [`Channel`] itself, so a generated client
//! wraps it (`CalcClient::new(pool.get()?)`); dropped, it goes back to the
//! pool if it is still usable and the pool keeps fewer than
//! [`max_idle`](Pool::max_idle) idle connections, else it is closed. With
//! [`max_size`](Pool::max_size), at most that many connections are open at
//! once, idle or in use, and a `get` that would open one more waits for one
//! to be given back (at most [`wait`](Pool::wait), default 30 s); without
//! it (the default), a `get` with none idle connects, however many are in
//! use. Waiting callers are served in the order they started waiting: a
//! connection given back, or the place of one closed or detached, goes to
//! the caller that has waited longest, and a `get` that finds others
//! waiting waits behind them rather than taking what was freed for them
//! ([`waiting`](Pool::waiting) counts them). A caller whose `wait` runs
//! out leaves the queue. A `Pool` is a handle (`Clone`, `Send`, `Sync`):
//! clones share the connections, and a guard owns its share, so both can
//! move into spawned threads.
//!
//! A pool over a Unix domain socket is a `Pool<UnixStream>`, from
//! [`Connector::unix`](Connector::unix) (Unix platforms); it behaves as
//! the TCP one.
//!
//! A connection idle in the pool may have been closed by the server
//! meanwhile (a server's idle timeout, a restart): a call on it would find
//! out only after sending its request. So `get` checks an idle connection
//! before handing it out, without waiting (a read that finds the end of
//! the stream, or bytes no call asked for, discards it), and closes those
//! idle for [`max_idle_time`](Pool::max_idle_time) or longer (default 30
//! s, below the server's default idle timeout of 60 s). A caller handed
//! such a connection keeps its place: it takes the next idle one, or
//! opens a new one instead. A server can
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

#[cfg(test)]
mod tests;
mod waiters;

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use std::net::TcpStream;

use super::{Channel, Client, Connector};
use crate::codec::{Decode, Encode};
use crate::error::{Error, Result, TransportError, TransportErrorKind};
use crate::transport::socket::SocketStream;
use waiters::{Ticket, Waiters};

/// Idle connections to one server, shared by threads (see the
/// [module docs](self)). Cloning gives another handle on the same
/// connections. `S` is the kind of socket, as for [`Connector`].
pub struct Pool<S: SocketStream = TcpStream> {
    shared: Arc<Shared<S>>,
}

impl<S: SocketStream> Clone for Pool<S> {
    fn clone(&self) -> Self {
        Pool {
            shared: self.shared.clone(),
        }
    }
}

struct Shared<S: SocketStream> {
    connector: Connector<S>,
    state: Mutex<State<S>>,
    max_idle: usize,
    max_idle_time: Duration,
    max_size: Option<usize>,
    wait: Duration,
}

struct State<S: SocketStream> {
    /// Oldest first: connections are given back at the end and taken
    /// from it, so the expired ones are a prefix.
    idle: Vec<Idle<S>>,
    /// Connections handed out (or being opened) and not yet given back.
    in_use: usize,
    /// Connections taken out of `idle` or `in_use` to be closed, until
    /// they are: they still count against `max_size`.
    closing: usize,
    /// Callers waiting for room under `max_size`, oldest first (always
    /// empty without it).
    waiters: Waiters,
}

impl<S: SocketStream> Default for State<S> {
    fn default() -> Self {
        State {
            idle: Vec::new(),
            in_use: 0,
            closing: 0,
            waiters: Waiters::default(),
        }
    }
}

/// A connection back in the pool, and since when.
struct Idle<S: SocketStream> {
    client: Client<S>,
    since: Instant,
}

impl<S: SocketStream> fmt::Debug for Pool<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("connector", &self.shared.connector)
            .field("idle", &self.idle())
            .field("max_idle", &self.shared.max_idle)
            .field("max_idle_time", &self.shared.max_idle_time)
            .field("max_size", &self.shared.max_size)
            .field("wait", &self.shared.wait)
            .field("in_use", &self.in_use())
            .field("waiting", &self.waiting())
            .finish()
    }
}

impl Pool {
    /// Idle connections kept at most, by default.
    pub const DEFAULT_MAX_IDLE: usize = 16;

    /// How long a connection may stay idle in the pool, by default.
    pub const DEFAULT_MAX_IDLE_TIME: Duration = Duration::from_secs(30);

    /// How long [`get`](Pool::get) waits for room under
    /// [`max_size`](Pool::max_size), by default.
    pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);
}

impl<S: SocketStream> Pool<S> {
    /// A pool of connections that `connector` opens.
    pub fn new(connector: Connector<S>) -> Pool<S> {
        Pool {
            shared: Arc::new(Shared {
                connector,
                state: Mutex::new(State::default()),
                max_idle: Pool::DEFAULT_MAX_IDLE,
                max_idle_time: Pool::DEFAULT_MAX_IDLE_TIME,
                max_size: None,
                wait: Pool::DEFAULT_WAIT,
            }),
        }
    }

    /// Keeps at most `n` idle connections (default 16); more are closed
    /// when given back. `0` keeps none: every `get` connects. (A setting
    /// of the pool being built: call it before cloning the handle.)
    pub fn max_idle(self, n: usize) -> Pool<S> {
        self.configure(|s| s.max_idle = n)
    }

    /// Closes connections left idle for `t` or longer instead of handing
    /// them out (default 30 s). Keep it below the server's idle timeout.
    /// (A setting of the pool being built, as [`max_idle`](Pool::max_idle).)
    pub fn max_idle_time(self, t: Duration) -> Pool<S> {
        self.configure(|s| s.max_idle_time = t)
    }

    /// Opens at most `n` connections at once, idle or in use (default: no
    /// bound): a [`get`](Pool::get) that would open one more waits until
    /// one is given back or closed, at most [`wait`](Pool::wait). At least
    /// 1. (A setting of the pool being built, as [`max_idle`](Pool::max_idle).)
    pub fn max_size(self, n: usize) -> Pool<S> {
        self.configure(|s| s.max_size = Some(n.max(1)))
    }

    /// How long [`get`](Pool::get) waits for room under
    /// [`max_size`](Pool::max_size) (default 30 s); callers that wait are
    /// served in the order they started waiting. (A setting of the pool
    /// being built, as [`max_idle`](Pool::max_idle).)
    pub fn wait(self, t: Duration) -> Pool<S> {
        self.configure(|s| s.wait = t)
    }

    /// Applies a setting to a pool not shared yet, else to a new pool with
    /// the same settings (its handles are then separate).
    fn configure(self, set: impl FnOnce(&mut Shared<S>)) -> Pool<S> {
        let mut shared = Arc::try_unwrap(self.shared).unwrap_or_else(|shared| Shared {
            connector: shared.connector.clone(),
            state: Mutex::new(State::default()),
            max_idle: shared.max_idle,
            max_idle_time: shared.max_idle_time,
            max_size: shared.max_size,
            wait: shared.wait,
        });
        set(&mut shared);
        Pool {
            shared: Arc::new(shared),
        }
    }

    /// The connector new connections come from.
    pub fn connector(&self) -> &Connector<S> {
        &self.shared.connector
    }

    /// A connection for the caller alone: the most recently given back
    /// idle one that is still open, else a new one (with
    /// [`max_size`](Pool::max_size), once there is room, after the callers
    /// already waiting for it). Idle connections past
    /// [`max_idle_time`](Pool::max_idle_time) are closed on the way.
    ///
    /// Errors: as [`Connector::connect`] when a new connection fails;
    /// `TimedOut` when [`max_size`](Pool::max_size) connections stayed in
    /// use for the whole [`wait`](Pool::wait) (or went to callers that
    /// were waiting before this one).
    pub fn get(&self) -> Result<Pooled<S>> {
        let shared = &self.shared;
        // A place counted in use from here on: an idle connection to check,
        // or room for a new one.
        let mut taken = shared.take_place()?;
        loop {
            match taken {
                Some(idle) if still_open(&idle) => return Ok(self.guard(idle)),
                Some(dead) => {
                    // Closed outside the lock, its place kept for the next
                    // idle connection or a new one: the caller was served
                    // and does not queue again.
                    drop(dead);
                    taken = shared.take_next_idle();
                }
                None => {
                    return match shared.connector.connect() {
                        Ok(client) => Ok(self.guard(client)),
                        Err(e) => {
                            shared.release();
                            Err(e)
                        }
                    };
                }
            }
        }
    }

    /// Idle connections now (some may have been closed by the server
    /// meanwhile: [`get`](Pool::get) checks).
    pub fn idle(&self) -> usize {
        self.shared.lock().idle.len()
    }

    /// Connections handed out and not yet given back (or being opened or
    /// checked by a `get`).
    pub fn in_use(&self) -> usize {
        self.shared.lock().in_use
    }

    /// Callers now waiting in [`get`](Pool::get) for room under
    /// [`max_size`](Pool::max_size) (always 0 without it). They are served
    /// in the order they started waiting.
    pub fn waiting(&self) -> usize {
        self.shared.lock().waiters.len()
    }

    /// Closes every idle connection. Connections in use are given back as
    /// usual when their guards are dropped.
    pub fn clear(&self) {
        let idle = {
            let mut state = self.shared.lock();
            let idle = std::mem::take(&mut state.idle);
            // Still counted against `max_size` until closed.
            state.closing += idle.len();
            idle
        };
        self.shared.close(idle, false);
    }

    fn guard(&self, client: Client<S>) -> Pooled<S> {
        Pooled {
            pool: self.shared.clone(),
            client: Some(client),
        }
    }
}

impl<S: SocketStream> Shared<S> {
    /// May another connection be opened?
    fn has_room(&self, state: &State<S>) -> bool {
        self.max_size
            .is_none_or(|max| state.in_use + state.idle.len() + state.closing < max)
    }

    /// Can the first waiter be served now?
    fn can_serve(&self, state: &State<S>) -> bool {
        !state.idle.is_empty() || self.has_room(state)
    }

    /// Wakes the first waiter if it can be served now. Called, with the
    /// lock held, by everything that frees a connection or a place, and by
    /// a waiter leaving the queue, so that what was freed never waits
    /// unclaimed while a caller does.
    fn wake_first(&self, state: &State<S>) {
        if self.can_serve(state) {
            state.waiters.wake_first();
        }
    }

    /// A place for the caller, counted in use: an idle connection (not
    /// checked yet) or `None`, room to open one. Waits, behind the callers
    /// already waiting, while there is neither, at most `wait`.
    fn take_place(&self) -> Result<Option<Client<S>>> {
        let deadline = Instant::now().checked_add(self.wait);
        // Declared before the lock's guard: on an unwind, the lock is
        // released before the caller leaves the queue.
        let mut queued = Queued {
            shared: self,
            ticket: None,
        };
        let mut state = self.lock();
        loop {
            let first = match &queued.ticket {
                Some(t) => state.waiters.is_first(t),
                None => state.waiters.is_empty(),
            };
            let mut expired = Vec::new();
            if first {
                expired = self.take_expired(&mut state);
                let taken = match state.idle.pop() {
                    Some(idle) => Some(Some(idle.client)),
                    None => self.has_room(&state).then_some(None),
                };
                if let Some(taken) = taken {
                    // Counted in use before the lock is released: a new
                    // connection's place is taken while it is being opened.
                    state.in_use += 1;
                    queued.leave(&mut state);
                    drop(state);
                    self.close(expired, false);
                    return Ok(taken);
                }
            }
            // Nothing for this caller now: it waits, at the end of the
            // queue if it is not in it yet.
            let ticket = queued.ticket.get_or_insert_with(|| state.waiters.join());
            if !expired.is_empty() {
                // Their places come free once they are closed (outside
                // the lock); the caller keeps its place meanwhile.
                drop(state);
                self.close(expired, false);
                state = self.lock();
                continue;
            }
            let left = deadline.map_or(Duration::MAX, |d| {
                d.saturating_duration_since(Instant::now())
            });
            if left.is_zero() {
                queued.leave(&mut state);
                return Err(Error::Transport(TransportError::new(
                    TransportErrorKind::TimedOut,
                    format!(
                        "no pooled connection was free within {:?} ({} in use, {} waiting)",
                        self.wait,
                        state.in_use,
                        state.waiters.len()
                    ),
                )));
            }
            state = ticket
                .wake()
                .wait_timeout(state, left)
                .map_or_else(|e| e.into_inner().0, |(s, _)| s);
        }
    }

    /// Takes a waiter out of the queue, served or given up, and wakes the
    /// next one if there is something for it too (two connections given
    /// back before the first waiter ran: both waiters are served).
    fn leave(&self, state: &mut State<S>, ticket: &Ticket) {
        state.waiters.leave(ticket);
        self.wake_first(state);
    }

    /// For a caller whose idle connection turned out closed (and has been
    /// closed, its place still counted in use): the next idle connection
    /// in that place, or `None`, open a new one in it.
    fn take_next_idle(&self) -> Option<Client<S>> {
        let mut state = self.lock();
        let expired = self.take_expired(&mut state);
        let next = state.idle.pop();
        if next.is_some() {
            // It moves from idle into the dead one's place: one place freed.
            self.wake_first(&state);
        }
        drop(state);
        self.close(expired, false);
        next.map(|idle| idle.client)
    }

    /// Takes the idle connections past `max_idle_time` (oldest first, so a
    /// prefix) to be closed.
    fn take_expired(&self, state: &mut State<S>) -> Vec<Idle<S>> {
        let fresh = state
            .idle
            .partition_point(|i| i.since.elapsed() >= self.max_idle_time);
        state.closing += fresh;
        state.idle.drain(..fresh).collect()
    }

    /// Closes connections taken by [`take_expired`](Shared::take_expired)
    /// (or one counted in use: `in_use`), outside the lock, then gives
    /// their places back: under `max_size` no connection is opened while
    /// another is still being closed.
    fn close<T>(&self, closing: Vec<T>, in_use: bool) {
        if closing.is_empty() {
            return;
        }
        let n = closing.len();
        drop(closing);
        let mut state = self.lock();
        if in_use {
            state.in_use = state.in_use.saturating_sub(n);
        } else {
            state.closing = state.closing.saturating_sub(n);
        }
        self.wake_first(&state);
    }

    /// A connection in use is given back: kept idle if it is usable and
    /// there is room (the expired idle ones go first), else closed (`None`:
    /// already closed, or taken away).
    fn give_back(&self, client: Option<Client<S>>) {
        let keep = client.filter(|c| c.is_usable() && !c.has_unread());
        let mut state = self.lock();
        let (expired, surplus) = self.keep(&mut state, keep);
        drop(state);
        self.close(expired, false);
        match surplus {
            Some(Some(client)) => self.close(vec![client], true),
            Some(None) => self.release(),
            None => {}
        }
    }

    /// The part of [`give_back`](Shared::give_back) done under the lock:
    /// the connection kept idle (and the first waiter woken for it), or
    /// returned as surplus (`Some`) to be closed; and the expired idle
    /// connections taken to be closed.
    fn keep(
        &self,
        state: &mut State<S>,
        keep: Option<Client<S>>,
    ) -> (Vec<Idle<S>>, Option<Option<Client<S>>>) {
        let expired = self.take_expired(state);
        match keep {
            Some(client) if state.idle.len() < self.max_idle => {
                state.idle.push(Idle {
                    client,
                    since: Instant::now(),
                });
                // From in use to idle: as many open as before.
                state.in_use = state.in_use.saturating_sub(1);
                self.wake_first(state);
                (expired, None)
            }
            surplus => (expired, Some(surplus)),
        }
    }

    /// A place counted in use whose connection is gone (closed already,
    /// never opened, or detached) is given back.
    fn release(&self) {
        let mut state = self.lock();
        state.in_use = state.in_use.saturating_sub(1);
        self.wake_first(&state);
    }

    fn lock(&self) -> MutexGuard<'_, State<S>> {
        // A panic elsewhere while the state was held leaves it consistent
        // (every change to it is one push, pop, drain, take or count).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A caller's place in the queue while it waits in
/// [`take_place`](Shared::take_place): left when it is served or gives
/// up, and by the guard's drop if the caller unwinds meanwhile (a waiter
/// stranded at the front would hold up every caller behind it).
struct Queued<'a, S: SocketStream> {
    shared: &'a Shared<S>,
    ticket: Option<Ticket>,
}

impl<S: SocketStream> Queued<'_, S> {
    /// Leaves the queue, if in it, under the lock the caller holds.
    fn leave(&mut self, state: &mut State<S>) {
        if let Some(ticket) = self.ticket.take() {
            self.shared.leave(state, &ticket);
        }
    }
}

impl<S: SocketStream> Drop for Queued<'_, S> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            let mut state = self.shared.lock();
            self.shared.leave(&mut state, &ticket);
        }
    }
}

/// Whether an idle connection is still open and quiet: nothing unread in
/// its buffer, and a read that does not wait finds nothing (the end of the
/// stream, an error or bytes no call asked for mean it is not).
///
/// On Linux the check is one `recv` with `MSG_PEEK | MSG_DONTWAIT`, the
/// socket's own mode untouched; elsewhere the socket is switched to
/// non-blocking for it and back.
fn still_open<S: SocketStream>(client: &Client<S>) -> bool {
    !client.has_unread() && client.stream().is_quiet()
}

/// A connection taken from a [`Pool`]: derefs to the [`Client`], is a
/// [`Channel`], and goes back to the pool when dropped (if still usable).
pub struct Pooled<S: SocketStream = TcpStream> {
    pool: Arc<Shared<S>>,
    client: Option<Client<S>>,
}

impl<S: SocketStream> fmt::Debug for Pooled<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pooled").field(&self.client).finish()
    }
}

impl<S: SocketStream> Pooled<S> {
    /// Takes the connection out of the pool's care: it is not given back,
    /// and no longer counts against [`max_size`](Pool::max_size).
    pub fn detach(mut self) -> Client<S> {
        let client = self
            .client
            .take()
            .expect("a guard holds its client until dropped");
        self.pool.release();
        client
    }
}

impl<S: SocketStream> Deref for Pooled<S> {
    type Target = Client<S>;
    fn deref(&self) -> &Client<S> {
        self.client
            .as_ref()
            .expect("a guard holds its client until dropped")
    }
}

impl<S: SocketStream> DerefMut for Pooled<S> {
    fn deref_mut(&mut self) -> &mut Client<S> {
        self.client
            .as_mut()
            .expect("a guard holds its client until dropped")
    }
}

impl<S: SocketStream> Drop for Pooled<S> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // A guard dropped while its thread unwinds may have been in the
            // middle of a call: closed.
            let client = (!std::thread::panicking()).then_some(client);
            self.pool.give_back(client);
        }
    }
}

impl<S: SocketStream> Channel for Pooled<S> {
    #[inline]
    fn call<A: Encode, R: Decode>(&mut self, method: &str, args: &A) -> Result<R> {
        (**self).call(method, args)
    }

    #[inline]
    fn call_oneway<A: Encode>(&mut self, method: &str, args: &A) -> Result<()> {
        (**self).call_oneway(method, args)
    }
}
