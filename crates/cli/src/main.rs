//! The `verso` binary: parses arguments, runs the command, maps the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

mod args;
mod commands;
mod config;
mod env;
mod report;
mod workspace;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(error) => {
            report::print_error(&error);
            ExitCode::from(report::RUNTIME_ERROR)
        }
    }
}
