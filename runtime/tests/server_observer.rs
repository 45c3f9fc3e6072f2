//! The blocking server's observer: in every threading mode, each
//! connection is reported opened once and closed once, with each of its
//! calls in between, in order, with its method, seqid, outcome and time;
//! stops and peer resets included; an observer that panics changes
//! nothing for the clients.

mod observer_support;
mod server_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use observer_support::*;
use server_support::*;
use thriftc_runtime::server::CallOutcome;
use thriftc_runtime::{ApplicationErrorKind, Framing, ProtocolKind};

const MODES: [Threads; 3] = [Threads::PerConnection, Threads::Pool(2), Threads::Events(2)];

/// A `Calc` server in `threads` mode, on `protocol` and `framing`,
/// reporting to `recorder`.
fn observed(
    threads: Threads,
    protocol: ProtocolKind,
    framing: Framing,
    recorder: &Arc<Recorder>,
) -> thriftc_runtime::ServerHandle {
    calc_builder(threads)
        .wire(protocol, framing)
        .observer(recorder.clone())
        .start()
}

#[test]
fn every_mode_reports_each_call_in_order() {
    quiet_expected_panics();
    for threads in MODES {
        for (protocol, framing) in COMBOS {
            let recorder = Arc::new(Recorder::default());
            let server = observed(threads, protocol, framing, &recorder);
            let what = format!("{threads:?} {protocol:?} {framing:?}");
            // Two connections, one after the other.
            let first = run_calls(
                server.local_addr(),
                protocol,
                framing,
                ApplicationErrorKind::Unknown,
            );
            recorder.wait_closed(1);
            let second = run_calls(
                server.local_addr(),
                protocol,
                framing,
                ApplicationErrorKind::Unknown,
            );
            let events = recorder.wait_closed(2);
            let lives = check_lifecycles(&events);
            assert_eq!(lives.len(), 2, "{what}");
            let ids: Vec<u64> = lives.iter().map(|(id, _)| *id).collect();
            assert_ne!(ids[0], ids[1], "{what}");
            check_calls(ids[0], &lives[0].1, &first);
            check_calls(ids[1], &lives[1].1, &second);
            // Each was reported started first.
            recorder.check_started(first.len() + second.len());
            for c in opened(&events) {
                assert!(
                    c.peer.is_some_and(|p| p.ip().is_loopback()),
                    "{what}: {c:?}"
                );
            }
            server.stop();
            assert_eq!(
                recorder.events().len(),
                events.len(),
                "{what}: events after the stop"
            );
        }
    }
}

/// Connections open at a stop, idle or with a call in progress, are all
/// reported closed by the time `stop` returns, each after its calls; the
/// call in progress is reported answered.
#[test]
fn a_stop_reports_every_open_connection_closed() {
    // A pool with a worker for each connection.
    for threads in [Threads::PerConnection, Threads::Pool(4), Threads::Events(2)] {
        let recorder = Arc::new(Recorder::default());
        let calc = Arc::new(Calc::default());
        let server = threads
            .apply(builder(calc.clone()))
            .observer(recorder.clone())
            .start();
        let addr = server.local_addr();
        let (p, f) = (ProtocolKind::Binary, Framing::Buffered);
        // Two idle connections that each made a call.
        let mut idle = Vec::new();
        for seqid in 0..2 {
            let mut c = client(addr, p, f);
            assert_eq!(add(&mut c, seqid, 1).unwrap(), seqid + 1);
            idle.push(c);
        }
        // One whose call waits at the gate while the stop begins.
        let mut busy = raw(addr);
        send(&mut busy, &call_msg(p, f, "gate", 5, &NoArgs));
        assert!(
            eventually(Duration::from_secs(10), || calc
                .gate
                .waiting
                .load(Ordering::SeqCst)
                == 1),
            "{threads:?}: the gate call never arrived"
        );
        let stopping = std::thread::spawn({
            let server = server.clone();
            move || server.stop()
        });
        // The stop waits for the call in progress.
        assert!(eventually(Duration::from_secs(10), || recorder
            .events()
            .iter()
            .filter(|e| matches!(e, Event::Closed(_)))
            .count()
            == 2));
        calc.gate.open();
        stopping.join().unwrap();
        let events = recorder.events();
        let lives = check_lifecycles(&events);
        assert_eq!(lives.len(), 3, "{threads:?}: {events:#?}");
        let gate = lives
            .iter()
            .find(|(_, calls)| calls.iter().any(|c| c.method == "gate"))
            .expect("the gate call");
        assert_eq!(gate.1.len(), 1, "{threads:?}");
        assert_eq!(
            (gate.1[0].seqid, gate.1[0].outcome),
            (5, CallOutcome::Reply)
        );
        let mut r = replies(&busy, f);
        let (h, _) = read_reply::<Ret<i32>>(&mut r, p).unwrap();
        assert_eq!(h.seqid, 5, "{threads:?}: the reply still came");
        drop(idle);
    }
}

