//! Durable jobs: rows in `jobs`, leased by any server process (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL), kept alive by a heartbeat while they run, and taken over by another worker
//! when a lease expires (its server died). No business logic: handlers live in `delivery` and
//! `hooks` and must be idempotent, since a job can run again after a crash.

use std::time::Duration;

use sqlx::Row;

use crate::db::{self, Db};
use crate::AppState;

/// A job handler's verdict.
pub(crate) enum Outcome {
    Done,
    /// Run again at this time (Unix ms), remembering why.
    RetryAt(i64, String),
    /// Give up.
    Failed(String),
}

/// Attempts at a job whose handler itself errs (a database outage, say) before it fails.
const MAX_ATTEMPTS: i64 = 10;

pub(crate) async fn enqueue<'e, E>(
    executor: E,
    kind: &str,
    subject: &str,
    run_at: i64,
) -> sqlx::Result<String>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let id = db::new_id("job");
    let now = db::now_ms();
    sqlx::query(
        "INSERT INTO jobs (id, kind, subject, status, attempts, run_at, last_error, created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, '', $5, $5)",
    )
    .bind(&id)
    .bind(kind)
    .bind(subject)
    .bind(run_at)
    .bind(now)
    .execute(executor)
    .await?;
    Ok(id)
}

/// Puts a finished or failed job back in the queue (a retry asked by a user).
pub(crate) async fn requeue<'e, E>(executor: E, id: &str) -> sqlx::Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let now = db::now_ms();
    sqlx::query(
        "UPDATE jobs SET status = 'queued', run_at = $2, attempts = 0, lease_owner = NULL, lease_until = NULL, updated_at = $2 WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(executor)
    .await?;
    Ok(())
}

struct Leased {
    id: String,
    kind: String,
    subject: String,
    attempts: i64,
}

async fn lease(state: &AppState) -> sqlx::Result<Option<Leased>> {
    let now = db::now_ms();
    let until = now + state.settings.job_lease.as_millis() as i64;
    let sql = format!(
        "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $2, attempts = attempts + 1, updated_at = $3 \
         WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $3) OR (status = 'running' AND lease_until < $3) \
         ORDER BY run_at LIMIT 1{}) RETURNING id, kind, subject, attempts",
        state.db.skip_locked()
    );
    let row = sqlx::query(&sql)
        .bind(state.worker_id.as_ref())
        .bind(until)
        .bind(now)
        .fetch_optional(&state.db.pool)
        .await?;
    row.map(|row| {
        Ok(Leased {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            subject: row.try_get("subject")?,
            attempts: row.try_get("attempts")?,
        })
    })
    .transpose()
}

async fn renew(state: &AppState, id: &str) -> sqlx::Result<()> {
    let until = db::now_ms() + state.settings.job_lease.as_millis() as i64;
    sqlx::query("UPDATE jobs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND status = 'running'")
        .bind(id)
        .bind(state.worker_id.as_ref())
        .bind(until)
        .execute(&state.db.pool)
        .await?;
    Ok(())
}

async fn settle(db: &Db, worker: &str, id: &str, outcome: &Outcome) -> sqlx::Result<()> {
    let now = db::now_ms();
    let (status, run_at, error) = match outcome {
        Outcome::Done => ("done", now, ""),
        Outcome::RetryAt(at, error) => ("queued", *at, error.as_str()),
        Outcome::Failed(error) => ("failed", now, error.as_str()),
    };
    sqlx::query(
        "UPDATE jobs SET status = $3, run_at = $4, last_error = $5, lease_owner = NULL, lease_until = NULL, updated_at = $6 WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(worker)
    .bind(status)
    .bind(run_at)
    .bind(error)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Starts the workers of this process.
pub(crate) fn start_workers(state: AppState) {
    for _ in 0..state.settings.workers.max(1) {
        let state = state.clone();
        tokio::spawn(async move {
            loop {
                match lease(&state).await {
                    Ok(Some(job)) => run(&state, job).await,
                    Ok(None) => {
                        tokio::select! {
                            _ = state.wake.notified() => {}
                            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                        }
                    }
                    Err(error) => {
                        tracing::warn!("cannot lease jobs: {error}");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
        });
    }
}

async fn run(state: &AppState, job: Leased) {
    tracing::info!(job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts, "running job `{}` ({})", job.id, job.kind);
    let work = async {
        match job.kind.as_str() {
            "version.create" => crate::delivery::run_version(state, &job.subject).await,
            "hook.deliver" => crate::hooks::deliver(state, &job.subject).await,
            other => Ok(Outcome::Failed(format!("unknown job kind `{other}`"))),
        }
    };
    let heartbeat = async {
        let period = (state.settings.job_lease / 3).max(Duration::from_millis(200));
        loop {
            tokio::time::sleep(period).await;
            if let Err(error) = renew(state, &job.id).await {
                tracing::warn!(job.id = %job.id, "cannot renew the lease: {error}");
            }
        }
    };
    let result = tokio::select! {
        result = work => result,
        () = heartbeat => unreachable_heartbeat(),
    };
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(error) if job.attempts < MAX_ATTEMPTS => {
            let delay = 1000i64 << job.attempts.min(8);
            tracing::warn!(job.id = %job.id, "job `{}` failed, retrying in {delay} ms: {error:#}", job.id);
            Outcome::RetryAt(db::now_ms() + delay, format!("{error:#}"))
        }
        Err(error) => {
            tracing::error!(job.id = %job.id, "job `{}` failed for good: {error:#}", job.id);
            Outcome::Failed(format!("{error:#}"))
        }
    };
    if let Err(error) = settle(&state.db, &state.worker_id, &job.id, &outcome).await {
        tracing::warn!(job.id = %job.id, "cannot record the end of the job: {error}");
    }
}

fn unreachable_heartbeat() -> anyhow::Result<Outcome> {
    Err(anyhow::anyhow!("the heartbeat loop ended"))
}
