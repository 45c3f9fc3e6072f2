//! Generated services between our own client and server
//! (`fixtures/services/edge.thrift`, compiled from its golden files):
//!
//! - values the Python peers cannot carry (uuid, sets of structs,
//!   struct-keyed maps), over every protocol and transport, and their
//!   argument and result structs against the bytes the specs give;
//! - methods and arguments named after Rust keywords, names that collide
//!   after case conversion, an exception type declared twice;
//! - handler and request faults: unknown method, panicking handler, oneway
//!   panic, undeclared error, declared exception, shutdown with calls in
//!   flight, pipelined requests; and `extends` within a file.

#![deny(warnings)]

// Generated code: rustfmt must not reformat the golden files.
#[rustfmt::skip]
#[path = "../golden/services/services_edge/mod.rs"]
#[allow(dead_code)] // the generated API is broader than these tests
mod idl;

use idl::edge::*;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex, Once, mpsc};
use std::time::{Duration, Instant};
use thriftc_runtime::client::{Channel, Client, Connector};
use thriftc_runtime::processor::Processor;
use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolRead, ProtocolWrite};
use thriftc_runtime::server::{Server, ServerHandle, ServerProcessor};
use thriftc_runtime::{
    ApplicationError, ApplicationErrorKind, BinaryProtocol, CompactProtocol, Decode, Encode, Error,
    Framing, Limits, ProtocolKind, TransportError, TransportErrorKind, Uuid,
};

/// Panics the tests cause on purpose carry this text; the panic hook stays
/// quiet about them (and only them).
const DELIBERATE: &str = "deliberate test panic";

fn quiet_deliberate_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            if !msg.contains(DELIBERATE) {
                default(info);
            }
        }));
    });
}

/// A server stopped when dropped.
struct Running(ServerHandle);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.stop();
    }
}

impl Running {
    fn port(&self) -> u16 {
        self.0.local_addr().port()
    }
}

fn serve(processor: impl ServerProcessor, protocol: ProtocolKind, framing: Framing) -> Running {
    let handle = Server::builder(processor)
        .protocol(protocol)
        .framing(framing)
        .drain_timeout(Duration::from_secs(5))
        .bind("127.0.0.1:0")
        .expect("bind a free port")
        .spawn()
        .expect("start the server");
    Running(handle)
}

fn connect(port: u16, protocol: ProtocolKind, framing: Framing) -> Client {
    Connector::new(("127.0.0.1", port))
        .expect("address")
        .protocol(protocol)
        .framing(framing)
        .read_timeout(Duration::from_secs(10))
        .connect()
        .expect("connect")
}

const COMBOS: [(ProtocolKind, Framing); 4] = [
    (ProtocolKind::Binary, Framing::Buffered),
    (ProtocolKind::Binary, Framing::Framed),
    (ProtocolKind::Compact, Framing::Buffered),
    (ProtocolKind::Compact, Framing::Framed),
];

// ------------------------------------------------------------------ Shapes

struct ShapesImpl;

impl ShapesHandler for ShapesImpl {
    fn echo_uuid(&self, id: Uuid) -> Result<Uuid, ShapesEchoUuidError> {
        Ok(id)
    }

    fn shift(
        &self,
        points: HashSet<Point>,
        dx: i32,
        dy: i32,
    ) -> Result<HashSet<Point>, ShapesShiftError> {
        Ok(points
            .into_iter()
            .map(|p| Point {
                x: p.x + dx,
                y: p.y + dy,
            })
            .collect())
    }

    fn invert(
        &self,
        names: HashMap<String, Point>,
    ) -> Result<HashMap<Point, String>, ShapesInvertError> {
        Ok(names.into_iter().map(|(k, v)| (v, k)).collect())
    }

    fn nest(
        &self,
        value: Vec<HashMap<Point, HashSet<Point>>>,
    ) -> Result<Vec<HashMap<Point, HashSet<Point>>>, ShapesNestError> {
        Ok(value)
    }
}

// ------------------------------------------------------- Wrapping calls

