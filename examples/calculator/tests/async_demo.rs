//! The async server with async clients (each on its own connection, and
//! tasks sharing one), blocking clients and the tutorial's Python client
//! (`python/client.py`, thriftpy2) calling it at once.

mod python_peer;

use calculator::{Calc, run_clients};
use std::sync::Arc;

#[test]
fn async_blocking_and_python_clients_share_one_async_server() {
    let rt = calculator::tokio::runtime().expect("a tokio runtime");
    let handler = Arc::new(Calc::default());
    let (server, serving) = rt
        .block_on(calculator::tokio::serve("127.0.0.1:0", handler.clone()))
        .expect("start the server");
    let addr = server.local_addr();

    let blocking = std::thread::spawn(move || run_clients(addr, 4, 20));
    let shared = rt.spawn(calculator::tokio::run_shared_clients(addr, 8, 20));
    let report = rt
        .block_on(calculator::tokio::run_clients(addr, 8, 20))
        .expect("the async clients");
    assert_eq!(report.calls, 8 * 20 * 5);
    assert_eq!(report.bad_work, 8 * 20);
    let shared = rt
        .block_on(shared)
        .expect("the shared-connection task")
        .expect("the tasks sharing one connection");
    assert_eq!(shared.calls, 8 * 20 * 5);
    assert_eq!(shared.bad_work, 8 * 20);
    let blocking = blocking.join().unwrap().expect("the blocking clients");
    assert_eq!(blocking.calls, 4 * 20 * 5);

    python_peer::run(addr);
    // Every client's results went into the one shared log.
    assert_eq!(handler.logged(), 8 * 20 + 8 * 20 + 4 * 20 + 1);
    server.stop();
    rt.block_on(serving)
        .expect("the server task")
        .expect("the server drained");
}
