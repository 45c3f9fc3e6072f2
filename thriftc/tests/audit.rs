//! `thriftc::audit` on the fixture pairs of `fixtures/audit/`: the exact
//! findings of a pair with one change per rule, none for a pair with only
//! compatible changes, none for any valid fixture against itself, and the
//! rendered text of a small pair.

use std::path::{Path, PathBuf};
use thriftc::audit::{Audit, Rule, audit};
use thriftc::{Loaded, MemoryFs, Severity, load, load_with};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// Loads `fixtures/audit/<pair>/<version>/shop.thrift` (and the files next
/// to it) under the relative path `<version>/...`, so diagnostics show
/// short, stable paths.
fn load_version(pair: &str, version: &str) -> Loaded {
    let dir = fixtures().join("audit").join(pair).join(version);
    let mut fs = MemoryFs::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("read fixture folder").path();
        let text = std::fs::read_to_string(&path).expect("read fixture");
        let name = path.file_name().expect("file name").to_string_lossy();
        fs.insert(format!("{version}/{name}"), text);
    }
    load_with(&fs, &[PathBuf::from(format!("{version}/shop.thrift"))], &[])
        .unwrap_or_else(|failed| panic!("{pair}/{version} does not load:\n{failed}"))
}

fn audit_pair(pair: &str) -> Audit {
    let (old, new) = (load_version(pair, "v1"), load_version(pair, "v2"));
    audit(&old.program, &new.program)
}

/// Each finding as (rule, severity, file, line).
fn summary(report: &Audit) -> Vec<(Rule, Severity, String, usize)> {
    report
        .findings
        .iter()
        .map(|f| {
            let (file, line) = report.location(f).expect("every finding has a location");
            (f.rule, f.diagnostic.severity, file.to_owned(), line)
        })
        .collect()
}

#[test]
fn breaking_pair_reports_each_change_once() {
    use Rule::*;
    use Severity::{Error as E, Warning as W};
    let report = audit_pair("breaking");
    let expected: Vec<(Rule, Severity, &str, usize)> = vec![
        (NamespaceChanged, W, "v2/shop.thrift", 4),
        (TypedefChanged, W, "v2/shop.thrift", 6),
        (EnumValueRenumbered, E, "v2/shop.thrift", 10),
        (EnumNumberReused, W, "v2/shop.thrift", 12),
        (FieldWireTypeChanged, E, "v2/shop.thrift", 17),
        (FieldTypeChanged, W, "v2/shop.thrift", 18),
        (FieldRenamed, W, "v2/shop.thrift", 19),
        (FieldDefaultChanged, W, "v2/shop.thrift", 20),
        (FieldWireTypeChanged, E, "v2/shop.thrift", 21),
        (FieldNoLongerRequired, E, "v2/shop.thrift", 22),
        (FieldBecameRequired, E, "v2/shop.thrift", 23),
        (FieldOptionalityChanged, W, "v2/shop.thrift", 24),
        (UnionChanged, E, "v2/shop.thrift", 27),
        (StructKindChanged, W, "v2/shop.thrift", 32),
        (DefinitionKindChanged, W, "v2/shop.thrift", 34),
        (ReturnTypeChanged, W, "v2/shop.thrift", 52),
        (OnewayChanged, E, "v2/shop.thrift", 53),
        (ReturnWireTypeChanged, E, "v2/shop.thrift", 54),
        (RequiredFieldAdded, E, "v2/shop.thrift", 55),
        (ExceptionAdded, W, "v2/shop.thrift", 55),
        (InheritedFunctionRemoved, E, "v2/shop.thrift", 58),
        (RequiredFieldAdded, E, "v2/common.thrift", 7),
        (ConstChanged, W, "v2/common.thrift", 10),
        (FieldRenumbered, E, "v2/common.thrift", 13),
        (DefinitionMoved, W, "v2/common.thrift", 16),
        (EnumValueRemoved, W, "v1/shop.thrift", 13),
        (FieldRemoved, W, "v1/shop.thrift", 20),
        (RequiredFieldRemoved, E, "v1/shop.thrift", 21),
        (DefinitionRemoved, W, "v1/shop.thrift", 37),
        (FunctionRemoved, E, "v1/shop.thrift", 58),
        (ExceptionRemoved, W, "v1/shop.thrift", 63),
        (FunctionRemoved, E, "v1/shop.thrift", 67),
    ];
    let expected: Vec<_> = expected
        .into_iter()
        .map(|(r, s, f, l)| (r, s, f.to_owned(), l))
        .collect();
    assert_eq!(summary(&report), expected, "\n{}", report.render(false));
    assert!(report.is_breaking());
    assert_eq!(report.diagnostics().summary(), "15 errors, 17 warnings");
    // The pair exercises every rule (the strict ones: the compatible pair).
    for rule in Rule::ALL.iter().filter(|r| !r.strict_only()) {
        assert!(
            report.findings.iter().any(|f| f.rule == *rule),
            "no finding of rule `{}`",
            rule.name()
        );
    }
}

