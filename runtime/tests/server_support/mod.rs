//! A hand-written service for the server and client tests: argument and
//! result structs written the way the generator writes them, and a
//! processor built on the runtime's helpers.
#![allow(dead_code)]

mod setup;
#[cfg(unix)]
mod unix;

#[allow(unused_imports)]
pub use setup::*;
#[cfg(unix)]
#[allow(unused_imports)]
pub use unix::*;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use thriftc_runtime::client::{Channel, Connector};
use thriftc_runtime::processor::{
    Processor, internal_error, serve_call, serve_oneway, unknown_method,
};
use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolRead, ProtocolWrite, TType};
use thriftc_runtime::server::{Server, ServerBuilder};
use thriftc_runtime::{
    ApplicationError, BinaryProtocol, Client, CompactProtocol, Decode, Encode, Error, Framing,
    ProtocolKind, Result, WireType,
};

// ------------------------------------------------------------ structs

/// `struct { 1: T value }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Args1<T>(pub T);

impl<T> WireType for Args1<T> {
    const TTYPE: TType = TType::Struct;
}

impl<T: Encode> Encode for Args1<T> {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_struct_begin("args")?;
        p.write_field_begin("value", T::TTYPE, 1)?;
        self.0.encode(p)?;
        p.write_field_end()?;
        p.write_field_stop()?;
        p.write_struct_end()
    }
}

impl<T: Decode> Decode for Args1<T> {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        let mut value = None;
        p.read_struct_begin()?;
        while let Some(f) = p.read_field_begin()? {
            if f.id == 1 && f.ttype == T::TTYPE {
                value = Some(T::decode(p)?);
            } else {
                p.skip(f.ttype)?;
            }
            p.read_field_end()?;
        }
        p.read_struct_end()?;
        value.map(Args1).ok_or_else(|| {
            Error::protocol(
                thriftc_runtime::ProtocolErrorKind::InvalidData,
                "field 1 missing",
            )
        })
    }
}

/// `struct { 1: i32 a, 2: i32 b }`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AddArgs {
    pub a: i32,
    pub b: i32,
}

impl WireType for AddArgs {
    const TTYPE: TType = TType::Struct;
}

impl Encode for AddArgs {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_struct_begin("add_args")?;
        p.write_field_begin("a", TType::I32, 1)?;
        p.write_i32(self.a)?;
        p.write_field_end()?;
        p.write_field_begin("b", TType::I32, 2)?;
        p.write_i32(self.b)?;
        p.write_field_end()?;
        p.write_field_stop()?;
        p.write_struct_end()
    }
}

impl Decode for AddArgs {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        let (mut a, mut b) = (None, None);
        p.read_struct_begin()?;
        while let Some(f) = p.read_field_begin()? {
            match (f.id, f.ttype) {
                (1, TType::I32) => a = Some(p.read_i32()?),
                (2, TType::I32) => b = Some(p.read_i32()?),
                (_, t) => p.skip(t)?,
            }
            p.read_field_end()?;
        }
        p.read_struct_end()?;
        match (a, b) {
            (Some(a), Some(b)) => Ok(AddArgs { a, b }),
            _ => Err(Error::protocol(
                thriftc_runtime::ProtocolErrorKind::InvalidData,
                "required field missing",
            )),
        }
    }
}

/// An empty arguments struct.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoArgs;

impl WireType for NoArgs {
    const TTYPE: TType = TType::Struct;
}

impl Encode for NoArgs {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_struct_begin("args")?;
        p.write_field_stop()?;
        p.write_struct_end()
    }
}

impl Decode for NoArgs {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        p.read_struct_begin()?;
        while let Some(f) = p.read_field_begin()? {
            p.skip(f.ttype)?;
            p.read_field_end()?;
        }
        p.read_struct_end()?;
        Ok(NoArgs)
    }
}

/// A result struct: `0: T success` or `1: Oops oops` (a declared exception,
/// `exception Oops { 1: string message }`).
#[derive(Clone, Debug, PartialEq)]
pub enum Ret<T> {
    Success(T),
    Oops(String),
    /// No field set (what a buggy server may send).
    Missing,
}

impl<T> WireType for Ret<T> {
    const TTYPE: TType = TType::Struct;
}

