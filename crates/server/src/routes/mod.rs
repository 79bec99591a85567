//! The HTTP surface, in one place: `/api/v1` (JSON, documented by the OpenAPI document built
//! from the handlers' annotations), the chart repository, and health.

mod audit;
mod charts;
mod environments;
mod hooks;
mod projects;
mod registries;
mod tokens;
mod versions;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::Project;
use crate::auth::{Caller, Role};
use crate::error::ApiResult;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "verso",
        description = "The delivery center: projects, services, registries, environments, versions, hooks."
    ),
    components(schemas(crate::api::VersionStatus)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![SecurityRequirement::new(
            "token",
            Vec::<String>::new(),
        )]);
    }
}

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(audit::list))
        .routes(routes!(registries::list, registries::create))
        .routes(routes!(
            registries::get_one,
            registries::update,
            registries::delete
        ))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(
            projects::get_one,
            projects::update,
            projects::delete
        ))
        .routes(routes!(projects::list_services))
        .routes(routes!(
            projects::get_service,
            projects::put_service,
            projects::delete_service
        ))
        .routes(routes!(environments::list))
        .routes(routes!(environments::get_one, environments::put))
        .routes(routes!(environments::put_service))
        .routes(routes!(versions::list, versions::create))
        .routes(routes!(versions::check))
        .routes(routes!(versions::preview))
        .routes(routes!(versions::suggest_chart_version))
        .routes(routes!(
            versions::get_one,
            versions::update_draft,
            versions::delete
        ))
        .routes(routes!(versions::submit))
        .routes(routes!(versions::retry))
        .routes(routes!(hooks::list, hooks::create))
        .routes(routes!(hooks::delete))
        .routes(routes!(hooks::deliveries))
        .routes(routes!(hooks::delivery))
        .routes(routes!(hooks::redeliver))
}

/// The routes and their document.
fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = api().split_for_parts();
    // Handlers are named per module (`list`, `create`); ids must be unique in the document.
    for item in openapi.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let tag = operation
                .tags
                .as_ref()
                .and_then(|tags| tags.first())
                .cloned();
            if let (Some(tag), Some(id)) = (tag, operation.operation_id.as_mut()) {
                *id = format!("{tag}_{id}");
            }
        }
    }
    (router, openapi)
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi_json() -> String {
    documented().1.to_pretty_json().unwrap_or_default()
}

pub(crate) fn router(state: AppState) -> Router {
    let (api, document) = documented();
    let document = serde_json::to_value(&document).unwrap_or(Value::Null);
    api.route(
        "/api/v1/openapi.json",
        get(move || async move { Json(document) }),
    )
    .route(
        "/healthz",
        get(|| async { Json(json!({ "status": "ok" })) }),
    )
    .route("/readyz", get(ready))
    .merge(charts::router())
    .layer(axum::extract::DefaultBodyLimit::max(
        crate::chartrepo::MAX_CHART_BYTES + 1024 * 1024,
    ))
    .with_state(state)
}

async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if state.db.ping().await {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "the database does not answer" })),
        )
    }
}

/// The project, if the caller holds `role` in it (404 when it holds none).
pub(crate) async fn project_for(
    state: &AppState,
    caller: &Caller,
    name: &str,
    role: Role,
) -> ApiResult<Project> {
    caller.require(name, role)?;
    crate::delivery::load_project(state, name).await
}

#[cfg(test)]
mod tests {
    /// The API's contract: a change to the document is a change to `openapi.json`, reviewed
    /// with the code. `VERSO_UPDATE_SNAPSHOTS=1 cargo test -p verso-server` rewrites it.
    #[test]
    fn openapi_document_matches_the_snapshot() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
        let document = format!("{}\n", super::openapi_json());
        if std::env::var_os("VERSO_UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(path, &document).expect("write the snapshot");
        }
        let snapshot = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            snapshot == document,
            "the OpenAPI document changed; review it and run VERSO_UPDATE_SNAPSHOTS=1 cargo test -p verso-server"
        );
    }

    #[test]
    fn every_api_route_is_documented_with_its_tag() {
        let document: serde_json::Value =
            serde_json::from_str(&super::openapi_json()).expect("json");
        let paths = document["paths"].as_object().expect("paths");
        assert!(paths.len() >= 20, "{}", paths.len());
        let mut ids = std::collections::BTreeSet::new();
        for (path, operations) in paths {
            assert!(path.starts_with("/api/v1/"), "{path}");
            for (method, operation) in operations.as_object().expect("operations") {
                assert!(operation["tags"].is_array(), "{method} {path} has no tag");
                let id = operation["operationId"].as_str().expect("operationId");
                assert!(ids.insert(id.to_owned()), "operationId {id} twice");
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    if parameter["in"] == "path" {
                        let name = parameter["name"].as_str().expect("name");
                        assert!(
                            path.contains(&format!("{{{name}}}")),
                            "{method} {path}: {name}"
                        );
                    }
                }
            }
        }
    }
}
