//! `SharedClient` at its edges (feature `tokio`): a break while a write is
//! stuck, replies that never come, the connection's tasks gone, cancelled
//! calls at every await point, a server closing midway, bad frame
//! headers, multiplexed views, no read timeout. Every wait is bounded.

mod server_support;
mod tokio_support;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc as std_mpsc;
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::client::Multiplexed;
use thriftc_runtime::tokio::{AsyncChannel, AsyncMultiplexed, SharedClient};
use thriftc_runtime::{ApplicationErrorKind, Connector, Error, Framing, TransportErrorKind};
use tokio_support::{
    AsyncCalc, add_reply, async_builder, multi_thread, raw_server, read_add, start, until,
};

const WAIT: Duration = Duration::from_secs(10);

fn transport_msg<T: std::fmt::Debug>(r: &thriftc_runtime::Result<T>) -> String {
    match r {
        Err(Error::Transport(t)) => t.to_string(),
        other => panic!("not a transport error: {other:?}"),
    }
}

/// The connection breaks while a write is stuck (the server stopped
/// reading): the write ends, and the requests still queued fail with the
/// reason instead of waiting for a reply that cannot come. The large call
/// was written in part and fails as sent; the call and the oneway call
/// queued behind it were never written and fail as unsent
/// (`Error::is_unsent`).
#[test]
fn a_break_while_a_write_is_stuck_fails_the_calls_still_queued() {
    let (started_tx, started_rx) = std_mpsc::channel::<()>();
    let (go_tx, go_rx) = std_mpsc::channel::<()>();
    let (addr, server) = raw_server(move |mut s| {
        // The big request starts arriving; nothing more is read.
        let mut b = [0u8; 1];
        s.peek(&mut b).unwrap();
        started_tx.send(()).unwrap();
        go_rx.recv_timeout(WAIT).unwrap();
        // A reply no call awaits: the client's reader breaks the connection.
        send(&mut s, &add_reply(Framing::Buffered, "add", 999, 0));
        // The socket stays open, unread, until the test ends.
        let _ = go_rx.recv_timeout(WAIT);
    });
    multi_thread().block_on(async move {
        let shared = Connector::new(addr)
            .unwrap()
            .read_timeout(None)
            .write_timeout(None)
            .connect_shared()
            .await
            .unwrap();
        let mut a = shared.clone();
        let big = tokio::spawn(async move {
            a.call::<_, Ret<String>>("echo", &Args1("x".repeat(32 << 20)))
                .await
        });
        tokio::task::spawn_blocking(move || started_rx.recv_timeout(WAIT))
            .await
            .unwrap()
            .unwrap();
        let mut b = shared.clone();
        let queued =
            tokio::spawn(
                async move { b.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await },
            );
        let mut c = shared.clone();
        let oneway = tokio::spawn(async move { c.call_oneway("fire", &Args1(1)).await });
        assert!(until(WAIT, || shared.in_flight() == 3).await);
        go_tx.send(()).unwrap();
        let r = tokio::time::timeout(WAIT, big).await.unwrap().unwrap();
        assert!(transport_msg(&r).contains("no call awaits"), "{r:?}");
        assert!(
            !r.as_ref().unwrap_err().is_unsent(),
            "written in part, yet unsent: {r:?}"
        );
        assert!(!shared.is_usable());
        let q = tokio::time::timeout(Duration::from_secs(3), queued).await;
        assert!(
            q.is_ok(),
            "the queued call still waits 3 s after the connection broke \
             (in_flight {}, is_usable {})",
            shared.in_flight(),
            shared.is_usable()
        );
        let q = q.unwrap().unwrap();
        assert!(transport_msg(&q).contains("no call awaits"), "{q:?}");
        assert!(q.as_ref().unwrap_err().is_unsent(), "{q:?}");
        let o = tokio::time::timeout(WAIT, oneway).await.unwrap().unwrap();
        assert!(o.as_ref().unwrap_err().is_unsent(), "{o:?}");
        assert_eq!(shared.in_flight(), 0);
        drop(go_tx);
    });
    server.join().unwrap();
}

