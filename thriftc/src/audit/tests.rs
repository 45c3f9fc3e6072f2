//! Unit tests of the rule table.

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
