//! The `thriftc` binary on inputs that are not plain readable IDL files
//! (pipes, files that are not UTF-8), option values that are not valid, an
//! output folder holding hand-written code, and the warnings it gives about
//! options and module names.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("thriftc-inputs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn thriftc(dir: &Path, args: &[&str]) -> Output {
    thriftc_with_stdin(dir, args, None)
}

/// Runs thriftc in `dir`; with `stdin`, its standard input is a pipe that
/// carries those bytes and then ends.
fn thriftc_with_stdin(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_thriftc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run thriftc");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        // thriftc may exit without reading all of it; that is its answer.
        let _ = pipe.write_all(bytes);
    }
    child.wait_with_output().expect("wait for thriftc")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("thriftc exited by a signal")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const IDL: &[u8] = b"struct Point { 1: i32 x, 2: i32 y }\n";

#[test]
fn check_reads_a_piped_file() {
    let d = dir("check-stdin");
    let out = thriftc_with_stdin(&d, &["check", "/dev/stdin"], Some(IDL));
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(!err.contains("no such file"), "{err}");
    // Its content was read: one definition.
    assert!(err.contains("1 definition"), "{err}");

    // An error in it points at it under the name given.
    let out = thriftc_with_stdin(
        &d,
        &["check", "/dev/stdin"],
        Some(b"struct A { 1: strin x }\n"),
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("/dev/stdin:1:"), "{}", stderr(&out));
}

