//! Two generated files in `OUT_DIR`:
//!
//! - `apache_bench.rs`: Apache Thrift's Rust code for
//!   `fixtures/bench/bench.thrift` (with Apache's `thrift` compiler, `$THRIFT`
//!   or `thrift` on the PATH), for the side-by-side bench `benches/payload.rs`.
//!   Without the compiler the file is a `compile_error!` saying how to install
//!   it; only that bench includes the file, so tests build either way.
//! - `roundtrip_all.rs`: for the `roundtrip_all` test, every golden folder
//!   (`tests/golden/rs/*`, `tests/golden/services/*`) mounted as a module, the
//!   fixture and options it was generated from, and one entry per generated
//!   struct, union, exception, enum and service argument/result struct, each
//!   with the test's check monomorphized for that type. Names and module
//!   paths come from thriftc's own plan, so a new fixture is covered as soon
//!   as its golden exists.
//! - `serde.rs`: for the `serde` test, the code fixtures generate with
//!   `type_attribute(".", "#[derive(serde::Serialize, serde::Deserialize)]")`,
//!   the route users can take by hand, once per configuration (plain,
//!   `keep_unknown_fields`, `wire_order`, `bytes`, `small_strings`, views
//!   with lazy containers), and three times with the option `serde(true)`
//!   instead of the attribute (with `keep_unknown_fields`; with `bytes`,
//!   `wire_order` and boxed fields; with `btree_all`), with
//!   `fixtures/serde/names.thrift` (module `serde`) and
//!   `fixtures/serde/json.thrift` too, each folder mounted as a module
//!   through the include file `thriftc::Builder` writes.
//! - `shared_out/a_idl.rs` and `shared_out/b_idl.rs`: for the
//!   `shared_out_dir` test, two builders writing into one folder, each with
//!   its own include file, from two IDL files both named `types.thrift`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    apache_bench();
    roundtrip_table();
    serde_modules();
    shared_out_dir();
}

/// Two builders sharing an output folder (see the crate docs): IDL files of
/// the same name, different include files.
fn shared_out_dir() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let idl = out.join("shared_idl");
    for (folder, text, include_file) in [
        ("a", "struct Alpha { 1: i32 x }\n", "a_idl.rs"),
        ("b", "struct Beta { 1: string y }\n", "b_idl.rs"),
    ] {
        let dir = idl.join(folder);
        std::fs::create_dir_all(&dir).expect("create a shared_idl folder");
        let file = dir.join("types.thrift");
        if std::fs::read_to_string(&file).ok().as_deref() != Some(text) {
            std::fs::write(&file, text).expect("write a shared_idl file");
        }
        thriftc::Builder::new()
            .file(&file)
            .out_dir(out.join("shared_out"))
            .include_file(include_file)
            .emit_rerun_if_changed(false)
            .compile()
            .unwrap_or_else(|e| panic!("shared out dir, {include_file}: {e}"));
    }
}

fn apache_bench() {
    let idl = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bench/bench.thrift");
    println!("cargo:rerun-if-changed={}", idl.display());
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=THRIFT");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let target = out.join("apache_bench.rs");
    let thrift = std::env::var("THRIFT").unwrap_or_else(|_| "thrift".into());
    let generated = Command::new(&thrift)
        .args(["--gen", "rs", "-out"])
        .arg(&out)
        .arg(&idl)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|_| std::fs::read_to_string(out.join("bench.rs")).ok());
    let text = match generated {
        // Crate-level `#![...]` attributes cannot appear in an `include!`d
        // file; the bench puts its own `allow`s on the module instead.
        Some(src) => src
            .lines()
            .filter(|l| !l.trim_start().starts_with("#!["))
            .map(|l| format!("{l}\n"))
            .collect(),
        None => format!(
            "compile_error!(\"cannot run Apache's `{thrift}` compiler: install it (Debian: \
             apt-get install thrift-compiler) or set $THRIFT\");\n"
        ),
    };
    std::fs::write(&target, text).expect("write apache_bench.rs");
}

