//! `calculator`: the Thrift tutorial's calculator, served and called with
//! thriftc-generated code.
//!
//! ```text
//! cargo run -p calculator -- demo                 # server + concurrent clients, then exit
//! cargo run -p calculator -- async-demo           # the same on tokio, plus blocking clients
//! cargo run -p calculator -- serve [--port 9090]  # serve until `stop` is typed
//! cargo run -p calculator -- client [--port 9090] [--threads 8]
//! ```

use calculator::{Calc, Error, connect, run_clients, serve};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

const USAGE: &str =
    "usage: calculator demo | async-demo | serve [--port P] | client [--port P] [--threads N]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut port: u16 = 9090;
    let mut threads = 8;
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let parsed = match a.as_str() {
            "--port" => it.next().and_then(|v| v.parse().ok()).map(|v| port = v),
            "--threads" => it.next().and_then(|v| v.parse().ok()).map(|v| threads = v),
            _ => None,
        };
        if parsed.is_none() {
            eprintln!("calculator: bad argument `{a}`\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo(threads),
        Some("async-demo") => async_demo(threads),
        Some("serve") => serve_forever(port),
        Some("client") => client(SocketAddr::from(([127, 0, 0, 1], port)), threads),
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("calculator: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Starts a server on a free port, runs the concurrent clients against it,
/// shows what the shared handler state saw, and stops.
fn demo(threads: usize) -> Result<(), Error> {
    let handler = Arc::new(Calc::default());
    let server = serve("127.0.0.1:0", handler.clone())?;
    let addr = server.local_addr();
    println!("server listening on {addr}");
    client(addr, threads)?;
    println!("the handler logged {} results", handler.logged());
    server.stop();
    println!("server stopped");
    Ok(())
}

/// The async server on tokio, async clients as tasks (each on its own
/// connection, and as many more sharing one), and blocking clients on
/// threads calling the same server at the same time.
fn async_demo(clients: usize) -> Result<(), Error> {
    let rt = calculator::tokio::runtime()?;
    rt.block_on(async {
        let handler = Arc::new(Calc::default());
        let (server, serving) = calculator::tokio::serve("127.0.0.1:0", handler.clone()).await?;
        let addr = server.local_addr();
        println!("async server listening on {addr}");
        let started = Instant::now();
        let blocking = tokio::task::spawn_blocking(move || run_clients(addr, clients, 50));
        let shared = tokio::spawn(calculator::tokio::run_shared_clients(addr, clients, 50));
        let report = calculator::tokio::run_clients(addr, clients, 50).await?;
        let shared = shared.await??;
        let blocking = blocking.await??;
        println!(
            "{clients} async clients, {clients} tasks sharing one connection and {clients} \
             blocking clients made {} calls in {:?}; every answer checked ({} divisions by zero \
             refused)",
            report.calls + shared.calls + blocking.calls,
            started.elapsed(),
            report.bad_work + shared.bad_work + blocking.bad_work
        );
        println!("the handler logged {} results", handler.logged());
        server.stop();
        serving.await??;
        println!("server stopped");
        Ok(())
    })
}

/// Serves until `stop` is typed (a graceful stop: calls in flight are
/// answered) or the process is killed; without a terminal (stdin closed),
/// until killed.
fn serve_forever(port: u16) -> Result<(), Error> {
    let handler = Arc::new(Calc::default());
    let server = serve(&format!("127.0.0.1:{port}"), handler.clone())?;
    println!(
        "calculator serving on {} (type `stop` and Enter to stop gracefully)",
        server.local_addr()
    );
    let mut line = String::new();
    loop {
        line.clear();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) | Err(_) => loop {
                std::thread::park();
            },
            Ok(_) if line.trim() == "stop" => break,
            Ok(_) => {}
        }
    }
    server.stop();
    println!("stopped after logging {} results", handler.logged());
    Ok(())
}

fn client(addr: SocketAddr, threads: usize) -> Result<(), Error> {
    let started = Instant::now();
    let report = run_clients(addr, threads, 50)?;
    println!(
        "{threads} clients made {} calls in {:?}; every answer checked ({} divisions by zero refused)",
        report.calls,
        started.elapsed(),
        report.bad_work
    );
    // The oneway zips were sent without waiting; ask how many arrived.
    let mut c = connect(addr)?;
    println!("zips received so far: {}", c.zips()?);
    Ok(())
}
