//! Versions: create (at once or as a draft), check a name, preview the merge, suggest chart
//! versions, list, inspect, retry failed items, delete the record.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use sqlx::Row;

use super::project_for;
use crate::api::{
    ChartVersionQuery, ChartVersionSuggestion, Deleted, DeliveryVersion, NameCheck, NameQuery,
    VersionChart, VersionImage, VersionInput, VersionList, VersionListQuery, VersionPreview,
    VersionService, VersionStatus, VersionSummary,
};
use crate::audit::{self, Entry};
use crate::auth::{Caller, Role};
use crate::db::{self, json_column};
use crate::delivery::{self, ItemSpec, Resolved, VersionSpec};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

#[utoipa::path(get, path = "/api/v1/projects/{project}/versions", tag = "versions", params(VersionListQuery), responses((status = 200, body = VersionList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Query(query): Query<VersionListQuery>,
) -> ApiResult<Json<VersionList>> {
    project_for(&state, &caller, &project, Role::Viewer).await?;
    let status = query
        .status
        .as_deref()
        .map(|text| {
            VersionStatus::parse(text).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "unknown status `{text}`: use draft, creating, success, failed or retrying"
                ))
            })
        })
        .transpose()?;
    let page = query.page.unwrap_or(1).max(1);
    let per_page = query.per_page.unwrap_or(20).clamp(1, 200);
    let rows = sqlx::query("SELECT id, name, status, description, labels, content_digest, created_by, created_at FROM versions WHERE project = $1 ORDER BY created_at DESC, id DESC")
        .bind(&project)
        .fetch_all(&state.db.pool)
        .await?;
    let mut items = Vec::new();
    for row in &rows {
        let labels: Vec<String> = json_column(row, "labels")?;
        let row_status = VersionStatus::parse(&row.try_get::<String, _>("status")?)
            .unwrap_or(VersionStatus::Failed);
        if query
            .label
            .as_ref()
            .is_some_and(|label| !labels.contains(label))
            || status.is_some_and(|wanted| wanted != row_status)
        {
            continue;
        }
        items.push(VersionSummary {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            status: row_status,
            labels,
            description: row.try_get("description")?,
            content_digest: row.try_get("content_digest")?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
        });
    }
    let total = items.len() as i64;
    let items = items
        .into_iter()
        .skip(((page - 1) * per_page) as usize)
        .take(per_page as usize)
        .collect();
    Ok(Json(VersionList {
        items,
        page,
        per_page,
        total,
    }))
}

async fn start(
    state: &AppState,
    caller: &Caller,
    project: &crate::api::Project,
    input: &VersionInput,
    existing: Option<&str>,
) -> ApiResult<DeliveryVersion> {
    let resolved = delivery::resolve(state, project, input).await?;
    delivery::check_conflicts(state, &resolved).await?;
    let id = delivery::insert(
        state,
        &project.name,
        &input.name,
        &input.labels,
        &resolved,
        &caller.actor(),
        existing,
    )
    .await?;
    audit::by(
        &state.db,
        caller,
        Entry {
            action: "version.create",
            project: Some(&project.name),
            object: &format!("version/{}", input.name),
            before: None,
            after: Some(&id),
        },
    )
    .await?;
    delivery::detail(state, project, &input.name).await
}

