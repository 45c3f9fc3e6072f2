//! Load and resource figures, measured in this process (server and clients
//! share it, so the figures are upper bounds for the server alone):
//! parallel calls, 64 clients × 1,000 calls, 1,024 idle connections,
//! stalled frame headers, a connection flood and 10,000 handler panics. The
//! tests run one at a time because they count the process's threads,
//! descriptors and memory.

mod server_support;

use std::net::TcpStream;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::client::Channel;
use thriftc_runtime::{Error, Framing, ProtocolKind};

static SERIAL: Mutex<()> = Mutex::new(());

/// Takes the lock, then waits (at most 5 s) for threads of earlier tests to
/// finish exiting, so counts start from a steady state.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut last = threads();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        thread::sleep(Duration::from_millis(100));
        let now = threads();
        if now == last {
            break;
        }
        last = now;
    }
    guard
}

fn rss_mib() -> f64 {
    proc_status("VmRSS") as f64 / 1024.0
}

fn threads() -> u64 {
    proc_status("Threads")
}

/// The soft and hard `RLIMIT_NOFILE` of this process ("unlimited" as
/// `u64::MAX`).
fn nofile() -> (u64, u64) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let mut n = line
        .split_whitespace()
        .skip(3)
        .map(|v| v.parse().unwrap_or(u64::MAX));
    (n.next().unwrap(), n.next().unwrap())
}

/// Makes sure this process may open `want` descriptors, raising its soft
/// limit with `prlimit` (util-linux) when it is lower (many systems start
/// at 1,024); fails saying what is missing when it cannot.
fn allow_descriptors(want: u64) {
    let (soft, hard) = nofile();
    if soft >= want {
        return;
    }
    assert!(
        hard >= want,
        "this test needs {want} open files; the hard limit is {hard}: raise it (ulimit -Hn)"
    );
    let status = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={want}:"))
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "this test needs {want} open files (soft limit {soft}); raising it needs \
                 `prlimit` from util-linux: {e}"
            )
        });
    assert!(
        status.success(),
        "prlimit could not raise the open-file limit to {want}"
    );
    assert!(
        nofile().0 >= want,
        "the open-file limit is still {}",
        nofile().0
    );
}

#[test]
fn calls_run_in_parallel() {
    let _serial = serial();
    const N: usize = 16;
    for threads in [Threads::PerConnection, Threads::Pool(N), Threads::Events(N)] {
        let server = calc_builder(threads).start();
        let addr = server.local_addr();
        // Each call returns only when all N are inside the handler at once
        // (or reports `false` after 10 s).
        let calls: Vec<_> = (0..N)
            .map(|_| {
                thread::spawn(move || {
                    let mut c = client(addr, ProtocolKind::Binary, Framing::Buffered);
                    c.call::<_, Ret<bool>>("rendezvous", &Args1(N as i32))
                        .unwrap()
                })
            })
            .collect();
        for c in calls {
            assert_eq!(
                c.join().unwrap(),
                Ret::Success(true),
                "calls did not overlap ({threads:?})"
            );
        }
        server.stop();
    }
}