/// Where a golden folder comes from; paths relative to the repository
/// unless said otherwise.
struct GoldenSource {
    /// `golden/rs/<name>` or `golden/services/<name>`.
    folder: String,
    /// Module name in the generated file (and test name).
    mount: String,
    fixture: String,
    include_dirs: Vec<String>,
    keep_unknown_fields: bool,
    btree_all: bool,
    /// `bytes_paths = ["."]` (folders named `<fixture>_bytes`).
    bytes_all: bool,
    /// `views = ["."]` (folders named `<fixture>_views`).
    views_all: bool,
    /// `lazy = ["."]` (folders named `<fixture>_views_lazy`).
    lazy_all: bool,
    /// `wire_order_paths = ["."]` (folders named `<fixture>_wire`).
    wire_all: bool,
    /// `hasher = foldhash::fast::RandomState` (folders named
    /// `<fixture>_foldhash`).
    foldhash: bool,
    /// `small_strings = ["."]` (folders named `<fixture>_small`, before
    /// any `_foldhash`).
    small_all: bool,
    /// `serde = true` (folders named `<fixture>_serde`, before any
    /// `_keep_unknown`).
    serde: bool,
    /// `async_services = true` (folders named `<fixture>_async`, after
    /// every other suffix).
    async_services: bool,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Sorted names of the sub-folders of `dir`.
fn sub_folders(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("read golden folder"))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// The fixture whose golden folder is named `name`, by the naming rules of
/// the golden tests: `fixtures/valid/<name>.thrift`, else
/// `fixtures/<dir>/<stem>.thrift` for `<dir>_<stem>` and
/// `fixtures/<name>/<name>.thrift` (file stems with `-` become `_`).
fn fixture_of(name: &str) -> Option<String> {
    let fixtures = repo_root().join("fixtures");
    let find = |dir: &str, stem: &str| -> Option<String> {
        let entries = std::fs::read_dir(fixtures.join(dir)).ok()?;
        let mut hits: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|f| {
                f.strip_suffix(".thrift")
                    .is_some_and(|s| s.replace('-', "_") == stem)
            })
            .collect();
        hits.sort();
        hits.into_iter()
            .next()
            .map(|f| format!("fixtures/{dir}/{f}"))
    };
    if let Some(f) = find("valid", name) {
        return Some(f);
    }
    if let Some(f) = find(name, name) {
        return Some(f);
    }
    let mut dirs = sub_folders(&fixtures);
    // Longest folder name first: `<dir>_<stem>` is ambiguous otherwise.
    dirs.sort_by_key(|d| std::cmp::Reverse(d.len()));
    dirs.iter().find_map(|dir| {
        let stem = name.strip_prefix(dir.as_str())?.strip_prefix('_')?;
        find(dir, stem)
    })
}