impl<T: Encode> Encode for Ret<T> {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_struct_begin("result")?;
        match self {
            Ret::Success(v) => {
                p.write_field_begin("success", T::TTYPE, 0)?;
                v.encode(p)?;
                p.write_field_end()?;
            }
            Ret::Oops(m) => {
                p.write_field_begin("oops", TType::Struct, 1)?;
                p.write_struct_begin("Oops")?;
                p.write_field_begin("message", TType::String, 1)?;
                p.write_string(m)?;
                p.write_field_end()?;
                p.write_field_stop()?;
                p.write_struct_end()?;
                p.write_field_end()?;
            }
            Ret::Missing => {}
        }
        p.write_field_stop()?;
        p.write_struct_end()
    }
}

impl<T: Decode> Decode for Ret<T> {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        let mut out = Ret::Missing;
        p.read_struct_begin()?;
        while let Some(f) = p.read_field_begin()? {
            match (f.id, f.ttype) {
                (0, t) if t == T::TTYPE => out = Ret::Success(T::decode(p)?),
                (1, TType::Struct) => {
                    let Args1(m) = Args1::<String>::decode(p)?;
                    out = Ret::Oops(m);
                }
                (_, t) => p.skip(t)?,
            }
            p.read_field_end()?;
        }
        p.read_struct_end()?;
        Ok(out)
    }
}

/// A value whose encoding always fails (like a struct with a required
/// field unset).
#[derive(Clone, Debug, PartialEq)]
pub struct Unencodable;

impl WireType for Unencodable {
    const TTYPE: TType = TType::Struct;
}

impl Encode for Unencodable {
    fn encode<P: ProtocolWrite + ?Sized>(&self, _: &mut P) -> Result<()> {
        Err(Error::protocol(
            thriftc_runtime::ProtocolErrorKind::InvalidData,
            "required field 'x' is unset",
        ))
    }
}

impl Decode for Unencodable {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        p.skip(TType::Struct)?;
        Ok(Unencodable)
    }
}

// ----------------------------------------------------------- the service

/// Waits until `n` threads have arrived, or gives up after `timeout`.
#[derive(Default)]
pub struct Rendezvous {
    arrived: Mutex<usize>,
    cv: Condvar,
}

impl Rendezvous {
    /// True if all `n` arrived in time.
    pub fn arrive(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut a = self.arrived.lock().unwrap();
        *a += 1;
        self.cv.notify_all();
        while *a < n {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            a = self.cv.wait_timeout(a, deadline - now).unwrap().0;
        }
        true
    }
}

/// A gate that blocks handlers until opened.
#[derive(Default)]
pub struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
    pub waiting: AtomicUsize,
}

impl Gate {
    pub fn wait(&self, max: Duration) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let deadline = Instant::now() + max;
        let mut open = self.open.lock().unwrap();
        while !*open && Instant::now() < deadline {
            open = self
                .cv
                .wait_timeout(open, Duration::from_millis(20))
                .unwrap()
                .0;
        }
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.cv.notify_all();
    }
}

/// The calculator service used by the tests.
#[derive(Default)]
pub struct Calc {
    pub fired: AtomicUsize,
    pub calls: AtomicUsize,
    pub rendezvous: Rendezvous,
    pub gate: Gate,
    pub shared: Mutex<i32>,
}

/// How long `gate` calls block at most.
pub const GATE_MAX: Duration = Duration::from_secs(10);

