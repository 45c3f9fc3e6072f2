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
fn ids_of_zero_or_below_are_numbered_as_apache_numbers_them() {
    // Apache's compiler gives a field with an id of 0 or below the next
    // implicit id (-1, -2, ... in order, shared with fields without an id),
    // with a warning; so must we, or the two disagree on the wire. In a
    // throws list this also keeps id 0 for the result.
    let idl = "struct S { 0: i32 z, -5: i32 n, i32 m, 3: i32 k, -40000: i32 far }\n\
               exception X { 1: string m }\n\
               service Svc { i32 f(0: i32 a) throws (0: X e) }\n";
    let loaded = super::load_str("t.thrift", idl).unwrap_or_else(|f| panic!("{}", f.render(false)));
    let warnings = loaded.render_warnings(false);
    assert!(
        warnings.contains("field `z` has id 0, which is not positive"),
        "{warnings}"
    );
    assert!(warnings.contains("t.thrift:1:12"), "{warnings}");
    assert!(warnings.contains("field `n` has id -5"), "{warnings}");
    let dump = crate::dump::dump(&loaded.program, std::path::Path::new(""));
    for line in [
        "-1: i32 z",
        "-2: i32 n",
        "-3: i32 m",
        "3: i32 k",
        "-4: i32 far",
        "-1: i32 a",
        "-1: X e",
    ] {
        assert!(dump.contains(line), "{line}:\n{dump}");
    }
}

#[test]
fn throws_id_out_of_range_is_reported_once() {
    let out = errors("exception X { 1: string m }\nservice S { void f() throws (40000: X e) }\n");
    assert_eq!(error_count(&out), 1, "{out}");
    assert!(out.contains("out of range"), "{out}");
}

#[test]
fn struct_value_must_give_fields_without_default() {
    let out = errors(
        "union U { 1: i32 a }\n\
         struct R { 1: required U u }\n\
         const R C = {}\n\
         const list<R> L = [{\"u\": {\"a\": 1}}, {}]\n\
         struct T { 1: optional R r = {} }\n",
    );
    assert_eq!(error_count(&out), 3, "{out}");
    assert!(
        out.contains("constant `C` leaves out `u` of `R`, which has no default value"),
        "{out}"
    );
    assert!(out.contains("t.thrift:3:13"), "{out}");
    assert!(out.contains("constant `L` leaves out `u`"), "{out}");
    assert!(out.contains("t.thrift:4:37"), "{out}");
    assert!(out.contains("the default of `T.r` leaves out `u`"), "{out}");
    assert!(out.contains("t.thrift:5:30"), "{out}");
}

#[test]
fn missing_fields_are_listed_together() {
    let out = errors(
        "union U { 1: i32 a }\n\
         struct R { 1: required U u, 2: U v, 3: required U w }\n\
         const R C = {\"v\": {\"a\": 1}}\n",
    );
    assert_eq!(error_count(&out), 1, "{out}");
    assert!(
        out.contains("leaves out `u` and `w` of `R`, which have"),
        "{out}"
    );
}

#[test]
fn struct_without_default_goes_through_structs_and_typedefs() {
    // `Outer` has no `Default` as `Inner` has none (a required union).
    let out = errors(
        "union U { 1: i32 a }\n\
         typedef U TU\n\
         struct Inner { 1: required TU u }\n\
         typedef Inner TI\n\
         exception Outer { 1: required TI inner }\n\
         const Outer C = {}\n",
    );
    assert_eq!(error_count(&out), 1, "{out}");
    assert!(out.contains("leaves out `inner` of `Outer`"), "{out}");
}

#[test]
fn fields_that_fall_back_may_be_left_out() {
    ok("union U { 1: i32 a }\n\
        struct Inner { 1: optional U u }\n\
        struct R {\n\
          1: optional U opt\n\
          2: U with_default = {\"a\": 1}\n\
          3: Inner inner\n\
          4: list<U> items\n\
          5: map<string, U> table\n\
          6: i32 plain\n\
          7: string text\n\
        }\n\
        const R C = {}\n\
        const list<R> L = [{}, {\"plain\": 1}]\n\
        struct T { 1: R r = {} }\n");
    // A struct that holds itself through a container or an option.
    ok(
        "struct Tree { 1: list<Tree> kids, 2: optional Tree next }\n\
        const Tree T = {\"kids\": [{}, {}]}\n",
    );
}

