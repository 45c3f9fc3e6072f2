//! Speed of `thriftc gen` on the synthetic IDL of the shared performance
//! harness (about 8,000 lines: 510 structs, unions and exceptions, 50
//! services × 20 methods), stage by stage, in memory.
//!
//! The IDL is generated at bench time by
//! `fixtures/bench/gen_large_idl.py` (python3 on PATH; set
//! `THRIFTC_GEN_LARGE_IDL` to use another path) into the target folder.
//!
//! Stages (each measured on its own, on one thread unless said):
//! - `parse`: text to syntax tree (pest + lowering);
//! - `load`: parse and semantic analysis (the resolved model);
//! - `plan`: the resolved model to the Rust code model;
//! - `render`: every planned item written as formatted text, the direct
//!   path alone (safety net off);
//! - `render+net`: the same with the safety net (prettyplease formatting of
//!   the items the writer cannot lay out exactly; the line before the stages
//!   says how many there are);
//! - `render_2t`: `render+net` on two threads (when there are two cores);
//! - `prettyplease`: for scale, formatting all of the output with syn and
//!   prettyplease, as the generator did before it wrote text directly;
//! - `generate`: plan and render together, as `thriftc gen` runs them (on
//!   as many threads as there are cores, up to `emit::MAX_THREADS`);
//! - `generate_1t`: the same on one thread;
//! - `generate_types_only`: the same without clients and servers;
//! - `plan_chain_3000`: planning a chain of 3,000 structs each holding the
//!   next, with views of a service function taking the first (the
//!   planner's fixpoints are worklists, linear in the chain's length).
//!
//! Run: `cargo bench -p thriftc --bench codegen`. Before criterion starts,
//! one line per stage gives the median of a few single runs, for a quick
//! breakdown (`THRIFTC_STAGES_ONLY=1` stops there; `THRIFTC_STAGE_RUNS`
//! sets the number of runs, e.g. 1 under `valgrind --tool=callgrind` for
//! instruction counts per stage, unaffected by other load on the machine).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use thriftc::codegen::emit::{self, EmitConfig};
use thriftc::codegen::plan;
use thriftc::options::Options;

/// The allocator of the `thriftc` binary, so the stages cost what they cost
/// there.
#[cfg(feature = "cli")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn generator() -> PathBuf {
    if let Some(path) = std::env::var_os("THRIFTC_GEN_LARGE_IDL") {
        return PathBuf::from(path);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bench/gen_large_idl.py")
}

/// Generates the IDL (default size) and returns its text.
fn idl() -> String {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    let out_dir = target.join("bench-idl");
    std::fs::create_dir_all(&out_dir).expect("create target/bench-idl");
    let out = out_dir.join("codegen-large.thrift");
    let script = generator();
    let status = Command::new("python3")
        .arg(&script)
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

/// Every item rendered on one thread, with or without the safety net.
fn render_all(
    krate: &plan::Crate,
    program: &thriftc::ir::Program,
    safety_net: bool,
) -> (Vec<thriftc::GeneratedFile>, thriftc::codegen::writer::Stats) {
    render_on(krate, program, safety_net, 1)
}

/// Every item rendered on up to `max_threads` threads.
fn render_on(
    krate: &plan::Crate,
    program: &thriftc::ir::Program,
    safety_net: bool,
    max_threads: usize,
) -> (Vec<thriftc::GeneratedFile>, thriftc::codegen::writer::Stats) {
    let config = EmitConfig {
        safety_net,
        max_threads,
    };
    emit::emit_with(krate, program, config).expect("generated code renders")
}

/// Median wall time of `runs` calls.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    median_with(runs, || (), |()| f())
}

