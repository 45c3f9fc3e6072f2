//! The async server (feature `tokio`): served by the async client and by
//! the blocking one, and driven with raw sockets for pipelining, bad input,
//! panics, oneway messages, limits, timeouts, backpressure and stop.

mod server_support;
mod tokio_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::client::{Channel, Multiplexed};
use thriftc_runtime::protocol::MessageType;
use thriftc_runtime::tokio::{AsyncChannel, AsyncClient, AsyncMultiplexed};
use thriftc_runtime::{ApplicationErrorKind, Error, Framing, Limits, ProtocolKind};
use tokio_support::*;

const WAIT: Duration = Duration::from_secs(10);

fn app_kind<T: std::fmt::Debug>(r: thriftc_runtime::Result<T>) -> ApplicationErrorKind {
    match r {
        Err(Error::Application(e)) => e.kind,
        other => panic!("expected an application error, got {other:?}"),
    }
}

async fn async_client(addr: std::net::SocketAddr, p: ProtocolKind, f: Framing) -> AsyncClient {
    connector(addr, p, f).connect_async().await.unwrap()
}

#[test]
fn async_clients_are_served_in_every_protocol_and_framing() {
    for (p, f) in COMBOS {
        let calc = Arc::new(AsyncCalc::default());
        let server = start(async_builder(calc.clone()).protocol(p).framing(f));
        runtime().block_on(async {
            let mut c = async_client(server.addr, p, f).await;
            let r: Ret<i32> = c.call("add", &AddArgs { a: 2, b: 40 }).await.unwrap();
            assert_eq!(r, Ret::Success(42), "{p:?} {f:?}");
            let r: Ret<String> = c.call("echo", &Args1("hé".to_owned())).await.unwrap();
            assert_eq!(r, Ret::Success("hé".to_owned()));
            let r: Ret<i32> = c.call("oops", &Args1("no".to_owned())).await.unwrap();
            assert_eq!(r, Ret::Oops("no".to_owned()));
            let r = c
                .call::<_, Ret<i32>>("app_error", &Args1("why".to_owned()))
                .await;
            assert_eq!(app_kind(r), ApplicationErrorKind::Unknown);
            let r = c.call::<_, Ret<i32>>("nope", &NoArgs).await;
            assert_eq!(app_kind(r), ApplicationErrorKind::UnknownMethod);
            c.call_oneway("fire", &Args1(5)).await.unwrap();
            // The oneway message was handled before the call after it.
            let r: Ret<i32> = c.call("add", &AddArgs { a: 1, b: 1 }).await.unwrap();
            assert_eq!(r, Ret::Success(2));
            assert_eq!(calc.fired.load(Ordering::SeqCst), 5);
            assert!(c.is_usable());
        });
        assert!(server.stop_within(WAIT));
    }
}

#[test]
fn blocking_clients_are_served_in_every_protocol_and_framing() {
    for (p, f) in COMBOS {
        let server = start(async_builder(Default::default()).protocol(p).framing(f));
        let mut c = client(server.addr, p, f);
        assert_eq!(add(&mut c, 20, 22).unwrap(), 42, "{p:?} {f:?}");
        let r: Ret<String> = c.call("echo", &Args1("x".repeat(100_000))).unwrap();
        assert_eq!(r, Ret::Success("x".repeat(100_000)));
        let r = c.call::<_, Ret<i32>>("nope", &NoArgs);
        assert_eq!(app_kind(r), ApplicationErrorKind::UnknownMethod);
        assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
        assert!(server.stop_within(WAIT));
    }
}