/// Calls that timed out keep their slots until their replies arrive; a
/// server that never answers them (a hung handler) would hold every slot.
/// The silence breaks the connection instead, so `is_usable()` tells the
/// caller to reconnect.
#[test]
fn a_connection_whose_slots_are_all_held_by_overdue_replies_breaks() {
    let (done_tx, done_rx) = std_mpsc::channel::<()>();
    let (addr, server) = raw_server(move |s| {
        let mut reader = replies(&s, Framing::Buffered);
        read_add(&mut reader).expect("the client closed early");
        read_add(&mut reader).expect("the client closed early");
        // Never answers; keeps the connection open.
        let _ = done_rx.recv_timeout(WAIT);
    });
    multi_thread().block_on(async move {
        let shared = Connector::new(addr)
            .unwrap()
            .read_timeout(Duration::from_millis(200))
            .max_in_flight(2)
            .connect_shared()
            .await
            .unwrap();
        let (mut a, mut b, mut c) = (shared.clone(), shared.clone(), shared.clone());
        let (ra, rb) = tokio::join!(
            a.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }),
            b.call::<_, Ret<i32>>("add", &AddArgs { a: 2, b: 2 }),
        );
        for r in [&ra, &rb] {
            assert!(
                matches!(r, Err(Error::Transport(t)) if t.kind == TransportErrorKind::TimedOut),
                "{r:?}"
            );
        }
        // Not even sent: it waits for a slot that never frees.
        let rc = c.call::<_, Ret<i32>>("add", &AddArgs { a: 3, b: 3 }).await;
        assert!(
            matches!(&rc, Err(Error::Transport(t)) if t.kind == TransportErrorKind::TimedOut),
            "{rc:?}"
        );
        let reported = until(Duration::from_secs(1), || !shared.is_usable()).await;
        assert!(
            reported,
            "every slot is held by a reply overdue past the read timeout, yet {shared:?}"
        );
        drop(done_tx);
    });
    server.join().unwrap();
}

/// The connection's tasks live on the runtime current when it was made.
/// When they end (that runtime shut down), the calls awaiting replies fail
/// and `is_usable()` turns false.
#[test]
fn calls_fail_when_the_connection_tasks_are_gone() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(Arc::clone(&calc)));
    let made_on = multi_thread();
    let shared = made_on
        .block_on(
            Connector::new(server.addr)
                .unwrap()
                .read_timeout(None)
                .connect_shared(),
        )
        .unwrap();
    let calls_on = multi_thread();
    let mut c = shared.clone();
    let held = calls_on.spawn(async move { c.call::<_, Ret<i32>>("gate", &NoArgs).await });
    assert!(eventually(WAIT, || calc.at_gate.load(Ordering::SeqCst) == 1));
    // The connection's writer and reader end with their runtime.
    drop(made_on);
    calc.gate.add_permits(1);
    let r = calls_on.block_on(async { tokio::time::timeout(Duration::from_secs(3), held).await });
    assert!(
        r.is_ok(),
        "a call still waits 3 s after the connection's tasks ended: {shared:?}"
    );
    assert!(!shared.is_usable(), "{shared:?}");
}

/// A oneway call that times out (here waiting for a slot) does not speak
/// of a reply: it has none.
#[test]
fn a_oneway_timeout_does_not_speak_of_a_reply() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(Arc::clone(&calc)));
    multi_thread().block_on(async {
        let shared = Connector::new(server.addr)
            .unwrap()
            .read_timeout(Duration::from_millis(200))
            .max_in_flight(1)
            .connect_shared()
            .await
            .unwrap();
        let mut holder = shared.clone();
        let held = tokio::spawn(async move { holder.call::<_, Ret<i32>>("gate", &NoArgs).await });
        assert!(until(WAIT, || calc.at_gate.load(Ordering::SeqCst) == 1).await);
        let mut c = shared.clone();
        let r = c.call_oneway("fire", &Args1(1)).await;
        let text = transport_msg(&r);
        calc.gate.add_permits(1);
        let _ = tokio::time::timeout(WAIT, held).await;
        assert!(!text.contains("no reply"), "{text}");
    });
}

