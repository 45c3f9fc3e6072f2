//! Replies in the event-driven mode are sent without waiting: one the peer
//! does not take at once waits with its connection for room, holding no
//! thread. These tests cover the replies that end a connection, the write
//! timeout (per reply, also for blocking writes), stops, fairness, input
//! read while a reply waits, the idle sweep, the in-flight budget, oneway
//! calls, resets, and the deadline of a message that arrives in part next
//! to these. Linux only (the mode needs epoll).
#![cfg(target_os = "linux")]

mod server_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::client::Channel;
use thriftc_runtime::protocol::MessageType;
use thriftc_runtime::transport::budget::ByteBudget;
use thriftc_runtime::{ApplicationErrorKind, Framing, ProtocolKind};

const P: ProtocolKind = ProtocolKind::Binary;

fn add_request(p: ProtocolKind, framing: Framing, seqid: i32) -> Vec<u8> {
    call_msg(p, framing, "add", seqid, &AddArgs { a: seqid, b: 1 })
}

/// `add` with no arguments: PROTOCOL_ERROR.
fn bad_add(p: ProtocolKind, framing: Framing, seqid: i32) -> Vec<u8> {
    call_msg(p, framing, "add", seqid, &NoArgs)
}

/// Writes `bytes` from another thread, not waiting for it to finish.
fn send_bg(s: &TcpStream, bytes: Vec<u8>, then_shut: bool) -> thread::JoinHandle<()> {
    let mut w = s.try_clone().unwrap();
    w.set_write_timeout(Some(Duration::from_secs(8))).unwrap();
    thread::spawn(move || {
        let _ = w.write_all(&bytes);
        if then_shut {
            let _ = w.shutdown(std::net::Shutdown::Write);
        }
    })
}

/// Writes all of `bytes` from another thread and waits until it is done.
fn send_whole(s: &TcpStream, bytes: Vec<u8>) {
    send_bg(s, bytes, false).join().unwrap();
}

/// How long an `add` on a fresh client takes.
fn add_latency(addr: SocketAddr, framing: Framing) -> Duration {
    let t = Instant::now();
    let mut c = connector(addr, P, framing)
        .read_timeout(Duration::from_secs(8))
        .connect()
        .unwrap();
    assert_eq!(add(&mut c, 2, 3).unwrap(), 5);
    t.elapsed()
}

fn event_server(threads: usize, framing: Framing) -> thriftc_runtime::server::ServerBuilder<Calc> {
    Threads::Events(threads)
        .apply(builder(Calc::default()))
        .framing(framing)
}

// PROTOCOL_ERROR before the close of an unframed connection, also when it
// follows a reply that had to wait, in both protocols.
#[test]
fn protocol_error_after_a_waiting_reply_is_delivered() {
    let _s = serial();
    for p in [ProtocolKind::Binary, ProtocolKind::Compact] {
        for framing in [Framing::Buffered, Framing::Framed] {
            let server = calc_server(Threads::Events(1), p, framing);
            let mut s = raw(server.local_addr());
            let mut all = echo_msg(p, framing, 1, 6 << 20);
            all.extend(bad_add(p, framing, 2));
            all.extend(add_request(p, framing, 3));
            let w = send_bg(&s, all, false);
            thread::sleep(Duration::from_millis(400));
            let mut r = replies(&s, framing);
            let (h, res) = read_reply::<Ret<Vec<u8>>>(&mut r, p).unwrap();
            assert_eq!(h.seqid, 1);
            assert!(matches!(res, Ok(Ret::Success(v)) if v.len() == 6 << 20));
            let (h, res) = read_reply::<Ret<i32>>(&mut r, p).unwrap();
            assert_eq!(
                (h.kind, h.seqid),
                (MessageType::Exception, 2),
                "{p:?} {framing:?}"
            );
            assert_eq!(res.unwrap_err().kind, ApplicationErrorKind::ProtocolError);
            if framing == Framing::Framed {
                let (h, res) = read_reply::<Ret<i32>>(&mut r, p).unwrap();
                assert_eq!(h.seqid, 3);
                assert!(matches!(res, Ok(Ret::Success(4))));
            } else {
                assert!(closed_within(&mut s, Duration::from_secs(2)), "{p:?}");
            }
            w.join().unwrap();
            server.stop();
        }
    }
}

