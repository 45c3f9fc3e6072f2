//! Diagnostics as data (errors and warnings with spans), and their rendering.
//!
//! Every stage pushes [`Diagnostic`]s into a [`Diagnostics`] collector; they
//! become text only at the edge, through [`Diagnostics::render`], which uses
//! `codespan-reporting` (file:line:col, the source line, a caret underline,
//! the message and notes).

use crate::lint::Lint;
use crate::source::{FileId, SourceMap, Span};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term;
use codespan_reporting::term::termcolor::Buffer;
use std::fmt;
use std::ops::Range;

/// How bad a diagnostic is. More levels (e.g. a note) may be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// A problem that does not stop code generation.
    Warning,
    /// A problem that stops the build: no [`Program`](crate::ir::Program) is produced.
    Error,
}

/// A span with a message under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The source range underlined.
    pub span: Span,
    /// The text printed next to the underline.
    pub message: String,
    /// The primary label is underlined with `^`; secondary ones with `-`.
    pub primary: bool,
}

/// One error or warning.
///
/// Built with [`Diagnostic::error`] or [`Diagnostic::warning`] and the
/// builder methods, collected in [`Diagnostics`], rendered against the
/// [`SourceMap`] holding the text its spans point into:
///
/// ```
/// use std::path::Path;
/// use thriftc::source::{SourceMap, Span};
/// use thriftc::{Diagnostic, Diagnostics};
///
/// let mut sources = SourceMap::new();
/// let file = sources.add(Path::new("a.thrift"), "struct A { 1: i32 x, 1: i32 y }\n".into());
/// let mut diagnostics = Diagnostics::new();
/// diagnostics.push(
///     Diagnostic::error("duplicate field id 1")
///         .primary(Span::new(file, 21, 22), "used again here")
///         .secondary(Span::new(file, 11, 12), "first used here")
///         .help("give each field its own id"),
/// );
/// let text = diagnostics.render(&sources, false);
/// assert!(text.starts_with("error: duplicate field id 1"));
/// assert!(text.contains("a.thrift:1:22"));
/// assert_eq!(diagnostics.summary(), "1 error");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One line, lower case, no final period.
    pub message: String,
    /// Underlined source ranges; at most one primary.
    pub labels: Vec<Label>,
    /// Extra lines (`= note: ...`, `= help: ...`).
    pub notes: Vec<String>,
    /// The kind of warning, shown as `warning[enum-alias]` and set to allow
    /// or deny by its name (see [`LintLevels`](crate::lint::LintLevels)).
    /// Every warning about the IDL has one; a warning turned into an error
    /// by `deny` keeps it.
    pub lint: Option<Lint>,
    /// Another name shown in brackets when there is no lint (an audit
    /// finding's rule: `error[field-wire-type-changed]`).
    pub code: Option<String>,
}

