//! `thriftc check`: parse and check IDL files, print diagnostics.

use super::{ColorChoice, stderr_color};
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
        thriftc check --color=never idl/*.thrift 2> problems.txt\n\n\
        Includes are looked up in the including file's folder first, then in each -I folder \
        in the order given.\n\n\
        Exit status: 0 when every file is valid (warnings allowed), 1 when there are errors, \
        2 for a usage error, 4 when a named file cannot be read."
)]
pub struct Args {
    /// Add a folder to search for included files (repeatable; searched in order).
    #[arg(short = 'I', long = "include-dir", value_name = "DIR")]
    pub include_dirs: Vec<PathBuf>,

    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Print nothing when the files are valid, and no warnings.
    #[arg(short, long)]
    pub quiet: bool,

    /// The Thrift files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Runs `thriftc check`.
pub fn run(args: Args) -> ExitCode {
    if let Err(code) = super::check_inputs(&args.files) {
        return code;
    }
    let color = stderr_color(args.color);
    let mut stderr = std::io::stderr().lock();
    match crate_load(&args) {
        Ok(loaded) => {
            if !args.quiet {
                let _ = stderr.write_all(loaded.render_warnings(color).as_bytes());
                // What `gen` would warn about with its default settings
                // (names that get a number in Rust, say).
                let generated = thriftc::codegen::option_warnings(
                    &loaded.program,
                    &thriftc::Options::default(),
                );
                for w in &generated {
                    let _ = writeln!(stderr, "warning: {w}");
                }
                let defs = loaded.program.defs.len();
                let files = loaded.program.files.len();
                let warnings = loaded.warnings.warning_count() + generated.len();
                let mut line = format!(
                    "checked {files} file{}, {defs} definition{}",
                    if files == 1 { "" } else { "s" },
                    if defs == 1 { "" } else { "s" }
                );
                if warnings > 0 {
                    let s = if warnings == 1 { "" } else { "s" };
                    line.push_str(&format!(": {warnings} warning{s}"));
                }
                let _ = writeln!(stderr, "{line}");
            }
            ExitCode::SUCCESS
        }
        Err(failed) => {
            let _ = stderr.write_all(failed.render(color).as_bytes());
            let _ = writeln!(
                stderr,
                "error: could not check the IDL ({})",
                failed.diagnostics.summary()
            );
            ExitCode::from(super::load_failed(&failed))
        }
    }
}

fn crate_load(args: &Args) -> Result<thriftc::Loaded, thriftc::Failed> {
    thriftc::load(&args.files, &args.include_dirs)
}
