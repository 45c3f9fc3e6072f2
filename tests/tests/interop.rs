//! Interop with real Thrift peers: thriftpy2 and Apache Thrift's Python
//! library (with code from Apache's compiler), over binary and compact ×
//! buffered and framed, both directions, plus multiplexing, a load test,
//! and one server port that serves every combination (`detect_protocol`);
//! both directions again over Unix domain sockets; then the same against
//! our async (tokio) server and from our async client; and the Python
//! clients against our view servers, blocking and async, whose handlers
//! take some arguments as views of the request.
//!
//! Our side is the generated code of `fixtures/interop` (the golden files
//! under `tests/golden/services/interop`, kept current by the
//! `services_golden` test). The peers and the scenario they run are in
//! `tests/peers/interop`; the contract of every method is the doc comment
//! in the IDL. Python comes from `$THRIFTC_PYTHON` (`cargo xtask test` sets
//! it up), else `python3`; a missing peer fails the test with how to fix it.

#![deny(warnings)]

mod interop_common;

// Generated code: rustfmt must not reformat the golden files.
#[rustfmt::skip]
#[path = "../golden/services/interop/mod.rs"]
#[allow(dead_code)] // the generated API is broader than these tests
mod idl;

use idl::interop::*;
use idl::shared::{
    BaseAsyncHandler, BaseGetVersionError, BaseHandler, BasePingError, Level, SharedError, Version,
};
use interop_common::{Combo, Lib, PeerEnv, Proto, Trans};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thriftc_runtime::client::{Channel, Client, Connector, Multiplexed};
use thriftc_runtime::processor::Multiplexed as MultiplexedProcessor;
use thriftc_runtime::server::{Server, ServerHandle, ServerProcessor};
use thriftc_runtime::tokio::{AsyncMultiplexed, AsyncProcessor, AsyncServer, AsyncServerHandle};
use thriftc_runtime::transport::SocketStream;
use thriftc_runtime::{ApplicationError, ApplicationErrorKind, CowView, Framing, ProtocolKind};

/// The value the peers' IDL calls `Color.VIOLET`; ours does not declare it.
const VIOLET: Color = Color(4);
const TEXT: &str = "h\u{e9}llo w\u{f6}rld \u{2603} \u{1d11e}";
const PEER_TIMEOUT: Duration = Duration::from_secs(90);

// ------------------------------------------------------------------ server

/// Our implementation of the interop contract. Counts calls in flight to
/// prove that calls overlap.
#[derive(Default)]
struct Scenario {
    kv: Mutex<HashMap<String, String>>,
    log: Mutex<Vec<String>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    calls: AtomicUsize,
}

struct InFlight<'a>(&'a Scenario);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Scenario {
    fn new() -> Arc<Scenario> {
        let s = Scenario::default();
        s.kv.lock().unwrap().insert("answer".into(), "42".into());
        Arc::new(s)
    }

    fn enter(&self) -> InFlight<'_> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }
}

impl BaseHandler for Scenario {
    fn get_version(&self) -> Result<Version, BaseGetVersionError> {
        let _g = self.enter();
        Ok(Version {
            major: 1,
            minor: 2,
            tag: None,
        })
    }

    fn ping(&self, msg: String) -> Result<String, BasePingError> {
        let _g = self.enter();
        if msg.is_empty() {
            return Err(SharedError {
                code: 400,
                reason: "empty".into(),
            }
            .into());
        }
        Ok(format!("pong: {msg}"))
    }
}

impl InteropHandler for Scenario {
    fn echo_primitives(&self, value: Primitives) -> Result<Primitives, InteropEchoPrimitivesError> {
        let _g = self.enter();
        Ok(value)
    }

    fn echo_containers(&self, value: Containers) -> Result<Containers, InteropEchoContainersError> {
        let _g = self.enter();
        Ok(value)
    }

    fn echo_record(&self, value: Record) -> Result<Record, InteropEchoRecordError> {
        let _g = self.enter();
        Ok(value)
    }

    fn echo_choice(&self, value: Choice) -> Result<Choice, InteropEchoChoiceError> {
        let _g = self.enter();
        Ok(value)
    }

    fn echo_color(&self, value: Color) -> Result<Color, InteropEchoColorError> {
        let _g = self.enter();
        Ok(value)
    }

    fn echo_binary(&self, value: Bytes) -> Result<Bytes, InteropEchoBinaryError> {
        let _g = self.enter();
        Ok(value)
    }

    fn group_by_color(
        &self,
        records: Vec<Record>,
    ) -> Result<HashMap<Color, Vec<Record>>, InteropGroupByColorError> {
        let _g = self.enter();
        Ok(group(records))
    }

    fn add(&self, a: i32, b: i64) -> Result<i64, InteropAddError> {
        let _g = self.enter();
        Ok(i64::from(a) + b)
    }

    fn pack(
        &self,
        flag: bool,
        tiny: i8,
        small: i8,
        short_int: i16,
        medium: i32,
        big: i64,
        real: f64,
        text: String,
        raw: Vec<u8>,
    ) -> Result<Primitives, InteropPackError> {
        let _g = self.enter();
        Ok(Primitives {
            flag,
            tiny,
            small,
            short_int,
            medium,
            big,
            real,
            text,
            raw,
        })
    }

    fn make_record(&self, id: i64, name: String) -> Result<Record, InteropMakeRecordError> {
        let _g = self.enter();
        Ok(Record {
            id,
            name,
            ..Default::default()
        })
    }

    fn lookup(&self, key: String) -> Result<String, InteropLookupError> {
        let _g = self.enter();
        match self.kv.lock().unwrap().get(&key) {
            Some(v) => Ok(v.clone()),
            None => Err(NotFound { key }.into()),
        }
    }

    fn store(&self, key: String, value: String) -> Result<(), InteropStoreError> {
        let _g = self.enter();
        if key.is_empty() {
            return Err(Invalid {
                code: 1,
                reason: "empty key".into(),
                fields: Some(vec!["key".into()]),
            }
            .into());
        }
        self.kv.lock().unwrap().insert(key, value);
        Ok(())
    }

    fn check(&self, value: i32) -> Result<i32, InteropCheckError> {
        let _g = self.enter();
        match value {
            0 => Err(NotFound { key: "zero".into() }.into()),
            v if v < 0 => Err(Invalid {
                code: v,
                reason: "negative".into(),
                fields: None,
            }
            .into()),
            v if v > 1000 => Err(SharedError {
                code: v,
                reason: "too big".into(),
            }
            .into()),
            v => Ok(2 * v),
        }
    }

    fn reset(&self) -> Result<(), InteropResetError> {
        let _g = self.enter();
        self.log.lock().unwrap().clear();
        Ok(())
    }

    fn notify(&self, event: String) -> Result<(), InteropNotifyError> {
        let _g = self.enter();
        self.log.lock().unwrap().push(event);
        Ok(())
    }

    fn events(&self) -> Result<Vec<String>, InteropEventsError> {
        let _g = self.enter();
        Ok(self.log.lock().unwrap().clone())
    }

    fn fail(&self, why: String) -> Result<i32, InteropFailError> {
        let _g = self.enter();
        Err(ApplicationError::new(ApplicationErrorKind::InternalError, why).into())
    }

    fn work(&self, micros: i32) -> Result<i32, InteropWorkError> {
        let _g = self.enter();
        std::thread::sleep(Duration::from_micros(micros.max(0) as u64));
        Ok(micros)
    }
}

#[derive(Default)]
struct CounterImpl {
    total: Mutex<i64>,
    base: Scenario,
}

impl BaseHandler for CounterImpl {
    fn get_version(&self) -> Result<Version, BaseGetVersionError> {
        self.base.get_version()
    }

