//! `thriftc check`: parse and check IDL files, print diagnostics.

use super::ColorChoice;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Parse and check Thrift files and everything they include.
#[derive(Debug, clap::Args)]
#[command(
    long_about = "Parse and check Thrift files and everything they include.\n\n\
        Every error and warning is printed to stderr with its location, also what `gen` \
        would warn about with its default settings (a name that gets a number in the \
        generated Rust, say). Nothing is written to disk.",
    after_help = "Examples:\n  \
        thriftc check tutorial.thrift\n  \
        thriftc check -I ../shared -I /usr/share/thrift service.thrift\n  \
        thriftc check --color=never idl/*.thrift 2> problems.txt\n  \
        thriftc check -D warnings -A enum-alias idl/*.thrift   # in CI: fail on warnings\n\n\
        Includes are looked up in the including file's folder first, then in each -I folder \
        in the order given.\n\n\
        Exit status: 0 when every file is valid (warnings allowed), 1 when there are errors \
        (or denied warnings), 2 for a usage error, 4 when a named file cannot be read."
)]
pub struct Args {
    /// Add a folder to search for included files (repeatable; searched in order).
    #[arg(short = 'I', long = "include-dir", value_name = "DIR")]
    pub include_dirs: Vec<PathBuf>,

    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// How to print diagnostics: with the source and a caret; one line each (`short`:
    /// `file:line:col: warning[kind]: message`); or JSON objects, one per line, on stdout (`json`).
    #[arg(long, value_enum, default_value_t = super::MessageFormat::Human, value_name = "FORMAT")]
    pub message_format: super::MessageFormat,

    /// Print nothing when the files are valid, and no warnings.
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub lints: super::LintArgs,

    /// The Thrift files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Runs `thriftc check`.
pub fn run(args: Args) -> ExitCode {
    if let Err(code) = super::check_inputs(&args.files) {
        return code;
    }
    let style = super::Style::new(args.color, args.message_format);
    let mut stderr = std::io::stderr().lock();
    let levels = args.lints.levels();
    match crate_load(&args) {
        Ok(loaded) => {
            let mut found = loaded.warnings;
            // What `gen` would warn about with its default settings (names
            // that get a number in Rust, say).
            found.extend(thriftc::codegen::warnings(
                &loaded.program,
                &thriftc::Options::default(),
            ));
            // In the order of the IDL, whichever stage found them.
            found.sort();
            let found = levels.apply(found);
            let failed = found.has_errors();
            let shown = if args.quiet {
                found.iter().filter(|d| d.is_error()).cloned().collect()
            } else {
                found
            };
            style.emit(&shown, &loaded.program.sources);
            if !args.quiet || failed {
                let defs = loaded.program.defs.len();
                let files = loaded.program.files.len();
                let mut line = format!(
                    "checked {files} file{}, {defs} definition{}",
                    if files == 1 { "" } else { "s" },
                    if defs == 1 { "" } else { "s" }
                );
                if !shown.is_empty() {
                    line.push_str(&format!(": {}", shown.summary()));
                }
                let _ = writeln!(stderr, "{line}");
            }
            if failed {
                let _ = writeln!(
                    stderr,
                    "error: the check failed: warnings denied with -D are errors ({})",
                    shown.summary()
                );
                ExitCode::from(super::EXIT_IDL_ERROR)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(failed) => super::report_failed(failed, &levels, style, "check"),
    }
}

fn crate_load(args: &Args) -> Result<thriftc::Loaded, thriftc::Failed> {
    thriftc::load(&args.files, &args.include_dirs)
}
