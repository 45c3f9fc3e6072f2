//! Slow, broken and hostile peers (slowloris, idle and half-sent messages,
//! slow readers, clients gone before the reply, blocked handlers, oversized
//! and stalled frames): every case is bounded by a timeout, and the server
//! keeps answering everyone else.

mod server_support;

use std::io::{Read, Write};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::client::Channel;
use thriftc_runtime::transport::ByteBudget;
use thriftc_runtime::{Framing, ProtocolKind};

const SHORT: Duration = Duration::from_millis(200);

fn short_timeouts<P: thriftc_runtime::server::ServerProcessor>(
    calc: P,
) -> thriftc_runtime::server::ServerBuilder<P> {
    builder(calc)
        .idle_timeout(SHORT)
        .message_timeout(SHORT)
        .write_timeout(SHORT)
}

#[test]
fn slowloris_connections_are_closed_and_a_fresh_client_is_served() {
    let modes = [Framing::Buffered, Framing::Framed]
        .into_iter()
        .flat_map(|f| [(f, Threads::Pool(2)), (f, Threads::Events(2))]);
    for (framing, threads) in modes {
        // Two threads, four slow senders, a long idle timeout: only the
        // message deadline (200 ms) can free the threads.
        let server = threads
            .apply(short_timeouts(Calc::default()))
            .idle_timeout(Duration::from_secs(30))
            .framing(framing)
            .start();
        let addr = server.local_addr();
        let slow: Vec<_> = (0..4)
            .map(|_| {
                thread::spawn(move || {
                    let mut s = raw(addr);
                    let args = AddArgs { a: 1, b: 2 };
                    let msg = call_msg(ProtocolKind::Binary, framing, "add", 1, &args);
                    // One byte every 100 ms (the frame header too, when
                    // framed): the message never completes in time.
                    let started = Instant::now();
                    for b in msg {
                        if s.write_all(&[b]).is_err() {
                            break;
                        }
                        thread::sleep(Duration::from_millis(100));
                        if started.elapsed() > Duration::from_secs(3) {
                            break;
                        }
                    }
                    closed_within(&mut s, Duration::from_secs(3))
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(50));
        let started = Instant::now();
        let mut c = client(addr, ProtocolKind::Binary, framing);
        assert_eq!(add(&mut c, 2, 2).unwrap(), 4);
        let took = started.elapsed();
        assert!(
            took < SHORT + Duration::from_secs(1),
            "fresh client waited {took:?}"
        );
        for t in slow {
            assert!(t.join().unwrap(), "a slow sender was not disconnected");
        }
        server.stop();
    }
}

#[test]
fn idle_connections_are_closed_after_the_idle_timeout() {
    for threads in [Threads::PerConnection, Threads::Events(1)] {
        let server = threads.apply(short_timeouts(Calc::default())).start();
        // One connection that never sends, one that goes idle after a call.
        let mut s = raw(server.local_addr());
        let mut c = client(server.local_addr(), ProtocolKind::Binary, Framing::Buffered);
        assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
        let started = Instant::now();
        assert!(closed_within(&mut s, Duration::from_secs(3)), "{threads:?}");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(150) && took < Duration::from_secs(2),
            "{threads:?}: {took:?}"
        );
        assert!(
            eventually(Duration::from_secs(2), || server.connections() == 0),
            "{threads:?}: {} connections left",
            server.connections()
        );
        assert!(add(&mut c, 1, 2).is_err(), "{threads:?}");
        server.stop();
    }
}

#[test]
fn half_a_message_then_close_frees_the_connection_quickly() {
    let modes = [Framing::Buffered, Framing::Framed]
        .into_iter()
        .flat_map(|f| [(f, Threads::PerConnection), (f, Threads::Events(1))]);
    for (framing, threads) in modes {
        let server = calc_builder(threads).framing(framing).start();
        let msg = call_msg(
            ProtocolKind::Binary,
            framing,
            "add",
            1,
            &AddArgs { a: 1, b: 2 },
        );
        // The peer leaves half-way: the worker returns at once.
        let mut s = raw(server.local_addr());
        send(&mut s, &msg[..msg.len() / 2]);
        assert!(eventually(Duration::from_secs(2), || server.connections() == 1));
        drop(s);
        assert!(eventually(Duration::from_secs(2), || server.connections() == 0));
        server.stop();

        // The peer stays but stalls half-way: the message deadline closes it.
        let server = threads
            .apply(short_timeouts(Calc::default()))
            .framing(framing)
            .start();
        let mut s = raw(server.local_addr());
        send(&mut s, &msg[..msg.len() / 2]);
        let started = Instant::now();
        assert!(closed_within(&mut s, Duration::from_secs(3)));
        assert!(started.elapsed() < Duration::from_secs(2));
        server.stop();
    }
}

#[test]
fn slow_reader_is_cut_off_by_the_write_timeout() {
    let server = short_timeouts(Calc::default())
        .idle_timeout(Duration::from_secs(10))
        .start();
    let addr = server.local_addr();
    let s = raw(addr);
    // Ask for 64 MiB of replies without ever reading them: the socket
    // buffers fill and the server's write blocks.
    let writer = {
        let mut s = s.try_clone().unwrap();
        thread::spawn(move || {
            let big = vec![7u8; 1 << 20];
            let msg = call_msg(
                ProtocolKind::Binary,
                Framing::Buffered,
                "echo_bin",
                1,
                &Args1(big),
            );
            for _ in 0..64 {
                if s.write_all(&msg).is_err() {
                    break;
                }
            }
        })
    };
    assert!(
        eventually(Duration::from_secs(10), || server.connections() == 0),
        "slow reader still connected"
    );
    writer.join().unwrap();
    drop(s);
    let mut c = client(addr, ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
    server.stop();
}

#[test]
fn a_reader_that_trickles_is_cut_off_when_the_write_timeout_has_passed() {
    const REPLY: usize = 24 << 20;
    for threads in [Threads::PerConnection, Threads::Events(1)] {
        // The timeout bounds the whole reply: reading 512 KiB every 100 ms
        // lets every single write progress within 1 s, but the 24 MiB
        // reply (beyond what the socket buffers hold) takes longer.
        let server = calc_builder(threads)
            .write_timeout(Duration::from_secs(1))
            .start();
        let mut s = raw(server.local_addr());
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        send(
            &mut s,
            &call_msg(
                ProtocolKind::Binary,
                Framing::Buffered,
                "echo_bin",
                1,
                &Args1(vec![7u8; REPLY]),
            ),
        );
        let mut chunk = vec![0u8; 512 * 1024];
        let mut got = 0;
        loop {
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
            thread::sleep(Duration::from_millis(100));
        }
        assert!(
            got < REPLY,
            "{threads:?}: the whole reply was sent to a reader that trickled"
        );
        server.stop();
    }
}

#[test]
fn client_gone_before_the_reply_is_harmless() {
    let calc = Arc::new(Calc::default());
    let server = builder(calc.clone()).start();
    let addr = server.local_addr();
    for _ in 0..20 {
        let mut s = raw(addr);
        let big = vec![1u8; 256 * 1024];
        let mut msg = call_msg(
            ProtocolKind::Binary,
            Framing::Buffered,
            "sleep",
            1,
            &Args1(20i32),
        );
        msg.extend(call_msg(
            ProtocolKind::Binary,
            Framing::Buffered,
            "echo_bin",
            2,
            &Args1(big),
        ));
        send(&mut s, &msg);
        drop(s); // gone before either reply (EPIPE or reset on the server)
    }
    assert!(eventually(Duration::from_secs(5), || server.connections() == 0));
    let mut c = client(addr, ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut c, 5, 5).unwrap(), 10);
    server.stop();
}

#[test]
fn a_blocked_handler_costs_only_its_own_thread() {
    for threads in [Threads::PerConnection, Threads::Pool(2), Threads::Events(2)] {
        let calc = Arc::new(Calc::default());
        let server = threads.apply(builder(calc.clone())).start();
        let addr = server.local_addr();
        let call = call_stuck_at_gate(addr, &calc);
        for i in 0..5 {
            let mut c = client(addr, ProtocolKind::Binary, Framing::Buffered);
            assert_eq!(add(&mut c, i, i).unwrap(), 2 * i);
        }
        calc.gate.open();
        assert_eq!(call.join().unwrap().unwrap(), Ret::Success(1));
        server.stop();
    }
}

#[test]
fn frame_limits_are_enforced_before_reading_the_frame() {
    let server = builder(Calc::default()).framing(Framing::Framed).start();
    let addr = server.local_addr();
    // 16,384,001 bytes announced: closed without reading (or allocating) it.
    let mut s = raw(addr);
    send(&mut s, &16_384_001u32.to_be_bytes());
    let started = Instant::now();
    assert!(closed_within(&mut s, Duration::from_secs(3)));
    assert!(started.elapsed() < Duration::from_secs(1));

    // A message header that runs past the end of its frame does not read
    // into the next frame: with no seqid to answer, the connection closes
    // with no reply.
    let mut s = raw(addr);
    let good = call_msg(
        ProtocolKind::Binary,
        Framing::Framed,
        "add",
        2,
        &AddArgs { a: 1, b: 2 },
    );
    let mut bytes = good.clone();
    let cut = 10u32; // shorter than the message inside
    bytes[..4].copy_from_slice(&cut.to_be_bytes());
    bytes.truncate(4 + cut as usize);
    bytes.extend(&good);
    send(&mut s, &bytes);
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(n) => assert_eq!(n, 0, "the server answered: {:?}", &buf[..n]),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    server.stop();
}

#[test]
fn concurrent_large_frames_share_the_in_flight_budget() {
    let budget = ByteBudget::new(8 << 20);
    let server = builder(Calc::default())
        .framing(Framing::Framed)
        .in_flight_budget(Some(budget.clone()))
        .start();
    let addr = server.local_addr();
    let clients: Vec<_> = (0..8u8)
        .map(|i| {
            thread::spawn(move || {
                let mut c = client(addr, ProtocolKind::Binary, Framing::Framed);
                let arg = vec![i; 3 << 20];
                let back: Ret<Vec<u8>> = c.call("echo_bin", &Args1(arg.clone())).unwrap();
                assert_eq!(back, Ret::Success(arg));
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    eprintln!(
        "8 x 3 MiB frames, 8 MiB budget: peak charge {} bytes",
        budget.peak()
    );
    assert!(budget.peak() <= 8 << 20, "peak {}", budget.peak());
    assert!(budget.peak() >= 3 << 20);
    assert!(eventually(Duration::from_secs(2), || budget.in_use() == 0));
    server.stop();
}

#[test]
fn a_stalled_large_frame_holds_the_budget_only_until_its_deadline() {
    let budget = ByteBudget::new(1 << 20);
    let server = short_timeouts(Calc::default())
        .idle_timeout(Duration::from_secs(10))
        .message_timeout(Duration::from_millis(300))
        .framing(Framing::Framed)
        .in_flight_budget(Some(budget.clone()))
        .start();
    let addr = server.local_addr();
    // Announce a 1 MiB frame and stall: the whole budget is charged.
    let mut staller = raw(addr);
    send(&mut staller, &(1u32 << 20).to_be_bytes());
    assert!(eventually(Duration::from_secs(2), || budget.in_use() == 1 << 20));
    // Small frames are not charged: served at once.
    let mut c = client(addr, ProtocolKind::Binary, Framing::Framed);
    let started = Instant::now();
    assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
    assert!(started.elapsed() < Duration::from_millis(250));
    // A large frame waits until the staller's deadline frees the budget
    // (its wait is bounded by the message timeout too, and starts well
    // after the staller's).
    thread::sleep(Duration::from_millis(150));
    let arg = vec![3u8; 512 << 10];
    let back: Ret<Vec<u8>> = c.call("echo_bin", &Args1(arg.clone())).unwrap();
    assert_eq!(back, Ret::Success(arg));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(closed_within(&mut staller, Duration::from_secs(2)));
    assert!(eventually(Duration::from_secs(2), || budget.in_use() == 0));
    server.stop();
}

/// A reply over the server's frame limit is answered with an
/// `INTERNAL_ERROR` exception (nothing of the reply was sent), and the
/// connection goes on; a request over the client's own frame limit is
/// refused before anything is sent, and the client stays usable.
#[test]
fn messages_over_the_frame_limit_leave_the_connection_usable() {
    use thriftc_runtime::{ApplicationErrorKind, Error, Limits, TransportErrorKind};
    let (p, f) = (ProtocolKind::Binary, Framing::Framed);
    let limits = Limits::default().with_max_frame_size(100);
    for threads in [Threads::PerConnection, Threads::Events(1)] {
        let server = threads
            .apply(builder(Calc::default()))
            .limits(limits)
            .wire(p, f)
            .start();
        let mut c = client(server.local_addr(), p, f);
        // The request fits in 100 bytes; its reply (the string echoed
        // inside an exception struct) does not.
        match c.call::<_, Ret<i32>>("oops", &Args1("x".repeat(76))) {
            Err(Error::Application(e)) => {
                assert_eq!(
                    e.kind,
                    ApplicationErrorKind::InternalError,
                    "{threads:?}: {e}"
                )
            }
            other => panic!("{threads:?}: {other:?}"),
        }
        assert_eq!(add(&mut c, 1, 2).unwrap(), 3, "{threads:?}");
        server.stop();
    }

    // An error reply over the limit goes without its message.
    for threads in [Threads::PerConnection, Threads::Events(1)] {
        let server = threads
            .apply(builder(Calc::default()))
            .limits(Limits::default().with_max_frame_size(60))
            .wire(p, f)
            .start();
        let mut c = client(server.local_addr(), p, f);
        match c.call::<_, Ret<i32>>("undeclared", &NoArgs) {
            Err(Error::Application(e)) => assert_eq!(
                (e.kind, e.message.as_str()),
                (ApplicationErrorKind::InternalError, ""),
                "{threads:?}"
            ),
            other => panic!("{threads:?}: {other:?}"),
        }
        assert_eq!(add(&mut c, 1, 2).unwrap(), 3, "{threads:?}");
        server.stop();
    }

    let server = calc_server(Threads::PerConnection, p, f);
    let mut c = connector(server.local_addr(), p, f)
        .limits(limits)
        .connect()
        .unwrap();
    match c.call::<_, Ret<Vec<u8>>>("echo_bin", &Args1(vec![0u8; 200])) {
        Err(Error::Transport(t)) => assert_eq!(t.kind, TransportErrorKind::SizeLimit, "{t}"),
        other => panic!("{other:?}"),
    }
    assert!(c.is_usable());
    assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
    server.stop();
}