    fn ping(&self, msg: String) -> Result<String, BasePingError> {
        self.base.ping(msg)
    }
}

impl CounterHandler for CounterImpl {
    fn increment(&self, by: i64) -> Result<i64, CounterIncrementError> {
        let mut t = self.total.lock().unwrap();
        *t += by;
        Ok(*t)
    }
}

fn group(records: Vec<Record>) -> HashMap<Color, Vec<Record>> {
    let mut out: HashMap<Color, Vec<Record>> = HashMap::new();
    for r in records {
        out.entry(r.color).or_default().push(r);
    }
    out
}

fn protocol(p: Proto) -> ProtocolKind {
    match p {
        Proto::Binary => ProtocolKind::Binary,
        Proto::Compact => ProtocolKind::Compact,
    }
}

fn framing(t: Trans) -> Framing {
    match t {
        Trans::Buffered => Framing::Buffered,
        Trans::Framed => Framing::Framed,
    }
}

/// One of our servers; stopped when dropped.
struct OurServer {
    handle: ServerHandle,
    combo: Combo,
}

impl OurServer {
    fn port(&self) -> u16 {
        self.handle.local_addr().port()
    }
}

impl Drop for OurServer {
    fn drop(&mut self) {
        self.handle.stop();
    }
}

/// Serves `handler` (plus a `Counter` when multiplexed) for `combo` on a
/// free port of 127.0.0.1.
fn serve(combo: Combo, handler: &Arc<Scenario>) -> OurServer {
    serve_processor(combo, processor_for(combo, handler))
}

/// Serves `processor` for `combo` on a free port of 127.0.0.1.
fn serve_processor(combo: Combo, processor: Arc<dyn ServerProcessor>) -> OurServer {
    let handle = Server::builder(processor)
        .protocol(protocol(combo.proto))
        .framing(framing(combo.trans))
        .bind("127.0.0.1:0")
        .expect("bind a free port")
        .spawn()
        .expect("start the server");
    OurServer { handle, combo }
}

/// The processor of `handler` for `combo`: with a `Counter` beside it when
/// multiplexed.
fn processor_for(combo: Combo, handler: &Arc<Scenario>) -> Arc<dyn ServerProcessor> {
    with_counter(combo, Arc::new(InteropProcessor::from_arc(handler.clone())))
}

/// `interop`, or for a multiplexed `combo` a multiplexer serving it as
/// `Interop` beside a `Counter`.
fn with_counter(combo: Combo, interop: Arc<dyn ServerProcessor>) -> Arc<dyn ServerProcessor> {
    if !combo.mux {
        return interop;
    }
    let mut mux: MultiplexedProcessor = MultiplexedProcessor::new();
    mux.register("Interop", interop);
    mux.register(
        "Counter",
        Arc::new(CounterProcessor::new(CounterImpl::default())),
    );
    Arc::new(mux)
}

/// The combinations every direction runs: the four plain ones and two
/// multiplexed ones.
fn combos() -> Vec<Combo> {
    let mut c = Combo::all();
    c.push(Combo {
        proto: Proto::Binary,
        trans: Trans::Buffered,
        mux: true,
    });
    c.push(Combo {
        proto: Proto::Compact,
        trans: Trans::Framed,
        mux: true,
    });
    c
}

/// A Python client runs the whole scenario against our server in every
/// combination.
fn python_client_to_our_server(lib: Lib) {
    let env = PeerEnv::new(lib);
    let handler = Scenario::new();
    let servers: Vec<OurServer> = combos().into_iter().map(|c| serve(c, &handler)).collect();
    let targets: Vec<(Combo, u16)> = servers.iter().map(|s| (s.combo, s.port())).collect();
    let run = env.client(&targets, PEER_TIMEOUT);
    run.assert_ok(
        &format!("{} client -> our server", lib.name()),
        targets.len(),
    );
    // Every check the peer counted was a reply it verified; make sure the
    // calls really reached our handler.
    assert!(run.checks() >= 70 * targets.len(), "{}", run.stdout);
    assert!(handler.calls.load(Ordering::SeqCst) >= 40 * targets.len());
}

#[test]
fn thriftpy2_client_to_our_server() {
    python_client_to_our_server(Lib::Thriftpy2);
}

#[test]
fn apache_client_to_our_server() {
    python_client_to_our_server(Lib::Apache);
}

/// One server that tells each connection's protocol and framing from its
/// first bytes: the Python client runs the whole scenario in the four plain
/// combinations against its one port.
fn python_clients_on_one_detecting_port(lib: Lib) {
    let env = PeerEnv::new(lib);
    let handler = Scenario::new();
    let server = OurServer {
        handle: Server::builder(InteropProcessor::from_arc(handler.clone()))
            .detect_protocol(true)
            .bind("127.0.0.1:0")
            .expect("bind a free port")
            .spawn()
            .expect("start the server"),
        combo: Combo::all()[0],
    };
    scenario_on_one_port(&env, &handler, server.port(), "one detecting server");
}

/// The Python client runs the whole scenario in the four plain
/// combinations against one `port` that detects them, served by
/// `handler`.
fn scenario_on_one_port(env: &PeerEnv, handler: &Scenario, port: u16, what: &str) {
    let targets: Vec<(Combo, u16)> = Combo::all().into_iter().map(|c| (c, port)).collect();
    let run = env.client(&targets, PEER_TIMEOUT);
    run.assert_ok(
        &format!("{} clients -> {what}", env.lib.name()),
        targets.len(),
    );
    assert!(run.checks() >= 70 * targets.len(), "{}", run.stdout);
    assert!(handler.calls.load(Ordering::SeqCst) >= 40 * targets.len());
}

#[test]
fn thriftpy2_clients_on_one_detecting_port() {
    python_clients_on_one_detecting_port(Lib::Thriftpy2);
}

#[test]
fn apache_clients_on_one_detecting_port() {
    python_clients_on_one_detecting_port(Lib::Apache);
}

/// Many Python clients at once (threads, one connection each, mixed
/// methods, every reply checked by the peer); our handler records how many
/// calls overlapped.
fn python_load_on_our_server(lib: Lib, combo: Combo) {
    const THREADS: usize = 32;
    const CALLS: usize = 200;
    let env = PeerEnv::new(lib);
    let handler = Scenario::new();
    let server = serve(combo, &handler);
    let run = env.load((combo, server.port()), THREADS, CALLS, PEER_TIMEOUT);
    run.assert_ok(&format!("{} load on our server", lib.name()), 1);
    assert!(run.checks() >= THREADS * CALLS, "{}", run.stdout);
    let calls = handler.calls.load(Ordering::SeqCst);
    assert_eq!(
        calls,
        THREADS * CALLS,
        "every call reached the handler once"
    );
    let max = handler.max_in_flight.load(Ordering::SeqCst);
    assert!(
        max >= 2,
        "calls should overlap (thread per connection): at most {max} were in flight at once"
    );
    eprintln!(
        "{} load: {calls} calls, up to {max} in flight at once",
        lib.name()
    );
}

#[test]
fn thriftpy2_load_on_our_server() {
    python_load_on_our_server(
        Lib::Thriftpy2,
        Combo {
            proto: Proto::Binary,
            trans: Trans::Buffered,
            mux: false,
        },
    );
}

#[test]
fn apache_load_on_our_server() {
    python_load_on_our_server(
        Lib::Apache,
        Combo {
            proto: Proto::Compact,
            trans: Trans::Framed,
            mux: false,
        },
    );
}

// ------------------------------------------------------------------ client

/// Collects failed checks instead of stopping at the first one.
struct Checker {
    label: String,
    checks: usize,
    failures: Vec<String>,
}

