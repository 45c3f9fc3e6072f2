//! The build.rs API: [`Builder`], the one-line [`compile`], and the [`Error`]
//! a build script sees.
//!
//! A [`Builder`] collects IDL files, include folders and code generation
//! [`Options`] (the same struct `thriftc gen` fills), then either returns the
//! generated files in memory ([`Builder::generate`]) or writes them
//! ([`Builder::compile`]) into `$OUT_DIR` together with an *include file*
//! (`_thrift.rs` by default) that declares every generated module, so the
//! user's crate needs one line (with another include file name, the modules
//! go into a subfolder named after it; see [`Builder::include_file`]):
//!
//! ```ignore
//! include!(concat!(env!("OUT_DIR"), "/_thrift.rs"));
//! ```
//!
//! [`Builder::compile`] prints `cargo:rerun-if-changed` for every IDL file it
//! read (the named ones and everything they include, and nothing else), and
//! IDL warnings as `cargo:warning` lines (those not hidden with
//! [`Builder::allow`]; a kind set to [`Builder::deny`] fails the build).
//! Files are written only when their content changed.

use crate::codegen::{self, GeneratedFile};
use crate::lint::{Level, Lint, LintLevels};
use crate::options::Options;
use crate::sema::{self, Failed};
use quote::quote;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Default name of the include file written next to the generated modules.
pub const DEFAULT_INCLUDE_FILE: &str = "_thrift.rs";

