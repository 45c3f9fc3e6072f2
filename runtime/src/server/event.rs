//! The event-driven mode ([`Mode::EventDriven`](super::Mode::EventDriven)):
//! a fixed set of threads shares every connection through one epoll
//! instance (Linux).
//!
//! A connection holds a thread only while it has a whole request to serve.
//! Between messages it is *parked*: its reader, writer and buffers wait in
//! a slot, and its socket is registered with `EPOLLONESHOT`, so exactly one
//! thread wakes when bytes arrive. That thread reads what has arrived
//! without waiting, serves every whole message, then parks the connection
//! again (with the start of the next message, if any) and re-arms it. Each
//! thread takes one event at a time, so a handler that blocks delays no
//! other connection while another thread is free. A turn ends after 16
//! messages: a connection with more buffered goes to a ready queue that is
//! served after the events that are ready, so a client that keeps its
//! pipeline full shares the threads.
//!
//! Replies are sent without waiting ([`Served::Writing`]): what the socket
//! does not take at once waits in the connection's writer, and the
//! connection is parked waiting for room (`EPOLLOUT` only: a peer that has
//! shut down its side while it reads must not wake a thread again and
//! again). The thread that takes the event sends the rest, then serves the
//! connection's next messages. So a peer that reads slowly, or not at all,
//! holds no thread; the sweep closes it once its reply has waited for the
//! write timeout. A reply that ends a connection (an error reply before a
//! close) waits the same way, and the connection closes once it is sent
//! ([`Served::Closing`]). A reply still waiting when the server stops is
//! sent with a blocking write under the write timeout. A connection closed
//! over unread input ends its side first and is parked discarding input
//! until the peer closes or 1 s passes ([`Poller::close`]): closing at once
//! would reset it and drop the end of the last reply.
//!
//! Idle connections are closed by a sweep that runs at most every quarter
//! of the shortest of the idle, message and write timeouts (bounded to
//! 10 ms..1 s; without timeouts, every 250 ms while connections linger
//! after a close). On stop, an `eventfd`
//! wakes every thread; parked connections that have received nothing are
//! closed at once, requests that arrived while every thread was busy are
//! still answered, and connections being served finish their call first.
//! A connection the accept loop took just as the stop began is kept too:
//! the threads drain only once the accept loop has ended, so its request,
//! if it has arrived, is answered.
//! During a stop a connection is answered at most 16 more messages, then
//! closed: a peer that keeps sending holds neither a thread nor the stop.
//!
//! A request is decoded only once all of it has arrived (see
//! [`complete`](super::complete)): until then its connection is parked
//! with the part it has, so a peer that sends part of a message, of any
//! size, holds no thread, and it is closed once the message timeout has
//! passed since the message began. The connection's buffer grows with what
//! arrives (doubling, so a peer that stops has made it at most twice what
//! it sent), up to the frame's length or, unframed, the message size limit;
//! the completeness check goes on from where it stopped, so its cost is
//! linear in the bytes received however they are split. A frame over
//! 64 KiB is charged to the in-flight byte budget (when one is set) once
//! its header has arrived, before its body is read: when the budget has no
//! room, the connection waits for it unwatched ([`Served::Budget`]), in a
//! first-come first-served list (a new frame queues behind it) that every
//! turn and close looks at, and every 10 ms while it is not empty (a budget
//! may be shared with other servers): a thread about to serve a connection
//! then wakes another, so that an idle thread keeps looking. It waits at most the message timeout,
//! and once charged has the message timeout again, as after a blocking wait
//! for the budget.

use std::collections::VecDeque;
use std::os::fd::{AsFd, OwnedFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustix::buffer::spare_capacity;
use rustix::event::{EventfdFlags, PollFd, PollFlags, Timespec, epoll, eventfd, poll};

use super::connection::{Io, Served};
use super::{Conn, ServerProcessor, Shared};
use crate::processor::panic_message;
use crate::transport::socket::sealed::Ops as _;

/// A zero timeout: `epoll_wait` returns at once.
const NO_WAIT: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

/// How long a thread waits for events while connections wait for the
/// in-flight budget, before it looks at the budget again.
const BUDGET_POLL: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 10_000_000,
};

