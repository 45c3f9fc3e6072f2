//! The server goals, checked against one run of the shared harness.
//!
//! The harness writes one JSON object per measured cell to
//! `matrix.jsonl`. Every goal is a ratio between two servers of the same
//! run and the same round (machines are noisy; only side-by-side figures
//! compare), so each goal is checked once per round in which both servers
//! were measured:
//!
//! - `ping`, `add`, `echo` at 16 connections: at least 0.95x the
//!   throughput of the speed-of-light server (`sol`);
//! - server CPU per `echo` at 16 connections: at most 0.8x Apache Rust's
//!   and at most 1.2x sol's;
//! - `blob` at 16 connections: at least 0.9x sol's throughput;
//! - p99 latency at 64 connections, every method: no worse than Apache
//!   C++'s threaded server.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

/// Our server's name in the harness (as `cargo xtask bench` registers it).
pub const OURS: &str = "thriftc";
const SOL: &str = "sol";
const APACHE_RUST: &str = "rust-apache";
const APACHE_CPP: &str = "cpp-threaded";

/// One measured cell.
#[derive(Debug, Clone, PartialEq)]
struct Cell {
    rps: f64,
    p99_us: f64,
    server_cpu: f64,
}

impl Cell {
    /// Server CPU time per request, in microseconds.
    fn cpu_per_request_us(&self) -> f64 {
        self.server_cpu / self.rps * 1e6
    }
}

/// Cells by (method, connections, round, server).
type Cells = BTreeMap<(String, u64, u64, String), Cell>;

/// How one goal came out in one round.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub goal: String,
    pub round: u64,
    pub detail: String,
    pub met: bool,
}

/// Reads `dir/matrix.jsonl` and checks every goal in every round.
pub fn check_dir(dir: &Path) -> Result<Vec<Outcome>, String> {
    let path = dir.join("matrix.jsonl");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    check(&text)
}

/// Checks every goal in every round of a `matrix.jsonl` text.
pub fn check(jsonl: &str) -> Result<Vec<Outcome>, String> {
    let cells = parse(jsonl)?;
    let rounds: Vec<u64> = {
        let mut r: Vec<u64> = cells.keys().map(|k| k.2).collect();
        r.sort_unstable();
        r.dedup();
        r
    };
    let get = |method: &str, conns: u64, round: u64, server: &str| {
        cells.get(&(method.to_owned(), conns, round, server.to_owned()))
    };
    let mut out = Vec::new();
    for &round in &rounds {
        for (method, floor) in [("ping", 0.95), ("add", 0.95), ("echo", 0.95), ("blob", 0.9)] {
            if let (Some(ours), Some(sol)) =
                (get(method, 16, round, OURS), get(method, 16, round, SOL))
            {
                let ratio = ours.rps / sol.rps;
                out.push(Outcome {
                    goal: format!("{method}@16 throughput >= {floor}x sol"),
                    round,
                    detail: format!("{:.0} / {:.0} req/s = {ratio:.2}x", ours.rps, sol.rps),
                    met: ratio >= floor,
                });
            }
        }
        if let Some(ours) = get("echo", 16, round, OURS) {
            for (other, ceiling) in [(APACHE_RUST, 0.8), (SOL, 1.2)] {
                if let Some(them) = get("echo", 16, round, other) {
                    let (a, b) = (ours.cpu_per_request_us(), them.cpu_per_request_us());
                    let ratio = a / b;
                    out.push(Outcome {
                        goal: format!("server CPU per echo@16 <= {ceiling}x {other}"),
                        round,
                        detail: format!("{a:.1} / {b:.1} us = {ratio:.2}x"),
                        met: ratio <= ceiling,
                    });
                }
            }
        }
        for method in ["ping", "add", "echo", "blob"] {
            if let (Some(ours), Some(cpp)) = (
                get(method, 64, round, OURS),
                get(method, 64, round, APACHE_CPP),
            ) {
                out.push(Outcome {
                    goal: format!("{method}@64 p99 <= {APACHE_CPP}"),
                    round,
                    detail: format!("{:.0} vs {:.0} us", ours.p99_us, cpp.p99_us),
                    met: ours.p99_us <= cpp.p99_us,
                });
            }
        }
    }
    Ok(out)
}