// A half-closed peer that reads slowly (a little every 20 ms): little
// CPU, and the whole reply arrives.
#[test]
fn half_closed_trickle_reader_uses_little_cpu() {
    let _s = serial();
    let framing = Framing::Framed;
    let server = event_server(1, framing)
        .write_timeout(Duration::from_secs(20))
        .start();
    let mut s = raw(server.local_addr());
    let mut all = Vec::new();
    for i in 0..3 {
        all.extend(echo_msg(P, framing, i, 2 << 20));
    }
    send_bg(&s, all, true).join().unwrap();
    thread::sleep(Duration::from_millis(200));
    let before = proc_cpu_ticks();
    let t = Instant::now();
    let mut got = 0usize;
    let mut buf = vec![0u8; 64 << 10];
    while t.elapsed() < Duration::from_millis(1500) {
        got += s.read(&mut buf).unwrap();
        thread::sleep(Duration::from_millis(20));
    }
    let used = proc_cpu_ticks() - before;
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => panic!("{e} after {got}"),
        }
    }
    let want = 3 * echo_reply_len(P, framing, 2 << 20);
    assert_eq!(got, want);
    assert!(used < 40, "{used} ticks in 1.5 s of trickle reading");
    server.stop();
}

// The write timeout bounds each reply, not a run of pipelined replies.
#[test]
fn write_timeout_bounds_each_pipelined_reply_not_the_run() {
    let _s = serial();
    let framing = Framing::Framed;
    let server = event_server(1, framing)
        .write_timeout(Duration::from_millis(1500))
        .start();
    let mut s = raw(server.local_addr());
    let n = 6;
    let len = 4 << 20;
    let mut all = Vec::new();
    for i in 0..n {
        all.extend(echo_msg(P, framing, i, len));
    }
    let w = send_bg(&s, all, false);
    // Read at ~8 MiB/s: each 4 MiB reply takes ~0.5 s, the run ~3 s.
    let t = Instant::now();
    let mut got = 0usize;
    let mut buf = vec![0u8; 80 << 10];
    let total = n as usize * (len + 30);
    while got < total - 200 {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) => panic!("{e}"),
        }
        thread::sleep(Duration::from_millis(10));
    }
    let took = t.elapsed();
    assert!(
        took > Duration::from_millis(2000),
        "read too fast to test: {took:?}"
    );
    assert!(
        got >= total - 200,
        "cut after {got} of {total} bytes, {took:?}"
    );
    w.join().unwrap();
    server.stop();
}

// One reply that waits longer than the write timeout is cut.
#[test]
fn one_reply_slower_than_the_write_timeout_is_cut() {
    let _s = serial();
    let framing = Framing::Framed;
    let server = event_server(1, framing)
        .write_timeout(Duration::from_millis(800))
        .start();
    let mut s = raw(server.local_addr());
    send_whole(&s, echo_msg(P, framing, 1, 16 << 20));
    // Read ~1 MiB/s: 16 MiB would take 16 s.
    let t = Instant::now();
    let mut buf = vec![0u8; 10 << 10];
    let mut got = 0;
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => got += k,
        }
        thread::sleep(Duration::from_millis(10));
        assert!(t.elapsed() < Duration::from_secs(8), "not cut");
    }
    assert!(got < 16 << 20);
    assert!(eventually(Duration::from_secs(2), || server.connections() == 0));
    server.stop();
}

