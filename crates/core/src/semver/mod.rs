//! SemVer 2.0.0 with node-semver semantics: versions, precedence, increments and npm ranges.
//!
//! node-semver's own fixture cases (npm/node-semver `test/fixtures/`) are the conformance
//! suite: every strict case passes (see `tests/it/conformance.rs`).

mod increment;
mod range;
mod version;

pub use increment::{IncrementError, PreidBase, Release};
pub use range::{Comparator, Operator, Range, RangeError, RangeOptions};
pub use version::{Identifier, ParseError, Version, MAX_LENGTH, MAX_SAFE_INTEGER};
