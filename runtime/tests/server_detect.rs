//! A server with `detect_protocol`: binary and compact, framed and unframed
//! clients on one port at once, each answered in its own protocol and
//! framing, in every threading mode; first bytes that arrive one at a time;
//! the old non-strict binary header; and first bytes that never complete,
//! whether the connection then times out or the server stops.

mod server_support;

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