// The message timeout of a message that arrived in part before a write
// park is not measured from a stale start.
#[test]
fn partial_message_after_a_write_park_has_a_fresh_deadline() {
    let _s = serial();
    let framing = Framing::Framed;
    let server = event_server(1, framing)
        .message_timeout(Duration::from_millis(1000))
        .write_timeout(Duration::from_secs(10))
        .start();
    let mut s = raw(server.local_addr());
    let first = echo_msg(P, framing, 1, 8 << 20);
    let second = add_request(P, framing, 2);
    // Half of the first message, then (0.7 s later) the rest with half of
    // the second; nothing read for 1.5 s; then the rest of the second.
    let (a, b) = first.split_at(first.len() / 2);
    s.write_all(&a[..1000]).unwrap();
    let w = send_bg(&s, a[1000..].to_vec(), false);
    w.join().unwrap();
    thread::sleep(Duration::from_millis(700));
    let mut rest = b.to_vec();
    rest.extend_from_slice(&second[..10]);
    send_whole(&s, rest);
    thread::sleep(Duration::from_millis(1500));
    let mut r = replies(&s, framing);
    let (h, _) = read_reply::<Ret<Vec<u8>>>(&mut r, P).unwrap();
    assert_eq!(h.seqid, 1);
    thread::sleep(Duration::from_millis(300));
    s.write_all(&second[10..]).unwrap();
    let (h, res) = read_reply::<Ret<i32>>(&mut r, P).unwrap();
    assert_eq!(h.seqid, 2);
    assert!(matches!(res, Ok(Ret::Success(3))));
    server.stop();
}

// Stop delivers every waiting reply, several connections, two threads,
// compact unframed.
#[test]
fn stop_delivers_every_waiting_reply() {
    let _s = serial();
    let p = ProtocolKind::Compact;
    let framing = Framing::Buffered;
    let server = calc_server(Threads::Events(2), p, framing);
    let addr = server.local_addr();
    let len = 6 << 20;
    let want = echo_reply_len(p, framing, len)
        + message(
            p,
            framing,
            "add",
            MessageType::Reply,
            2,
            &Ret::Success(3i32),
        )
        .len();
    let mut socks = Vec::new();
    for _ in 0..4 {
        let s = raw(addr);
        let mut all = echo_msg(p, framing, 1, len);
        all.extend(call_msg(p, framing, "add", 2, &AddArgs { a: 1, b: 2 }));
        send_bg(&s, all, false);
        socks.push(s);
    }
    thread::sleep(Duration::from_millis(500));
    let stopper = thread::spawn(move || server.stop());
    thread::sleep(Duration::from_millis(200));
    for (i, mut s) in socks.into_iter().enumerate() {
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        // The add pipelined behind the waiting reply had arrived before the
        // stop: it is answered too (as for a request waiting for a thread).
        assert_eq!(got.len(), want, "connection {i}");
    }
    stopper.join().unwrap();
}

// A peer that pipelines without reading: the server stops reading (no
// unbounded replies buffered).
#[test]
fn a_peer_that_pipelines_without_reading_is_not_read_without_bound() {
    let _s = serial();
    let framing = Framing::Framed;
    let calc = Arc::new(Calc::default());
    let server = Threads::Events(1)
        .apply(builder(calc.clone()))
        .framing(framing)
        .start();
    let s = raw(server.local_addr());
    // 64 MiB of echo requests, each with a 64 KiB reply.
    let one = echo_msg(P, framing, 1, 64 << 10);
    let mut w = s.try_clone().unwrap();
    w.set_nonblocking(true).unwrap();
    let mut sent = 0usize;
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(2) && sent < 64 << 20 {
        let off = sent % one.len();
        match w.write(&one[off..]) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("{e}"),
        }
    }
    let calls = calc.calls.load(Ordering::SeqCst);
    eprintln!("accepted {sent} bytes, {calls} calls served");
    assert!(
        sent < 48 << 20,
        "the server took {sent} bytes without the peer reading"
    );
    assert!(add_latency(server.local_addr(), framing) < Duration::from_millis(500));
    drop(w);
    reset(s);
    assert!(eventually(Duration::from_secs(2), || server.connections() == 0));
    server.stop();
}

