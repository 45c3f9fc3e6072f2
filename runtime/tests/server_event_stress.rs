#![cfg(target_os = "linux")]
//! Adversarial end-to-end load on the event-driven mode: many raw clients
//! pipelining mixed requests split at random byte boundaries, random
//! disconnects, stops under load, short timeouts, messages around the
//! 64 KiB / 128 KiB boundaries. Every reply is checked (order, seqid,
//! value). The RNG seed is printed; `STRESS_SEED` replays one.

mod server_support;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::protocol::MessageType;
use thriftc_runtime::server::ServerHandle;
use thriftc_runtime::transport::ByteBudget;
use thriftc_runtime::{ApplicationErrorKind, Framing, ProtocolKind};

fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn seed() -> u64 {
    let s = std::env::var("STRESS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_2026);
    eprintln!("STRESS_SEED={s}");
    // Scrambled, so that seeds differing in low bits give unrelated clients.
    Rng(s).next()
}

/// splitmix64.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Debug)]
enum Req {
    Add(i32, i32),
    Echo(usize, u8),
    Fire(i32),
    Unknown,
    UnknownOneway,
}

#[derive(Clone, Debug, PartialEq)]
enum Expect {
    Int(i32),
    Str(usize, u8),
    UnknownMethod,
}

fn text(len: usize, salt: u8) -> String {
    (0..len)
        .map(|i| (b'a' + ((i as u32 * 7 + salt as u32) % 26) as u8) as char)
        .collect()
}

fn encode(req: &Req, p: ProtocolKind, f: Framing, seqid: i32) -> (Vec<u8>, Option<Expect>) {
    match req {
        Req::Add(a, b) => (
            message(
                p,
                f,
                "add",
                MessageType::Call,
                seqid,
                &AddArgs { a: *a, b: *b },
            ),
            Some(Expect::Int(a.wrapping_add(*b))),
        ),
        Req::Echo(len, salt) => (
            message(
                p,
                f,
                "echo",
                MessageType::Call,
                seqid,
                &Args1(text(*len, *salt)),
            ),
            Some(Expect::Str(*len, *salt)),
        ),
        Req::Fire(n) => (
            message(p, f, "fire", MessageType::Oneway, seqid, &Args1(*n)),
            None,
        ),
        Req::Unknown => (
            message(p, f, "nope", MessageType::Call, seqid, &NoArgs),
            Some(Expect::UnknownMethod),
        ),
        Req::UnknownOneway => (
            message(p, f, "nope1", MessageType::Oneway, seqid, &NoArgs),
            None,
        ),
    }
}

fn random_req(rng: &mut Rng) -> Req {
    match rng.below(100) {
        0..=34 => Req::Add(rng.next() as i32, rng.next() as i32),
        35..=44 => Req::Echo(rng.below(200 * 1024) as usize, rng.next() as u8),
        45..=69 => Req::Echo(rng.below(2048) as usize, rng.next() as u8),
        70..=84 => Req::Fire(1 + rng.below(5) as i32),
        85..=94 => Req::Unknown,
        _ => Req::UnknownOneway,
    }
}

/// Checks one reply against what is expected.
fn check_reply(r: &mut Replies, p: ProtocolKind, seqid: i32, e: &Expect) -> Result<(), String> {
    let (h, body) = match e {
        Expect::Str(..) => {
            let (h, r) = read_reply::<Ret<String>>(r, p).map_err(|e| format!("read: {e}"))?;
            (h, r.map(|v| format!("{v:?}")))
        }
        _ => {
            let (h, r) = read_reply::<Ret<i32>>(r, p).map_err(|e| format!("read: {e}"))?;
            (h, r.map(|v| format!("{v:?}")))
        }
    };
    if h.seqid != seqid {
        return Err(format!("seqid {} where {seqid} expected ({e:?})", h.seqid));
    }
    match (e, body) {
        (Expect::UnknownMethod, Err(ae)) if ae.kind == ApplicationErrorKind::UnknownMethod => {
            Ok(())
        }
        (Expect::Int(v), Ok(s)) if s == format!("{:?}", Ret::Success(*v)) => Ok(()),
        (Expect::Str(len, salt), Ok(s))
            if s == format!("{:?}", Ret::Success(text(*len, *salt))) =>
        {
            Ok(())
        }
        (e, got) => Err(format!(
            "seqid {seqid}: expected {e:?}, got {}",
            match got {
                Ok(s) => s.chars().take(80).collect::<String>(),
                Err(ae) => format!("{ae:?}"),
            }
        )),
    }
}

/// Writes `bytes` in random pieces with random tiny sleeps.
fn write_split(s: &mut TcpStream, bytes: &[u8], rng: &mut Rng) -> std::io::Result<()> {
    let mut at = 0;
    while at < bytes.len() {
        let n = match rng.below(10) {
            0..=2 => 1 + rng.below(8) as usize,
            3..=6 => 1 + rng.below(4096) as usize,
            _ => 1 + rng.below(96 * 1024) as usize,
        }
        .min(bytes.len() - at);
        s.write_all(&bytes[at..at + n])?;
        at += n;
        match rng.below(20) {
            0 => thread::sleep(Duration::from_millis(1 + rng.below(3))),
            1..=3 => thread::yield_now(),
            _ => {}
        }
    }
    Ok(())
}

#[derive(Default, Debug)]
struct Totals {
    calls: AtomicUsize,
    fired: AtomicUsize,
    bytes: AtomicUsize,
}

/// One client: `batches` pipelined batches of `per_batch` messages, replies
/// read by a second thread. Returns an error message on any wrong reply.
fn pipelined_client(
    addr: SocketAddr,
    p: ProtocolKind,
    f: Framing,
    mut rng: Rng,
    batches: usize,
    per_batch: usize,
    totals: &Totals,
) -> Result<(), String> {
    let mut s = raw(addr);
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let mut plan = Vec::new();
    let mut expected = Vec::new();
    let mut seqid = 0i32;
    for _ in 0..batches {
        let mut batch = Vec::new();
        for _ in 0..per_batch {
            seqid += 1;
            let req = random_req(&mut rng);
            if let Req::Fire(n) = req {
                totals.fired.fetch_add(n as usize, Ordering::Relaxed);
            }
            let (bytes, e) = encode(&req, p, f, seqid);
            batch.extend(bytes);
            if let Some(e) = e {
                expected.push((seqid, e));
            }
        }
        plan.push(batch);
    }
    let ncalls = expected.len();
    let mut r = replies(&s, f);
    let reader = thread::spawn(move || -> Result<(), String> {
        for (i, (seqid, e)) in expected.iter().enumerate() {
            check_reply(&mut r, p, *seqid, e).map_err(|m| format!("reply {i}: {m}"))?;
        }
        // Nothing more.
        Ok(())
    });
    let half_close = rng.chance(50);
    for batch in &plan {
        totals.bytes.fetch_add(batch.len(), Ordering::Relaxed);
        write_split(&mut s, batch, &mut rng).map_err(|e| format!("write: {e}"))?;
    }
    if half_close {
        s.shutdown(Shutdown::Write).unwrap();
    }
    let res = reader.join().unwrap();
    totals.calls.fetch_add(ncalls, Ordering::Relaxed);
    res?;
    if half_close {
        // Every reply came; then the server closes.
        if !closed_within(&mut s, Duration::from_secs(5)) {
            return Err("not closed after a half-close".into());
        }
    }
    Ok(())
}

/// Threads the server started (the test harness starts others).
fn threads_now() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter(|t| {
            std::fs::read_to_string(t.as_ref().unwrap().path().join("comm"))
                .is_ok_and(|s| s.starts_with("thrift"))
        })
        .count()
}

