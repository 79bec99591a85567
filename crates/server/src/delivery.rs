//! Versions: resolving a request into a snapshot (the environment's services, their values with
//! the edits and the global-variable layer, images pinned by digest, targets), refusing
//! conflicts before anything is pushed, and the `version.create` job that copies images,
//! packages and pushes charts, records every item and announces the outcome to hooks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sqlx::Row;
use verso_core::semver::Version;
use verso_registry::chart::{self, ChartRepository, Limits, Overrides};
use verso_registry::oci::{self, Client, CopyOptions, Credentials, Login, Reference};

use crate::api::{
    self, DeliveryVersion, HookEvent, ImageValues, JobInfo, Project, ProjectKind, RegistryKind,
    ServiceInput, ServiceState, VersionChart, VersionImage, VersionInput, VersionService,
    VersionStatus,
};
use crate::chartrepo::{self, Stored};
use crate::db::{self, json_column};
use crate::error::{ApiError, ApiResult};
use crate::jobs::Outcome;
use crate::AppState;

/// The name of verso's own chart repository.
pub(crate) const BUILTIN: &str = "builtin";

/// A registry with its password opened.
#[derive(Debug, Clone)]
pub(crate) struct RegistryRow {
    pub(crate) name: String,
    pub(crate) kind: RegistryKind,
    pub(crate) url: String,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) plain_http: bool,
}

impl RegistryRow {
    /// The `host[:port]` logins are kept under.
    fn host(&self) -> String {
        match self.kind {
            RegistryKind::Image => self.url.split('/').next().unwrap_or("").to_owned(),
            RegistryKind::Chart => self
                .url
                .parse::<ChartRepository>()
                .map(|repository| repository.host().to_owned())
                .unwrap_or_default(),
        }
    }
}

pub(crate) async fn registries(state: &AppState) -> ApiResult<Vec<RegistryRow>> {
    let rows = sqlx::query(
        "SELECT name, kind, url, username, secret, plain_http FROM registries ORDER BY name",
    )
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter()
        .map(|row| {
            let name: String = row.try_get("name")?;
            let kind: String = row.try_get("kind")?;
            let sealed: Option<Vec<u8>> = row.try_get("secret")?;
            let password = sealed
                .map(|sealed| {
                    state
                        .key
                        .open(&format!("registry:{name}"), &sealed)
                        .and_then(|plain| Ok(String::from_utf8(plain)?))
                })
                .transpose()?;
            Ok(RegistryRow {
                kind: RegistryKind::from_stored(&kind),
                url: row.try_get("url")?,
                username: row.try_get("username")?,
                password,
                plain_http: row.try_get::<i64, _>("plain_http")? != 0,
                name,
            })
        })
        .collect()
}

/// A registry client that knows every stored login.
pub(crate) fn client(registries: &[RegistryRow]) -> Arc<Client> {
    let mut credentials = Credentials::default();
    let mut plain_http = Vec::new();
    for registry in registries {
        let host = registry.host();
        if let (Some(username), Some(password)) = (&registry.username, &registry.password) {
            credentials.insert(
                &host,
                Login {
                    username: username.clone(),
                    password: password.clone(),
                },
            );
        }
        if registry.plain_http {
            plain_http.push(host);
        }
    }
    Arc::new(Client::new(credentials, plain_http))
}

fn find<'a>(
    registries: &'a [RegistryRow],
    name: &str,
    kind: RegistryKind,
) -> ApiResult<&'a RegistryRow> {
    registries
        .iter()
        .find(|registry| registry.name == name && registry.kind == kind)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "there is no {} registry `{name}`; register it with POST /api/v1/registries",
                kind.as_str()
            ))
        })
}

/// A chart repository by registry name.
#[derive(Debug, Clone)]
pub(crate) enum Charts {
    Builtin,
    Remote(ChartRepository),
}

pub(crate) fn chart_repository(registries: &[RegistryRow], name: &str) -> ApiResult<Charts> {
    if name == BUILTIN {
        return Ok(Charts::Builtin);
    }
    let registry = find(registries, name, RegistryKind::Chart)?;
    registry
        .url
        .parse()
        .map(Charts::Remote)
        .map_err(ApiError::BadRequest)
}

/// Every version of `chart` a repository holds.
pub(crate) async fn chart_versions(
    state: &AppState,
    client: &Arc<Client>,
    charts: &Charts,
    chart: &str,
) -> ApiResult<Vec<String>> {
    match charts {
        Charts::Builtin => Ok(chartrepo::versions(&state.db, chart).await?),
        Charts::Remote(repository) => {
            let (client, repository, chart) =
                (client.clone(), repository.clone(), chart.to_owned());
            blocking(move || chart::versions(&client, &repository, &chart))
                .await?
                .map_err(|error| {
                    ApiError::BadRequest(format!("cannot list chart versions: {error}"))
                })
        }
    }
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| ApiError::Internal(error.into()))
}

/// The version to suggest for a chart: the current one when the repository has nothing at or
/// above it, else the release of the highest prerelease, else the highest plus a patch.
pub(crate) fn suggest_chart_version(existing: &[String], current: Option<&str>) -> String {
    let versions: Vec<Version> = existing
        .iter()
        .filter_map(|text| Version::parse_strict(text).ok())
        .collect();
    let current = current.and_then(|text| Version::parse_strict(text).ok());
    let highest = versions.iter().max();
    match (highest, current) {
        (None, Some(current)) => current.to_string(),
        (None, None) => "0.1.0".to_owned(),
        (Some(highest), Some(current)) if current > *highest => current.to_string(),
        (Some(highest), _) if highest.is_prerelease() => highest.release().to_string(),
        (Some(highest), _) => format!("{}.{}.{}", highest.major, highest.minor, highest.patch + 1),
    }
}

/// What a version stores besides its items.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct VersionSpec {
    pub(crate) description: String,
    pub(crate) source: String,
    pub(crate) source_environment: Option<String>,
    pub(crate) source_version: Option<String>,
    pub(crate) image_registry: Option<String>,
    pub(crate) chart_repository: Option<String>,
    pub(crate) startup_order: Vec<Vec<String>>,
    pub(crate) global_values: Value,
    pub(crate) services: Vec<ServiceSnapshot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) draft: Option<VersionInput>,
}

