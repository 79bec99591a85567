//! Where charts live: ChartMuseum-compatible HTTP repositories (`index.yaml` to read,
//! `POST /api/charts` to upload) and OCI registries (helm's media types, tag = version with `+`
//! written `_`). A version that is there already with the same bytes is left alone; with other
//! bytes it is a conflict, never overwritten.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::{json, Value};
use verso_core::semver::Version;

use crate::chart::archive::{read_archive, Limits};
use crate::chart::index::Index;
use crate::chart::package::Package;
use crate::chart::Chart;
use crate::digest;
use crate::error::Error;
use crate::http::{read_body, status_error};
use crate::oci::{Client, Manifest, MediaType, Reference};

/// A chart repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartRepository {
    /// `http(s)://…`: `index.yaml` under the URL, uploads to `<URL>/api/charts`.
    Http { url: String },
    /// `oci://host/path`: charts are the repositories `path/<name>`.
    Oci { registry: String, path: String },
}

impl FromStr for ChartRepository {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        if let Some(rest) = text.strip_prefix("oci://") {
            let rest = rest.trim_end_matches('/');
            let (registry, path) = rest.split_once('/').unwrap_or((rest, ""));
            // Parse a reference to check the host and path with the image grammar.
            let probe = if path.is_empty() {
                format!("{registry}/probe")
            } else {
                format!("{registry}/{path}/probe")
            };
            let reference: Reference = probe
                .parse()
                .map_err(|error: String| error.replace("/probe", ""))?;
            return Ok(ChartRepository::Oci {
                registry: reference.registry,
                path: path.to_owned(),
            });
        }
        if text.starts_with("http://") || text.starts_with("https://") {
            return Ok(ChartRepository::Http {
                url: text.trim_end_matches('/').to_owned(),
            });
        }
        Err(format!(
            "`{text}` is not a chart repository: use http(s)://… for a ChartMuseum-compatible repository or oci://host/path for an OCI registry"
        ))
    }
}

impl fmt::Display for ChartRepository {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChartRepository::Http { url } => formatter.write_str(url),
            ChartRepository::Oci { registry, path } if path.is_empty() => {
                write!(formatter, "oci://{registry}")
            }
            ChartRepository::Oci { registry, path } => write!(formatter, "oci://{registry}/{path}"),
        }
    }
}

impl ChartRepository {
    /// The `host[:port]` to find logins for.
    pub fn host(&self) -> &str {
        match self {
            ChartRepository::Oci { registry, .. } => registry,
            ChartRepository::Http { url } => url_host(url),
        }
    }

    fn oci_reference(registry: &str, path: &str, name: &str) -> Reference {
        let repository = if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}/{name}")
        };
        Reference {
            registry: registry.to_owned(),
            repository,
            tag: None,
            digest: None,
        }
    }
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Pushed {
    Created {
        location: String,
    },
    /// The repository had this version with the same digest.
    Present {
        location: String,
    },
}

/// Pushes a packaged chart.
pub fn push(
    client: &Client,
    repository: &ChartRepository,
    package: &Package,
) -> Result<Pushed, Error> {
    match repository {
        ChartRepository::Http { url } => push_http(client, url, package),
        ChartRepository::Oci { registry, path } => push_oci(client, registry, path, package),
    }
}

fn url_host(url: &str) -> &str {
    url.split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or("")
}

fn http_headers(client: &Client, url: &str) -> Result<Vec<(&'static str, String)>, Error> {
    Ok(client
        .login(url_host(url))?
        .map(|login| vec![("authorization", login.basic())])
        .unwrap_or_default())
}

