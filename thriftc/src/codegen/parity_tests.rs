//! The text the writer produces equals prettyplease's layout of it.
//!
//! Every valid fixture, a reduced synthetic IDL (the bench generator with
//! small sizes), IDL with very long names and deep nesting, and one IDL of
//! every construct with its names padded by 0 to 40 characters (so each
//! line crosses the margin one column at a time), each under several option
//! sets, are rendered twice per planned item:
//!
//! - direct path alone (safety net off): every top-level item the writer
//!   claims to lay out exactly must be a prettyplease fixed point
//!   (`unparse(parse_file(text)) == text`), i.e. what prettyplease makes of
//!   the same code;
//! - as `thriftc gen` runs (safety net on): the item's whole text must be a
//!   fixed point too, so items the writer hands to prettyplease come out
//!   the same as the ones it writes itself.
//!
//! The long-name and deep-nesting cases check that the safety net is used
//! (and right) where the writer's width rules give up.

use super::emit::render_item;
use super::format::format_items;
use super::items::Ctx;
use super::plan;
use super::writer::Writer;
use crate::options::Options;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The option sets every input is rendered with.
fn option_sets() -> Vec<(&'static str, Options)> {
    let with = |f: fn(&mut Options)| {
        let mut o = Options::default();
        f(&mut o);
        o
    };
    vec![
        ("default", Options::default()),
        (
            "keep_unknown_fields",
            with(|o| o.keep_unknown_fields = true),
        ),
        ("btree_all", with(|o| o.btree_all = true)),
        (
            "bytes_everywhere",
            with(|o| o.bytes_paths = vec![".".to_owned()]),
        ),
        (
            "views_keep_unknown_fields_hasher",
            with(|o| {
                o.views = vec![".".to_owned()];
                o.keep_unknown_fields = true;
                o.hasher = Some("foldhash::fast::RandomState".to_owned());
            }),
        ),
        (
            "boxed_and_attributes",
            with(|o| {
                o.boxed = vec![".".to_owned()];
                o.views = vec![".".to_owned()];
                o.type_attributes = vec![(".".to_owned(), "#[derive( Hash )]".to_owned())];
                o.field_attributes = vec![(".".to_owned(), "#[doc(hidden)]".to_owned())];
                o.runtime_path = "crate :: rt".to_owned();
                o.async_services = true;
            }),
        ),
        (
            "small_strings_views",
            with(|o| {
                o.small_strings = vec![".".to_owned()];
                o.views = vec![".".to_owned()];
            }),
        ),
        (
            "serde_keep_unknown_fields_views",
            with(|o| {
                o.serde = true;
                o.keep_unknown_fields = true;
                o.views = vec![".".to_owned()];
            }),
        ),
        (
            "async_services_keep_unknown_fields",
            with(|o| {
                o.async_services = true;
                o.keep_unknown_fields = true;
            }),
        ),
        (
            "no_client_async",
            with(|o| {
                o.gen_client = false;
                o.async_services = true;
            }),
        ),
        (
            "no_server_async",
            with(|o| {
                o.gen_server = false;
                o.async_services = true;
            }),
        ),
        ("no_client", with(|o| o.gen_client = false)),
        ("no_server", with(|o| o.gen_server = false)),
        (
            "types_only",
            with(|o| {
                o.gen_client = false;
                o.gen_server = false;
                o.async_services = true;
            }),
        ),
    ]
}

/// What checking one program found.
#[derive(Default)]
struct Tally {
    items: usize,
    reformatted: usize,
}

/// Checks every planned item of `program` under `options`.
fn check_program(label: &str, program: &crate::ir::Program, options: &Options, tally: &mut Tally) {
    let krate = plan::plan(program, options).unwrap_or_else(|e| panic!("{label}: {e}"));
    for (mi, module) in krate.modules.iter().enumerate() {
        for item in &module.items {
            // Direct path alone.
            let ctx = Ctx::new(&krate, program, mi);
            let mut w = Writer::new(false);
            render_item(&ctx, &mut w, item);
            let spans = w.spans().to_vec();
            let direct = w.finish().unwrap_or_else(|e| panic!("{label}: {e}"));
            for span in &spans {
                tally.items += 1;
                let text = &direct[span.range.0..span.range.1];
                if !span.exact {
                    tally.reformatted += 1;
                    continue;
                }
                let formatted = format_items(text).unwrap_or_else(|e| panic!("{label}: {e}"));
                assert_eq!(
                    text, formatted,
                    "{label}: the writer's layout differs from prettyplease's \
                     (left: written, right: prettyplease)"
                );
            }
            // As generated.
            let ctx = Ctx::new(&krate, program, mi);
            let mut w = Writer::new(true);
            render_item(&ctx, &mut w, item);
            let text = w.finish().unwrap_or_else(|e| panic!("{label}: {e}"));
            if !text.is_empty() {
                let formatted = format_items(&text).unwrap_or_else(|e| panic!("{label}: {e}"));
                assert_eq!(
                    text, formatted,
                    "{label}: output is not prettyplease's layout"
                );
            }
        }
    }
}

