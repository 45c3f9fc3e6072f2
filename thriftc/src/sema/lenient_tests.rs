//! IDL Apache's compiler takes with a warning, taken here too: each case
//! loads, gives the value Apache's generated code gives, and warns with
//! its lint at the place that needs changing.

use super::load_str;
use crate::diagnostic::Diagnostic;
use crate::ir::{ConstValue, DefKind, Program, Requiredness};
use crate::lint::Lint;

/// The program and the warnings of `idl`, which must load.
fn loaded(idl: &str) -> (Program, Vec<Diagnostic>) {
    match load_str("t.thrift", idl) {
        Ok(l) => (l.program, l.warnings.iter().cloned().collect()),
        Err(f) => panic!("expected no errors for:\n{idl}\n{}", f.render(false)),
    }
}

/// The rendered errors of `idl`, which must fail to load.
fn errors(idl: &str) -> String {
    match load_str("t.thrift", idl) {
        Ok(_) => panic!("expected errors for:\n{idl}"),
        Err(failed) => failed.render(false),
    }
}

/// The text under each warning's primary label, with its lint.
fn warned_at<'a>(idl: &'a str, warnings: &[Diagnostic]) -> Vec<(Option<Lint>, &'a str)> {
    warnings
        .iter()
        .map(|d| {
            let l = d
                .labels
                .iter()
                .find(|l| l.primary)
                .expect("a primary label");
            (d.lint, &idl[l.span.start as usize..l.span.end as usize])
        })
        .collect()
}

