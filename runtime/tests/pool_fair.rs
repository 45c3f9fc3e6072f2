//! The connection [`Pool`]'s waiting queue under `max_size`: callers are
//! served in the order they started waiting, a newcomer does not take what
//! was freed for them, a caller whose `wait` ran out leaves without taking
//! the next connection given back, and the place of a broken, detached or
//! stale connection goes to the first waiter.
//!
//! Each waiter starts only once the one before it is counted as waiting
//! (`Pool::waiting`), so the order they queue in is known.

mod server_support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use server_support::*;
use thriftc_runtime::client::{Channel, Pool, Pooled};
use thriftc_runtime::{Error, Framing, ProtocolKind, TransportErrorKind};

const WIRE: (ProtocolKind, Framing) = (ProtocolKind::Compact, Framing::Framed);

/// Long enough never to run out in these tests but the one about it, and
/// short enough that a broken queue fails them rather than hangs them.
const WAIT: Duration = Duration::from_secs(10);

/// How long a test waits for a signal it expects.
const SIGNAL: Duration = Duration::from_secs(5);

fn pool(addr: SocketAddr, max_size: usize) -> Pool {
    Pool::new(connector(addr, WIRE.0, WIRE.1))
        .max_size(max_size)
        .wait(WAIT)
}

/// The local address of the connection a guard holds: which connection.
fn which(c: &Pooled) -> SocketAddr {
    c.stream().local_addr().unwrap()
}

/// Waits until `n` callers are queued in `pool`, at most [`SIGNAL`].
fn queued(pool: &Pool, n: usize) {
    assert!(
        eventually(SIGNAL, || pool.waiting() == n),
        "{} waiting, not {n}",
        pool.waiting()
    );
}

/// What a waiter does with its connection once told to.
enum Release {
    GiveBack,
    Detach,
}

/// A caller of `get` on a thread of its own, queued behind those already
/// waiting: once served it makes a call, reports `(id, its connection)`
/// on `served`, then holds the connection until told to release it (or
/// [`WAIT`] passes).
struct Waiter {
    release: mpsc::Sender<Release>,
    thread: JoinHandle<()>,
}

impl Waiter {
    /// Starts the waiter and returns once it is queued.
    fn start(pool: &Pool, id: i32, served: &mpsc::Sender<(i32, SocketAddr)>) -> Waiter {
        let before = pool.waiting();
        let (release, told) = mpsc::channel();
        let thread = {
            let (pool, served) = (pool.clone(), served.clone());
            thread::spawn(move || {
                let mut c = pool.get().expect("served within the wait");
                assert_eq!(add(&mut c, id, 100).unwrap(), id + 100);
                served.send((id, which(&c))).unwrap();
                match told.recv_timeout(WAIT) {
                    Ok(Release::Detach) => drop(c.detach()),
                    Ok(Release::GiveBack) | Err(_) => drop(c),
                }
            })
        };
        queued(pool, before + 1);
        Waiter { release, thread }
    }

    /// Lets the waiter release its connection, and waits for its thread.
    fn release(self, how: Release) {
        self.release.send(how).unwrap();
        self.thread.join().unwrap();
    }
}

/// The next waiter served, within [`SIGNAL`].
fn next_served(served: &mpsc::Receiver<(i32, SocketAddr)>) -> (i32, SocketAddr) {
    served.recv_timeout(SIGNAL).expect("a waiter is served")
}

#[test]
fn waiters_are_served_in_the_order_they_started_waiting() {
    const WAITERS: i32 = 6;
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = pool(server.local_addr(), 2);
    let (a, b) = (pool.get().unwrap(), pool.get().unwrap());
    let (tx, served) = mpsc::channel();
    let mut waiters: Vec<Option<Waiter>> = (0..WAITERS)
        .map(|id| Some(Waiter::start(&pool, id, &tx)))
        .collect();
    assert_eq!(pool.waiting(), WAITERS as usize);
    // The two held connections given back one at a time, then each
    // waiter's in turn: every one goes to the longest waiter.
    drop(a);
    assert_eq!(next_served(&served).0, 0);
    drop(b);
    assert_eq!(next_served(&served).0, 1);
    for id in 2..WAITERS {
        assert_eq!(pool.waiting(), (WAITERS - id) as usize);
        let done = waiters[(id - 2) as usize].take().unwrap();
        done.release(Release::GiveBack);
        assert_eq!(next_served(&served).0, id, "served out of order");
    }
    for w in waiters.into_iter().flatten() {
        w.release(Release::GiveBack);
    }
    assert_eq!(pool.waiting(), 0);
    assert_eq!((pool.idle(), pool.in_use()), (2, 0));
    assert_eq!(server.connections(), 2, "only the two connections served");
    server.stop();
}