/// Generates Rust from Thrift IDL in a build script.
///
/// Every setter takes and returns `&mut Self`, so calls chain; finish with
/// [`compile`](Builder::compile) (write the files) or
/// [`generate`](Builder::generate) (return them).
///
/// ```no_run
/// // build.rs
/// fn main() -> Result<(), thriftc::Error> {
///     thriftc::Builder::new()
///         .file("idl/calculator.thrift")
///         .include_dir("idl/common")
///         .type_attribute("calculator.Work", "#[derive(serde::Serialize)]")
///         .btree_map([".calculator"])
///         .gen_client(false)
///         .compile()
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    files: Vec<PathBuf>,
    include_dirs: Vec<PathBuf>,
    options: Options,
    include_file: String,
    emit_rerun_if_changed: bool,
    lints: LintLevels,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// A builder with no files and the default [`Options`].
    #[must_use]
    pub fn new() -> Builder {
        Builder::with_options(Options::default())
    }

    /// A builder starting from the given [`Options`] (the struct the
    /// `thriftc gen` command line fills); the setters below change it.
    #[must_use]
    pub fn with_options(options: Options) -> Builder {
        Builder {
            files: Vec::new(),
            include_dirs: Vec::new(),
            options,
            include_file: DEFAULT_INCLUDE_FILE.to_owned(),
            emit_rerun_if_changed: true,
            lints: LintLevels::new(),
        }
    }

    /// The code generation settings as set so far.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Adds an IDL file to compile. Files it includes are found on their
    /// own (see [`include_dir`](Builder::include_dir)) and generated too.
    /// Relative paths are relative to the current folder, which in a build
    /// script is the package's folder (where `Cargo.toml` is).
    pub fn file(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.files.push(path.as_ref().to_path_buf());
        self
    }

    /// Adds several IDL files (see [`file`](Builder::file)).
    pub fn files<I>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: AsRef<Path>,
    {
        self.files
            .extend(paths.into_iter().map(|p| p.as_ref().to_path_buf()));
        self
    }

    /// Adds a folder to search for `include`d files. An include is looked up
    /// in the including file's folder first, then in each include folder in
    /// the order added.
    pub fn include_dir(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.include_dirs.push(path.as_ref().to_path_buf());
        self
    }

    /// Adds several include folders (see [`include_dir`](Builder::include_dir)).
    pub fn include_dirs<I>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: AsRef<Path>,
    {
        self.include_dirs
            .extend(paths.into_iter().map(|p| p.as_ref().to_path_buf()));
        self
    }

    /// The folder the generated files are written to. Default: `$OUT_DIR`,
    /// which cargo sets for build scripts. Created if missing.
    pub fn out_dir(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.options.out_dir = Some(path.as_ref().to_path_buf());
        self
    }

    /// Path of the runtime crate as generated code names it. Default
    /// `::thriftc_runtime`; use e.g. `crate::rt` when your crate re-exports
    /// the runtime under another name.
    pub fn runtime_path(&mut self, path: impl Into<String>) -> &mut Self {
        self.options.runtime_path = path.into();
        self
    }

    /// Adds an attribute to the generated types matching `path` (structs,
    /// unions, exceptions, enums, and the argument and result structs of
    /// service functions, whose path is `file.Service.function`).
    /// `attribute` is Rust source such as `#[derive(serde::Serialize)]`.
    /// Paths are Thrift names qualified by the file stem: `calculator.Work`;
    /// a leading `.` matches by prefix (`.calculator` is every type of
    /// `calculator.thrift`), anything else by suffix (`Work`), and `.` alone
    /// matches everything. See [`options`](crate::options) for the rules.
    /// Borrowed views (`WorkRef<'a>`, option [`views`](Builder::views)) get
    /// no type attributes.
    ///
    /// For serde on every type, prefer [`serde(true)`](Builder::serde),
    /// which also leaves out `None` options and empty unknown fields and
    /// fills in missing fields as a Thrift read would. serde's derives as
    /// a type attribute, as below, need the same dependencies: `serde`
    /// (feature `derive`) and the runtime's feature `serde`, which
    /// implements serde's traits for the runtime types that generated types
    /// hold (`Uuid`, `VecSet`, `VecMap`, kept unknown fields and unions'
    /// `Unknown` variants, and `Bytes`, `ByteString`, `CompactString`):
    /// `thriftc-runtime = { version = "...", features = ["serde"] }`. The
    /// runtime's crate docs describe the representations; unknown fields
    /// are kept through a serde round trip. Then every field but the
    /// `Option`s (serde reads a missing one as `None`), also
    /// `unknown_fields`, must be present in what is read, and `None` is
    /// written as `null`; add field attributes to change that.
    ///
    /// ```no_run
    /// thriftc::Builder::new()
    ///     .file("idl/calculator.thrift")
    ///     .type_attribute(".", "#[derive(serde::Serialize, serde::Deserialize)]")
    ///     .compile()
    ///     .unwrap();
    /// ```
    pub fn type_attribute(
        &mut self,
        path: impl Into<String>,
        attribute: impl Into<String>,
    ) -> &mut Self {
        self.options
            .type_attributes
            .push((path.into(), attribute.into()));
        self
    }

    /// Adds an attribute to the generated fields (and union variants)
    /// matching `path`, e.g. `("calculator.Work.comment", "#[serde(default)]")`.
    /// Paths follow the rules of [`type_attribute`](Builder::type_attribute).
    pub fn field_attribute(
        &mut self,
        path: impl Into<String>,
        attribute: impl Into<String>,
    ) -> &mut Self {
        self.options
            .field_attributes
            .push((path.into(), attribute.into()));
        self
    }

    /// Uses `BTreeMap`/`BTreeSet` instead of `HashMap`/`HashSet` for the maps
    /// and sets of the fields matching these paths (where the key type is
    /// ordered). A type or file path (`calculator.Work`, `.calculator`)
    /// covers all of its fields.
    pub fn btree_map<I>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.options
            .btree_paths
            .extend(paths.into_iter().map(Into::into));
        self
    }

    /// Uses the runtime's `VecMap`/`VecSet` for the maps and sets of the
    /// fields matching these paths (`["."]` for all): kept in wire order,
    /// with no hashing or ordering, written back as they came. See
    /// [`Options::wire_order_paths`].
    pub fn wire_order<I>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.options
            .wire_order_paths
            .extend(paths.into_iter().map(Into::into));
        self
    }

    /// Uses `BTreeMap`/`BTreeSet` for every map and set whose key type is
    /// ordered. Default `false`.
    pub fn btree_all(&mut self, yes: bool) -> &mut Self {
        self.options.btree_all = yes;
        self
    }

    /// Uses the runtime's shared `ByteString` for `string` and `Bytes` for
    /// `binary` values (also inside containers) of the fields, typedefs,
    /// constants and functions matching these paths, instead of `String`
    /// and `Vec<u8>` (like prost-build's `bytes`); `["."]` for all. Decoded
    /// from a `Bytes` buffer they are slices of it, without a copy. Enable
    /// the runtime's cargo feature `bytes`:
    /// `thriftc-runtime = { version = "...", features = ["bytes"] }`.
    /// See [`Options::bytes_paths`].
    pub fn bytes<I>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.options
            .bytes_paths
            .extend(paths.into_iter().map(Into::into));
        self
    }

    /// Uses the runtime's `CompactString` for `string` values (also inside
    /// containers) of the fields, typedefs, constants and functions
    /// matching these paths, instead of `String`; `["."]` for all. Strings
    /// of up to 24 bytes are kept inline, so decoding them allocates
    /// nothing. Enable the runtime's cargo feature `compact_str`:
    /// `thriftc-runtime = { version = "...", features = ["compact_str"] }`.
    /// See [`Options::small_strings`].
    pub fn small_strings<I>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.options
            .small_strings
            .extend(paths.into_iter().map(Into::into));
        self
    }

    /// Uses `path` (a type implementing `BuildHasher + Default`, e.g.
    /// `foldhash::fast::RandomState`) as the hasher of every generated
    /// `HashMap` and `HashSet` instead of std's `RandomState`. See
    /// [`Options::hasher`] for the trade-off.
    pub fn hasher(&mut self, path: impl Into<String>) -> &mut Self {
        self.options.hasher = Some(path.into());
        self
    }

    /// Also generates a borrowed view type `<Name>Ref<'a>` for the structs,
    /// unions and exceptions matching these paths (`["."]` for all): its
    /// `string`s are `&'a str` and its `binary`s `&'a [u8]`, read from a
    /// byte slice without a copy (`thriftc_runtime::binary::decode_view`).
    /// Paths matching a service (`bench.Bench`) or a function
    /// (`bench.Bench.echo`) also give the service a view server flavour,
    /// `<Service>ViewHandler` and `<Service>ViewProcessor`, whose selected
    /// methods take their arguments as views of the request and may return
    /// views of them; with [`async_services`](Self::async_services), an
    /// async one too, `<Service>AsyncViewHandler` and
    /// `<Service>AsyncViewProcessor`. See [`Options::views`].
    pub fn views<I>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.options.views.extend(paths.into_iter().map(Into::into));
        self
    }

    /// Leaves the lists, sets and maps of views undecoded
    /// (`LazyList`/`LazySet`/`LazyMap`) in the fields matching these paths
    /// (`["."]` for all): checked when read, decoded when iterated, written
    /// back in one copy. See [`Options::lazy`].
    pub fn lazy<I>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.options.lazy.extend(paths.into_iter().map(Into::into));
        self
    }

    /// Stores the fields matching `path` boxed (`Box<T>`), e.g. to keep a
    /// large, rarely set field out of line. Recursive fields are always
    /// boxed.
    pub fn boxed(&mut self, path: impl Into<String>) -> &mut Self {
        self.options.boxed.push(path.into());
        self
    }

    /// Hides one kind of warning: `.allow(Lint::EnumAlias)` for an IDL that
    /// gives enum numbers second names on purpose. See [`Lint`] for the
    /// kinds; a level set for one kind wins over
    /// [`deny_warnings`](Self::deny_warnings).
    pub fn allow(&mut self, lint: Lint) -> &mut Self {
        self.lints.set(lint, Level::Allow);
        self
    }

    /// Makes one kind of warning an error: the build fails on it, and
    /// nothing is written.
    pub fn deny(&mut self, lint: Lint) -> &mut Self {
        self.lints.set(lint, Level::Deny);
        self
    }

    /// Makes every kind of warning an error, except those given their own
    /// level with [`allow`](Self::allow) or [`deny`](Self::deny)
    /// (`thriftc gen -D warnings`). Default `false`.
    pub fn deny_warnings(&mut self, yes: bool) -> &mut Self {
        self.lints
            .set_all(if yes { Level::Deny } else { Level::Warn });
        self
    }

    /// Generates service clients. Default `true`.
    pub fn gen_client(&mut self, yes: bool) -> &mut Self {
        self.options.gen_client = yes;
        self
    }

    /// Generates service handler traits and processors. Default `true`.
    pub fn gen_server(&mut self, yes: bool) -> &mut Self {
        self.options.gen_server = yes;
        self
    }

    /// Also generates async (tokio) services: `<Service>AsyncHandler`,
    /// `<Service>AsyncProcessor` and `<Service>AsyncClient`, beside the
    /// blocking code (see [`Options::async_services`]), and for a service
    /// with a view flavour ([`views`](Self::views)) `<Service>AsyncViewHandler`
    /// and `<Service>AsyncViewProcessor`. Default `false`.
    /// Needs the runtime's cargo feature `tokio`:
    /// `thriftc-runtime = { version = "...", features = ["tokio"] }`.
    pub fn async_services(&mut self, yes: bool) -> &mut Self {
        self.options.async_services = yes;
        self
    }

    /// Keeps fields the schema does not know (sent by a newer peer) in an
    /// `unknown_fields` field of every struct and writes them back
    /// unchanged. Default `false` (they are skipped).
    pub fn keep_unknown_fields(&mut self, yes: bool) -> &mut Self {
        self.options.keep_unknown_fields = yes;
        self
    }

    /// Derives serde's `Serialize` and `Deserialize` on every generated
    /// owned type: structs, exceptions, unions, enums and the argument and
    /// result structs of service functions (not views). Default `false`.
    ///
    /// Needs `serde` with its `derive` feature in your dependencies (the
    /// generated code names `::serde::Serialize`, nothing else) and the
    /// runtime's feature `serde`:
    /// `thriftc-runtime = { version = "...", features = ["serde"] }`.
    /// Documents read as the wire does: a missing `optional` field is
    /// `None`, missing unknown fields none, a missing default-requiredness
    /// field its IDL default, and a missing `required` field is an error.
    /// `None` options and empty `unknown_fields` are left out when written.
    /// Fields keep their Rust names, and an enum is its number (unknown
    /// values round-trip). In JSON, a `binary` is base64 text and a NaN or
    /// infinite `double` keeps its bits. [`Options::serde`] has the
    /// details.
    ///
    /// ```no_run
    /// thriftc::Builder::new()
    ///     .file("idl/calculator.thrift")
    ///     .serde(true)
    ///     .compile()
    ///     .unwrap();
    /// ```
    pub fn serde(&mut self, yes: bool) -> &mut Self {
        self.options.serde = yes;
        self
    }

    /// Prints `cargo:rerun-if-changed=<file>` for every IDL file read by
    /// [`compile`](Builder::compile), so cargo reruns the build script when
    /// one of them (or a file one of them includes) changes, and only then.
    /// Default `true`; turn it off when you print your own.
    pub fn emit_rerun_if_changed(&mut self, yes: bool) -> &mut Self {
        self.emit_rerun_if_changed = yes;
        self
    }

    /// Name of the include file written into the output folder: it
    /// declares each generated module as `pub mod <name> {
    /// include!("<name>.rs"); }`. Default `_thrift.rs`. Include it where the
    /// modules should live:
    ///
    /// ```ignore
    /// pub mod idl {
    ///     include!(concat!(env!("OUT_DIR"), "/_thrift.rs"));
    /// }
    /// ```
    ///
    /// With the default name, the modules (`<module>.rs`) and `mod.rs` are
    /// written beside it, in the output folder itself. With another name,
    /// they go into a subfolder named after the include file's stem:
    /// `greeter_idl.rs` includes `greeter_idl/<module>.rs`. So builders
    /// sharing `OUT_DIR` (two build steps, or two IDL sets) never overwrite
    /// each other's modules, as long as their include files differ. A
    /// default-layout module named like another builder's include file
    /// (`b_idl.rs` from `b_idl.thrift`, beside an include file `b_idl.rs`)
    /// is an error, whichever builder runs second; nothing is written over.
    ///
    /// The name must be a plain file name (no folder) with an extension
    /// (`.rs`); with the default name, no generated module may use it.
    pub fn include_file(&mut self, name: impl Into<String>) -> &mut Self {
        self.include_file = name.into();
        self
    }

    /// Checks the IDL and returns the generated files without writing
    /// anything or printing anything: one `<module>.rs` per IDL file,
    /// `mod.rs`, and the include file, named by their paths in the output
    /// folder (`greeter_idl/<module>.rs` for an include file `greeter_idl.rs`,
    /// see [`include_file`](Builder::include_file)).
    pub fn generate(&self) -> Result<Vec<GeneratedFile>, Error> {
        self.run().1
    }

    /// Checks the IDL and writes the generated files to the output folder
    /// (only those whose content changed; the modules into a subfolder when
    /// the include file is not the default, see
    /// [`include_file`](Builder::include_file)). In a build script this also
    /// prints `cargo:rerun-if-changed` lines (see
    /// [`emit_rerun_if_changed`](Builder::emit_rerun_if_changed)) and the
    /// IDL's warnings as `cargo:warning` lines.
    pub fn compile(&self) -> Result<(), Error> {
        let out_dir = self.resolve_out_dir()?;
        let (read, result) = self.run();
        let mut stdout = io::stdout().lock();
        if self.emit_rerun_if_changed {
            for path in &read.paths {
                // Cargo reads instructions line by line: a path with a line
                // break cannot be expressed, and is skipped.
                if let Some(p) = path.to_str().filter(|p| !p.contains(['\n', '\r'])) {
                    let _ = writeln!(stdout, "cargo:rerun-if-changed={p}");
                }
            }
        }
        for line in read.warnings.lines().filter(|l| !l.trim().is_empty()) {
            let _ = writeln!(stdout, "cargo:warning={line}");
        }
        drop(stdout);
        write_files(&out_dir, &result?)
    }

    fn resolve_out_dir(&self) -> Result<PathBuf, Error> {
        match &self.options.out_dir {
            Some(dir) => Ok(dir.clone()),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| {
                    Error::Config(
                        "OUT_DIR is not set: thriftc writes to $OUT_DIR when run from a build \
                         script (build.rs); elsewhere set a folder with `.out_dir(...)`"
                            .to_owned(),
                    )
                }),
        }
    }

    /// Loads, checks and generates; also returns what was read.
    fn run(&self) -> (Read, Result<Vec<GeneratedFile>, Error>) {
        let mut read = Read::default();
        if self.files.is_empty() {
            return (
                read,
                Err(Error::Config(
                    "no IDL files to compile: add some with `.file(...)`".to_owned(),
                )),
            );
        }
        if let Err(e) = check_include_file_name(&self.include_file) {
            return (read, Err(e));
        }
        let loaded = match sema::load(&self.files, &self.include_dirs) {
            Ok(loaded) => loaded,
            Err(mut failed) => {
                read.paths = failed.sources.iter().map(|(_, f)| f.path.clone()).collect();
                failed.diagnostics = self.lints.apply(std::mem::take(&mut failed.diagnostics));
                return (read, Err(Error::Idl(failed)));
            }
        };
        read.paths = loaded
            .program
            .sources
            .iter()
            .map(|(_, f)| f.path.clone())
            .collect();
        let mut warnings = loaded.warnings;
        warnings.extend(codegen::warnings(&loaded.program, &self.options));
        let warnings = self.lints.apply(warnings);
        if warnings.has_errors() {
            // A denied warning: reported with the others, nothing generated.
            let failed = Failed {
                sources: loaded.program.sources,
                diagnostics: warnings,
                unreadable: Vec::new(),
            };
            return (read, Err(Error::Idl(failed)));
        }
        read.warnings = warnings.render(&loaded.program.sources, false);
        let result = codegen::generate(&loaded.program, &self.options)
            .map_err(Error::Codegen)
            .and_then(|files| add_include_file(files, &self.include_file));
        (read, result)
    }
}