fn event_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter(|t| {
            std::fs::read_to_string(t.as_ref().unwrap().path().join("comm"))
                .is_ok_and(|s| s.starts_with("thrift-event"))
        })
        .count()
}

/// Stops `server`; reports how long it took and whether event threads
/// outlived it.
fn stop_report(server: &ServerHandle, what: &str) -> Option<String> {
    let t = Instant::now();
    server.stop();
    let took = t.elapsed();
    let left = !eventually(Duration::from_secs(1), || event_threads() == 0);
    eprintln!(
        "{what}: stop took {took:?}; event threads left: {}",
        event_threads()
    );
    left.then(|| {
        format!(
            "{what}: {} event threads outlived stop ({took:?})",
            event_threads()
        )
    })
}

fn spawn_server(
    calc: Arc<Calc>,
    threads: usize,
    p: ProtocolKind,
    f: Framing,
    tweak: impl FnOnce(
        thriftc_runtime::server::ServerBuilder<Arc<Calc>>,
    ) -> thriftc_runtime::server::ServerBuilder<Arc<Calc>>,
) -> ServerHandle {
    tweak(
        builder(calc)
            .event_driven(threads)
            .protocol(p)
            .framing(f)
            .max_connections(256),
    )
    .bind("127.0.0.1:0")
    .unwrap()
    .spawn()
    .unwrap()
}

