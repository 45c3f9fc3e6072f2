//! `SharedClient`'s silence rule and task guards, and `SharedPool` at its
//! edges (feature `tokio`): slow calls beside younger ones, tasks that
//! never ran, an unreachable server, many first calls at once. Every wait
//! is bounded.

mod server_support;
mod tokio_support;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::tokio::{AsyncChannel, SharedClient, SharedPool};
use thriftc_runtime::{Connector, Error, Framing, ProtocolKind, TransportErrorKind};
use tokio_support::{
    AsyncCalc, add_reply, async_builder, fill_accept_queue, multi_thread, raw_server, read_add,
    short_queue_listener, start, until,
};

const WAIT: Duration = Duration::from_secs(10);

fn ct_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A healthy server (thriftc's own, which answers a connection's calls in
/// order) with one slow call: that call times out for its caller. A
/// second call made later, whose reply arrives within its own read
/// timeout, succeeds: the silence counts from the latest call sent.
#[test]
fn a_younger_call_gets_its_reply_within_its_own_timeout() {
    let t = Duration::from_secs(2);
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(Arc::clone(&calc)));
    multi_thread().block_on(async {
        let shared = Connector::new(server.addr)
            .unwrap()
            .read_timeout(t)
            .connect_shared()
            .await
            .unwrap();
        let mut x = shared.clone();
        let slow = tokio::spawn(async move { x.call::<_, Ret<i32>>("gate", &NoArgs).await });
        assert!(until(WAIT, || calc.at_gate.load(Ordering::SeqCst) == 1).await);
        let t0 = tokio::time::Instant::now();
        // Half-way through the slow call's timeout, a second call starts:
        // its own timeout ends at t0 + 3 s.
        tokio::time::sleep_until(t0 + t / 2).await;
        let mut b = shared.clone();
        let young = tokio::spawn(async move {
            let started = Instant::now();
            let r = b.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 2 }).await;
            (started.elapsed(), r)
        });
        // The server finishes the slow call at t0 + 2.5 s, then answers
        // the young one at once: within its timeout.
        tokio::time::sleep_until(t0 + t + t / 4).await;
        calc.gate.add_permits(1);
        let (took, r) = tokio::time::timeout(WAIT, young).await.unwrap().unwrap();
        let s = tokio::time::timeout(WAIT, slow).await.unwrap().unwrap();
        assert!(
            matches!(&s, Err(Error::Transport(e)) if e.kind == TransportErrorKind::TimedOut),
            "the slow call times out for its caller: {s:?}"
        );
        assert!(
            matches!(r, Ok(Ret::Success(3))),
            "a call whose reply came {:?} after it started, with a read timeout of {t:?}, \
             ended after {took:?}: {r:?}",
            t / 2 + t / 4
        );
    });
}

/// The connection's tasks are spawned on the runtime current at
/// `from_stream`. If that runtime is gone before they first ran (a
/// current-thread runtime that made the client and was dropped), the
/// connection is unusable: `is_usable()` says so.
#[test]
fn a_client_whose_tasks_never_ran_is_unusable() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(calc));
    let made_on = ct_runtime();
    let shared = made_on
        .block_on(Connector::new(server.addr).unwrap().connect_shared())
        .unwrap();
    drop(made_on);
    let r = multi_thread().block_on(async {
        let mut c = shared.clone();
        tokio::time::timeout(WAIT, c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }))
            .await
            .unwrap()
    });
    assert!(r.is_err(), "{r:?}");
    assert!(
        !shared.is_usable(),
        "every call fails ({r:?}), yet the client says it is usable: {shared:?}"
    );
}

/// The same seen through a pool: a place whose connection was opened on a
/// runtime that is gone before the connection's tasks ran opens a new
/// one for the next call.
#[test]
fn a_pool_replaces_a_connection_whose_tasks_never_ran() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(calc));
    let pool = SharedPool::new(
        connector(server.addr, ProtocolKind::Binary, Framing::Buffered),
        1,
    );
    let made_on = ct_runtime();
    made_on.block_on(pool.client()).unwrap();
    drop(made_on);
    multi_thread().block_on(async {
        let mut c = pool.clone();
        let mut failures = Vec::new();
        for i in 0..3 {
            let r =
                tokio::time::timeout(WAIT, c.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 1 }))
                    .await
                    .unwrap();
            if let Err(e) = r {
                failures.push(e.to_string());
            }
        }
        assert!(
            failures.is_empty(),
            "the pool kept handing out a dead connection ({pool:?}): {failures:?}"
        );
    });
}

/// A listening socket that answers no connect (see
/// [`fill_accept_queue`]). Returns the address and the connections that
/// fill the queue (keep them alive).
fn unanswering_listener() -> (SocketAddr, tokio::net::TcpListener, Vec<TcpStream>) {
    let (addr, listener) = short_queue_listener();
    let fill = fill_accept_queue(addr);
    (addr, listener, fill)
}

