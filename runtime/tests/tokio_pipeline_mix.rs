//! The async server under long random pipelines, chunked at random,
//! with replies of every kind (results, declared and application errors,
//! unknown methods, panics, bad arguments, oneway), every protocol and
//! framing, and protocol detection: each reply must answer its own request,
//! in order, with its own bytes (no stale bytes from a recycled buffer).

mod server_support;
mod tokio_support;

use std::io::Write;
use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::protocol::MessageType;
use thriftc_runtime::{ApplicationErrorKind, Framing, ProtocolKind};
use tokio_support::*;

const WAIT: Duration = Duration::from_secs(20);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What a request expects back.
#[derive(Debug)]
enum Want {
    Int(i32),
    Str(String),
    Oops(String),
    Exc(ApplicationErrorKind, String),
    Nothing,
}

fn text(rng: &mut Rng, len: usize, seqid: i32) -> String {
    let c = (b'a' + (seqid % 26) as u8) as char;
    let mut s = String::with_capacity(len);
    for i in 0..len {
        if i % 97 == 0 {
            s.push((b'A' + rng.below(26) as u8) as char);
        } else {
            s.push(c);
        }
    }
    s
}

fn request(rng: &mut Rng, p: ProtocolKind, f: Framing, seqid: i32) -> (Vec<u8>, Want) {
    let len = match rng.below(10) {
        0 => 70_000 + rng.below(40_000) as usize,
        1 => 5_000 + rng.below(5_000) as usize,
        _ => rng.below(200) as usize,
    };
    match rng.below(9) {
        0 => {
            let (a, b) = (rng.next() as i32, rng.next() as i32);
            (
                call_msg(p, f, "add", seqid, &AddArgs { a, b }),
                Want::Int(a.wrapping_add(b)),
            )
        }
        1 | 2 => {
            let s = text(rng, len, seqid);
            (
                call_msg(p, f, "echo", seqid, &Args1(s.clone())),
                Want::Str(s),
            )
        }
        3 => {
            let s = text(rng, len.min(300), seqid);
            (
                call_msg(p, f, "oops", seqid, &Args1(s.clone())),
                Want::Oops(s),
            )
        }
        4 => {
            let s = text(rng, len.min(300), seqid);
            (
                call_msg(p, f, "app_error", seqid, &Args1(s.clone())),
                Want::Exc(ApplicationErrorKind::Unknown, s),
            )
        }
        5 => {
            let name = format!("nope{}", "_".repeat(rng.below(40) as usize));
            let m = format!("Invalid method name: '{name}'");
            (
                call_msg(p, f, &name, seqid, &NoArgs),
                Want::Exc(ApplicationErrorKind::UnknownMethod, m),
            )
        }
        6 => {
            let name = if rng.below(2) == 0 {
                "panic"
            } else {
                "panic_now"
            };
            (
                call_msg(p, f, name, seqid, &NoArgs),
                Want::Exc(
                    ApplicationErrorKind::InternalError,
                    format!("Internal error processing {name}"),
                ),
            )
        }
        7 => (oneway_msg(p, f, "fire", seqid, &Args1(1i32)), Want::Nothing),
        _ => (
            // `add` with a string: bad arguments.
            call_msg(p, f, "add", seqid, &Args1(text(rng, len.min(50), seqid))),
            Want::Exc(ApplicationErrorKind::ProtocolError, String::new()),
        ),
    }
}

/// Sends `n` random requests pipelined in random chunks and checks every
/// reply; `Err` says what went wrong first.
fn run(addr: SocketAddr, p: ProtocolKind, f: Framing, seed: u64, n: i32) -> Result<(), String> {
    let mut rng = Rng(seed);
    let mut bytes = Vec::new();
    let mut wants = Vec::new();
    for seqid in 1..=n {
        let (b, w) = request(&mut rng, p, f, seqid);
        bytes.extend(b);
        wants.push((seqid, w));
    }
    let s = raw(addr);
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut w = s.try_clone().unwrap();
    let writer = thread::spawn(move || {
        let mut rng = Rng(seed ^ 0x9e37_79b9);
        let mut at = 0;
        while at < bytes.len() {
            let k = match rng.below(4) {
                0 => 1 + rng.below(8) as usize,
                1 => 1 + rng.below(300) as usize,
                _ => 1 + rng.below(20_000) as usize,
            };
            let end = (at + k).min(bytes.len());
            if w.write_all(&bytes[at..end]).is_err() {
                return;
            }
            at = end;
            if rng.below(8) == 0 {
                thread::sleep(Duration::from_millis(1));
            }
        }
    });
    let mut replies = replies(&s, f);
    for (seqid, want) in wants {
        let ctx = format!("{p:?} {f:?} seed {seed} seqid {seqid} want {want:?}");
        let got_ok = |h: &thriftc_runtime::protocol::MessageHeader| -> Result<(), String> {
            if h.seqid != seqid {
                return Err(format!("{ctx}: reply has seqid {}", h.seqid));
            }
            Ok(())
        };
        match &want {
            Want::Nothing => continue,
            Want::Int(v) => {
                let (h, r) =
                    read_reply::<Ret<i32>>(&mut replies, p).map_err(|e| format!("{ctx}: {e}"))?;
                got_ok(&h)?;
                if r != Ok(Ret::Success(*v)) || h.kind != MessageType::Reply {
                    return Err(format!("{ctx}: got {:?} {r:?}", h.kind));
                }
            }
            Want::Str(s) => {
                let (h, r) = read_reply::<Ret<String>>(&mut replies, p)
                    .map_err(|e| format!("{ctx}: {e}"))?;
                got_ok(&h)?;
                if r.as_ref() != Ok(&Ret::Success(s.clone())) {
                    return Err(format!("{ctx}: wrong echo ({:?})", r.map(|_| ())));
                }
            }
            Want::Oops(s) => {
                let (h, r) =
                    read_reply::<Ret<i32>>(&mut replies, p).map_err(|e| format!("{ctx}: {e}"))?;
                got_ok(&h)?;
                if r != Ok(Ret::Oops(s.clone())) {
                    return Err(format!("{ctx}: got {r:?}"));
                }
            }
            Want::Exc(kind, m) => {
                let (h, r) =
                    read_reply::<Ret<i32>>(&mut replies, p).map_err(|e| format!("{ctx}: {e}"))?;
                got_ok(&h)?;
                match r {
                    Err(e) if e.kind == *kind && (m.is_empty() || e.message == *m) => {}
                    other => return Err(format!("{ctx}: got {other:?}")),
                }
            }
        }
    }
    writer.join().unwrap();
    Ok(())
}

#[test]
fn random_pipelines_are_answered_in_order_with_their_own_bytes() {
    quiet_expected_panics();
    const COMBOS: [(ProtocolKind, Framing); 4] = [
        (ProtocolKind::Binary, Framing::Buffered),
        (ProtocolKind::Binary, Framing::Framed),
        (ProtocolKind::Compact, Framing::Buffered),
        (ProtocolKind::Compact, Framing::Framed),
    ];
    for detect in [false, true] {
        for (p, f) in COMBOS {
            let mut b = async_builder(Default::default());
            b = if detect {
                b.detect_protocol(true)
            } else {
                b.protocol(p).framing(f)
            };
            let server = start(b);
            for seed in 1..=4u64 {
                let seed = seed * 7919 + u64::from(detect) * 31;
                if let Err(e) = run(server.addr, p, f, seed, 300) {
                    panic!("detect {detect}: {e}");
                }
            }
            assert!(server.stop_within(WAIT));
        }
    }
}