thread_local! {
    /// The method of the call a [`Scoped`] processor is running on this
    /// thread, as a tracing span's `entered()` guard would hold it.
    static IN_CALL: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Middleware as a user writes it: a processor that runs the one it wraps
/// inside its own code (here a scope the handler can see, and a log of the
/// methods), and that the server takes as it takes a generated one.
struct Scoped<P> {
    inner: P,
    seen: Arc<Mutex<Vec<String>>>,
}

impl<I, O, P> Processor<I, O> for Scoped<P>
where
    I: ProtocolRead + ?Sized,
    O: ProtocolWrite + ?Sized,
    P: Processor<I, O>,
{
    fn process(&self, header: &MessageHeader, input: &mut I, output: &mut O) -> Result<(), Error> {
        IN_CALL.with(|c| *c.borrow_mut() = Some(header.name.clone()));
        let result = self.inner.process(header, input, output);
        IN_CALL.with(|c| *c.borrow_mut() = None);
        self.seen.lock().unwrap().push(header.name.clone());
        result
    }
}

/// Answers `echoUuid` only from inside a [`Scoped`] call of that name.
struct NeedsScope;

impl ShapesHandler for NeedsScope {
    fn echo_uuid(&self, id: Uuid) -> Result<Uuid, ShapesEchoUuidError> {
        match IN_CALL.with(|c| c.borrow().clone()) {
            Some(method) if method == "echoUuid" => Ok(id),
            other => Err(ApplicationError::new(
                ApplicationErrorKind::InternalError,
                format!("the handler ran outside the wrapper's scope ({other:?})"),
            )
            .into()),
        }
    }

    fn shift(
        &self,
        points: HashSet<Point>,
        dx: i32,
        dy: i32,
    ) -> Result<HashSet<Point>, ShapesShiftError> {
        ShapesImpl.shift(points, dx, dy)
    }

    fn invert(
        &self,
        names: HashMap<String, Point>,
    ) -> Result<HashMap<Point, String>, ShapesInvertError> {
        ShapesImpl.invert(names)
    }

    fn nest(
        &self,
        value: Vec<HashMap<Point, HashSet<Point>>>,
    ) -> Result<Vec<HashMap<Point, HashSet<Point>>>, ShapesNestError> {
        ShapesImpl.nest(value)
    }
}

/// A processor wrapped in one's own runs around every call, with the
/// handler inside it (what a tracing span needs, which the observer's
/// callbacks cannot give), in every protocol and framing.
#[test]
fn a_wrapping_processor_encloses_each_handler_call() {
    for (protocol, framing) in COMBOS {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let wrapped = Scoped {
            inner: ShapesProcessor::new(NeedsScope),
            seen: Arc::clone(&seen),
        };
        let server = serve(wrapped, protocol, framing);
        let mut client = ShapesClient::new(connect(server.port(), protocol, framing));
        let id = Uuid([7; 16]);
        assert_eq!(
            client.echo_uuid(id).unwrap(),
            id,
            "{protocol:?} {framing:?}"
        );
        assert_eq!(client.shift(HashSet::new(), 1, 1).unwrap(), HashSet::new());
        assert_eq!(client.echo_uuid(id).unwrap(), id);
        drop(client);
        drop(server);
        assert_eq!(*seen.lock().unwrap(), ["echoUuid", "shift", "echoUuid"]);
    }
}

fn pt(x: i32, y: i32) -> Point {
    Point { x, y }
}

#[test]
fn uuid_struct_sets_and_struct_keys_round_trip() {
    for (protocol, framing) in COMBOS {
        let server = serve(ShapesProcessor::new(ShapesImpl), protocol, framing);
        let mut client = ShapesClient::new(connect(server.port(), protocol, framing));
        let id = Uuid([
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ]);
        assert_eq!(client.echo_uuid(id).unwrap(), id);
        let points = HashSet::from([pt(0, 0), pt(1, -1), pt(i32::MAX - 1, 5)]);
        assert_eq!(
            client.shift(points, 1, 2).unwrap(),
            HashSet::from([pt(1, 2), pt(2, 1), pt(i32::MAX, 7)])
        );
        let names = HashMap::from([("a".to_owned(), pt(1, 2)), ("b".to_owned(), pt(3, 4))]);
        assert_eq!(
            client.invert(names).unwrap(),
            HashMap::from([(pt(1, 2), "a".to_owned()), (pt(3, 4), "b".to_owned())])
        );
        let nested = vec![
            HashMap::from([
                (pt(0, 0), HashSet::from([pt(1, 1), pt(2, 2)])),
                (pt(5, 5), HashSet::new()),
            ]),
            HashMap::new(),
        ];
        assert_eq!(client.nest(nested.clone()).unwrap(), nested);
    }
}

#[test]
fn generated_clients_call_through_pooled_connections() {
    // A pooled connection is a channel: the typed client wraps the guard,
    // and dropping the client gives the connection back for the next one.
    let (protocol, framing) = (ProtocolKind::Compact, Framing::Framed);
    let server = serve(ShapesProcessor::new(ShapesImpl), protocol, framing);
    let pool = thriftc_runtime::Pool::new(
        Connector::new(("127.0.0.1", server.port()))
            .expect("address")
            .protocol(protocol)
            .framing(framing),
    );
    let id = Uuid([7; 16]);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let mut client = ShapesClient::new(pool.get().expect("a connection"));
        assert_eq!(client.echo_uuid(id).unwrap(), id);
        seen.push(client.inner().stream().local_addr().unwrap());
    }
    seen.dedup();
    assert_eq!(seen.len(), 1, "one connection, reused: {seen:?}");
    assert_eq!(pool.idle(), 1);
}