impl<I: ProtocolRead + ?Sized, O: ProtocolWrite + ?Sized> Processor<I, O> for Calc {
    fn process(&self, h: &MessageHeader, i: &mut I, o: &mut O) -> Result<()> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        match h.name.as_str() {
            "add" => serve_call(h, i, o, |a: AddArgs| {
                Ok(Ret::Success(a.a.wrapping_add(a.b)))
            }),
            "echo" => serve_call(h, i, o, |a: Args1<String>| Ok(Ret::Success(a.0))),
            "echo_bin" => serve_call(h, i, o, |a: Args1<Vec<u8>>| Ok(Ret::Success(a.0))),
            "sleep" => serve_call(h, i, o, |a: Args1<i32>| {
                std::thread::sleep(Duration::from_millis(a.0 as u64));
                Ok(Ret::Success(a.0))
            }),
            "rendezvous" => serve_call(h, i, o, |a: Args1<i32>| {
                let all = self
                    .rendezvous
                    .arrive(a.0 as usize, Duration::from_secs(10));
                Ok(Ret::Success(all))
            }),
            "gate" => serve_call(h, i, o, |_: NoArgs| {
                self.gate.wait(GATE_MAX);
                Ok(Ret::Success(1i32))
            }),
            "panic" => serve_call(h, i, o, |_: NoArgs| -> std::result::Result<Ret<i32>, _> {
                panic!("handler bug")
            }),
            "oops" => serve_call(h, i, o, |a: Args1<String>| Ok(Ret::<i32>::Oops(a.0))),
            "undeclared" => serve_call(h, i, o, |_: NoArgs| -> std::result::Result<Ret<i32>, _> {
                Err(internal_error(
                    "undeclared",
                    &"database password is hunter2",
                ))
            }),
            "app_error" => serve_call(
                h,
                i,
                o,
                |a: Args1<String>| -> std::result::Result<Ret<i32>, _> {
                    Err(ApplicationError::new(
                        thriftc_runtime::ApplicationErrorKind::Unknown,
                        a.0,
                    ))
                },
            ),
            "unencodable" => serve_call(h, i, o, |_: NoArgs| Ok(Ret::Success(Unencodable))),
            "poison" => serve_call(h, i, o, |_: NoArgs| -> std::result::Result<Ret<i32>, _> {
                let _guard = self.shared.lock().unwrap();
                panic!("panic while holding the lock")
            }),
            "incr_strict" => serve_call(h, i, o, |_: NoArgs| {
                let mut g = self.shared.lock().unwrap();
                *g += 1;
                Ok(Ret::Success(*g))
            }),
            "incr" => serve_call(h, i, o, |_: NoArgs| {
                let mut g = self.shared.lock().unwrap_or_else(|e| e.into_inner());
                *g += 1;
                Ok(Ret::Success(*g))
            }),
            "fire" => serve_oneway(h, i, o, |a: Args1<i32>| {
                self.fired.fetch_add(a.0 as usize, Ordering::SeqCst);
                Ok(())
            }),
            "fire_panic" => serve_oneway(h, i, o, |_: NoArgs| -> std::result::Result<(), _> {
                panic!("oneway handler bug")
            }),
            "fire_error" => serve_oneway(h, i, o, |_: NoArgs| {
                Err(ApplicationError::new(
                    thriftc_runtime::ApplicationErrorKind::Unknown,
                    "no",
                ))
            }),
            _ => unknown_method(h, i, o),
        }
    }
}

// ------------------------------------------------------------- helpers

/// The four protocol × framing combinations.
pub const COMBOS: [(ProtocolKind, Framing); 4] = [
    (ProtocolKind::Binary, Framing::Buffered),
    (ProtocolKind::Binary, Framing::Framed),
    (ProtocolKind::Compact, Framing::Buffered),
    (ProtocolKind::Compact, Framing::Framed),
];

/// A builder for `calc` on loopback with short test timeouts.
/// How a test server gives connections threads: behaviour that must hold
/// in every mode is tested in each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threads {
    /// One thread per connection (the default).
    PerConnection,
    /// `n` workers, each serving one connection at a time, and a queue of
    /// `n` more.
    Pool(usize),
    /// `n` threads sharing every connection through epoll.
    Events(usize),
}

impl Threads {
    pub fn apply<P: thriftc_runtime::server::ServerProcessor>(
        self,
        b: ServerBuilder<P>,
    ) -> ServerBuilder<P> {
        match self {
            Threads::PerConnection => b,
            Threads::Pool(n) => b.worker_pool(n, n),
            Threads::Events(n) => b.event_driven(n),
        }
    }
}

pub fn builder<P: thriftc_runtime::server::ServerProcessor>(calc: P) -> ServerBuilder<P> {
    Server::builder(calc)
        .idle_timeout(Duration::from_secs(10))
        .message_timeout(Duration::from_secs(10))
        .write_timeout(Duration::from_secs(10))
        .drain_timeout(Duration::from_secs(5))
}

pub fn connector(addr: SocketAddr, protocol: ProtocolKind, framing: Framing) -> Connector {
    Connector::new(addr)
        .unwrap()
        .protocol(protocol)
        .framing(framing)
        .read_timeout(Duration::from_secs(10))
}