/// With the server unreachable (connects hang), calls that come to a place
/// while it is being opened wait for that attempt and take its failure:
/// none waits much longer than one connect timeout (8 calls, 300 ms).
#[test]
fn calls_waiting_on_a_failing_open_take_its_failure() {
    let connect_timeout = Duration::from_millis(300);
    multi_thread().block_on(async {
        let (addr, _listener, _fill) = unanswering_listener();
        let pool = SharedPool::new(
            Connector::new(addr)
                .unwrap()
                .connect_timeout(connect_timeout)
                .read_timeout(Duration::from_millis(600)),
            1,
        );
        let calls: Vec<_> = (0..8)
            .map(|i| {
                let mut pool = pool.clone();
                tokio::spawn(async move {
                    let started = Instant::now();
                    let r = pool
                        .call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 1 })
                        .await;
                    (started.elapsed(), r)
                })
            })
            .collect();
        let mut longest = Duration::ZERO;
        for c in calls {
            let (took, r) = tokio::time::timeout(WAIT * 2, c).await.unwrap().unwrap();
            assert!(matches!(&r, Err(Error::Transport(_))), "{r:?}");
            longest = longest.max(took);
        }
        assert!(
            longest < connect_timeout * 3,
            "a call to an unreachable server waited {longest:?} (connect timeout \
             {connect_timeout:?}, read timeout 600 ms)"
        );
    });
}

/// Two places: place 0 has a connection, then the server answers no more
/// connects, and place 1's connect hangs (for up to a minute). The calls
/// whose turn is place 1's meanwhile take place 0's connection rather than
/// wait for that connect (they would wait only if no place were usable:
/// see above), nor start one of their own there (it would hang too).
#[test]
fn calls_to_a_place_that_is_connecting_take_a_usable_connection() {
    multi_thread().block_on(async {
        let (addr, listener) = short_queue_listener();
        let pool = SharedPool::new(
            Connector::new(addr)
                .unwrap()
                .connect_timeout(WAIT * 6)
                .read_timeout(WAIT),
            2,
        );
        // Turns alternate: even ones are place 0's, odd ones place 1's.
        let place0 = pool.client().await.unwrap();
        let (s, _) = tokio::time::timeout(WAIT, listener.accept())
            .await
            .unwrap()
            .unwrap();
        let s = s.into_std().unwrap();
        s.set_nonblocking(false).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        let server = thread::spawn(move || {
            let mut reader = replies(&s, Framing::Buffered);
            let mut out = s;
            let mut served = 0;
            while let Some((h, a)) = read_add(&mut reader) {
                let reply = add_reply(Framing::Buffered, "add", h.seqid, a.a + a.b);
                send(&mut out, &reply);
                served += 1;
            }
            served
        });
        let fill = fill_accept_queue(addr);
        // Turn 1: place 1 connects, and its connect hangs.
        let mut connecting = Box::pin(pool.client());
        tokio::select! {
            biased;
            r = &mut connecting => panic!("place 1 connected: {r:?}"),
            () = std::future::ready(()) => {}
        }
        for i in 0..6 {
            let mut p = &pool;
            let r =
                tokio::time::timeout(WAIT, p.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 1 }))
                    .await
                    .unwrap_or_else(|_| panic!("call {i} waited for place 1's connect"));
            assert_eq!(r.unwrap(), Ret::Success(i + 1), "call {i}");
        }
        // Several at once, too.
        let calls: Vec<_> = (0..6)
            .map(|i| {
                let mut p = pool.clone();
                tokio::spawn(
                    async move { p.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 2 }).await },
                )
            })
            .collect();
        for (i, call) in calls.into_iter().enumerate() {
            let r = tokio::time::timeout(WAIT, call)
                .await
                .unwrap_or_else(|_| panic!("call {i} waited for place 1's connect"))
                .unwrap();
            assert_eq!(r.unwrap(), Ret::Success(i as i32 + 2), "call {i}");
        }
        tokio::select! {
            biased;
            r = &mut connecting => panic!("place 1's connect ended: {r:?}"),
            () = std::future::ready(()) => {}
        }
        assert_eq!(pool.open(), 1);
        assert!(place0.is_usable());
        drop(connecting);
        drop((pool, place0));
        assert_eq!(
            server.join().unwrap(),
            12,
            "every call went through place 0"
        );
        drop(fill);
    });
}

