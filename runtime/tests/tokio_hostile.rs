//! Hostile bytes against the async server with small limits (size,
//! frame, depth) and with protocol detection: no connection task panics,
//! and the server keeps serving.

mod server_support;
mod tokio_support;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use server_support::*;
use thriftc_runtime::{Framing, Limits, ProtocolKind};
use tokio_support::*;

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn hostile_bytes_under_small_limits_never_panic() {
    static PANICS: AtomicUsize = AtomicUsize::new(0);
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = thriftc_runtime::processor::panic_message(info.payload());
        if !msg.contains("handler bug") {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default(info);
        }
    }));
    let mut seed: u64 = 0x1234_5678_9abc_def1;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let limit_sets = [
        Limits::default().with_max_message_size(40),
        Limits::default().with_max_message_size(1),
        Limits::default().with_max_message_size(0),
        Limits::default().with_max_frame_size(30),
        Limits::default().with_max_depth(1),
        Limits::default().with_max_depth(0),
    ];
    let combos = [
        (ProtocolKind::Binary, Framing::Buffered),
        (ProtocolKind::Binary, Framing::Framed),
        (ProtocolKind::Compact, Framing::Buffered),
        (ProtocolKind::Compact, Framing::Framed),
    ];
    for limits in limit_sets {
        for detect in [false, true] {
            for (p, f) in combos {
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
                    for _ in 0..rand() % 4 {
                        let at = (rand() % m.len() as u64) as usize;
                        match rand() % 4 {
                            0 => m[at] ^= 1 << (rand() % 8),
                            1 => m[at] = [0x00, 0x7f, 0x80, 0xff][(rand() % 4) as usize],
                            2 => m.truncate(at.max(1)),
                            _ => m.insert(at, (rand() & 0xff) as u8),
                        }
                    }
                    let mut s = raw(server.addr);
                    let _ = s.write_all(&m);
                    let _ = s.shutdown(std::net::Shutdown::Write);
                    s.set_read_timeout(Some(WAIT)).unwrap();
                    let mut sink = Vec::new();
                    let _ = s.read_to_end(&mut sink);
                }
                assert!(
                    eventually(WAIT, || server.handle.connections() == 0),
                    "{limits:?} {p:?} {f:?} detect {detect}"
                );
                assert!(server.stop_within(WAIT));
            }
        }
    }
    assert_eq!(PANICS.load(Ordering::SeqCst), 0);
}
