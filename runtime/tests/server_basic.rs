//! End-to-end behaviour of the server with the hand-written `Calc` service:
//! every protocol and framing, pipelining, and the reply to each kind of
//! request fault: unknown method, handler panic or error, oneway faults,
//! undecodable or truncated arguments, replies sent by a client, HTTP and TLS
//! probes.

mod server_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::client::{Channel, Multiplexed};
use thriftc_runtime::processor::Multiplexed as MultiplexedProcessor;
use thriftc_runtime::protocol::MessageType;
use thriftc_runtime::server::ServerProcessor;
use thriftc_runtime::{ApplicationErrorKind, Error, Framing, ProtocolKind};

fn app_kind(e: &Error) -> ApplicationErrorKind {
    match e {
        Error::Application(a) => a.kind,
        other => panic!("expected an application error, got {other}"),
    }
}

#[test]
fn calls_work_in_every_protocol_and_framing() {
    for (protocol, framing) in COMBOS {
        for threads in [Threads::PerConnection, Threads::Events(2)] {
            calls_work(protocol, framing, threads);
        }
    }
}

fn calls_work(protocol: ProtocolKind, framing: Framing, threads: Threads) {
    {
        let calc = Arc::new(Calc::default());
        let server = threads
            .apply(builder(calc.clone()))
            .wire(protocol, framing)
            .start();
        let mut c = client(server.local_addr(), protocol, framing);
        assert_eq!(
            add(&mut c, 2, 3).unwrap(),
            5,
            "{protocol:?} {framing:?} {threads:?}"
        );
        let s: Ret<String> = c.call("echo", &Args1("héllo".to_string())).unwrap();
        assert_eq!(s, Ret::Success("héllo".to_string()));
        // A 1 MiB argument and reply (several reads, one write each way).
        let big: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
        let back: Ret<Vec<u8>> = c.call("echo_bin", &Args1(big.clone())).unwrap();
        assert_eq!(back, Ret::Success(big));
        c.call_oneway("fire", &Args1(7)).unwrap();
        assert_eq!(add(&mut c, 1, 1).unwrap(), 2);
        assert_eq!(calc.fired.load(Ordering::SeqCst), 7);
        server.stop();
    }
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let modes = COMBOS
        .into_iter()
        .flat_map(|c| [(c, Threads::PerConnection), (c, Threads::Events(1))]);
    for ((protocol, framing), threads) in modes {
        let server = calc_server(threads, protocol, framing);
        let mut s = raw(server.local_addr());
        let mut batch = Vec::new();
        for i in 0..100 {
            let args = AddArgs { a: i, b: 1000 };
            batch.extend(call_msg(protocol, framing, "add", i, &args));
        }
        send(&mut s, &batch);
        let mut r = replies(&s, framing);
        for i in 0..100 {
            let (h, res) = read_reply::<Ret<i32>>(&mut r, protocol).unwrap();
            assert_eq!(
                (h.name.as_str(), h.kind, h.seqid),
                ("add", MessageType::Reply, i)
            );
            assert_eq!(res.unwrap(), Ret::Success(i + 1000));
        }
        server.stop();
    }
}

#[test]
fn unknown_method_is_answered_and_the_connection_goes_on() {
    for (protocol, framing) in COMBOS {
        let server = calc_server(Threads::PerConnection, protocol, framing);
        // Raw: the arguments (a nested struct) must be skipped.
        let mut s = raw(server.local_addr());
        let args = Args1(AddArgs { a: 1, b: 2 });
        let mut bytes = call_msg(protocol, framing, "nope", 41, &args);
        bytes.extend(call_msg(
            protocol,
            framing,
            "add",
            42,
            &AddArgs { a: 4, b: 5 },
        ));
        send(&mut s, &bytes);
        let mut r = replies(&s, framing);
        let (h, res) = read_reply::<Ret<i32>>(&mut r, protocol).unwrap();
        assert_eq!(
            (h.name.as_str(), h.kind, h.seqid),
            ("nope", MessageType::Exception, 41)
        );
        let e = res.unwrap_err();
        assert_eq!(e.kind, ApplicationErrorKind::UnknownMethod);
        assert_eq!(e.message, "Invalid method name: 'nope'");
        let (h, res) = read_reply::<Ret<i32>>(&mut r, protocol).unwrap();
        assert_eq!(h.seqid, 42);
        assert_eq!(res.unwrap(), Ret::Success(9));

        // Through the client.
        let mut c = client(server.local_addr(), protocol, framing);
        let e = c.call::<_, Ret<i32>>("nope", &NoArgs).unwrap_err();
        assert_eq!(app_kind(&e), ApplicationErrorKind::UnknownMethod);
        assert!(c.is_usable());
        assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
        server.stop();
    }
}

