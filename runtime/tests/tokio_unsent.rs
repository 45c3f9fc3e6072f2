//! Calls that were never sent (feature `tokio`): `SharedClient` tells them
//! apart (`Error::is_unsent`), whether the connection refused them or
//! they were still queued when it broke, and `SharedPool` makes them once
//! more on a new connection; a call that was sent is never made again.
//! (The calls queued behind a stuck write of one `SharedClient`:
//! `tokio_shared_edges.rs`.) Every wait is bounded.

mod server_support;
mod tokio_support;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::protocol::{MessageType, ProtocolRead, TType};
use thriftc_runtime::tokio::{AsyncChannel, SharedPool};
use thriftc_runtime::{BinaryProtocol, Connector, Error, Framing, Result};
use tokio_support::{add_reply, multi_thread, raw_server, until};

const WAIT: Duration = Duration::from_secs(10);

/// A string larger than loopback buffers hold: its request cannot be
/// written while the server reads nothing.
const BIG: usize = 32 << 20;

/// The transport error of `r`, which must have failed with one.
fn transport<T: std::fmt::Debug>(r: &Result<T>) -> &thriftc_runtime::TransportError {
    match r {
        Err(Error::Transport(t)) => t,
        other => panic!("not a transport error: {other:?}"),
    }
}

/// What a raw peer read: `"add a b"` for an `add` call, else the method
/// name.
type Seen = Arc<Mutex<Vec<String>>>;

/// Reads one request (binary, unframed) and records it in `seen`, prefixed
/// with `tag`; returns whether it was an `add` call, with its sum, or
/// `None` once the client closed.
fn read_request(reader: &mut Replies, seen: &Seen, tag: &str) -> Option<(i32, Option<i32>)> {
    if !reader.begin_message().ok()? {
        return None;
    }
    let mut p = BinaryProtocol::new(&mut *reader, Default::default());
    let h = p.read_message_begin().ok()?;
    let sum = if h.name == "add" && h.kind == MessageType::Call {
        let a: AddArgs = thriftc_runtime::Decode::decode(&mut p).ok()?;
        seen.lock()
            .unwrap()
            .push(format!("{tag}add {} {}", a.a, a.b));
        Some(a.a + a.b)
    } else {
        p.skip(TType::Struct).ok()?;
        seen.lock().unwrap().push(format!("{tag}{}", h.name));
        None
    };
    p.read_message_end().ok()?;
    reader.end_message().ok()?;
    Some((h.seqid, sum))
}

/// Answers every `add` call on `s` until the client closes; records what
/// arrives.
fn serve_adds(mut s: TcpStream, seen: &Seen, tag: &str) {
    let mut reader = replies(&s, Framing::Buffered);
    while let Some((seqid, sum)) = read_request(&mut reader, seen, tag) {
        if let Some(sum) = sum {
            send(&mut s, &add_reply(Framing::Buffered, "add", seqid, sum));
        }
    }
}

/// A script run on one accepted connection.
type Script = Box<dyn FnOnce(TcpStream) + Send>;

/// Accepts connections on a loopback port, running the scripts in turn on
/// them (each in a thread of its own); later connections are closed at
/// once. Returns the address and the count of connections accepted.
fn raw_servers(scripts: Vec<Script>) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    thread::spawn(move || {
        let mut scripts = scripts.into_iter();
        for s in listener.incoming() {
            let Ok(s) = s else { return };
            count.fetch_add(1, Ordering::SeqCst);
            s.set_read_timeout(Some(WAIT)).unwrap();
            if let Some(script) = scripts.next() {
                thread::spawn(move || script(s));
            }
        }
    });
    (addr, accepted)
}

/// A connection the server closed: calls made after the client saw it
/// are refused before anything is written, and say so.
#[test]
fn a_shared_client_refuses_calls_after_a_break_as_unsent() {
    let (addr, server) = raw_server(drop);
    multi_thread().block_on(async {
        let shared = Connector::new(addr)
            .unwrap()
            .connect_shared()
            .await
            .unwrap();
        assert!(until(WAIT, || !shared.is_usable()).await, "{shared:?}");
        let mut c = shared.clone();
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
        let e = transport(&r);
        assert!(e.unsent, "{e:?}");
        assert!(e.message.contains("not sent"), "{e}");
        assert!(r.unwrap_err().is_unsent());
        let r = c.call_oneway("fire", &Args1(1)).await;
        assert!(transport(&r).unsent, "{r:?}");
    });
    server.join().unwrap();
}

