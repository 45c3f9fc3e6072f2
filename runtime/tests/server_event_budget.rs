//! The event-driven mode's waits for the in-flight byte budget: a waiter is
//! admitted whoever returns the charge, its wait has a deadline of its own,
//! and frames are admitted in the order they came. Each test also runs
//! with a thread per connection where the behaviour is shared.

mod server_support;

use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::transport::ByteBudget;
use thriftc_runtime::{Framing, ProtocolKind};

const P: ProtocolKind = ProtocolKind::Binary;
const F: Framing = Framing::Framed;

/// A budget shared by two servers ("A budget can be shared by several
/// servers"): a charge returned by the other server must let a waiter in.
/// The event-driven server has no timeouts, so it has no sweep tick either.
#[test]
fn a_waiter_is_admitted_when_another_server_returns_the_budget() {
    let _serial = serial();
    for threads in [Threads::PerConnection, Threads::Events(1)] {
        let budget = ByteBudget::new(1 << 20);
        let s1 = calc_builder(Threads::PerConnection)
            .framing(F)
            .in_flight_budget(Some(budget.clone()))
            .start();
        let s2 = calc_builder(threads)
            .framing(F)
            .in_flight_budget(Some(budget.clone()))
            .idle_timeout(None)
            .message_timeout(None)
            .write_timeout(None)
            .start();
        // A holds almost all of the budget on S1 with a half-sent frame.
        let a_data = vec![1u8; (1 << 20) - 100];
        let a_msg = call_msg(P, F, "echo_bin", 1, &Args1(a_data.clone()));
        let mut a = raw(s1.local_addr());
        a.write_all(&a_msg[..a_msg.len() / 2]).unwrap();
        assert!(eventually(Duration::from_secs(2), || budget.in_use()
            == a_msg.len() - 4));
        // B: a 200 KB frame on S2, which waits for the budget.
        let b_data = vec![2u8; 200_000];
        let mut b = raw(s2.local_addr());
        b.write_all(&call_msg(P, F, "echo_bin", 2, &Args1(b_data.clone())))
            .unwrap();
        thread::sleep(Duration::from_millis(200));
        // A completes on S1, which returns its charge.
        a.write_all(&a_msg[a_msg.len() / 2..]).unwrap();
        let (_, res) = read_reply::<Ret<Vec<u8>>>(&mut replies(&a, F), P).unwrap();
        assert!(res.unwrap() == Ret::Success(a_data));
        b.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let reply = read_reply::<Ret<Vec<u8>>>(&mut replies(&b, F), P);
        assert!(
            matches!(&reply, Ok((_, Ok(Ret::Success(d)))) if *d == b_data),
            "{threads:?}: B not admitted though the budget has room (in use {}): {:?}",
            budget.in_use(),
            reply.map(|(h, _)| h)
        );
        s2.stop();
        s1.stop();
    }
}

/// The wait for the budget is bounded by the message timeout from when the
/// wait began (as the blocking `acquire` is), not from the first bytes of
/// an earlier message served in the same turn.
#[test]
fn a_budget_wait_after_a_long_call_has_its_own_deadline() {
    let _serial = serial();
    for threads in [Threads::PerConnection, Threads::Events(1)] {
        let budget = ByteBudget::new(1 << 20);
        let server = calc_builder(threads)
            .framing(F)
            .in_flight_budget(Some(budget.clone()))
            .message_timeout(Duration::from_secs(1))
            .start();
        // The test holds the whole budget for now.
        assert!(budget.try_acquire(1 << 20));
        let mut b = raw(server.local_addr());
        let sleep = call_msg(P, F, "sleep", 1, &Args1(1200i32));
        let b_data = vec![2u8; 200_000];
        let echo = call_msg(P, F, "echo_bin", 2, &Args1(b_data.clone()));
        // The first call arrives in two pieces (parked with the first),
        // the second right after it.
        b.write_all(&sleep[..sleep.len() / 2]).unwrap();
        thread::sleep(Duration::from_millis(100));
        let mut rest = sleep[sleep.len() / 2..].to_vec();
        rest.extend(&echo);
        b.write_all(&rest).unwrap();
        let mut r = replies(&b, F);
        let (h, _) = read_reply::<Ret<i32>>(&mut r, P).unwrap();
        assert_eq!(h.seqid, 1);
        // The echo frame began to wait for the budget about now; its
        // deadline is 1 s away. Room comes 300 ms later.
        let waited_from = Instant::now();
        thread::sleep(Duration::from_millis(300));
        budget.release(1 << 20);
        let reply = read_reply::<Ret<Vec<u8>>>(&mut r, P);
        assert!(
            matches!(&reply, Ok((_, Ok(Ret::Success(d)))) if *d == b_data),
            "{threads:?}: closed {:?} after its wait began: {:?}",
            waited_from.elapsed(),
            reply.map(|(h, _)| h)
        );
        server.stop();
    }
}