/// A peer that resets its connection while its call is handled: the
/// reply cannot be written, and the call is reported undelivered before
/// the connection's close.
#[cfg(target_os = "linux")]
#[test]
fn a_reply_to_a_peer_that_reset_is_reported_undelivered() {
    for threads in MODES {
        let recorder = Arc::new(Recorder::default());
        let calc = Arc::new(Calc::default());
        let server = threads
            .apply(builder(calc.clone()))
            .observer(recorder.clone())
            .start();
        let (p, f) = (ProtocolKind::Binary, Framing::Buffered);
        let mut s = raw(server.local_addr());
        send(&mut s, &call_msg(p, f, "gate", 3, &NoArgs));
        assert!(eventually(Duration::from_secs(10), || calc
            .gate
            .waiting
            .load(Ordering::SeqCst)
            == 1));
        reset(s);
        // On loopback the reset reaches the server's socket as the close
        // returns; nothing outside the server can tell, so a margin.
        std::thread::sleep(Duration::from_millis(50));
        calc.gate.open();
        let events = recorder.wait_closed(1);
        let lives = check_lifecycles(&events);
        assert_eq!(lives.len(), 1, "{threads:?}");
        let calls = &lives[0].1;
        assert_eq!(calls.len(), 1, "{threads:?}: {calls:#?}");
        assert_eq!(
            (calls[0].method.as_str(), calls[0].seqid, calls[0].outcome),
            ("gate", 3, CallOutcome::Undelivered),
            "{threads:?}"
        );
        server.stop();
    }
}

/// An observer that panics in every method: each panic is caught, the
/// calls are answered as ever, and the server stops as ever.
#[test]
fn a_panicking_observer_breaks_nothing() {
    quiet_expected_panics();
    for threads in MODES {
        let recorder = Arc::new(Recorder::default());
        recorder.panics.store(true, Ordering::SeqCst);
        let server = observed(threads, ProtocolKind::Compact, Framing::Framed, &recorder);
        let mut c = client(server.local_addr(), ProtocolKind::Compact, Framing::Framed);
        for i in 0..3 {
            assert_eq!(add(&mut c, i, i).unwrap(), 2 * i, "{threads:?}");
        }
        drop(c);
        let expected = run_calls(
            server.local_addr(),
            ProtocolKind::Compact,
            Framing::Framed,
            ApplicationErrorKind::Unknown,
        );
        let events = recorder.wait_closed(2);
        let lives = check_lifecycles(&events);
        assert_eq!(lives[0].1.len(), 3, "{threads:?}");
        check_calls(lives[1].0, &lives[1].1, &expected);
        let stop = timed_stop(&server);
        assert!(
            stop < Duration::from_secs(5),
            "{threads:?}: stop took {stop:?}"
        );
    }
}

