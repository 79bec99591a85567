//! API tokens: created by an admin, shown once, stored hashed, revoked by id.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sqlx::Row;

use crate::api::{CreatedToken, Token, TokenInput};
use crate::audit::{self, Entry};
use crate::auth::Caller;
use crate::crypto;
use crate::db::{self, json_column};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = Vec<Token>)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Token>>> {
    caller.require_admin()?;
    let rows = sqlx::query("SELECT id, name, admin, roles, created_at, created_by, revoked_at FROM tokens ORDER BY created_at")
        .fetch_all(&state.db.pool)
        .await?;
    let tokens = rows
        .iter()
        .map(|row| {
            Ok(Token {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                admin: row.try_get::<i64, _>("admin")? != 0,
                roles: json_column(row, "roles")?,
                created_at: row.try_get("created_at")?,
                created_by: row.try_get("created_by")?,
                revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(tokens))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = TokenInput, responses((status = 201, body = CreatedToken)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<TokenInput>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    caller.require_admin()?;
    if input.name.trim().is_empty() {
        return Err(ApiError::BadRequest("a token needs a `name`".to_owned()));
    }
    let token = crypto::new_token();
    let info = Token {
        id: db::new_id("tok"),
        name: input.name,
        admin: input.admin,
        roles: input.roles,
        created_at: db::now_ms(),
        created_by: caller.actor(),
        revoked: false,
    };
    sqlx::query("INSERT INTO tokens (id, name, hash, admin, roles, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&info.id)
        .bind(&info.name)
        .bind(crypto::token_hash(&token))
        .bind(i64::from(info.admin))
        .bind(serde_json::to_string(&info.roles)?)
        .bind(info.created_at)
        .bind(&info.created_by)
        .execute(&state.db.pool)
        .await?;
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "token.create",
            project: None,
            object: &format!("token/{}", info.id),
            before: None,
            after: Some(&info.id),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { info, token })))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", responses((status = 204)))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    let changed =
        sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(&id)
            .bind(db::now_ms())
            .execute(&state.db.pool)
            .await?
            .rows_affected();
    if changed == 0 {
        return Err(ApiError::NotFound(format!("token `{id}`")));
    }
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "token.revoke",
            project: None,
            object: &format!("token/{id}"),
            before: Some(&id),
            after: None,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