#[test]
fn async_clients_call_the_blocking_server_in_every_protocol_and_framing() {
    quiet_expected_panics();
    for (p, f) in COMBOS {
        let server = calc_server(Threads::PerConnection, p, f);
        let addr = server.local_addr();
        runtime().block_on(async {
            let mut c = async_client(addr, p, f).await;
            let r: Ret<i32> = c.call("add", &AddArgs { a: 2, b: 40 }).await.unwrap();
            assert_eq!(r, Ret::Success(42), "{p:?} {f:?}");
            let r: Ret<i32> = c.call("oops", &Args1("no".to_owned())).await.unwrap();
            assert_eq!(r, Ret::Oops("no".to_owned()));
            let r = c.call::<_, Ret<i32>>("panic", &NoArgs).await;
            assert_eq!(app_kind(r), ApplicationErrorKind::InternalError);
            c.call_oneway("fire", &Args1(1)).await.unwrap();
            let mut m = Multiplexed::new(&mut c, "Calc");
            let r = m.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
            // The blocking calculator is not multiplexed.
            assert_eq!(app_kind(r), ApplicationErrorKind::UnknownMethod);
            let r: Ret<i32> = c.call("add", &AddArgs { a: 1, b: 1 }).await.unwrap();
            assert_eq!(r, Ret::Success(2));
        });
        server.stop();
    }
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    for (p, f) in COMBOS {
        let server = start(async_builder(Default::default()).protocol(p).framing(f));
        let mut s = raw(server.addr);
        let mut bytes = call_msg(p, f, "add", 1, &AddArgs { a: 1, b: 2 });
        bytes.extend(call_msg(p, f, "nope", 2, &NoArgs));
        bytes.extend(oneway_msg(p, f, "fire", 3, &Args1(1)));
        bytes.extend(call_msg(p, f, "echo", 4, &Args1("four".to_owned())));
        send(&mut s, &bytes);
        let mut replies = replies(&s, f);
        let (h, r) = read_reply::<Ret<i32>>(&mut replies, p).unwrap();
        assert_eq!((h.seqid, r), (1, Ok(Ret::Success(3))), "{p:?} {f:?}");
        let (h, r) = read_reply::<Ret<i32>>(&mut replies, p).unwrap();
        assert_eq!(h.seqid, 2);
        assert_eq!(r.unwrap_err().kind, ApplicationErrorKind::UnknownMethod);
        let (h, r) = read_reply::<Ret<String>>(&mut replies, p).unwrap();
        assert_eq!((h.seqid, r), (4, Ok(Ret::Success("four".to_owned()))));
        assert!(server.stop_within(WAIT));
    }
}

#[test]
fn bad_arguments_are_a_protocol_error_and_the_connection_stays_in_step() {
    for (p, f) in COMBOS {
        let server = start(async_builder(Default::default()).protocol(p).framing(f));
        let mut s = raw(server.addr);
        // `add` takes two i32 fields: a string is no `AddArgs`.
        let mut bytes = call_msg(p, f, "add", 1, &Args1("x".to_owned()));
        bytes.extend(call_msg(p, f, "add", 2, &AddArgs { a: 2, b: 2 }));
        send(&mut s, &bytes);
        let mut replies = replies(&s, f);
        let (h, r) = read_reply::<Ret<i32>>(&mut replies, p).unwrap();
        assert_eq!((h.name.as_str(), h.seqid), ("add", 1), "{p:?} {f:?}");
        assert_eq!(h.kind, MessageType::Exception);
        assert_eq!(r.unwrap_err().kind, ApplicationErrorKind::ProtocolError);
        let (h, r) = read_reply::<Ret<i32>>(&mut replies, p).unwrap();
        assert_eq!((h.seqid, r), (2, Ok(Ret::Success(4))));
        assert!(server.stop_within(WAIT));
    }
}

#[test]
fn a_malformed_unframed_message_is_answered_then_the_connection_closed() {
    let p = ProtocolKind::Binary;
    let f = Framing::Buffered;
    let server = start(async_builder(Default::default()).protocol(p).framing(f));
    let mut s = raw(server.addr);
    // A call header, then a field of the unknown type 0x7f: where the
    // message ends cannot be known.
    let mut bytes = call_msg(p, f, "add", 9, &NoArgs);
    bytes.pop(); // the STOP of the empty arguments
    bytes.extend([0x7f, 0, 1, 0, 0, 0, 0, 0]);
    send(&mut s, &bytes);
    let mut replies = replies(&s, f);
    let (h, r) = read_reply::<Ret<i32>>(&mut replies, p).unwrap();
    assert_eq!((h.seqid, h.kind), (9, MessageType::Exception));
    assert_eq!(r.unwrap_err().kind, ApplicationErrorKind::ProtocolError);
    assert!(closed_within(&mut s, WAIT));
    assert!(server.stop_within(WAIT));
}

#[test]
fn a_bad_frame_or_header_closes_the_connection() {
    let server = start(async_builder(Default::default()).framing(Framing::Framed));
    for bytes in [
        &[0xff, 0xff, 0xff, 0xff][..],         // negative length
        &[0, 0, 0, 0],                         // empty frame
        &[0, 0, 0, 4, 0x80, 0x01, 0x00, 0x02], // a REPLY is no request
    ] {
        let mut s = raw(server.addr);
        send(&mut s, bytes);
        assert!(closed_within(&mut s, WAIT), "{bytes:?}");
    }
    // Others are unaffected.
    let mut c = client(server.addr, ProtocolKind::Binary, Framing::Framed);
    assert_eq!(add(&mut c, 1, 1).unwrap(), 2);
    assert!(server.stop_within(WAIT));
}

