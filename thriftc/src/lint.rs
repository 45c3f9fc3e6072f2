//! Warnings by name: every IDL warning belongs to a [`Lint`], and
//! [`LintLevels`] says per lint whether it is shown, hidden or an error.
//!
//! `thriftc check` and `thriftc gen` set levels with `-A`/`--allow` and
//! `-D`/`--deny` (a lint's name, or `warnings` for all of them), the
//! [`Builder`](crate::Builder) with [`allow`](crate::Builder::allow),
//! [`deny`](crate::Builder::deny) and
//! [`deny_warnings`](crate::Builder::deny_warnings). A level set for one lint
//! wins over the one set for `warnings`, whatever the order:
//! `-D warnings -A enum-alias` fails on every warning except `enum-alias`.

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use std::collections::BTreeMap;
use std::fmt;

/// A kind of warning, named like `enum-alias` in the output
/// (`warning[enum-alias]: ...`) and in `-A`/`-D`. More may be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Lint {
    /// Old syntax Apache's compiler still takes: `slist`, `senum`, `async`
    /// for `oneway`.
    DeprecatedSyntax,
    /// A field with no id, or with an id of 0 or below: it gets a negative
    /// one, as Apache's compiler gives it.
    ImplicitFieldId,
    /// A second name for an enum's number.
    EnumAlias,
    /// A string literal that runs over a line break.
    MultilineString,
    /// A struct whose `required` fields lead back to it, so that no value
    /// of it can ever be built.
    EndlessCycle,
    /// A keyword Apache's compiler ignores there, and so does thriftc:
    /// `required` on a union field, `optional` on a function argument or a
    /// `throws` entry.
    IgnoredKeyword,
    /// A hex literal above its integer type's maximum (`0xFFFFFFFF` for an
    /// `i32`), read as two's complement (-1), as Apache's C++ output does.
    WrappedConstant,
    /// An enum value named through another enum (`A.Y` for a field of
    /// enum `B`), read as the value of that name in the field's own enum,
    /// as Apache's compiler reads it.
    EnumMismatch,
    /// An IDL name whose Rust name gets a number (or another name) because
    /// another one converts to the same Rust name.
    Renamed,
    /// An annotation thriftc reads whose value names nothing (an
    /// exception's `message` naming no `string` field).
    BadAnnotation,
    /// A generator option that matches nothing or has no effect (a path no
    /// definition has, a type that gets no view).
    UnusedOption,
    /// Generator options that conflict (a type attribute deriving what the
    /// `serde` option derives).
    OptionConflict,
}

impl Lint {
    /// Every lint, in the order of the docs.
    pub const ALL: &'static [Lint] = &[
        Lint::DeprecatedSyntax,
        Lint::ImplicitFieldId,
        Lint::EnumAlias,
        Lint::MultilineString,
        Lint::EndlessCycle,
        Lint::IgnoredKeyword,
        Lint::WrappedConstant,
        Lint::EnumMismatch,
        Lint::Renamed,
        Lint::BadAnnotation,
        Lint::UnusedOption,
        Lint::OptionConflict,
    ];

    /// The name in the output and in `-A`/`-D`: `enum-alias`.
    pub fn name(self) -> &'static str {
        match self {
            Lint::DeprecatedSyntax => "deprecated-syntax",
            Lint::ImplicitFieldId => "implicit-field-id",
            Lint::EnumAlias => "enum-alias",
            Lint::MultilineString => "multiline-string",
            Lint::EndlessCycle => "endless-cycle",
            Lint::IgnoredKeyword => "ignored-keyword",
            Lint::WrappedConstant => "wrapped-constant",
            Lint::EnumMismatch => "enum-mismatch",
            Lint::Renamed => "renamed",
            Lint::BadAnnotation => "bad-annotation",
            Lint::UnusedOption => "unused-option",
            Lint::OptionConflict => "option-conflict",
        }
    }

    /// One line on what the lint is about, for `--help`.
    pub fn summary(self) -> &'static str {
        match self {
            Lint::DeprecatedSyntax => "`slist`, `senum`, `async` for `oneway`",
            Lint::ImplicitFieldId => "a field without a positive id",
            Lint::EnumAlias => "a second name for an enum's number",
            Lint::MultilineString => "a string literal over a line break",
            Lint::EndlessCycle => "`required` fields that lead back to their struct",
            Lint::IgnoredKeyword => {
                "`required` in a union, `optional` on an argument or `throws` (ignored)"
            }
            Lint::WrappedConstant => "a hex literal above its type's maximum, wrapped",
            Lint::EnumMismatch => "an enum value named through another enum",
            Lint::Renamed => "an IDL name whose Rust name gets a number",
            Lint::BadAnnotation => "an annotation whose value names nothing",
            Lint::UnusedOption => "a generator option that matches nothing",
            Lint::OptionConflict => "generator options that conflict",
        }
    }

    /// The lint named `name` (`enum-alias`; `enum_alias` too), if any.
    pub fn from_name(name: &str) -> Option<Lint> {
        let name = name.trim().replace('_', "-");
        Lint::ALL.iter().copied().find(|l| l.name() == name)
    }
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What becomes of a lint's warnings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Not shown.
    Allow,
    /// Shown as a warning (the default).
    Warn,
    /// An error: `check` fails, `gen` and the builder write nothing.
    Deny,
}

