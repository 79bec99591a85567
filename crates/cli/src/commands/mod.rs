//! One module per subcommand: arguments → settings → library call → output.

mod commit;
mod next;
mod semver;

use crate::args::{Cli, Command};
use crate::report::Outcome;

/// Runs the parsed command line.
pub(crate) fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Next(args) => next::run(&cli.global, &args, next::Format::Answer),
        Command::Explain(args) => next::run(&cli.global, &args, next::Format::Explain),
        Command::Semver(command) => semver::run(command),
        Command::Commit(command) => commit::run(command),
        Command::Lint(args) => commit::lint(&cli.global, &args),
    }
}
