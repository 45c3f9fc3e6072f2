//! Unix domain sockets at their edges: servers binding one path at once,
//! binding while another stops, a live server with a full backlog, a
//! relative path after the current directory changed, long paths, leaked
//! servers, links, stops without the file, pools across restarts, and TCP
//! call sites that must still compile.
#![cfg(unix)]

mod server_support;

use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::client::{ClientConfig, Connector, Pool};
use thriftc_runtime::{Client, Error, Framing, ProtocolKind, TransportErrorKind};

const MODES: [Threads; 3] = [Threads::PerConnection, Threads::Pool(2), Threads::Events(2)];

/// Fills the listen backlog of the (never accepting) listener at `path`;
/// returns the connections holding it full.
fn fill_backlog(path: &Path) -> Vec<Client<UnixStream>> {
    let connector = Connector::unix(path).connect_timeout(Duration::from_millis(20));
    let mut open = Vec::new();
    loop {
        match connector.connect() {
            Ok(c) => open.push(c),
            Err(_) => break,
        }
        assert!(open.len() < 100_000, "the backlog never filled");
    }
    open
}

/// Two servers binding one stale file at once: never do both succeed (the
/// probe, a refused connect, and the removal run under the path's lock;
/// without it, one could remove the file the other had just bound, and
/// stay live but unreachable).
#[test]
fn concurrent_binds_on_a_stale_file_never_both_succeed() {
    let dir = SockDir::new();
    let path = dir.path("race.sock");
    let deadline = Instant::now() + Duration::from_secs(6);
    let mut rounds = 0;
    while rounds < 2000 && Instant::now() < deadline {
        rounds += 1;
        let _ = std::fs::remove_file(&path);
        drop(UnixListener::bind(&path).unwrap());
        let barrier = Arc::new(Barrier::new(2));
        let binders: Vec<_> = (0..2)
            .map(|_| {
                let barrier = barrier.clone();
                let path = path.clone();
                thread::spawn(move || {
                    barrier.wait();
                    calc_builder(Threads::PerConnection).bind_unix(&path)
                })
            })
            .collect();
        let servers: Vec<_> = binders
            .into_iter()
            .map(|b| b.join().unwrap())
            .filter_map(|r| r.ok())
            .collect();
        assert!(
            servers.len() <= 1,
            "round {rounds}: both binds succeeded; one server listens on a \
             socket whose file the other removed"
        );
    }
}

/// A server binding the path while another stops keeps its file: the
/// stopping server removes its own file under the path's lock, before the
/// new one can look at the path.
#[test]
fn a_server_bound_while_another_stops_keeps_its_file() {
    let dir = SockDir::new();
    let path = dir.path("rebind.sock");
    let deadline = Instant::now() + Duration::from_secs(6);
    let mut rounds = 0;
    while rounds < 5000 && Instant::now() < deadline {
        rounds += 1;
        let old = calc_builder(Threads::PerConnection)
            .bind_unix(&path)
            .unwrap()
            .spawn()
            .unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let stopper = {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                old.stop();
            })
        };
        barrier.wait();
        let give_up = Instant::now() + Duration::from_secs(5);
        let new = loop {
            match calc_builder(Threads::PerConnection).bind_unix(&path) {
                Ok(server) => break server,
                Err(e) => assert!(Instant::now() < give_up, "round {rounds}: {e}"),
            }
        };
        stopper.join().unwrap();
        assert!(
            is_socket(&path),
            "round {rounds}: the stopping server removed the new server's live file"
        );
        drop(new);
    }
}

/// A socket a live server listens on fails with `AddrInUse`, also when the
/// server's listen backlog is full (the probe's connect then waits).
#[cfg(target_os = "linux")]
#[test]
fn a_bind_over_a_live_server_with_a_full_backlog_is_addr_in_use() {
    let dir = SockDir::new();
    let path = dir.path("busy.sock");
    // Listens, never accepts.
    let _live = UnixListener::bind(&path).unwrap();
    let _held = fill_backlog(&path);
    let started = Instant::now();
    let err = calc_builder(Threads::PerConnection)
        .bind_unix(&path)
        .unwrap_err();
    let took = started.elapsed();
    assert!(is_socket(&path), "the live socket was removed");
    assert_eq!(
        err.kind(),
        std::io::ErrorKind::AddrInUse,
        "{err} (after {took:?})"
    );
}

