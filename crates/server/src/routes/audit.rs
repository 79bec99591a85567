//! Reading the audit log: admins see everything, project admins their project.

use axum::extract::{Query, State};
use axum::Json;
use sqlx::Row;

use crate::api::{AuditEntry, AuditQuery};
use crate::auth::{Caller, Role};
use crate::error::ApiResult;
use crate::AppState;

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery), responses((status = 200, body = Vec<AuditEntry>)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let limit = i64::from(query.limit.unwrap_or(100).clamp(1, 1000));
    let rows = match &query.project {
        Some(project) => {
            caller.require(project, Role::Admin)?;
            sqlx::query(
                "SELECT * FROM audit_log WHERE project = $1 ORDER BY at DESC, id DESC LIMIT $2",
            )
            .bind(project)
            .bind(limit)
            .fetch_all(&state.db.pool)
            .await?
        }
        None => {
            caller.require_admin()?;
            sqlx::query("SELECT * FROM audit_log ORDER BY at DESC, id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(&state.db.pool)
                .await?
        }
    };
    let entries = rows
        .iter()
        .map(|row| {
            Ok(AuditEntry {
                id: row.try_get("id")?,
                at: row.try_get("at")?,
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                project: row.try_get("project")?,
                object: row.try_get("object")?,
                before_id: row.try_get("before_id")?,
                after_id: row.try_get("after_id")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(entries))
}
