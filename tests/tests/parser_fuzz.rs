//! Fuzzing of the front end with proptest: random bytes, random token soup
//! and mutated fixtures go through `thriftc::load_str`, which must return
//! (`Ok` or `Err`), never panic, and render its diagnostics without
//! panicking either. Whatever loads is also generated: every file must
//! parse as Rust and be laid out as prettyplease lays it out.
//!
//! The default run is small (256 cases per property) so that it takes
//! seconds. Run longer with, for example:
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release -p thriftc-tests --test parser_fuzz
//! ```
//!
//! A failing case is shrunk and printed by proptest; add it to
//! `pathological_inputs_are_rejected_cleanly` so it stays covered.

use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 256;
    }
    // About one decorated fixture in five does not load (a string constant
    // that must be a senum value or a uuid): room for that in long runs.
    config.max_global_rejects = config.max_global_rejects.max(config.cases);
    config
}

fn fixture_texts() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root");
    let mut texts = Vec::new();
    for dir in ["fixtures/valid", "fixtures/invalid", "fixtures/include"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("fixtures folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "thrift"))
            .collect();
        files.sort();
        for f in files {
            texts.push(std::fs::read_to_string(f).expect("fixture text"));
        }
    }
    texts
}

/// The valid fixtures that stand alone (no includes).
fn valid_fixture_texts() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root");
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("fixtures/valid"))
        .expect("fixtures folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "thrift"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| std::fs::read_to_string(f).expect("fixture text"))
        .filter(|t| !t.contains("include \""))
        .collect()
}

/// Loads text as a file and renders whatever comes out.
fn check(text: &str) {
    match thriftc::load_str("fuzz.thrift", text) {
        Ok(loaded) => {
            let _ = loaded.render_warnings(false);
            let _ = thriftc::dump::dump(&loaded.program, Path::new("."));
            check_generated(&loaded.program);
        }
        Err(failed) => {
            assert!(failed.diagnostics.has_errors(), "failure without an error");
            let _ = failed.render(true);
        }
    }
}

/// Generates Rust for a program that loaded: every file parses and is a
/// prettyplease fixed point (below the `@generated` header).
fn check_generated(program: &thriftc::ir::Program) {
    let files = thriftc::codegen::generate(program, &thriftc::Options::default())
        .unwrap_or_else(|e| panic!("generation failed: {e}"));
    for f in files {
        let body = f.contents.split_once("\n\n").map_or("", |(_, b)| b);
        let file = syn::parse_file(body)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}\n{}", f.name, f.contents));
        assert_eq!(
            prettyplease::unparse(&file),
            body,
            "{} is not laid out as prettyplease would",
            f.name
        );
    }
}