impl VersionSpec {
    /// What a draft stores: its request, to be resolved when it is submitted.
    pub(crate) fn draft(input: &VersionInput) -> VersionSpec {
        VersionSpec {
            description: input.description.clone(),
            source: "draft".to_owned(),
            global_values: input
                .global_values
                .clone()
                .unwrap_or_else(api::empty_object),
            draft: Some(VersionInput {
                draft: true,
                ..input.clone()
            }),
            ..VersionSpec::default()
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ServiceSnapshot {
    pub(crate) name: String,
    pub(crate) values: Option<Value>,
    pub(crate) base_values: Option<Value>,
    pub(crate) yaml: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ImageItem {
    pub(crate) source: String,
    pub(crate) source_digest: String,
    pub(crate) target: Option<String>,
    pub(crate) push: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ChartItem {
    pub(crate) source_repository: String,
    pub(crate) source_version: String,
    pub(crate) version: String,
    pub(crate) repository: String,
}

#[derive(Debug, Clone)]
pub(crate) enum ItemSpec {
    Image {
        service: String,
        module: String,
        item: ImageItem,
    },
    Chart {
        service: String,
        chart: String,
        item: ChartItem,
    },
}

/// A resolved request: the snapshot and the work, with the registries it was resolved against.
pub(crate) struct Resolved {
    pub(crate) spec: VersionSpec,
    pub(crate) items: Vec<ItemSpec>,
    registries: Vec<RegistryRow>,
    client: Arc<Client>,
}

pub(crate) async fn load_project(state: &AppState, name: &str) -> ApiResult<Project> {
    let row = sqlx::query("SELECT name, kind, description, startup_order, allow_private_hooks, created_at, updated_at FROM projects WHERE name = $1")
        .bind(name)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("project `{name}`")))?;
    let kind: String = row.try_get("kind")?;
    Ok(Project {
        name: row.try_get("name")?,
        kind: ProjectKind::from_stored(&kind),
        description: row.try_get("description")?,
        startup_order: json_column(&row, "startup_order")?,
        allow_private_hooks: row.try_get::<i64, _>("allow_private_hooks")? != 0,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(crate) async fn load_services(
    state: &AppState,
    project: &str,
) -> ApiResult<BTreeMap<String, ServiceInput>> {
    let rows = sqlx::query("SELECT name, spec FROM services WHERE project = $1")
        .bind(project)
        .fetch_all(&state.db.pool)
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("name")?, json_column(row, "spec")?)))
        .collect()
}

/// Services in startup order: the groups first, then the rest by name.
fn in_startup_order(order: &[Vec<String>], names: &BTreeSet<String>) -> Vec<String> {
    let mut out: Vec<String> = order
        .iter()
        .flatten()
        .filter(|name| names.contains(*name))
        .cloned()
        .collect();
    for name in names {
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    out
}

/// Sets a dotted path in a values document, creating mappings on the way.
fn set_path(values: &mut Value, path: &str, text: &str) {
    let mut node = values;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Value::Object(map) = node else { return };
        if parts.peek().is_none() {
            map.insert(part.to_owned(), Value::String(text.to_owned()));
            return;
        }
        node = map
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// Writes a target image into values where the container says it goes.
fn place_image(values: &mut Value, paths: &ImageValues, reference: &Reference) {
    let repository = format!("{}/{}", reference.registry, reference.repository);
    if let Some(path) = &paths.image {
        set_path(values, path, &reference.to_string());
    }
    if let Some(path) = &paths.repository {
        set_path(values, path, &repository);
    }
    if let (Some(path), Some(tag)) = (&paths.tag, &reference.tag) {
        set_path(values, path, tag);
    }
}

fn parse_reference(text: &str, what: &str) -> ApiResult<Reference> {
    text.parse()
        .map_err(|error: String| ApiError::BadRequest(format!("{what}: {error}")))
}

/// The target of an image: the registry's URL (host and namespace), the source's last path
/// segment, and the tag.
fn image_target(registry_url: &str, source: &Reference, tag: &str) -> ApiResult<Reference> {
    let name = source
        .repository
        .rsplit('/')
        .next()
        .unwrap_or(&source.repository);
    parse_reference(
        &format!("{}/{name}:{tag}", registry_url.trim_end_matches('/')),
        "target image",
    )
}

/// Resolves a request into a snapshot; reads the registries for digests and chart versions.
pub(crate) async fn resolve(
    state: &AppState,
    project: &Project,
    input: &VersionInput,
) -> ApiResult<Resolved> {
    if input.name.trim().is_empty() || input.name.len() > 100 || input.name.contains('/') {
        return Err(ApiError::BadRequest(
            "a version needs a name of 1 to 100 characters without `/`".to_owned(),
        ));
    }
    let registries = registries(state).await?;
    let client = client(&registries);
    let image_registry = input
        .image_registry
        .as_deref()
        .map(|name| find(&registries, name, RegistryKind::Image))
        .transpose()?;
    let charts =
        match (&input.chart_repository, project.kind) {
            (Some(name), ProjectKind::Helm) => {
                Some((name.clone(), chart_repository(&registries, name)?))
            }
            (None, ProjectKind::Helm) => return Err(ApiError::BadRequest(
                "a Helm project's version needs `chart_repository` (a chart registry or `builtin`)"
                    .to_owned(),
            )),
            (Some(_), ProjectKind::K8sYaml) => {
                return Err(ApiError::BadRequest(
                    "a K8s YAML project has no charts: leave out `chart_repository`".to_owned(),
                ))
            }
            (None, ProjectKind::K8sYaml) => None,
        };
    let services = load_services(state, &project.name).await?;
    let global = input
        .global_values
        .clone()
        .unwrap_or_else(api::empty_object);
    if !global.is_object() {
        return Err(ApiError::BadRequest(
            "`global_values` must be an object".to_owned(),
        ));
    }
    if project.kind == ProjectKind::K8sYaml && input.global_values.is_some() {
        return Err(ApiError::BadRequest(
            "global variables apply to Helm values; a K8s YAML project has none".to_owned(),
        ));
    }

    // Step 2: what runs, per service.
    struct Source {
        state: ServiceState,
        chart_source: Option<(String, String)>,
    }
    let mut sources: BTreeMap<String, Source> = BTreeMap::new();
    let (source_kind, source_environment, source_version);
    match (&input.source.from_env, &input.source.from_version) {
        (Some(from), None) => {
            source_kind = "from_env";
            source_environment = Some(from.environment.clone());
            source_version = None;
            let rows = sqlx::query("SELECT service, state FROM environment_services WHERE project = $1 AND environment = $2")
                .bind(&project.name)
                .bind(&from.environment)
                .fetch_all(&state.db.pool)
                .await?;
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM environments WHERE project = $1 AND name = $2")
                    .bind(&project.name)
                    .bind(&from.environment)
                    .fetch_optional(&state.db.pool)
                    .await?;
            if exists.is_none() {
                return Err(ApiError::BadRequest(format!(
                    "project `{}` has no environment `{}`",
                    project.name, from.environment
                )));
            }
            let mut reported: BTreeMap<String, ServiceState> = BTreeMap::new();
            for row in &rows {
                reported.insert(row.try_get("service")?, json_column(row, "state")?);
            }
            let wanted: Vec<String> = if from.services.is_empty() {
                reported.keys().cloned().collect()
            } else {
                from.services.clone()
            };
            if wanted.is_empty() {
                return Err(ApiError::BadRequest(format!(
                    "environment `{}` reports no services yet",
                    from.environment
                )));
            }
            for name in wanted {
                let service = services.get(&name).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "project `{}` has no service `{name}`",
                        project.name
                    ))
                })?;
                let state = reported.get(&name).cloned().ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "environment `{}` has not reported service `{name}`; report it with PUT /api/v1/projects/{}/environments/{}/services/{name}",
                        from.environment, project.name, from.environment
                    ))
                })?;
                let chart_source = match project.kind {
                    ProjectKind::Helm => {
                        let source = service.chart.as_ref().ok_or_else(|| {
                            ApiError::BadRequest(format!(
                                "service `{name}` has no chart (set `chart` on the service)"
                            ))
                        })?;
                        let deployed = state.chart.as_ref().ok_or_else(|| {
                            ApiError::BadRequest(format!(
                                "environment `{}` reported no chart version for service `{name}`",
                                from.environment
                            ))
                        })?;
                        if deployed.name != source.name {
                            return Err(ApiError::BadRequest(format!(
                                "environment `{}` runs chart `{}` for service `{name}`, whose chart is `{}`",
                                from.environment, deployed.name, source.name
                            )));
                        }
                        Some((source.repository.clone(), deployed.version.clone()))
                    }
                    ProjectKind::K8sYaml => {
                        if state.yaml.is_none() && service.yaml.is_none() {
                            return Err(ApiError::BadRequest(format!(
                                "service `{name}` has no YAML in environment `{}`",
                                from.environment
                            )));
                        }
                        None
                    }
                };
                let mut state = state;
                if project.kind == ProjectKind::K8sYaml && state.yaml.is_none() {
                    state.yaml = service.yaml.clone();
                }
                sources.insert(
                    name,
                    Source {
                        state,
                        chart_source,
                    },
                );
            }
        }
        (None, Some(from)) => {
            source_kind = "from_version";
            source_environment = None;
            source_version = Some(from.version.clone());
            let previous =
                detail(state, project, &from.version)
                    .await
                    .map_err(|error| match error {
                        ApiError::NotFound(what) => {
                            ApiError::BadRequest(format!("{what} not found"))
                        }
                        other => other,
                    })?;
            if previous.status != VersionStatus::Success {
                return Err(ApiError::BadRequest(format!(
                    "version `{}` is {}; only a successful version can be pushed again",
                    from.version,
                    previous.status.as_str()
                )));
            }
            for service in previous.services {
                let images = service
                    .images
                    .iter()
                    .map(|image| api::DeployedImage {
                        service_module: image.service_module.clone(),
                        image: image.target.clone().unwrap_or_else(|| image.source.clone()),
                        digest: Some(
                            image
                                .digest
                                .clone()
                                .unwrap_or_else(|| image.source_digest.clone()),
                        ),
                    })
                    .collect();
                let chart_source = service
                    .chart
                    .as_ref()
                    .map(|chart| (chart.repository.clone(), chart.version.clone()));
                let state = ServiceState {
                    images,
                    values: service.values.clone(),
                    yaml: service.yaml.clone(),
                    chart: service.chart.as_ref().map(|chart| api::DeployedChart {
                        name: chart.name.clone(),
                        version: chart.version.clone(),
                    }),
                };
                sources.insert(
                    service.name.clone(),
                    Source {
                        state,
                        chart_source,
                    },
                );
            }
        }
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one source: `source.from_env` or `source.from_version`".to_owned(),
            ))
        }
    }
    for name in input.services.keys() {
        if !sources.contains_key(name) {
            return Err(ApiError::BadRequest(format!(
                "`services.{name}` edits a service the version does not include"
            )));
        }
    }
    for image in &input.images {
        let known = sources.get(&image.service).is_some_and(|source| {
            source
                .state
                .images
                .iter()
                .any(|deployed| deployed.service_module == image.service_module)
        });
        if !known {
            return Err(ApiError::BadRequest(format!(
                "`images` names {}/{}, which the version does not include",
                image.service, image.service_module
            )));
        }
    }
    for target in &input.charts {
        if !sources.contains_key(&target.service) {
            return Err(ApiError::BadRequest(format!(
                "`charts` names service `{}`, which the version does not include",
                target.service
            )));
        }
    }

    // Step 3: targets, images by digest, configuration with target images.
    let names: BTreeSet<String> = sources.keys().cloned().collect();
    let order = in_startup_order(&project.startup_order, &names);
    let mut snapshots = Vec::new();
    let mut items = Vec::new();
    let mut targets: BTreeMap<String, String> = BTreeMap::new();
    for name in &order {
        let Some(source) = sources.get(name) else {
            continue;
        };
        let edit = input.services.get(name).cloned().unwrap_or_default();
        let containers = services
            .get(name)
            .map(|service| service.containers.clone())
            .unwrap_or_default();
        let mut base_values = None;
        let mut values = None;
        let mut yaml = None;
        if project.kind == ProjectKind::Helm {
            let mut merged = source
                .state
                .values
                .clone()
                .unwrap_or_else(api::empty_object);
            if let Some(layer) = &edit.values {
                chart::deep_merge(&mut merged, layer);
            }
            base_values = Some(merged.clone());
            chart::deep_merge(&mut merged, &global);
            values = Some(merged);
        } else {
            yaml = edit.yaml.clone().or_else(|| source.state.yaml.clone());
        }
        for deployed in &source.state.images {
            let what = format!("image of {name}/{}", deployed.service_module);
            let reference = parse_reference(&deployed.image, &what)?;
            let choice = input.images.iter().find(|image| {
                image.service == *name && image.service_module == deployed.service_module
            });
            let digest = match deployed.digest.clone().or_else(|| reference.digest.clone()) {
                Some(digest) => digest,
                None => {
                    let (client, reference) = (client.clone(), reference.clone());
                    blocking(move || client.manifest_digest(&reference))
                        .await?
                        .map_err(|error| {
                            ApiError::BadRequest(format!(
                                "cannot find the digest of {what}: {error}"
                            ))
                        })?
                }
            };
            verso_registry::digest::validate(&digest)
                .map_err(|error| ApiError::BadRequest(format!("{what}: {error}")))?;
            let push =
                image_registry.is_some() && choice.and_then(|choice| choice.push).unwrap_or(true);
            let target = match (image_registry, push) {
                (Some(registry), true) => {
                    let tag = choice
                        .and_then(|choice| choice.tag.clone())
                        .or_else(|| reference.tag.clone())
                        .ok_or_else(|| {
                            ApiError::BadRequest(format!(
                                "{what} has no tag: give a target `tag` in `images`"
                            ))
                        })?;
                    let target = image_target(&registry.url, &reference, &tag)?;
                    if let Some(other) = targets.insert(target.to_string(), digest.clone()) {
                        if other != digest {
                            return Err(ApiError::BadRequest(format!(
                                "two images of this version would be pushed to {target} with different digests"
                            )));
                        }
                    }
                    Some(target)
                }
                _ => None,
            };
            let placed = target.clone().unwrap_or_else(|| reference.clone());
            if let Some(values) = values.as_mut() {
                if let Some(paths) = containers
                    .iter()
                    .find(|container| container.name == deployed.service_module)
                    .and_then(|container| container.values.as_ref())
                {
                    place_image(values, paths, &placed);
                }
            }
            if let (Some(text), Some(target)) = (yaml.as_mut(), &target) {
                *text = text.replace(&deployed.image, &target.to_string());
            }
            items.push(ItemSpec::Image {
                service: name.clone(),
                module: deployed.service_module.clone(),
                item: ImageItem {
                    source: reference.with_digest(&digest).to_string(),
                    source_digest: digest,
                    target: target.map(|target| target.to_string()),
                    push,
                },
            });
        }
        if let (Some((source_repository, source_version)), Some((repository_name, repository))) =
            (&source.chart_source, &charts)
        {
            let chart_name = source
                .state
                .chart
                .as_ref()
                .map(|chart| chart.name.clone())
                .unwrap_or_default();
            let chosen = input
                .charts
                .iter()
                .find(|target| target.service == *name)
                .and_then(|target| target.version.clone());
            let version = match chosen {
                Some(version) => {
                    Version::parse_strict(&version).map_err(|error| {
                        ApiError::BadRequest(format!(
                            "chart version `{version}` of service `{name}`: {error}"
                        ))
                    })?;
                    version
                }
                None => {
                    let existing = chart_versions(state, &client, repository, &chart_name).await?;
                    suggest_chart_version(&existing, Some(source_version))
                }
            };
            items.push(ItemSpec::Chart {
                service: name.clone(),
                chart: chart_name,
                item: ChartItem {
                    source_repository: source_repository.clone(),
                    source_version: source_version.clone(),
                    version,
                    repository: repository_name.clone(),
                },
            });
        }
        snapshots.push(ServiceSnapshot {
            name: name.clone(),
            values,
            base_values,
            yaml,
        });
    }
    let startup_order: Vec<Vec<String>> = project
        .startup_order
        .iter()
        .map(|group| {
            group
                .iter()
                .filter(|name| names.contains(*name))
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|group| !group.is_empty())
        .collect();
    Ok(Resolved {
        spec: VersionSpec {
            description: input.description.clone(),
            source: source_kind.to_owned(),
            source_environment,
            source_version,
            image_registry: input.image_registry.clone(),
            chart_repository: input.chart_repository.clone(),
            startup_order,
            global_values: global,
            services: snapshots,
            draft: None,
        },
        items,
        registries,
        client,
    })
}

