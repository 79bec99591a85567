//! The git adapter of verso: reads tags and the commits of a range, optionally limited to
//! paths, with gix and without spawning `git`.
//!
//! It deliberately knows nothing about versions or Conventional Commits: it hands raw tag
//! names and commit messages to the pure core.
//!
//! The commit walk reads every commit object exactly once and compares tree ids (diffing
//! only inside changed directories whose filters have globs) to learn which paths a commit
//! touched, so it keeps pace with `git log`.
//!
//! ```no_run
//! let repository = verso_git::Repository::discover(".")?;
//! let head = repository.head()?;
//! let walk = repository.walk(&verso_git::WalkRequest {
//!     head,
//!     hidden: vec![],
//!     full_history: false,
//!     paths: vec![verso_git::PathFilter::new("crates/core")],
//! })?;
//! println!("{} commits", walk.commits.len());
//! # Ok::<(), verso_git::Error>(())
//! ```

mod paths;
mod repository;
mod walk;

pub use gix::ObjectId;
pub use paths::{Glob, PathFilter};
pub use repository::{Error, Repository, Tag};
pub use walk::{Walk, WalkRequest, WalkedCommit};
