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
    assert_eq!(float_lit(3.14159), "314159.0 / 100000.0");
    assert_eq!(float_lit(-2.718), "-2718.0 / 1000.0");
    assert_eq!(314159.0 / 100000.0, 3.14159);
    assert_eq!(float_lit(0.5), "0.5");
    assert_eq!(float_lit(1.0), "1.0");
}

/// Doubles are written with the fewest digits that read back exactly, in
/// exponent form where that is shorter; each literal survives prettyplease.
#[test]
fn float_literals_are_the_shortest_that_round_trip() {
    use crate::codegen::items::float_lit;
    let cases: &[(f64, &str)] = &[
        (1e-300, "1e-300"),
        (5e-324, "5e-324"),
        (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        (f64::MAX, "1.7976931348623157e308"),
        (f64::MIN, "-1.7976931348623157e308"),
        (1.7e308, "1.7e308"),
        (-1e-9, "-1e-9"),
        (0.1, "0.1"),
        (0.01, "0.01"),
        (0.001, "0.001"),
        (0.0001, "0.0001"),
        (0.00001, "1e-5"),
        (10.0, "10.0"),
        (100.0, "100.0"),
        (1000.0, "1000.0"),
        (1500.0, "1500.0"),
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (9999999999999998.0, "9999999999999998.0"),
        (1e16, "1e16"),
        (6.022e23, "6.022e23"),
        (123456789012345680000.0, "1.2345678901234568e20"),
        (1.2345678901234568e21, "1.2345678901234568e21"),
        (0.30000000000000004, "0.30000000000000004"),
    ];
    for &(value, want) in cases {
        let got = float_lit(value);
        assert_eq!(got, want, "{value:e}");
        let back: f64 = got.parse().unwrap_or_else(|e| panic!("{got}: {e}"));
        assert_eq!(back.to_bits(), value.to_bits(), "{got}");
        let item = format!("const X: f64 = {got};\n");
        assert_eq!(crate::codegen::format::format_items(&item).unwrap(), item);
    }
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
    // Tabs (clippy's tabs_in_doc_comments) are expanded to tab stops of 4.
    assert_eq!(doc_line("a\ttab"), "a   tab");
    assert_eq!(doc_line("abcd\tx\t\ty"), "abcd    x       y");
    // A tab after a list marker still makes a list item.
    assert_eq!(doc_line("-\titem"), "\\-   item");
    assert_eq!(doc_line("1.\tone"), "1\\.  one");
    assert_eq!(doc_line("+"), "\\+");
    // A quote followed by an unmarked line trips doc_lazy_continuation.
    assert_eq!(doc_line("> quoted"), "\\> quoted");
    assert_eq!(doc_line(">> nested"), "\\>> nested");
    assert_eq!(doc_line("> ```"), "\\> ```");
    assert_eq!(doc_line("a > b"), "a > b");
    // Bare fences of either kind are never doctests.
    assert_eq!(doc_line("~~~"), "~~~text");
    assert_eq!(doc_line("~~~~  "), "~~~~text");
    assert_eq!(doc_line("````"), "````text");
    assert_eq!(doc_line("~~~json"), "~~~json");
    // So are blocks labelled as Rust, or with rustdoc's attributes only.
    assert_eq!(doc_line("```rust"), "```text");
    assert_eq!(doc_line("``` no_run"), "```text");
    assert_eq!(doc_line("~~~rust,should_panic"), "~~~text");
    assert_eq!(doc_line("```edition2021"), "```text");
    assert_eq!(doc_line("```rust,json"), "```text");
    assert_eq!(doc_line("```python"), "```python");
    assert_eq!(doc_line("```c++"), "```c++");
    for info in [
        "ignore-windows",
        "{.rust}",
        "rust,{.x}",
        "should_panic E0001",
        "{rust}",
        "E0001",
    ] {
        assert_eq!(doc_line(&format!("```{info}")), "```text", "{info}");
    }
    // HTML would hide fences from our tracking.
    assert_eq!(doc_line("<!--"), "\\<!--");
    assert_eq!(doc_line("<div>"), "\\<div>");
    assert_eq!(doc_line("a <b> c"), "a \\<b> c");
    assert_eq!(doc_line("~~"), "~~");
    // Inline code, not a fence.
    assert_eq!(doc_line("```x``` y"), "```x``` y");
}

#[test]
fn inline_doc_text_is_inert_to_rustdoc() {
    use crate::codegen::items::{doc_line, inline_inert as i};
    // HTML-like tags and comments; comparisons are left alone.
    assert_eq!(i("a List<Foo> of T<U>"), "a List\\<Foo> of T\\<U>");
    assert_eq!(i("</b> <!-- x --> <?x"), "\\</b> \\<!-- x --> \\<?x");
    assert_eq!(i("1 < 2, a <= b, x<3"), "1 < 2, a <= b, x<3");
    // Inline code is untouched, however many backticks delimit it.
    assert_eq!(
        i("`List<Foo>` and ``a`<b>`c``"),
        "`List<Foo>` and ``a`<b>`c``"
    );
    assert_eq!(i("`open <b>"), "`open \\<b>");
    // Brackets that are not inline links.
    assert_eq!(i("map[key] and [optional]"), "map\\[key] and \\[optional]");
    assert_eq!(i("[x][y]"), "\\[x]\\[y]");
    assert_eq!(
        i("see [the docs](https://a.b/c)."),
        "see [the docs](https://a.b/c)."
    );
    assert_eq!(i("[ref]: https://a.b/c"), "[ref]: https://a.b/c");
    // Bare URLs become autolinks, without trailing punctuation.
    assert_eq!(i("see https://a.b/c."), "see <https://a.b/c>.");
    assert_eq!(i("(http://a.b/c_(d))"), "(<http://a.b/c_(d)>)");
    assert_eq!(i("<https://a.b/c> stays"), "<https://a.b/c> stays");
    assert_eq!(i("`https://a.b` stays"), "`https://a.b` stays");
    assert_eq!(i("https:// alone"), "https:// alone");
    assert_eq!(i("ünïcode <é> [ü]"), "ünïcode <é> \\[ü]");
    // Only links to absolute URLs stay links.
    assert_eq!(i("calls x[0](y)"), "calls x\\[0](y)");
    assert_eq!(i("[a](b unclosed"), "\\[a](b unclosed");
    assert_eq!(i("[[a](https://b.c)]"), "\\[[a](https://b.c)]");
    assert_eq!(i("[deprecated]: use foo"), "\\[deprecated]: use foo");
    assert_eq!(
        i("[https://a.b](https://a.b)"),
        "[https://a.b](https://a.b)"
    );
    assert_eq!(i("[see https://a.b/c]"), "\\[see <https://a.b/c>]");
    assert_eq!(i("{https://a.b/c}"), "{<https://a.b/c>}");
    // Backslashes show as written.
    assert_eq!(i(r"a\<b> x"), r"a\\\<b> x");
    // (`\d` is literal to Markdown as it is; `\.` would lose its backslash.)
    assert_eq!(i(r"\d+\.\d+"), r"\d+\\.\d+");
    assert_eq!(i(r"C:\path\"), r"C:\path\\");
    assert_eq!(i(r"`a\b`"), r"`a\b`");
    // A bare URL or autolink at the start of a line, and rules.
    assert_eq!(
        doc_line("https://a.b/c at start"),
        "<https://a.b/c> at start"
    );
    assert_eq!(doc_line("<https://a.b/c>"), "<https://a.b/c>");
    assert_eq!(doc_line("====="), "\\=====");
    assert_eq!(doc_line("- - -"), "\\- - -");
    assert_eq!(doc_line("___"), "\\___");
    assert_eq!(doc_line("< 5 items"), "< 5 items");
}

/// rustdoc itself, with its lints as errors, on docs generated from IDL
/// doc comments that trip each of them when passed through as Markdown.
#[test]
fn generated_docs_pass_rustdoc_lints() {
    let idl_doc = [
        " * Returns a List<Foo> of T<U>, a <b>bold</b> word and an <unclosed tag.",
        " * See https://thrift.apache.org/docs/idl, (https://example.com/a_(b)).",
        " * Index array[0] or map[key]; [optional], [x][y], [`Bar`].",
        " * <div>",
        " * A [real link](https://example.com) and <https://example.com>.",
        " * Code `map<string, list<i32>>` and `[0]` stays as written.",
        " * calls x[0](y), map[key](value description), [a](b unclosed, [[a](b)].",
        " * a [b](c <d>) e, a [b](<d>) e, [https://a.b](https://a.b), [see https://a.b/c].",
        " * Escaped a\\<b> x and a\\[x], a regex \\d+\\.\\d+ and a path C:\\dir\\",
        " * https://a.b/c at the start of a line",
        " * A title",
        " * =====",
        " * [deprecated]: use foo instead",
        " * [1]: see RFC 1234",
        " * ```",
        " * let v: Vec<u8> = x[0];",
        " * ```",
    ]
    .join("\n");
    let docs = doc_of(&idl_doc);
    let dir = std::env::temp_dir().join(format!("thriftc-rustdoc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("lib.rs");
    let body: String = docs.lines().map(|l| format!("///{l}\n")).collect();
    std::fs::write(&src, format!("//! Docs.\n{body}pub struct Doc;\n")).unwrap();
    let rustdoc = std::env::var("RUSTDOC").unwrap_or_else(|_| "rustdoc".to_owned());
    let out = std::process::Command::new(&rustdoc)
        .args([
            "--crate-type",
            "lib",
            "--edition",
            "2021",
            "-D",
            "warnings",
            "-o",
        ])
        .arg(dir.join("doc"))
        .arg(&src)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `{rustdoc}` (it comes with the Rust toolchain): {e}")
        });
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "rustdoc rejects the generated docs:\n{docs}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn doc_of(idl_doc: &str) -> String {
    let text = gen_one(&format!("/**\n{idl_doc}\n */\nstruct Doc {{ 1: i32 x }}\n"));
    text.lines()
        .take_while(|l| !l.starts_with("pub struct Doc"))
        .filter_map(|l| l.strip_prefix("///"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn doc_comments_pass_clippy_and_hold_no_doctest() {
    assert_eq!(doc_of(" * a\ttab"), " a   tab");
    assert_eq!(doc_of(" * > quoted\n * lazy"), " \\> quoted\n lazy");
    assert_eq!(doc_of(" * -\titem\n * next"), " \\-   item\n next");
    // A bare fence becomes a text fence, and its closing fence stays bare
    // (a closing fence with an info string would not close it); the lines
    // inside are not escaped.
    assert_eq!(
        doc_of(" * ~~~\n * - let x = 1;\n * > y\n * ~~~\n * - after"),
        " ~~~text\n - let x = 1;\n > y\n ~~~\n \\- after"
    );
    assert_eq!(
        doc_of(" * ````\n * ```\n * ~~~\n * ````\n * ```"),
        " ````text\n ```\n ~~~\n ````\n ```text"
    );
    assert_eq!(
        doc_of(" * > ```\n * > not rust\n * > ```"),
        " \\> ```\n \\> not rust\n \\> ```"
    );
}

const OPTIONS_IDL: &str = r#"
namespace rs opts
struct Inner { 1: i32 a }
struct Outer {
  1: map<string, i32> counts,
  2: set<string> names,
  3: Inner inner,
  4: optional Inner maybe,
}
"#;

fn gen_opts(options: &Options) -> String {
    let loaded = crate::load_str("opts.thrift", OPTIONS_IDL).unwrap_or_else(|e| panic!("{e}"));
    generate(&loaded.program, options)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|f| f.name == "opts.rs")
        .expect("opts.rs")
        .contents
}

#[test]
fn options_shape_the_output() {
    let o = Options {
        runtime_path: "crate::rt".to_owned(),
        btree_paths: vec!["Outer.counts".to_owned()],
        boxed: vec![".opts.Outer.maybe".to_owned()],
        type_attributes: vec![("Inner".to_owned(), "#[non_exhaustive]".to_owned())],
        field_attributes: vec![("Outer.names".to_owned(), "#[doc(hidden)]".to_owned())],
        ..Options::default()
    };
    let text = gen_opts(&o);
    assert!(text.contains("use crate::rt::__codegen as __rt;"), "{text}");
    assert!(
        text.contains("pub counts: ::std::collections::BTreeMap<String, i32>"),
        "{text}"
    );
    assert!(
        text.contains("pub names: ::std::collections::HashSet<String>"),
        "{text}"
    );
    assert!(text.contains("pub maybe: Option<Box<Inner>>"), "{text}");
    assert!(text.contains("pub inner: Inner,"), "{text}");
    assert!(
        text.contains("#[non_exhaustive]\npub struct Inner"),
        "{text}"
    );
    assert!(text.contains("#[doc(hidden)]\n    pub names"), "{text}");
    // The HashSet blocks Hash, PartialOrd and Ord.
    assert!(
        text.contains("#[derive(Clone, Debug, Default, PartialEq, Eq)]\npub struct Outer"),
        "{text}"
    );

    let all = Options {
        btree_all: true,
        keep_unknown_fields: true,
        ..Options::default()
    };
    let text = gen_opts(&all);
    assert!(
        text.contains("pub names: ::std::collections::BTreeSet<String>"),
        "{text}"
    );
    assert!(
        text.contains("#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub struct Outer"),
        "{text}"
    );
    assert!(
        text.contains("pub unknown_fields: Vec<__rt::UnknownField>"),
        "{text}"
    );

    // Wire order wins over the ordered collections it overlaps.
    let wire = Options {
        btree_all: true,
        wire_order_paths: vec!["Outer.names".to_owned()],
        ..Options::default()
    };
    let text = gen_opts(&wire);
    assert!(text.contains("pub names: __rt::VecSet<String>"), "{text}");
    assert!(
        text.contains("pub counts: ::std::collections::BTreeMap<String, i32>"),
        "{text}"
    );
    let text = gen_opts(&Options {
        wire_order_paths: vec![".".to_owned()],
        ..Options::default()
    });
    assert!(text.contains("pub names: __rt::VecSet<String>"), "{text}");
    assert!(
        text.contains("pub counts: __rt::VecMap<String, i32>"),
        "{text}"
    );
    // VecSet and VecMap derive everything their elements do.
    assert!(
        text.contains("#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub struct Outer"),
        "{text}"
    );
}

#[test]
fn unusable_options_are_errors() {
    let loaded = crate::load_str("opts.thrift", OPTIONS_IDL).unwrap();
    let o = Options {
        type_attributes: vec![("Inner".to_owned(), "#[derive(".to_owned())],
        ..Options::default()
    };
    let err = generate(&loaded.program, &o).unwrap_err();
    assert!(err.to_string().contains("#[derive("), "{err}");
    for attr in [
        "derive(Hash)",
        "#![allow(x)]",
        "#[serde(default)] pub x: i32,",
        "",
    ] {
        let o = Options {
            type_attributes: vec![("Inner".to_owned(), attr.to_owned())],
            ..Options::default()
        };
        let err = generate(&loaded.program, &o).unwrap_err();
        assert!(
            err.to_string().contains("outer attributes"),
            "{attr}: {err}"
        );
    }
    for path in ["(", "a:b", "crate::type", "1abc", "rt<T>", "::", ""] {
        let o = Options {
            runtime_path: path.to_owned(),
            ..Options::default()
        };
        let err = generate(&loaded.program, &o).unwrap_err();
        assert!(err.to_string().contains("runtime path"), "{path}: {err}");
    }
    for path in ["(", "a:b", "1abc", "BuildHasherDefault<X>", "::", ""] {
        let o = Options {
            hasher: Some(path.to_owned()),
            ..Options::default()
        };
        let err = generate(&loaded.program, &o).unwrap_err();
        assert!(err.to_string().contains("hasher"), "{path}: {err}");
    }
    // A path is written in one canonical spelling.
    let o = Options {
        runtime_path: " crate :: rt // a comment".to_owned(),
        ..Options::default()
    };
    let files = generate(&loaded.program, &o).unwrap();
    assert!(
        files[0]
            .contents
            .contains("use crate::rt::__codegen as __rt;\n")
    );
}

#[test]
fn doc_comments_keep_no_code_point_rustc_rejects() {
    let idl = "/** right\u{202e}to\u{2066}left; lone\rreturn */\nstruct Doc { 1: i32 x }\n";
    let loaded = crate::load_str("doc.thrift", idl).unwrap();
    let files = generate(&loaded.program, &Options::default()).unwrap();
    let text = &files[0].contents;
    assert!(!text.contains(['\u{202e}', '\u{2066}', '\r']), "{text:?}");
    assert!(
        text.contains("/// right\\u{202e}to\\u{2066}left; lone\n/// return\n"),
        "{text}"
    );
}

#[test]
fn same_stem_files_get_distinct_modules() {
    let mut fs = crate::MemoryFs::new();
    fs.insert("a/shared.thrift", "struct A { 1: i32 x }");
    fs.insert("b/shared.thrift", "struct B { 1: i32 y }");
    fs.insert(
        "main.thrift",
        "include \"a/shared.thrift\"\ninclude \"b/shared.thrift\"\nstruct M { 1: shared.A a }",
    );
    let loaded =
        crate::load_with(&fs, &["main.thrift".into()], &[]).unwrap_or_else(|e| panic!("{e}"));
    let files = generate(&loaded.program, &Options::default()).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["shared.rs", "shared2.rs", "main.rs", "mod.rs"]);
    let main = &files[2].contents;
    assert!(main.contains("pub a: super::shared::A"), "{main}");
    assert!(files[3].contents.contains("pub mod shared2;"));
}

/// Files in memory where `link.thrift` is a second name of `real.thrift`.
struct LinkFs(crate::MemoryFs);

impl LinkFs {
    fn target(path: &std::path::Path) -> &std::path::Path {
        if path == std::path::Path::new("link.thrift") {
            std::path::Path::new("real.thrift")
        } else {
            path
        }
    }
}

impl crate::FileSystem for LinkFs {
    fn read(&self, path: &std::path::Path) -> std::io::Result<String> {
        self.0.read(Self::target(path))
    }
    fn is_file(&self, path: &std::path::Path) -> bool {
        self.0.is_file(Self::target(path))
    }
    fn canonicalize(&self, path: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
        self.0.canonicalize(Self::target(path))
    }
}

/// A file included under two names is one module, which both including
/// files' code names, whichever is named first.
#[test]
fn a_file_included_under_two_names_is_one_module() {
    let mut files = crate::MemoryFs::new();
    files
        .insert("real.thrift", "struct R { 1: i32 x }")
        .insert(
            "a.thrift",
            "include \"link.thrift\"\nstruct A { 1: link.R r }",
        )
        .insert(
            "b.thrift",
            "include \"real.thrift\"\nstruct B { 1: real.R r }",
        );
    let fs = LinkFs(files);
    for roots in [["a.thrift", "b.thrift"], ["b.thrift", "a.thrift"]] {
        let roots: Vec<std::path::PathBuf> = roots.iter().map(Into::into).collect();
        let loaded = crate::load_with(&fs, &roots, &[]).unwrap_or_else(|e| panic!("{e}"));
        let files = generate(&loaded.program, &Options::default()).unwrap();
        let mut names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["a.rs", "b.rs", "mod.rs", "real.rs"], "{roots:?}");
        for (file, field) in [
            ("a.rs", "pub r: super::real::R"),
            ("b.rs", "pub r: super::real::R"),
        ] {
            let text = &files.iter().find(|f| f.name == file).unwrap().contents;
            assert!(text.contains(field), "{roots:?} {file}: {text}");
        }
    }
}

/// The deepest type the parser accepts generates code, next to a second
/// item (so formatting runs on worker threads) and in an unoptimized build,
/// as in a build script; one level more is a diagnostic, not a crash.
#[test]
fn deepest_accepted_type_generates() {
    // `list<` levels around `i32`: the leaf is one more level.
    let deep = |levels: usize| format!("{}i32{}", "list<".repeat(levels), ">".repeat(levels));
    let idl = format!(
        "struct Deep {{ 1: {} items }}\nstruct Other {{ 1: i32 a }}\n",
        deep(63)
    );
    let text = gen_one(&idl);
    assert!(text.contains("pub struct Deep"), "{text}");
    assert!(text.contains("pub struct Other"), "{text}");
    let ty = format!("{}i32{}", "Vec<".repeat(63), ">".repeat(63));
    // prettyplease breaks the long type over lines, with trailing commas.
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect();
    assert!(compact.contains(&ty), "{text}");

    let too_deep = format!("struct Deep {{ 1: {} items }}\n", deep(64));
    let Err(failed) = crate::load_str("test.thrift", &too_deep) else {
        panic!("a type nested 65 levels deep is rejected");
    };
    let text = failed.to_string();
    assert!(
        text.contains("nesting too deep (more than 64 levels)"),
        "{text}"
    );
}

#[test]
fn small_strings_pick_compact_string() {
    let idl = r#"
namespace rs small
typedef string Name
const string GREETING = "hi"
struct S {
  1: string name = "n",
  2: binary data,
  3: map<string, list<string>> nested,
  4: string kept,
  5: Name alias,
  6: string both,
}
"#;
    let loaded = crate::load_str("small.thrift", idl).unwrap_or_else(|e| panic!("{e}"));
    let o = Options {
        small_strings: vec![
            "S.name".to_owned(),
            "S.data".to_owned(),
            "S.nested".to_owned(),
            "S.both".to_owned(),
            "GREETING".to_owned(),
        ],
        bytes_paths: vec!["S.both".to_owned()],
        ..Options::default()
    };
    let text = generate(&loaded.program, &o)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|f| f.name == "small.rs")
        .expect("small.rs")
        .contents;
    assert!(text.contains("pub name: __rt::CompactString,"), "{text}");
    // `binary` stays a vector; containers of strings follow.
    assert!(text.contains("pub data: Vec<u8>,"), "{text}");
    assert!(
        text.contains(
            "pub nested: ::std::collections::HashMap<\n        __rt::CompactString,\n        Vec<__rt::CompactString>,\n    >,"
        ),
        "{text}"
    );
    // Outside the paths: `String`; a typedef follows its own path;
    // `bytes_paths` wins where both match.
    assert!(text.contains("pub kept: String,"), "{text}");
    assert!(text.contains("pub type Name = String;"), "{text}");
    assert!(text.contains("pub both: __rt::ByteString,"), "{text}");
    assert!(
        text.contains("pub const GREETING: &str = \"hi\";"),
        "{text}"
    );
    // Defaults are built without allocating; all traits are kept.
    assert!(
        text.contains("__rt::CompactString::const_new(\"n\")"),
        "{text}"
    );
    assert!(
        text.contains("#[derive(Clone, Debug, PartialEq, Eq)]\npub struct S"),
        "{text}"
    );
}

#[test]
fn bytes_paths_pick_shared_string_and_binary() {
    let idl = r#"
namespace rs shared
typedef binary Blob
const string GREETING = "hi"
const list<binary> BLOBS = ["ab"]
struct S {
  1: string name = "n",
  2: binary data,
  3: map<string, list<binary>> nested,
  4: string kept,
  5: Blob blob,
}
"#;
    let loaded = crate::load_str("shared.thrift", idl).unwrap_or_else(|e| panic!("{e}"));
    let o = Options {
        bytes_paths: vec![
            "S.name".to_owned(),
            "S.data".to_owned(),
            "S.nested".to_owned(),
            "BLOBS".to_owned(),
        ],
        ..Options::default()
    };
    let text = generate(&loaded.program, &o)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|f| f.name == "shared.rs")
        .expect("shared.rs")
        .contents;
    assert!(text.contains("pub name: __rt::ByteString,"), "{text}");
    assert!(text.contains("pub data: __rt::Bytes,"), "{text}");
    assert!(
        text.contains(
            "pub nested: ::std::collections::HashMap<__rt::ByteString, Vec<__rt::Bytes>>"
        ),
        "{text}"
    );
    // Outside the paths: the owned types; a typedef follows its own path.
    assert!(text.contains("pub kept: String,"), "{text}");
    assert!(text.contains("pub type Blob = Vec<u8>;"), "{text}");
    assert!(
        text.contains("pub const GREETING: &str = \"hi\";"),
        "{text}"
    );
    // Values are built without allocating.
    assert!(
        text.contains("__rt::ByteString::from_static(\"n\")"),
        "{text}"
    );
    assert!(text.contains("__rt::Bytes::from_static(b\"ab\")"), "{text}");
    // The shared types have every trait the owned ones have.
    assert!(
        text.contains("#[derive(Clone, Debug, PartialEq, Eq)]\npub struct S"),
        "{text}"
    );
}

/// The warnings of generating `program` with `o`, one line each:
/// `[lint] file:line:col: message | note: ...` (the place when it has
/// one, then each note).
fn warning_lines(program: &crate::ir::Program, o: &Options) -> Vec<String> {
    super::warnings(program, o)
        .iter()
        .map(|d| {
            assert_eq!(d.severity, crate::Severity::Warning, "{d}");
            let lint = d.lint.unwrap_or_else(|| panic!("no lint: {d}"));
            let place = d
                .labels
                .iter()
                .find(|l| l.primary)
                .map(|l| {
                    let f = program.sources.get(l.span.file);
                    let (line, col) = f.line_col(l.span.start as usize);
                    format!("{}:{line}:{col}: ", f.display)
                })
                .unwrap_or_default();
            let notes: String = d.notes.iter().map(|n| format!(" | {n}")).collect();
            format!("[{lint}] {place}{}{notes}", d.message)
        })
        .collect()
}

/// The items generated for a service (client, processor, argument
/// structs, error enums, the async and view flavours) that get a number
/// because a definition of the IDL has their name are warnings at the
/// service or function; so is an enum value named like the generated
/// `VALUES`. In the order of the IDL.
#[test]
fn generated_service_items_that_get_a_number_are_warned_about() {
    let idl = "struct CalcClient { 1: i32 id }\n\
               struct CalcPingArgs { 1: i32 x }\n\
               struct CalcPingError { 1: i32 x }\n\
               struct CalcAsyncClient { 1: i32 x }\n\
               struct CalcViewProcessor { 1: i32 x }\n\
               service Calc { void ping(1: string s) }\n\
               enum E { VALUES = 1 }\n";
    let loaded = crate::load_str("g.thrift", idl).unwrap();
    let o = Options {
        async_services: true,
        views: vec![".".to_owned()],
        ..Options::default()
    };
    let taken = " | note: another item of the module has that name: a definition of the IDL, or an \
                 item generated for one (rename the definition in the IDL to choose)";
    assert_eq!(
        warning_lines(&loaded.program, &o),
        [
            format!(
                "[renamed] g.thrift:6:9: the client of `g.Calc` is `CalcClient2` in Rust, not `CalcClient`{taken}"
            ),
            format!(
                "[renamed] g.thrift:6:9: the view processor of `g.Calc` is `CalcViewProcessor2` in Rust, not `CalcViewProcessor`{taken}"
            ),
            format!(
                "[renamed] g.thrift:6:9: the async client of `g.Calc` is `CalcAsyncClient2` in Rust, not `CalcAsyncClient`{taken}"
            ),
            format!(
                "[renamed] g.thrift:6:21: the argument struct of `g.Calc.ping` is `CalcPingArgs2` in Rust, not `CalcPingArgs`{taken}"
            ),
            format!(
                "[renamed] g.thrift:6:21: the error enum of `g.Calc.ping` is `CalcPingError2` in Rust, not `CalcPingError`{taken}"
            ),
            "[renamed] g.thrift:7:10: `g.E.VALUES` is `VALUES2` in Rust, not `VALUES` | note: the \
             generated constant listing every value of the enum is named `VALUES`"
                .to_owned(),
        ]
    );
    // The warnings name what the code has.
    let text = &generate(&loaded.program, &o).unwrap()[0].contents;
    for item in [
        "pub struct CalcClient2<C>",
        "pub struct CalcViewProcessor2<",
        "pub struct CalcAsyncClient2",
        "pub struct CalcPingArgs2",
        "pub enum CalcPingError2",
        "pub const VALUES2: E",
    ] {
        assert!(text.contains(item), "no `{item}`:\n{text}");
    }
}

#[test]
fn option_warnings_name_types_that_get_no_view_and_paths_that_match_nothing() {
    let idl = "struct Tagged { 1: list<string> tags = [\"x\"] }\n\
               struct Named { 1: string name = \"n\", 2: list<string> more = [] }\n";
    let loaded = crate::load_str("w.thrift", idl).unwrap();
    let o = Options {
        views: vec![".".to_owned(), "Nothing".to_owned()],
        ..Options::default()
    };
    let got = warning_lines(&loaded.program, &o);
    assert_eq!(
        got,
        [
            "[unused-option] option `views`: the path `Nothing` matches nothing in the IDL",
            "[unused-option] w.thrift:1:33: option `views`: `w.Tagged` gets no view: its field \
             `tags` has a default a view cannot hold without owning it",
        ]
    );
    // `Named` gets its view: string literals and empty containers are fine.
    let files = generate(&loaded.program, &o).unwrap();
    assert!(files[0].contents.contains("pub struct NamedRef<'a>"));
    assert!(!files[0].contents.contains("TaggedRef"));
    assert!(warning_lines(&loaded.program, &Options::default()).is_empty());
}

/// A name that gets a number because an earlier one of its scope took its
/// Rust name is a warning at the later one, for every kind of scope; one
/// that only changes case, or becomes a raw identifier, is not.
#[test]
fn names_that_get_a_number_are_warned_about_where_they_stand() {
    let idl = "exception E { 1: string m }\n\
               struct S { 1: i32 fooBar, 2: i32 foo_bar, 3: string type }\n\
               struct foo_thing {}\n\
               struct FooThing {}\n\
               enum Color { RED = 1, red = 2 }\n\
               service Svc {\n\
               \x20 void getIt(),\n\
               \x20 void get_it(1: i32 aB, 2: i32 a_b) throws (1: E rpc, 2: E other),\n\
               }\n";
    let loaded = crate::load_str("n.thrift", idl).unwrap();
    let got = warning_lines(&loaded.program, &Options::default());
    let taken = " | note: an earlier name beside it has it (rename one in the IDL to choose)";
    let generated = " | note: another item of the module has that name: a definition of the \
                     IDL, or an item generated for one (rename the definition in the IDL to \
                     choose)";
    assert_eq!(
        got,
        [
            format!(
                "[renamed] n.thrift:2:34: `n.S.foo_bar` is `foo_bar2` in Rust, not `foo_bar`{taken}"
            ),
            format!(
                "[renamed] n.thrift:4:8: `n.FooThing` is `FooThing2` in Rust, not `FooThing`{taken}"
            ),
            format!("[renamed] n.thrift:5:23: `n.Color.red` is `RED2` in Rust, not `RED`{taken}"),
            format!(
                "[renamed] n.thrift:8:8: `n.Svc.get_it` is `get_it2` in Rust, not `get_it`{taken}"
            ),
            // The argument and result structs are named after the IDL
            // name: `getIt` took them.
            format!(
                "[renamed] n.thrift:8:8: the argument struct of `n.Svc.get_it` is `SvcGetItArgs2` \
                 in Rust, not `SvcGetItArgs`{generated}"
            ),
            format!(
                "[renamed] n.thrift:8:8: the result struct of `n.Svc.get_it` is \
                 `SvcGetItResult2` in Rust, not `SvcGetItResult`{generated}"
            ),
            format!(
                "[renamed] n.thrift:8:33: `n.Svc.get_it.a_b` is `a_b2` in Rust, not `a_b`{taken}"
            ),
            "[renamed] n.thrift:8:51: the error variant of `n.Svc.get_it.rpc` is `Rpc2` in Rust, \
             not `Rpc` | note: the error enum has a variant of that name of its own (rename the \
             field in the IDL to change it)"
                .to_owned(),
        ]
    );
    // A field named like what the generator adds takes the name.
    let idl = "union U2 { 1: i32 unknown }\nstruct K { 1: i32 unknown_fields }\n";
    let keep = Options {
        keep_unknown_fields: true,
        ..Options::default()
    };
    let other = crate::load_str("u.thrift", idl).unwrap();
    assert_eq!(
        warning_lines(&other.program, &keep),
        [
            "[renamed] u.thrift:1:7: the variant for unknown fields of `u.U2` is `Unknown2`, not \
             `Unknown` | note: a field of it is named `Unknown`",
            "[renamed] u.thrift:2:8: the field that keeps unknown fields of `u.K` is \
             `unknown_fields2`, not `unknown_fields` | note: a field of it is named \
             `unknown_fields`",
        ]
    );
    // The warnings name what the code has.
    let files = generate(&loaded.program, &Options::default()).unwrap();
    for item in [
        "pub struct FooThing2",
        "pub foo_bar2: i32",
        "pub const RED2: Color",
        "Rpc2(E)",
    ] {
        assert!(files[0].contents.contains(item), "{item}");
    }
}

/// An exception's `Display` shows its message field: the one its
/// `message` annotation names, else one named `message` (through a
/// typedef too); an optional one that is not set, or none, shows every
/// field. An annotation naming no `string` field is a warning.
#[test]
fn exception_display_shows_the_message_field() {
    let idl = "exception A { 1: string message, 2: i32 code }\n\
               exception B { 1: i32 code, 2: optional string why } (message = \"why\")\n\
               exception C { 1: i32 code } (message = \"nope\")\n\
               typedef string Text\n\
               exception D { 1: Text message }\n\
               exception E { 1: i32 message }\n";
    let loaded = crate::load_str("x.thrift", idl).unwrap();
    let o = Options::default();
    let text = &generate(&loaded.program, &o).unwrap()[0].contents;
    let display = |name: &str| {
        let head = format!("impl ::std::fmt::Display for {name} {{");
        let at = text
            .find(&head)
            .unwrap_or_else(|| panic!("no Display for {name}"));
        let body = &text[at..];
        body[..body.find("\n}\n").unwrap()].to_owned()
    };
    assert!(display("A").contains("write!(f, \"A: {}\", self.message)"));
    let b = display("B");
    assert!(b.contains("match &self.why {"), "{b}");
    assert!(b.contains("Some(m) => write!(f, \"B: {m}\"),"), "{b}");
    assert!(
        b.contains("None => ::std::fmt::Debug::fmt(self, f),"),
        "{b}"
    );
    assert!(display("C_").contains("::std::fmt::Debug::fmt(self, f)"));
    assert!(display("D").contains("write!(f, \"D: {}\", self.message)"));
    // `message` that is not a string: every field.
    assert!(display("E").contains("::std::fmt::Debug::fmt(self, f)"));
    assert_eq!(
        warning_lines(&loaded.program, &o),
        [
            "[bad-annotation] x.thrift:3:30: the annotation `message` of exception `C` names \
             `nope`, which is not a `string` field of it | note: the exception's `Display` shows \
             every field"
        ]
    );
}

/// A field with no requiredness keyword and no IDL default whose type has
/// no `Default` is an `Option` (a peer may leave it out); as few as
/// possible: a struct that gets its `Default` that way is held plainly.
#[test]
fn fields_without_a_default_value_are_options_as_few_as_possible() {
    let idl = "union U { 1: i32 a, 2: string b }\n\
               struct Thing { 1: U u, 2: optional U o }\n\
               struct Given { 1: required U r }\n\
               struct HoldsThing { 1: Thing t }\n\
               struct Strict { 1: required U u }\n\
               struct HoldsStrict { 1: Strict s }\n\
               struct HoldsHolder { 1: HoldsStrict h }\n\
               struct Node { 1: Node next, 2: required U u }\n";
    let loaded = crate::load_str("d.thrift", idl).unwrap();
    let text = &generate(&loaded.program, &Options::default()).unwrap()[0].contents;
    for want in [
        // Default requiredness, no default value: an option.
        "pub u: Option<U>,",
        "pub o: Option<U>,",
        "pub r: U,",
        // `Thing` lacks a `Default` only for `u`, which is an option now.
        "pub t: Thing,",
        // `Strict` needs `u` given: `s` is an option, so `HoldsStrict`
        // has a `Default` and `h` is held plainly.
        "pub s: Option<Strict>,",
        "pub h: HoldsStrict,",
        "pub next: Option<Box<Node>>,",
    ] {
        assert!(text.contains(want), "no `{want}` in:\n{text}");
    }
}

const VIEW_SERVICES_IDL: &str = r#"
struct Part { 1: string name }
struct Payload { 1: string title, 2: i32 n, 3: list<Part> parts }
struct Other { 1: string text }
service Base { string hello(1: string name) }
service Child extends Base {
  Payload echo(1: Payload p),
  i32 size(1: string s),
  void plain(1: i32 n),
  void tagged(1: list<string> tags = ["x"]),
}
service Untouched { Other other(1: Other o) }
service Middle extends Base {}
service Grandchild extends Middle { string grand(1: string s) }
service Lone {}
"#;

/// The module generated from [`VIEW_SERVICES_IDL`] (as `vs.thrift`) with
/// these `views` paths, and the option warnings.
fn view_services(paths: &[&str]) -> (String, Vec<String>) {
    let loaded = crate::load_str("vs.thrift", VIEW_SERVICES_IDL).unwrap();
    let o = Options {
        views: paths.iter().map(|p| p.to_string()).collect(),
        ..Options::default()
    };
    let files = generate(&loaded.program, &o).unwrap();
    let text = files
        .into_iter()
        .find(|f| f.name == "vs.rs")
        .unwrap()
        .contents;
    (text, warning_lines(&loaded.program, &o))
}

/// The text of the item starting with `head` (up to its closing brace).
fn trait_text<'t>(text: &'t str, head: &str) -> &'t str {
    let start = text
        .find(head)
        .unwrap_or_else(|| panic!("no {head}:\n{text}"));
    let len = text[start..].find("\n}\n").expect("the item ends");
    &text[start..start + len]
}