impl Checker {
    fn new(label: String) -> Checker {
        Checker {
            label,
            checks: 0,
            failures: Vec::new(),
        }
    }

    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, got: T, want: T) {
        self.checks += 1;
        if got != want {
            let mut g = format!("{got:?}");
            g.truncate(400);
            let mut w = format!("{want:?}");
            w.truncate(400);
            self.failures
                .push(format!("{}: {what}: got {g}, want {w}", self.label));
        }
    }

    /// Checks an `Ok` reply.
    fn ok<T: PartialEq + std::fmt::Debug, E: std::fmt::Display>(
        &mut self,
        what: &str,
        got: Result<T, E>,
        want: T,
    ) {
        match got {
            Ok(v) => self.eq(what, v, want),
            Err(e) => self.fail(what, format!("failed: {e}")),
        }
    }

    fn fail(&mut self, what: &str, detail: String) {
        self.checks += 1;
        self.failures
            .push(format!("{}: {what}: {detail}", self.label));
    }
}

fn primitives() -> Vec<Primitives> {
    vec![
        Primitives {
            flag: true,
            tiny: -128,
            small: 127,
            short_int: -32768,
            medium: i32::MAX,
            big: i64::MIN,
            real: f64::INFINITY,
            text: TEXT.into(),
            raw: (0..=255).collect(),
        },
        Primitives {
            flag: false,
            tiny: 0,
            small: -1,
            short_int: 32767,
            medium: i32::MIN,
            big: i64::MAX,
            real: -2.5e-300,
            text: String::new(),
            raw: Vec::new(),
        },
        Primitives {
            flag: true,
            tiny: 1,
            small: 2,
            short_int: 3,
            medium: 4,
            big: 5,
            real: std::f64::consts::PI,
            text: "plain".into(),
            raw: vec![0, 1, 2],
        },
    ]
}

fn set<T: std::hash::Hash + Eq, const N: usize>(items: [T; N]) -> HashSet<T> {
    HashSet::from(items)
}

fn containers() -> Vec<Containers> {
    let full = Containers {
        ints: vec![0, 1, -1, i32::MAX, i32::MIN],
        words: set(["a", "bb", "ccc", "", TEXT].map(String::from)),
        counts: HashMap::from([
            ("x".into(), 1),
            ("y".into(), i64::MIN),
            ("z".into(), i64::MAX),
        ]),
        cube: vec![
            vec![vec![1, 2], vec![3]],
            vec![vec![]],
            vec![],
            vec![vec![-4, 5, 6]],
        ],
        tree: HashMap::from([
            (
                "one".into(),
                HashMap::from([(1, vec!["a".into(), "b".into()]), (-1, vec![])]),
            ),
            ("empty".into(), HashMap::new()),
        ]),
        mixed: vec![
            HashMap::from([("p".into(), set([1, 2, 3])), ("q".into(), HashSet::new())]),
            HashMap::new(),
        ],
        index: HashMap::from([
            ("k".into(), vec![set([1, 2]), set([3]), HashSet::new()]),
            ("e".into(), vec![]),
        ]),
        blobs: vec![vec![], vec![0, 255], (0..=255).collect()],
        by_color: HashMap::from([
            (Color::RED, vec![1.5, -0.25]),
            (Color::BLUE, vec![]),
            (VIOLET, vec![2.25]),
        ]),
        prims: primitives(),
        ids: set([1, -1, 1 << 40]),
        chunks: HashMap::from([(1, b"abc".to_vec()), (-9, vec![]), (1 << 40, vec![0; 1000])]),
    };
    vec![full, Containers::default()]
}

fn full_record(i: i64, color: Color) -> Record {
    Record {
        id: i,
        name: format!("record {i}"),
        note: Some("a note".into()),
        color,
        rank: -(i as i32),
        aliases: Some(vec![format!("r{i}"), String::new()]),
        created: 1_700_000_000_000 + i,
        tags: vec!["t1".into(), TEXT.into()],
        payload: vec![(i % 256) as u8; 3],
        choice: Some(Choice::Text("chosen".into())),
        level: Level::HIGH,
        version: Some(Version {
            major: 3,
            minor: 4,
            tag: Some("beta".into()),
        }),
        weight: -0.5,
        greeting: "hi".into(),
        favorite: Some(VIOLET),
        pick: Some(Choice::Number(i as i32)),
    }
}

fn records() -> Vec<Record> {
    vec![
        full_record(1, Color::RED),
        full_record(2, VIOLET),
        full_record(3, Color::RED),
        Record {
            id: 4,
            name: "minimal".into(),
            ..Default::default()
        },
    ]
}

fn choices() -> Vec<Choice> {
    vec![
        Choice::Number(-7),
        Choice::Text(String::new()),
        Choice::Prims(primitives().remove(0)),
        Choice::Colors(vec![Color::GREEN, VIOLET, Color::RED]),
    ]
}

/// The scenario of `tests/peers/interop/scenario.py`, from our client.
fn run_checks<C: Channel>(client: &mut InteropClient<C>, c: &mut Checker, tag: &str) {
    c.ok(
        "getVersion",
        client.get_version(),
        Version {
            major: 1,
            minor: 2,
            tag: None,
        },
    );
    c.ok(
        "ping",
        client.ping(format!("hi {TEXT}")),
        format!("pong: hi {TEXT}"),
    );
    match client.ping(String::new()) {
        Err(BasePingError::Err(e)) => c.eq(
            "ping('')",
            e,
            SharedError {
                code: 400,
                reason: "empty".into(),
            },
        ),
        other => c.fail("ping('')", format!("{other:?}")),
    }
    for (i, p) in primitives().into_iter().enumerate() {
        c.ok(
            &format!("echoPrimitives[{i}]"),
            client.echo_primitives(p.clone()),
            p,
        );
    }
    for (i, v) in containers().into_iter().enumerate() {
        c.ok(
            &format!("echoContainers[{i}]"),
            client.echo_containers(v.clone()),
            v,
        );
    }
    for r in records() {
        c.ok(
            &format!("echoRecord[{}]", r.id),
            client.echo_record(r.clone()),
            r,
        );
    }
    for (i, ch) in choices().into_iter().enumerate() {
        c.ok(
            &format!("echoChoice[{i}]"),
            client.echo_choice(ch.clone()),
            ch,
        );
    }
    for color in [Color::RED, Color::GREEN, Color::BLUE, VIOLET] {
        c.ok(
            &format!("echoColor({})", color.0),
            client.echo_color(color),
            color,
        );
    }
    for b in [
        Vec::new(),
        (0..=255).cycle().take(1024).collect(),
        vec![0; 70000],
    ] {
        c.ok(
            &format!("echoBinary({} bytes)", b.len()),
            client.echo_binary(b.clone()),
            b,
        );
    }
    c.ok(
        "groupByColor",
        client.group_by_color(records()),
        group(records()),
    );
    c.ok(
        "groupByColor([])",
        client.group_by_color(vec![]),
        HashMap::new(),
    );
    c.ok(
        "add",
        client.add(i32::MAX, i64::MAX - i64::from(i32::MAX)),
        i64::MAX,
    );
    c.ok("add negative", client.add(-5, 3), -2);
    for (i, p) in primitives().into_iter().enumerate() {
        let got = client.pack(
            p.flag,
            p.tiny,
            p.small,
            p.short_int,
            p.medium,
            p.big,
            p.real,
            p.text.clone(),
            p.raw.clone(),
        );
        c.ok(&format!("pack[{i}]"), got, p);
    }
    c.ok(
        "makeRecord",
        client.make_record(7, "seven".into()),
        Record {
            id: 7,
            name: "seven".into(),
            ..Default::default()
        },
    );
    c.ok(
        "lookup(answer)",
        client.lookup("answer".into()),
        "42".to_owned(),
    );
    let missing = format!("missing-{tag}");
    match client.lookup(missing.clone()) {
        Err(InteropLookupError::NotFound(e)) => c.eq("lookup(missing)", e.key, missing),
        other => c.fail("lookup(missing)", format!("{other:?}")),
    }
    let key = format!("key-{tag}");
    c.ok("store", client.store(key.clone(), TEXT.into()), ());
    c.ok("lookup(stored)", client.lookup(key), TEXT.to_owned());
    match client.store(String::new(), "x".into()) {
        Err(InteropStoreError::Invalid(e)) => c.eq(
            "store('')",
            e,
            Invalid {
                code: 1,
                reason: "empty key".into(),
                fields: Some(vec!["key".into()]),
            },
        ),
        other => c.fail("store('')", format!("{other:?}")),
    }
    c.ok("check(21)", client.check(21), 42);
    match client.check(0) {
        Err(InteropCheckError::NotFound(e)) => c.eq("check(0)", e.key, "zero".to_owned()),
        other => c.fail("check(0)", format!("{other:?}")),
    }
    match client.check(-3) {
        Err(InteropCheckError::Invalid(e)) => c.eq(
            "check(-3)",
            e,
            Invalid {
                code: -3,
                reason: "negative".into(),
                fields: None,
            },
        ),
        other => c.fail("check(-3)", format!("{other:?}")),
    }
    match client.check(1001) {
        Err(InteropCheckError::SharedError(e)) => c.eq(
            "check(1001)",
            e,
            SharedError {
                code: 1001,
                reason: "too big".into(),
            },
        ),
        other => c.fail("check(1001)", format!("{other:?}")),
    }
    c.ok("reset", client.reset(), ());
    c.ok("notify", client.notify(format!("one-{tag}")), ());
    c.ok("notify", client.notify(format!("two-{tag}")), ());
    c.ok(
        "events",
        client.events(),
        vec![format!("one-{tag}"), format!("two-{tag}")],
    );
    match client.fail(format!("boom {tag}")) {
        Err(InteropFailError::Application(e)) => c.eq(
            "fail",
            e,
            ApplicationError::new(ApplicationErrorKind::InternalError, format!("boom {tag}")),
        ),
        other => c.fail("fail", format!("{other:?}")),
    }
    c.ok("work", client.work(50), 50);
    c.ok(
        "ping after errors",
        client.ping("again".into()),
        "pong: again".to_owned(),
    );
}

