use std::path::PathBuf;

/// What went wrong while reading, packaging or moving an artifact.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input (a reference, a chart, an index, an option) is not valid; the message says
    /// where and why.
    #[error("{0}")]
    Invalid(String),
    /// A chart archive that must not be unpacked.
    #[error("{archive}: {message}")]
    Archive { archive: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The registry or repository does not have what was asked for.
    #[error("{0} not found")]
    NotFound(String),
    /// Credentials are missing or were refused.
    #[error("{0}")]
    Auth(String),
    /// The target already holds different content under the same name.
    #[error("{0}")]
    Conflict(String),
    /// Bytes that do not hash to the digest they were fetched or pushed by.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    /// An unexpected HTTP answer.
    #[error("{method} {url}: HTTP {status}{detail}")]
    Status {
        method: String,
        url: String,
        status: u16,
        /// The start of the response body (registry error codes), prefixed with `: `.
        detail: String,
    },
    /// The request did not get an answer (connection refused, reset, timed out, TLS).
    #[error("{method} {url}: {message}")]
    Transport {
        method: String,
        url: String,
        message: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A failure worth another attempt: the server was overloaded or failing, or the
    /// connection broke.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Status { status, .. } => is_transient_status(*status),
            Error::Transport { .. } => true,
            _ => false,
        }
    }
}

pub(crate) fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}
