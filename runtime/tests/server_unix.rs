//! The server and the clients over Unix domain sockets: every threading
//! mode, protocol and framing, the timeouts, limits and stop, protocol
//! detection, the socket file's lifecycle, and the pool.
#![cfg(unix)]

mod server_support;

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::client::{Channel, Connector, Pool};
use thriftc_runtime::server::{ServerBuilder, ServerHandle, ServerProcessor};
use thriftc_runtime::transport::{ByteBudget, Socket};
use thriftc_runtime::{
    ApplicationErrorKind, Client, Endpoint, Error, Framing, Limits, ProtocolKind,
    TransportErrorKind,
};

/// The modes every behaviour is checked in.
const MODES: [Threads; 3] = [Threads::PerConnection, Threads::Pool(4), Threads::Events(2)];

/// Binds `builder` to `path` and serves in the background.
fn start_unix<P: ServerProcessor>(builder: ServerBuilder<P>, path: &Path) -> ServerHandle {
    builder.bind_unix(path).unwrap().spawn().unwrap()
}

fn unix_client(path: &Path, protocol: ProtocolKind, framing: Framing) -> Client<UnixStream> {
    unix_connector(path, protocol, framing).connect().unwrap()
}

/// A raw connection to `path` (no client logic).
fn raw_unix(path: &Path) -> UnixStream {
    let s = UnixStream::connect(path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

// ------------------------------------------------------------- serving

/// Each mode serves 8 concurrent clients making 25 calls each, in every
/// protocol and framing.
#[test]
fn every_mode_serves_many_concurrent_clients_in_every_protocol_and_framing() {
    let dir = SockDir::new();
    for threads in MODES {
        for (p, f) in COMBOS {
            let path = dir.path("calc.sock");
            let server = start_unix(calc_builder(threads).wire(p, f), &path);
            let callers: Vec<_> = (0..8)
                .map(|i| {
                    let connector = unix_connector(&path, p, f);
                    thread::spawn(move || {
                        let mut c = connector.connect().unwrap();
                        for j in 0..25 {
                            assert_eq!(add(&mut c, i, j).unwrap(), i + j);
                        }
                        let Ret::Success(echoed) = c
                            .call::<_, Ret<String>>("echo", &Args1(format!("client {i}")))
                            .unwrap()
                        else {
                            panic!("no echo")
                        };
                        echoed
                    })
                })
                .collect();
            for (i, caller) in callers.into_iter().enumerate() {
                assert_eq!(
                    caller.join().unwrap(),
                    format!("client {i}"),
                    "{threads:?} {p:?} {f:?}"
                );
            }
            server.stop();
            assert!(!path.exists(), "{threads:?}: the file outlived the stop");
        }
    }
}

/// With protocol detection, one socket serves clients of every protocol
/// and framing at once, in each mode.
#[test]
fn detect_protocol_serves_every_protocol_and_framing_on_one_socket() {
    let dir = SockDir::new();
    for threads in MODES {
        let path = dir.path("detect.sock");
        let server = start_unix(calc_builder(threads).detect_protocol(true), &path);
        let callers: Vec<_> = COMBOS
            .into_iter()
            .map(|(p, f)| {
                let connector = unix_connector(&path, p, f);
                thread::spawn(move || {
                    let mut c = connector.connect().unwrap();
                    (0..20).map(|i| add(&mut c, i, 1).unwrap()).sum::<i32>()
                })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.join().unwrap(), (1..=20).sum::<i32>(), "{threads:?}");
        }
        server.stop();
    }
}

/// Requests and replies of 1 MiB cross whole in every mode (partial reads
/// and writes on the socket, the event-driven mode's parked writes).
#[test]
fn large_requests_and_replies_cross_whole() {
    let dir = SockDir::new();
    for threads in MODES {
        for (p, f) in [COMBOS[0], COMBOS[3]] {
            let path = dir.path("big.sock");
            let server = start_unix(calc_builder(threads).wire(p, f), &path);
            let mut c = unix_client(&path, p, f);
            for len in [1usize << 20, 70_000, 3] {
                let blob: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
                let got = c
                    .call::<_, Ret<Vec<u8>>>("echo_bin", &Args1(blob.clone()))
                    .unwrap();
                assert!(got == Ret::Success(blob), "{threads:?} {p:?} {f:?} {len}");
            }
            server.stop();
        }
    }
}

/// A handler's panic is an `INTERNAL_ERROR` reply over a Unix socket too.
#[test]
fn a_handler_panic_is_an_internal_error() {
    quiet_expected_panics();
    let dir = SockDir::new();
    for threads in MODES {
        let path = dir.path("panic.sock");
        let (p, f) = (ProtocolKind::Compact, Framing::Framed);
        let server = start_unix(calc_builder(threads).wire(p, f), &path);
        let mut c = unix_client(&path, p, f);
        match c.call::<_, Ret<i32>>("panic", &NoArgs) {
            Err(Error::Application(e)) => {
                assert_eq!(e.kind, ApplicationErrorKind::InternalError, "{threads:?}")
            }
            other => panic!("{threads:?}: {other:?}"),
        }
        // The server goes on serving others.
        let mut c = unix_client(&path, p, f);
        assert_eq!(add(&mut c, 2, 2).unwrap(), 4);
        server.stop();
    }
}

/// The server reports its socket's path; it has no TCP address.
#[test]
fn the_server_reports_its_socket_path() {
    let dir = SockDir::new();
    let path = dir.path("where.sock");
    let server = calc_builder(Threads::PerConnection)
        .bind_unix(&path)
        .unwrap();
    assert_eq!(server.endpoint(), &Endpoint::Unix(path.clone()));
    assert_eq!(server.endpoint().unix_path(), Some(path.as_path()));
    assert_eq!(server.endpoint().tcp(), None);
    assert_eq!(server.local_addr(), "0.0.0.0:0".parse().unwrap());
    assert_eq!(
        server.endpoint().to_string(),
        format!("unix:{}", path.display())
    );
    assert!(format!("{server:?}").contains("where.sock"));
    let handle = server.spawn().unwrap();
    assert_eq!(handle.endpoint(), &Endpoint::Unix(path.clone()));
    assert_eq!(handle.local_addr(), "0.0.0.0:0".parse().unwrap());
    handle.stop();

    // A TCP server reports the same address both ways.
    let tcp = calc_server(
        Threads::PerConnection,
        ProtocolKind::Binary,
        Framing::Buffered,
    );
    assert_eq!(tcp.endpoint(), &Endpoint::Tcp(tcp.local_addr()));
    assert_eq!(tcp.endpoint().tcp(), Some(tcp.local_addr()));
    tcp.stop();
}

// ------------------------------------------------- timeouts and limits

/// An idle connection is closed after the idle timeout, in each mode.
#[test]
fn the_idle_timeout_closes_a_quiet_connection() {
    let dir = SockDir::new();
    for threads in MODES {
        let path = dir.path("idle.sock");
        let server = start_unix(
            calc_builder(threads).idle_timeout(Duration::from_millis(200)),
            &path,
        );
        let mut s = raw_unix(&path);
        assert!(
            closed_within_unix(&mut s, Duration::from_secs(5)),
            "{threads:?}"
        );
        assert!(eventually(Duration::from_secs(5), || server.connections() == 0));
        server.stop();
    }
}

/// A message that stops arriving midway is cut off by the message timeout,
/// in each mode.
#[test]
fn the_message_timeout_closes_a_connection_that_stops_midway() {
    let dir = SockDir::new();
    for threads in MODES {
        let path = dir.path("msg.sock");
        let server = start_unix(
            calc_builder(threads)
                .idle_timeout(Duration::from_secs(30))
                .message_timeout(Duration::from_millis(200)),
            &path,
        );
        let mut s = raw_unix(&path);
        let call = call_msg(
            ProtocolKind::Binary,
            Framing::Buffered,
            "add",
            1,
            &AddArgs { a: 1, b: 2 },
        );
        s.write_all(&call[..call.len() - 3]).unwrap();
        assert!(
            closed_within_unix(&mut s, Duration::from_secs(5)),
            "{threads:?}"
        );
        server.stop();
    }
}

/// A reply the peer does not read is given up after the write timeout, and
/// its connection closed, in each mode.
#[test]
fn the_write_timeout_closes_a_connection_that_does_not_read() {
    let dir = SockDir::new();
    for threads in MODES {
        let path = dir.path("write.sock");
        let server = start_unix(
            calc_builder(threads).write_timeout(Duration::from_millis(200)),
            &path,
        );
        let mut s = raw_unix(&path);
        // A reply far larger than the socket's buffers, never read.
        s.write_all(&echo_msg(
            ProtocolKind::Binary,
            Framing::Buffered,
            1,
            8 << 20,
        ))
        .unwrap();
        assert!(
            eventually(Duration::from_secs(10), || server.connections() == 0),
            "{threads:?}"
        );
        drop(s);
        server.stop();
    }
}

/// The client's read timeout bounds a call over a Unix socket.
#[test]
fn the_client_read_timeout_bounds_a_call() {
    let dir = SockDir::new();
    let path = dir.path("slow.sock");
    let server = start_unix(calc_builder(Threads::PerConnection), &path);
    let mut c = unix_connector(&path, ProtocolKind::Binary, Framing::Buffered)
        .read_timeout(Duration::from_millis(100))
        .connect()
        .unwrap();
    match c.call::<_, Ret<i32>>("sleep", &Args1(1000)) {
        Err(Error::Transport(t)) => assert_eq!(t.kind, TransportErrorKind::TimedOut, "{t}"),
        other => panic!("{other:?}"),
    }
    assert!(!c.is_usable());
    server.stop();
}

/// A frame over the server's limit closes the connection, in each mode.
#[test]
fn a_frame_over_the_limit_closes_the_connection() {
    let dir = SockDir::new();
    for threads in MODES {
        let path = dir.path("limit.sock");
        let server = start_unix(
            calc_builder(threads)
                .wire(ProtocolKind::Binary, Framing::Framed)
                .limits(Limits::default().with_max_frame_size(1000)),
            &path,
        );
        let mut s = raw_unix(&path);
        s.write_all(&echo_msg(ProtocolKind::Binary, Framing::Framed, 1, 5000))
            .unwrap();
        assert!(
            closed_within_unix(&mut s, Duration::from_secs(5)),
            "{threads:?}"
        );
        // Smaller calls are served.
        let mut c = unix_client(&path, ProtocolKind::Binary, Framing::Framed);
        assert_eq!(add(&mut c, 1, 1).unwrap(), 2);
        server.stop();
    }
}

/// Beyond `max_connections` the server stops accepting: a further client
/// waits in the backlog and is served once a connection closes, in each
/// mode.
#[test]
fn max_connections_holds_further_clients_back_until_one_closes() {
    let dir = SockDir::new();
    for threads in MODES {
        let path = dir.path("max.sock");
        let server = start_unix(calc_builder(threads).max_connections(1), &path);
        let mut first = unix_client(&path, ProtocolKind::Binary, Framing::Buffered);
        assert_eq!(add(&mut first, 1, 1).unwrap(), 2);
        let waiting = {
            let connector = unix_connector(&path, ProtocolKind::Binary, Framing::Buffered);
            thread::spawn(move || add(&mut connector.connect().unwrap(), 2, 2))
        };
        // Not accepted while the first is open.
        thread::sleep(Duration::from_millis(200));
        assert_eq!(server.connections(), 1, "{threads:?}");
        assert!(!waiting.is_finished(), "{threads:?}: served past the limit");
        drop(first);
        assert_eq!(waiting.join().unwrap().unwrap(), 4, "{threads:?}");
        server.stop();
    }
}

/// Large frames from many clients at once wait for a small in-flight
/// budget and are all served, in each mode.
#[test]
fn large_frames_share_the_in_flight_budget() {
    let dir = SockDir::new();
    for threads in MODES {
        let path = dir.path("budget.sock");
        let budget = ByteBudget::new(300_000);
        let (p, f) = (ProtocolKind::Binary, Framing::Framed);
        let server = start_unix(
            calc_builder(threads)
                .wire(p, f)
                .in_flight_budget(Some(budget.clone())),
            &path,
        );
        let callers: Vec<_> = (0..4u8)
            .map(|i| {
                let connector = unix_connector(&path, p, f);
                thread::spawn(move || {
                    let mut c = connector.connect().unwrap();
                    let blob = vec![i; 200_000];
                    c.call::<_, Ret<Vec<u8>>>("echo_bin", &Args1(blob.clone()))
                        .unwrap()
                        == Ret::Success(blob)
                })
            })
            .collect();
        for caller in callers {
            assert!(caller.join().unwrap(), "{threads:?}");
        }
        assert!(
            budget.peak() <= 300_000,
            "{threads:?}: peak {}",
            budget.peak()
        );
        assert!(budget.peak() > 0, "{threads:?}: nothing was charged");
        assert!(eventually(Duration::from_secs(5), || budget.in_use() == 0));
        server.stop();
    }
}

// ---------------------------------------------------------------- stop

/// A stop lets a call in flight finish and deliver its reply, closes idle
/// connections, removes the socket's file, and refuses new clients, in
/// each mode.
#[test]
fn stop_lets_a_call_in_flight_finish_and_removes_the_file() {
    let dir = SockDir::new();
    for threads in MODES {
        let path = dir.path("stop.sock");
        let calc = Arc::new(Calc::default());
        let server = start_unix(threads.apply(builder(calc.clone())), &path);
        let mut idle = raw_unix(&path);
        let mut c = unix_client(&path, ProtocolKind::Binary, Framing::Buffered);
        let call = thread::spawn(move || c.call::<_, Ret<i32>>("gate", &NoArgs));
        assert!(eventually(Duration::from_secs(5), || calc
            .gate
            .waiting
            .load(Ordering::SeqCst)
            == 1));
        let stopper = {
            let server = server.clone();
            thread::spawn(move || timed_stop(&server))
        };
        // The idle connection ends at once, while the call still runs.
        assert!(
            closed_within_unix(&mut idle, Duration::from_secs(5)),
            "{threads:?}"
        );
        assert!(!stopper.is_finished(), "{threads:?}: stop did not wait");
        calc.gate.open();
        assert_eq!(
            call.join().unwrap().unwrap(),
            Ret::Success(1),
            "{threads:?}"
        );
        let took = stopper.join().unwrap();
        assert!(
            took < Duration::from_secs(5),
            "{threads:?}: stop took {took:?}"
        );
        assert!(server.is_stopped());
        assert!(!path.exists(), "{threads:?}: the file is left");
        assert!(UnixStream::connect(&path).is_err(), "{threads:?}");
    }
}

// ------------------------------------------------ the socket's file

/// A socket file left by a server that is gone is replaced.
#[test]
fn a_stale_socket_file_is_replaced() {
    let dir = SockDir::new();
    let path = dir.path("stale.sock");
    drop(UnixListener::bind(&path).unwrap());
    assert!(is_socket(&path), "the test needs a stale socket");
    let server = start_unix(calc_builder(Threads::PerConnection), &path);
    let mut c = unix_client(&path, ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut c, 3, 4).unwrap(), 7);
    server.stop();
    assert!(!path.exists());
}

/// The socket of a live server is not replaced: a second bind fails with
/// `AddrInUse`, and the first server goes on serving through it.
#[test]
fn a_live_servers_socket_is_not_replaced() {
    let dir = SockDir::new();
    let path = dir.path("live.sock");
    let first = start_unix(calc_builder(Threads::PerConnection), &path);
    let err = calc_builder(Threads::PerConnection)
        .bind_unix(&path)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
    let mut c = unix_client(&path, ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut c, 1, 2).unwrap(), 3);

    // Nor is a live socket that another program listens on.
    let other = dir.path("other.sock");
    let _listener = UnixListener::bind(&other).unwrap();
    let err = calc_builder(Threads::PerConnection)
        .bind_unix(&other)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
    assert!(is_socket(&other));
    first.stop();
}

