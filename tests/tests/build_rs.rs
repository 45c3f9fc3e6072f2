//! build.rs integration, end to end: builds `examples/quickstart` (thriftc as
//! a build-dependency, an IDL file with an include) with cargo, runs its
//! server and client, and checks when cargo reruns the build script: after an
//! edit of the *included* IDL file, and not after a build with nothing
//! changed or an edit of a Rust source file.
//!
//! The example is copied to a temporary folder, so edits never touch the
//! repository. Its target folder is `build-rs-test` inside the workspace's
//! target folder (or `$CARGO_TARGET_DIR`): the dependencies (thriftc without
//! its CLI, the runtime, syn, pest, ...) are built there once and reused by
//! later runs; the example itself is built from scratch every run, since its
//! copy lives at a new path.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("build-rs-test")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A copy of examples/quickstart whose path dependencies point into this
/// repository, made a workspace of its own, with the workspace's lock file.
fn quickstart_copy() -> PathBuf {
    let root = workspace_root();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir =
        std::env::temp_dir().join(format!("thriftc-quickstart-{}-{nanos}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root.join("examples/quickstart"), &dir);
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let fixed = text
        .replace(
            "path = \"../../runtime\"",
            &format!("path = {:?}", root.join("runtime").display().to_string()),
        )
        .replace(
            "path = \"../../thriftc\"",
            &format!("path = {:?}", root.join("thriftc").display().to_string()),
        );
    assert_ne!(
        fixed, text,
        "examples/quickstart/Cargo.toml no longer has `path = \"../../...\"` dependencies; \
         update this test"
    );
    std::fs::write(&manifest, format!("{fixed}\n[workspace]\n")).unwrap();
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    dir
}

struct Build {
    stderr: String,
}

impl Build {
    /// Did cargo run the quickstart build script? (`cargo build -v` prints
    /// ``Running `.../build/quickstart-<hash>/build-script-build` ``.)
    fn ran_build_script(&self) -> bool {
        self.stderr.lines().any(|l| {
            l.trim_start().starts_with("Running")
                && l.contains("quickstart-")
                && l.contains("build-script-build`")
        })
    }
}

fn cargo_build(dir: &Path) -> Build {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["build", "-v", "--color", "never"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("RUSTC_WRAPPER")
        .output()
        .expect("run cargo");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "cargo build of the quickstart copy in {} failed:\n{stderr}",
        dir.display()
    );
    Build { stderr }
}

/// Waits so that a file written next gets a later modification time than
/// cargo's record of the last build (file systems with coarse timestamps).
fn tick() {
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

#[test]
fn quickstart_builds_runs_and_reruns_build_script_only_for_idl_changes() {
    let dir = quickstart_copy();
    // Build folders of earlier runs' copies (their generated files would
    // satisfy step 5 below).
    if let Ok(entries) = std::fs::read_dir(target_dir().join("debug/build")) {
        for e in entries.filter_map(Result::ok) {
            if e.file_name().to_string_lossy().starts_with("quickstart-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }

    // 1. First build: the build script runs and generates the code.
    let first = cargo_build(&dir);
    assert!(
        first.ran_build_script(),
        "first build did not run build.rs:\n{}",
        first.stderr
    );
    assert!(
        !first.stderr.contains("warning:"),
        "the quickstart builds with warnings:\n{}",
        first.stderr
    );

    // Without default features thriftc brings no CLI crates into the build.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let tree = Command::new(&cargo)
        .args(["tree", "-e", "normal,build", "--prefix", "none"])
        .current_dir(&dir)
        .output()
        .expect("run cargo tree");
    let tree = String::from_utf8_lossy(&tree.stdout);
    assert!(
        tree.contains("thriftc v"),
        "unexpected `cargo tree` output:\n{tree}"
    );
    assert!(
        !tree.contains("clap"),
        "clap is in the build of a build.rs user:\n{tree}"
    );

    // 2. The program: a server and a client talking over loopback.
    let exe = target_dir()
        .join("debug")
        .join(format!("quickstart{}", std::env::consts::EXE_SUFFIX));
    let run = Command::new(&exe).output().expect("run quickstart");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "quickstart failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for expected in [
        "greet(Ada) -> Hello, Ada (36)!",
        "greet(Grace) -> Hello, Grace!",
        "greet(Oscar) -> Unwelcome: Oscar looks grumpy",
        "greeted() -> 2",
        "server stopped",
    ] {
        assert!(
            stdout.contains(expected),
            "missing `{expected}` in:\n{stdout}"
        );
    }

    // 3. Nothing changed: cargo does not rerun the build script.
    tick();
    let again = cargo_build(&dir);
    assert!(
        !again.ran_build_script(),
        "build.rs reran with nothing changed:\n{}",
        again.stderr
    );

    // 4. A Rust source changed: the crate is recompiled, the build script
    //    is not rerun (it only watches the IDL files).
    let main_rs = dir.join("src/main.rs");
    let mut source = std::fs::read_to_string(&main_rs).unwrap();
    source.push_str("\n// edited by the test\n");
    std::fs::write(&main_rs, source).unwrap();
    let rust_edit = cargo_build(&dir);
    assert!(
        rust_edit.stderr.contains("Compiling quickstart")
            || rust_edit.stderr.contains("Dirty quickstart"),
        "editing src/main.rs did not rebuild the crate:\n{}",
        rust_edit.stderr
    );
    assert!(
        !rust_edit.ran_build_script(),
        "build.rs reran after an edit of src/main.rs:\n{}",
        rust_edit.stderr
    );

    // 5. The *included* IDL file changed: the build script reruns and the
    //    new definition reaches the generated code.
    tick();
    let people = dir.join("idl/common/people.thrift");
    let mut idl = std::fs::read_to_string(&people).unwrap();
    // A field without an id is valid, with a warning.
    idl.push_str("\nconst i32 MAX_GUESTS = 12\nstruct Note {\n  string text\n}\n");
    std::fs::write(&people, idl).unwrap();
    let idl_edit = cargo_build(&dir);
    assert!(
        idl_edit.ran_build_script(),
        "build.rs did not rerun after an edit of the included people.thrift:\n{}",
        idl_edit.stderr
    );
    // IDL warnings reach cargo's output, with their location.
    assert!(
        idl_edit.stderr.contains(
            "warning: quickstart@0.1.0: warning[implicit-field-id]: field `text` has no id"
        ),
        "the IDL warning is not in cargo's output:\n{}",
        idl_edit.stderr
    );
    assert!(
        idl_edit.stderr.contains("people.thrift:"),
        "the IDL warning has no location:\n{}",
        idl_edit.stderr
    );
    let generated = find_generated(&target_dir(), "people.rs")
        .into_iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .any(|text| text.contains("MAX_GUESTS"));
    assert!(
        generated,
        "the new constant is not in any generated people.rs"
    );

    // 6. An IDL error fails the build with the CLI's file:line:col report.
    let greeter = dir.join("idl/greeter.thrift");
    let text = std::fs::read_to_string(&greeter).unwrap();
    std::fs::write(
        &greeter,
        text.replace("people.Person who", "people.Persn who"),
    )
    .unwrap();
    let failed = Command::new(&cargo)
        .args(["build", "--color", "never"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .expect("run cargo");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success(), "a broken IDL built:\n{stderr}");
    assert!(
        stderr.contains("greeter.thrift:"),
        "no file:line:col in:\n{stderr}"
    );
    assert!(
        stderr.contains("people.Persn"),
        "no source line in:\n{stderr}"
    );
    assert!(stderr.contains('^'), "no caret in:\n{stderr}");

    let _ = std::fs::remove_dir_all(&dir);
}

/// Files named `name` in the `out` folders of the quickstart build scripts
/// in the target folder.
fn find_generated(target: &Path, name: &str) -> Vec<PathBuf> {
    let build = target.join("debug").join("build");
    let Ok(entries) = std::fs::read_dir(&build) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("quickstart-"))
        .map(|e| e.path().join("out").join(name))
        .filter(|p| p.is_file())
        .collect()
}