fn connector(combo: Combo, port: u16) -> Connector {
    Connector::new(("127.0.0.1", port))
        .expect("address")
        .protocol(protocol(combo.proto))
        .framing(framing(combo.trans))
        .read_timeout(Duration::from_secs(20))
}

/// Runs the scenario over one connection (and, when multiplexed, checks
/// the `Counter` service on the same connection).
fn check_combo(combo: Combo, port: u16, tag: &str) -> Checker {
    let label = format!("{}@{port}", combo.spec());
    check_connection(combo, label, connector(combo, port).connect(), tag)
}

/// [`check_combo`] over the connection `connected`, of either kind.
fn check_connection<S: SocketStream>(
    combo: Combo,
    label: String,
    connected: thriftc_runtime::Result<Client<S>>,
    tag: &str,
) -> Checker {
    let mut c = Checker::new(label);
    let conn = match connected {
        Ok(conn) => conn,
        Err(e) => {
            c.fail("connect", e.to_string());
            return c;
        }
    };
    if combo.mux {
        let mut conn = conn;
        {
            let mut client = InteropClient::multiplexed(&mut conn, "Interop");
            run_checks(&mut client, &mut c, tag);
        }
        let mut counter = CounterClient::new(Multiplexed::new(&mut conn, "Counter"));
        match counter.increment(0) {
            Ok(start) => {
                c.ok("Counter.increment(5)", counter.increment(5), start + 5);
                c.ok("Counter.increment(-2)", counter.increment(-2), start + 3);
            }
            Err(e) => c.fail("Counter.increment(0)", e.to_string()),
        }
        c.ok(
            "Counter.ping",
            counter.ping("c".into()),
            "pong: c".to_owned(),
        );
    } else {
        let mut client = InteropClient::new(conn);
        run_checks(&mut client, &mut c, tag);
    }
    c
}

/// Our client runs the scenario against a Python server in every
/// combination.
fn our_client_to_python_server(lib: Lib) {
    let env = PeerEnv::new(lib);
    let server = env.server(&combos());
    let mut failures = Vec::new();
    let mut checks = 0;
    for (combo, port) in server.ports.clone() {
        let c = check_combo(combo, port, &format!("{}-{port}", lib.name()));
        checks += c.checks;
        failures.extend(c.failures);
    }
    let stderr = if failures.is_empty() {
        String::new()
    } else {
        server.stop()
    };
    assert!(
        failures.is_empty(),
        "our client -> {} server: {} of {checks} checks failed:\n{}\n--- server stderr\n{stderr}",
        lib.name(),
        failures.len(),
        failures.join("\n")
    );
    assert!(checks >= 45 * combos().len(), "only {checks} checks ran");
}

#[test]
fn our_client_to_thriftpy2_server() {
    our_client_to_python_server(Lib::Thriftpy2);
}

#[test]
fn our_client_to_apache_server() {
    our_client_to_python_server(Lib::Apache);
}

// ------------------------------------------------------ Unix domain sockets

/// Serves `handler` for `combo` on a Unix domain socket in `dir`; the
/// threading mode goes round with `n` (a thread per connection, a worker
/// pool, the event-driven mode).
fn serve_unix(combo: Combo, handler: &Arc<Scenario>, dir: &std::path::Path, n: usize) -> OurServer {
    let builder = Server::builder(processor_for(combo, handler))
        .protocol(protocol(combo.proto))
        .framing(framing(combo.trans));
    let builder = match n % 3 {
        0 => builder.thread_per_connection(),
        1 => builder.worker_pool(4, 4),
        _ => builder.event_driven(2),
    };
    let handle = builder
        .bind_unix(dir.join(format!("ours-{n}.sock")))
        .expect("bind a Unix socket")
        .spawn()
        .expect("start the server");
    OurServer { handle, combo }
}

/// A Python client (its library's Unix socket transport) runs the whole
/// scenario against our servers on Unix domain sockets, in every
/// combination and every threading mode.
fn python_client_to_our_unix_server(lib: Lib) {
    let env = PeerEnv::new(lib);
    let dir = interop_common::TempDir::new("unix");
    let handler = Scenario::new();
    let servers: Vec<OurServer> = combos()
        .into_iter()
        .enumerate()
        .map(|(n, c)| serve_unix(c, &handler, dir.path(), n))
        .collect();
    let targets: Vec<(Combo, std::path::PathBuf)> = servers
        .iter()
        .map(|s| {
            let path = s.handle.endpoint().unix_path().expect("a Unix socket");
            (s.combo, path.to_path_buf())
        })
        .collect();
    let run = env.unix_client(&targets, PEER_TIMEOUT);
    run.assert_ok(
        &format!("{} client -> our server over a Unix socket", lib.name()),
        targets.len(),
    );
    assert!(run.checks() >= 70 * targets.len(), "{}", run.stdout);
    assert!(handler.calls.load(Ordering::SeqCst) >= 40 * targets.len());
    drop(servers);
    for (_, path) in &targets {
        assert!(!path.exists(), "{} outlived its server", path.display());
    }
}

#[test]
fn thriftpy2_client_to_our_unix_server() {
    python_client_to_our_unix_server(Lib::Thriftpy2);
}

#[test]
fn apache_client_to_our_unix_server() {
    python_client_to_our_unix_server(Lib::Apache);
}