/// Through a pool of one connection: the calls queued behind a large
/// request when the connection breaks are made again on a new connection
/// and succeed, their callers never seeing the break; the large call,
/// written in part, fails and is not made again.
#[test]
fn a_pool_makes_calls_queued_at_a_break_again_on_a_new_connection() {
    let (started_tx, started_rx) = std_mpsc::channel::<()>();
    let (go_tx, go_rx) = std_mpsc::channel::<()>();
    let seen: Seen = Arc::default();
    let second = Arc::clone(&seen);
    let (addr, accepted) = raw_servers(vec![
        Box::new(move |mut s: TcpStream| {
            let mut b = [0u8; 1];
            s.peek(&mut b).unwrap();
            started_tx.send(()).unwrap();
            go_rx.recv_timeout(WAIT).unwrap();
            send(&mut s, &add_reply(Framing::Buffered, "add", 999, 0));
            let _ = go_rx.recv_timeout(WAIT);
        }),
        Box::new(move |s| serve_adds(s, &second, "")),
    ]);
    multi_thread().block_on(async move {
        let pool = SharedPool::new(
            Connector::new(addr)
                .unwrap()
                .read_timeout(None)
                .write_timeout(None),
            1,
        );
        let mut a = pool.clone();
        let big = tokio::spawn(async move {
            a.call::<_, Ret<String>>("echo", &Args1("x".repeat(BIG)))
                .await
        });
        tokio::task::spawn_blocking(move || started_rx.recv_timeout(WAIT))
            .await
            .unwrap()
            .unwrap();
        let first = pool.client().await.unwrap();
        let adds: Vec<_> = (0..2)
            .map(|i| {
                let mut p = pool.clone();
                tokio::spawn(
                    async move { p.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 10 }).await },
                )
            })
            .collect();
        let mut p = pool.clone();
        let oneway = tokio::spawn(async move { p.call_oneway("fire", &Args1(1)).await });
        assert!(until(WAIT, || first.in_flight() == 4).await, "{first:?}");
        go_tx.send(()).unwrap();
        let r = tokio::time::timeout(WAIT, big).await.unwrap().unwrap();
        assert!(!transport(&r).unsent, "{r:?}");
        for (i, add) in adds.into_iter().enumerate() {
            let r = tokio::time::timeout(WAIT, add).await.unwrap().unwrap();
            assert_eq!(r.unwrap(), Ret::Success(i as i32 + 10));
        }
        let o = tokio::time::timeout(WAIT, oneway).await.unwrap().unwrap();
        assert!(o.is_ok(), "{o:?}");
        assert!(
            until(WAIT, || seen.lock().unwrap().len() == 3).await,
            "{seen:?}"
        );
        let mut got = seen.lock().unwrap().clone();
        got.sort();
        assert_eq!(
            got,
            ["add 0 10", "add 1 10", "fire"],
            "the large call is not made again"
        );
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
        assert!(!first.is_usable());
        drop(go_tx);
    });
}

/// A call whose request the server read before it closed the connection
/// fails and is not made again: the server saw it exactly once. The next
/// call goes through a new connection.
#[test]
fn a_pool_does_not_make_a_sent_call_again() {
    let seen: Seen = Arc::default();
    let (first, second) = (Arc::clone(&seen), Arc::clone(&seen));
    let (addr, accepted) = raw_servers(vec![
        Box::new(move |s: TcpStream| {
            let mut reader = replies(&s, Framing::Buffered);
            read_request(&mut reader, &first, "1: ");
            // Closes without a reply.
        }),
        Box::new(move |s| serve_adds(s, &second, "2: ")),
    ]);
    multi_thread().block_on(async move {
        let pool = SharedPool::new(Connector::new(addr).unwrap().read_timeout(WAIT), 1);
        let mut c = pool.clone();
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
        assert!(!transport(&r).unsent, "{r:?}");
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 2, b: 2 }).await;
        assert_eq!(r.unwrap(), Ret::Success(4));
        assert_eq!(*seen.lock().unwrap(), ["1: add 1 1", "2: add 2 2"]);
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    });
}

/// A server that closes every connection at once: each call fails, having
/// opened at most two connections (one try, and one more if the first was
/// not sent).
#[test]
fn a_pool_makes_a_call_at_most_twice() {
    let (addr, accepted) = raw_servers(Vec::new());
    multi_thread().block_on(async move {
        let pool = SharedPool::new(Connector::new(addr).unwrap().read_timeout(WAIT), 1);
        let mut c = pool.clone();
        for i in 0..4 {
            let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 1 }).await;
            assert!(r.is_err(), "{r:?}");
            let opened = accepted.load(Ordering::SeqCst);
            assert!(
                opened <= 2 * (i as usize + 1),
                "{opened} connections for {} calls",
                i + 1
            );
        }
    });
}