fn golden_sources() -> Vec<GoldenSource> {
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for name in sub_folders(&tests.join("golden/rs")) {
        let (name_base, async_services) = match name.strip_suffix("_async") {
            Some(b) => (b, true),
            None => (name.as_str(), false),
        };
        let (name_base, foldhash) = match name_base.strip_suffix("_foldhash") {
            Some(b) => (b, true),
            None => (name_base, false),
        };
        let (name_base, small) = match name_base.strip_suffix("_small") {
            Some(b) => (b, true),
            None => (name_base, false),
        };
        let (base, keep, btree) = if let Some(b) = name_base.strip_suffix("_btree_keep_unknown") {
            (b, true, true)
        } else if let Some(b) = name_base.strip_suffix("_keep_unknown") {
            (b, true, false)
        } else {
            (name_base, false, false)
        };
        let (base, serde) = match base.strip_suffix("_serde") {
            Some(b) => (b, true),
            None => (base, false),
        };
        let (base, lazy) = match base.strip_suffix("_lazy") {
            Some(b) => (b, true),
            None => (base, false),
        };
        let (base, bytes) = match base.strip_suffix("_bytes") {
            Some(b) => (b, true),
            None => (base, false),
        };
        let (base, views) = match base.strip_suffix("_views") {
            Some(b) => (b, true),
            None => (base, false),
        };
        let (base, wire) = match base.strip_suffix("_wire") {
            Some(b) => (b, true),
            None => (base, false),
        };
        let fixture = fixture_of(base).unwrap_or_else(|| {
            panic!(
                "tests/golden/rs/{name}: no fixture found for it; teach `fixture_of` in \
                 tests/build.rs the golden test's naming rule"
            )
        });
        out.push(GoldenSource {
            folder: format!("golden/rs/{name}"),
            mount: format!("rs_{name}"),
            fixture,
            include_dirs: vec!["fixtures/include".to_owned()],
            keep_unknown_fields: keep,
            btree_all: btree,
            bytes_all: bytes,
            views_all: views,
            lazy_all: lazy,
            wire_all: wire,
            foldhash,
            small_all: small,
            serde,
            async_services,
        });
    }
    for name in sub_folders(&tests.join("golden/services")) {
        let fixture = fixture_of(&name).unwrap_or_else(|| {
            panic!(
                "tests/golden/services/{name}: no fixture found for it; teach `fixture_of` in \
                 tests/build.rs the golden test's naming rule"
            )
        });
        let dir = fixture
            .rsplit_once('/')
            .map_or("fixtures", |(d, _)| d)
            .to_owned();
        out.push(GoldenSource {
            folder: format!("golden/services/{name}"),
            mount: format!("services_{name}"),
            fixture,
            include_dirs: vec![dir],
            keep_unknown_fields: false,
            btree_all: false,
            bytes_all: false,
            views_all: false,
            lazy_all: false,
            wire_all: false,
            foldhash: false,
            small_all: false,
            serde: false,
            async_services: false,
        });
    }
    out
}

