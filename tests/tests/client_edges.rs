//! The client against what a server may get wrong, and generated services
//! with awkward IDL (`fixtures/services/awkward.thrift`, compiled from its
//! golden files):
//!
//! - a scripted fake server (a `TcpListener` in the test) answers a typed
//!   client with crafted bytes: another seqid, another name, an EXCEPTION of
//!   a kind no spec lists, a reply one byte per write, a frame over the
//!   limit, a close halfway, a reply to a oneway call, two replies for one
//!   call. Each call ends with a typed error or the right value, within its
//!   timeout, and a client left out of step refuses further calls;
//! - methods named like the client's and processor's own items, keywords,
//!   names that differ only in case, exceptions named like the result
//!   struct's fields and like the error enum's variants, a void method that
//!   throws, a oneway method with an argument of every kind, and an
//!   `extends` chain across two includes, over our own server, plain and
//!   multiplexed.

#![deny(warnings)]

// Generated code: rustfmt must not reformat the golden files.
#[rustfmt::skip]
#[path = "../golden/services/services_awkward/mod.rs"]
#[allow(dead_code)] // the generated API is broader than these tests
mod idl;

use idl::awkward::*;
use idl::base::{BaseHandler, BasePingError, BaseProcessError};
use idl::root::{Failure, RootHandler, RootPingError, RootRecvError, RootSendError};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use thriftc_runtime::client::{Client, Connector, Multiplexed};
use thriftc_runtime::processor::Multiplexed as MultiplexedProcessor;
use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolRead, ProtocolWrite, TType};
use thriftc_runtime::server::{Server, ServerHandle};
use thriftc_runtime::transport::StreamReader;
use thriftc_runtime::{
    ApplicationError, ApplicationErrorKind, BinaryProtocol, Encode, Error, Framing, Limits,
    TransportErrorKind, Uuid,
};

// ------------------------------------------------------- the fake server

/// What the fake server does after reading a request.
enum Answer {
    /// Sends these bytes in one write.
    Bytes(Vec<u8>),
    /// Sends these bytes one per write.
    ByteByByte(Vec<u8>),
    /// Sends these bytes, then closes the connection.
    ThenClose(Vec<u8>),
    /// Reads the next request without answering this one.
    Nothing,
}

/// Serves one connection (binary protocol, `framing`): `script` answers
/// each request from its header. Returns the headers it read, once the
/// client has gone.
fn fake_server(
    framing: Framing,
    script: impl Fn(&MessageHeader) -> Answer + Send + 'static,
) -> (SocketAddr, thread::JoinHandle<Vec<MessageHeader>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let t = thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut w = s.try_clone().unwrap();
        let r = StreamReader::new(s, framing, Limits::default());
        let mut p = BinaryProtocol::new(r, Limits::default());
        let mut seen = Vec::new();
        while let Ok(true) = p.get_mut().begin_message() {
            let h = p.read_message_begin().unwrap();
            p.skip(TType::Struct).unwrap();
            p.read_message_end().unwrap();
            p.get_mut().end_message().unwrap();
            let answer = script(&h);
            seen.push(h);
            let sent = match answer {
                Answer::Bytes(b) => w.write_all(&b),
                Answer::ByteByByte(b) => b.iter().try_for_each(|x| w.write_all(&[*x])),
                Answer::ThenClose(b) => {
                    let _ = w.write_all(&b);
                    break;
                }
                Answer::Nothing => Ok(()),
            };
            if sent.is_err() {
                break;
            }
        }
        seen
    });
    (addr, t)
}

/// One message, binary protocol: the header and `body` (a struct), framed
/// when asked.
fn message(
    framing: Framing,
    name: &str,
    kind: MessageType,
    seqid: i32,
    body: &impl Encode,
) -> Vec<u8> {
    let mut p = BinaryProtocol::new(Vec::new(), Limits::default());
    p.write_message_begin(&MessageHeader {
        name: name.to_owned(),
        kind,
        seqid,
    })
    .unwrap();
    body.encode(&mut p).unwrap();
    p.write_message_end().unwrap();
    let bytes = p.into_inner();
    match framing {
        Framing::Buffered => bytes,
        Framing::Framed => {
            let mut framed = (bytes.len() as u32).to_be_bytes().to_vec();
            framed.extend(bytes);
            framed
        }
        other => unimplemented!("not covered by these tests: {other:?}"),
    }
}

