//! The async side of the test service: the calculator of `server_support`
//! as a hand-written `AsyncProcessor` (the way generated async processors
//! are written), and an async server running on a runtime of its own.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use thriftc_runtime::tokio::{
    AsyncProcessor, AsyncServer, AsyncServerBuilder, AsyncServerHandle, BoxFuture, Call, Reply,
};
use thriftc_runtime::{ApplicationError, ApplicationErrorKind};

use crate::server_support::{AddArgs, Args1, NoArgs, Ret, Unencodable};

mod raw;
#[allow(unused_imports)]
pub use raw::*;

/// The async calculator. `gate` calls wait for a permit of `gate`;
/// `overlap` calls record how many run at once.
pub struct AsyncCalc {
    pub fired: AtomicUsize,
    pub gate: tokio::sync::Semaphore,
    /// `gate` calls that have started waiting.
    pub at_gate: AtomicUsize,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

impl Default for AsyncCalc {
    fn default() -> Self {
        AsyncCalc {
            fired: AtomicUsize::new(0),
            gate: tokio::sync::Semaphore::new(0),
            at_gate: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        }
    }
}

/// Decodes the arguments or returns the reply that answers their failure.
macro_rules! args {
    ($call:expr) => {
        match $call.args() {
            Ok(a) => a,
            Err(reply) => return reply,
        }
    };
}

impl AsyncCalc {
    async fn serve(&self, call: Call) -> Reply {
        match call.header().name.as_str() {
            "add" => {
                let a: AddArgs = args!(call);
                call.reply(Ok(Ret::Success(a.a.wrapping_add(a.b))))
            }
            "echo" => {
                let a: Args1<String> = args!(call);
                call.reply(Ok(Ret::Success(a.0)))
            }
            "oops" => {
                let a: Args1<String> = args!(call);
                call.reply(Ok(Ret::<i32>::Oops(a.0)))
            }
            "sleep" => {
                let a: Args1<i32> = args!(call);
                tokio::time::sleep(Duration::from_millis(a.0.max(0) as u64)).await;
                call.reply(Ok(Ret::Success(a.0)))
            }
            "app_error" => {
                let a: Args1<String> = args!(call);
                call.reply::<Ret<i32>>(Err(ApplicationError::new(
                    ApplicationErrorKind::Unknown,
                    a.0,
                )))
            }
            "panic" => {
                let _: NoArgs = args!(call);
                tokio::task::yield_now().await;
                panic!("handler bug (async)")
            }
            "gate" => {
                let _: NoArgs = args!(call);
                self.at_gate.fetch_add(1, Ordering::SeqCst);
                let permit =
                    tokio::time::timeout(Duration::from_secs(10), self.gate.acquire()).await;
                drop(permit);
                call.reply(Ok(Ret::Success(1i32)))
            }
            "overlap" => {
                let a: Args1<i32> = args!(call);
                let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                self.max_in_flight.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(1)).await;
                self.in_flight.fetch_sub(1, Ordering::SeqCst);
                call.reply(Ok(Ret::Success(a.0)))
            }
            "big" => {
                let a: Args1<i32> = args!(call);
                call.reply(Ok(Ret::Success("x".repeat(a.0.max(0) as usize))))
            }
            "unencodable" => {
                let _: NoArgs = args!(call);
                call.reply(Ok(Ret::Success(Unencodable)))
            }
            "fire" => {
                let a: Args1<i32> = match call.oneway_args() {
                    Ok(a) => a,
                    Err(reply) => return reply,
                };
                let fired = &self.fired;
                call.oneway(async move {
                    fired.fetch_add(a.0 as usize, Ordering::SeqCst);
                    Ok(())
                })
                .await
            }
            "fire_panic" => {
                let _: NoArgs = args!(call);
                panic!("oneway handler bug (async)")
            }
            _ => call.unknown_method(),
        }
    }
}

impl AsyncProcessor for AsyncCalc {
    fn process(&self, call: Call) -> BoxFuture<'_, Reply> {
        // A processor that panics before it even makes its future.
        if call.header().name == "panic_now" {
            panic!("handler bug (before the future)");
        }
        Box::pin(self.serve(call))
    }
}

/// A server running on a runtime of its own thread.
pub struct Running {
    pub addr: SocketAddr,
    /// Where it listens (its TCP address, or its Unix socket's path).
    pub endpoint: thriftc_runtime::Endpoint,
    pub handle: AsyncServerHandle,
    done: mpsc::Receiver<std::io::Result<()>>,
}

impl Running {
    /// Stops the server and waits (at most `within`) for `serve` to return.
    pub fn stop_within(&self, within: Duration) -> bool {
        self.handle.stop();
        matches!(self.done.recv_timeout(within), Ok(Ok(())))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.stop();
    }
}

/// A builder for `calc` with short test timeouts.
pub fn async_builder(calc: Arc<AsyncCalc>) -> AsyncServerBuilder {
    AsyncServer::builder(calc)
        .idle_timeout(Duration::from_secs(10))
        .message_timeout(Duration::from_secs(10))
        .write_timeout(Duration::from_secs(10))
        .drain_timeout(Duration::from_secs(5))
}

/// Binds a free loopback port and serves on a two-thread runtime in the
/// background.
pub fn start(builder: AsyncServerBuilder) -> Running {
    start_on(builder, None)
}

/// Binds a Unix socket at `path` and serves as [`start`] does.
#[cfg(unix)]
pub fn start_unix(builder: AsyncServerBuilder, path: &std::path::Path) -> Running {
    start_on(builder, Some(path.to_path_buf()))
}

/// Binds `path` (a Unix socket) or else a free loopback port, and serves.
fn start_on(builder: AsyncServerBuilder, path: Option<std::path::PathBuf>) -> Running {
    let (bound_tx, bound_rx) = mpsc::channel();
    let (done_tx, done) = mpsc::channel();
    thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let server = match path {
                #[cfg(unix)]
                Some(path) => builder.bind_unix(path).await.unwrap(),
                _ => builder.bind("127.0.0.1:0").await.unwrap(),
            };
            bound_tx
                .send((
                    server.local_addr(),
                    server.endpoint().clone(),
                    server.handle(),
                ))
                .unwrap();
            let _ = done_tx.send(server.serve().await);
        });
    });
    let (addr, endpoint, handle) = bound_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    Running {
        addr,
        endpoint,
        handle,
        done,
    }
}

/// A current-thread runtime for a test's async client.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
