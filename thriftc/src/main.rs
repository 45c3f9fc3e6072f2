//! The `thriftc` binary: parses the command line and runs a subcommand.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