#[test]
fn a_newcomer_does_not_take_what_was_freed_for_a_waiter() {
    // A connection given back (even rounds) or the place of a detached one
    // (odd rounds), with a newcomer asking at once, in the same thread:
    // the waiter is served first, the newcomer after it.
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = pool(server.local_addr(), 1);
    for round in 0..20 {
        let held = pool.get().unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let waiter = {
            let (pool, order) = (pool.clone(), order.clone());
            thread::spawn(move || {
                let c = pool.get().expect("served within the wait");
                order.lock().unwrap().push("waiter");
                drop(c);
            })
        };
        queued(&pool, 1);
        if round % 2 == 0 {
            drop(held);
        } else {
            drop(held.detach());
        }
        let newcomer = pool.get().expect("served after the waiter");
        order.lock().unwrap().push("newcomer");
        waiter.join().unwrap();
        assert_eq!(
            *order.lock().unwrap(),
            ["waiter", "newcomer"],
            "round {round}"
        );
        drop(newcomer);
    }
    server.stop();
}

#[test]
fn a_waiter_whose_wait_ran_out_does_not_swallow_the_next_give_back() {
    const SHORT: Duration = Duration::from_secs(2);
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = Pool::new(connector(server.local_addr(), WIRE.0, WIRE.1))
        .max_size(1)
        .wait(SHORT);
    let held = pool.get().unwrap();
    let held_addr = which(&held);
    let get = |pool: &Pool| {
        let pool = pool.clone();
        thread::spawn(move || match pool.get() {
            Ok(c) => Ok(which(&c)),
            Err(Error::Transport(t)) => Err(t.kind),
            Err(e) => panic!("{e}"),
        })
    };
    let first = get(&pool);
    queued(&pool, 1);
    // Not a signal: the second waiter's wait must run out well after the
    // first's, so that the connection is given back between the two.
    thread::sleep(SHORT / 2);
    let second = get(&pool);
    queued(&pool, 2);
    assert_eq!(first.join().unwrap(), Err(TransportErrorKind::TimedOut));
    assert_eq!(pool.waiting(), 1, "the first left the queue");
    drop(held);
    assert_eq!(
        second.join().unwrap(),
        Ok(held_addr),
        "the connection given back went to the waiter still there"
    );
    assert_eq!((pool.waiting(), pool.idle(), pool.in_use()), (0, 1, 0));
    server.stop();
}

#[test]
fn a_broken_or_detached_connection_frees_its_place_for_the_first_waiter() {
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = Pool::new(
        connector(server.local_addr(), WIRE.0, WIRE.1).read_timeout(Duration::from_millis(100)),
    )
    .max_size(1)
    .wait(WAIT);
    let mut held = pool.get().unwrap();
    let held_addr = which(&held);
    let (tx, served) = mpsc::channel();
    let first = Waiter::start(&pool, 0, &tx);
    let second = Waiter::start(&pool, 1, &tx);
    // The reply comes after the read timeout: the connection is out of
    // step, and closed when dropped.
    let late = held.call::<_, Ret<i32>>("sleep", &Args1(400));
    assert!(matches!(late, Err(Error::Transport(_))), "{late:?}");
    drop(held);
    let (id, first_addr) = next_served(&served);
    assert_eq!(id, 0, "the broken connection's place went to the first");
    assert_ne!(first_addr, held_addr, "on a new connection");
    assert_eq!(pool.waiting(), 1);
    first.release(Release::Detach);
    let (id, second_addr) = next_served(&served);
    assert_eq!(id, 1, "the detached connection's place went to the next");
    assert_ne!(second_addr, first_addr, "on a new connection");
    second.release(Release::GiveBack);
    assert_eq!((pool.waiting(), pool.idle(), pool.in_use()), (0, 1, 0));
    server.stop();
}

#[test]
fn a_stale_connection_handed_to_a_waiter_is_replaced_without_losing_its_place() {
    let server = calc_builder(Threads::PerConnection)
        .wire(WIRE.0, WIRE.1)
        .idle_timeout(Duration::from_millis(200))
        .start();
    let pool = pool(server.local_addr(), 1);
    let mut held = pool.get().unwrap();
    assert_eq!(add(&mut held, 1, 1).unwrap(), 2);
    let held_addr = which(&held);
    let (tx, served) = mpsc::channel();
    let first = Waiter::start(&pool, 0, &tx);
    let second = Waiter::start(&pool, 1, &tx);
    assert!(
        eventually(SIGNAL, || server.connections() == 0),
        "the server closes the held connection"
    );
    // Given back as usable (the client has not read the end of the stream
    // yet): the first waiter's check finds it closed.
    drop(held);
    let (id, first_addr) = next_served(&served);
    assert_eq!(id, 0, "the first waiter kept its place");
    assert_ne!(first_addr, held_addr, "on a new connection");
    assert_eq!(pool.waiting(), 1, "the second still waits");
    first.release(Release::GiveBack);
    assert_eq!(next_served(&served).0, 1);
    second.release(Release::GiveBack);
    assert_eq!((pool.waiting(), pool.in_use()), (0, 0));
    server.stop();
}
