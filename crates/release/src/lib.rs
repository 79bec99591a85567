//! Applying a release: files, one release commit, annotated tags, publishing in dependency
//! order, push — each step recorded in a [`Journal`] so that a release that stopped (a crash,
//! a registry error, Ctrl-C) is finished by running it again, with the same versions.
//!
//! Every step is idempotent against the world, not only against the journal: a step that
//! happened but was not recorded (the process died in between) is recognised — files
//! already at their new content, HEAD already the release commit, a tag already on it, a
//! registry that already has the version with the same content — and not repeated.
//!
//! ```text
//! files ─▶ commit ─▶ tag:<name>… ─▶ publish:<package>:<publisher>… ─▶ push
//! ```

pub mod changelog;
pub mod git;
mod helm;
pub mod journal;
pub mod publish;
pub mod remote;

use std::path::Path;

use anyhow::{anyhow, bail, Context as _};
use serde::Serialize;

pub use git::Git;
pub use journal::{FileEdit, Journal, Lock, PackageRelease, TagPlan};
pub use publish::{Outcome, Publisher};

/// Set to a step name (`files`, `commit`, `tag:<name>`, `publish:<package>:<publisher>`,
/// `push`) to stop the process right after that step's effect and before the journal
/// records it: the worst moment to crash. For tests of resumption.
pub const CRASH_AFTER: &str = "VERSO_TEST_CRASH_AFTER";

/// Exit code of an injected crash.
pub const CRASH_EXIT_CODE: i32 = 86;

/// What the progress display is told.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A step starts; `index` counts from 0 over `total` steps.
    Start {
        step: &'a str,
        index: usize,
        total: usize,
    },
    /// A step was already done by an earlier run.
    AlreadyDone { step: &'a str },
}

/// The outcome of a finished release.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub commit: String,
    pub tags: Vec<String>,
    pub packages: Vec<PackageSummary>,
    pub pushed: bool,
    /// Whether this run finished a release an earlier run started.
    pub resumed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageSummary {
    pub name: String,
    pub version: String,
    pub previous_version: Option<String>,
    pub tag: Option<String>,
    /// `(publisher, outcome)` for each publisher that ran.
    pub published: Vec<(String, Outcome)>,
}

/// Runs (or resumes) the release in `journal`, saving it after every step; removes it at
/// the end. The caller holds the [`Lock`].
pub fn run(
    git: &Git,
    git_dir: &Path,
    mut journal: Journal,
    resumed: bool,
    progress: &mut dyn FnMut(Progress<'_>),
) -> anyhow::Result<Summary> {
    journal.save(git_dir)?;
    let steps = journal.steps();
    let total = steps.len();
    for (index, step) in steps.iter().enumerate() {
        if journal.is_done(step) {
            progress(Progress::AlreadyDone { step });
            continue;
        }
        progress(Progress::Start { step, index, total });
        if is_external(step) && !journal.started.contains(step) {
            // Recorded before it runs: once a registry or remote may have it, `--abort`
            // must not pretend the release never happened.
            journal.started.push(step.clone());
            journal.save(git_dir)?;
        }
        let outcome = perform(git, &mut journal, step)
            .with_context(|| format!("release step `{step}` failed"))
            .map_err(|error| {
                anyhow!(
                    "{error:#}\nthe release is recorded in {}: run `verso release` again to finish it, or `verso release --abort` to undo what is not published",
                    journal::folder(git_dir).join("release.json").display()
                )
            })?;
        if std::env::var(CRASH_AFTER).is_ok_and(|crash| crash == *step) {
            std::process::exit(CRASH_EXIT_CODE);
        }
        if let Some(outcome) = outcome {
            journal.outcomes.push((step.clone(), outcome));
        }
        journal.done.push(step.clone());
        journal.save(git_dir)?;
    }
    let commit = journal
        .commit
        .clone()
        .ok_or_else(|| anyhow!("the release finished without a commit"))?;
    let packages = journal
        .packages
        .iter()
        .map(|package| PackageSummary {
            name: package.name.clone(),
            version: package.version.clone(),
            previous_version: package.previous_version.clone(),
            tag: package.tag.clone(),
            published: package
                .publishers
                .iter()
                .filter_map(|publisher| {
                    let step = journal::publish_step(package, publisher);
                    journal
                        .outcomes
                        .iter()
                        .find(|(done, _)| *done == step)
                        .map(|(_, outcome)| (publisher.label().to_owned(), *outcome))
                })
                .collect(),
        })
        .collect();
    Journal::remove(git_dir)?;
    Ok(Summary {
        commit,
        tags: journal.tags.iter().map(|tag| tag.name.clone()).collect(),
        packages,
        pushed: journal.push,
        resumed,
    })
}

/// Steps whose effect leaves the machine.
fn is_external(step: &str) -> bool {
    step.starts_with("publish:") || step == "push"
}

fn perform(git: &Git, journal: &mut Journal, step: &str) -> anyhow::Result<Option<Outcome>> {
    if step == "files" {
        write_files(git.root(), &journal.files)?;
    } else if step == "commit" {
        let commit = make_commit(git, journal)?;
        journal.commit = Some(commit);
    } else if let Some(name) = step.strip_prefix("tag:") {
        let commit = journal
            .commit
            .clone()
            .ok_or_else(|| anyhow!("no release commit to tag"))?;
        let tag = journal
            .tags
            .iter()
            .find(|tag| tag.name == name)
            .ok_or_else(|| anyhow!("the journal has no tag `{name}`"))?;
        match git.tag_target(name)? {
            Some(target) if target == commit => {}
            Some(target) => bail!(
                "tag `{name}` already exists on commit {target}, not on the release commit {commit}"
            ),
            None => git.tag(name, &tag.message, &commit)?,
        }
    } else if let Some(rest) = step.strip_prefix("publish:") {
        let (package, publisher) = journal
            .packages
            .iter()
            .flat_map(|package| {
                package
                    .publishers
                    .iter()
                    .map(move |publisher| (package, publisher))
            })
            .find(|(package, publisher)| journal::publish_step(package, publisher) == step)
            .ok_or_else(|| anyhow!("the journal has no publish step `{rest}`"))?;
        let directory = git.root().join(&package.path);
        let target = publish::Target {
            name: &package.name,
            directory: &directory,
            version: &package.version,
            previous_version: package.previous_version.as_deref(),
            tag: package.tag.as_deref(),
            channel: package.channel.as_deref(),
        };
        return publish::publish(publisher, &target).map(Some);
    } else if step == "push" {
        let branch = journal.branch.as_deref().ok_or_else(|| {
            anyhow!("HEAD was detached when the release started: there is no branch to push; pass `--no-push` and push yourself")
        })?;
        let remote = git.push_remote(Some(branch))?.ok_or_else(|| {
            anyhow!("the repository has no remote to push to: add one, or pass `--no-push`")
        })?;
        let tags: Vec<&str> = journal.tags.iter().map(|tag| tag.name.as_str()).collect();
        git.push(&remote, branch, &tags)?;
    } else {
        bail!("unknown step `{step}`");
    }
    Ok(None)
}

/// Checks every file first (each must read as before or as after), then writes: a file
/// changed by someone else since the release started stops the step before any write.
fn write_files(root: &Path, files: &[FileEdit]) -> anyhow::Result<()> {
    let mut pending = Vec::new();
    for file in files {
        let path = root.join(&file.path);
        let current = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                return Err(error).with_context(|| format!("failed to read {}", path.display()))
            }
        };
        if current.as_deref() == Some(file.after.as_str()) {
            continue;
        }
        if current != file.before {
            bail!(
                "`{}` changed since the release started; restore it (git checkout -- {}) and run again, or `verso release --abort`",
                file.path,
                file.path
            );
        }
        pending.push((path, file));
    }
    for (path, file) in pending {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &file.after)
            .with_context(|| format!("failed to write {}", path.display()))?;
    }
    Ok(())
}

