//! A global allocator that counts the bytes live in this test process, so
//! that a test measures exactly what an in-process server or client keeps
//! (no RSS noise). A test binary that mounts this module uses it for every
//! allocation. Also the steps the memory tests share: a connection warmed
//! by a small call, and calls to measure after.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// Safety: every call is passed to `System` unchanged; only the counter is
// added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::SeqCst);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The bytes allocated and not yet freed, by every thread of the process.
pub fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

use std::net::{SocketAddr, TcpStream};

use thriftc_runtime::protocol::MessageType;
use thriftc_runtime::{ApplicationErrorKind, Framing, ProtocolKind};

use crate::server_support::{
    AddArgs, NoArgs, Replies, Ret, call_msg, raw, read_reply, replies, send,
};

/// `add(a, 1)` as call `seqid` on `s`, and its reply checked.
pub fn small_call(
    s: &mut TcpStream,
    replies: &mut Replies,
    wire: (ProtocolKind, Framing),
    seqid: i32,
    a: i32,
) {
    let (protocol, framing) = wire;
    send(
        s,
        &call_msg(protocol, framing, "add", seqid, &AddArgs { a, b: 1 }),
    );
    let (h, r) = read_reply::<Ret<i32>>(replies, protocol).unwrap();
    assert_eq!((h.seqid, r), (seqid, Ok(Ret::Success(a + 1))));
}

/// A raw connection to `addr` on which one small call was answered, so
/// that the buffers of the connection exist on both sides; and the bytes
/// live then.
pub fn after_a_small_call(
    addr: SocketAddr,
    wire: (ProtocolKind, Framing),
) -> (TcpStream, Replies, isize) {
    let mut s = raw(addr);
    let mut r = replies(&s, wire.1);
    small_call(&mut s, &mut r, wire, 1, 1);
    (s, r, live())
}

/// A call named with `len` bytes as call `seqid` on `s`: answered with
/// `UNKNOWN_METHOD`.
pub fn long_named_call(
    s: &mut TcpStream,
    replies: &mut Replies,
    wire: (ProtocolKind, Framing),
    seqid: i32,
    len: usize,
) {
    let (protocol, framing) = wire;
    let name = "n".repeat(len);
    send(s, &call_msg(protocol, framing, &name, seqid, &NoArgs));
    drop(name);
    let (h, r) = read_reply::<Ret<i32>>(replies, protocol).unwrap();
    assert_eq!((h.seqid, h.kind), (seqid, MessageType::Exception));
    assert_eq!(r.unwrap_err().kind, ApplicationErrorKind::UnknownMethod);
}
