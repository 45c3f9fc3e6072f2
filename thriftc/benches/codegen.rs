//! Speed of `thriftc gen` on a synthetic IDL of about 8,000 lines (510
//! structs, enums, unions, 50 services × 20 methods), in memory: parse and
//! check (`load`), then plan, render and format (`generate`).
//!
//! Run: `cargo bench -p thriftc --bench codegen`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write;
use std::hint::black_box;
use thriftc::options::Options;

/// A large IDL in the style of real service definitions.
fn synthetic_idl() -> String {
    let types = [
        "i32",
        "i64",
        "string",
        "double",
        "bool",
        "binary",
        "list<string>",
        "map<string, i64>",
        "set<i32>",
        "list<Rec0>",
    ];
    let mut s = String::from("namespace rs synthetic\n\n");
    for e in 0..10 {
        writeln!(s, "enum Kind{e} {{\n  A = 1,\n  B = 2,\n  C = 3,\n}}\n").unwrap();
    }
    for i in 0..510 {
        writeln!(s, "/** Record number {i}. */\nstruct Rec{i} {{").unwrap();
        for f in 0..12 {
            let ty = if f == 11 && i > 0 {
                format!("Rec{}", i - 1)
            } else {
                types[(i + f) % types.len()].to_owned()
            };
            let req = ["", "optional ", "required "][(i + f) % 3];
            writeln!(s, "  {}: {req}{ty} field_{f},", f + 1).unwrap();
        }
        s.push_str("}\n\n");
    }
    for u in 0..20 {
        writeln!(
            s,
            "union Choice{u} {{\n  1: i32 a,\n  2: string b,\n  3: Rec{u} c,\n}}\n"
        )
        .unwrap();
    }
    s.push_str("exception Failure {\n  1: string message,\n  2: i32 code,\n}\n\n");
    for svc in 0..50 {
        writeln!(s, "service Service{svc} {{").unwrap();
        for m in 0..20 {
            let r = (svc * 20 + m) % 510;
            writeln!(
                s,
                "  Rec{r} call{m}(1: i64 id, 2: Rec{} input, 3: string note) throws (1: Failure f),",
                (r + 1) % 510
            )
            .unwrap();
        }
        s.push_str("}\n\n");
    }
    s
}

fn bench(c: &mut Criterion) {
    let idl = synthetic_idl();
    let lines = idl.lines().count();
    let loaded = thriftc::load_str("synthetic.thrift", &idl).expect("synthetic IDL is valid");
    let options = Options::default();
    let files = thriftc::codegen::generate(&loaded.program, &options).unwrap();
    let out_lines: usize = files.iter().map(|f| f.contents.lines().count()).sum();
    eprintln!("synthetic IDL: {lines} lines in, {out_lines} lines of Rust out");

    let mut g = c.benchmark_group("codegen");
    g.sample_size(10);
    g.bench_function("load", |b| {
        b.iter(|| black_box(thriftc::load_str("synthetic.thrift", black_box(&idl)).unwrap()))
    });
    g.bench_function("generate", |b| {
        b.iter(|| black_box(thriftc::codegen::generate(&loaded.program, &options).unwrap()))
    });
    let mut types_only = Options::default();
    types_only.gen_client = false;
    types_only.gen_server = false;
    g.bench_function("generate_types_only", |b| {
        b.iter(|| black_box(thriftc::codegen::generate(&loaded.program, &types_only).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