/// Pieces of Thrift that make random input get further than random bytes,
/// and characters that are easy to get wrong in generated code.
const TOKENS: &[&str] = &[
    "struct",
    "union",
    "exception",
    "service",
    "enum",
    "senum",
    "const",
    "typedef",
    "include",
    "namespace",
    "extends",
    "throws",
    "oneway",
    "void",
    "required",
    "optional",
    "list",
    "set",
    "map",
    "i32",
    "i64",
    "string",
    "binary",
    "uuid",
    "bool",
    "double",
    "byte",
    "true",
    "false",
    "A",
    "B",
    "x",
    "A.B",
    "s.T.V",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    ",",
    ";",
    ":",
    "=",
    "&",
    "1",
    "-1",
    "0x7f",
    "99999999999999999999",
    "1.5e3",
    "\"s\"",
    "'q'",
    "\"",
    "/**",
    "*/",
    "/* c */",
    "// c\n",
    "# c\n",
    "\n",
    " ",
    "xsd_optional",
    "xsd_attrs",
    "cpp_type",
    "\u{FEFF}",
    "é",
    "\\",
    "/** doc */",
    "\r",
    "\u{202e}",
    "\t",
    "\"",
    "*/",
    "r#type",
    "self",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for edit in edits {
        let len = bytes.len().max(1);
        match *edit {
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n % 16).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Edit::Insert(at, token) => {
                let at = (at % len).min(bytes.len());
                let t = TOKENS[token % TOKENS.len()].as_bytes();
                bytes.splice(at..at, t.iter().copied());
            }
            Edit::Duplicate(at, n) => {
                let at = at % len;
                let end = (at + n % 64).min(bytes.len());
                let piece: Vec<u8> = bytes[at.min(end)..end].to_vec();
                bytes.splice(end..end, piece);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, t)| Edit::Insert(a, t)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Edit::Duplicate(a, n)),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(0..TOKENS.len(), 0..96)) {
        let text: Vec<&str> = tokens.iter().map(|&i| TOKENS[i]).collect();
        check(&text.join(" "));
    }

    #[test]
    fn awkward_doc_comments_and_strings_generate_clean_code(
        which in any::<usize>(),
        picks in proptest::collection::vec((any::<usize>(), any::<usize>(), any::<usize>()), 1..6),
    ) {
        let texts = valid_fixture_texts();
        let text = decorate(&texts[which % texts.len()], &picks);
        // A string constant may have to be a senum value or a uuid: text
        // inserted there can make the IDL invalid, which is the front end's
        // business, not this test's.
        let loaded = thriftc::load_str("fuzz.thrift", &text);
        prop_assume!(loaded.is_ok(), "the decorated fixture does not load");
        check_generated(&loaded.unwrap().program);
    }

    /// Recovery after syntax errors: a file of structs, some broken in
    /// various ways, then one struct using them all. Each broken struct
    /// gives exactly one error, on its own line, whatever the others do;
    /// no use of a broken struct is reported as undefined.
    #[test]
    fn each_broken_definition_gives_one_error(
        breaks in proptest::collection::vec(proptest::option::of(0..BREAKS.len()), 1..24),
        same_line in proptest::collection::vec(any::<bool>(), 24),
    ) {
        let mut text = String::new();
        let mut lines = Vec::new();
        for (i, brk) in breaks.iter().enumerate() {
            // After a `}`, a definition on the same line is found too.
            if i > 0 && same_line[i] && !text.ends_with('\n') {
                text.push(' ');
            } else if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            let body = brk.map_or("1: i32 x", |b| BREAKS[b]);
            text.push_str(&format!("struct S{i} {{ {body} }}"));
            lines.push(text.matches('\n').count() + 1);
        }
        let uses: Vec<String> = (0..breaks.len()).map(|i| format!("{}: S{i} s{i}", i + 1)).collect();
        text.push_str(&format!("\nstruct Uses {{ {} }}\n", uses.join(", ")));
        let broken: Vec<usize> = (0..breaks.len()).filter(|&i| breaks[i].is_some()).collect();
        match thriftc::load_str("fuzz.thrift", &text) {
            Ok(_) => prop_assert!(broken.is_empty(), "loads despite syntax errors:\n{text}"),
            Err(failed) => {
                let sources = &failed.sources;
                let errors: Vec<&thriftc::Diagnostic> =
                    failed.diagnostics.iter().filter(|d| d.is_error()).collect();
                let report = failed.render(false);
                prop_assert_eq!(errors.len(), broken.len(), "{}\n{}", text, report);
                for (d, &i) in errors.iter().zip(&broken) {
                    prop_assert!(!d.message.starts_with("cannot find"), "{}", report);
                    let span = d.labels.iter().find(|l| l.primary).expect("a caret").span;
                    let (line, _) = sources.get(span.file).line_col(span.start as usize);
                    prop_assert_eq!(line, lines[i], "S{} in\n{}\n{}", i, text, report);
                }
            }
        }
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in any::<usize>(),
        edits in proptest::collection::vec(edit(), 1..8),
    ) {
        let texts = fixture_texts();
        let text = &texts[which % texts.len()];
        check(&apply(text, &edits));
    }
}

/// Ways to break a struct's body (each one syntax error, found on the
/// struct's own line).
const BREAKS: &[&str] = &[
    "1 i32 x",
    "1: i32 x,,",
    "1: list<i32 x",
    "1: i32 x = }",
    "1: map<i32 i32> m",
    "1: i32 = 3",
    "1: i32 x (a = ) ",
    "1: i32 true",
    "1: required",
    "{",
    "1: i32 x = \"s\" \"t\"",
    "1: i32 x = [1, 2",
];

