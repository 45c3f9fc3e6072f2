//! The blocking pool's waiting queue under churn: many threads
//! under a small `max_size`, connections given back, detached, expiring,
//! cleared and closed by the server while idle. Nothing may be stranded:
//! every `get` is served well within its wait, and at the end no caller
//! waits and no place is still counted.

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use thriftc_runtime::client::{Connector, Pool};

/// A server that accepts connections and keeps them, sending nothing,
/// closing about half of those it holds every few milliseconds.
fn churning_server(stop: Arc<AtomicBool>) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    let h = Arc::clone(&held);
    let s = Arc::clone(&stop);
    thread::spawn(move || {
        for c in l.incoming() {
            if s.load(Ordering::SeqCst) {
                return;
            }
            if let Ok(c) = c {
                h.lock().unwrap().push(c);
            }
        }
    });
    thread::spawn(move || {
        let mut n = 0usize;
        while !stop.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(3));
            let mut v = held.lock().unwrap();
            n += 1;
            let mut i = 0;
            v.retain(|_| {
                i += 1;
                (i + n) % 2 == 0
            });
        }
    });
    addr
}

#[test]
fn nothing_is_stranded_under_churn() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 300;
    let stop = Arc::new(AtomicBool::new(false));
    let addr = churning_server(Arc::clone(&stop));
    let pool = Pool::new(Connector::new(addr).unwrap())
        .max_size(3)
        .max_idle(2)
        .max_idle_time(Duration::from_millis(2))
        .wait(Duration::from_secs(20));
    let slowest = Arc::new(Mutex::new(Duration::ZERO));
    let failures = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (pool, slowest, failures) = (pool.clone(), slowest.clone(), failures.clone());
            thread::spawn(move || {
                for r in 0..ROUNDS {
                    let start = Instant::now();
                    let got = pool.get();
                    let took = start.elapsed();
                    {
                        let mut s = slowest.lock().unwrap();
                        *s = (*s).max(took);
                    }
                    let c = match got {
                        Ok(c) => c,
                        Err(e) => {
                            eprintln!("thread {t} round {r}: {e}");
                            failures.fetch_add(1, Ordering::SeqCst);
                            continue;
                        }
                    };
                    match (t + r) % 7 {
                        0 => drop(c.detach()),
                        1 => {
                            thread::sleep(Duration::from_millis(1));
                            drop(c);
                        }
                        2 => {
                            drop(c);
                            pool.clear();
                        }
                        _ => drop(c),
                    }
                    if r % 11 == 0 {
                        thread::sleep(Duration::from_millis(3));
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    for w in workers {
        while !w.is_finished() {
            assert!(
                Instant::now() < deadline,
                "stuck: {pool:?}, waiting {}",
                pool.waiting()
            );
            thread::sleep(Duration::from_millis(20));
        }
        w.join().unwrap();
    }
    assert_eq!(failures.load(Ordering::SeqCst), 0, "{pool:?}");
    assert_eq!((pool.waiting(), pool.in_use()), (0, 0), "{pool:?}");
    assert!(pool.idle() <= 2, "{pool:?}");
    let s = *slowest.lock().unwrap();
    assert!(s < Duration::from_secs(10), "a get took {s:?}");
    // Three places are free: three gets at once are served at once.
    let held: Vec<_> = (0..3).map(|_| pool.get().unwrap()).collect();
    assert_eq!(pool.in_use(), 3);
    drop(held);
    stop.store(true, Ordering::SeqCst);
}