/// A file that is not a socket is never removed: the bind fails.
#[test]
fn a_file_that_is_not_a_socket_is_left_alone() {
    let dir = SockDir::new();
    let path = dir.path("data.txt");
    std::fs::write(&path, b"keep me").unwrap();
    let err = calc_builder(Threads::PerConnection)
        .bind_unix(&path)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists, "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"keep me");

    let sub = dir.path("subdir");
    std::fs::create_dir(&sub).unwrap();
    let err = calc_builder(Threads::PerConnection)
        .bind_unix(&sub)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists, "{err}");
    assert!(sub.is_dir());

    // A symbolic link to a stale socket is a link, not a socket.
    let stale = dir.path("stale.sock");
    drop(UnixListener::bind(&stale).unwrap());
    let link = dir.path("link.sock");
    std::os::unix::fs::symlink(&stale, &link).unwrap();
    let err = calc_builder(Threads::PerConnection)
        .bind_unix(&link)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists, "{err}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// A server dropped without serving removes its file and frees the path.
#[test]
fn a_server_dropped_without_serving_removes_its_file() {
    let dir = SockDir::new();
    let path = dir.path("unused.sock");
    let server = calc_builder(Threads::PerConnection)
        .bind_unix(&path)
        .unwrap();
    assert!(is_socket(&path));
    drop(server);
    assert!(!path.exists());
    // A server stopped before it served, too.
    let server = calc_builder(Threads::PerConnection)
        .bind_unix(&path)
        .unwrap();
    server.handle().stop();
    assert!(!path.exists());
    assert!(server.serve().is_ok());
}