#[test]
fn findings_say_what_changed() {
    let report = audit_pair("breaking");
    let messages: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.diagnostic.message.as_str())
        .collect();
    for expected in [
        "field 2 `quantity` of struct `Item` changed type from Quantity (i32) to Quantity (i64): \
         peers of the old version cannot read it",
        "field 8 `tags` of struct `Item` changed type from list<map<string, i32>> to \
         list<map<string, i64>>: peers of the old version cannot read it",
        "field 6 of struct `Item` was renamed from `colour` to `color`: the Rust name and the JSON key change",
        "`Payment` changed from a union to a struct",
        "new required field 3 `scale` of struct `common.Money`: peers of the old version do not \
         write it, and new readers reject messages without it",
        "constant `common.MAX_ITEMS` changed value from 100 to 200",
        "service `Admin` no longer has function `ping`, which it inherited from `Base`: old clients \
         calling it get an unknown-method error",
        "service `Legacy` was removed: old clients calling its function `reset` get an \
         unknown-method error",
        "`namespace rs` of `shop.thrift` changed from `shop` to `shop_v2`: the Rust module path changes",
    ] {
        assert!(
            messages.contains(&expected),
            "missing `{expected}` in {messages:#?}"
        );
    }
}

#[test]
fn the_reverse_direction_is_breaking_too() {
    let (old, new) = (
        load_version("breaking", "v1"),
        load_version("breaking", "v2"),
    );
    let report = audit(&new.program, &old.program);
    let rules: Vec<Rule> = report.findings.iter().map(|f| f.rule).collect();
    // What was added is now removed, and the reverse; functions only
    // added (the old `forget`, the old service `Legacy`) are compatible.
    assert!(!rules.contains(&Rule::FunctionRemoved), "{rules:?}");
    assert!(rules.contains(&Rule::OnewayChanged), "{rules:?}");
    assert!(rules.contains(&Rule::RequiredFieldAdded), "{rules:?}");
    assert!(rules.contains(&Rule::RequiredFieldRemoved), "{rules:?}");
    assert!(rules.contains(&Rule::ExceptionRemoved), "{rules:?}");
    assert!(report.is_breaking());
}

#[test]
fn compatible_pair_has_no_findings() {
    let report = audit_pair("compatible");
    assert!(report.findings.is_empty(), "{}", report.render(false));
    assert!(!report.is_breaking());
}

/// Strict: the compatible pair's new enum number and new union field, as
/// warnings; every strict rule is exercised.
#[test]
fn strict_reports_additions_other_generators_may_refuse() {
    let (old, new) = (
        load_version("compatible", "v1"),
        load_version("compatible", "v2"),
    );
    let mut options = thriftc::audit::Options::default();
    options.strict = true;
    let report = thriftc::audit::audit_with(&old.program, &new.program, &options);
    let expected = vec![
        (
            Rule::EnumValueAdded,
            Severity::Warning,
            "v2/shop.thrift".to_owned(),
            22,
        ),
        (
            Rule::UnionFieldAdded,
            Severity::Warning,
            "v2/shop.thrift".to_owned(),
            44,
        ),
    ];
    assert_eq!(summary(&report), expected, "\n{}", report.render(false));
    assert!(!report.is_breaking());
    for rule in Rule::ALL.iter().filter(|r| r.strict_only()) {
        assert!(report.findings.iter().any(|f| f.rule == *rule), "{rule:?}");
    }
    let messages: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.diagnostic.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "new value `SHIPPED` (3) of enum `Status`: peers of the old version receive a number \
             they do not know",
            "new field 2 `by_note` of union `Lookup`: a peer of the old version reads a value with \
             it set as a union with no field it knows",
        ]
    );
}

