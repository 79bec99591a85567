//! How errors reach people: `error: …`, then each cause as `caused by: …`, then `hint: …`.

use std::fmt;
use std::process::ExitCode;

/// Exit code of a usage or runtime error.
pub(crate) const RUNTIME_ERROR: u8 = 2;

/// How a command ended when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success,
    /// A clean "no": invalid input to a semver command, a rejected commit message, a release
    /// blocked by a `fail` rule.
    Rejected,
}

impl Outcome {
    pub(crate) fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Rejected => ExitCode::from(1),
        }
    }
}

/// A likely fix for the error below it in the chain, shown as a `hint:` line after the causes.
#[derive(Debug)]
struct Hint {
    text: String,
    source: anyhow::Error,
}

impl fmt::Display for Hint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

impl std::error::Error for Hint {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

/// Adds a hint to an error.
pub(crate) fn with_hint(error: impl Into<anyhow::Error>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Hint {
        text: hint.into(),
        source: error.into(),
    })
}

pub(crate) fn print_error(error: &anyhow::Error) {
    let mut hints = Vec::new();
    let mut lines = Vec::new();
    for cause in error.chain() {
        if let Some(hint) = cause.downcast_ref::<Hint>() {
            hints.push(hint.text.clone());
        } else {
            lines.push(cause.to_string());
        }
    }
    let mut lines = lines.into_iter();
    if let Some(first) = lines.next() {
        eprintln!("error: {first}");
    }
    for cause in lines {
        eprintln!("  caused by: {cause}");
    }
    for hint in hints {
        eprintln!("hint: {hint}");
    }
}
