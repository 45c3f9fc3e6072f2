//! The client's connection [`Pool`]: connections reused across calls, one
//! per concurrent caller (also from spawned threads), `max_idle` and
//! `max_idle_time` bounds, connections a call left out of step (an error,
//! a panic in an `Encode` impl) never given back, and connections that the
//! server closed, or that hold bytes no call asked for, replaced before a
//! call goes out on them.

mod server_support;

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::client::{Channel, Pool};
use thriftc_runtime::protocol::{MessageType, ProtocolRead, ProtocolWrite, TType};
use thriftc_runtime::transport::StreamReader;
use thriftc_runtime::{BinaryProtocol, Encode, Error, Framing, ProtocolKind, WireType};

const WIRE: (ProtocolKind, Framing) = (ProtocolKind::Compact, Framing::Framed);

fn pool(addr: SocketAddr) -> Pool {
    Pool::new(connector(addr, WIRE.0, WIRE.1))
}

/// The local address of the connection a guard holds: which connection.
fn which(c: &thriftc_runtime::client::Pooled) -> SocketAddr {
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

#[test]
fn handles_and_guards_move_into_spawned_threads() {
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = pool(server.local_addr());
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let pool = pool.clone();
            thread::spawn(move || add(&mut pool.get().unwrap(), i, 10).unwrap())
        })
        .collect();
    let sums: Vec<i32> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(sums, [10, 11, 12, 13]);
    assert!(pool.idle() >= 1, "given back to the shared pool");
    // A guard outlives the handle it came from.
    let guard = {
        let pool = pool.clone();
        pool.get().unwrap()
    };
    let mut moved = thread::spawn(move || {
        let mut guard = guard;
        assert_eq!(add(&mut guard, 1, 1).unwrap(), 2);
        guard
    })
    .join()
    .unwrap();
    assert_eq!(add(&mut moved, 2, 2).unwrap(), 4);
    server.stop();
}

/// Arguments whose `Encode` writes part of a struct, then panics.
struct Panicky;

impl WireType for Panicky {
    const TTYPE: TType = TType::Struct;
}

impl Encode for Panicky {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> thriftc_runtime::Result<()> {
        p.write_struct_begin("Panicky")?;
        p.write_field_begin("a", TType::I32, 1)?;
        p.write_i32(1)?;
        panic!("a handler bug in an Encode impl");
    }
}

#[test]
fn a_panic_during_a_call_leaves_the_connection_out_of_the_pool() {
    quiet_expected_panics();
    let (p, f) = (ProtocolKind::Binary, Framing::Framed);
    let server = calc_server(Threads::PerConnection, p, f);
    let pool = Pool::new(connector(server.local_addr(), p, f));
    assert_eq!(add(&mut pool.get().unwrap(), 1, 1).unwrap(), 2);
    assert_eq!(pool.idle(), 1);
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        let mut c = pool.get().unwrap();
        let _: thriftc_runtime::Result<Ret<i32>> = c.call("add", &Panicky);
    }));
    assert!(panicked.is_err());
    assert_eq!(pool.idle(), 0, "the half-written request is not handed on");
    assert_eq!(add(&mut pool.get().unwrap(), 2, 3).unwrap(), 5);
    // Without a pool: a client whose call panicked refuses further calls.
    let mut c = client(server.local_addr(), p, f);
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        let _: thriftc_runtime::Result<Ret<i32>> = c.call("add", &Panicky);
    }));
    assert!(panicked.is_err());
    assert!(!c.is_usable());
    server.stop();
}

/// A framed binary server that answers each call twice: the second reply
/// is bytes no call asked for. In one write with the first, or (`Late`) in
/// a write of its own once the test says go (after the client has read the
/// first reply), announced on `sent` once written: the second reply then
/// waits in the socket, not in the client's buffer.
struct Late {
    go: mpsc::Sender<()>,
    sent: mpsc::Receiver<()>,
}

fn chatty_server(late: bool) -> (SocketAddr, Late) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (sent, sent_rx) = mpsc::channel();
    let (go_tx, go) = mpsc::channel::<()>();
    let go = Arc::new(Mutex::new(go));
    thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(s) = s else { return };
            let (sent, go) = (sent.clone(), go.clone());
            thread::spawn(move || {
                let mut w = s.try_clone().unwrap();
                let r = StreamReader::new(s, Framing::Framed, Default::default());
                let mut p = BinaryProtocol::new(r, Default::default());
                while let Ok(true) = p.get_mut().begin_message() {
                    let h = p.read_message_begin().unwrap();
                    p.skip(TType::Struct).unwrap();
                    p.get_mut().end_message().unwrap();
                    let reply = message(
                        ProtocolKind::Binary,
                        Framing::Framed,
                        &h.name,
                        MessageType::Reply,
                        h.seqid,
                        &Ret::Success(7),
                    );
                    let written = if late {
                        w.write_all(&reply).and_then(|()| {
                            // Without a go (a later connection) after 5 s anyway.
                            let _ = go.lock().unwrap().recv_timeout(Duration::from_secs(5));
                            w.write_all(&reply)
                        })
                    } else {
                        w.write_all(&[reply.clone(), reply].concat())
                    };
                    if written.is_err() {
                        return;
                    }
                    let _ = sent.send(());
                }
            });
        }
    });
    (
        addr,
        Late {
            go: go_tx,
            sent: sent_rx,
        },
    )
}