#[test]
fn compat_fixture_pair_has_no_findings() {
    // fixtures/compat: v2 only adds to v1; tests/tests/compat.rs proves the
    // two read each other's bytes.
    let dir = fixtures().join("compat");
    let old = load(&[dir.join("v1.thrift")], &[]).expect("compat/v1 loads");
    let new = load(&[dir.join("v2.thrift")], &[]).expect("compat/v2 loads");
    let report = audit(&old.program, &new.program);
    assert!(report.findings.is_empty(), "{}", report.render(false));
}

#[test]
fn every_valid_fixture_against_itself_has_no_findings() {
    let include = [fixtures().join("include")];
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join("valid"))
        .expect("read fixtures/valid")
        .map(|e| e.expect("read fixtures/valid").path())
        .filter(|p| p.extension().is_some_and(|e| e == "thrift"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "fixtures/valid has too few files: {files:?}"
    );
    for file in files {
        let a = load(std::slice::from_ref(&file), &include)
            .unwrap_or_else(|f| panic!("{} does not load:\n{f}", file.display()));
        let b = load(std::slice::from_ref(&file), &include).expect("loads twice");
        let report = audit(&a.program, &b.program);
        assert!(
            report.findings.is_empty(),
            "{} against itself:\n{}",
            file.display(),
            report.render(false)
        );
    }
}

#[test]
fn rendered_text_points_at_new_and_old_files() {
    let old = thriftc::load_str(
        "old/api.thrift",
        "struct Order {\n  1: i32 count\n  2: optional string memo\n}\n",
    )
    .expect("old loads");
    let new = thriftc::load_str("new/api.thrift", "struct Order {\n  1: i64 count\n}\n")
        .expect("new loads");
    let report = audit(&old.program, &new.program);
    let expected = "\
error[field-wire-type-changed]: field 1 `count` of struct `Order` changed type from i32 to i64: peers of the old version cannot read it
  --> new/api.thrift:2:6
  |
2 |   1: i64 count
  |      ^^^ wire type changed
  |
  = note: a reader skips a field whose wire type it does not expect, so the value is lost

warning[field-removed]: field 2 `memo` of struct `Order` was removed: safe on the wire, but its id must not be reused for another field
  --> old/api.thrift:3:3
  |
3 |   2: optional string memo
  |   ^^^^^^^^^^^^^^^^^^^^^^^ removed

";
    assert_eq!(report.render(false), expected);
}