/// How long a thread waits for events while connections linger
/// ([`Poller::close`]) and no timeout makes the sweep run anyway.
const LINGER_POLL: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 250_000_000,
};

/// The event key of the wake-up `eventfd`.
const WAKE: u64 = u64::MAX;

/// The event key of the hand-over `eventfd` ([`Poller::hand_over`]).
const NUDGE: u64 = u64::MAX - 1;

/// Events taken per `epoll_wait`: one. A thread serves the events it took
/// one after the other, so a second event would wait behind a handler that
/// blocks while other threads may be free; left in epoll, it goes to the
/// next thread that asks.
const EVENTS: usize = 1;

/// The most connections the mode serves at once, whatever `max_connections`
/// says: slots are allocated up front (about 24 bytes each).
pub(super) const MAX_SLOTS: usize = 1 << 20;

/// The readiness a parked connection waits for: input, or (`writing`) room
/// for the rest of a reply. Only that: a peer that has shut down its side
/// while it still reads its reply must not wake a thread again and again.
fn interest(writing: bool) -> epoll::EventFlags {
    if writing {
        epoll::EventFlags::OUT | epoll::EventFlags::ONESHOT
    } else {
        epoll::EventFlags::IN | epoll::EventFlags::RDHUP | epoll::EventFlags::ONESHOT
    }
}

/// The epoll instance and the parked connections.
pub(super) struct Poller {
    epoll: OwnedFd,
    wake: OwnedFd,
    /// Edge-triggered: each write wakes one thread ([`Poller::hand_over`]).
    nudge: OwnedFd,
    slots: Box<[Mutex<Slot>]>,
    /// Indexes of unused slots (the lowest is handed out first).
    free: Mutex<Vec<u32>>,
    /// One past the highest slot ever handed out: passes over the slots
    /// stop there.
    used: AtomicUsize,
    /// Event keys of connections that yielded their turn with messages
    /// buffered: epoll will not report those bytes, so they are served from
    /// here, after the events that are ready.
    ready: Mutex<VecDeque<u64>>,
    /// Event keys of connections waiting for room in the in-flight budget
    /// ([`Served::Budget`]), first come first served; stale keys are
    /// dropped when met.
    budget: Mutex<VecDeque<u64>>,
    /// Connections in `budget` (a quick check after every turn).
    budget_waiting: AtomicUsize,
    /// Connections closing over unread input ([`Poller::close`]): the
    /// sweep closes them after [`LINGER`], timeouts or not.
    lingering: AtomicUsize,
    /// When the next idle sweep is due.
    next_sweep: Mutex<Instant>,
    /// How long a thread waits for events before it looks at the clock.
    tick: Option<Duration>,
}

#[derive(Default)]
struct Slot {
    /// Bumped whenever the slot is released, so a stale event key (which
    /// carries the generation) cannot reach a later connection.
    generation: u32,
    parked: Option<Box<Parked>>,
}

struct Parked {
    /// Dropped before `conn` (fields drop in order): a call whose reply
    /// never went out is reported before its connection's close.
    io: Io,
    conn: Conn,
    /// When it was parked last.
    since: Instant,
    /// When the first bytes of a message that has not fully arrived were
    /// parked (`None` between messages).
    started: Option<Instant>,
    /// Whether its buffers were given back since it was parked.
    shrunk: bool,
    /// Waiting in the ready queue (whole messages buffered), not in epoll.
    queued: bool,
    /// Since when a reply has waited for the peer to take the rest of it
    /// (the connection waits for room, not input; see [`Served::Writing`]).
    writing: Option<Instant>,
    /// The waiting reply is the connection's last: close once it is sent
    /// ([`Served::Closing`]).
    closing: bool,
    /// Waiting for room in the in-flight budget for its next frame
    /// ([`Served::Budget`]): not watched by epoll, listed in
    /// [`Poller::budget`].
    budget: bool,
    /// Closing over unread input ([`Poller::close`]): the server's side is
    /// ended, and input is read and discarded until the peer closes or
    /// this deadline passes.
    linger: Option<Instant>,
}