impl Diagnostic {
    /// A new error with no labels or notes yet.
    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            lint: None,
            code: None,
        }
    }

    /// A new warning with no labels or notes yet.
    pub fn warning(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    /// Adds the primary label (the caret).
    #[must_use]
    pub fn primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// Adds a secondary label (e.g. "first defined here").
    #[must_use]
    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    /// Sets the kind of warning.
    #[must_use]
    pub fn lint(mut self, lint: Lint) -> Diagnostic {
        self.lint = Some(lint);
        self
    }

    /// Sets the name shown in brackets when there is no lint.
    #[must_use]
    pub fn code(mut self, code: impl Into<String>) -> Diagnostic {
        self.code = Some(code.into());
        self
    }

    /// The name shown in brackets: the lint's, else the code.
    pub fn shown_code(&self) -> Option<&str> {
        self.lint.map(Lint::name).or(self.code.as_deref())
    }

    /// Adds a `note: ...` line.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(format!("note: {}", note.into()));
        self
    }

    /// Adds a `help: ...` line.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.notes.push(format!("help: {}", help.into()));
        self
    }

    /// Whether the severity is [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A collector of diagnostics, in the order they were reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    /// An empty collector.
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    /// Appends a diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.list.push(diagnostic);
    }

    /// Appends every diagnostic of `other`, in order.
    pub fn extend(&mut self, other: Diagnostics) {
        self.list.extend(other.list);
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(Diagnostic::is_error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.list.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.list.len() - self.error_count()
    }

    /// Whether nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Number of diagnostics, errors and warnings.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The diagnostics in the order reported (or sorted, after [`Diagnostics::sort`]).
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.list.iter()
    }

    /// Orders diagnostics by file and position (stable for equal positions),
    /// so output does not depend on the order checks ran in.
    pub fn sort(&mut self) {
        self.list.sort_by_key(|d| {
            d.labels
                .iter()
                .find(|l| l.primary)
                .map(|l| (l.span.file, l.span.start))
        });
    }

    /// Renders every diagnostic as a compiler would print it: `error: ...`,
    /// `--> file:line:col`, the source line with a caret, notes. With
    /// `color` the text carries ANSI colour codes.
    pub fn render(&self, sources: &SourceMap, color: bool) -> String {
        let mut buffer = if color {
            Buffer::ansi()
        } else {
            Buffer::no_color()
        };
        let config = term::Config {
            chars: term::Chars::ascii(),
            ..term::Config::default()
        };
        let files = SourceFiles(sources);
        for d in &self.list {
            let severity = match d.severity {
                Severity::Error => cs::Severity::Error,
                Severity::Warning => cs::Severity::Warning,
            };
            let labels = d
                .labels
                .iter()
                .map(|l| {
                    let style = if l.primary {
                        cs::LabelStyle::Primary
                    } else {
                        cs::LabelStyle::Secondary
                    };
                    cs::Label::new(
                        style,
                        l.span.file,
                        l.span.start as usize..l.span.end as usize,
                    )
                    .with_message(l.message.clone())
                })
                .collect();
            let mut diagnostic = cs::Diagnostic::new(severity)
                .with_message(d.message.clone())
                .with_labels(labels)
                .with_notes(d.notes.clone());
            if let Some(code) = d.shown_code() {
                diagnostic = diagnostic.with_code(code);
            }
            // Rendering into a memory buffer cannot fail on I/O; a span out of
            // range is a bug, shown as text rather than a panic.
            if let Err(e) = term::emit(&mut buffer, &config, &files, &diagnostic) {
                let line = format!("{} (cannot show source: {e})\n", d);
                std::io::Write::write_all(&mut buffer, line.as_bytes()).ok();
            }
        }
        let text = String::from_utf8_lossy(buffer.as_slice());
        if color {
            return text.into_owned();
        }
        // codespan pads some lines with blanks; plain text (goldens, logs)
        // is better without them.
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            let (body, newline) = match line.strip_suffix('\n') {
                Some(body) => (body, "\n"),
                None => (line, ""),
            };
            out.push_str(body.trim_end());
            out.push_str(newline);
        }
        out
    }

    /// Every diagnostic on one line, as compilers' short formats give them
    /// (for editors' problem matchers, CI annotations and `grep`):
    /// `file:line:col: warning[enum-alias]: message`, without the source or
    /// the notes; no place for a diagnostic without a primary label.
    pub fn render_short(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        for d in &self.list {
            let place = d.labels.iter().find(|l| l.primary).and_then(|l| {
                let file = sources.try_get(l.span.file)?;
                let (line, col) = file.line_col(l.span.start as usize);
                Some(format!("{}:{line}:{col}: ", file.display))
            });
            // One line: a message never holds a line break, but a name in
            // it (a file name) might; it is shown escaped.
            let line = format!("{}{d}", place.as_deref().unwrap_or(""));
            out.push_str(&line.replace('\n', "\\n"));
            out.push('\n');
        }
        out
    }

    /// Every diagnostic as one JSON object per line (JSON Lines), for tools:
    ///
    /// ```text
    /// {"severity":"warning","code":"enum-alias","message":"...","file":"a.thrift","line":1,"column":17,
    ///  "end_line":1,"end_column":24,"labels":[{"primary":true,"message":"1 again","file":"a.thrift",
    ///  "line":1,"column":17,"end_line":1,"end_column":24}],"notes":["help: ..."],"rendered":"warning[...]..."}
    /// ```
    ///
    /// (one line each). Lines and columns count from 1, columns in
    /// characters; the end is exclusive. `code`, `file` and the position are
    /// `null` when the diagnostic has none; `rendered` is the human text.
    pub fn render_json(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        for d in &self.list {
            let place = |span: Span| {
                let file = sources.try_get(span.file)?;
                let (line, column) = file.line_col(span.start as usize);
                let (end_line, end_column) = file.line_col(span.end as usize);
                Some((file.display.as_str(), line, column, end_line, end_column))
            };
            let position = |at: Option<(&str, usize, usize, usize, usize)>| match at {
                Some((file, line, column, end_line, end_column)) => format!(
                    "\"file\":{},\"line\":{line},\"column\":{column},\"end_line\":{end_line},\
                     \"end_column\":{end_column}",
                    json_string(file)
                ),
                None => "\"file\":null,\"line\":null,\"column\":null,\"end_line\":null,\
                         \"end_column\":null"
                    .to_owned(),
            };
            let primary = d
                .labels
                .iter()
                .find(|l| l.primary)
                .and_then(|l| place(l.span));
            let labels: Vec<String> = d
                .labels
                .iter()
                .map(|l| {
                    format!(
                        "{{\"primary\":{},\"message\":{},{}}}",
                        l.primary,
                        json_string(&l.message),
                        position(place(l.span))
                    )
                })
                .collect();
            let notes: Vec<String> = d.notes.iter().map(|n| json_string(n)).collect();
            let one = Diagnostics {
                list: vec![d.clone()],
            };
            out.push_str(&format!(
                "{{\"severity\":\"{}\",\"code\":{},\"message\":{},{},\"labels\":[{}],\
                 \"notes\":[{}],\"rendered\":{}}}\n",
                severity_word(d),
                d.shown_code()
                    .map_or_else(|| "null".to_owned(), json_string),
                json_string(&d.message),
                position(primary),
                labels.join(","),
                notes.join(","),
                json_string(&one.render(sources, false)),
            ));
        }
        out
    }

    /// A one-line summary such as `2 errors, 1 warning`.
    pub fn summary(&self) -> String {
        fn plural(n: usize, word: &str) -> String {
            if n == 1 {
                format!("1 {word}")
            } else {
                format!("{n} {word}s")
            }
        }
        let (e, w) = (self.error_count(), self.warning_count());
        match (e, w) {
            (0, 0) => "no problems".to_string(),
            (e, 0) => plural(e, "error"),
            (0, w) => plural(w, "warning"),
            (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
        }
    }
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn severity_word(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Diagnostics {
        Diagnostics {
            list: iter.into_iter().collect(),
        }
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<I: IntoIterator<Item = Diagnostic>>(&mut self, iter: I) {
        self.list.extend(iter);
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl fmt::Display for Diagnostic {
    /// A single line without source: `error: message`, or
    /// `warning[enum-alias]: message` with a lint.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.shown_code() {
            Some(code) => write!(f, "{}[{code}]: {}", severity_word(self), self.message),
            None => write!(f, "{}: {}", severity_word(self), self.message),
        }
    }
}

/// The [`SourceMap`] seen through codespan's `Files` trait.
struct SourceFiles<'a>(&'a SourceMap);

impl<'a> Files<'a> for SourceFiles<'a> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.0
            .try_get(id)
            .map(|f| f.display.as_str())
            .ok_or(FilesError::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.0
            .try_get(id)
            .map(|f| f.text.as_str())
            .ok_or(FilesError::FileMissing)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        let starts = self.0.line_starts(id).ok_or(FilesError::FileMissing)?;
        Ok(starts
            .binary_search(&byte_index)
            .unwrap_or_else(|next| next - 1))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let file = self.0.try_get(id).ok_or(FilesError::FileMissing)?;
        let starts = self.0.line_starts(id).ok_or(FilesError::FileMissing)?;
        let start = *starts.get(line_index).ok_or(FilesError::LineTooLarge {
            given: line_index,
            max: starts.len() - 1,
        })?;
        let end = starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(file.text.len());
        Ok(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn json_strings_escape_what_json_must() {
        assert_eq!(
            json_string("a \"b\" \\ c\nd\te\u{1}é"),
            r#""a \"b\" \\ c\nd\te\u0001é""#
        );
    }

    /// JSON of a diagnostic without labels or code has nulls where a
    /// place and code would be, and every note.
    #[test]
    fn json_of_a_diagnostic_without_a_place() {
        let sources = SourceMap::new();
        let mut d = Diagnostics::new();
        d.push(Diagnostic::warning("option \"x\"").note("n"));
        assert_eq!(
            d.render_json(&sources),
            "{\"severity\":\"warning\",\"code\":null,\"message\":\"option \\\"x\\\"\",\
             \"file\":null,\"line\":null,\"column\":null,\"end_line\":null,\"end_column\":null,\
             \"labels\":[],\"notes\":[\"note: n\"],\
             \"rendered\":\"warning: option \\\"x\\\"\\n = note: n\\n\\n\"}\n"
        );
        let mut with_place = SourceMap::new();
        let file = with_place.add(Path::new("a\nb.thrift"), "x\n".into());
        let mut d = Diagnostics::new();
        d.push(Diagnostic::error("bad").primary(Span::new(file, 0, 1), "here"));
        let short = d.render_short(&with_place);
        assert_eq!(short.lines().count(), 1, "{short}");
    }
}
