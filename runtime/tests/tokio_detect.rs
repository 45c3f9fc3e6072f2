//! The async server with `detect_protocol` (feature `tokio`): binary and
//! compact, framed and unframed clients on one port at once, blocking and
//! async; first bytes that arrive one at a time; the old non-strict binary
//! header; first bytes that never complete; a first byte no message starts
//! with.

mod server_support;
mod tokio_support;

use std::thread;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::tokio::AsyncChannel;
use thriftc_runtime::{BinaryProtocol, Encode, Framing, ProtocolKind};
use tokio_support::*;

const WAIT: Duration = Duration::from_secs(10);

fn detecting() -> Running {
    start(async_builder(Default::default()).detect_protocol(true))
}

#[test]
fn one_port_serves_every_protocol_and_framing_at_once() {
    let server = detecting();
    // One blocking connection of each kind, all open while the others call.
    let mut clients: Vec<_> = COMBOS
        .iter()
        .map(|&(p, f)| (p, f, client(server.addr, p, f)))
        .collect();
    for round in 0..3 {
        for (p, f, c) in &mut clients {
            assert_eq!(add(c, round, 40).unwrap(), round + 40, "{p:?} {f:?}");
        }
    }
    // And async clients of each kind.
    runtime().block_on(async {
        for (p, f) in COMBOS {
            let mut c = connector(server.addr, p, f).connect_async().await.unwrap();
            let r = c
                .call::<_, Ret<i32>>("add", &AddArgs { a: 3, b: 4 })
                .await
                .unwrap();
            assert_eq!(r, Ret::Success(7), "{p:?} {f:?}");
        }
    });
    drop(clients);
    assert!(server.stop_within(WAIT));
}

#[test]
fn without_detection_a_compact_client_of_a_binary_server_fails() {
    let server = start(async_builder(Default::default()));
    let mut c = client(server.addr, ProtocolKind::Compact, Framing::Buffered);
    assert!(add(&mut c, 1, 2).is_err());
    assert!(server.stop_within(WAIT));
}

#[test]
fn first_bytes_may_arrive_one_at_a_time() {
    let server = detecting();
    for (p, f) in COMBOS {
        let mut s = raw(server.addr);
        let msg = call_msg(p, f, "add", 9, &AddArgs { a: 2, b: 5 });
        for b in &msg[..6] {
            send(&mut s, &[*b]);
            // Each byte on its own read, as far as the peer can tell.
            thread::sleep(Duration::from_millis(5));
        }
        send(&mut s, &msg[6..]);
        let (h, r) = read_reply::<Ret<i32>>(&mut replies(&s, f), p).unwrap();
        assert_eq!(h.seqid, 9, "{p:?} {f:?}");
        assert!(r == Ok(Ret::Success(7)), "{p:?} {f:?}: {r:?}");
    }
    assert!(server.stop_within(WAIT));
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
    let server = detecting();
    let mut s = raw(server.addr);
    send(&mut s, &msg);
    let (h, r) =
        read_reply::<Ret<i32>>(&mut replies(&s, Framing::Buffered), ProtocolKind::Binary).unwrap();
    assert_eq!(h.seqid, 4);
    assert!(r == Ok(Ret::Success(3)), "{r:?}");
    assert!(server.stop_within(WAIT));
}

#[test]
fn first_bytes_that_never_complete_time_out_and_others_are_served() {
    let server = start(
        async_builder(Default::default())
            .idle_timeout(Duration::from_millis(300))
            .message_timeout(Duration::from_millis(300))
            .detect_protocol(true),
    );
    // Three bytes of a frame header, then nothing; and nothing at all.
    let mut part = raw(server.addr);
    send(&mut part, &[0, 0, 0]);
    let mut quiet = raw(server.addr);
    assert!(closed_within(&mut part, Duration::from_secs(5)));
    assert!(closed_within(&mut quiet, Duration::from_secs(5)));
    let mut c = client(server.addr, ProtocolKind::Compact, Framing::Framed);
    assert_eq!(add(&mut c, 1, 1).unwrap(), 2);
    drop(c);
    assert!(server.stop_within(WAIT));
}

#[test]
fn a_first_byte_no_message_starts_with_is_refused_at_once() {
    // Long timeouts: the refusal must not wait for them.
    let server = start(
        async_builder(Default::default())
            .idle_timeout(Duration::from_secs(60))
            .message_timeout(Duration::from_secs(60))
            .detect_protocol(true),
    );
    let mut s = raw(server.addr);
    send(&mut s, &[0xff, 0xff, 0xff, 0xff]);
    assert!(closed_within(&mut s, Duration::from_secs(5)));
    assert!(server.stop_within(WAIT));
}
