//! A server with `detect_protocol`: binary and compact, framed and unframed
//! clients on one port at once, each answered in its own protocol and
//! framing, in every threading mode; first bytes that arrive one at a time;
//! the old non-strict binary header; and first bytes that never complete,
//! whether the connection then times out or the server stops.

mod server_support;

use std::io::Write;
use std::thread;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::{BinaryProtocol, Channel, Encode, Framing, ProtocolKind};

const MODES: [Threads; 3] = [Threads::PerConnection, Threads::Pool(4), Threads::Events(2)];

#[test]
fn one_port_serves_every_protocol_and_framing_at_once() {
    for threads in MODES {
        let server = calc_builder(threads).detect_protocol(true).start();
        let addr = server.local_addr();
        // One connection of each kind, all open while the others call.
        let mut clients: Vec<_> = COMBOS
            .iter()
            .map(|&(p, f)| (p, f, client(addr, p, f)))
            .collect();
        for round in 0..3 {
            for (p, f, c) in &mut clients {
                let sum = add(c, round, 40);
                assert_eq!(sum.unwrap(), round + 40, "{p:?} {f:?} {threads:?}");
            }
        }
        // A large argument: many reads once the protocol is known.
        let big: Vec<u8> = (0..300_000).map(|i| (i % 251) as u8).collect();
        for (p, f, c) in &mut clients {
            let back: Ret<Vec<u8>> = c.call("echo_bin", &Args1(big.clone())).unwrap();
            assert!(back == Ret::Success(big.clone()), "{p:?} {f:?} {threads:?}");
        }
        server.stop();
    }
}

#[test]
fn without_detection_the_configured_protocol_is_the_only_one() {
    // The contrast: a compact client of a binary server gets no answer it
    // can read.
    let server = calc_server(
        Threads::PerConnection,
        ProtocolKind::Binary,
        Framing::Buffered,
    );
    let mut c = client(
        server.local_addr(),
        ProtocolKind::Compact,
        Framing::Buffered,
    );
    assert!(add(&mut c, 1, 2).is_err());
    server.stop();
}

#[test]
fn first_bytes_may_arrive_one_at_a_time() {
    for threads in MODES {
        let server = calc_builder(threads).detect_protocol(true).start();
        for (p, f) in COMBOS {
            let mut s = raw(server.local_addr());
            let msg = call_msg(p, f, "add", 9, &AddArgs { a: 2, b: 5 });
            for b in &msg[..6] {
                send(&mut s, &[*b]);
                thread::sleep(Duration::from_millis(5));
            }
            send(&mut s, &msg[6..]);
            let mut replies = replies(&s, f);
            let (h, r) = read_reply::<Ret<i32>>(&mut replies, p).unwrap();
            assert_eq!(h.seqid, 9, "{p:?} {f:?} {threads:?}");
            assert!(r == Ok(Ret::Success(7)), "{p:?} {f:?} {threads:?}: {r:?}");
        }
        server.stop();
    }
}

#[test]
fn an_old_non_strict_binary_call_is_answered() {
    // Name length, name, message type, seqid: no version word.
    let mut msg = Vec::new();
    msg.extend_from_slice(&3i32.to_be_bytes());
    msg.extend_from_slice(b"add");
    msg.push(1);
    msg.extend_from_slice(&4i32.to_be_bytes());
    AddArgs { a: 1, b: 2 }
        .encode(&mut BinaryProtocol::new(&mut msg, Default::default()))
        .unwrap();
    for threads in MODES {
        let server = calc_builder(threads).detect_protocol(true).start();
        let mut s = raw(server.local_addr());
        send(&mut s, &msg);
        let mut replies = replies(&s, Framing::Buffered);
        let (h, r) = read_reply::<Ret<i32>>(&mut replies, ProtocolKind::Binary).unwrap();
        assert_eq!(h.seqid, 4, "{threads:?}");
        assert!(r == Ok(Ret::Success(3)), "{threads:?}: {r:?}");
        server.stop();
    }
}