/// Checks an IDL text under every option set; the tally per option set.
fn check_idl(label: &str, idl: &str) -> Vec<(&'static str, Tally)> {
    let loaded = crate::load_str(&format!("{label}.thrift"), idl)
        .unwrap_or_else(|e| panic!("{label} does not load:\n{}", e.render(false)));
    option_sets()
        .into_iter()
        .map(|(name, options)| {
            let mut tally = Tally::default();
            check_program(
                &format!("{label} ({name})"),
                &loaded.program,
                &options,
                &mut tally,
            );
            (name, tally)
        })
        .collect()
}

/// The sum of tallies.
fn total(tallies: &[(&str, Tally)]) -> Tally {
    let mut t = Tally::default();
    for (_, x) in tallies {
        t.items += x.items;
        t.reformatted += x.reformatted;
    }
    t
}

#[test]
fn fixtures_are_laid_out_as_prettyplease_would() {
    let mut paths = Vec::new();
    for dir in ["valid", "codegen", "compat", "interop", "services", "bench"] {
        let entries = std::fs::read_dir(root().join("fixtures").join(dir))
            .unwrap_or_else(|e| panic!("fixtures/{dir}: {e}"));
        for e in entries {
            let p = e.expect("fixtures folder entry").path();
            if p.extension().is_some_and(|x| x == "thrift") {
                paths.push(p);
            }
        }
    }
    paths.sort();
    assert!(paths.len() >= 15, "fixtures found: {paths:?}");
    let mut tally = Tally::default();
    for p in &paths {
        let include_dirs = [root().join("fixtures/include")];
        let loaded = crate::load(std::slice::from_ref(p), &include_dirs)
            .unwrap_or_else(|e| panic!("{} does not load:\n{}", p.display(), e.render(false)));
        for (name, options) in option_sets() {
            let label = format!("{} ({name})", p.display());
            check_program(&label, &loaded.program, &options, &mut tally);
        }
    }
    assert!(tally.items > 1000, "items checked: {}", tally.items);
}

#[test]
fn synthetic_idl_is_laid_out_as_prettyplease_would() {
    let script = root().join("fixtures/bench/gen_large_idl.py");
    let out = std::env::temp_dir().join(format!("thriftc-parity-{}.thrift", std::process::id()));
    let status = std::process::Command::new("python3")
        .arg(&script)
        .arg(&out)
        .args([
            "--structs",
            "50",
            "--services",
            "4",
            "--methods",
            "10",
            "--seed",
            "7",
        ])
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run python3 (needed on PATH for {}): {e}",
                script.display()
            )
        });
    assert!(status.success(), "{} failed", script.display());
    let idl = std::fs::read_to_string(&out).expect("generated IDL");
    let _ = std::fs::remove_file(&out);
    let tallies = check_idl("synthetic", &idl);
    let all = total(&tallies);
    assert!(all.items > 2000, "items checked: {}", all.items);
    // With default options only the container constants need prettyplease
    // (user attributes send every item they are on to it).
    let (_, default) = &tallies[0];
    assert!(
        default.reformatted * 100 < default.items,
        "{} of {} items needed the safety net",
        default.reformatted,
        default.items
    );
}