fn stop_and_check_leaks(server: ServerHandle, fds_before: usize, what: &str) {
    let t = Instant::now();
    server.stop();
    assert!(
        t.elapsed() < Duration::from_secs(6),
        "{what}: stop took {:?}",
        t.elapsed()
    );
    assert_eq!(server.connections(), 0, "{what}");
    assert!(
        eventually(Duration::from_secs(2), || event_threads() == 0),
        "{what}: {} event threads left",
        event_threads()
    );
    // The epoll and eventfd descriptors live as long as a handle.
    drop(server);
    assert!(
        eventually(Duration::from_secs(2), || open_fds() <= fds_before),
        "{what}: fds {} > {fds_before}",
        open_fds()
    );
}

#[test]
fn many_clients_pipeline_mixed_messages_split_anywhere() {
    let _s = serial();
    let seed = seed();
    let clients: usize = std::env::var("STRESS_CLIENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    for (ci, (p, f)) in COMBOS.into_iter().enumerate() {
        for threads in [1, 3] {
            let what = format!("{p:?}/{f:?}/Events({threads})");
            let fds_before = open_fds();
            let calc = Arc::new(Calc::default());
            let server = spawn_server(calc.clone(), threads, p, f, |b| b);
            let addr = server.local_addr();
            let totals = Arc::new(Totals::default());
            let started = Instant::now();
            let handles: Vec<_> = (0..clients)
                .map(|i| {
                    let rng = Rng(seed ^ ((ci as u64) << 40) ^ ((threads as u64) << 32) ^ i as u64);
                    let totals = totals.clone();
                    thread::spawn(move || pipelined_client(addr, p, f, rng, 3, 6, &totals))
                })
                .collect();
            let errors: Vec<String> = handles
                .into_iter()
                .enumerate()
                .filter_map(|(i, h)| h.join().unwrap().err().map(|e| format!("client {i}: {e}")))
                .collect();
            assert!(errors.is_empty(), "{what}: {errors:#?}");
            let want = totals.fired.load(Ordering::Relaxed);
            assert!(
                eventually(Duration::from_secs(3), || calc.fired.load(Ordering::SeqCst)
                    == want),
                "{what}: fired {} of {want}",
                calc.fired.load(Ordering::SeqCst)
            );
            assert!(
                eventually(Duration::from_secs(3), || server.connections() == 0),
                "{what}: {} connections left",
                server.connections()
            );
            eprintln!(
                "{what}: {} calls, {} KiB sent, {:?}",
                totals.calls.load(Ordering::Relaxed),
                totals.bytes.load(Ordering::Relaxed) / 1024,
                started.elapsed()
            );
            stop_and_check_leaks(server, fds_before, &what);
        }
    }
}

