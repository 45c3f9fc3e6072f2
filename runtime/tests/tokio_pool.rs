//! `SharedPool` (feature `tokio`): many tasks through a few shared
//! connections, opened when first needed and again after they break.

mod server_support;
mod tokio_support;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::tokio::{AsyncChannel, SharedPool};
use thriftc_runtime::{Connector, Error, Framing, ProtocolKind};
use tokio_support::{AsyncCalc, async_builder, multi_thread, start, until};

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn many_tasks_call_through_the_pool_s_connections_only() {
    for (p, f) in [
        (ProtocolKind::Binary, Framing::Buffered),
        (ProtocolKind::Compact, Framing::Framed),
    ] {
        let server = start(
            async_builder(Arc::new(AsyncCalc::default()))
                .protocol(p)
                .framing(f),
        );
        multi_thread().block_on(async {
            let pool = SharedPool::new(connector(server.addr, p, f), 3);
            assert_eq!(pool.open(), 0, "connections are opened when needed");
            let tasks: Vec<_> = (0..12)
                .map(|t| {
                    let mut pool = pool.clone();
                    tokio::spawn(async move {
                        for i in 0..40 {
                            let r: Ret<i32> =
                                pool.call("add", &AddArgs { a: t, b: i }).await.unwrap();
                            assert_eq!(r, Ret::Success(t + i));
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("a calling task panicked");
            }
            // A reference is a channel too.
            let r: Ret<i32> = (&pool).call("add", &AddArgs { a: 1, b: 2 }).await.unwrap();
            assert_eq!(r, Ret::Success(3));
            assert_eq!(pool.open(), 3);
            assert_eq!(
                server.handle.connections(),
                3,
                "the server saw three connections"
            );
        });
    }
}

#[test]
fn a_connection_the_server_closed_is_opened_again_by_the_next_call() {
    let calc = Arc::new(AsyncCalc::default());
    let server = start(async_builder(calc).idle_timeout(Duration::from_millis(200)));
    multi_thread().block_on(async {
        let pool = SharedPool::new(
            connector(server.addr, ProtocolKind::Binary, Framing::Buffered),
            1,
        );
        let mut c = pool.clone();
        let r: Ret<i32> = c.call("add", &AddArgs { a: 1, b: 1 }).await.unwrap();
        assert_eq!(r, Ret::Success(2));
        let first = pool.client().await.unwrap();
        // The server closes the idle connection; the client sees it.
        assert!(until(WAIT, || !first.is_usable()).await, "{first:?}");
        assert_eq!(pool.open(), 0);
        let r: Ret<i32> = c.call("add", &AddArgs { a: 2, b: 2 }).await.unwrap();
        assert_eq!(r, Ret::Success(4));
        assert_eq!(pool.open(), 1);
        let second = pool.client().await.unwrap();
        assert_ne!(first.local_addr(), second.local_addr(), "a new connection");
    });
}

/// With backoff turned off, every call to a place whose connection
/// cannot be opened makes an attempt of its own, and fails with its error.
#[test]
fn a_connection_that_cannot_be_opened_fails_the_call_and_is_tried_again() {
    // A port nothing listens on.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    multi_thread().block_on(async {
        let pool = SharedPool::new(Connector::new(addr).unwrap(), 2)
            .reconnect_backoff(Duration::ZERO, Duration::ZERO);
        let mut c = pool.clone();
        for _ in 0..3 {
            let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
            assert!(
                matches!(&r, Err(Error::Transport(t)) if t.unsent && !t.message.contains("backing off")),
                "{r:?}"
            );
        }
        assert_eq!(pool.open(), 0);
    });
}