#[test]
fn moved_field_id_is_explained() {
    let old = thriftc::load_str(
        "a.thrift",
        "enum E { A = 1, B = 2 }\nstruct S { 1: optional i32 x }\n",
    )
    .expect("old loads");
    let new = thriftc::load_str(
        "a.thrift",
        "enum E { B = 1 }\nstruct S { 2: optional i32 x }\n",
    )
    .expect("new loads");
    let report = audit(&old.program, &new.program);
    let text = report.render(false);
    for expected in [
        "error[enum-value-renumbered]: value `B` of enum `E` changed from 2 to 1",
        "warning[enum-number-reused]: number 1 of enum `E` now means `B` (it meant `A`)",
        "warning[enum-value-removed]: value `A` (1) of enum `E` was removed",
        "error[field-renumbered]: field `x` of struct `S` changed id from 1 to 2: peers of each version skip \
         the other's id, so its value is lost",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    assert_eq!(report.findings.len(), 4, "{text}");
}

/// The findings of auditing `old` against `new`, each loaded as `a.thrift`.
fn audit_texts(old: &str, new: &str) -> Audit {
    let old = thriftc::load_str("a.thrift", old).expect("old loads");
    let new = thriftc::load_str("a.thrift", new).expect("new loads");
    audit(&old.program, &new.program)
}

fn rules(report: &Audit) -> Vec<Rule> {
    report.findings.iter().map(|f| f.rule).collect()
}

#[test]
fn renumbered_field_or_argument_is_an_error() {
    let report = audit_texts(
        "struct S { 1: required i32 a, 2: string b }\nservice Svc { void f(1: i32 a) }\n",
        "struct S { 3: required i32 a, 2: string b }\nservice Svc { void f(2: i32 a) }\n",
    );
    let text = report.render(false);
    assert_eq!(
        rules(&report),
        [Rule::FieldRenumbered, Rule::FieldRenumbered],
        "{text}"
    );
    assert!(
        text.contains(
            "error[field-renumbered]: argument `a` of function `Svc.f` changed id from 1 to 2"
        ),
        "{text}"
    );
    assert!(
        text.contains("error[field-renumbered]: field `a` of struct `S` changed id from 1 to 3"),
        "{text}"
    );
    assert!(report.is_breaking());
}

/// Old and new IDL where only the struct a field names is swapped for
/// another: `A` for `B`, in the given `use` of `S`.
fn swapped(types: &str, old_use: &str, new_use: &str) -> Audit {
    audit_texts(
        &format!("{types}\n{old_use}\n"),
        &format!("{types}\n{new_use}\n"),
    )
}

#[test]
fn struct_swapped_for_one_with_another_layout_breaks_the_wire() {
    let types = "struct A { 1: i32 x }\nstruct B { 1: string x }\ntypedef A TA\ntypedef B TB\n\
                 exception EA { 1: i32 code }\nexception EB { 1: string code }";
    let cases = [
        (
            "struct S { 1: A f }",
            "struct S { 1: B f }",
            Rule::FieldWireTypeChanged,
        ),
        (
            "struct S { 1: list<A> f }",
            "struct S { 1: list<B> f }",
            Rule::FieldWireTypeChanged,
        ),
        (
            "struct S { 1: map<string, A> f }",
            "struct S { 1: map<string, B> f }",
            Rule::FieldWireTypeChanged,
        ),
        (
            "struct S { 1: TA f }",
            "struct S { 1: TB f }",
            Rule::FieldWireTypeChanged,
        ),
        (
            "service S { A f() }",
            "service S { B f() }",
            Rule::ReturnWireTypeChanged,
        ),
        (
            "service S { void f(1: A a) }",
            "service S { void f(1: B a) }",
            Rule::FieldWireTypeChanged,
        ),
        (
            "service S { void f() throws (1: EA e) }",
            "service S { void f() throws (1: EB e) }",
            Rule::FieldWireTypeChanged,
        ),
    ];
    for (old_use, new_use, rule) in cases {
        let report = swapped(types, old_use, new_use);
        let text = report.render(false);
        assert_eq!(rules(&report), [rule], "{old_use} -> {new_use}:\n{text}");
        assert!(report.is_breaking(), "{text}");
        assert!(
            text.contains(", whose field 1 `x` changed type from i32 to string:")
                || text.contains(", whose field 1 `code` changed type from i32 to string:"),
            "{old_use} -> {new_use}: the inner field is not named:\n{text}"
        );
    }
}

#[test]
fn struct_layouts_are_compared_at_any_depth_and_by_requiredness() {
    let cases = [
        // Nested: the difference is two structs down.
        (
            "struct C { 1: i32 x }\nstruct D { 1: string x }\nstruct A { 2: C inner }\n\
             struct B { 2: D inner }",
            ", whose field 2 `inner` changed type from C to D, whose field 1 `x` changed type \
             from i32 to string",
        ),
        (
            "struct A { 1: optional i32 x }\nstruct B { 1: optional i32 x, 2: required i32 y }",
            ", whose new field 2 `y` is required",
        ),
        (
            "struct A { 1: required i32 x }\nstruct B { 2: optional i32 y }",
            ", whose required field 1 `x` was removed",
        ),
        (
            "struct A { 1: optional i32 x }\nstruct B { 1: required i32 x }",
            ", whose field 1 `x` became required",
        ),
        (
            "struct A { 1: optional i32 x }\nunion B { 1: i32 x }",
            ", of which `B` is a union and `A` is not",
        ),
    ];
    for (types, why) in cases {
        let report = swapped(types, "struct S { 1: A f }", "struct S { 1: B f }");
        let text = report.render(false);
        assert_eq!(
            rules(&report),
            [Rule::FieldWireTypeChanged],
            "{types}:\n{text}"
        );
        let expected = format!(
            "field 1 `f` of struct `S` changed type from A to B{why}: peers of the old version \
             cannot read it"
        );
        assert_eq!(report.findings[0].diagnostic.message, expected, "{types}");
    }
}

#[test]
fn struct_swapped_for_a_compatible_layout_is_a_warning() {
    // Recursive types end: each pair of definitions is compared once.
    let types = "struct A { 1: i32 x, 2: optional list<A> kids, 3: optional B other }\n\
                 struct B { 1: i32 x, 2: optional list<B> kids, 3: optional A other, 4: optional string note }";
    let report = swapped(types, "struct S { 1: A f }", "struct S { 1: B f }");
    let text = report.render(false);
    assert_eq!(rules(&report), [Rule::FieldTypeChanged], "{text}");
    assert!(
        text.contains(
            "changed type from A to B: compatible on the wire (the two layouts differ only in \
             fields that are not required), but the Rust type changes"
        ),
        "{text}"
    );
    let types = "struct A { 1: i32 x }\nstruct B { 1: i32 y }";
    let report = swapped(types, "struct S { 1: A f }", "struct S { 1: B f }");
    let text = report.render(false);
    assert!(
        text.contains("changed type from A to B: the same on the wire, but the Rust type changes"),
        "{text}"
    );
}

/// Loads `root` from files given as (path, text).
fn load_files(files: &[(&str, &str)], root: &str, include: &[&str]) -> Loaded {
    let mut fs = MemoryFs::new();
    for (path, text) in files {
        fs.insert(path, *text);
    }
    let include: Vec<PathBuf> = include.iter().map(PathBuf::from).collect();
    load_with(&fs, &[PathBuf::from(root)], &include)
        .unwrap_or_else(|failed| panic!("{root} does not load:\n{failed}"))
}

#[test]
fn struct_moved_to_another_file_with_another_layout_breaks_the_wire() {
    let old = load_files(
        &[
            (
                "v1/a.thrift",
                "include \"m.thrift\"\nstruct S { 1: m.P p }\n",
            ),
            ("v1/m.thrift", "struct P { 1: i32 x }\n"),
        ],
        "v1/a.thrift",
        &[],
    );
    let new = load_files(
        &[
            (
                "v2/a.thrift",
                "include \"n.thrift\"\nstruct S { 1: n.P p }\n",
            ),
            ("v2/n.thrift", "struct P { 1: i64 x }\n"),
        ],
        "v2/a.thrift",
        &[],
    );
    let report = audit(&old.program, &new.program);
    let text = report.render(false);
    assert!(
        text.contains(
            "error[field-wire-type-changed]: field 1 `p` of struct `S` changed type from m.P to n.P, whose field 1 `x` \
             changed type from i32 to i64"
        ),
        "{text}"
    );
    assert!(report.is_breaking());
}

/// Files of a root that includes two files which each include a
/// `common.thrift` of their own folder, with the two include lines of the
/// root in the given order.
fn same_stem_files(version: &str, first: &str, second: &str) -> Loaded {
    let root = format!("{version}/a.thrift");
    let root_text = format!(
        "include \"{first}.thrift\"\ninclude \"{second}.thrift\"\nstruct R {{ 1: p.P p, 2: q.Q q }}\n"
    );
    let files = [
        (root.as_str(), root_text.as_str()),
        (
            &*format!("{version}/p.thrift"),
            "include \"x/common.thrift\"\nstruct P { 1: common.C c }\n",
        ),
        (
            &*format!("{version}/q.thrift"),
            "include \"y/common.thrift\"\nstruct Q { 1: common.C c }\n",
        ),
        (
            &*format!("{version}/x/common.thrift"),
            "struct C { 1: i32 a }\n",
        ),
        (
            &*format!("{version}/y/common.thrift"),
            "struct C { 1: string b }\n",
        ),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, *t)).collect();
    load_files(&files, &root, &[])
}

