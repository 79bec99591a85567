//! One module per subcommand: arguments → settings → library call → output.

mod commit;
mod next;
mod plan;
mod semver;

use crate::args::{Cli, Command};
use crate::report::Outcome;

/// Runs the parsed command line.
pub(crate) fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Next(args) => next::run(&cli.global, &args, next::Format::Answer),
        Command::Explain(args) => match &args.package {
            Some(package) => plan::explain(&cli.global, package, &args.next),
            None => next::run(&cli.global, &args.next, next::Format::Explain),
        },
        Command::Plan(args) => plan::run(&cli.global, &args, plan::View::Plan),
        Command::Changed(args) => plan::run(&cli.global, &args, plan::View::Changed),
        Command::Semver(command) => semver::run(command),
        Command::Commit(command) => commit::run(command),
        Command::Lint(args) => commit::lint(&cli.global, &args),
    }
}
