//! Starting test servers and driving them with raw sockets: servers on a
//! loopback port, encoded requests, writers that keep sending, and peers that
//! reset or block a handler.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use thriftc_runtime::client::Channel;
use thriftc_runtime::protocol::MessageType;
use thriftc_runtime::server::{ServerBuilder, ServerHandle, ServerProcessor};
use thriftc_runtime::{Encode, Framing, ProtocolKind, Result};

use super::{Args1, Calc, NoArgs, Ret, Threads, builder, client, eventually, message};

/// Shorthands for the test server builders.
pub trait BuilderExt: Sized {
    /// Sets the protocol and the framing.
    fn wire(self, protocol: ProtocolKind, framing: Framing) -> Self;
    /// Binds a free loopback port and serves on background threads.
    fn start(self) -> ServerHandle;
}

impl<P: ServerProcessor> BuilderExt for ServerBuilder<P> {
    fn wire(self, protocol: ProtocolKind, framing: Framing) -> Self {
        self.protocol(protocol).framing(framing)
    }

    fn start(self) -> ServerHandle {
        self.bind("127.0.0.1:0").unwrap().spawn().unwrap()
    }
}

/// The test builder of a fresh `Calc` in `threads` mode.
pub fn calc_builder(threads: Threads) -> ServerBuilder<Calc> {
    threads.apply(builder(Calc::default()))
}

/// A started `Calc` server in `threads` mode on `protocol` and `framing`.
pub fn calc_server(threads: Threads, protocol: ProtocolKind, framing: Framing) -> ServerHandle {
    calc_builder(threads).wire(protocol, framing).start()
}

/// Stops `server`; returns how long `stop` took.
pub fn timed_stop(server: &ServerHandle) -> Duration {
    let started = Instant::now();
    server.stop();
    started.elapsed()
}

/// Encodes a call of `name` as the client would send it.
pub fn call_msg<A: Encode>(
    protocol: ProtocolKind,
    framing: Framing,
    name: &str,
    seqid: i32,
    args: &A,
) -> Vec<u8> {
    message(protocol, framing, name, MessageType::Call, seqid, args)
}

/// Encodes a oneway call of `name` as the client would send it.
pub fn oneway_msg<A: Encode>(
    protocol: ProtocolKind,
    framing: Framing,
    name: &str,
    seqid: i32,
    args: &A,
) -> Vec<u8> {
    message(protocol, framing, name, MessageType::Oneway, seqid, args)
}

/// The length of the reply to an `echo_bin` call of `len` bytes.
pub fn echo_reply_len(protocol: ProtocolKind, framing: Framing, len: usize) -> usize {
    let reply = Ret::Success(vec![7u8; len]);
    message(protocol, framing, "echo_bin", MessageType::Reply, 0, &reply).len()
}

/// Serializes the tests of one file that count threads or time their calls.
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Resets the connection (RST) as it is dropped.
#[cfg(target_os = "linux")]
pub fn reset(s: TcpStream) {
    let _ = rustix::net::sockopt::set_socket_linger(&s, Some(Duration::ZERO));
    drop(s);
}

/// Reads `s` until end of stream or error from another thread; returns the
/// number of bytes read.
pub fn drain(s: &TcpStream) -> JoinHandle<usize> {
    let mut r = s.try_clone().unwrap();
    thread::spawn(move || {
        let mut b = vec![0u8; 65536];
        let mut n = 0usize;
        loop {
            match r.read(&mut b) {
                Ok(0) | Err(_) => return n,
                Ok(k) => n += k,
            }
        }
    })
}

/// A thread that writes the same bytes on a socket over and over.
pub struct Flood {
    go: Arc<AtomicBool>,
    thread: JoinHandle<u64>,
}

impl Flood {
    /// Writes `bytes` on a clone of `s` (200 ms write timeout, which only
    /// retries) until stopped or the connection fails, pausing `pause`
    /// after each write.
    pub fn start(s: &TcpStream, bytes: Vec<u8>, pause: Duration) -> Flood {
        let go = Arc::new(AtomicBool::new(true));
        let g2 = go.clone();
        let mut w = s.try_clone().unwrap();
        w.set_write_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let thread = thread::spawn(move || {
            let mut sent = 0u64;
            while g2.load(Ordering::SeqCst) {
                match w.write_all(&bytes) {
                    Ok(()) => sent += 1,
                    Err(e)
                        if e.kind() == std::io::ErrorKind::WouldBlock
                            || e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(e) => {
                        eprintln!("flood: {e}");
                        break;
                    }
                }
                if !pause.is_zero() {
                    thread::sleep(pause);
                }
            }
            sent
        });
        Flood { go, thread }
    }

    /// Stops the writes; returns how many were whole.
    pub fn stop(self) -> u64 {
        self.go.store(false, Ordering::SeqCst);
        self.thread.join().unwrap()
    }
}

/// Calls `gate` on a new binary client of `addr` and waits (5 s at most)
/// until the handler blocks in `calc`'s gate; the thread returns the reply.
pub fn call_stuck_at_gate(addr: SocketAddr, calc: &Calc) -> JoinHandle<Result<Ret<i32>>> {
    let mut c = client(addr, ProtocolKind::Binary, Framing::Buffered);
    let call = thread::spawn(move || c.call::<_, Ret<i32>>("gate", &NoArgs));
    assert!(eventually(Duration::from_secs(5), || calc
        .gate
        .waiting
        .load(Ordering::SeqCst)
        == 1));
    call
}

/// An `echo_bin` call of `len` bytes of 7.
pub fn echo_msg(protocol: ProtocolKind, framing: Framing, seqid: i32, len: usize) -> Vec<u8> {
    call_msg(protocol, framing, "echo_bin", seqid, &Args1(vec![7u8; len]))
}