/// A config with an observer prints, and says it has one.
#[test]
fn a_config_with_an_observer_is_debug_and_clone() {
    let recorder = Arc::new(Recorder::default());
    let mut config = thriftc_runtime::server::ServerConfig::default();
    assert!(format!("{config:?}").contains("observer: None"));
    config.observer = Some(recorder);
    let copy = config.clone();
    assert!(format!("{copy:?}").contains("observer: Some"), "{copy:?}");
}

/// A connection whose first bytes choose its protocol is observed as any
/// other.
#[test]
fn a_detected_protocol_is_observed_too() {
    quiet_expected_panics();
    for threads in MODES {
        let recorder = Arc::new(Recorder::default());
        let server = calc_builder(threads)
            .detect_protocol(true)
            .observer(recorder.clone())
            .start();
        let (p, f) = (ProtocolKind::Compact, Framing::Framed);
        let expected = run_calls(server.local_addr(), p, f, ApplicationErrorKind::Unknown);
        let events = recorder.wait_closed(1);
        let lives = check_lifecycles(&events);
        check_calls(lives[0].0, &lives[0].1, &expected);
        server.stop();
    }
}

/// A reply too large for the socket to take at once (in the event-driven
/// mode it waits for room with its connection parked) is reported once
/// all of it is written; one the peer never takes is reported undelivered
/// when the write timeout closes the connection.
#[test]
fn a_large_reply_is_reported_when_written_or_undelivered() {
    // More than a loopback connection buffers (send and receive buffers
    // together), however the kernel tunes them.
    const LEN: usize = 24 << 20;
    for threads in MODES {
        let recorder = Arc::new(Recorder::default());
        let server = calc_builder(threads)
            .write_timeout(Duration::from_millis(300))
            .observer(recorder.clone())
            .start();
        let (p, f) = (ProtocolKind::Binary, Framing::Buffered);
        // Read: reported as a reply.
        let s = raw(server.local_addr());
        let mut r = replies(&s, f);
        let mut w = s.try_clone().unwrap();
        send(
            &mut w,
            &call_msg(p, f, "echo_bin", 1, &Args1(vec![7u8; LEN])),
        );
        let (h, back) = read_reply::<Ret<Vec<u8>>>(&mut r, p).unwrap();
        assert_eq!(
            (h.seqid, back.map(|b| b == Ret::Success(vec![7u8; LEN]))),
            (1, Ok(true))
        );
        drop((s, r, w));
        // Never read: undelivered.
        let mut s = raw(server.local_addr());
        send(
            &mut s,
            &call_msg(p, f, "echo_bin", 2, &Args1(vec![7u8; LEN])),
        );
        let events = recorder.wait_closed(2);
        let lives = check_lifecycles(&events);
        let outcomes: Vec<_> = lives
            .iter()
            .flat_map(|(_, calls)| calls.iter().map(|c| (c.seqid, c.outcome)))
            .collect();
        assert_eq!(
            outcomes,
            [(1, CallOutcome::Reply), (2, CallOutcome::Undelivered)],
            "{threads:?}"
        );
        drop(s);
        server.stop();
    }
}

/// Over a Unix domain socket a connection has no peer address.
#[cfg(unix)]
#[test]
fn a_unix_socket_connection_has_no_peer_address() {
    for threads in MODES {
        let dir = SockDir::new();
        let path = dir.path("observed.sock");
        let recorder = Arc::new(Recorder::default());
        let server = calc_builder(threads)
            .observer(recorder.clone())
            .bind_unix(&path)
            .unwrap()
            .spawn()
            .unwrap();
        let mut c = unix_connector(&path, ProtocolKind::Binary, Framing::Buffered)
            .connect()
            .unwrap();
        assert_eq!(add(&mut c, 1, 2).unwrap(), 3);
        drop(c);
        let events = recorder.wait_closed(1);
        let lives = check_lifecycles(&events);
        assert_eq!(lives[0].1.len(), 1, "{threads:?}");
        assert_eq!(opened(&events)[0].peer, None, "{threads:?}");
        server.stop();
    }
}