/// Clients that vanish mid-message, mid-reply, or right after sending,
/// while others keep going.
#[test]
fn random_disconnects_leak_nothing() {
    let _s = serial();
    let seed = seed() ^ 0xd15c;
    for (ci, (p, f)) in COMBOS.into_iter().enumerate() {
        let threads = if ci % 2 == 0 { 1 } else { 3 };
        let what = format!("{p:?}/{f:?}/Events({threads})");
        let fds_before = open_fds();
        let tasks_before = threads_now();
        let calc = Arc::new(Calc::default());
        let server = spawn_server(calc.clone(), threads, p, f, |b| b);
        let addr = server.local_addr();
        let totals = Arc::new(Totals::default());
        let mut handles = Vec::new();
        for i in 0..16u64 {
            let rng = Rng(seed ^ ((ci as u64) << 40) ^ i);
            let totals = totals.clone();
            handles.push(thread::spawn(move || {
                pipelined_client(addr, p, f, rng, 2, 5, &totals)
            }));
        }
        let mut quitters = Vec::new();
        for i in 0..24u64 {
            let mut rng = Rng(seed ^ ((ci as u64) << 40) ^ (1000 + i));
            quitters.push(thread::spawn(move || {
                let mut s = raw(addr);
                let big = encode(&Req::Echo(150_000 + rng.below(50_000) as usize, 3), p, f, 1).0;
                let small = encode(&Req::Add(1, 2), p, f, 2).0;
                match i % 6 {
                    // Mid-message (large and small), then gone.
                    0 => {
                        let cut = 1 + rng.below(big.len() as u64 - 1) as usize;
                        let _ = s.write_all(&big[..cut]);
                    }
                    1 => {
                        let cut = 1 + rng.below(small.len() as u64 - 1) as usize;
                        let _ = s.write_all(&small[..cut]);
                    }
                    // A large request, then gone before its reply.
                    2 => {
                        let _ = s.write_all(&big);
                    }
                    // Reads part of a large reply, then gone.
                    3 => {
                        let _ = s.write_all(&big);
                        let mut b = vec![0u8; 1 + rng.below(60_000) as usize];
                        let _ = s.read_exact(&mut b);
                    }
                    // Many pipelined large requests, reads nothing, resets.
                    4 => {
                        for _ in 0..4 {
                            if s.write_all(&big).is_err() {
                                break;
                            }
                        }
                        let _ = rustix::net::sockopt::set_socket_linger(&s, Some(Duration::ZERO));
                    }
                    // A small request and a partial one, then gone.
                    _ => {
                        let mut b = small.clone();
                        b.extend_from_slice(&small[..small.len() / 2]);
                        let _ = s.write_all(&b);
                    }
                }
                thread::sleep(Duration::from_millis(rng.below(30)));
                drop(s);
            }));
        }
        for q in quitters {
            q.join().unwrap();
        }
        let errors: Vec<String> = handles
            .into_iter()
            .filter_map(|h| h.join().unwrap().err())
            .collect();
        assert!(errors.is_empty(), "{what}: {errors:#?}");
        assert!(
            eventually(Duration::from_secs(5), || server.connections() == 0),
            "{what}: {} connections left after every client left",
            server.connections()
        );
        // Still serves.
        let mut c = client(addr, p, f);
        assert_eq!(add(&mut c, 2, 2).unwrap(), 4, "{what}");
        drop(c);
        stop_and_check_leaks(server, fds_before, &what);
        assert!(
            eventually(Duration::from_secs(2), || threads_now() <= tasks_before),
            "{what}: threads {} > {tasks_before}",
            threads_now()
        );
    }
}

/// stop() under pipelined load: replies received are a correct prefix,
/// stop returns within the drain timeout, nothing hangs. Sequential
/// clients whose request was written before stop began and that were not
/// at the server at that moment must get a reply or a clean close.
#[test]
fn stop_under_load() {
    let _s = serial();
    let seed = seed() ^ 0x5707;
    for (ci, (p, f)) in COMBOS.into_iter().enumerate() {
        for threads in [1, 3] {
            let what = format!("{p:?}/{f:?}/Events({threads})");
            let fds_before = open_fds();
            let calc = Arc::new(Calc::default());
            let server = spawn_server(calc.clone(), threads, p, f, |b| {
                b.drain_timeout(Duration::from_secs(3))
            });
            let addr = server.local_addr();
            let go = Arc::new(AtomicBool::new(true));
            let wrong = Arc::new(Mutex::new(Vec::<String>::new()));
            let answered = Arc::new(AtomicUsize::new(0));
            let mut hs = Vec::new();
            for i in 0..24u64 {
                let mut rng = Rng(seed ^ ((ci as u64) << 40) ^ ((threads as u64) << 32) ^ i);
                let (go, wrong, answered) = (go.clone(), wrong.clone(), answered.clone());
                hs.push(thread::spawn(move || {
                    let Ok(mut s) = TcpStream::connect(addr) else {
                        return;
                    };
                    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                    let mut r = replies(&s, f);
                    let mut seqid = 0;
                    while go.load(Ordering::SeqCst) {
                        // A batch of up to 4 pipelined calls.
                        let n = 1 + rng.below(4) as usize;
                        let mut bytes = Vec::new();
                        let mut exp = Vec::new();
                        for _ in 0..n {
                            seqid += 1;
                            let req = match rng.below(3) {
                                0 => Req::Add(seqid, 1),
                                1 => {
                                    let max = if rng.chance(10) { 150_000 } else { 500 };
                                    Req::Echo(rng.below(max) as usize, 1)
                                }
                                _ => Req::Unknown,
                            };
                            let (b, e) = encode(&req, p, f, seqid);
                            bytes.extend(b);
                            exp.push((seqid, e.unwrap()));
                        }
                        if write_split(&mut s, &bytes, &mut rng).is_err() {
                            return;
                        }
                        for (sq, e) in &exp {
                            match check_reply(&mut r, p, *sq, e) {
                                Ok(()) => {
                                    answered.fetch_add(1, Ordering::Relaxed);
                                }
                                Err(m)
                                    if m.starts_with("read:")
                                        && !m.contains("timed out")
                                        && !m.contains("Resource temporarily") =>
                                {
                                    return;
                                }
                                Err(m) => {
                                    wrong.lock().unwrap().push(format!("client {i}: {m}"));
                                    return;
                                }
                            }
                        }
                    }
                }));
            }
            thread::sleep(Duration::from_millis(
                150 + Rng(seed ^ ci as u64).below(300),
            ));
            let t = Instant::now();
            server.stop();
            let took = t.elapsed();
            go.store(false, Ordering::SeqCst);
            for h in hs {
                h.join().unwrap();
            }
            let wrong = wrong.lock().unwrap().clone();
            assert!(wrong.is_empty(), "{what}: {wrong:#?}");
            assert!(
                took < Duration::from_millis(3500),
                "{what}: stop took {took:?}"
            );
            eprintln!(
                "{what}: {} answered before stop; stop took {took:?}",
                answered.load(Ordering::Relaxed)
            );
            assert_eq!(server.connections(), 0, "{what}");
            drop(server);
            assert!(
                eventually(Duration::from_secs(2), || event_threads() == 0
                    && open_fds() <= fds_before),
                "{what}: event threads {}, fds {} vs {fds_before}",
                event_threads(),
                open_fds()
            );
        }
    }
}