#[test]
fn first_bytes_that_never_complete_time_out() {
    for threads in MODES {
        let server = threads
            .apply(builder(Calc::default()))
            .idle_timeout(Duration::from_millis(300))
            .message_timeout(Duration::from_millis(300))
            .detect_protocol(true)
            .start();
        let addr = server.local_addr();
        // Three bytes of a frame header, then nothing; and nothing at all.
        let mut part = raw(addr);
        send(&mut part, &[0, 0, 0]);
        let mut quiet = raw(addr);
        assert!(
            closed_within(&mut part, Duration::from_secs(5)),
            "{threads:?}"
        );
        assert!(
            closed_within(&mut quiet, Duration::from_secs(5)),
            "{threads:?}"
        );
        // The others are served meanwhile and after.
        let mut c = client(addr, ProtocolKind::Compact, Framing::Framed);
        assert_eq!(add(&mut c, 1, 1).unwrap(), 2, "{threads:?}");
        server.stop();
    }
}

#[test]
fn a_stop_closes_connections_whose_protocol_is_not_known_yet() {
    for threads in MODES {
        let server = calc_builder(threads).detect_protocol(true).start();
        let addr = server.local_addr();
        let mut quiet = raw(addr);
        let mut part = raw(addr);
        send(&mut part, &[0, 0]);
        // Both taken by the server before it stops.
        let mut c = client(addr, ProtocolKind::Binary, Framing::Framed);
        assert_eq!(add(&mut c, 2, 2).unwrap(), 4);
        thread::sleep(Duration::from_millis(100));
        let took = timed_stop(&server);
        assert!(
            took < Duration::from_secs(3),
            "{threads:?}: stop took {took:?}"
        );
        assert!(
            closed_within(&mut quiet, Duration::from_secs(2)),
            "{threads:?}"
        );
        assert!(
            closed_within(&mut part, Duration::from_secs(2)),
            "{threads:?}"
        );
    }
}

#[test]
fn a_stop_answers_a_whole_first_request_still_queued() {
    // One worker, busy; a second connection's whole first request waits in
    // the queue when the stop begins: it is read without waiting, and
    // answered, as on a server that does not detect.
    for (p, f) in [
        (ProtocolKind::Compact, Framing::Framed),
        (ProtocolKind::Binary, Framing::Buffered),
    ] {
        let server = calc_builder(Threads::Pool(1)).detect_protocol(true).start();
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
            .unwrap_or_else(|e| panic!("{p:?} {f:?}: the queued request was lost: {e}"));
        assert_eq!(queued.0.seqid, 5);
        assert!(queued.1 == Ok(Ret::Success(5)), "{p:?} {f:?}");
        assert!(busy.join().unwrap() == Ret::Success(400));
        stopper.join().unwrap();
    }
}

#[test]
fn the_message_timeout_runs_from_the_first_byte() {
    // Four bytes of a frame header, the fifth 350 ms later, the rest 350 ms
    // after that: past the 500 ms message timeout since the first byte, so
    // the connection is closed unanswered, in every mode.
    let (p, f) = (ProtocolKind::Binary, Framing::Framed);
    let msg = call_msg(p, f, "add", 1, &AddArgs { a: 1, b: 1 });
    for threads in MODES {
        let server = threads
            .apply(builder(Calc::default()))
            .message_timeout(Duration::from_millis(500))
            .detect_protocol(true)
            .start();
        let mut s = raw(server.local_addr());
        send(&mut s, &msg[..4]);
        thread::sleep(Duration::from_millis(350));
        send(&mut s, &msg[4..5]);
        thread::sleep(Duration::from_millis(350));
        // The server may have closed already: the write may fail.
        let _ = s.write_all(&msg[5..]);
        let reply = read_reply::<Ret<i32>>(&mut replies(&s, f), p);
        assert!(reply.is_err(), "{threads:?}: answered after the timeout");
        server.stop();
    }
}

#[test]
fn a_first_byte_that_starts_nothing_is_refused_at_once() {
    // `ff ff ff ff` is neither a frame length nor a message start: closed
    // at once, not after a wait for a fifth byte.
    for threads in MODES {
        let server = calc_builder(threads).detect_protocol(true).start();
        let mut s = raw(server.local_addr());
        send(&mut s, &[0xff, 0xff, 0xff, 0xff]);
        assert!(closed_within(&mut s, Duration::from_secs(2)), "{threads:?}");
        server.stop();
    }
}
