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

/// Reproducible builds' clock: Unix seconds used in place of the current time for dates
/// verso writes (changelog dates, chart index `created`).
pub(crate) const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// `SOURCE_DATE_EPOCH` when set, else the current time, in Unix seconds.
pub(crate) fn now() -> anyhow::Result<i64> {
    match std::env::var(SOURCE_DATE_EPOCH) {
        Ok(epoch) => epoch.trim().parse::<i64>().map_err(|_| {
            anyhow::anyhow!("invalid {SOURCE_DATE_EPOCH} `{epoch}`: expected Unix seconds")
        }),
        Err(_) => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0))),
    }
}
