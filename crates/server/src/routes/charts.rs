//! The built-in chart repository, ChartMuseum-compatible: `GET /charts/index.yaml` (helm's repo
//! root is `…/charts`; `/index.yaml` answers too), `GET /charts/{name}-{version}.tgz`, and the
//! `/api/charts` upload and management API. Reads are public unless `--private-charts`;
//! uploads need a developer token (any project), deletes an admin token. Helm sends the token as
//! the basic-auth password.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::audit::{self, Entry};
use crate::auth::{optional_caller, Caller, Role};
use crate::chartrepo::{self, Stored, MAX_CHART_BYTES};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/charts/index.yaml", get(index))
        .route("/index.yaml", get(index))
        .route("/charts/{file}", get(download))
        .route("/api/charts", get(list).post(upload))
        .route("/api/charts/{name}", get(versions))
        .route("/api/charts/{name}/{version}", get(describe).delete(remove))
}

async fn reader(state: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    let caller = optional_caller(&state.db, headers).await?;
    if state.settings.private_charts && caller.is_none() {
        return Err(ApiError::Unauthorized);
    }
    Ok(())
}

async fn index(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    reader(&state, &headers).await?;
    let (yaml, etag) = chartrepo::index(&state.db, &state.public_url).await?;
    let etag_value =
        HeaderValue::from_str(&etag).map_err(|error| ApiError::Internal(error.into()))?;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-yaml"),
            ),
            (header::ETAG, etag_value),
        ],
        yaml,
    )
        .into_response())
}

/// `name-version` → (name, version): the first `-` after which a SemVer version follows.
fn split_file(file: &str) -> Option<(&str, &str)> {
    let stem = file.strip_suffix(".tgz")?;
    stem.match_indices('-').find_map(|(at, _)| {
        let (name, version) = (&stem[..at], &stem[at + 1..]);
        verso_core::semver::Version::parse_strict(version)
            .ok()
            .map(|_| (name, version))
    })
}

async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> ApiResult<Response> {
    reader(&state, &headers).await?;
    let (name, version) =
        split_file(&file).ok_or_else(|| ApiError::NotFound(format!("chart file `{file}`")))?;
    let (bytes, digest) = chartrepo::fetch(&state.db, name, version)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("chart {name} {version}")))?;
    let etag = HeaderValue::from_str(&format!("\"{}\"", digest.trim_start_matches("sha256:")))
        .map_err(|error| ApiError::Internal(error.into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/gzip"),
            ),
            (header::ETAG, etag),
        ],
        bytes,
    )
        .into_response())
}

async fn upload(State(state): State<AppState>, request: Request) -> ApiResult<Response> {
    let caller = optional_caller(&state.db, request.headers())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !caller.holds_anywhere(Role::Developer) {
        return Err(ApiError::Forbidden(
            "uploading charts needs a developer token".to_owned(),
        ));
    }
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    let bytes = if multipart {
        let mut form = Multipart::from_request(request, &state)
            .await
            .map_err(|error| ApiError::BadRequest(format!("cannot read the form: {error}")))?;
        let mut chart = None;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|error| ApiError::BadRequest(format!("cannot read the form: {error}")))?
        {
            if field.name() == Some("chart") {
                chart = Some(field.bytes().await.map_err(|error| {
                    ApiError::BadRequest(format!("cannot read the chart field: {error}"))
                })?);
            }
        }
        chart.ok_or_else(|| ApiError::BadRequest("the form has no `chart` field".to_owned()))?
    } else {
        Bytes::from_request(request, &state).await.map_err(|_| {
            ApiError::TooLarge(format!("charts up to {MAX_CHART_BYTES} bytes are accepted"))
        })?
    };
    if bytes.is_empty() {
        return Err(ApiError::BadRequest(
            "the upload is empty: send the .tgz as the body or as the form field `chart`"
                .to_owned(),
        ));
    }
    match chartrepo::store(&state.db, &bytes).await? {
        Stored::Created { name, version, digest } => {
            audit::by(&state.db, &caller, Entry { action: "chart.upload", project: None, object: &format!("chart/{name}/{version}"), before: None, after: Some(&digest) }).await?;
            Ok((StatusCode::CREATED, Json(json!({ "saved": true }))).into_response())
        }
        Stored::Present { name, version, .. } => Ok((
            StatusCode::OK,
            Json(json!({ "saved": false, "message": format!("{name} {version} is already stored with these bytes") })),
        )
            .into_response()),
    }
}

fn entry(chart: &crate::api::StoredChart, public_url: &str) -> Value {
    json!({
        "name": chart.name,
        "version": chart.version,
        "digest": chart.digest.trim_start_matches("sha256:"),
        "size": chart.size,
        "created": verso_registry::time::rfc3339(chart.created_at / 1000),
        "urls": [chartrepo::chart_url(public_url, &chart.name, &chart.version)],
    })
}

async fn list(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    reader(&state, &headers).await?;
    let mut out = serde_json::Map::new();
    for chart in chartrepo::list(&state.db, None).await? {
        if let Value::Array(list) = out
            .entry(chart.name.clone())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            list.push(entry(&chart, &state.public_url));
        }
    }
    Ok(Json(Value::Object(out)))
}

async fn versions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    reader(&state, &headers).await?;
    let charts = chartrepo::list(&state.db, Some(&name)).await?;
    if charts.is_empty() {
        return Err(ApiError::NotFound(format!("chart {name}")));
    }
    Ok(Json(Value::Array(
        charts
            .iter()
            .map(|chart| entry(chart, &state.public_url))
            .collect(),
    )))
}

async fn describe(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, version)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    reader(&state, &headers).await?;
    chartrepo::list(&state.db, Some(&name))
        .await?
        .iter()
        .find(|chart| chart.version == version)
        .map(|chart| Json(entry(chart, &state.public_url)))
        .ok_or_else(|| ApiError::NotFound(format!("chart {name} {version}")))
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    caller.require_admin()?;
    let digest = chartrepo::delete(&state.db, &name, &version)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("chart {name} {version}")))?;
    audit::by(
        &state.db,
        &caller,
        Entry {
            action: "chart.delete",
            project: None,
            object: &format!("chart/{name}/{version}"),
            before: Some(&digest),
            after: None,
        },
    )
    .await?;
    Ok(Json(json!({ "deleted": true })))
}

#[cfg(test)]
mod tests {
    use super::split_file;

    #[test]
    fn file_names_split_at_the_version() {
        assert_eq!(split_file("web-1.2.3.tgz"), Some(("web", "1.2.3")));
        assert_eq!(
            split_file("my-app-1-2.0.0-rc.1.tgz"),
            Some(("my-app-1", "2.0.0-rc.1"))
        );
        assert_eq!(split_file("web.tgz"), None);
        assert_eq!(split_file("web-1.2.3.tar"), None);
    }
}
