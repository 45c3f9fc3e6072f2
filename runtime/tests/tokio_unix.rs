//! The async server and clients (feature `tokio`) over Unix domain
//! sockets: every protocol and framing to many concurrent clients, the
//! shared client and pool, the blocking side against the async side both
//! ways, detection, a timeout, stop, and the socket file's lifecycle.
#![cfg(unix)]

mod server_support;
mod tokio_support;

use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::client::{Channel, Connector};
use thriftc_runtime::tokio::{
    AsyncChannel, AsyncClient, AsyncServer, AsyncSocket, SharedClient, SharedPool,
};
use thriftc_runtime::transport::Socket;
use thriftc_runtime::{Endpoint, Framing, ProtocolKind};
use tokio_support::*;

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn many_async_clients_are_served_in_every_protocol_and_framing() {
    let dir = SockDir::new();
    for (p, f) in COMBOS {
        let path = dir.path("all.sock");
        let server = start_unix(
            async_builder(Default::default()).protocol(p).framing(f),
            &path,
        );
        assert_eq!(server.endpoint, Endpoint::Unix(path.clone()));
        assert!(server.addr.ip().is_unspecified() && server.addr.port() == 0);
        runtime().block_on(async {
            let calls: Vec<_> = (0..16)
                .map(|i| {
                    let connector = unix_connector(&path, p, f);
                    tokio::spawn(async move {
                        let mut c: AsyncClient<tokio::net::UnixStream> =
                            connector.connect_async().await.unwrap();
                        let mut sum = 0;
                        for j in 0..20 {
                            let r: Ret<i32> = c.call("add", &AddArgs { a: i, b: j }).await.unwrap();
                            assert_eq!(r, Ret::Success(i + j));
                            sum += 1;
                        }
                        let text = "u".repeat(100_000);
                        let r: Ret<String> = c.call("echo", &Args1(text.clone())).await.unwrap();
                        assert_eq!(r, Ret::Success(text));
                        assert!(c.is_usable());
                        sum
                    })
                })
                .collect();
            for call in calls {
                assert_eq!(call.await.unwrap(), 20, "{p:?} {f:?}");
            }
        });
        assert!(server.stop_within(WAIT));
        assert!(!path.exists(), "{p:?} {f:?}: the file is left");
    }
}

#[test]
fn shared_clients_and_pools_call_over_a_unix_socket() {
    let dir = SockDir::new();
    let path = dir.path("shared.sock");
    let (p, f) = (ProtocolKind::Compact, Framing::Framed);
    let server = start_unix(
        async_builder(Default::default()).protocol(p).framing(f),
        &path,
    );
    runtime().block_on(async {
        let shared = unix_connector(&path, p, f).connect_shared().await.unwrap();
        assert_eq!(shared.peer(), Some(&Endpoint::Unix(path.clone())));
        assert_eq!(shared.peer_addr(), None);
        let calls: Vec<_> = (0..64)
            .map(|i| {
                let mut c = shared.clone();
                tokio::spawn(
                    async move { c.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 1 }).await },
                )
            })
            .collect();
        for (i, call) in calls.into_iter().enumerate() {
            assert_eq!(call.await.unwrap().unwrap(), Ret::Success(i as i32 + 1));
        }
        assert!(shared.is_usable());

        let pool: SharedPool<UnixStream> = SharedPool::new(unix_connector(&path, p, f), 2);
        let calls: Vec<_> = (0..32)
            .map(|i| {
                let mut pool = pool.clone();
                tokio::spawn(async move {
                    pool.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 2 })
                        .await
                })
            })
            .collect();
        for (i, call) in calls.into_iter().enumerate() {
            assert_eq!(call.await.unwrap().unwrap(), Ret::Success(i as i32 + 2));
        }
        assert_eq!(pool.open(), 2);

        // A connector of either kind, chosen at run time.
        let either: Connector<Socket> = unix_connector(&path, p, f).into();
        let mut c: AsyncClient<AsyncSocket> = either.connect_async().await.unwrap();
        let r: Ret<i32> = c.call("add", &AddArgs { a: 5, b: 6 }).await.unwrap();
        assert_eq!(r, Ret::Success(11));
        let mut s = either.connect_shared().await.unwrap();
        let r: Ret<i32> = s.call("add", &AddArgs { a: 7, b: 6 }).await.unwrap();
        assert_eq!(r, Ret::Success(13));
        let mut pool = SharedPool::new(either, 1);
        let r: Ret<i32> = pool.call("add", &AddArgs { a: 8, b: 6 }).await.unwrap();
        assert_eq!(r, Ret::Success(14));
    });
    assert!(server.stop_within(WAIT));
}

