//! What a blocking server's idle connection keeps after a call with a long
//! method name, in every threading mode: the name is read into a buffer
//! the connection reuses from message to message, and a peer may send one
//! as long as the message size limit.
//!
//! Allocations are counted by a global allocator (`alloc_support`).

mod alloc_support;
mod server_support;

use std::time::Duration;

use alloc_support::live;
use server_support::*;
use thriftc_runtime::protocol::MessageType;
use thriftc_runtime::{ApplicationErrorKind, Framing, ProtocolKind};

const KIB: isize = 1024;
/// The method name sent: far more than a connection may keep.
const NAME_LEN: usize = 4 * 1024 * 1024;
/// What an idle connection may keep beyond what it held before the call:
/// its read buffer of at most 128 KiB, and some slack.
const BOUND: isize = 512 * KIB;

fn long_name_is_not_kept(threads: Threads, protocol: ProtocolKind, framing: Framing) {
    let _serial = serial();
    let server = calc_server(threads, protocol, framing);
    let addr = server.local_addr();
    let mut s = raw(addr);
    let mut replies = replies(&s, framing);
    // A first small call, so that the connection's own buffers exist.
    send(
        &mut s,
        &call_msg(protocol, framing, "add", 1, &AddArgs { a: 1, b: 2 }),
    );
    let (h, r) = read_reply::<Ret<i32>>(&mut replies, protocol).unwrap();
    assert_eq!((h.seqid, r), (1, Ok(Ret::Success(3))));
    let before = live();

    let name = "n".repeat(NAME_LEN);
    send(&mut s, &call_msg(protocol, framing, &name, 2, &NoArgs));
    drop(name);
    let (h, r) = read_reply::<Ret<i32>>(&mut replies, protocol).unwrap();
    assert_eq!((h.seqid, h.kind), (2, MessageType::Exception));
    assert_eq!(r.unwrap_err().kind, ApplicationErrorKind::UnknownMethod);
    drop(h);
    // A small call again: the connection was not closed, and is idle.
    send(
        &mut s,
        &call_msg(protocol, framing, "add", 3, &AddArgs { a: 2, b: 2 }),
    );
    let (h, r) = read_reply::<Ret<i32>>(&mut replies, protocol).unwrap();
    assert_eq!((h.seqid, r), (3, Ok(Ret::Success(4))));
    drop(replies);

    let settled = eventually(Duration::from_secs(5), || live() - before < BOUND);
    let kept = live() - before;
    assert!(
        settled,
        "{threads:?} {protocol:?} {framing:?}: the idle connection keeps {} KiB more than \
         before the call named with {} KiB",
        kept / KIB,
        NAME_LEN / 1024
    );
    drop(s);
    server.stop();
}

#[test]
fn a_thread_per_connection_does_not_keep_a_long_method_name() {
    long_name_is_not_kept(
        Threads::PerConnection,
        ProtocolKind::Binary,
        Framing::Buffered,
    );
    long_name_is_not_kept(
        Threads::PerConnection,
        ProtocolKind::Compact,
        Framing::Framed,
    );
}

#[test]
fn a_worker_pool_connection_does_not_keep_a_long_method_name() {
    long_name_is_not_kept(Threads::Pool(2), ProtocolKind::Binary, Framing::Framed);
}

#[cfg(target_os = "linux")]
#[test]
fn an_event_driven_connection_does_not_keep_a_long_method_name() {
    long_name_is_not_kept(Threads::Events(2), ProtocolKind::Binary, Framing::Buffered);
    long_name_is_not_kept(Threads::Events(2), ProtocolKind::Compact, Framing::Framed);
}
