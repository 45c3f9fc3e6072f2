//! The tutorial's Python client (`python/client.py`, thriftpy2), run
//! against a server. Python comes from `$THRIFTC_PYTHON` (set by `cargo
//! xtask test`), else `python3`; a missing thriftpy2 fails with how to get
//! it.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

/// Runs `python/client.py` against `addr` and checks that it saw every
/// answer it expected.
pub fn run(addr: SocketAddr) {
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
}
