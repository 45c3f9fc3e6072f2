//! The `thriftc` binary: parses the command line and runs a subcommand.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::Cli::parse().run()
}
