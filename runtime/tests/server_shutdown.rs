//! Graceful shutdown: idle connections close at once, in-flight calls
//! deliver their replies, stuck handlers do not hold `stop` past the drain
//! timeout, and `stop` is idempotent.

mod server_support;

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::{Framing, ProtocolKind};

#[test]
fn stop_with_idle_connections_is_quick_and_frees_the_port() {
    for threads in [
        Threads::PerConnection,
        Threads::Pool(16),
        Threads::Events(2),
    ] {
        let server = calc_builder(threads).start();
        let addr = server.local_addr();
        let mut clients: Vec<_> = (0..10)
            .map(|i| {
                let mut c = client(addr, ProtocolKind::Binary, Framing::Buffered);
                assert_eq!(add(&mut c, i, 1).unwrap(), i + 1);
                c
            })
            .collect();
        let took = timed_stop(&server);
        assert!(
            took < Duration::from_secs(1),
            "{threads:?}: stop took {took:?}"
        );
        assert_eq!(server.connections(), 0);
        assert!(server.is_stopped());
        // The idle connections were closed by the server.
        for c in &mut clients {
            assert!(add(c, 1, 1).is_err());
        }
        // The port can be bound again at once.
        let again = TcpListener::bind(addr).expect("rebind after stop");
        drop(again);
    }
}

#[test]
fn stop_lets_an_in_flight_call_finish_and_refuses_new_connections() {
    for threads in [Threads::PerConnection, Threads::Events(2)] {
        in_flight_call_finishes(threads);
    }
}

fn in_flight_call_finishes(threads: Threads) {
    let calc = Arc::new(Calc::default());
    let server = threads.apply(builder(calc.clone())).start();
    let addr = server.local_addr();
    // An idle connection too: stop closes it while the call goes on.
    let mut idle = client(addr, ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut idle, 1, 1).unwrap(), 2);
    let call = call_stuck_at_gate(addr, &calc);

    let stopper = {
        let server = server.clone();
        thread::spawn(move || {
            server.stop();
            Instant::now()
        })
    };
    // New connections are refused once stop has begun.
    assert!(eventually(Duration::from_secs(5), || TcpStream::connect(
        addr
    )
    .is_err()));
    assert!(
        !stopper.is_finished(),
        "stop must wait for the in-flight call"
    );

    let opened = Instant::now();
    calc.gate.open();
    let reply = call.join().unwrap();
    assert_eq!(reply.unwrap(), Ret::Success(1));
    let stopped = stopper.join().unwrap();
    assert!(stopped >= opened);
    assert!(server.is_stopped());
    assert!(add(&mut idle, 1, 1).is_err());
}

#[test]
fn stop_with_a_stuck_handler_returns_after_the_drain_timeout() {
    for threads in [Threads::PerConnection, Threads::Events(1)] {
        stuck_handler(threads);
    }
}

fn stuck_handler(threads: Threads) {
    let calc = Arc::new(Calc::default());
    let server = threads
        .apply(builder(calc.clone()))
        .drain_timeout(Duration::from_millis(200))
        .start();
    let addr = server.local_addr();
    // Served before the only event thread (with `Events(1)`) gets stuck.
    let mut idle = client(addr, ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut idle, 1, 1).unwrap(), 2);
    let call = call_stuck_at_gate(addr, &calc);
    let started = Instant::now();
    server.stop();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(200), "stop took {took:?}");
    assert!(took < Duration::from_millis(1500), "stop took {took:?}");
    // The stuck call's socket was force-closed: the client sees an error,
    // well before the handler would have returned.
    let reply = call.join().unwrap();
    assert!(reply.is_err());
    assert!(started.elapsed() < GATE_MAX);
    // The idle connection was closed and released too, although no thread
    // was free: only the stuck call's connection is left.
    assert!(add(&mut idle, 1, 1).is_err(), "{threads:?}");
    assert_eq!(server.connections(), 1, "{threads:?}");
    calc.gate.open();
    TcpListener::bind(addr).expect("rebind after stop");
}

#[test]
fn stop_is_idempotent_concurrent_and_fine_before_serve() {
    // Before serve: serve returns at once and the port is free.
    let server = builder(Calc::default()).bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr();
    let handle = server.handle();
    handle.stop();
    handle.stop();
    let started = Instant::now();
    server.serve().unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
    TcpListener::bind(addr).expect("rebind after stop before serve");

    // Concurrently, from several threads, while connections are open.
    let server = builder(Calc::default()).start();
    let mut c = client(server.local_addr(), ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
    let stoppers: Vec<_> = (0..4)
        .map(|_| {
            let s = server.clone();
            thread::spawn(move || s.stop())
        })
        .collect();
    for s in stoppers {
        s.join().unwrap();
    }
    assert!(server.is_stopped());
    server.stop();
}

#[test]
fn serve_in_the_foreground_returns_after_stop() {
    let server = builder(Calc::default()).bind("127.0.0.1:0").unwrap();
    let handle = server.handle();
    let addr = server.local_addr();
    let fg = thread::spawn(move || server.serve());
    let mut c = client(addr, ProtocolKind::Compact, Framing::Buffered);
    assert!(add(&mut c, 1, 2).is_err(), "binary server, compact client");
    let mut c = client(addr, ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
    handle.stop();
    fg.join().unwrap().unwrap();
}
