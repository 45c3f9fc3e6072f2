//! The async server's message clock: when a message's time starts (with
//! its first bytes, or, behind another request, when the server turns to
//! it) and that it holds at every read, not only at reads that would
//! block.

mod server_support;
mod tokio_support;

use std::time::Duration;

use server_support::*;
use thriftc_runtime::protocol::MessageType;
use thriftc_runtime::{Framing, ProtocolKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_support::*;

const WAIT: Duration = Duration::from_secs(10);

/// The message timeout of these tests.
const MESSAGE: Duration = Duration::from_millis(500);

const COMBOS: [(ProtocolKind, Framing); 2] = [
    (ProtocolKind::Binary, Framing::Buffered),
    (ProtocolKind::Compact, Framing::Framed),
];

/// An `echo` call long enough to be cut in two.
fn echo(p: ProtocolKind, f: Framing, seqid: i32) -> Vec<u8> {
    call_msg(p, f, "echo", seqid, &Args1("x".repeat(1000)))
}

/// The server's answer to [`echo`].
fn echo_reply(p: ProtocolKind, f: Framing, seqid: i32) -> Vec<u8> {
    let ret = Ret::Success("x".repeat(1000));
    message(p, f, "echo", MessageType::Reply, seqid, &ret)
}

/// Reads until `n` bytes have come, the peer closed or [`WAIT`] passed;
/// returns what came.
async fn read_up_to(s: &mut tokio::net::TcpStream, n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    let mut got = 0;
    let read = async {
        while got < n {
            match s.read(&mut out[got..]).await {
                Ok(0) | Err(_) => break,
                Ok(k) => got += k,
            }
        }
    };
    let _ = tokio::time::timeout(WAIT, read).await;
    out.truncate(got);
    out
}

/// One connection on a server sharing this (single) thread: an `add` call
/// followed by the first half of an `echo` call, in one write; once the
/// `add` is answered (so the server waits for the rest of the echo, its
/// clock running), the thread is kept busy for `busy`, so the server
/// cannot look at its socket; then the rest of the echo is sent, and it is
/// all there for the server's next read. Returns what the server sent for
/// the echo.
async fn echo_after_busy_thread(
    addr: std::net::SocketAddr,
    p: ProtocolKind,
    f: Framing,
    busy: Duration,
) -> Vec<u8> {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    let add = call_msg(p, f, "add", 1, &AddArgs { a: 1, b: 2 });
    let echo = echo(p, f, 2);
    let half = echo.len() / 2;
    s.write_all(&[&add[..], &echo[..half]].concat())
        .await
        .unwrap();
    let added = message(p, f, "add", MessageType::Reply, 1, &Ret::Success(3i32));
    assert_eq!(read_up_to(&mut s, added.len()).await, added, "{p:?} {f:?}");
    // The server's task is parked waiting for the rest; nothing runs on
    // this thread meanwhile (the runtime has one).
    std::thread::sleep(busy);
    let mut rest = &echo[half..];
    while !rest.is_empty() {
        // Without yielding to the server: the rest is written before it
        // can look at its socket (the socket's buffer has room for it).
        let n = s.try_write(rest).unwrap();
        rest = &rest[n..];
    }
    read_up_to(&mut s, echo_reply(p, f, 2).len()).await
}

/// A message whose rest is there to read every time the server looks
/// (here: the server's thread was busy past the deadline, and the bytes
/// came meanwhile) is still bound by the message timeout: the deadline is
/// checked before each read of a message in progress, not only when a
/// read would block. Without the busy spell it is answered.
#[tokio::test]
async fn the_message_deadline_holds_when_every_read_finds_bytes() {
    for (p, f) in COMBOS {
        let server = async_builder(Default::default())
            .protocol(p)
            .framing(f)
            .idle_timeout(WAIT)
            .message_timeout(MESSAGE)
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = server.local_addr();
        let handle = server.handle();
        let serving = tokio::spawn(server.serve());

        let answered = echo_after_busy_thread(addr, p, f, Duration::ZERO).await;
        assert_eq!(answered, echo_reply(p, f, 2), "{p:?} {f:?}: in time");

        let late = echo_after_busy_thread(addr, p, f, MESSAGE * 2).await;
        assert!(
            late.is_empty(),
            "{p:?} {f:?}: a message completed after its deadline was answered"
        );

        handle.stop();
        tokio::time::timeout(WAIT, serving)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

/// A request whose first bytes came in with the requests before it has
/// its clock started when the server turns to it, not when those bytes
/// came: the time spent answering the calls ahead of it (here longer than
/// the message timeout, also with a whole request between them) is the
/// server's, and a peer that sends the rest promptly is answered. A rest
/// that comes later than the message timeout after that is not.
#[test]
fn a_pipelined_half_request_is_timed_from_when_the_server_turns_to_it() {
    let slow = MESSAGE.as_millis() as i32 * 2;
    for (p, f) in COMBOS {
        let server = start(
            async_builder(Default::default())
                .protocol(p)
                .framing(f)
                .idle_timeout(WAIT)
                .message_timeout(MESSAGE),
        );
        let cases = [
            (0, false, Duration::ZERO, true),
            (slow, false, Duration::ZERO, true),
            (slow, true, Duration::ZERO, true),
            (0, false, MESSAGE * 2, false),
        ];
        for (sleep, between, delay, answered) in cases {
            let case = format!(
                "{p:?} {f:?}, sleep {sleep}, a request between: {between}, rest after {delay:?}"
            );
            let mut s = raw(server.addr);
            let mut replies = replies(&s, f);
            let echo = echo(p, f, 3);
            let half = echo.len() / 2;
            let mut first = call_msg(p, f, "sleep", 1, &Args1(sleep));
            if between {
                first.extend(call_msg(p, f, "add", 2, &AddArgs { a: 1, b: 2 }));
            }
            send(&mut s, &[&first[..], &echo[..half]].concat());
            let (h, slept) = read_reply::<Ret<i32>>(&mut replies, p).unwrap();
            assert_eq!(
                (h.seqid, slept.unwrap()),
                (1, Ret::Success(sleep)),
                "{case}"
            );
            if between {
                let (h, added) = read_reply::<Ret<i32>>(&mut replies, p).unwrap();
                assert_eq!((h.seqid, added.unwrap()), (2, Ret::Success(3)), "{case}");
            }
            // The peer's own pace: the rest of the echo, at once or late.
            std::thread::sleep(delay);
            send(&mut s, &echo[half..]);
            let reply = read_reply::<Ret<String>>(&mut replies, p);
            if answered {
                let (h, echoed) = reply.unwrap_or_else(|e| panic!("{case}: {e:?}"));
                let want = (3, Ret::Success("x".repeat(1000)));
                assert_eq!((h.seqid, echoed.unwrap()), want, "{case}");
            } else {
                assert!(reply.is_err(), "{case}: answered past the message timeout");
                assert!(closed_within(&mut s, WAIT), "{case}");
            }
        }
        assert!(server.stop_within(WAIT));
    }
}
