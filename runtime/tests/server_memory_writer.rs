//! What a connection keeps after a large request and reply, while
//! idle: the blocking server's connections in the thread modes, and an
//! idle connection in a blocking client `Pool`. Measured with a counting
//! global allocator (server and client run in this process).

mod alloc_support;
mod server_support;

use std::time::Duration;

use alloc_support::live;
use server_support::*;
use thriftc_runtime::client::Channel;
use thriftc_runtime::{Framing, Pool, ProtocolKind};

const KIB: isize = 1024;
const MIB: usize = 1024 * 1024;
/// What an idle connection may keep beyond what it held after a small
/// call, once a large message is done: its read buffer is back to its
/// usual size, its write buffer keeps at most 128 KiB; with some slack.
const BOUND: isize = 192 * KIB;

/// An echo of 10 MiB, then idle: what the server's connection keeps.
fn kept_after_a_large_echo(threads: Threads, framing: Framing) -> isize {
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
    drop(h);
    let before = live();
    send(&mut s, &echo_msg(protocol, framing, 2, 10 * MIB));
    let (h, r) = read_reply::<Ret<Vec<u8>>>(&mut replies, protocol).unwrap();
    assert_eq!(h.seqid, 2);
    assert!(matches!(r, Ok(Ret::Success(v)) if v.len() == 10 * MIB));
    drop((h, replies));
    // Idle now; give it time to settle (the event-driven sweep).
    eventually(Duration::from_secs(3), || live() - before < BOUND);
    let kept = live() - before;
    drop(s);
    server.stop();
    kept
}

/// In the thread modes, an idle connection's write buffer keeps at most
/// 128 KiB after a large reply (the event-driven mode gives it back).
#[test]
fn a_thread_per_connection_idle_after_a_large_echo_keeps_little() {
    let kept = kept_after_a_large_echo(Threads::PerConnection, Framing::Framed);
    assert!(
        kept < BOUND,
        "PerConnection: the idle connection keeps {} KiB after a 10 MiB echo",
        kept / KIB
    );
}

#[cfg(target_os = "linux")]
#[test]
fn an_event_driven_connection_idle_after_a_large_echo_keeps_little() {
    let kept = kept_after_a_large_echo(Threads::Events(2), Framing::Framed);
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
    let protocol = ProtocolKind::Binary;
    let framing = Framing::Framed;
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
    eventually(Duration::from_secs(3), || live() - before < BOUND);
    let kept = live() - before;
    drop(pool);
    server.stop();
    assert!(
        kept < BOUND,
        "an idle pooled connection keeps {} KiB after a 10 MiB call",
        kept / KIB
    );
}
