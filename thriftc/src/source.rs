//! Source text storage: every file read is stored once in a [`SourceMap`] and
//! referred to by a [`FileId`]; positions are [`Span`]s of byte offsets.

use std::path::{Path, PathBuf};

/// Index of a file in the [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one file. Cheap to copy; carried from the
/// parser to code generation so every diagnostic can point at the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// The file the offsets are in.
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset just past the last byte.
    pub end: u32,
}

impl Span {
    /// A span of `file` from byte `start` to `end` (exclusive).
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }
}

/// One loaded source file.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as given or as found on the include path.
    pub path: PathBuf,
    /// The path shown in diagnostics.
    pub display: String,
    /// The file's text.
    pub text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Byte offsets where lines start (the first is 0).
    pub fn line_starts(&self) -> &[usize] {
        &self.line_starts
    }

    /// 1-based line and column (in characters) of a byte offset.
    ///
    /// ```
    /// use std::path::Path;
    /// use thriftc::source::SourceMap;
    ///
    /// let mut sources = SourceMap::new();
    /// let id = sources.add(Path::new("a.thrift"), "// é\nstruct A {}".into());
    /// let file = sources.get(id);
    /// assert_eq!(file.line_col(3), (1, 4)); // `é` starts at byte 3, character 4
    /// assert_eq!(file.line_col(13), (2, 8)); // the `A`
    /// ```
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self
            .line_starts
            .binary_search(&offset)
            .unwrap_or_else(|next| next - 1);
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset.min(self.text.len()))
            .map_or(0, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

/// All source files of one compilation.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Stores a file's text and returns its id.
    pub fn add(&mut self, path: &Path, text: String) -> FileId {
        self.add_with_display(path, path.display().to_string(), text)
    }

    /// Stores a file's text under a path, shown in diagnostics as `display`.
    pub fn add_with_display(&mut self, path: &Path, display: String, text: String) -> FileId {
        let id = FileId(self.files.len() as u32);
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        self.files.push(SourceFile {
            path: path.to_path_buf(),
            display,
            text,
            line_starts,
        });
        id
    }

    /// The file `id` names. Panics if `id` is not from this map (see [`SourceMap::try_get`]).
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The file, if `id` belongs to this map.
    pub fn try_get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// Byte offsets where the lines of a file start.
    pub fn line_starts(&self, id: FileId) -> Option<&[usize]> {
        self.try_get(id).map(SourceFile::line_starts)
    }

    /// Number of files stored.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is stored.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Every file with its id, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        &self.get(span.file).text[span.start as usize..span.end as usize]
    }
}