fn binary<T: Encode>(v: &T) -> Vec<u8> {
    let mut p = BinaryProtocol::new(Vec::new(), Limits::default());
    v.encode(&mut p).unwrap();
    p.into_inner()
}

fn compact<T: Encode>(v: &T) -> Vec<u8> {
    let mut p = CompactProtocol::new(Vec::new(), Limits::default());
    v.encode(&mut p).unwrap();
    p.into_inner()
}

/// The argument and result structs carry these types exactly as the
/// binary and compact protocol specs lay them out.
#[test]
fn argument_and_result_structs_match_the_spec_bytes() {
    let raw: [u8; 16] = core::array::from_fn(|i| i as u8 * 17);
    let args = ShapesEchoUuidArgs { id: Uuid(raw) };
    // Binary: field header = type (UUID 16), id (i16 BE); then 16 bytes; STOP.
    let mut want = vec![0x10, 0x00, 0x01];
    want.extend_from_slice(&raw);
    want.push(0x00);
    assert_eq!(binary(&args), want);
    // Compact: field header = id delta 1 << 4 | type (UUID 13); 16 bytes; STOP.
    let mut want = vec![0x1d];
    want.extend_from_slice(&raw);
    want.push(0x00);
    assert_eq!(compact(&args), want);
    assert_eq!(
        ShapesEchoUuidArgs::decode(&mut BinaryProtocol::new(
            &binary(&args)[..],
            Limits::default()
        ))
        .unwrap(),
        args
    );

    // A set of one struct, then two i32 arguments.
    let args = ShapesShiftArgs {
        points: HashSet::from([pt(1, -1)]),
        dx: 2,
        dy: 3,
    };
    let point = [
        0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, // 1: i32 x = 1
        0x08, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, // 2: i32 y = -1
        0x00, // STOP
    ];
    let mut want = vec![0x0e, 0x00, 0x01, 0x0c, 0x00, 0x00, 0x00, 0x01];
    want.extend_from_slice(&point);
    want.extend_from_slice(&[0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02]);
    want.extend_from_slice(&[0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x03, 0x00]);
    assert_eq!(binary(&args), want);
    // Compact: set header = size 1 << 4 | element type (STRUCT 12);
    // zigzag varints for the i32s.
    let want = [
        0x1a, 0x1c, // 1: set<struct>, 1 element
        0x15, 0x02, 0x15, 0x01, 0x00, // Point { x: 1, y: -1 }
        0x15, 0x04, // 2: dx = 2
        0x15, 0x06, // 3: dy = 3
        0x00,
    ];
    assert_eq!(compact(&args), want);

    // A result whose success is a struct-keyed map.
    let result = ShapesInvertResult {
        success: Some(HashMap::from([(pt(1, -1), "a".to_owned())])),
    };
    let mut want = vec![0x0d, 0x00, 0x00, 0x0c, 0x0b, 0x00, 0x00, 0x00, 0x01];
    want.extend_from_slice(&point);
    want.extend_from_slice(&[0x00, 0x00, 0x00, 0x01, b'a', 0x00]);
    assert_eq!(binary(&result), want);
    let decoded =
        ShapesInvertResult::decode(&mut BinaryProtocol::new(&want[..], Limits::default())).unwrap();
    assert_eq!(decoded, result);
}

