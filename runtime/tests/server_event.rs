//! What is particular to the event-driven mode, where a request can wait in
//! epoll for a free thread: such a request is neither idle nor lost (not to
//! the idle sweep, not to a stop), threads sleep while nothing happens, and
//! they end with the server. Behaviour shared with the other modes is tested
//! per mode in the other `server_*` tests.

mod server_support;

use std::io::Write;
use std::thread;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::client::Channel;
use thriftc_runtime::protocol::MessageType;
use thriftc_runtime::{Framing, ProtocolKind};

const P: ProtocolKind = ProtocolKind::Binary;
const F: Framing = Framing::Framed;

fn sleep_call(addr: std::net::SocketAddr, ms: i32) -> thread::JoinHandle<bool> {
    thread::spawn(move || {
        let mut c = client(addr, P, F);
        matches!(
            c.call::<_, Ret<i32>>("sleep", &Args1(ms)),
            Ok(Ret::Success(_))
        )
    })
}

#[test]
fn a_request_waiting_for_a_thread_is_not_idle() {
    let _serial = serial();
    for threads in [Threads::PerConnection, Threads::Events(1)] {
        let server = calc_builder(threads)
            .framing(F)
            .idle_timeout(Duration::from_millis(300))
            .start();
        let addr = server.local_addr();
        // B connects and waits 200 ms; A then holds the only event thread
        // for 600 ms; B sends its request 250 ms after connecting, within
        // its idle timeout, and it waits for the thread past 300 ms.
        let mut b = raw(addr);
        let mut b_replies = replies(&b, F);
        thread::sleep(Duration::from_millis(200));
        let a = sleep_call(addr, 600);
        thread::sleep(Duration::from_millis(50));
        b.write_all(&call_msg(P, F, "add", 7, &AddArgs { a: 2, b: 3 }))
            .unwrap();
        let reply = read_reply::<Ret<i32>>(&mut b_replies, P);
        assert!(a.join().unwrap(), "{threads:?}: A not answered");
        assert!(
            matches!(reply, Ok((_, Ok(Ret::Success(5))))),
            "{threads:?}: B's request was dropped: {reply:?}"
        );
        server.stop();
    }
}

#[test]
fn stop_answers_a_request_that_waits_for_a_thread() {
    let _serial = serial();
    for threads in [Threads::PerConnection, Threads::Events(1)] {
        let server = calc_builder(threads).framing(F).start();
        let addr = server.local_addr();
        let mut b = raw(addr);
        let mut b_replies = replies(&b, F);
        // An idle connection: stop closes it at once.
        let mut idle = raw(addr);
        thread::sleep(Duration::from_millis(50));
        let a = sleep_call(addr, 500);
        thread::sleep(Duration::from_millis(100));
        // B's request arrives while A holds the only event thread, then
        // the server is stopped.
        b.write_all(&call_msg(P, F, "sleep", 7, &Args1(100i32)))
            .unwrap();
        thread::sleep(Duration::from_millis(100));
        let h = server.clone();
        let stopper = thread::spawn(move || h.stop());
        assert!(
            closed_within(&mut idle, Duration::from_millis(300)),
            "{threads:?}: the idle connection stayed open"
        );
        let reply = read_reply::<Ret<i32>>(&mut b_replies, P);
        assert!(a.join().unwrap(), "{threads:?}: A not answered");
        stopper.join().unwrap();
        assert!(
            matches!(reply, Ok((_, Ok(Ret::Success(_))))),
            "{threads:?}: B's request was dropped: {reply:?}"
        );
        assert_eq!(server.connections(), 0);
    }
}

/// Voluntary context switches of this process's event threads.
fn event_thread_wakeups() -> u64 {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let Ok(status) = std::fs::read_to_string(task.unwrap().path().join("status")) else {
            continue;
        };
        if !status.contains("thrift-event") {
            continue;
        }
        for line in status.lines() {
            if let Some(v) = line.strip_prefix("voluntary_ctxt_switches:") {
                total += v.trim().parse::<u64>().unwrap();
            }
        }
    }
    total
}