#[test]
fn a_function_path_selects_that_function_and_its_argument_types() {
    let (text, warnings) = view_services(&["vs.Child.echo"]);
    assert!(warnings.is_empty(), "{warnings:?}");
    // The argument's struct types, at any depth, get views as if selected;
    // others do not.
    assert!(text.contains("pub struct PayloadRef<'a>"), "{text}");
    assert!(text.contains("pub struct PartRef<'a>"), "{text}");
    assert!(text.contains("pub parts: Vec<PartRef<'a>>,"), "{text}");
    assert!(!text.contains("OtherRef"), "{text}");
    assert!(text.contains("pub struct ChildEchoArgsRef<'a>"), "{text}");
    assert!(!text.contains("ChildSizeArgsRef"), "{text}");
    // Only `Child` gets a view flavour; its parent has none, so the trait
    // extends the parent's owned trait and falls through to its processor.
    assert!(
        text.contains("pub trait ChildViewHandler: BaseHandler {"),
        "{text}"
    );
    assert!(!text.contains("BaseViewHandler"), "{text}");
    assert!(!text.contains("UntouchedViewHandler"), "{text}");
    assert!(
        text.contains("_ => BaseProcessor::<H>::dispatch(handler, header, input, output),"),
        "{text}"
    );
    // The selected method takes views and may return one; the others keep
    // the owned handler's signature.
    assert!(
        text.contains(
            "fn echo<'a>(\n        &self,\n        p: PayloadRef<'a>,\n    ) -> Result<__rt::CowView<Payload, PayloadRef<'a>>, ChildEchoError>;"
        ),
        "{text}"
    );
    let view_trait = trait_text(&text, "pub trait ChildViewHandler");
    assert!(
        view_trait.contains("    fn size(&self, s: String) -> Result<i32, ChildSizeError>;"),
        "{view_trait}"
    );
    assert!(
        text.contains("__rt::serve_view_call::<\n                        ChildEchoArgsRef<'_>,"),
        "{text}"
    );
}