#[test]
fn handler_panic_is_an_internal_error_and_the_connection_survives() {
    quiet_expected_panics();
    let modes = [
        (COMBOS[0], Threads::PerConnection),
        (COMBOS[3], Threads::PerConnection),
        (COMBOS[0], Threads::Events(1)),
    ];
    for ((protocol, framing), threads) in modes {
        let server = calc_server(threads, protocol, framing);
        let mut s = raw(server.local_addr());
        send(&mut s, &call_msg(protocol, framing, "panic", 7, &NoArgs));
        let mut r = replies(&s, framing);
        let (h, res) = read_reply::<Ret<i32>>(&mut r, protocol).unwrap();
        assert_eq!(
            (h.name.as_str(), h.kind, h.seqid),
            ("panic", MessageType::Exception, 7)
        );
        let e = res.unwrap_err();
        assert_eq!(e.kind, ApplicationErrorKind::InternalError);
        assert_eq!(e.message, "Internal error processing panic");

        let mut c = client(server.local_addr(), protocol, framing);
        assert_eq!(add(&mut c, 1, 1).unwrap(), 2);
        let conns = server.connections();
        for _ in 0..1000 {
            let e = c.call::<_, Ret<i32>>("panic", &NoArgs).unwrap_err();
            assert_eq!(app_kind(&e), ApplicationErrorKind::InternalError);
        }
        assert_eq!(add(&mut c, 20, 22).unwrap(), 42);
        // Thread per connection: the same threads serve on.
        assert_eq!(server.connections(), conns);
        server.stop();
    }
}

#[test]
fn declared_exceptions_are_replies_and_undeclared_errors_hide_their_detail() {
    let server = builder(Calc::default()).start();
    let mut c = client(server.local_addr(), ProtocolKind::Binary, Framing::Buffered);
    let r: Ret<i32> = c.call("oops", &Args1("no luck".to_string())).unwrap();
    assert_eq!(r, Ret::Oops("no luck".into()));
    let e = c.call::<_, Ret<i32>>("undeclared", &NoArgs).unwrap_err();
    match &e {
        Error::Application(a) => {
            assert_eq!(a.kind, ApplicationErrorKind::InternalError);
            assert_eq!(a.message, "Internal error processing undeclared");
        }
        other => panic!("{other}"),
    }
    // An ApplicationError from the handler goes out as it is.
    let e = c
        .call::<_, Ret<i32>>("app_error", &Args1("custom".to_string()))
        .unwrap_err();
    assert!(
        matches!(&e, Error::Application(a) if a.kind == ApplicationErrorKind::Unknown && a.message == "custom")
    );
    assert_eq!(add(&mut c, 1, 1).unwrap(), 2);
    server.stop();
}

#[test]
fn oneway_faults_send_nothing_and_the_server_keeps_serving() {
    quiet_expected_panics();
    for (protocol, framing) in [COMBOS[1], COMBOS[2]] {
        let calc = Arc::new(Calc::default());
        let server = builder(calc.clone()).wire(protocol, framing).start();
        let mut s = raw(server.local_addr());
        let mut bytes = oneway_msg(protocol, framing, "fire_panic", 1, &NoArgs);
        bytes.extend(oneway_msg(protocol, framing, "fire_error", 2, &NoArgs));
        bytes.extend(oneway_msg(protocol, framing, "nope", 3, &NoArgs));
        bytes.extend(oneway_msg(protocol, framing, "fire", 4, &Args1(5)));
        bytes.extend(call_msg(
            protocol,
            framing,
            "add",
            5,
            &AddArgs { a: 1, b: 2 },
        ));
        send(&mut s, &bytes);
        let mut r = replies(&s, framing);
        // The first reply on the wire is the one to the call.
        let (h, res) = read_reply::<Ret<i32>>(&mut r, protocol).unwrap();
        assert_eq!(h.seqid, 5);
        assert_eq!(res.unwrap(), Ret::Success(3));
        assert_eq!(calc.fired.load(Ordering::SeqCst), 5);
        server.stop();
    }
}

#[test]
fn unencodable_result_is_an_internal_error() {
    for (protocol, framing) in [COMBOS[0], COMBOS[3]] {
        let server = calc_server(Threads::PerConnection, protocol, framing);
        let mut c = client(server.local_addr(), protocol, framing);
        let e = c
            .call::<_, Ret<Unencodable>>("unencodable", &NoArgs)
            .unwrap_err();
        assert_eq!(app_kind(&e), ApplicationErrorKind::InternalError);
        assert_eq!(add(&mut c, 2, 2).unwrap(), 4);
        server.stop();
    }
}