fn event_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter(|task| {
            std::fs::read_to_string(task.as_ref().unwrap().path().join("comm"))
                .is_ok_and(|s| s.starts_with("thrift-event"))
        })
        .count()
}

#[test]
fn idle_threads_sleep_and_end_with_the_server() {
    let _serial = serial();
    // No idle timeout (zero means none): nothing to sweep, so the threads
    // wait for events only.
    let server = calc_builder(Threads::Events(4))
        .idle_timeout(Duration::ZERO)
        .start();
    let addr = server.local_addr();
    let mut clients: Vec<_> = (0..8).map(|_| client(addr, P, Framing::Buffered)).collect();
    for c in &mut clients {
        assert_eq!(add(c, 1, 1).unwrap(), 2);
    }
    assert!(
        eventually(Duration::from_millis(500), || event_threads() == 4),
        "{} event threads",
        event_threads()
    );
    thread::sleep(Duration::from_millis(100));
    let before = event_thread_wakeups();
    thread::sleep(Duration::from_secs(1));
    let woke = event_thread_wakeups() - before;
    assert!(woke < 20, "idle event threads woke {woke} times in 1 s");
    server.stop();
    // `stop` returns once the threads are done; the system takes a moment
    // to remove them.
    assert!(
        eventually(Duration::from_millis(500), || event_threads() == 0),
        "{} event threads left after stop",
        event_threads()
    );
}

#[test]
fn senders_of_partial_messages_hold_no_thread() {
    let _serial = serial();
    for (protocol, framing) in COMBOS {
        // Two threads, four peers that each sent the first byte of a
        // request and stalled, a message timeout far beyond the test.
        let server = calc_builder(Threads::Events(2))
            .wire(protocol, framing)
            .message_timeout(Duration::from_secs(30))
            .start();
        let addr = server.local_addr();
        let request = call_msg(protocol, framing, "add", 5, &AddArgs { a: 20, b: 22 });
        let mut slow: Vec<_> = (0..4).map(|_| raw(addr)).collect();
        for s in &mut slow {
            s.write_all(&request[..1]).unwrap();
        }
        thread::sleep(Duration::from_millis(100));
        let mut c = client(addr, protocol, framing);
        assert_eq!(add(&mut c, 1, 1).unwrap(), 2, "{protocol:?} {framing:?}");
        // The slow peers send the rest a byte at a time and are answered.
        for i in 1..request.len() {
            for s in &mut slow {
                s.write_all(&request[i..=i]).unwrap();
            }
            thread::sleep(Duration::from_millis(2));
        }
        for s in &slow {
            let (h, res) = read_reply::<Ret<i32>>(&mut replies(s, framing), protocol).unwrap();
            assert_eq!((h.seqid, res.unwrap()), (5, Ret::Success(42)));
        }
        server.stop();
    }
}

#[test]
fn a_message_larger_than_the_read_buffer_is_served() {
    let _serial = serial();
    for (protocol, framing) in COMBOS {
        let server = calc_server(Threads::Events(1), protocol, framing);
        let mut c = client(server.local_addr(), protocol, framing);
        let big: Vec<u8> = (0..300_000).map(|i| (i % 251) as u8).collect();
        let back: Ret<Vec<u8>> = c.call("echo_bin", &Args1(big.clone())).unwrap();
        assert_eq!(back, Ret::Success(big), "{protocol:?} {framing:?}");
        assert_eq!(add(&mut c, 2, 2).unwrap(), 4);
        server.stop();
    }
}