#[test]
fn blocking_clients_call_the_async_unix_server_in_every_protocol_and_framing() {
    let dir = SockDir::new();
    for (p, f) in COMBOS {
        let path = dir.path("blk.sock");
        let server = start_unix(
            async_builder(Default::default()).protocol(p).framing(f),
            &path,
        );
        let mut c = unix_connector(&path, p, f).connect().unwrap();
        assert_eq!(add(&mut c, 20, 22).unwrap(), 42, "{p:?} {f:?}");
        let r: Ret<String> = c.call("echo", &Args1("x".repeat(100_000))).unwrap();
        assert_eq!(r, Ret::Success("x".repeat(100_000)));
        assert!(server.stop_within(WAIT));
    }
}

#[test]
fn async_clients_call_the_blocking_unix_server_in_every_protocol_and_framing() {
    let dir = SockDir::new();
    for (p, f) in COMBOS {
        let path = dir.path("sync.sock");
        let server = calc_builder(Threads::Pool(4))
            .wire(p, f)
            .bind_unix(&path)
            .unwrap()
            .spawn()
            .unwrap();
        runtime().block_on(async {
            let mut c = AsyncClient::connect_unix(&path).await.unwrap();
            if (p, f) == (ProtocolKind::Binary, Framing::Buffered) {
                let r: Ret<i32> = c.call("add", &AddArgs { a: 1, b: 2 }).await.unwrap();
                assert_eq!(r, Ret::Success(3));
            }
            let connector = unix_connector(&path, p, f);
            let mut c = connector.connect_async().await.unwrap();
            let r: Ret<i32> = c.call("add", &AddArgs { a: 2, b: 40 }).await.unwrap();
            assert_eq!(r, Ret::Success(42), "{p:?} {f:?}");
            let shared = connector.connect_shared().await.unwrap();
            let calls: Vec<_> = (0..16)
                .map(|i| {
                    let mut c = shared.clone();
                    tokio::spawn(async move {
                        c.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: i }).await
                    })
                })
                .collect();
            for (i, call) in calls.into_iter().enumerate() {
                assert_eq!(call.await.unwrap().unwrap(), Ret::Success(2 * i as i32));
            }
        });
        server.stop();
        assert!(!path.exists());
    }
}

#[test]
fn detect_protocol_serves_every_kind_on_one_socket() {
    let dir = SockDir::new();
    let path = dir.path("detect.sock");
    let server = start_unix(
        async_builder(Default::default()).detect_protocol(true),
        &path,
    );
    for (p, f) in COMBOS {
        let mut c = unix_connector(&path, p, f).connect().unwrap();
        assert_eq!(add(&mut c, 3, 4).unwrap(), 7, "{p:?} {f:?}");
    }
    runtime().block_on(async {
        for (p, f) in COMBOS {
            let mut c = unix_connector(&path, p, f).connect_async().await.unwrap();
            let r: Ret<i32> = c.call("add", &AddArgs { a: 4, b: 4 }).await.unwrap();
            assert_eq!(r, Ret::Success(8), "{p:?} {f:?}");
        }
    });
    assert!(server.stop_within(WAIT));
}

#[test]
fn the_idle_timeout_closes_a_quiet_connection() {
    let dir = SockDir::new();
    let path = dir.path("idle.sock");
    let server = start_unix(
        async_builder(Default::default()).idle_timeout(Duration::from_millis(200)),
        &path,
    );
    let mut s = UnixStream::connect(&path).unwrap();
    assert!(closed_within_unix(&mut s, WAIT));
    assert!(eventually(WAIT, || server.handle.connections() == 0));
    assert!(server.stop_within(WAIT));
}

