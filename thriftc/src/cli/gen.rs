//! `thriftc gen`: generate Rust from IDL files.

use super::{ColorChoice, EXIT_IDL_ERROR, EXIT_USAGE};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use thriftc::options::Options;

/// Exit code of `--check` when the generated files are not up to date.
const EXIT_STALE: u8 = 3;

/// Generate Rust code from Thrift files and everything they include.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Generate Rust code from Thrift files and everything they include.\n\n\
        Writes one `<module>.rs` per IDL file (the module name is the file's `namespace rs`, \
        else its stem) and a `mod.rs` declaring them all, into --out-dir. Mount the folder \
        with `#[path = \"<out-dir>/mod.rs\"] mod idl;`. Files whose content did not change \
        are not rewritten, and a file thriftc did not generate is never overwritten (exit 4); \
        modules it generated from IDL files no longer named are removed.",
    after_help = "Examples:\n  \
        thriftc gen --out-dir src/idl service.thrift\n  \
        thriftc gen -I ../shared --out-dir src/idl --btree-all api.thrift\n  \
        thriftc gen --out-dir src/idl --bytes . service.thrift   # Bytes/ByteString\n  \
        thriftc gen --out-dir src/idl --small-strings . service.thrift   # CompactString\n  \
        thriftc gen --out-dir src/idl --async service.thrift   # tokio services too\n  \
        thriftc gen --out-dir src/idl --check service.thrift   # in CI\n\n\
        Exit status: 0 on success, 1 when the IDL has errors (or denied warnings: -D), 2 for a \
        usage error (also an \
        option value that is not valid Rust), \
        3 when --check finds files that are not up to date, 4 when a named file cannot be \
        read or the output cannot be written."
)]
pub struct Args {
    /// Add a folder to search for included files (repeatable; searched in order).
    #[arg(short = 'I', long = "include-dir", value_name = "DIR")]
    pub include_dirs: Vec<PathBuf>,

    /// Folder to write the generated files to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,

    #[command(flatten)]
    pub lints: super::LintArgs,

    /// Path of the runtime crate in generated code.
    #[arg(long, value_name = "PATH", default_value = "::thriftc_runtime")]
    pub runtime_path: String,

    /// Write nothing; fail (exit 3) if a generated file is missing or differs, or a module
    /// generated from an IDL file no longer named is still there.
    #[arg(long)]
    pub check: bool,

    /// Use BTreeSet/BTreeMap for every set and map whose elements are ordered (`Builder::btree_all`).
    #[arg(long)]
    pub btree_all: bool,

    /// Deprecated spelling of --btree-all (the builder's `btree_map` takes paths, as --btree does).
    #[arg(long, hide = true)]
    pub btree_map: bool,

    /// Use BTreeSet/BTreeMap for the sets and maps under this path (repeatable; `Struct.field`,
    /// `.file` for one file).
    #[arg(long = "btree", value_name = "PATH")]
    pub btree: Vec<String>,

    /// Use the runtime's VecSet/VecMap for the sets and maps under this path (repeatable; `.` for
    /// all): kept in wire order, no hashing or ordering, written back as they came.
    #[arg(long = "wire-order", value_name = "PATH")]
    pub wire_order: Vec<String>,

    /// Store the fields under this path boxed (`Box<T>`) (repeatable; `Struct.field`).
    #[arg(long = "boxed", value_name = "PATH")]
    pub boxed: Vec<String>,

    /// Add an attribute to the generated types under a path, as `PATH=ATTRIBUTE` (repeatable;
    /// e.g. `Payload=#[derive(serde::Serialize)]`).
    #[arg(long = "type-attribute", value_name = "PATH=ATTR", value_parser = path_and_attribute)]
    pub type_attributes: Vec<(String, String)>,

    /// Add an attribute to the generated fields and union variants under a path, as
    /// `PATH=ATTRIBUTE` (repeatable; e.g. `Payload.raw=#[serde(skip)]`).
    #[arg(long = "field-attribute", value_name = "PATH=ATTR", value_parser = path_and_attribute)]
    pub field_attributes: Vec<(String, String)>,