/// A server that closes after answering half the calls: the
/// answered calls get their replies (read before the end of the stream),
/// the rest fail with EndOfFile.
#[test]
fn the_server_closing_after_half_the_replies_fails_only_the_rest() {
    let (addr, server) = raw_server(|mut s| {
        let mut reader = replies(&s, Framing::Buffered);
        let requests: Vec<_> = (0..4)
            .map(|_| read_add(&mut reader).expect("the client closed early"))
            .collect();
        for (h, args) in &requests[..2] {
            send(
                &mut s,
                &add_reply(Framing::Buffered, &h.name, h.seqid, args.a + args.b),
            );
        }
        s.flush().unwrap();
        drop(s);
    });
    multi_thread().block_on(async {
        let shared = Connector::new(addr)
            .unwrap()
            .connect_shared()
            .await
            .unwrap();
        let joins: Vec<_> = (0..4)
            .map(|i| {
                let mut c = shared.clone();
                tokio::spawn(async move {
                    (
                        i,
                        c.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 10 }).await,
                    )
                })
            })
            .collect();
        let (mut ok, mut eof) = (0, 0);
        for j in joins {
            let (i, r) = tokio::time::timeout(WAIT, j).await.unwrap().unwrap();
            match r {
                Ok(v) => {
                    assert_eq!(v, Ret::Success(i + 10));
                    ok += 1;
                }
                Err(Error::Transport(t)) if t.kind == TransportErrorKind::EndOfFile => eof += 1,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((ok, eof), (2, 2));
        assert!(!shared.is_usable());
        assert_eq!(shared.in_flight(), 0);
    });
    server.join().unwrap();
}

/// Framed replies with bad frame headers (negative, over the
/// limit, empty) fail every waiting call with the frame error, and later
/// calls at once.
#[test]
fn bad_frame_headers_fail_every_waiting_call_with_the_reason() {
    for (header, expect) in [
        ((-5i32).to_be_bytes(), "negative frame size"),
        ((1i32 << 30).to_be_bytes(), "exceeds the limit"),
        (0i32.to_be_bytes(), "frame"),
    ] {
        let (addr, server) = raw_server(move |mut s| {
            let mut reader = replies(&s, Framing::Framed);
            read_add(&mut reader).expect("the client closed early");
            read_add(&mut reader).expect("the client closed early");
            send(&mut s, &header);
            assert!(
                closed_within(&mut s, WAIT),
                "the client kept the connection"
            );
        });
        multi_thread().block_on(async {
            let shared = Connector::new(addr)
                .unwrap()
                .framing(Framing::Framed)
                .connect_shared()
                .await
                .unwrap();
            let (mut a, mut b) = (shared.clone(), shared.clone());
            let (ra, rb) = tokio::join!(
                a.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }),
                b.call::<_, Ret<i32>>("add", &AddArgs { a: 2, b: 2 }),
            );
            for r in [&ra, &rb] {
                assert!(transport_msg(r).contains(expect), "{r:?}");
            }
            let later = a.call::<_, Ret<i32>>("add", &AddArgs { a: 3, b: 3 }).await;
            assert!(transport_msg(&later).contains(expect), "{later:?}");
            assert_eq!(shared.in_flight(), 0);
        });
        server.join().unwrap();
    }
}

/// `Multiplexed<SharedClient>` (and over `&SharedClient`) from
/// many tasks; an unknown service fails only its call.
#[test]
fn multiplexed_views_of_one_shared_client() {
    let calc = Arc::new(AsyncCalc::default());
    let mut mux = AsyncMultiplexed::new();
    mux.register("Calc", calc);
    let server = start(
        thriftc_runtime::tokio::AsyncServer::builder(mux).idle_timeout(Duration::from_secs(10)),
    );
    multi_thread().block_on(async {
        let shared = Connector::new(server.addr).unwrap().connect_shared().await.unwrap();
        let joins: Vec<_> = (0..8)
            .map(|t| {
                let mut m = Multiplexed::new(shared.clone(), "Calc");
                tokio::spawn(async move {
                    for i in 0..20 {
                        let r: Ret<i32> = m.call("add", &AddArgs { a: t, b: i }).await.unwrap();
                        assert_eq!(r, Ret::Success(t + i));
                    }
                })
            })
            .collect();
        let mut other = Multiplexed::new(&shared, "Other");
        let r = other.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
        assert!(
            matches!(&r, Err(Error::Application(e)) if e.kind == ApplicationErrorKind::UnknownMethod),
            "{r:?}"
        );
        for j in joins {
            tokio::time::timeout(WAIT, j).await.unwrap().unwrap();
        }
        assert!(shared.is_usable());
        assert_eq!(shared.in_flight(), 0);
    });
}