/// Our client runs the scenario against a Python server on Unix domain
/// sockets in every combination.
fn our_client_to_python_unix_server(lib: Lib) {
    let env = PeerEnv::new(lib);
    let dir = interop_common::TempDir::new("unix");
    let server = env.unix_server(&combos(), dir.path());
    let mut failures = Vec::new();
    let mut checks = 0;
    for (n, (combo, path)) in server.unix.clone().into_iter().enumerate() {
        let connector = Connector::unix(&path)
            .protocol(protocol(combo.proto))
            .framing(framing(combo.trans))
            .read_timeout(Duration::from_secs(20));
        let label = format!("{}@unix:{}", combo.spec(), path.display());
        let tag = format!("{}-unix-{n}", lib.name());
        let c = check_connection(combo, label, connector.connect(), &tag);
        checks += c.checks;
        failures.extend(c.failures);
    }
    let stderr = if failures.is_empty() {
        String::new()
    } else {
        server.stop()
    };
    assert!(
        failures.is_empty(),
        "our client -> {} server over Unix sockets: {} of {checks} checks failed:\n{}\n\
         --- server stderr\n{stderr}",
        lib.name(),
        failures.len(),
        failures.join("\n")
    );
    assert!(checks >= 45 * combos().len(), "only {checks} checks ran");
}

#[test]
fn our_client_to_thriftpy2_unix_server() {
    our_client_to_python_unix_server(Lib::Thriftpy2);
}

#[test]
fn our_client_to_apache_unix_server() {
    our_client_to_python_unix_server(Lib::Apache);
}

/// Many of our clients at once against a Python server: one connection per
/// thread, every reply checked.
#[test]
fn our_clients_concurrently_to_thriftpy2_server() {
    const THREADS: usize = 16;
    const CALLS: i32 = 100;
    let env = PeerEnv::new(Lib::Thriftpy2);
    let combo = Combo {
        proto: Proto::Compact,
        trans: Trans::Buffered,
        mux: false,
    };
    let server = env.server(&[combo]);
    let connector = connector(combo, server.port(combo));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let connector = connector.clone();
            std::thread::spawn(move || -> Result<usize, String> {
                let mut client =
                    InteropClient::new(connector.connect().map_err(|e| e.to_string())?);
                for i in 0..CALLS {
                    let a = t as i32 * 1000 + i;
                    match client.add(a, 7) {
                        Ok(v) if v == i64::from(a) + 7 => {}
                        other => return Err(format!("add({a}, 7) = {other:?}")),
                    }
                    let r = full_record(i64::from(a), Color::BLUE);
                    match client.echo_record(r.clone()) {
                        Ok(v) if v == r => {}
                        other => return Err(format!("echoRecord({a}) = {other:?}")),
                    }
                }
                Ok(2 * CALLS as usize)
            })
        })
        .collect();
    let mut total = 0;
    for t in threads {
        total += t
            .join()
            .expect("client thread")
            .expect("every reply checks out");
    }
    assert_eq!(total, THREADS * 2 * CALLS as usize);
}

// ----------------------------------------------------------- async flavour

/// The scenario through the async flavour of the generated code: each
/// method answers as the blocking one does, except `work`, which waits on
/// the runtime's timer instead of holding a thread.
struct AsyncScenario(Arc<Scenario>);

impl BaseAsyncHandler for AsyncScenario {
    async fn get_version(&self) -> Result<Version, BaseGetVersionError> {
        self.0.get_version()
    }

    async fn ping(&self, msg: String) -> Result<String, BasePingError> {
        BaseHandler::ping(&*self.0, msg)
    }
}

impl InteropAsyncHandler for AsyncScenario {
    async fn echo_primitives(
        &self,
        value: Primitives,
    ) -> Result<Primitives, InteropEchoPrimitivesError> {
        self.0.echo_primitives(value)
    }

    async fn echo_containers(
        &self,
        value: Containers,
    ) -> Result<Containers, InteropEchoContainersError> {
        self.0.echo_containers(value)
    }

    async fn echo_record(&self, value: Record) -> Result<Record, InteropEchoRecordError> {
        self.0.echo_record(value)
    }

    async fn echo_choice(&self, value: Choice) -> Result<Choice, InteropEchoChoiceError> {
        self.0.echo_choice(value)
    }

    async fn echo_color(&self, value: Color) -> Result<Color, InteropEchoColorError> {
        self.0.echo_color(value)
    }

    async fn echo_binary(&self, value: Bytes) -> Result<Bytes, InteropEchoBinaryError> {
        self.0.echo_binary(value)
    }

    async fn group_by_color(
        &self,
        records: Vec<Record>,
    ) -> Result<HashMap<Color, Vec<Record>>, InteropGroupByColorError> {
        self.0.group_by_color(records)
    }

    async fn add(&self, a: i32, b: i64) -> Result<i64, InteropAddError> {
        self.0.add(a, b)
    }

    async fn pack(
        &self,
        flag: bool,
        tiny: i8,
        small: i8,
        short_int: i16,
        medium: i32,
        big: i64,
        real: f64,
        text: String,
        raw: Vec<u8>,
    ) -> Result<Primitives, InteropPackError> {
        self.0
            .pack(flag, tiny, small, short_int, medium, big, real, text, raw)
    }

    async fn make_record(&self, id: i64, name: String) -> Result<Record, InteropMakeRecordError> {
        self.0.make_record(id, name)
    }

    async fn lookup(&self, key: String) -> Result<String, InteropLookupError> {
        self.0.lookup(key)
    }

    async fn store(&self, key: String, value: String) -> Result<(), InteropStoreError> {
        self.0.store(key, value)
    }

    async fn check(&self, value: i32) -> Result<i32, InteropCheckError> {
        self.0.check(value)
    }

    async fn reset(&self) -> Result<(), InteropResetError> {
        self.0.reset()
    }

    async fn notify(&self, event: String) -> Result<(), InteropNotifyError> {
        self.0.notify(event)
    }

    async fn events(&self) -> Result<Vec<String>, InteropEventsError> {
        self.0.events()
    }

    async fn fail(&self, why: String) -> Result<i32, InteropFailError> {
        self.0.fail(why)
    }

    async fn work(&self, micros: i32) -> Result<i32, InteropWorkError> {
        let _g = self.0.enter();
        tokio::time::sleep(Duration::from_micros(micros.max(0) as u64)).await;
        Ok(micros)
    }
}

#[derive(Default)]
struct AsyncCounter(CounterImpl);

impl BaseAsyncHandler for AsyncCounter {
    async fn get_version(&self) -> Result<Version, BaseGetVersionError> {
        self.0.get_version()
    }

    async fn ping(&self, msg: String) -> Result<String, BasePingError> {
        BaseHandler::ping(&self.0, msg)
    }
}

impl CounterAsyncHandler for AsyncCounter {
    async fn increment(&self, by: i64) -> Result<i64, CounterIncrementError> {
        self.0.increment(by)
    }
}

/// A tokio runtime with two worker threads, timers and I/O.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// One of our async servers, on a runtime of its own; stopped when dropped.
struct OurAsyncServer {
    handle: AsyncServerHandle,
    combo: Combo,
    _runtime: tokio::runtime::Runtime,
}

impl OurAsyncServer {
    fn port(&self) -> u16 {
        self.handle.local_addr().port()
    }
}

impl Drop for OurAsyncServer {
    fn drop(&mut self) {
        self.handle.stop();
    }
}

/// Serves `handler` (plus a `Counter` when multiplexed) for `combo` with
/// the async server on a free port of 127.0.0.1.
fn serve_async(combo: Combo, handler: &Arc<Scenario>) -> OurAsyncServer {
    serve_async_on(combo, handler, None)
}

/// As [`serve_async`], on the Unix socket at `path` if there is one.
fn serve_async_on(
    combo: Combo,
    handler: &Arc<Scenario>,
    path: Option<std::path::PathBuf>,
) -> OurAsyncServer {
    let interop = InteropAsyncProcessor::new(AsyncScenario(handler.clone()));
    serve_async_processor(combo, Arc::new(interop), path)
}

