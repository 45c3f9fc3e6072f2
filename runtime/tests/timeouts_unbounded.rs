//! Durations meaning "no limit" (`Duration::MAX`, the convention the
//! server's `drain_timeout` documents) given to every timeout of the
//! servers and clients, blocking and async: calls are answered, nothing
//! panics adding them to the clock.

mod server_support;
mod tokio_support;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::client::Channel;
use thriftc_runtime::tokio::{AsyncChannel, SharedPool};
use thriftc_runtime::{Connector, Error, Framing, ProtocolKind};
use tokio_support::{AsyncCalc, async_builder, multi_thread, start};

const WAIT: Duration = Duration::from_secs(10);

/// A read timeout of `Duration::MAX` ("wait as long as it takes"): the
/// reader task computes `heard + t` for its deadline and panics, so the
/// connection breaks and every call fails.
#[test]
fn a_shared_client_with_a_read_timeout_of_duration_max_answers_calls() {
    let server = start(async_builder(Arc::new(AsyncCalc::default())));
    multi_thread().block_on(async {
        let shared = Connector::new(server.addr)
            .unwrap()
            .read_timeout(Duration::MAX)
            .connect_shared()
            .await
            .unwrap();
        let mut c = shared.clone();
        let r = tokio::time::timeout(WAIT, c.call::<_, Ret<i32>>("add", &AddArgs { a: 2, b: 3 }))
            .await
            .expect("bounded");
        assert_eq!(r.unwrap(), Ret::Success(5), "{shared:?}");
    });
}

/// A backoff of `Duration::MAX` after a failed connect ("never try that
/// place again"): `Instant::now() + delay` panics inside `client()`.
#[test]
fn a_pool_with_a_backoff_of_duration_max_does_not_panic() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    multi_thread().block_on(async move {
        let pool = SharedPool::new(Connector::new(addr).unwrap(), 1)
            .reconnect_backoff(Duration::MAX, Duration::MAX);
        let p = pool.clone();
        let first = tokio::spawn(async move {
            let mut c = &p;
            c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await
        });
        let r = tokio::time::timeout(WAIT, first).await.expect("bounded");
        let r = match r {
            Ok(r) => r,
            Err(e) => panic!("the call panicked: {e}"),
        };
        assert!(
            matches!(r, Err(Error::Transport(ref t)) if t.unsent),
            "{r:?}"
        );
    });
}

/// A connect timeout of `Duration::MAX` over a Unix socket: the async
/// connect computes `now + timeout` for its deadline and panics, so a
/// `SharedPool<UnixStream>` (or `connect_shared`) cannot connect at all.
#[cfg(unix)]
#[test]
fn a_unix_shared_connect_with_a_connect_timeout_of_duration_max_does_not_panic() {
    let dir = SockDir::new();
    let path = dir.path("unbounded.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let p = path.clone();
    multi_thread().block_on(async move {
        let connector = Connector::unix(&p).connect_timeout(Duration::MAX);
        let attempt = tokio::spawn(async move { connector.connect_shared().await.map(|_| ()) });
        let r = tokio::time::timeout(WAIT, attempt).await.expect("bounded");
        match r {
            Ok(r) => assert!(r.is_ok(), "{r:?}"),
            Err(e) => panic!("the connect panicked: {e}"),
        }
    });
    drop(listener);
}

/// A blocking server whose timeouts are all `Duration::MAX`, in each
/// threading mode, and a blocking client whose timeouts are too: a call
/// is answered, and so is an echo large enough that its reply is written
/// in several parts (where the write timeout's deadline is computed).
#[test]
fn blocking_servers_and_clients_with_unbounded_timeouts_answer_calls() {
    let mut modes = vec![Threads::PerConnection, Threads::Pool(2)];
    if cfg!(target_os = "linux") {
        modes.push(Threads::Events(2));
    }
    for threads in modes {
        let server = calc_builder(threads)
            .idle_timeout(Duration::MAX)
            .message_timeout(Duration::MAX)
            .write_timeout(Duration::MAX)
            .drain_timeout(Duration::MAX)
            .wire(ProtocolKind::Binary, Framing::Framed)
            .start();
        let mut c = connector(server.local_addr(), ProtocolKind::Binary, Framing::Framed)
            .connect_timeout(Duration::MAX)
            .read_timeout(Duration::MAX)
            .write_timeout(Duration::MAX)
            .connect()
            .unwrap();
        assert_eq!(add(&mut c, 2, 3).unwrap(), 5, "{threads:?}");
        let big = Args1(vec![7u8; 8 << 20]);
        let r: Ret<Vec<u8>> = c.call("echo_bin", &big).unwrap();
        assert!(
            matches!(r, Ret::Success(v) if v.len() == 8 << 20),
            "{threads:?}"
        );
        drop(c);
        server.stop();
    }
}
