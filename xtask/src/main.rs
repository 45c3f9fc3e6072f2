//! Developer tasks for the thriftc workspace: `cargo xtask <task>`.
//!
//! - `test`: sets up what the test suite needs (a Python venv with the pinned
//!   interop peers, Debian's `thrift` compiler when missing and installable),
//!   says plainly what it could not set up, then runs clippy with
//!   `-D warnings` (which covers the compiled goldens of generated code) and
//!   `cargo test --workspace`, with the API documentation built in between
//!   (rustdoc warnings are errors).
//! - `bless [FILTER]`: rewrites the golden files (`UPDATE_EXPECT=1`).
//! - `bench`: criterion benchmarks, then the shared server harness when
//!   present, and the server goals checked against its figures.
//! - `goals DIR`: the server goals checked against a harness results folder.
//! - `ci`: format check, then `test`.
//!
//! Plain `std::process::Command`; every failure prints the command to rerun.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod goals;

/// Python packages of the interop peers, pinned.
const PY_PEERS: &[&str] = &["thriftpy2==0.7.1", "thrift==0.25.0"];

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let root = project_root();
    env::set_current_dir(&root).expect("cannot enter the workspace root");
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&root, &args[1..]),
        Some("bless") => bless(&root, &args[1..]),
        Some("bench") => bench(&root, &args[1..]),
        Some("goals") => match args.get(1) {
            Some(dir) => print_goals(Path::new(dir)),
            None => Err("`goals` needs the harness results folder".into()),
        },
        Some("ci") => ci(&root),
        Some("help") | Some("--help") | Some("-h") | None => {
            print_help();
            Ok(())
        }
        Some(other) => Err(format!("unknown task `{other}`; run `cargo xtask help`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("xtask: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    println!(
        "cargo xtask <task>

Tasks:
  test [ARGS]      set up the Python peers and Debian's thrift compiler, then
                   run clippy -D warnings (generated goldens included), build
                   the API docs (rustdoc warnings are errors) and run
                   `cargo test --workspace [ARGS]`
  bless [FILTER]   set up the peers as `test` does, then rewrite golden files
                   (tests whose name contains FILTER)
  bench [ARGS]     criterion benchmarks (`cargo bench --workspace`), then the
                   server harness of ../shared/bench when it is present,
                   and the server goals checked against its figures
  goals DIR        the server goals checked against a harness results folder
                   (DIR/matrix.jsonl); exit status 1 if any is missed
  ci               cargo fmt --check, then `test`"
    );
}

fn project_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(&manifest).to_path_buf()
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("command failed ({status}): {shown}"))
    }
}

