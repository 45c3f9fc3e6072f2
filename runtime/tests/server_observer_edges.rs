//! The blocking server's observer at its edges: replies byte for byte the
//! same with and without one, in every mode, also under pipelining and
//! processor panics; a reply sent before the rest of its frame is read;
//! a reply a failing processor wrote first, reported as delivered; half
//! sent calls; and an observer whose panic payload panics when dropped.

mod observer_support;
mod server_support;

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use observer_support::*;
use server_support::*;
use thriftc_runtime::processor::{Processor, serve_call};
use thriftc_runtime::protocol::{MessageHeader, ProtocolRead, ProtocolWrite};
use thriftc_runtime::server::{CallOutcome, ConnectionInfo, ServerObserver};
use thriftc_runtime::{Framing, ProtocolKind, Result};

const MODES: [Threads; 3] = [Threads::PerConnection, Threads::Pool(2), Threads::Events(2)];

/// Calc, plus methods that misbehave at the processor level.
#[derive(Default)]
struct Wrap {
    calc: Calc,
}

impl<I: ProtocolRead + ?Sized, O: ProtocolWrite + ?Sized> Processor<I, O> for Wrap {
    fn process(&self, h: &MessageHeader, i: &mut I, o: &mut O) -> Result<()> {
        match h.name.as_str() {
            // A panic in the processor itself (not in a handler).
            "procpanic" => panic!("processor handler bug"),
            // Replies, then panics.
            "reply_then_panic" => {
                serve_call(h, i, o, |a: AddArgs| Ok(Ret::Success(a.a + a.b)))?;
                panic!("late handler bug")
            }
            // Replies, then fails as a broken input would.
            "reply_then_fail" => {
                serve_call(h, i, o, |a: AddArgs| Ok(Ret::Success(a.a + a.b)))?;
                Err(thriftc_runtime::Error::Transport(
                    thriftc_runtime::TransportError::new(
                        thriftc_runtime::TransportErrorKind::EndOfFile,
                        "input went away",
                    ),
                ))
            }
            _ => self.calc.process(h, i, o),
        }
    }
}

fn server(
    threads: Threads,
    protocol: ProtocolKind,
    framing: Framing,
    observer: Option<&Arc<Recorder>>,
) -> (thriftc_runtime::ServerHandle, Arc<Wrap>) {
    let wrap = Arc::new(Wrap::default());
    let mut b = threads.apply(builder(wrap.clone())).wire(protocol, framing);
    if let Some(r) = observer {
        b = b.observer(r.clone());
    }
    (b.start(), wrap)
}