#[utoipa::path(post, path = "/api/v1/projects/{project}/versions", tag = "versions", request_body = VersionInput, responses((status = 201, body = DeliveryVersion), (status = 409, description = "the name is taken, or a target holds other content")))]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(input): Json<VersionInput>,
) -> ApiResult<(StatusCode, Json<DeliveryVersion>)> {
    let project = project_for(&state, &caller, &project, Role::ReleaseManager).await?;
    if !input.draft {
        return Ok((
            StatusCode::CREATED,
            Json(start(&state, &caller, &project, &input, None).await?),
        ));
    }
    if input.name.trim().is_empty() || input.name.contains('/') {
        return Err(ApiError::BadRequest(
            "a version needs a name without `/`".to_owned(),
        ));
    }
    let spec = VersionSpec::draft(&input);
    let id = db::new_id("ver");
    let mut tx = state.db.pool.begin().await?;
    delivery::claim_name(&mut tx, &project.name, &input.name).await?;
    sqlx::query("INSERT INTO versions (id, project, name, status, spec, labels, error, created_by, created_at, description) VALUES ($1, $2, $3, 'draft', $4, $5, '', $6, $7, $8)")
        .bind(&id)
        .bind(&project.name)
        .bind(&input.name)
        .bind(serde_json::to_string(&spec)?)
        .bind(serde_json::to_string(&input.labels)?)
        .bind(caller.actor())
        .bind(db::now_ms())
        .bind(&input.description)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "version.draft",
            project: Some(&project.name),
            object: &format!("version/{}", input.name),
            before: None,
            after: Some(&id),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(delivery::detail(&state, &project, &input.name).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/projects/{project}/versions/check", tag = "versions", params(NameQuery), responses((status = 200, body = NameCheck)))]
pub(crate) async fn check(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Query(query): Query<NameQuery>,
) -> ApiResult<Json<NameCheck>> {
    project_for(&state, &caller, &project, Role::Viewer).await?;
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM version_names WHERE project = $1 AND name = $2")
            .bind(&project)
            .bind(&query.name)
            .fetch_optional(&state.db.pool)
            .await?;
    let reason = if query.name.trim().is_empty() || query.name.contains('/') {
        Some("a name needs 1 to 100 characters without `/`".to_owned())
    } else {
        taken.map(|_| {
            "a version of this project has (or had) this name; names are never reused".to_owned()
        })
    };
    Ok(Json(NameCheck {
        available: reason.is_none(),
        name: query.name,
        reason,
    }))
}

fn preview_of(resolved: &Resolved) -> VersionPreview {
    let services = resolved
        .spec
        .services
        .iter()
        .map(|snapshot| {
            let mut images = Vec::new();
            let mut chart = None;
            for item in &resolved.items {
                match item {
                    ItemSpec::Image {
                        service,
                        module,
                        item,
                    } if *service == snapshot.name => images.push(VersionImage {
                        service_module: module.clone(),
                        source: item.source.clone(),
                        source_digest: item.source_digest.clone(),
                        target: item.target.clone(),
                        push: item.push,
                        digest: None,
                        status: "planned".to_owned(),
                        error: String::new(),
                        log: String::new(),
                    }),
                    ItemSpec::Chart {
                        service,
                        chart: name,
                        item,
                    } if *service == snapshot.name => {
                        chart = Some(VersionChart {
                            name: name.clone(),
                            version: item.version.clone(),
                            source_repository: item.source_repository.clone(),
                            source_version: item.source_version.clone(),
                            repository: item.repository.clone(),
                            url: None,
                            digest: None,
                            status: "planned".to_owned(),
                            error: String::new(),
                            log: String::new(),
                        });
                    }
                    _ => {}
                }
            }
            VersionService {
                name: snapshot.name.clone(),
                values: snapshot.values.clone(),
                base_values: snapshot.base_values.clone(),
                yaml: snapshot.yaml.clone(),
                images,
                chart,
            }
        })
        .collect();
    VersionPreview {
        startup_order: resolved.spec.startup_order.clone(),
        global_values: resolved.spec.global_values.clone(),
        services,
    }
}

#[utoipa::path(post, path = "/api/v1/projects/{project}/versions/preview", tag = "versions", request_body = VersionInput, responses((status = 200, body = VersionPreview)))]
pub(crate) async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(input): Json<VersionInput>,
) -> ApiResult<Json<VersionPreview>> {
    let project = project_for(&state, &caller, &project, Role::Viewer).await?;
    let resolved = delivery::resolve(&state, &project, &input).await?;
    Ok(Json(preview_of(&resolved)))
}

#[utoipa::path(get, path = "/api/v1/projects/{project}/versions/chart-version", tag = "versions", params(ChartVersionQuery), responses((status = 200, body = ChartVersionSuggestion)))]
pub(crate) async fn suggest_chart_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Query(query): Query<ChartVersionQuery>,
) -> ApiResult<Json<ChartVersionSuggestion>> {
    project_for(&state, &caller, &project, Role::Viewer).await?;
    let registries = delivery::registries(&state).await?;
    let client = delivery::client(&registries);
    let repository = delivery::chart_repository(&registries, &query.repository)?;
    let existing = delivery::chart_versions(&state, &client, &repository, &query.chart).await?;
    let latest = existing
        .iter()
        .filter_map(|text| verso_core::semver::Version::parse_strict(text).ok())
        .max()
        .map(|version| version.to_string());
    let suggested = delivery::suggest_chart_version(&existing, query.current.as_deref());
    Ok(Json(ChartVersionSuggestion {
        repository: query.repository,
        chart: query.chart,
        latest,
        suggested,
    }))
}

#[utoipa::path(get, path = "/api/v1/projects/{project}/versions/{version}", tag = "versions", responses((status = 200, body = DeliveryVersion), (status = 404)))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, version)): Path<(String, String)>,
) -> ApiResult<Json<DeliveryVersion>> {
    let project = project_for(&state, &caller, &project, Role::Viewer).await?;
    Ok(Json(delivery::detail(&state, &project, &version).await?))
}