#[test]
fn a_service_path_selects_every_function_of_the_service() {
    let (text, warnings) = view_services(&["vs.Child"]);
    // Lifetimes are elided where the return type does not borrow.
    let view_trait = trait_text(&text, "pub trait ChildViewHandler");
    assert!(
        view_trait.contains("    fn size(&self, s: &str) -> Result<i32, ChildSizeError>;"),
        "{view_trait}"
    );
    // Arguments that do not borrow: no view, the owned signature.
    assert!(!text.contains("ChildPlainArgsRef"), "{text}");
    assert!(
        view_trait.contains("    fn plain(&self, n: i32) -> Result<(), ChildPlainError>;"),
        "{view_trait}"
    );
    // An argument default a view cannot hold: no view, and a warning.
    assert!(!text.contains("ChildTaggedArgsRef"), "{text}");
    assert_eq!(
        warnings,
        [
            "[unused-option] vs.thrift:10:31: option `views`: the arguments of `vs.Child.tagged` \
             get no view: its argument `tags` has a default a view cannot hold without owning it"
        ]
    );
    assert!(
        text.contains("pub trait ChildViewHandler: BaseHandler {"),
        "{text}"
    );
    // A type selected by nothing keeps no view.
    assert!(!text.contains("OtherRef"), "{text}");
}