#[test]
fn pipelined_messages_that_each_arrive_in_time_are_served() {
    let _serial = serial();
    for threads in [Threads::PerConnection, Threads::Events(1)] {
        for (protocol, framing) in [COMBOS[0], COMBOS[3]] {
            let server = calc_builder(threads)
                .wire(protocol, framing)
                .message_timeout(Duration::from_millis(400))
                .start();
            let what = format!("{threads:?} {protocol:?} {framing:?}");
            let msgs: Vec<Vec<u8>> = (1..=5)
                .map(|i| call_msg(protocol, framing, "add", i, &AddArgs { a: i, b: 1 }))
                .collect();
            let all = msgs.concat();
            // Each write ends half-way through a message; every message is
            // complete 150 ms after its first bytes, within the 400 ms
            // message timeout, but the connection is in the middle of some
            // message for 900 ms.
            let mut cuts = Vec::new();
            let mut at = 0;
            for m in &msgs {
                at += m.len();
                cuts.push(at - m.len() / 2);
            }
            cuts.push(all.len());
            let mut s = raw(server.local_addr());
            let mut r = replies(&s, framing);
            let mut from = 0;
            for cut in cuts {
                s.write_all(&all[from..cut])
                    .unwrap_or_else(|e| panic!("{what}: write up to {cut}: {e}"));
                from = cut;
                thread::sleep(Duration::from_millis(150));
            }
            for i in 1..=5 {
                let got = read_reply::<Ret<i32>>(&mut r, protocol);
                assert!(
                    matches!(&got, Ok((h, Ok(Ret::Success(v)))) if h.seqid == i && *v == i + 1),
                    "{what}: reply {i}: {got:?}"
                );
            }
            server.stop();
        }
    }
}

#[test]
fn part_of_a_message_without_a_message_timeout_ends_at_the_idle_timeout() {
    let _serial = serial();
    for threads in [Threads::PerConnection, Threads::Events(1)] {
        let server = calc_builder(threads)
            .framing(F)
            .idle_timeout(Duration::from_millis(300))
            .message_timeout(Duration::ZERO)
            .start();
        let mut s = raw(server.local_addr());
        s.write_all(&[0, 0]).unwrap();
        assert!(
            closed_within(&mut s, Duration::from_secs(2)),
            "{threads:?}: a peer that sent 2 bytes and stalled is still open after 2 s"
        );
        server.stop();
    }
}

#[test]
fn large_frames_are_charged_to_the_budget_while_they_arrive() {
    let _serial = serial();
    for threads in [Threads::PerConnection, Threads::Events(1)] {
        let budget = thriftc_runtime::transport::ByteBudget::new(1 << 20);
        let server = calc_builder(threads)
            .framing(F)
            .in_flight_budget(Some(budget.clone()))
            .start();
        let m = call_msg(P, F, "echo_bin", 1, &Args1(vec![7u8; 100_000]));
        let mut conns: Vec<_> = (0..3).map(|_| raw(server.local_addr())).collect();
        for s in &mut conns {
            s.write_all(&m[..m.len() - 1]).unwrap();
        }
        let charged = eventually(Duration::from_secs(2), || budget.in_use() >= 100_000);
        let used = budget.in_use();
        server.stop();
        assert!(
            charged,
            "{threads:?}: 100 KB frames arriving, {used} bytes charged"
        );
    }
}

#[test]
fn a_large_message_sent_in_small_pieces_is_served() {
    let _serial = serial();
    for framing in [Framing::Buffered, Framing::Framed] {
        let server = calc_builder(Threads::Events(1)).framing(framing).start();
        let big: Vec<u8> = (0..100_000).map(|i| (i % 251) as u8).collect();
        let m = call_msg(P, framing, "echo_bin", 3, &Args1(big.clone()));
        let mut s = raw(server.local_addr());
        let mut r = replies(&s, framing);
        for piece in m.chunks(500) {
            s.write_all(piece).unwrap();
            thread::sleep(Duration::from_micros(200));
        }
        let (h, res) = read_reply::<Ret<Vec<u8>>>(&mut r, P).unwrap();
        assert_eq!(
            (h.seqid, res.unwrap()),
            (3, Ret::Success(big)),
            "{framing:?}"
        );
        server.stop();
    }
}