/// Characters that generated code must carry safely from doc comments and
/// string constants.
const AWKWARD: &[&str] = &[
    "\r",
    "\n",
    "\t",
    "\0",
    "\u{b}",
    "\u{c}",
    "\u{85}",
    "\u{2028}",
    "\u{202e}",
    "\u{2066}",
    "\u{feff}",
    "\u{1f600}",
    "\u{e9}",
    "\\",
    "\\\"",
    "'",
    "`",
    "```",
    "*",
    "*/",
    "/*",
    "//",
    "#",
    "#[",
    "- ",
    "1. ",
    "<b>",
    "[x]",
    "{",
    "}",
    "$",
    "%s",
    " ",
];

/// A valid fixture with awkward text inserted into its doc comments (new
/// ones before definitions) and string constants: it must still load and
/// generate Rust that parses and is laid out as prettyplease lays it out.
fn decorate(text: &str, picks: &[(usize, usize, usize)]) -> String {
    let mut out = text.to_owned();
    for &(at, what, len) in picks {
        let piece: String = (0..1 + len % 6)
            .map(|i| AWKWARD[(what + i * 7) % AWKWARD.len()])
            .collect();
        // Places: before a top-level definition, or just inside a string.
        let mut places: Vec<(usize, bool)> = Vec::new();
        for kw in [
            "\nstruct ",
            "\nunion ",
            "\nexception ",
            "\nenum ",
            "\nservice ",
            "\nconst ",
            "\ntypedef ",
        ] {
            places.extend(out.match_indices(kw).map(|(i, _)| (i + 1, true)));
        }
        for (i, _) in out.match_indices("= \"") {
            places.push((i + 3, false));
        }
        if places.is_empty() {
            break;
        }
        places.sort_unstable();
        let (pos, doc) = places[at % places.len()];
        let insert = if doc {
            // `*/` would end the comment early: the IDL lexer decides.
            format!("/** {} */\n", piece.replace("*/", "* /"))
        } else {
            // Inside a string constant: no quote or backslash that would end
            // or escape it (those are the lexer's tests).
            piece.replace(['"', '\\'], "q")
        };
        out.insert_str(pos, &insert);
    }
    out
}

/// Inputs a random search rarely builds: deep nesting, huge numbers, long
/// names, unterminated comments and strings.
#[test]
fn pathological_inputs_are_rejected_cleanly() {
    let deep_list = format!("const list<i32> X = {}", "[".repeat(100_000));
    let deep_type = format!(
        "struct S {{ 1: {}i32{} x }}",
        "list<".repeat(20_000),
        ">".repeat(20_000)
    );
    let nested_ok = format!("const list<i32> X = {}{}", "[".repeat(150), "]".repeat(150));
    let long_name = format!("struct {} {{}}", "A".repeat(100_000));
    for text in [
        deep_list.as_str(),
        deep_type.as_str(),
        nested_ok.as_str(),
        long_name.as_str(),
        "/** unterminated doc",
        "const string S = \"unterminated",
        "struct S { 1: i32 x = 0x }",
        "enum E { A = 99999999999999999999999999999 }",
        "\u{FEFF}struct S {}",
        // Found by this fuzzer: a keyword after a multi-byte blank.
        "struct S { 1: i32 \u{FEFF}list }",
        "struct S { 1: i32 é\u{FEFF}list }",
        "",
    ] {
        check(text);
    }
}

/// A file with more syntax errors than are reported: the first 50, the
/// last saying so, and no more.
#[test]
fn syntax_errors_stop_at_the_cap() {
    let text: String = (0..200)
        .map(|i| format!("struct S{i} {{ 1 i32 x }}\n"))
        .collect();
    let failed = thriftc::load_str("many.thrift", &text).expect_err("syntax errors");
    assert_eq!(failed.diagnostics.error_count(), 50);
    let last = failed.diagnostics.iter().last().expect("an error");
    assert!(
        last.notes
            .iter()
            .any(|n| n.contains("stops reading a file after 50")),
        "{last:?}"
    );
    check(&text);
}