#[test]
fn gen_reads_a_piped_file_under_its_given_name() {
    let d = dir("gen-stdin");
    let out = thriftc_with_stdin(&d, &["gen", "--out-dir", "out", "/dev/stdin"], Some(IDL));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let module = std::fs::read_to_string(d.join("out/stdin.rs")).unwrap();
    assert!(module.contains("pub struct Point"), "{module}");
    let out = thriftc_with_stdin(
        &d,
        &["gen", "--check", "--out-dir", "out", "/dev/stdin"],
        Some(IDL),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn audit_reads_the_old_version_from_a_pipe() {
    let d = dir("audit-stdin");
    // The new version changes a field's type: a breaking change, which
    // only shows if the old version was read in full.
    std::fs::write(
        d.join("point.thrift"),
        "struct Point { 1: i64 x, 2: i32 y }\n",
    )
    .unwrap();
    let out = thriftc_with_stdin(&d, &["audit", "/dev/stdin", "point.thrift"], Some(IDL));
    let err = stderr(&out);
    assert_eq!(code(&out), 5, "{err}");
    assert!(err.contains("Point"), "{err}");

    let same = std::fs::read(d.join("point.thrift")).unwrap();
    let out = thriftc_with_stdin(&d, &["audit", "/dev/stdin", "point.thrift"], Some(&same));
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // One pipe for both versions: the second read would find it empty.
    let out = thriftc_with_stdin(&d, &["audit", "/dev/stdin", "/dev/stdin"], Some(&same));
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("twice"), "{}", stderr(&out));
}

#[test]
fn a_file_that_is_not_utf8_exits_4() {
    let d = dir("utf8");
    std::fs::write(d.join("bad.thrift"), b"struct \xff {}\n").unwrap();
    std::fs::write(d.join("good.thrift"), IDL).unwrap();
    for args in [
        &["check", "bad.thrift"][..],
        &["gen", "--out-dir", "out", "bad.thrift"],
        &["audit", "bad.thrift", "good.thrift"],
        &["audit", "good.thrift", "bad.thrift"],
    ] {
        let out = thriftc(&d, args);
        let err = stderr(&out);
        assert_eq!(code(&out), 4, "{args:?}: {err}");
        assert!(
            err.contains("cannot read `bad.thrift`: file is not valid UTF-8"),
            "{args:?}: {err}"
        );
    }
    // Latin-1 bytes in comments, as old IDL has, are read.
    std::fs::write(d.join("latin1.thrift"), b"// caf\xe9\nstruct A {}\n").unwrap();
    let out = thriftc(&d, &["check", "latin1.thrift"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Through a pipe too.
    let out = thriftc_with_stdin(&d, &["check", "/dev/stdin"], Some(b"struct \xff {}\n"));
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    // An included file that is not UTF-8 is an error of the IDL that
    // includes it, not of the command line.
    std::fs::write(d.join("top.thrift"), "include \"bad.thrift\"\n").unwrap();
    let out = thriftc(&d, &["check", "top.thrift"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}

#[test]
fn gen_check_refuses_a_hand_written_file_as_gen_does() {
    let d = dir("handwritten");
    std::fs::write(d.join("a.thrift"), "struct A { 1: i32 x }\n").unwrap();
    std::fs::create_dir_all(d.join("out")).unwrap();
    std::fs::write(d.join("out/mod.rs"), "mod a;\n").unwrap();
    let generate = thriftc(&d, &["gen", "--out-dir", "out", "a.thrift"]);
    assert_eq!(code(&generate), 4, "{}", stderr(&generate));
    let check = thriftc(&d, &["gen", "--check", "--out-dir", "out", "a.thrift"]);
    assert_eq!(code(&check), 4, "{}", stderr(&check));
    assert_eq!(stderr(&check), stderr(&generate));
    assert!(
        stderr(&check).contains("not generated by thriftc"),
        "{}",
        stderr(&check)
    );
    assert!(!stderr(&check).contains("without --check"));
}

#[test]
fn invalid_option_values_are_usage_errors() {
    let d = dir("bad-options");
    std::fs::write(d.join("a.thrift"), "struct A { 1: i32 x }\n").unwrap();
    for (flag, value, said) in [
        ("--type-attribute", "A=#[derive(", "invalid option"),
        ("--field-attribute", "A.x=#[serde(", "invalid option"),
        ("--runtime-path", "foo bar", "invalid option"),
        ("--hasher", "!!", "hasher `!!`"),
    ] {
        let out = thriftc(&d, &["gen", "--out-dir", "out", flag, value, "a.thrift"]);
        let err = stderr(&out);
        assert_eq!(code(&out), 2, "{flag} {value}: {err}");
        assert!(err.contains(said), "{flag} {value}: {err}");
    }
    assert!(!d.join("out").exists());
}

#[test]
fn option_warnings_name_the_flags() {
    let d = dir("option-warnings");
    std::fs::write(d.join("a.thrift"), "struct A { 1: map<string, i32> m }\n").unwrap();
    let out = thriftc(
        &d,
        &[
            "gen",
            "--out-dir",
            "out",
            "--btree",
            "Nope",
            "--bytes",
            "Nada",
            "--wire-order",
            "Zip",
            "a.thrift",
        ],
    );
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(
        err.contains("warning[unused-option]: option `btree_map` (`--btree`): the path `Nope` matches nothing"),
        "{err}"
    );
    assert!(
        err.contains("warning[unused-option]: option `bytes`: the path `Nada` matches nothing"),
        "{err}"
    );
    assert!(
        err.contains("warning[unused-option]: option `wire_order`: the path `Zip` matches nothing"),
        "{err}"
    );
    for internal in ["btree_paths", "bytes_paths", "wire_order_paths"] {
        assert!(!err.contains(internal), "{err}");
    }
}

#[test]
fn module_names_taken_by_another_file_are_warned_about() {
    let d = dir("same-stem");
    for folder in ["a", "b"] {
        std::fs::create_dir_all(d.join(folder)).unwrap();
    }
    std::fs::write(d.join("a/common.thrift"), "struct A { 1: i32 x }\n").unwrap();
    std::fs::write(d.join("b/common.thrift"), "struct B { 1: i32 x }\n").unwrap();
    let out = thriftc(
        &d,
        &[
            "gen",
            "--out-dir",
            "out",
            "a/common.thrift",
            "b/common.thrift",
        ],
    );
    let err = stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(d.join("out/common2.rs").is_file());
    let warning = err
        .lines()
        .find(|l| l.starts_with("warning[renamed]:") && l.contains("common2"))
        .unwrap_or_else(|| panic!("no warning about `common2`: {err}"));
    assert!(warning.contains("b/common.thrift"), "{warning}");
    assert!(warning.contains("a/common.thrift"), "{warning}");
    assert!(warning.contains("namespace rs"), "{warning}");

    // Distinct names: no warning.
    std::fs::write(
        d.join("b/common.thrift"),
        "namespace rs other\nstruct B { 1: i32 x }\n",
    )
    .unwrap();
    let out = thriftc(
        &d,
        &[
            "gen",
            "--out-dir",
            "out2",
            "a/common.thrift",
            "b/common.thrift",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}