/// Refuses targets that hold other content already: an image tag at another digest, a chart
/// version that exists.
pub(crate) async fn check_conflicts(state: &AppState, resolved: &Resolved) -> ApiResult<()> {
    let (registries, client) = (&resolved.registries, &resolved.client);
    for item in &resolved.items {
        match item {
            ItemSpec::Image { item, .. } => {
                let Some(target) = &item.target else { continue };
                let reference = parse_reference(target, "target image")?;
                let probe = (client.clone(), reference.clone());
                let found = blocking(move || probe.0.manifest_digest(&probe.1)).await?;
                match found {
                    Ok(digest) if digest != item.source_digest => {
                        return Err(ApiError::Conflict(format!(
                            "{target} already exists with digest {digest}, not {}; choose another tag",
                            item.source_digest
                        )))
                    }
                    Ok(_) | Err(verso_registry::Error::NotFound(_)) => {}
                    Err(error) => {
                        return Err(ApiError::BadRequest(format!("cannot check {target}: {error}")))
                    }
                }
            }
            ItemSpec::Chart { chart, item, .. } => {
                let repository = chart_repository(registries, &item.repository)?;
                let existing = chart_versions(state, client, &repository, chart).await?;
                if existing.contains(&item.version) {
                    return Err(ApiError::Conflict(format!(
                        "chart {chart} {} already exists in `{}`; choose another version (suggested: {})",
                        item.version,
                        item.repository,
                        suggest_chart_version(&existing, Some(&item.version))
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Stores a resolved version (status `creating`) with its items and queues its job.
pub(crate) async fn insert(
    state: &AppState,
    project: &str,
    name: &str,
    labels: &[String],
    resolved: &Resolved,
    actor: &str,
    existing_id: Option<&str>,
) -> ApiResult<String> {
    let mut tx = state.db.pool.begin().await?;
    let now = db::now_ms();
    let id = match existing_id {
        Some(id) => id.to_owned(),
        None => db::new_id("ver"),
    };
    let job = crate::jobs::enqueue(&mut *tx, "version.create", &id, now).await?;
    if existing_id.is_some() {
        sqlx::query("UPDATE versions SET status = 'creating', spec = $2, labels = $3, job_id = $4, started_at = $5, description = $6 WHERE id = $1")
            .bind(&id)
            .bind(serde_json::to_string(&resolved.spec)?)
            .bind(serde_json::to_string(labels)?)
            .bind(&job)
            .bind(now)
            .bind(&resolved.spec.description)
            .execute(&mut *tx)
            .await?;
    } else {
        claim_name(&mut tx, project, name).await?;
        sqlx::query(
            "INSERT INTO versions (id, project, name, status, spec, labels, error, job_id, created_by, created_at, started_at, description) VALUES ($1, $2, $3, 'creating', $4, $5, '', $6, $7, $8, $8, $9)",
        )
        .bind(&id)
        .bind(project)
        .bind(name)
        .bind(serde_json::to_string(&resolved.spec)?)
        .bind(serde_json::to_string(labels)?)
        .bind(&job)
        .bind(actor)
        .bind(now)
        .bind(&resolved.spec.description)
        .execute(&mut *tx)
        .await?;
    }
    for (seq, item) in resolved.items.iter().enumerate() {
        let (kind, service, item_name, spec, status) = match item {
            ItemSpec::Image {
                service,
                module,
                item,
            } => (
                "image",
                service,
                module,
                serde_json::to_string(item)?,
                if item.push { "pending" } else { "skipped" },
            ),
            ItemSpec::Chart {
                service,
                chart,
                item,
            } => (
                "chart",
                service,
                chart,
                serde_json::to_string(item)?,
                "pending",
            ),
        };
        sqlx::query(
            "INSERT INTO version_items (version_id, seq, kind, service, name, spec, status, error, log, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, '', '', $8)",
        )
        .bind(&id)
        .bind(seq as i64)
        .bind(kind)
        .bind(service)
        .bind(item_name)
        .bind(spec)
        .bind(status)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    state.wake.notify_waiters();
    Ok(id)
}

/// Takes a version name for good (names of deleted versions stay taken).
pub(crate) async fn claim_name(
    conn: &mut sqlx::AnyConnection,
    project: &str,
    name: &str,
) -> ApiResult<()> {
    let claimed = sqlx::query("INSERT INTO version_names (project, name) VALUES ($1, $2) ON CONFLICT (project, name) DO NOTHING")
        .bind(project)
        .bind(name)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if claimed == 0 {
        return Err(ApiError::Conflict(format!(
            "project `{project}` already has (or had) a version named `{name}`; names are never reused"
        )));
    }
    Ok(())
}

struct ItemRow {
    seq: i64,
    kind: String,
    service: String,
    name: String,
    spec: String,
    status: String,
    digest: Option<String>,
    url: Option<String>,
    error: String,
    log: String,
}

async fn load_items(state: &AppState, version_id: &str) -> ApiResult<Vec<ItemRow>> {
    let rows = sqlx::query("SELECT seq, kind, service, name, spec, status, digest, url, error, log FROM version_items WHERE version_id = $1 ORDER BY seq")
        .bind(version_id)
        .fetch_all(&state.db.pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ItemRow {
                seq: row.try_get("seq")?,
                kind: row.try_get("kind")?,
                service: row.try_get("service")?,
                name: row.try_get("name")?,
                spec: row.try_get("spec")?,
                status: row.try_get("status")?,
                digest: row.try_get("digest")?,
                url: row.try_get("url")?,
                error: row.try_get("error")?,
                log: row.try_get("log")?,
            })
        })
        .collect()
}

/// A version with everything it holds.
pub(crate) async fn detail(
    state: &AppState,
    project: &Project,
    name: &str,
) -> ApiResult<DeliveryVersion> {
    let row = sqlx::query("SELECT id, status, spec, labels, error, content_digest, job_id, created_by, created_at, started_at, finished_at FROM versions WHERE project = $1 AND name = $2")
        .bind(&project.name)
        .bind(name)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("version `{name}` of project `{}`", project.name)))?;
    let id: String = row.try_get("id")?;
    let spec: VersionSpec = json_column(&row, "spec")?;
    let status: String = row.try_get("status")?;
    let items = load_items(state, &id).await?;
    let mut services = Vec::new();
    for snapshot in &spec.services {
        let mut images = Vec::new();
        let mut chart = None;
        for item in items.iter().filter(|item| item.service == snapshot.name) {
            if item.kind == "image" {
                let spec: ImageItem = serde_json::from_str(&item.spec)?;
                images.push(VersionImage {
                    service_module: item.name.clone(),
                    source: spec.source,
                    source_digest: spec.source_digest,
                    target: spec.target,
                    push: spec.push,
                    digest: item.digest.clone(),
                    status: item.status.clone(),
                    error: item.error.clone(),
                    log: item.log.clone(),
                });
            } else {
                let spec: ChartItem = serde_json::from_str(&item.spec)?;
                chart = Some(VersionChart {
                    name: item.name.clone(),
                    version: spec.version,
                    source_repository: spec.source_repository,
                    source_version: spec.source_version,
                    repository: spec.repository,
                    url: item.url.clone(),
                    digest: item.digest.clone(),
                    status: item.status.clone(),
                    error: item.error.clone(),
                    log: item.log.clone(),
                });
            }
        }
        services.push(VersionService {
            name: snapshot.name.clone(),
            values: snapshot.values.clone(),
            base_values: snapshot.base_values.clone(),
            yaml: snapshot.yaml.clone(),
            images,
            chart,
        });
    }
    let job_id: Option<String> = row.try_get("job_id")?;
    let job = match &job_id {
        Some(job_id) => {
            sqlx::query("SELECT id, status, attempts, last_error FROM jobs WHERE id = $1")
                .bind(job_id)
                .fetch_optional(&state.db.pool)
                .await?
                .map(|row| {
                    Ok::<_, sqlx::Error>(JobInfo {
                        id: row.try_get("id")?,
                        status: row.try_get("status")?,
                        attempts: row.try_get("attempts")?,
                        last_error: row.try_get("last_error")?,
                    })
                })
                .transpose()?
        }
        None => None,
    };
    Ok(DeliveryVersion {
        id,
        project: project.name.clone(),
        name: name.to_owned(),
        status: VersionStatus::parse(&status).unwrap_or(VersionStatus::Failed),
        labels: json_column(&row, "labels")?,
        description: spec.description.clone(),
        source: spec.source.clone(),
        source_environment: spec.source_environment.clone(),
        source_version: spec.source_version.clone(),
        error: row.try_get("error")?,
        content_digest: row.try_get("content_digest")?,
        image_registry: spec.image_registry.clone(),
        chart_repository: spec.chart_repository.clone(),
        startup_order: spec.startup_order.clone(),
        global_values: spec.global_values.clone(),
        services,
        job,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        draft: spec.draft.clone(),
    })
}

/// A JSON text with object keys sorted, whatever order the maps keep.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            out.push('{');
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(list) => {
            out.push('[');
            for (i, item) in list.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The content digest: services (in startup order) with their configuration, image digests
/// and chart digests, and the startup order.
pub(crate) fn content_digest(version: &DeliveryVersion) -> String {
    let services: Vec<Value> = version
        .services
        .iter()
        .map(|service| {
            json!({
                "name": service.name,
                "values": service.values,
                "yaml": service.yaml,
                "images": service.images.iter().map(|image| json!({
                    "service_module": image.service_module,
                    "image": image.target.as_ref().unwrap_or(&image.source),
                    "digest": image.digest.as_ref().unwrap_or(&image.source_digest),
                })).collect::<Vec<_>>(),
                "chart": service.chart.as_ref().map(|chart| json!({
                    "name": chart.name, "version": chart.version, "digest": chart.digest,
                })),
            })
        })
        .collect();
    let mut text = String::new();
    canonical(
        &json!({ "services": services, "startup_order": version.startup_order }),
        &mut text,
    );
    verso_registry::digest::sha256(text.as_bytes())
}

/// The seed's hook payload. K8s YAML versions have no charts: each service is an entry named
/// after it, with an empty version and URL, holding its images.
pub(crate) fn hook_payload(version: &DeliveryVersion, project_kind: ProjectKind) -> Value {
    let seconds = |ms: Option<i64>| ms.map(|ms| (ms / 1000).to_string()).unwrap_or_default();
    let charts: Vec<Value> = version
        .services
        .iter()
        .map(|service| {
            let images: Vec<Value> = service
                .images
                .iter()
                .map(|image| {
                    json!({
                        "service_module": image.service_module,
                        "image": image.target.as_ref().unwrap_or(&image.source),
                    })
                })
                .collect();
            match (&service.chart, project_kind) {
                (Some(chart), _) => json!({
                    "chart_name": chart.name,
                    "chart_version": chart.version,
                    "chart_url": chart.url.clone().unwrap_or_default(),
                    "images": images,
                }),
                (None, _) => json!({
                    "chart_name": service.name,
                    "chart_version": "",
                    "chart_url": "",
                    "images": images,
                }),
            }
        })
        .collect();
    json!({
        "project_name": version.project,
        "version": version.name,
        "status": version.status.as_str(),
        "error": version.error,
        "start_time": seconds(version.started_at.or(Some(version.created_at))),
        "end_time": seconds(version.finished_at),
        "charts": charts,
    })
}

/// What became of one item.
struct Recorded<'a> {
    status: &'a str,
    digest: Option<&'a str>,
    url: Option<&'a str>,
    error: &'a str,
    log: &'a str,
}

impl<'a> Recorded<'a> {
    fn failed(error: &'a str) -> Self {
        Recorded {
            status: "failed",
            digest: None,
            url: None,
            error,
            log: "",
        }
    }

    fn success(digest: &'a str, url: Option<&'a str>, log: &'a str) -> Self {
        Recorded {
            status: "success",
            digest: Some(digest),
            url,
            error: "",
            log,
        }
    }
}

async fn record_item(
    state: &AppState,
    version_id: &str,
    seq: i64,
    recorded: Recorded<'_>,
) -> sqlx::Result<()> {
    let Recorded {
        status,
        digest,
        url,
        error,
        log,
    } = recorded;
    sqlx::query("UPDATE version_items SET status = $3, digest = $4, url = $5, error = $6, log = $7, updated_at = $8 WHERE version_id = $1 AND seq = $2")
        .bind(version_id)
        .bind(seq)
        .bind(status)
        .bind(digest)
        .bind(url)
        .bind(error)
        .bind(log)
        .bind(db::now_ms())
        .execute(&state.db.pool)
        .await?;
    if let Some(limit) = state.settings.crash_after_items {
        let done: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM version_items WHERE version_id = $1 AND status = 'success'",
        )
        .bind(version_id)
        .fetch_one(&state.db.pool)
        .await?;
        if done >= i64::from(limit) {
            eprintln!(
                "{}: stopping the process after {done} items, as asked",
                crate::env::CRASH_AFTER_ITEMS
            );
            std::process::abort();
        }
    }
    Ok(())
}

/// The `version.create` job. Idempotent: finished items are skipped, a copy or push that
/// happened before a crash is found present.
pub(crate) async fn run_version(state: &AppState, version_id: &str) -> anyhow::Result<Outcome> {
    let row = sqlx::query("SELECT project, name, status, spec FROM versions WHERE id = $1")
        .bind(version_id)
        .fetch_optional(&state.db.pool)
        .await?;
    let Some(row) = row else {
        return Ok(Outcome::Done); // deleted meanwhile
    };
    let status: String = row.try_get("status")?;
    if status != "creating" && status != "retrying" {
        return Ok(Outcome::Done);
    }
    let project_name: String = row.try_get("project")?;
    let version_name: String = row.try_get("name")?;
    let spec: VersionSpec = json_column(&row, "spec")?;
    let registries = registries(state).await.map_err(api_to_anyhow)?;
    let client = client(&registries);
    let items = load_items(state, version_id).await.map_err(api_to_anyhow)?;
    let mut failed_services: BTreeSet<String> = items
        .iter()
        .filter(|item| item.kind == "image" && item.status == "failed")
        .map(|item| item.service.clone())
        .collect();
    for item in items.iter().filter(|item| item.kind == "image") {
        if item.status == "success" || item.status == "skipped" {
            continue;
        }
        let spec: ImageItem = serde_json::from_str(&item.spec)?;
        let Some(target) = spec.target.clone() else {
            continue;
        };
        let copy_client = client.clone();
        let source = spec.source.clone();
        let result = tokio::task::spawn_blocking(move || -> Result<oci::CopyReport, String> {
            let source: Reference = source.parse()?;
            let target: Reference = target.parse()?;
            oci::copy(&copy_client, &source, &target, &CopyOptions::default())
                .map_err(|error| error.to_string())
        })
        .await?;
        match result {
            Ok(report) if report.digest == spec.source_digest => {
                let log = format!(
                    "copied {} → {}: {} manifests, {} blobs ({} present, {} mounted, {} bytes uploaded)",
                    report.source, report.target, report.manifests, report.blobs, report.blobs_present, report.blobs_mounted, report.bytes_uploaded
                );
                record_item(
                    state,
                    version_id,
                    item.seq,
                    Recorded::success(&report.digest, None, &log),
                )
                .await?;
            }
            Ok(report) => {
                failed_services.insert(item.service.clone());
                let error = format!(
                    "the copy has digest {}, not {}",
                    report.digest, spec.source_digest
                );
                record_item(state, version_id, item.seq, Recorded::failed(&error)).await?;
            }
            Err(error) => {
                failed_services.insert(item.service.clone());
                record_item(state, version_id, item.seq, Recorded::failed(&error)).await?;
            }
        }
    }
    for item in items.iter().filter(|item| item.kind == "chart") {
        if item.status == "success" {
            continue;
        }
        let chart_spec: ChartItem = serde_json::from_str(&item.spec)?;
        if failed_services.contains(&item.service) {
            let error = format!("not pushed: an image of service `{}` failed", item.service);
            record_item(state, version_id, item.seq, Recorded::failed(&error)).await?;
            continue;
        }
        let values = spec
            .services
            .iter()
            .find(|service| service.name == item.service)
            .and_then(|service| service.values.clone());
        match push_chart(state, &client, &registries, &item.name, &chart_spec, values).await {
            Ok((digest, url, log)) => {
                record_item(
                    state,
                    version_id,
                    item.seq,
                    Recorded::success(&digest, Some(&url), &log),
                )
                .await?;
            }
            Err(error) => {
                record_item(state, version_id, item.seq, Recorded::failed(&error)).await?;
            }
        }
    }
    finish(state, version_id, &project_name, &version_name).await?;
    Ok(Outcome::Done)
}

fn api_to_anyhow(error: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{error}")
}

/// Pulls the chart the environment runs, packages it with the version's values and version,
/// and pushes it. Returns the digest, the URL and a log line.
async fn push_chart(
    state: &AppState,
    client: &Arc<Client>,
    registries: &[RegistryRow],
    name: &str,
    item: &ChartItem,
    values: Option<Value>,
) -> Result<(String, String, String), String> {
    let limits = Limits::default();
    let source =
        chart_repository(registries, &item.source_repository).map_err(|error| error.to_string())?;
    let chart = match source {
        Charts::Builtin => {
            let (bytes, _) = chartrepo::fetch(&state.db, name, &item.source_version)
                .await
                .map_err(|error| error.to_string())?
                .ok_or_else(|| {
                    format!(
                        "chart {name} {} is not in the built-in repository",
                        item.source_version
                    )
                })?;
            chart::read_archive(
                &bytes,
                &format!("{name}-{}.tgz", item.source_version),
                &limits,
            )
            .map_err(|error| error.to_string())?
        }
        Charts::Remote(repository) => {
            let (client, name, version) =
                (client.clone(), name.to_owned(), item.source_version.clone());
            tokio::task::spawn_blocking(move || {
                chart::pull(&client, &repository, &name, Some(&version), &limits)
            })
            .await
            .map_err(|error| error.to_string())?
            .map_err(|error| error.to_string())?
            .chart
        }
    };
    let package = chart::package(
        &chart,
        &Overrides {
            version: Some(item.version.clone()),
            app_version: None,
            values,
        },
    )
    .map_err(|error| error.to_string())?;
    let target =
        chart_repository(registries, &item.repository).map_err(|error| error.to_string())?;
    match target {
        Charts::Builtin => {
            let stored = chartrepo::store(&state.db, &package.bytes)
                .await
                .map_err(|error| error.to_string())?;
            let url = chartrepo::chart_url(&state.public_url, name, &item.version);
            let log = match stored {
                Stored::Created { .. } => format!(
                    "packaged {name} {} and stored it in the built-in repository",
                    item.version
                ),
                Stored::Present { .. } => format!(
                    "{name} {} was already in the built-in repository with these bytes",
                    item.version
                ),
            };
            Ok((package.digest, url, log))
        }
        Charts::Remote(repository) => {
            let client = client.clone();
            let digest = package.digest.clone();
            let pushed =
                tokio::task::spawn_blocking(move || chart::push(&client, &repository, &package))
                    .await
                    .map_err(|error| error.to_string())?
                    .map_err(|error| error.to_string())?;
            let (url, log) = match pushed {
                chart::Pushed::Created { location } => {
                    (location.clone(), format!("pushed {location}"))
                }
                chart::Pushed::Present { location } => (
                    location.clone(),
                    format!("{location} was already there with these bytes"),
                ),
            };
            Ok((digest, url, log))
        }
    }
}

/// Settles a version once every item has run: success with its content digest, or failed
/// with the items' errors; queues the hook deliveries in the same transaction.
async fn finish(
    state: &AppState,
    version_id: &str,
    project_name: &str,
    name: &str,
) -> anyhow::Result<()> {
    let project = load_project(state, project_name)
        .await
        .map_err(api_to_anyhow)?;
    let mut version = detail(state, &project, name).await.map_err(api_to_anyhow)?;
    let mut failures = Vec::new();
    for service in &version.services {
        for image in service
            .images
            .iter()
            .filter(|image| image.status == "failed")
        {
            failures.push(format!(
                "image {}/{}: {}",
                service.name, image.service_module, image.error
            ));
        }
        if let Some(chart) = service
            .chart
            .as_ref()
            .filter(|chart| chart.status == "failed")
        {
            failures.push(format!(
                "chart {}/{}: {}",
                service.name, chart.name, chart.error
            ));
        }
    }
    let status = if failures.is_empty() {
        VersionStatus::Success
    } else {
        VersionStatus::Failed
    };
    version.status = status;
    version.error = failures.join("; ");
    version.finished_at = Some(db::now_ms());
    let digest = (status == VersionStatus::Success).then(|| content_digest(&version));
    version.content_digest = digest.clone();
    let event = if status == VersionStatus::Success {
        HookEvent::VersionCreated
    } else {
        HookEvent::VersionFailed
    };
    let payload = hook_payload(&version, project.kind);
    // Status, digest, hook deliveries and audit entry land together: nobody sees a
    // successful version without its digest, or a finished one nobody will be told of.
    let mut tx = state.db.pool.begin().await?;
    sqlx::query("UPDATE versions SET status = $2, error = $3, finished_at = $4, content_digest = $5 WHERE id = $1")
        .bind(version_id)
        .bind(status.as_str())
        .bind(&version.error)
        .bind(version.finished_at)
        .bind(&digest)
        .execute(&mut *tx)
        .await?;
    crate::hooks::enqueue(&mut tx, project_name, name, event, &payload).await?;
    crate::audit::record(
        &mut *tx,
        "verso (job)",
        crate::audit::Entry {
            action: if status == VersionStatus::Success {
                "version.created"
            } else {
                "version.failed"
            },
            project: Some(project_name),
            object: &format!("version/{name}"),
            before: Some(version_id),
            after: digest.as_deref(),
        },
    )
    .await?;
    tx.commit().await?;
    state.wake.notify_waiters();
    tracing::info!(version.name = %name, project.name = %project_name, "version `{name}` of `{project_name}`: {}", status.as_str());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_version_suggestions_never_collide_and_never_go_down() {
        let list = |items: &[&str]| {
            items
                .iter()
                .map(|item| (*item).to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(suggest_chart_version(&[], Some("1.2.0")), "1.2.0");
        assert_eq!(suggest_chart_version(&[], None), "0.1.0");
        assert_eq!(
            suggest_chart_version(&list(&["1.2.0", "1.1.0"]), Some("1.2.0")),
            "1.2.1"
        );
        assert_eq!(
            suggest_chart_version(&list(&["1.2.0"]), Some("2.0.0")),
            "2.0.0"
        );
        assert_eq!(
            suggest_chart_version(&list(&["1.2.0", "1.3.0-rc.1"]), Some("1.0.0")),
            "1.3.0"
        );
        assert_eq!(
            suggest_chart_version(&list(&["not-semver", "0.9.0"]), None),
            "0.9.1"
        );
    }

    #[test]
    fn image_paths_are_written_into_values() {
        let mut values = json!({"image": {"pullPolicy": "Always"}, "web": "x"});
        let reference: Reference = "registry.example.com/prod/web:1.2"
            .parse()
            .expect("reference");
        place_image(
            &mut values,
            &ImageValues {
                image: Some("web".into()),
                repository: Some("image.repository".into()),
                tag: Some("image.tag".into()),
            },
            &reference,
        );
        assert_eq!(
            values,
            json!({"image": {"pullPolicy": "Always", "repository": "registry.example.com/prod/web", "tag": "1.2"},
                   "web": "registry.example.com/prod/web:1.2"})
        );
    }

    #[test]
    fn targets_keep_the_image_name_under_the_registry_namespace() {
        let source: Reference = "src.example.com/team/app/api:7".parse().expect("reference");
        let target = image_target("dst.example.com:5000/prod/", &source, "1.0").expect("target");
        assert_eq!(target.to_string(), "dst.example.com:5000/prod/api:1.0");
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let mut text = String::new();
        canonical(&json!({"b": [{"z": 1, "a": 2}], "a": null}), &mut text);
        assert_eq!(text, r#"{"a":null,"b":[{"a":2,"z":1}]}"#);
    }

    #[test]
    fn startup_order_puts_grouped_services_first() {
        let names: BTreeSet<String> = ["c", "a", "b"]
            .iter()
            .map(|name| (*name).to_owned())
            .collect();
        let order = vec![vec!["b".to_owned()], vec!["x".to_owned(), "c".to_owned()]];
        assert_eq!(in_startup_order(&order, &names), ["b", "c", "a"]);
    }
}