fn push_http(client: &Client, url: &str, package: &Package) -> Result<Pushed, Error> {
    let upload = format!("{url}/api/charts");
    let mut headers = http_headers(client, url)?;
    headers.push(("content-type", "application/gzip".to_owned()));
    let response = client
        .http()
        .send("POST", &upload, &headers, &package.bytes)?;
    let location = format!("{url}/{}", package.file_name());
    match response.status().as_u16() {
        201 => Ok(Pushed::Created { location }),
        // verso's own repository answers 200 to an upload of bytes it already holds.
        200 => Ok(Pushed::Present { location }),
        409 => {
            let index = fetch_index(client, url)?;
            let existing = index
                .find(&package.metadata.name, Some(&package.metadata.version))
                .and_then(|entry| entry.get("digest"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if format!("sha256:{existing}") == package.digest {
                Ok(Pushed::Present { location })
            } else {
                Err(Error::Conflict(format!(
                    "{url} already has {} {} with other content (digest {}); charts are immutable: release a new version",
                    package.metadata.name,
                    package.metadata.version,
                    if existing.is_empty() { "unknown" } else { existing }
                )))
            }
        }
        401 | 403 => Err(Error::Auth(format!(
            "{upload} refused the upload ({}); pass credentials for it",
            response.status().as_u16()
        ))),
        _ => Err(status_error("POST", &upload, response)),
    }
}

fn push_oci(
    client: &Client,
    registry: &str,
    path: &str,
    package: &Package,
) -> Result<Pushed, Error> {
    let metadata = &package.metadata;
    let tag = metadata.version.replace('+', "_");
    let reference = ChartRepository::oci_reference(registry, path, &metadata.name).with_tag(&tag);
    let location = format!("oci://{reference}");
    if let Some(existing) = client.try_manifest(&reference)? {
        let layer = existing
            .layers()?
            .into_iter()
            .find(|layer| layer.media_type == MediaType::HELM_CHART);
        return match layer {
            Some(layer) if layer.digest == package.digest => Ok(Pushed::Present { location }),
            _ => Err(Error::Conflict(format!(
                "{location} already exists with other content; charts are immutable: release a new version"
            ))),
        };
    }
    let config =
        serde_json::to_vec(&metadata.fields).map_err(|error| Error::Invalid(error.to_string()))?;
    let config_digest = client.push_blob(&reference, &config)?;
    let layer_digest = client.push_blob(&reference, &package.bytes)?;
    let mut annotations = serde_json::Map::new();
    annotations.insert(
        "org.opencontainers.image.title".into(),
        json!(metadata.name),
    );
    annotations.insert(
        "org.opencontainers.image.version".into(),
        json!(metadata.version),
    );
    if let Some(description) = metadata.fields.get("description").and_then(Value::as_str) {
        annotations.insert(
            "org.opencontainers.image.description".into(),
            json!(description),
        );
    }
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MediaType::OCI_MANIFEST,
        "config": {"mediaType": MediaType::HELM_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": MediaType::HELM_CHART, "digest": layer_digest, "size": package.bytes.len()}],
        "annotations": annotations,
    });
    let bytes = serde_json::to_vec(&manifest).map_err(|error| Error::Invalid(error.to_string()))?;
    let manifest = Manifest::new(bytes, None, &location)?;
    client.put_manifest(&reference, &tag, &manifest)?;
    Ok(Pushed::Created { location })
}

/// A chart fetched from a repository.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub chart: Chart,
    /// The `.tgz` as the repository served it.
    pub bytes: Vec<u8>,
    pub digest: String,
    /// Where it came from.
    pub source: String,
}

/// Pulls `name` at `version`, or its highest stable version, checking the digest the
/// repository lists and reading the archive safely.
pub fn pull(
    client: &Client,
    repository: &ChartRepository,
    name: &str,
    version: Option<&str>,
    limits: &Limits,
) -> Result<Pulled, Error> {
    let (bytes, source, expected) = match repository {
        ChartRepository::Http { url } => pull_http(client, url, name, version, limits)?,
        ChartRepository::Oci { registry, path } => {
            pull_oci(client, registry, path, name, version, limits)?
        }
    };
    let digest = digest::sha256(&bytes);
    if let Some(expected) = expected {
        if digest != expected {
            return Err(Error::DigestMismatch {
                what: source,
                expected,
                actual: digest,
            });
        }
    }
    let chart = read_archive(&bytes, &source, limits)?;
    if chart.metadata.name != name || version.is_some_and(|wanted| chart.metadata.version != wanted)
    {
        return Err(Error::Invalid(format!(
            "{source} holds {} {}, not what was asked for",
            chart.metadata.name, chart.metadata.version
        )));
    }
    Ok(Pulled {
        chart,
        bytes,
        digest,
        source,
    })
}

