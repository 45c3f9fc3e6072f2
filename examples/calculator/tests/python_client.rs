//! The tutorial's Python client (`python/client.py`, thriftpy2) against the
//! calculator server, as the README runs it.

mod python_peer;

use calculator::{Calc, run_clients, serve};
use std::sync::Arc;

#[test]
fn python_client_and_rust_clients_share_one_server() {
    let handler = Arc::new(Calc::default());
    let server = serve("127.0.0.1:0", handler.clone()).expect("start the server");
    let addr = server.local_addr();

    let report = run_clients(addr, 8, 20).expect("the Rust clients");
    assert_eq!(report.calls, 8 * 20 * 5);
    assert_eq!(report.bad_work, 8 * 20);

    python_peer::run(addr);
    // The Python client's calculation went into the same shared log.
    assert_eq!(handler.logged(), 8 * 20 + 1);
    server.stop();
}