/// Serves `interop` (plus a `Counter` when multiplexed) for `combo` with
/// the async server, on the Unix socket at `path` if there is one, else on
/// a free port of 127.0.0.1.
fn serve_async_processor(
    combo: Combo,
    interop: Arc<dyn AsyncProcessor>,
    path: Option<std::path::PathBuf>,
) -> OurAsyncServer {
    let rt = runtime();
    let processor: Arc<dyn AsyncProcessor> = if combo.mux {
        let mut mux = AsyncMultiplexed::new();
        mux.register("Interop", interop);
        mux.register(
            "Counter",
            Arc::new(CounterAsyncProcessor::new(AsyncCounter::default())),
        );
        Arc::new(mux)
    } else {
        interop
    };
    let builder = AsyncServer::builder(processor)
        .protocol(protocol(combo.proto))
        .framing(framing(combo.trans));
    let server = match path {
        Some(path) => rt.block_on(builder.bind_unix(path)),
        None => rt.block_on(builder.bind("127.0.0.1:0")),
    }
    .expect("bind");
    let handle = server.handle();
    rt.spawn(server.serve());
    OurAsyncServer {
        handle,
        combo,
        _runtime: rt,
    }
}

/// A Python client runs the whole scenario against our async server in
/// every combination.
fn python_client_to_our_async_server(lib: Lib) {
    let env = PeerEnv::new(lib);
    let handler = Scenario::new();
    let servers: Vec<OurAsyncServer> = combos()
        .into_iter()
        .map(|c| serve_async(c, &handler))
        .collect();
    let targets: Vec<(Combo, u16)> = servers.iter().map(|s| (s.combo, s.port())).collect();
    let run = env.client(&targets, PEER_TIMEOUT);
    run.assert_ok(
        &format!("{} client -> our async server", lib.name()),
        targets.len(),
    );
    assert!(run.checks() >= 70 * targets.len(), "{}", run.stdout);
    assert!(handler.calls.load(Ordering::SeqCst) >= 40 * targets.len());
}

#[test]
fn thriftpy2_client_to_our_async_server() {
    python_client_to_our_async_server(Lib::Thriftpy2);
}

#[test]
fn apache_client_to_our_async_server() {
    python_client_to_our_async_server(Lib::Apache);
}

/// A Python client (its library's Unix socket transport) runs the whole
/// scenario against our async servers on Unix domain sockets, in every
/// combination.
fn python_client_to_our_async_unix_server(lib: Lib) {
    let env = PeerEnv::new(lib);
    let dir = interop_common::TempDir::new("aunix");
    let handler = Scenario::new();
    let servers: Vec<OurAsyncServer> = combos()
        .into_iter()
        .enumerate()
        .map(|(n, c)| serve_async_on(c, &handler, Some(dir.path().join(format!("ours-{n}.sock")))))
        .collect();
    let targets: Vec<(Combo, std::path::PathBuf)> = servers
        .iter()
        .map(|s| {
            let path = s.handle.endpoint().unix_path().expect("a Unix socket");
            (s.combo, path.to_path_buf())
        })
        .collect();
    let run = env.unix_client(&targets, PEER_TIMEOUT);
    run.assert_ok(
        &format!(
            "{} client -> our async server over a Unix socket",
            lib.name()
        ),
        targets.len(),
    );
    assert!(run.checks() >= 70 * targets.len(), "{}", run.stdout);
    assert!(handler.calls.load(Ordering::SeqCst) >= 40 * targets.len());
    for server in &servers {
        server.handle.stop();
    }
    for (_, path) in &targets {
        let gone = (0..500).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            !path.exists()
        });
        assert!(gone, "{} outlived its server", path.display());
    }
}

#[test]
fn thriftpy2_client_to_our_async_unix_server() {
    python_client_to_our_async_unix_server(Lib::Thriftpy2);
}

#[test]
fn apache_client_to_our_async_unix_server() {
    python_client_to_our_async_unix_server(Lib::Apache);
}

/// Our async client, a `SharedClient` connection, runs the scenario
/// against a Python server on Unix domain sockets in every combination.
fn our_shared_client_to_python_unix_server(lib: Lib) {
    let env = PeerEnv::new(lib);
    let dir = interop_common::TempDir::new("aunix");
    let server = env.unix_server(&combos(), dir.path());
    let rt = runtime();
    let mut failures = Vec::new();
    let mut checks = 0;
    for (combo, path) in server.unix.clone() {
        let connector = Connector::unix(&path)
            .protocol(protocol(combo.proto))
            .framing(framing(combo.trans))
            .read_timeout(Duration::from_secs(20));
        let mut c = Checker::new(format!("shared {}@unix:{}", combo.spec(), path.display()));
        rt.block_on(async {
            let shared = connector.connect_shared().await;
            check_shared_connection(combo, shared, &mut c).await;
        });
        checks += c.checks;
        failures.extend(c.failures);
    }
    let stderr = if failures.is_empty() {
        String::new()
    } else {
        server.stop()
    };
    assert!(
        failures.is_empty(),
        "our shared client -> {} server over Unix sockets: {} of {checks} checks failed:\n{}\n\
         --- server stderr\n{stderr}",
        lib.name(),
        failures.len(),
        failures.join("\n")
    );
    assert!(checks >= 20 * combos().len(), "only {checks} checks ran");
}

#[test]
fn our_shared_client_to_thriftpy2_unix_server() {
    our_shared_client_to_python_unix_server(Lib::Thriftpy2);
}

#[test]
fn our_shared_client_to_apache_unix_server() {
    our_shared_client_to_python_unix_server(Lib::Apache);
}

/// Our async server telling each connection's protocol and framing from
/// its first bytes: the Python client runs the whole scenario in the four
/// plain combinations against its one port.
fn python_clients_on_one_detecting_async_port(lib: Lib) {
    let env = PeerEnv::new(lib);
    let handler = Scenario::new();
    let rt = runtime();
    let server = rt
        .block_on(
            AsyncServer::builder(InteropAsyncProcessor::new(AsyncScenario(handler.clone())))
                .detect_protocol(true)
                .bind("127.0.0.1:0"),
        )
        .expect("bind a free port");
    let server = OurAsyncServer {
        handle: server.handle(),
        combo: Combo::all()[0],
        _runtime: {
            rt.spawn(server.serve());
            rt
        },
    };
    scenario_on_one_port(&env, &handler, server.port(), "one detecting async server");
}

#[test]
fn thriftpy2_clients_on_one_detecting_async_port() {
    python_clients_on_one_detecting_async_port(Lib::Thriftpy2);
}

#[test]
fn apache_clients_on_one_detecting_async_port() {
    python_clients_on_one_detecting_async_port(Lib::Apache);
}

/// Many Python clients at once against our async server; calls overlap on
/// two runtime threads.
#[test]
fn thriftpy2_load_on_our_async_server() {
    const THREADS: usize = 32;
    const CALLS: usize = 200;
    let combo = Combo {
        proto: Proto::Binary,
        trans: Trans::Framed,
        mux: false,
    };
    let env = PeerEnv::new(Lib::Thriftpy2);
    let handler = Scenario::new();
    let server = serve_async(combo, &handler);
    let run = env.load((combo, server.port()), THREADS, CALLS, PEER_TIMEOUT);
    run.assert_ok("thriftpy2 load on our async server", 1);
    assert!(run.checks() >= THREADS * CALLS, "{}", run.stdout);
    assert_eq!(
        handler.calls.load(Ordering::SeqCst),
        THREADS * CALLS,
        "every call reached the handler once"
    );
    let max = handler.max_in_flight.load(Ordering::SeqCst);
    assert!(
        max >= 2,
        "calls should overlap: at most {max} were in flight at once"
    );
}