/// A request sent whole while the only thread is busy, then stop: the
/// request must be answered (documented).
#[test]
fn stop_answers_every_waiting_request() {
    let _s = serial();
    for (p, f) in COMBOS {
        let calc = Arc::new(Calc::default());
        let server = spawn_server(calc, 1, p, f, |b| b);
        let addr = server.local_addr();
        let busy = thread::spawn(move || {
            let mut c = client(addr, p, f);
            c_sleep(&mut c, 400)
        });
        thread::sleep(Duration::from_millis(100));
        // 8 waiting clients, each a whole request (one large).
        let mut waiting: Vec<_> = (0..8)
            .map(|i| {
                let mut s = raw(addr);
                let req = if i == 0 {
                    Req::Echo(100_000, 9)
                } else {
                    Req::Add(i, i)
                };
                let (b, e) = encode(&req, p, f, 77);
                s.write_all(&b).unwrap();
                (s, e.unwrap())
            })
            .collect();
        thread::sleep(Duration::from_millis(100));
        let h = server.clone();
        let stopper = thread::spawn(move || h.stop());
        for (i, (s, e)) in waiting.iter_mut().enumerate() {
            let mut r = replies(s, f);
            let got = check_reply(&mut r, p, 77, e);
            assert!(got.is_ok(), "{p:?}/{f:?}: waiting client {i}: {got:?}");
        }
        assert!(busy.join().unwrap());
        stopper.join().unwrap();
    }
}

fn c_sleep(c: &mut thriftc_runtime::Client, ms: i32) -> bool {
    use thriftc_runtime::client::Channel;
    matches!(
        c.call::<_, Ret<i32>>("sleep", &Args1(ms)),
        Ok(Ret::Success(_))
    )
}

