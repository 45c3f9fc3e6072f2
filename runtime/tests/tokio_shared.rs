//! `SharedClient` (feature `tokio`): many tasks calling through one
//! connection. Against our servers (async and blocking, every protocol and
//! framing) and against raw servers that hold requests back, answer out of
//! order, close midway or answer a call that was never made.

mod server_support;
mod tokio_support;

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::protocol::{MessageType, ProtocolRead};
use thriftc_runtime::tokio::{AsyncChannel, SharedClient};
use thriftc_runtime::{
    ApplicationErrorKind, BinaryProtocol, Connector, Error, Framing, ProtocolKind,
    TransportErrorKind,
};
use tokio_support::{
    AsyncCalc, add_reply, async_builder, multi_thread, raw_server, read_add, start,
};

const WAIT: Duration = Duration::from_secs(10);

fn shared_connector(addr: SocketAddr, p: ProtocolKind, f: Framing) -> Connector {
    connector(addr, p, f)
}

/// `tasks` tasks each making `calls` calls of `add` (and every fifth an
/// `echo`) through clones of `shared`; every reply is checked.
async fn hammer(shared: &SharedClient, tasks: i32, calls: i32) {
    let mut joins = Vec::new();
    for t in 0..tasks {
        let mut client = shared.clone();
        joins.push(tokio::spawn(async move {
            for i in 0..calls {
                let r: Ret<i32> = client.call("add", &AddArgs { a: t, b: i }).await.unwrap();
                assert_eq!(r, Ret::Success(t + i));
                if i % 5 == 0 {
                    let text = format!("task {t} call {i}");
                    let r: Ret<String> = client.call("echo", &Args1(text.clone())).await.unwrap();
                    assert_eq!(r, Ret::Success(text));
                }
            }
        }));
    }
    for j in joins {
        j.await.expect("a calling task panicked");
    }
}

#[test]
fn many_tasks_share_one_connection_to_the_async_server() {
    for (p, f) in COMBOS {
        let calc = Arc::new(AsyncCalc::default());
        let server = start(async_builder(calc).protocol(p).framing(f));
        multi_thread().block_on(async {
            let shared = shared_connector(server.addr, p, f)
                .connect_shared()
                .await
                .unwrap();
            hammer(&shared, 16, 60).await;
            assert!(shared.is_usable());
            assert_eq!(shared.in_flight(), 0);
        });
    }
}

#[test]
fn many_tasks_share_one_connection_to_the_blocking_server() {
    for (p, f) in COMBOS {
        let server = calc_server(Threads::PerConnection, p, f);
        multi_thread().block_on(async {
            let shared = shared_connector(server.local_addr(), p, f)
                .connect_shared()
                .await
                .unwrap();
            hammer(&shared, 16, 60).await;
            // A reference is a channel too.
            let mut by_ref = &shared;
            let r: Ret<i32> = by_ref.call("add", &AddArgs { a: 2, b: 3 }).await.unwrap();
            assert_eq!(r, Ret::Success(5));
        });
    }
}

fn binary(addr: SocketAddr) -> Connector {
    shared_connector(addr, ProtocolKind::Binary, Framing::Buffered)
}

/// `n` tasks calling `add(i, 100)` at once; their results in order.
async fn adds(shared: &SharedClient, n: i32) -> Vec<thriftc_runtime::Result<Ret<i32>>> {
    let joins: Vec<_> = (0..n)
        .map(|i| {
            let mut c = shared.clone();
            tokio::spawn(async move {
                c.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 100 })
                    .await
            })
        })
        .collect();
    let mut out = Vec::new();
    for j in joins {
        out.push(j.await.unwrap());
    }
    out
}

#[test]
fn requests_are_sent_ahead_and_replies_out_of_order_reach_their_calls() {
    const N: usize = 8;
    // Reads all eight requests before answering any (a client that waits
    // for each reply would stall here), then answers in reverse order.
    let (addr, server) = raw_server(|mut s| {
        let mut reader = replies(&s, Framing::Buffered);
        let requests: Vec<_> = (0..N)
            .map(|_| read_add(&mut reader).expect("the client closed early"))
            .collect();
        for (h, args) in requests.iter().rev() {
            send(
                &mut s,
                &add_reply(Framing::Buffered, &h.name, h.seqid, args.a + args.b),
            );
        }
        assert!(closed_within(&mut s, WAIT), "the client did not close");
    });
    multi_thread().block_on(async {
        let shared = binary(addr).connect_shared().await.unwrap();
        let results = adds(&shared, N as i32).await;
        for (i, r) in results.into_iter().enumerate() {
            assert_eq!(r.unwrap(), Ret::Success(i as i32 + 100));
        }
        assert!(shared.is_usable());
    });
    server.join().unwrap();
}

