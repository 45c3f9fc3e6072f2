//! Generated async services end to end (option `async_services`, the
//! golden `services_async`: `extends` across an include, declared
//! exceptions, oneway and void methods), served by the runtime's
//! `AsyncServer` on tokio and called by its `AsyncClient`:
//!
//! - every outcome of a call: success, each declared exception, an
//!   application error, an undeclared error and a panic (both
//!   `INTERNAL_ERROR`, without the detail; the connection still serves),
//!   oneway calls, inherited methods, an unknown method, and state the
//!   handler shares between connections, in two protocol and framing
//!   combinations;
//! - a multiplexed server (`AsyncMultiplexed`) and clients calling through
//!   `multiplexed`;
//! - the blocking generated client against the async server, and the async
//!   client against the blocking server;
//! - generated clients in many tasks sharing one connection
//!   (`SharedClient`);
//! - the generated processor on single messages (`Call::new`): a panic
//!   behind the multiplexer answered under the bare method name, and a
//!   `oneway` method never answered, even when it arrives as a CALL.

#![deny(warnings)]

mod async_common;

use async_common::idl::services::*;
use async_common::idl::shared::*;
use async_common::*;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use thriftc_runtime::tokio::{AsyncClient, AsyncMultiplexed, AsyncProcessor, AsyncServer};
use thriftc_runtime::{ApplicationErrorKind, Connector, Framing, ProtocolKind, Server};
use tokio::sync::mpsc::UnboundedReceiver;

/// The longest any step may take: nothing waits without a bound.
const LIMIT: Duration = Duration::from_secs(20);

/// `f`, or a panic naming `what` when it takes longer than [`LIMIT`].
async fn bounded<F: Future>(what: &str, f: F) -> F::Output {
    match tokio::time::timeout(LIMIT, f).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: not done within {LIMIT:?}"),
    }
}

/// An async server serving on a task.
struct Running {
    addr: SocketAddr,
    handle: thriftc_runtime::tokio::AsyncServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn start(
        processor: impl AsyncProcessor,
        protocol: ProtocolKind,
        framing: Framing,
    ) -> Running {
        let server = AsyncServer::builder(processor)
            .protocol(protocol)
            .framing(framing)
            .drain_timeout(Duration::from_secs(5))
            .bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = server.local_addr();
        let handle = server.handle();
        let task = tokio::spawn(server.serve());
        Running { addr, handle, task }
    }

    /// Stops the server and waits until it has.
    async fn stop(self) {
        self.handle.stop();
        bounded("the server stops", self.task)
            .await
            .expect("the serving task did not panic")
            .expect("the server ran without an error");
    }
}

/// A client connection in `protocol` and `framing`.
async fn connect(addr: SocketAddr, protocol: ProtocolKind, framing: Framing) -> AsyncClient {
    let connector = Connector::new(addr)
        .expect("address")
        .protocol(protocol)
        .framing(framing)
        .read_timeout(LIMIT);
    bounded("connect", connector.connect_async())
        .await
        .expect("connect")
}

/// The next line `log` or `legacy_log` was sent.
async fn next_logged(logged: &mut UnboundedReceiver<String>) -> String {
    bounded("a oneway call is served", logged.recv())
        .await
        .expect("the handler is alive")
}

/// Every outcome of `add` through `client`.
async fn every_outcome_of_add<C: thriftc_runtime::tokio::AsyncChannel>(
    client: &mut CalculatorAsyncClient<C>,
) {
    assert_eq!(client.add(2, 3).await.unwrap(), 5);
    match client.add(FAIL_INVALID, 0).await {
        Err(CalculatorAddError::Invalid(e)) => assert_eq!(e.reason, "-1 is out of range"),
        other => panic!("expected the declared exception `invalid`, got {other:?}"),
    }
    match client.add(FAIL_SHARED, 0).await {
        Err(CalculatorAddError::SharedError(e)) => assert_eq!(e.message, "shared failure"),
        other => panic!("expected the declared exception `shared_error`, got {other:?}"),
    }
    match client.add(FAIL_APPLICATION, 0).await {
        Err(CalculatorAddError::Application(e)) => {
            assert_eq!(e.kind, ApplicationErrorKind::Unknown);
            assert_eq!(e.message, APPLICATION_MESSAGE);
        }
        other => panic!("expected the handler's application error, got {other:?}"),
    }
    match client.add(FAIL_UNDECLARED, 0).await {
        Err(CalculatorAddError::Application(e)) => {
            assert_eq!(e.kind, ApplicationErrorKind::InternalError);
            assert_eq!(e.message, "Internal error processing add");
            assert!(!e.message.contains(UNDECLARED_DETAIL));
        }
        other => panic!("expected INTERNAL_ERROR, got {other:?}"),
    }
    match client.add(FAIL_PANIC, 0).await {
        Err(CalculatorAddError::Application(e)) => {
            assert_eq!(e.kind, ApplicationErrorKind::InternalError);
            assert!(!e.message.contains(DELIBERATE), "{}", e.message);
        }
        other => panic!("expected INTERNAL_ERROR for a panic, got {other:?}"),
    }
    // The connection still serves after the panic.
    assert_eq!(client.add(40, 2).await.unwrap(), 42);
}

