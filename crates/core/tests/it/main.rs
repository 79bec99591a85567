//! Integration tests of verso-core: the node-semver conformance suite and laws.

mod conformance;
mod laws;
