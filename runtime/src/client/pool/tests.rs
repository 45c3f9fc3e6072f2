//! Races of the waiting queue that a test outside the crate cannot stage:
//! the pool's lock held while a waiter's `wait` runs out, or while two
//! connections are given back at once, and a first waiter leaving the
//! queue just as a connection is given back for it.

use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::{Duration, Instant};

use super::{Pool, Pooled};
use crate::client::Connector;
use crate::error::{Error, TransportErrorKind};

/// A listener whose backlog accepts connections nobody reads from: enough
/// for a pool, which sends nothing until a call.
fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

/// Polls `cond` until it holds, at most 5 s.
fn within_5s(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cond() {
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
    true
}

/// Far longer than [`within_5s`]: a waiter served before it ran out was
/// woken, not served when its own wait ran out.
const LONG_WAIT: Duration = Duration::from_secs(60);

fn which(c: &Pooled) -> SocketAddr {
    c.stream().local_addr().unwrap()
}

/// A caller of `get` on its own thread, which keeps what it gets (the
/// guard comes back with the thread's result): nothing it is served goes
/// back to the pool for another waiter.
fn caller(pool: &Pool) -> thread::JoinHandle<Result<Pooled, TransportErrorKind>> {
    let pool = pool.clone();
    thread::spawn(move || match pool.get() {
        Ok(c) => Ok(c),
        Err(Error::Transport(t)) => Err(t.kind),
        Err(e) => panic!("{e}"),
    })
}

/// Which connection a caller got, or the kind of its error.
fn got(
    caller: thread::JoinHandle<Result<Pooled, TransportErrorKind>>,
) -> Result<SocketAddr, TransportErrorKind> {
    caller.join().unwrap().map(|c| which(&c))
}

#[test]
fn a_connection_given_back_as_the_first_waiters_wait_runs_out_is_taken_not_stranded() {
    let (_l, addr) = listener();
    let pool = Pool::new(Connector::new(addr).unwrap())
        .max_size(1)
        .wait(Duration::from_millis(200));
    let mut held = pool.get().unwrap();
    let held_addr = which(&held);
    let first = caller(&pool);
    assert!(within_5s(|| pool.waiting() == 1));
    let second = caller(&pool);
    assert!(within_5s(|| pool.waiting() == 2));
    {
        // Both waits run out while the lock is held, and the connection is
        // given back under that same lock: whichever waiter runs first,
        // the first one finds it free and takes it, and the second gives
        // up without it.
        let mut state = pool.shared.lock();
        thread::sleep(Duration::from_millis(400));
        let client = held.client.take();
        let (expired, surplus) = pool.shared.keep(&mut state, client);
        assert!(expired.is_empty() && surplus.is_none(), "kept idle");
    }
    drop(held);
    let first = first.join().unwrap().expect("the first waiter is served");
    assert_eq!(which(&first), held_addr);
    assert_eq!(got(second), Err(TransportErrorKind::TimedOut));
    assert_eq!(pool.waiting(), 0, "the timed-out waiter left the queue");
    assert_eq!((pool.idle(), pool.in_use()), (0, 1));
    drop(first);
    assert_eq!(which(&pool.get().unwrap()), held_addr);
}

#[test]
fn a_first_waiter_leaving_as_a_connection_is_given_back_passes_it_on() {
    let (_l, addr) = listener();
    let pool = Pool::new(Connector::new(addr).unwrap())
        .max_size(1)
        .wait(LONG_WAIT);
    let held = pool.get().unwrap();
    let held_addr = which(&held);
    // A first waiter that never sleeps: it stands for one whose wait has
    // run out but which has not taken the lock again yet.
    let leaving = pool.shared.lock().waiters.join();
    let next = caller(&pool);
    assert!(within_5s(|| pool.waiting() == 2));
    // Given back, with the wakeup for the first waiter, which is not
    // listening: the next one may not take it while the first is there.
    drop(held);
    assert_eq!((pool.idle(), pool.waiting()), (1, 2));
    assert!(!next.is_finished());
    {
        // The first waiter gives up, as `take_place` does when its wait
        // runs out.
        let mut state = pool.shared.lock();
        pool.shared.leave(&mut state, &leaving);
    }
    assert!(
        within_5s(|| next.is_finished()),
        "the next waiter was woken"
    );
    assert_eq!(got(next), Ok(held_addr));
    assert_eq!(pool.waiting(), 0);
}

#[test]
fn two_connections_given_back_at_once_serve_the_first_two_waiters() {
    let (_l, addr) = listener();
    let pool = Pool::new(Connector::new(addr).unwrap())
        .max_size(2)
        .wait(LONG_WAIT);
    let (mut a, mut b) = (pool.get().unwrap(), pool.get().unwrap());
    let mut held = [which(&a), which(&b)];
    // The second cannot be served by the first giving its connection
    // back: callers keep what they get.
    let first = caller(&pool);
    assert!(within_5s(|| pool.waiting() == 1));
    let second = caller(&pool);
    assert!(within_5s(|| pool.waiting() == 2));
    {
        // Both given back before either waiter runs: the first waiter is
        // woken (twice), and once served it wakes the second.
        let mut state = pool.shared.lock();
        for c in [&mut a, &mut b] {
            let (_, surplus) = pool.shared.keep(&mut state, c.client.take());
            assert!(surplus.is_none(), "kept idle");
        }
    }
    drop((a, b));
    assert!(
        within_5s(|| first.is_finished() && second.is_finished()),
        "both waiters were woken"
    );
    let got = [first.join().unwrap(), second.join().unwrap()].map(|c| c.expect("served"));
    let mut got_addrs = [which(&got[0]), which(&got[1])];
    got_addrs.sort();
    held.sort();
    assert_eq!(got_addrs, held);
    assert_eq!((pool.waiting(), pool.idle(), pool.in_use()), (0, 0, 2));
    drop(got);
    assert_eq!((pool.idle(), pool.in_use()), (2, 0));
}