#[test]
fn with_every_service_selected_a_child_extends_its_parents_view_flavour() {
    let (text, _) = view_services(&["."]);
    assert!(
        text.contains("pub trait ChildViewHandler: BaseViewHandler {"),
        "{text}"
    );
    assert!(
        text.contains("_ => BaseViewProcessor::<H>::dispatch(handler, header, input, output),"),
        "{text}"
    );
    assert!(text.contains("pub trait UntouchedViewHandler"), "{text}");
    assert!(text.contains("pub struct OtherRef<'a>"), "{text}");
}

#[test]
fn type_paths_and_client_only_output_get_no_view_flavour() {
    let (text, _) = view_services(&["Payload"]);
    assert!(text.contains("pub struct PayloadRef<'a>"), "{text}");
    assert!(!text.contains("ArgsRef"), "{text}");
    assert!(!text.contains("ViewHandler"), "{text}");
    assert!(!text.contains("ViewProcessor"), "{text}");

    let loaded = crate::load_str("vs.thrift", VIEW_SERVICES_IDL).unwrap();
    let o = Options {
        views: vec![".".to_owned()],
        gen_server: false,
        ..Options::default()
    };
    let files = generate(&loaded.program, &o).unwrap();
    let text = &files.iter().find(|f| f.name == "vs.rs").unwrap().contents;
    assert!(text.contains("pub struct PayloadRef<'a>"), "{text}");
    assert!(!text.contains("ArgsRef"), "{text}");
    assert!(!text.contains("ViewHandler"), "{text}");
}