fn works(cmd: &mut Command) -> bool {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Creates (once) `target/py-venv` with the pinned peers; returns its python.
fn python_venv(root: &Path, problems: &mut Vec<String>) -> Option<PathBuf> {
    let venv = root.join("target").join("py-venv");
    let python = venv.join("bin").join("python");
    let check = |py: &Path| works(Command::new(py).args(["-c", "import thriftpy2, thrift"]));
    if python.exists() && check(&python) {
        return Some(python);
    }
    eprintln!("xtask: creating a Python venv for the interop peers in target/py-venv");
    if !works(Command::new("python3").args(["-m", "venv"]).arg(&venv)) {
        problems.push(
            "could not create a Python venv (`python3 -m venv`): install Python 3 with venv \
             (Debian: apt-get install python3-venv)"
                .into(),
        );
        return None;
    }
    let pip = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(PY_PEERS)
        .status();
    if !matches!(pip, Ok(s) if s.success()) || !check(&python) {
        problems.push(format!(
            "could not install the Python peers ({}) into target/py-venv: check access to PyPI",
            PY_PEERS.join(" ")
        ));
        return None;
    }
    Some(python)
}

/// Makes sure Debian's `thrift` compiler is on PATH, installing it when we
/// are root on a Debian-like system.
fn thrift_compiler(problems: &mut Vec<String>) {
    if works(Command::new("thrift").arg("--version")) {
        return;
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if is_root && works(Command::new("apt-get").arg("--version")) {
        eprintln!("xtask: installing Debian's thrift-compiler");
        let _ = Command::new("apt-get").args(["update", "-qq"]).status();
        let _ = Command::new("apt-get")
            .args(["install", "-y", "-qq", "thrift-compiler"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
        if works(Command::new("thrift").arg("--version")) {
            return;
        }
    }
    problems.push(
        "Apache's `thrift` compiler is missing and could not be installed: \
         run `apt-get install thrift-compiler` (Debian) as root"
            .into(),
    );
}

/// Sets up what the tests of real peers need (Debian's `thrift`, the Python
/// venv), saying plainly what it could not; returns the venv's python.
fn peers(root: &Path) -> Option<PathBuf> {
    let mut problems = Vec::new();
    thrift_compiler(&mut problems);
    let python = python_venv(root, &mut problems);
    if !problems.is_empty() {
        eprintln!("xtask: could not set up everything the tests need:");
        for p in &problems {
            eprintln!("  - {p}");
        }
        eprintln!("xtask: running the tests anyway; the ones that need these will fail.");
    }
    python
}

fn test(root: &Path, extra: &[String]) -> Result<(), String> {
    check_disk(root);
    let python = peers(root);
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // The golden files of generated code are compiled as modules of the
    // tests crate, so this also holds generated code to clippy -D warnings.
    // The runtime's `tokio` feature is on for the workspace checks and
    // tests, so its async client and server (and their tests, which need
    // the feature) are held to the same bar.
    clippy(&cargo, &["--workspace", "--features", RUNTIME_TOKIO])?;
    // The workspace build turns on the runtime's optional `bytes` feature
    // (the tests crate uses it); check the runtime without it as well.
    clippy(&cargo, &["-p", "thriftc-runtime"])?;
    docs(&cargo)?;
    let mut cmd = Command::new(&cargo);
    cmd.args(["test", "--workspace", "--features", RUNTIME_TOKIO])
        .args(extra);
    if let Some(py) = python {
        cmd.env("THRIFTC_PYTHON", py);
    }
    run(&mut cmd)
}

/// The runtime's async feature, named for workspace-wide cargo commands.
const RUNTIME_TOKIO: &str = "thriftc-runtime/tokio";

/// About what a first run of `test` leaves in the target folder (debug
/// build, clippy's metadata, docs, the build-script test's own project).
const TEST_DISK_NEED_MIB: u64 = 2048;

/// Says so up front when the disk where the build goes is nearly full: a
/// build that runs out of space fails halfway, with rustc's I/O error.
fn check_disk(root: &Path) {
    let target =
        env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), |d| root.join(d));
    // The target folder may not exist yet; its nearest existing parent is on
    // the same disk.
    let Some(existing) = target.ancestors().find(|p| p.exists()) else {
        return;
    };
    let Ok(out) = Command::new("df").arg("-Pk").arg(existing).output() else {
        return;
    };
    // `df -P`: a header line, then `fs blocks used available capacity mount`.
    let free_kib = String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(3)?.parse::<u64>().ok());
    if let Some(free) = free_kib.map(|k| k / 1024)
        && free < TEST_DISK_NEED_MIB
    {
        eprintln!(
            "xtask: only {free} MiB free on the disk of {}; a first test run needs about \
             {TEST_DISK_NEED_MIB} MiB and may fail with \"No space left on device\"",
            target.display()
        );
    }
}

/// `cargo clippy <scope> --all-targets -- -D warnings`.
fn clippy(cargo: &str, scope: &[&str]) -> Result<(), String> {
    eprintln!(
        "xtask: cargo clippy {} --all-targets -- -D warnings",
        scope.join(" ")
    );
    run(Command::new(cargo).arg("clippy").args(scope).args([
        "--all-targets",
        "--quiet",
        "--",
        "-D",
        "warnings",
    ]))
}

/// The API documentation of the two published packages, with every
/// feature (as docs.rs builds the runtime's), then the runtime's with none
/// (as a user's `cargo doc` builds it: links to feature-gated items must
/// not break), with rustdoc's warnings (broken or redundant links) as
/// errors.
fn docs(cargo: &str) -> Result<(), String> {
    eprintln!(
        "xtask: cargo doc --no-deps --all-features -p thriftc-runtime -p thriftc \
         (warnings are errors)"
    );
    run(Command::new(cargo)
        .args([
            "doc",
            "--no-deps",
            "--quiet",
            "--all-features",
            "-p",
            "thriftc-runtime",
            "-p",
            "thriftc",
        ])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    eprintln!("xtask: cargo doc --no-deps -p thriftc-runtime (no features; warnings are errors)");
    run(Command::new(cargo)
        .args(["doc", "--no-deps", "--quiet", "-p", "thriftc-runtime"])
        .env("RUSTDOCFLAGS", "-D warnings"))
}

fn bless(root: &Path, args: &[String]) -> Result<(), String> {
    // The tests crate also holds the interop tests: without the peers they
    // would fail after the goldens were written.
    let python = peers(root);
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["test", "--package", "thriftc-tests"])
        .env("UPDATE_EXPECT", "1");
    if let Some(py) = python {
        cmd.env("THRIFTC_PYTHON", py);
    }
    if let Some(filter) = args.first() {
        cmd.args(["--", filter.as_str()]);
    }
    run(&mut cmd)
}

fn bench(root: &Path, extra: &[String]) -> Result<(), String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(&cargo)
        .args(["bench", "--workspace"])
        .args(extra))?;
    let harness = root.join("..").join("shared").join("bench").join("run.sh");
    if !harness.exists() {
        eprintln!(
            "xtask: the server harness (../shared/bench/run.sh) is not here; \
             skipped the server comparison"
        );
        return Ok(());
    }
    run(Command::new(&cargo).args(["build", "--release", "--bin", "bench-server"]))?;
    // Where cargo put it: `CARGO_TARGET_DIR` when set (relative to the
    // workspace, where cargo runs), else `target/`.
    let target =
        env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), |d| root.join(d));
    let server = target.join("release").join("bench-server");
    // Our server in its default mode, in the event-driven mode with one
    // thread per core, and the async flavour on tokio.
    let servers = format!(
        "thriftc|buffered|{0} --port {{port}} --workers 0;\
         thriftc-events|buffered|{0} --port {{port}} --event-threads 2;\
         thriftc-async|buffered|{0} --port {{port}} --async",
        server.display()
    );
    // An absolute results folder, so that the goals can be read from it
    // whether the harness runs in place or from a writable copy of itself.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let out = target.join("bench-results").join(stamp.to_string());
    run(Command::new("bash").arg(&harness).arg("build"))?;
    run(Command::new("bash")
        .arg(&harness)
        .arg("matrix")
        .env("EXTRA_SERVERS", servers)
        .env("OUT", &out))?;
    print_goals(&out)
}

/// Prints the goal table of a harness results folder; an error when a goal
/// is missed.
fn print_goals(dir: &Path) -> Result<(), String> {
    let outcomes = goals::check_dir(dir)?;
    println!(
        "\nServer goals ({}):\n\n{}",
        dir.display(),
        goals::render(&outcomes)
    );
    match outcomes.iter().filter(|o| !o.met).count() {
        0 if outcomes.is_empty() => Err(format!(
            "no goal could be checked: no round measured `{}` beside the others",
            goals::OURS
        )),
        0 => Ok(()),
        n => Err(format!("{n} server goal check(s) missed (figures above)")),
    }
}

fn ci(root: &Path) -> Result<(), String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(&cargo).args(["fmt", "--all", "--", "--check"]))?;
    test(root, &[])
}