/// A file put at the path by someone else while the server runs is not
/// the server's to remove on stop.
#[test]
fn a_file_that_replaced_the_socket_is_not_removed_on_stop() {
    let dir = SockDir::new();
    let path = dir.path("moved.sock");
    let server = start_unix(calc_builder(Threads::Events(1)), &path);
    std::fs::remove_file(&path).unwrap();
    let newcomer = UnixListener::bind(&path).unwrap();
    // The accept loop is woken without the file (a stop that could not
    // wake it would never return: bounded here).
    let (done, stopped) = std::sync::mpsc::channel();
    thread::spawn(move || done.send(timed_stop(&server)));
    let took = stopped.recv_timeout(Duration::from_secs(10));
    assert!(
        took.is_ok_and(|t| t < Duration::from_secs(2)),
        "stop took {took:?}"
    );
    assert!(is_socket(&path), "the newcomer's socket was removed");
    drop(newcomer);
}

/// The path can be bound again as soon as `stop` returns, in each mode.
#[test]
fn the_path_can_be_bound_again_once_stop_returns() {
    let dir = SockDir::new();
    let path = dir.path("again.sock");
    for threads in MODES {
        for _ in 0..3 {
            let server = start_unix(calc_builder(threads), &path);
            let mut c = unix_client(&path, ProtocolKind::Binary, Framing::Buffered);
            assert_eq!(add(&mut c, 1, 1).unwrap(), 2);
            server.stop();
        }
    }
}