#[test]
fn peers_that_stall_inside_large_messages_hold_no_thread() {
    let _serial = serial();
    for (protocol, framing) in COMBOS {
        // Two threads, the default in-flight budget; four peers each send
        // 150 KB of a 300 KB request (past the 128 KiB read buffer, and a
        // frame the budget charges) and stall.
        let server = calc_builder(Threads::Events(2))
            .wire(protocol, framing)
            .message_timeout(Duration::from_secs(30))
            .start();
        let addr = server.local_addr();
        let what = format!("{protocol:?} {framing:?}");
        let big: Vec<u8> = (0..300_000).map(|i| (i % 251) as u8).collect();
        let request = call_msg(protocol, framing, "echo_bin", 9, &Args1(big.clone()));
        let mut slow: Vec<_> = (0..4).map(|_| raw(addr)).collect();
        for s in &mut slow {
            s.write_all(&request[..150_000]).unwrap();
        }
        thread::sleep(Duration::from_millis(100));
        let started = std::time::Instant::now();
        let mut c = client(addr, protocol, framing);
        assert_eq!(add(&mut c, 1, 1).unwrap(), 2, "{what}");
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(500),
            "{what}: a fresh client waited {took:?} behind stalled peers"
        );
        // The rest arrives in pieces; every stalled peer is answered.
        for piece in request[150_000..].chunks(30_000) {
            for s in &mut slow {
                s.write_all(piece).unwrap();
            }
            thread::sleep(Duration::from_millis(5));
        }
        for s in &slow {
            let (h, res) = read_reply::<Ret<Vec<u8>>>(&mut replies(s, framing), protocol).unwrap();
            assert_eq!(h.seqid, 9, "{what}");
            assert!(res.unwrap() == Ret::Success(big.clone()), "{what}");
        }
        server.stop();
    }
}

#[test]
fn a_frame_that_waits_for_the_budget_holds_no_thread() {
    let _serial = serial();
    let budget = thriftc_runtime::transport::ByteBudget::new(1 << 20);
    let server = calc_builder(Threads::Events(1))
        .framing(F)
        .in_flight_budget(Some(budget.clone()))
        .message_timeout(Duration::from_secs(30))
        .start();
    let addr = server.local_addr();
    // A: a frame of about 1 MiB, half sent: it holds the whole budget.
    let a_data = vec![1u8; (1 << 20) - 100];
    let a_msg = call_msg(P, F, "echo_bin", 1, &Args1(a_data.clone()));
    let mut a = raw(addr);
    a.write_all(&a_msg[..a_msg.len() / 2]).unwrap();
    assert!(eventually(Duration::from_secs(2), || budget.in_use()
        == a_msg.len() - 4));
    // B: a whole 200 KB frame, which must wait for the budget.
    let b_data = vec![2u8; 200_000];
    let mut b = raw(addr);
    b.write_all(&call_msg(P, F, "echo_bin", 2, &Args1(b_data.clone())))
        .unwrap();
    thread::sleep(Duration::from_millis(100));
    // The only thread is free for C.
    let started = std::time::Instant::now();
    let mut c = client(addr, P, F);
    assert_eq!(add(&mut c, 3, 4).unwrap(), 7);
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(500),
        "a fresh client waited {took:?} behind a frame waiting for the budget"
    );
    assert_eq!(budget.in_use(), a_msg.len() - 4, "B was not charged yet");
    // A completes; B is then admitted and answered too.
    a.write_all(&a_msg[a_msg.len() / 2..]).unwrap();
    let (h, res) = read_reply::<Ret<Vec<u8>>>(&mut replies(&a, F), P).unwrap();
    assert_eq!(h.seqid, 1);
    assert!(res.unwrap() == Ret::Success(a_data));
    let (h, res) = read_reply::<Ret<Vec<u8>>>(&mut replies(&b, F), P).unwrap();
    assert_eq!(h.seqid, 2);
    assert!(res.unwrap() == Ret::Success(b_data));
    assert!(eventually(Duration::from_secs(2), || budget.in_use() == 0));
    assert!(budget.peak() <= 1 << 20, "peak {}", budget.peak());
    server.stop();
}