#[test]
fn included_files_with_one_stem_are_matched_by_path() {
    let old = same_stem_files("v1", "p", "q");
    let new = same_stem_files("v2", "q", "p");
    let report = audit(&old.program, &new.program);
    assert!(report.findings.is_empty(), "{}", report.render(false));
}

#[test]
fn same_names_from_other_files_show_their_paths() {
    let old = load_files(
        &[
            (
                "v1/a.thrift",
                "include \"x/common.thrift\"\nstruct S { 1: common.C c }\n",
            ),
            ("v1/x/common.thrift", "struct C { 1: i32 a }\n"),
        ],
        "v1/a.thrift",
        &[],
    );
    let new = load_files(
        &[
            (
                "v2/a.thrift",
                "include \"y/common.thrift\"\nstruct S { 1: common.C c }\n",
            ),
            ("v2/y/common.thrift", "struct C { 1: i32 a }\n"),
        ],
        "v2/a.thrift",
        &[],
    );
    let report = audit(&old.program, &new.program);
    let text = report.render(false);
    assert!(
        text.contains(
            "warning[field-type-changed]: field 1 `c` of struct `S` changed type from common.C (in x/common.thrift) \
             to common.C (in y/common.thrift): the same on the wire"
        ),
        "{text}"
    );
}