/// The value of the constant `name`.
fn constant<'p>(program: &'p Program, name: &str) -> &'p ConstValue {
    program
        .defs
        .iter()
        .find_map(|d| match &d.kind {
            DefKind::Const(c) if d.name.name == name => Some(&c.value),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no constant `{name}`"))
}

/// The fields of struct `name`.
fn fields<'p>(program: &'p Program, name: &str) -> &'p [crate::ir::Field] {
    program
        .defs
        .iter()
        .find_map(|d| match &d.kind {
            DefKind::Struct(s) if d.name.name == name => Some(&s.fields[..]),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no struct `{name}`"))
}

#[test]
fn required_in_a_union_is_ignored_with_a_warning_at_the_keyword() {
    let idl = "union U { 1: required i32 a, 2: string b }\n";
    let (program, warnings) = loaded(idl);
    assert_eq!(
        warned_at(idl, &warnings),
        [(Some(Lint::IgnoredKeyword), "required")]
    );
    assert_eq!(
        warnings[0].message,
        "`required` is ignored on union field `a`"
    );
    assert!(warnings[0].notes.iter().any(|n| n.starts_with("help: ")));
    let u = fields(&program, "U");
    assert_eq!(u[0].req, Requiredness::Default);
    assert_eq!(u[1].req, Requiredness::Default);
}

#[test]
fn a_hex_literal_above_its_types_maximum_wraps_with_a_warning() {
    let idl = "const i32 MASK = 0xFFFFFFFF\n\
               const i8 B = 0x80\n\
               const i16 S = 0xffff\n\
               typedef i32 Bits\n\
               const Bits HIGH = 0x80000000\n\
               const i32 NEG = -0x1\n\
               const i32 FITS = 0x7FFFFFFF\n\
               const double D = 0xFFFFFFFF\n\
               const i64 L = 0xFFFFFFFF\n\
               const list<i16> LIST = [0x8000, 1]\n\
               const map<i8, i8> MAP = {0xFF: 0xFE}\n\
               struct T { 1: i32 d = 0xFFFFFFFE }\n";
    let (program, warnings) = loaded(idl);
    let at: Vec<&str> = warned_at(idl, &warnings)
        .into_iter()
        .map(|(lint, text)| {
            assert_eq!(lint, Some(Lint::WrappedConstant), "{text}");
            text
        })
        .collect();
    assert_eq!(
        at,
        [
            "0xFFFFFFFF",
            "0x80",
            "0xffff",
            "0x80000000",
            "0x8000",
            "0xFF",
            "0xFE",
            "0xFFFFFFFE"
        ]
    );
    assert_eq!(
        warnings[0].message,
        "hex literal 0xFFFFFFFF is above the maximum of `i32`: read as -1"
    );
    assert!(warnings[0].notes.iter().any(|n| n.starts_with("help: ")));
    let int = |name| match constant(&program, name) {
        ConstValue::Int(i) => *i,
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(int("MASK"), -1);
    assert_eq!(int("B"), -128);
    assert_eq!(int("S"), -1);
    assert_eq!(int("HIGH"), i64::from(i32::MIN));
    assert_eq!(int("NEG"), -1);
    assert_eq!(int("FITS"), i64::from(i32::MAX));
    // Only integer types wrap: a double and a wider integer keep the number.
    assert!(matches!(constant(&program, "D"), ConstValue::Double(d) if *d == 4294967295.0));
    assert_eq!(int("L"), 0xFFFF_FFFF);
    assert!(
        matches!(constant(&program, "LIST"), ConstValue::List(v) if v[..] == [ConstValue::Int(-32768), ConstValue::Int(1)])
    );
    assert!(
        matches!(constant(&program, "MAP"), ConstValue::Map(v) if v[..] == [(ConstValue::Int(-1), ConstValue::Int(-2))])
    );
    assert_eq!(fields(&program, "T")[0].default, Some(ConstValue::Int(-2)));
}

#[test]
fn decimal_and_too_wide_hex_literals_stay_out_of_range() {
    for (idl, what) in [
        (
            "const i32 X = 4294967295\n",
            "4294967295 does not fit in `i32`",
        ),
        (
            "const i32 X = 0x100000000\n",
            "4294967296 does not fit in `i32`",
        ),
        ("const i8 X = 0x100\n", "256 does not fit in `i8`"),
        (
            "const i32 X = -0xFFFFFFFF\n",
            "-4294967295 does not fit in `i32`",
        ),
        // Apache's compiler finds no value of the enum either.
        (
            "enum E { A = -1 }\nconst E X = 0xFFFFFFFF\n",
            "enum `E` has no value 4294967295",
        ),
    ] {
        let out = errors(idl);
        assert!(out.contains(what), "{idl}:\n{out}");
        assert!(!out.contains("warning"), "{idl}:\n{out}");
    }
}

#[test]
fn an_enum_value_under_another_prefix_is_read_in_the_expected_enum() {
    let idl = "enum A { X = 1 }\n\
               enum B { Y = 2 }\n\
               typedef B TB\n\
               struct S { 1: B b = A.Y, 2: list<TB> l = [Q.Y, B.Y] }\n\
               const B C = A.Y\n";
    let (program, warnings) = loaded(idl);
    assert_eq!(
        warned_at(idl, &warnings),
        [
            (Some(Lint::EnumMismatch), "A.Y"),
            (Some(Lint::EnumMismatch), "A.Y"),
            (Some(Lint::EnumMismatch), "Q.Y"),
        ]
    );
    assert_eq!(
        warnings[0].message,
        "`A.Y` is read as `B.Y`, a value of the expected enum"
    );
    assert!(warnings[0].labels[0].message.contains("enum `B`"));
    assert!(warnings[0].notes.iter().any(|n| n == "help: write `B.Y`"));
    let b = program
        .defs
        .iter()
        .position(|d| d.name.name == "B")
        .expect("enum B");
    let y = ConstValue::Enum {
        def: crate::ir::DefId(b as u32),
        index: 0,
    };
    assert_eq!(constant(&program, "C"), &y);
    let s = fields(&program, "S");
    assert_eq!(s[0].default.as_ref(), Some(&y));
    assert_eq!(s[1].default, Some(ConstValue::List(vec![y.clone(), y])));
}

#[test]
fn an_enum_value_the_expected_enum_lacks_stays_an_error() {
    // A name neither enum has; a value only the other enum has, as
    // Apache's compiler rejects it; a bare name (Apache: "unqualified");
    // a value of the other enum that both have (Apache would read `B.Y`,
    // which is not what is written); an integer type.
    for (idl, what) in [
        (
            "enum A { X = 1 }\nenum B { Z = 2 }\nstruct S { 1: B b = A.Y }\n",
            "cannot find constant `A.Y`",
        ),
        (
            "enum A { X = 1 }\nenum B { Y = 2 }\nstruct S { 1: B b = A.X }\n",
            "expected a value of enum `B`, found a value of enum `A`",
        ),
        (
            "enum A { X = 1 }\nenum B { Y = 2 }\nconst B C = Y\n",
            "cannot find constant `Y`",
        ),
        (
            "enum A { Y = 7 }\nenum B { Y = 2 }\nconst B C = A.Y\n",
            "expected a value of enum `B`, found a value of enum `A`",
        ),
        (
            "enum A { X = 1 }\nenum B { Y = 2 }\nconst i32 C = A.Y\n",
            "cannot find constant `A.Y`",
        ),
    ] {
        let out = errors(idl);
        assert!(out.contains(what), "{idl}:\n{out}");
        assert!(!out.contains("warning"), "{idl}:\n{out}");
        // Where the expected enum has the name too, the error says how
        // Apache's compiler reads it.
        let both = idl.starts_with("enum A { Y = 7 }");
        assert_eq!(
            out.contains("note: Apache Thrift reads it as `B.Y`, a different value"),
            both,
            "{idl}:\n{out}"
        );
        assert_eq!(
            out.contains("help: write `B.Y` if that is meant"),
            both,
            "{out}"
        );
    }
}

#[test]
fn optional_on_an_argument_is_ignored_with_a_warning_at_the_keyword() {
    let idl = "exception E { 1: string m }\n\
               service S { void f(1: optional i32 a, 2: i32 b) throws (1: optional E e) }\n";
    let (program, warnings) = loaded(idl);
    assert_eq!(
        warned_at(idl, &warnings),
        [
            (Some(Lint::IgnoredKeyword), "optional"),
            (Some(Lint::IgnoredKeyword), "optional"),
        ]
    );
    assert_eq!(warnings[0].message, "`optional` is ignored on argument `a`");
    assert_eq!(
        warnings[1].message,
        "`optional` is ignored on `throws` entry `e`"
    );
    let DefKind::Service(s) = &program.defs.last().expect("the service").kind else {
        panic!("not a service");
    };
    let f = &s.functions[0];
    assert_eq!(f.args[0].req, Requiredness::Default);
    assert_eq!(f.args[1].req, Requiredness::Default);
    assert_eq!(f.throws[0].req, Requiredness::Default);
}