/// The level of every lint: [`Level::Warn`] unless set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LintLevels {
    each: BTreeMap<Lint, Level>,
    all: Option<Level>,
}

/// The name that stands for every lint in `-A`/`-D`.
pub const ALL_WARNINGS: &str = "warnings";

impl LintLevels {
    /// Every lint a warning.
    pub fn new() -> LintLevels {
        LintLevels::default()
    }

    /// Sets the level of one lint.
    pub fn set(&mut self, lint: Lint, level: Level) -> &mut Self {
        self.each.insert(lint, level);
        self
    }

    /// Sets the level of every lint not set on its own.
    pub fn set_all(&mut self, level: Level) -> &mut Self {
        self.all = Some(level);
        self
    }

    /// Sets the level of the lint named `name`, or of all for `warnings`.
    /// An unknown name is an error whose text lists the known ones.
    pub fn set_by_name(&mut self, name: &str, level: Level) -> Result<&mut Self, String> {
        if name.trim() == ALL_WARNINGS {
            return Ok(self.set_all(level));
        }
        match Lint::from_name(name) {
            Some(lint) => Ok(self.set(lint, level)),
            None => Err(format!(
                "unknown warning `{name}`: expected `{ALL_WARNINGS}` or one of {}",
                Lint::ALL
                    .iter()
                    .map(|l| format!("`{l}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The level of `lint`.
    pub fn level(&self, lint: Lint) -> Level {
        self.each
            .get(&lint)
            .copied()
            .or(self.all)
            .unwrap_or(Level::Warn)
    }

    /// The diagnostics with the levels applied: allowed warnings left out,
    /// denied ones turned into errors (with a note saying why). Errors,
    /// and warnings of no lint, pass unchanged.
    pub fn apply(&self, diagnostics: Diagnostics) -> Diagnostics {
        let mut out = Diagnostics::new();
        for d in diagnostics {
            let Some(lint) = d.lint.filter(|_| d.severity == Severity::Warning) else {
                out.push(d);
                continue;
            };
            match self.level(lint) {
                Level::Allow => {}
                Level::Warn => out.push(d),
                Level::Deny => {
                    let why = if self.each.contains_key(&lint) {
                        format!("the warning `{lint}` is denied")
                    } else {
                        format!("the warning `{lint}` is denied, as all warnings are")
                    };
                    out.push(
                        Diagnostic {
                            severity: Severity::Error,
                            ..d
                        }
                        .note(why),
                    );
                }
            }
        }
        out
    }

    /// The list of lints for `--help`: one per line, name and summary.
    pub fn help_text() -> String {
        let width = Lint::ALL.iter().map(|l| l.name().len()).max().unwrap_or(0);
        Lint::ALL
            .iter()
            .map(|l| format!("  {:width$}  {}", l.name(), l.summary()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warning(lint: Lint) -> Diagnostic {
        Diagnostic::warning(format!("about {lint}")).lint(lint)
    }

    fn shown(levels: &LintLevels, list: &[Diagnostic]) -> Vec<(Severity, Option<Lint>)> {
        let mut d = Diagnostics::new();
        for x in list {
            d.push(x.clone());
        }
        levels
            .apply(d)
            .iter()
            .map(|d| (d.severity, d.lint))
            .collect()
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        for &l in Lint::ALL {
            assert_eq!(Lint::from_name(l.name()), Some(l));
            assert_eq!(Lint::from_name(&l.name().replace('-', "_")), Some(l));
        }
        let mut names: Vec<_> = Lint::ALL.iter().map(|l| l.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Lint::ALL.len());
        assert_eq!(Lint::from_name("enum-aliases"), None);
    }

    #[test]
    fn one_lint_wins_over_all_whatever_the_order() {
        let list = [
            warning(Lint::EnumAlias),
            warning(Lint::Renamed),
            Diagnostic::error("bad"),
            Diagnostic::warning("no lint"),
        ];
        let mut levels = LintLevels::new();
        levels.set(Lint::EnumAlias, Level::Allow);
        levels.set_all(Level::Deny);
        assert_eq!(
            shown(&levels, &list),
            [
                (Severity::Error, Some(Lint::Renamed)),
                (Severity::Error, None),
                (Severity::Warning, None),
            ]
        );
        let mut levels = LintLevels::new();
        levels.set_all(Level::Allow);
        levels.set(Lint::Renamed, Level::Deny);
        assert_eq!(
            shown(&levels, &list),
            [
                (Severity::Error, Some(Lint::Renamed)),
                (Severity::Error, None),
                (Severity::Warning, None),
            ]
        );
        assert_eq!(
            shown(&LintLevels::new(), &list),
            [
                (Severity::Warning, Some(Lint::EnumAlias)),
                (Severity::Warning, Some(Lint::Renamed)),
                (Severity::Error, None),
                (Severity::Warning, None),
            ]
        );
    }

    #[test]
    fn a_denied_warning_says_why_it_is_an_error() {
        let mut levels = LintLevels::new();
        levels.set_by_name("warnings", Level::Deny).unwrap();
        levels.set_by_name("enum_alias", Level::Deny).unwrap();
        let mut d = Diagnostics::new();
        d.push(warning(Lint::EnumAlias));
        d.push(warning(Lint::Renamed));
        let out: Vec<_> = levels.apply(d).into_iter().collect();
        assert_eq!(out[0].notes, ["note: the warning `enum-alias` is denied"]);
        assert_eq!(
            out[1].notes,
            ["note: the warning `renamed` is denied, as all warnings are"]
        );
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let e = LintLevels::new()
            .set_by_name("enum-aliases", Level::Allow)
            .map(|_| ())
            .unwrap_err();
        assert!(e.starts_with("unknown warning `enum-aliases`"), "{e}");
        for l in Lint::ALL {
            assert!(e.contains(&format!("`{l}`")), "{e}");
        }
    }

    /// Every warning the loader gives has its lint: a warning of none
    /// could not be allowed or denied.
    #[test]
    fn every_warning_about_the_idl_has_its_lint() {
        let idl = "typedef slist Old\n\
                   senum Colors { \"a\", \"b\" }\n\
                   enum E { A = 1, B = 1 }\n\
                   struct S { i32 noid, 0: i32 zero }\n\
                   const string M = \"two\nlines\"\n\
                   struct Loop { 1: required Loop next }\n\
                   service Svc { async void f() }\n\
                   union U { 1: required i32 a }\n\
                   service Opt { void g(1: optional i32 a) }\n\
                   const i32 MASK = 0xFFFFFFFF\n\
                   enum A { X = 1 }\n\
                   const E OTHER = A.B\n";
        let loaded = crate::load_str("w.thrift", idl).unwrap();
        let mut got: Vec<_> = loaded.warnings.iter().map(|d| d.lint).collect();
        got.sort();
        use Lint::*;
        assert_eq!(
            got,
            [
                DeprecatedSyntax,
                DeprecatedSyntax,
                DeprecatedSyntax,
                ImplicitFieldId,
                ImplicitFieldId,
                EnumAlias,
                MultilineString,
                EndlessCycle,
                IgnoredKeyword,
                IgnoredKeyword,
                WrappedConstant,
                EnumMismatch,
            ]
            .map(Some)
        );
    }
}