/// The body of `processor`'s `dispatch` (the lines between its `{` and
/// `}`, as indented in the `impl`).
fn dispatch_body<'t>(text: &'t str, processor: &str) -> &'t str {
    let head = format!("impl<H: {}", processor.replace("Processor", "Handler"));
    let imp = text
        .match_indices(&head)
        .map(|(i, _)| trait_text(&text[i..], &head))
        .find(|t| t.contains(&format!("+ ?Sized> {processor}<H> {{")) && t.contains("fn dispatch"))
        .unwrap_or_else(|| panic!("no dispatch of {processor}:\n{text}"));
    let start = imp.find("fn dispatch").unwrap();
    let open = start + imp[start..].find("\n    {\n").expect("the body opens") + 7;
    let len = imp[open..].find("\n    }").expect("the body closes");
    &imp[open..open + len]
}

#[test]
fn a_service_without_methods_dispatches_without_a_match() {
    // Owned flavour: a single-arm `match` would trip
    // `clippy::match_single_binding`.
    let (text, _) = view_services(&[]);
    assert_eq!(
        dispatch_body(&text, "MiddleProcessor"),
        "        BaseProcessor::<H>::dispatch(handler, header, input, output)"
    );
    assert_eq!(
        dispatch_body(&text, "LoneProcessor"),
        "        let _ = (handler, header, input, output);\n        None"
    );
    assert!(
        dispatch_body(&text, "GrandchildProcessor")
            .contains("match header.name.as_str() {\n            \"grand\" =>"),
        "{text}"
    );
    assert!(
        text.contains("_ => MiddleProcessor::<H>::dispatch(handler, header, input, output),"),
        "{text}"
    );
    // The view flavour the same.
    let (text, _) = view_services(&["."]);
    assert_eq!(
        dispatch_body(&text, "MiddleViewProcessor"),
        "        BaseViewProcessor::<H>::dispatch(handler, header, input, output)"
    );
    assert!(!text.contains("LoneViewHandler"), "{text}");
}

#[test]
fn a_service_gets_a_view_flavour_when_a_function_it_inherits_is_selected() {
    // Every service: `Middle` has no methods, yet a view flavour, so that
    // `Base`'s methods are served with views through `Grandchild`.
    let (text, _) = view_services(&["."]);
    assert!(
        text.contains("pub trait MiddleViewHandler: BaseViewHandler {}"),
        "{text}"
    );
    assert!(
        text.contains("pub trait GrandchildViewHandler: MiddleViewHandler {"),
        "{text}"
    );
    assert!(
        text.contains("_ => MiddleViewProcessor::<H>::dispatch(handler, header, input, output),"),
        "{text}"
    );

    // Only an inherited function: every service below `Base` gets a view
    // flavour; their own unselected methods keep the owned signature.
    let (text, _) = view_services(&["vs.Base.hello"]);
    for head in [
        "pub trait BaseViewHandler: Send + Sync {",
        "pub trait ChildViewHandler: BaseViewHandler {",
        "pub trait MiddleViewHandler: BaseViewHandler {}",
        "pub trait GrandchildViewHandler: MiddleViewHandler {",
    ] {
        assert!(text.contains(head), "{head}:\n{text}");
    }
    let grand = trait_text(&text, "pub trait GrandchildViewHandler");
    assert!(
        grand.contains("    fn grand(&self, s: String) -> Result<String, GrandchildGrandError>;"),
        "{grand}"
    );
    let base = trait_text(&text, "pub trait BaseViewHandler");
    assert!(base.contains("name: &'a str,"), "{base}");
    assert!(!text.contains("UntouchedViewHandler"), "{text}");
    assert!(!text.contains("LoneViewHandler"), "{text}");

    // Only a function below: the services above keep no view flavour.
    let (text, _) = view_services(&["vs.Grandchild"]);
    assert!(
        text.contains("pub trait GrandchildViewHandler: MiddleHandler {"),
        "{text}"
    );
    assert!(
        text.contains("_ => MiddleProcessor::<H>::dispatch(handler, header, input, output),"),
        "{text}"
    );
    assert!(!text.contains("MiddleViewHandler"), "{text}");
    assert!(!text.contains("BaseViewHandler"), "{text}");
    assert!(!text.contains("ChildViewHandler"), "{text}");
}

