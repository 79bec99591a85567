//! The release's writes to the repository, through the `git` command: the user's identity,
//! signing settings (`commit.gpgSign`, `tag.gpgSign`) and credentials for `push` apply as
//! they do for any commit, tag or push the user makes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, bail, Context as _};

/// A repository's work tree, for `git -C`.
#[derive(Debug, Clone)]
pub struct Git {
    root: PathBuf,
}

impl Git {
    pub fn new(root: &Path) -> Git {
        Git {
            root: root.to_path_buf(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn command(&self, arguments: &[&str]) -> Command {
        let mut command = Command::new("git");
        command.arg("-C").arg(&self.root).args(arguments);
        command
    }

    /// Runs git, feeding `input` on standard input; returns standard output, trimmed.
    fn run_with(&self, arguments: &[&str], input: Option<&str>) -> anyhow::Result<String> {
        let mut command = self.command(arguments);
        command
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .context("failed to run `git`: is it installed and on PATH?")?;
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin.write_all(input.as_bytes())?;
        }
        let output = child.wait_with_output()?;
        if !output.status.success() {
            bail!(
                "`git {}` failed: {}",
                arguments.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    fn run(&self, arguments: &[&str]) -> anyhow::Result<String> {
        self.run_with(arguments, None)
    }

    /// Whether git answers `arguments` with success (for queries whose failure means "no").
    fn succeeds(&self, arguments: &[&str]) -> anyhow::Result<Option<String>> {
        let output = self
            .command(arguments)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .context("failed to run `git`: is it installed and on PATH?")?;
        Ok(output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned()))
    }

    pub fn head(&self) -> anyhow::Result<String> {
        self.run(&["rev-parse", "--verify", "HEAD"])
    }

    /// The current branch, `None` when HEAD is detached.
    pub fn branch(&self) -> anyhow::Result<Option<String>> {
        self.succeeds(&["symbolic-ref", "--quiet", "--short", "HEAD"])
    }

    /// Tracked files with staged or unstaged changes.
    pub fn changed_files(&self) -> anyhow::Result<Vec<String>> {
        let status = self.run(&["status", "--porcelain", "--untracked-files=no"])?;
        Ok(status
            .lines()
            .map(|line| line.get(3..).unwrap_or(line).to_owned())
            .collect())
    }

    pub fn commit_message(&self, id: &str) -> anyhow::Result<String> {
        let raw = self.run(&["cat-file", "commit", id])?;
        Ok(raw
            .split_once("\n\n")
            .map_or(String::new(), |(_, message)| message.to_owned()))
    }

    pub fn parent(&self, id: &str) -> anyhow::Result<Option<String>> {
        self.succeeds(&["rev-parse", "--verify", "--quiet", &format!("{id}^1")])
    }

    /// Stages `paths` and commits them with `message`, verbatim, without hooks: the release
    /// commit is exactly what the release computed.
    pub fn commit(&self, paths: &[&str], message: &str) -> anyhow::Result<String> {
        let mut add = vec!["add", "--"];
        add.extend(paths);
        self.run(&add)?;
        self.run_with(
            &[
                "commit",
                "--quiet",
                "--no-verify",
                "--cleanup=verbatim",
                "--file=-",
            ],
            Some(message),
        )?;
        self.head()
    }

    /// The commit a tag points to, `None` when there is no such tag.
    pub fn tag_target(&self, name: &str) -> anyhow::Result<Option<String>> {
        self.succeeds(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/tags/{name}^{{commit}}"),
        ])
    }

    /// An annotated tag; the message is kept verbatim (a changelog's `## ` lines are not
    /// comments).
    pub fn tag(&self, name: &str, message: &str, commit: &str) -> anyhow::Result<()> {
        self.run_with(
            &[
                "tag",
                "--annotate",
                "--cleanup=verbatim",
                "--file=-",
                name,
                commit,
            ],
            Some(message),
        )?;
        Ok(())
    }

    pub fn delete_tag(&self, name: &str) -> anyhow::Result<()> {
        self.run(&["tag", "--delete", name]).map(drop)
    }

    /// Moves the branch back to `commit`, keeping uncommitted changes of other files.
    pub fn reset_keep(&self, commit: &str) -> anyhow::Result<()> {
        self.run(&["reset", "--quiet", "--keep", commit]).map(drop)
    }

    /// The remote a push goes to: the branch's upstream remote, else `origin`, else the
    /// only remote; `None` when the repository has none.
    pub fn push_remote(&self, branch: Option<&str>) -> anyhow::Result<Option<String>> {
        if let Some(branch) = branch {
            if let Some(remote) = self.succeeds(&["config", &format!("branch.{branch}.remote")])? {
                return Ok(Some(remote));
            }
        }
        let remotes = self.run(&["remote"])?;
        let remotes: Vec<&str> = remotes.lines().collect();
        Ok(if remotes.contains(&"origin") {
            Some("origin".to_owned())
        } else if let [only] = remotes.as_slice() {
            Some((*only).to_owned())
        } else {
            None
        })
    }

    pub fn remote_url(&self, remote: &str) -> anyhow::Result<Option<String>> {
        self.succeeds(&["remote", "get-url", remote])
    }

    /// Pushes the branch and the tags in one atomic push.
    pub fn push(&self, remote: &str, branch: &str, tags: &[&str]) -> anyhow::Result<()> {
        let head = format!("HEAD:refs/heads/{branch}");
        let tag_refs: Vec<String> = tags
            .iter()
            .map(|tag| format!("refs/tags/{tag}:refs/tags/{tag}"))
            .collect();
        let mut arguments = vec!["push", "--quiet", "--atomic", remote, head.as_str()];
        arguments.extend(tag_refs.iter().map(String::as_str));
        self.run(&arguments)
            .map_err(|error| anyhow!("{error}\nnothing was pushed; fix the cause and run `verso release` again to push"))
            .map(drop)
    }
}
