//! Unit tests of the rule table, and of what only a program the checker
//! would reject reaches.

use super::Rule;

#[test]
fn every_rule_is_listed_in_the_module_docs() {
    let docs = include_str!("mod.rs");
    for rule in Rule::ALL {
        let severity = match rule.severity() {
            crate::Severity::Error => "error",
            _ => "warning",
        };
        let row = format!("| `{}` | {severity} |", rule.name());
        assert!(docs.contains(&row), "module docs lack the row `{row}`");
    }
}

#[test]
fn rule_names_are_kebab_case() {
    assert_eq!(Rule::FieldWireTypeChanged.name(), "field-wire-type-changed");
    assert_eq!(Rule::ConstChanged.name(), "const-changed");
}

#[test]
fn every_variant_is_in_rule_all() {
    let text = include_str!("rules.rs");
    let body = text
        .split("pub enum Rule {")
        .nth(1)
        .and_then(|rest| rest.split("\n}\n").next())
        .expect("the Rule enum in rules.rs");
    let variants: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("///") && l.ends_with(','))
        .map(|l| l.trim_end_matches(','))
        .collect();
    assert_eq!(variants.len(), Rule::ALL.len(), "{variants:?}");
    for (variant, rule) in variants.iter().zip(Rule::ALL) {
        assert_eq!(*variant, format!("{rule:?}"));
    }
}

/// A program whose typedefs `A` and `B` name each other, which the checker
/// never lets through: built by editing a checked one.
fn typedef_cycle() -> crate::ir::Program {
    use crate::ir::{DefId, DefKind, TypeKind};
    let mut program = crate::load_str(
        "a.thrift",
        "typedef i32 A\ntypedef A B\nstruct S { 1: B f }\n",
    )
    .expect("loads")
    .program;
    let b = program
        .defs
        .iter()
        .position(|d| d.name.name == "B")
        .expect("B");
    let a = program
        .defs
        .iter_mut()
        .find(|d| d.name.name == "A")
        .expect("A");
    let DefKind::Typedef(t) = &mut a.kind else {
        panic!("A is a typedef");
    };
    t.target.kind = TypeKind::Named(DefId(b as u32));
    program
}

#[test]
fn an_unresolved_typedef_counts_as_a_difference() {
    // A chain that does not end is never the same type, even as itself.
    let (old, new) = (typedef_cycle(), typedef_cycle());
    let report = super::audit(&old, &new);
    let rules: Vec<Rule> = report.findings.iter().map(|f| f.rule).collect();
    assert_eq!(
        rules,
        [Rule::FieldWireTypeChanged],
        "{}",
        report.render(false)
    );
}

/// A default written where there was none says so, not "none", which
/// reads as a value.
#[test]
fn a_default_written_for_the_first_time_says_none_was_written() {
    let old = crate::load_str("a.thrift", "struct S { 1: i32 n }\n").expect("loads");
    let new = crate::load_str("a.thrift", "struct S { 1: i32 n = 1 }\n").expect("loads");
    let report = super::audit(&old.program, &new.program);
    let text = report.render(false);
    assert!(text.contains("changed from none written to 1"), "{text}");
}
