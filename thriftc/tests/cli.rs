//! The `thriftc` binary as a user runs it: help, version, and the exit code
//! and message of each outcome of `check`, `gen`, `gen --check` and
//! `completions` (0 ok, 1 IDL errors, 2 usage, 3 stale, 4 I/O).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn thriftc(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thriftc"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("run thriftc")
}

/// Runs `thriftc gen --out-dir gen ARGS` in `dir`, which must succeed;
/// its output and the text of `gen/MODULE.rs`.
fn gen_module(dir: &Path, module: &str, args: &[&str]) -> (Output, String) {
    let out = thriftc(dir, &[&["gen", "--out-dir", "gen"], args].concat());
    assert_eq!(code(&out), 0, "gen {args:?}: {}", stderr(&out));
    let text = std::fs::read_to_string(dir.join("gen").join(format!("{module}.rs"))).unwrap();
    (out, text)
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("thriftc exited by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fresh folder with `shared.thrift` and `service.thrift` (which includes
/// it) in it.
fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("thriftc-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("shared.thrift"),
        "struct Point {\n  1: i32 x\n  2: i32 y\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("service.thrift"),
        "include \"shared.thrift\"\n\nservice Plotter {\n  shared.Point origin()\n}\n",
    )
    .unwrap();
    dir
}

#[test]
fn help_has_examples_and_exit_codes() {
    let dir = std::env::temp_dir();
    let out = thriftc(&dir, &["--help"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "Usage: thriftc <COMMAND>",
        "check",
        "gen",
        "completions",
        "Examples:",
        "thriftc gen --out-dir src/idl --check service.thrift",
        "Exit status:",
        "1  the IDL has errors",
        "4  a file named on the command line cannot be read",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from --help:\n{text}"
        );
    }
    let out = thriftc(&dir, &["gen", "--help"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("--check"), "{}", stdout(&out));
}

#[test]
fn version() {
    let out = thriftc(&std::env::temp_dir(), &["--version"]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        stdout(&out).trim(),
        format!("thriftc {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn check_valid_idl_exits_0() {
    let dir = project("ok");
    let out = thriftc(&dir, &["check", "service.thrift"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("checked 2 files"), "{}", stderr(&out));
}

/// `check` warns about what `gen` would warn about: here a field whose
/// Rust name gets a number.
#[test]
fn check_warns_about_names_that_get_a_number() {
    let dir = project("check_renames");
    std::fs::write(
        dir.join("a.thrift"),
        "struct S {\n  1: i32 fooBar,\n  2: i32 foo_bar,\n}\n",
    )
    .unwrap();
    let out = thriftc(&dir, &["check", "a.thrift"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning[renamed]: `a.S.foo_bar` is `foo_bar2` in Rust"),
        "{err}"
    );
    assert!(err.contains("--> a.thrift:3:10"), "{err}");
    assert!(
        err.contains("checked 1 file, 1 definition: 1 warning"),
        "{err}"
    );
    let quiet = thriftc(&dir, &["check", "--quiet", "a.thrift"]);
    assert_eq!((code(&quiet), stderr(&quiet)), (0, String::new()));
}

/// `-A KIND` hides a kind of warning, `-D KIND` makes it an error (exit 1,
/// `gen` writes nothing), `warnings` names them all, and a kind named on
/// its own wins over `warnings`.
#[test]
fn warnings_are_allowed_and_denied_by_kind() {
    let dir = project("lints");
    std::fs::write(
        dir.join("a.thrift"),
        "enum E { A = 1, B = 1 }\nstruct S {\n  1: i32 fooBar,\n  2: i32 foo_bar,\n}\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = thriftc(
            &dir,
            &[&["check", "--color=never"], args, &["a.thrift"]].concat(),
        );
        (code(&out), stderr(&out))
    };
    let (status, err) = run(&[]);
    assert_eq!(status, 0, "{err}");
    assert!(err.contains("warning[enum-alias]: `E.B`"), "{err}");
    assert!(err.contains("warning[renamed]: `a.S.foo_bar`"), "{err}");
    assert!(err.contains(": 2 warnings"), "{err}");

    let (status, err) = run(&["-A", "enum-alias"]);
    assert_eq!(status, 0, "{err}");
    assert!(!err.contains("enum-alias"), "{err}");
    assert!(err.contains(": 1 warning"), "{err}");

    let (status, err) = run(&["-D", "warnings"]);
    assert_eq!(status, 1, "{err}");
    assert!(err.contains("error[enum-alias]: `E.B`"), "{err}");
    assert!(err.contains("error[renamed]: `a.S.foo_bar`"), "{err}");
    assert!(
        err.contains("note: the warning `renamed` is denied, as all warnings are"),
        "{err}"
    );
    assert!(err.contains(": 2 errors"), "{err}");
    assert!(
        err.ends_with("error: the check failed: warnings denied with -D are errors (2 errors)\n"),
        "{err}"
    );

    let (status, err) = run(&[
        "--deny",
        "warnings",
        "--allow",
        "renamed",
        "-A",
        "enum_alias",
    ]);
    assert_eq!((status, err.contains("warning")), (0, false), "{err}");

    // Quiet: only the errors.
    let (status, err) = run(&["-q", "-D", "renamed"]);
    assert_eq!(status, 1, "{err}");
    assert!(err.contains("error[renamed]"), "{err}");
    assert!(!err.contains("enum-alias"), "{err}");

    // `gen` writes nothing when a warning is denied, and everything when
    // it is allowed.
    let out = thriftc(
        &dir,
        &["gen", "-D", "enum-alias", "--out-dir", "out", "a.thrift"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing written"), "{}", stderr(&out));
    assert!(
        !dir.join("out").exists(),
        "gen wrote output despite a denied warning"
    );
    let out = thriftc(
        &dir,
        &["gen", "-A", "warnings", "--out-dir", "out", "a.thrift"],
    );
    assert_eq!((code(&out), stderr(&out)), (0, String::new()));
    assert!(dir.join("out/a.rs").exists());

    // A misspelt kind is a usage error that lists the kinds.
    let (status, err) = run(&["-A", "enum-aliases"]);
    assert_eq!(status, 2, "{err}");
    assert!(err.contains("unknown warning `enum-aliases`"), "{err}");
    assert!(err.contains("`implicit-field-id`"), "{err}");

    // Warnings beside errors are allowed and denied too.
    std::fs::write(
        dir.join("b.thrift"),
        "enum E { A = 1, B = 1 }\nstruct T { 1: Nope n }\n",
    )
    .unwrap();
    let out = thriftc(&dir, &["check", "-A", "warnings", "b.thrift"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("(1 error)"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("enum-alias"), "{}", stderr(&out));
}

/// `--message-format short`: one line per diagnostic, `file:line:col:
/// severity[kind]: message`, errors and warnings alike, no colour.
#[test]
fn short_message_format_gives_one_line_per_diagnostic() {
    let dir = project("short");
    std::fs::write(
        dir.join("a.thrift"),
        "enum E { A = 1, B = 1 }\nstruct S {\n  1: Nope n,\n  2: i32 x,\n}\n",
    )
    .unwrap();
    let out = thriftc(
        &dir,
        &[
            "check",
            "--message-format",
            "short",
            "--color",
            "always",
            "a.thrift",
        ],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "a.thrift:1:17: warning[enum-alias]: `E.B` has the same number as `E.A` (1)",
            "a.thrift:3:6: error: cannot find type `Nope`",
        ],
        "{err}"
    );
    assert!(
        !err.contains('\u{1b}'),
        "colour in the short format: {err:?}"
    );
    // The summary line stays.
    assert_eq!(lines.len(), 3, "{err}");

    // JSON: one object per diagnostic on stdout, the summary on stderr.
    let out = thriftc(&dir, &["check", "--message-format", "json", "a.thrift"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let json = stdout(&out);
    let objects: Vec<&str> = json.lines().collect();
    assert_eq!(objects.len(), 2, "{json}");
    for o in &objects {
        assert!(o.starts_with("{\"severity\":") && o.ends_with('}'), "{o}");
    }
    assert!(
        objects[0].starts_with(
            "{\"severity\":\"warning\",\"code\":\"enum-alias\",\"message\":\"`E.B` has the same \
             number as `E.A` (1)\",\"file\":\"a.thrift\",\"line\":1,\"column\":17,\"end_line\":1,\
             \"end_column\":18,\"labels\":[{\"primary\":true,"
        ),
        "{}",
        objects[0]
    );
    assert!(
        objects[0].contains("\"rendered\":\"warning[enum-alias]: "),
        "{}",
        objects[0]
    );
    assert!(
        objects[1].starts_with("{\"severity\":\"error\",\"code\":null,"),
        "{}",
        objects[1]
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn check_idl_error_exits_1_with_location() {
    let dir = project("idl-error");
    std::fs::write(
        dir.join("service.thrift"),
        "include \"shared.thrift\"\n\nservice Plotter {\n  shared.Pont origin()\n}\n",
    )
    .unwrap();
    let out = thriftc(&dir, &["check", "--color=never", "service.thrift"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("service.thrift:4:3"), "{err}");
    assert!(err.contains("shared.Pont origin()"), "{err}");
    assert!(err.contains('^'), "{err}");
}

/// Every syntax error of a file, and the semantic errors of the
/// definitions that parsed, in one run; `gen` then writes nothing.
#[test]
fn syntax_errors_are_all_reported_and_gen_writes_nothing() {
    let dir = project("syntax-errors");
    std::fs::write(
        dir.join("service.thrift"),
        "include \"shared.thrift\"\n\nstruct A { 1: i32 x, 2: strin y }\n\
         struct B { 1 i32 z }\nstruct C { 1: i32 w,, }\nconst i32 K = \"s\"\n\
         service Plotter {\n  shared.Point origin(1: B b, 2: C c)\n}\n",
    )
    .unwrap();
    let out = thriftc(&dir, &["check", "--color=never", "service.thrift"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    for expected in [
        "service.thrift:3:25",
        "did you mean `string`?",
        "service.thrift:4:14",
        "service.thrift:5:21",
        "service.thrift:6:15",
        "(4 errors)",
    ] {
        assert!(err.contains(expected), "`{expected}` missing:\n{err}");
    }
    assert!(!err.contains("cannot find type `B`"), "{err}");
    let out = thriftc(&dir, &["gen", "--out-dir", "out", "service.thrift"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(!dir.join("out").exists(), "gen wrote output despite errors");
}

#[test]
fn usage_errors_exit_2() {
    let dir = project("usage");
    for args in [
        &["check"][..],
        &["check", "--no-such-flag", "service.thrift"],
        &["gen", "service.thrift"], // --out-dir is required
        &["frobnicate"],
        &[],
    ] {
        let out = thriftc(&dir, args);
        assert_eq!(code(&out), 2, "thriftc {args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("Usage:"),
            "thriftc {args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn unreadable_input_exits_4_naming_the_file() {
    let dir = project("io");
    let out = thriftc(&dir, &["check", "service.thrift", "misspelled.thrift"]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("cannot read `misspelled.thrift`"), "{err}");
    assert!(err.contains("check the path"), "{err}");

    let out = thriftc(&dir, &["gen", "--out-dir", "out", "."]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("it is a folder"), "{}", stderr(&out));
}

#[test]
fn gen_cannot_write_exits_4_naming_the_folder() {
    let dir = project("io-write");
    std::fs::write(dir.join("blocker"), "").unwrap();
    let out = thriftc(&dir, &["gen", "--out-dir", "blocker/out", "service.thrift"]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("blocker"), "{}", stderr(&out));
}

#[test]
fn gen_check_up_to_date_exits_0() {
    let dir = project("gen-fresh");
    let out = thriftc(&dir, &["gen", "--out-dir", "out", "service.thrift"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for file in ["shared.rs", "service.rs", "mod.rs"] {
        assert!(dir.join("out").join(file).is_file(), "{file} not written");
    }
    let out = thriftc(
        &dir,
        &["gen", "--out-dir", "out", "--check", "service.thrift"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn gen_check_stale_exits_3_naming_the_files() {
    let dir = project("gen-stale");
    let out = thriftc(&dir, &["gen", "--out-dir", "out", "service.thrift"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let before = std::fs::read(dir.join("out/shared.rs")).unwrap();

    // The included file changes: only shared.rs is stale.
    std::fs::write(
        dir.join("shared.thrift"),
        "struct Point {\n  1: i32 x\n  2: i32 y\n  3: i32 z\n}\n",
    )
    .unwrap();
    let out = thriftc(
        &dir,
        &["gen", "--out-dir", "out", "--check", "service.thrift"],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("shared.rs (differs)"), "{err}");
    assert!(!err.contains("service.rs"), "{err}");
    assert!(err.contains("without --check"), "{err}");
    // --check writes nothing.
    assert_eq!(std::fs::read(dir.join("out/shared.rs")).unwrap(), before);

    // A generated file that is missing is stale too.
    std::fs::remove_file(dir.join("out/service.rs")).unwrap();
    let out = thriftc(
        &dir,
        &["gen", "--out-dir", "out", "--check", "service.thrift"],
    );
    assert_eq!(code(&out), 3);
    assert!(
        stderr(&out).contains("service.rs (missing)"),
        "{}",
        stderr(&out)
    );

    // A module of an IDL file no longer named is stale too.
    std::fs::write(dir.join("extra.thrift"), "struct Extra {}\n").unwrap();
    let both = ["gen", "--out-dir", "out", "service.thrift", "extra.thrift"];
    assert_eq!(code(&thriftc(&dir, &both)), 0);
    let out = thriftc(
        &dir,
        &["gen", "--out-dir", "out", "--check", "service.thrift"],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("extra.rs (from an IDL file no longer named)"),
        "{err}"
    );
}

#[test]
fn completions_for_each_shell() {
    let dir = std::env::temp_dir();
    for shell in ["bash", "zsh", "fish"] {
        let out = thriftc(&dir, &["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(
            script.contains("thriftc") && script.contains("gen"),
            "{shell}:\n{script}"
        );
    }
    let out = thriftc(&dir, &["completions", "cmd.exe"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn gen_options_reach_the_generated_code() {
    let dir = project("gen_options");
    std::fs::write(
        dir.join("a.thrift"),
        "struct Inner { 1: string name }\n\
         struct Payload {\n  1: string title,\n  2: map<string, i32> attrs,\n  3: Inner inner,\n  4: binary raw,\n}\n",
    )
    .unwrap();
    let out = thriftc(
        &dir,
        &[
            "gen",
            "--out-dir",
            "gen",
            "--views",
            "Payload",
            "--btree",
            "Payload.attrs",
            "--boxed",
            "Payload.inner",
            "--type-attribute",
            "Payload=#[deprecated(note = \"old\")]",
            "--field-attribute",
            "Payload.raw=#[doc(hidden)]",
            "--hasher",
            "foldhash::fast::RandomState",
            "--views",
            "Paylaod",
            "--small-strings",
            ".a.Inner",
            "--lazy",
            "Payload.attrs",
            "--serde",
            "a.thrift",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let code_text = std::fs::read_to_string(dir.join("gen/a.rs")).unwrap();
    for want in [
        "pub struct PayloadRef<'a>",
        "pub attrs: ::std::collections::BTreeMap<String, i32>",
        "pub inner: Box<Inner>",
        "#[deprecated(note = \"old\")]",
        "#[doc(hidden)]",
        "pub name: __rt::CompactString,",
        "pub title: String,",
        "pub attrs: __rt::LazyMap<'a, &'a str, i32>,",
        "#[derive(::serde::Serialize, ::serde::Deserialize)]\n#[serde(default)]\npub struct Inner",
    ] {
        assert!(code_text.contains(want), "no `{want}` in:\n{code_text}");
    }
    // Owned types only: the view borrows its input.
    assert_eq!(code_text.matches("::serde::Deserialize").count(), 2);
    // Inner was not selected for a view; the typo matches nothing.
    assert!(!code_text.contains("InnerRef"));
    assert!(
        stderr(&out).contains("option `views`: the path `Paylaod` matches nothing"),
        "{}",
        stderr(&out)
    );
    let bad = thriftc(
        &dir,
        &[
            "gen",
            "--out-dir",
            "gen",
            "--type-attribute",
            "Payload",
            "a.thrift",
        ],
    );
    assert_eq!(code(&bad), 2, "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("expected PATH=ATTRIBUTE"),
        "{}",
        stderr(&bad)
    );
}

/// `--btree-all` orders every map and set; `--btree-map`, its old name,
/// still does, with a warning that names the new one.
#[test]
fn gen_btree_all_and_its_deprecated_spelling() {
    let dir = project("gen_btree_all");
    std::fs::write(
        dir.join("a.thrift"),
        "struct A {\n  1: map<string, i32> m,\n  2: set<i64> s,\n}\n",
    )
    .unwrap();
    for (flag, warns) in [("--btree-all", false), ("--btree-map", true)] {
        let (out, text) = gen_module(&dir, "a", &[flag, "a.thrift"]);
        for want in [
            "pub m: ::std::collections::BTreeMap<String, i32>",
            "pub s: ::std::collections::BTreeSet<i64>",
        ] {
            assert!(text.contains(want), "{flag}: no `{want}` in:\n{text}");
        }
        assert_eq!(
            stderr(&out).contains("`--btree-map` is deprecated: write `--btree-all`"),
            warns,
            "{flag}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn gen_async_adds_the_tokio_flavour_of_services() {
    let dir = project("gen_async");
    std::fs::write(dir.join("s.thrift"), "service S { i32 f(1: i32 x) }\n").unwrap();
    let (_, plain) = gen_module(&dir, "s", &["s.thrift"]);
    assert!(!plain.contains("SAsyncHandler"), "{plain}");
    let (_, text) = gen_module(&dir, "s", &["--async", "--no-client", "s.thrift"]);
    assert!(text.contains("pub trait SAsyncHandler"), "{text}");
    assert!(text.contains("pub struct SAsyncProcessor"), "{text}");
    assert!(!text.contains("SAsyncClient"), "{text}");
    assert!(!text.contains("SAsyncViewHandler"), "{text}");
    // With views too, the async view flavour.
    std::fs::write(
        dir.join("s.thrift"),
        "service S { i32 f(1: i32 x), string g(1: string s) }\n",
    )
    .unwrap();
    let (_, text) = gen_module(&dir, "s", &["--async", "--views", "S.g", "s.thrift"]);
    for want in [
        "pub trait SAsyncViewHandler: Send + Sync + 'static",
        "pub struct SAsyncViewProcessor",
        "fn g<'a>(\n        &self,\n        s: &'a str,\n    ) -> impl ::std::future::Future<",
    ] {
        assert!(text.contains(want), "no `{want}` in:\n{text}");
    }
}

/// An include reached through a symbolic link is named by the link, as the
/// including file writes it (`alias.T`), not by the file it points to.
#[cfg(unix)]
#[test]
fn include_through_a_symlink_is_named_by_the_link() {
    let dir = project("symlink");
    std::fs::create_dir_all(dir.join("real")).unwrap();
    std::fs::write(dir.join("real/target.thrift"), "struct T { 1: i32 z }\n").unwrap();
    std::os::unix::fs::symlink("real/target.thrift", dir.join("alias.thrift")).unwrap();
    std::fs::write(
        dir.join("root.thrift"),
        "include \"alias.thrift\"\nstruct R { 1: alias.T t }\n",
    )
    .unwrap();
    let out = thriftc(&dir, &["gen", "--out-dir", "out", "root.thrift"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let root = std::fs::read_to_string(dir.join("out/root.rs")).unwrap();
    assert!(root.contains("super::alias::T"), "{root}");
    assert!(dir.join("out/alias.rs").is_file());
}

/// One file included under two names, through a symbolic link by one
/// file and by its own name by another: each qualifies names by its own
/// include, in either order on the command line, and the generated code of
/// both names the one module.
#[cfg(unix)]
#[test]
fn one_file_included_by_a_link_and_by_its_name() {
    let dir = project("two-names");
    std::fs::write(dir.join("real.thrift"), "struct R { 1: i32 x }\n").unwrap();
    std::os::unix::fs::symlink("real.thrift", dir.join("link.thrift")).unwrap();
    std::fs::write(
        dir.join("a.thrift"),
        "include \"link.thrift\"\nstruct A { 1: link.R r }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.thrift"),
        "include \"real.thrift\"\nstruct B { 1: real.R r }\n",
    )
    .unwrap();
    for (order, out_dir) in [
        (["a.thrift", "b.thrift"], "out1"),
        (["b.thrift", "a.thrift"], "out2"),
    ] {
        let out = thriftc(&dir, &["check", order[0], order[1]]);
        assert_eq!(code(&out), 0, "{order:?}: {}", stderr(&out));
        let out = thriftc(&dir, &["gen", "--out-dir", out_dir, order[0], order[1]]);
        assert_eq!(code(&out), 0, "{order:?}: {}", stderr(&out));
        for file in ["a.rs", "b.rs"] {
            let text = std::fs::read_to_string(dir.join(out_dir).join(file)).unwrap();
            assert!(
                text.contains("pub r: super::real::R"),
                "{order:?} {file}: {text}"
            );
        }
        assert!(dir.join(out_dir).join("real.rs").is_file());
        assert!(!dir.join(out_dir).join("link.rs").exists());
    }
}

/// Includes are found next to the including file even when its folder's
/// name is not UTF-8 (allowed on Linux).
#[cfg(target_os = "linux")]
#[test]
fn include_next_to_a_file_in_a_non_utf8_folder() {
    use std::os::unix::ffi::OsStrExt;
    let dir = project("non-utf8");
    let odd = dir.join(std::ffi::OsStr::from_bytes(b"idl\xff"));
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::copy(dir.join("shared.thrift"), odd.join("shared.thrift")).unwrap();
    std::fs::copy(dir.join("service.thrift"), odd.join("service.thrift")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_thriftc"))
        .arg("gen")
        .arg("--out-dir")
        .arg(odd.join("out"))
        .arg(odd.join("service.thrift"))
        .output()
        .expect("run thriftc");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(odd.join("out/shared.rs").is_file());
}

/// `gen` into a folder that also holds hand-written code never overwrites a
/// file it did not generate (here the user's `mod.rs` and `service.rs`):
/// exit 4 naming the file, which is left as it was.
#[test]
fn gen_does_not_overwrite_files_it_did_not_generate() {
    let dir = project("user-files");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let mine = "// hand-written\npub mod service;\n";
    std::fs::write(dir.join("src/mod.rs"), mine).unwrap();
    let out = thriftc(&dir, &["gen", "--out-dir", "src", "service.thrift"]);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("mod.rs"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not generated by thriftc"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("src/mod.rs")).unwrap(),
        mine
    );
    assert!(!dir.join("src/service.rs").exists());
    // Its own files it rewrites freely, and an empty file holds nothing to lose.
    let out = thriftc(&dir, &["gen", "--out-dir", "gen", "service.thrift"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    std::fs::write(dir.join("service.thrift"), "service Plotter {}\n").unwrap();
    std::fs::write(dir.join("gen/shared.rs"), "").unwrap();
    let out = thriftc(&dir, &["gen", "--out-dir", "gen", "service.thrift"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// A module thriftc generated from an IDL file that is no longer compiled
/// is stale too: `--check` names it (exit 3) and `gen` removes it. Other
/// files in the folder are left alone.
#[test]
fn gen_check_finds_and_gen_removes_modules_no_longer_generated() {
    let dir = project("orphans");
    let out = thriftc(&dir, &["gen", "--out-dir", "out", "service.thrift"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    std::fs::write(dir.join("extra.thrift"), "struct E { 1: i32 x }\n").unwrap();
    let out = thriftc(
        &dir,
        &["gen", "--out-dir", "out", "service.thrift", "extra.thrift"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    std::fs::write(dir.join("out/notes.rs"), "// mine\n").unwrap();
    std::fs::write(dir.join("out/README.md"), "").unwrap();
    let out = thriftc(
        &dir,
        &["gen", "--out-dir", "out", "--check", "service.thrift"],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("extra.rs"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("notes.rs"), "{}", stderr(&out));
    let out = thriftc(&dir, &["gen", "--out-dir", "out", "service.thrift"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!dir.join("out/extra.rs").exists());
    assert!(dir.join("out/notes.rs").exists() && dir.join("out/README.md").exists());
    let out = thriftc(
        &dir,
        &["gen", "--out-dir", "out", "--check", "service.thrift"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}