/// `struct A` reaches `B` (and through it `C`) both directly and through 40
/// typedefs; `B` holds `C` through 30. The structs a selected function's
/// arguments hold get views whichever route reaches them first.
#[test]
fn argument_structs_get_views_whatever_the_route_to_them() {
    let mut idl = String::from("namespace rs m\nstruct C { 1: string s }\ntypedef C Tc0\n");
    for i in 1..30 {
        idl.push_str(&format!("typedef Tc{} Tc{i}\n", i - 1));
    }
    idl.push_str("struct B { 1: Tc29 c, 2: string s }\ntypedef B Tb0\n");
    for i in 1..40 {
        idl.push_str(&format!("typedef Tb{} Tb{i}\n", i - 1));
    }
    for fields in ["1: Tb39 far, 2: B near", "1: B near, 2: Tb39 far"] {
        let text = format!("{idl}struct A {{ {fields} }}\nservice Svc {{ void f(1: A a) }}\n");
        let loaded = crate::load_str("m.thrift", &text).unwrap_or_else(|e| panic!("{e}"));
        let o = Options {
            views: vec!["m.Svc.f".to_owned()],
            ..Options::default()
        };
        let out = generate(&loaded.program, &o).unwrap();
        let m = &out.iter().find(|f| f.name == "m.rs").unwrap().contents;
        for view in [
            "pub struct ARef<'a>",
            "pub struct BRef<'a>",
            "pub struct CRef<'a>",
        ] {
            assert!(m.contains(view), "{fields}: no {view}");
        }
    }
}

#[test]
fn names_colliding_after_a_rename_stay_upper_camel_case() {
    // `C` and `C_` both become `C_`: the second is `C2`, not `C_2`.
    let text = gen_one("struct C {}\nstruct C_ {}\nstruct S1 {}\nstruct S1_ {}\n");
    assert!(text.contains("pub struct C_ {"), "{text}");
    assert!(text.contains("pub struct C2 {"), "{text}");
    assert!(!text.contains("C_2"), "{text}");
}

#[test]
fn types_named_like_generic_parameters_are_renamed() {
    let text = gen_one(
        r#"
struct C { 1: i32 x }
service S { C f(1: C c) }
struct P { 1: string s }
enum H { A = 1, B = 2 }
struct I { 1: i32 x }
struct O { 1: i32 x }
struct K { 1: P p = {"s": "z"}, 2: H e = H.B, 3: I i, 4: O o }
"#,
    );
    for name in ["C", "P", "H", "I", "O"] {
        assert!(
            !text.contains(&format!("pub struct {name} "))
                && !text.contains(&format!("pub struct {name}(")),
            "type {name} kept a generic parameter's name:\n{text}"
        );
    }
    assert!(text.contains("pub struct C_ {"), "{text}");
    assert!(text.contains("pub struct H_(pub i32);"), "{text}");
    assert!(
        text.contains("pub fn f(&mut self, c: C_) -> Result<C_, SfError> {"),
        "{text}"
    );
    assert!(text.contains("p: P_ { s: String::from(\"z\") },"), "{text}");
    assert!(text.contains("e: H_::B,"), "{text}");
}

#[test]
fn an_exception_named_success_leaves_room_for_the_result() {
    let text = gen_one(
        r#"
exception X { 1: string m }
service S { i32 f() throws (1: X success) }
service T { i32 g() throws (1: X success, 2: X success_, 3: X Success2) }
"#,
    );
    assert!(
        text.contains(
            "pub struct SfResult {\n    pub success_: Option<i32>,\n    pub success: Option<X>,\n}"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "pub struct TgResult {\n    pub success_: Option<i32>,\n    pub success: Option<X>,\n    \
             pub success2: Option<X>,\n    pub success2_2: Option<X>,\n}"
        ),
        "{text}"
    );
}

#[test]
fn underscore_digit_names_give_clean_locals_and_parameters() {
    let text = gen_one(
        r#"
struct S { 1: i32 _1, 2: required string _2, 3: i32 f_1 }
service V { void f(1: i32 _1, 2: i32 arg_1, 3: string _3, 4: i32 p) }
"#,
    );
    // Decode locals: `f_1`, never `f__1` (not snake case).
    assert!(!text.contains("f__"), "{text}");
    assert!(text.contains("let mut f_1 = None;"), "{text}");
    assert!(text.contains("let mut f_f_1 = None;"), "{text}");
    assert!(text.contains("_1: f_1.unwrap_or_default(),"), "{text}");
    assert!(text.contains("f_1: f_f_1.unwrap_or_default(),"), "{text}");
    assert!(text.contains("_2: f_2\n"), "{text}");
    // Parameters: `_1` (clippy's just_underscores_and_digits) becomes
    // `arg_1`, numbered past an argument of that name.
    assert!(
        text.contains(
            "fn f(&self, arg_1_2: i32, arg_1: i32, arg_3: String, p: i32) -> Result<(), VfError>;"
        ),
        "{text}"
    );
    assert!(
        text.contains("let __args = VfArgs {\n            _1: arg_1_2,\n            arg_1,\n            _3: arg_3,\n            p,\n        };"),
        "{text}"
    );
}

#[test]
fn legal_field_names_have_at_most_one_leading_underscore() {
    // `structs::local` relies on it to keep decode locals distinct.
    use crate::codegen::names::field_name;
    for (thrift, rust) in [
        ("_1", "_1"),
        ("__1", "_1"),
        ("_x", "x"),
        ("__x__", "x"),
        ("_", "unnamed"),
    ] {
        assert_eq!(field_name(thrift).as_str(), rust);
    }
}

#[test]
fn left_out_fields_take_the_struct_default_without_expanding_it() {
    // Each level's default holds two of the next: written out in full, the
    // output doubled per level.
    let mut idl = String::new();
    for i in 0..18 {
        idl.push_str(&format!(
            "struct S{i} {{ 1: optional S{n} a = {{}}, 2: optional S{n} b = {{\"a\": {{}}}} }}\n",
            n = i + 1
        ));
    }
    idl.push_str("struct S18 { 1: i32 x, 2: optional S18 a }\n");
    let text = gen_one(&idl);
    assert!(text.len() < 100_000, "{} bytes", text.len());
    assert!(text.contains("a: Some(S1::default()),"), "{text}");
    assert!(text.contains("b: Some(S1 {"), "{text}");
    assert!(text.contains("a: Some(S2::default()),"), "{text}");
}

#[test]
fn structs_are_read_in_place_only_where_the_default_costs_nothing() {
    let text = gen_one(
        r#"
struct Plain { 1: i32 a, 2: string s, 3: list<i32> l, 4: optional Plain next }
struct Built { 1: list<string> xs = ["a"], 2: string name = "n" }
struct HoldsBuilt { 1: Built built, 2: i32 x }
struct HoldsPlain { 1: Plain plain, 2: optional Built maybe }
struct Node { 1: Leaf leaf }
struct Leaf { 1: optional Node up, 2: i32 v }
"#,
    );
    let decode_of = |name: &str| {
        let start = text
            .find(&format!("impl __rt::Decode for {name} {{"))
            .unwrap_or_else(|| panic!("no Decode for {name}:\n{text}"));
        let end = text[start..]
            .find("\n}\n")
            .map_or(text.len(), |e| start + e);
        text[start..end].to_owned()
    };
    // Plain fields, and structs of them: read into `Self::default()`.
    for name in ["Plain", "HoldsPlain"] {
        assert!(
            decode_of(name).contains("Self::default()"),
            "{name}:\n{text}"
        );
    }
    // A written `Default` (IDL defaults) or a boxed field would be built on
    // every decode, then overwritten: read into locals instead.
    for name in ["Built", "HoldsBuilt", "Node"] {
        let d = decode_of(name);
        assert!(!d.contains("Self::default()"), "{name}:\n{d}");
        assert!(!d.contains("decode_into"), "{name}:\n{d}");
    }
}

