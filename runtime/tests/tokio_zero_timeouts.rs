//! A zero timeout means no limit on the async side, as on the blocking
//! side (feature `tokio`): the async server, `AsyncClient` and
//! `SharedClient` wait as long as it takes rather than giving up at once.

mod server_support;
mod tokio_support;

use std::time::Duration;

use server_support::*;
use thriftc_runtime::tokio::{AsyncChannel, AsyncServer};
use thriftc_runtime::{Connector, Framing, ProtocolKind};
use tokio_support::*;

const WAIT: Duration = Duration::from_secs(10);

/// With every server timeout zero, a peer that pauses before its request
/// and in the middle of it is still answered.
#[test]
fn a_server_with_zero_timeouts_waits_for_its_peers() {
    let (p, f) = (ProtocolKind::Binary, Framing::Buffered);
    let server = start(
        AsyncServer::builder(std::sync::Arc::new(AsyncCalc::default()))
            .idle_timeout(Duration::ZERO)
            .message_timeout(Duration::ZERO)
            .write_timeout(Duration::ZERO)
            .drain_timeout(WAIT),
    );
    let mut s = raw(server.addr);
    let mut replies = replies(&s, f);
    let add = call_msg(p, f, "add", 1, &AddArgs { a: 2, b: 3 });
    std::thread::sleep(Duration::from_millis(100));
    send(&mut s, &add[..5]);
    std::thread::sleep(Duration::from_millis(100));
    send(&mut s, &add[5..]);
    let (h, sum) = read_reply::<Ret<i32>>(&mut replies, p).expect("no reply");
    assert_eq!((h.seqid, sum.unwrap()), (1, Ret::Success(5)));
    assert!(server.stop_within(WAIT));
}

/// With zero read and write timeouts, an `AsyncClient` and a
/// `SharedClient` wait for a reply that takes a while.
#[test]
fn clients_with_zero_timeouts_wait_for_their_replies() {
    let server = start(async_builder(Default::default()));
    let connector = Connector::new(server.addr)
        .unwrap()
        .read_timeout(Duration::ZERO)
        .write_timeout(Duration::ZERO);
    multi_thread().block_on(async {
        let mut client = connector.connect_async().await.unwrap();
        let slept = tokio::time::timeout(WAIT, client.call::<_, Ret<i32>>("sleep", &Args1(100)))
            .await
            .expect("the AsyncClient call hung");
        assert_eq!(slept.unwrap(), Ret::Success(100), "AsyncClient");

        let mut shared = connector.connect_shared().await.unwrap();
        let slept = tokio::time::timeout(WAIT, shared.call::<_, Ret<i32>>("sleep", &Args1(100)))
            .await
            .expect("the SharedClient call hung");
        assert_eq!(slept.unwrap(), Ret::Success(100), "SharedClient");
    });
    assert!(server.stop_within(WAIT));
}
