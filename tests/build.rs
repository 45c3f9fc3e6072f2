//! Generates Apache Thrift's Rust code for `fixtures/bench/bench.thrift`
//! (with Apache's `thrift` compiler, `$THRIFT` or `thrift` on the PATH) into
//! `OUT_DIR/apache_bench.rs`, for the side-by-side bench `benches/payload.rs`.
//! Without the compiler the file is a `compile_error!` saying how to install
//! it; only that bench includes the file, so tests build either way.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let idl = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bench/bench.thrift");
    println!("cargo:rerun-if-changed={}", idl.display());
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=THRIFT");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let target = out.join("apache_bench.rs");
    let thrift = std::env::var("THRIFT").unwrap_or_else(|_| "thrift".into());
    let generated = Command::new(&thrift)
        .args(["--gen", "rs", "-out"])
        .arg(&out)
        .arg(&idl)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|_| std::fs::read_to_string(out.join("bench.rs")).ok());
    let text = match generated {
        // Crate-level `#![...]` attributes cannot appear in an `include!`d
        // file; the bench puts its own `allow`s on the module instead.
        Some(src) => src
            .lines()
            .filter(|l| !l.trim_start().starts_with("#!["))
            .map(|l| format!("{l}\n"))
            .collect(),
        None => format!(
            "compile_error!(\"cannot run Apache's `{thrift}` compiler: install it (Debian: \
             apt-get install thrift-compiler) or set $THRIFT\");\n"
        ),
    };
    std::fs::write(&target, text).expect("write apache_bench.rs");
}
