//! Accept errors (out of file descriptors) back off instead of spinning.
//!
//! The test runs the server in this process and takes away its file
//! descriptors: `prlimit` (util-linux) lowers this process's
//! `RLIMIT_NOFILE` to 0 for a moment, so `accept` fails with `EMFILE`
//! while clients wait in the listen backlog. The process's CPU time over
//! that second shows whether the accept loop spins; afterwards the limit is
//! restored and the waiting clients must be served. It is the only test in
//! this binary because the limit applies to the whole process.

mod server_support;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use server_support::*;
use thriftc_runtime::{Framing, ProtocolKind};

/// Counts the server's "accept failed" warnings.
struct AcceptErrors(AtomicUsize);

impl log::Log for AcceptErrors {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Warn
    }
    fn log(&self, r: &log::Record<'_>) {
        if r.args().to_string().starts_with("accept failed") {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn flush(&self) {}
}

static ACCEPT_ERRORS: AcceptErrors = AcceptErrors(AtomicUsize::new(0));

/// Re-reads a /proc file through a descriptor opened before the limit drop.
fn reread(f: &mut File) -> String {
    f.seek(SeekFrom::Start(0)).unwrap();
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    s
}

/// utime + stime of this process, in clock ticks.
fn cpu_ticks(stat: &mut File) -> u64 {
    let s = reread(stat);
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall.
    let rest = &s[s.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// The soft "Max open files" limit.
fn soft_nofile(limits: &mut File) -> String {
    let s = reread(limits);
    let line = s.lines().find(|l| l.starts_with("Max open files")).unwrap();
    line.split_whitespace().nth(3).unwrap().to_owned()
}

#[test]
fn accept_errors_back_off_instead_of_spinning() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        panic!("this test needs `prlimit` from util-linux (e.g. `apt-get install util-linux`)");
    }
    log::set_logger(&ACCEPT_ERRORS).unwrap();
    log::set_max_level(log::LevelFilter::Warn);
    let mut stat = File::open("/proc/self/stat").unwrap();
    let mut limits = File::open("/proc/self/limits").unwrap();
    let original = soft_nofile(&mut limits);

    let server = builder(Calc::default())
        .max_connections(1)
        .bind("127.0.0.1:0")
        .unwrap()
        .spawn()
        .unwrap();
    let addr = server.local_addr();
    // Hold the only connection slot, so the next clients wait in the
    // backlog, unaccepted.
    let mut held = client(addr, ProtocolKind::Binary, Framing::Buffered);
    assert_eq!(add(&mut held, 1, 1).unwrap(), 2);
    let waiting: Vec<_> = (0..5)
        .map(|i| {
            let mut c = client(addr, ProtocolKind::Binary, Framing::Buffered);
            thread::spawn(move || add(&mut c, i, 100))
        })
        .collect();

    // No descriptors for 2 s, then the old limit again.
    let pid = std::process::id().to_string();
    let script = format!(
        "prlimit --pid {pid} --nofile=0: && sleep 2 && prlimit --pid {pid} --nofile={original}:"
    );
    let mut helper = Command::new("sh").arg("-c").arg(&script).spawn().unwrap();
    assert!(
        eventually(Duration::from_secs(5), || soft_nofile(&mut limits) == "0"),
        "prlimit did not lower the limit"
    );

    // Free the slot: the accept loop now meets EMFILE.
    drop(held);
    thread::sleep(Duration::from_millis(100));
    let before = cpu_ticks(&mut stat);
    let window = Instant::now();
    thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(&mut stat) - before;
    let elapsed = window.elapsed();
    eprintln!("CPU during 1 s of EMFILE: {used} ticks over {elapsed:?}");
    // A spinning accept loop burns a whole core (about 100 ticks).
    assert!(used < 25, "accept loop used {used} ticks in {elapsed:?}");

    assert!(
        ACCEPT_ERRORS.0.load(Ordering::SeqCst) >= 1,
        "accept never failed: the test did not exercise EMFILE"
    );
    assert!(helper.wait().unwrap().success(), "prlimit failed");
    assert_eq!(soft_nofile(&mut limits), original);
    // The clients that waited are served once descriptors are back.
    for (i, w) in waiting.into_iter().enumerate() {
        assert_eq!(w.join().unwrap().unwrap(), i as i32 + 100);
    }
    server.stop();
}