#[test]
fn empty_brackets_of_either_kind_make_empty_containers() {
    // Apache Thrift reads `[]` as an empty map and `{}` as an empty list or
    // set; a non-empty value in the other brackets stays an error.
    ok("const map<string, i32> M = []\n\
        typedef map<i32, i32> Ids\n\
        struct S { 1: Ids ids = [], 2: list<i32> l = {}, 3: set<i8> s = {} }\n");
    let rendered = errors("const map<string, i32> M = [1]\nconst list<i32> L = {1: 2}\n");
    assert!(
        rendered.contains("expected a value of type `map<string, i32>`, found a list"),
        "{rendered}"
    );
    assert!(
        rendered.contains("expected a value of type `list<i32>`, found a map"),
        "{rendered}"
    );
    assert_eq!(error_count(&rendered), 2, "{rendered}");
}

#[test]
fn empty_union_values_are_rejected() {
    let out = errors(
        "union U { 1: i32 a }\n\
         const U C = {}\n\
         struct S {\n  1: U u = {}\n  2: optional U ou = {}\n}\n\
         const map<string, U> M = {\"k\": {}}\n",
    );
    assert_eq!(error_count(&out), 4, "{out}");
    assert!(
        out.contains("constant `C` sets no field of union `U`"),
        "{out}"
    );
    assert!(out.contains("t.thrift:2:13"), "{out}");
    assert!(out.contains("the default of `S.u` sets no field"), "{out}");
    assert!(out.contains("t.thrift:4:12"), "{out}");
    assert!(out.contains("the default of `S.ou` sets no field"), "{out}");
    assert!(out.contains("t.thrift:5:22"), "{out}");
    assert!(out.contains("t.thrift:7:32"), "{out}");
    ok("union U { 1: i32 a }\nconst U C = {\"a\": 1}\n");
}

#[test]
fn defaults_that_contain_themselves_are_rejected() {
    let out = errors(
        "struct S { 1: optional S s = {} }\n\
         struct T { 1: T t = {\"t\": {}} }\n\
         struct A { 1: optional B b = {} }\n\
         struct B { 1: optional A a = {} }\n\
         struct L { 1: optional list<L> l = [{}] }\n\
         typedef M TM\n\
         struct M { 1: optional map<string, TM> m = {\"k\": {}} }\n",
    );
    assert_eq!(error_count(&out), 6, "{out}");
    assert!(
        out.contains("error: the default value of `S.s` contains itself\n  --> t.thrift:1:30"),
        "{out}"
    );
    assert!(out.contains("the way back: `S.s` -> `S.s`"), "{out}");
    assert!(
        out.contains("`T.t` contains itself\n  --> t.thrift:2:21"),
        "{out}"
    );
    assert!(
        out.contains("`A.b` contains itself\n  --> t.thrift:3:30"),
        "{out}"
    );
    assert!(
        out.contains("the way back: `A.b` -> `B.a` -> `A.b`"),
        "{out}"
    );
    assert!(
        out.contains("`B.a` contains itself\n  --> t.thrift:4:30"),
        "{out}"
    );
    assert!(
        out.contains("`L.l` contains itself\n  --> t.thrift:5:36"),
        "{out}"
    );
    assert!(
        out.contains("`M.m` contains itself\n  --> t.thrift:7:44"),
        "{out}"
    );
}

#[test]
fn a_cycle_is_reported_where_it_is_not_where_it_is_used() {
    // `Uses.s` and `C` reach the cycle of `S.s` but are not on it.
    let out = errors(
        "struct S { 1: optional S s = {} }\n\
         struct Uses { 1: optional S s = {} }\n\
         const S C = {}\n",
    );
    assert_eq!(error_count(&out), 1, "{out}");
    assert!(out.contains("`S.s` contains itself"), "{out}");
}

#[test]
fn a_cycle_through_an_included_file_is_found() {
    let mut fs = super::MemoryFs::new();
    fs.insert(
        "inc.thrift",
        "struct Node { 1: optional list<Node> next = [{}] }\n",
    )
    .insert(
        "main.thrift",
        "include \"inc.thrift\"\nstruct Holder { 1: optional inc.Node n = {} }\n",
    );
    let failed = super::load_with(&fs, &[std::path::PathBuf::from("main.thrift")], &[])
        .expect_err("the default of `Node.next` contains itself");
    let out = failed.render(false);
    assert_eq!(error_count(&out), 1, "{out}");
    assert!(out.contains("`Node.next` contains itself"), "{out}");
    assert!(out.contains("inc.thrift:1:45"), "{out}");
}

