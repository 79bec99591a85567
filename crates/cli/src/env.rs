//! Every environment variable verso reads, in one place. Each one stands for the flag of the
//! same name; a flag given on the command line wins over the variable.

/// Path of the configuration file (default: `verso.toml` at the repository root).
pub(crate) const VERSO_CONFIG: &str = "VERSO_CONFIG";
/// Prerelease channel (`--channel`).
pub(crate) const VERSO_CHANNEL: &str = "VERSO_CHANNEL";
/// Tag template (`--tag-template`).
pub(crate) const VERSO_TAG_TEMPLATE: &str = "VERSO_TAG_TEMPLATE";
/// 0.x mode (`--initial-development`).
pub(crate) const VERSO_INITIAL_DEVELOPMENT: &str = "VERSO_INITIAL_DEVELOPMENT";