/// What a run read: for `cargo:` instructions.
#[derive(Default)]
struct Read {
    paths: Vec<PathBuf>,
    warnings: String,
}

fn check_include_file_name(name: &str) -> Result<(), Error> {
    let plain = !name.is_empty()
        && !name.contains(['/', '\\'])
        && name != "."
        && name != ".."
        && name != "mod.rs"
        // The modules' subfolder is named after the stem.
        && module_folder(name).is_none_or(|folder| !folder.is_empty() && folder != name);
    if plain {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "include file name `{name}` must be a plain file name with an extension, such as \
             `{DEFAULT_INCLUDE_FILE}` (no folder, not `mod.rs`): set the folder with \
             `.out_dir(...)`"
        )))
    }
}

/// The subfolder of the output folder that holds the modules: none for the
/// default include file, else the include file's stem (`greeter_idl` for
/// `greeter_idl.rs`), so builders with different include files sharing an
/// output folder never write the same file.
fn module_folder(include_file: &str) -> Option<&str> {
    if include_file == DEFAULT_INCLUDE_FILE {
        return None;
    }
    Some(
        Path::new(include_file)
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or(""),
    )
}

/// Moves the modules into their subfolder, if any (see [`module_folder`]),
/// and appends the include file: every module that `mod.rs` declares, as an
/// inline module that `include!`s its file (paths relative to the include
/// file, so it works wherever the output folder is).
fn add_include_file(
    mut files: Vec<GeneratedFile>,
    name: &str,
) -> Result<Vec<GeneratedFile>, Error> {
    let folder = module_folder(name);
    if folder.is_none() && files.iter().any(|f| f.name == name) {
        return Err(Error::Config(format!(
            "include file name `{name}` is also the name of a generated module: choose another \
             with `.include_file(...)`"
        )));
    }
    let mod_rs = files
        .iter()
        .find(|f| f.name == "mod.rs")
        .ok_or_else(|| Error::Codegen(codegen::Error::Internal("no mod.rs generated".into())))?;
    let parsed = syn::parse_file(&mod_rs.contents).map_err(|e| {
        Error::Codegen(codegen::Error::Internal(format!(
            "mod.rs does not parse: {e}"
        )))
    })?;
    let mut items = Vec::new();
    for item in parsed.items {
        match item {
            syn::Item::Mod(m) if m.content.is_none() => {
                let syn::ItemMod {
                    attrs, vis, ident, ..
                } = m;
                let module = syn::ext::IdentExt::unraw(&ident);
                let file = match folder {
                    Some(folder) => format!("{folder}/{module}.rs"),
                    None => format!("{module}.rs"),
                };
                items.push(quote! {
                    #(#attrs)*
                    #vis mod #ident {
                        include!(#file);
                    }
                });
            }
            other => items.push(quote!(#other)),
        }
    }
    let file: syn::File = syn::parse2(quote!(#(#items)*)).map_err(|e| {
        Error::Codegen(codegen::Error::Internal(format!(
            "include file does not parse: {e}"
        )))
    })?;
    if let Some(folder) = folder {
        for f in &mut files {
            f.name = format!("{folder}/{}", f.name);
        }
    }
    files.push(GeneratedFile {
        name: name.to_owned(),
        contents: format!(
            "// @generated by thriftc {}: every module generated from the IDL. Do not edit.\n\n{}",
            env!("CARGO_PKG_VERSION"),
            prettyplease::unparse(&file)
        ),
    });
    Ok(files)
}

/// What a generated file is, told from its first line: builders that share
/// an output folder must not write one kind over another (a module named
/// like another builder's include file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileKind {
    /// An include file (`_thrift.rs`, or the name set with `include_file`).
    Include,
    /// `mod.rs`.
    ModList,
    /// The module of one IDL file.
    Module,
}

impl FileKind {
    fn of(contents: &[u8]) -> FileKind {
        let first = contents.split(|&b| b == b'\n').next().unwrap_or_default();
        if first.ends_with(b": every module generated from the IDL. Do not edit.") {
            FileKind::Include
        } else if first.windows(6).any(|w| w == b" from ") {
            FileKind::Module
        } else {
            FileKind::ModList
        }
    }

    fn describe(self) -> &'static str {
        match self {
            FileKind::Include => "an include file",
            FileKind::ModList => "a list of modules (`mod.rs`)",
            FileKind::Module => "the module of an IDL file",
        }
    }
}