#[utoipa::path(put, path = "/api/v1/projects/{project}/versions/{version}", tag = "versions", request_body = VersionInput, responses((status = 200, body = DeliveryVersion), (status = 409, description = "not a draft")))]
pub(crate) async fn update_draft(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, version)): Path<(String, String)>,
    Json(input): Json<VersionInput>,
) -> ApiResult<Json<DeliveryVersion>> {
    let project = project_for(&state, &caller, &project, Role::ReleaseManager).await?;
    if input.name != version {
        return Err(ApiError::BadRequest(format!(
            "the body names `{}`, the path `{version}`; a version keeps its name",
            input.name
        )));
    }
    let current = delivery::detail(&state, &project, &version).await?;
    if current.status != VersionStatus::Draft {
        return Err(ApiError::Conflict(format!(
            "version `{version}` is {}, not a draft; versions are immutable",
            current.status.as_str()
        )));
    }
    let spec = VersionSpec::draft(&input);
    sqlx::query("UPDATE versions SET spec = $2, labels = $3, description = $4 WHERE id = $1 AND status = 'draft'")
        .bind(&current.id)
        .bind(serde_json::to_string(&spec)?)
        .bind(serde_json::to_string(&input.labels)?)
        .bind(&input.description)
        .execute(&state.db.pool)
        .await?;
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "version.draft.update",
            project: Some(&project.name),
            object: &format!("version/{version}"),
            before: Some(&current.id),
            after: Some(&current.id),
        },
    )
    .await?;
    Ok(Json(delivery::detail(&state, &project, &version).await?))
}

#[utoipa::path(post, path = "/api/v1/projects/{project}/versions/{version}/submit", tag = "versions", responses((status = 200, body = DeliveryVersion), (status = 409)))]
pub(crate) async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, version)): Path<(String, String)>,
) -> ApiResult<Json<DeliveryVersion>> {
    let project = project_for(&state, &caller, &project, Role::ReleaseManager).await?;
    let current = delivery::detail(&state, &project, &version).await?;
    let Some(input) = current
        .draft
        .filter(|_| current.status == VersionStatus::Draft)
    else {
        return Err(ApiError::Conflict(format!(
            "version `{version}` is {}, not a draft",
            current.status.as_str()
        )));
    };
    Ok(Json(
        start(&state, &caller, &project, &input, Some(&current.id)).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/projects/{project}/versions/{version}/retry", tag = "versions", responses((status = 200, body = DeliveryVersion), (status = 409, description = "only failed versions are retried")))]
pub(crate) async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, version)): Path<(String, String)>,
) -> ApiResult<Json<DeliveryVersion>> {
    let project = project_for(&state, &caller, &project, Role::ReleaseManager).await?;
    let current = delivery::detail(&state, &project, &version).await?;
    if current.status != VersionStatus::Failed {
        return Err(ApiError::Conflict(format!(
            "version `{version}` is {}; only a failed version is retried",
            current.status.as_str()
        )));
    }
    let mut tx = state.db.pool.begin().await?;
    let moved = sqlx::query("UPDATE versions SET status = 'retrying', error = '', finished_at = NULL WHERE id = $1 AND status = 'failed'")
        .bind(&current.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if moved == 0 {
        return Err(ApiError::Conflict(format!(
            "version `{version}` is being retried already"
        )));
    }
    sqlx::query("UPDATE version_items SET status = 'pending', error = '', updated_at = $2 WHERE version_id = $1 AND status = 'failed'")
        .bind(&current.id)
        .bind(db::now_ms())
        .execute(&mut *tx)
        .await?;
    match &current.job {
        Some(job) => crate::jobs::requeue(&mut *tx, &job.id).await?,
        None => {
            let job =
                crate::jobs::enqueue(&mut *tx, "version.create", &current.id, db::now_ms()).await?;
            sqlx::query("UPDATE versions SET job_id = $2 WHERE id = $1")
                .bind(&current.id)
                .bind(&job)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    state.wake.notify_waiters();
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "version.retry",
            project: Some(&project.name),
            object: &format!("version/{version}"),
            before: Some(&current.id),
            after: Some(&current.id),
        },
    )
    .await?;
    Ok(Json(delivery::detail(&state, &project, &version).await?))
}

#[utoipa::path(delete, path = "/api/v1/projects/{project}/versions/{version}", tag = "versions", responses((status = 200, body = Deleted), (status = 409, description = "the version is being created")))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, version)): Path<(String, String)>,
) -> ApiResult<Json<Deleted>> {
    let project = project_for(&state, &caller, &project, Role::ReleaseManager).await?;
    let current = delivery::detail(&state, &project, &version).await?;
    if matches!(
        current.status,
        VersionStatus::Creating | VersionStatus::Retrying
    ) {
        return Err(ApiError::Conflict(format!(
            "version `{version}` is {}; delete it once it has finished",
            current.status.as_str()
        )));
    }
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("DELETE FROM version_items WHERE version_id = $1")
        .bind(&current.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM versions WHERE id = $1")
        .bind(&current.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "version.delete",
            project: Some(&project.name),
            object: &format!("version/{version}"),
            before: Some(&current.id),
            after: None,
        },
    )
    .await?;
    Ok(Json(Deleted {
        deleted: version.clone(),
        note: format!("the record of version `{version}` is gone; the images and charts it pushed stay in their registries, and the name `{version}` stays reserved"),
    }))
}