/// Makes the release commit, or recognises it when HEAD already is it.
fn make_commit(git: &Git, journal: &Journal) -> anyhow::Result<String> {
    let head = git.head()?;
    if head != journal.base {
        let is_ours = is_release_commit(git, journal, &head)?;
        if is_ours {
            return Ok(head);
        }
        bail!(
            "HEAD moved since the release started (from {} to {head}); run `verso release --abort` and start again",
            journal.base
        );
    }
    let paths: Vec<&str> = journal
        .files
        .iter()
        .map(|file| file.path.as_str())
        .collect();
    git.commit(&paths, &journal.message)
}

/// Whether `commit` is the release commit of `journal`: a child of the base with its
/// message.
fn is_release_commit(git: &Git, journal: &Journal, commit: &str) -> anyhow::Result<bool> {
    Ok(commit != journal.base
        && git.parent(commit)?.as_deref() == Some(journal.base.as_str())
        && git.commit_message(commit)?.trim_end() == journal.message.trim_end())
}

/// What `--abort` undid.
#[derive(Debug, Clone, Serialize)]
pub struct Aborted {
    pub deleted_tags: Vec<String>,
    pub reset_to: Option<String>,
    pub restored_files: Vec<String>,
}

/// Undoes the local effects of an unpublished release: its tags, its commit (the branch
/// goes back to where it was, other uncommitted changes kept) or its file edits.
pub fn abort(git: &Git, git_dir: &Path, journal: &Journal) -> anyhow::Result<Aborted> {
    if let Some(step) = journal.started.first() {
        bail!(
            "the release already started `{step}`: published versions cannot be taken back; finish it with `verso release`"
        );
    }
    let head = git.head()?;
    let commit = match &journal.commit {
        Some(commit) => Some(commit.clone()),
        None => is_release_commit(git, journal, &head)?.then(|| head.clone()),
    };
    let mut aborted = Aborted {
        deleted_tags: Vec::new(),
        reset_to: None,
        restored_files: Vec::new(),
    };
    if let Some(commit) = &commit {
        for tag in &journal.tags {
            if git.tag_target(&tag.name)?.as_deref() == Some(commit.as_str()) {
                git.delete_tag(&tag.name)?;
                aborted.deleted_tags.push(tag.name.clone());
            }
        }
        if head != *commit {
            bail!(
                "HEAD ({head}) is no longer the release commit {commit}; move back to it, or reset the branch to {} yourself",
                journal.base
            );
        }
        git.reset_keep(&journal.base)?;
        aborted.reset_to = Some(journal.base.clone());
    } else {
        for file in &journal.files {
            let path = git.root().join(&file.path);
            let current = std::fs::read_to_string(&path).ok();
            if current.as_deref() != Some(file.after.as_str()) {
                continue;
            }
            match &file.before {
                Some(before) => std::fs::write(&path, before)?,
                None => std::fs::remove_file(&path)?,
            }
            aborted.restored_files.push(file.path.clone());
        }
    }
    Journal::remove(git_dir)?;
    Ok(aborted)
}