#[test]
fn deep_finite_defaults_pass() {
    // A chain of 300 structs, each defaulting to a value of the next,
    // and fields that give the recursive field explicitly.
    let mut idl = String::new();
    for i in 0..300 {
        idl.push_str(&format!(
            "struct S{i} {{ 1: optional S{} next = {{}} }}\n",
            i + 1
        ));
    }
    idl.push_str("struct S300 { 1: i32 v = 1 }\n");
    idl.push_str(
        "struct Tree { 1: optional list<Tree> kids = [], 2: optional Tree left }\n\
         struct Root { 1: Tree tree = {\"kids\": [{}, {\"kids\": [{}]}], \"left\": {}} }\n\
         const S0 C = {}\n",
    );
    ok(&idl);
}

#[test]
fn every_kind_is_reported_in_one_run() {
    let out = errors(
        "union U { 1: i32 a }\n\
         struct R { 1: required U u }\n\
         struct S { 1: optional S s = {} }\n\
         const R C = {}\n\
         const U E = {}\n\
         exception X { 1: string m }\n\
         service Svc { void f() throws (1: X e, 1: X again) }\n",
    );
    assert_eq!(error_count(&out), 4, "{out}");
    for (message, at) in [
        ("`S.s` contains itself", "t.thrift:3:30"),
        ("constant `C` leaves out `u`", "t.thrift:4:13"),
        ("constant `E` sets no field", "t.thrift:5:13"),
        ("duplicate field id 1", "t.thrift:7:40"),
    ] {
        assert!(
            out.contains(message) && out.contains(at),
            "{message} at {at}:\n{out}"
        );
    }
}

#[test]
fn a_value_of_an_empty_enum_says_it_has_none() {
    let out = errors("enum Empty {}\nconst Empty E = 1\n");
    assert!(out.contains("enum `Empty` has no value 1"), "{out}");
    assert!(out.contains("`Empty` has no values"), "{out}");
}

#[test]
fn a_cycle_of_required_fields_is_warned_about() {
    let idl = "struct R {\n  1: required R next\n  2: i32 n\n}\n\
               struct A {\n  1: required B b\n}\n\
               struct B {\n  1: required A a\n}\n\
               struct C {\n  1: required D d\n}\n\
               struct D {\n  1: C c\n}\n\
               struct E {\n  1: optional E e\n  2: required list<E> es\n}\n";
    let loaded = load_str("t.thrift", idl).unwrap_or_else(|e| panic!("{}", e.render(false)));
    let warnings = loaded.render_warnings(false);
    // Self and mutual cycles of `required` links, each field named.
    assert!(
        warnings.contains("`R` can never end: its `required` field `next`"),
        "{warnings}"
    );
    assert!(warnings.contains("t.thrift:2:17"), "{warnings}");
    assert!(warnings.contains("`A` can never end"), "{warnings}");
    assert!(warnings.contains("`B` can never end"), "{warnings}");
    // A link with no keyword may be absent (it becomes an `Option`), an
    // optional one too, and a container may be empty: no warning.
    assert!(!warnings.contains("`C` can never end"), "{warnings}");
    assert!(!warnings.contains("`E` can never end"), "{warnings}");
    assert_eq!(warnings.matches("can never end").count(), 3, "{warnings}");
}

#[test]
fn constants_may_leave_out_a_recursive_field_with_no_keyword() {
    // Generated as an `Option` (a list must end), so a constant or a
    // default that leaves it out has a value, as Apache's compiler agrees.
    ok("struct RecList { 1: RecList next, 2: i16 item }\n\
        const RecList ONE = {\"item\": 1}\n\
        struct Holder { 1: RecList l }\n\
        const Holder H = {}\n\
        struct W { 1: RecList l = {\"item\": 7} }\n");
    // A `required` one cannot be left out.
    let e = errors(
        "struct R { 1: required R next, 2: i16 item }\n\
         const R ONE = {\"item\": 1}\n",
    );
    assert!(e.contains("leaves out `next`"), "{e}");
}

