//! Golden files of generated service code: the interop suite
//! (`fixtures/interop/interop.thrift` and what it includes) and the
//! Rust-only service fixtures (`fixtures/services/*.thrift`), compared byte
//! for byte with `tests/golden/services/<name>/`.
//!
//! The interop and services tests compile these very files (under
//! `#![deny(warnings)]`, and clippy with `-D warnings` in CI), so a golden
//! that is current is also one that builds and interoperates.
//!
//! Bless after an intended change: `UPDATE_EXPECT=1 cargo test -p
//! thriftc-tests --test services_golden` (or `cargo xtask bless`).

use std::path::{Path, PathBuf};
use thriftc::options::Options;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `(golden folder, fixture)` pairs, sorted.
fn fixtures() -> Vec<(String, PathBuf)> {
    let mut out = vec![(
        "interop".to_owned(),
        root().join("fixtures/interop/interop.thrift"),
    )];
    let dir = root().join("fixtures/services");
    for e in std::fs::read_dir(&dir).expect("fixtures/services exists") {
        let path = e.expect("read fixtures/services").path();
        if path.extension().is_some_and(|x| x == "thrift") {
            let stem = path
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .replace('-', "_");
            out.push((format!("services_{stem}"), path));
        }
    }
    out.sort();
    out
}

/// The interop suite also serves and calls through the async flavour
/// (option `async_services`), and serves some methods of `Interop` through
/// the view flavours, blocking and async (option `views`: an echo of a
/// struct and of containers, a method that throws, a oneway one), whose
/// traits extend the owned traits of `shared.Base` (no method of it is
/// selected); the other fixtures are blocking only (their async and view
/// flavours have goldens of their own, `tests/golden/rs/*_async`,
/// `*_views`).
fn generate(path: &Path) -> Vec<thriftc::codegen::GeneratedFile> {
    let dir = path.parent().unwrap().to_path_buf();
    let loaded = thriftc::load(&[path.to_path_buf()], &[dir])
        .unwrap_or_else(|e| panic!("{} does not load:\n{}", path.display(), e.render(false)));
    let mut options = Options::default();
    if path.ends_with("interop/interop.thrift") {
        options.async_services = true;
        options.views = [
            "interop.Interop.echoRecord",
            "interop.Interop.echoContainers",
            "interop.Interop.lookup",
            "interop.Interop.notify",
        ]
        .map(str::to_owned)
        .to_vec();
    }
    thriftc::codegen::generate(&loaded.program, &options)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn service_goldens() {
    let golden_root = root().join("tests/golden/services");
    let fixtures = fixtures();
    for (name, path) in &fixtures {
        let files = generate(path);
        assert!(
            files
                .iter()
                .any(|f| f.contents.contains("Processor<H: ?Sized>")),
            "{}: no processor generated",
            path.display()
        );
        for f in &files {
            expect_test::expect_file![golden_root.join(name).join(&f.name)].assert_eq(&f.contents);
        }
        // No stale files in the folder.
        for e in std::fs::read_dir(golden_root.join(name)).unwrap() {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                files.iter().any(|f| f.name == n),
                "tests/golden/services/{name}/{n} is no longer generated: delete it"
            );
        }
    }
    for e in std::fs::read_dir(&golden_root).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            fixtures.iter().any(|(f, _)| *f == n),
            "tests/golden/services/{n} has no fixture: delete it"
        );
    }
}

/// A function's doc comment is on its handler trait method in every
/// flavour (blocking and async, owned and with views) and on its client
/// method, blocking and async; a service's on its handler trait.
#[test]
fn doc_comments_reach_trait_and_client() {
    let files = generate(&root().join("fixtures/interop/interop.thrift"));
    let interop = &files
        .iter()
        .find(|f| f.name == "interop.rs")
        .unwrap()
        .contents;
    let doc = "/// The records grouped by color, each group in input order.\n";
    let trait_at = interop.find("pub trait InteropHandler").unwrap();
    let client_at = interop
        .find("impl<C: __rt::Channel> InteropClient<C> {\n    /// Returns")
        .unwrap();
    let async_trait_at = interop.find("pub trait InteropAsyncHandler").unwrap();
    let async_client_at = interop
        .find("impl<C: __rt::tokio::AsyncChannel> InteropAsyncClient<C> {\n    /// Returns")
        .unwrap();
    let view_trait_at = interop.find("pub trait InteropViewHandler").unwrap();
    let async_view_trait_at = interop.find("pub trait InteropAsyncViewHandler").unwrap();
    let mut hits: Vec<usize> = interop.match_indices(doc).map(|(i, _)| i).collect();
    assert_eq!(
        hits.len(),
        6,
        "{doc:?} should document the trait methods of every flavour and the client methods"
    );
    let mut owners = [
        trait_at,
        client_at,
        async_trait_at,
        async_client_at,
        view_trait_at,
        async_view_trait_at,
    ];
    owners.sort();
    hits.sort();
    for (hit, owner) in hits.iter().zip(owners.iter().skip(1).chain([&usize::MAX])) {
        // Each doc sits after its owner and before the next one.
        assert!(hit < owner, "{doc:?} at {hit} out of place ({owners:?})");
    }
    for (hit, owner) in hits.iter().zip(owners.iter()) {
        assert!(hit > owner, "{doc:?} at {hit} out of place ({owners:?})");
    }
    let svc_doc = "/// The service every interop peer serves and calls.\n";
    let svc_at = interop
        .find(svc_doc)
        .expect("the service doc is on the trait");
    assert!(svc_at < trait_at && trait_at - svc_at < 600);
}
