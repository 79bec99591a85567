//! The database: SQLite (embedded, the default) or PostgreSQL (`DATABASE_URL=postgres://…`),
//! through one `sqlx::AnyPool`. Every query is written once, with `$1` placeholders, and runs on
//! both; the few differences (blob type, row locks for job leases) are decided here.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

/// The schema, in order. A migration is never edited once released; add a new one.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../migrations/0001_initial.sql"))];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// The pool and which database is behind it.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
}

impl Db {
    /// Connects to `url`, or to `verso.db` in `data_dir` when there is none, and migrates.
    pub(crate) async fn open(url: Option<&str>, data_dir: &Path) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let (url, backend) = match url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                (url.to_owned(), Backend::Postgres)
            }
            Some(url) if url.starts_with("sqlite:") => (url.to_owned(), Backend::Sqlite),
            Some(url) => anyhow::bail!(
                "DATABASE_URL must start with postgres:// or sqlite: (got `{}`)",
                url.split("://").next().unwrap_or(url)
            ),
            None => (
                format!("sqlite://{}?mode=rwc", data_dir.join("verso.db").display()),
                Backend::Sqlite,
            ),
        };
        // SQLite allows one writer; a single connection turns lock waits into a queue and
        // never answers "database is locked".
        let connections = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 10,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect(&url)
            .await
            .with_context(|| format!("cannot open the database at {}", redact(&url)))?;
        let db = Db { pool, backend };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.acquire().await?;
        if self.backend == Backend::Postgres {
            // Replicas starting together: one migrates, the others wait.
            sqlx::query("SELECT pg_advisory_lock(72657273)")
                .execute(&mut *conn)
                .await?;
        } else {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&mut *conn)
                .await?;
        }
        let result = async {
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS verso_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            )
            .execute(&mut *conn)
            .await?;
            let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM verso_migrations")
                .fetch_all(&mut *conn)
                .await?;
            for (version, sql) in MIGRATIONS {
                if applied.contains(version) {
                    continue;
                }
                let blob = match self.backend {
                    Backend::Sqlite => "BLOB",
                    Backend::Postgres => "BYTEA",
                };
                let sql = sql.replace("{blob}", blob);
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                sqlx::raw_sql(&sql)
                    .execute(&mut *tx)
                    .await
                    .with_context(|| format!("migration {version} failed"))?;
                sqlx::query("INSERT INTO verso_migrations (version, applied_at) VALUES ($1, $2)")
                    .bind(*version)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            anyhow::Ok(())
        }
        .await;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_unlock(72657273)")
                .execute(&mut *conn)
                .await?;
        }
        result
    }

    /// `FOR UPDATE SKIP LOCKED` where rows can be locked; SQLite has one writer anyway.
    pub(crate) fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    pub(crate) async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://…{}", &url[at..]),
        _ => url.to_owned(),
    }
}

/// Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// A new id: a prefix, the time (so ids sort by creation) and 64 random bits.
pub(crate) fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}_{:011x}{:016x}",
        now_ms(),
        crate::crypto::random_u64()
    )
}

/// Reads a JSON text column.
pub(crate) fn json_column<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    column: &str,
) -> Result<T, sqlx::Error> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|error| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: Box::new(error),
    })
}
