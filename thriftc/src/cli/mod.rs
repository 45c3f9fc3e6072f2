//! The `thriftc` command line: one module per subcommand, each with a clap
//! `Args` struct and a `run` function returning the process exit code.

pub mod check;
pub mod r#gen;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code: the IDL has errors.
pub const EXIT_IDL_ERROR: u8 = 1;

/// Checks Thrift IDL and generates Rust from it.
#[derive(Debug, Parser)]
#[command(
    name = "thriftc",
    version,
    about = "A Thrift IDL compiler for Rust",
    long_about = "A Thrift IDL compiler for Rust.\n\n\
        thriftc reads Thrift IDL files (and everything they include), checks them, \
        and reports every problem with its file, line and column.",
    after_help = "Examples:\n  \
        thriftc check service.thrift\n  \
        thriftc check -I idl/common -I vendor/thrift api.thrift admin.thrift\n\n\
        Exit status: 0 when the IDL is valid (warnings allowed), 1 when it has errors, \
        2 for a usage error.",
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
    Gen(r#gen::Args),
}

impl Cli {
    /// Runs the chosen subcommand.
    pub fn run(self) -> ExitCode {
        match self.command {
            Command::Check(args) => check::run(args),
            Command::Gen(args) => r#gen::run(args),
        }
    }
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

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal (and NO_COLOR is not set).
    #[default]
    Auto,
    Always,
    Never,
}
