//! `SharedPool`'s backoff after failed connects (feature `tokio`): no
//! attempt while a place backs off, one after the delay, delays that
//! double up to the maximum, a reset after a successful connect, and
//! calls served by the other places meanwhile, and by them after a failed
//! attempt too. Attempts are told by their errors (a refused connect, or a
//! refusal that says the place is backing off) and, with a server up, by
//! the connections it sees.

mod server_support;
mod tokio_support;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::tokio::{AsyncChannel, SharedPool};
use thriftc_runtime::{Connector, Error, Result};
use tokio_support::multi_thread;

const WAIT: Duration = Duration::from_secs(10);

/// A loopback address nothing listens on.
fn closed_port() -> std::net::SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The message of a transport error that is not sent, or a panic.
fn refusal<T: std::fmt::Debug>(r: &Result<T>) -> &str {
    match r {
        Err(Error::Transport(t)) => {
            assert!(t.unsent, "a connect failure is not sent: {t:?}");
            &t.message
        }
        other => panic!("not a transport error: {other:?}"),
    }
}

/// A refusal while backing off, rather than a failed attempt.
fn backing_off(message: &str) -> bool {
    message.contains("backing off")
}

async fn add(pool: &SharedPool, a: i32) -> Result<Ret<i32>> {
    let mut p = pool;
    p.call("add", &AddArgs { a, b: 1 }).await
}

/// Calls through `pool` until one succeeds (true) or `within` passed.
#[cfg(unix)]
async fn succeeds_within(
    pool: &SharedPool<std::os::unix::net::UnixStream>,
    within: Duration,
) -> bool {
    let end = Instant::now() + within;
    while Instant::now() < end {
        let mut c = pool;
        if c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 })
            .await
            .is_ok()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

/// Each attempt fails at once (nothing listens): after each, the calls
/// are refused until the delay passed, each delay twice the last, up to
/// the maximum; the next attempt never comes before its delay.
#[test]
fn attempts_wait_for_delays_that_double_up_to_the_maximum() {
    let addr = closed_port();
    multi_thread().block_on(async {
        let pool = SharedPool::new(Connector::new(addr).unwrap(), 1)
            .reconnect_backoff(Duration::from_millis(250), Duration::from_secs(1));
        // Delays long enough that the call after an attempt comes within
        // the next delay on a busy machine too.
        let expected = [250u64, 500, 1000, 1000];
        let first = Instant::now();
        let r = add(&pool, 0).await;
        assert!(
            !backing_off(refusal(&r)),
            "the first call makes an attempt: {r:?}"
        );
        let mut last_attempt_started = first;
        for delay in expected.map(Duration::from_millis) {
            // Calls are refused until one makes the next attempt.
            let mut refusals = 0;
            let attempted = loop {
                assert!(first.elapsed() < WAIT, "no attempt within {WAIT:?}");
                let started = Instant::now();
                let r = add(&pool, 1).await;
                let message = refusal(&r);
                if !backing_off(message) {
                    break (started, Instant::now());
                }
                assert!(
                    message.contains(&format!("backing off for {delay:?}")),
                    "{message}"
                );
                refusals += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            };
            assert!(
                refusals > 0,
                "a call came within {delay:?} and was not refused"
            );
            assert!(
                attempted.1 - last_attempt_started >= delay,
                "an attempt came {:?} after the one before, within the delay {delay:?}",
                attempted.1 - last_attempt_started
            );
            last_attempt_started = attempted.0;
        }
    });
}

/// One place, backing off for a minute: with the server back up, calls
/// are still refused at once, and none connects.
#[cfg(unix)]
#[test]
fn a_place_backing_off_makes_no_attempt() {
    use tokio_support::{async_builder, start_unix};
    let dir = SockDir::new();
    let path = dir.path("calc.sock");
    multi_thread().block_on(async {
        let pool = SharedPool::new(Connector::unix(&path), 1)
            .reconnect_backoff(Duration::from_secs(60), Duration::from_secs(60));
        let mut c = &pool;
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
        assert!(!backing_off(refusal(&r)), "{r:?}");
        let server = start_unix(async_builder(Default::default()), &path);
        for _ in 0..5 {
            let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
            let message = refusal(&r);
            assert!(backing_off(message), "{message}");
            assert!(message.contains("backing off for 60s"), "{message}");
            assert!(message.contains("next attempt is allowed in"), "{message}");
        }
        assert_eq!(
            server.handle.connections(),
            0,
            "a place backing off connected"
        );
        assert_eq!(pool.open(), 0);
    });
}

