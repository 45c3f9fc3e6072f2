//! Server behaviour at the edges of its promises: a connection closed over
//! unread input still delivers its last reply, settings given as a whole
//! `ServerConfig` are held to the builder's bounds, and more, in every mode
//! where it applies.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use thriftc_runtime::client::{Channel, Connector};
use thriftc_runtime::processor::{Processor, serve_call, serve_oneway, unknown_method};
use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolRead, ProtocolWrite, TType};
use thriftc_runtime::server::{self, Server, ServerBuilder, ServerConfig, ServerHandle};
use thriftc_runtime::transport::StreamReader;
use thriftc_runtime::{
    ApplicationError, BinaryProtocol, CompactProtocol, Decode, Encode, Error, Framing,
    ProtocolErrorKind, ProtocolKind, Result, WireType,
};

// ------------------------------------------------------------ the service

/// `struct { 1: binary value }` (arguments) and `struct { 0: binary
/// success }` (result): the field id tells them apart.
#[derive(Clone, Debug, PartialEq)]
struct Bin(i16, Vec<u8>);

impl WireType for Bin {
    const TTYPE: TType = TType::Struct;
}

impl Encode for Bin {
    fn encode<P: ProtocolWrite + ?Sized>(&self, p: &mut P) -> Result<()> {
        p.write_struct_begin("bin")?;
        p.write_field_begin("value", TType::String, self.0)?;
        p.write_binary(&self.1)?;
        p.write_field_end()?;
        p.write_field_stop()?;
        p.write_struct_end()
    }
}

impl Decode for Bin {
    fn decode<P: ProtocolRead + ?Sized>(p: &mut P) -> Result<Self> {
        let mut out = None;
        p.read_struct_begin()?;
        while let Some(f) = p.read_field_begin()? {
            match (f.id, f.ttype) {
                (id @ (0 | 1), TType::String) => out = Some(Bin(id, p.read_binary()?)),
                (_, t) => p.skip(t)?,
            }
            p.read_field_end()?;
        }
        p.read_struct_end()?;
        out.ok_or_else(|| Error::protocol(ProtocolErrorKind::InvalidData, "no value"))
    }
}

/// The service: `echo(1: binary) -> binary`, `hold() -> binary` (blocks
/// until the test opens the gate), oneway `fire()`.
#[derive(Default)]
struct Svc {
    fired: AtomicUsize,
    held: Mutex<(usize, bool)>,
    changed: Condvar,
}

impl<I: ProtocolRead + ?Sized, O: ProtocolWrite + ?Sized> Processor<I, O> for Svc {
    fn process(&self, h: &MessageHeader, i: &mut I, o: &mut O) -> Result<()> {
        match h.name.as_str() {
            "echo" => serve_call(h, i, o, |a: Bin| Ok(Bin(0, a.1))),
            "hold" => serve_call(h, i, o, |a: Bin| {
                let mut g = self.held.lock().unwrap();
                g.0 += 1;
                self.changed.notify_all();
                let (g, _) = self
                    .changed
                    .wait_timeout_while(g, Duration::from_secs(10), |(_, open)| !*open)
                    .unwrap();
                drop(g);
                Ok::<_, ApplicationError>(Bin(0, a.1))
            }),
            "fire" => serve_oneway(h, i, o, |_: Bin| {
                self.fired.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }),
            _ => unknown_method(h, i, o),
        }
    }
}

// ------------------------------------------------------------- helpers

/// The server modes.
#[derive(Clone, Copy, Debug)]
enum Mode {
    PerConnection,
    Pool(usize),
    #[cfg(target_os = "linux")]
    Events(usize),
}

const MODES: &[Mode] = &[
    Mode::PerConnection,
    Mode::Pool(2),
    #[cfg(target_os = "linux")]
    Mode::Events(2),
];

