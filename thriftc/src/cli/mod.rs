//! The `thriftc` command line: one module per subcommand, each with a clap
//! `Args` struct and a `run` function returning the process exit code.
//!
//! Exit codes, the same for every subcommand: [`EXIT_OK`], [`EXIT_IDL_ERROR`],
//! [`EXIT_USAGE`] (clap's own code for a bad command line), `3` for
//! `gen --check` finding stale files, [`EXIT_IO`] and [`EXIT_BREAKING`]
//! (`audit` finding breaking changes).

pub mod audit;
pub mod check;
pub mod r#gen;

use clap::{CommandFactory, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code: success (warnings allowed).
pub const EXIT_OK: u8 = 0;
/// Exit code: the IDL has errors.
pub const EXIT_IDL_ERROR: u8 = 1;
/// Exit code: the command line is wrong (clap exits with it), or an option
/// value is not valid (an attribute, runtime path or hasher that is not Rust).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: a file named on the command line cannot be read, or an output
/// cannot be written.
pub const EXIT_IO: u8 = 4;
/// Exit code: `audit` found changes that break wire compatibility.
pub const EXIT_BREAKING: u8 = 5;

/// Checks Thrift IDL and generates Rust from it.
#[derive(Debug, Parser)]
#[command(
    name = "thriftc",
    version,
    about = "A Thrift IDL compiler for Rust",
    long_about = "A Thrift IDL compiler for Rust.\n\n\
        thriftc reads Thrift IDL files (and everything they include), checks them, \
        and reports every problem with its file, line and column; `gen` writes idiomatic \
        Rust for the thriftc-runtime crate. From a build script, use the `thriftc` library \
        instead (`thriftc::compile` or `thriftc::Builder`).",
    after_help = "Examples:\n  \
        thriftc check service.thrift\n  \
        thriftc check -I idl/common -I vendor/thrift api.thrift admin.thrift\n  \
        thriftc gen --out-dir src/idl service.thrift\n  \
        thriftc gen --out-dir src/idl --check service.thrift   # in CI: is src/idl up to date?\n  \
        thriftc audit old/service.thrift service.thrift         # wire-compatible with the old version?\n  \
        thriftc completions bash > ~/.local/share/bash-completion/completions/thriftc\n\n\
        Exit status:\n  \
        0  success (warnings allowed)\n  \
        1  the IDL has errors (each printed with file:line:col)\n  \
        2  usage error (unknown option, missing argument, option value that is not valid)\n  \
        3  gen --check: generated files are missing or out of date\n  \
        4  a file named on the command line cannot be read, or output cannot be written\n  \
        5  audit: the new version breaks wire compatibility with the old one",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands. Each variant's module has `Args` and `run`.
#[derive(Debug, Subcommand)]
pub enum Command {
    Check(check::Args),
    // Boxed: its many options make it much larger than the others.
    Gen(Box<r#gen::Args>),
    Audit(audit::Args),
    Completions(CompletionsArgs),
}

/// Parses the command line and runs the subcommand; usage errors exit with
/// [`EXIT_USAGE`], `--help` and `--version` with [`EXIT_OK`].
pub fn main() -> ExitCode {
    match Cli::try_parse() {
        Ok(cli) => cli.run(),
        Err(e) => {
            let _ = e.print();
            ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK })
        }
    }
}

impl Cli {
    /// Runs the chosen subcommand.
    pub fn run(self) -> ExitCode {
        match self.command {
            Command::Check(args) => check::run(args),
            Command::Audit(args) => audit::run(args),
            Command::Gen(args) => r#gen::run(*args),
            Command::Completions(args) => completions(args),
        }
    }
}

/// Print a shell completion script for thriftc to stdout.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    thriftc completions bash > ~/.local/share/bash-completion/completions/thriftc\n  \
    thriftc completions zsh > ~/.zfunc/_thriftc      # with `fpath+=~/.zfunc` in ~/.zshrc\n  \
    thriftc completions fish > ~/.config/fish/completions/thriftc.fish")]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