/// Writes `OUT_DIR/roundtrip_all.rs` (see the crate docs).
fn roundtrip_table() {
    use thriftc::codegen::plan::{self, Item};

    println!("cargo:rerun-if-changed=golden");
    println!("cargo:rerun-if-changed=../fixtures");
    let root = repo_root();
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut mounts = String::new();
    let mut table = String::new();
    let mut test_fns = String::new();
    let mut view_fns = String::new();
    for (gi, g) in golden_sources().iter().enumerate() {
        let mod_rs = tests.join(&g.folder).join("mod.rs");
        writeln!(
            mounts,
            "#[rustfmt::skip]\n#[allow(dead_code)]\n#[path = {:?}]\nmod {};",
            mod_rs.display().to_string(),
            g.mount
        )
        .unwrap();
        let mut options = thriftc::Options::default();
        options.keep_unknown_fields = g.keep_unknown_fields;
        options.btree_all = g.btree_all;
        if g.bytes_all {
            options.bytes_paths = vec![".".to_owned()];
        }
        if g.views_all {
            options.views = vec![".".to_owned()];
        }
        if g.lazy_all {
            options.lazy = vec![".".to_owned()];
        }
        if g.wire_all {
            options.wire_order_paths = vec![".".to_owned()];
        }
        if g.foldhash {
            options.hasher = Some("foldhash::fast::RandomState".to_owned());
        }
        if g.small_all {
            options.small_strings = vec![".".to_owned()];
        }
        options.serde = g.serde;
        options.async_services = g.async_services;
        let include_dirs: Vec<PathBuf> = g.include_dirs.iter().map(|d| root.join(d)).collect();
        let loaded = thriftc::load(&[root.join(&g.fixture)], &include_dirs)
            .unwrap_or_else(|e| panic!("{} does not load:\n{}", g.fixture, e.render(false)));
        let krate =
            plan::plan(&loaded.program, &options).unwrap_or_else(|e| panic!("{}: {e}", g.fixture));
        let mut entries = String::new();
        // Numbers the view checks: a service's item has several.
        let mut views_seen = 0usize;
        let mut entry = |m: usize,
                         i: usize,
                         function: &str,
                         module: &str,
                         ty: &str,
                         default: bool,
                         view: Option<&str>| {
            let path = format!("{}::{module}::{ty}", g.mount);
            let default = if default {
                format!("Some(default::<{path}>)")
            } else {
                "None".to_owned()
            };
            let view = match view {
                Some(v) => {
                    let f = format!("view_{gi}_{m}_{i}_{views_seen}");
                    views_seen += 1;
                    writeln!(
                        view_fns,
                        "fn {f}(case: &Case) -> Result<(), String> {{\n    \
                         check_view(case, {}, |proto, bytes| {{\n        \
                         let v: {}::{module}::{v}<'_> = decode_view(proto, bytes)?;\n        \
                         Ok(({path}::from(&v), encode(proto, &v)?))\n    }})\n}}\n",
                        g.lazy_all, g.mount
                    )
                    .unwrap();
                    format!("Some({f})")
                }
                None => "None".to_owned(),
            };
            writeln!(
                entries,
                "            Entry {{ module: {m}, item: {i}, function: {function}, path: \"{module}::{ty}\", \
                 run: run::<{path}>, default: {default}, view: {view} }},"
            )
            .unwrap();
        };
        let has_default = |s: &plan::Struct| s.default_impl != plan::DefaultImpl::None;
        for (m, module) in krate.modules.iter().enumerate() {
            let mname = module.name.as_str();
            for (i, item) in module.items.iter().enumerate() {
                match item {
                    Item::Struct(s) => {
                        let view = s.def.and_then(|id| krate.def(id).view.as_ref());
                        let view = view.map(|v| v.as_str());
                        entry(m, i, "None", mname, s.name.as_str(), has_default(s), view)
                    }
                    // Unions have no `Default`.
                    Item::Union(s) => {
                        let view = s.def.and_then(|id| krate.def(id).view.as_ref());
                        let view = view.map(|v| v.as_str());
                        entry(m, i, "None", mname, s.name.as_str(), false, view)
                    }
                    Item::Enum(e) => entry(m, i, "None", mname, e.name.as_str(), true, None),
                    Item::Service(svc) => {
                        for (fi, f) in svc.functions.iter().enumerate() {
                            let args = format!("Some(({fi}, Part::Args))");
                            let name = f.args.name.as_str();
                            // Argument views exist with a server only.
                            let view = f.args_view.as_ref().filter(|_| krate.gen_server);
                            let view = view.map(|v| v.as_str());
                            entry(m, i, &args, mname, name, has_default(&f.args), view);
                            let result = format!("Some(({fi}, Part::Result))");
                            let name = f.result.name.as_str();
                            entry(m, i, &result, mname, name, has_default(&f.result), None);
                        }
                    }
                    // Aliases and constants add no type of their own.
                    Item::Typedef(_) | Item::Const(_) => {}
                }
            }
        }
        writeln!(
            table,
            "    Golden {{\n        folder: {:?},\n        fixture: {:?},\n        include_dirs: &{:?},\n        \
             keep_unknown_fields: {},\n        btree_all: {},\n        bytes_all: {},\n        views_all: {},\n        lazy_all: {},\n        wire_all: {},\n        foldhash: {},\n        small_all: {},\n        serde: {},\n        types: &[\n{entries}        ],\n    }},",
            g.folder, g.fixture, g.include_dirs, g.keep_unknown_fields, g.btree_all, g.bytes_all, g.views_all, g.lazy_all, g.wire_all, g.foldhash, g.small_all, g.serde
        )
        .unwrap();
        writeln!(
            test_fns,
            "#[test]\nfn {}() {{\n    check_golden(&GOLDENS[{gi}]);\n}}\n",
            g.mount
        )
        .unwrap();
    }
    let text = format!(
        "// @generated by tests/build.rs for the roundtrip_all test.\n\n{mounts}\n\
         /// Every golden folder and its types.\n\
         static GOLDENS: &[Golden] = &[\n{table}];\n\n{test_fns}\n{view_fns}"
    );
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("roundtrip_all.rs");
    if std::fs::read_to_string(&target).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&target, text).expect("write roundtrip_all.rs");
    }
}