#[test]
fn max_in_flight_bounds_the_calls_sent_ahead() {
    let (addr, server) = raw_server(|mut s| {
        let mut reader = replies(&s, Framing::Buffered);
        let first: Vec<_> = (0..3)
            .map(|_| read_add(&mut reader).expect("the client closed early"))
            .collect();
        // No fourth request while three are unanswered.
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut byte = [0u8; 1];
        let extra = s.peek(&mut byte);
        assert!(
            matches!(&extra, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "a fourth request arrived: {extra:?}"
        );
        s.set_read_timeout(Some(WAIT)).unwrap();
        for (h, args) in &first {
            send(
                &mut s,
                &add_reply(Framing::Buffered, &h.name, h.seqid, args.a + args.b),
            );
        }
        for _ in 0..3 {
            let (h, args) = read_add(&mut reader).expect("the client closed early");
            send(
                &mut s,
                &add_reply(Framing::Buffered, &h.name, h.seqid, args.a + args.b),
            );
        }
        assert!(closed_within(&mut s, WAIT));
    });
    multi_thread().block_on(async {
        let shared = binary(addr)
            .max_in_flight(3)
            .connect_shared()
            .await
            .unwrap();
        let watch = shared.clone();
        let calls = tokio::spawn(async move { adds(&watch, 6).await });
        // Three slots taken while the server holds their replies.
        let mut waited = 0;
        while shared.in_flight() < 3 && waited < 1000 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            waited += 1;
        }
        assert_eq!(shared.in_flight(), 3);
        for (i, r) in calls.await.unwrap().into_iter().enumerate() {
            assert_eq!(r.unwrap(), Ret::Success(i as i32 + 100));
        }
        assert_eq!(shared.in_flight(), 0);
    });
    server.join().unwrap();
}

#[test]
fn a_call_dropped_after_it_was_sent_leaves_the_connection_in_step() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(Arc::clone(&calc)));
    multi_thread().block_on(async {
        let shared = binary(server.addr).connect_shared().await.unwrap();
        let mut held = shared.clone();
        let call = tokio::spawn(async move { held.call::<_, Ret<i32>>("gate", &NoArgs).await });
        // Sent and being served: the handler waits at the gate.
        let at_gate = || calc.at_gate.load(Ordering::SeqCst) == 1;
        assert!(tokio::task::block_in_place(|| eventually(WAIT, at_gate)));
        call.abort();
        assert!(call.await.unwrap_err().is_cancelled());
        assert!(shared.is_usable());
        assert_eq!(shared.in_flight(), 1, "an abandoned call keeps its slot");
        // Its reply arrives (and is discarded) once the gate opens; the
        // next call gets its own.
        calc.gate.add_permits(1);
        let mut c = shared.clone();
        let r: Ret<i32> = c.call("add", &AddArgs { a: 20, b: 22 }).await.unwrap();
        assert_eq!(r, Ret::Success(42));
        assert_eq!(shared.in_flight(), 0);
        assert!(shared.is_usable());
    });
}