#[test]
fn deciding_the_decode_of_shared_struct_types_takes_linear_time() {
    // Each level holds the next twice: a walk without a memo visits 2^40
    // structs (it would not end); with one, each once.
    let mut idl: String = (0..40)
        .map(|i| format!("struct S{i} {{ 1: S{} a, 2: S{} b }}\n", i + 1, i + 1))
        .collect();
    idl.push_str("struct S40 { 1: i32 x }\n");
    let text = gen_one(&idl);
    assert!(text.contains("impl __rt::Decode for S0 {"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// Any doc line, however it mixes Markdown's special characters with
    /// other text: no panic, and no character of the text is lost (only
    /// backslashes and autolink brackets are added).
    #[test]
    fn doc_lines_keep_every_character(line in "[<>\\[\\]()`\\\\:/.a-zé_*=#| -]{0,40}(https?://[a-z.]{1,8})?[\\])>. ]{0,3}") {
        let out = crate::codegen::items::doc_line(&line);
        let strip = |s: &str| s.chars().filter(|c| !matches!(c, '\\' | '<' | '>')).collect::<String>();
        let kept = strip(&out);
        let want = strip(&crate::codegen::items::expand_tabs(line.trim()));
        // A bare fence becomes a `text` fence: its info string is added.
        if !kept.starts_with("```") && !kept.starts_with("~~~") {
            proptest::prop_assert_eq!(kept, want, "{:?} -> {:?}", line, out);
            let count = |s: &str, c: char| s.chars().filter(|&x| x == c).count();
            proptest::prop_assert!(count(&out, '<') >= count(&line, '<'), "{:?} -> {:?}", line, out);
            proptest::prop_assert!(count(&out, '>') >= count(&line, '>'), "{:?} -> {:?}", line, out);
            // A lone backslash at the end would be a hard line break.
            let trailing = out.chars().rev().take_while(|&c| c == '\\').count();
            proptest::prop_assert!(trailing % 2 == 0, "{:?} -> {:?}", line, out);
        }
    }
}

#[test]
fn lazy_containers_stay_out_of_recursive_types() {
    let idl = "struct Tree { 1: string name, 2: list<Tree> kids, 3: list<string> tags }\n\
               union Shape { 1: string label, 2: Group group }\n\
               struct Group { 1: list<Shape> members, 2: map<string, i32> weights }\n\
               struct Flat { 1: list<Tree> trees, 2: list<i32> nums = [1] }\n";
    let options = Options {
        views: vec![".".to_owned()],
        lazy: vec![".".to_owned()],
        ..Options::default()
    };
    let files = gen_with(idl, &options);
    let text = &files[0].contents;
    // A container that can hold its own struct again stays decoded, directly
    // (`Tree.kids`) or through another type (`Group.members` via `Shape`).
    assert!(text.contains("pub kids: Vec<TreeRef<'a>>,"), "{text}");
    assert!(text.contains("pub members: Vec<ShapeRef<'a>>,"), "{text}");
    // The others are lazy, also a container of a recursive type held from
    // outside it (`Flat.trees`); not one with an IDL default.
    assert!(
        text.contains("pub tags: __rt::LazyList<'a, &'a str>,"),
        "{text}"
    );
    assert!(
        text.contains("pub weights: __rt::LazyMap<'a, &'a str, i32>,"),
        "{text}"
    );
    assert!(
        text.contains("pub trees: __rt::LazyList<'a, TreeRef<'a>>,"),
        "{text}"
    );
    let flat = &text[text.find("pub struct FlatRef").expect("FlatRef")..];
    assert!(flat.contains("pub nums: Vec<i32>,"), "{text}");
}

/// A hasher type is one more type inside every hash map or set, which
/// clippy's `type_complexity` counts: a handler or client method whose
/// signature it makes too complex gets the `allow` (and not without it).
#[test]
fn a_hasher_that_makes_a_signature_too_complex_gets_it_allowed() {
    let idl = "service S {\n  map<i32, map<i32, i32>> grid(1: i32 n),\n  set<i32> keys(),\n}\n";
    let text = |hasher: Option<&str>| {
        let options = Options {
            hasher: hasher.map(str::to_owned),
            ..Options::default()
        };
        let files = gen_with(idl, &options);
        files
            .into_iter()
            .find(|f| f.name != "mod.rs")
            .expect("a module generated")
            .contents
    };
    let allow = "#[allow(clippy::type_complexity)]";
    let plain = text(None);
    assert!(!plain.contains(allow), "{plain}");
    let hashed = text(Some("foldhash::fast::RandomState"));
    // The handler trait's method, then the client's.
    for sig in ["fn grid(", "pub fn grid("] {
        assert!(hashed.contains(&format!("{allow}\n    {sig}")), "{hashed}");
    }
    for sig in ["fn keys(", "pub fn keys("] {
        assert!(!hashed.contains(&format!("{allow}\n    {sig}")), "{hashed}");
    }
}

/// A boxed field is one level deeper (`Option<Box<T>>`), which clippy's
/// `type_complexity` counts: a struct and its view whose boxed field it
/// makes too complex get the `allow` (and not without the box).
#[test]
fn a_box_that_makes_a_field_too_complex_gets_it_allowed() {
    let idl = "struct S { 1: optional map<i32, list<binary>> c }\n";
    let text = |boxed: &[&str]| {
        let options = Options {
            boxed: boxed.iter().map(|p| (*p).to_owned()).collect(),
            views: vec![".".to_owned()],
            ..Options::default()
        };
        gen_with(idl, &options)
            .into_iter()
            .find(|f| f.name != "mod.rs")
            .expect("a module generated")
            .contents
    };
    let allow = "#[allow(clippy::type_complexity)]";
    let plain = text(&[]);
    assert!(!plain.contains(allow), "{plain}");
    let boxed = text(&["S.c"]);
    for def in ["pub struct S {", "pub struct SRef<'a> {"] {
        assert!(boxed.contains(&format!("{allow}\n{def}")), "{boxed}");
    }
}

#[test]
fn serde_option_derives_on_owned_types_with_attributes_that_fit_the_wire() {
    let idl = "enum Kind { A = 1 }\n\
               struct Loose { 1: i32 n = 3, 2: optional string note, 3: Kind kind }\n\
               struct Strict { 1: required i32 id, 2: i32 n = 3, 3: list<i32> xs, \
               4: optional i32 o, 5: U u }\n\
               union U { 1: i32 n, 2: string s }\n\
               service S { void f(1: i32 a = 2) }\n";
    let loaded = crate::load_str("w.thrift", idl).unwrap();
    let o = Options {
        serde: true,
        keep_unknown_fields: true,
        views: vec![".".to_owned()],
        ..Options::default()
    };
    let text = generate(&loaded.program, &o).unwrap()[0].contents.clone();
    let derive = "#[derive(::serde::Serialize, ::serde::Deserialize)]";
    let opt = "#[serde(default, skip_serializing_if = \"Option::is_none\")]";
    for want in [
        // An enum is its number.
        format!("{derive}\n#[serde(transparent)]\npub struct Kind(pub i32);"),
        // No required field: missing ones come from the struct's `Default`.
        format!("{derive}\n#[serde(default)]\npub struct Loose {{"),
        format!("    {opt}\n    pub note: Option<String>,"),
        "    #[serde(default, skip_serializing_if = \"Vec::is_empty\")]\n    \
         #[serde(deserialize_with = \"Loose::serde_unknown_fields\")]\n    \
         pub unknown_fields: Vec<__rt::UnknownField>,"
            .to_owned(),
        // A required field: each other field gets its own default; the
        // required one must be present. The union (no `Default`, no
        // requiredness keyword) is an option, as on the wire.
        format!("{derive}\npub struct Strict {{\n    pub id: i32,"),
        "    #[serde(default = \"Strict::serde_default_n\")]\n    pub n: i32,".to_owned(),
        "    #[serde(default)]\n    pub xs: Vec<i32>,".to_owned(),
        format!("    {opt}\n    pub o: Option<i32>,\n    {opt}\n    pub u: Option<U>,"),
        "impl Strict {\n    fn serde_default_n() -> i32 {\n        3\n    }\n    fn serde_unknown_fields"
            .to_owned(),
        // A union: the derive only.
        format!("{derive}\n#[allow(clippy::large_enum_variant"),
        // Argument and result structs too.
        format!("{derive}\n#[serde(default)]\npub struct SfArgs {{"),
        format!("{derive}\n#[serde(default)]\npub struct SfResult {{"),
    ] {
        assert!(text.contains(&want), "no `{want}` in:\n{text}");
    }
    // Owned types only: enum, two structs, union, args, result.
    assert_eq!(text.matches(derive).count(), 6, "{text}");
    assert!(!text.contains("Ref<'a> {\n    #[serde"), "{text}");
    // Deriving them again by attribute is reported.
    let twice = Options {
        type_attributes: vec![(
            ".".to_owned(),
            "#[derive(serde::Serialize, serde::Deserialize)]".to_owned(),
        )],
        ..o
    };
    let warnings = warning_lines(&loaded.program, &twice);
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("[option-conflict] option `serde`: the type attribute")),
        "{warnings:?}"
    );
    // Deriving only `Deserialize` conflicts just as well.
    let once = Options {
        type_attributes: vec![(
            "w.Loose".to_owned(),
            "#[derive(serde::Deserialize)]".to_owned(),
        )],
        ..twice
    };
    let warnings = warning_lines(&loaded.program, &once);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`#[derive(serde::Deserialize)]` for `w.Loose`")),
        "{warnings:?}"
    );
}

#[test]
fn serde_option_default_functions_of_fields_named_alike_do_not_clash() {
    // Field names that start with `_` (before a digit) lose it in the
    // function's name (a `__` is not snake case); they still cannot clash,
    // as no field is named by the digits alone. A required field keeps the
    // struct from taking its `Default` whole.
    let idl = "struct S {\n  1: required i32 must,\n  2: i32 _1 = 1,\n  3: i32 __1 = 2,\n  \
               -4: i32 _1_3 = 3,\n}\n";
    let loaded = crate::load_str("d.thrift", idl).unwrap();
    let o = Options {
        serde: true,
        ..Options::default()
    };
    let text = generate(&loaded.program, &o).unwrap()[0].contents.clone();
    for want in [
        "#[serde(default = \"S::serde_default_1\")]\n    pub _1: i32,",
        "#[serde(default = \"S::serde_default_1_2\")]\n    pub _1_2: i32,",
        "#[serde(default = \"S::serde_default_1_3\")]\n    pub _1_3: i32,",
        "fn serde_default_1() -> i32",
        "fn serde_default_1_2() -> i32",
        "fn serde_default_1_3() -> i32",
    ] {
        assert!(text.contains(want), "no `{want}` in:\n{text}");
    }
    let parsed = syn::parse_file(&text).expect("generated code parses");
    assert!(!parsed.items.is_empty());
}