/// Writes `OUT_DIR/serde.rs` and the folders it mounts (see the crate docs).
fn serde_modules() {
    let root = repo_root();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let types = root.join("fixtures/codegen/types.thrift");
    let services = root.join("fixtures/valid/services.thrift");
    let uuids = root.join("fixtures/valid/uuid.thrift");
    let names = root.join("fixtures/serde/names.thrift");
    let json = root.join("fixtures/serde/json.thrift");
    type Configure = fn(&mut thriftc::Builder);
    // The last configuration asks for serde with the option, not with the
    // attribute.
    let configs: [(&str, &[&PathBuf], Configure); 9] = [
        ("plain", &[&types, &services, &uuids], |_| {}),
        ("keep_unknown", &[&types, &services, &uuids], |b| {
            b.keep_unknown_fields(true);
        }),
        ("wire", &[&types, &uuids], |b| {
            b.wire_order(["."]);
        }),
        ("bytes", &[&types, &uuids], |b| {
            b.bytes(["."]);
        }),
        ("small", &[&types, &uuids], |b| {
            b.small_strings(["."]);
        }),
        ("views_lazy", &[&types], |b| {
            b.views(["."]).lazy(["."]).keep_unknown_fields(true);
        }),
        ("option", &[&types, &uuids, &names, &json], |b| {
            b.serde(true).keep_unknown_fields(true);
        }),
        // The adapters over `Bytes`, `VecSet`, `VecMap` and `Box`.
        ("option_shared", &[&types, &uuids, &json], |b| {
            b.serde(true)
                .bytes(["."])
                .wire_order(["."])
                .boxed("Blobs.maybe_blob")
                .boxed("Blobs.one")
                .boxed("BlobOrReal.real");
        }),
        // ... and over `BTreeSet` and `BTreeMap`.
        // A boxed field with a default, beside a required one: serde
        // builds its default with a private function returning the box.
        ("option_btree", &[&json], |b| {
            b.serde(true).btree_all(true).boxed("Blobs.with_default");
        }),
    ];
    let mut mounts = String::from("// @generated by tests/build.rs for the serde test.\n\n");
    for (name, files, configure) in configs {
        let mut b = thriftc::Builder::new();
        b.files(files.iter().copied())
            .include_dir(root.join("fixtures/include"));
        if !name.starts_with("option") {
            b.type_attribute(".", "#[derive(serde::Serialize, serde::Deserialize)]");
        }
        configure(&mut b);
        let generated = b
            .generate()
            .unwrap_or_else(|e| panic!("serde configuration `{name}`: {e}"));
        let dir = out.join("serde").join(name);
        std::fs::create_dir_all(&dir).expect("create a serde output folder");
        for f in generated {
            let path = dir.join(&f.name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(f.contents.as_str()) {
                std::fs::write(&path, &f.contents).expect("write a generated serde module");
            }
        }
        let include = dir.join(thriftc::builder::DEFAULT_INCLUDE_FILE);
        writeln!(
            mounts,
            "#[allow(dead_code)]\npub mod {name} {{\n    include!({:?});\n}}",
            include.display().to_string()
        )
        .unwrap();
    }
    let target = out.join("serde.rs");
    if std::fs::read_to_string(&target).ok().as_deref() != Some(mounts.as_str()) {
        std::fs::write(&target, mounts).expect("write serde.rs");
    }
}