/// A reply to `h` whose result struct sets `success` to `v`.
fn success(framing: Framing, h: &MessageHeader, v: i32) -> Vec<u8> {
    let result = AwkwardNewResult { success: Some(v) };
    message(framing, &h.name, MessageType::Reply, h.seqid, &result)
}

fn connect(addr: SocketAddr, framing: Framing) -> Client {
    Connector::new(addr)
        .unwrap()
        .framing(framing)
        .read_timeout(Duration::from_secs(5))
        .connect()
        .unwrap()
}

/// The kind of an application error, or a panic naming what came instead.
fn app_kind<T: std::fmt::Debug>(r: Result<T, AwkwardNewError>) -> ApplicationErrorKind {
    match r {
        Err(AwkwardNewError::Application(a)) => a.kind,
        other => panic!("expected an application error, got {other:?}"),
    }
}

/// A second call on a client left out of step is refused with `NotOpen`,
/// and nothing is sent.
fn refuses_further_calls(c: &mut AwkwardClient<Client>) {
    assert!(!c.inner().is_usable());
    match c.new2(1) {
        Err(AwkwardNewError::Rpc(Error::Transport(t))) => {
            assert_eq!(t.kind, TransportErrorKind::NotOpen, "{t}")
        }
        other => panic!("expected NotOpen, got {other:?}"),
    }
}

#[test]
fn an_exception_of_an_unlisted_kind_comes_back_as_it_is() {
    for framing in [Framing::Buffered, Framing::Framed] {
        let (addr, server) = fake_server(framing, move |h| {
            if h.seqid == 1 {
                let e = ApplicationError::new(ApplicationErrorKind::Other(99), "odd");
                Answer::Bytes(message(
                    framing,
                    &h.name,
                    MessageType::Exception,
                    h.seqid,
                    &e,
                ))
            } else {
                Answer::Bytes(success(framing, h, 7))
            }
        });
        let mut c = AwkwardClient::new(connect(addr, framing));
        match c.new2(1) {
            Err(AwkwardNewError::Application(a)) => {
                assert_eq!(a.kind, ApplicationErrorKind::Other(99));
                assert_eq!(a.message, "odd");
            }
            other => panic!("{other:?}"),
        }
        // The exception was read whole: the connection is in step.
        assert!(c.inner().is_usable());
        assert_eq!(c.new2(2).unwrap(), 7);
        drop(c);
        assert_eq!(server.join().unwrap().len(), 2);
    }
}

#[test]
fn a_reply_sent_one_byte_per_write_is_read_whole() {
    for framing in [Framing::Buffered, Framing::Framed] {
        let (addr, _server) = fake_server(framing, move |h| {
            Answer::ByteByByte(success(framing, h, h.seqid * 100))
        });
        let mut c = AwkwardClient::new(connect(addr, framing));
        for i in 1..=3 {
            assert_eq!(c.new2(0).unwrap(), i * 100);
        }
    }
}

