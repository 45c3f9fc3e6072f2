//! Throughput of the front end (parse + resolve + check) on the synthetic
//! IDL of the shared performance harness.
//!
//! The IDL is generated at bench time by
//! `fixtures/bench/gen_large_idl.py` (python3 on PATH; set
//! `THRIFTC_GEN_LARGE_IDL` to use another path) into the target folder:
//! the default size (about 8,000 lines) and `--structs 3000`. Run with
//! `cargo bench -p thriftc --bench check`; criterion reports MB/s.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::{Path, PathBuf};
use std::process::Command;

fn generator() -> PathBuf {
    if let Some(path) = std::env::var_os("THRIFTC_GEN_LARGE_IDL") {
        return PathBuf::from(path);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bench/gen_large_idl.py")
}

/// Generates the IDL (once per size) and returns its text.
fn idl(name: &str, args: &[&str]) -> String {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    let out_dir = target.join("bench-idl");
    std::fs::create_dir_all(&out_dir).expect("create target/bench-idl");
    let out = out_dir.join(format!("{name}.thrift"));
    let script = generator();
    let status = Command::new("python3")
        .arg(&script)
        .args(args)
        .arg(&out)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run python3 (needed on PATH to generate the bench IDL with {}): {e}",
                script.display()
            )
        });
    assert!(
        status.success(),
        "{} failed; set THRIFTC_GEN_LARGE_IDL to the generator script",
        script.display()
    );
    std::fs::read_to_string(&out).expect("generated IDL")
}

fn bench(c: &mut Criterion) {
    for (name, args) in [
        ("default", &[][..]),
        ("structs3000", &["--structs", "3000"][..]),
    ] {
        let text = idl(name, args);
        // The input must be valid, or the numbers measure the error path.
        if let Err(failed) = thriftc::load_str("large.thrift", &text) {
            panic!("generated IDL does not check:\n{}", failed.render(false));
        }
        let mut group = c.benchmark_group(format!("check/{name}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.sample_size(20);
        group.bench_function("parse", |b| {
            b.iter(|| {
                let mut diags = thriftc::Diagnostics::new();
                thriftc::parse::parse(thriftc::source::FileId(0), &text, &mut diags)
            })
        });
        group.bench_function("parse+check", |b| {
            b.iter(|| thriftc::load_str("large.thrift", &text).map(|l| l.program.defs.len()))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