/// Short idle/message timeouts under load: healthy clients are never cut,
/// idle and stalled ones are, within bounds.
#[test]
fn short_timeouts_under_load_cut_only_the_stalled() {
    let _s = serial();
    let seed = seed() ^ 0x71e;
    for (ci, (p, f)) in COMBOS.into_iter().enumerate() {
        let what = format!("{p:?}/{f:?}");
        let calc = Arc::new(Calc::default());
        let server = spawn_server(calc, 2, p, f, |b| {
            b.idle_timeout(Duration::from_millis(120))
                .message_timeout(Duration::from_millis(200))
        });
        let addr = server.local_addr();
        let stop_at = Instant::now() + Duration::from_millis(1500);
        let healthy: Vec<_> = (0..16u64)
            .map(|i| {
                let mut rng = Rng(seed ^ ((ci as u64) << 40) ^ i);
                thread::spawn(move || -> Result<usize, String> {
                    let mut s = raw(addr);
                    let mut r = replies(&s, f);
                    let mut n = 0;
                    let mut seqid = 0;
                    while Instant::now() < stop_at {
                        seqid += 1;
                        let req = if rng.chance(15) {
                            Req::Echo(rng.below(60_000) as usize, 2)
                        } else {
                            Req::Add(seqid, 2)
                        };
                        let (b, e) = encode(&req, p, f, seqid);
                        // Split in two with a pause well inside the timeout.
                        let cut = rng.below(b.len() as u64) as usize;
                        s.write_all(&b[..cut]).map_err(|e| format!("write: {e}"))?;
                        thread::sleep(Duration::from_millis(rng.below(40)));
                        s.write_all(&b[cut..]).map_err(|e| format!("write: {e}"))?;
                        check_reply(&mut r, p, seqid, &e.unwrap())
                            .map_err(|m| format!("call {n} ({req:?}): {m}"))?;
                        n += 1;
                        thread::sleep(Duration::from_millis(rng.below(50)));
                    }
                    Ok(n)
                })
            })
            .collect();
        // Idle and stalled peers.
        let t0 = Instant::now();
        let mut idle: Vec<_> = (0..8).map(|_| raw(addr)).collect();
        let mut stalled: Vec<_> = (0..8)
            .map(|i| {
                let mut s = raw(addr);
                let b = encode(&Req::Echo(if i % 2 == 0 { 10 } else { 90_000 }, 1), p, f, 1).0;
                s.write_all(&b[..b.len() / 2]).unwrap();
                s
            })
            .collect();
        for s in idle.iter_mut().chain(stalled.iter_mut()) {
            assert!(
                closed_within(s, Duration::from_secs(2)),
                "{what}: an idle/stalled peer was not closed"
            );
        }
        let closed_after = t0.elapsed();
        let mut calls = 0;
        for (i, h) in healthy.into_iter().enumerate() {
            match h.join().unwrap() {
                Ok(n) => calls += n,
                Err(e) => panic!("{what}: healthy client {i} failed: {e}"),
            }
        }
        eprintln!("{what}: {calls} healthy calls; idle/stalled closed within {closed_after:?}");
        server.stop();
    }
}

/// Messages around 64 KiB and 128 KiB, framed with and without a budget
/// and unframed, sent whole, in two parts, or in 1 KiB pieces.
#[test]
fn boundary_sizes_are_served() {
    let _s = serial();
    for (p, f) in COMBOS {
        for budget in [true, false] {
            if f == Framing::Buffered && !budget {
                continue;
            }
            let what = format!("{p:?}/{f:?}/budget={budget}");
            let calc = Arc::new(Calc::default());
            let server = spawn_server(calc, 1, p, f, |b| {
                b.in_flight_budget(budget.then(|| ByteBudget::new(ByteBudget::DEFAULT)))
            });
            let addr = server.local_addr();
            // Overhead of an echo message with an empty string.
            let overhead = encode(&Req::Echo(0, 0), p, f, 1).0.len();
            let mut s = raw(addr);
            let mut r = replies(&s, f);
            let mut seqid = 0;
            for target in [64 * 1024, 128 * 1024] {
                for delta in [-5i64, -4, -1, 0, 1, 4, 5] {
                    // Wire length (with frame header) near the boundary, and
                    // frame length near it.
                    let len = (target as i64 + delta - overhead as i64).max(0) as usize;
                    for how in 0..3 {
                        seqid += 1;
                        let (b, e) = encode(&Req::Echo(len, seqid as u8), p, f, seqid);
                        match how {
                            0 => s.write_all(&b).unwrap(),
                            1 => {
                                let cut = b.len() / 2;
                                s.write_all(&b[..cut]).unwrap();
                                thread::sleep(Duration::from_millis(20));
                                s.write_all(&b[cut..]).unwrap();
                            }
                            _ => {
                                for c in b.chunks(1024) {
                                    s.write_all(c).unwrap();
                                }
                            }
                        }
                        let got = check_reply(&mut r, p, seqid, &e.unwrap());
                        assert!(
                            got.is_ok(),
                            "{what}: wire {} bytes, how {how}: {got:?}",
                            b.len()
                        );
                    }
                }
            }
            // Pipelined: all of them at once.
            let mut all = Vec::new();
            let mut exp = Vec::new();
            for target in [64 * 1024, 128 * 1024] {
                for delta in [-4i64, 0, 4] {
                    seqid += 1;
                    let len = (target as i64 + delta - overhead as i64) as usize;
                    let (b, e) = encode(&Req::Echo(len, 5), p, f, seqid);
                    all.extend(b);
                    exp.push((seqid, e.unwrap()));
                }
            }
            let mut w = s.try_clone().unwrap();
            let writer = thread::spawn(move || w.write_all(&all).unwrap());
            for (sq, e) in &exp {
                let got = check_reply(&mut r, p, *sq, e);
                assert!(got.is_ok(), "{what}: pipelined {sq}: {got:?}");
            }
            writer.join().unwrap();
            assert_eq!(stop_report(&server, &what), None);
        }
    }
}