/// Writes `files` into `dir` (created if missing, and the subfolder their
/// names hold, if any), skipping those whose
/// content is unchanged so timestamps stay put. Refuses, before writing
/// anything, to overwrite a file thriftc did not generate, or a generated
/// file of another kind (see [`FileKind`]).
fn write_files(dir: &Path, files: &[GeneratedFile]) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        action: "create the output folder",
        path: dir.to_path_buf(),
        source,
    })?;
    let mut changed = Vec::new();
    for f in files {
        let path = dir.join(&f.name);
        match codegen::emit::may_overwrite(&path) {
            Ok(Some(old)) if old == f.contents.as_bytes() => {}
            Ok(Some(old)) if FileKind::of(&old) != FileKind::of(f.contents.as_bytes()) => {
                return Err(Error::Config(format!(
                    "`{}` in the output folder is {}, and this builder would write {} there: \
                     another build step that shares the folder writes it (give one of them \
                     another include file name with `.include_file(...)`), or it is left from \
                     an earlier build (delete it)",
                    f.name,
                    FileKind::of(&old).describe(),
                    FileKind::of(f.contents.as_bytes()).describe(),
                )));
            }
            Ok(_) => changed.push((path, f)),
            Err(source) => {
                return Err(Error::Io {
                    action: "overwrite",
                    path,
                    source,
                });
            }
        }
    }
    for (path, f) in changed {
        if let Some(folder) = path.parent().filter(|p| *p != dir) {
            std::fs::create_dir_all(folder).map_err(|source| Error::Io {
                action: "create the output folder",
                path: folder.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, &f.contents).map_err(|source| Error::Io {
            action: "write",
            path: path.clone(),
            source,
        })?;
    }
    Ok(())
}

/// Compiles `files` (and everything they include, found in the including
/// file's folder and then in `include_dirs`) into `$OUT_DIR` with the default
/// [`Options`], and writes the include file `_thrift.rs`. The same as
/// `Builder::new().files(files).include_dirs(include_dirs).compile()`.
///
/// ```no_run
/// // build.rs
/// fn main() -> Result<(), thriftc::Error> {
///     thriftc::compile(&["idl/tutorial.thrift"], &["idl"])
/// }
/// ```
pub fn compile(files: &[impl AsRef<Path>], include_dirs: &[impl AsRef<Path>]) -> Result<(), Error> {
    Builder::new()
        .files(files)
        .include_dirs(include_dirs)
        .compile()
}

/// Why a build failed.
///
/// `Display` (and `Debug`, so `.unwrap()` and `?` in `fn main` print the
/// same) is the full report: for IDL errors, every diagnostic with its
/// `file:line:col`, source line and caret, as `thriftc check` shows them.
#[non_exhaustive]
pub enum Error {
    /// The IDL has errors (syntax, names, types, unreadable or missing
    /// files); the diagnostics are in [`Failed::diagnostics`].
    Idl(Failed),
    /// Code generation refused an option (e.g. an attribute that is not
    /// valid Rust) or failed.
    Codegen(codegen::Error),
    /// Reading or writing a file failed.
    Io {
        /// What was being done, e.g. `write`.
        action: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The builder's settings cannot work (no files, no output folder, a bad
    /// include file name).
    Config(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Idl(failed) => write!(
                f,
                "{}thriftc: the IDL has errors ({})",
                failed.render(false),
                failed.diagnostics.summary()
            ),
            Error::Codegen(e) => write!(f, "thriftc: {e}"),
            Error::Io {
                action,
                path,
                source,
            } => write!(f, "thriftc: cannot {action} `{}`: {source}", path.display()),
            Error::Config(msg) => write!(f, "thriftc: {msg}"),
        }
    }
}

impl fmt::Debug for Error {
    /// The same text as `Display`: `build.rs` scripts usually `unwrap()`,
    /// which prints `Debug`, and the report should stay readable.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Start on a new line so `unwrap()`'s prefix does not break the
        // first diagnostic.
        writeln!(f)?;
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Idl(failed) => Some(failed),
            Error::Codegen(e) => Some(e),
            Error::Io { source, .. } => Some(source),
            Error::Config(_) => None,
        }
    }
}

