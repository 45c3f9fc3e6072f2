//! How long `SharedPool` calls may take (feature `tokio`): a connect in
//! progress whose call is dropped frees its place, and a call made again
//! is bounded by the read timeout counted from its start.

mod server_support;
mod tokio_support;

use std::sync::mpsc as std_mpsc;
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::tokio::{AsyncChannel, SharedPool};
use thriftc_runtime::{Connector, Error, Framing, TransportErrorKind};
use tokio_support::{
    add_reply, fill_accept_queue, multi_thread, read_add, short_queue_listener, until,
};

const WAIT: Duration = Duration::from_secs(10);

/// A connect in progress whose call is dropped midway frees the place: a
/// call that waited for it, and a call after it, each make an attempt of
/// their own and fail within about a connect timeout (not hang).
#[test]
fn a_connect_dropped_midway_does_not_leave_the_place_connecting() {
    let connect_timeout = Duration::from_millis(300);
    multi_thread().block_on(async {
        let (addr, _listener) = short_queue_listener();
        let _fill = fill_accept_queue(addr);
        let pool = SharedPool::new(
            Connector::new(addr)
                .unwrap()
                .connect_timeout(connect_timeout),
            1,
        );
        let mut connecting = Box::pin(pool.client());
        tokio::select! {
            biased;
            r = &mut connecting => panic!("connected: {r:?}"),
            () = std::future::ready(()) => {}
        }
        // Waits for the attempt under way (no place is usable).
        let p = pool.clone();
        let waiter = tokio::spawn(async move {
            let started = Instant::now();
            (p.client().await, started.elapsed())
        });
        tokio::task::yield_now().await;
        drop(connecting);
        let (r, took) = tokio::time::timeout(WAIT, waiter)
            .await
            .expect("the waiting call hung after the connect was dropped")
            .unwrap();
        match r {
            Err(Error::Transport(t)) => {
                assert!(t.unsent, "{t:?}");
                assert_eq!(t.kind, TransportErrorKind::TimedOut, "{t:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(took < connect_timeout * 3, "{took:?}");
        // The place backs off now; after that, a new attempt is made.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let r = tokio::time::timeout(WAIT, pool.client())
            .await
            .expect("a later call hung");
        assert!(r.is_err(), "{r:?}");
    });
}

/// The read timeout bounds a `SharedClient` call from its start to its
/// whole reply, including the wait for a slot, and a call through a pool
/// likewise: one that waited for a slot for most of the read timeout and
/// was then refused (its connection broke) is made again with what is
/// left of it, and fails as timed out (not as unsent) when the reply takes
/// longer, rather than waiting a second read timeout.
#[test]
fn a_call_made_again_is_bounded_by_one_read_timeout() {
    let read_timeout = Duration::from_millis(1000);
    let (close_tx, close_rx) = std_mpsc::channel::<()>();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        // Connection 1: reads one call, answers none, closes when told.
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        let mut reader = replies(&s, Framing::Buffered);
        read_add(&mut reader).unwrap();
        close_rx.recv_timeout(WAIT).unwrap();
        s.shutdown(std::net::Shutdown::Both).unwrap();
        drop((reader, s));
        // Connection 2: answers each call 700 ms after it came.
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        let mut reader = replies(&s, Framing::Buffered);
        let mut out = s.try_clone().unwrap();
        while let Some((h, a)) = read_add(&mut reader) {
            thread::sleep(Duration::from_millis(700));
            send(
                &mut out,
                &add_reply(Framing::Buffered, "add", h.seqid, a.a + a.b),
            );
        }
    });
    multi_thread().block_on(async move {
        let pool = SharedPool::new(
            Connector::new(addr)
                .unwrap()
                .read_timeout(read_timeout)
                .max_in_flight(1),
            1,
        );
        let first = pool.client().await.unwrap();
        let mut a = pool.clone();
        let call_a =
            tokio::spawn(
                async move { a.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await },
            );
        assert!(until(WAIT, || first.in_flight() == 1).await);
        let mut b = pool.clone();
        let call_b = tokio::spawn(async move {
            let started = Instant::now();
            let r = b.call::<_, Ret<i32>>("add", &AddArgs { a: 2, b: 2 }).await;
            (r, started.elapsed())
        });
        // B waits for A's slot; the connection breaks 700 ms later.
        tokio::time::sleep(Duration::from_millis(700)).await;
        close_tx.send(()).unwrap();
        let ra = tokio::time::timeout(WAIT, call_a).await.unwrap().unwrap();
        assert!(ra.is_err(), "{ra:?}");
        let (rb, took) = tokio::time::timeout(WAIT, call_b).await.unwrap().unwrap();
        assert!(
            took <= read_timeout + Duration::from_millis(300),
            "call B took {took:?} with a read timeout of {read_timeout:?}; it returned {rb:?}"
        );
        match rb {
            Err(Error::Transport(t)) => {
                assert_eq!(t.kind, TransportErrorKind::TimedOut, "{t:?}");
                assert!(!t.unsent, "{t:?}");
            }
            other => panic!("call B: {other:?}"),
        }
    });
}