#[test]
fn another_seqid_or_name_is_a_typed_error_and_stops_the_client() {
    type Bad = fn(&MessageHeader) -> Vec<u8>;
    let cases: [(Bad, ApplicationErrorKind); 3] = [
        (
            |h| {
                success(
                    Framing::Buffered,
                    &MessageHeader {
                        seqid: h.seqid - 1,
                        ..h.clone()
                    },
                    1,
                )
            },
            ApplicationErrorKind::BadSequenceId,
        ),
        (
            |h| {
                success(
                    Framing::Buffered,
                    &MessageHeader {
                        name: "dispatch".into(),
                        ..h.clone()
                    },
                    1,
                )
            },
            ApplicationErrorKind::WrongMethodName,
        ),
        (
            |h| {
                let r = AwkwardNewResult { success: Some(1) };
                message(Framing::Buffered, &h.name, MessageType::Call, h.seqid, &r)
            },
            ApplicationErrorKind::InvalidMessageType,
        ),
    ];
    for (bad, kind) in cases {
        let (addr, server) = fake_server(Framing::Buffered, move |h| Answer::Bytes(bad(h)));
        let mut c = AwkwardClient::new(connect(addr, Framing::Buffered));
        assert_eq!(app_kind(c.new2(1)), kind);
        refuses_further_calls(&mut c);
        drop(c);
        assert_eq!(server.join().unwrap().len(), 1, "{kind:?}");
    }
}