impl From<Failed> for Error {
    fn from(failed: Failed) -> Error {
        Error::Idl(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("thriftc-builder-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn generates_modules_and_include_file() {
        let dir = temp_dir("gen");
        std::fs::write(
            dir.join("shared.thrift"),
            "struct Point { 1: i32 x, 2: i32 y }\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("type.thrift"),
            "include \"shared.thrift\"\nstruct Line { 1: shared.Point a, 2: shared.Point b }\n",
        )
        .unwrap();
        let files = Builder::new()
            .file(dir.join("type.thrift"))
            .generate()
            .unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["shared.rs", "type_.rs", "mod.rs", "_thrift.rs"]);
        let include = &files[3].contents;
        assert!(
            include.contains("pub mod shared {\n    include!(\"shared.rs\");\n}"),
            "{include}"
        );
        assert!(
            include.contains("pub mod type_ {\n    include!(\"type_.rs\");\n}"),
            "{include}"
        );
    }

    #[test]
    fn compile_writes_only_changed_files() {
        let dir = temp_dir("write");
        std::fs::write(dir.join("a.thrift"), "struct A { 1: i32 x }\n").unwrap();
        let out = dir.join("out");
        let mut b = Builder::new();
        b.file(dir.join("a.thrift"))
            .out_dir(&out)
            .include_file("idl.rs");
        b.compile().unwrap();
        // Not the default include file: the modules are in its subfolder.
        let a_rs = out.join("idl/a.rs");
        assert!(out.join("idl.rs").is_file() && out.join("idl/mod.rs").is_file());
        // Make the file look old, regenerate: an unchanged file is not rewritten.
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        std::fs::File::options()
            .write(true)
            .open(&a_rs)
            .unwrap()
            .set_modified(old)
            .unwrap();
        b.compile().unwrap();
        assert_eq!(std::fs::metadata(&a_rs).unwrap().modified().unwrap(), old);
        std::fs::write(dir.join("a.thrift"), "struct A { 1: i64 x }\n").unwrap();
        b.compile().unwrap();
        assert_ne!(std::fs::metadata(&a_rs).unwrap().modified().unwrap(), old);
        assert!(std::fs::read_to_string(&a_rs).unwrap().contains("i64"));
    }

    #[test]
    fn idl_error_renders_snippet_in_display_and_debug() {
        let dir = temp_dir("err");
        std::fs::write(dir.join("bad.thrift"), "struct A {\n  1: strin name\n}\n").unwrap();
        let err = Builder::new()
            .file(dir.join("bad.thrift"))
            .out_dir(dir.join("out"))
            .compile()
            .unwrap_err();
        let shown = err.to_string();
        assert!(matches!(err, Error::Idl(_)));
        assert!(shown.contains("bad.thrift:2:6"), "{shown}");
        assert!(shown.contains("1: strin name"), "{shown}");
        assert!(shown.contains('^'), "{shown}");
        assert!(format!("{err:?}").contains(&shown));
        assert!(!dir.join("out").exists());
    }

    /// A denied kind of warning fails the build with the report and writes
    /// nothing; an allowed one is not reported.
    #[test]
    fn warnings_are_allowed_and_denied_by_kind() {
        let dir = temp_dir("lints");
        std::fs::write(
            dir.join("a.thrift"),
            "enum E { A = 1, B = 1 }\nstruct S { 1: i32 fooBar, 2: i32 foo_bar }\n",
        )
        .unwrap();
        let mut b = Builder::new();
        b.file(dir.join("a.thrift"))
            .out_dir(dir.join("out"))
            .emit_rerun_if_changed(false);
        let (read, files) = b.run();
        assert!(files.is_ok());
        assert!(
            read.warnings.contains("warning[enum-alias]"),
            "{}",
            read.warnings
        );
        assert!(
            read.warnings.contains("warning[renamed]"),
            "{}",
            read.warnings
        );

        b.allow(Lint::EnumAlias);
        let (read, _) = b.run();
        assert!(!read.warnings.contains("enum-alias"), "{}", read.warnings);
        assert!(
            read.warnings.contains("warning[renamed]"),
            "{}",
            read.warnings
        );

        b.deny_warnings(true);
        let err = b.compile().unwrap_err();
        let shown = err.to_string();
        assert!(matches!(err, Error::Idl(_)));
        assert!(shown.contains("error[renamed]"), "{shown}");
        assert!(shown.contains("a.thrift:2:34"), "{shown}");
        assert!(!shown.contains("enum-alias"), "{shown}");
        assert!(!dir.join("out").exists());

        b.deny_warnings(false).deny(Lint::EnumAlias);
        let shown = b.compile().unwrap_err().to_string();
        assert!(shown.contains("error[enum-alias]"), "{shown}");
        assert!(!shown.contains("error[renamed]"), "{shown}");
    }

    #[test]
    fn config_errors_say_what_to_do() {
        let err = Builder::new().generate().unwrap_err();
        assert!(err.to_string().contains(".file("), "{err}");
        let dir = temp_dir("cfg");
        std::fs::write(dir.join("idl.thrift"), "struct A { 1: i32 x }\n").unwrap();
        // The modules go into `idl/`: an IDL file named like the include
        // file is fine.
        let files = Builder::new()
            .file(dir.join("idl.thrift"))
            .include_file("idl.rs")
            .generate()
            .unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["idl/idl.rs", "idl/mod.rs", "idl.rs"]);
        // Without an extension the subfolder would take the file's name.
        let err = Builder::new()
            .file(dir.join("idl.thrift"))
            .include_file("generated")
            .generate()
            .unwrap_err();
        assert!(err.to_string().contains("with an extension"), "{err}");
        let err = Builder::new()
            .file(dir.join("idl.thrift"))
            .include_file("sub/x.rs")
            .generate()
            .unwrap_err();
        assert!(err.to_string().contains("plain file name"), "{err}");
    }

