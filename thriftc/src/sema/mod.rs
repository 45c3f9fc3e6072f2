//! Semantic analysis: includes, name resolution, constants, checks; builds the IR.
//!
//! The entry points are [`load`] (files on disk), [`load_with`] (any
//! [`FileSystem`], e.g. a [`MemoryFs`] in tests) and [`load_str`] (one file
//! given as text). Stages, each collecting every error before stopping:
//!
//! 1. `include`: read the named files and everything they include, parse
//!    each (all syntax errors of all files), check include cycles and order
//!    the files includes-first. Its errors (syntax errors, files not read,
//!    include cycles) do not stop the stages after it: the definitions
//!    that parsed are checked too, and uses of what was lost are not
//!    reported again.
//! 2. `resolve`: definitions, names, types, enums, fields, services; then
//!    `consts` evaluates constants and default values against their types,
//!    and `graph` marks recursive fields.

mod consts;
pub(crate) mod graph;
mod include;
mod resolve;
mod suggest;
mod text;

pub(crate) use suggest::distance as edit_distance;

use crate::diagnostic::Diagnostics;
use crate::ir::Program;
use crate::source::SourceMap;
use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

/// A checked program, and the warnings found on the way. More fields may be
/// added.
#[derive(Debug)]
#[non_exhaustive]
pub struct Loaded {
    /// The resolved program, ready for [`codegen::generate`](crate::codegen::generate).
    pub program: Program,
    /// Warnings only (a program with errors is never built).
    pub warnings: Diagnostics,
}

impl Loaded {
    /// The warnings as text (see [`Diagnostics::render`]).
    pub fn render_warnings(&self, color: bool) -> String {
        self.warnings.render(&self.program.sources, color)
    }
}

/// The IDL has errors: every diagnostic of the stage that failed (and the
/// warnings before it), with the sources to render them. More fields may be
/// added.
#[derive(Debug)]
#[non_exhaustive]
pub struct Failed {
    /// The text of every file read, which the spans point into.
    pub sources: SourceMap,
    /// The errors, and any warnings reported before them.
    pub diagnostics: Diagnostics,
    /// The files named by the caller (not included ones) that could not be
    /// read: missing, a folder, unreadable, too large or not UTF-8. Their
    /// errors are among [`diagnostics`](Failed::diagnostics).
    pub unreadable: Vec<PathBuf>,
}

impl Failed {
    /// The diagnostics as text (see [`Diagnostics::render`]).
    pub fn render(&self, color: bool) -> String {
        self.diagnostics.render(&self.sources, color)
    }
}

impl fmt::Display for Failed {
    /// The plain (uncoloured) rendering of every diagnostic.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Failed {}

/// Where the loader reads files from.
pub trait FileSystem {
    /// The text of a file.
    fn read(&self, path: &Path) -> io::Result<String>;
    /// Whether `path` names a file an `include` may read (a regular
    /// file).
    fn is_file(&self, path: &Path) -> bool;
    /// Whether `path`, named by the user (on the command line or to a
    /// `Builder`), is something to read as a file. By default
    /// [`is_file`](Self::is_file); [`RealFs`] also takes pipes, FIFOs and
    /// character devices (`/dev/stdin`, `<(git show v1:api.thrift)`),
    /// which an `include` never names.
    fn is_input(&self, path: &Path) -> bool {
        self.is_file(path)
    }
    /// A path that is equal for every way of naming the same file.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealFs;

/// Files larger than this are refused (an IDL file is a few MB at most).
pub const MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

impl FileSystem for RealFs {
    /// Reads at most [`MAX_FILE_SIZE`] bytes, once: a pipe (`/dev/stdin`,
    /// `<(git show v1:api.thrift)`) has no length to check beforehand and
    /// can be read only once.
    fn read(&self, path: &Path) -> io::Result<String> {
        let file = std::fs::File::open(path)?;
        let bytes = read_limited(file, MAX_FILE_SIZE)?;
        text::decode(bytes).map_err(|why| io::Error::new(io::ErrorKind::InvalidData, why))
    }

    /// A regular file (or a link to one).
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    /// Anything that exists and is not a folder: regular files, and pipes,
    /// FIFOs and character devices named as files.
    fn is_input(&self, path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|meta| !meta.is_dir())
    }

    /// The canonical path, or an error when there is none that names the
    /// file again: `/dev/fd/N` of a pipe resolves to `pipe:[inode]`, which
    /// is no path (the loader then uses the path as given).
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let canonical = std::fs::canonicalize(path)?;
        if canonical.is_absolute() {
            Ok(canonical)
        } else {
            Err(io::Error::other("no canonical path"))
        }
    }
}

/// Reads `reader` to its end, refusing more than `limit` bytes (the file's
/// length is not checked first: a pipe has none).
fn read_limited(reader: impl io::Read, limit: u64) -> io::Result<Vec<u8>> {
    use io::Read as _;
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::other(format!(
            "file is larger than {} MiB",
            limit >> 20
        )));
    }
    Ok(bytes)
}

