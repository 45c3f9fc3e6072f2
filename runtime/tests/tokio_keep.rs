//! What an idle async connection keeps after calls a little over 64 KiB
//! (and under 128 KiB): since the inbox keeps buffers of up to 128 KiB for
//! reuse, it may keep two of them (the one it reads into, and the spare the
//! next message's reply is written into), as `AsyncServer`'s docs say.
//!
//! Allocations are counted by a global allocator (`alloc_support`).

mod alloc_support;
mod server_support;
mod tokio_support;

use std::time::Duration;

use alloc_support::{live, small_call};
use server_support::*;
use thriftc_runtime::{Framing, ProtocolKind};
use tokio_support::*;

const WAIT: Duration = Duration::from_secs(10);
const KIB: isize = 1024;
const WIRE: (ProtocolKind, Framing) = (ProtocolKind::Binary, Framing::Buffered);

/// The bytes live once the server has settled (nothing changes for 200 ms).
fn settled_live() -> isize {
    let mut last = live();
    let mut same = 0;
    for _ in 0..300 {
        std::thread::sleep(Duration::from_millis(10));
        let now = live();
        same = if now == last { same + 1 } else { 0 };
        last = now;
        if same >= 20 {
            break;
        }
    }
    last
}

#[test]
fn an_idle_async_connection_keeps_at_most_two_buffers_of_128_kib() {
    let _serial = serial();
    let (p, f) = WIRE;
    let server = start(async_builder(Default::default()).protocol(p).framing(f));
    let mut s = raw(server.addr);
    let mut replies = replies(&s, f);
    small_call(&mut s, &mut replies, WIRE, 1, 1);
    let before = settled_live();

    // Two calls of 100 KiB: each request grows a buffer to 128 KiB, which
    // the reply is written into and which is then kept for reuse.
    for seqid in 2..4 {
        let text = "e".repeat(100 * 1024);
        send(&mut s, &call_msg(p, f, "echo", seqid, &Args1(text)));
        let (h, r) = read_reply::<Ret<String>>(&mut replies, p).unwrap();
        assert_eq!(h.seqid, seqid);
        assert!(matches!(&r, Ok(Ret::Success(e)) if e.len() == 100 * 1024));
    }
    small_call(&mut s, &mut replies, WIRE, 4, 2);
    // The test's own reader grew too; its growth is not the server's.
    drop(replies);
    let kept = settled_live() - before;
    // Two kept buffers of at most 128 KiB each, and some slack.
    assert!(
        kept <= 2 * 128 * KIB + 32 * KIB,
        "the idle connection keeps {} KiB more",
        kept / KIB
    );
    drop(s);
    assert!(server.stop_within(WAIT));
}