// A peer that resets the connection in the middle of a waiting reply.
#[test]
fn a_reset_in_the_middle_of_a_reply_releases_the_slot() {
    let _s = serial();
    for framing in [Framing::Buffered, Framing::Framed] {
        let server = event_server(1, framing).start();
        let addr = server.local_addr();
        for _ in 0..5 {
            let mut s = raw(addr);
            send_whole(&s, echo_msg(P, framing, 1, 8 << 20));
            thread::sleep(Duration::from_millis(100));
            let mut buf = vec![0u8; 100_000];
            s.read_exact(&mut buf).unwrap();
            reset(s);
        }
        assert!(
            eventually(Duration::from_secs(2), || server.connections() == 0),
            "{framing:?}: {} connections left",
            server.connections()
        );
        assert!(add_latency(addr, framing) < Duration::from_millis(500));
        server.stop();
    }
}

// Many slow readers with one thread: others still served at once, and
// little CPU while they wait.
#[test]
fn many_readers_that_do_not_read_leave_the_thread_free() {
    let _s = serial();
    let framing = Framing::Buffered;
    let server = event_server(1, framing)
        .write_timeout(Duration::from_secs(10))
        .start();
    let addr = server.local_addr();
    let mut socks = Vec::new();
    let mut writers = Vec::new();
    for i in 0..20 {
        let s = raw(addr);
        writers.push(send_bg(&s, echo_msg(P, framing, i, 3 << 20), false));
        socks.push(s);
    }
    for w in writers {
        w.join().unwrap();
    }
    thread::sleep(Duration::from_millis(300));
    let before = proc_cpu_ticks();
    let mut worst = Duration::ZERO;
    for _ in 0..10 {
        worst = worst.max(add_latency(addr, framing));
        thread::sleep(Duration::from_millis(50));
    }
    let used = proc_cpu_ticks() - before;
    assert!(worst < Duration::from_millis(300), "worst {worst:?}");
    assert!(used < 40, "{used} ticks");
    // Each reply is delivered in full when finally read.
    let want = echo_reply_len(P, framing, 3 << 20);
    for mut s in socks {
        let mut r = replies(&s, framing);
        let (_, res) = read_reply::<Ret<Vec<u8>>>(&mut r, P).unwrap();
        assert!(matches!(res, Ok(Ret::Success(v)) if v.len() == 3 << 20));
        s.shutdown(std::net::Shutdown::Write).unwrap();
        assert!(closed_within(&mut s, Duration::from_secs(2)));
        let _ = want;
    }
    assert!(eventually(Duration::from_secs(2), || server.connections() == 0));
    server.stop();
}

// The idle timeout does not close a connection whose reply waits; the
// buffer shrink of the sweep does not touch it.
#[test]
fn idle_sweep_leaves_a_waiting_reply_alone() {
    let _s = serial();
    let framing = Framing::Buffered;
    let server = event_server(1, framing)
        .idle_timeout(Duration::from_millis(200))
        .write_timeout(Duration::from_secs(5))
        .start();
    let s = raw(server.local_addr());
    let mut all = echo_msg(P, framing, 1, 8 << 20);
    all.extend(add_request(P, framing, 2));
    send_whole(&s, all);
    thread::sleep(Duration::from_millis(1200));
    let mut r = replies(&s, framing);
    let (_, res) = read_reply::<Ret<Vec<u8>>>(&mut r, P).unwrap();
    assert!(matches!(res, Ok(Ret::Success(v)) if v.len() == 8 << 20));
    let (h, res) = read_reply::<Ret<i32>>(&mut r, P).unwrap();
    assert_eq!(h.seqid, 2);
    assert!(matches!(res, Ok(Ret::Success(3))));
    // Then idle: closed by the idle timeout.
    let mut s = s;
    assert!(closed_within(&mut s, Duration::from_secs(2)));
    server.stop();
}