/// Only one test changes the current directory at a time.
static CWD: Mutex<()> = Mutex::new(());

/// Puts the current directory back when dropped.
struct CwdGuard(PathBuf);

impl Drop for CwdGuard {
    fn drop(&mut self) {
        let _ = std::env::set_current_dir(&self.0);
    }
}

/// A server bound to a relative path removes its own file on stop after
/// the process changed directory: the path is made absolute at bind.
#[test]
fn a_relative_path_is_removed_on_stop_after_the_cwd_changes() {
    let _serial = CWD.lock().unwrap_or_else(|e| e.into_inner());
    let dir = SockDir::new();
    let elsewhere = SockDir::new();
    let _back = CwdGuard(std::env::current_dir().unwrap());
    std::env::set_current_dir(&dir.0).unwrap();
    let server = calc_builder(Threads::PerConnection)
        .bind_unix("rel.sock")
        .unwrap()
        .spawn()
        .unwrap();
    std::env::set_current_dir(&elsewhere.0).unwrap();
    let took = timed_stop(&server);
    assert!(took < Duration::from_secs(5), "stop took {took:?}");
    assert!(
        !dir.path("rel.sock").exists(),
        "the server's own socket file was left behind"
    );
}

/// A path longer than `sun_path` is refused cleanly by the server and the
/// client, and one of 107 bytes (the longest std takes) works both ways.
#[test]
fn path_length_limits_are_the_same_for_server_and_client() {
    let dir = SockDir::new();
    let base = dir.0.to_str().unwrap().len() + 1;
    let long = dir.path(&"l".repeat(200));
    let err = calc_builder(Threads::PerConnection)
        .bind_unix(&long)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
    assert!(Connector::unix(&long).connect().is_err());
    assert!(base < 100, "the test directory's path is too long");
    let edge = dir.path(&"e".repeat(107 - base));
    assert_eq!(edge.as_os_str().len(), 107);
    let server = calc_builder(Threads::PerConnection)
        .bind_unix(&edge)
        .unwrap()
        .spawn()
        .unwrap();
    let mut c = Connector::unix(&edge).connect().unwrap();
    assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
    server.stop();
    assert!(!edge.exists());
}

/// A server that is forgotten (leaked) keeps listening: its file stays, and
/// a later bind fails with `AddrInUse` rather than removing it.
#[test]
fn a_leaked_servers_file_is_not_replaced() {
    let dir = SockDir::new();
    let path = dir.path("leak.sock");
    let server = calc_builder(Threads::PerConnection)
        .bind_unix(&path)
        .unwrap();
    std::mem::forget(server);
    let err = calc_builder(Threads::PerConnection)
        .bind_unix(&path)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
    assert!(is_socket(&path));
}

/// A dangling symbolic link at the path is left alone.
#[test]
fn a_dangling_symlink_is_left_alone() {
    let dir = SockDir::new();
    let link = dir.path("dangling.sock");
    std::os::unix::fs::symlink(dir.path("nowhere"), &link).unwrap();
    let err = calc_builder(Threads::PerConnection)
        .bind_unix(&link)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists, "{err}");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
}

/// A stop never needs `local_addr` (0.0.0.0:0 for a Unix server): it
/// returns promptly in every mode, with the accept loop blocked in
/// `accept`, or held back by `max_connections` with a client connected.
#[test]
fn stop_is_prompt_in_every_mode_blocked_or_at_max_connections() {
    let dir = SockDir::new();
    for threads in MODES {
        for max in [None, Some(1)] {
            let path = dir.path("stop.sock");
            let mut b = calc_builder(threads);
            if let Some(n) = max {
                b = b.max_connections(n);
            }
            let server = b.bind_unix(&path).unwrap().spawn().unwrap();
            let mut c = Connector::unix(&path).connect().unwrap();
            assert_eq!(add(&mut c, 1, 1).unwrap(), 2);
            let took = timed_stop(&server);
            assert!(
                took < Duration::from_secs(3),
                "{threads:?} {max:?}: {took:?}"
            );
            assert!(!path.exists(), "{threads:?} {max:?}");
        }
    }
}

