//! The async server (feature `tokio`) at its edges: arguments cut short
//! inside their frame, `serve` returning only once its connections are
//! closed, and hostile bytes (also under small limits).

mod server_support;
mod tokio_support;

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use server_support::*;
use thriftc_runtime::protocol::MessageType;
use thriftc_runtime::tokio::AsyncServer;
use thriftc_runtime::{ApplicationErrorKind, Framing, Limits, ProtocolKind};
use tokio_support::*;

const WAIT: Duration = Duration::from_secs(10);

/// Counts the panics in this test binary other than the test handler's
/// own (`handler bug`), from the first call on.
fn unexpected_panics() -> &'static AtomicUsize {
    static PANICS: AtomicUsize = AtomicUsize::new(0);
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = thriftc_runtime::processor::panic_message(info.payload());
            if !msg.contains("handler bug") {
                PANICS.fetch_add(1, Ordering::SeqCst);
                default(info);
            }
        }));
    });
    &PANICS
}

/// A xorshift generator: the same inputs on every run.
fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// Flips, overwrites, cuts or inserts a byte of `m`, `times` times.
fn mutate(m: &mut Vec<u8>, rand: &mut impl FnMut() -> u64, times: u64) {
    for _ in 0..times {
        let at = (rand() % m.len() as u64) as usize;
        match rand() % 4 {
            0 => m[at] ^= 1 << (rand() % 8),
            1 => m[at] = [0x00, 0x7f, 0x80, 0xff][(rand() % 4) as usize],
            2 => m.truncate(at.max(1)),
            _ => m.insert(at, (rand() & 0xff) as u8),
        }
    }
}

/// Sends `m` on a connection of its own, ends the sending side and reads
/// until the server closes it.
fn send_and_drain(addr: std::net::SocketAddr, m: &[u8]) {
    let mut s = raw(addr);
    let _ = s.write_all(m);
    let _ = s.shutdown(std::net::Shutdown::Write);
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut sink = Vec::new();
    let _ = s.read_to_end(&mut sink);
}

/// A framed `add` call whose arguments end inside the frame, halfway
/// through an i32 field.
fn truncated_framed_add(seqid: i32) -> Vec<u8> {
    let (p, f) = (ProtocolKind::Binary, Framing::Buffered);
    let mut body = call_msg(p, f, "add", seqid, &NoArgs);
    body.pop(); // the STOP
    body.extend([0x08, 0x00, 0x01, 0x00, 0x00]); // i32 field 1, 2 of 4 bytes
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

/// What the server does with `truncated_framed_add` followed by a good call:
/// `Some(kind)` of the first reply if answered and the second is answered
/// too.
fn truncated_frame_outcome(addr: std::net::SocketAddr) -> Result<(), String> {
    let (p, f) = (ProtocolKind::Binary, Framing::Framed);
    let mut s = raw(addr);
    let mut bytes = truncated_framed_add(1);
    bytes.extend(call_msg(p, f, "add", 2, &AddArgs { a: 2, b: 2 }));
    send(&mut s, &bytes);
    let mut replies = replies(&s, f);
    let (h, r) = read_reply::<Ret<i32>>(&mut replies, p).map_err(|e| format!("reply 1: {e}"))?;
    if h.seqid != 1 || h.kind != MessageType::Exception {
        return Err(format!("reply 1: {h:?}"));
    }
    let kind = r.unwrap_err().kind;
    if kind != ApplicationErrorKind::ProtocolError {
        return Err(format!("reply 1 kind {kind:?}"));
    }
    let (h, r) = read_reply::<Ret<i32>>(&mut replies, p).map_err(|e| format!("reply 2: {e}"))?;
    if (h.seqid, r) != (2, Ok(Ret::Success(4))) {
        return Err(format!("reply 2: {h:?}"));
    }
    Ok(())
}

/// Arguments that end inside their frame are answered `PROTOCOL_ERROR` and
/// the connection is kept, by the blocking server and the async one.
#[test]
fn args_truncated_inside_a_frame_are_a_protocol_error() {
    let blocking = calc_server(
        Threads::PerConnection,
        ProtocolKind::Binary,
        Framing::Framed,
    );
    assert_eq!(
        truncated_frame_outcome(blocking.local_addr()),
        Ok(()),
        "blocking server"
    );
    blocking.stop();
    let server = start(async_builder(Default::default()).framing(Framing::Framed));
    assert_eq!(truncated_frame_outcome(server.addr), Ok(()), "async server");
    assert!(server.stop_within(WAIT));
}

#[test]
fn serve_returns_only_once_its_connections_are_closed() {
    let rt = runtime();
    rt.block_on(async {
        let calc = Arc::new(AsyncCalc::default());
        let server = AsyncServer::builder(calc.clone())
            .drain_timeout(Duration::from_millis(100))
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let (addr, handle) = (server.local_addr(), server.handle());
        let stopper = handle.clone();
        let calc2 = calc.clone();
        // The peer's side runs as a task; `serve` runs in the main future,
        // so what is checked is the state at the moment it returns.
        let peer = tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            let req = call_msg(ProtocolKind::Binary, Framing::Buffered, "gate", 1, &NoArgs);
            tokio::io::AsyncWriteExt::write_all(&mut s, &req)
                .await
                .unwrap();
            while calc2.at_gate.load(Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            stopper.stop();
            s
        });
        server.serve().await.unwrap();
        assert!(handle.is_stopped());
        let open = handle.connections();
        drop(peer);
        assert_eq!(open, 0, "connections still open after serve returned");
    });
}

