//! The async server's timeouts against peers that are slow on
//! purpose: a message trickled a byte at a time, and replies never read.

mod server_support;
mod tokio_support;

use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::{Framing, ProtocolKind};
use tokio_support::*;

const WAIT: Duration = Duration::from_secs(10);

/// A message trickled a byte every 50 ms is closed once the message
/// timeout has passed since its first byte, however often bytes arrive.
#[test]
fn a_trickled_message_is_closed_after_the_message_timeout() {
    for (p, f) in [
        (ProtocolKind::Binary, Framing::Buffered),
        (ProtocolKind::Compact, Framing::Framed),
    ] {
        let server = start(
            async_builder(Default::default())
                .protocol(p)
                .framing(f)
                .idle_timeout(Duration::from_secs(60))
                .message_timeout(Duration::from_millis(300)),
        );
        let bytes = call_msg(p, f, "echo", 1, &Args1("x".repeat(10_000)));
        let mut s = raw(server.addr);
        let started = Instant::now();
        let mut closed_at = None;
        for b in &bytes {
            if s.write_all(&[*b]).is_err() {
                closed_at = Some(started.elapsed());
                break;
            }
            thread::sleep(Duration::from_millis(50));
            if started.elapsed() > WAIT {
                break;
            }
        }
        assert!(
            closed_at.is_some_and(|t| t < Duration::from_secs(5)),
            "{p:?} {f:?}: still open after {:?}",
            started.elapsed()
        );
        assert!(server.stop_within(WAIT));
    }
}

/// A peer that sends requests and never reads the replies is closed after
/// the write timeout.
#[test]
fn a_peer_that_never_reads_is_closed_after_the_write_timeout() {
    let (p, f) = (ProtocolKind::Binary, Framing::Framed);
    let server = start(
        async_builder(Default::default())
            .protocol(p)
            .framing(f)
            .idle_timeout(Duration::from_secs(60))
            .write_timeout(Duration::from_millis(300)),
    );
    let mut s = raw(server.addr);
    s.set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let one = call_msg(p, f, "big", 1, &Args1(1_000_000i32));
    let started = Instant::now();
    let mut closed = false;
    while started.elapsed() < WAIT {
        match s.write_all(&one) {
            Ok(()) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
        if server.handle.connections() == 0 {
            closed = true;
            break;
        }
    }
    assert!(closed, "still open after {:?}", started.elapsed());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(server.stop_within(WAIT));
}
