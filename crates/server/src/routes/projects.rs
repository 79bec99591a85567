//! Projects and their services.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sqlx::Row;
use verso_registry::oci::Reference;

use super::project_for;
use super::registries::valid_name;
use crate::api::{Project, ProjectInput, ProjectKind, Service, ServiceInput};
use crate::audit::{self, Entry};
use crate::auth::{Caller, Role};
use crate::db::{self, json_column};
use crate::delivery::load_project;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

fn check_order(order: &[Vec<String>]) -> ApiResult<()> {
    let mut seen = std::collections::BTreeSet::new();
    for name in order.iter().flatten() {
        if !seen.insert(name) {
            return Err(ApiError::BadRequest(format!(
                "service `{name}` appears twice in `startup_order`"
            )));
        }
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", responses((status = 200, body = Vec<Project>)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Project>>> {
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM projects ORDER BY name")
        .fetch_all(&state.db.pool)
        .await?;
    let mut projects = Vec::new();
    for name in names.iter().filter(|name| caller.sees(name)) {
        projects.push(load_project(&state, name).await?);
    }
    Ok(Json(projects))
}

#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = ProjectInput, responses((status = 201, body = Project), (status = 409)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<ProjectInput>,
) -> ApiResult<(StatusCode, Json<Project>)> {
    caller.require_admin()?;
    valid_name(&input.name, "project")?;
    check_order(&input.startup_order)?;
    let now = db::now_ms();
    let inserted = sqlx::query("INSERT INTO projects (name, kind, description, startup_order, allow_private_hooks, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (name) DO NOTHING")
        .bind(&input.name)
        .bind(input.kind.as_str())
        .bind(&input.description)
        .bind(serde_json::to_string(&input.startup_order)?)
        .bind(i64::from(input.allow_private_hooks))
        .bind(now)
        .execute(&state.db.pool)
        .await?
        .rows_affected();
    if inserted == 0 {
        return Err(ApiError::Conflict(format!(
            "project `{}` exists",
            input.name
        )));
    }
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "project.create",
            project: Some(&input.name),
            object: &format!("project/{}", input.name),
            before: None,
            after: Some(&input.name),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(load_project(&state, &input.name).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/projects/{project}", tag = "projects", responses((status = 200, body = Project), (status = 404)))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> ApiResult<Json<Project>> {
    Ok(Json(
        project_for(&state, &caller, &project, Role::Viewer).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/projects/{project}", tag = "projects", request_body = ProjectInput, responses((status = 200, body = Project)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(input): Json<ProjectInput>,
) -> ApiResult<Json<Project>> {
    let current = project_for(&state, &caller, &project, Role::Admin).await?;
    if input.name != project {
        return Err(ApiError::BadRequest(format!(
            "the body names `{}`, the path `{project}`",
            input.name
        )));
    }
    if input.kind != current.kind {
        return Err(ApiError::BadRequest(
            "a project's kind cannot change".to_owned(),
        ));
    }
    check_order(&input.startup_order)?;
    sqlx::query("UPDATE projects SET description = $2, startup_order = $3, allow_private_hooks = $4, updated_at = $5 WHERE name = $1")
        .bind(&project)
        .bind(&input.description)
        .bind(serde_json::to_string(&input.startup_order)?)
        .bind(i64::from(input.allow_private_hooks))
        .bind(db::now_ms())
        .execute(&state.db.pool)
        .await?;
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "project.update",
            project: Some(&project),
            object: &format!("project/{project}"),
            before: Some(&project),
            after: Some(&project),
        },
    )
    .await?;
    Ok(Json(load_project(&state, &project).await?))
}

#[utoipa::path(delete, path = "/api/v1/projects/{project}", tag = "projects", responses((status = 204), (status = 409)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    load_project(&state, &project).await?;
    let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM version_names WHERE project = $1")
        .bind(&project)
        .fetch_one(&state.db.pool)
        .await?;
    if versions > 0 {
        return Err(ApiError::Conflict(format!(
            "project `{project}` has versions; its version names stay reserved, so it cannot be deleted"
        )));
    }
    let mut tx = state.db.pool.begin().await?;
    for table in ["environment_services", "environments", "services", "hooks"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE project = $1"))
            .bind(&project)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM projects WHERE name = $1")
        .bind(&project)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "project.delete",
            project: Some(&project),
            object: &format!("project/{project}"),
            before: Some(&project),
            after: None,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn validate_service(project: &Project, input: &ServiceInput) -> ApiResult<()> {
    let mut names = std::collections::BTreeSet::new();
    for container in &input.containers {
        valid_name(&container.name, "service module")?;
        if !names.insert(&container.name) {
            return Err(ApiError::BadRequest(format!(
                "service module `{}` appears twice",
                container.name
            )));
        }
        container.image.parse::<Reference>().map_err(|error| {
            ApiError::BadRequest(format!(
                "image of service module `{}`: {error}",
                container.name
            ))
        })?;
    }
    match project.kind {
        ProjectKind::Helm if input.yaml.is_some() => Err(ApiError::BadRequest(
            "a Helm project's service has a `chart`, not `yaml`".to_owned(),
        )),
        ProjectKind::K8sYaml if input.chart.is_some() => Err(ApiError::BadRequest(
            "a K8s YAML project's service has `yaml`, not a `chart`".to_owned(),
        )),
        _ => Ok(()),
    }
}

fn to_service(row: &sqlx::any::AnyRow) -> Result<Service, sqlx::Error> {
    Ok(Service {
        name: row.try_get("name")?,
        spec: json_column(row, "spec")?,
        updated_at: row.try_get("updated_at")?,
    })
}

#[utoipa::path(get, path = "/api/v1/projects/{project}/services", tag = "services", responses((status = 200, body = Vec<Service>)))]
pub(crate) async fn list_services(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> ApiResult<Json<Vec<Service>>> {
    project_for(&state, &caller, &project, Role::Viewer).await?;
    let rows =
        sqlx::query("SELECT name, spec, updated_at FROM services WHERE project = $1 ORDER BY name")
            .bind(&project)
            .fetch_all(&state.db.pool)
            .await?;
    Ok(Json(rows.iter().map(to_service).collect::<Result<_, _>>()?))
}

#[utoipa::path(get, path = "/api/v1/projects/{project}/services/{service}", tag = "services", responses((status = 200, body = Service)))]
pub(crate) async fn get_service(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, service)): Path<(String, String)>,
) -> ApiResult<Json<Service>> {
    project_for(&state, &caller, &project, Role::Viewer).await?;
    let row =
        sqlx::query("SELECT name, spec, updated_at FROM services WHERE project = $1 AND name = $2")
            .bind(&project)
            .bind(&service)
            .fetch_optional(&state.db.pool)
            .await?
            .ok_or_else(|| {
                ApiError::NotFound(format!("service `{service}` of project `{project}`"))
            })?;
    Ok(Json(to_service(&row)?))
}

#[utoipa::path(put, path = "/api/v1/projects/{project}/services/{service}", tag = "services", request_body = ServiceInput, responses((status = 200, body = Service)))]
pub(crate) async fn put_service(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, service)): Path<(String, String)>,
    Json(input): Json<ServiceInput>,
) -> ApiResult<Json<Service>> {
    let current = project_for(&state, &caller, &project, Role::Developer).await?;
    valid_name(&service, "service")?;
    validate_service(&current, &input)?;
    sqlx::query("INSERT INTO services (project, name, spec, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (project, name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at")
        .bind(&project)
        .bind(&service)
        .bind(serde_json::to_string(&input)?)
        .bind(db::now_ms())
        .execute(&state.db.pool)
        .await?;
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "service.put",
            project: Some(&project),
            object: &format!("service/{service}"),
            before: None,
            after: Some(&service),
        },
    )
    .await?;
    get_service(State(state), caller, Path((project, service))).await
}

#[utoipa::path(delete, path = "/api/v1/projects/{project}/services/{service}", tag = "services", responses((status = 204)))]
pub(crate) async fn delete_service(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, service)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    project_for(&state, &caller, &project, Role::Developer).await?;
    let deleted = sqlx::query("DELETE FROM services WHERE project = $1 AND name = $2")
        .bind(&project)
        .bind(&service)
        .execute(&state.db.pool)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(ApiError::NotFound(format!(
            "service `{service}` of project `{project}`"
        )));
    }
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "service.delete",
            project: Some(&project),
            object: &format!("service/{service}"),
            before: Some(&service),
            after: None,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