#[test]
fn a_connection_holding_unasked_bytes_is_not_handed_out() {
    let (addr, _) = chatty_server(false);
    let pool = Pool::new(connector(addr, ProtocolKind::Binary, Framing::Framed));
    for _ in 0..3 {
        let mut c = pool.get().unwrap();
        let r = c.call::<_, Ret<i32>>("add", &NoArgs);
        assert!(r.is_ok(), "each call on a connection of its own: {r:?}");
    }
}

#[test]
fn a_connection_whose_socket_holds_unasked_bytes_is_not_handed_out() {
    let (addr, late) = chatty_server(true);
    let pool = Pool::new(connector(addr, ProtocolKind::Binary, Framing::Framed));
    let first = {
        let mut c = pool.get().unwrap();
        let r = c.call::<_, Ret<i32>>("add", &NoArgs);
        assert!(r.is_ok(), "{r:?}");
        which(&c)
    };
    late.go.send(()).unwrap();
    late.sent
        .recv_timeout(Duration::from_secs(5))
        .expect("the server sent the unasked reply");
    assert_eq!(pool.idle(), 1);
    let mut c = pool.get().unwrap();
    assert_ne!(which(&c), first, "a new connection");
    let r = c.call::<_, Ret<i32>>("add", &NoArgs);
    assert!(r.is_ok(), "{r:?}");
}

#[test]
fn expired_connections_are_closed_even_below_a_fresh_one() {
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = pool(server.local_addr()).max_idle_time(Duration::from_millis(100));
    {
        let (mut a, mut b) = (pool.get().unwrap(), pool.get().unwrap());
        assert_eq!(add(&mut a, 1, 1).unwrap(), 2);
        assert_eq!(add(&mut b, 1, 1).unwrap(), 2);
    }
    assert_eq!(pool.idle(), 2);
    // One caller keeps the newest connection fresh; the other expires.
    for _ in 0..6 {
        assert_eq!(add(&mut pool.get().unwrap(), 2, 2).unwrap(), 4);
        thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(pool.idle(), 1);
    assert!(
        eventually(Duration::from_secs(5), || server.connections() == 1),
        "{} open",
        server.connections()
    );
    server.stop();
}

#[test]
fn max_size_makes_a_caller_wait_for_a_connection_given_back() {
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = pool(server.local_addr()).max_size(2);
    let (a, b) = (pool.get().unwrap(), pool.get().unwrap());
    assert_eq!(pool.in_use(), 2);
    let held = [which(&a), which(&b)];
    let waiter = {
        let pool = pool.clone();
        thread::spawn(move || {
            let mut c = pool.get().unwrap();
            assert_eq!(add(&mut c, 5, 5).unwrap(), 10);
            which(&c)
        })
    };
    thread::sleep(Duration::from_millis(200));
    assert!(!waiter.is_finished(), "a third connection was opened");
    drop(a);
    let got = waiter.join().unwrap();
    assert!(
        held.contains(&got),
        "the waiter got a given-back connection"
    );
    assert_eq!(server.connections(), 2);
    drop(b);
    assert_eq!(pool.in_use(), 0);
    server.stop();
}

#[test]
fn max_size_waits_at_most_its_wait() {
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = pool(server.local_addr())
        .max_size(1)
        .wait(Duration::from_millis(100));
    let held = pool.get().unwrap();
    let refused = pool.get();
    assert!(
        matches!(&refused, Err(Error::Transport(t)) if t.kind == thriftc_runtime::TransportErrorKind::TimedOut),
        "{refused:?}"
    );
    // A detached connection no longer counts.
    let mut own = held.detach();
    assert_eq!(add(&mut own, 1, 1).unwrap(), 2);
    assert_eq!(pool.in_use(), 0);
    assert_eq!(add(&mut pool.get().unwrap(), 2, 2).unwrap(), 4);
    server.stop();
}

#[test]
fn a_failed_connect_gives_its_place_back() {
    // A port nothing listens on any more: connecting is refused.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let pool = pool(addr).max_size(1).wait(Duration::from_millis(100));
    for _ in 0..3 {
        let e = pool.get().expect_err("nothing listens");
        assert!(
            !matches!(&e, Error::Transport(t) if t.kind == thriftc_runtime::TransportErrorKind::TimedOut),
            "the place of the failed connection was kept: {e}"
        );
    }
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn a_connection_given_back_replaces_an_expired_one() {
    // One idle place, taken by a connection that has expired: the one
    // given back takes it, and the next caller gets it.
    let server = calc_server(Threads::PerConnection, WIRE.0, WIRE.1);
    let pool = pool(server.local_addr())
        .max_idle(1)
        .max_idle_time(Duration::from_millis(100));
    let (a, mut b) = (pool.get().unwrap(), pool.get().unwrap());
    assert_eq!(add(&mut b, 1, 1).unwrap(), 2);
    let kept = which(&b);
    drop(a);
    thread::sleep(Duration::from_millis(150));
    drop(b);
    assert_eq!(pool.idle(), 1);
    assert_eq!(which(&pool.get().unwrap()), kept);
    server.stop();
}