#[test]
fn included_files_found_in_an_include_folder_match_across_root_folders() {
    let shared = ("shared/common.thrift", "struct C { 1: i32 a }\n");
    let old = load_files(
        &[
            (
                "old/api.thrift",
                "include \"common.thrift\"\nstruct S { 1: common.C c }\n",
            ),
            shared,
        ],
        "old/api.thrift",
        &["shared"],
    );
    let new = load_files(
        &[
            (
                "idl/api.thrift",
                "include \"common.thrift\"\nstruct S { 1: common.C c }\n",
            ),
            shared,
        ],
        "idl/api.thrift",
        &["shared"],
    );
    let report = audit(&old.program, &new.program);
    assert!(report.findings.is_empty(), "{}", report.render(false));
}

/// A chain of `n` typedefs `T0` .. `T{n-1}` over `base`, used by a field.
fn typedef_chain(n: usize, base: &str) -> String {
    let mut text = format!("typedef {base} T0\n");
    for i in 1..n {
        text.push_str(&format!("typedef T{} T{i}\n", i - 1));
    }
    text.push_str(&format!("struct S {{ 1: T{} f }}\n", n - 1));
    text
}

#[test]
fn long_typedef_chains_are_followed_to_the_end() {
    let report = audit_texts(&typedef_chain(1000, "i32"), &typedef_chain(1000, "i64"));
    let text = report.render(false);
    // The typedef whose own target changed, and the field that uses the
    // chain (not every typedef down the chain).
    assert_eq!(
        rules(&report),
        [Rule::TypedefChanged, Rule::FieldWireTypeChanged],
        "{text}"
    );
    assert!(
        text.contains("field 1 `f` of struct `S` changed type from T999 (i32) to T999 (i64)"),
        "{text}"
    );
}

#[test]
fn typedef_is_reported_only_when_its_own_target_changed() {
    let report = audit_texts(
        "typedef i32 T\ntypedef T U\ntypedef list<U> V\n",
        "typedef i64 T\ntypedef T U\ntypedef list<U> V\n",
    );
    let text = report.render(false);
    assert_eq!(rules(&report), [Rule::TypedefChanged], "{text}");
    assert!(
        text.contains("typedef `T` changed from i32 to i64"),
        "{text}"
    );
}

