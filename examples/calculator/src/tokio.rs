//! The calculator served and called asynchronously, on tokio: the same
//! [`Calc`] state behind the generated async handler trait, the runtime's
//! async server, and async clients running as tasks. Blocking and async
//! peers speak the same bytes, so either kind of client can call either
//! server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use thriftc_runtime::client::Connector;
use thriftc_runtime::tokio::{AsyncChannel, AsyncClient, AsyncServer, AsyncServerHandle};

use crate::{
    Calc, CalculatorAddError, CalculatorAsyncClient, CalculatorAsyncHandler,
    CalculatorAsyncProcessor, CalculatorCalculateError, CalculatorHandler, CalculatorPingError,
    CalculatorZipError, CalculatorZipsError, Error, LogEntry, LogbookAsyncHandler,
    LogbookGetEntryError, LogbookHandler, Op, Report, Work,
};

/// The async handler: each method answers as the blocking one does (none
/// of them waits for anything, so each is the blocking method's body). A
/// handler that calls a database or another service would `.await` here
/// without holding a thread.
impl LogbookAsyncHandler for Calc {
    async fn get_entry(&self, key: i32) -> Result<LogEntry, LogbookGetEntryError> {
        LogbookHandler::get_entry(self, key)
    }
}

impl CalculatorAsyncHandler for Calc {
    async fn ping(&self) -> Result<(), CalculatorPingError> {
        CalculatorHandler::ping(self)
    }

    async fn add(&self, a: i32, b: i32) -> Result<i32, CalculatorAddError> {
        CalculatorHandler::add(self, a, b)
    }

    async fn calculate(&self, key: i32, work: Work) -> Result<i32, CalculatorCalculateError> {
        CalculatorHandler::calculate(self, key, work)
    }

    async fn zip(&self) -> Result<(), CalculatorZipError> {
        CalculatorHandler::zip(self)
    }

    async fn zips(&self) -> Result<i64, CalculatorZipsError> {
        CalculatorHandler::zips(self)
    }
}

/// A multi-threaded tokio runtime for the demo and its tests.
pub fn runtime() -> std::io::Result<::tokio::runtime::Runtime> {
    ::tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Starts the async server for `handler` on `addr` (binary, buffered, like
/// the blocking one) as a task of the current runtime; returns the handle
/// that stops it and the task, which ends once the server has drained.
pub async fn serve(
    addr: &str,
    handler: Arc<Calc>,
) -> std::io::Result<(
    AsyncServerHandle,
    ::tokio::task::JoinHandle<std::io::Result<()>>,
)> {
    let server = AsyncServer::builder(CalculatorAsyncProcessor::from_arc(handler))
        .bind(addr)
        .await?;
    let handle = server.handle();
    Ok((handle, ::tokio::spawn(server.serve())))
}

/// Connects an async client to `addr`.
pub async fn connect(
    addr: SocketAddr,
) -> thriftc_runtime::Result<CalculatorAsyncClient<AsyncClient>> {
    let conn = Connector::new(addr)?
        .read_timeout(Duration::from_secs(10))
        .connect_async()
        .await?;
    Ok(CalculatorAsyncClient::new(conn))
}

/// Runs `clients` async clients at once as tasks, each on its own
/// connection, making the same calls and checks as
/// [`run_clients`](crate::run_clients). Keys are `10_000 + client * 1000 +
/// round`, apart from the blocking clients' keys.
pub async fn run_clients(addr: SocketAddr, clients: usize, rounds: i32) -> Result<Report, Error> {
    let tasks: Vec<_> = (0..clients)
        .map(|t| {
            ::tokio::spawn(async move {
                let mut client = connect(addr).await?;
                one_client(&mut client, 10_000 + t as i32 * 1000, rounds).await
            })
        })
        .collect();
    sum(tasks).await
}

/// Runs `tasks` tasks at once that all call through one connection (a
/// [`SharedClient`](thriftc_runtime::tokio::SharedClient): their requests
/// are pipelined), making the same calls and checks as [`run_clients`].
/// Keys are `50_000 + task * 1000 + round`.
pub async fn run_shared_clients(
    addr: SocketAddr,
    tasks: usize,
    rounds: i32,
) -> Result<Report, Error> {
    let shared = Connector::new(addr)?
        .read_timeout(Duration::from_secs(10))
        .connect_shared()
        .await?;
    let tasks: Vec<_> = (0..tasks)
        .map(|t| {
            let mut client = CalculatorAsyncClient::new(shared.clone());
            ::tokio::spawn(async move {
                one_client(&mut client, 50_000 + t as i32 * 1000, rounds).await
            })
        })
        .collect();
    sum(tasks).await
}

/// The reports of `tasks`, added up; the first failure otherwise.
async fn sum(
    tasks: Vec<::tokio::task::JoinHandle<Result<Report, Error>>>,
) -> Result<Report, Error> {
    let mut total = Report::default();
    for task in tasks {
        let r = task
            .await
            .map_err(|e| format!("a client task failed: {e}"))??;
        total.calls += r.calls;
        total.bad_work += r.bad_work;
    }
    Ok(total)
}

async fn one_client<C: AsyncChannel>(
    client: &mut CalculatorAsyncClient<C>,
    first_key: i32,
    rounds: i32,
) -> Result<Report, Error> {
    let mut report = Report::default();
    client.ping().await?;
    for round in 0..rounds {
        let key = first_key + round;
        let sum = client.add(key, 1).await?;
        if sum != key + 1 {
            return Err(format!("add({key}, 1) = {sum}").into());
        }
        let work = Work {
            left: key,
            right: 3,
            op: Op::MULTIPLY,
            comment: Some(format!("task from {first_key}")),
        };
        let product = client.calculate(key, work).await?;
        if product != key * 3 {
            return Err(format!("{key} * 3 = {product}").into());
        }
        let entry = client.get_entry(key).await?;
        if entry.value != product.to_string() {
            return Err(format!("log entry {key} is {entry:?}").into());
        }
        let divide_by_zero = Work {
            left: 1,
            right: 0,
            op: Op::DIVIDE,
            comment: None,
        };
        match client.calculate(key, divide_by_zero).await {
            Err(CalculatorCalculateError::Bad(e)) if e.op == Op::DIVIDE => report.bad_work += 1,
            other => return Err(format!("1 / 0 gave {other:?}").into()),
        }
        client.zip().await?;
        report.calls += 5;
    }
    Ok(report)
}
