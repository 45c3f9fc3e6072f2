//! Raw peers for the async client tests: a server thread that reads and
//! answers requests with bytes a test chooses, and the runtimes and polls
//! the tests wait with.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use thriftc_runtime::protocol::{MessageHeader, MessageType, ProtocolRead};
use thriftc_runtime::{BinaryProtocol, Framing, ProtocolKind};

use crate::server_support::{AddArgs, Replies, Ret, message};

/// How long a raw server's reads wait.
const WAIT: Duration = Duration::from_secs(10);

/// A two-thread runtime, so calls really run at once.
pub fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Polls `cond` every 5 ms until it holds (true) or `within` passed.
pub async fn until(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + within;
    while !cond() {
        if Instant::now() > end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    true
}

/// Accepts one connection on a loopback port and runs `script` on it, in
/// a thread of its own.
pub fn raw_server(script: impl FnOnce(TcpStream) + Send + 'static) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let join = thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        script(s);
    });
    (addr, join)
}

/// Reads one `add` request (binary); `None` once the client closed.
pub fn read_add(reader: &mut Replies) -> Option<(MessageHeader, AddArgs)> {
    if !reader.begin_message().ok()? {
        return None;
    }
    let mut p = BinaryProtocol::new(&mut *reader, Default::default());
    let h = p.read_message_begin().unwrap();
    let args = thriftc_runtime::Decode::decode(&mut p).unwrap();
    p.read_message_end().unwrap();
    reader.end_message().unwrap();
    Some((h, args))
}

/// A binary REPLY named `name` with `seqid`, carrying `value` (framed or
/// not).
pub fn add_reply(framing: Framing, name: &str, seqid: i32, value: i32) -> Vec<u8> {
    message(
        ProtocolKind::Binary,
        framing,
        name,
        MessageType::Reply,
        seqid,
        &Ret::Success(value),
    )
}

/// A loopback listener whose accept queue holds a single connection.
pub fn short_queue_listener() -> (SocketAddr, tokio::net::TcpListener) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    (listener.local_addr().unwrap(), listener)
}

/// Connects to the listener at `addr` until a connect times out: its
/// accept queue is full, and further connects hang (the kernel drops the
/// SYNs) until the connect timeout, like a server behind a firewall that
/// drops packets. Returns the connections that fill the queue (keep them
/// alive).
pub fn fill_accept_queue(addr: SocketAddr) -> Vec<TcpStream> {
    let mut fill = Vec::new();
    for _ in 0..64 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => fill.push(s),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return fill,
            Err(e) => panic!("filling the accept queue: {e}"),
        }
    }
    panic!("could not fill the accept queue of a listener");
}