// A framed request charged to the budget does not keep its charge while
// its reply waits.
#[test]
fn a_waiting_reply_holds_no_budget() {
    let _s = serial();
    let framing = Framing::Framed;
    let server = event_server(2, framing)
        .in_flight_budget(Some(ByteBudget::new(3 << 20)))
        .message_timeout(Duration::from_secs(3))
        .start();
    let addr = server.local_addr();
    let mut socks = Vec::new();
    for i in 0..3 {
        let s = raw(addr);
        send_whole(&s, echo_msg(P, framing, i, 2 << 20));
        socks.push(s);
    }
    thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let mut c = client(addr, P, framing);
    match c
        .call::<_, Ret<Vec<u8>>>("echo_bin", &Args1(vec![1u8; 2 << 20]))
        .unwrap()
    {
        Ret::Success(v) => assert_eq!(v.len(), 2 << 20),
        other => panic!("{other:?}"),
    }
    assert!(
        t.elapsed() < Duration::from_millis(800),
        "{:?}",
        t.elapsed()
    );
    server.stop();
}

// A oneway call pipelined behind a waiting reply runs once the reply is
// taken.
#[test]
fn oneway_behind_a_waiting_reply_runs() {
    let _s = serial();
    let framing = Framing::Buffered;
    let calc = Arc::new(Calc::default());
    let server = Threads::Events(1)
        .apply(builder(calc.clone()))
        .framing(framing)
        .start();
    let s = raw(server.local_addr());
    let mut all = echo_msg(P, framing, 1, 8 << 20);
    all.extend(oneway_msg(P, framing, "fire", 2, &Args1(5i32)));
    all.extend(add_request(P, framing, 3));
    send_whole(&s, all);
    thread::sleep(Duration::from_millis(300));
    assert_eq!(calc.fired.load(Ordering::SeqCst), 0);
    let mut r = replies(&s, framing);
    let _ = read_reply::<Ret<Vec<u8>>>(&mut r, P).unwrap();
    let (h, _) = read_reply::<Ret<i32>>(&mut r, P).unwrap();
    assert_eq!(h.seqid, 3);
    assert_eq!(calc.fired.load(Ordering::SeqCst), 5);
    server.stop();
}

/// A framed `echo_bin` call whose frame claims one byte more than the
/// message, that byte never sent: the call is served, then skipping the
/// rest of the frame times out, and the connection closes.
fn short_frame(len: usize) -> Vec<u8> {
    let mut m = echo_msg(P, Framing::Framed, 1, len);
    let n = u32::from_be_bytes(m[..4].try_into().unwrap()) + 1;
    m[..4].copy_from_slice(&n.to_be_bytes());
    m
}

// A reply left waiting when the connection ends is not sent with a blocking
// write on the event thread: a peer that reads nothing does not hold the
// thread (beyond the message timeout its large message may hold it, which
// is documented).
#[test]
fn a_closing_connection_with_a_waiting_reply_holds_no_event_thread() {
    let _s = serial();
    let framing = Framing::Framed;
    let server = event_server(1, framing)
        .message_timeout(Duration::from_millis(500))
        .write_timeout(Duration::from_secs(4))
        .start();
    let addr = server.local_addr();
    let s = raw(addr);
    send_whole(&s, short_frame(12 << 20));
    // The message timeout has passed for the missing byte.
    thread::sleep(Duration::from_millis(1000));
    let latency = add_latency(addr, framing);
    reset(s);
    server.stop();
    assert!(
        latency < Duration::from_millis(500),
        "a second client waited {latency:?} for the only event thread"
    );
}

// The same with no write timeout: the thread is free all the same.
#[test]
fn without_a_write_timeout_a_closing_connection_holds_no_thread_either() {
    let _s = serial();
    let framing = Framing::Framed;
    let server = event_server(1, framing)
        .message_timeout(Duration::from_millis(500))
        .write_timeout(None)
        .start();
    let addr = server.local_addr();
    let s = raw(addr);
    send_whole(&s, short_frame(12 << 20));
    thread::sleep(Duration::from_millis(1000));
    let answered = {
        let t = Instant::now();
        let mut c = connector(addr, P, framing)
            .read_timeout(Duration::from_secs(3))
            .connect()
            .unwrap();
        add(&mut c, 2, 3).map(|_| t.elapsed())
    };
    reset(s);
    server.stop();
    assert!(
        answered.is_ok(),
        "a second client got no answer in 3 s: {answered:?}"
    );
}