#[test]
fn stop_delivers_the_call_in_flight_and_removes_the_file() {
    let dir = SockDir::new();
    let path = dir.path("stop.sock");
    let calc = Arc::new(AsyncCalc::default());
    let server = start_unix(async_builder(calc.clone()), &path);
    let rt = runtime();
    let mut c = rt
        .block_on(unix_connector(&path, ProtocolKind::Binary, Framing::Buffered).connect_async())
        .unwrap();
    let mut idle = UnixStream::connect(&path).unwrap();
    let call = std::thread::spawn(move || rt.block_on(c.call::<_, Ret<i32>>("gate", &NoArgs)));
    assert!(eventually(WAIT, || calc.at_gate.load(Ordering::SeqCst) == 1));
    server.handle.stop();
    // The idle connection ends, the file goes, new clients are refused,
    // while the call still runs.
    assert!(closed_within_unix(&mut idle, WAIT));
    assert!(eventually(WAIT, || !path.exists()));
    assert!(UnixStream::connect(&path).is_err());
    assert!(!server.handle.is_stopped());
    calc.gate.add_permits(1);
    assert_eq!(call.join().unwrap().unwrap(), Ret::Success(1));
    assert!(server.stop_within(WAIT));
    assert!(server.handle.is_stopped());
    assert_eq!(server.handle.connections(), 0);
}

/// Binds `path` with the async server on a runtime of the test's own.
fn bind_async(path: &Path) -> std::io::Result<AsyncServer> {
    runtime().block_on(async_builder(Default::default()).bind_unix(path))
}

#[test]
fn a_stale_socket_file_is_replaced_and_a_live_one_is_not() {
    let dir = SockDir::new();
    let path = dir.path("stale.sock");
    drop(UnixListener::bind(&path).unwrap());
    assert!(is_socket(&path), "the test needs a stale socket");
    let server = start_unix(async_builder(Default::default()), &path);
    // The live server's socket: `AddrInUse`, for either server.
    let err = bind_async(&path).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
    let err = calc_builder(Threads::PerConnection)
        .bind_unix(&path)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
    let mut c = unix_connector(&path, ProtocolKind::Binary, Framing::Buffered)
        .connect()
        .unwrap();
    assert_eq!(add(&mut c, 3, 4).unwrap(), 7);
    assert!(server.stop_within(WAIT));
    assert!(!path.exists());
}

#[test]
fn a_file_that_is_not_a_socket_is_left_alone() {
    let dir = SockDir::new();
    let path = dir.path("data.txt");
    std::fs::write(&path, b"keep me").unwrap();
    let err = bind_async(&path).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists, "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    let sub = dir.path("subdir");
    std::fs::create_dir(&sub).unwrap();
    let err = bind_async(&sub).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists, "{err}");
    assert!(sub.is_dir());
}

#[test]
fn a_server_dropped_without_serving_removes_its_file() {
    let dir = SockDir::new();
    let path = dir.path("unused.sock");
    let server = bind_async(&path).unwrap();
    assert!(is_socket(&path));
    assert_eq!(server.endpoint(), &Endpoint::Unix(path.clone()));
    drop(server);
    assert!(!path.exists());
}

#[test]
fn a_file_that_replaced_the_socket_is_not_removed_on_stop() {
    let dir = SockDir::new();
    let path = dir.path("moved.sock");
    let server = start_unix(async_builder(Default::default()), &path);
    std::fs::remove_file(&path).unwrap();
    let newcomer = UnixListener::bind(&path).unwrap();
    assert!(server.stop_within(WAIT));
    assert!(is_socket(&path), "the newcomer's socket was removed");
    drop(newcomer);
}

#[test]
fn the_path_can_be_bound_again_once_stop_returns() {
    let dir = SockDir::new();
    let path = dir.path("again.sock");
    for _ in 0..3 {
        let server = start_unix(async_builder(Default::default()), &path);
        runtime().block_on(async {
            let mut c = SharedClient::connect_unix(&path).await.unwrap();
            let r: Ret<i32> = c.call("add", &AddArgs { a: 1, b: 1 }).await.unwrap();
            assert_eq!(r, Ret::Success(2));
        });
        assert!(server.stop_within(WAIT));
    }
}

#[test]
fn connecting_to_a_missing_socket_fails() {
    let dir = SockDir::new();
    let path = dir.path("none.sock");
    runtime().block_on(async {
        assert!(AsyncClient::connect_unix(&path).await.is_err());
        assert!(SharedClient::connect_unix(&path).await.is_err());
    });
}
