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
        (EnumValueRemoved, W, "v1/shop.thrift", 13),
        (FieldRemoved, W, "v1/shop.thrift", 20),
        (RequiredFieldRemoved, E, "v1/shop.thrift", 21),
        (DefinitionRemoved, W, "v1/shop.thrift", 37),
        (FunctionRemoved, E, "v1/shop.thrift", 59),
        (ExceptionRemoved, W, "v1/shop.thrift", 63),
        (FunctionRemoved, E, "v1/shop.thrift", 67),
    ];
    let expected: Vec<_> = expected
        .into_iter()
        .map(|(r, s, f, l)| (r, s, f.to_owned(), l))
        .collect();
    assert_eq!(summary(&report), expected, "\n{}", report.render(false));
    assert!(report.is_breaking());
    assert_eq!(report.diagnostics().summary(), "14 errors, 16 warnings");
    // The pair exercises every rule.
    for rule in Rule::ALL {
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
error: field 1 `count` of struct `Order` changed type from i32 to i64: peers of the old version cannot read it
  --> new/api.thrift:2:6
  |
2 |   1: i64 count
  |      ^^^ wire type changed
  |
  = note: a reader skips a field whose wire type it does not expect, so the value is lost

warning: field 2 `memo` of struct `Order` was removed: safe on the wire, but its id must not be reused for another field
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
        "error: value `B` of enum `E` changed from 2 to 1",
        "warning: number 1 of enum `E` now means `B` (it meant `A`)",
        "warning: value `A` (1) of enum `E` was removed",
        "warning: field 1 `x` of struct `S` was removed",
        "= note: a field named `x` now has id 2: fields are matched by id",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    assert_eq!(report.findings.len(), 4, "{text}");
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