fn completions(args: CompletionsArgs) -> ExitCode {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "thriftc", &mut out);
    match std::io::stdout().lock().write_all(&out) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("error: cannot write the completion script to stdout: {e}");
            ExitCode::from(EXIT_IO)
        }
    }
}

/// Checks that every file named on the command line is a readable file, so
/// a mistyped path is reported as such (exit [`EXIT_IO`]) rather than as an
/// IDL error. Prints one line per unreadable file.
///
/// Only regular files are opened to test them: a pipe or FIFO
/// (`/dev/stdin`, `<(git show v1:api.thrift)`) is read once, by the loader,
/// which reports it as unreadable if it is (see [`load_failed`]).
pub fn check_inputs(files: &[PathBuf]) -> Result<(), ExitCode> {
    let mut ok = true;
    for file in files {
        let problem = match std::fs::metadata(file) {
            Ok(meta) if meta.is_dir() => Some(
                "it is a folder; name the .thrift files in it (e.g. `dir/*.thrift`)".to_owned(),
            ),
            Ok(meta) if meta.is_file() => std::fs::File::open(file)
                .err()
                .map(|e| format!("{e}; check its permissions")),
            Ok(_) => None,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(
                "no such file; check the path (relative paths start at the current folder)"
                    .to_owned(),
            ),
            Err(e) => Some(e.to_string()),
        };
        if let Some(problem) = problem {
            eprintln!("error: cannot read `{}`: {problem}", file.display());
            ok = false;
        }
    }
    if ok {
        Ok(())
    } else {
        Err(ExitCode::from(EXIT_IO))
    }
}

/// The exit code for IDL that did not load: [`EXIT_IO`] when a file named
/// on the command line could not be read (e.g. it is not UTF-8), else
/// [`EXIT_IDL_ERROR`].
pub fn load_failed(failed: &thriftc::Failed) -> u8 {
    if failed.unreadable.is_empty() {
        EXIT_IDL_ERROR
    } else {
        EXIT_IO
    }
}

/// Reports IDL that did not load (its diagnostics with `levels` applied,
/// then `error: could not VERB the IDL (summary)`) and gives the exit code
/// (see [`load_failed`]).
pub fn report_failed(
    mut failed: thriftc::Failed,
    levels: &thriftc::LintLevels,
    style: Style,
    verb: &str,
) -> ExitCode {
    failed.diagnostics = levels.apply(std::mem::take(&mut failed.diagnostics));
    let mut stderr = std::io::stderr().lock();
    style.emit(&failed.diagnostics, &failed.sources);
    let _ = writeln!(
        stderr,
        "error: could not {verb} the IDL ({})",
        failed.diagnostics.summary()
    );
    ExitCode::from(load_failed(&failed))
}

/// Whether to colour diagnostics written to stderr.
pub fn stderr_color(choice: ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// `--message-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    /// Each diagnostic with its source line, a caret and notes.
    #[default]
    Human,
    /// Each diagnostic on one line: `file:line:col: warning[kind]: message`.
    Short,
    /// Each diagnostic as a JSON object on one line, to stdout (the summary
    /// stays on stderr): severity, code, message, place, labels, notes and
    /// the human text.
    Json,
}

/// How diagnostics are written to stderr: `--color` and `--message-format`.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    color: bool,
    format: MessageFormat,
}

impl Style {
    /// The style the flags ask for (colour only on a terminal, see
    /// [`stderr_color`]; never in the short format).
    pub fn new(color: ColorChoice, format: MessageFormat) -> Style {
        Style {
            color: format == MessageFormat::Human && stderr_color(color),
            format,
        }
    }