/// IDL whose names are long enough (`scale` 0: short, 2: as written, 4:
/// double) to push constructs towards and past the margin, and types nested
/// deep enough to break over many lines.
fn long_and_deep_idl(scale: usize) -> String {
    let long = |base: &str, n: usize| format!("{base}{}", "_and_more".repeat(n * scale / 2));
    let mut idl = String::from("namespace rs long_names\n");
    let e = long("AnEnumerationWithALongName", 3);
    writeln!(
        idl,
        "/** An enum. */\nenum {e} {{ {} = 1, {} = 2, SHORT = 3 }}",
        long("FIRST_VALUE", 4),
        long("SECOND_VALUE", 6)
    )
    .unwrap();
    let exc = long("ExceptionWithAVeryLongName", 3);
    writeln!(
        idl,
        "exception {exc} {{ 1: string {} }}",
        long("message", 5)
    )
    .unwrap();
    let s = long("StructWithAQuiteLongNameIndeed", 4);
    let deep = |levels: usize, leaf: &str| {
        format!("{}{leaf}{}", "list<".repeat(levels), ">".repeat(levels))
    };
    writeln!(
        idl,
        "/** A struct. */\nstruct {s} {{\n  1: required string {},\n  2: optional map<string, map<i64, list<{e}>>> {},\n  \
         3: {} deep,\n  4: i32 {} = 42,\n  5: string named = \"{}\",\n  \
         6: map<{}, {}> nested_map,\n  -7: required i64 x\n}}",
        long("a_required_field_name", 4),
        long("an_optional_map", 6),
        deep(20, "i32"),
        long("with_default", 5),
        "x".repeat(120),
        deep(3, "string"),
        deep(5, &e),
    )
    .unwrap();
    let u = long("UnionWithLongName", 5);
    writeln!(
        idl,
        "union {u} {{ 1: {s} {}, 2: map<string, list<map<string, {e}>>> other }}",
        long("first_choice", 5)
    )
    .unwrap();
    writeln!(
        idl,
        "typedef map<string, map<string, map<string, list<{s}>>>> {}",
        long("Alias", 6)
    )
    .unwrap();
    writeln!(idl, "const i64 {} = 1234567", long("A_CONSTANT", 8)).unwrap();
    let svc = long("ServiceWithALongName", 3);
    writeln!(idl, "service {svc} {{").unwrap();
    writeln!(
        idl,
        "  map<string, list<{s}>> {}(1: {s} {}, 2: map<string, list<{e}>> b, 3: optional i32 c) throws (1: {exc} {}),",
        long("fetchSomething", 4),
        long("input", 6),
        long("problem", 4)
    )
    .unwrap();
    writeln!(idl, "  oneway void {}(1: {u} u),", long("notify", 8)).unwrap();
    writeln!(idl, "  {s} {}(),", long("get", 9)).unwrap();
    writeln!(
        idl,
        "  void {}(1: {} arg) throws (1: {exc} one, 2: {exc} two),",
        long("put", 7),
        deep(12, "i64")
    )
    .unwrap();
    idl.push_str("}\n");
    writeln!(
        idl,
        "service {}Child extends {svc} {{ void ping() }}",
        long("Svc", 6)
    )
    .unwrap();
    idl
}

#[test]
fn long_names_and_deep_nesting_are_laid_out_as_prettyplease_would() {
    let mut needed = Vec::new();
    for scale in 0..=4 {
        let tally = total(&check_idl(
            &format!("long_names_{scale}"),
            &long_and_deep_idl(scale),
        ));
        assert!(tally.items > 50, "items checked: {}", tally.items);
        needed.push((tally.reformatted, tally.items));
    }
    // Short names keep most items on the direct path; the longest push
    // most past the writer's width rules, so the safety net is exercised
    // (and its output checked above).
    let (short, items) = needed[0];
    assert!(
        short * 4 < items,
        "short names: {short} of {items} items needed the safety net"
    );
    let (long, items) = needed[4];
    assert!(
        long * 2 > items,
        "long names: only {long} of {items} items needed the safety net"
    );
}

