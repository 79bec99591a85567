//! Test helpers for verso (dev-only): [`TestRepo`] builds a real git repository in a temporary
//! directory with the `git` command, with a fixed author, committer and clock so that commit
//! ids are the same on every run.
//!
//! ```no_run
//! use verso_testkit::TestRepo;
//! let repo = TestRepo::new().commit("feat: first").tag("v1.2.0").commit("fix: second");
//! assert!(repo.path().join(".git").is_dir());
//! ```

pub mod proxy;

/// The value of a test service's environment variable (`REGISTRY_ADDR`, …), which
/// `scripts/test.sh` sets. `None` skips the test, unless `VERSO_REQUIRE_SERVICES` is set: then a
/// missing service fails it.
pub fn service(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => {
            assert!(
                std::env::var_os("VERSO_REQUIRE_SERVICES").is_none(),
                "{variable} is not set: start the test services with scripts/test.sh"
            );
            eprintln!("skipped: {variable} is not set (scripts/test.sh starts the services)");
            None
        }
    }
}

/// A name no other test (or earlier run) has used in long-lived registries.
pub fn unique(prefix: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("{prefix}{}x{nanos:x}x{count}", std::process::id())
}

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A git repository in a temporary directory, deleted on drop.
pub struct TestRepo {
    directory: tempfile::TempDir,
    /// Seconds added to the fixed clock for the next commit, so commit dates increase.
    clock: Cell<u64>,
}

/// 2026-01-01T00:00:00Z.
const EPOCH: u64 = 1_767_225_600;

impl Default for TestRepo {
    fn default() -> Self {
        Self::new()
    }
}

impl TestRepo {
    /// An empty repository on branch `main`.
    pub fn new() -> Self {
        let directory = tempfile::tempdir().expect("temporary directory can be created");
        let repo = TestRepo {
            directory,
            clock: Cell::new(0),
        };
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        repo
    }

    /// The working tree.
    pub fn path(&self) -> &Path {
        self.directory.path()
    }

    /// Commits every change in the working tree plus a new file `changes/<n>.txt` (a file of
    /// its own, so merges and reverts never conflict), with `message`.
    pub fn commit(self, message: &str) -> Self {
        let count = self.clock.get();
        self.write(
            &format!("changes/{count}.txt"),
            &format!("change {count}\n"),
        );
        self.commit_all(message)
    }

    /// Writes `contents` to `relative` and commits it with `message`.
    pub fn commit_file(self, relative: &str, contents: &str, message: &str) -> Self {
        self.write(relative, contents);
        self.commit_all(message)
    }

    /// Commits whatever is staged or changed, allowing an empty commit.
    pub fn commit_all(self, message: &str) -> Self {
        self.git(&["add", "--all"]);
        self.git(&[
            "commit",
            "--quiet",
            "--allow-empty",
            "--no-verify",
            "-m",
            message,
        ]);
        self
    }

    /// A lightweight tag on HEAD.
    pub fn tag(self, name: &str) -> Self {
        self.git(&["tag", name]);
        self
    }

    /// An annotated tag on HEAD.
    pub fn annotated_tag(self, name: &str) -> Self {
        self.git(&["tag", "-a", name, "-m", &format!("release {name}")]);
        self
    }

    /// Creates and checks out a branch.
    pub fn branch(self, name: &str) -> Self {
        self.git(&["checkout", "--quiet", "-b", name]);
        self
    }

    /// Checks out an existing branch.
    pub fn checkout(self, name: &str) -> Self {
        self.git(&["checkout", "--quiet", name]);
        self
    }

    /// Merges `branch` into the current branch with a merge commit.
    pub fn merge(self, branch: &str) -> Self {
        self.git(&["merge", "--quiet", "--no-ff", "--no-edit", branch]);
        self
    }

    /// Reverts `rev` with git's own message (`Revert "…"` / `This reverts commit …`).
    pub fn revert(self, rev: &str) -> Self {
        self.git(&["revert", "--no-edit", rev]);
        self
    }

    /// Moves the fixed clock to `minutes` after its start: commits made next get that date, so
    /// a test can make dates go backwards (clock skew).
    pub fn at_minute(self, minutes: u64) -> Self {
        self.clock.set(minutes);
        self
    }

    /// The full id of `rev`.
    pub fn rev_parse(&self, rev: &str) -> String {
        let output = self.git(&["rev-parse", rev]);
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Writes a file relative to the working tree, creating parent directories.
    pub fn write(&self, relative: &str, contents: &str) -> PathBuf {
        let path = self.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent directories can be created");
        }
        std::fs::write(&path, contents).expect("file can be written");
        path
    }

    /// Runs git in the repository with a fixed identity and clock; panics when it fails.
    pub fn git(&self, args: &[&str]) -> Output {
        let tick = self.clock.get();
        self.clock.set(tick + 1);
        let date = format!("@{} +0000", EPOCH + tick * 60);
        let output = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_AUTHOR_NAME", "Verso Test")
            .env("GIT_AUTHOR_EMAIL", "test@verso.invalid")
            .env("GIT_COMMITTER_NAME", "Verso Test")
            .env("GIT_COMMITTER_EMAIL", "test@verso.invalid")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .expect("git can be run");
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}
