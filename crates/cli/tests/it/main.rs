//! End-to-end tests of the `verso` binary on real git repositories built in temp dirs.

mod artifact;
mod commit;
mod next;
mod plan;
mod publish;
mod release;
mod semver;
mod serve;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// What a run of `verso` printed.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// stdout without the final newline.
    pub(crate) fn answer(&self) -> &str {
        self.stdout.trim_end_matches('\n')
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| {
            panic!(
                "stdout is JSON ({error}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `verso` in `directory` with `args`, feeding `stdin`.
pub(crate) fn verso_with_input(directory: &Path, args: &[&str], stdin: &str) -> Run {
    verso_with(directory, args, stdin, &[])
}

/// Runs `verso` with extra environment variables.
pub(crate) fn verso_with(
    directory: &Path,
    args: &[&str],
    stdin: &str,
    environment: &[(&str, &str)],
) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_verso"))
        .args(args)
        .envs(environment.iter().copied())
        .current_dir(directory)
        .env_remove("VERSO_CONFIG")
        .env_remove("VERSO_CHANNEL")
        .env_remove("VERSO_TAG_TEMPLATE")
        .env_remove("VERSO_INITIAL_DEVELOPMENT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("verso starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin is writable");
    let output = child.wait_with_output().expect("verso finishes");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A committer identity for the commits and tags verso makes in tests.
pub(crate) const IDENTITY: [(&str, &str); 4] = [
    ("GIT_AUTHOR_NAME", "Release Bot"),
    ("GIT_AUTHOR_EMAIL", "release@verso.invalid"),
    ("GIT_COMMITTER_NAME", "Release Bot"),
    ("GIT_COMMITTER_EMAIL", "release@verso.invalid"),
];

/// The step names of `verso release --dry-run --json`, after checking it succeeded.
pub(crate) fn release_steps(run: &Run) -> Vec<String> {
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|step| step.as_str().map(str::to_owned))
        .collect()
}

pub(crate) fn verso(directory: &Path, args: &[&str]) -> Run {
    verso_with_input(directory, args, "")
}