#[test]
fn a_frame_over_the_limit_fails_at_once() {
    let (addr, _server) = fake_server(Framing::Framed, |_| {
        // A frame header announcing 1 GiB, and nothing after it.
        Answer::Bytes((1u32 << 30).to_be_bytes().to_vec())
    });
    let client = Connector::new(addr)
        .unwrap()
        .framing(Framing::Framed)
        .limits(Limits::default().with_max_frame_size(64 * 1024))
        .read_timeout(Duration::from_secs(5))
        .connect()
        .unwrap();
    let mut c = AwkwardClient::new(client);
    let started = Instant::now();
    match c.new2(1) {
        Err(AwkwardNewError::Rpc(e)) => assert!(e.to_string().contains("frame"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    refuses_further_calls(&mut c);
}

#[test]
fn an_oversized_unframed_reply_fails_at_once() {
    let (addr, _server) = fake_server(Framing::Buffered, |h| {
        // `success` a string of 1 GiB, of which nothing comes.
        let mut b = message(
            Framing::Buffered,
            &h.name,
            MessageType::Reply,
            h.seqid,
            &AwkwardFiredArgs {},
        );
        b.pop(); // the STOP of the empty struct
        b.extend([11, 0, 0]);
        b.extend((1u32 << 30).to_be_bytes());
        Answer::Bytes(b)
    });
    let client = Connector::new(addr)
        .unwrap()
        .limits(Limits::default().with_max_message_size(64 * 1024))
        .read_timeout(Duration::from_secs(5))
        .connect()
        .unwrap();
    let mut c = AwkwardClient::new(client);
    let started = Instant::now();
    match c.fired() {
        Err(AwkwardFiredError::Rpc(_)) => {}
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!c.inner().is_usable());
}

#[test]
fn a_close_halfway_through_a_reply_is_end_of_file() {
    for framing in [Framing::Buffered, Framing::Framed] {
        let (addr, _server) = fake_server(framing, move |h| {
            let whole = success(framing, h, 5);
            Answer::ThenClose(whole[..whole.len() / 2].to_vec())
        });
        let mut c = AwkwardClient::new(connect(addr, framing));
        match c.new2(1) {
            Err(AwkwardNewError::Rpc(e)) => assert!(e.is_eof(), "{e}"),
            other => panic!("{other:?}"),
        }
        refuses_further_calls(&mut c);
    }
}

#[test]
fn a_reply_to_a_oneway_call_is_never_taken_for_the_next_answer() {
    for framing in [Framing::Buffered, Framing::Framed] {
        let (addr, server) = fake_server(framing, move |h| {
            // Answers everything, the oneway call too; the reply to the
            // oneway call says 1, the reply to the call 2.
            let v = if h.kind == MessageType::Oneway { 1 } else { 2 };
            Answer::Bytes(success(framing, h, v))
        });
        let mut c = AwkwardClient::new(connect(addr, framing));
        c.fire(
            true,
            1,
            2,
            3,
            4,
            5.0,
            "s".into(),
            vec![6],
            Uuid([7; 16]),
            vec![],
            HashSet::new(),
            HashMap::new(),
            Point { x: 1, y: 2 },
            Color::RED,
            Shape::Radius(1.0),
            String::new(),
            vec![],
        )
        .unwrap();
        match c.new2(1) {
            Ok(v) => panic!("took a stale reply ({v}) for the answer"),
            Err(e) => assert_eq!(app_kind::<()>(Err(e)), ApplicationErrorKind::BadSequenceId),
        }
        refuses_further_calls(&mut c);
        drop(c);
        let seen: Vec<_> = server.join().unwrap().iter().map(|h| h.kind).collect();
        assert_eq!(seen, [MessageType::Oneway, MessageType::Call]);
    }
}

#[test]
fn a_second_reply_to_one_call_is_never_taken_for_the_next_answer() {
    for framing in [Framing::Buffered, Framing::Framed] {
        let (addr, _server) = fake_server(framing, move |h| {
            let mut twice = success(framing, h, 1);
            twice.extend(success(framing, h, 666));
            Answer::Bytes(twice)
        });
        let mut c = AwkwardClient::new(connect(addr, framing));
        assert_eq!(c.new2(1).unwrap(), 1);
        match c.new2(2) {
            Ok(v) => panic!("took a stale reply ({v}) for the answer"),
            Err(e) => assert_eq!(app_kind::<()>(Err(e)), ApplicationErrorKind::BadSequenceId),
        }
        refuses_further_calls(&mut c);
    }
}

#[test]
fn a_silent_server_is_bounded_by_the_read_timeout() {
    let (addr, _server) = fake_server(Framing::Buffered, |_| Answer::Nothing);
    let client = Connector::new(addr)
        .unwrap()
        .read_timeout(Duration::from_millis(300))
        .connect()
        .unwrap();
    let mut c = AwkwardClient::new(client);
    let started = Instant::now();
    match c.new2(1) {
        Err(AwkwardNewError::Rpc(Error::Transport(t))) => {
            assert_eq!(t.kind, TransportErrorKind::TimedOut, "{t}")
        }
        other => panic!("{other:?}"),
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(3),
        "{took:?}"
    );
    refuses_further_calls(&mut c);
}

#[test]
fn a_result_with_nothing_set_is_missing_result_and_void_is_ok() {
    let (addr, _server) = fake_server(Framing::Buffered, |h| {
        let empty = AwkwardFiredArgs {};
        Answer::Bytes(message(
            Framing::Buffered,
            &h.name,
            MessageType::Reply,
            h.seqid,
            &empty,
        ))
    });
    let mut c = AwkwardClient::new(connect(addr, Framing::Buffered));
    assert_eq!(app_kind(c.new2(1)), ApplicationErrorKind::MissingResult);
    assert!(c.inner().is_usable());
    // A void method's empty result is its success.
    c.void_throws(0).unwrap();
    match c.success(0) {
        Err(AwkwardSuccessError::Application(a)) => {
            assert_eq!(a.kind, ApplicationErrorKind::MissingResult)
        }
        other => panic!("{other:?}"),
    }
}

// --------------------------------------------- awkward IDL, our own server

/// Serves every method of `Awkward` (and of `Base` and `Root`).
#[derive(Default)]
struct Impl {
    fired: Mutex<Option<String>>,
}

impl RootHandler for Impl {
    fn send(&self, send: i32) -> Result<i32, RootSendError> {
        Ok(send + 1)
    }

    fn recv(&self, what: String) -> Result<(), RootRecvError> {
        if what.is_empty() {
            return Ok(());
        }
        Err(RootRecvError::Failure(Failure { why: what }))
    }

    fn ping(&self) -> Result<String, RootPingError> {
        Ok("root".into())
    }
}

impl BaseHandler for Impl {
    fn process(&self, process: String) -> Result<String, BaseProcessError> {
        Ok(process.to_uppercase())
    }

    fn ping(&self, ping: String) -> Result<String, BasePingError> {
        Ok(format!("base {ping}"))
    }
}

impl AwkwardHandler for Impl {
    fn new(&self, new: i32) -> Result<i32, AwkwardNewError> {
        Ok(-new)
    }

    fn dispatch(&self, r#type: i32) -> Result<i32, AwkwardDispatchError> {
        Ok(r#type * 2)
    }

    fn call(&self, call: String, call_oneway: String) -> Result<String, AwkwardCallError> {
        Ok(call + &call_oneway)
    }

    fn inner(&self, inner_mut: i32) -> Result<i32, AwkwardInnerError> {
        Ok(inner_mut)
    }

    fn multiplexed(&self, name: String) -> Result<i32, AwkwardMultiplexedError> {
        Ok(name.len() as i32)
    }

    fn locals(
        &self,
        handler: i32,
        header: i32,
        input: i32,
        output: i32,
        e: i32,
        v: i32,
        channel: i32,
        self_: i32,
        args: i32,
    ) -> Result<i32, AwkwardLocalsError> {
        // Each argument in its own decimal digit: any mix-up shows.
        Ok([handler, header, input, output, e, v, channel, self_, args]
            .iter()
            .fold(0, |acc, d| acc * 10 + d))
    }

    fn cases(&self, foo_bar: i32, foo_bar2: i32) -> Result<i32, AwkwardCasesError> {
        Ok(foo_bar * 10 + foo_bar2)
    }

    fn success(&self, which: i32) -> Result<i32, AwkwardSuccessError> {
        match which {
            1 => Err(AwkwardSuccessError::Success(Oops { why: "one".into() })),
            2 => Err(AwkwardSuccessError::Success2(Success { code: 2 })),
            n => Ok(n),
        }
    }

    fn variants(&self, which: i32) -> Result<i32, AwkwardVariantsError> {
        let oops = |why: &str| Oops { why: why.into() };
        match which {
            1 => Err(AwkwardVariantsError::Application2(oops("declared app"))),
            2 => Err(AwkwardVariantsError::Rpc2(oops("declared rpc"))),
            3 => Err(AwkwardVariantsError::Application(ApplicationError::new(
                ApplicationErrorKind::Other(42),
                "sent as is",
            ))),
            n => Ok(n),
        }
    }

    fn void_throws(&self, which: i32) -> Result<(), AwkwardVoidThrowsError> {
        match which {
            0 => Ok(()),
            n => Err(AwkwardVoidThrowsError::Oops(Success { code: n })),
        }
    }

    fn fire(
        &self,
        b: bool,
        small: i8,
        short: i16,
        int: i32,
        long: i64,
        d: f64,
        s: String,
        bin: Vec<u8>,
        id: Uuid,
        names: Vec<String>,
        nums: HashSet<i32>,
        points: HashMap<String, Point>,
        p: Point,
        c: Color,
        shape: Shape,
        note: String,
        nested: Vec<HashMap<i32, HashSet<Point>>>,
    ) -> Result<(), AwkwardFireError> {
        let mut nums: Vec<_> = nums.into_iter().collect();
        nums.sort();
        let text = format!(
            "{b} {small} {short} {int} {long} {d} {s} {bin:?} {id:?} {names:?} {nums:?} \
             {:?} {p:?} {c:?} {shape:?} {note:?} {nested:?}",
            points.get("a"),
        );
        *self.fired.lock().unwrap() = Some(text);
        Ok(())
    }

    fn fired(&self) -> Result<String, AwkwardFiredError> {
        Ok(self.fired.lock().unwrap().clone().unwrap_or_default())
    }

    fn placeholders(&self, a: i32, b: i32, c: i32) -> Result<i32, AwkwardPlaceholdersError> {
        Ok(a * 100 + b * 10 + c)
    }
}

struct AwkwardNewImpl;

impl AwkwardNewHandler for AwkwardNewImpl {
    fn args(&self, args: i32) -> Result<i32, AwkwardNewArgsError> {
        Ok(args + 1000)
    }
}

/// A server stopped when dropped.
struct Running(ServerHandle);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.stop();
    }
}

fn serve(processor: impl thriftc_runtime::server::ServerProcessor) -> Running {
    Running(
        Server::builder(processor)
            .drain_timeout(Duration::from_secs(5))
            .bind("127.0.0.1:0")
            .unwrap()
            .spawn()
            .unwrap(),
    )
}

/// Calls every method of an `Awkward` client (inherited ones included)
/// and checks each answer.
fn exercise<C: thriftc_runtime::Channel>(c: &mut AwkwardClient<C>) {
    assert_eq!(c.new2(5).unwrap(), -5);
    assert_eq!(c.dispatch(21).unwrap(), 42);
    assert_eq!(c.call("a".into(), "b".into()).unwrap(), "ab");
    assert_eq!(c.inner2(9).unwrap(), 9);
    assert_eq!(c.multiplexed2("four".into()).unwrap(), 4);
    assert_eq!(c.locals(1, 2, 3, 4, 5, 6, 7, 8, 9).unwrap(), 123_456_789);
    assert_eq!(c.cases(3, 4).unwrap(), 34);
    assert_eq!(c.placeholders(1, 2, 3).unwrap(), 123);
    assert_eq!(c.success(7).unwrap(), 7);
    match c.success(1) {
        Err(AwkwardSuccessError::Success(o)) => assert_eq!(o.why, "one"),
        other => panic!("{other:?}"),
    }
    match c.success(2) {
        Err(AwkwardSuccessError::Success2(s)) => assert_eq!(s.code, 2),
        other => panic!("{other:?}"),
    }
    match c.variants(1) {
        Err(AwkwardVariantsError::Application2(o)) => assert_eq!(o.why, "declared app"),
        other => panic!("{other:?}"),
    }
    match c.variants(2) {
        Err(AwkwardVariantsError::Rpc2(o)) => assert_eq!(o.why, "declared rpc"),
        other => panic!("{other:?}"),
    }
    match c.variants(3) {
        Err(AwkwardVariantsError::Application(a)) => {
            assert_eq!(a.kind, ApplicationErrorKind::Other(42));
            assert_eq!(a.message, "sent as is");
        }
        other => panic!("{other:?}"),
    }
    c.void_throws(0).unwrap();
    match c.void_throws(3) {
        Err(AwkwardVoidThrowsError::Oops(s)) => assert_eq!(s.code, 3),
        other => panic!("{other:?}"),
    }
    c.fire(
        true,
        -8,
        -16,
        32,
        64,
        0.5,
        "text".into(),
        vec![0, 255],
        Uuid([1; 16]),
        vec!["n".into()],
        HashSet::from([3, 1]),
        HashMap::from([("a".into(), Point { x: 1, y: 1 })]),
        Point { x: 2, y: 3 },
        Color::GREEN,
        Shape::Point(Point { x: 4, y: 5 }),
        "note".into(),
        vec![HashMap::from([(1, HashSet::from([Point { x: 6, y: 7 }]))])],
    )
    .unwrap();
    // The oneway call went first on the same connection: it has been
    // served by the time the next call is answered.
    let fired = c.fired().unwrap();
    assert_eq!(
        fired,
        format!(
            "true -8 -16 32 64 0.5 text [0, 255] {:?} [\"n\"] [1, 3] {:?} {:?} {:?} {:?} {:?} {:?}",
            Uuid([1; 16]),
            Some(Point { x: 1, y: 1 }),
            Point { x: 2, y: 3 },
            Color::GREEN,
            Shape::Point(Point { x: 4, y: 5 }),
            "note",
            vec![HashMap::from([(1, HashSet::from([Point { x: 6, y: 7 }]))])],
        )
    );
    // Inherited across two includes; `Base.Ping` and `Root.ping` differ only
    // in case and each reaches its own handler method.
    assert_eq!(c.process("up".into()).unwrap(), "UP");
    assert_eq!(c.ping("x".into()).unwrap(), "base x");
    assert_eq!(c.ping2().unwrap(), "root");
    assert_eq!(c.send(1).unwrap(), 2);
    c.recv(String::new()).unwrap();
    match c.recv("bad".into()) {
        Err(idl::root::RootRecvError::Failure(f)) => assert_eq!(f.why, "bad"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn awkward_names_compile_and_reach_their_methods() {
    let server = serve(AwkwardProcessor::new(Impl::default()));
    let mut c = AwkwardClient::new(connect(server.0.local_addr(), Framing::Buffered));
    exercise(&mut c);
    assert!(c.inner().is_usable());
}

#[test]
fn awkward_services_multiplexed_speak_service_colon_method() {
    let mut mux: MultiplexedProcessor = MultiplexedProcessor::new();
    mux.register("Awkward", Arc::new(AwkwardProcessor::new(Impl::default())));
    mux.register(
        "AwkwardNew",
        Arc::new(AwkwardNewProcessor::new(AwkwardNewImpl)),
    );
    let server = serve(mux);
    let mut conn = connect(server.0.local_addr(), Framing::Buffered);
    exercise(&mut AwkwardClient::new(Multiplexed::new(
        &mut conn, "Awkward",
    )));
    let mut other = AwkwardNewClient::multiplexed(&mut conn, "AwkwardNew");
    assert_eq!(other.args(1).unwrap(), 1001);
    // A service the server does not have: UNKNOWN_METHOD, in step.
    let mut missing = AwkwardNewClient::multiplexed(&mut conn, "Missing");
    match missing.args(1) {
        Err(AwkwardNewArgsError::Application(a)) => {
            assert_eq!(a.kind, ApplicationErrorKind::UnknownMethod)
        }
        other => panic!("{other:?}"),
    }
    assert!(conn.is_usable());
    // A raw look at the wire: the name sent is `Service:method`.
    let mut raw = TcpStream::connect(server.0.local_addr()).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let request = message(
        Framing::Buffered,
        "AwkwardNew:args",
        MessageType::Call,
        9,
        &AwkwardNewArgsArgs { args: 2 },
    );
    raw.write_all(&request).unwrap();
    let mut reply = StreamReader::new(raw, Framing::Buffered, Limits::default());
    assert!(reply.begin_message().unwrap());
    let mut p = BinaryProtocol::new(reply, Limits::default());
    let h = p.read_message_begin().unwrap();
    assert_eq!((h.kind, h.seqid), (MessageType::Reply, 9));
    let r: AwkwardNewArgsResult = thriftc_runtime::Decode::decode(&mut p).unwrap();
    assert_eq!(r.success, Some(1002));
}

#[test]
fn an_exception_the_server_sends_leaves_the_client_in_step_whatever_its_kind() {
    // The kinds the client also uses for replies that fail its own checks:
    // sent by the server, in a whole EXCEPTION message, they are the
    // server's answer, and the connection is in step.
    for kind in [
        ApplicationErrorKind::BadSequenceId,
        ApplicationErrorKind::WrongMethodName,
        ApplicationErrorKind::InvalidMessageType,
    ] {
        let (addr, server) = fake_server(Framing::Buffered, move |h| {
            if h.seqid == 1 {
                let e = ApplicationError::new(kind, "the server says so");
                let b = message(
                    Framing::Buffered,
                    &h.name,
                    MessageType::Exception,
                    h.seqid,
                    &e,
                );
                Answer::Bytes(b)
            } else {
                Answer::Bytes(success(Framing::Buffered, h, 3))
            }
        });
        let mut c = AwkwardClient::new(connect(addr, Framing::Buffered));
        match c.new2(1) {
            Err(AwkwardNewError::Application(a)) => {
                assert_eq!((a.kind, a.message.as_str()), (kind, "the server says so"))
            }
            other => panic!("{other:?}"),
        }
        assert!(c.inner().is_usable(), "{kind:?}");
        assert_eq!(c.new2(2).unwrap(), 3, "{kind:?}");
        drop(c);
        assert_eq!(server.join().unwrap().len(), 2);
    }
}
