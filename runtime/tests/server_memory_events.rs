//! What a blocking server's connection keeps once it is done with a
//! message, measured with a counting global allocator (the server runs in
//! this process), and what it keeps charged to the in-flight budget.
//!
//! - A long method name as a connection's last message before it goes idle.
//! - A connection the server closes over unread input ("lingering"): its
//!   buffers and its frame's charge to the in-flight budget.

mod alloc_support;
mod server_support;

use std::io::Read;
use std::time::Duration;

use alloc_support::live;
use server_support::*;
use thriftc_runtime::protocol::MessageType;
use thriftc_runtime::transport::ByteBudget;
use thriftc_runtime::{ApplicationErrorKind, Framing, ProtocolKind};

const KIB: isize = 1024;
const MIB: usize = 1024 * 1024;
/// What an idle connection may keep beyond what it held before: its read
/// buffer of at most 128 KiB, its write buffer, and some slack.
const BOUND: isize = 512 * KIB;

/// A call with a long method name is the connection's last message: the
/// connection then waits, idle, for the next one.
fn long_name_as_last_message_is_not_kept(threads: Threads, framing: Framing) {
    let _serial = serial();
    let protocol = ProtocolKind::Binary;
    let server = calc_server(threads, protocol, framing);
    let mut s = raw(server.local_addr());
    let mut replies = replies(&s, framing);
    send(
        &mut s,
        &call_msg(protocol, framing, "add", 1, &AddArgs { a: 1, b: 2 }),
    );
    let (h, r) = read_reply::<Ret<i32>>(&mut replies, protocol).unwrap();
    assert_eq!((h.seqid, r), (1, Ok(Ret::Success(3))));
    let before = live();

    let name = "n".repeat(4 * MIB);
    send(&mut s, &call_msg(protocol, framing, &name, 2, &NoArgs));
    drop(name);
    let (h, r) = read_reply::<Ret<i32>>(&mut replies, protocol).unwrap();
    assert_eq!((h.seqid, h.kind), (2, MessageType::Exception));
    assert_eq!(r.unwrap_err().kind, ApplicationErrorKind::UnknownMethod);
    drop(h);
    drop(replies);
    // No further message: the connection is idle (the event-driven mode's
    // sweep gives back its grown buffers within a second or two).
    let settled = eventually(Duration::from_secs(5), || live() - before < BOUND);
    let kept = live() - before;
    assert!(
        settled,
        "{threads:?} {framing:?}: the idle connection keeps {} KiB after a call named \
         with 4096 KiB",
        kept / KIB
    );
    drop(s);
    server.stop();
}

#[test]
fn thread_per_connection_does_not_keep_a_long_name_sent_last() {
    long_name_as_last_message_is_not_kept(Threads::PerConnection, Framing::Buffered);
}

#[cfg(target_os = "linux")]
#[test]
fn event_driven_does_not_keep_a_long_name_sent_last() {
    long_name_as_last_message_is_not_kept(Threads::Events(2), Framing::Buffered);
}

#[cfg(target_os = "linux")]
#[test]
fn event_driven_framed_does_not_keep_a_long_name_sent_last() {
    long_name_as_last_message_is_not_kept(Threads::Events(2), Framing::Framed);
}

/// The server closes a connection after a large frame that is not a call
/// (a REPLY from a client), with more input unread: by the time the peer
/// sees the server end its side, the frame's buffer and its charge to the
/// in-flight budget are given back (the connection is done with them; it
/// only discards input for up to a second more).
fn a_closed_connection_gives_back_its_frame(threads: Threads) {
    let _serial = serial();
    let protocol = ProtocolKind::Binary;
    let framing = Framing::Framed;
    let budget = ByteBudget::new(ByteBudget::DEFAULT);
    let server = calc_builder(threads)
        .wire(protocol, framing)
        .in_flight_budget(Some(budget.clone()))
        .start();
    let mut s = raw(server.local_addr());
    // A first small call, so that the connection's own buffers exist.
    let mut replies = replies(&s, framing);
    send(
        &mut s,
        &call_msg(protocol, framing, "add", 1, &AddArgs { a: 1, b: 2 }),
    );
    let (h, r) = read_reply::<Ret<i32>>(&mut replies, protocol).unwrap();
    assert_eq!((h.seqid, r), (1, Ok(Ret::Success(3))));
    drop((h, replies));
    let before = live();

    let frame = message(
        protocol,
        framing,
        "not_a_call",
        MessageType::Reply,
        2,
        &Args1(vec![7u8; 2 * MIB]),
    );
    // All but the last byte; once the frame is charged, the last byte and a
    // next frame in one small write, so that input is left unread when the
    // server closes the connection.
    send(&mut s, &frame[..frame.len() - 1]);
    // (A thread mode reads the header as it arrives and may be done with
    // the frame already: the peak shows it was charged.)
    assert!(
        eventually(Duration::from_secs(5), || budget.peak() >= 2 * MIB),
        "{threads:?}: the frame was not charged"
    );
    let mut tail = vec![*frame.last().unwrap()];
    tail.extend(call_msg(
        protocol,
        framing,
        "add",
        3,
        &AddArgs { a: 1, b: 1 },
    ));
    // A thread mode may have closed already: the tail may not be taken.
    let _ = std::io::Write::write_all(&mut s, &tail);
    drop(frame);
    // The server ends its side (FIN): read to the end.
    let mut sink = Vec::new();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let ended = s.read_to_end(&mut sink);
    assert!(ended.is_ok(), "{threads:?}: no end of stream: {ended:?}");
    // Now, while the server may still be discarding our input (we keep our
    // side open), it is done with the frame.
    let charged = budget.in_use();
    let kept = live() - before;
    assert!(
        charged == 0 && kept < BOUND,
        "{threads:?}: after the server ended the connection it still has {charged} bytes \
         charged to the in-flight budget and keeps {} KiB",
        kept / KIB
    );
    drop(s);
    server.stop();
}

#[test]
fn thread_per_connection_gives_back_a_frame_when_it_closes() {
    a_closed_connection_gives_back_its_frame(Threads::PerConnection);
}

#[cfg(target_os = "linux")]
#[test]
fn event_driven_gives_back_a_frame_when_it_closes() {
    a_closed_connection_gives_back_its_frame(Threads::Events(2));
}
