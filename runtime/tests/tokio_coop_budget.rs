//! The async server's timer and stop signal against tokio's cooperative
//! budget: a read, the stop channel and the tokio timer all answer
//! `Pending` without registering the task's waker once the task has spent
//! its budget; the connection must still be woken by its timeout and by a
//! stop.

mod server_support;
mod tokio_support;

use std::sync::Arc;
use std::time::Duration;

use server_support::*;
use thriftc_runtime::tokio::{AsyncProcessor, AsyncServer, BoxFuture, Call, Reply};
use thriftc_runtime::{Framing, ProtocolKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, oneshot};
use tokio::time::timeout;

/// Far more than any timeout here: the test fails, not hangs.
const BOUND: Duration = Duration::from_secs(5);

/// Answers `spend` (oneway): sleeps `nap`, then spends the rest of the
/// task's cooperative budget (as a handler that finds many channel items
/// or socket bytes ready does), then says so on `done`.
struct Spender {
    nap: Duration,
    done: Mutex<Option<oneshot::Sender<()>>>,
}

impl Spender {
    fn new(nap: Duration) -> (Arc<Spender>, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let s = Spender {
            nap,
            done: Mutex::new(Some(tx)),
        };
        (Arc::new(s), rx)
    }
}

impl AsyncProcessor for Spender {
    fn process(&self, call: Call) -> BoxFuture<'_, Reply> {
        Box::pin(async move {
            let done = self.done.lock().await.take();
            if !self.nap.is_zero() {
                tokio::time::sleep(self.nap).await;
            }
            while tokio::task::coop::has_budget_remaining() {
                tokio::task::coop::consume_budget().await;
            }
            if let Some(done) = done {
                let _ = done.send(());
            }
            call.oneway(async { Ok(()) }).await
        })
    }
}

fn spend_msg() -> Vec<u8> {
    oneway_msg(
        ProtocolKind::Binary,
        Framing::Buffered,
        "spend",
        1,
        &Args1(1i32),
    )
}

/// True once the server has closed `s` (EOF or reset), within `BOUND`.
async fn closed(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 64];
    matches!(
        timeout(BOUND, async {
            loop {
                match s.read(&mut b).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await,
        Ok(())
    )
}

/// After a handler that leaves the task without budget, the connection
/// waits for the next message under the idle timeout (100 ms): it must be
/// closed when that passes.
async fn idle_timeout_after_spent_budget() {
    let (spender, _done) = Spender::new(Duration::from_millis(250));
    let server = AsyncServer::builder(spender)
        .idle_timeout(Duration::from_millis(100))
        .drain_timeout(Duration::from_secs(1))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let handle = server.handle();
    let serving = tokio::spawn(server.serve());
    let mut s = TcpStream::connect(handle.local_addr()).await.unwrap();
    s.write_all(&spend_msg()).await.unwrap();
    let was_closed = closed(&mut s).await;
    handle.stop();
    let _ = timeout(BOUND, serving).await;
    assert!(
        was_closed,
        "the idle connection was not closed within {BOUND:?} (idle timeout 100 ms)"
    );
}

#[tokio::test]
async fn idle_timeout_fires_after_a_handler_spent_the_budget_current_thread() {
    idle_timeout_after_spent_budget().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_timeout_fires_after_a_handler_spent_the_budget_multi_thread() {
    idle_timeout_after_spent_budget().await;
}

/// The same with the first 5 bytes of a second message behind the first:
/// the server turns to it under the message timeout (100 ms), which must
/// close the connection when the peer sends no more of it.
#[tokio::test]
async fn message_timeout_fires_after_a_handler_spent_the_budget() {
    let (spender, _done) = Spender::new(Duration::ZERO);
    let server = AsyncServer::builder(spender)
        .idle_timeout(Duration::from_secs(60))
        .message_timeout(Duration::from_millis(100))
        .drain_timeout(Duration::from_secs(1))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let handle = server.handle();
    let serving = tokio::spawn(server.serve());
    let mut s = TcpStream::connect(handle.local_addr()).await.unwrap();
    let mut bytes = spend_msg();
    bytes.extend_from_slice(&spend_msg()[..5]);
    s.write_all(&bytes).await.unwrap();
    let was_closed = closed(&mut s).await;
    handle.stop();
    let _ = timeout(BOUND, serving).await;
    assert!(
        was_closed,
        "a stalled message was not closed within {BOUND:?} (message timeout 100 ms)"
    );
}

/// A stop begun while the connection waits (no timeouts) after such a
/// handler must reach it: the connection closes and `serve` returns long
/// before the drain timeout (30 s).
#[tokio::test]
async fn a_stop_reaches_a_connection_after_a_handler_spent_the_budget() {
    let (spender, done) = Spender::new(Duration::ZERO);
    let server = AsyncServer::builder(spender)
        .idle_timeout(None)
        .message_timeout(None)
        .drain_timeout(Duration::from_secs(30))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let handle = server.handle();
    let serving = tokio::spawn(server.serve());
    let mut s = TcpStream::connect(handle.local_addr()).await.unwrap();
    s.write_all(&spend_msg()).await.unwrap();
    assert!(matches!(timeout(BOUND, done).await, Ok(Ok(()))));
    // Let the connection task, woken by the exhausted budget, be polled
    // again and settle in its wait (single-threaded runtime: each yield
    // lets every task that is ready run).
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
    handle.stop();
    let was_closed = closed(&mut s).await;
    let served = timeout(BOUND, serving).await;
    assert!(
        was_closed,
        "the connection was not closed within {BOUND:?} of the stop"
    );
    assert!(
        served.is_ok(),
        "serve did not return within {BOUND:?} of the stop"
    );
}