#[test]
fn serde_option_refuses_unknown_fields_with_the_id_and_type_of_a_known_one() {
    // Written back, such an unknown field would be read as the known one,
    // in place of the value the document gave it; a Thrift read never
    // keeps one, so serde's read refuses it.
    let idl = "struct S { 1: i32 n, -1: string s, 3: list<S> more }\n\
               struct Empty {}\n\
               union U { 1: i32 n, 2: S s }\n\
               union Nothing {}\n";
    let loaded = crate::load_str("k.thrift", idl).unwrap();
    let o = Options {
        serde: true,
        keep_unknown_fields: true,
        ..Options::default()
    };
    let text = generate(&loaded.program, &o).unwrap()[0].contents.clone();
    for want in [
        "    #[serde(deserialize_with = \"S::serde_unknown_fields\")]\n    \
         pub unknown_fields: Vec<__rt::UnknownField>,",
        "    fn serde_unknown_fields<'de, D: ::serde::Deserializer<'de>>(\n",
        // Every known field by id (the write order), with its wire type.
        "        const KNOWN: &[(i16, __rt::TType)] = &[\n            \
         (-1, __rt::TType::String),\n            \
         (1, __rt::TType::I32),\n            \
         (3, __rt::TType::List),\n        ];\n",
        "        __rt::serde_unknown_fields(d, KNOWN, \"struct `S`\")\n",
        // A union's unknown variant.
        "    #[serde(deserialize_with = \"U::serde_unknown\")]\n    Unknown(__rt::UnknownField),",
        "    ) -> ::std::result::Result<__rt::UnknownField, D::Error> {\n",
        "        __rt::serde_unknown_variant(d, KNOWN, \"union `U`\")\n",
    ] {
        assert!(text.contains(want), "no `{want}` in:\n{text}");
    }
    // No known field, nothing to refuse: no function.
    assert_eq!(text.matches("fn serde_unknown").count(), 2, "{text}");
    assert_eq!(text.matches("deserialize_with").count(), 2, "{text}");
    // Without the option, nothing of it.
    let plain = generate(&loaded.program, &Options { serde: false, ..o }).unwrap()[0]
        .contents
        .clone();
    assert!(!plain.contains("serde"), "{plain}");
}

#[test]
fn long_typedef_chains_declared_in_any_order_keep_their_wire_type() {
    // 200 typedefs of a `string`, each declared before the one it names,
    // so that no fixed number of passes in declaration order reaches the
    // end: the field is still a string on the wire, and gets a view and a
    // serde adapter through the whole chain.
    let n = 200;
    let mut idl = format!("struct S {{ 1: T{n} f, 2: B{n} b }}\n");
    for i in (1..=n).rev() {
        idl.push_str(&format!(
            "typedef T{} T{i}\ntypedef B{} B{i}\n",
            i - 1,
            i - 1
        ));
    }
    idl.push_str("typedef string T0\ntypedef binary B0\n");
    let options = Options {
        views: vec![".".to_owned()],
        serde: true,
        ..Options::default()
    };
    let code: String = gen_with(&idl, &options)
        .iter()
        .map(|f| f.contents.as_str())
        .collect();
    assert!(
        code.contains("p.write_field_begin(\"f\", __rt::TType::String, 1)?;"),
        "{code}"
    );
    assert!(
        code.contains("p.write_field_begin(\"b\", __rt::TType::String, 2)?;"),
        "{code}"
    );
    assert!(code.contains("pub struct SRef<'a>"), "{code}");
    // A constant of the chain's last typedef is a `const` of its base type.
    let consts = gen_with(&format!("{idl}const T{n} C = \"c\"\n"), &Options::default());
    let consts: String = consts.iter().map(|f| f.contents.as_str()).collect();
    assert!(consts.contains("pub const C: &str = \"c\";"), "{consts}");
    assert!(
        code.contains("#[serde(with = \"__rt::serde_as::As::<__rt::serde_as::Binary>\")]"),
        "{code}"
    );
}

#[test]
fn async_services_follow_the_options_and_take_their_names_last() {
    let idl = "struct CalcAsyncClient { 1: i32 x }\n\
               service Base { void ping() }\n\
               service Calc extends Base { i32 add(1: i32 a) }\n\
               service Empty {}\n";
    let text = |o: Options| {
        gen_with(idl, &o)
            .into_iter()
            .find(|f| f.name == "test.rs")
            .expect("test.rs")
            .contents
    };
    let blocking = text(Options::default());
    assert!(!blocking.contains("AsyncHandler"), "{blocking}");
    let all = text(Options {
        async_services: true,
        ..Options::default()
    });
    for want in [
        // The user's type keeps its name; the generated client takes the
        // next one, and no other name changes.
        "pub struct CalcAsyncClient {",
        "pub struct CalcAsyncClient2<C> {",
        "pub struct CalcClient<C> {",
        "pub trait BaseAsyncHandler: Send + Sync + 'static {",
        "pub trait CalcAsyncHandler: BaseAsyncHandler {",
        "pub trait EmptyAsyncHandler: Send + Sync + 'static {}",
        "pub struct CalcAsyncProcessor<H: ?Sized> {",
        "_ => BaseAsyncProcessor::<H>::dispatch(handler, call).await,",
        "_ => Err(call),",
        "impl<C: __rt::tokio::AsyncChannel> CalcAsyncClient2<C> {",
        "pub async fn add(&mut self, a: i32) -> Result<i32, CalcAddError> {",
        // Inherited methods are on the child's client.
        "pub async fn ping(&mut self) -> Result<(), BasePingError> {",
    ] {
        assert!(all.contains(want), "{want:?} missing:\n{all}");
    }
    // A service without methods hands every call to its parent, or back.
    let empty_at = all.find("impl<H: EmptyAsyncHandler + ?Sized>").unwrap();
    assert!(
        all[empty_at..].contains("let _ = handler;\n        Err(call)\n"),
        "{all}"
    );
    // Each blocking item is still there, unchanged.
    for item in blocking.split("\n}\n").filter(|i| !i.trim().is_empty()) {
        assert!(all.contains(item), "{item}\nis missing or changed");
    }
    let server_only = text(Options {
        async_services: true,
        gen_client: false,
        ..Options::default()
    });
    assert!(server_only.contains("pub trait CalcAsyncHandler"));
    assert!(!server_only.contains("CalcAsyncClient2"));
    assert!(server_only.contains("pub struct CalcAddArgs"));
    let client_only = text(Options {
        async_services: true,
        gen_server: false,
        ..Options::default()
    });
    assert!(client_only.contains("pub struct CalcAsyncClient2<C>"));
    assert!(!client_only.contains("AsyncHandler"));
    assert!(client_only.contains("pub struct CalcAddResult"));
    let neither = text(Options {
        async_services: true,
        gen_server: false,
        gen_client: false,
        ..Options::default()
    });
    assert!(!neither.contains("AsyncHandler") && !neither.contains("CalcAsyncClient2"));
    assert!(!neither.contains("CalcAddArgs"));
}

/// `keep_unknown_fields` renames none of the IDL's fields: a field of that
/// name keeps it, and the kept unknown fields take the next free name (as
/// the unknown variant of a union does).
#[test]
fn kept_unknown_fields_take_a_name_the_idl_left_free() {
    let idl = "namespace rs k\nstruct S { 1: i32 unknown_fields, 2: i32 unknown_fields2 }\n\
               struct T { 1: i32 n }\n";
    let loaded = crate::load_str("k.thrift", idl).unwrap();
    let o = Options {
        keep_unknown_fields: true,
        ..Options::default()
    };
    let text = generate(&loaded.program, &o).unwrap()[0].contents.clone();
    for want in [
        "    pub unknown_fields: i32,\n    pub unknown_fields2: i32,\n",
        "    pub unknown_fields3: Vec<__rt::UnknownField>,\n}",
        "    pub n: i32,\n    /// Fields this schema does not know, as read; written back after\n    \
         /// the known fields.\n    pub unknown_fields: Vec<__rt::UnknownField>,\n}",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

/// A module whose only items are `string` and `binary` constants imports
/// no runtime under `bytes` or `small_strings` either: those constants are
/// `&str` and `&[u8]` whatever the options (an unused import is a warning,
/// an error under `#![deny(warnings)]`).
#[test]
fn string_constants_alone_import_no_runtime_under_any_string_option() {
    let idl = "namespace rs s\nconst string S = \"s\"\nconst binary B = \"b\"\n";
    let loaded = crate::load_str("s.thrift", idl).unwrap();
    for o in [
        Options::default(),
        Options {
            bytes_paths: vec![".".to_owned()],
            ..Options::default()
        },
        Options {
            small_strings: vec![".".to_owned()],
            ..Options::default()
        },
    ] {
        let text = generate(&loaded.program, &o).unwrap()[0].contents.clone();
        assert!(text.contains("pub const S: &str = \"s\";\n"), "{text}");
        assert!(text.contains("pub const B: &[u8] = b\"b\";\n"), "{text}");
        assert!(!text.contains("__rt"), "{o:?}:\n{text}");
    }
}