#[test]
fn poisoned_mutex_in_a_handler_does_not_take_the_server_down() {
    quiet_expected_panics();
    let server = builder(Calc::default()).start();
    let mut c = client(server.local_addr(), ProtocolKind::Binary, Framing::Buffered);
    let e = c.call::<_, Ret<i32>>("poison", &NoArgs).unwrap_err();
    assert_eq!(app_kind(&e), ApplicationErrorKind::InternalError);
    // A handler that unwraps the poisoned lock fails every time, but only
    // its own calls: each is answered with INTERNAL_ERROR.
    for _ in 0..3 {
        let e = c.call::<_, Ret<i32>>("incr_strict", &NoArgs).unwrap_err();
        assert_eq!(app_kind(&e), ApplicationErrorKind::InternalError);
    }
    // A handler that recovers the lock works; other methods are unaffected.
    assert_eq!(
        c.call::<_, Ret<i32>>("incr", &NoArgs).unwrap(),
        Ret::Success(1)
    );
    let mut c2 = client(server.local_addr(), ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut c2, 3, 4).unwrap(), 7);
    server.stop();
}

#[test]
fn undecodable_arguments_get_protocol_error() {
    // Every mode: the event-driven one sends replies without waiting, and
    // this one must still go out before the connection closes.
    let modes = COMBOS
        .into_iter()
        .flat_map(|c| [(c, Threads::PerConnection), (c, Threads::Events(2))]);
    for ((protocol, framing), threads) in modes {
        let server = calc_server(threads, protocol, framing);
        let mut s = raw(server.local_addr());
        // `add` needs fields 1 and 2; this has only field 1.
        let mut bytes = call_msg(protocol, framing, "add", 9, &Args1(5i32));
        bytes.extend(call_msg(
            protocol,
            framing,
            "add",
            10,
            &AddArgs { a: 1, b: 1 },
        ));
        send(&mut s, &bytes);
        let mut r = replies(&s, framing);
        let (h, res) = read_reply::<Ret<i32>>(&mut r, protocol)
            .unwrap_or_else(|e| panic!("{threads:?} {framing:?}: no reply: {e}"));
        assert_eq!((h.kind, h.seqid), (MessageType::Exception, 9));
        assert_eq!(res.unwrap_err().kind, ApplicationErrorKind::ProtocolError);
        match framing {
            // The frame boundary is known: the next request is served.
            Framing::Framed => {
                let (h, res) = read_reply::<Ret<i32>>(&mut r, protocol).unwrap();
                assert_eq!(h.seqid, 10);
                assert_eq!(res.unwrap(), Ret::Success(2));
            }
            // Unframed, the stream is out of step: the server closes.
            Framing::Buffered => {
                assert!(closed_within(&mut s, Duration::from_secs(5)));
            }
            other => unimplemented!("not covered by these tests: {other:?}"),
        }
        server.stop();
    }
}

#[test]
fn arguments_cut_short_inside_their_frame_get_protocol_error() {
    for protocol in [ProtocolKind::Binary, ProtocolKind::Compact] {
        let framing = Framing::Framed;
        let server = calc_server(Threads::PerConnection, protocol, framing);
        let mut s = raw(server.local_addr());
        // The frame ends two bytes into the value of field 2 (binary) or
        // right after its header (compact), with the stream still open.
        let mut bytes = call_msg(protocol, framing, "add", 11, &AddArgs { a: 1, b: 2 });
        bytes.truncate(bytes.len() - 2);
        let len = u32::try_from(bytes.len() - 4).unwrap();
        bytes[..4].copy_from_slice(&len.to_be_bytes());
        bytes.extend(call_msg(
            protocol,
            framing,
            "add",
            12,
            &AddArgs { a: 3, b: 4 },
        ));
        send(&mut s, &bytes);
        let mut r = replies(&s, framing);
        let (h, res) = read_reply::<Ret<i32>>(&mut r, protocol).unwrap();
        assert_eq!(
            (h.kind, h.seqid),
            (MessageType::Exception, 11),
            "{protocol:?}"
        );
        assert_eq!(
            res.unwrap_err().kind,
            ApplicationErrorKind::ProtocolError,
            "{protocol:?}"
        );
        // The connection stays usable: the next frame is served.
        let (h, res) = read_reply::<Ret<i32>>(&mut r, protocol).unwrap();
        assert_eq!(h.seqid, 12, "{protocol:?}");
        assert_eq!(res.unwrap(), Ret::Success(7));
        server.stop();
    }
}