/// More clients than `max_connections`: the rest wait in the backlog and
/// are served as others leave.
#[test]
fn more_clients_than_connections() {
    let _s = serial();
    let seed = seed() ^ 0xbac;
    for (ci, (p, f)) in COMBOS.into_iter().enumerate() {
        let what = format!("{p:?}/{f:?}");
        let calc = Arc::new(Calc::default());
        let server = spawn_server(calc, 2, p, f, |b| b.max_connections(4));
        let addr = server.local_addr();
        let totals = Arc::new(Totals::default());
        let hs: Vec<_> = (0..16u64)
            .map(|i| {
                let rng = Rng(seed ^ ((ci as u64) << 40) ^ i);
                let totals = totals.clone();
                thread::spawn(move || pipelined_client(addr, p, f, rng, 2, 4, &totals))
            })
            .collect();
        let errors: Vec<String> = hs
            .into_iter()
            .filter_map(|h| h.join().unwrap().err())
            .collect();
        assert!(errors.is_empty(), "{what}: {errors:#?}");
        assert_eq!(stop_report(&server, &what), None);
    }
}

/// A small shared budget, large frames from many clients, some of which
/// vanish mid-frame: every call is answered, the budget is never exceeded
/// and comes back to zero.
#[test]
fn a_small_budget_under_large_frames_and_disconnects() {
    let _s = serial();
    let seed = seed() ^ 0xb0d;
    for p in [ProtocolKind::Binary, ProtocolKind::Compact] {
        let f = Framing::Framed;
        let budget = ByteBudget::new(400 * 1024);
        let calc = Arc::new(Calc::default());
        let b2 = budget.clone();
        let server = spawn_server(calc, 3, p, f, move |b| b.in_flight_budget(Some(b2)));
        let addr = server.local_addr();
        let hs: Vec<_> = (0..12u64)
            .map(|i| {
                let mut rng = Rng(seed ^ i ^ ((p as u64) << 20));
                thread::spawn(move || -> Result<usize, String> {
                    let mut s = raw(addr);
                    let mut r = replies(&s, f);
                    let mut ok = 0;
                    for seqid in 1..=6 {
                        let len = 70_000 + rng.below(130_000) as usize;
                        let (b, e) = encode(&Req::Echo(len, seqid as u8), p, f, seqid);
                        if i % 4 == 3 && seqid == 4 {
                            // Vanishes mid-frame.
                            let _ = s.write_all(&b[..b.len() / 2]);
                            return Ok(ok);
                        }
                        write_split(&mut s, &b, &mut rng).map_err(|e| format!("write: {e}"))?;
                        check_reply(&mut r, p, seqid, &e.unwrap())?;
                        ok += 1;
                    }
                    Ok(ok)
                })
            })
            .collect();
        let mut calls = 0;
        for h in hs {
            calls += h.join().unwrap().unwrap_or_else(|e| panic!("{p:?}: {e}"));
        }
        assert!(
            eventually(Duration::from_secs(3), || server.connections() == 0
                && budget.in_use() == 0),
            "{p:?}: connections {}, budget in use {}",
            server.connections(),
            budget.in_use()
        );
        eprintln!(
            "{p:?}: {calls} calls; budget peak {} of {}",
            budget.peak(),
            budget.limit()
        );
        assert!(budget.peak() <= budget.limit());
        assert_eq!(stop_report(&server, "budget"), None);
    }
}
