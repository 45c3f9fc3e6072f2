//! Wire-compatibility audit between two versions of an IDL (`thriftc audit
//! OLD NEW`, like `thrift --audit`).
//!
//! [`audit`] compares two checked programs (see [`load`](crate::load)) and
//! reports each change as a [`Finding`]: an error when a peer built from one
//! version can no longer read what a peer built from the other writes, a
//! warning when the wire is safe but the generated Rust API, serde/JSON
//! documents or future evolution are affected.
//!
//! What is matched with what:
//! - definitions by file and name: the root files pairwise (the first file
//!   given of the old version with the first of the new, and so on), and
//!   included files by the path they are included by, relative to the root
//!   file's folder or to the `-I` folder they were found in (so two
//!   `common.thrift` in different folders are told apart whatever their
//!   load order; messages then show the path). A definition missing from
//!   its file is matched with the one definition of its name that is new
//!   in another file, if there is exactly one: it moved;
//! - fields, arguments and `throws` entries by id (a field whose id changed
//!   is found by its name); functions by name (with those inherited
//!   through `extends`); enum values by name.
//!
//! Types are compared by what they resolve to (a field whose typedef now
//! aliases another type is compared by that type, through typedef chains
//! of any length), by wire type at every level of a container. A struct
//! named by a field is compared where it is defined; a field that now
//! names another struct (or one moved to another file) is compared by the
//! two layouts, field by field at any depth. Default values and constants
//! are compared by value: the order of a set's elements or a map's entries
//! does not count. A typedef is reported when its own target changed, not
//! when a typedef it names did. Additions are compatible (a new
//! optional or default field, function, enum value or definition), except a
//! new `required` field or argument and a new `throws` entry. Order,
//! comments, doc comments and annotations are not compared.
//!
//! # Rules
//!
//! Each finding carries its [`Rule`]; the rules (documented on the enum)
//! are, by name:
//!
//! | rule | severity | change |
//! |---|---|---|
//! | `field-wire-type-changed` | error | a field's wire type changed (at any depth of a container), or it names another struct whose layout differs on the wire |
//! | `field-type-changed` | warning | a field's Thrift type changed, not its wire type (`string`/`binary`, `i32`/enum, another struct with a compatible layout) |
//! | `field-became-required` | error | a field became `required` |
//! | `field-no-longer-required` | error | a `required` field became optional or default |
//! | `field-optionality-changed` | warning | a field changed between `optional` and default requiredness |
//! | `required-field-removed` | error | a `required` field was removed |
//! | `field-removed` | warning | an optional or default field was removed (its id must not be reused) |
//! | `required-field-added` | error | a `required` field or argument was added |
//! | `field-renamed` | warning | a field kept its id under another name (Rust name and JSON key change) |
//! | `field-renumbered` | error | a field kept its name under another id (its value is lost between versions) |
//! | `field-default-changed` | warning | a field's default value changed |
//! | `union-changed` | error | a union became a struct or exception, or the reverse |
//! | `struct-kind-changed` | warning | a struct became an exception, or the reverse |
//! | `enum-value-removed` | warning | an enum value was removed |
//! | `enum-value-renumbered` | error | an enum value's number changed |
//! | `enum-number-reused` | warning | an enum number now belongs to another name |
//! | `function-removed` | error | a function was removed (a removed service: once, naming its functions) |
//! | `inherited-function-removed` | error | `extends` changed and an inherited function is gone |
//! | `oneway-changed` | error | a function became `oneway` or stopped being `oneway` |
//! | `return-wire-type-changed` | error | a return type's wire type changed (also `void` to a value or back) |
//! | `return-type-changed` | warning | a return type changed, not its wire type |
//! | `exception-removed` | warning | a `throws` entry was removed |
//! | `exception-added` | warning | a `throws` entry was added |
//! | `definition-removed` | warning | a type, typedef or constant was removed |
//! | `definition-moved` | warning | a definition moved to another file (its Rust path changes); it is compared with its old self |
//! | `definition-kind-changed` | warning | a name now defines another kind of thing |
//! | `typedef-changed` | warning | a typedef now aliases another type |
//! | `const-changed` | warning | a constant's type or value changed |
//! | `namespace-changed` | warning | a file's `namespace rs` changed |
//! | `enum-value-added` | warning | strict only: an enum value with a new number was added |
//! | `union-field-added` | warning | strict only: a field was added to a union |
//!
//! The last two report additions that peers built by thriftc (and by most
//! generators) read, but that some other generators' code refuses or
//! loses; they are checked with [`Options::strict`] ([`audit_with`],
//! `thriftc audit --strict`) only.
//!
//! Function arguments follow the field rules, `throws` entries the
//! `exception-*` rules (and the type and name rules).
//!
//! ```
//! use thriftc::audit::{Rule, audit};
//!
//! let old = thriftc::load_str("api.thrift", "struct Order { 1: i32 count }").unwrap();
//! let new = thriftc::load_str("api.thrift", "struct Order { 1: i64 count }").unwrap();
//! let report = audit(&old.program, &new.program);
//! assert!(report.is_breaking());
//! assert_eq!(report.findings[0].rule, Rule::FieldWireTypeChanged);
//! assert_eq!(
//!     report.findings[0].diagnostic.message,
//!     "field 1 `count` of struct `Order` changed type from i32 to i64: \
//!      peers of the old version cannot read it"
//! );
//! ```