#[test]
fn a_reply_message_type_from_a_client_closes_the_connection() {
    let (p, f) = (ProtocolKind::Compact, Framing::Buffered);
    let server = start(async_builder(Default::default()).protocol(p).framing(f));
    let mut s = raw(server.addr);
    send(
        &mut s,
        &message(p, f, "add", MessageType::Reply, 1, &NoArgs),
    );
    assert!(closed_within(&mut s, WAIT));
    assert!(server.stop_within(WAIT));
}

#[test]
fn handler_panics_are_internal_errors_and_the_connection_is_kept() {
    quiet_expected_panics();
    for (p, f) in COMBOS {
        let server = start(async_builder(Default::default()).protocol(p).framing(f));
        let mut c = client(server.addr, p, f);
        for name in ["panic", "panic_now"] {
            match c.call::<_, Ret<i32>>(name, &NoArgs) {
                Err(Error::Application(e)) => {
                    assert_eq!(e.kind, ApplicationErrorKind::InternalError);
                    assert_eq!(e.message, format!("Internal error processing {name}"));
                }
                other => panic!("{name}: {other:?}"),
            }
            assert!(c.is_usable());
            assert_eq!(add(&mut c, 1, 2).unwrap(), 3, "{p:?} {f:?} after {name}");
        }
        assert!(server.stop_within(WAIT));
    }
}

#[test]
fn oneway_messages_are_never_answered_even_when_they_fail() {
    quiet_expected_panics();
    for (p, f) in COMBOS {
        let calc = Arc::new(AsyncCalc::default());
        let server = start(async_builder(calc.clone()).protocol(p).framing(f));
        let mut s = raw(server.addr);
        let mut bytes = Vec::new();
        bytes.extend(oneway_msg(p, f, "fire_panic", 1, &NoArgs));
        bytes.extend(oneway_msg(p, f, "nope", 2, &NoArgs));
        // Bad arguments for a oneway method.
        bytes.extend(oneway_msg(p, f, "fire", 3, &Args1("x".to_owned())));
        bytes.extend(oneway_msg(p, f, "fire", 4, &Args1(7)));
        bytes.extend(call_msg(p, f, "add", 5, &AddArgs { a: 2, b: 3 }));
        send(&mut s, &bytes);
        let mut replies = replies(&s, f);
        // The first reply is the call's.
        let (h, r) = read_reply::<Ret<i32>>(&mut replies, p).unwrap();
        assert_eq!((h.seqid, r), (5, Ok(Ret::Success(5))), "{p:?} {f:?}");
        assert_eq!(calc.fired.load(Ordering::SeqCst), 7);
        assert!(server.stop_within(WAIT));
    }
}

#[test]
fn a_result_over_the_frame_limit_is_an_internal_error() {
    let f = Framing::Framed;
    for p in [ProtocolKind::Binary, ProtocolKind::Compact] {
        for (max_frame, message) in [(200, "Internal error processing big"), (40, "")] {
            let limits = Limits::default().with_max_frame_size(max_frame);
            let server = start(
                async_builder(Default::default())
                    .protocol(p)
                    .framing(f)
                    .limits(limits),
            );
            let mut c = connector(server.addr, p, f).connect().unwrap();
            match c.call::<_, Ret<String>>("big", &Args1(1000)) {
                Err(Error::Application(e)) => {
                    assert_eq!(e.kind, ApplicationErrorKind::InternalError);
                    assert_eq!(e.message, message, "{p:?} frame limit {max_frame}");
                }
                other => panic!("{other:?}"),
            }
            let r: Ret<String> = c.call("big", &Args1(3)).unwrap();
            assert_eq!(r, Ret::Success("xxx".to_owned()));
            let r = c.call::<_, Ret<Unencodable>>("unencodable", &NoArgs);
            assert_eq!(app_kind(r), ApplicationErrorKind::InternalError);
            assert!(server.stop_within(WAIT));
        }
    }
}

