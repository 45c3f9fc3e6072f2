//! Checks that keep code generation safe: IDL the checker must reject
//! because the generated code could not be built (or compiled).

use super::load_str;

/// The rendered diagnostics of `idl`, which must fail to load.
fn errors(idl: &str) -> String {
    match load_str("t.thrift", idl) {
        Ok(_) => panic!("expected errors for:\n{idl}"),
        Err(failed) => failed.render(false),
    }
}

/// How many errors (not warnings) `rendered` holds.
fn error_count(rendered: &str) -> usize {
    rendered.lines().filter(|l| l.starts_with("error")).count()
}

/// Loads `idl`, which must be valid.
fn ok(idl: &str) {
    if let Err(failed) = load_str("t.thrift", idl) {
        panic!("expected no errors for:\n{idl}\n{}", failed.render(false));
    }
}

#[test]
fn throws_id_zero_or_below_is_rejected() {
    let out = errors(
        "exception X { 1: string m }\n\
         service S {\n  void f() throws (0: X e)\n  void g() throws (-3: X e)\n}\n",
    );
    assert_eq!(error_count(&out), 2, "{out}");
    assert!(
        out.contains("exception `e` in a throws list has id 0"),
        "{out}"
    );
    assert!(out.contains("t.thrift:3:20"), "{out}");
    assert!(out.contains("has id -3"), "{out}");
    assert!(out.contains("t.thrift:4:20"), "{out}");
    ok("exception X { 1: string m }\nservice S { void f() throws (1: X e) }\n");
}

#[test]
fn throws_id_out_of_range_is_reported_once() {
    let out = errors("exception X { 1: string m }\nservice S { void f() throws (-40000: X e) }\n");
    assert_eq!(error_count(&out), 1, "{out}");
    assert!(out.contains("out of range"), "{out}");
}
