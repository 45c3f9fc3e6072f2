//! What a blocking server's connection keeps once it is done with a large
//! or hostile message, in each threading mode, and what a pooled client
//! connection keeps: measured exactly with a counting global allocator
//! (`alloc_support`; server and client run in this process).
//!
//! - A long method name: the name is read into a buffer the connection
//!   reuses from message to message, and a peer may send one as long as
//!   the message size limit.
//! - A large reply: the reply buffer keeps at most 128 KiB.
//! - A connection the server closes over unread input ("lingering"): its
//!   buffers and its frame's charge to the in-flight budget are given back
//!   before the peer sees the end of the stream.

mod alloc_support;
mod server_support;

use std::io::Read;
use std::time::Duration;

use alloc_support::{after_a_small_call, live, long_named_call, small_call};
use server_support::*;
use thriftc_runtime::client::Channel;
use thriftc_runtime::protocol::MessageType;
use thriftc_runtime::transport::ByteBudget;
use thriftc_runtime::{Framing, Pool, ProtocolKind};

const KIB: isize = 1024;
const MIB: usize = 1024 * 1024;
/// What an idle connection may keep beyond what it held after a small
/// call, once a large message is done: its read buffer is back to its
/// usual size, its reply buffer keeps at most 128 KiB; with some slack.
const BOUND: isize = 192 * KIB;

/// Waits (the event-driven mode's sweep gives back grown buffers within a
/// second or two) until less than [`BOUND`] is kept beyond `before`, then
/// says how much is.
fn settled_kept(before: isize) -> isize {
    eventually(Duration::from_secs(5), || live() - before < BOUND);
    live() - before
}

/// A call with a 4 MiB method name, then (with `then_small`) a small call:
/// the idle connection does not keep the name.
fn long_name_is_not_kept(threads: Threads, wire: (ProtocolKind, Framing), then_small: bool) {
    let _serial = serial();
    let server = calc_server(threads, wire.0, wire.1);
    let (mut s, mut replies, before) = after_a_small_call(server.local_addr(), wire);
    long_named_call(&mut s, &mut replies, wire, 2, 4 * MIB);
    if then_small {
        small_call(&mut s, &mut replies, wire, 3, 2);
    }
    drop(replies);
    let kept = settled_kept(before);
    assert!(
        kept < BOUND,
        "{threads:?} {wire:?} (small call after: {then_small}): the idle connection keeps \
         {} KiB after a call named with 4096 KiB",
        kept / KIB
    );
    drop(s);
    server.stop();
}

const BINARY: (ProtocolKind, Framing) = (ProtocolKind::Binary, Framing::Buffered);
const BINARY_FRAMED: (ProtocolKind, Framing) = (ProtocolKind::Binary, Framing::Framed);
const COMPACT_FRAMED: (ProtocolKind, Framing) = (ProtocolKind::Compact, Framing::Framed);

#[test]
fn a_thread_per_connection_does_not_keep_a_long_method_name() {
    long_name_is_not_kept(Threads::PerConnection, BINARY, true);
    long_name_is_not_kept(Threads::PerConnection, COMPACT_FRAMED, true);
    long_name_is_not_kept(Threads::PerConnection, BINARY, false);
}

#[test]
fn a_worker_pool_connection_does_not_keep_a_long_method_name() {
    long_name_is_not_kept(Threads::Pool(2), BINARY_FRAMED, true);
}

/// The event-driven mode parks an idle connection without reading again:
/// a long name sent last is dropped there, or by the idle sweep.
#[cfg(target_os = "linux")]
#[test]
fn an_event_driven_connection_does_not_keep_a_long_method_name() {
    long_name_is_not_kept(Threads::Events(2), BINARY, true);
    long_name_is_not_kept(Threads::Events(2), COMPACT_FRAMED, true);
    long_name_is_not_kept(Threads::Events(2), BINARY, false);
    long_name_is_not_kept(Threads::Events(2), BINARY_FRAMED, false);
}