    /// Use the runtime's shared ByteString for `string` and Bytes for `binary` (zero-copy
    /// decoding; needs the runtime feature `bytes`) under this path (repeatable; `.` for all,
    /// `.file` for one file, `Struct.field`).
    #[arg(long = "bytes", value_name = "PATH")]
    pub bytes: Vec<String>,

    /// Use the runtime's CompactString for `string` (kept inline up to 24 bytes, so short
    /// strings decode without an allocation; needs the runtime feature `compact_str`) under
    /// this path (repeatable; `.` for all, `.file` for one file, `Struct.field`).
    #[arg(long = "small-strings", value_name = "PATH")]
    pub small_strings: Vec<String>,

    /// Also generate a borrowed view `<Name>Ref<'a>` (strings as `&str`, binaries as `&[u8]`,
    /// decoded from a byte slice without copies) for the structs, unions and exceptions under
    /// this path (repeatable; `.` for all, `.file` for one file, `Struct`). A path matching a
    /// service (`file.Service`) or function (`file.Service.method`) also generates
    /// `<Service>ViewHandler`/`<Service>ViewProcessor`, whose selected methods take their
    /// arguments as views of the request.
    #[arg(long = "views", value_name = "PATH")]
    pub views: Vec<String>,

    /// In views, leave the lists, sets and maps of the fields under this path undecoded
    /// (repeatable; `.` for all): the runtime's LazyList/LazySet/LazyMap, checked when read,
    /// decoded when iterated, written back in one copy.
    #[arg(long = "lazy", value_name = "PATH")]
    pub lazy: Vec<String>,

    /// Hasher of generated HashMap/HashSet types: a path to a `BuildHasher + Default` type such as
    /// `foldhash::fast::RandomState` (default: std's RandomState, SipHash keyed per map).
    #[arg(long, value_name = "TYPE")]
    pub hasher: Option<String>,

    /// Keep fields unknown to this schema when reading structs and write them back.
    #[arg(long)]
    pub keep_unknown_fields: bool,

    /// Derive serde's Serialize and Deserialize on every generated type (not views); needs `serde`
    /// (feature `derive`) and the runtime feature `serde`. Optional fields are left out when None,
    /// unknown fields when empty; missing fields take their IDL defaults; enums are numbers;
    /// binary is base64 text and NaN doubles keep their bits in JSON.
    #[arg(long)]
    pub serde: bool,

    /// Do not generate service clients.
    #[arg(long)]
    pub no_client: bool,

    /// Do not generate service handler traits and processors.
    #[arg(long)]
    pub no_server: bool,

    /// Also generate async (tokio) services: <Service>AsyncHandler, <Service>AsyncProcessor and
    /// <Service>AsyncClient, beside the blocking code, and with `--views` selecting the service
    /// <Service>AsyncViewHandler/<Service>AsyncViewProcessor too; needs the runtime feature
    /// `tokio`.
    #[arg(long = "async")]
    pub async_services: bool,

    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// How to print diagnostics: with the source and a caret; one line each (`short`:
    /// `file:line:col: warning[kind]: message`); or JSON objects, one per line, on stdout (`json`).
    #[arg(long, value_enum, default_value_t = super::MessageFormat::Human, value_name = "FORMAT")]
    pub message_format: super::MessageFormat,

    /// The Thrift files to compile.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// `PATH=ATTRIBUTE` (split at the first `=`: paths have none).
fn path_and_attribute(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((path, attr)) if !attr.trim().is_empty() => {
            Ok((path.trim().to_owned(), attr.trim().to_owned()))
        }
        _ => Err(format!(
            "`{text}`: expected PATH=ATTRIBUTE, e.g. `Payload=#[derive(Hash)]`"
        )),
    }
}