// The write timeout of a blocking write (thread per connection here, and
// every blocking send of the event mode): how long a peer that reads nothing
// keeps the connection.
#[test]
fn a_blocking_reply_write_is_bounded_by_one_write_timeout() {
    let _s = serial();
    let framing = Framing::Framed;
    let server = calc_builder(Threads::PerConnection)
        .framing(framing)
        .write_timeout(Duration::from_secs(1))
        .start();
    let s = raw(server.local_addr());
    send_whole(&s, echo_msg(P, framing, 1, 12 << 20));
    let t = Instant::now();
    assert!(eventually(Duration::from_secs(5), || server.connections() == 0));
    let took = t.elapsed();
    server.stop();
    assert!(
        took < Duration::from_millis(1500),
        "a reply to a peer that reads nothing was written for {took:?} (write timeout 1 s)"
    );
}

// Stop right after a reply starts to wait: it is delivered whole (also when
// the stop begins while the thread is between serving and parking the
// connection, a window this test hits only by chance).
#[test]
fn stop_right_after_a_reply_starts_waiting_delivers_it() {
    let _s = serial();
    let framing = Framing::Framed;
    let server = event_server(1, framing).start();
    let mut s = raw(server.local_addr());
    let len = 12 << 20;
    let want = echo_reply_len(P, framing, len);
    send_whole(&s, echo_msg(P, framing, 1, len));
    thread::sleep(Duration::from_millis(300));
    let stopper = thread::spawn(move || server.stop());
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    stopper.join().unwrap();
    assert_eq!(got.len(), want, "the reply was cut");
}

// A write timeout of zero (no limit): a reply that is not read waits
// without a thread and the others are served; the connection stays (as a
// blocking write without a timeout would).
#[test]
fn zero_write_timeout_waits_without_a_thread() {
    let _s = serial();
    for wt in [None, Some(Duration::ZERO)] {
        let framing = Framing::Framed;
        let server = event_server(1, framing)
            .write_timeout(wt)
            .idle_timeout(Duration::from_millis(200))
            .start();
        let addr = server.local_addr();
        let s = raw(addr);
        send_whole(&s, echo_msg(P, framing, 1, 12 << 20));
        thread::sleep(Duration::from_millis(800));
        assert!(
            add_latency(addr, framing) < Duration::from_millis(300),
            "{wt:?}"
        );
        assert!(
            eventually(Duration::from_secs(1), || server.connections() == 1),
            "{wt:?}"
        );
        let mut r = replies(&s, framing);
        let (_, res) = read_reply::<Ret<Vec<u8>>>(&mut r, P).unwrap();
        assert!(matches!(res, Ok(Ret::Success(v)) if v.len() == 12 << 20));
        server.stop();
    }
}

// A turn that ends (Yield) with part of a message buffered does not keep
// the start of the message that was partial when the connection was parked:
// the new partial message gets its own deadline.
#[test]
fn a_message_partial_after_a_yield_gets_its_own_deadline() {
    let _s = serial();
    let framing = Framing::Framed;
    let server = event_server(1, framing)
        .message_timeout(Duration::from_millis(1000))
        .start();
    let mut s = raw(server.local_addr());
    let mut r = replies(&s, framing);
    let first = add_request(P, framing, 1);
    s.write_all(&first[..10]).unwrap();
    thread::sleep(Duration::from_millis(800));
    // The rest of #1, #2..#16, and the start of #17: the turn ends after
    // 16 messages with #17 partial.
    let mut more = first[10..].to_vec();
    for i in 2..=16 {
        more.extend(add_request(P, framing, i));
    }
    let last = add_request(P, framing, 17);
    more.extend_from_slice(&last[..10]);
    s.write_all(&more).unwrap();
    thread::sleep(Duration::from_millis(500));
    // #17 began 0.5 s ago, within its 1 s.
    s.write_all(&last[10..]).unwrap();
    for i in 1..=17 {
        let reply = read_reply::<Ret<i32>>(&mut r, P);
        assert!(
            matches!(&reply, Ok((h, Ok(Ret::Success(_)))) if h.seqid == i),
            "reply {i}: {reply:?}"
        );
    }
    server.stop();
}
