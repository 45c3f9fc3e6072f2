//! Calls that were never sent (feature `tokio`): `SharedClient` tells them
//! apart (`Error::is_unsent`), whether the connection refused them or
//! they were still queued when it broke, and `SharedPool` makes them once
//! more, on a usable connection when one exists; a call that was sent is
//! never made again, nor is one whose error only claims it was not sent.
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
use thriftc_runtime::protocol::{MessageType, ProtocolRead, ProtocolWrite, TType};
use thriftc_runtime::tokio::{AsyncChannel, SharedPool};
use thriftc_runtime::{
    BinaryProtocol, Connector, Decode, Encode, Error, Framing, Result, TransportError,
    TransportErrorKind, WireType,
};
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

/// Accepts one connection per script on a loopback port, running the
/// scripts in turn on them (each in a thread of its own), then closes the
/// listening socket, so that later connects are refused, and says so on
/// the returned channel.
fn servers_then_closed(scripts: Vec<Script>) -> (SocketAddr, std_mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (closed_tx, closed_rx) = std_mpsc::channel();
    thread::spawn(move || {
        for script in scripts {
            let Ok((s, _)) = listener.accept() else {
                return;
            };
            s.set_read_timeout(Some(WAIT)).unwrap();
            thread::spawn(move || script(s));
        }
        drop(listener);
        let _ = closed_tx.send(());
    });
    (addr, closed_rx)
}

/// Waits (at most `WAIT`) on a blocking channel without blocking the
/// runtime.
async fn recv<T: Send + 'static>(rx: std_mpsc::Receiver<T>) -> T {
    tokio::task::spawn_blocking(move || rx.recv_timeout(WAIT))
        .await
        .unwrap()
        .unwrap()
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

/// Two places: place 0's connection is healthy; place 1's breaks while
/// two calls are queued behind a stuck request, and the server accepts no
/// more connections. Whichever place's turn comes next, each of the two
/// calls is made again on place 0's usable connection: the one whose turn
/// is place 1's does not try to connect there (which would be refused)
/// and fail.
#[test]
fn a_call_made_again_takes_a_usable_connection_rather_than_connect() {
    let (started_tx, started_rx) = std_mpsc::channel::<()>();
    let (go_tx, go_rx) = std_mpsc::channel::<()>();
    let seen: Seen = Arc::default();
    let healthy = Arc::clone(&seen);
    let (addr, closed) = servers_then_closed(vec![
        Box::new(move |s| serve_adds(s, &healthy, "0: ")),
        Box::new(move |mut s: TcpStream| {
            let mut b = [0u8; 1];
            s.peek(&mut b).unwrap();
            started_tx.send(()).unwrap();
            go_rx.recv_timeout(WAIT).unwrap();
            // A reply no call awaits: the client breaks the connection.
            send(&mut s, &add_reply(Framing::Buffered, "add", 999, 0));
            let _ = go_rx.recv_timeout(WAIT);
        }),
    ]);
    multi_thread().block_on(async move {
        let pool = SharedPool::new(
            Connector::new(addr)
                .unwrap()
                .read_timeout(None)
                .write_timeout(None),
            2,
        );
        // Turns alternate: even ones are place 0's, odd ones place 1's.
        let place0 = pool.client().await.unwrap();
        let mut b = pool.clone();
        let big = tokio::spawn(async move {
            b.call::<_, Ret<String>>("echo", &Args1("x".repeat(BIG)))
                .await
        });
        recv(started_rx).await;
        recv(closed).await;
        assert!(pool.client().await.unwrap().is_usable(), "turn 2: place 0");
        let place1 = pool.client().await.unwrap();
        let mut queued = Vec::new();
        for i in 0..2 {
            pool.client().await.unwrap(); // Place 0's turn.
            let mut p = pool.clone();
            queued.push(tokio::spawn(async move {
                p.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 10 }).await
            }));
            let behind = 2 + i as usize;
            assert!(
                until(WAIT, || place1.in_flight() == behind).await,
                "{place1:?}"
            );
        }
        go_tx.send(()).unwrap();
        let r = tokio::time::timeout(WAIT, big).await.unwrap().unwrap();
        assert!(!transport(&r).unsent, "{r:?}");
        for (i, add) in queued.into_iter().enumerate() {
            let r = tokio::time::timeout(WAIT, add).await.unwrap().unwrap();
            assert_eq!(r.unwrap(), Ret::Success(i as i32 + 10), "call {i}");
        }
        let mut got = seen.lock().unwrap().clone();
        got.sort();
        assert_eq!(got, ["0: add 0 10", "0: add 1 10"]);
        assert!(place0.is_usable() && !place1.is_usable());
        assert_eq!(pool.open(), 1);
        drop(go_tx);
    });
}

