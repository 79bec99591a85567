//! Registries: image registries and chart repositories, with passwords sealed at rest and
//! never returned. `builtin` (verso's own chart repository) is always there.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sqlx::Row;
use verso_registry::chart::ChartRepository;
use verso_registry::oci::Reference;

use crate::api::{Registry, RegistryInput, RegistryKind};
use crate::audit::{self, Entry};
use crate::auth::Caller;
use crate::db;
use crate::delivery::BUILTIN;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

fn builtin(state: &AppState) -> Registry {
    Registry {
        name: BUILTIN.to_owned(),
        kind: RegistryKind::Chart,
        url: format!("{}/charts", state.public_url),
        username: None,
        has_password: false,
        plain_http: false,
        builtin: true,
    }
}

pub(crate) fn valid_name(name: &str, what: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "`{name}` is not a valid {what} name: use 1 to 63 lowercase letters, digits, `-`, `_` or `.`, starting with a letter or digit"
        )))
    }
}

fn validate(input: &RegistryInput) -> ApiResult<()> {
    valid_name(&input.name, "registry")?;
    if input.name == BUILTIN {
        return Err(ApiError::BadRequest(
            "`builtin` is verso's own chart repository; pick another name".to_owned(),
        ));
    }
    match input.kind {
        RegistryKind::Image => {
            let probe = format!("{}/probe", input.url.trim_end_matches('/'));
            probe.parse::<Reference>().map_err(|error| {
                ApiError::BadRequest(format!(
                    "image registry URL `{}` is not `host[:port][/namespace]`: {}",
                    input.url,
                    error.replace("/probe", "")
                ))
            })?;
        }
        RegistryKind::Chart => {
            input
                .url
                .parse::<ChartRepository>()
                .map_err(ApiError::BadRequest)?;
        }
    }
    if input.password.is_some() && input.username.is_none() {
        return Err(ApiError::BadRequest(
            "a password needs a `username`".to_owned(),
        ));
    }
    Ok(())
}

fn to_api(row: &sqlx::any::AnyRow) -> Result<Registry, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(Registry {
        name: row.try_get("name")?,
        kind: RegistryKind::from_stored(&kind),
        url: row.try_get("url")?,
        username: row.try_get("username")?,
        has_password: row.try_get::<Option<Vec<u8>>, _>("secret")?.is_some(),
        plain_http: row.try_get::<i64, _>("plain_http")? != 0,
        builtin: false,
    })
}

#[utoipa::path(get, path = "/api/v1/registries", tag = "registries", responses((status = 200, body = Vec<Registry>)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<Json<Vec<Registry>>> {
    let rows = sqlx::query("SELECT * FROM registries ORDER BY name")
        .fetch_all(&state.db.pool)
        .await?;
    let mut list = vec![builtin(&state)];
    for row in &rows {
        list.push(to_api(row)?);
    }
    Ok(Json(list))
}

#[utoipa::path(get, path = "/api/v1/registries/{name}", tag = "registries", responses((status = 200, body = Registry)))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Registry>> {
    if name == BUILTIN {
        return Ok(Json(builtin(&state)));
    }
    let row = sqlx::query("SELECT * FROM registries WHERE name = $1")
        .bind(&name)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("registry `{name}`")))?;
    Ok(Json(to_api(&row)?))
}

#[utoipa::path(post, path = "/api/v1/registries", tag = "registries", request_body = RegistryInput, responses((status = 201, body = Registry), (status = 409)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<RegistryInput>,
) -> ApiResult<(StatusCode, Json<Registry>)> {
    caller.require_admin()?;
    validate(&input)?;
    let now = db::now_ms();
    let sealed = input.password.as_ref().map(|password| {
        state
            .key
            .seal(&format!("registry:{}", input.name), password.as_bytes())
    });
    let inserted = sqlx::query(
        "INSERT INTO registries (name, kind, url, username, secret, plain_http, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (name) DO NOTHING",
    )
    .bind(&input.name)
    .bind(input.kind.as_str())
    .bind(input.url.trim_end_matches('/'))
    .bind(&input.username)
    .bind(sealed)
    .bind(i64::from(input.plain_http))
    .bind(now)
    .execute(&state.db.pool)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(ApiError::Conflict(format!(
            "registry `{}` exists; change it with PUT",
            input.name
        )));
    }
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "registry.create",
            project: None,
            object: &format!("registry/{}", input.name),
            before: None,
            after: Some(&input.name),
        },
    )
    .await?;
    let Json(registry) = get_one(State(state), caller, Path(input.name)).await?;
    Ok((StatusCode::CREATED, Json(registry)))
}

#[utoipa::path(put, path = "/api/v1/registries/{name}", tag = "registries", request_body = RegistryInput, responses((status = 200, body = Registry)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Json(input): Json<RegistryInput>,
) -> ApiResult<Json<Registry>> {
    caller.require_admin()?;
    if input.name != name {
        return Err(ApiError::BadRequest(format!(
            "the body names `{}`, the path `{name}`",
            input.name
        )));
    }
    validate(&input)?;
    // No password: keep the stored one. An empty one: remove it.
    let changed = match input.password.as_deref() {
        None => sqlx::query("UPDATE registries SET kind = $2, url = $3, username = $4, plain_http = $5, updated_at = $6 WHERE name = $1"),
        Some(_) => sqlx::query("UPDATE registries SET kind = $2, url = $3, username = $4, plain_http = $5, updated_at = $6, secret = $7 WHERE name = $1"),
    }
    .bind(&name)
    .bind(input.kind.as_str())
    .bind(input.url.trim_end_matches('/'))
    .bind(&input.username)
    .bind(i64::from(input.plain_http))
    .bind(db::now_ms());
    let changed = match input.password.as_deref() {
        None => changed,
        Some("") => changed.bind(None::<Vec<u8>>),
        Some(password) => changed.bind(Some(
            state
                .key
                .seal(&format!("registry:{name}"), password.as_bytes()),
        )),
    }
    .execute(&state.db.pool)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(ApiError::NotFound(format!("registry `{name}`")));
    }
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "registry.update",
            project: None,
            object: &format!("registry/{name}"),
            before: Some(&name),
            after: Some(&name),
        },
    )
    .await?;
    get_one(State(state), caller, Path(name)).await
}

#[utoipa::path(delete, path = "/api/v1/registries/{name}", tag = "registries", responses((status = 204)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    let deleted = sqlx::query("DELETE FROM registries WHERE name = $1")
        .bind(&name)
        .execute(&state.db.pool)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(ApiError::NotFound(format!("registry `{name}`")));
    }
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "registry.delete",
            project: None,
            object: &format!("registry/{name}"),
            before: Some(&name),
            after: None,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