#[test]
fn a_request_over_the_size_limit_closes_the_connection() {
    for (p, f) in COMBOS {
        let limits = Limits::default()
            .with_max_frame_size(200)
            .with_max_message_size(200);
        let server = start(
            async_builder(Default::default())
                .protocol(p)
                .framing(f)
                .limits(limits),
        );
        let mut s = raw(server.addr);
        send(&mut s, &call_msg(p, f, "echo", 1, &Args1("x".repeat(300))));
        let mut replies = replies(&s, f);
        let reply = read_reply::<Ret<String>>(&mut replies, p);
        if f == Framing::Framed {
            // A frame over the limit is refused unread, as the blocking
            // server refuses it.
            assert!(reply.is_err(), "{p:?} {f:?}");
        } else {
            // Unframed, the string's length is over what the limit leaves:
            // the arguments are refused, and where the message ends is
            // unknown.
            let (h, r) = reply.unwrap();
            assert_eq!(h.seqid, 1);
            assert_eq!(r.unwrap_err().kind, ApplicationErrorKind::ProtocolError);
        }
        assert!(closed_within(&mut s, WAIT));
        // A request within the limits, on another connection.
        let mut c = client(server.addr, p, f);
        assert_eq!(add(&mut c, 1, 1).unwrap(), 2);
        assert!(server.stop_within(WAIT));
    }
}

#[test]
fn a_silent_connection_is_closed_after_the_idle_timeout() {
    let server = start(
        async_builder(Default::default())
            .idle_timeout(Duration::from_millis(100))
            .message_timeout(Duration::from_secs(60)),
    );
    let mut s = raw(server.addr);
    assert!(closed_within(&mut s, WAIT));
    assert!(eventually(WAIT, || server.handle.connections() == 0));
    assert!(server.stop_within(WAIT));
}

#[test]
fn a_message_that_stops_halfway_is_closed_after_the_message_timeout() {
    for (p, f) in COMBOS {
        let server = start(
            async_builder(Default::default())
                .protocol(p)
                .framing(f)
                .idle_timeout(Duration::from_secs(60))
                .message_timeout(Duration::from_millis(100)),
        );
        let mut s = raw(server.addr);
        let bytes = call_msg(p, f, "add", 1, &AddArgs { a: 1, b: 2 });
        send(&mut s, &bytes[..bytes.len() - 3]);
        assert!(closed_within(&mut s, WAIT), "{p:?} {f:?}");
        assert!(server.stop_within(WAIT));
    }
}

/// A connection's reads share one timer, reset for each: after calls, a
/// silence is still closed after the idle timeout, and half a message
/// after the message timeout (a deadline earlier than the idle one the
/// timer held).
#[test]
fn timeouts_hold_after_calls_on_the_same_connection() {
    let (p, f) = (ProtocolKind::Binary, Framing::Framed);
    for (idle, message) in [(100, 60_000), (60_000, 100)] {
        let server = start(
            async_builder(Default::default())
                .protocol(p)
                .framing(f)
                .idle_timeout(Duration::from_millis(idle))
                .message_timeout(Duration::from_millis(message)),
        );
        let mut s = raw(server.addr);
        s.set_read_timeout(Some(WAIT)).unwrap();
        for seqid in 1..=3 {
            send(
                &mut s,
                &call_msg(p, f, "add", seqid, &AddArgs { a: seqid, b: 1 }),
            );
            let mut replies = replies(&s, f);
            let (h, r) = read_reply::<Ret<i32>>(&mut replies, p).unwrap();
            assert_eq!((h.seqid, r), (seqid, Ok(Ret::Success(seqid + 1))));
        }
        if message < idle {
            let bytes = call_msg(p, f, "add", 4, &AddArgs { a: 1, b: 2 });
            send(&mut s, &bytes[..bytes.len() - 3]);
        }
        assert!(
            closed_within(&mut s, WAIT),
            "idle {idle} ms, message {message} ms"
        );
        assert!(server.stop_within(WAIT));
    }
}

#[test]
fn beyond_max_connections_the_server_stops_accepting() {
    let server = start(async_builder(Default::default()).max_connections(1));
    let (p, f) = (ProtocolKind::Binary, Framing::Buffered);
    let mut first = client(server.addr, p, f);
    assert_eq!(add(&mut first, 1, 1).unwrap(), 2);
    // The second connection waits in the listen backlog: its request is
    // not read while the first is open.
    let mut second = raw(server.addr);
    send(
        &mut second,
        &call_msg(p, f, "add", 1, &AddArgs { a: 2, b: 2 }),
    );
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut waiting = replies(&second, f);
    assert!(read_reply::<Ret<i32>>(&mut waiting, p).is_err());
    assert_eq!(server.handle.connections(), 1);
    drop(first);
    second.set_read_timeout(Some(WAIT)).unwrap();
    let mut replies = replies(&second, f);
    let (h, r) = read_reply::<Ret<i32>>(&mut replies, p).unwrap();
    assert_eq!((h.seqid, r), (1, Ok(Ret::Success(4))));
    assert!(server.stop_within(WAIT));
}

