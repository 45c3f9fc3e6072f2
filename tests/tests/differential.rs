//! Differential test against Apache Thrift's own compiler: for every fixture
//! (`fixtures/valid` and `fixtures/invalid`), `thrift --gen py` and thriftc
//! must both accept or both reject it, except for the deliberate differences
//! listed in [`DIFFERENCES`] (each must still differ, so the list cannot go
//! stale).
//!
//! Needs Debian's `thrift-compiler` (0.17) on `PATH` (or `THRIFT` naming the
//! binary); `cargo xtask test` and `.ci/run` install it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Fixtures where thriftc and Apache Thrift 0.17 deliberately disagree, and why.
const DIFFERENCES: &[(&str, &str)] = &[
    (
        "valid/keywords.thrift",
        "Apache Thrift reserves words of its target languages (`async`, `self`, `from`, ...) as \
         names; thriftc accepts them, as only Rust is generated and Rust keywords are escaped. \
         Thrift keywords as field names (`1: string string`) arrived in Apache Thrift 0.18",
    ),
    (
        "valid/deprecated.thrift",
        "Apache Thrift 0.17 removed `senum` and `slist`; thriftc accepts them with a warning",
    ),
    (
        "valid/multiline_string.thrift",
        "Apache Thrift ends a string literal at the end of its line; thriftc reads one that runs \
         over a line break, with a warning",
    ),
    (
        "valid/uuid.thrift",
        "the `uuid` type arrived in Apache Thrift 0.19; Debian ships 0.17",
    ),
    (
        "valid/const_refs.thrift",
        "Apache Thrift 0.17 cannot refer to struct or enum-typed constants inside other constants",
    ),
    (
        "invalid/ambiguous_name.thrift",
        "Apache Thrift silently picks one of two included files with the same name",
    ),
    (
        "invalid/field_ids.thrift",
        "Apache Thrift only warns about field ids beyond i16 and renumbers non-positive ones",
    ),
    (
        "invalid/missing_include.thrift",
        "Apache Thrift 0.17 only warns about an include it cannot find",
    ),
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn thrift_binary() -> PathBuf {
    let bin = std::env::var_os("THRIFT").map_or_else(|| PathBuf::from("thrift"), PathBuf::from);
    match Command::new(&bin).arg("--version").output() {
        Ok(out) if out.status.success() => bin,
        _ => panic!(
            "Apache Thrift's compiler `{}` is not available: install Debian's thrift-compiler \
             (apt-get install thrift-compiler) or run `cargo xtask test`",
            bin.display()
        ),
    }
}

/// Whether Apache Thrift accepts the file, and what it printed.
fn apache_accepts(thrift: &Path, file: &Path, include: &Path, n: usize) -> (bool, String) {
    let out_dir =
        std::env::temp_dir().join(format!("thriftc-differential-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&out_dir).expect("temporary folder");
    // Its output goes to a file (no pipe to drain while waiting), and it
    // gets a time limit: some inputs make it loop for ever (an unclosed
    // block comment, in 0.17).
    let log_path = out_dir.join("thrift.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(thrift)
        .arg("--gen")
        .arg("py")
        .arg("-I")
        .arg(include)
        .arg("-out")
        .arg(&out_dir)
        .arg(file)
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .expect("run thrift");
    let deadline = Instant::now() + APACHE_TIME_LIMIT;
    let status = loop {
        match child.try_wait().expect("wait for thrift") {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let mut text = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&out_dir);
    if status.is_none() {
        text.push_str(&format!(
            "(Apache Thrift did not finish within {APACHE_TIME_LIMIT:?}: stopped)"
        ));
    }
    (status.is_some_and(|s| s.success()), text)
}

/// How long Apache Thrift's compiler may take over one fixture.
const APACHE_TIME_LIMIT: Duration = Duration::from_secs(60);

#[test]
fn thriftc_and_apache_thrift_agree_on_every_fixture() {
    let thrift = thrift_binary();
    let root = repo_root();
    let include = root.join("fixtures/include");
    let mut problems = Vec::new();
    let mut n = 0;
    for kind in ["valid", "invalid"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("fixtures").join(kind))
            .expect("fixtures folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "thrift"))
            .collect();
        files.sort();
        for file in files {
            n += 1;
            let name = format!(
                "{kind}/{}",
                file.file_name().expect("name").to_string_lossy()
            );
            let ours =
                thriftc::load(std::slice::from_ref(&file), std::slice::from_ref(&include)).is_ok();
            let (theirs, apache_output) = apache_accepts(&thrift, &file, &include, n);
            let expected_difference = DIFFERENCES.iter().find(|(f, _)| *f == name);
            let verdict = |ok: bool| if ok { "accepts" } else { "rejects" };
            match (ours == theirs, expected_difference) {
                (true, None) | (false, Some(_)) => {}
                (false, None) => problems.push(format!(
                    "{name}: thriftc {} it but Apache Thrift {}; Apache said:\n{apache_output}",
                    verdict(ours),
                    verdict(theirs)
                )),
                (true, Some((_, why))) => problems.push(format!(
                    "{name}: listed as a deliberate difference ({why}), but both {} it; \
                     remove it from DIFFERENCES",
                    verdict(ours)
                )),
            }
        }
    }
    for (name, _) in DIFFERENCES {
        assert!(
            root.join("fixtures").join(name).is_file(),
            "DIFFERENCES names {name}, which does not exist"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