// -------------------------------------------------------------- clients

/// A pool over a Unix socket hands out idle connections again, and
/// discards one the server has closed meanwhile (its idle timeout).
#[test]
fn a_pool_reuses_connections_and_checks_idle_ones() {
    let dir = SockDir::new();
    let path = dir.path("pool.sock");
    let server = start_unix(
        calc_builder(Threads::Events(2)).idle_timeout(Duration::from_millis(300)),
        &path,
    );
    let pool: Pool<UnixStream> = Pool::new(unix_connector(
        &path,
        ProtocolKind::Binary,
        Framing::Buffered,
    ))
    .max_idle(4);
    {
        let mut c = pool.get().unwrap();
        assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
    }
    assert_eq!(pool.idle(), 1);
    // Reused: the same socket comes back.
    {
        let c = pool.get().unwrap();
        assert_eq!(server.connections(), 1);
        drop(c);
    }
    // Threads share it.
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let pool = pool.clone();
            thread::spawn(move || {
                for j in 0..20 {
                    assert_eq!(add(&mut pool.get().unwrap(), i, j).unwrap(), i + j);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert!(pool.idle() >= 1 && pool.idle() <= 4, "{}", pool.idle());
    // The server closes the idle connections; `get` notices and connects.
    assert!(eventually(Duration::from_secs(5), || server.connections() == 0));
    let mut c = pool.get().unwrap();
    assert_eq!(add(&mut c, 5, 5).unwrap(), 10);
    drop(c);
    assert_eq!(pool.idle(), 1);
    server.stop();
}

/// `max_size` bounds the pool's connections over a Unix socket.
#[test]
fn a_pool_bounds_its_connections() {
    let dir = SockDir::new();
    let path = dir.path("bounded.sock");
    let (p, f) = (ProtocolKind::Compact, Framing::Framed);
    let server = start_unix(calc_builder(Threads::PerConnection).wire(p, f), &path);
    let pool = Pool::new(unix_connector(
        &path,
        ProtocolKind::Compact,
        Framing::Framed,
    ))
    .max_size(2)
    .wait(Duration::from_millis(100));
    let a = pool.get().unwrap();
    let b = pool.get().unwrap();
    match pool.get() {
        Err(Error::Transport(t)) => assert_eq!(t.kind, TransportErrorKind::TimedOut, "{t}"),
        other => panic!("{other:?}"),
    }
    drop(a);
    let mut c = pool.get().unwrap();
    assert_eq!(add(&mut c, 2, 3).unwrap(), 5);
    drop((b, c));
    server.stop();
}

/// A `Connector<Socket>` reaches either kind of server.
#[test]
fn a_connector_of_either_kind() {
    let dir = SockDir::new();
    let path = dir.path("either.sock");
    let unix = start_unix(calc_builder(Threads::PerConnection), &path);
    let tcp = calc_server(
        Threads::PerConnection,
        ProtocolKind::Binary,
        Framing::Buffered,
    );
    let connectors: [Connector<Socket>; 2] = [
        Connector::unix(&path).into(),
        Connector::new(tcp.local_addr()).unwrap().into(),
    ];
    for connector in connectors {
        let mut c = connector.connect().unwrap();
        assert_eq!(add(&mut c, 20, 22).unwrap(), 42);
        match c.stream() {
            Socket::Unix(_) => assert!(format!("{connector:?}").contains("either.sock")),
            Socket::Tcp(s) => assert_eq!(s.peer_addr().unwrap(), tcp.local_addr()),
            other => panic!("{other:?}"),
        }
        let pool = Pool::new(connector);
        assert_eq!(add(&mut pool.get().unwrap(), 1, 1).unwrap(), 2);
    }
    unix.stop();
    tcp.stop();
}

/// Connecting to a path with no socket fails as a transport error.
#[test]
fn connecting_to_a_missing_socket_fails() {
    let dir = SockDir::new();
    match Connector::unix(dir.path("nobody.sock")).connect() {
        Err(Error::Transport(t)) => assert_eq!(t.kind, TransportErrorKind::Unknown, "{t}"),
        other => panic!("{other:?}"),
    }
    // A stale socket refuses.
    let stale = dir.path("stale.sock");
    drop(UnixListener::bind(&stale).unwrap());
    match Client::connect_unix(&stale) {
        Err(Error::Transport(t)) => assert_eq!(t.kind, TransportErrorKind::NotOpen, "{t}"),
        other => panic!("{other:?}"),
    }
}

/// The client sends each call whole over the socket (a raw server reads
/// one message and answers it), and its stream is the Unix socket.
#[test]
fn a_client_over_a_raw_unix_server() {
    let dir = SockDir::new();
    let path = dir.path("raw.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let (p, f) = (ProtocolKind::Compact, Framing::Framed);
    let server = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let want = call_msg(p, f, "add", 1, &AddArgs { a: 1, b: 2 });
        let mut got = vec![0u8; want.len()];
        s.read_exact(&mut got).unwrap();
        assert_eq!(got, want);
        let reply = message(
            p,
            f,
            "add",
            thriftc_runtime::protocol::MessageType::Reply,
            1,
            &Ret::Success(3i32),
        );
        s.write_all(&reply).unwrap();
    });
    let mut c = unix_client(&path, p, f);
    assert!(c.stream().peer_addr().unwrap().as_pathname() == Some(path.as_path()));
    assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
    server.join().unwrap();
}

/// On Linux the connect timeout bounds the wait for a server whose listen
/// backlog is full (a Unix socket's connect waits for room there).
#[cfg(target_os = "linux")]
#[test]
fn the_connect_timeout_bounds_a_wait_for_a_full_backlog() {
    let dir = SockDir::new();
    let path = dir.path("full.sock");
    // Listens, never accepts.
    let _listener = UnixListener::bind(&path).unwrap();
    let connector = Connector::unix(&path).connect_timeout(Duration::from_millis(50));
    let mut open = Vec::new();
    let err = loop {
        match connector.connect() {
            Ok(c) => open.push(c),
            Err(e) => break e,
        }
        assert!(open.len() < 100_000, "the backlog never filled");
    };
    match err {
        Error::Transport(t) => assert_eq!(t.kind, TransportErrorKind::TimedOut, "{t}"),
        other => panic!("{other:?}"),
    }
    assert!(!open.is_empty());
}
