//! The release journal (`.git/verso/release.json`): the whole release as computed at the
//! start — files before and after, commit message, tags, publishers — and every step
//! finished. A resumed release reads its versions from here and never recomputes them.
//!
//! The lock (`.git/verso/release.lock`) is an advisory file lock held for the whole run:
//! a second `verso release` in the same repository fails at once, and a crashed process
//! leaves no stale lock (the operating system drops it).

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context as _};
use serde::{Deserialize, Serialize};

use crate::publish::{Outcome, Publisher};

/// Bumped when the journal's shape changes.
pub const FORMAT: u32 = 1;

/// A file the release writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEdit {
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    /// `None` for a file the release creates (a first `CHANGELOG.md`).
    pub before: Option<String>,
    pub after: String,
}

/// An annotated tag the release creates on its commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagPlan {
    pub name: String,
    pub message: String,
}

/// One released package, in publishing (dependency) order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRelease {
    pub name: String,
    /// Relative to the repository root, `.` for the root.
    pub path: String,
    pub kind: String,
    pub version: String,
    pub previous_version: Option<String>,
    pub tag: Option<String>,
    pub channel: Option<String>,
    pub publishers: Vec<Publisher>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub format: u32,
    /// HEAD when the release started.
    pub base: String,
    pub branch: Option<String>,
    pub message: String,
    pub files: Vec<FileEdit>,
    pub tags: Vec<TagPlan>,
    pub packages: Vec<PackageRelease>,
    pub publish: bool,
    pub push: bool,
    /// The release commit, once made.
    pub commit: Option<String>,
    /// Finished steps, by name.
    pub done: Vec<String>,
    /// Publish and push steps that began (whether or not they finished).
    #[serde(default)]
    pub started: Vec<String>,
    /// What each finished publish step did.
    #[serde(default)]
    pub outcomes: Vec<(String, Outcome)>,
}

/// Where the journal and the lock live.
pub fn folder(git_dir: &Path) -> PathBuf {
    git_dir.join("verso")
}

fn journal_path(git_dir: &Path) -> PathBuf {
    folder(git_dir).join("release.json")
}

impl Journal {
    /// The journal of an unfinished release, if any.
    pub fn load(git_dir: &Path) -> anyhow::Result<Option<Journal>> {
        let path = journal_path(git_dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(error).with_context(|| format!("failed to read {}", path.display()))
            }
        };
        let journal: Journal = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a release journal this verso can read; finish the release with the verso that started it, or remove the file after checking tags and registries",
                path.display()
            )
        })?;
        if journal.format != FORMAT {
            return Err(anyhow!(
                "{} was written in journal format {} (this verso reads {FORMAT})",
                path.display(),
                journal.format
            ));
        }
        Ok(Some(journal))
    }

    /// Writes the journal atomically (a temporary file renamed over the old one).
    pub fn save(&self, git_dir: &Path) -> anyhow::Result<()> {
        let path = journal_path(git_dir);
        let temporary = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self)?;
        let mut file = File::create(&temporary)
            .with_context(|| format!("failed to write {}", temporary.display()))?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, &path)
            .with_context(|| format!("failed to write {}", path.display()))?;
        Ok(())
    }

    pub fn remove(git_dir: &Path) -> anyhow::Result<()> {
        match std::fs::remove_file(journal_path(git_dir)) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error.into()),
            _ => Ok(()),
        }
    }

    pub fn is_done(&self, step: &str) -> bool {
        self.done.iter().any(|done| done == step)
    }

    /// Every step of this release, in order.
    pub fn steps(&self) -> Vec<String> {
        let mut steps = vec!["files".to_owned(), "commit".to_owned()];
        steps.extend(self.tags.iter().map(|tag| format!("tag:{}", tag.name)));
        if self.publish {
            for package in &self.packages {
                for publisher in &package.publishers {
                    steps.push(publish_step(package, publisher));
                }
            }
        }
        if self.push {
            steps.push("push".to_owned());
        }
        steps
    }
}

pub fn publish_step(package: &PackageRelease, publisher: &Publisher) -> String {
    format!("publish:{}:{}", package.name, publisher.label())
}

/// The release lock, held while the value lives.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    pub fn acquire(git_dir: &Path) -> anyhow::Result<Lock> {
        let folder = folder(git_dir);
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("failed to create {}", folder.display()))?;
        let path = folder.join("release.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("failed to open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Lock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(anyhow!(
                "another `verso release` is running in this repository (it holds {}); wait for it to finish",
                path.display()
            )),
            Err(std::fs::TryLockError::Error(error)) => {
                Err(error).with_context(|| format!("failed to lock {}", path.display()))
            }
        }
    }
}
