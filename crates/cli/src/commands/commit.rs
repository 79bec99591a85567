//! `verso commit` (the prompt), `verso commit parse`, `verso lint` and
//! `verso hook install`.

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

/// The header and footers of a message assembled from answers.
fn assemble(
    kind: &str,
    scope: Option<&str>,
    description: &str,
    body: Option<&str>,
    breaking: Option<&str>,
) -> String {
    let scope = scope
        .filter(|scope| !scope.is_empty() && *scope != "-")
        .map(|scope| format!("({scope})"))
        .unwrap_or_default();
    let bang = if breaking.is_some() { "!" } else { "" };
    let mut message = format!("{kind}{scope}{bang}: {description}\n");
    if let Some(body) = body.filter(|body| !body.trim().is_empty()) {
        message.push('\n');
        message.push_str(body.trim_end());
        message.push('\n');
    }
    if let Some(breaking) = breaking {
        message.push_str(&format!("\nBREAKING CHANGE: {}\n", breaking.trim()));
    }
    message
}

/// Scopes for the staged files: the packages they belong to (the deepest package folder
/// that holds each file), npm scopes left out (`@acme/api` → `api`).
fn suggested_scope(root: &Path, config: &Config) -> anyhow::Result<Option<String>> {
    let output = std::process::Command::new("git")
        .args(["diff", "--cached", "--name-only", "-z"])
        .current_dir(root)
        .output()
        .context("failed to run `git diff --cached`")?;
    let staged = String::from_utf8_lossy(&output.stdout).into_owned();
    let workspace = match crate::workspace::Workspace::load(root, config) {
        Ok(workspace) => workspace,
        Err(_) => return Ok(None),
    };
    if workspace.members.len() < 2 {
        return Ok(None);
    }
    let mut scopes: Vec<String> = Vec::new();
    for file in staged.split('\0').filter(|file| !file.is_empty()) {
        let owner = workspace
            .members
            .iter()
            .filter(|member| {
                member.path != "."
                    && file
                        .strip_prefix(member.path.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|member| member.path.len());
        if let Some(member) = owner {
            let name = member.name.rsplit('/').next().unwrap_or(&member.name);
            if !scopes.iter().any(|scope| scope == name) {
                scopes.push(name.to_owned());
            }
        }
    }
    Ok((!scopes.is_empty()).then(|| scopes.join(",")))
}

/// Asks one question on stderr and reads one line of stdin; `None` at end of input.
fn ask(
    input: &mut impl std::io::BufRead,
    question: &str,
    default: Option<&str>,
) -> anyhow::Result<Option<String>> {
    match default {
        Some(default) if !default.is_empty() => eprint!("{question} [{default}]: "),
        _ => eprint!("{question}: "),
    }
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let answer = line.trim().to_owned();
    Ok(Some(if answer.is_empty() {
        default.unwrap_or("").to_owned()
    } else {
        answer
    }))
}

/// `verso commit`: the message from flags, then prompts for what they left open.
pub(crate) fn write(
    global: &GlobalArgs,
    args: &crate::args::CommitArgs,
) -> anyhow::Result<Outcome> {
    let repository = super::open_repository(global)?;
    let root = repository
        .workdir()
        .ok_or_else(|| anyhow::anyhow!("the repository has no working tree to commit in"))?
        .to_path_buf();
    drop(repository);
    let config = Config::load(global.config.as_deref(), Some(&root))?;
    // Reading the workspace is only needed when the scope is not given.
    let suggestion = match &args.scope {
        Some(_) => None,
        None => suggested_scope(&root, &config)?,
    };
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let end = || anyhow::anyhow!("standard input ended before the message was complete");
    let kind = match &args.kind {
        Some(kind) => kind.clone(),
        None => {
            let types = DEFAULT_TYPES.join(", ");
            ask(&mut input, &format!("Type ({types})"), Some("feat"))?.ok_or_else(end)?
        }
    };
    let scope = match &args.scope {
        Some(scope) => Some(scope.clone()),
        None if args.message.is_some() => suggestion.clone(),
        None => ask(&mut input, "Scope (`-` for none)", suggestion.as_deref())?,
    };
    let description = match &args.message {
        Some(message) => message.clone(),
        None => ask(&mut input, "Description", None)?.ok_or_else(end)?,
    };
    let (body, breaking) = if args.message.is_some() {
        (args.body.clone(), args.breaking.clone())
    } else {
        let body = match &args.body {
            Some(body) => Some(body.clone()),
            None => ask(&mut input, "Body (one line, empty for none)", None)?,
        };
        let breaking = match &args.breaking {
            Some(breaking) => Some(breaking.clone()),
            None => ask(
                &mut input,
                "Breaking change (describe it, empty for none)",
                None,
            )?
            .filter(|answer| !answer.is_empty()),
        };
        (body, breaking)
    };
    let message = assemble(
        &kind,
        scope.as_deref(),
        &description,
        body.as_deref(),
        breaking.as_deref(),
    );
    let problems = problems(&message, &config.rules);
    if !problems.is_empty() || description.trim().is_empty() {
        eprintln!(
            "error: `{}` is not a conventional commit message",
            message.lines().next().unwrap_or("")
        );
        for problem in &problems {
            eprintln!("  - {problem}");
        }
        if description.trim().is_empty() {
            eprintln!("  - the description is empty");
        }
        return Ok(Outcome::Rejected);
    }
    if args.dry_run {
        print!("{message}");
        return Ok(Outcome::Success);
    }
    let mut child = std::process::Command::new("git")
        .args(["commit", "--cleanup=verbatim", "--file=-"])
        .current_dir(&root)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .context("failed to run `git commit`")?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write as _;
        stdin.write_all(message.as_bytes())?;
    }
    let status = child.wait()?;
    Ok(if status.success() {
        Outcome::Success
    } else {
        Outcome::Rejected
    })
}

/// The first line of the hooks verso writes, to recognise them.
const HOOK_MARKER: &str = "# installed by `verso hook install`";

/// `verso hook install`: a `commit-msg` hook that runs `verso lint` on the message.
pub(crate) fn hook(
    global: &GlobalArgs,
    command: &crate::args::HookCommand,
) -> anyhow::Result<Outcome> {
    let crate::args::HookCommand::Install { force } = command;
    let repository = super::open_repository(global)?;
    let hooks = repository.common_dir().join("hooks");
    drop(repository);
    std::fs::create_dir_all(&hooks)
        .with_context(|| format!("failed to create {}", hooks.display()))?;
    let path = hooks.join("commit-msg");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if !existing.contains(HOOK_MARKER) && !force {
            return Err(crate::report::with_hint(
                anyhow::anyhow!("{} exists and was not written by verso", path.display()),
                "pass `--force` to replace it, or call `verso lint \"$1\"` from it yourself",
            ));
        }
    }
    // `verso` from PATH when there is one, else the binary that installed the hook.
    let fallback = std::env::current_exe()
        .ok()
        .map(|path| path.display().to_string().replace('\'', "'\\''"))
        .unwrap_or_else(|| "verso".to_owned());
    let script = format!(
        "#!/bin/sh\n{HOOK_MARKER}\n# Rejects commit messages that are not Conventional Commits.\nif command -v verso >/dev/null 2>&1; then exec verso lint \"$1\"; fi\nexec '{fallback}' lint \"$1\"\n"
    );
    std::fs::write(&path, script).with_context(|| format!("failed to write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    println!("installed {}", path.display());
    Ok(Outcome::Success)
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