#[test]
fn required_cycles_through_unions_and_typedefs_are_warned_about_when_they_cannot_end() {
    let warnings = |idl: &str| {
        load_str("t.thrift", idl)
            .unwrap_or_else(|e| panic!("{}", e.render(false)))
            .render_warnings(false)
    };
    // Through a union whose only member leads back.
    let w = warnings("struct A { 1: required U u }\nunion U { 1: A a }\n");
    assert!(
        w.contains("`A` can never end: its `required` field `u`"),
        "{w}"
    );
    // Through a typedef and an exception.
    let w =
        warnings("typedef B BT\nstruct A { 1: required BT b }\nexception B { 1: required A a }\n");
    assert!(
        w.contains("`A` can never end") && w.contains("`B` can never end"),
        "{w}"
    );
    // A union with a member that ends, a list, an optional or keyword-less
    // link: each cycle can end.
    for idl in [
        "struct A { 1: required U u }\nunion U { 1: A a, 2: i32 n }\n",
        "struct A { 1: required list<A> xs }\n",
        "struct A { 1: required B b }\nstruct B { 1: optional A a }\n",
        "struct A { 1: required B b }\nstruct B { 1: A a }\n",
    ] {
        let w = warnings(idl);
        assert!(!w.contains("can never end"), "{idl}\n{w}");
    }
    // A struct that only holds one that cannot end is not on the cycle.
    let w = warnings("struct R { 1: required R next }\nstruct H { 1: required R r }\n");
    assert_eq!(w.matches("can never end").count(), 1, "{w}");
}

#[test]
fn long_typedef_chains_resolve_to_their_end() {
    // Longer than any fixed bound a walk might have: values of the last
    // typedef are checked against the base type.
    let mut idl = String::from("typedef i32 T0\n");
    for i in 1..=1000 {
        idl.push_str(&format!("typedef T{} T{i}\n", i - 1));
    }
    idl.push_str("struct S { 1: T1000 f = 5 }\nconst T1000 C = 3\n");
    ok(&idl);
    let bad = format!("{idl}const T1000 D = \"text\"\n");
    let rendered = errors(&bad);
    assert_eq!(error_count(&rendered), 1, "{rendered}");
    assert!(
        rendered.contains("expected a value of type `T1000`"),
        "{rendered}"
    );
}

#[test]
fn a_typedef_cycle_behind_a_long_chain_is_reported_once() {
    let mut idl = String::from("typedef C1 C0\ntypedef C2 C1\ntypedef C0 C2\n");
    for i in 0..500 {
        let target = if i == 0 {
            "C0".to_owned()
        } else {
            format!("L{}", i - 1)
        };
        idl.push_str(&format!("typedef {target} L{i}\n"));
    }
    let rendered = errors(&idl);
    assert_eq!(
        rendered.matches("refers to itself").count(),
        1,
        "{rendered}"
    );
    assert!(
        rendered.contains("cycle: C0 -> C1 -> C2 -> C0"),
        "{rendered}"
    );
}

/// A file with Latin-1 bytes in its comments, as old IDL has, is read
/// (the bytes as Latin-1, and as doc text); a byte that is not UTF-8
/// outside a comment is refused with its line and column, so it can be
/// found; a byte at the very end (an incomplete sequence) too.
#[test]
fn latin1_in_comments_is_read_and_elsewhere_refused_with_where_it_is() {
    use super::{FileSystem, RealFs};
    let dir = std::env::temp_dir().join(format!("thriftc-not-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("latin1.thrift");
    std::fs::write(
        &path,
        b"// Copyright \xa9 2010\n/** Caf\xe9 menu */\nstruct A { 1: string s = \"ok\" }\n",
    )
    .unwrap();
    assert_eq!(
        RealFs.read(&path).unwrap(),
        "// Copyright © 2010\n/** Café menu */\nstruct A { 1: string s = \"ok\" }\n"
    );
    let loaded = crate::load(std::slice::from_ref(&path), &[])
        .map_err(|f| f.to_string())
        .expect("loads");
    let doc = format!("{:?}", loaded.program);
    assert!(doc.contains("Café menu"), "{doc}");
    let cases: [(&[u8], &str); 3] = [
        (
            b"// ok\nconst string S = \"\xa9 2010\"\n",
            "line 2, column 19 holds the byte 0xA9",
        ),
        // Columns count characters: the UTF-8 `é` before is one.
        (
            b"/* caf\xc3\xa9 */ struct \xe9",
            "line 1, column 19 holds the byte 0xE9",
        ),
        (b"struct A {}\n\xc3", "line 2, column 1 holds the byte 0xC3"),
    ];
    for (i, (bytes, want)) in cases.iter().enumerate() {
        let path = dir.join(format!("f{i}.thrift"));
        std::fs::write(&path, bytes).unwrap();
        let err = RealFs.read(&path).unwrap_err().to_string();
        assert!(err.contains(want), "{err}");
        assert!(err.starts_with("file is not valid UTF-8"), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
