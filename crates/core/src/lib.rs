//! The pure core of verso: it decides, it does no I/O.
//!
//! - [`semver`]: SemVer 2.0.0 versions, node-semver increments and npm ranges.
//! - [`commit`]: Conventional Commits parsing, including git's merge and revert messages.
//! - [`bump`]: the level of each commit under configurable rules.
//! - [`history`]: the commits since a release, reverts paired up, the highest bump taken.
//! - [`tag_template`]: how release tags are named and recognised.
//! - [`next_version`]: the next version from the current one, the bump, the 0.x mode and the
//!   prerelease channel.
//! - [`plan`]: a monorepo's release plan: dependency propagation, cycles, fixed groups,
//!   rewritten dependency specs and release order.
//!
//! Nothing here reads git, files, the network, environment variables or the clock: callers
//! pass commit lists and tag names in. That keeps every rule testable with plain values.
//!
//! ```
//! use verso_core::bump::BumpRules;
//! use verso_core::history::{History, RangeCommit};
//! use verso_core::next_version::{next_version, NextOptions};
//!
//! let commits = vec![
//!     RangeCommit { id: "b".repeat(40), message: "feat(api): list versions".into() },
//!     RangeCommit { id: "a".repeat(40), message: "fix: typo".into() },
//! ];
//! let history = History::classify(commits, &BumpRules::default());
//! let current = "1.2.0".parse().unwrap();
//! let next = next_version(Some(&current), history.bump, &NextOptions::default(), &[]).unwrap();
//! assert_eq!(next.version.unwrap().to_string(), "1.3.0");
//! ```

pub mod bump;
pub mod commit;
pub mod history;
pub mod next_version;
pub mod plan;
pub mod semver;
pub mod tag_template;