mod compare;
mod rules;
mod side;
#[cfg(test)]
mod tests;

pub use rules::Rule;

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::ir::Program;
use crate::source::{SourceMap, Span};

/// One change between the versions: the rule it falls under and the
/// diagnostic that explains it (its severity is the rule's, unless
/// [`Audit::apply_levels`] denied the rule).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// The kind of change.
    pub rule: Rule,
    /// What changed, in words, pointing at the new file when the item is
    /// there, else at the old file.
    pub diagnostic: Diagnostic,
}

impl Finding {
    /// Where the finding points (in [`Audit::sources`]).
    pub fn span(&self) -> Option<Span> {
        self.diagnostic
            .labels
            .iter()
            .find(|l| l.primary)
            .map(|l| l.span)
    }
}

/// The result of [`audit`]: the findings, and the text of both versions'
/// files that their spans point into.
#[derive(Debug)]
#[non_exhaustive]
pub struct Audit {
    /// The new version's files, then the old version's.
    pub sources: SourceMap,
    /// Every change found, in the order of the new files, then of the old
    /// files (for removed items).
    pub findings: Vec<Finding>,
}

impl Audit {
    /// Whether any finding breaks the wire (an error).
    pub fn is_breaking(&self) -> bool {
        self.findings.iter().any(|f| f.diagnostic.is_error())
    }

    /// The findings as [`Diagnostics`], e.g. for [`Diagnostics::summary`].
    pub fn diagnostics(&self) -> Diagnostics {
        let mut out = Diagnostics::new();
        for f in &self.findings {
            out.push(f.diagnostic.clone());
        }
        out
    }

    /// Every finding as a compiler would print it (see
    /// [`Diagnostics::render`]).
    pub fn render(&self, color: bool) -> String {
        self.diagnostics().render(&self.sources, color)
    }

    /// Hides the findings of the rules in `allow` and makes those of the
    /// rules in `deny` errors, with a note saying so (a rule in both is
    /// denied): for a change a team has accepted (`thriftc audit -A
    /// function-removed`), or one it wants to refuse although the wire is
    /// safe (`-D field-renamed`, for JSON documents). Returns the hidden
    /// findings, as they were.
    pub fn apply_levels(&mut self, allow: &[Rule], deny: &[Rule]) -> Vec<Finding> {
        let (kept, hidden) = std::mem::take(&mut self.findings)
            .into_iter()
            .partition(|f| deny.contains(&f.rule) || !allow.contains(&f.rule));
        self.findings = kept;
        for f in &mut self.findings {
            if deny.contains(&f.rule) && !f.diagnostic.is_error() {
                f.diagnostic.severity = Severity::Error;
                f.diagnostic
                    .notes
                    .push(format!("note: the rule `{}` is denied", f.rule.name()));
            }
        }
        hidden
    }

    /// The 1-based line a finding points at, and the file shown for it.
    pub fn location(&self, finding: &Finding) -> Option<(&str, usize)> {
        let span = finding.span()?;
        let file = self.sources.try_get(span.file)?;
        Some((file.display.as_str(), file.line_col(span.start as usize).0))
    }
}

/// What to report beyond the default rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Also report the additions some other generators' peers refuse
    /// ([`Rule::strict_only`]: a new enum number, a new union field).
    pub strict: bool,
}

/// Compares two versions of an IDL; see the [module docs](self) for what is
/// matched and reported. The default [`Options`]: [`audit_with`].
pub fn audit(old: &Program, new: &Program) -> Audit {
    audit_with(old, new, &Options::default())
}

/// [`audit`] with `options`.
pub fn audit_with(old: &Program, new: &Program, options: &Options) -> Audit {
    let mut sources = SourceMap::new();
    for program in [new, old] {
        for (_, file) in program.sources.iter() {
            sources.add_with_display(&file.path, file.display.clone(), file.text.clone());
        }
    }
    let mut auditor = compare::Auditor {
        old: side::Side::new(old, new.sources.len() as u32),
        new: side::Side::new(new, 0),
        findings: Vec::new(),
        strict: options.strict,
    };
    auditor.run();
    let mut findings = auditor.findings;
    findings.sort_by_key(|f| f.span().map(|s| (s.file, s.start)));
    Audit { sources, findings }
}