// ---------------------------------------------------------------- Keywords

#[derive(Default)]
struct KeywordsImpl {
    log: Mutex<Vec<String>>,
}

impl KeywordsHandler for KeywordsImpl {
    fn r#type(&self, r#match: i32, r#fn: i32) -> Result<i32, KeywordsTypeError> {
        Ok(r#match * r#fn)
    }

    fn foo_bar(&self) -> Result<(), KeywordsFooBarError> {
        self.log.lock().unwrap().push("fooBar".into());
        Ok(())
    }

    fn foo_bar2(&self) -> Result<(), KeywordsFooBar2Error> {
        self.log.lock().unwrap().push("foo_bar".into());
        Ok(())
    }

    fn new(&self, r#loop: i32) -> Result<i32, KeywordsNewError> {
        Ok(r#loop + 1)
    }

    fn twice(&self, which: i32) -> Result<i32, KeywordsTwiceError> {
        match which {
            1 => Err(KeywordsTwiceError::First(Oops { why: "one".into() })),
            2 => Err(KeywordsTwiceError::Second(Oops { why: "two".into() })),
            n => Ok(n),
        }
    }

    fn r#async(&self, r#await: String) -> Result<(), KeywordsAsyncError> {
        self.log.lock().unwrap().push(r#await);
        Ok(())
    }
}

#[test]
fn keyword_and_colliding_names_work_end_to_end() {
    let handler = Arc::new(KeywordsImpl::default());
    let server = serve(
        KeywordsProcessor::from_arc(handler.clone()),
        ProtocolKind::Compact,
        Framing::Framed,
    );
    let mut client = KeywordsClient::new(connect(
        server.port(),
        ProtocolKind::Compact,
        Framing::Framed,
    ));
    assert_eq!(client.r#type(6, 7).unwrap(), 42);
    // `new` clashes with the client's constructor: the method is `new2`.
    assert_eq!(client.new2(41).unwrap(), 42);
    client.r#async("oneway".into()).unwrap();
    client.foo_bar().unwrap();
    client.foo_bar2().unwrap();
    assert_eq!(
        *handler.log.lock().unwrap(),
        ["oneway", "fooBar", "foo_bar"]
    );
    // The same exception type under two names stays two variants.
    match client.twice(1) {
        Err(KeywordsTwiceError::First(e)) => assert_eq!(e.why, "one"),
        other => panic!("{other:?}"),
    }
    match client.twice(2) {
        Err(KeywordsTwiceError::Second(e)) => assert_eq!(e.why, "two"),
        other => panic!("{other:?}"),
    }
    assert_eq!(client.twice(3).unwrap(), 3);
    // `Oops` is annotated `(message = "why")`: its `Display` is that field,
    // and the error enum's names the `throws` field too.
    let e = client.twice(2).unwrap_err();
    assert_eq!(e.to_string(), "second: Oops: two");
    // A failed call says its I/O error once along the chain of sources
    // (as `anyhow`'s `{:#}` prints it), though it keeps the error.
    let io = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
    let rpc = KeywordsTwiceError::Rpc(thriftc_runtime::Error::from(io));
    let mut chain = vec![rpc.to_string()];
    let mut next = std::error::Error::source(&rpc);
    while let Some(e) = next {
        chain.push(e.to_string());
        next = e.source();
    }
    assert_eq!(chain, ["transport error (NotOpen): connection reset"]);
    match rpc {
        KeywordsTwiceError::Rpc(thriftc_runtime::Error::Transport(t)) => {
            assert_eq!(
                t.source.map(|e| e.kind()),
                Some(std::io::ErrorKind::ConnectionReset)
            );
        }
        other => panic!("{other:?}"),
    }
}

/// The server observer tells a declared exception (and which) from a
/// result, on a generated processor, in both protocols.
#[test]
fn the_observer_tells_declared_exceptions_from_results() {
    use thriftc_runtime::server::{CallInfo, CallOutcome, ServerObserver};
    #[derive(Default)]
    struct Outcomes(Mutex<Vec<(String, CallOutcome)>>);
    impl ServerObserver for Outcomes {
        fn call_finished(&self, call: &CallInfo<'_>) {
            let seen = (call.method.to_owned(), call.outcome);
            self.0.lock().unwrap().push(seen);
        }
    }
    for protocol in [ProtocolKind::Binary, ProtocolKind::Compact] {
        let outcomes = Arc::new(Outcomes::default());
        let handle = Server::builder(KeywordsProcessor::new(KeywordsImpl::default()))
            .protocol(protocol)
            .observer(outcomes.clone())
            .bind("127.0.0.1:0")
            .unwrap()
            .spawn()
            .unwrap();
        let running = Running(handle);
        let mut client = KeywordsClient::new(connect(running.port(), protocol, Framing::Buffered));
        assert!(client.twice(1).is_err());
        assert!(client.twice(2).is_err());
        assert_eq!(client.twice(3).unwrap(), 3);
        client.foo_bar().unwrap();
        drop(client);
        drop(running);
        assert_eq!(
            *outcomes.0.lock().unwrap(),
            [
                ("twice".to_owned(), CallOutcome::DeclaredException(1)),
                ("twice".to_owned(), CallOutcome::DeclaredException(2)),
                ("twice".to_owned(), CallOutcome::Reply),
                ("fooBar".to_owned(), CallOutcome::Reply),
            ],
            "{protocol:?}"
        );
    }
}

// ------------------------------------------------------------------ Faulty

#[derive(Default)]
struct FaultyImpl {
    recorded: Mutex<Vec<i32>>,
    /// Told when a `slow` call enters the handler (if set).
    slow_entered: Mutex<Option<mpsc::Sender<()>>>,
}

impl FaultyHandler for FaultyImpl {
    fn echo(&self, value: i32) -> Result<i32, FaultyEchoError> {
        Ok(value)
    }

    fn panics(&self, why: String) -> Result<i32, FaultyPanicsError> {
        panic!("{DELIBERATE}: {why}");
    }

    fn undeclared(&self, why: String) -> Result<i32, FaultyUndeclaredError> {
        Err(Error::from(std::io::Error::other(format!("secret detail: {why}"))).into())
    }

    fn declared(&self, why: String) -> Result<i32, FaultyDeclaredError> {
        Err(Oops { why }.into())
    }

    fn slow(&self, millis: i32) -> Result<i32, FaultySlowError> {
        if let Some(entered) = &*self.slow_entered.lock().unwrap() {
            let _ = entered.send(());
        }
        std::thread::sleep(Duration::from_millis(millis as u64));
        Ok(millis)
    }

    fn oneway_panics(&self, why: String) -> Result<(), FaultyOnewayPanicsError> {
        panic!("{DELIBERATE}: {why}");
    }

    fn record(&self, value: i32) -> Result<(), FaultyRecordError> {
        self.recorded.lock().unwrap().push(value);
        Ok(())
    }

    fn recorded(&self) -> Result<Vec<i32>, FaultyRecordedError> {
        Ok(self.recorded.lock().unwrap().clone())
    }
}

/// `FaultyPlus extends Faulty`: the child handler delegates the inherited
/// methods.
#[derive(Default)]
struct PlusImpl(FaultyImpl);

impl FaultyHandler for PlusImpl {
    fn echo(&self, value: i32) -> Result<i32, FaultyEchoError> {
        self.0.echo(value)
    }
    fn panics(&self, why: String) -> Result<i32, FaultyPanicsError> {
        self.0.panics(why)
    }
    fn undeclared(&self, why: String) -> Result<i32, FaultyUndeclaredError> {
        self.0.undeclared(why)
    }
    fn declared(&self, why: String) -> Result<i32, FaultyDeclaredError> {
        self.0.declared(why)
    }
    fn slow(&self, millis: i32) -> Result<i32, FaultySlowError> {
        self.0.slow(millis)
    }
    fn oneway_panics(&self, why: String) -> Result<(), FaultyOnewayPanicsError> {
        self.0.oneway_panics(why)
    }
    fn record(&self, value: i32) -> Result<(), FaultyRecordError> {
        self.0.record(value)
    }
    fn recorded(&self) -> Result<Vec<i32>, FaultyRecordedError> {
        self.0.recorded()
    }
}

impl FaultyPlusHandler for PlusImpl {
    fn plus(&self, a: i64, b: i64) -> Result<i64, FaultyPlusPlusError> {
        Ok(a + b)
    }
}

fn faulty(protocol: ProtocolKind, framing: Framing) -> (Running, FaultyClient<Client>) {
    faulty_with(FaultyImpl::default(), protocol, framing)
}

fn faulty_with(
    handler: FaultyImpl,
    protocol: ProtocolKind,
    framing: Framing,
) -> (Running, FaultyClient<Client>) {
    quiet_deliberate_panics();
    let server = serve(FaultyProcessor::new(handler), protocol, framing);
    let client = FaultyClient::new(connect(server.port(), protocol, framing));
    (server, client)
}

#[test]
fn unknown_method_is_skipped_and_answered_and_the_connection_kept() {
    for (protocol, framing) in COMBOS {
        let (server, mut client) = faulty(protocol, framing);
        // Arguments the server must skip: a nested struct it cannot know.
        let args = ShapesNestArgs {
            value: vec![HashMap::from([(pt(1, 2), HashSet::from([pt(3, 4)]))])],
        };
        let r: Result<FaultyEchoResult, Error> = client.inner_mut().call("nope", &args);
        match r {
            Err(Error::Application(e)) => {
                assert_eq!(e.kind, ApplicationErrorKind::UnknownMethod);
                assert_eq!(e.message, "Invalid method name: 'nope'");
            }
            other => panic!("{protocol:?}/{framing:?}: {other:?}"),
        }
        assert_eq!(client.echo(7).unwrap(), 7, "{protocol:?}/{framing:?}");
        assert_eq!(server.0.connections(), 1);
    }
}

#[test]
fn panicking_handler_answers_internal_error_and_keeps_serving() {
    for (protocol, framing) in COMBOS {
        let (server, mut client) = faulty(protocol, framing);
        for i in 0..50 {
            match client.panics(format!("call {i}")) {
                Err(FaultyPanicsError::Application(e)) => {
                    assert_eq!(e.kind, ApplicationErrorKind::InternalError);
                    assert_eq!(e.message, "Internal error processing panics");
                }
                other => panic!("{other:?}"),
            }
        }
        // The same connection, and new ones, are still served.
        assert_eq!(client.echo(1).unwrap(), 1);
        let mut other = FaultyClient::new(connect(server.port(), protocol, framing));
        assert_eq!(other.echo(2).unwrap(), 2);
    }
}

#[test]
fn oneway_panic_sends_nothing_and_the_connection_goes_on() {
    for (protocol, framing) in COMBOS {
        let (_server, mut client) = faulty(protocol, framing);
        client.oneway_panics("oneway".into()).unwrap();
        client.record(1).unwrap();
        client.oneway_panics("again".into()).unwrap();
        client.record(2).unwrap();
        // Had the server answered a oneway call, this reply would not match
        // (the client checks the seqid and name of every reply).
        assert_eq!(client.recorded().unwrap(), [1, 2]);
        assert_eq!(client.echo(3).unwrap(), 3);
    }
}

#[test]
fn undeclared_error_is_internal_error_without_the_detail() {
    let (_server, mut client) = faulty(ProtocolKind::Binary, Framing::Buffered);
    match client.undeclared("db down".into()) {
        Err(FaultyUndeclaredError::Application(e)) => {
            assert_eq!(e.kind, ApplicationErrorKind::InternalError);
            assert_eq!(e.message, "Internal error processing undeclared");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.echo(4).unwrap(), 4);
}

#[test]
fn declared_exception_reaches_the_client_typed() {
    let (_server, mut client) = faulty(ProtocolKind::Compact, Framing::Buffered);
    match client.declared("because".into()) {
        Err(FaultyDeclaredError::Oops(e)) => assert_eq!(
            e,
            Oops {
                why: "because".into()
            }
        ),
        other => panic!("{other:?}"),
    }
    // `?` converts declared exceptions and application errors.
    fn via_question_mark(which: bool) -> Result<i32, FaultyDeclaredError> {
        if which {
            Err(Oops { why: "q".into() })?
        } else {
            Err(thriftc_runtime::ApplicationError::new(
                ApplicationErrorKind::Unknown,
                "app",
            ))?
        }
    }
    assert!(matches!(
        via_question_mark(true),
        Err(FaultyDeclaredError::Oops(_))
    ));
    assert!(matches!(
        via_question_mark(false),
        Err(FaultyDeclaredError::Application(_))
    ));
}

#[test]
fn a_failed_connection_is_a_typed_rpc_error() {
    let (server, mut client) = faulty(ProtocolKind::Binary, Framing::Framed);
    drop(server); // stops the server: the idle connection is closed
    match client.echo(1) {
        Err(FaultyEchoError::Rpc(Error::Transport(_))) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn shutdown_delivers_the_replies_of_calls_in_flight() {
    for (protocol, framing) in [
        (ProtocolKind::Binary, Framing::Buffered),
        (ProtocolKind::Compact, Framing::Framed),
    ] {
        let (entered_tx, entered) = mpsc::channel();
        let handler = FaultyImpl {
            slow_entered: Mutex::new(Some(entered_tx)),
            ..FaultyImpl::default()
        };
        let (server, mut client) = faulty_with(handler, protocol, framing);
        let port = server.port();
        let call = std::thread::spawn(move || client.slow(400));
        // Stop only once the call is inside the handler.
        entered
            .recv_timeout(Duration::from_secs(10))
            .expect("the slow call did not reach the handler within 10 s");
        let started = Instant::now();
        let handle = server.0.clone();
        handle.stop();
        let waited = started.elapsed();
        assert_eq!(
            call.join().unwrap().unwrap(),
            400,
            "the in-flight call got its reply"
        );
        assert!(
            waited >= Duration::from_millis(200),
            "stop() returned after {waited:?}, before the call in flight finished"
        );
        // No new connections after stop.
        let refused = Connector::new(("127.0.0.1", port))
            .unwrap()
            .connect_timeout(Duration::from_secs(1))
            .connect()
            .and_then(|c| {
                FaultyClient::new(c).echo(1).map_err(|e| match e {
                    FaultyEchoError::Rpc(e) => e,
                    other => Error::Transport(TransportError::new(
                        TransportErrorKind::Unknown,
                        other.to_string(),
                    )),
                })
            });
        assert!(refused.is_err(), "a call after stop() succeeded");
        drop(server);
    }
}

/// Encodes `n` CALLs of `echo` (seqids 1..=n) as one byte string.
fn pipelined_calls(n: i32, protocol: ProtocolKind, framing: Framing) -> Vec<u8> {
    let mut out = Vec::new();
    for seqid in 1..=n {
        let header = MessageHeader {
            name: "echo".into(),
            kind: MessageType::Call,
            seqid,
        };
        let args = FaultyEchoArgs { value: seqid * 10 };
        let msg = match protocol {
            ProtocolKind::Binary => {
                let mut p = BinaryProtocol::new(Vec::new(), Limits::default());
                p.write_message_begin(&header).unwrap();
                args.encode(&mut p).unwrap();
                p.write_message_end().unwrap();
                p.into_inner()
            }
            _ => {
                let mut p = CompactProtocol::new(Vec::new(), Limits::default());
                p.write_message_begin(&header).unwrap();
                args.encode(&mut p).unwrap();
                p.write_message_end().unwrap();
                p.into_inner()
            }
        };
        if framing == Framing::Framed {
            out.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        }
        out.extend_from_slice(&msg);
    }
    out
}

/// Reads one reply from `buf`; `None` when more bytes are needed.
fn read_reply(
    buf: &[u8],
    protocol: ProtocolKind,
    framing: Framing,
) -> Option<(usize, MessageHeader, FaultyEchoResult)> {
    let (skip, body) = if framing == Framing::Framed {
        if buf.len() < 4 {
            return None;
        }
        let len = u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
        if buf.len() < 4 + len {
            return None;
        }
        (4, &buf[4..4 + len])
    } else {
        (0, buf)
    };
    fn go<P: ProtocolRead>(p: &mut P) -> Option<(MessageHeader, FaultyEchoResult)> {
        let h = p.read_message_begin().ok()?;
        let r = FaultyEchoResult::decode(p).ok()?;
        p.read_message_end().ok()?;
        Some((h, r))
    }
    let (h, r, left) = match protocol {
        ProtocolKind::Binary => {
            let mut p = BinaryProtocol::new(body, Limits::default());
            let (h, r) = go(&mut p)?;
            (h, r, p.into_inner().len())
        }
        _ => {
            let mut p = CompactProtocol::new(body, Limits::default());
            let (h, r) = go(&mut p)?;
            (h, r, p.into_inner().len())
        }
    };
    let used = if framing == Framing::Framed {
        skip + body.len()
    } else {
        body.len() - left
    };
    Some((used, h, r))
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    const N: i32 = 100;
    for (protocol, framing) in COMBOS {
        let (server, _client) = faulty(protocol, framing);
        let mut sock = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // Every request is written before any reply is read.
        sock.write_all(&pipelined_calls(N, protocol, framing))
            .unwrap();
        let mut buf = Vec::new();
        let mut next = 1;
        let mut chunk = [0u8; 16 * 1024];
        while next <= N {
            while let Some((used, h, r)) = read_reply(&buf, protocol, framing) {
                assert_eq!(h.kind, MessageType::Reply);
                assert_eq!(h.name, "echo");
                assert_eq!(h.seqid, next, "{protocol:?}/{framing:?}: replies in order");
                assert_eq!(r.success, Some(next * 10));
                buf.drain(..used);
                next += 1;
            }
            if next > N {
                break;
            }
            let n = sock.read(&mut chunk).expect("replies arrive");
            assert!(n > 0, "the server closed after {} replies", next - 1);
            buf.extend_from_slice(&chunk[..n]);
        }
        assert!(buf.is_empty(), "no stray bytes after the last reply");
    }
}

#[test]
fn extended_service_serves_inherited_methods() {
    quiet_deliberate_panics();
    let server = serve(
        FaultyPlusProcessor::new(PlusImpl::default()),
        ProtocolKind::Binary,
        Framing::Framed,
    );
    let conn = connect(server.port(), ProtocolKind::Binary, Framing::Framed);
    let mut client = FaultyPlusClient::new(conn);
    assert_eq!(client.plus(40, 2).unwrap(), 42);
    assert_eq!(client.echo(5).unwrap(), 5);
    assert!(matches!(
        client.declared("x".into()),
        Err(FaultyDeclaredError::Oops(_))
    ));
    assert!(matches!(
        client.panics("x".into()),
        Err(FaultyPanicsError::Application(_))
    ));
    // A parent's client works against the child's server too.
    let mut parent = FaultyClient::new(client.into_inner());
    assert_eq!(parent.echo(6).unwrap(), 6);

    // The handler can be a trait object.
    let handler: Arc<dyn FaultyPlusHandler> = Arc::new(PlusImpl::default());
    let server = serve(
        FaultyPlusProcessor::from_arc(handler),
        ProtocolKind::Compact,
        Framing::Buffered,
    );
    let conn = connect(server.port(), ProtocolKind::Compact, Framing::Buffered);
    let mut client = FaultyPlusClient::new(conn);
    assert_eq!(client.plus(1, 2).unwrap(), 3);
    assert_eq!(client.echo(9).unwrap(), 9);
}

/// Arguments of `panics` whose string is not UTF-8.
struct BadUtf8Args;

impl thriftc_runtime::WireType for BadUtf8Args {
    const TTYPE: thriftc_runtime::protocol::TType = thriftc_runtime::protocol::TType::Struct;
}

impl Encode for BadUtf8Args {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> thriftc_runtime::Result<()> {
        p.write_struct_begin("panics_args")?;
        p.write_field_begin("why", thriftc_runtime::protocol::TType::String, 1)?;
        p.write_binary(&[0xff, 0xfe, 0xfd])?;
        p.write_field_end()?;
        p.write_field_stop()?;
        p.write_struct_end()
    }
}

#[test]
fn undecodable_arguments_get_protocol_error() {
    for (protocol, framing) in COMBOS {
        let (server, mut client) = faulty(protocol, framing);
        let r: Result<FaultyPanicsResult, Error> = client.inner_mut().call("panics", &BadUtf8Args);
        match r {
            Err(Error::Application(e)) => {
                assert_eq!(
                    e.kind,
                    ApplicationErrorKind::ProtocolError,
                    "{protocol:?}/{framing:?}"
                )
            }
            other => panic!("{protocol:?}/{framing:?}: {other:?}"),
        }
        // The handler never ran, and the server goes on serving: on the
        // same connection when framed (the frame boundary is known), on a
        // new one otherwise.
        let mut next = if framing == Framing::Framed {
            FaultyClient::new(client.into_inner())
        } else {
            FaultyClient::new(connect(server.port(), protocol, framing))
        };
        assert_eq!(next.echo(8).unwrap(), 8, "{protocol:?}/{framing:?}");
    }
}