/// Runs `thriftc gen`.
pub fn run(args: Args) -> ExitCode {
    if let Err(code) = super::check_inputs(&args.files) {
        return code;
    }
    let style = super::Style::new(args.color, args.message_format);
    let mut stderr = std::io::stderr().lock();
    let levels = args.lints.levels();
    let loaded = match thriftc::load(&args.files, &args.include_dirs) {
        Ok(loaded) => loaded,
        Err(failed) => return super::report_failed(failed, &levels, style, "compile"),
    };
    let mut options = Options::default();
    options.runtime_path = args.runtime_path.clone();
    options.out_dir = Some(args.out_dir.clone());
    if args.btree_map {
        let _ = writeln!(
            stderr,
            "warning: `--btree-map` is deprecated: write `--btree-all` (every map and set), \
             or `--btree PATH` for some (the builder's `btree_map` takes paths)"
        );
    }
    options.btree_all = args.btree_all || args.btree_map;
    options.btree_paths = args.btree.clone();
    options.wire_order_paths = args.wire_order.clone();
    options.boxed = args.boxed.clone();
    options.type_attributes = args.type_attributes.clone();
    options.field_attributes = args.field_attributes.clone();
    options.bytes_paths = args.bytes.clone();
    options.small_strings = args.small_strings.clone();
    options.views = args.views.clone();
    options.lazy = args.lazy.clone();
    options.hasher = args.hasher.clone();
    options.keep_unknown_fields = args.keep_unknown_fields;
    options.serde = args.serde;
    options.gen_client = !args.no_client;
    options.gen_server = !args.no_server;
    options.async_services = args.async_services;
    let mut found = loaded.warnings;
    found.extend(thriftc::codegen::warnings(&loaded.program, &options));
    // In the order of the IDL, whichever stage found them.
    found.sort();
    let found = levels.apply(found);
    style.emit(&found, &loaded.program.sources);
    if found.has_errors() {
        let _ = writeln!(
            stderr,
            "error: could not compile the IDL ({}); nothing written",
            found.summary()
        );
        return ExitCode::from(EXIT_IDL_ERROR);
    }
    let files = match thriftc::codegen::generate(&loaded.program, &options) {
        Ok(files) => files,
        Err(e) => {
            let _ = writeln!(stderr, "error: {e}");
            // An option value that is not valid Rust is a usage error.
            let code = match e {
                thriftc::codegen::Error::BadOption(_) => EXIT_USAGE,
                _ => EXIT_IDL_ERROR,
            };
            return ExitCode::from(code);
        }
    };
    // Modules thriftc generated from IDL files no longer compiled.
    let leftover = match thriftc::codegen::emit::stale_generated(&args.out_dir, &files) {
        Ok(leftover) => leftover,
        Err(e) => {
            let _ = writeln!(stderr, "error: cannot read {}: {e}", args.out_dir.display());
            return ExitCode::from(super::EXIT_IO);
        }
    };
    if args.check {
        // What `gen` would refuse to overwrite, refused the same way: the
        // command that `--check` suggests could not fix it.
        let mut stale = Vec::new();
        for f in &files {
            match thriftc::codegen::emit::may_overwrite(&args.out_dir.join(&f.name)) {
                Ok(Some(old)) if old == f.contents.as_bytes() => {}
                Ok(Some(_)) => stale.push(format!("{} (differs)", f.name)),
                Ok(None) => stale.push(format!("{} (missing)", f.name)),
                Err(e) => {
                    let _ = writeln!(
                        stderr,
                        "error: cannot write to {}: {e}",
                        args.out_dir.display()
                    );
                    return ExitCode::from(super::EXIT_IO);
                }
            }
        }
        stale.extend(
            leftover
                .iter()
                .map(|name| format!("{name} (from an IDL file no longer named)")),
        );
        if stale.is_empty() {
            return ExitCode::SUCCESS;
        }
        let _ = writeln!(
            stderr,
            "error: not up to date in {}: {}\n\
             help: run the same command without --check to regenerate them",
            args.out_dir.display(),
            stale.join(", ")
        );
        return ExitCode::from(EXIT_STALE);
    }
    if let Err(e) = thriftc::codegen::write_files(&args.out_dir, &files) {
        let _ = writeln!(
            stderr,
            "error: cannot write to {}: {e}",
            args.out_dir.display()
        );
        return ExitCode::from(super::EXIT_IO);
    }
    for name in &leftover {
        let path = args.out_dir.join(name);
        if let Err(e) = std::fs::remove_file(&path) {
            let _ = writeln!(stderr, "error: cannot remove {}: {e}", path.display());
            return ExitCode::from(super::EXIT_IO);
        }
    }
    ExitCode::SUCCESS
}