pub fn add(c: &mut impl Channel, a: i32, b: i32) -> Result<i32> {
    match c.call::<_, Ret<i32>>("add", &AddArgs { a, b })? {
        Ret::Success(v) => Ok(v),
        other => panic!("unexpected {other:?}"),
    }
}

/// Encodes one message as the client would send it.
pub fn message<A: Encode>(
    protocol: ProtocolKind,
    framing: Framing,
    name: &str,
    kind: MessageType,
    seqid: i32,
    args: &A,
) -> Vec<u8> {
    let header = MessageHeader {
        name: name.to_owned(),
        kind,
        seqid,
    };
    let mut body = Vec::new();
    match protocol {
        ProtocolKind::Binary => {
            let mut p = BinaryProtocol::new(&mut body, Default::default());
            p.write_message_begin(&header).unwrap();
            args.encode(&mut p).unwrap();
            p.write_message_end().unwrap();
        }
        ProtocolKind::Compact => {
            let mut p = CompactProtocol::new(&mut body, Default::default());
            p.write_message_begin(&header).unwrap();
            args.encode(&mut p).unwrap();
            p.write_message_end().unwrap();
        }
        other => unimplemented!("not covered by these tests: {other:?}"),
    }
    match framing {
        Framing::Buffered => body,
        Framing::Framed => {
            let mut out = (body.len() as u32).to_be_bytes().to_vec();
            out.extend_from_slice(&body);
            out
        }
        other => unimplemented!("not covered by these tests: {other:?}"),
    }
}

/// A raw reader of replies on a socket.
pub type Replies = thriftc_runtime::transport::StreamReader<TcpStream>;

/// A reply reader over a clone of `s`.
pub fn replies(s: &TcpStream, framing: Framing) -> Replies {
    thriftc_runtime::transport::StreamReader::new(
        s.try_clone().unwrap(),
        framing,
        Default::default(),
    )
}

/// A reply as read raw: its header and either the result struct or the
/// exception.
pub type Reply<R> = (MessageHeader, std::result::Result<R, ApplicationError>);

/// Reads one reply: header and the result struct (or exception).
pub fn read_reply<R: Decode>(reader: &mut Replies, protocol: ProtocolKind) -> Result<Reply<R>> {
    if !reader.begin_message()? {
        return Err(Error::Transport(thriftc_runtime::TransportError::new(
            thriftc_runtime::TransportErrorKind::EndOfFile,
            "closed",
        )));
    }
    fn body<P: ProtocolRead, R: Decode>(p: &mut P) -> Result<Reply<R>> {
        let h = p.read_message_begin()?;
        let r = if h.kind == MessageType::Exception {
            Err(ApplicationError::decode(p)?)
        } else {
            Ok(R::decode(p)?)
        };
        p.read_message_end()?;
        Ok((h, r))
    }
    let out = match protocol {
        ProtocolKind::Binary => body(&mut BinaryProtocol::new(&mut *reader, Default::default())),
        ProtocolKind::Compact => body(&mut CompactProtocol::new(&mut *reader, Default::default())),
        other => unimplemented!("not covered by these tests: {other:?}"),
    }?;
    reader.end_message()?;
    Ok(out)
}

/// Connects a raw socket (no client logic).
pub fn raw(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// True if the server closed `s` (EOF or reset) within `within`.
pub fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut b = [0u8; 256];
    loop {
        match s.read(&mut b) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// Writes all of `bytes`.
pub fn send(s: &mut TcpStream, bytes: &[u8]) {
    s.write_all(bytes).unwrap();
}

/// User and system CPU time of this process, in clock ticks (100 a second
/// per busy core).
pub fn proc_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// A field of /proc/self/status, in its unit (kB for memory).
pub fn proc_status(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field).and_then(|r| r.strip_prefix(':')))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Polls `cond` every 10 ms until it holds or `within` passes.
pub fn eventually(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A new client of `addr`.
pub fn client(addr: SocketAddr, protocol: ProtocolKind, framing: Framing) -> Client {
    connector(addr, protocol, framing).connect().unwrap()
}

/// Keeps the panics the service raises on purpose out of the test output;
/// every other panic still reaches the default hook.
pub fn quiet_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = thriftc_runtime::processor::panic_message(info.payload());
            let expected = ["handler bug", "holding the lock", "PoisonError"];
            if !expected.iter().any(|e| msg.contains(e)) {
                default(info);
            }
        }));
    });
}