    /// Writes `diagnostics`, whose spans point into `sources`: to stderr,
    /// or as JSON to stdout.
    pub fn emit(&self, diagnostics: &thriftc::Diagnostics, sources: &thriftc::source::SourceMap) {
        let _ = match self.format {
            MessageFormat::Human => std::io::stderr()
                .lock()
                .write_all(diagnostics.render(sources, self.color).as_bytes()),
            MessageFormat::Short => std::io::stderr()
                .lock()
                .write_all(diagnostics.render_short(sources).as_bytes()),
            MessageFormat::Json => std::io::stdout()
                .lock()
                .write_all(diagnostics.render_json(sources).as_bytes()),
        };
    }
}

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal (and NO_COLOR is not set).
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// `-A`/`--allow` and `-D`/`--deny`: which kinds of warning to hide and
/// which to make errors (see [`thriftc::Lint`]).
#[derive(Debug, Default, clap::Args)]
pub struct LintArgs {
    /// Hide a kind of warning: its name (`enum-alias`), or `warnings` for all (repeatable)
    #[arg(
        short = 'A',
        long = "allow",
        value_name = "WARNING",
        value_parser = lint_name,
        long_help = LINT_HELP_ALLOW
    )]
    pub allow: Vec<String>,

    /// Make a kind of warning an error: its name, or `warnings` for all (repeatable)
    #[arg(
        short = 'D',
        long = "deny",
        value_name = "WARNING",
        value_parser = lint_name,
        long_help = LINT_HELP_DENY
    )]
    pub deny: Vec<String>,
}

/// `--allow`'s long help, with the list of kinds (kept equal to
/// [`thriftc::LintLevels::help_text`] by a test).
const LINT_HELP_ALLOW: &str = "Hide a kind of warning: its name, or `warnings` for all \
    (repeatable). A kind named on its own wins over `warnings`: `-D warnings -A enum-alias` \
    fails on every warning but `enum-alias`. The kinds (each warning shows its own, as in \
    `warning[enum-alias]`):\n\
    \x20 deprecated-syntax  `slist`, `senum`, `async` for `oneway`\n\
    \x20 implicit-field-id  a field without a positive id\n\
    \x20 enum-alias         a second name for an enum's number\n\
    \x20 multiline-string   a string literal over a line break\n\
    \x20 endless-cycle      `required` fields that lead back to their struct\n\
    \x20 ignored-keyword    `required` in a union, `optional` on an argument or `throws` (ignored)\n\
    \x20 wrapped-constant   a hex literal above its type's maximum, wrapped\n\
    \x20 enum-mismatch      an enum value named through another enum\n\
    \x20 renamed            an IDL name whose Rust name gets a number\n\
    \x20 bad-annotation     an annotation whose value names nothing\n\
    \x20 unused-option      a generator option that matches nothing\n\
    \x20 option-conflict    generator options that conflict";

/// `--deny`'s long help.
const LINT_HELP_DENY: &str = "Make a kind of warning an error (exit status 1, nothing \
    written): its name, or `warnings` for all (repeatable). `-D warnings` makes a CI job fail \
    on any warning; a kind given to both -A and -D is denied. See --allow for the kinds.";

/// Checks a `-A`/`-D` value, so a misspelt kind is a usage error.
fn lint_name(name: &str) -> Result<String, String> {
    thriftc::LintLevels::new().set_by_name(name, thriftc::Level::Allow)?;
    Ok(name.to_owned())
}

impl LintArgs {
    /// The levels the flags set.
    pub fn levels(&self) -> thriftc::LintLevels {
        let mut levels = thriftc::LintLevels::new();
        for (names, level) in [
            (&self.allow, thriftc::Level::Allow),
            (&self.deny, thriftc::Level::Deny),
        ] {
            for name in names {
                // Checked when parsed.
                let _ = levels.set_by_name(name, level);
            }
        }
        levels
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_help_lists_every_kind_of_warning() {
        let listed: String = super::LINT_HELP_ALLOW
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(listed, thriftc::LintLevels::help_text());
    }
}