/// Median wall time of `runs` calls of `f` on a fresh `setup()` (not timed).
fn median_with<T>(runs: usize, mut setup: impl FnMut() -> T, mut f: impl FnMut(T)) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let input = setup();
            let t = Instant::now();
            f(input);
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn bench(c: &mut Criterion) {
    let idl = idl();
    let loaded = thriftc::load_str("large.thrift", &idl)
        .unwrap_or_else(|f| panic!("generated IDL does not check:\n{}", f.render(false)));
    let program = &loaded.program;
    let options = Options::default();
    let krate = plan::plan(program, &options).unwrap();
    let (generated, stats) = render_all(&krate, program, true);
    let out_lines: usize = generated.iter().map(|f| f.contents.lines().count()).sum();
    eprintln!(
        "synthetic IDL: {} lines in, {out_lines} lines of Rust out; {} items, {} formatted by the safety net",
        idl.lines().count(),
        stats.items,
        stats.reformatted
    );
    let parsed: Vec<syn::File> = generated
        .iter()
        .map(|f| syn::parse_file(&f.contents).expect("generated code parses"))
        .collect();

    // Quick breakdown: medians of single runs.
    let runs = std::env::var("THRIFTC_STAGE_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(1);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let stages: [(&str, Duration); 9] = [
        (
            "parse",
            median(runs, || {
                let mut diags = thriftc::Diagnostics::new();
                black_box(thriftc::parse::parse(
                    thriftc::source::FileId(0),
                    &idl,
                    &mut diags,
                ));
            }),
        ),
        (
            "load",
            median(runs, || {
                black_box(thriftc::load_str("large.thrift", &idl).unwrap());
            }),
        ),
        (
            "plan",
            median(runs, || {
                black_box(plan::plan(program, &options).unwrap());
            }),
        ),
        (
            "render",
            median(runs, || {
                black_box(render_all(&krate, program, false));
            }),
        ),
        (
            "render+net",
            median(runs, || {
                black_box(render_all(&krate, program, true));
            }),
        ),
        (
            "render_2t",
            median(runs, || {
                black_box(render_on(&krate, program, true, 2));
            }),
        ),
        (
            "prettyplease",
            median(runs, || {
                for f in &generated {
                    black_box(syn::parse_file(&f.contents).unwrap());
                }
                for f in &parsed {
                    black_box(prettyplease::unparse(f));
                }
            }),
        ),
        (
            "generate",
            median(runs, || {
                black_box(thriftc::codegen::generate(program, &options).unwrap());
            }),
        ),
        (
            "generate_1t",
            median(runs, || {
                let krate = plan::plan(program, &options).unwrap();
                black_box(render_all(&krate, program, true));
            }),
        ),
    ];
    for (name, d) in stages {
        eprintln!("stage {name:<12} {:9.1} ms", ms(d));
    }
    if std::env::var_os("THRIFTC_STAGES_ONLY").is_some() {
        std::process::exit(0);
    }

    let mut g = c.benchmark_group("codegen");
    g.sample_size(10);
    g.bench_function("load", |b| {
        b.iter(|| black_box(thriftc::load_str("large.thrift", black_box(&idl)).unwrap()))
    });
    g.bench_function("plan", |b| {
        b.iter(|| black_box(plan::plan(program, &options).unwrap()))
    });
    g.bench_function("render", |b| {
        b.iter(|| black_box(render_all(&krate, program, false)))
    });
    g.bench_function("render_net", |b| {
        b.iter(|| black_box(render_all(&krate, program, true)))
    });
    g.bench_function("generate", |b| {
        b.iter(|| black_box(thriftc::codegen::generate(program, &options).unwrap()))
    });
    let mut types_only = Options::default();
    types_only.gen_client = false;
    types_only.gen_server = false;
    g.bench_function("generate_types_only", |b| {
        b.iter(|| black_box(thriftc::codegen::generate(program, &types_only).unwrap()))
    });
    // A chain of structs each holding the next, with views of a function
    // taking the first: the plan's fixpoints must stay linear in its length.
    let chain = chain_idl(3_000);
    let chain = thriftc::load_str("chain.thrift", &chain).unwrap();
    let mut chain_views = Options::default();
    chain_views.views = vec!["Svc.f".to_owned()];
    g.bench_function("plan_chain_3000", |b| {
        b.iter(|| black_box(plan::plan(&chain.program, &chain_views).unwrap()))
    });
    g.finish();
}

/// `n` structs, each holding the next and a string, and a service taking
/// the first.
fn chain_idl(n: usize) -> String {
    let mut idl = String::from("namespace rs chain\n");
    for i in 0..n - 1 {
        idl.push_str(&format!(
            "struct S{i} {{ 1: S{} next, 2: string s }}\n",
            i + 1
        ));
    }
    idl.push_str(&format!("struct S{} {{ 1: string s }}\n", n - 1));
    idl.push_str("service Svc { S0 f(1: S0 a) }\n");
    idl
}

criterion_group!(benches, bench);
criterion_main!(benches);
