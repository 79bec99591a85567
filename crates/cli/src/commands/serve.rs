//! `verso serve`: flags and environment → `verso_server::Settings` → the server.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use verso_server::env;

use crate::args::ServeArgs;
use crate::report::Outcome;

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<Outcome> {
    if args.openapi {
        println!("{}", verso_server::openapi_json());
        return Ok(Outcome::Success);
    }
    let data_dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => default_data_dir()?,
    };
    let mut settings = verso_server::Settings::new(data_dir);
    settings.listen = args.listen;
    settings.public_url = args.public_url.clone();
    settings.private_charts = args.private_charts;
    settings.workers = args.workers;
    settings.database_url = read(env::DATABASE_URL);
    settings.admin_token = read(env::ADMIN_TOKEN);
    settings.secret_key = read(env::SECRET_KEY);
    if let Some(seconds) = number(env::JOB_LEASE_SECS)? {
        settings.job_lease = Duration::from_secs(seconds.max(1));
    }
    if let Some(millis) = number(env::HOOK_BACKOFF_MS)? {
        settings.hook_backoff = Duration::from_millis(millis);
    }
    if let Some(attempts) = number(env::HOOK_MAX_ATTEMPTS)? {
        settings.hook_max_attempts = u32::try_from(attempts.clamp(1, 100)).unwrap_or(8);
    }
    settings.crash_after_items =
        number(env::CRASH_AFTER_ITEMS)?.and_then(|n| u32::try_from(n).ok());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_max_level(tracing::Level::INFO)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(verso_server::run(settings))?;
    Ok(Outcome::Success)
}

fn read(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn number(name: &str) -> anyhow::Result<Option<u64>> {
    read(name)
        .map(|text| {
            text.trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("{name} must be a whole number, got `{text}`"))
        })
        .transpose()
}

/// `$XDG_DATA_HOME/verso`, else `~/.local/share/verso`.
fn default_data_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = read("XDG_DATA_HOME") {
        return Ok(PathBuf::from(dir).join("verso"));
    }
    let home = read("HOME").context("cannot find a data directory: pass --data-dir")?;
    Ok(PathBuf::from(home).join(".local/share/verso"))
}