/// A reply type whose `Decode` fails with an error marked as not sent
/// (anyone can set `TransportError::unsent`), though the call was sent
/// and answered.
#[derive(Debug)]
struct ClaimsUnsent;

impl WireType for ClaimsUnsent {
    const TTYPE: TType = TType::Struct;
}

impl Decode for ClaimsUnsent {
    fn decode<P: ProtocolRead + ?Sized>(_: &mut P) -> Result<Self> {
        Err(claimed_unsent("made up by a Decode impl"))
    }
}

/// Arguments whose `Encode` fails with an error marked as not sent, and
/// counts how often it was asked.
struct ArgsClaimUnsent(Arc<AtomicUsize>);

impl WireType for ArgsClaimUnsent {
    const TTYPE: TType = TType::Struct;
}

impl Encode for ArgsClaimUnsent {
    fn encode<P: ProtocolWrite + ?Sized>(&self, _: &mut P) -> Result<()> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err(claimed_unsent("made up by an Encode impl"))
    }
}

/// A transport error marked as not sent, as user code can make one.
fn claimed_unsent(message: &str) -> Error {
    let mut e = TransportError::new(TransportErrorKind::Unknown, message);
    e.unsent = true;
    Error::Transport(e)
}

/// The pool makes a call again only when its connection found that the
/// request was not sent. A reply whose decoding fails with an error that
/// claims so reaches the caller as it is, and the server saw the call
/// once; an argument whose encoding fails so is encoded once.
#[test]
fn a_pool_does_not_make_a_call_again_on_an_error_that_only_claims_it_unsent() {
    let seen: Seen = Arc::default();
    let served = Arc::clone(&seen);
    let (addr, accepted) = raw_servers(vec![Box::new(move |s| serve_adds(s, &served, ""))]);
    multi_thread().block_on(async move {
        let pool = SharedPool::new(Connector::new(addr).unwrap().read_timeout(WAIT), 1);
        let mut c = &pool;
        let r = c
            .call::<_, ClaimsUnsent>("add", &AddArgs { a: 1, b: 1 })
            .await;
        let e = transport(&r);
        assert_eq!(e.message, "made up by a Decode impl");
        assert!(r.unwrap_err().is_unsent(), "the error is the caller's own");
        // The call returned after its reply, so a second request, if made,
        // would have been read before it.
        assert_eq!(*seen.lock().unwrap(), ["add 1 1"]);

        let encoded = Arc::new(AtomicUsize::new(0));
        let args = ArgsClaimUnsent(Arc::clone(&encoded));
        let r = c.call::<_, Ret<i32>>("add", &args).await;
        assert_eq!(transport(&r).message, "made up by an Encode impl");
        let r = c.call_oneway("fire", &args).await;
        assert_eq!(transport(&r).message, "made up by an Encode impl");
        assert_eq!(encoded.load(Ordering::SeqCst), 2, "each encoded once");

        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 2, b: 2 }).await;
        assert_eq!(r.unwrap(), Ret::Success(4));
        assert_eq!(*seen.lock().unwrap(), ["add 1 1", "add 2 2"]);
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    });
}
