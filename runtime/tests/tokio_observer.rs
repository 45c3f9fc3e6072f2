//! The async server's observer, as the blocking server's: each connection
//! reported opened once and closed once, with each of its calls in
//! between, in order, with its method, seqid, outcome and time; a stop
//! reports every connection closed; an observer that panics changes
//! nothing for the clients.

mod observer_support;
mod server_support;
mod tokio_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use observer_support::*;
use server_support::*;
use thriftc_runtime::server::CallOutcome;
use thriftc_runtime::{ApplicationErrorKind, Framing, ProtocolKind};
use tokio_support::*;

/// An `AsyncCalc` server reporting to `recorder`.
fn observed(
    protocol: ProtocolKind,
    framing: Framing,
    recorder: &Arc<Recorder>,
) -> (Running, Arc<AsyncCalc>) {
    let calc = Arc::new(AsyncCalc::default());
    let running = start(
        async_builder(calc.clone())
            .protocol(protocol)
            .framing(framing)
            .observer(recorder.clone()),
    );
    (running, calc)
}

#[test]
fn each_call_is_reported_in_order() {
    quiet_expected_panics();
    for (protocol, framing) in COMBOS {
        let recorder = Arc::new(Recorder::default());
        let (server, _) = observed(protocol, framing, &recorder);
        let what = format!("{protocol:?} {framing:?}");
        // `app_error` answers UNKNOWN here too.
        let first = run_calls(
            server.addr,
            protocol,
            framing,
            ApplicationErrorKind::Unknown,
        );
        recorder.wait_closed(1);
        let second = run_calls(
            server.addr,
            protocol,
            framing,
            ApplicationErrorKind::Unknown,
        );
        let events = recorder.wait_closed(2);
        let lives = check_lifecycles(&events);
        assert_eq!(lives.len(), 2, "{what}");
        assert_ne!(lives[0].0, lives[1].0, "{what}");
        check_calls(lives[0].0, &lives[0].1, &first);
        check_calls(lives[1].0, &lives[1].1, &second);
        // Each was reported started first.
        recorder.check_started(first.len() + second.len());
        for c in opened(&events) {
            assert!(
                c.peer.is_some_and(|p| p.ip().is_loopback()),
                "{what}: {c:?}"
            );
        }
        assert!(server.stop_within(Duration::from_secs(10)), "{what}");
    }
}

/// Connections open at a stop, idle or with a call in progress, are all
/// reported closed once `serve` has returned, the call in progress
/// reported answered first.
#[test]
fn a_stop_reports_every_open_connection_closed() {
    let recorder = Arc::new(Recorder::default());
    let (server, calc) = observed(ProtocolKind::Binary, Framing::Buffered, &recorder);
    let (p, f) = (ProtocolKind::Binary, Framing::Buffered);
    let mut idle = Vec::new();
    for seqid in 0..2 {
        let mut c = client(server.addr, p, f);
        assert_eq!(add(&mut c, seqid, 1).unwrap(), seqid + 1);
        idle.push(c);
    }
    let mut busy = raw(server.addr);
    send(&mut busy, &call_msg(p, f, "gate", 5, &NoArgs));
    assert!(eventually(Duration::from_secs(10), || calc
        .at_gate
        .load(Ordering::SeqCst)
        == 1));
    server.handle.stop();
    // The idle ones close at once; the gate call holds its connection.
    recorder.wait_closed(2);
    calc.gate.add_permits(1);
    assert!(server.stop_within(Duration::from_secs(10)));
    let events = recorder.events();
    let lives = check_lifecycles(&events);
    assert_eq!(lives.len(), 3, "{events:#?}");
    let gate = lives
        .iter()
        .find(|(_, calls)| calls.iter().any(|c| c.method == "gate"))
        .expect("the gate call");
    assert_eq!(gate.1.len(), 1);
    assert_eq!(
        (gate.1[0].seqid, gate.1[0].outcome),
        (5, CallOutcome::Reply)
    );
    drop(idle);
}

/// A connection aborted at the end of the drain timeout: its call in
/// progress is reported undelivered, then the connection closed.
#[test]
fn an_aborted_connection_reports_its_call_undelivered() {
    let recorder = Arc::new(Recorder::default());
    let calc = Arc::new(AsyncCalc::default());
    let server = start(
        async_builder(calc.clone())
            .drain_timeout(Duration::from_millis(100))
            .observer(recorder.clone()),
    );
    let (p, f) = (ProtocolKind::Binary, Framing::Buffered);
    let mut busy = raw(server.addr);
    send(&mut busy, &call_msg(p, f, "gate", 4, &NoArgs));
    assert!(eventually(Duration::from_secs(10), || calc
        .at_gate
        .load(Ordering::SeqCst)
        == 1));
    assert!(server.stop_within(Duration::from_secs(10)));
    let events = recorder.events();
    let lives = check_lifecycles(&events);
    assert_eq!(lives.len(), 1, "{events:#?}");
    let calls = &lives[0].1;
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(
        (calls[0].method.as_str(), calls[0].seqid, calls[0].outcome),
        ("gate", 4, CallOutcome::Undelivered)
    );
}

/// An observer that panics in every method: each panic is caught, the
/// calls are answered as ever, and the server stops as ever.
#[test]
fn a_panicking_observer_breaks_nothing() {
    quiet_expected_panics();
    let recorder = Arc::new(Recorder::default());
    recorder.panics.store(true, Ordering::SeqCst);
    let (p, f) = (ProtocolKind::Compact, Framing::Framed);
    let (server, _) = observed(p, f, &recorder);
    let mut c = client(server.addr, p, f);
    for i in 0..3 {
        assert_eq!(add(&mut c, i, i).unwrap(), 2 * i);
    }
    drop(c);
    let expected = run_calls(server.addr, p, f, ApplicationErrorKind::Unknown);
    let events = recorder.wait_closed(2);
    let lives = check_lifecycles(&events);
    assert_eq!(lives[0].1.len(), 3);
    check_calls(lives[1].0, &lives[1].1, &expected);
    assert!(server.stop_within(Duration::from_secs(10)));
}
