//! Graceful shutdown: idle connections close at once, in-flight calls
//! deliver their replies, stuck handlers do not hold `stop` past the drain
//! timeout, and `stop` is idempotent.

mod server_support;

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::client::Channel;
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

/// Requests that have wholly arrived when a stop begins are answered, in
/// every mode: pipelined behind a call in progress, and on a connection
/// still queued for a worker.
#[test]
fn stop_answers_the_requests_that_have_arrived() {
    use std::io::Write;
    let (p, f) = (ProtocolKind::Binary, Framing::Framed);
    for threads in [Threads::PerConnection, Threads::Pool(2), Threads::Events(2)] {
        let server = calc_builder(threads).wire(p, f).start();
        let mut s = raw(server.local_addr());
        let mut both = call_msg(p, f, "sleep", 1, &Args1(300));
        both.extend(call_msg(p, f, "add", 2, &AddArgs { a: 2, b: 3 }));
        s.write_all(&both).unwrap();
        thread::sleep(Duration::from_millis(100));
        let stopper = {
            let server = server.clone();
            thread::spawn(move || server.stop())
        };
        let mut r = replies(&s, f);
        let first = read_reply::<Ret<i32>>(&mut r, p).unwrap();
        let second = read_reply::<Ret<i32>>(&mut r, p);
        stopper.join().unwrap();
        assert_eq!((first.0.seqid, first.1.unwrap()), (1, Ret::Success(300)));
        let second = second.unwrap_or_else(|e| panic!("{threads:?}: pipelined call lost: {e}"));
        assert_eq!((second.0.seqid, second.1.unwrap()), (2, Ret::Success(5)));
    }

    // One worker, busy; a second connection's whole request waits in the
    // queue when the stop begins.
    let server = calc_builder(Threads::Pool(1)).wire(p, f).start();
    let addr = server.local_addr();
    let busy = thread::spawn(move || {
        let mut c = client(addr, p, f);
        c.call::<_, Ret<i32>>("sleep", &Args1(400)).unwrap()
    });
    thread::sleep(Duration::from_millis(100));
    let mut s = raw(addr);
    s.write_all(&call_msg(p, f, "add", 5, &AddArgs { a: 2, b: 3 }))
        .unwrap();
    thread::sleep(Duration::from_millis(100));
    let stopper = {
        let server = server.clone();
        thread::spawn(move || server.stop())
    };
    let queued = read_reply::<Ret<i32>>(&mut replies(&s, f), p)
        .unwrap_or_else(|e| panic!("the queued request was lost: {e}"));
    assert_eq!((queued.0.seqid, queued.1.unwrap()), (5, Ret::Success(5)));
    assert_eq!(busy.join().unwrap(), Ret::Success(400));
    stopper.join().unwrap();
}

/// A large reply in flight when the stop begins reaches a client that has
/// meanwhile sent part of another request (never answered) and reads the
/// reply late.
#[test]
fn stop_delivers_a_large_reply_over_unread_input() {
    use std::io::Write;
    let (p, f) = (ProtocolKind::Binary, Framing::Framed);
    let len = 8 << 20;
    for threads in [Threads::PerConnection, Threads::Pool(2)] {
        let server = calc_builder(threads).wire(p, f).start();
        let mut s = raw(server.local_addr());
        s.write_all(&echo_msg(p, f, 1, len)).unwrap();
        thread::sleep(Duration::from_millis(100));
        // The start of a second request: its frame header and 3 bytes.
        s.write_all(&[0, 0, 0, 40, 0x80, 1, 0]).unwrap();
        thread::sleep(Duration::from_millis(50));
        let stopper = {
            let server = server.clone();
            thread::spawn(move || server.stop())
        };
        thread::sleep(Duration::from_millis(300));
        assert_echoed(&s, p, f, len, threads);
        stopper.join().unwrap();
    }
}

/// A large reply still on its way when the server closes the connection
/// (here because of garbage pipelined behind its request) arrives whole:
/// closing over unread input must not reset the connection first.
#[test]
fn a_close_over_unread_input_delivers_the_last_reply() {
    use std::io::Write;
    let (p, f) = (ProtocolKind::Binary, Framing::Buffered);
    let len = 8 << 20;
    for threads in [Threads::PerConnection, Threads::Pool(2), Threads::Events(2)] {
        let server = calc_builder(threads).wire(p, f).start();
        let mut s = raw(server.local_addr());
        let mut bytes = echo_msg(p, f, 1, len);
        // Not a message: the server gives up on the connection here.
        bytes.extend(vec![0xffu8; 64 * 1024]);
        s.write_all(&bytes).unwrap();
        // Read late, when the server has filled the socket's buffers.
        thread::sleep(Duration::from_millis(300));
        assert_echoed(&s, p, f, len, threads);
        server.stop();
    }
}

/// Reads the reply to an `echo_bin` of `len` bytes from `s`.
fn assert_echoed(s: &TcpStream, p: ProtocolKind, f: Framing, len: usize, threads: Threads) {
    let reply = read_reply::<Ret<Vec<u8>>>(&mut replies(s, f), p)
        .unwrap_or_else(|e| panic!("{threads:?}: the reply was lost: {e}"));
    match reply.1.unwrap() {
        Ret::Success(v) => assert_eq!(v.len(), len, "{threads:?}"),
        other => panic!("{threads:?}: {other:?}"),
    }
}

/// A drain timeout too long to add to the clock means no deadline; it used
/// to make `stop` panic (and every later `stop` wait forever).
#[test]
fn stop_with_an_unbounded_drain_timeout() {
    let server = builder(Calc::default())
        .drain_timeout(Duration::MAX)
        .start();
    let mut c = client(server.local_addr(), ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
    let stopper = {
        let server = server.clone();
        thread::spawn(move || server.stop())
    };
    assert!(eventually(Duration::from_secs(5), || stopper.is_finished()));
    stopper.join().expect("stop panicked");
    assert!(server.is_stopped());
}