#[test]
fn a_frame_waits_for_the_budget_at_most_the_message_timeout() {
    let _serial = serial();
    let budget = thriftc_runtime::transport::ByteBudget::new(1 << 20);
    let server = calc_builder(Threads::Events(1))
        .framing(F)
        .in_flight_budget(Some(budget.clone()))
        .message_timeout(Duration::from_millis(600))
        .start();
    let addr = server.local_addr();
    let request = call_msg(P, F, "echo_bin", 2, &Args1(vec![2u8; 200_000]));
    // The whole budget is taken (by the test): B's frame waits, and is
    // closed at its deadline.
    assert!(budget.try_acquire(1 << 20));
    let started = std::time::Instant::now();
    let mut b = raw(addr);
    b.write_all(&request).unwrap();
    assert!(
        closed_within(&mut b, Duration::from_secs(3)),
        "B still open"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(550) && took < Duration::from_millis(1500),
        "B closed after {took:?}"
    );
    // C's frame waits too, and is admitted once the budget has room.
    let mut c = raw(addr);
    c.write_all(&request).unwrap();
    thread::sleep(Duration::from_millis(200));
    assert_eq!(budget.in_use(), 1 << 20);
    budget.release(1 << 20);
    let (h, res) = read_reply::<Ret<Vec<u8>>>(&mut replies(&c, F), P).unwrap();
    assert_eq!(h.seqid, 2);
    assert!(res.unwrap() == Ret::Success(vec![2u8; 200_000]));
    assert!(eventually(Duration::from_secs(2), || budget.in_use() == 0));
    server.stop();
}

#[test]
fn a_large_message_that_trickles_in_keeps_its_first_deadline() {
    let _serial = serial();
    // 1 s to receive a message. 100 KB of a 200 KB unframed message arrive
    // at once (parked with them), 40 KB more 700 ms later, then a byte
    // every 100 ms. The deadline runs from the first bytes.
    let server = calc_builder(Threads::Events(1))
        .message_timeout(Duration::from_secs(1))
        .start();
    let m = call_msg(
        P,
        Framing::Buffered,
        "echo_bin",
        1,
        &Args1(vec![7u8; 200_000]),
    );
    let mut s = raw(server.local_addr());
    let started = std::time::Instant::now();
    s.write_all(&m[..100_000]).unwrap();
    let mut writer = s.try_clone().unwrap();
    let rest = m[100_000..].to_vec();
    let trickle = thread::spawn(move || {
        thread::sleep(Duration::from_millis(700));
        if writer.write_all(&rest[..40_000]).is_err() {
            return;
        }
        for b in &rest[40_000..] {
            thread::sleep(Duration::from_millis(100));
            if writer.write_all(&[*b]).is_err() {
                return;
            }
        }
    });
    assert!(closed_within(&mut s, Duration::from_secs(5)));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(1450),
        "closed after {took:?}"
    );
    trickle.join().unwrap();
    server.stop();
}

#[test]
fn a_small_message_sent_byte_by_byte_holds_no_thread() {
    let _serial = serial();
    for (protocol, framing) in COMBOS {
        let server = calc_builder(Threads::Events(1))
            .wire(protocol, framing)
            .message_timeout(Duration::from_secs(3))
            .start();
        let addr = server.local_addr();
        // 500 bytes of a 2 KB request, one at a time: each is a wake-up and
        // a completeness check of everything received so far.
        let request = call_msg(protocol, framing, "echo", 1, &Args1("x".repeat(2000)));
        let mut slow = raw(addr);
        for b in &request[..500] {
            slow.write_all(std::slice::from_ref(b)).unwrap();
            thread::sleep(Duration::from_millis(1));
        }
        let started = std::time::Instant::now();
        let mut c = client(addr, protocol, framing);
        assert_eq!(add(&mut c, 2, 3).unwrap(), 5);
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(500),
            "{protocol:?} {framing:?}: a second client waited {took:?}"
        );
        server.stop();
    }
}

