//! Golden tests of code generation: every valid fixture's generated Rust,
//! compared byte for byte with `tests/golden/rs/<fixture>/`.
//!
//! Fixtures: `fixtures/valid/*.thrift` (golden folder `<stem>`) and the
//! files of `fixtures/{codegen,bench,compat}` (golden folder
//! `<folder>_<stem>`), and twenty-seven generated with options (`keep_unknown_fields`,
//! `btree_all`, `bytes_paths` three times (once on a module of string
//! constants alone, as `small_strings` is too), `views` eleven times, `hasher` twice,
//! `wire_order_paths`, `small_strings` four times (once with `hasher`, once
//! with `views`), `lazy` twice (with `views`), `serde` once (with
//! `keep_unknown_fields`, on the interop suite's IDL: structs with required,
//! optional and default fields, a union, an enum, exceptions and services),
//! `async_services` six times (the service fixtures, three of them with `views`);
//! among them `fixtures/views/services.thrift`, written for the view flavour
//! of services). Each golden folder
//! holds the generated modules of the fixture and of everything it includes, plus `mod.rs`. The index
//! `tests/golden/rs/all.rs` mounts every golden folder as a module; the
//! compile tests include it under `#![deny(warnings)]`.
//!
//! Bless after an intended change: `UPDATE_EXPECT=1 cargo test -p
//! thriftc-tests --test codegen_golden` (or `cargo xtask bless`).

