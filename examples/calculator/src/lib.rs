//! The calculator of the classic Thrift tutorial, with thriftc.
//!
//! `idl/calculator.thrift` declares `Calculator extends shared.Logbook`;
//! `build.rs` generates Rust for it with [`thriftc::Builder`]. This library
//! holds what a user writes: the handler ([`Calc`], one value shared by
//! every connection), a function that starts a threaded server, and
//! clients that call it from many threads at once; and, in [`tokio`], the
//! same handler served and called asynchronously. `src/main.rs` wraps them
//! in a command line; `python/client.py` calls either server from Python.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thriftc_runtime::client::{Client, Connector};
use thriftc_runtime::server::{Server, ServerHandle};
use thriftc_runtime::{Framing, ProtocolKind};

pub mod tokio;

/// Any error of the demo: the runtime's, a generated client's error enum,
/// or a wrong answer; `?` converts them.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The generated code: modules `calculator` and `shared`.
#[allow(dead_code)] // not every generated item is used here
pub mod idl {
    include!(concat!(env!("OUT_DIR"), "/_thrift.rs"));
}

pub use idl::calculator::{
    BadWork, CalculatorAddError, CalculatorAsyncClient, CalculatorAsyncHandler,
    CalculatorAsyncProcessor, CalculatorCalculateError, CalculatorClient, CalculatorHandler,
    CalculatorPingError, CalculatorProcessor, CalculatorZipError, CalculatorZipsError, MAX_OPERAND,
    Op, Work,
};
pub use idl::shared::{LogEntry, LogbookAsyncHandler, LogbookGetEntryError, LogbookHandler};

/// The calculator's state, shared by every connection: the log of results
/// by key, and the count of zips. Methods take `&self`, so the state sits
/// behind a lock and an atomic.
#[derive(Default)]
pub struct Calc {
    log: Mutex<HashMap<i32, LogEntry>>,
    zips: AtomicI64,
}

impl Calc {
    /// How many results are logged.
    pub fn logged(&self) -> usize {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl LogbookHandler for Calc {
    fn get_entry(&self, key: i32) -> Result<LogEntry, LogbookGetEntryError> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        Ok(log.get(&key).cloned().unwrap_or_default())
    }
}

impl CalculatorHandler for Calc {
    fn ping(&self) -> Result<(), CalculatorPingError> {
        Ok(())
    }

    fn add(&self, a: i32, b: i32) -> Result<i32, CalculatorAddError> {
        Ok(a.wrapping_add(b))
    }

    fn calculate(&self, key: i32, work: Work) -> Result<i32, CalculatorCalculateError> {
        let bad = |why: &str| BadWork {
            op: work.op,
            why: why.to_owned(),
        };
        if work.left.unsigned_abs() > MAX_OPERAND as u32
            || work.right.unsigned_abs() > MAX_OPERAND as u32
        {
            return Err(bad("operand too large").into());
        }
        let value = match work.op {
            Op::ADD => work.left + work.right,
            Op::SUBTRACT => work.left - work.right,
            Op::MULTIPLY => (i64::from(work.left) * i64::from(work.right))
                .try_into()
                .map_err(|_| bad("result too large"))?,
            Op::DIVIDE if work.right == 0 => return Err(bad("cannot divide by 0").into()),
            Op::DIVIDE => work.left / work.right,
            _ => return Err(bad("unknown operation").into()),
        };
        let entry = LogEntry {
            key,
            value: value.to_string(),
        };
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, entry);
        Ok(value)
    }

    fn zip(&self) -> Result<(), CalculatorZipError> {
        self.zips.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn zips(&self) -> Result<i64, CalculatorZipsError> {
        Ok(self.zips.load(Ordering::Relaxed))
    }
}

/// Starts a threaded server (a thread per connection) for `handler` on
/// `addr`, speaking binary over buffered sockets like the tutorial's
/// servers; returns the handle that stops it.
pub fn serve(addr: &str, handler: Arc<Calc>) -> std::io::Result<ServerHandle> {
    Server::builder(CalculatorProcessor::from_arc(handler))
        .protocol(ProtocolKind::Binary)
        .framing(Framing::Buffered)
        .bind(addr)?
        .spawn()
}

/// Connects a client to `addr`.
pub fn connect(addr: SocketAddr) -> thriftc_runtime::Result<CalculatorClient<Client>> {
    let conn = Connector::new(addr)?
        .read_timeout(Duration::from_secs(10))
        .connect()?;
    Ok(CalculatorClient::new(conn))
}

/// What [`run_clients`] did.
#[derive(Debug, Default)]
pub struct Report {
    pub calls: usize,
    pub bad_work: usize,
}

/// Runs `threads` clients at once, each on its own connection, each making
/// `rounds` rounds of calls and checking every answer. Keys are
/// `thread * 1000 + round`, so the log ends with `threads * rounds` entries.
pub fn run_clients(addr: SocketAddr, threads: usize, rounds: i32) -> Result<Report, Error> {
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || -> Result<Report, Error> {
                let mut client = connect(addr)?;
                let mut report = Report::default();
                client.ping()?;
                for round in 0..rounds {
                    let key = t as i32 * 1000 + round;
                    let sum = client.add(key, 1)?;
                    if sum != key + 1 {
                        return Err(format!("add({key}, 1) = {sum}").into());
                    }
                    let work = Work {
                        left: key,
                        right: 3,
                        op: Op::MULTIPLY,
                        comment: Some(format!("thread {t}")),
                    };
                    let product = client.calculate(key, work)?;
                    if product != key * 3 {
                        return Err(format!("{key} * 3 = {product}").into());
                    }
                    let entry = client.get_entry(key)?;
                    if entry.value != product.to_string() {
                        return Err(format!("log entry {key} is {entry:?}").into());
                    }
                    let divide_by_zero = Work {
                        left: 1,
                        right: 0,
                        op: Op::DIVIDE,
                        comment: None,
                    };
                    match client.calculate(key, divide_by_zero) {
                        Err(CalculatorCalculateError::Bad(e)) if e.op == Op::DIVIDE => {
                            report.bad_work += 1
                        }
                        other => return Err(format!("1 / 0 gave {other:?}").into()),
                    }
                    client.zip()?;
                    report.calls += 5;
                }
                Ok(report)
            })
        })
        .collect();
    let mut total = Report::default();
    for w in workers {
        let r = w.join().map_err(|_| "a client thread panicked")??;
        total.calls += r.calls;
        total.bad_work += r.bad_work;
    }
    Ok(total)
}
