//! The tutorial's Python client (`python/client.py`, thriftpy2) against the
//! calculator server, as the README runs it. Python comes from
//! `$THRIFTC_PYTHON` (set by `cargo xtask test`), else `python3`.

use calculator::{Calc, run_clients, serve};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

#[test]
fn python_client_and_rust_clients_share_one_server() {
    let handler = Arc::new(Calc::default());
    let server = serve("127.0.0.1:0", handler.clone()).expect("start the server");
    let addr = server.local_addr();

    let report = run_clients(addr, 8, 20).expect("the Rust clients");
    assert_eq!(report.calls, 8 * 20 * 5);
    assert_eq!(report.bad_work, 8 * 20);

    let python = std::env::var_os("THRIFTC_PYTHON").unwrap_or_else(|| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/client.py");
    let out = Command::new(&python)
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
    // The Python client's calculation went into the same shared log.
    assert_eq!(handler.logged(), 8 * 20 + 1);
    server.stop();
}