#[test]
fn a_connection_owing_replies_that_stays_silent_for_a_read_timeout_breaks() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(Arc::clone(&calc)));
    multi_thread().block_on(async {
        let shared = binary(server.addr)
            .read_timeout(Duration::from_millis(300))
            .connect_shared()
            .await
            .unwrap();
        let mut c = shared.clone();
        let r = c.call::<_, Ret<i32>>("gate", &NoArgs).await;
        assert!(
            matches!(&r, Err(Error::Transport(t)) if t.kind == TransportErrorKind::TimedOut),
            "{r:?}"
        );
        let broke = tokio::time::timeout(WAIT, async {
            while shared.is_usable() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(broke.is_ok(), "still usable: {shared:?}");
        let later = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
        match &later {
            Err(Error::Transport(t)) => {
                assert_eq!(t.kind, TransportErrorKind::TimedOut);
                assert!(t.to_string().contains("nothing arrived"), "{t}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(shared.in_flight(), 0, "the break freed every slot");
        calc.gate.add_permits(1);
    });
}

#[test]
fn each_outcome_reaches_only_its_call() {
    for (p, f) in COMBOS {
        let calc = Arc::new(AsyncCalc::default());
        let server = start(async_builder(calc).protocol(p).framing(f));
        multi_thread().block_on(async {
            let shared = shared_connector(server.addr, p, f)
                .connect_shared()
                .await
                .unwrap();
            let (mut a, mut b, mut c, mut d) =
                (shared.clone(), shared.clone(), shared.clone(), shared.clone());
            let (declared, undeclared) = (Args1("declared".to_owned()), Args1("undeclared".to_owned()));
            let (oops, app, unknown, add) = tokio::join!(
                a.call::<_, Ret<i32>>("oops", &declared),
                b.call::<_, Ret<i32>>("app_error", &undeclared),
                c.call::<_, Ret<i32>>("nope", &NoArgs),
                d.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 2 }),
            );
            assert_eq!(oops.unwrap(), Ret::Oops("declared".into()));
            assert!(
                matches!(&app, Err(Error::Application(e)) if e.message == "undeclared"),
                "{app:?}"
            );
            assert!(
                matches!(&unknown, Err(Error::Application(e)) if e.kind == ApplicationErrorKind::UnknownMethod),
                "{unknown:?}"
            );
            assert_eq!(add.unwrap(), Ret::Success(3));
            assert!(shared.is_usable());
        });
    }
}

#[test]
fn the_server_closing_fails_every_waiting_call_and_every_later_one() {
    let (addr, server) = raw_server(|s| {
        let mut reader = replies(&s, Framing::Buffered);
        for _ in 0..3 {
            read_add(&mut reader).expect("the client closed early");
        }
        drop(s);
    });
    multi_thread().block_on(async {
        let shared = binary(addr).connect_shared().await.unwrap();
        for r in adds(&shared, 3).await {
            assert!(
                matches!(&r, Err(Error::Transport(t)) if t.kind == TransportErrorKind::EndOfFile),
                "{r:?}"
            );
        }
        assert!(!shared.is_usable());
        let mut c = shared.clone();
        let later = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
        assert!(
            matches!(&later, Err(Error::Transport(t)) if t.kind == TransportErrorKind::EndOfFile),
            "{later:?}"
        );
    });
    server.join().unwrap();
}

#[test]
fn a_reply_that_answers_no_call_breaks_the_connection() {
    let (addr, server) = raw_server(|mut s| {
        let mut reader = replies(&s, Framing::Buffered);
        let (h, _) = read_add(&mut reader).expect("the client closed early");
        send(
            &mut s,
            &add_reply(Framing::Buffered, &h.name, h.seqid + 100, 0),
        );
        assert!(
            closed_within(&mut s, WAIT),
            "the client kept the connection"
        );
    });
    multi_thread().block_on(async {
        let shared = binary(addr).connect_shared().await.unwrap();
        let mut c = shared.clone();
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
        match &r {
            Err(Error::Transport(t)) => assert!(t.to_string().contains("no call awaits"), "{t}"),
            other => panic!("{other:?}"),
        }
        assert!(!shared.is_usable());
    });
    server.join().unwrap();
}

#[test]
fn a_malformed_unframed_reply_fails_its_call_and_breaks_the_connection() {
    let (addr, server) = raw_server(|mut s| {
        let mut reader = replies(&s, Framing::Buffered);
        let (h, _) = read_add(&mut reader).expect("the client closed early");
        let mut reply = add_reply(Framing::Buffered, &h.name, h.seqid, 0);
        // The success field's type byte: a type that does not exist.
        let field = reply.len() - 1 - 4 - 2 - 1;
        reply[field] = 0x7f;
        send(&mut s, &reply);
        assert!(
            closed_within(&mut s, WAIT),
            "the client kept the connection"
        );
    });
    multi_thread().block_on(async {
        let shared = binary(addr).connect_shared().await.unwrap();
        let mut c = shared.clone();
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
        assert!(matches!(&r, Err(Error::Protocol(_))), "{r:?}");
        assert!(!shared.is_usable());
    });
    server.join().unwrap();
}

#[test]
fn dropping_every_handle_sends_what_was_queued_then_closes() {
    let (addr, server) = raw_server(|s| {
        let mut reader = replies(&s, Framing::Buffered);
        let mut fired = 0;
        for _ in 0..3 {
            assert!(reader.begin_message().unwrap());
            let mut p = BinaryProtocol::new(&mut reader, Default::default());
            let h = p.read_message_begin().unwrap();
            assert_eq!((h.name.as_str(), h.kind), ("fire", MessageType::Oneway));
            let Args1(n): Args1<i32> = thriftc_runtime::Decode::decode(&mut p).unwrap();
            p.read_message_end().unwrap();
            reader.end_message().unwrap();
            fired += n;
        }
        assert_eq!(fired, 6);
        // The client shut its sending side down: the end of the stream.
        let mut rest = Vec::new();
        let mut s = s;
        assert_eq!(s.read_to_end(&mut rest).unwrap(), 0);
    });
    multi_thread().block_on(async {
        let shared = binary(addr).connect_shared().await.unwrap();
        let mut c = shared.clone();
        for n in 1..=3 {
            c.call_oneway("fire", &Args1(n)).await.unwrap();
        }
        assert_eq!(shared.in_flight(), 0);
        drop((c, shared));
        // The runtime (and the connection's tasks) live on meanwhile.
        tokio::task::spawn_blocking(move || server.join())
            .await
            .unwrap()
            .unwrap();
    });
}

#[test]
fn oneway_calls_reach_the_async_server() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(Arc::clone(&calc)));
    multi_thread().block_on(async {
        let shared = binary(server.addr).connect_shared().await.unwrap();
        let mut c = shared.clone();
        for n in 1..=4 {
            c.call_oneway("fire", &Args1(n)).await.unwrap();
        }
        // A call after them is answered after they were handled.
        let r: Ret<i32> = c.call("add", &AddArgs { a: 0, b: 0 }).await.unwrap();
        assert_eq!(r, Ret::Success(0));
    });
    assert!(eventually(WAIT, || calc.fired.load(Ordering::SeqCst) == 10));
}