/// Whole files: the same for any number of threads (shares split modules
/// in different places), and each a prettyplease fixed point as a whole
/// (items laid out on their own join into what formatting the file gives).
#[test]
fn files_do_not_depend_on_threads_and_are_formatted_as_a_whole() {
    use super::emit::{EmitConfig, emit_with};
    for fixture in [
        "fixtures/valid/includes.thrift",
        "fixtures/codegen/apache.thrift",
        "fixtures/interop/interop.thrift",
    ] {
        let path = root().join(fixture);
        let include_dirs = [root().join("fixtures/include")];
        let loaded = crate::load(&[path], &include_dirs)
            .unwrap_or_else(|e| panic!("{fixture} does not load:\n{}", e.render(false)));
        let krate = plan::plan(&loaded.program, &Options::default()).unwrap();
        let run = |max_threads| {
            let config = EmitConfig {
                safety_net: true,
                max_threads,
            };
            emit_with(&krate, &loaded.program, config).unwrap().0
        };
        let one = run(1);
        assert!(one.len() > 2, "{fixture}: several modules expected");
        assert_eq!(one, run(2), "{fixture}: output depends on the thread count");
        assert_eq!(one, run(8), "{fixture}: output depends on the thread count");
        for f in &one {
            let body = &f.contents[f.contents.find("\n\n").unwrap() + 2..];
            let formatted = format_items(body).unwrap();
            assert_eq!(body, formatted, "{fixture}: {} as a whole", f.name);
        }
    }
}

/// One IDL with every construct, its names padded by `pad` characters:
/// sweeping `pad` moves each generated line across the margin one column
/// at a time.
fn padded_idl(pad: usize) -> String {
    let p = "q".repeat(pad);
    // A lone carriage return in a doc comment must not end the Rust doc
    // comment it becomes.
    let cr = "\r";
    format!(
        r#"namespace rs padded
enum Kind{p} {{ FIRST{p} = 1, SECOND = 2 }}
exception Oops{p} {{ 1: string why{p} }}
struct Inner{p} {{ 1: i32 a{p} }}
struct Item{p} {{
  1: required string name{p},
  2: optional map<string, list<Inner{p}>> parts{p},
  3: Kind{p} kind{p} = Kind{p}.FIRST{p},
  4: i64 count{p} = 7,
  5: list<map<i32, set<string>>> nested{p},
  6: string label{p} = "dflt{p}",
  7: Inner{p} inner{p},
}}
union Choice{p} {{ 1: Item{p} item{p}, 2: map<string, Kind{p}> kinds{p}, 3: i32 n }}
typedef map<string, list<Item{p}>> Index{p}
service Base{p} {{
  Item{p} get{p}(1: i64 id{p}) throws (1: Oops{p} oops{p}),
}}
service Store{p} extends Base{p} {{
  void put{p}(1: Item{p} item{p}, 2: optional map<string, list<Inner{p}>> extra{p}, 3: Kind{p} kind{p}),
  map<string, list<Item{p}>> find{p}(1: string query{p}, 2: i32 limit) throws (1: Oops{p} oops{p}, 2: Oops{p} other{p}),
  oneway void note{p}(1: string text{p}),
  Choice{p} pick{p}(),
  list<Inner{p}> many{p}(1: list<Inner{p}> a, 2: list<Inner{p}> b, 3: list<Inner{p}> c, 4: list<Inner{p}> d),
}}
/** Names of every length, not only odd ones:{cr}empty argument structs. */
service Solo{p} {{
  void ping(),
}}
"#
    )
}

#[test]
fn names_of_every_length_are_laid_out_as_prettyplease_would() {
    let mut tally = Tally::default();
    let sets: Vec<_> = option_sets()
        .into_iter()
        .filter(|(n, _)| {
            matches!(
                *n,
                "default"
                    | "keep_unknown_fields"
                    | "serde_keep_unknown_fields_views"
                    | "async_services_keep_unknown_fields"
            )
        })
        .collect();
    for pad in 0..=40 {
        let label = format!("padded_{pad}");
        let loaded = crate::load_str(&format!("{label}.thrift"), &padded_idl(pad))
            .unwrap_or_else(|e| panic!("{label} does not load:\n{}", e.render(false)));
        // Unknown-field handling, serde's attributes (with their default
        // functions) and async services add lines of their own; every
        // fourth length is enough for each.
        let chosen: &[usize] = match pad % 4 {
            0 => &[0, 1],
            1 => &[0, 3],
            2 => &[0, 2],
            _ => &[0],
        };
        for (name, options) in chosen.iter().map(|&i| &sets[i]) {
            check_program(
                &format!("{label} ({name})"),
                &loaded.program,
                options,
                &mut tally,
            );
        }
    }
    assert!(tally.items > 2000, "items checked: {}", tally.items);
    // Most items stay on the direct path even with long names.
    assert!(
        tally.reformatted * 2 < tally.items,
        "{} of {} items needed the safety net",
        tally.reformatted,
        tally.items
    );
}