fn builder(
    svc: Arc<Svc>,
    mode: Mode,
    protocol: ProtocolKind,
    framing: Framing,
) -> ServerBuilder<Arc<Svc>> {
    let b = Server::builder(svc)
        .protocol(protocol)
        .framing(framing)
        .idle_timeout(Duration::from_secs(10))
        .message_timeout(Duration::from_secs(10))
        .write_timeout(Duration::from_secs(10))
        .drain_timeout(Duration::from_secs(5));
    match mode {
        Mode::PerConnection => b,
        Mode::Pool(n) => b.worker_pool(n, n),
        #[cfg(target_os = "linux")]
        Mode::Events(n) => b.event_driven(n),
    }
}

fn start(b: ServerBuilder<Arc<Svc>>) -> ServerHandle {
    b.bind("127.0.0.1:0").unwrap().spawn().unwrap()
}

fn call(protocol: ProtocolKind, framing: Framing, name: &str, seqid: i32, value: &[u8]) -> Vec<u8> {
    thriftc_tests::message(
        protocol,
        framing,
        name,
        MessageType::Call,
        seqid,
        &Bin(1, value.to_vec()),
    )
}

/// A connected raw socket.
fn raw(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Writes `bytes` from another thread (the server may not read them before
/// the test reads its replies); errors are ignored.
fn send_bg(s: &TcpStream, bytes: Vec<u8>) -> thread::JoinHandle<()> {
    let mut w = s.try_clone().unwrap();
    thread::spawn(move || {
        let _ = w.write_all(&bytes);
    })
}

/// Reads one reply: its header and the value of its result, or the
/// exception.
fn read_reply<R: Read>(
    r: &mut StreamReader<R>,
    protocol: ProtocolKind,
) -> Result<(
    MessageHeader,
    std::result::Result<Vec<u8>, ApplicationError>,
)> {
    if !r.begin_message()? {
        return Err(Error::protocol(ProtocolErrorKind::InvalidData, "closed"));
    }
    fn body<P: ProtocolRead>(
        p: &mut P,
    ) -> Result<(
        MessageHeader,
        std::result::Result<Vec<u8>, ApplicationError>,
    )> {
        let h = p.read_message_begin()?;
        let v = if h.kind == MessageType::Exception {
            Err(ApplicationError::decode(p)?)
        } else {
            Ok(Bin::decode(p)?.1)
        };
        p.read_message_end()?;
        Ok((h, v))
    }
    let out = match protocol {
        ProtocolKind::Binary => body(&mut BinaryProtocol::new(&mut *r, Default::default())),
        ProtocolKind::Compact => body(&mut CompactProtocol::new(&mut *r, Default::default())),
        other => unimplemented!("not covered by these tests: {other:?}"),
    }?;
    r.end_message()?;
    Ok(out)
}

fn replies(s: &TcpStream, framing: Framing) -> StreamReader<TcpStream> {
    StreamReader::new(s.try_clone().unwrap(), framing, Default::default())
}

/// Waits until `s` has bytes to read (the server has begun to answer).
fn wait_readable(s: &TcpStream) {
    let mut b = [0u8; 1];
    s.peek(&mut b).unwrap();
}

/// Polls `cond` every 5 ms until it holds or `within` passes.
fn eventually(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

// ------------------------------------------------------------------ tests

/// A reader that takes `chunk` bytes at a time, pausing between reads: a
/// peer slower than the server, so that the server's socket buffer stays
/// full while it is read.
struct Slow {
    s: TcpStream,
    chunk: usize,
}

impl Read for Slow {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        thread::sleep(Duration::from_micros(500));
        let n = buf.len().min(self.chunk);
        self.s.read(&mut buf[..n])
    }
}

/// A large reply that the peer reads slowly, then input the server gives
/// up on (not a message; framed: a negative frame size) that arrives while
/// the reply is on its way: the server closes the connection over that
/// unread input, which must not reset it before the reply is delivered, in
/// every mode and framing.
#[test]
fn a_close_over_input_that_came_during_a_large_reply_delivers_the_reply() {
    let p = ProtocolKind::Binary;
    let len = 6 << 20;
    let value = vec![7u8; len];
    for framing in [Framing::Buffered, Framing::Framed] {
        for &mode in MODES {
            let svc = Arc::new(Svc::default());
            let server = start(builder(svc, mode, p, framing));
            let s = raw(server.local_addr());
            send_bg(&s, call(p, framing, "echo", 1, &value))
                .join()
                .unwrap();
            // The reply has begun to arrive: the request was read whole.
            wait_readable(&s);
            // More than the server reads at once, so that some of it is
            // still unread when it gives up on the connection.
            let garbage = send_bg(&s, vec![0xffu8; 1 << 20]);
            let slow = Slow {
                s: s.try_clone().unwrap(),
                chunk: 16 << 10,
            };
            let mut r = StreamReader::new(slow, framing, Default::default());
            let got = read_reply(&mut r, p);
            let (h, v) = got.unwrap_or_else(|e| panic!("{mode:?} {framing:?}: reply lost: {e}"));
            assert_eq!(h.seqid, 1);
            assert!(v.unwrap() == value, "{mode:?} {framing:?}");
            // Then the server closes the connection.
            let mut rest = Vec::new();
            let end = s.try_clone().unwrap().read_to_end(&mut rest);
            assert!(
                end.is_ok() && rest.is_empty(),
                "{mode:?} {framing:?}: {end:?}"
            );
            garbage.join().unwrap();
            server.stop();
        }
    }
}

/// A connection closed over unread input whose peer neither closes nor
/// sends more is closed after the linger (1 s) even when the server has no
/// timeouts at all, in every mode: it holds no connection slot for ever.
#[test]
fn a_connection_closed_over_unread_input_lingers_a_bounded_time() {
    // The modes side by side: each waits out the linger.
    let runs: Vec<_> = MODES
        .iter()
        .map(|&mode| thread::spawn(move || linger_is_bounded(mode)))
        .collect();
    for run in runs {
        run.join().unwrap();
    }
}

fn linger_is_bounded(mode: Mode) {
    let p = ProtocolKind::Binary;
    let server = start(
        builder(Arc::new(Svc::default()), mode, p, Framing::Buffered)
            .idle_timeout(None)
            .message_timeout(None)
            .write_timeout(None),
    );
    let mut s = raw(server.local_addr());
    // An answered call, then input the server gives up on, more than it
    // reads at once.
    let mut bytes = call(p, Framing::Buffered, "echo", 1, b"hi");
    bytes.extend(vec![0xffu8; 256 << 10]);
    let writer = send_bg(&s, bytes);
    let (h, v) = read_reply(&mut replies(&s, Framing::Buffered), p).unwrap();
    assert_eq!((h.seqid, v.unwrap()), (1, b"hi".to_vec()), "{mode:?}");
    writer.join().unwrap();
    // The server ends its side: end of stream after the reply.
    let mut rest = Vec::new();
    assert_eq!(s.read_to_end(&mut rest).unwrap(), 0, "{mode:?}");
    assert!(
        eventually(Duration::from_secs(3), || server.connections() == 0),
        "{mode:?}: the connection is still open"
    );
    server.stop();
}

/// Settings given as a whole `ServerConfig` get the bounds the builder's
/// methods give them: no workers, threads, queue or connections at all
/// would leave every client unanswered for ever.
#[test]
fn zero_counts_in_a_server_config_still_serve() {
    let modes = [
        server::Mode::ThreadPerConnection,
        server::Mode::WorkerPool {
            workers: 0,
            queue: 0,
        },
        #[cfg(target_os = "linux")]
        server::Mode::EventDriven { threads: 0 },
    ];
    for mode in modes {
        let mut config = ServerConfig::default();
        config.mode = mode;
        config.max_connections = 0;
        let server = Server::builder(Svc::default())
            .config(config)
            .bind("127.0.0.1:0")
            .unwrap()
            .spawn()
            .unwrap();
        let mut c = Connector::new(server.local_addr())
            .unwrap()
            .read_timeout(Duration::from_secs(3))
            .connect()
            .unwrap();
        let got = c.call::<_, Bin>("echo", &Bin(1, b"hi".to_vec()));
        assert_eq!(got.map(|b| b.1).ok(), Some(b"hi".to_vec()), "{mode:?}");
        drop(c);
        server.stop();
    }
}