/// Sends `bytes` at once, reads until the server closes or `within`.
fn exchange(addr: SocketAddr, bytes: &[u8], within: Duration) -> Vec<u8> {
    let mut s = raw(addr);
    send(&mut s, bytes);
    s.set_read_timeout(Some(within)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// A pipelined burst: calls, oneways, an unknown method, an app error,
/// a processor panic last (closes).
fn burst(p: ProtocolKind, f: Framing) -> Vec<u8> {
    let mut bytes = Vec::new();
    for seqid in 0..12 {
        bytes.extend(call_msg(p, f, "add", seqid, &AddArgs { a: seqid, b: 1 }));
        bytes.extend(oneway_msg(p, f, "fire", 100 + seqid, &Args1(1i32)));
    }
    bytes.extend(call_msg(p, f, "nope", 50, &NoArgs));
    bytes.extend(call_msg(p, f, "Calc:add", 51, &AddArgs { a: 1, b: 1 }));
    bytes.extend(call_msg(p, f, "app_error", 52, &Args1("x".to_string())));
    bytes.extend(call_msg(p, f, "panic", 53, &NoArgs));
    bytes.extend(call_msg(p, f, "procpanic", 54, &NoArgs));
    bytes
}

#[test]
fn pipelined_replies_are_byte_identical_and_each_call_reported() {
    quiet_expected_panics();
    for threads in MODES {
        for (p, f) in COMBOS {
            let what = format!("{threads:?} {p:?} {f:?}");
            let (plain, _) = server(threads, p, f, None);
            let expected = exchange(plain.local_addr(), &burst(p, f), Duration::from_secs(5));
            plain.stop();
            let recorder = Arc::new(Recorder::default());
            let (watched, _) = server(threads, p, f, Some(&recorder));
            let got = exchange(watched.local_addr(), &burst(p, f), Duration::from_secs(5));
            assert_eq!(got, expected, "{what}: reply bytes differ");
            let events = recorder.wait_closed(1);
            let lives = check_lifecycles(&events);
            let calls = &lives[0].1;
            assert_eq!(calls.len(), 12 * 2 + 5, "{what}: {calls:#?}");
            let last = calls.last().unwrap();
            assert_eq!(
                (last.method.as_str(), last.seqid, last.outcome),
                (
                    "procpanic",
                    54,
                    CallOutcome::Exception(thriftc_runtime::ApplicationErrorKind::InternalError)
                ),
                "{what}"
            );
            watched.stop();
        }
    }
}

#[test]
fn a_reply_then_a_panic_is_byte_identical() {
    quiet_expected_panics();
    for threads in MODES {
        for (p, f) in COMBOS {
            let what = format!("{threads:?} {p:?} {f:?}");
            let mut bytes = call_msg(p, f, "reply_then_panic", 1, &AddArgs { a: 1, b: 2 });
            bytes.extend(call_msg(p, f, "add", 2, &AddArgs { a: 1, b: 2 }));
            let (plain, _) = server(threads, p, f, None);
            let expected = exchange(plain.local_addr(), &bytes, Duration::from_secs(5));
            plain.stop();
            let recorder = Arc::new(Recorder::default());
            let (watched, _) = server(threads, p, f, Some(&recorder));
            let got = exchange(watched.local_addr(), &bytes, Duration::from_secs(5));
            assert_eq!(got, expected, "{what}: reply bytes differ");
            let events = recorder.wait_closed(1);
            let lives = check_lifecycles(&events);
            eprintln!("{what}: {:?}", lives[0].1);
            watched.stop();
        }
    }
}

/// A peer that leaves after the header of its call (but before the rest):
/// thread modes report the call Undelivered, the event-driven mode
/// reports nothing (the trait docs).
#[test]
fn a_half_sent_call_is_reported_as_documented() {
    for threads in MODES {
        for (p, f) in COMBOS {
            let what = format!("{threads:?} {p:?} {f:?}");
            let recorder = Arc::new(Recorder::default());
            let (srv, _) = server(threads, p, f, Some(&recorder));
            let msg = call_msg(p, f, "echo", 9, &Args1("x".repeat(200)));
            let mut s = raw(srv.local_addr());
            send(&mut s, &msg[..60]);
            std::thread::sleep(Duration::from_millis(200));
            drop(s);
            let events = recorder.wait_closed(1);
            let lives = check_lifecycles(&events);
            let calls: Vec<_> = lives[0].1.iter().map(|c| (c.seqid, c.outcome)).collect();
            let want: &[(i32, CallOutcome)] = match threads {
                Threads::Events(_) => &[],
                _ => &[(9, CallOutcome::Undelivered)],
            };
            assert_eq!(calls, want, "{what}");
            srv.stop();
        }
    }
}

/// A reply that reached the peer is not reported Undelivered.
#[test]
fn a_delivered_reply_is_not_reported_undelivered() {
    let mut wrong = Vec::new();
    for threads in MODES {
        let (p, f) = (ProtocolKind::Binary, Framing::Buffered);
        let recorder = Arc::new(Recorder::default());
        let (srv, _) = server(threads, p, f, Some(&recorder));
        let mut s = raw(srv.local_addr());
        send(
            &mut s,
            &call_msg(p, f, "reply_then_fail", 4, &AddArgs { a: 1, b: 2 }),
        );
        let mut r = replies(&s, f);
        let (h, v) = read_reply::<Ret<i32>>(&mut r, p).expect("the reply arrives");
        assert_eq!((h.seqid, v.ok()), (4, Some(Ret::Success(3))), "{threads:?}");
        let events = recorder.wait_closed(1);
        let lives = check_lifecycles(&events);
        let calls: Vec<_> = lives[0].1.iter().map(|c| (c.seqid, c.outcome)).collect();
        if calls != [(4, CallOutcome::Reply)] {
            wrong.push(format!(
                "{threads:?}: the peer read the reply, reported {calls:?}"
            ));
        }
        srv.stop();
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A framed call whose frame runs past its message (the server skips
/// the rest), or whose arguments are bad from their first byte (answered
/// PROTOCOL_ERROR, the rest of the frame skipped): its reply goes out
/// once the message is handled, not once the rest of the frame has
/// arrived, with or without an observer.
#[test]
fn a_reply_is_not_held_until_the_rest_of_its_frame_arrives() {
    let mut wrong = Vec::new();
    let p = ProtocolKind::Binary;
    let f = Framing::Framed;
    // `add` with whole arguments, then 8 bytes of the frame to come.
    let good = call_msg(p, Framing::Buffered, "add", 1, &AddArgs { a: 1, b: 2 });
    // `add` whose arguments start with a field of no known type, then
    // 1000 bytes of the frame to come.
    let mut bad = vec![
        0x80, 1, 0, 1, 0, 0, 0, 3, b'a', b'd', b'd', 0, 0, 0, 2, 0x63,
    ];
    let cases = [(good, 8usize), (std::mem::take(&mut bad), 1000)];
    for threads in [Threads::PerConnection, Threads::Pool(2)] {
        for (case, (msg, rest)) in cases.iter().enumerate() {
            for observe in [false, true] {
                let recorder = Arc::new(Recorder::default());
                let (srv, _) = server(threads, p, f, observe.then_some(&recorder));
                let mut first = ((msg.len() + rest) as u32).to_be_bytes().to_vec();
                first.extend(msg);
                let mut s = raw(srv.local_addr());
                send(&mut s, &first);
                let mut r = replies(&s, f);
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                if let Err(e) = read_reply::<Ret<i32>>(&mut r, p) {
                    wrong.push(format!(
                        "{threads:?} case {case} observer {observe}: no reply within 2 s: {e}"
                    ));
                }
                send(&mut s, &vec![0u8; *rest]);
                srv.stop();
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A panic payload whose drop panics (once).
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("handler bug: the payload's drop");
    }
}

/// Panics (with a `Bomb`) when the first connection opens.
#[derive(Default)]
struct Mine(AtomicUsize);

impl ServerObserver for Mine {
    fn connection_opened(&self, _: &ConnectionInfo) {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            std::panic::resume_unwind(Box::new(Bomb));
        }
    }
}

/// The first connection's observer panics; the server still answers
/// the next connection.
#[test]
fn a_panicking_observer_with_a_bad_payload_breaks_nothing() {
    quiet_expected_panics();
    let server = calc_builder(Threads::PerConnection)
        .observer(Mine::default())
        .start();
    let (p, f) = (ProtocolKind::Binary, Framing::Buffered);
    let first = raw(server.local_addr());
    std::thread::sleep(Duration::from_millis(200));
    drop(first);
    let mut c = connector(server.local_addr(), p, f)
        .read_timeout(Duration::from_secs(3))
        .connect()
        .unwrap();
    let got = add(&mut c, 1, 2);
    assert_eq!(got.ok(), Some(3), "the server no longer answers");
}