#[test]
fn sets_and_maps_are_compared_regardless_of_order() {
    let decls = |map: &str, set: &str| {
        format!(
            "const map<string, string> M = {map}\nconst set<i32> N = {set}\n\
             struct S {{ 1: optional set<i32> s = {set}, 2: optional map<string, string> m = {map} }}\n"
        )
    };
    let report = audit_texts(
        &decls(r#"{"a": "1", "b": "2"}"#, "[1, 2]"),
        &decls(r#"{"b": "2", "a": "1"}"#, "[2, 1]"),
    );
    assert!(report.findings.is_empty(), "{}", report.render(false));
    // A list keeps its order.
    let report = audit_texts(
        "const list<i32> L = [1, 2]\n",
        "const list<i32> L = [2, 1]\n",
    );
    assert_eq!(rules(&report), [Rule::ConstChanged]);
    // A changed element still counts.
    let report = audit_texts(
        "struct S { 1: optional set<i32> s = [1, 2] }\n",
        "struct S { 1: optional set<i32> s = [2, 3] }\n",
    );
    assert_eq!(rules(&report), [Rule::FieldDefaultChanged]);
}

#[test]
fn typedef_replaced_by_its_target_is_the_same_type() {
    let old = thriftc::load_str(
        "a.thrift",
        "typedef i64 Id\ntypedef list<Id> Ids\nstruct S { 1: Ids ids, 2: map<Id, string> names }\n",
    )
    .expect("old loads");
    let new = thriftc::load_str(
        "a.thrift",
        "typedef i64 Id\ntypedef list<Id> Ids\nstruct S { 1: list<i64> ids, 2: map<i64, string> names }\n",
    )
    .expect("new loads");
    let report = audit(&old.program, &new.program);
    assert!(report.findings.is_empty(), "{}", report.render(false));
}

#[test]
fn a_definition_moved_to_another_file_is_compared_where_it_went() {
    let old = load_files(
        &[
            (
                "v1/a.thrift",
                "include \"m.thrift\"\nstruct P { 1: i32 x }\nstruct S { 1: P p }\nenum E { A = 1 }\n",
            ),
            ("v1/m.thrift", "struct Q { 1: i32 y }\n"),
        ],
        "v1/a.thrift",
        &[],
    );
    let new = load_files(
        &[
            (
                "v2/a.thrift",
                "include \"m.thrift\"\nstruct S { 1: m.P p }\n",
            ),
            // `P` moved here and its field changed; `E` moved unchanged.
            (
                "v2/m.thrift",
                "struct Q { 1: i32 y }\nstruct P { 1: i64 x }\nenum E { A = 1 }\n",
            ),
        ],
        "v2/a.thrift",
        &[],
    );
    let report = audit(&old.program, &new.program);
    let text = report.render(false);
    let found = rules(&report);
    assert_eq!(
        found
            .iter()
            .filter(|r| **r == Rule::DefinitionMoved)
            .count(),
        2,
        "{text}"
    );
    assert!(!found.contains(&Rule::DefinitionRemoved), "{text}");
    assert!(
        text.contains(
            "warning[definition-moved]: struct `P` moved to another file, as `m.P`: the same on the wire, but its \
             Rust path changes"
        ),
        "{text}"
    );
    // Compared with its old self: the change made while moving is found.
    assert!(
        text.contains("field 1 `x` of struct `m.P` changed type from i32 to i64"),
        "{text}"
    );
    assert!(report.is_breaking());
}

#[test]
fn a_name_new_in_two_files_is_not_taken_for_a_move() {
    let old = load_files(
        &[("v1/a.thrift", "struct P { 1: i32 x }\n")],
        "v1/a.thrift",
        &[],
    );
    let new = load_files(
        &[
            (
                "v2/a.thrift",
                "include \"m.thrift\"\ninclude \"n.thrift\"\n",
            ),
            ("v2/m.thrift", "struct P { 1: i32 x }\n"),
            ("v2/n.thrift", "struct P { 1: i32 x }\n"),
        ],
        "v2/a.thrift",
        &[],
    );
    let report = audit(&old.program, &new.program);
    assert_eq!(
        rules(&report),
        [Rule::DefinitionRemoved],
        "{}",
        report.render(false)
    );
}

/// A removed service is one finding at its name that names every function
/// its clients could call, inherited ones too; a removed service without
/// functions only changes the Rust API.
#[test]
fn a_removed_service_is_one_finding_naming_its_functions() {
    let old = thriftc::load_str(
        "a.thrift",
        "service Base { void ping() }\n\
         service Gone extends Base { void a(), i32 b(1: i32 x) }\n\
         service Empty {}\n",
    )
    .unwrap();
    let new = thriftc::load_str("a.thrift", "service Base { void ping() }\n").unwrap();
    let report = thriftc::audit::audit(&old.program, &new.program);
    let found: Vec<(Rule, &str)> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.diagnostic.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                Rule::FunctionRemoved,
                "service `Gone` was removed: old clients calling any of its 3 functions (`a`, \
                 `b`, `ping`) get an unknown-method error"
            ),
            (
                Rule::DefinitionRemoved,
                "service `Empty` was removed: nothing on the wire names it, but Rust code using \
                 it no longer compiles"
            ),
        ],
        "\n{}",
        report.render(false)
    );
}