/// Frames are admitted first come, first served: one that arrives later
/// and would fit waits behind the one that waits; both are answered once
/// the budget has room.
#[test]
fn a_later_frame_does_not_overtake_a_waiting_one() {
    let _serial = serial();
    let budget = ByteBudget::new(300_000);
    let server = calc_builder(Threads::Events(2))
        .framing(F)
        .in_flight_budget(Some(budget.clone()))
        .start();
    let addr = server.local_addr();
    assert!(budget.try_acquire(200_000));
    // W: 150 KB, waits (200 + 150 > 300).
    let mut w = raw(addr);
    w.write_all(&call_msg(P, F, "echo_bin", 1, &Args1(vec![1u8; 150_000])))
        .unwrap();
    thread::sleep(Duration::from_millis(200));
    // N: 90 KB, later (200 + 90 <= 300).
    let mut n = raw(addr);
    n.write_all(&call_msg(P, F, "echo_bin", 2, &Args1(vec![2u8; 90_000])))
        .unwrap();
    n.set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    let overtaken = read_reply::<Ret<Vec<u8>>>(&mut replies(&n, F), P).is_ok();
    budget.release(200_000);
    assert!(
        !overtaken,
        "N, which came after W, was answered while W waits for the budget"
    );
    let (h, res) = read_reply::<Ret<Vec<u8>>>(&mut replies(&w, F), P).unwrap();
    assert_eq!(h.seqid, 1);
    assert!(res.unwrap() == Ret::Success(vec![1u8; 150_000]));
    n.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (h, res) = read_reply::<Ret<Vec<u8>>>(&mut replies(&n, F), P).unwrap();
    assert_eq!(h.seqid, 2);
    assert!(res.unwrap() == Ret::Success(vec![2u8; 90_000]));
    server.stop();
}

/// A charge returned outside the server (here: by the test) lets a waiter
/// in while a thread is idle, even when the thread that listed the waiter
/// is then held by a long call: the other thread went to sleep before
/// anyone waited (no timeouts: no deadline), and must not sleep on.
#[test]
fn an_idle_thread_admits_a_waiter_while_the_other_is_in_a_long_call() {
    let _serial = serial();
    let budget = ByteBudget::new(1 << 20);
    let server = calc_builder(Threads::Events(2))
        .framing(F)
        .in_flight_budget(Some(budget.clone()))
        .idle_timeout(None)
        .message_timeout(None)
        .write_timeout(None)
        .start();
    let addr = server.local_addr();
    // Both threads are asleep with no deadline.
    thread::sleep(Duration::from_millis(200));
    assert!(budget.try_acquire(1 << 20));
    // B waits for the budget; the thread that listed it looks every 10 ms,
    // and (epoll wakes the last waiter first) takes the next event.
    let b_data = vec![2u8; 200_000];
    let mut b = raw(addr);
    b.write_all(&call_msg(P, F, "echo_bin", 1, &Args1(b_data.clone())))
        .unwrap();
    thread::sleep(Duration::from_millis(200));
    // C: a long call.
    let mut c = raw(addr);
    c.write_all(&call_msg(P, F, "sleep", 2, &Args1(3000i32)))
        .unwrap();
    thread::sleep(Duration::from_millis(200));
    budget.release(1 << 20);
    let released = Instant::now();
    b.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let reply = read_reply::<Ret<Vec<u8>>>(&mut replies(&b, F), P);
    let took = released.elapsed();
    assert!(
        matches!(&reply, Ok((_, Ok(Ret::Success(d)))) if *d == b_data),
        "B not answered: {:?}",
        reply.map(|(h, _)| h)
    );
    assert!(
        took < Duration::from_secs(1),
        "B admitted {took:?} after the budget had room, with a thread idle"
    );
    let (h, _) = read_reply::<Ret<i32>>(&mut replies(&c, F), P).unwrap();
    assert_eq!(h.seqid, 2);
    server.stop();
}
