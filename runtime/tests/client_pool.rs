//! The client's connection [`Pool`]: connections reused across calls, one
//! per concurrent caller, `max_idle` and `max_idle_time` bounds, broken
//! connections never given back, and connections the server closed while
//! idle replaced before a call goes out on them.

mod server_support;

use std::net::SocketAddr;
use std::sync::Barrier;
use std::thread;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::client::{Channel, Pool};
use thriftc_runtime::{Error, Framing, ProtocolKind};

const WIRE: (ProtocolKind, Framing) = (ProtocolKind::Compact, Framing::Framed);

fn pool(addr: SocketAddr) -> Pool {
    Pool::new(connector(addr, WIRE.0, WIRE.1))
}

/// The local address of the connection a guard holds: which connection.
fn which(c: &thriftc_runtime::client::Pooled<'_>) -> SocketAddr {
    c.stream().local_addr().unwrap()
}

#[test]
fn sequential_calls_reuse_one_connection() {
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = pool(server.local_addr());
    let mut seen = Vec::new();
    for i in 0..10 {
        let mut c = pool.get().unwrap();
        // The guard is a channel itself.
        assert_eq!(add(&mut c, i, 1).unwrap(), i + 1);
        seen.push(which(&c));
    }
    seen.dedup();
    assert_eq!(seen.len(), 1, "one connection for all: {seen:?}");
    assert_eq!(pool.idle(), 1);
    assert_eq!(server.connections(), 1);
    server.stop();
}

#[test]
fn concurrent_callers_get_their_own_connections_and_max_idle_bounds_the_rest() {
    const CALLERS: usize = 8;
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = pool(server.local_addr()).max_idle(3);
    let all_held = Barrier::new(CALLERS);
    let mut seen: Vec<SocketAddr> = thread::scope(|s| {
        let callers: Vec<_> = (0..CALLERS)
            .map(|i| {
                let (pool, all_held) = (&pool, &all_held);
                s.spawn(move || {
                    let mut c = pool.get().unwrap();
                    // Every caller holds its connection at once.
                    all_held.wait();
                    assert_eq!(add(&mut c, i as i32, 2).unwrap(), i as i32 + 2);
                    which(&c)
                })
            })
            .collect();
        callers.into_iter().map(|t| t.join().unwrap()).collect()
    });
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen.len(),
        CALLERS,
        "a connection of its own for each caller"
    );
    assert_eq!(pool.idle(), 3, "given back up to max_idle, the rest closed");
    assert!(
        eventually(Duration::from_secs(5), || server.connections() == 3),
        "the server sees the surplus closed: {} open",
        server.connections()
    );
    pool.clear();
    assert_eq!(pool.idle(), 0);
    server.stop();
}

#[test]
fn a_connection_the_server_closed_while_idle_is_replaced_before_a_call() {
    let server = calc_builder(Threads::PerConnection)
        .wire(WIRE.0, WIRE.1)
        .idle_timeout(Duration::from_millis(200))
        .start();
    let pool = pool(server.local_addr());
    let first = {
        let mut c = pool.get().unwrap();
        assert_eq!(add(&mut c, 1, 1).unwrap(), 2);
        which(&c)
    };
    assert!(eventually(Duration::from_secs(5), || server.connections() == 0));
    // Still in the pool, closed by the server: not handed out.
    assert_eq!(pool.idle(), 1);
    let mut c = pool.get().unwrap();
    assert_ne!(which(&c), first, "a new connection");
    assert_eq!(add(&mut c, 2, 2).unwrap(), 4, "and the call succeeds");
    drop(c);
    server.stop();
}

#[test]
fn a_connection_idle_past_max_idle_time_is_not_handed_out() {
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = pool(server.local_addr()).max_idle_time(Duration::from_millis(100));
    let first = {
        let mut c = pool.get().unwrap();
        assert_eq!(add(&mut c, 1, 1).unwrap(), 2);
        which(&c)
    };
    let again = which(&pool.get().unwrap());
    assert_eq!(again, first, "reused while fresh");
    thread::sleep(Duration::from_millis(200));
    let mut c = pool.get().unwrap();
    assert_ne!(which(&c), first, "a new connection once idle too long");
    assert_eq!(add(&mut c, 3, 3).unwrap(), 6);
    drop(c);
    assert!(eventually(Duration::from_secs(5), || server.connections() == 1));
    server.stop();
}

#[test]
fn a_broken_or_detached_connection_is_not_given_back() {
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = Pool::new(
        connector(server.local_addr(), WIRE.0, WIRE.1).read_timeout(Duration::from_millis(100)),
    );
    {
        let mut c = pool.get().unwrap();
        // The reply comes after the read timeout: the connection is out of
        // step.
        let late = c.call::<_, Ret<i32>>("sleep", &Args1(400));
        assert!(matches!(late, Err(Error::Transport(_))), "{late:?}");
        assert!(!c.is_usable());
    }
    assert_eq!(pool.idle(), 0, "a broken connection is closed, not kept");
    let c = pool.get().unwrap();
    let mut client = c.detach();
    assert_eq!(add(&mut client, 1, 2).unwrap(), 3);
    assert_eq!(pool.idle(), 0, "a detached connection is the caller's");
    drop(client);
    server.stop();
}

#[test]
fn max_idle_zero_keeps_nothing() {
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = pool(server.local_addr()).max_idle(0);
    for _ in 0..3 {
        let mut c = pool.get().unwrap();
        assert_eq!(add(&mut c, 1, 1).unwrap(), 2);
    }
    assert_eq!(pool.idle(), 0);
    assert!(eventually(Duration::from_secs(5), || server.connections() == 0));
    server.stop();
}