/// Replies that keep arriving, each slowly (in pieces over 40% of the
/// read timeout), keep a connection that owes replies for far longer than
/// the read timeout alive: the silence rule counts bytes, not replies.
#[test]
fn steady_slow_replies_keep_a_busy_connection() {
    let t = Duration::from_millis(500);
    let (addr, server) = raw_server(move |mut s| {
        let mut reader = replies(&s, Framing::Buffered);
        while let Some((h, args)) = read_add(&mut reader) {
            let reply = add_reply(Framing::Buffered, &h.name, h.seqid, args.a + args.b);
            for piece in reply.chunks(reply.len().div_ceil(4)) {
                thread::sleep(t / 10);
                if s.write_all(piece).is_err() {
                    return;
                }
            }
        }
    });
    multi_thread().block_on(async {
        let shared = Connector::new(addr)
            .unwrap()
            .read_timeout(t)
            .connect_shared()
            .await
            .unwrap();
        let started = Instant::now();
        let tasks: Vec<_> = (0..2)
            .map(|k| {
                let mut c = shared.clone();
                tokio::spawn(async move {
                    for i in 0..6 {
                        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: k, b: i }).await;
                        assert_eq!(r.unwrap(), Ret::Success(k + i));
                    }
                })
            })
            .collect();
        for task in tasks {
            tokio::time::timeout(WAIT, task).await.unwrap().unwrap();
        }
        assert!(
            started.elapsed() > t * 2,
            "the connection was busy long enough"
        );
        assert!(shared.is_usable());
        drop(shared);
    });
    server.join().unwrap();
}

/// After a busy period and a silence longer than the read timeout with
/// nothing owed, a new call that takes most of the read timeout succeeds:
/// the silence counts from the new call.
#[test]
fn stale_heard_after_an_idle_gap() {
    let t = Duration::from_millis(600);
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(Arc::clone(&calc)));
    multi_thread().block_on(async {
        let shared = Connector::new(server.addr)
            .unwrap()
            .read_timeout(t)
            .connect_shared()
            .await
            .unwrap();
        let mut c = shared.clone();
        for i in 0..20 {
            let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 1 }).await;
            assert_eq!(r.unwrap(), Ret::Success(i + 1));
        }
        tokio::time::sleep(t * 2).await;
        let mut g = shared.clone();
        let slow = tokio::spawn(async move { g.call::<_, Ret<i32>>("gate", &NoArgs).await });
        assert!(until(WAIT, || calc.at_gate.load(Ordering::SeqCst) == 1).await);
        tokio::time::sleep(t / 3).await;
        calc.gate.add_permits(1);
        let r = tokio::time::timeout(WAIT, slow).await.unwrap().unwrap();
        assert_eq!(r.unwrap(), Ret::Success(1));
        assert!(shared.is_usable());
    });
}

/// With no read timeout, a reply that takes long is awaited and the
/// connection does not break.
#[test]
fn no_read_timeout_a_slow_reply_is_awaited() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(Arc::clone(&calc)));
    multi_thread().block_on(async {
        let shared = Connector::new(server.addr)
            .unwrap()
            .read_timeout(None)
            .connect_shared()
            .await
            .unwrap();
        let mut g = shared.clone();
        let slow = tokio::spawn(async move { g.call::<_, Ret<i32>>("gate", &NoArgs).await });
        assert!(until(WAIT, || calc.at_gate.load(Ordering::SeqCst) == 1).await);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(shared.is_usable());
        calc.gate.add_permits(1);
        let r = tokio::time::timeout(WAIT, slow).await.unwrap().unwrap();
        assert_eq!(r.unwrap(), Ret::Success(1));
    });
}

/// A pool connection whose tasks ran and whose runtime then shut down is
/// broken by the task guard, and the pool opens a new one.
#[test]
fn a_pool_connection_whose_runtime_shut_down_is_replaced() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(calc));
    let pool = SharedPool::new(
        connector(server.addr, ProtocolKind::Binary, Framing::Buffered),
        1,
    );
    let made_on = multi_thread();
    let first = made_on.block_on(async {
        let mut c = pool.clone();
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
        assert_eq!(r.unwrap(), Ret::Success(2));
        pool.client().await.unwrap()
    });
    drop(made_on);
    assert!(!first.is_usable(), "{first:?}");
    assert_eq!(pool.open(), 0);
    multi_thread().block_on(async {
        let mut c = pool.clone();
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 2, b: 2 }).await;
        assert_eq!(r.unwrap(), Ret::Success(4));
        assert_eq!(pool.open(), 1);
    });
}

/// Many tasks arriving at once at a pool of two open exactly two
/// connections, even when the first connects are slow to be accepted.
#[test]
fn concurrent_first_calls_open_one_connection_per_place() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(calc));
    multi_thread().block_on(async {
        let pool = SharedPool::new(
            connector(server.addr, ProtocolKind::Binary, Framing::Buffered),
            2,
        );
        let barrier = Arc::new(tokio::sync::Barrier::new(32));
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let (mut pool, barrier) = (pool.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    pool.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 1 })
                        .await
                })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            let r = tokio::time::timeout(WAIT, t).await.unwrap().unwrap();
            assert_eq!(r.unwrap(), Ret::Success(i as i32 + 1));
        }
        assert_eq!(pool.open(), 2);
        assert_eq!(server.handle.connections(), 2);
    });
}

// A pool and its call futures can be shared between threads and printed.
#[allow(dead_code)]
fn shareable(pool: &SharedPool) {
    fn handle<T: Send + Sync + Clone + std::fmt::Debug>() {}
    fn send<T: Send>(_: T) {}
    handle::<SharedPool>();
    handle::<SharedClient>();
    let mut r = pool;
    send(async move { r.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await });
}