/// A stop while the socket's file is gone (removed by someone) still
/// returns promptly in every mode.
#[test]
fn stop_without_the_file_is_prompt_in_every_mode() {
    let dir = SockDir::new();
    for threads in MODES {
        let path = dir.path("gone.sock");
        let server = calc_builder(threads)
            .bind_unix(&path)
            .unwrap()
            .spawn()
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        let took = timed_stop(&server);
        assert!(took < Duration::from_secs(3), "{threads:?}: {took:?}");
        assert!(!path.exists());
    }
}

/// A connect timeout below a microsecond still bounds a connect to a full
/// backlog (rustix rounds it up, it does not become "no timeout").
#[cfg(target_os = "linux")]
#[test]
fn a_tiny_connect_timeout_still_bounds_a_full_backlog() {
    let dir = SockDir::new();
    let path = dir.path("tiny.sock");
    let _live = UnixListener::bind(&path).unwrap();
    let _held = fill_backlog(&path);
    let (tx, rx) = std::sync::mpsc::channel();
    let p = path.clone();
    thread::spawn(move || {
        let r = Connector::unix(&p)
            .connect_timeout(Duration::from_nanos(1))
            .connect();
        let _ = tx.send(r.map(|_| ()));
    });
    match rx.recv_timeout(Duration::from_secs(5)) {
        Ok(Err(Error::Transport(t))) => assert_eq!(t.kind, TransportErrorKind::TimedOut),
        other => panic!("{other:?}"),
    }
}

/// The pool's idle check over a Unix socket drops a connection whose
/// server has gone (stopped), and connects anew to the next server.
#[test]
fn a_pool_of_unix_connections_survives_a_server_restart() {
    let dir = SockDir::new();
    let path = dir.path("restart.sock");
    let pool = Pool::new(Connector::unix(&path)).max_idle(4);
    let first = calc_builder(Threads::Events(1))
        .bind_unix(&path)
        .unwrap()
        .spawn()
        .unwrap();
    assert_eq!(add(&mut pool.get().unwrap(), 1, 1).unwrap(), 2);
    assert_eq!(pool.idle(), 1);
    first.stop();
    let second = calc_builder(Threads::PerConnection)
        .bind_unix(&path)
        .unwrap()
        .spawn()
        .unwrap();
    assert_eq!(add(&mut pool.get().unwrap(), 2, 2).unwrap(), 4);
    second.stop();
}

/// TCP call sites written before the change still compile and infer: the
/// default type parameters cover annotations, constructors, fields and
/// generic helpers.
#[test]
fn tcp_call_sites_still_infer() {
    struct App {
        client: Client,
        pool: Pool,
        connector: Connector,
    }
    fn through(c: &mut Client) -> i32 {
        add(c, 1, 2).unwrap()
    }
    let server = calc_server(
        Threads::PerConnection,
        ProtocolKind::Binary,
        Framing::Buffered,
    );
    let addr = server.local_addr();
    let mut c: Client = Client::connect(addr).unwrap();
    assert_eq!(through(&mut c), 3);
    let c2 = Connector::new(addr).unwrap().connect().unwrap();
    let c3 = Client::from_stream(
        std::net::TcpStream::connect(addr).unwrap(),
        &ClientConfig::default(),
    )
    .unwrap();
    let mut app = App {
        client: c2,
        pool: Pool::new(Connector::new(addr).unwrap()).max_idle(Pool::DEFAULT_MAX_IDLE),
        connector: Connector::new(addr).unwrap(),
    };
    assert_eq!(through(&mut app.client), 3);
    assert_eq!(add(&mut app.pool.get().unwrap(), 2, 2).unwrap(), 4);
    let mut c4 = app.connector.connect().unwrap();
    assert_eq!(add(&mut &mut c4, 3, 3).unwrap(), 6);
    let peer: std::net::SocketAddr = c3.stream().peer_addr().unwrap();
    assert_eq!(peer, addr);
    let clients: Vec<Client> = vec![c, c3, c4];
    assert_eq!(clients.len(), 3);
    server.stop();
}