    /// The modules an include file brings in: the text of each file it
    /// `include!`s, read from `out`.
    fn included(out: &Path, include_file: &str) -> Vec<String> {
        let text = std::fs::read_to_string(out.join(include_file)).unwrap();
        let files: Vec<String> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("include!(\""))
            .filter_map(|l| l.strip_suffix("\");"))
            .map(|name| std::fs::read_to_string(out.join(name)).unwrap())
            .collect();
        assert!(
            !files.is_empty(),
            "{include_file} includes nothing:\n{text}"
        );
        files
    }

    #[test]
    fn builders_sharing_an_out_dir_keep_their_own_modules() {
        let dir = temp_dir("shared-out");
        for (folder, idl) in [
            ("a", "struct Alpha { 1: i32 x }\n"),
            ("b", "struct Beta { 1: i32 y }\n"),
        ] {
            std::fs::create_dir_all(dir.join(folder)).unwrap();
            std::fs::write(dir.join(folder).join("types.thrift"), idl).unwrap();
        }
        let out = dir.join("out");
        for (folder, include_file) in [("a", "a_idl.rs"), ("b", "b_idl.rs")] {
            Builder::new()
                .file(dir.join(folder).join("types.thrift"))
                .out_dir(&out)
                .include_file(include_file)
                .emit_rerun_if_changed(false)
                .compile()
                .unwrap();
        }
        // One more with the default layout: files in `out` itself.
        Builder::new()
            .file(dir.join("a/types.thrift"))
            .out_dir(&out)
            .emit_rerun_if_changed(false)
            .compile()
            .unwrap();
        let a = included(&out, "a_idl.rs");
        let b = included(&out, "b_idl.rs");
        let default = included(&out, DEFAULT_INCLUDE_FILE);
        assert!(a.iter().any(|m| m.contains("pub struct Alpha")));
        assert!(a.iter().all(|m| !m.contains("pub struct Beta")));
        assert!(b.iter().any(|m| m.contains("pub struct Beta")));
        assert!(b.iter().all(|m| !m.contains("pub struct Alpha")));
        assert!(default.iter().any(|m| m.contains("pub struct Alpha")));
        let include = std::fs::read_to_string(out.join("a_idl.rs")).unwrap();
        assert!(
            include.contains("include!(\"a_idl/types.rs\");"),
            "{include}"
        );
        assert!(out.join("a_idl/mod.rs").is_file() && out.join("types.rs").is_file());
    }

    /// A default-layout builder whose IDL file is named like another
    /// builder's include file (`b_idl.thrift` beside `b_idl.rs`) would
    /// write its module over that include file, or the other way round:
    /// both orders are refused before anything is written, and each builder
    /// alone still runs again cleanly.
    #[test]
    fn a_module_is_never_written_over_another_builders_include_file() {
        let dir = temp_dir("kinds");
        std::fs::write(dir.join("b_idl.thrift"), "struct Beta { 1: i32 y }\n").unwrap();
        std::fs::write(dir.join("other.thrift"), "struct Other { 1: i32 z }\n").unwrap();
        let default = |out: &Path| {
            Builder::new()
                .file(dir.join("b_idl.thrift"))
                .out_dir(out)
                .emit_rerun_if_changed(false)
                .compile()
        };
        let named = |out: &Path| {
            Builder::new()
                .file(dir.join("other.thrift"))
                .out_dir(out)
                .include_file("b_idl.rs")
                .emit_rerun_if_changed(false)
                .compile()
        };
        for default_first in [true, false] {
            let out = dir.join(format!("out-{default_first}"));
            type Step<'s> = &'s dyn Fn(&Path) -> Result<(), Error>;
            let (first, second): (Step, Step) = if default_first {
                (&default, &named)
            } else {
                (&named, &default)
            };
            first(&out).unwrap();
            first(&out).unwrap();
            let before = std::fs::read(out.join("b_idl.rs")).unwrap();
            let err = second(&out).unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{err}");
            let text = err.to_string();
            assert!(text.contains("`b_idl.rs`"), "{text}");
            assert!(text.contains("include file"), "{text}");
            assert_eq!(std::fs::read(out.join("b_idl.rs")).unwrap(), before);
        }
    }

    #[test]
    fn compile_does_not_overwrite_user_files() {
        let dir = temp_dir("user");
        std::fs::write(dir.join("lib.thrift"), "struct A { 1: i32 x }\n").unwrap();
        let out = dir.join("out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("lib.rs"), "fn mine() {}\n").unwrap();
        let err = Builder::new()
            .file(dir.join("lib.thrift"))
            .out_dir(&out)
            .compile()
            .unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
        assert!(err.to_string().contains("lib.rs"), "{err}");
        assert!(
            err.to_string().contains("not generated by thriftc"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("lib.rs")).unwrap(),
            "fn mine() {}\n"
        );
        assert!(!out.join("mod.rs").exists() && !out.join("_thrift.rs").exists());
    }

    #[test]
    fn io_error_names_the_path() {
        let dir = temp_dir("io");
        std::fs::write(dir.join("a.thrift"), "struct A { 1: i32 x }\n").unwrap();
        // The output folder is a file: it cannot be created.
        let blocker = dir.join("blocker");
        std::fs::write(&blocker, "").unwrap();
        let err = Builder::new()
            .file(dir.join("a.thrift"))
            .out_dir(blocker.join("out"))
            .compile()
            .unwrap_err();
        assert!(matches!(err, Error::Io { .. }));
        assert!(err.to_string().contains("blocker"), "{err}");
    }
}
