//! An observer that records what a server tells it, and one sequence of
//! calls (over a raw socket, so it drives the blocking and the async
//! server alike) with the outcome each must be reported with.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use thriftc_runtime::server::{CallInfo, CallOutcome, CallStart, ConnectionInfo, ServerObserver};
use thriftc_runtime::{ApplicationErrorKind, Framing, ProtocolKind};

use crate::server_support::{
    AddArgs, Args1, NoArgs, Ret, call_msg, oneway_msg, raw, read_reply, replies, send,
};

/// One thing a server told the observer.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Opened(ConnectionInfo),
    Closed(ConnectionInfo),
    Call(Finished),
}

/// A [`CallInfo`], owned.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    pub connection: u64,
    pub method: String,
    pub seqid: i32,
    pub oneway: bool,
    pub elapsed: Duration,
    pub outcome: CallOutcome,
}

/// Records every event; with `panics`, panics after recording each.
#[derive(Default)]
pub struct Recorder {
    events: Mutex<Vec<Event>>,
    changed: Condvar,
    pub panics: AtomicBool,
    /// Calls started and not yet finished: (connection, seqid, method).
    in_flight: Mutex<Vec<(u64, i32, String)>>,
    /// Calls started, in all.
    started: std::sync::atomic::AtomicUsize,
    /// Calls finished that were not reported started first.
    unstarted: Mutex<Vec<Finished>>,
}

/// The panic a panicking [`Recorder`] raises (kept out of the test output
/// by `quiet_expected_panics`, which passes "handler bug").
pub const OBSERVER_PANIC: &str = "observer handler bug (on purpose)";

impl Recorder {
    fn record(&self, event: Event) {
        self.events.lock().unwrap().push(event);
        self.changed.notify_all();
        if self.panics.load(Ordering::SeqCst) {
            panic!("{OBSERVER_PANIC}");
        }
    }

    /// Everything recorded so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// Waits (at most `within`) until `cond` holds of the events; returns
    /// them either way, with whether it held.
    pub fn wait_until(
        &self,
        within: Duration,
        cond: impl Fn(&[Event]) -> bool,
    ) -> (bool, Vec<Event>) {
        let deadline = Instant::now() + within;
        let mut events = self.events.lock().unwrap();
        loop {
            if cond(&events) {
                return (true, events.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return (false, events.clone());
            }
            events = self.changed.wait_timeout(events, deadline - now).unwrap().0;
        }
    }

    /// Checks that every call finished was reported started first, on its
    /// connection with its seqid and name, and none is left in flight:
    /// `calls` in all.
    pub fn check_started(&self, calls: usize) {
        let unstarted = self.unstarted.lock().unwrap();
        assert!(
            unstarted.is_empty(),
            "finished, never started: {unstarted:#?}"
        );
        let in_flight = self.in_flight.lock().unwrap();
        assert!(
            in_flight.is_empty(),
            "started, never finished: {in_flight:?}"
        );
        assert_eq!(self.started.load(Ordering::SeqCst), calls);
    }

    /// Waits until `n` connections have been reported closed.
    pub fn wait_closed(&self, n: usize) -> Vec<Event> {
        let (held, events) = self.wait_until(Duration::from_secs(10), |e| closed(e).len() >= n);
        assert!(held, "{n} connections never reported closed: {events:#?}");
        events
    }
}

impl ServerObserver for Recorder {
    fn connection_opened(&self, connection: &ConnectionInfo) {
        self.record(Event::Opened(*connection));
    }

    fn connection_closed(&self, connection: &ConnectionInfo) {
        self.record(Event::Closed(*connection));
    }

    fn call_started(&self, call: &CallStart<'_>) {
        let key = (call.connection, call.seqid, call.method.to_owned());
        self.in_flight.lock().unwrap().push(key);
        self.started.fetch_add(1, Ordering::SeqCst);
        if self.panics.load(Ordering::SeqCst) {
            panic!("{OBSERVER_PANIC}");
        }
    }

    fn call_finished(&self, call: &CallInfo<'_>) {
        let finished = Finished {
            connection: call.connection,
            method: call.method.to_owned(),
            seqid: call.seqid,
            oneway: call.oneway,
            elapsed: call.elapsed,
            outcome: call.outcome,
        };
        {
            let mut in_flight = self.in_flight.lock().unwrap();
            let key = (call.connection, call.seqid, call.method.to_owned());
            match in_flight.iter().position(|k| *k == key) {
                Some(i) => {
                    in_flight.remove(i);
                }
                None => self.unstarted.lock().unwrap().push(finished.clone()),
            }
        }
        self.record(Event::Call(finished));
    }
}

/// The connections reported opened.
pub fn opened(events: &[Event]) -> Vec<ConnectionInfo> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Opened(c) => Some(*c),
            _ => None,
        })
        .collect()
}

/// The connections reported closed.
pub fn closed(events: &[Event]) -> Vec<ConnectionInfo> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Closed(c) => Some(*c),
            _ => None,
        })
        .collect()
}