fn parse(jsonl: &str) -> Result<Cells, String> {
    let mut cells = Cells::new();
    for (i, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value =
            serde_json::from_str(line).map_err(|e| format!("matrix.jsonl line {}: {e}", i + 1))?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let num = |k: &str| v.get(k).and_then(Value::as_f64);
        let whole = |k: &str| v.get(k).and_then(Value::as_u64);
        let (Some(server), Some(method), Some(conns), Some(round)) = (
            text("server"),
            text("method"),
            whole("conns"),
            whole("round"),
        ) else {
            return Err(format!(
                "matrix.jsonl line {}: a cell without its name",
                i + 1
            ));
        };
        // A cell whose server failed to start has no figures: no goal can
        // use it.
        let (Some(rps), Some(p99_us), Some(server_cpu)) =
            (num("rps"), num("p99_us"), num("server_cpu"))
        else {
            continue;
        };
        if rps > 0.0 {
            cells.insert(
                (method, conns, round, server),
                Cell {
                    rps,
                    p99_us,
                    server_cpu,
                },
            );
        }
    }
    Ok(cells)
}

/// The outcomes as a table, and a last line counting the goals missed.
pub fn render(outcomes: &[Outcome]) -> String {
    let mut s = String::from("| goal | round | measured | |\n|---|---|---|---|\n");
    for o in outcomes {
        let mark = if o.met { "met" } else { "MISSED" };
        let _ = writeln!(s, "| {} | {} | {} | {mark} |", o.goal, o.round, o.detail);
    }
    let missed = outcomes.iter().filter(|o| !o.met).count();
    let _ = writeln!(
        s,
        "\n{missed} of {} checks missed{}",
        outcomes.len(),
        if outcomes.is_empty() {
            format!(" (no round measured `{OURS}` beside `{SOL}`)")
        } else {
            String::new()
        }
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(
        server: &str,
        method: &str,
        conns: u64,
        round: u64,
        rps: f64,
        p99: f64,
        cpu: f64,
    ) -> String {
        format!(
            r#"{{"round":{round},"server":"{server}","method":"{method}","conns":{conns},"rps":{rps},"p99_us":{p99},"server_cpu":{cpu},"first_error":null}}"#
        )
    }

    #[test]
    fn ratios_are_taken_within_a_round() {
        let text = [
            line("sol", "echo", 16, 1, 100_000.0, 300.0, 0.9),
            line("thriftc", "echo", 16, 1, 96_000.0, 300.0, 0.96),
            line("rust-apache", "echo", 16, 1, 60_000.0, 500.0, 0.9),
            line("sol", "echo", 16, 2, 100_000.0, 300.0, 0.9),
            line("thriftc", "echo", 16, 2, 90_000.0, 300.0, 0.9),
        ]
        .join("\n");
        let out = check(&text).unwrap();
        let echo: Vec<_> = out
            .iter()
            .filter(|o| o.goal.starts_with("echo@16"))
            .collect();
        assert_eq!(echo.len(), 2);
        assert!(echo[0].met, "{echo:?}");
        assert!(!echo[1].met, "{echo:?}");
        // CPU per echo: ours 10 us, Apache Rust's 15 us, sol's 9 us.
        let cpu: Vec<_> = out.iter().filter(|o| o.goal.contains("CPU")).collect();
        assert_eq!(cpu.len(), 3, "{cpu:?}");
        assert!(cpu.iter().any(|o| o.goal.contains("rust-apache") && o.met));
        assert!(cpu.iter().filter(|o| o.goal.contains("sol")).all(|o| o.met));
        assert!(render(&out).contains("1 of 5 checks missed"));
    }

    #[test]
    fn p99_is_compared_with_apache_cpp() {
        let text = [
            line("cpp-threaded", "ping", 64, 1, 100_000.0, 1_000.0, 1.0),
            line("thriftc", "ping", 64, 1, 100_000.0, 1_001.0, 1.0),
            line("cpp-threaded", "blob", 64, 1, 40_000.0, 20_000.0, 1.0),
            line("thriftc", "blob", 64, 1, 40_000.0, 5_000.0, 1.0),
        ]
        .join("\n");
        let out = check(&text).unwrap();
        assert_eq!(out.len(), 2);
        assert!(!out.iter().find(|o| o.goal.starts_with("ping")).unwrap().met);
        assert!(out.iter().find(|o| o.goal.starts_with("blob")).unwrap().met);
    }

    #[test]
    fn failed_cells_are_left_out_and_bad_lines_reported() {
        let text = format!(
            "{}\n{}\n",
            r#"{"round":1,"server":"thriftc","method":"ping","conns":16,"rps":null,"first_error":"refused"}"#,
            line("sol", "ping", 16, 1, 100_000.0, 300.0, 0.9)
        );
        assert!(check(&text).unwrap().is_empty());
        assert!(render(&[]).contains("no round measured"));
        let err = check("{\"round\":1}\nnot json").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }
}