/// Futures dropped at every await point (waiting for a slot,
/// queued, written and awaiting the reply) leak no slot, and the
/// connection stays in step.
#[test]
fn cancelled_calls_at_every_point_leak_no_slot() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(calc));
    multi_thread().block_on(async {
        let shared = Connector::new(server.addr)
            .unwrap()
            .max_in_flight(3)
            .connect_shared()
            .await
            .unwrap();
        let joins: Vec<_> = (0..16)
            .map(|t| {
                let mut c = shared.clone();
                tokio::spawn(async move {
                    let mut done = 0;
                    for i in 0..150 {
                        let micros = ((t * 31 + i * 17) % 7) * 40;
                        let args = AddArgs { a: t, b: i };
                        let call = c.call::<_, Ret<i32>>("add", &args);
                        match tokio::time::timeout(Duration::from_micros(micros as u64), call).await
                        {
                            Ok(r) => {
                                assert_eq!(r.unwrap(), Ret::Success(t + i));
                                done += 1;
                            }
                            Err(_) => tokio::task::yield_now().await,
                        }
                    }
                    done
                })
            })
            .collect();
        let mut done = 0;
        for j in joins {
            done += tokio::time::timeout(WAIT, j).await.unwrap().unwrap();
        }
        // Some calls finished, some were dropped midway.
        assert!(
            done > 0 && done < 16 * 150,
            "{done} of {} finished",
            16 * 150
        );
        assert!(until(WAIT, || shared.in_flight() == 0).await, "{shared:?}");
        let mut c = shared.clone();
        let r: Ret<i32> = c.call("add", &AddArgs { a: 40, b: 2 }).await.unwrap();
        assert_eq!(r, Ret::Success(42));
        assert!(shared.is_usable());
    });
}

/// After every handle is dropped with an abandoned call whose
/// reply is only ever partly sent, the reader ends (within the read
/// timeout) and the socket closes: the server's writes soon fail.
#[test]
fn every_handle_dropped_with_a_reply_pending_closes_within_the_read_timeout() {
    let (addr, server) = raw_server(|mut s| {
        let mut reader = replies(&s, Framing::Buffered);
        let (h, _) = read_add(&mut reader).expect("the client closed early");
        // The end of the requests (the client shut its side down).
        let mut probe = [0u8; 1];
        assert_eq!(std::io::Read::read(&mut s, &mut probe).unwrap(), 0);
        // A reply that never ends: its header, then field after field.
        let full = add_reply(Framing::Buffered, &h.name, h.seqid, 0);
        let header_len = 4 + 4 + h.name.len() + 4;
        let started = Instant::now();
        let mut failed = s.write_all(&full[..header_len]).is_err();
        while !failed && started.elapsed() < Duration::from_secs(5) {
            thread::sleep(Duration::from_millis(50));
            failed = s.write_all(&[0x08, 0x00, 0x07, 0, 0, 0, 1]).is_err();
        }
        assert!(failed, "the client's reader still holds the socket");
    });
    multi_thread().block_on(async {
        let shared = Connector::new(addr)
            .unwrap()
            .read_timeout(Duration::from_millis(300))
            .connect_shared()
            .await
            .unwrap();
        let mut c = shared.clone();
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
        assert!(
            matches!(&r, Err(Error::Transport(t)) if t.kind == TransportErrorKind::TimedOut),
            "{r:?}"
        );
        drop((c, shared));
        tokio::task::spawn_blocking(move || server.join())
            .await
            .unwrap()
            .unwrap();
    });
}

/// With `read_timeout: None`, calls work and, once every handle
/// is dropped with no reply awaited, the sending side is shut down.
#[test]
fn no_read_timeout_calls_and_close() {
    let (addr, server) = raw_server(|mut s| {
        let mut reader = replies(&s, Framing::Buffered);
        let (h, args) = read_add(&mut reader).expect("the client closed early");
        send(
            &mut s,
            &add_reply(Framing::Buffered, &h.name, h.seqid, args.a + args.b),
        );
        assert!(closed_within(&mut s, WAIT));
    });
    multi_thread().block_on(async {
        let shared = Connector::new(addr)
            .unwrap()
            .read_timeout(None)
            .connect_shared()
            .await
            .unwrap();
        let mut c = &shared;
        let r: Ret<i32> = c.call("add", &AddArgs { a: 2, b: 3 }).await.unwrap();
        assert_eq!(r, Ret::Success(5));
        drop(shared);
        tokio::task::spawn_blocking(move || server.join())
            .await
            .unwrap()
            .unwrap();
    });
}

// A handle can be cloned, shared between threads and printed.
const _: fn() = || {
    fn handle<T: Send + Sync + Clone + std::fmt::Debug>() {}
    handle::<SharedClient>();
};
