//! Stops of the event-driven mode against peers that keep sending, peers
//! whose last reply waits, and peers that reset: a stop answers what has
//! arrived (up to a turn's worth of messages per connection), returns
//! within the drain timeout, and leaves no connection open. Linux only.
#![cfg(target_os = "linux")]

mod server_support;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::{Framing, ProtocolKind};

const P: ProtocolKind = ProtocolKind::Binary;

/// Sends, from another thread, an `echo_bin` call of `len` bytes (a large
/// reply that waits when the peer does not read) and then an `add` without
/// arguments (PROTOCOL_ERROR, after which an unframed connection closes).
fn send_echo_then_bad_request(s: &std::net::TcpStream, len: usize) -> thread::JoinHandle<()> {
    let mut all = echo_msg(P, Framing::Buffered, 1, len);
    all.extend(call_msg(P, Framing::Buffered, "add", 2, &NoArgs));
    let mut w = s.try_clone().unwrap();
    thread::spawn(move || {
        let _ = w.write_all(&all);
    })
}

/// A peer that keeps sending oneway calls during a stop: stop returns at the
/// drain timeout, and the connection must be closed soon after.
#[test]
fn oneway_flood_during_stop() {
    let _s = serial();
    let server = calc_builder(Threads::Events(1))
        .drain_timeout(Duration::from_millis(800))
        .start();
    let addr = server.local_addr();
    let s = raw(addr);
    let one: Vec<u8> = (0..2000)
        .flat_map(|_| oneway_msg(P, Framing::Buffered, "fire", 0, &Args1(1i32)))
        .collect();
    let flood = Flood::start(&s, one, Duration::ZERO);
    thread::sleep(Duration::from_millis(200));
    let took = timed_stop(&server);
    let closed = eventually(Duration::from_secs(3), || server.connections() == 0);
    let conns = server.connections();
    let sent = flood.stop();
    eprintln!("stop took {took:?}, sent {sent}, connections after 3 s: {conns}");
    assert!(took < Duration::from_millis(1500), "stop took {took:?}");
    assert!(closed, "connection still open 3 s after stop: {conns}");
    let _ = s.shutdown(std::net::Shutdown::Both);
}

/// Same with two-way calls whose replies the peer reads.
#[test]
fn call_flood_during_stop() {
    let _s = serial();
    let server = calc_builder(Threads::Events(1))
        .drain_timeout(Duration::from_millis(800))
        .start();
    let addr = server.local_addr();
    let s = raw(addr);
    let one = call_msg(P, Framing::Buffered, "add", 0, &AddArgs { a: 1, b: 2 });
    let flood = Flood::start(&s, one, Duration::from_micros(200));
    let reader = drain(&s);
    thread::sleep(Duration::from_millis(200));
    let took = timed_stop(&server);
    let closed = eventually(Duration::from_secs(3), || server.connections() == 0);
    flood.stop();
    let _ = s.shutdown(std::net::Shutdown::Both);
    let n = reader.join().unwrap();
    eprintln!("stop took {took:?}, read {n}");
    assert!(took < Duration::from_millis(1500), "stop took {took:?}");
    assert!(closed);
}

/// A closing connection (PROTOCOL_ERROR reply waiting, peer does not read)
/// with no write timeout, stopped: stop returns at the drain timeout and the
/// connection closes.
#[test]
fn stop_with_a_closing_connection_and_no_write_timeout() {
    let _s = serial();
    let server = calc_builder(Threads::Events(1))
        .write_timeout(Duration::ZERO)
        .drain_timeout(Duration::from_millis(800))
        .start();
    let addr = server.local_addr();
    let s = raw(addr);
    // A big echo the peer does not read, then a bad request: the echo waits,
    // then PROTOCOL_ERROR, then close.
    let sender = send_echo_then_bad_request(&s, 8 << 20);
    thread::sleep(Duration::from_millis(700));
    // a second client is still served
    let mut c = client(addr, P, Framing::Buffered);
    assert_eq!(add(&mut c, 2, 3).unwrap(), 5);
    drop(c);
    let took = timed_stop(&server);
    let closed = eventually(Duration::from_secs(3), || server.connections() == 0);
    eprintln!("stop took {took:?}");
    let _ = s.shutdown(std::net::Shutdown::Both);
    sender.join().unwrap();
    assert!(took < Duration::from_millis(1500), "stop took {took:?}");
    assert!(closed);
}

/// Calc with a slow oneway method.
#[derive(Default)]
struct Slow(Calc, std::sync::atomic::AtomicUsize);

impl<
    I: thriftc_runtime::protocol::ProtocolRead + ?Sized,
    O: thriftc_runtime::protocol::ProtocolWrite + ?Sized,
> thriftc_runtime::processor::Processor<I, O> for Slow
{
    fn process(
        &self,
        h: &thriftc_runtime::protocol::MessageHeader,
        i: &mut I,
        o: &mut O,
    ) -> thriftc_runtime::Result<()> {
        if h.name == "slow_fire" {
            return thriftc_runtime::processor::serve_oneway(h, i, o, |a: Args1<i32>| {
                self.1.fetch_add(1, Ordering::SeqCst);
                thread::sleep(Duration::from_millis(a.0 as u64));
                Ok(())
            });
        }
        self.0.process(h, i, o)
    }
}

/// A peer that keeps sending slow oneway calls faster than they are served,
/// during a stop.
#[test]
fn slow_oneway_flood_during_stop() {
    slow_oneway_flood(Threads::Events(1));
}