#[test]
fn stop_answers_every_request_that_arrived_before_it() {
    let _serial = serial();
    for round in 0..8 {
        let (protocol, framing) = COMBOS[round % 4];
        let server = calc_server(Threads::Events(3), protocol, framing);
        let addr = server.local_addr();
        let epoch = std::time::Instant::now();
        // 16 clients call `add` one after the other until the server stops;
        // each records when its request was written and whether it was
        // answered (correctly: a wrong reply fails the test).
        let clients: Vec<_> = (0..16i32)
            .map(|i| {
                thread::spawn(move || {
                    let mut calls = Vec::new();
                    let mut s = raw(addr);
                    let mut r = replies(&s, framing);
                    for seqid in 1.. {
                        let m =
                            call_msg(protocol, framing, "add", seqid, &AddArgs { a: i, b: seqid });
                        if s.write_all(&m).is_err() {
                            break;
                        }
                        let written = epoch.elapsed();
                        match read_reply::<Ret<i32>>(&mut r, protocol) {
                            Ok((h, res)) => {
                                assert_eq!(
                                    (h.seqid, res.unwrap()),
                                    (seqid, Ret::Success(i + seqid))
                                );
                                calls.push((written, true));
                            }
                            Err(_) => {
                                calls.push((written, false));
                                break;
                            }
                        }
                    }
                    calls
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(150));
        let stop_began = epoch.elapsed();
        server.stop();
        let mut dropped = Vec::new();
        for c in clients {
            for (written, answered) in c.join().unwrap() {
                // Written whole (on loopback: received) before stop began.
                if !answered && written + Duration::from_micros(100) < stop_began {
                    dropped.push(stop_began - written);
                }
            }
        }
        assert!(
            dropped.is_empty(),
            "round {round} {protocol:?} {framing:?}: requests written this long before stop went unanswered: {dropped:?}"
        );
    }
}

#[test]
fn a_client_that_keeps_its_pipeline_full_shares_the_thread() {
    let _serial = serial();
    for framing in [Framing::Buffered, Framing::Framed] {
        let server = calc_builder(Threads::Events(1)).framing(framing).start();
        let addr = server.local_addr();
        let go = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        // One client writes batches of 4,000 requests without pause while
        // reading its replies.
        let flood = {
            let go = go.clone();
            thread::spawn(move || {
                let s = raw(addr);
                let mut w = s.try_clone().unwrap();
                let writer = thread::spawn(move || {
                    let batch =
                        call_msg(P, framing, "add", 1, &AddArgs { a: 1, b: 1 }).repeat(4000);
                    while go.load(std::sync::atomic::Ordering::SeqCst) {
                        if w.write_all(&batch).is_err() {
                            break;
                        }
                    }
                    let _ = w.shutdown(std::net::Shutdown::Write);
                });
                let mut r = replies(&s, framing);
                let mut n = 0u64;
                while read_reply::<Ret<i32>>(&mut r, P).is_ok() {
                    n += 1;
                }
                writer.join().unwrap();
                n
            })
        };
        thread::sleep(Duration::from_millis(200));
        let started = std::time::Instant::now();
        let mut c = client(addr, P, framing);
        let sum = add(&mut c, 2, 3);
        let took = started.elapsed();
        go.store(false, std::sync::atomic::Ordering::SeqCst);
        let flooded = flood.join().unwrap();
        assert!(
            flooded > 4000,
            "{framing:?}: the flood got {flooded} replies"
        );
        assert!(
            matches!(sum, Ok(5)) && took < Duration::from_millis(500),
            "{framing:?}: a second client waited {took:?} ({sum:?}) beside {flooded} pipelined calls"
        );
        server.stop();
    }
}

#[test]
fn any_connection_limit_starts_the_event_driven_mode() {
    let _serial = serial();
    // Slots are allocated when the server starts: at most 2^20 of them.
    let server = calc_builder(Threads::Events(1))
        .max_connections(usize::MAX)
        .start();
    let mut c = client(server.local_addr(), P, Framing::Buffered);
    assert_eq!(add(&mut c, 20, 22).unwrap(), 42);
    server.stop();
}

/// A processor that fails outside any handler.
struct Broken;

impl<I, O> thriftc_runtime::processor::Processor<I, O> for Broken
where
    I: thriftc_runtime::protocol::ProtocolRead + ?Sized,
    O: thriftc_runtime::protocol::ProtocolWrite + ?Sized,
{
    fn process(
        &self,
        _header: &thriftc_runtime::protocol::MessageHeader,
        _input: &mut I,
        _output: &mut O,
    ) -> thriftc_runtime::Result<()> {
        panic!("processor bug")
    }
}

#[test]
fn a_processor_panic_is_answered_before_the_connection_closes() {
    let _serial = serial();
    quiet_expected_panics();
    for threads in [Threads::PerConnection, Threads::Events(1)] {
        let server = threads.apply(builder(Broken)).start();
        let mut s = raw(server.local_addr());
        let mut r = replies(&s, Framing::Buffered);
        send(
            &mut s,
            &call_msg(P, Framing::Buffered, "add", 9, &AddArgs { a: 1, b: 2 }),
        );
        let (h, res) = read_reply::<Ret<i32>>(&mut r, P).unwrap();
        assert_eq!(
            (h.kind, h.seqid),
            (MessageType::Exception, 9),
            "{threads:?}"
        );
        assert_eq!(
            res.unwrap_err().kind,
            thriftc_runtime::ApplicationErrorKind::InternalError
        );
        assert!(closed_within(&mut s, Duration::from_secs(2)), "{threads:?}");
        server.stop();
    }
}

/// Sends `request` in full from another thread (the server may read it
/// while it also writes), then returns.
fn send_all(s: &std::net::TcpStream, request: Vec<u8>, then_shut: bool) {
    let mut w = s.try_clone().unwrap();
    thread::spawn(move || {
        let _ = w.write_all(&request);
        if then_shut {
            let _ = w.shutdown(std::net::Shutdown::Write);
        }
    })
    .join()
    .unwrap();
}

/// Reads until end of stream or error; returns the bytes.
fn read_to_end(s: &mut std::net::TcpStream) -> Vec<u8> {
    use std::io::Read;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// An `echo_bin` request of `len` bytes, and the length of its reply.
fn echo_request(framing: Framing, seqid: i32, len: usize) -> (Vec<u8>, usize) {
    let request = call_msg(P, framing, "echo_bin", seqid, &Args1(vec![7u8; len]));
    let reply = message(
        P,
        framing,
        "echo_bin",
        MessageType::Reply,
        seqid,
        &Ret::Success(vec![7u8; len]),
    );
    (request, reply.len())
}

#[test]
fn a_peer_that_does_not_read_its_replies_holds_no_thread() {
    let _serial = serial();
    for framing in [Framing::Buffered, Framing::Framed] {
        let server = calc_builder(Threads::Events(1))
            .framing(framing)
            .write_timeout(Duration::from_secs(2))
            .start();
        let addr = server.local_addr();
        // A 12 MiB reply, more than the socket buffers hold, to a peer that
        // does not read (yet).
        let hog = raw(addr);
        let (request, _) = echo_request(framing, 1, 12 << 20);
        send_all(&hog, request, false);
        thread::sleep(Duration::from_millis(300));
        let started = std::time::Instant::now();
        let mut c = client(addr, P, framing);
        assert_eq!(add(&mut c, 2, 3).unwrap(), 5);
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(500),
            "{framing:?}: a second client waited {took:?} beside a peer that does not read"
        );
        // The stalled reply ends at the write timeout; the second client
        // stays connected.
        assert!(
            eventually(Duration::from_secs(5), || server.connections() == 1),
            "{framing:?}: {} connections, the peer that does not read still among them",
            server.connections()
        );
        assert_eq!(add(&mut c, 20, 22).unwrap(), 42);
        drop(hog);
        server.stop();
    }
}

#[test]
fn a_reply_sent_in_pieces_arrives_whole_and_in_order() {
    let _serial = serial();
    for framing in [Framing::Buffered, Framing::Framed] {
        let server = calc_builder(Threads::Events(1)).framing(framing).start();
        let s = raw(server.local_addr());
        // Three pipelined requests with large replies, then a small one;
        // the peer reads only after a pause, then to the end (it shuts its
        // side once everything is sent).
        let mut want = Vec::new();
        let mut all = Vec::new();
        for (seqid, len) in [(1, 3 << 20), (2, 5 << 20), (3, 1 << 20)] {
            let (request, _) = echo_request(framing, seqid, len);
            all.extend_from_slice(&request);
            want.push((seqid, len));
        }
        all.extend_from_slice(&call_msg(P, framing, "add", 4, &AddArgs { a: 1, b: 2 }));
        let mut r = replies(&s, framing);
        send_all(&s, all, true);
        thread::sleep(Duration::from_millis(300));
        for (seqid, len) in want {
            let (h, res) = read_reply::<Ret<Vec<u8>>>(&mut r, P).unwrap();
            assert_eq!(h.seqid, seqid, "{framing:?}");
            match res {
                Ok(Ret::Success(v)) => assert!(v.len() == len && v.iter().all(|&b| b == 7)),
                other => panic!("{framing:?}: {other:?}"),
            }
        }
        let (h, res) = read_reply::<Ret<i32>>(&mut r, P).unwrap();
        assert_eq!(h.seqid, 4);
        assert!(matches!(res, Ok(Ret::Success(3))), "{framing:?}: {res:?}");
        assert!(
            read_reply::<Ret<i32>>(&mut r, P).is_err(),
            "{framing:?}: more replies"
        );
        server.stop();
    }
}

#[test]
fn a_peer_that_has_shut_its_side_and_reads_slowly_does_not_make_threads_spin() {
    let _serial = serial();
    let server = calc_builder(Threads::Events(1))
        .framing(F)
        .write_timeout(Duration::from_secs(5))
        .start();
    let mut s = raw(server.local_addr());
    let (request, reply_len) = echo_request(F, 1, 12 << 20);
    send_all(&s, request, true);
    thread::sleep(Duration::from_millis(300));
    let before = proc_cpu_ticks();
    thread::sleep(Duration::from_millis(1000));
    let used = proc_cpu_ticks() - before;
    // The reply is still delivered in full.
    let got = read_to_end(&mut s);
    assert_eq!(got.len(), reply_len);
    server.stop();
    // 100 ticks a second per busy core: a spinning thread uses about 100.
    assert!(
        used < 30,
        "the server used {used} CPU ticks in a second of waiting"
    );
}

#[test]
fn stop_delivers_a_reply_that_waits_for_the_peer() {
    let _serial = serial();
    let server = calc_builder(Threads::Events(1)).framing(F).start();
    let mut s = raw(server.local_addr());
    let (request, reply_len) = echo_request(F, 1, 12 << 20);
    send_all(&s, request, false);
    thread::sleep(Duration::from_millis(300));
    let stopper = thread::spawn(move || server.stop());
    thread::sleep(Duration::from_millis(300));
    let got = read_to_end(&mut s);
    assert_eq!(got.len(), reply_len, "the reply was cut");
    stopper.join().unwrap();
}