impl Poller {
    /// An epoll instance with room for `capacity` connections.
    pub(super) fn new(
        capacity: usize,
        idle_timeout: Option<Duration>,
        message_timeout: Option<Duration>,
        write_timeout: Option<Duration>,
    ) -> std::io::Result<Poller> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        let wake = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        // Level-triggered: once written, it wakes every waiting thread.
        epoll::add(
            &epoll,
            &wake,
            epoll::EventData::new_u64(WAKE),
            epoll::EventFlags::IN,
        )?;
        let nudge = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        epoll::add(
            &epoll,
            &nudge,
            epoll::EventData::new_u64(NUDGE),
            epoll::EventFlags::IN | epoll::EventFlags::ET,
        )?;
        let capacity = u32::try_from(capacity.min(MAX_SLOTS)).unwrap_or(u32::MAX);
        // Zero means no timeout, as for the other modes.
        let tick = [idle_timeout, message_timeout, write_timeout]
            .into_iter()
            .flatten()
            .filter(|t| !t.is_zero())
            .min()
            .map(|t| (t / 4).clamp(Duration::from_millis(10), Duration::from_secs(1)));
        Ok(Poller {
            epoll,
            wake,
            nudge,
            slots: (0..capacity).map(|_| Mutex::default()).collect(),
            free: Mutex::new((0..capacity).rev().collect()),
            used: AtomicUsize::new(0),
            ready: Mutex::new(VecDeque::new()),
            budget: Mutex::new(VecDeque::new()),
            budget_waiting: AtomicUsize::new(0),
            lingering: AtomicUsize::new(0),
            next_sweep: Mutex::new(Instant::now()),
            tick,
        })
    }

    /// The slots handed out so far.
    fn in_use(&self) -> &[Mutex<Slot>] {
        &self.slots[..self.used.load(Ordering::SeqCst)]
    }

    /// Wakes every thread (for stop).
    pub(super) fn wake(&self) {
        let _ = rustix::io::write(&self.wake, &1u64.to_ne_bytes());
    }

    /// Before this thread serves a connection (which may hold it for long):
    /// while connections wait for the budget, wakes one other thread, so
    /// that an idle one looks at the budget every few milliseconds. A
    /// thread asleep since before anyone waited would otherwise sleep on
    /// (without timeouts, with no deadline) while a charge returned outside
    /// this server goes unseen.
    fn hand_over(&self) {
        if self.budget_has_waiters() {
            let _ = rustix::io::write(&self.nudge, &1u64.to_ne_bytes());
        }
    }

    /// Resets the hand-over `eventfd` (the thread it woke loops, and waits
    /// with the short timeout while connections wait).
    fn take_nudge(&self) {
        let mut count = [0u8; 8];
        let _ = rustix::io::read(&self.nudge, &mut count);
    }

    /// Parks a new connection and starts watching it.
    pub(super) fn register(&self, shared: &Shared, conn: Conn, io: Io) {
        let Some(index) = lock(&self.free).pop() else {
            // The accept loop keeps the connection count below the capacity.
            log::warn!("{}: no free connection slot; closing", conn.peer);
            return;
        };
        self.used.fetch_max(index as usize + 1, Ordering::SeqCst);
        let parked = Box::new(Parked {
            conn,
            io,
            since: Instant::now(),
            started: None,
            shrunk: true,
            queued: false,
            writing: None,
            closing: false,
            budget: false,
            linger: None,
        });
        let mut slot = lock(&self.slots[index as usize]);
        self.park(shared, index, &mut slot, parked, true);
    }

    /// Stores `parked` in its slot and arms its socket; closes it instead
    /// when the server is stopping or the socket cannot be watched. During
    /// a stop, a connection an event thread parks (`new` false) that has a
    /// reply waiting or input is left in its slot unarmed: that thread
    /// drains the slots next (a stop that began after the thread last
    /// looked must not drop them). So is a connection the accept loop
    /// registers (`new`) during a stop, which it accepted as the stop
    /// began: the threads drain the slots only once the accept loop has
    /// ended ([`worker`]), and the drain (or `stop`'s
    /// [`close_idle`](Self::close_idle)) answers its request if one has
    /// arrived, or closes it.
    fn park(&self, shared: &Shared, index: u32, slot: &mut Slot, parked: Box<Parked>, new: bool) {
        if shared.is_stopping() {
            if new || parked.writing.is_some() || has_input(&parked.conn) {
                slot.parked = Some(parked);
                return;
            }
            return self.release(index, slot, parked);
        }
        let key = epoll::EventData::new_u64(event_key(slot.generation, index));
        let wanted = interest(parked.writing.is_some());
        // Armed after the slot is filled: the event may fire at once, on
        // another thread (which waits for the slot's lock, held here).
        let fd = slot.parked.insert(parked).conn.stream.as_fd();
        let armed = if new {
            epoll::add(&self.epoll, fd, key, wanted)
        } else {
            epoll::modify(&self.epoll, fd, key, wanted)
        };
        if let Err(e) = armed {
            if let Some(parked) = slot.parked.take() {
                log::warn!(
                    "{}: cannot watch the socket: {e}; closing",
                    parked.conn.peer
                );
                self.release(index, slot, parked);
            }
        }
    }

    /// Frees the slot, then closes the connection (in this order, so that the
    /// accept loop, woken by the close, finds a free slot).
    fn release(&self, index: u32, slot: &mut Slot, parked: Box<Parked>) {
        let _ = epoll::delete(&self.epoll, parked.conn.stream.as_fd());
        if parked.linger.is_some() {
            self.lingering.fetch_sub(1, Ordering::SeqCst);
        }
        slot.generation = slot.generation.wrapping_add(1);
        lock(&self.free).push(index);
        log::debug!("{}: closed", parked.conn.peer);
        // Its reader may return a charge to the budget.
        drop(parked);
    }

    /// Closes a connection the server is done with so that the replies
    /// written to it still reach the peer, as the blocking modes do (see
    /// `connection::close_gently`): closing a socket that has unread input
    /// makes the kernel reset the connection and drop what it has not yet
    /// delivered, the end of the last reply included. When input is left,
    /// the server's side is ended (FIN after the last reply) and the
    /// connection is parked, holding no thread, discarding what arrives
    /// until the peer closes its side or [`LINGER`] passes (the sweep closes
    /// it then).
    fn close(&self, shared: &Shared, index: u32, slot: &mut Slot, mut parked: Box<Parked>) {
        if parked.linger.is_some() || discard(&parked.conn.stream) != Discarded::Some {
            return self.release(index, slot, parked);
        }
        // Lingering needs no buffer: they are given back, and a frame's
        // charge to the in-flight budget with them, before the peer sees
        // the end of the stream.
        parked.io = Io::Detect(None);
        if parked
            .conn
            .stream
            .shutdown(std::net::Shutdown::Write)
            .is_err()
        {
            return self.release(index, slot, parked);
        }
        let now = Instant::now();
        parked.since = now;
        parked.started = None;
        parked.writing = None;
        parked.closing = false;
        parked.queued = false;
        parked.budget = false;
        parked.linger = Some(now + LINGER);
        self.lingering.fetch_add(1, Ordering::SeqCst);
        self.park(shared, index, slot, parked, false);
    }

    /// Whether connections wait for room in the in-flight budget: a new
    /// frame that must be charged waits behind them.
    pub(super) fn budget_has_waiters(&self) -> bool {
        self.budget_waiting.load(Ordering::SeqCst) > 0
    }

    /// Gives the connections waiting for the in-flight budget
    /// ([`Served::Budget`]) their charge while it has room, in the order
    /// they came, and queues each to be served; stops at the first that
    /// does not fit. Called after every turn and close (which may have
    /// returned a charge), after every wait for events (which lasts at
    /// most 10 ms while connections wait, for charges returned outside this
    /// server), and by the sweep. A connection lists itself before it calls
    /// this too, so no charge this server returns goes unseen.
    fn admit(&self, shared: &Shared) {
        if self.budget_waiting.load(Ordering::SeqCst) == 0 {
            return;
        }
        let mut waiting = lock(&self.budget);
        while let Some(&key) = waiting.front() {
            let (index, generation) = split_key(key);
            let Some(cell) = self.slots.get(index as usize) else {
                waiting.pop_front();
                self.budget_waiting.fetch_sub(1, Ordering::SeqCst);
                continue;
            };
            let mut slot = lock(cell);
            let current = slot.generation == generation;
            // Else closed or served meanwhile.
            if let Some(p) = slot.parked.as_mut().filter(|p| current && p.budget) {
                if !p.io.charge_next_now(shared.config.limits) {
                    break;
                }
                // Its message's deadline starts again, as after a blocking
                // wait for the budget.
                p.budget = false;
                p.started = Some(Instant::now());
                p.queued = true;
                lock(&self.ready).push_back(key);
            }
            waiting.pop_front();
            self.budget_waiting.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Serves the connection behind an event key until it is idle or done.
    fn serve<P: ServerProcessor + ?Sized>(&self, key: u64, shared: &Shared, processor: &P) {
        let (index, generation) = split_key(key);
        let Some(cell) = self.slots.get(index as usize) else {
            return;
        };
        let parked = {
            let mut slot = lock(cell);
            if slot.generation != generation {
                return;
            }
            // Empty when the idle sweep or a stop closed it meanwhile.
            match slot.parked.take() {
                Some(mut p) => {
                    p.queued = false;
                    p
                }
                None => return,
            }
        };
        self.serve_parked(index, parked, shared, processor);
    }

    /// Serves a connection taken out of slot `index`, then parks or closes
    /// it. A panic outside the handler (which the processor catches) closes
    /// the connection and keeps the thread.
    fn serve_parked<P: ServerProcessor + ?Sized>(
        &self,
        index: u32,
        mut parked: Box<Parked>,
        shared: &Shared,
        processor: &P,
    ) {
        if let Some(deadline) = parked.linger {
            // Closing: discard what arrived; close once the peer has closed
            // its side (or the deadline or a stop has come).
            let more = discard(&parked.conn.stream) != Discarded::End;
            let mut slot = lock(&self.slots[index as usize]);
            if more && !shared.is_stopping() && Instant::now() < deadline {
                self.park(shared, index, &mut slot, parked, false);
            } else {
                self.release(index, &mut slot, parked);
            }
            drop(slot);
            self.admit(shared);
            return;
        }
        let served = loop {
            let served = catch_unwind(AssertUnwindSafe(|| {
                // The rest of a reply goes first; during a stop it is sent
                // waiting (under the write timeout), as nothing parks then.
                if parked.writing.is_some() {
                    match parked.io.send_waiting(shared.is_stopping()) {
                        Ok(true) if parked.closing => return Served::Closed,
                        Ok(true) => parked.writing = None,
                        Ok(false) => return Served::Writing,
                        Err(e) => {
                            log::debug!("{}: closing while writing a reply: {e}", parked.conn.peer);
                            return Served::Closed;
                        }
                    }
                }
                let served = parked
                    .io
                    .serve(shared, processor, &parked.conn, true, parked.started);
                if matches!(served, Served::Writing | Served::Closing) {
                    // A new reply waits: its write timeout starts now. The
                    // message that was partial when parked has been served.
                    parked.writing = Some(Instant::now());
                    parked.started = None;
                    parked.closing = served == Served::Closing;
                    return Served::Writing;
                }
                served
            }));
            // A stop that began while the connection was served: a reply
            // still waiting is sent, and a request that came in meanwhile
            // is answered, before it closes.
            let stopping = shared.is_stopping();
            if stopping && matches!(served, Ok(Served::Writing)) {
                continue;
            }
            let parking = matches!(served, Ok(Served::Idle | Served::Partial { .. }));
            if !(parking && stopping && has_input(&parked.conn)) {
                break served;
            }
        };
        let mut slot = lock(&self.slots[index as usize]);
        // Listed after the slot's lock is released (`admit` takes the list's
        // lock, then slots').
        let mut waits = None;
        match served {
            Ok(Served::Idle) => {
                parked.since = Instant::now();
                parked.started = None;
                parked.shrunk = false;
                self.park(shared, index, &mut slot, parked, false);
            }
            Ok(Served::Yield) => {
                parked.since = Instant::now();
                // The message that was partial when parked has been served;
                // a partial one after the buffered ones counts from later.
                parked.started = None;
                parked.queued = true;
                slot.parked = Some(parked);
                let key = event_key(slot.generation, index);
                lock(&self.ready).push_back(key);
            }
            Ok(Served::Partial { fresh }) => {
                let now = Instant::now();
                parked.since = now;
                let started = if fresh {
                    *parked.started.insert(now)
                } else {
                    *parked.started.get_or_insert(now)
                };
                // A peer that keeps sending a little never leaves the
                // sweep an idle moment to close it: checked here too.
                let message = shared.config.message_timeout.filter(|d| !d.is_zero());
                if message.is_some_and(|m| now.saturating_duration_since(started) >= m) {
                    log::debug!(
                        "{}: message not received within {:?}; closing",
                        parked.conn.peer,
                        message.unwrap_or_default()
                    );
                    self.release(index, &mut slot, parked);
                } else {
                    self.park(shared, index, &mut slot, parked, false);
                }
            }
            Ok(Served::Writing | Served::Closing) => {
                parked.since = Instant::now();
                self.park(shared, index, &mut slot, parked, false);
            }
            Ok(Served::Budget) if !shared.is_stopping() => {
                let now = Instant::now();
                parked.since = now;
                // The wait has a message timeout of its own, as a blocking
                // wait for the budget has.
                parked.started = Some(now);
                parked.budget = true;
                slot.parked = Some(parked);
                waits = Some(event_key(slot.generation, index));
            }
            // During a stop, a message that has not wholly arrived is not
            // read on.
            Ok(Served::Budget | Served::Closed) => self.close(shared, index, &mut slot, parked),
            Err(panic) => {
                log::error!(
                    "{}: serving the connection panicked: {}",
                    parked.conn.peer,
                    panic_message(panic.as_ref())
                );
                self.close(shared, index, &mut slot, parked);
            }
        }
        drop(slot);
        if let Some(key) = waits {
            let mut waiting = lock(&self.budget);
            waiting.push_back(key);
            self.budget_waiting.fetch_add(1, Ordering::SeqCst);
        }
        self.admit(shared);
    }

    /// On stop: closes every parked connection that has received nothing.
    /// Those with input (a request that came in while every thread was
    /// busy) are left for [`drain`](Self::drain), so it is answered.
    pub(super) fn close_idle(&self) {
        for (index, cell) in self.in_use().iter().enumerate() {
            let mut slot = lock(cell);
            // A reply still being sent is finished by `drain`.
            if slot
                .parked
                .as_ref()
                .is_some_and(|p| !p.queued && p.writing.is_none() && !has_input(&p.conn))
            {
                if let Some(parked) = slot.parked.take() {
                    self.release(index as u32, &mut slot, parked);
                }
            }
        }
    }

    /// On stop, in each thread: serves the requests that have arrived on
    /// parked connections and sends the replies that wait (a connection is
    /// closed after them), closes the other parked connections. Passes over
    /// the slots repeat until one serves nothing: a connection served here
    /// may be left in its slot again (see [`park`](Self::park)). They end:
    /// the stop has shut the connections' input, and after the drain
    /// timeout their output.
    fn drain<P: ServerProcessor + ?Sized>(&self, shared: &Shared, processor: &P) {
        loop {
            let mut served = false;
            for (index, cell) in self.in_use().iter().enumerate() {
                let parked = {
                    let mut slot = lock(cell);
                    let Some(mut parked) = slot.parked.take() else {
                        continue;
                    };
                    if !parked.queued && parked.writing.is_none() && !has_input(&parked.conn) {
                        self.release(index as u32, &mut slot, parked);
                        continue;
                    }
                    parked.queued = false;
                    parked
                };
                served = true;
                self.serve_parked(index as u32, parked, shared, processor);
            }
            if !served {
                return;
            }
        }
    }

    /// At most once per tick across all threads: closes connections idle
    /// for longer than the idle timeout, those whose message has not
    /// fully arrived within the message timeout and those that have
    /// lingered for [`LINGER`] ([`Poller::close`]; without timeouts the tick
    /// is a quarter of it while any linger); gives back the grown buffers
    /// of connections idle for a tick.
    fn sweep(&self, shared: &Shared) {
        let lingering = self.lingering.load(Ordering::SeqCst) > 0;
        let Some(tick) = self.tick.or(lingering.then_some(LINGER / 4)) else {
            return;
        };
        let now = Instant::now();
        {
            let Ok(mut next) = self.next_sweep.try_lock() else {
                return;
            };
            if now < *next {
                return;
            }
            *next = now + tick;
        }
        let config = &shared.config;
        let idle = config.idle_timeout.filter(|d| !d.is_zero());
        let message = config.message_timeout.filter(|d| !d.is_zero());
        let write = config.write_timeout.filter(|d| !d.is_zero());
        for (index, cell) in self.in_use().iter().enumerate() {
            let mut slot = lock(cell);
            // Queued connections have whole messages to serve.
            let Some(p) = slot.parked.as_mut().filter(|p| !p.queued) else {
                continue;
            };
            if let Some(deadline) = p.linger {
                // Closing over unread input: at most until its deadline.
                if now >= deadline {
                    if let Some(parked) = slot.parked.take() {
                        self.release(index as u32, &mut slot, parked);
                    }
                }
                continue;
            }
            if let Some(since) = p.writing {
                // A reply the peer does not take: the write timeout bounds
                // it from when it began to wait, as it bounds a blocking
                // write (none: it waits, as a blocking write would).
                if write.is_some_and(|w| now.saturating_duration_since(since) >= w) {
                    if let Some(parked) = slot.parked.take() {
                        log::debug!(
                            "{}: reply not taken within the write timeout; closing",
                            parked.conn.peer
                        );
                        self.release(index as u32, &mut slot, parked);
                    }
                }
                continue;
            }
            if p.budget {
                // Waiting for the budget: at most the message timeout, as
                // a blocking wait for it (none: as long as it takes).
                let late = p
                    .started
                    .zip(message)
                    .is_some_and(|(started, m)| now.saturating_duration_since(started) >= m);
                if late {
                    if let Some(parked) = slot.parked.take() {
                        log::debug!(
                            "{}: waited too long for the in-flight byte budget; closing",
                            parked.conn.peer
                        );
                        self.release(index as u32, &mut slot, parked);
                    }
                }
                continue;
            }
            // A message that started: the message timeout from its start
            // (without one, the idle timeout from the last bytes, as a
            // blocking read would wait); none: the idle timeout.
            let why = match (p.started, message) {
                (Some(started), Some(m)) => (now.saturating_duration_since(started) >= m)
                    .then(|| format!("message not received within {m:?}")),
                _ => idle
                    .filter(|&i| now.saturating_duration_since(p.since) >= i)
                    .map(|i| format!("idle for {i:?}")),
            };
            // Bytes that came in while every thread was busy wait in epoll:
            // the thread that takes them decides.
            let why = why.filter(|_| !has_input(&p.conn));
            if let Some(why) = why {
                if let Some(parked) = slot.parked.take() {
                    log::debug!("{}: {why}; closing", parked.conn.peer);
                    self.release(index as u32, &mut slot, parked);
                }
            } else if p.started.is_none()
                && !p.shrunk
                && now.saturating_duration_since(p.since) >= tick
            {
                p.io.shrink_idle();
                p.shrunk = true;
            }
        }
        // Closed connections may have returned charges.
        self.admit(shared);
    }
}

/// One of the mode's threads: waits for ready connections and serves them
/// until the server stops. On stop it waits for the accept loop to end (it
/// may be registering a connection accepted as the stop began), then
/// answers what has arrived on the parked connections ([`Poller::drain`])
/// and ends.
pub(super) fn worker<P: ServerProcessor + ?Sized>(shared: &Shared, poller: &Poller, processor: &P) {
    let mut events = Vec::with_capacity(EVENTS);
    let tick = poller.tick.and_then(|t| Timespec::try_from(t).ok());
    let mut failures = 0u32;
    loop {
        if shared.is_stopping() {
            shared.event_thread_stopping();
            poller.drain(shared, processor);
            return;
        }
        events.clear();
        // With connections in the ready queue, only look for events. While
        // connections wait for the budget, look again every few
        // milliseconds: a charge may be returned outside this server (a
        // budget shared with other servers).
        let queued = !lock(&poller.ready).is_empty();
        let wait = if queued {
            Some(&NO_WAIT)
        } else if poller.budget_has_waiters() {
            Some(&BUDGET_POLL)
        } else if tick.is_none() && poller.lingering.load(Ordering::SeqCst) > 0 {
            Some(&LINGER_POLL)
        } else {
            tick.as_ref()
        };
        match epoll::wait(&poller.epoll, spare_capacity(&mut events), wait) {
            Ok(_) => failures = 0,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => {
                // Not expected of a valid epoll descriptor; never spin.
                if failures % 64 == 0 {
                    log::error!("epoll_wait failed: {e}");
                }
                failures = failures.saturating_add(1);
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        }
        for event in &events {
            match event.data.u64() {
                WAKE => {}
                NUDGE => poller.take_nudge(),
                key => {
                    poller.hand_over();
                    poller.serve(key, shared, processor);
                }
            }
        }
        poller.admit(shared);
        let next = lock(&poller.ready).pop_front();
        if let Some(key) = next {
            poller.hand_over();
            poller.serve(key, shared, processor);
        }
        poller.sweep(shared);
    }
}

/// The event key of slot `index` in its `generation` (so that a stale key
/// cannot reach a later connection of the slot).
fn event_key(generation: u32, index: u32) -> u64 {
    u64::from(generation) << 32 | u64::from(index)
}

/// The slot index and generation of an event key.
fn split_key(key: u64) -> (u32, u32) {
    ((key & u64::from(u32::MAX)) as u32, (key >> 32) as u32)
}

/// Whether the connection's socket has something to read (a request, the
/// peer's end, an error), without waiting.
fn has_input(conn: &Conn) -> bool {
    let mut fds = [PollFd::new(&*conn.stream, PollFlags::IN)];
    match poll(&mut fds, Some(&Timespec::default())) {
        Ok(n) => n > 0 && !fds[0].revents().is_empty(),
        // Unknown: treat it as busy rather than lose a request.
        Err(_) => true,
    }
}

/// How long a connection closed over unread input waits for the peer to
/// close its side (as in the blocking modes).
const LINGER: Duration = Duration::from_secs(1);

/// The most input [`discard`] reads in one call, so that a peer that keeps
/// sending shares the thread.
const DISCARD_TURN: usize = 256 * 1024;

/// What [`discard`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Discarded {
    /// No input had arrived.
    Nothing,
    /// Input was read and thrown away; more may come.
    Some,
    /// The peer has closed its side (or the socket failed): nothing more
    /// will come.
    End,
}

/// Reads and throws away the input that has arrived, without waiting, up
/// to [`DISCARD_TURN`] bytes.
fn discard(stream: &crate::transport::socket::Socket) -> Discarded {
    use rustix::net::{RecvFlags, recv};
    let mut scratch = [0u8; 16 * 1024];
    let mut read = 0;
    while read < DISCARD_TURN {
        match recv(stream, &mut scratch[..], RecvFlags::DONTWAIT) {
            Ok((0, _)) => return Discarded::End,
            Ok((n, _)) => read += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(rustix::io::Errno::AGAIN) => break,
            Err(_) => return Discarded::End,
        }
    }
    if read == 0 {
        Discarded::Nothing
    } else {
        Discarded::Some
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // No code panics while holding these locks; recover anyway.
    m.lock().unwrap_or_else(|e| e.into_inner())
}
