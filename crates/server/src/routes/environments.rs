//! Environments and what runs in them, as CI reports it.

use axum::extract::{Path, State};
use axum::Json;
use sqlx::Row;
use verso_registry::oci::Reference;

use super::project_for;
use super::registries::valid_name;
use crate::api::{Environment, EnvironmentInput, EnvironmentService, ServiceState};
use crate::audit::{self, Entry};
use crate::auth::{Caller, Role};
use crate::db::{self, json_column};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

async fn load(state: &AppState, project: &str, name: &str) -> ApiResult<Option<Environment>> {
    let Some(row) = sqlx::query("SELECT name, production, global_values, updated_at FROM environments WHERE project = $1 AND name = $2")
        .bind(project)
        .bind(name)
        .fetch_optional(&state.db.pool)
        .await?
    else {
        return Ok(None);
    };
    let rows = sqlx::query("SELECT service, state, updated_at, updated_by FROM environment_services WHERE project = $1 AND environment = $2 ORDER BY service")
        .bind(project)
        .bind(name)
        .fetch_all(&state.db.pool)
        .await?;
    let services = rows
        .iter()
        .map(|row| {
            Ok(EnvironmentService {
                service: row.try_get("service")?,
                state: json_column(row, "state")?,
                updated_at: row.try_get("updated_at")?,
                updated_by: row.try_get("updated_by")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(Environment {
        name: row.try_get("name")?,
        production: row.try_get::<i64, _>("production")? != 0,
        global_values: json_column(&row, "global_values")?,
        services,
        updated_at: row.try_get("updated_at")?,
    }))
}

/// Production environments need a release manager; others a developer.
async fn writer_role(state: &AppState, project: &str, name: &str) -> ApiResult<Role> {
    let production: Option<i64> =
        sqlx::query_scalar("SELECT production FROM environments WHERE project = $1 AND name = $2")
            .bind(project)
            .bind(name)
            .fetch_optional(&state.db.pool)
            .await?;
    Ok(if production == Some(1) {
        Role::ReleaseManager
    } else {
        Role::Developer
    })
}

#[utoipa::path(get, path = "/api/v1/projects/{project}/environments", tag = "environments", responses((status = 200, body = Vec<Environment>)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> ApiResult<Json<Vec<Environment>>> {
    project_for(&state, &caller, &project, Role::Viewer).await?;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM environments WHERE project = $1 ORDER BY name")
            .bind(&project)
            .fetch_all(&state.db.pool)
            .await?;
    let mut list = Vec::new();
    for name in names {
        list.extend(load(&state, &project, &name).await?);
    }
    Ok(Json(list))
}

#[utoipa::path(get, path = "/api/v1/projects/{project}/environments/{environment}", tag = "environments", responses((status = 200, body = Environment)))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, environment)): Path<(String, String)>,
) -> ApiResult<Json<Environment>> {
    project_for(&state, &caller, &project, Role::Viewer).await?;
    load(&state, &project, &environment)
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "environment `{environment}` of project `{project}`"
            ))
        })
}

#[utoipa::path(put, path = "/api/v1/projects/{project}/environments/{environment}", tag = "environments", request_body = EnvironmentInput, responses((status = 200, body = Environment)))]
pub(crate) async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, environment)): Path<(String, String)>,
    Json(input): Json<EnvironmentInput>,
) -> ApiResult<Json<Environment>> {
    let role = writer_role(&state, &project, &environment).await?;
    let role = if input.production {
        role.max(Role::ReleaseManager)
    } else {
        role
    };
    project_for(&state, &caller, &project, role).await?;
    valid_name(&environment, "environment")?;
    if !input.global_values.is_object() {
        return Err(ApiError::BadRequest(
            "`global_values` must be an object".to_owned(),
        ));
    }
    sqlx::query("INSERT INTO environments (project, name, production, global_values, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project, name) DO UPDATE SET production = excluded.production, global_values = excluded.global_values, updated_at = excluded.updated_at")
        .bind(&project)
        .bind(&environment)
        .bind(i64::from(input.production))
        .bind(serde_json::to_string(&input.global_values)?)
        .bind(db::now_ms())
        .execute(&state.db.pool)
        .await?;
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "environment.put",
            project: Some(&project),
            object: &format!("environment/{environment}"),
            before: None,
            after: Some(&environment),
        },
    )
    .await?;
    get_one(State(state), caller, Path((project, environment))).await
}

#[utoipa::path(put, path = "/api/v1/projects/{project}/environments/{environment}/services/{service}", tag = "environments", request_body = ServiceState, responses((status = 200, body = Environment)))]
pub(crate) async fn put_service(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, environment, service)): Path<(String, String, String)>,
    Json(input): Json<ServiceState>,
) -> ApiResult<Json<Environment>> {
    let role = writer_role(&state, &project, &environment).await?;
    project_for(&state, &caller, &project, role).await?;
    valid_name(&environment, "environment")?;
    let known: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM services WHERE project = $1 AND name = $2")
            .bind(&project)
            .bind(&service)
            .fetch_optional(&state.db.pool)
            .await?;
    if known.is_none() {
        return Err(ApiError::BadRequest(format!(
            "project `{project}` has no service `{service}`; define it with PUT /api/v1/projects/{project}/services/{service}"
        )));
    }
    for image in &input.images {
        image.image.parse::<Reference>().map_err(|error| {
            ApiError::BadRequest(format!("image of `{}`: {error}", image.service_module))
        })?;
        if let Some(digest) = &image.digest {
            verso_registry::digest::validate(digest).map_err(|error| {
                ApiError::BadRequest(format!("digest of `{}`: {error}", image.service_module))
            })?;
        }
    }
    if input
        .values
        .as_ref()
        .is_some_and(|values| !values.is_object())
    {
        return Err(ApiError::BadRequest(
            "`values` must be an object".to_owned(),
        ));
    }
    let now = db::now_ms();
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("INSERT INTO environments (project, name, production, global_values, updated_at) VALUES ($1, $2, 0, '{}', $3) ON CONFLICT (project, name) DO NOTHING")
        .bind(&project)
        .bind(&environment)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO environment_services (project, environment, service, state, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project, environment, service) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
        .bind(&project)
        .bind(&environment)
        .bind(&service)
        .bind(serde_json::to_string(&input)?)
        .bind(now)
        .bind(caller.actor())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "environment.report",
            project: Some(&project),
            object: &format!("environment/{environment}/service/{service}"),
            before: None,
            after: Some(&service),
        },
    )
    .await?;
    get_one(State(state), caller, Path((project, environment))).await
}