/// Files held in memory, keyed by path (paths are compared after removing
/// `.` and `..` components, without touching the disk).
///
/// ```
/// use std::path::PathBuf;
/// use thriftc::{MemoryFs, load_with};
///
/// let mut fs = MemoryFs::new();
/// fs.insert("idl/shared.thrift", "struct Id { 1: i64 value }")
///     .insert("idl/users.thrift", "include \"shared.thrift\"\nstruct User { 1: shared.Id id }");
/// let loaded = load_with(&fs, &[PathBuf::from("idl/users.thrift")], &[])
///     .map_err(|failed| failed.to_string())?;
/// assert_eq!(loaded.program.files.len(), 2);
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryFs {
    files: BTreeMap<PathBuf, String>,
}

impl MemoryFs {
    /// An empty file system.
    pub fn new() -> MemoryFs {
        MemoryFs::default()
    }

    /// Adds (or replaces) a file.
    pub fn insert(&mut self, path: impl AsRef<Path>, text: impl Into<String>) -> &mut MemoryFs {
        self.files.insert(normalize(path.as_ref()), text.into());
        self
    }
}

impl FileSystem for MemoryFs {
    fn read(&self, path: &Path) -> io::Result<String> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(&normalize(path))
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        Ok(normalize(path))
    }
}

/// Removes `.` components and folds `dir/..` (lexically).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let last = out.components().next_back();
                match last {
                    Some(Component::Normal(_)) => {
                        out.pop();
                    }
                    Some(Component::RootDir | Component::Prefix(_)) => {}
                    _ => out.push(".."),
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Loads, parses and checks `files` and everything they include, reading
/// from disk. Includes are searched in the including file's folder, then in
/// each of `include_dirs` in order.
///
/// ```no_run
/// let loaded = thriftc::load(&["idl/service.thrift".into()], &["idl/common".into()])
///     .map_err(|failed| failed.to_string())?;
/// eprint!("{}", loaded.render_warnings(false));
/// println!("{} definitions", loaded.program.defs.len());
/// # Ok::<(), String>(())
/// ```
pub fn load(files: &[PathBuf], include_dirs: &[PathBuf]) -> Result<Loaded, Failed> {
    load_with(&RealFs, files, include_dirs)
}

/// [`load`] reading through any [`FileSystem`].
pub fn load_with(
    fs: &dyn FileSystem,
    files: &[PathBuf],
    include_dirs: &[PathBuf],
) -> Result<Loaded, Failed> {
    let mut diags = Diagnostics::new();
    let mut unreadable = Vec::new();
    let loaded = include::load_files(fs, files, include_dirs, &mut diags, &mut unreadable);
    // No error of loading stops here: what parsed is checked too, so one
    // run reports every error. The uses of what was lost are not reported
    // again: the definitions skipped after a syntax error, the names under
    // an include that could not be read (`resolve::Resolver::was_skipped`).
    // An include cycle loses nothing: every file is read, every include
    // names its file, and no check depends on the order of the files.
    let program = resolve::resolve(loaded, &mut diags);
    match program {
        Ok(program) if !diags.has_errors() => Ok(Loaded {
            program,
            warnings: diags,
        }),
        Ok(program) => Err(Failed {
            sources: program.sources,
            diagnostics: diags,
            unreadable,
        }),
        Err(sources) => Err(Failed {
            sources,
            diagnostics: diags,
            unreadable,
        }),
    }
}

/// Checks one file given as text (no file system; an `include` can only
/// fail). `name` is the file name used in diagnostics and for the file's
/// stem.
pub fn load_str(name: &str, text: &str) -> Result<Loaded, Failed> {
    let mut fs = MemoryFs::new();
    fs.insert(name, text);
    load_with(&fs, &[PathBuf::from(name)], &[])
}

#[cfg(test)]
mod enum_number_tests;
#[cfg(test)]
mod lenient_tests;
#[cfg(test)]
mod load_error_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod real_fs_tests {
    use super::{FileSystem, RealFs, read_limited};
    use std::path::Path;

    #[test]
    fn reading_is_bounded_without_a_length_to_check() {
        // A pipe has no length: the limit is kept while reading.
        assert_eq!(read_limited(&b"0123456789"[..], 10).unwrap(), b"0123456789");
        let over = read_limited(&b"0123456789!"[..], 10).unwrap_err();
        assert!(over.to_string().contains("larger than"), "{over}");
    }

    #[cfg(unix)]
    #[test]
    fn anything_but_a_folder_is_an_input_and_includes_are_regular_files() {
        assert!(RealFs.is_input(Path::new("/dev/null")));
        assert!(!RealFs.is_input(Path::new("/")));
        assert!(!RealFs.is_input(Path::new("/no/such/file.thrift")));
        // An include names regular files only.
        assert!(!RealFs.is_file(Path::new("/dev/null")));
        assert!(!RealFs.is_file(Path::new("/")));
        assert_eq!(RealFs.read(Path::new("/dev/null")).unwrap(), "");
    }
}
