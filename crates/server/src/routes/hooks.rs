//! Hook endpoints of a project and their deliveries.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sqlx::Row;

use super::project_for;
use crate::api::{CreatedHook, Hook, HookAttempt, HookDelivery, HookInput};
use crate::audit::{self, Entry};
use crate::auth::{Caller, Role};
use crate::db::{self, json_column};
use crate::error::{ApiError, ApiResult};
use crate::hooks;
use crate::AppState;

fn to_hook(row: &sqlx::any::AnyRow) -> Result<Hook, sqlx::Error> {
    Ok(Hook {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        events: json_column(row, "events")?,
        created_at: row.try_get("created_at")?,
    })
}

#[utoipa::path(get, path = "/api/v1/projects/{project}/hooks", tag = "hooks", responses((status = 200, body = Vec<Hook>)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> ApiResult<Json<Vec<Hook>>> {
    project_for(&state, &caller, &project, Role::Admin).await?;
    let rows = sqlx::query(
        "SELECT id, url, events, created_at FROM hooks WHERE project = $1 ORDER BY created_at",
    )
    .bind(&project)
    .fetch_all(&state.db.pool)
    .await?;
    Ok(Json(rows.iter().map(to_hook).collect::<Result<_, _>>()?))
}

#[utoipa::path(post, path = "/api/v1/projects/{project}/hooks", tag = "hooks", request_body = HookInput, responses((status = 201, body = CreatedHook)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(input): Json<HookInput>,
) -> ApiResult<(StatusCode, Json<CreatedHook>)> {
    let current = project_for(&state, &caller, &project, Role::Admin).await?;
    if input.events.is_empty() {
        return Err(ApiError::BadRequest(
            "a hook needs at least one event: version.created, version.failed".to_owned(),
        ));
    }
    let url = input.url.clone();
    let allow = current.allow_private_hooks;
    tokio::task::spawn_blocking(move || hooks::check_url(&url, allow))
        .await
        .map_err(|error| ApiError::Internal(error.into()))?
        .map_err(ApiError::BadRequest)?;
    let secret = input.secret.clone().unwrap_or_else(hooks::new_secret);
    hooks::secret_bytes(&secret).map_err(ApiError::BadRequest)?;
    let hook = Hook {
        id: db::new_id("hook"),
        url: input.url,
        events: input.events,
        created_at: db::now_ms(),
    };
    sqlx::query("INSERT INTO hooks (id, project, url, secret, events, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&hook.id)
        .bind(&project)
        .bind(&hook.url)
        .bind(state.key.seal(&format!("hook:{}", hook.id), secret.as_bytes()))
        .bind(serde_json::to_string(&hook.events)?)
        .bind(hook.created_at)
        .execute(&state.db.pool)
        .await?;
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "hook.create",
            project: Some(&project),
            object: &format!("hook/{}", hook.id),
            before: None,
            after: Some(&hook.id),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedHook { hook, secret })))
}

#[utoipa::path(delete, path = "/api/v1/projects/{project}/hooks/{hook}", tag = "hooks", responses((status = 204)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, hook)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    project_for(&state, &caller, &project, Role::Admin).await?;
    let deleted = sqlx::query("DELETE FROM hooks WHERE id = $1 AND project = $2")
        .bind(&hook)
        .bind(&project)
        .execute(&state.db.pool)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(ApiError::NotFound(format!(
            "hook `{hook}` of project `{project}`"
        )));
    }
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "hook.delete",
            project: Some(&project),
            object: &format!("hook/{hook}"),
            before: Some(&hook),
            after: None,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn load_delivery(state: &AppState, project: &str, id: &str) -> ApiResult<HookDelivery> {
    let row = sqlx::query("SELECT id, hook_id, event, version, status, payload, created_at FROM hook_deliveries WHERE id = $1 AND project = $2")
        .bind(id)
        .bind(project)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("delivery `{id}` of project `{project}`")))?;
    let attempts = sqlx::query("SELECT n, at, status_code, latency_ms, error, response FROM hook_attempts WHERE delivery_id = $1 ORDER BY n")
        .bind(id)
        .fetch_all(&state.db.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(HookAttempt {
                n: row.try_get("n")?,
                at: row.try_get("at")?,
                status_code: row.try_get("status_code")?,
                latency_ms: row.try_get("latency_ms")?,
                error: row.try_get("error")?,
                response: row.try_get("response")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(HookDelivery {
        id: row.try_get("id")?,
        hook_id: row.try_get("hook_id")?,
        event: row.try_get("event")?,
        version: row.try_get("version")?,
        status: row.try_get("status")?,
        attempts,
        payload: json_column(&row, "payload")?,
        created_at: row.try_get("created_at")?,
    })
}

#[utoipa::path(get, path = "/api/v1/projects/{project}/hooks/{hook}/deliveries", tag = "hooks", responses((status = 200, body = Vec<HookDelivery>)))]
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, hook)): Path<(String, String)>,
) -> ApiResult<Json<Vec<HookDelivery>>> {
    project_for(&state, &caller, &project, Role::Admin).await?;
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM hook_deliveries WHERE hook_id = $1 AND project = $2 ORDER BY created_at DESC, id DESC LIMIT 100")
        .bind(&hook)
        .bind(&project)
        .fetch_all(&state.db.pool)
        .await?;
    let mut list = Vec::new();
    for id in ids {
        list.push(load_delivery(&state, &project, &id).await?);
    }
    Ok(Json(list))
}

#[utoipa::path(get, path = "/api/v1/projects/{project}/deliveries/{delivery}", tag = "hooks", responses((status = 200, body = HookDelivery)))]
pub(crate) async fn delivery(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, delivery)): Path<(String, String)>,
) -> ApiResult<Json<HookDelivery>> {
    project_for(&state, &caller, &project, Role::Admin).await?;
    Ok(Json(load_delivery(&state, &project, &delivery).await?))
}

#[utoipa::path(post, path = "/api/v1/projects/{project}/deliveries/{delivery}/redeliver", tag = "hooks", responses((status = 202, body = HookDelivery)))]
pub(crate) async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, delivery)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<HookDelivery>)> {
    project_for(&state, &caller, &project, Role::Admin).await?;
    load_delivery(&state, &project, &delivery).await?;
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("UPDATE hook_deliveries SET status = 'pending', attempts = 0, updated_at = $2 WHERE id = $1")
        .bind(&delivery)
        .bind(db::now_ms())
        .execute(&mut *tx)
        .await?;
    crate::jobs::enqueue(&mut *tx, "hook.deliver", &delivery, db::now_ms()).await?;
    tx.commit().await?;
    state.wake.notify_waiters();
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "hook.redeliver",
            project: Some(&project),
            object: &format!("delivery/{delivery}"),
            before: Some(&delivery),
            after: Some(&delivery),
        },
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(load_delivery(&state, &project, &delivery).await?),
    ))
}
