//! The async server with async clients, blocking clients and the tutorial's
//! Python client (`python/client.py`, thriftpy2) calling it at once.
//! Python comes from `$THRIFTC_PYTHON` (set by `cargo xtask test`), else
//! `python3`.

use calculator::{Calc, run_clients};
use std::path::Path;
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
    let report = rt
        .block_on(calculator::tokio::run_clients(addr, 8, 20))
        .expect("the async clients");
    assert_eq!(report.calls, 8 * 20 * 5);
    assert_eq!(report.bad_work, 8 * 20);
    let blocking = blocking.join().unwrap().expect("the blocking clients");
    assert_eq!(blocking.calls, 4 * 20 * 5);

    let python = std::env::var_os("THRIFTC_PYTHON").unwrap_or_else(|| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/client.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .args(["--port", &addr.port().to_string()])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {python:?} ({e}): run `cargo xtask test`, which sets up the \
                 Python peers, or set THRIFTC_PYTHON"
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named 'thriftpy2'"),
        "thriftpy2 is missing: run `cargo xtask test`, which sets up the Python peers, \
         or set THRIFTC_PYTHON to a Python that has thriftpy2==0.7.1"
    );
    assert!(
        out.status.success() && stdout.contains("all answers as expected"),
        "python/client.py failed ({})\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    // Every client's results went into the one shared log.
    assert_eq!(handler.logged(), 8 * 20 + 4 * 20 + 1);
    server.stop();
    rt.block_on(serving)
        .expect("the server task")
        .expect("the server drained");
}
