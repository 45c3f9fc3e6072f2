//! Errors of loading hide no other error: an include that could not be
//! read gets its own error, every other error of the file is reported in
//! the same run, and the names the missing file may define get no second
//! error; an include cycle is reported with the errors of its files.

use super::{FileSystem, MemoryFs, load_str, load_with};
use std::io;
use std::path::{Path, PathBuf};

/// The errors of `idl` (loaded as `t.thrift`, which must fail): each
/// one's first line, in order.
fn error_lines(idl: &str) -> Vec<String> {
    let failed = load_str("t.thrift", idl).expect_err("errors");
    failed
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect()
}

const MISSING: &str = "include \"nonexistent/thing.thrift\"\n";

/// The file of the report: an include not found, then seven mistakes of
/// other kinds, all reported in one run.
const SEVEN_MISTAKES: &str = "struct S {\n\
                              \x20 1: i32 a\n\
                              \x20 1: i32 b\n\
                              \x20 2: Missing m\n\
                              \x20 3: strng s\n\
                              }\n\
                              service Svc {\n\
                              \x20 void f() throws (1: S e)\n\
                              \x20 void f()\n\
                              \x20 oneway i32 g()\n\
                              }\n\
                              const i32 BAD = \"str\"\n";

#[test]
fn a_missing_include_hides_no_other_error() {
    let without = error_lines(SEVEN_MISTAKES);
    assert_eq!(without.len(), 7, "{without:#?}");
    let with = error_lines(&format!("{MISSING}{SEVEN_MISTAKES}"));
    assert_eq!(
        with[0], "cannot find included file `nonexistent/thing.thrift`",
        "{with:#?}"
    );
    assert_eq!(
        with[1..],
        without[..],
        "the same errors after the include's"
    );
}

/// Every place a name under the lost include's qualifier can stand: no
/// error but the include's.
#[test]
fn names_under_a_lost_include_are_not_reported_again() {
    let idl = format!(
        "{MISSING}\
         enum Color {{ RED = 1 }}\n\
         typedef thing.Error Failure\n\
         struct S {{\n\
         \x20 1: thing.Foo foo\n\
         \x20 2: map<string, thing.Foo> foos = {{ \"a\": thing.DEFAULT_FOO }}\n\
         \x20 3: i32 limit = thing.LIMIT\n\
         \x20 4: Color color = thing.RED\n\
         \x20 5: thing.Kind kind = thing.Kind.SMALL\n\
         }}\n\
         const thing.Foo FOO = {{ \"x\": 1 }}\n\
         service Svc extends thing.Base {{\n\
         \x20 thing.Foo get(1: thing.Id id) throws (1: thing.Error e, 2: Failure f)\n\
         }}\n"
    );
    let errors = error_lines(&idl);
    assert_eq!(
        errors,
        ["cannot find included file `nonexistent/thing.thrift`"],
        "{idl}"
    );
}

/// A name that is wrong for another reason is still reported: a
/// misspelt qualifier, a qualifier no include gives, a local name.
#[test]
fn other_wrong_names_beside_a_lost_include_are_reported() {
    let idl = format!(
        "{MISSING}\
         struct S {{\n\
         \x20 1: thingg.Foo a\n\
         \x20 2: other.Foo b\n\
         \x20 3: Foo c\n\
         \x20 4: i32 d = thingg.LIMIT\n\
         }}\n"
    );
    let failed = load_str("t.thrift", &idl).expect_err("errors");
    let text = failed.render(false);
    assert_eq!(failed.diagnostics.error_count(), 5, "{text}");
    for message in [
        "cannot find type `thingg.Foo`",
        "cannot find type `other.Foo`",
        "cannot find type `Foo`",
        "cannot find constant `thingg.LIMIT`",
    ] {
        assert!(text.contains(message), "{message}:\n{text}");
    }
    assert!(
        text.contains("help: did you mean `thing.Foo`?")
            || text.contains("note: no included file is named `thingg.thrift`"),
        "{text}"
    );
}

/// Files that exist but cannot be read.
struct UnreadableFs(MemoryFs);

impl FileSystem for UnreadableFs {
    fn read(&self, path: &Path) -> io::Result<String> {
        if path.ends_with("locked.thrift") {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "permission denied",
            ));
        }
        self.0.read(path)
    }
    fn is_file(&self, path: &Path) -> bool {
        path.ends_with("locked.thrift") || self.0.is_file(path)
    }
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        self.0.canonicalize(path)
    }
}

/// An include found but not readable is lost the same way; a named file
/// that cannot be read does not stop the others from being checked, and
/// stays listed as unreadable.
#[test]
fn an_unreadable_include_or_input_hides_no_other_error() {
    let mut files = MemoryFs::new();
    files.insert(
        "main.thrift",
        "include \"locked.thrift\"\nstruct S { 1: locked.Foo foo, 2: Missing m }\n",
    );
    let fs = UnreadableFs(files);
    let roots = [PathBuf::from("main.thrift"), PathBuf::from("gone.thrift")];
    let failed = load_with(&fs, &roots, &[]).expect_err("errors");
    let messages: Vec<&str> = failed
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "cannot read `gone.thrift`: no such file",
            "cannot read `locked.thrift`: permission denied",
            "cannot find type `Missing`",
        ],
        "{}",
        failed.render(false)
    );
    assert_eq!(failed.unreadable, [PathBuf::from("gone.thrift")]);
}

/// Every file of an include cycle is read, and every name resolves: the
/// cycle is reported with the files' own errors, and no others.
#[test]
fn an_include_cycle_hides_no_other_error() {
    let mut fs = MemoryFs::new();
    fs.insert(
        "a.thrift",
        "include \"b.thrift\"\n\
         typedef b.Id Key\n\
         struct A { 1: b.B b = b.DEFAULT_B, 2: Key k, 3: b.Kind kind = b.Kind.SMALL, 4: Missing m }\n\
         exception Oops { 1: string why }\n\
         service Svc extends b.Base { void g() throws (1: b.Failed f) }\n",
    )
    .insert(
        "b.thrift",
        "include \"a.thrift\"\n\
         typedef i64 Id\n\
         enum Kind { SMALL = 1 }\n\
         struct B { 1: i32 x, 2: optional a.A back, 3: a.Key k }\n\
         const B DEFAULT_B = { \"x\": 1, \"zz\": 2 }\n\
         exception Failed { 1: a.Key key }\n\
         service Base { void f() throws (1: a.Oops o) }\n",
    );
    let failed = load_with(&fs, &[PathBuf::from("a.thrift")], &[]).expect_err("errors");
    let mut messages: Vec<&str> = failed
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    messages.sort_unstable();
    assert_eq!(
        messages,
        [
            "cannot find type `Missing`",
            "include cycle",
            "struct `B` has no field `zz`",
        ],
        "{}",
        failed.render(false)
    );
}