/// A successful connect resets the backoff: after failures that doubled
/// the delay, a connect that succeeds, and a server that goes away again,
/// the next failure backs off for the first delay again.
#[cfg(unix)]
#[test]
fn a_successful_connect_resets_the_backoff() {
    use tokio_support::{async_builder, start_unix, until};
    let dir = SockDir::new();
    let path = dir.path("calc.sock");
    multi_thread().block_on(async {
        let pool = SharedPool::new(Connector::unix(&path), 1)
            .reconnect_backoff(Duration::from_secs(1), Duration::from_secs(60));
        let mut c = &pool;
        // Two failed attempts: the place now backs off for 2 s.
        let mut attempts = 0;
        let mut last = String::new();
        let end = Instant::now() + WAIT;
        while attempts < 2 || !backing_off(&last) {
            assert!(
                Instant::now() < end,
                "{attempts} attempts and no backoff: {last}"
            );
            let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
            last = refusal(&r).to_owned();
            if !backing_off(&last) {
                attempts += 1;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(last.contains("backing off for 2s"), "{last}");
        let server = start_unix(async_builder(Default::default()), &path);
        assert!(
            succeeds_within(&pool, WAIT).await,
            "no call succeeded once the server was up"
        );
        assert!(server.stop_within(WAIT));
        drop(server);
        assert!(until(WAIT, || pool.open() == 0).await, "{pool:?}");
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
        assert!(!backing_off(refusal(&r)), "an attempt: {r:?}");
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
        let message = refusal(&r);
        assert!(
            message.contains("backing off for 1s"),
            "the backoff starts over: {message}"
        );
    });
}

/// Two places: while one backs off (for a minute), its calls go to the
/// other's usable connection, and it does not connect.
#[cfg(unix)]
#[test]
fn calls_go_to_a_usable_place_while_another_backs_off() {
    use tokio_support::{async_builder, start_unix, until};
    let dir = SockDir::new();
    let path = dir.path("calc.sock");
    multi_thread().block_on(async {
        let pool = SharedPool::new(Connector::unix(&path), 2)
            .reconnect_backoff(Duration::from_secs(60), Duration::from_secs(60));
        let mut c = &pool;
        let first = start_unix(async_builder(Default::default()), &path);
        for i in 0..2 {
            let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 1 }).await;
            assert_eq!(r.unwrap(), Ret::Success(i + 1));
        }
        assert_eq!(pool.open(), 2);
        assert!(first.stop_within(WAIT));
        drop(first);
        assert!(until(WAIT, || pool.open() == 0).await, "{pool:?}");
        // Place 0's connect fails: it backs off.
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 0, b: 1 }).await;
        assert!(!backing_off(refusal(&r)), "{r:?}");
        let second = start_unix(async_builder(Default::default()), &path);
        // Place 1 connects again.
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 1, b: 1 }).await;
        assert_eq!(r.unwrap(), Ret::Success(2));
        for i in 0..10 {
            let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 1 }).await;
            assert_eq!(r.unwrap(), Ret::Success(i + 1), "call {i}");
        }
        assert_eq!(pool.open(), 1);
        assert_eq!(
            second.handle.connections(),
            1,
            "the place backing off connected"
        );
    });
}

/// Two places: place 0 has a connection when the server's socket file is
/// removed (connects fail; the connection made stays up). The call whose
/// turn is place 1's makes place 1's connect, which fails, and then takes
/// place 0's connection instead of failing; place 1 backs off, and the
/// calls that come to it meanwhile go to place 0 too.
#[cfg(unix)]
#[test]
fn a_call_whose_connect_fails_takes_a_usable_connection() {
    use tokio_support::{async_builder, start_unix};
    let dir = SockDir::new();
    let path = dir.path("calc.sock");
    multi_thread().block_on(async {
        let server = start_unix(async_builder(Default::default()), &path);
        let pool = SharedPool::new(Connector::unix(&path), 2)
            .reconnect_backoff(Duration::from_secs(60), Duration::from_secs(60));
        let mut c = &pool;
        // Turns alternate: even ones are place 0's, odd ones place 1's.
        let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: 0, b: 1 }).await;
        assert_eq!(r.unwrap(), Ret::Success(1));
        std::fs::remove_file(&path).unwrap();
        for i in 1..8 {
            let r = c.call::<_, Ret<i32>>("add", &AddArgs { a: i, b: 1 }).await;
            assert_eq!(r.unwrap(), Ret::Success(i + 1), "call {i}");
        }
        assert_eq!(pool.open(), 1);
        assert_eq!(server.handle.connections(), 1);
    });
}