/// An echo of 10 MiB, then idle: what the server's connection keeps.
fn kept_after_a_large_echo(threads: Threads) -> isize {
    let _serial = serial();
    let wire = BINARY_FRAMED;
    let server = calc_server(threads, wire.0, wire.1);
    let (mut s, mut replies, before) = after_a_small_call(server.local_addr(), wire);
    send(&mut s, &echo_msg(wire.0, wire.1, 2, 10 * MIB));
    let (h, r) = read_reply::<Ret<Vec<u8>>>(&mut replies, wire.0).unwrap();
    assert_eq!(h.seqid, 2);
    assert!(matches!(r, Ok(Ret::Success(v)) if v.len() == 10 * MIB));
    drop((h, replies));
    let kept = settled_kept(before);
    drop(s);
    server.stop();
    kept
}

#[test]
fn a_thread_per_connection_idle_after_a_large_echo_keeps_little() {
    let kept = kept_after_a_large_echo(Threads::PerConnection);
    assert!(
        kept < BOUND,
        "PerConnection: the idle connection keeps {} KiB after a 10 MiB echo",
        kept / KIB
    );
}

#[cfg(target_os = "linux")]
#[test]
fn an_event_driven_connection_idle_after_a_large_echo_keeps_little() {
    let kept = kept_after_a_large_echo(Threads::Events(2));
    assert!(
        kept < BOUND,
        "Events: the idle connection keeps {} KiB after a 10 MiB echo",
        kept / KIB
    );
}

/// A pooled client connection after a 10 MiB echo, given back to the pool:
/// what it keeps while idle (the event-driven server gives back its own
/// buffers within a sweep, so what stays is the client's).
#[cfg(target_os = "linux")]
#[test]
fn an_idle_pooled_connection_after_a_large_call_keeps_little() {
    let _serial = serial();
    let (protocol, framing) = BINARY_FRAMED;
    let server = calc_server(Threads::Events(1), protocol, framing);
    let pool = Pool::new(connector(server.local_addr(), protocol, framing)).max_idle(4);
    {
        let mut c = pool.get().unwrap();
        assert_eq!(add(&mut *c, 1, 2).unwrap(), 3);
    }
    // Let the server's connection settle too.
    std::thread::sleep(Duration::from_millis(100));
    let before = live();
    {
        let mut c = pool.get().unwrap();
        let arg = Args1(vec![7u8; 10 * MIB]);
        let r: Ret<Vec<u8>> = c.call("echo_bin", &arg).unwrap();
        assert!(matches!(r, Ret::Success(v) if v.len() == 10 * MIB));
    }
    assert_eq!(pool.idle(), 1);
    let kept = settled_kept(before);
    drop(pool);
    server.stop();
    assert!(
        kept < BOUND,
        "an idle pooled connection keeps {} KiB after a 10 MiB call",
        kept / KIB
    );
}

/// The server closes a connection after a large frame that is not a call
/// (a REPLY from a client), with more input unread: by the time the peer
/// sees the server end its side, the frame's buffer and its charge to the
/// in-flight budget are given back (the connection is done with them; it
/// only discards input for up to a second more).
fn a_closed_connection_gives_back_its_frame(threads: Threads) {
    let _serial = serial();
    let (protocol, framing) = BINARY_FRAMED;
    let budget = ByteBudget::new(ByteBudget::DEFAULT);
    let server = calc_builder(threads)
        .wire(protocol, framing)
        .in_flight_budget(Some(budget.clone()))
        .start();
    let (mut s, replies, before) = after_a_small_call(server.local_addr(), BINARY_FRAMED);
    drop(replies);
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
fn a_thread_per_connection_gives_back_a_frame_when_it_closes() {
    a_closed_connection_gives_back_its_frame(Threads::PerConnection);
}

#[cfg(target_os = "linux")]
#[test]
fn an_event_driven_connection_gives_back_a_frame_when_it_closes() {
    a_closed_connection_gives_back_its_frame(Threads::Events(2));
}