use std::path::{Path, PathBuf};
use thriftc::options::Options;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `(golden folder name, fixture path, options)` for every fixture, sorted;
/// plus four fixtures generated with non-default options.
fn fixtures() -> Vec<(String, PathBuf, Options)> {
    let mut out = Vec::new();
    for (dir, prefix) in [
        ("valid", ""),
        ("codegen", "codegen_"),
        ("bench", "bench_"),
        ("compat", "compat_"),
    ] {
        let Ok(entries) = std::fs::read_dir(root().join("fixtures").join(dir)) else {
            continue;
        };
        for e in entries {
            let path = e.expect("read fixtures folder").path();
            if path.extension().is_some_and(|x| x == "thrift") {
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                let name = format!("{prefix}{stem}").replace('-', "_");
                out.push((name, path, Options::default()));
            }
        }
    }
    let mut keep = Options::default();
    keep.keep_unknown_fields = true;
    out.push((
        "compat_v1_keep_unknown".to_owned(),
        root().join("fixtures/compat/v1.thrift"),
        keep,
    ));
    let mut btree = Options::default();
    btree.keep_unknown_fields = true;
    btree.btree_all = true;
    out.push((
        "codegen_types_btree_keep_unknown".to_owned(),
        root().join("fixtures/codegen/types.thrift"),
        btree,
    ));
    let mut bytes = Options::default();
    bytes.bytes_paths = vec![".".to_owned()];
    for (name, fixture) in [
        ("bench_bench_bytes", "fixtures/bench/bench.thrift"),
        ("codegen_types_bytes", "fixtures/codegen/types.thrift"),
    ] {
        out.push((name.to_owned(), root().join(fixture), bytes.clone()));
    }
    let mut views = Options::default();
    views.views = vec![".".to_owned()];
    out.push((
        "bench_bench_views".to_owned(),
        root().join("fixtures/bench/bench.thrift"),
        views.clone(),
    ));
    let mut views_foldhash = views.clone();
    views_foldhash.hasher = Some(FOLDHASH.to_owned());
    // Services with a view flavour: exceptions, void, oneway, `extends`
    // (across an include; of a parent with and without a view flavour),
    // keyword and colliding method names, returns with and without views.
    for (name, fixture) in [
        ("services_views", "fixtures/valid/services.thrift"),
        ("services_edge_views", "fixtures/services/edge.thrift"),
        ("views_services_views", "fixtures/views/services.thrift"),
    ] {
        out.push((name.to_owned(), root().join(fixture), views.clone()));
    }
    out.push((
        "bench_bench_views_foldhash".to_owned(),
        root().join("fixtures/bench/bench.thrift"),
        views_foldhash,
    ));
    views.keep_unknown_fields = true;
    out.push((
        "codegen_types_views_keep_unknown".to_owned(),
        root().join("fixtures/codegen/types.thrift"),
        views,
    ));
    // Views with every container lazy: the bench IDL, and every kind of
    // container (sets of structs, struct-keyed maps, nesting, typedefs,
    // unions) with unknown fields kept.
    let mut lazy = Options::default();
    lazy.views = vec![".".to_owned()];
    lazy.lazy = vec![".".to_owned()];
    out.push((
        "bench_bench_views_lazy".to_owned(),
        root().join("fixtures/bench/bench.thrift"),
        lazy.clone(),
    ));
    lazy.keep_unknown_fields = true;
    out.push((
        "codegen_types_views_lazy_keep_unknown".to_owned(),
        root().join("fixtures/codegen/types.thrift"),
        lazy,
    ));
    let mut wire = Options::default();
    wire.wire_order_paths = vec![".".to_owned()];
    out.push((
        "codegen_types_wire".to_owned(),
        root().join("fixtures/codegen/types.thrift"),
        wire,
    ));
    // `CompactString` strings, with std's hasher and with foldhash.
    let mut small = Options::default();
    small.small_strings = vec![".".to_owned()];
    out.push((
        "bench_bench_small".to_owned(),
        root().join("fixtures/bench/bench.thrift"),
        small.clone(),
    ));
    let mut small_foldhash = small.clone();
    small_foldhash.hasher = Some(FOLDHASH.to_owned());
    out.push((
        "bench_bench_small_foldhash".to_owned(),
        root().join("fixtures/bench/bench.thrift"),
        small_foldhash,
    ));
    // With views too: a view's strings convert to `CompactString`.
    small.views = vec![".".to_owned()];
    out.push((
        "codegen_types_views_small".to_owned(),
        root().join("fixtures/codegen/types.thrift"),
        small,
    ));
    let mut foldhash = Options::default();
    foldhash.hasher = Some(FOLDHASH.to_owned());
    out.push((
        "codegen_types_foldhash".to_owned(),
        root().join("fixtures/codegen/types.thrift"),
        foldhash.clone(),
    ));
    // Service signatures that a hasher type makes too complex for clippy.
    out.push((
        "codegen_nested_foldhash".to_owned(),
        root().join("fixtures/codegen/nested.thrift"),
        foldhash,
    ));
    // serde's derives and attributes on every owned type, with unknown
    // fields kept (`interop.thrift` includes the `shared.thrift` next to it).
    let mut serde = Options::default();
    serde.serde = true;
    serde.keep_unknown_fields = true;
    out.push((
        "interop_serde_keep_unknown".to_owned(),
        root().join("fixtures/interop/interop.thrift"),
        serde,
    ));
    // The async (tokio) flavour of services: `extends` across an include,
    // declared exceptions, oneway and void methods, a service without
    // methods; keyword and colliding names; and names that collide with
    // the generated items' own.
    let mut asynchronous = Options::default();
    asynchronous.async_services = true;
    for (name, fixture) in [
        ("services_async", "fixtures/valid/services.thrift"),
        ("services_edge_async", "fixtures/services/edge.thrift"),
        ("services_awkward_async", "fixtures/services/awkward.thrift"),
    ] {
        out.push((name.to_owned(), root().join(fixture), asynchronous.clone()));
    }
    // With views too: the async view flavour, beside the async and the
    // blocking view flavours.
    let mut async_views = asynchronous.clone();
    async_views.views = vec![".".to_owned()];
    for (name, fixture) in [
        (
            "views_services_views_async",
            "fixtures/views/services.thrift",
        ),
        ("services_edge_views_async", "fixtures/services/edge.thrift"),
        (
            "services_awkward_views_async",
            "fixtures/services/awkward.thrift",
        ),
    ] {
        out.push((name.to_owned(), root().join(fixture), async_views.clone()));
    }
    // A module of string and binary constants alone, under the options
    // that change what `string` and `binary` fields are.
    let mut bytes_only = Options::default();
    bytes_only.bytes_paths = vec![".".to_owned()];
    let mut small_only = Options::default();
    small_only.small_strings = vec![".".to_owned()];
    for (name, options) in [
        ("codegen_string_consts_bytes", bytes_only),
        ("codegen_string_consts_small", small_only),
    ] {
        out.push((
            name.to_owned(),
            root().join("fixtures/codegen/string_consts.thrift"),
            options,
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The hasher of the `_foldhash` goldens (option `hasher`).
const FOLDHASH: &str = "foldhash::fast::RandomState";

/// Generates the files of one fixture.
pub fn generate(path: &Path, options: &Options) -> Vec<thriftc::codegen::GeneratedFile> {
    let include_dirs = [root().join("fixtures/include")];
    let loaded = thriftc::load(&[path.to_path_buf()], &include_dirs)
        .unwrap_or_else(|e| panic!("{} does not load:\n{}", path.display(), e.render(false)));
    thriftc::codegen::generate(&loaded.program, options)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn goldens() {
    let fixtures = fixtures();
    assert!(
        fixtures.iter().any(|(n, ..)| n == "codegen_types"),
        "fixtures/codegen/types.thrift is missing"
    );
    let golden_root = root().join("tests/golden/rs");
    let mut index = String::from(
        "// @generated by the codegen_golden test: every golden folder as a module.\n\n",
    );
    for (name, path, options) in &fixtures {
        for f in generate(path, options) {
            let golden = golden_root.join(name).join(&f.name);
            if std::env::var_os("UPDATE_EXPECT").is_some() {
                std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            }
            expect_test::expect_file![golden].assert_eq(&f.contents);
        }
        index.push_str(&format!(
            "#[path = \"{name}/mod.rs\"]\npub mod idl_{name};\n"
        ));
    }
    expect_test::expect_file![golden_root.join("all.rs")].assert_eq(&index);

    // No stale golden folders.
    let known: Vec<&str> = fixtures.iter().map(|(n, ..)| n.as_str()).collect();
    for e in std::fs::read_dir(&golden_root).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            let n = e.file_name().to_string_lossy().into_owned();
            assert!(
                known.contains(&n.as_str()),
                "tests/golden/rs/{n} has no fixture: delete it"
            );
        }
    }
}

#[test]
fn output_is_deterministic() {
    for (_, path, options) in fixtures() {
        assert_eq!(
            generate(&path, &options),
            generate(&path, &options),
            "{}",
            path.display()
        );
    }
}
