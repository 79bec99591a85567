//! The audit log: every mutating call, who made it, on what, and the ids before and after.

use crate::auth::Caller;
use crate::db::{self, Db};

/// One audit entry; `before`/`after` are the ids (or digests) the object had.
pub(crate) struct Entry<'a> {
    pub(crate) action: &'a str,
    pub(crate) project: Option<&'a str>,
    pub(crate) object: &'a str,
    pub(crate) before: Option<&'a str>,
    pub(crate) after: Option<&'a str>,
}

pub(crate) async fn record<'e, E>(executor: E, actor: &str, entry: Entry<'_>) -> sqlx::Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, project, object, before_id, after_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(db::new_id("aud"))
    .bind(db::now_ms())
    .bind(actor)
    .bind(entry.action)
    .bind(entry.project)
    .bind(entry.object)
    .bind(entry.before)
    .bind(entry.after)
    .execute(executor)
    .await?;
    Ok(())
}

/// Records a call made by `caller`.
pub(crate) async fn by(db: &Db, caller: &Caller, entry: Entry<'_>) -> sqlx::Result<()> {
    record(&db.pool, &caller.actor(), entry).await
}