/// Our async client against a Python server, every combination: a value of
/// each kind the scenario has, each way a call can end, and many calls at
/// once on connections of their own.
fn our_async_client_to_python_server(lib: Lib) {
    let env = PeerEnv::new(lib);
    let server = env.server(&combos());
    let rt = runtime();
    let mut failures = Vec::new();
    let mut checks = 0;
    for (combo, port) in server.ports.clone() {
        let c = rt.block_on(check_combo_async(combo, port));
        checks += c.checks;
        failures.extend(c.failures);
    }
    let stderr = if failures.is_empty() {
        String::new()
    } else {
        server.stop()
    };
    assert!(
        failures.is_empty(),
        "our async client -> {} server: {} of {checks} checks failed:\n{}\n--- server stderr\n{stderr}",
        lib.name(),
        failures.len(),
        failures.join("\n")
    );
    assert!(checks >= 20 * combos().len(), "only {checks} checks ran");
}

async fn check_combo_async(combo: Combo, port: u16) -> Checker {
    let mut c = Checker::new(format!("async {}@{port}", combo.spec()));
    let connect = || async { connector(combo, port).connect_async().await };
    let conn = match connect().await {
        Ok(conn) => conn,
        Err(e) => {
            c.fail("connect", e.to_string());
            return c;
        }
    };
    if combo.mux {
        let mut conn = conn;
        let mut client = InteropAsyncClient::multiplexed(&mut conn, "Interop");
        run_checks_async(&mut client, &mut c).await;
        let mut counter = CounterAsyncClient::multiplexed(&mut conn, "Counter");
        match counter.increment(0).await {
            Ok(start) => c.ok(
                "Counter.increment(5)",
                counter.increment(5).await,
                start + 5,
            ),
            Err(e) => c.fail("Counter.increment(0)", e.to_string()),
        }
    } else {
        run_checks_async(&mut InteropAsyncClient::new(conn), &mut c).await;
        // Clients at once, a connection each, as tasks of one runtime.
        let tasks: Vec<_> = (0..8)
            .map(|t| {
                tokio::spawn(async move {
                    let conn = connector(combo, port).connect_async().await;
                    let mut client = InteropAsyncClient::new(conn.map_err(|e| e.to_string())?);
                    adds_through(t, &mut client).await
                })
            })
            .collect();
        for (t, task) in tasks.into_iter().enumerate() {
            match task.await {
                Ok(r) => c.ok(&format!("client task {t}"), r, ()),
                Err(e) => c.fail(&format!("client task {t}"), e.to_string()),
            }
        }
    }
    let shared = connector(combo, port).connect_shared().await;
    check_shared_connection(combo, shared, &mut c).await;
    c
}

/// One `SharedClient` connection (`shared`, as connected): the whole
/// scenario through it, then tasks calling through it at once (their
/// requests pipelined).
async fn check_shared_connection(
    combo: Combo,
    shared: thriftc_runtime::Result<thriftc_runtime::tokio::SharedClient>,
    c: &mut Checker,
) {
    let shared = match shared {
        Ok(shared) => shared,
        Err(e) => return c.fail("connect a shared client", e.to_string()),
    };
    if combo.mux {
        run_checks_async(&mut InteropAsyncClient::multiplexed(&shared, "Interop"), c).await;
    } else {
        run_checks_async(&mut InteropAsyncClient::new(&shared), c).await;
    }
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let shared = shared.clone();
            tokio::spawn(async move {
                if combo.mux {
                    adds_through(t, &mut InteropAsyncClient::multiplexed(shared, "Interop")).await
                } else {
                    adds_through(t, &mut InteropAsyncClient::new(shared)).await
                }
            })
        })
        .collect();
    for (t, task) in tasks.into_iter().enumerate() {
        match task.await {
            Ok(r) => c.ok(&format!("shared connection task {t}"), r, ()),
            Err(e) => c.fail(&format!("shared connection task {t}"), e.to_string()),
        }
    }
    c.ok(
        "the shared connection is usable",
        Ok::<_, String>(shared.is_usable()),
        true,
    );
}

/// 25 calls of `add` through `client`, each result checked.
async fn adds_through<C: thriftc_runtime::tokio::AsyncChannel>(
    t: i32,
    client: &mut InteropAsyncClient<C>,
) -> Result<(), String> {
    for i in 0..25 {
        let a = t * 1000 + i;
        match client.add(a, 7).await {
            Ok(v) if v == i64::from(a) + 7 => {}
            other => return Err(format!("add({a}, 7) = {other:?}")),
        }
    }
    Ok(())
}

/// A value of each kind `run_checks` covers, through the async client.
async fn run_checks_async<C: thriftc_runtime::tokio::AsyncChannel>(
    client: &mut InteropAsyncClient<C>,
    c: &mut Checker,
) {
    for p in primitives() {
        c.ok("echoPrimitives", client.echo_primitives(p.clone()).await, p);
    }
    for v in containers() {
        c.ok("echoContainers", client.echo_containers(v.clone()).await, v);
    }
    for r in records() {
        c.ok("echoRecord", client.echo_record(r.clone()).await, r);
    }
    for v in choices() {
        c.ok("echoChoice", client.echo_choice(v.clone()).await, v);
    }
    c.ok("echoColor(VIOLET)", client.echo_color(VIOLET).await, VIOLET);
    let raw: Vec<u8> = (0..=255).cycle().take(70000).collect();
    c.ok("echoBinary", client.echo_binary(raw.clone()).await, raw);
    c.ok("add", client.add(-5, 1 << 40).await, (1i64 << 40) - 5);
    c.ok(
        "ping",
        client.ping(TEXT.to_owned()).await,
        format!("pong: {TEXT}"),
    );
    match client.ping(String::new()).await {
        Err(BasePingError::Err(e)) => c.eq("ping('') code", e.code, 400),
        other => c.fail("ping('')", format!("{other:?}")),
    }
    match client.fail("why".into()).await {
        Err(InteropFailError::Application(e)) => c.eq(
            "fail",
            e,
            ApplicationError::new(ApplicationErrorKind::InternalError, "why"),
        ),
        other => c.fail("fail", format!("{other:?}")),
    }
    // A oneway call, then a call on the same connection that sees it.
    let event = format!("async-{}", c.label);
    c.ok("notify", client.notify(event.clone()).await, ());
    match client.events().await {
        Ok(events) => c.eq("events has the notified one", events.contains(&event), true),
        Err(e) => c.fail("events", e.to_string()),
    }
}

#[test]
fn our_async_client_to_thriftpy2_server() {
    our_async_client_to_python_server(Lib::Thriftpy2);
}

#[test]
fn our_async_client_to_apache_server() {
    our_async_client_to_python_server(Lib::Apache);
}

// ------------------------------------------------------------ view flavours

/// The scenario through the view flavours of the generated code (option
/// `views`: `Interop.echoRecord`, `Interop.echoContainers`, `Interop.lookup`
/// and `Interop.notify` take views of the request), blocking and async: the
/// methods with views answer as the owned ones do, borrowing where they can,
/// and count their calls in `views`; the others are the scenario's. The
/// view traits extend `Base`'s owned traits (none of its methods is
/// selected), so `Base`'s owned processors serve its methods.
struct ViewScenario {
    owned: Arc<Scenario>,
    views: AtomicUsize,
}

impl ViewScenario {
    fn new(owned: &Arc<Scenario>) -> Arc<ViewScenario> {
        Arc::new(ViewScenario {
            owned: owned.clone(),
            views: AtomicUsize::new(0),
        })
    }