/// The events of connection `id`, in order.
pub fn of_connection(events: &[Event], id: u64) -> Vec<Event> {
    events
        .iter()
        .filter(|e| match e {
            Event::Opened(c) | Event::Closed(c) => c.id == id,
            Event::Call(f) => f.connection == id,
        })
        .cloned()
        .collect()
}

/// Every connection is opened once, then closed once, with its calls in
/// between; returns the calls of each, by connection id.
#[track_caller]
pub fn check_lifecycles(events: &[Event]) -> Vec<(u64, Vec<Finished>)> {
    let opened = opened(events);
    let mut ids: Vec<u64> = opened.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), opened.len(), "an id opened twice: {events:#?}");
    assert_eq!(
        closed(events).len(),
        opened.len(),
        "opened vs closed: {events:#?}"
    );
    ids.iter()
        .map(|&id| {
            let mine = of_connection(events, id);
            assert!(
                matches!(mine.first(), Some(Event::Opened(_)))
                    && matches!(mine.last(), Some(Event::Closed(_))),
                "connection {id}: {mine:#?}"
            );
            let calls = mine[1..mine.len() - 1]
                .iter()
                .map(|e| match e {
                    Event::Call(f) => f.clone(),
                    other => panic!("connection {id}: {other:?} between its open and close"),
                })
                .collect();
            (id, calls)
        })
        .collect()
}

/// How long the `sleep` call of [`run_calls`] sleeps.
pub const SLEEP: Duration = Duration::from_millis(60);

/// What the observer must be told of one call of [`run_calls`].
pub type Expected = (&'static str, i32, bool, CallOutcome);

/// Makes one call of each kind on a new raw connection to `addr`, each
/// after the reply to the one before (a ONEWAY call has none), then waits
/// for the server to close the connection (it does after the last, whose
/// arguments do not decode, when unframed) or closes it; returns what
/// the observer must be told of each, in order.
pub fn run_calls(
    addr: SocketAddr,
    protocol: ProtocolKind,
    framing: Framing,
    app_error: ApplicationErrorKind,
) -> Vec<Expected> {
    use ApplicationErrorKind as K;
    use CallOutcome::{DeclaredException, Exception, Oneway, Reply};
    /// The arguments a step sends.
    enum Body {
        Add,
        Text,
        Nothing,
        Sleep,
        Fire,
    }
    let steps: [(Expected, Body); 9] = [
        (("add", 1, false, Reply), Body::Add),
        // A declared exception travels as a REPLY, in field 1 of the
        // result struct.
        (("oops", 2, false, DeclaredException(1)), Body::Text),
        (
            ("nope", 3, false, Exception(K::UnknownMethod)),
            Body::Nothing,
        ),
        // The name as received, multiplexing prefix and all.
        (
            ("Calc:add", 4, false, Exception(K::UnknownMethod)),
            Body::Add,
        ),
        (("app_error", 5, false, Exception(app_error)), Body::Text),
        (
            ("panic", 6, false, Exception(K::InternalError)),
            Body::Nothing,
        ),
        (("sleep", 7, false, Reply), Body::Sleep),
        (("fire", 8, true, Oneway), Body::Fire),
        // `add` without its arguments.
        (
            ("add", 9, false, Exception(K::ProtocolError)),
            Body::Nothing,
        ),
    ];
    let mut s = raw(addr);
    let mut r = replies(&s, framing);
    let mut expected = Vec::new();
    for (step, body) in steps {
        let (name, seqid, oneway, _) = step;
        let (p, f) = (protocol, framing);
        let bytes = match body {
            Body::Add => call_msg(p, f, name, seqid, &AddArgs { a: 2, b: 3 }),
            Body::Text => call_msg(p, f, name, seqid, &Args1("why".to_string())),
            Body::Nothing => call_msg(p, f, name, seqid, &NoArgs),
            Body::Sleep => call_msg(p, f, name, seqid, &Args1(SLEEP.as_millis() as i32)),
            Body::Fire => oneway_msg(p, f, name, seqid, &Args1(1i32)),
        };
        send(&mut s, &bytes);
        if !oneway {
            let (h, _) = read_reply::<Ret<i32>>(&mut r, protocol)
                .unwrap_or_else(|e| panic!("reply to {name}: {e}"));
            assert_eq!(h.seqid, seqid, "{name}");
        }
        expected.push(step);
    }
    drop(s);
    expected
}

/// The calls reported match `expected`, in order, and the `sleep` call
/// took at least its sleep.
#[track_caller]
pub fn check_calls(id: u64, calls: &[Finished], expected: &[Expected]) {
    let got: Vec<Expected> = calls
        .iter()
        .zip(expected)
        .map(|(f, e)| (e.0, f.seqid, f.oneway, f.outcome))
        .collect();
    assert_eq!(got, expected, "connection {id}: {calls:#?}");
    assert_eq!(calls.len(), expected.len(), "connection {id}: {calls:#?}");
    for (f, e) in calls.iter().zip(expected) {
        assert_eq!((f.method.as_str(), f.connection), (e.0, id));
        if f.method == "sleep" {
            assert!(f.elapsed >= SLEEP, "sleep took {:?}", f.elapsed);
        }
        assert!(f.elapsed < Duration::from_secs(10), "{f:?}");
    }
}
