//! The JSON of the REST API (`/api/v1`): requests and responses. Field names are the domain's
//! (see ARCHITECTURE.md's glossary); the OpenAPI document is generated from these types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProjectKind {
    /// Services are Kubernetes YAML templates.
    K8sYaml,
    /// Services are Helm charts.
    Helm,
}

impl ProjectKind {
    /// The name stored and shown (`k8s-yaml`, `helm`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ProjectKind::K8sYaml => "k8s-yaml",
            ProjectKind::Helm => "helm",
        }
    }

    pub(crate) fn from_stored(text: &str) -> ProjectKind {
        if text == "helm" {
            ProjectKind::Helm
        } else {
            ProjectKind::K8sYaml
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    pub name: String,
    pub kind: ProjectKind,
    #[serde(default)]
    pub description: String,
    /// Groups of service names, started one group after another.
    #[serde(default)]
    pub startup_order: Vec<Vec<String>>,
    /// Lets hooks call loopback, link-local and private addresses (refused otherwise).
    #[serde(default)]
    pub allow_private_hooks: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Project {
    pub name: String,
    pub kind: ProjectKind,
    pub description: String,
    pub startup_order: Vec<Vec<String>>,
    pub allow_private_hooks: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Where a container's image goes in a chart's values (dotted paths).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageValues {
    /// Path of the whole reference (`registry/name:tag`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Path of `registry/name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Path of the tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// A service module: one container of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Container {
    pub name: String,
    /// The image reference as the service declares it (`registry/name:tag`).
    pub image: String,
    /// Chart services: where the image sits in the values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<ImageValues>,
}

/// Where a chart service's chart comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChartSource {
    /// A chart registry's name, or `builtin` for verso's own repository.
    pub repository: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    #[serde(default)]
    pub containers: Vec<Container>,
    /// Helm projects: the service's chart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartSource>,
    /// K8s YAML projects: the template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yaml: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Service {
    pub name: String,
    #[serde(flatten)]
    pub spec: ServiceInput,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RegistryKind {
    /// An OCI image registry.
    Image,
    /// A chart repository: `http(s)://` (ChartMuseum API) or `oci://`.
    Chart,
}

impl RegistryKind {
    /// The name stored and shown (`image`, `chart`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RegistryKind::Image => "image",
            RegistryKind::Chart => "chart",
        }
    }

    pub(crate) fn from_stored(text: &str) -> RegistryKind {
        if text == "chart" {
            RegistryKind::Chart
        } else {
            RegistryKind::Image
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistryInput {
    pub name: String,
    pub kind: RegistryKind,
    /// Image registries: `host[:port][/namespace]`; chart repositories: `https://…` or `oci://…`.
    pub url: String,
    #[serde(default)]
    pub username: Option<String>,
    /// Stored encrypted; never returned.
    #[serde(default)]
    pub password: Option<String>,
    /// Speak HTTP instead of HTTPS (local hosts always do).
    #[serde(default)]
    pub plain_http: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Registry {
    pub name: String,
    pub kind: RegistryKind,
    pub url: String,
    pub username: Option<String>,
    pub has_password: bool,
    pub plain_http: bool,
    /// verso's own chart repository (`builtin`).
    pub builtin: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentInput {
    #[serde(default)]
    pub production: bool,
    /// Values deep-merged over every service's values when a version is cut from here.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub global_values: Value,
}

pub(crate) fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployedImage {
    pub service_module: String,
    /// The reference that runs (`registry/name:tag`, or pinned `@sha256:…`).
    pub image: String,
    /// The manifest digest that runs; looked up from the registry when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployedChart {
    pub name: String,
    pub version: String,
}

/// What runs of one service in an environment, as reported by CI.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceState {
    #[serde(default)]
    pub images: Vec<DeployedImage>,
    /// Helm: the values the release runs with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub values: Option<Value>,
    /// K8s YAML: the rendered YAML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yaml: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<DeployedChart>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnvironmentService {
    pub service: String,
    #[serde(flatten)]
    pub state: ServiceState,
    pub updated_at: i64,
    pub updated_by: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Environment {
    pub name: String,
    pub production: bool,
    #[schema(value_type = Object)]
    pub global_values: Value,
    pub services: Vec<EnvironmentService>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_env: Option<FromEnv>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_version: Option<FromVersion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromEnv {
    pub environment: String,
    /// The services to take; empty = every service the environment reports.
    #[serde(default)]
    pub services: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromVersion {
    pub version: String,
}

/// Edits of one service's configuration for this version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceEdit {
    /// Deep-merged over the environment's values (`null` removes a key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub values: Option<Value>,
    /// Replaces the rendered YAML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yaml: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageTarget {
    pub service: String,
    pub service_module: String,
    /// Copy this image to the target registry (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<bool>,
    /// Target tag (default: the source tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChartTarget {
    pub service: String,
    /// The chart version to publish (default: the suggested one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A version to create (or a draft): the seeds' three steps in one document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    /// Step 1: basic information.
    pub name: String,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub description: String,
    /// Step 2: environment and services (or another version), with edits.
    #[serde(default)]
    pub source: VersionSource,
    #[serde(default)]
    pub services: BTreeMap<String, ServiceEdit>,
    /// Helm: deep-merged over every selected service's values; global wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub global_values: Option<Value>,
    /// Step 3: where artifacts go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_registry: Option<String>,
    #[serde(default)]
    pub images: Vec<ImageTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart_repository: Option<String>,
    #[serde(default)]
    pub charts: Vec<ChartTarget>,
    /// Store without creating; edit with PUT, start with `…/submit`.
    #[serde(default)]
    pub draft: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    Draft,
    Creating,
    Success,
    Failed,
    Retrying,
}

impl VersionStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Draft => "draft",
            VersionStatus::Creating => "creating",
            VersionStatus::Success => "success",
            VersionStatus::Failed => "failed",
            VersionStatus::Retrying => "retrying",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<VersionStatus> {
        [
            VersionStatus::Draft,
            VersionStatus::Creating,
            VersionStatus::Success,
            VersionStatus::Failed,
            VersionStatus::Retrying,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// An image of a version: source → target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VersionImage {
    pub service_module: String,
    pub source: String,
    pub source_digest: String,
    /// Where it is copied (`None` when not pushed).
    pub target: Option<String>,
    pub push: bool,
    /// The digest at the target once copied (equal to `source_digest`).
    pub digest: Option<String>,
    pub status: String,
    pub error: String,
    pub log: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VersionChart {
    pub name: String,
    pub version: String,
    /// The chart the environment runs.
    pub source_repository: String,
    pub source_version: String,
    pub repository: String,
    /// Where the packaged chart can be downloaded.
    pub url: Option<String>,
    pub digest: Option<String>,
    pub status: String,
    pub error: String,
    pub log: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VersionService {
    pub name: String,
    /// Values after edits and the global layer (Helm).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub values: Option<Value>,
    /// Values before the global layer (Helm).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub base_values: Option<Value>,
    /// Rendered YAML with target images (K8s YAML).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yaml: Option<String>,
    pub images: Vec<VersionImage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<VersionChart>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobInfo {
    pub id: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryVersion {
    pub id: String,
    pub project: String,
    pub name: String,
    pub status: VersionStatus,
    pub labels: Vec<String>,
    pub description: String,
    /// `from_env`, `from_version`.
    pub source: String,
    pub source_environment: Option<String>,
    pub source_version: Option<String>,
    pub error: String,
    /// sha256 over services, configs, image and chart digests and startup order.
    pub content_digest: Option<String>,
    pub image_registry: Option<String>,
    pub chart_repository: Option<String>,
    pub startup_order: Vec<Vec<String>>,
    /// The global-variable layer.
    #[schema(value_type = Object)]
    pub global_values: Value,
    /// In startup order.
    pub services: Vec<VersionService>,
    pub job: Option<JobInfo>,
    pub created_by: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// Drafts: the stored request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft: Option<VersionInput>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionSummary {
    pub id: String,
    pub name: String,
    pub status: VersionStatus,
    pub labels: Vec<String>,
    pub description: String,
    pub content_digest: Option<String>,
    pub created_by: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionList {
    pub items: Vec<VersionSummary>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionListQuery {
    pub label: Option<String>,
    pub status: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NameQuery {
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NameCheck {
    pub name: String,
    pub available: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChartVersionQuery {
    /// A chart registry's name or `builtin`.
    pub repository: String,
    pub chart: String,
    /// The version the chart has now; the suggestion is never lower.
    pub current: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChartVersionSuggestion {
    pub repository: String,
    pub chart: String,
    /// The highest version the repository has.
    pub latest: Option<String>,
    pub suggested: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Deleted {
    pub deleted: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    pub name: String,
    /// A server admin token (every project, registries, tokens).
    #[serde(default)]
    pub admin: bool,
    /// Project → role.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Token {
    pub id: String,
    pub name: String,
    pub admin: bool,
    pub roles: BTreeMap<String, Role>,
    pub created_at: i64,
    pub created_by: String,
    pub revoked: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: Token,
    /// Shown once; only its hash is stored.
    pub token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub project: Option<String>,
    pub object: String,
    pub before_id: Option<String>,
    pub after_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub project: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum HookEvent {
    #[serde(rename = "version.created")]
    VersionCreated,
    #[serde(rename = "version.failed")]
    VersionFailed,
}

impl HookEvent {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            HookEvent::VersionCreated => "version.created",
            HookEvent::VersionFailed => "version.failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HookInput {
    pub url: String,
    /// `whsec_<base64>`; generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
    pub events: Vec<HookEvent>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Hook {
    pub id: String,
    pub url: String,
    pub events: Vec<HookEvent>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedHook {
    #[serde(flatten)]
    pub hook: Hook,
    /// Shown once.
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HookAttempt {
    pub n: i64,
    pub at: i64,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: String,
    /// The start of the response body.
    pub response: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HookDelivery {
    /// Also the `webhook-id` header, the same on every attempt.
    pub id: String,
    pub hook_id: String,
    pub event: String,
    pub version: String,
    /// `pending`, `delivered`, `failed`.
    pub status: String,
    pub attempts: Vec<HookAttempt>,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub created_at: i64,
}

/// A chart of the built-in repository.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StoredChart {
    pub name: String,
    pub version: String,
    pub digest: String,
    pub size: i64,
    pub created_at: i64,
}

/// What a version would hold: the merge of values and global variables, targets, chart
/// versions. Nothing is stored or pushed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionPreview {
    pub startup_order: Vec<Vec<String>>,
    #[schema(value_type = Object)]
    pub global_values: Value,
    pub services: Vec<VersionService>,
}