#[test]
fn stop_answers_the_call_in_flight_and_the_requests_already_there() {
    for (p, f) in COMBOS {
        let calc = Arc::new(AsyncCalc::default());
        let server = start(async_builder(calc.clone()).protocol(p).framing(f));
        let mut s = raw(server.addr);
        let mut bytes = call_msg(p, f, "gate", 1, &NoArgs);
        bytes.extend(call_msg(p, f, "add", 2, &AddArgs { a: 3, b: 4 }));
        send(&mut s, &bytes);
        assert!(eventually(WAIT, || calc.at_gate.load(Ordering::SeqCst) == 1));
        server.handle.stop();
        // New connections are no longer served.
        assert!(eventually(WAIT, || {
            std::net::TcpStream::connect(server.addr)
                .map(|mut c| closed_within(&mut c, Duration::from_secs(1)))
                .unwrap_or(true)
        }));
        assert!(!server.handle.is_stopped());
        calc.gate.add_permits(1);
        let mut replies = replies(&s, f);
        let (h, r) = read_reply::<Ret<i32>>(&mut replies, p).unwrap();
        assert_eq!((h.seqid, r), (1, Ok(Ret::Success(1))), "{p:?} {f:?}");
        let (h, r) = read_reply::<Ret<i32>>(&mut replies, p).unwrap();
        assert_eq!((h.seqid, r), (2, Ok(Ret::Success(7))));
        assert!(closed_within(&mut s, WAIT));
        assert!(server.stop_within(WAIT));
        assert!(server.handle.is_stopped());
        assert_eq!(server.handle.connections(), 0);
    }
}

#[test]
fn stop_gives_up_on_a_call_after_the_drain_timeout() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(calc.clone()).drain_timeout(Duration::from_millis(100)));
    let mut s = raw(server.addr);
    send(
        &mut s,
        &call_msg(ProtocolKind::Binary, Framing::Buffered, "gate", 1, &NoArgs),
    );
    assert!(eventually(WAIT, || calc.at_gate.load(Ordering::SeqCst) == 1));
    assert!(server.stop_within(WAIT));
    assert!(closed_within(&mut s, WAIT));
    assert!(eventually(WAIT, || server.handle.connections() == 0));
}

#[test]
fn many_clients_are_served_concurrently() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(calc.clone()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let addr = server.addr;
    rt.block_on(async move {
        let tasks: Vec<_> = (0..32)
            .map(|t| {
                tokio::spawn(async move {
                    let mut c = AsyncClient::connect(addr).await.unwrap();
                    for i in 0..100 {
                        let v = t * 1000 + i;
                        let r: Ret<i32> = c.call("overlap", &Args1(v)).await.unwrap();
                        assert_eq!(r, Ret::Success(v));
                    }
                })
            })
            .collect();
        for t in tasks {
            tokio::time::timeout(Duration::from_secs(60), t)
                .await
                .unwrap()
                .unwrap();
        }
    });
    assert!(calc.max_in_flight.load(Ordering::SeqCst) > 1);
    assert!(server.stop_within(WAIT));
}

#[test]
fn multiplexed_services_are_routed_by_name() {
    let calc = Arc::new(AsyncCalc::default());
    let mut mux = AsyncMultiplexed::new();
    mux.register("Calc", calc.clone());
    let server = start(
        thriftc_runtime::tokio::AsyncServer::builder(mux).idle_timeout(Duration::from_secs(10)),
    );
    let mut c = client(server.addr, ProtocolKind::Binary, Framing::Buffered);
    let mut m = Multiplexed::new(&mut c, "Calc");
    assert_eq!(add(&mut m, 2, 3).unwrap(), 5);
    let mut other = Multiplexed::new(&mut c, "Other");
    let r = other.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 });
    assert_eq!(app_kind(r), ApplicationErrorKind::UnknownMethod);
    // No default service: a bare name is unknown too.
    let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 });
    assert_eq!(app_kind(r), ApplicationErrorKind::UnknownMethod);
    assert!(server.stop_within(WAIT));
}
