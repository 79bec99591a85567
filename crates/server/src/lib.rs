//! The delivery center behind `verso serve`: projects, services, registries, environments,
//! Versions (images copied by digest, charts packaged and pushed, all by durable jobs leased
//! from the database), a ChartMuseum-compatible chart repository, and signed hooks.
//!
//! It does not deploy yet: environments are reported by CI
//! (`PUT /api/v1/projects/{p}/environments/{e}/services/{s}`).
//!
//! ```no_run
//! # async fn start() -> anyhow::Result<()> {
//! let settings = verso_server::Settings::new("/var/lib/verso".into());
//! verso_server::run(settings).await
//! # }
//! ```

pub mod api;
mod audit;
mod auth;
mod chartrepo;
mod crypto;
mod db;
mod delivery;
mod error;
mod hooks;
mod jobs;
mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::Notify;

pub use auth::Role;
pub use routes::openapi_json;

/// Environment variables `verso serve` reads (flags win over them).
pub mod env {
    /// `postgres://…` to use PostgreSQL; absent = SQLite in the data directory.
    pub const DATABASE_URL: &str = "DATABASE_URL";
    /// The admin token to accept (at least 16 characters); absent = one is generated at the
    /// first start and printed once.
    pub const ADMIN_TOKEN: &str = "VERSO_ADMIN_TOKEN";
    /// Base64 of 32 bytes that seal stored secrets; absent = `secret.key` in the data
    /// directory (SQLite only: replicas on PostgreSQL must share the key).
    pub const SECRET_KEY: &str = "VERSO_SECRET_KEY";
    /// The URL clients reach this server at (chart URLs in indexes and hooks).
    pub const PUBLIC_URL: &str = "VERSO_PUBLIC_URL";
    /// Seconds a job stays leased to a server without a heartbeat (default 60).
    pub const JOB_LEASE_SECS: &str = "VERSO_JOB_LEASE_SECS";
    /// First hook retry delay in milliseconds, doubled at every attempt (default 5000).
    pub const HOOK_BACKOFF_MS: &str = "VERSO_HOOK_BACKOFF_MS";
    /// Attempts per hook delivery (default 8).
    pub const HOOK_MAX_ATTEMPTS: &str = "VERSO_HOOK_MAX_ATTEMPTS";
    /// Test hook: the process aborts after this many version items are recorded, to prove a
    /// restarted server finishes the version.
    pub const CRASH_AFTER_ITEMS: &str = "VERSO_SERVE_CRASH_AFTER_ITEMS";
}

/// Everything `verso serve` is told.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub public_url: Option<String>,
    pub private_charts: bool,
    pub admin_token: Option<String>,
    pub secret_key: Option<String>,
    pub job_lease: Duration,
    pub workers: usize,
    pub hook_backoff: Duration,
    pub hook_max_attempts: u32,
    pub crash_after_items: Option<u32>,
}

impl Settings {
    /// Defaults: 127.0.0.1:8080, SQLite in `data_dir`.
    pub fn new(data_dir: PathBuf) -> Settings {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir,
            database_url: None,
            public_url: None,
            private_charts: false,
            admin_token: None,
            secret_key: None,
            job_lease: Duration::from_secs(60),
            workers: 4,
            hook_backoff: Duration::from_secs(5),
            hook_max_attempts: 8,
            crash_after_items: None,
        }
    }
}

/// What every request handler and job sees.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) db: db::Db,
    pub(crate) key: crypto::SecretKey,
    pub(crate) settings: Arc<Settings>,
    /// The URL this server is reached at, without a trailing slash.
    pub(crate) public_url: Arc<str>,
    /// Wakes the local workers when a job is queued.
    pub(crate) wake: Arc<Notify>,
    /// Identifies this process in job leases.
    pub(crate) worker_id: Arc<str>,
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            settings.data_dir.display()
        )
    })?;
    let db = db::Db::open(settings.database_url.as_deref(), &settings.data_dir).await?;
    let key = match (&settings.secret_key, db.backend) {
        (Some(text), _) => crypto::SecretKey::parse(text)
            .with_context(|| format!("{} is not usable", env::SECRET_KEY))?,
        (None, db::Backend::Sqlite) => {
            crypto::SecretKey::load_or_create(&settings.data_dir.join("secret.key"))?
        }
        (None, db::Backend::Postgres) => anyhow::bail!(
            "{} is required with PostgreSQL: every replica must seal and open registry credentials with the same key\nhint: generate one with `openssl rand -base64 32`",
            env::SECRET_KEY
        ),
    };
    if let Some(token) = auth::bootstrap_admin(&db, settings.admin_token.as_deref()).await? {
        eprintln!("admin token (shown once, store it now): {token}");
    }
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let local = listener.local_addr()?;
    let public_url = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"))
        .trim_end_matches('/')
        .to_owned();
    let state = AppState {
        db,
        key,
        settings: Arc::new(settings),
        public_url: public_url.into(),
        wake: Arc::new(Notify::new()),
        worker_id: db::new_id("worker").into(),
    };
    jobs::start_workers(state.clone());
    eprintln!("verso serve listening on http://{local}");
    axum::serve(listener, routes::router(state))
        .with_graceful_shutdown(shutdown())
        .await
        .context("the HTTP server stopped")
}

async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
