//! Unit tests of code generation: small IDL through the front end, then
//! checks on the generated text.

use crate::codegen::{GeneratedFile, generate};
use crate::options::Options;

fn gen_with(idl: &str, options: &Options) -> Vec<GeneratedFile> {
    let loaded = crate::load_str("test.thrift", idl).unwrap_or_else(|e| panic!("{e}"));
    generate(&loaded.program, options).unwrap_or_else(|e| panic!("{e}"))
}

fn gen_one(idl: &str) -> String {
    let files = gen_with(idl, &Options::default());
    files
        .into_iter()
        .find(|f| f.name != "mod.rs")
        .expect("a module generated")
        .contents
}

#[test]
fn dump_bench() {
    let text = gen_one(include_str!("../../../fixtures/bench/bench.thrift"));
    println!("{text}");
}

#[test]
#[allow(clippy::approx_constant)] // these very values are under test
fn floats_near_std_constants_avoid_approx_constant() {
    use crate::codegen::items::float_lit;
    assert_eq!(float_lit(3.14159).to_string(), "314159.0 / 100000.0");
    assert_eq!(float_lit(-2.718).to_string(), "- 2718.0 / 1000.0");
    assert_eq!(314159.0 / 100000.0, 3.14159);
    assert_eq!(float_lit(0.5).to_string(), "0.5");
    assert_eq!(float_lit(1.0).to_string(), "1.0");
}

#[test]
fn doc_lines_are_inert() {
    use crate::codegen::items::doc_line;
    assert_eq!(doc_line("  - if it is a group"), "\\- if it is a group");
    assert_eq!(doc_line("* star"), "\\* star");
    assert_eq!(doc_line("12. twelfth"), "12\\. twelfth");
    assert_eq!(doc_line("3) third"), "3\\) third");
    assert_eq!(doc_line("      K byte-streams"), "K byte-streams");
    assert_eq!(doc_line("```"), "```text");
    assert_eq!(doc_line("```json"), "```json");
    assert_eq!(doc_line("1.5 is a number"), "1.5 is a number");
    assert_eq!(doc_line("-1 is negative"), "-1 is negative");
}
