//! `thriftc audit`: wire-compatibility audit between two versions of an IDL.

use super::{ColorChoice, EXIT_BREAKING};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Compare two versions of an IDL for wire compatibility.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Compare two versions of an IDL for wire compatibility.\n\n\
        Both versions are loaded and checked (with the same -I folders, unless \
        --old-include-dir gives the old version its own), then every change \
        between them is printed to stderr with its location: errors for changes that break \
        the wire between a peer of the old version and a peer of the new one (a field's wire \
        type, requiredness, a removed function, a renumbered enum value...), warnings for \
        changes that are safe on the wire but change the generated Rust API or JSON documents \
        (a renamed field, a removed optional field, a changed default...). Definitions are \
        matched by name, fields by id, functions by name, enum values by name. With --strict, \
        also additions that thriftc's code reads but other generators' code may refuse: a new \
        enum number, a new union field.",
    after_help = "Examples:\n  \
        thriftc audit old/api.thrift api.thrift\n  \
        thriftc audit --strict old/api.thrift api.thrift   # peers from other generators too\n  \
        thriftc audit -A function-removed old/api.thrift api.thrift   # removed on purpose\n  \
        mkdir -p /tmp/v1.4 && git archive v1.4 idl | tar -x -C /tmp/v1.4\n  \
        thriftc audit /tmp/v1.4/idl/api.thrift idl/api.thrift\n  \
        thriftc audit -I idl/common --old-include-dir /tmp/v1.4/idl/common \\\n      \
        /tmp/v1.4/idl/api.thrift idl/api.thrift\n\n\
        Included files are searched beside the file that includes them, then in the -I \
        folders, which serve both versions unless --old-include-dir names the old \
        version's own. To audit against a release, extract the old version's folder whole \
        (its included files alongside, with `git archive` as above or `git worktree add`), \
        not the root file alone: a lone root does not load when it includes files, and \
        with -I pointing at the new files it is silently checked against the new \
        included files.\n\n\
        Exit status: 0 when the versions are wire-compatible (warnings allowed), 1 when either \
        version has IDL errors, 2 for a usage error, 4 when a named file cannot be read, \
        5 when breaking changes were found."
)]
pub struct Args {
    /// Add a folder to search for included files, for both versions (repeatable); with
    /// --old-include-dir, for the new version only.
    #[arg(short = 'I', long = "include-dir", value_name = "DIR")]
    pub include_dirs: Vec<PathBuf>,

    /// Add a folder to search for the old version's included files, instead of the -I
    /// folders (repeatable): the -I folders of a release extracted elsewhere.
    #[arg(long = "old-include-dir", value_name = "DIR")]
    pub old_include_dirs: Vec<PathBuf>,

    /// When to colour the findings.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// How to print diagnostics: with the source and a caret; one line each (`short`:
    /// `file:line:col: warning[kind]: message`); or JSON objects, one per line, on stdout (`json`).
    #[arg(long, value_enum, default_value_t = super::MessageFormat::Human, value_name = "FORMAT")]
    pub message_format: super::MessageFormat,

    /// Hide a rule's findings, for a change accepted on purpose: its name (`function-removed`),
    /// or `warnings` for every rule that is a warning (repeatable; a rule named on its own wins
    /// over `warnings`)
    #[arg(short = 'A', long = "allow", value_name = "RULE", value_parser = rule_name)]
    pub allow: Vec<RuleName>,

    /// Make a rule's findings errors (exit 5), e.g. `field-renamed` when JSON documents must not
    /// change: its name, or `warnings` for every rule that is a warning (repeatable)
    #[arg(short = 'D', long = "deny", value_name = "RULE", value_parser = rule_name)]
    pub deny: Vec<RuleName>,

    /// Also report additions other generators' peers may refuse or lose: a new enum number
    /// (Apache's Java code reads `null`), a new union field (Apache's Rust code fails to read it).
    #[arg(long)]
    pub strict: bool,

    /// The old version of the IDL file.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The new version of the IDL file.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
}