/// One protocol and framing: every outcome, oneway, inherited and unknown
/// methods, shared state.
async fn serve_and_call(protocol: ProtocolKind, framing: Framing) {
    quiet_deliberate_panics();
    let (calc, mut logged) = Calc::new();
    let calc = Arc::new(calc);
    let server = Running::start(
        ScientificAsyncProcessor::from_arc(calc.clone()),
        protocol,
        framing,
    )
    .await;
    let mut calculator = CalculatorAsyncClient::new(connect(server.addr, protocol, framing).await);
    every_outcome_of_add(&mut calculator).await;

    calculator.ping().await.unwrap();
    calculator.log("hello".to_owned()).await.unwrap();
    assert_eq!(next_logged(&mut logged).await, "hello");
    calculator.legacy_log("old".to_owned()).await.unwrap();
    assert_eq!(next_logged(&mut logged).await, "legacy: old");
    let keys = [4, 1, 2].into_iter().collect();
    assert_eq!(calculator.group(keys).await.unwrap(), grouped(&[1, 2, 4]));
    assert_eq!(calculator.level().await.unwrap(), Level::HIGH);
    // Inherited from `shared.SharedService`, across the include.
    assert_eq!(calculator.get_struct(9).await.unwrap(), shared_struct(9));
    match calculator.get_struct(-9).await {
        Err(SharedServiceGetStructError::Error(e)) => assert_eq!(e.message, "no struct -9"),
        other => panic!("expected the declared exception `error`, got {other:?}"),
    }

    // `Scientific` extends `Calculator`: its own method and inherited ones
    // on a second connection, concurrently with the first.
    let mut scientific = ScientificAsyncClient::new(connect(server.addr, protocol, framing).await);
    let (a, b) = tokio::join!(scientific.ping(), calculator.ping());
    a.unwrap();
    b.unwrap();
    assert_eq!(scientific.power(2.0, 10.0).await.unwrap(), 1024.0);
    assert_eq!(scientific.add(1, 1).await.unwrap(), 2);
    assert_eq!(scientific.get_struct(1).await.unwrap(), shared_struct(1));
    // One handler served both connections.
    assert_eq!(calc.pings(), 3);
    drop((calculator, scientific));
    server.stop().await;

    // A server of `Calculator` does not know `power`.
    let server = Running::start(
        CalculatorAsyncProcessor::from_arc(calc.clone()),
        protocol,
        framing,
    )
    .await;
    let mut scientific = ScientificAsyncClient::new(connect(server.addr, protocol, framing).await);
    match scientific.power(2.0, 2.0).await {
        Err(ScientificPowerError::Application(e)) => {
            assert_eq!(e.kind, ApplicationErrorKind::UnknownMethod);
            assert_eq!(e.message, "Invalid method name: 'power'");
        }
        other => panic!("expected UNKNOWN_METHOD, got {other:?}"),
    }
    assert_eq!(scientific.add(2, 2).await.unwrap(), 4);
    drop(scientific);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_buffered_serves_every_outcome() {
    serve_and_call(ProtocolKind::Binary, Framing::Buffered).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_framed_serves_every_outcome() {
    serve_and_call(ProtocolKind::Compact, Framing::Framed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multiplexed_services_share_a_connection() {
    quiet_deliberate_panics();
    let (calc, mut logged) = Calc::new();
    let calc = Arc::new(calc);
    let mut mux = AsyncMultiplexed::new();
    mux.register(
        "Calc",
        Arc::new(CalculatorAsyncProcessor::from_arc(calc.clone())),
    );
    mux.register(
        "Shared",
        Arc::new(SharedServiceAsyncProcessor::from_arc(calc.clone())),
    );
    let server = Running::start(mux, ProtocolKind::Binary, Framing::Buffered).await;

    let mut connection = bounded("connect", AsyncClient::connect(server.addr))
        .await
        .expect("connect");
    {
        let mut calculator = CalculatorAsyncClient::multiplexed(&mut connection, "Calc");
        every_outcome_of_add(&mut calculator).await;
        calculator.log("through the mux".to_owned()).await.unwrap();
        assert_eq!(next_logged(&mut logged).await, "through the mux");
        assert_eq!(calculator.get_struct(3).await.unwrap(), shared_struct(3));
    }
    // The same connection, another service.
    let mut shared = SharedServiceAsyncClient::multiplexed(&mut connection, "Shared");
    assert_eq!(shared.get_struct(5).await.unwrap(), shared_struct(5));
    // A service the server does not have.
    let mut nowhere = CalculatorAsyncClient::multiplexed(&mut connection, "Nowhere");
    match nowhere.ping().await {
        Err(CalculatorPingError::Application(e)) => {
            assert_eq!(e.kind, ApplicationErrorKind::UnknownMethod);
        }
        other => panic!("expected UNKNOWN_METHOD, got {other:?}"),
    }
    drop(connection);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_clients_share_one_connection() {
    quiet_deliberate_panics();
    let (calc, _logged) = Calc::new();
    let server = Running::start(
        ScientificAsyncProcessor::new(calc),
        ProtocolKind::Compact,
        Framing::Framed,
    )
    .await;
    let connector = Connector::new(server.addr)
        .expect("address")
        .protocol(ProtocolKind::Compact)
        .framing(Framing::Framed)
        .read_timeout(LIMIT);
    let shared = bounded("connect", connector.connect_shared())
        .await
        .expect("connect");
    // Every outcome, from tasks at once, each through its own handle; a
    // panic or a declared exception reaches only its call.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let shared = shared.clone();
            tokio::spawn(async move {
                every_outcome_of_add(&mut CalculatorAsyncClient::new(shared.clone())).await;
                let mut scientific = ScientificAsyncClient::new(&shared);
                assert_eq!(scientific.power(2.0, 3.0).await.unwrap(), 8.0);
                assert_eq!(scientific.get_struct(2).await.unwrap(), shared_struct(2));
            })
        })
        .collect();
    for task in tasks {
        bounded("a calling task", task)
            .await
            .expect("the calling task did not panic");
    }
    assert!(shared.is_usable());
    assert_eq!(shared.in_flight(), 0);
    drop(shared);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_client_calls_the_async_server() {
    quiet_deliberate_panics();
    let (calc, mut logged) = Calc::new();
    let server = Running::start(
        ScientificAsyncProcessor::new(calc),
        ProtocolKind::Compact,
        Framing::Framed,
    )
    .await;
    let addr = server.addr;
    let blocking = tokio::task::spawn_blocking(move || {
        let connection = Connector::new(addr)
            .expect("address")
            .protocol(ProtocolKind::Compact)
            .framing(Framing::Framed)
            .read_timeout(LIMIT)
            .connect()
            .expect("connect");
        let mut client = ScientificClient::new(connection);
        assert_eq!(client.add(20, 22).unwrap(), 42);
        match client.add(FAIL_INVALID, 0) {
            Err(CalculatorAddError::Invalid(_)) => {}
            other => panic!("expected the declared exception `invalid`, got {other:?}"),
        }
        match client.add(FAIL_PANIC, 0) {
            Err(CalculatorAddError::Application(e)) => {
                assert_eq!(e.kind, ApplicationErrorKind::InternalError);
            }
            other => panic!("expected INTERNAL_ERROR, got {other:?}"),
        }
        client.log("from a thread".to_owned()).unwrap();
        assert_eq!(client.power(3.0, 2.0).unwrap(), 9.0);
        assert_eq!(client.get_struct(2).unwrap(), shared_struct(2));
    });
    bounded("the blocking client", blocking)
        .await
        .expect("the blocking client's checks pass");
    assert_eq!(next_logged(&mut logged).await, "from a thread");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_client_calls_the_blocking_server() {
    quiet_deliberate_panics();
    let (calc, mut logged) = Calc::new();
    let server = Server::builder(ScientificProcessor::new(calc))
        .protocol(ProtocolKind::Binary)
        .framing(Framing::Framed)
        .drain_timeout(Duration::from_secs(5))
        .bind("127.0.0.1:0")
        .expect("bind a free port")
        .spawn()
        .expect("start the server");
    let addr = server.local_addr();
    let mut client =
        ScientificAsyncClient::new(connect(addr, ProtocolKind::Binary, Framing::Framed).await);
    let mut calculator = CalculatorAsyncClient::new(client.inner_mut());
    every_outcome_of_add(&mut calculator).await;
    calculator.log("to threads".to_owned()).await.unwrap();
    assert_eq!(next_logged(&mut logged).await, "to threads");
    assert_eq!(client.power(2.0, 0.5).await.unwrap(), 2f64.sqrt());
    assert_eq!(client.get_struct(8).await.unwrap(), shared_struct(8));
    drop(client);
    bounded(
        "the blocking server stops",
        tokio::task::spawn_blocking(move || server.stop()),
    )
    .await
    .expect("stopping did not panic");
}

/// A CALL of `name` with `args`: binary, unframed.
fn call_message<A: thriftc_runtime::Encode>(name: &str, args: &A) -> Vec<u8> {
    use thriftc_runtime::protocol::{MessageType, ProtocolWrite};
    let mut p = thriftc_runtime::BinaryProtocol::new(Vec::new(), Default::default());
    p.write_message_begin_parts(name, MessageType::Call, 7)
        .unwrap();
    args.encode(&mut p).unwrap();
    p.write_message_end().unwrap();
    p.into_inner()
}

/// Serves one binary message with `processor`, as the server would.
async fn serve_one(
    processor: &dyn AsyncProcessor,
    message: Vec<u8>,
) -> thriftc_runtime::tokio::Reply {
    let call = thriftc_runtime::tokio::Call::new(message, ProtocolKind::Binary, Default::default())
        .expect("a call");
    bounded("process", processor.process(call)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_behind_the_multiplexer_is_answered_under_the_bare_name() {
    use thriftc_runtime::protocol::{MessageType, ProtocolRead};
    use thriftc_runtime::{ApplicationError, Decode};
    quiet_deliberate_panics();
    let (calc, _logged) = Calc::new();
    let mut mux = AsyncMultiplexed::new();
    mux.register("Calc", Arc::new(CalculatorAsyncProcessor::new(calc)));
    let args = CalculatorAddArgs {
        a: FAIL_PANIC,
        b: 1,
    };
    let reply = serve_one(&mux, call_message("Calc:add", &args)).await;
    let mut p = thriftc_runtime::BinaryProtocol::new(reply.as_bytes(), Default::default());
    let header = p.read_message_begin().expect("a reply");
    assert_eq!(
        (header.name.as_str(), header.kind, header.seqid),
        ("add", MessageType::Exception, 7),
        "as the blocking multiplexer answers"
    );
    let e = ApplicationError::decode(&mut p).expect("an application error");
    assert_eq!(e.kind, ApplicationErrorKind::InternalError);
    assert_eq!(e.message, "Internal error processing add");
    assert!(!reply.closes_connection());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_oneway_method_is_never_answered_even_when_called_as_a_call() {
    quiet_deliberate_panics();
    let (calc, mut logged) = Calc::new();
    let processor = CalculatorAsyncProcessor::new(calc);
    let served = |line: &str| {
        call_message(
            "log",
            &CalculatorLogArgs {
                line: line.to_owned(),
            },
        )
    };
    // Served: nothing sent back.
    let reply = serve_one(&processor, served("as a call")).await;
    assert!(reply.is_empty(), "{reply:?}");
    assert_eq!(next_logged(&mut logged).await, "as a call");
    // The handler panics: nothing sent back either, connection kept.
    let reply = serve_one(&processor, served(LOG_PANIC)).await;
    assert!(reply.is_empty() && !reply.closes_connection(), "{reply:?}");
    // Arguments that do not decode (cut short): nothing sent back.
    let mut cut = served("cut short");
    cut.truncate(cut.len() - 4);
    let reply = serve_one(&processor, cut).await;
    assert!(reply.is_empty(), "{reply:?}");
    // A two-way method still answers, on the same processor.
    let reply = serve_one(&processor, call_message("ping", &CalculatorPingArgs {})).await;
    assert!(!reply.is_empty());
}