/// Hostile bytes (mutations of valid requests, and the adversarial cases)
/// never panic a connection task, and the server keeps serving.
#[test]
fn hostile_bytes_never_panic_and_the_server_keeps_serving() {
    let panics = unexpected_panics();
    let mut rand = xorshift(0x9e37_79b9_7f4a_7c15);
    for (p, f) in COMBOS {
        let server = start(
            async_builder(Default::default())
                .protocol(p)
                .framing(f)
                .idle_timeout(Duration::from_millis(300))
                .message_timeout(Duration::from_millis(300)),
        );
        let seeds = [
            call_msg(p, f, "add", 1, &AddArgs { a: 1, b: 2 }),
            call_msg(p, f, "echo", 2, &Args1("hello".to_owned())),
            oneway_msg(p, f, "fire", 3, &Args1(7)),
            call_msg(p, f, "nope", 4, &Args1(vec![1u8, 2, 3])),
        ];
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for _ in 0..300 {
            let mut m = seeds[(rand() % seeds.len() as u64) as usize].clone();
            let times = 1 + rand() % 4;
            mutate(&mut m, &mut rand, times);
            inputs.push(m);
        }
        for m in inputs {
            send_and_drain(server.addr, &m);
        }
        let mut c = client(server.addr, p, f);
        assert_eq!(add(&mut c, 2, 3).unwrap(), 5, "{p:?} {f:?}");
        drop(c);
        assert!(eventually(WAIT, || server.handle.connections() == 0));
        assert!(server.stop_within(WAIT));
    }
    assert_eq!(panics.load(Ordering::SeqCst), 0);
}

/// Hostile bytes under small limits (message size, frame size, depth),
/// with and without protocol detection: pipelined runs of requests, some
/// of which panic their handler, mutated; no connection task panics, and
/// every connection is closed.
#[test]
fn hostile_bytes_under_small_limits_never_panic() {
    let panics = unexpected_panics();
    let mut rand = xorshift(0x1234_5678_9abc_def1);
    let limit_sets = [
        Limits::default().with_max_message_size(40),
        Limits::default().with_max_message_size(1),
        Limits::default().with_max_message_size(0),
        Limits::default().with_max_frame_size(30),
        Limits::default().with_max_depth(1),
        Limits::default().with_max_depth(0),
    ];
    for limits in limit_sets {
        for detect in [false, true] {
            for (p, f) in COMBOS {
                let mut b = async_builder(Default::default())
                    .limits(limits)
                    .idle_timeout(Duration::from_millis(200))
                    .message_timeout(Duration::from_millis(200));
                b = if detect {
                    b.detect_protocol(true)
                } else {
                    b.protocol(p).framing(f)
                };
                let server = start(b);
                let seeds = [
                    call_msg(p, f, "add", 1, &AddArgs { a: 1, b: 2 }),
                    call_msg(p, f, "echo", 2, &Args1("hello".to_owned())),
                    oneway_msg(p, f, "fire", 3, &Args1(7)),
                    call_msg(p, f, "nope", 4, &Args1(vec![vec![1i32, 2, 3]])),
                    call_msg(p, f, "panic", 5, &NoArgs),
                    call_msg(p, f, "big", 6, &Args1(100i32)),
                ];
                for _ in 0..40 {
                    let mut m = Vec::new();
                    for _ in 0..1 + rand() % 3 {
                        m.extend(&seeds[(rand() % seeds.len() as u64) as usize]);
                    }
                    let times = rand() % 4;
                    mutate(&mut m, &mut rand, times);
                    send_and_drain(server.addr, &m);
                }
                assert!(
                    eventually(WAIT, || server.handle.connections() == 0),
                    "{limits:?} {p:?} {f:?} detect {detect}"
                );
                assert!(server.stop_within(WAIT));
            }
        }
    }
    assert_eq!(panics.load(Ordering::SeqCst), 0);
}

/// A processor whose handler blocks its thread (a synchronous call that
/// hangs), after saying it started.
struct Blocks(std::sync::Mutex<std::sync::mpsc::Sender<()>>);

impl thriftc_runtime::tokio::AsyncProcessor for Blocks {
    fn process(
        &self,
        call: thriftc_runtime::tokio::Call,
    ) -> thriftc_runtime::tokio::BoxFuture<'_, thriftc_runtime::tokio::Reply> {
        Box::pin(async move {
            let _ = self.0.lock().unwrap().send(());
            std::thread::sleep(Duration::from_secs(8));
            call.unknown_method()
        })
    }
}

/// The drain timeout bounds a stop, as the blocking server's does, even
/// with a handler that blocks its thread and so cannot be aborted.
#[test]
fn the_drain_timeout_bounds_serve_with_a_blocking_handler() {
    let (tx, started) = std::sync::mpsc::channel();
    let server = start(
        AsyncServer::builder(Blocks(std::sync::Mutex::new(tx)))
            .drain_timeout(Duration::from_millis(200)),
    );
    let mut s = raw(server.addr);
    send(
        &mut s,
        &call_msg(ProtocolKind::Binary, Framing::Buffered, "x", 1, &NoArgs),
    );
    started.recv_timeout(WAIT).unwrap();
    let t = std::time::Instant::now();
    assert!(
        server.stop_within(Duration::from_secs(3)),
        "serve had not returned {:?} after the stop (drain timeout 200 ms)",
        t.elapsed()
    );
}