    /// A call of a method with views: counted as the scenario counts its
    /// calls, and in `views`.
    fn enter(&self) -> InFlight<'_> {
        self.views.fetch_add(1, Ordering::SeqCst);
        self.owned.enter()
    }

    fn lookup<'a>(&self, key: &'a str) -> Result<CowView<String, &'a str>, InteropLookupError> {
        let _g = self.enter();
        match self.owned.kv.lock().unwrap().get(key) {
            Some(v) => Ok(CowView::Owned(v.clone())),
            None => Err(NotFound { key: key.into() }.into()),
        }
    }

    fn notify(&self, event: &str) -> Result<(), InteropNotifyError> {
        let _g = self.enter();
        self.owned.log.lock().unwrap().push(event.to_owned());
        Ok(())
    }
}

/// The methods a view trait keeps owned, answered by the scenario:
/// `sync` or `async` fns, calling them through `$trait`.
macro_rules! owned_methods {
    (@one sync $trait:ident $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        #[allow(clippy::too_many_arguments)]
        fn $name(&self, $($arg: $ty),*) -> $ret {
            $trait::$name(&*self.owned, $($arg),*)
        }
    };
    (@one async $trait:ident $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        #[allow(clippy::too_many_arguments)]
        async fn $name(&self, $($arg: $ty),*) -> $ret {
            $trait::$name(&*self.owned, $($arg),*)
        }
    };
    ($mode:ident $trait:ident; $($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(owned_methods!(@one $mode $trait $name($($arg: $ty),*) -> $ret);)*
    };
}

/// The `Interop` methods both view traits keep owned (all but `work`,
/// which the async one answers on the runtime's timer).
macro_rules! owned_interop_methods {
    ($mode:ident) => {
        owned_methods!($mode InteropHandler;
            echo_primitives(value: Primitives) -> Result<Primitives, InteropEchoPrimitivesError>;
            echo_choice(value: Choice) -> Result<Choice, InteropEchoChoiceError>;
            echo_color(value: Color) -> Result<Color, InteropEchoColorError>;
            echo_binary(value: Bytes) -> Result<Bytes, InteropEchoBinaryError>;
            group_by_color(records: Vec<Record>)
                -> Result<HashMap<Color, Vec<Record>>, InteropGroupByColorError>;
            add(a: i32, b: i64) -> Result<i64, InteropAddError>;
            make_record(id: i64, name: String) -> Result<Record, InteropMakeRecordError>;
            store(key: String, value: String) -> Result<(), InteropStoreError>;
            check(value: i32) -> Result<i32, InteropCheckError>;
            reset() -> Result<(), InteropResetError>;
            events() -> Result<Vec<String>, InteropEventsError>;
            fail(why: String) -> Result<i32, InteropFailError>;
            pack(flag: bool, tiny: i8, small: i8, short_int: i16, medium: i32, big: i64,
                 real: f64, text: String, raw: Vec<u8>) -> Result<Primitives, InteropPackError>;
        );
    };
}

impl BaseHandler for ViewScenario {
    owned_methods!(sync BaseHandler;
        get_version() -> Result<Version, BaseGetVersionError>;
        ping(msg: String) -> Result<String, BasePingError>;
    );
}

impl InteropViewHandler for ViewScenario {
    fn echo_containers<'a>(
        &self,
        value: ContainersRef<'a>,
    ) -> Result<CowView<Containers, ContainersRef<'a>>, InteropEchoContainersError> {
        let _g = self.enter();
        Ok(CowView::Borrowed(value))
    }

    fn echo_record<'a>(
        &self,
        value: RecordRef<'a>,
    ) -> Result<CowView<Record, RecordRef<'a>>, InteropEchoRecordError> {
        let _g = self.enter();
        Ok(CowView::Borrowed(value))
    }

    owned_interop_methods!(sync);
    owned_methods!(sync InteropHandler; work(micros: i32) -> Result<i32, InteropWorkError>;);

    fn lookup<'a>(&self, key: &'a str) -> Result<CowView<String, &'a str>, InteropLookupError> {
        ViewScenario::lookup(self, key)
    }

    fn notify(&self, event: &str) -> Result<(), InteropNotifyError> {
        ViewScenario::notify(self, event)
    }
}

/// The async view flavour of the same.
struct AsyncViewScenario(Arc<ViewScenario>);

impl std::ops::Deref for AsyncViewScenario {
    type Target = ViewScenario;

    fn deref(&self) -> &ViewScenario {
        &self.0
    }
}

impl BaseAsyncHandler for AsyncViewScenario {
    owned_methods!(async BaseHandler;
        get_version() -> Result<Version, BaseGetVersionError>;
        ping(msg: String) -> Result<String, BasePingError>;
    );
}

impl InteropAsyncViewHandler for AsyncViewScenario {
    owned_interop_methods!(async);

    async fn echo_containers<'a>(
        &self,
        value: ContainersRef<'a>,
    ) -> Result<CowView<Containers, ContainersRef<'a>>, InteropEchoContainersError> {
        // A handler may await while it holds the views.
        tokio::task::yield_now().await;
        InteropViewHandler::echo_containers(&*self.0, value)
    }

    async fn echo_record<'a>(
        &self,
        value: RecordRef<'a>,
    ) -> Result<CowView<Record, RecordRef<'a>>, InteropEchoRecordError> {
        tokio::task::yield_now().await;
        InteropViewHandler::echo_record(&*self.0, value)
    }

    async fn lookup<'a>(
        &self,
        key: &'a str,
    ) -> Result<CowView<String, &'a str>, InteropLookupError> {
        ViewScenario::lookup(self, key)
    }

    async fn notify(&self, event: &str) -> Result<(), InteropNotifyError> {
        ViewScenario::notify(self, event)
    }

    async fn work(&self, micros: i32) -> Result<i32, InteropWorkError> {
        let _g = self.owned.enter();
        tokio::time::sleep(Duration::from_micros(micros.max(0) as u64)).await;
        Ok(micros)
    }
}

/// A Python client runs the whole scenario against our view servers,
/// blocking and async, in every combination (multiplexed beside an owned
/// `Counter` processor); the methods with views must have served calls.
fn python_client_to_our_view_servers(lib: Lib) {
    let env = PeerEnv::new(lib);
    let handler = Scenario::new();
    let views = ViewScenario::new(&handler);
    let mut blocking = Vec::new();
    let mut asynchronous = Vec::new();
    for combo in combos() {
        let interop = InteropViewProcessor::from_arc(views.clone());
        blocking.push(serve_processor(
            combo,
            with_counter(combo, Arc::new(interop)),
        ));
        let interop = InteropAsyncViewProcessor::new(AsyncViewScenario(views.clone()));
        asynchronous.push(serve_async_processor(combo, Arc::new(interop), None));
    }
    let targets: Vec<(Combo, u16)> = blocking
        .iter()
        .map(|s| (s.combo, s.port()))
        .chain(asynchronous.iter().map(|s| (s.combo, s.port())))
        .collect();
    let run = env.client(&targets, PEER_TIMEOUT);
    run.assert_ok(
        &format!("{} client -> our view servers", lib.name()),
        targets.len(),
    );
    assert!(run.checks() >= 70 * targets.len(), "{}", run.stdout);
    assert!(handler.calls.load(Ordering::SeqCst) >= 40 * targets.len());
    // Each target sends several records, containers and lookups.
    assert!(
        views.views.load(Ordering::SeqCst) >= 5 * targets.len(),
        "the methods with views served {} calls",
        views.views.load(Ordering::SeqCst)
    );
}

#[test]
fn thriftpy2_client_to_our_view_servers() {
    python_client_to_our_view_servers(Lib::Thriftpy2);
}

#[test]
fn apache_client_to_our_view_servers() {
    python_client_to_our_view_servers(Lib::Apache);
}
