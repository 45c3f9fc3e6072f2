//! `calculator serve` stops gracefully when `stop` is typed, after
//! answering the calls it was given.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

#[test]
fn serve_stops_when_stop_is_typed() {
    let mut server = Command::new(env!("CARGO_BIN_EXE_calculator"))
        .args(["serve", "--port", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start `calculator serve`");
    let mut out = BufReader::new(server.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("the first line");
    // "calculator serving on 127.0.0.1:PORT (...)"
    let addr: SocketAddr = line
        .split_whitespace()
        .nth(3)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    let report = calculator::run_clients(addr, 2, 5).expect("the clients");
    assert_eq!(report.calls, 2 * 5 * 5);

    let mut stdin = server.stdin.take().expect("stdin");
    writeln!(stdin, "something else").unwrap();
    writeln!(stdin, "stop").unwrap();
    let status = server.wait().expect("the server exits");
    let mut rest = String::new();
    out.read_line(&mut rest).unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(rest, "stopped after logging 10 results\n");
}