#[test]
fn slow_oneway_flood_during_stop_thread_per_connection() {
    slow_oneway_flood(Threads::PerConnection);
}

fn slow_oneway_flood(mode: Threads) {
    let _s = serial();
    let slow = Arc::new(Slow::default());
    let server = mode
        .apply(thriftc_runtime::server::Server::builder(slow.clone()))
        .write_timeout(Duration::from_secs(2))
        .drain_timeout(Duration::from_millis(800))
        .start();
    let addr = server.local_addr();
    let s = raw(addr);
    let one: Vec<u8> = (0..50)
        .flat_map(|_| oneway_msg(P, Framing::Buffered, "slow_fire", 0, &Args1(2i32)))
        .collect();
    let flood = Flood::start(&s, one, Duration::ZERO);
    thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    server.stop();
    let took = t.elapsed();
    let at_stop = slow.1.load(Ordering::SeqCst);
    let closed = eventually(Duration::from_secs(3), || server.connections() == 0);
    let conns = server.connections();
    let after = t.elapsed();
    eprintln!(
        "oneway calls served: {at_stop} when stop returned, {} at {after:?}",
        slow.1.load(Ordering::SeqCst)
    );
    let sent = flood.stop();
    eprintln!("stop took {took:?}, sent {sent}, connections at {after:?}: {conns}");
    let _ = s.shutdown(std::net::Shutdown::Both);
    assert!(took < Duration::from_millis(1500), "stop took {took:?}");
    assert!(closed, "connection still open 3 s after stop: {conns}");
}

/// Closing (big echo waiting, then PROTOCOL_ERROR), then the peer resets:
/// the slot is released promptly, and another client is served.
#[test]
fn closing_then_reset() {
    let _s = serial();
    let server = calc_builder(Threads::Events(1)).start();
    let addr = server.local_addr();
    let s = raw(addr);
    let sender = send_echo_then_bad_request(&s, 8 << 20);
    thread::sleep(Duration::from_millis(700));
    assert_eq!(server.connections(), 1);
    reset(s);
    sender.join().unwrap();
    assert!(eventually(Duration::from_secs(2), || server.connections() == 0));
    let mut c = client(addr, P, Framing::Buffered);
    assert_eq!(add(&mut c, 2, 3).unwrap(), 5);
    drop(c);
    let t = Instant::now();
    server.stop();
    assert!(t.elapsed() < Duration::from_millis(500));
}

/// Closing, then a stop while the peer reads slowly: the peer gets the
/// echo and the PROTOCOL_ERROR, then EOF.
#[test]
fn closing_then_stop_with_slow_reader() {
    let _s = serial();
    let server = calc_builder(Threads::Events(2)).start();
    let addr = server.local_addr();
    let s = raw(addr);
    let len = 8 << 20;
    // Both requests are sent and received before the stop (a request still
    // arriving when the stop begins is not answered), and the echo's reply
    // (larger than the socket buffers) is waiting for the peer to read it.
    send_echo_then_bad_request(&s, len).join().unwrap();
    thread::sleep(Duration::from_millis(1000));
    let stopper = thread::spawn(move || {
        let t = Instant::now();
        server.stop();
        (t.elapsed(), server.connections())
    });
    thread::sleep(Duration::from_millis(100));
    let mut r = replies(&s, Framing::Buffered);
    let (h1, r1) = read_reply::<Ret<Vec<u8>>>(&mut r, P).unwrap();
    assert_eq!(h1.seqid, 1);
    assert_eq!(r1.unwrap(), Ret::Success(vec![7u8; len]));
    let (h2, r2) = read_reply::<Ret<i32>>(&mut r, P).unwrap();
    assert_eq!(h2.seqid, 2);
    assert_eq!(
        r2.unwrap_err().kind,
        thriftc_runtime::ApplicationErrorKind::ProtocolError
    );
    assert!(read_reply::<Ret<i32>>(&mut r, P).is_err());
    let (took, conns) = stopper.join().unwrap();
    eprintln!("stop took {took:?}, conns {conns}");
    assert_eq!(conns, 0);
}

/// One thread; peer A keeps pipelining calls (and reads the replies); peer
/// B's request arrives just before the stop. B should be answered.
#[test]
fn a_flooding_peer_starves_a_request_that_arrived_before_the_stop() {
    let _s = serial();
    let server = calc_builder(Threads::Events(1))
        .drain_timeout(Duration::from_secs(1))
        .start();
    let addr = server.local_addr();
    let a = raw(addr);
    let batch: Vec<u8> = (0..200)
        .flat_map(|i| call_msg(P, Framing::Buffered, "add", i, &AddArgs { a: 1, b: 2 }))
        .collect();
    let flood = Flood::start(&a, batch, Duration::ZERO);
    let reader = drain(&a);
    thread::sleep(Duration::from_millis(300));
    let mut b = raw(addr);
    thread::sleep(Duration::from_millis(150));
    assert_eq!(server.connections(), 2);
    send(
        &mut b,
        &call_msg(P, Framing::Buffered, "add", 7, &AddArgs { a: 2, b: 3 }),
    );
    let took = timed_stop(&server);
    flood.stop();
    let mut rb = replies(&b, Framing::Buffered);
    let got = read_reply::<Ret<i32>>(&mut rb, P);
    let _ = a.shutdown(std::net::Shutdown::Both);
    reader.join().unwrap();
    eprintln!("stop took {took:?}; B got {got:?}");
    let (h, v) = got.expect("B's request, which arrived before the stop, was not answered");
    assert_eq!(h.seqid, 7);
    assert_eq!(v.unwrap(), Ret::Success(5));
}