#[test]
fn reply_or_exception_messages_from_a_client_close_the_connection() {
    let server = builder(Calc::default()).start();
    for kind in [MessageType::Reply, MessageType::Exception] {
        let mut s = raw(server.local_addr());
        send(
            &mut s,
            &message(
                ProtocolKind::Binary,
                Framing::Buffered,
                "add",
                kind,
                1,
                &NoArgs,
            ),
        );
        assert!(closed_within(&mut s, Duration::from_secs(5)));
    }
    server.stop();
}

#[test]
fn http_and_tls_probes_are_closed_quickly() {
    for framing in [Framing::Buffered, Framing::Framed] {
        let server = builder(Calc::default()).framing(framing).start();
        let mut probes: Vec<&[u8]> = vec![
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            &[
                0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03,
            ],
        ];
        if framing == Framing::Framed {
            // Empty and negative frames.
            probes.push(b"\x00\x00\x00\x00");
            probes.push(b"\xff\xff\xff\xff");
        }
        for probe in probes {
            let mut s = raw(server.local_addr());
            send(&mut s, probe);
            let started = std::time::Instant::now();
            assert!(closed_within(&mut s, Duration::from_secs(5)), "{probe:?}");
            assert!(started.elapsed() < Duration::from_secs(1));
        }
        // And the server still answers.
        let mut c = client(server.local_addr(), ProtocolKind::Binary, framing);
        assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
        server.stop();
    }
}

#[test]
fn multiplexed_services_share_a_connection() {
    let first = Arc::new(Calc::default());
    let second = Arc::new(Calc::default());
    let mut mux = MultiplexedProcessor::new();
    mux.register("First", first.clone() as Arc<dyn ServerProcessor>);
    mux.register("Second", second.clone() as Arc<dyn ServerProcessor>);
    for (protocol, framing) in [COMBOS[0], COMBOS[3]] {
        first.calls.store(0, Ordering::SeqCst);
        second.calls.store(0, Ordering::SeqCst);
        let server = builder(Arc::new(clone_mux(&first, &second)))
            .wire(protocol, framing)
            .start();
        let mut c = client(server.local_addr(), protocol, framing);
        assert_eq!(
            add(&mut Multiplexed::new(&mut c, "First"), 1, 2).unwrap(),
            3
        );
        assert_eq!(
            add(&mut Multiplexed::new(&mut c, "Second"), 3, 4).unwrap(),
            7
        );
        assert_eq!(
            add(&mut Multiplexed::new(&mut c, "Second"), 5, 6).unwrap(),
            11
        );
        assert_eq!(first.calls.load(Ordering::SeqCst), 1);
        assert_eq!(second.calls.load(Ordering::SeqCst), 2);
        // An unknown service, and a bare name with no default service.
        let e = add(&mut Multiplexed::new(&mut c, "Third"), 1, 1).unwrap_err();
        assert_eq!(app_kind(&e), ApplicationErrorKind::UnknownMethod);
        let e = add(&mut c, 1, 1).unwrap_err();
        assert_eq!(app_kind(&e), ApplicationErrorKind::UnknownMethod);
        assert!(c.is_usable());
        server.stop();
    }
    drop(mux);
}

fn clone_mux(first: &Arc<Calc>, second: &Arc<Calc>) -> MultiplexedProcessor {
    let mut mux = MultiplexedProcessor::new();
    mux.register("First", first.clone() as Arc<dyn ServerProcessor>);
    mux.register("Second", second.clone() as Arc<dyn ServerProcessor>);
    mux
}

#[test]
fn worker_pool_serves_connections_in_turn() {
    let server = builder(Calc::default()).worker_pool(2, 2).start();
    let addr = server.local_addr();
    let mut a = client(addr, ProtocolKind::Binary, Framing::Buffered);
    let mut b = client(addr, ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut a, 1, 1).unwrap(), 2);
    assert_eq!(add(&mut b, 2, 2).unwrap(), 4);
    // Both workers are held by open connections: a third one is queued and
    // served once a worker is free.
    let waiter = std::thread::spawn(move || {
        let mut c = client(addr, ProtocolKind::Binary, Framing::Buffered);
        add(&mut c, 3, 3).unwrap()
    });
    std::thread::sleep(Duration::from_millis(200));
    assert!(!waiter.is_finished());
    drop(a);
    assert_eq!(waiter.join().unwrap(), 6);
    assert_eq!(add(&mut b, 4, 4).unwrap(), 8);
    server.stop();
}
