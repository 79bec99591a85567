//! One module per subcommand: arguments → settings → library call → output.

mod artifact;
mod commit;
mod next;
mod plan;
mod release;
mod semver;
mod serve;

use std::path::Path;

use verso_git::Repository;

use crate::args::{Cli, Command, GlobalArgs};
use crate::report::{with_hint, Outcome};

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
        Command::Release(args) => release::run(&cli.global, &args),
        Command::Semver(command) => semver::run(command),
        Command::Commit(args) => match args.command {
            Some(command) => commit::run(command),
            None => commit::write(&cli.global, &args),
        },
        Command::Hook(command) => commit::hook(&cli.global, &command),
        Command::Lint(args) => commit::lint(&cli.global, &args),
        Command::Chart(command) => artifact::chart(command),
        Command::Image(command) => artifact::image(command),
        Command::Serve(args) => serve::run(&args),
    }
}

/// The repository that holds `-C <dir>` (or the current directory).
fn open_repository(global: &GlobalArgs) -> anyhow::Result<Repository> {
    let directory = global.directory.as_deref().unwrap_or(Path::new("."));
    Repository::discover(directory).map_err(|error| {
        with_hint(
            error,
            "run verso inside a git repository, or point at one with `-C <dir>`",
        )
    })
}
