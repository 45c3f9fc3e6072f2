//! `bench-server`: serves the `Bench` service of `fixtures/bench/bench.thrift`
//! with thriftc-generated code on 127.0.0.1, in the foreground, for the
//! performance harness (`cargo xtask bench`).
//!
//! ```text
//! bench-server --port P [--framed] [--protocol binary|compact] [--workers N]
//!              [--event-threads N] [--async [--async-threads N]]
//! ```
//!
//! `--workers 0` (the default) gives each connection its own thread; `N > 0`
//! serves connections from a pool of `N` threads. `--event-threads N`
//! (Linux) has `N` threads share all connections through epoll instead.
//! `--async` serves the async view flavour on the runtime's tokio server, with
//! `--async-threads` runtime threads (default: one per core). `echo` and
//! `blob` return their argument, `add` returns `a + b`, `ping` returns
//! nothing.

use std::process::ExitCode;

/// See the `mimalloc` feature in Cargo.toml.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use thriftc_runtime::server::Server;
use thriftc_runtime::tokio::AsyncServer;
use thriftc_runtime::{Bytes, CowView, Framing, ProtocolKind};

// A binary uses part of the generated API only.
#[allow(dead_code)]
mod idl {
    include!(concat!(env!("OUT_DIR"), "/_thrift.rs"));
}

use idl::bench::{
    BenchAddError, BenchAsyncViewHandler, BenchAsyncViewProcessor, BenchBlobError, BenchEchoError,
    BenchPingError, BenchViewHandler, BenchViewProcessor, Payload, PayloadRef,
};

/// The Bench contract; no state.
struct Bench;

impl BenchViewHandler for Bench {
    fn ping(&self) -> Result<(), BenchPingError> {
        Ok(())
    }

    fn add(&self, a: i64, b: i64) -> Result<i64, BenchAddError> {
        Ok(a.wrapping_add(b))
    }

    fn echo<'a>(
        &self,
        p: PayloadRef<'a>,
    ) -> Result<CowView<Payload, PayloadRef<'a>>, BenchEchoError> {
        Ok(CowView::Borrowed(p))
    }

    fn blob(&self, data: Bytes) -> Result<Bytes, BenchBlobError> {
        Ok(data)
    }
}

/// The same contract, async: `echo` answers with the view it was given too.
impl BenchAsyncViewHandler for Bench {
    async fn ping(&self) -> Result<(), BenchPingError> {
        Ok(())
    }

    async fn add(&self, a: i64, b: i64) -> Result<i64, BenchAddError> {
        Ok(a.wrapping_add(b))
    }

    async fn echo<'a>(
        &self,
        p: PayloadRef<'a>,
    ) -> Result<CowView<Payload, PayloadRef<'a>>, BenchEchoError> {
        Ok(CowView::Borrowed(p))
    }

    async fn blob(&self, data: Bytes) -> Result<Bytes, BenchBlobError> {
        Ok(data)
    }
}

struct Args {
    port: u16,
    framing: Framing,
    protocol: ProtocolKind,
    workers: usize,
    event_threads: usize,
    /// `Some(threads)` with `--async` (0: one per core).
    async_threads: Option<usize>,
}

const USAGE: &str = "usage: bench-server --port P [--framed] [--protocol binary|compact] \
                     [--workers N] [--event-threads N] [--async [--async-threads N]]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 9090,
        framing: Framing::Buffered,
        protocol: ProtocolKind::Binary,
        workers: 0,
        event_threads: 0,
        async_threads: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--port" => {
                let v = value("--port")?;
                args.port = v.parse().map_err(|_| format!("bad port `{v}`"))?;
            }
            "--framed" => args.framing = Framing::Framed,
            "--buffered" => args.framing = Framing::Buffered,
            "--protocol" => {
                args.protocol = match value("--protocol")?.as_str() {
                    "binary" => ProtocolKind::Binary,
                    "compact" => ProtocolKind::Compact,
                    other => return Err(format!("unknown protocol `{other}`")),
                }
            }
            "--workers" => {
                let v = value("--workers")?;
                args.workers = v.parse().map_err(|_| format!("bad worker count `{v}`"))?;
            }
            "--event-threads" => {
                let v = value("--event-threads")?;
                args.event_threads = v.parse().map_err(|_| format!("bad thread count `{v}`"))?;
            }
            "--async" => args.async_threads = Some(args.async_threads.unwrap_or(0)),
            "--async-threads" => {
                let v = value("--async-threads")?;
                let n = v.parse().map_err(|_| format!("bad thread count `{v}`"))?;
                args.async_threads = Some(n);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench-server: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(threads) = args.async_threads {
        return serve_async(&args, threads);
    }
    let mut builder = Server::builder(BenchViewProcessor::new(Bench))
        .protocol(args.protocol)
        .framing(args.framing);
    if args.event_threads > 0 {
        builder = builder.event_driven(args.event_threads);
    } else if args.workers > 0 {
        builder = builder.worker_pool(args.workers, args.workers.max(64));
    }
    let server = match builder.bind(("127.0.0.1", args.port)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "bench-server: cannot listen on 127.0.0.1:{}: {e}",
                args.port
            );
            return ExitCode::FAILURE;
        }
    };
    eprintln!("bench-server: listening on {}", server.local_addr());
    match server.serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--async`: the async view flavour on a multi-threaded tokio runtime.
fn serve_async(args: &Args, threads: usize) -> ExitCode {
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if threads > 0 {
        rt.worker_threads(threads);
    }
    let rt = match rt.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench-server: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        let bound = AsyncServer::builder(BenchAsyncViewProcessor::new(Bench))
            .protocol(args.protocol)
            .framing(args.framing)
            .bind(("127.0.0.1", args.port))
            .await;
        let server = match bound {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "bench-server: cannot listen on 127.0.0.1:{}: {e}",
                    args.port
                );
                return ExitCode::FAILURE;
            }
        };
        eprintln!("bench-server: listening on {} (async)", server.local_addr());
        match server.serve().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench-server: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