#[test]
fn sixty_four_clients_make_a_thousand_calls_each() {
    let _serial = serial();
    let modes = [
        (COMBOS[0], Threads::PerConnection),
        (COMBOS[3], Threads::PerConnection),
        (COMBOS[0], Threads::Events(4)),
        (COMBOS[3], Threads::Events(4)),
    ];
    for ((protocol, framing), threads) in modes {
        let server = calc_server(threads, protocol, framing);
        let connector = connector(server.local_addr(), protocol, framing);
        let started = Instant::now();
        let clients: Vec<_> = (0..64)
            .map(|t| {
                let connector = connector.clone();
                thread::spawn(move || {
                    let mut c = connector.connect().unwrap();
                    for i in 0..1000 {
                        assert_eq!(add(&mut c, t * 1_000_000, i).unwrap(), t * 1_000_000 + i);
                    }
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }
        let took = started.elapsed();
        eprintln!(
            "64 clients x 1,000 calls ({protocol:?}, {framing:?}, {threads:?}): {took:?}, {:.0} calls/s",
            64_000.0 / took.as_secs_f64()
        );
        server.stop();
    }
}

#[test]
fn a_thousand_idle_connections_cost_little_and_a_new_client_is_served() {
    let _serial = serial();
    // Both ends of 1,024 connections live in this process.
    allow_descriptors(4096);
    for threads in [Threads::PerConnection, Threads::Events(2)] {
        thousand_idle_connections(threads);
    }
}

fn thousand_idle_connections(threads: Threads) {
    let before = rss_mib();
    let threads_before = self::threads();
    let server = calc_builder(threads).max_connections(1100).start();
    let addr = server.local_addr();
    let mut idle: Vec<_> = (0..1024)
        .map(|i| {
            let mut c = client(addr, ProtocolKind::Binary, Framing::Buffered);
            assert_eq!(add(&mut c, i, 1).unwrap(), i + 1);
            c
        })
        .collect();
    assert_eq!(server.connections(), 1024);
    let held = rss_mib();
    let threads_held = self::threads();
    eprintln!(
        "1,024 idle connections ({threads:?}): process RSS {held:.1} MiB (was {before:.1} MiB), {threads_held} threads (was {threads_before})"
    );
    assert!(
        held < 256.0,
        "RSS {held:.1} MiB with 1,024 idle connections"
    );
    if let Threads::Events(n) = threads {
        // The event threads and the accept thread: idle connections hold
        // no thread.
        assert!(
            threads_held <= threads_before + n as u64 + 1,
            "{threads_held} threads (was {threads_before}) with {n} event threads"
        );
    }
    let started = Instant::now();
    let mut fresh = client(addr, ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut fresh, 40, 2).unwrap(), 42);
    eprintln!("a new client answered in {:?}", started.elapsed());
    assert_eq!(add(&mut idle[512], 1, 1).unwrap(), 2);
    drop(idle);
    server.stop();
}

#[test]
fn stalled_frame_headers_cost_bounded_memory() {
    let _serial = serial();
    let server = builder(Calc::default()).framing(Framing::Framed).start();
    let addr = server.local_addr();
    let before = rss_mib();
    // 1,000 peers announce a maximum-size frame (16,384,000 bytes) and stall.
    let stalled: Vec<_> = (0..1000)
        .map(|_| {
            let mut s = raw(addr);
            send(&mut s, &16_384_000u32.to_be_bytes());
            send(&mut s, b"\x80\x01");
            s
        })
        .collect();
    assert!(eventually(Duration::from_secs(10), || server.connections() == 1000));
    thread::sleep(Duration::from_millis(200));
    let after = rss_mib();
    let growth = after - before;
    eprintln!(
        "1,000 stalled 16 MB frame headers: RSS {before:.1} -> {after:.1} MiB (+{growth:.1} MiB)"
    );
    // Committing the announced frames would take 16 GB.
    assert!(growth < 64.0, "RSS grew by {growth:.1} MiB");
    let mut c = client(addr, ProtocolKind::Binary, Framing::Framed);
    assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
    drop(stalled);
    server.stop();
}

#[test]
fn a_connection_flood_leaks_no_descriptors_or_threads() {
    let _serial = serial();
    let server = builder(Calc::default()).start();
    let addr = server.local_addr();
    let mut legit = client(addr, ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut legit, 1, 1).unwrap(), 2);
    let (fds, thr) = (open_fds(), threads());

    let flood: Vec<_> = (0..16)
        .map(|_| {
            thread::spawn(move || {
                let mut dropped = 0;
                for _ in 0..625 {
                    // When the accept queue is full the kernel drops the SYN
                    // (backpressure); give up on such an attempt after
                    // 200 ms rather than wait for the 1 s retransmission.
                    let attempt = TcpStream::connect_timeout(&addr, Duration::from_millis(200));
                    dropped += usize::from(attempt.is_err());
                }
                dropped
            })
        })
        .collect();
    let mut latencies = Vec::new();
    while !flood.iter().all(|t| t.is_finished()) {
        let t = Instant::now();
        assert_eq!(add(&mut legit, 2, 2).unwrap(), 4);
        latencies.push(t.elapsed());
        thread::sleep(Duration::from_millis(1));
    }
    let dropped: usize = flood.into_iter().map(|t| t.join().unwrap()).sum();
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100];
    eprintln!(
        "during 10,000 connection attempts ({dropped} timed out in the backlog): {} calls, p99 {p99:?}",
        latencies.len()
    );
    assert!(p99 < Duration::from_millis(50), "p99 {p99:?}");

    // Every flood connection is closed and its thread gone.
    assert!(
        eventually(Duration::from_secs(10), || open_fds() <= fds
            && threads() <= thr),
        "fds {} (was {fds}), threads {} (was {thr})",
        open_fds(),
        threads()
    );
    assert_eq!(add(&mut legit, 3, 3).unwrap(), 6);
    server.stop();
}

#[test]
fn ten_thousand_panics_leak_nothing() {
    let _serial = serial();
    quiet_expected_panics();
    let server = builder(Calc::default()).framing(Framing::Framed).start();
    let mut c = client(server.local_addr(), ProtocolKind::Binary, Framing::Framed);
    assert_eq!(add(&mut c, 1, 1).unwrap(), 2);
    let (fds, thr) = (open_fds(), threads());
    for _ in 0..10_000 {
        match c.call::<_, Ret<i32>>("panic", &NoArgs) {
            Err(Error::Application(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(add(&mut c, 2, 2).unwrap(), 4);
    assert_eq!((open_fds(), threads()), (fds, thr));
    server.stop();
}

#[test]
fn large_arguments_are_not_delayed_by_nagle() {
    let _serial = serial();
    // With Nagle's algorithm and delayed ACKs, the last segment of a 64 KiB
    // message waits ~40 ms; TCP_NODELAY and one write per message avoid it.
    for framing in [Framing::Buffered, Framing::Framed] {
        let server = builder(Calc::default()).framing(framing).start();
        let mut c = client(server.local_addr(), ProtocolKind::Binary, framing);
        let arg = vec![0x5au8; 64 * 1024];
        let started = Instant::now();
        for _ in 0..50 {
            let r: Ret<Vec<u8>> = c.call("echo_bin", &Args1(arg.clone())).unwrap();
            assert!(matches!(&r, Ret::Success(v) if v.len() == arg.len()));
        }
        let per_call = started.elapsed() / 50;
        eprintln!("64 KiB echo ({framing:?}): {per_call:?} per call");
        assert!(
            per_call < Duration::from_millis(15),
            "{per_call:?} per call"
        );
        server.stop();
    }
}