/// Runs `thriftc audit`.
pub fn run(args: Args) -> ExitCode {
    if let Err(code) = super::check_inputs(&[args.old.clone(), args.new.clone()]) {
        return code;
    }
    // Each version is loaded on its own: a pipe named for both would be
    // read empty the second time.
    if args.old == args.new && std::fs::metadata(&args.old).is_ok_and(|m| !m.is_file()) {
        eprintln!(
            "error: cannot read `{}` twice: it is not a regular file (a pipe is read once); \
             give the two versions as two files",
            args.old.display()
        );
        return ExitCode::from(super::EXIT_IO);
    }
    let style = super::Style::new(args.color, args.message_format);
    let mut stderr = std::io::stderr().lock();
    let mut programs = Vec::with_capacity(2);
    let mut failed = None;
    let old_dirs = if args.old_include_dirs.is_empty() {
        &args.include_dirs
    } else {
        &args.old_include_dirs
    };
    for (file, dirs) in [(&args.old, old_dirs), (&args.new, &args.include_dirs)] {
        match thriftc::load(std::slice::from_ref(file), dirs) {
            Ok(loaded) => programs.push(loaded.program),
            Err(errors) => {
                style.emit(&errors.diagnostics, &errors.sources);
                let _ = writeln!(
                    stderr,
                    "error: could not check `{}` ({})",
                    file.display(),
                    errors.diagnostics.summary()
                );
                failed = failed.max(Some(super::load_failed(&errors)));
            }
        }
    }
    if let Some(code) = failed {
        return ExitCode::from(code);
    }
    let mut options = thriftc::audit::Options::default();
    // Naming a rule checked only in strict mode asks for it.
    let names_strict = args
        .allow
        .iter()
        .chain(&args.deny)
        .any(|n| matches!(n, RuleName::One(r) if r.strict_only()));
    options.strict = args.strict || names_strict;
    let mut report = thriftc::audit::audit_with(&programs[0], &programs[1], &options);
    let (allow, deny) = rule_levels(&args.allow, &args.deny);
    let hidden = report.apply_levels(&allow, &deny);
    style.emit(&report.diagnostics(), &report.sources);
    let diagnostics = report.diagnostics();
    let (old, new) = (args.old.display(), args.new.display());
    let hidden_note = hidden_summary(&hidden);
    let hidden_breaking = hidden.iter().any(|f| f.diagnostic.is_error());
    if report.is_breaking() {
        let _ = writeln!(
            stderr,
            "error: `{new}` breaks wire compatibility with `{old}` ({}{hidden_note})",
            diagnostics.summary()
        );
        ExitCode::from(EXIT_BREAKING)
    } else if hidden_breaking {
        // Nothing breaking is shown, but only because -A hid it.
        let shown = if diagnostics.is_empty() {
            String::new()
        } else {
            format!("{}; ", diagnostics.summary())
        };
        let _ = writeln!(
            stderr,
            "`{new}` breaks wire compatibility with `{old}` only in changes accepted with -A \
             ({shown}{})",
            hidden_note.trim_start_matches("; ")
        );
        ExitCode::SUCCESS
    } else if !hidden.is_empty() {
        let shown = if diagnostics.is_empty() {
            "nothing left to report".to_owned()
        } else {
            diagnostics.summary()
        };
        let _ = writeln!(
            stderr,
            "`{new}` is wire-compatible with `{old}` ({shown}{hidden_note})"
        );
        ExitCode::SUCCESS
    } else if diagnostics.is_empty() {
        let not_reported = if args.strict {
            "fields not `required`, enum values with a name for a known number, types, functions"
        } else {
            "fields not `required`, enum values, union fields, types, functions; --strict \
             reports new enum numbers and union fields"
        };
        let _ = writeln!(
            stderr,
            "`{new}` is wire-compatible with `{old}`: nothing to report (additions are \
             not reported: {not_reported})"
        );
        ExitCode::SUCCESS
    } else {
        let _ = writeln!(
            stderr,
            "`{new}` is wire-compatible with `{old}` ({})",
            diagnostics.summary()
        );
        ExitCode::SUCCESS
    }
}

/// A `-A`/`-D` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleName {
    /// `warnings`: every rule that is a warning.
    Warnings,
    /// One rule.
    One(thriftc::audit::Rule),
}

/// Parses a `-A`/`-D` value: a rule's name, or `warnings`. An unknown name
/// is a usage error listing the rules.
fn rule_name(name: &str) -> Result<RuleName, String> {
    use thriftc::audit::Rule;
    if name.trim() == "warnings" {
        return Ok(RuleName::Warnings);
    }
    Rule::from_name(name).map(RuleName::One).ok_or_else(|| {
        let names: Vec<String> = Rule::ALL
            .iter()
            .map(|r| format!("`{}`", r.name()))
            .collect();
        format!(
            "unknown rule `{name}`: expected `warnings` or one of {}",
            names.join(", ")
        )
    })
}

/// The rules to hide and to deny, as `check` and `gen` read `-A`/`-D`: a
/// rule named on its own wins over `warnings`, and one both allowed and
/// denied at the same level of naming is denied.
fn rule_levels(
    allow: &[RuleName],
    deny: &[RuleName],
) -> (Vec<thriftc::audit::Rule>, Vec<thriftc::audit::Rule>) {
    let (mut hidden, mut denied) = (Vec::new(), Vec::new());
    for &rule in thriftc::audit::Rule::ALL {
        let warning = rule.severity() == thriftc::Severity::Warning;
        let named = |list: &[RuleName]| list.contains(&RuleName::One(rule));
        let all = |list: &[RuleName]| warning && list.contains(&RuleName::Warnings);
        if named(deny) || (!named(allow) && all(deny)) {
            denied.push(rule);
        } else if named(allow) || all(allow) {
            hidden.push(rule);
        }
    }
    (hidden, denied)
}

/// `; N hidden by -A: rule, rule` for the summary line, or nothing.
fn hidden_summary(hidden: &[thriftc::audit::Finding]) -> String {
    if hidden.is_empty() {
        return String::new();
    }
    let mut rules: Vec<String> = Vec::new();
    for f in hidden {
        let name = f.rule.name();
        if !rules.contains(&name) {
            rules.push(name);
        }
    }
    let breaking = hidden.iter().filter(|f| f.diagnostic.is_error()).count();
    let of_them = if breaking > 0 {
        format!(", {breaking} of them breaking")
    } else {
        String::new()
    };
    format!(
        "; {} hidden by -A{of_them}: {}",
        hidden.len(),
        rules.join(", ")
    )
}
