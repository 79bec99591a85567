//! `verso commit parse` and `verso lint`.

use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use verso_core::bump::{Bump, BumpRules, DEFAULT_TYPES};
use verso_core::commit::{is_merge_header, parse_header, ConventionalCommit};

use crate::args::{CommitCommand, GlobalArgs, LintArgs};
use crate::config::Config;
use crate::report::Outcome;

/// The JSON contract of `verso commit parse --json`.
#[derive(Serialize)]
struct ParsedMessage<'a> {
    #[serde(flatten)]
    commit: &'a ConventionalCommit,
    bump: Bump,
}

pub(crate) fn run(command: CommitCommand) -> anyhow::Result<Outcome> {
    match command {
        CommitCommand::Parse { json: _ } => {
            let message = read_input(Path::new("-"))?;
            let commit = ConventionalCommit::parse(&message);
            let bump = BumpRules::default().classify(&commit).level.bump();
            let rendered = serde_json::to_string(&ParsedMessage {
                commit: &commit,
                bump,
            })?;
            println!("{rendered}");
            Ok(Outcome::Success)
        }
    }
}

const EXAMPLE: &str =
    "a conventional header looks like `feat(api): list versions` or `fix!: drop the v1 endpoint`";

pub(crate) fn lint(global: &GlobalArgs, args: &LintArgs) -> anyhow::Result<Outcome> {
    let raw = read_input(&args.file)?;
    let message = strip_comments(&raw);
    let directory = global.directory.as_deref().unwrap_or(Path::new("."));
    let root = verso_git::Repository::discover(directory)
        .ok()
        .and_then(|repository| repository.workdir().map(Path::to_path_buf));
    let config = Config::load(global.config.as_deref(), root.as_deref())?;
    let problems = problems(&message, &config.rules);
    if problems.is_empty() {
        return Ok(Outcome::Success);
    }
    let header = message.lines().next().unwrap_or("");
    eprintln!(
        "error: `{}` is not a conventional commit message",
        args.file.display()
    );
    eprintln!("  header: {header}");
    for problem in &problems {
        eprintln!("  - {problem}");
    }
    eprintln!("hint: {EXAMPLE}");
    Ok(Outcome::Rejected)
}

/// What is wrong with a message; empty when it may be committed.
fn problems(message: &str, rules: &BumpRules) -> Vec<String> {
    let mut lines = message.lines();
    let header = lines.next().unwrap_or("").trim_end_matches('\r');
    // Messages git writes itself, and autosquash markers, are fine as they are.
    let generated = is_merge_header(header)
        || header.starts_with("Revert \"")
        || ["fixup! ", "squash! ", "amend! "]
            .iter()
            .any(|prefix| header.starts_with(prefix));
    if generated {
        return Vec::new();
    }
    let mut problems = Vec::new();
    match parse_header(header) {
        Err(error) => problems.push(error.to_string()),
        Ok(parts) => {
            let kind = parts.kind.to_ascii_lowercase();
            let known = DEFAULT_TYPES.contains(&kind.as_str())
                || rules
                    .configured_types()
                    .any(|configured| configured == kind);
            if !known {
                let mut types: Vec<&str> = DEFAULT_TYPES.to_vec();
                types.extend(rules.configured_types());
                types.sort_unstable();
                types.dedup();
                problems.push(format!(
                    "unknown type `{}`; known types: {} (add a rule under `[rules]` in `verso.toml` to allow another)",
                    parts.kind,
                    types.join(", ")
                ));
            }
        }
    }
    if lines.next().is_some_and(|second| !second.trim().is_empty()) {
        problems.push(
            "the second line must be empty: separate the header from the body with a blank line"
                .to_owned(),
        );
    }
    problems
}

/// Drops what git drops before committing: comment lines, everything below the scissors
/// line, and leading blank lines.
fn strip_comments(raw: &str) -> String {
    let mut kept = Vec::new();
    for line in raw.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("# ------------------------ >8 ------------------------") {
            break;
        }
        if line.starts_with('#') {
            continue;
        }
        kept.push(line);
    }
    let first = kept
        .iter()
        .position(|line| !line.trim().is_empty())
        .unwrap_or(kept.len());
    kept[first..].join("\n").trim_end().to_owned()
}

fn read_input(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("failed to read the message from standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("failed to read `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_conventional_and_git_generated_messages() {
        let rules = BumpRules::default();
        for message in [
            "feat(api): list versions",
            "fix!: drop v1\n\nBREAKING CHANGE: gone",
            "Merge branch 'main' into dev",
            "Revert \"feat: x\"\n\nThis reverts commit abcdef0.",
            "fixup! feat: x",
        ] {
            assert!(problems(message, &rules).is_empty(), "{message}");
        }
    }

    #[test]
    fn rejects_unknown_types_unless_configured() {
        let mut rules = BumpRules::default();
        assert_eq!(problems("deps: bump x", &rules).len(), 1);
        rules
            .insert("deps", verso_core::bump::Level::Bump(Bump::Patch))
            .expect("valid");
        assert!(problems("deps: bump x", &rules).is_empty());
    }

    #[test]
    fn strips_comments_and_scissors() {
        let raw = "\n\nfeat: x\n# Please enter the commit message\n\nbody\n# ------------------------ >8 ------------------------\ndiff --git a b\n";
        assert_eq!(strip_comments(raw), "feat: x\n\nbody");
    }
}
