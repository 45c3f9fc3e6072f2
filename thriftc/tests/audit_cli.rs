//! `thriftc audit` as a user runs it: the exit code and summary of each
//! outcome (0 compatible, 1 IDL errors in either version, 4 unreadable
//! file, 5 breaking changes), `-I` applying to both versions and
//! `--old-include-dir` giving the old one its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Runs `thriftc audit ARGS` in `fixtures/`.
fn audit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thriftc"))
        .arg("audit")
        .args(args)
        .current_dir(fixtures())
        .env_remove("NO_COLOR")
        .output()
        .expect("run thriftc")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("thriftc exited by a signal")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn breaking_changes_exit_5() {
    let out = audit(&[
        "audit/breaking/v1/shop.thrift",
        "audit/breaking/v2/shop.thrift",
    ]);
    let text = stderr(&out);
    assert_eq!(code(&out), 5, "{text}");
    assert!(out.stdout.is_empty());
    for expected in [
        "error[field-wire-type-changed]: field 8 `tags` of struct `Item` changed type from list<map<string, i32>> to list<map<string, i64>>",
        "  --> audit/breaking/v2/shop.thrift:21:6",
        "warning[field-removed]: field 4 `gift_note` of struct `Item` was removed",
        "  --> audit/breaking/v1/shop.thrift:20:3",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    assert!(
        !text.contains("\x1b["),
        "coloured although stderr is a pipe"
    );
    assert!(
        text.ends_with(
            "error: `audit/breaking/v2/shop.thrift` breaks wire compatibility with \
             `audit/breaking/v1/shop.thrift` (15 errors, 17 warnings)\n"
        ),
        "{text}"
    );
}

#[test]
fn compatible_versions_exit_0() {
    let out = audit(&[
        "audit/compatible/v1/shop.thrift",
        "audit/compatible/v2/shop.thrift",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "`audit/compatible/v2/shop.thrift` is wire-compatible with \
         `audit/compatible/v1/shop.thrift`: nothing to report (additions are not reported: \
         fields not `required`, enum values, union fields, types, functions; --strict reports \
         new enum numbers and union fields)\n"
    );
    // --strict: the new enum number and union field, as warnings (exit 0).
    let out = audit(&[
        "--strict",
        "--color=never",
        "audit/compatible/v1/shop.thrift",
        "audit/compatible/v2/shop.thrift",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning[enum-value-added]: new value `SHIPPED` (3) of enum `Status`"),
        "{err}"
    );
    assert!(
        err.contains("warning[union-field-added]: new field 2 `by_note` of union `Lookup`"),
        "{err}"
    );
    assert!(err.ends_with("(2 warnings)\n"), "{err}");
}

#[test]
fn warnings_only_exit_0() {
    // A renamed field is safe on the wire: a warning only.
    let dir = std::env::temp_dir().join(format!("thriftc-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("old.thrift"),
        "struct A {\n  1: string colour\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("new.thrift"), "struct A {\n  1: string color\n}\n").unwrap();
    let old = dir.join("old.thrift");
    let new = dir.join("new.thrift");
    let out = audit(&[old.to_str().unwrap(), new.to_str().unwrap()]);
    let text = stderr(&out);
    assert_eq!(code(&out), 0, "{text}");
    assert!(
        text.contains(
            "warning[field-renamed]: field 1 of struct `A` was renamed from `colour` to `color`"
        ),
        "{text}"
    );
    assert!(text.trim_end().ends_with("(1 warning)"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn idl_errors_in_either_version_exit_1() {
    for (old, new) in [
        (
            "invalid/duplicate_field.thrift",
            "audit/compatible/v2/shop.thrift",
        ),
        (
            "audit/compatible/v1/shop.thrift",
            "invalid/duplicate_field.thrift",
        ),
    ] {
        let out = audit(&[old, new]);
        let text = stderr(&out);
        assert_eq!(code(&out), 1, "{text}");
        assert!(
            text.contains("error: could not check `invalid/duplicate_field.thrift`"),
            "{text}"
        );
        assert!(text.contains("invalid/duplicate_field.thrift:"), "{text}");
    }
}

#[test]
fn include_dirs_apply_to_both_versions() {
    let file = "valid/includes.thrift";
    let out = audit(&["-I", "include", file, file]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing to report"),
        "{}",
        stderr(&out)
    );
    let out = audit(&[file, file]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
}

#[test]
fn old_include_dirs_give_the_old_version_its_own_included_files() {
    let (old, new) = (
        "audit/include_dirs/old/root/api.thrift",
        "audit/include_dirs/new/root/api.thrift",
    );
    // With -I alone, both roots read the new included file: no change seen.
    let out = audit(&["-I", "audit/include_dirs/new/inc", old, new]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = audit(&[
        "-I",
        "audit/include_dirs/new/inc",
        "--old-include-dir",
        "audit/include_dirs/old/inc",
        old,
        new,
    ]);
    let text = stderr(&out);
    assert_eq!(code(&out), 5, "{text}");
    assert!(
        text.contains("field 1 `cents` of struct `types.Amount` changed type from i32 to i64"),
        "{text}"
    );
}

#[test]
fn unreadable_file_exits_4_and_usage_errors_exit_2() {
    let out = audit(&["audit/compatible/v1/shop.thrift", "no/such.thrift"]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: cannot read `no/such.thrift`"),
        "{}",
        stderr(&out)
    );
    let out = audit(&["audit/compatible/v1/shop.thrift"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[test]
fn help_lists_exit_status_5() {
    let out = Command::new(env!("CARGO_BIN_EXE_thriftc"))
        .arg("--help")
        .output()
        .expect("run thriftc");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("audit"), "{text}");
    assert!(
        text.contains("5  audit: the new version breaks wire compatibility"),
        "{text}"
    );
    let out = audit(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code(&out), 0);
    assert!(
        text.contains("5 when breaking changes were found"),
        "{text}"
    );
}

#[test]
fn help_example_extracts_the_old_version_with_its_included_files() {
    let out = audit(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code(&out), 0);
    // Extracting the root file alone (`git show TAG:FILE`) loses its
    // included files, or with -I reads the new ones.
    assert!(!text.contains("git show"), "{text}");
    for expected in [
        "git archive v1.4 idl | tar -x -C /tmp/v1.4",
        "thriftc audit /tmp/v1.4/idl/api.thrift idl/api.thrift",
        "which serve both versions",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
}

/// `-A RULE` hides a rule's findings (a change accepted on purpose), `-D
/// RULE` makes them errors, `warnings` names every warning rule; each
/// finding shows its rule.
#[test]
fn rules_are_allowed_and_denied_by_name() {
    let pair = [
        "audit/breaking/v1/shop.thrift",
        "audit/breaking/v2/shop.thrift",
    ];
    let run = |flags: &[&str]| {
        let out = audit(&[&["--color=never"], flags, &pair].concat());
        (code(&out), stderr(&out))
    };
    let (status, err) = run(&[]);
    assert_eq!(status, 5, "{err}");
    assert!(err.contains("error[function-removed]: "), "{err}");
    assert!(err.contains("(15 errors, 17 warnings)"), "{err}");

    let (status, err) = run(&["-A", "warnings"]);
    assert_eq!(status, 5, "{err}");
    assert!(!err.contains("warning["), "{err}");
    assert!(err.contains("(15 errors; 17 hidden by -A: "), "{err}");

    let (status, err) = run(&["-D", "warnings", "--allow", "field-renamed"]);
    assert_eq!(status, 5, "{err}");
    assert!(!err.contains("[field-renamed]"), "{err}");
    assert!(err.contains("error[field-removed]: "), "{err}");
    assert!(
        err.contains("note: the rule `field-removed` is denied"),
        "{err}"
    );
    assert!(
        err.contains("(31 errors; 1 hidden by -A: field-renamed)"),
        "{err}"
    );

    // Every error rule allowed: exit 0, and the summary says what was
    // hidden.
    let mut flags = Vec::new();
    for rule in thriftc::audit::Rule::ALL {
        if rule.severity() == thriftc::Severity::Error {
            flags.push("-A".to_owned());
            flags.push(rule.name());
        }
    }
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let (status, err) = run(&flags);
    assert_eq!(status, 0, "{err}");
    assert!(
        err.contains(
            "breaks wire compatibility with `audit/breaking/v1/shop.thrift` only in \
                      changes accepted with -A (17 warnings; 15 hidden by -A, 15 of them breaking: "
        ),
        "{err}"
    );
    assert!(!err.contains("is wire-compatible"), "{err}");

    // Underscores read as dashes, as for lints; naming a strict rule
    // turns strict mode on.
    let (status, err) = run(&["-A", "field_renamed"]);
    assert_eq!(status, 5, "{err}");
    assert!(!err.contains("field-renamed]"), "{err}");
    assert!(err.contains("; 1 hidden by -A: field-renamed)"), "{err}");
    let out = audit(&[
        "-D",
        "enum-value-added",
        "audit/compatible/v1/shop.thrift",
        "audit/compatible/v2/shop.thrift",
    ]);
    assert_eq!(code(&out), 5, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error[enum-value-added]"),
        "{}",
        stderr(&out)
    );

    // OLD keeps its own help.
    let help = audit(&["--help"]);
    let text = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(
        text.contains("<OLD>\n          The old version of the IDL file"),
        "{text}"
    );
    assert!(
        !text.contains("The old version of the IDL file. Hide"),
        "{text}"
    );

    let (status, err) = run(&["-A", "field-wire-type-changes"]);
    assert_eq!(status, 2, "{err}");
    assert!(
        err.contains("unknown rule `field-wire-type-changes`"),
        "{err}"
    );
}