/// Every version of chart `name` the repository holds (an empty list when it has none).
pub fn versions(
    client: &Client,
    repository: &ChartRepository,
    name: &str,
) -> Result<Vec<String>, Error> {
    match repository {
        ChartRepository::Http { url } => {
            let index = match fetch_index(client, url) {
                Ok(index) => index,
                Err(Error::NotFound(_)) => return Ok(Vec::new()),
                Err(error) => return Err(error),
            };
            Ok(index.versions(name))
        }
        ChartRepository::Oci { registry, path } => {
            let base = ChartRepository::oci_reference(registry, path, name);
            match client.tags(&base) {
                Ok(tags) => Ok(tags.into_iter().map(|tag| tag.replace('_', "+")).collect()),
                Err(Error::NotFound(_)) => Ok(Vec::new()),
                Err(error) => Err(error),
            }
        }
    }
}

/// Fetches and parses `<url>/index.yaml`.
pub(crate) fn fetch_index(client: &Client, url: &str) -> Result<Index, Error> {
    let location = format!("{url}/index.yaml");
    let headers = http_headers(client, url)?;
    let mut response = client.http().send("GET", &location, &headers, &[])?;
    match response.status().as_u16() {
        200 => {}
        404 => {
            return Err(Error::NotFound(format!(
                "chart repository index {location}"
            )))
        }
        _ => return Err(status_error("GET", &location, response)),
    }
    let bytes = read_body(&mut response, &location, 512 * 1024 * 1024)?;
    Index::parse(&bytes, &location)
}

fn pull_http(
    client: &Client,
    url: &str,
    name: &str,
    version: Option<&str>,
    limits: &Limits,
) -> Result<(Vec<u8>, String, Option<String>), Error> {
    let index = fetch_index(client, url)?;
    let entry = index.find(name, version).ok_or_else(|| {
        Error::NotFound(match version {
            Some(version) => format!("chart {name} {version} in {url}"),
            None => format!("a stable version of chart {name} in {url}"),
        })
    })?;
    let first = entry
        .get("urls")
        .and_then(Value::as_array)
        .and_then(|urls| urls.first())
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::Invalid(format!("{url}/index.yaml: the entry of {name} has no urls"))
        })?;
    let location = if first.contains("://") {
        first.to_owned()
    } else {
        format!("{url}/{}", first.trim_start_matches('/'))
    };
    let headers = http_headers(client, url)?;
    let mut response = client.http().send("GET", &location, &headers, &[])?;
    match response.status().as_u16() {
        200 => {}
        404 => return Err(Error::NotFound(location)),
        _ => return Err(status_error("GET", &location, response)),
    }
    let bytes = read_body(&mut response, &location, limits.max_bytes)?;
    let expected = entry
        .get("digest")
        .and_then(Value::as_str)
        .filter(|hex| !hex.is_empty())
        .map(|hex| format!("sha256:{hex}"));
    Ok((bytes, location, expected))
}

fn pull_oci(
    client: &Client,
    registry: &str,
    path: &str,
    name: &str,
    version: Option<&str>,
    limits: &Limits,
) -> Result<(Vec<u8>, String, Option<String>), Error> {
    let base = ChartRepository::oci_reference(registry, path, name);
    let tag = match version {
        Some(version) => version.replace('+', "_"),
        None => client
            .tags(&base)?
            .into_iter()
            .filter_map(|tag| Some((Version::parse_strict(&tag.replace('_', "+")).ok()?, tag)))
            .filter(|(version, _)| !version.is_prerelease())
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, tag)| tag)
            .ok_or_else(|| Error::NotFound(format!("a stable version of chart oci://{base}")))?,
    };
    let reference = base.with_tag(&tag);
    let manifest = client.manifest(&reference)?;
    let layer = manifest
        .layers()?
        .into_iter()
        .find(|layer| layer.media_type == MediaType::HELM_CHART)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "oci://{reference} is not a Helm chart (no chart layer)"
            ))
        })?;
    let bytes = client.blob_bytes(&reference, &layer.digest, limits.max_bytes)?;
    Ok((bytes, format!("oci://{reference}"), Some(layer.digest)))
}
