//! Manifests as registries store them: the raw bytes (whose sha256 is the digest), the media
//! type, and the descriptors inside.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Media types verso reads and writes.
pub struct MediaType;

impl MediaType {
    pub const OCI_INDEX: &'static str = "application/vnd.oci.image.index.v1+json";
    pub const OCI_MANIFEST: &'static str = "application/vnd.oci.image.manifest.v1+json";
    pub const DOCKER_LIST: &'static str =
        "application/vnd.docker.distribution.manifest.list.v2+json";
    pub const DOCKER_MANIFEST: &'static str =
        "application/vnd.docker.distribution.manifest.v2+json";
    /// Helm's chart config (the Chart.yaml metadata as JSON).
    pub const HELM_CONFIG: &'static str = "application/vnd.cncf.helm.config.v1+json";
    /// Helm's chart content layer (the `.tgz`).
    pub const HELM_CHART: &'static str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
}

/// The `Accept` header for manifests: indexes and image manifests, OCI and Docker.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// Registries refuse larger manifests; so do we when reading.
pub(crate) const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// A content descriptor: what a manifest points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<PlatformSpec>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// The platform of an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformSpec {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

#[derive(Deserialize)]
struct Shape {
    #[serde(rename = "schemaVersion")]
    schema_version: Option<u32>,
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    manifests: Option<Vec<Descriptor>>,
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

/// A manifest exactly as the registry served it.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub bytes: Vec<u8>,
    pub media_type: String,
    /// `sha256:` of `bytes`.
    pub digest: String,
}

impl Manifest {
    /// Wraps raw bytes; the media type comes from the document, else from the registry's
    /// `Content-Type`. Schema 1 manifests are refused (they are signed over their own bytes and
    /// obsolete).
    pub fn new(bytes: Vec<u8>, content_type: Option<&str>, what: &str) -> Result<Self, Error> {
        let shape: Shape = serde_json::from_slice(&bytes).map_err(|error| {
            Error::Invalid(format!("the manifest of {what} is not JSON: {error}"))
        })?;
        if shape.schema_version == Some(1) {
            return Err(Error::Invalid(format!(
                "{what} is a Docker schema 1 manifest, which verso does not copy; push it again with a current docker or buildkit"
            )));
        }
        let media_type = shape
            .media_type
            .or_else(|| {
                content_type
                    .map(|value| value.split(';').next().unwrap_or(value).trim().to_owned())
                    .filter(|value| value.contains("manifest") || value.contains("index"))
            })
            .unwrap_or_else(|| {
                if shape.manifests.is_some() {
                    MediaType::OCI_INDEX
                } else {
                    MediaType::OCI_MANIFEST
                }
                .to_owned()
            });
        let digest = crate::digest::sha256(&bytes);
        Ok(Manifest {
            bytes,
            media_type,
            digest,
        })
    }

    fn shape(&self) -> Result<Shape, Error> {
        serde_json::from_slice(&self.bytes)
            .map_err(|error| Error::Invalid(format!("manifest {}: {error}", self.digest)))
    }

    /// An image index or Docker manifest list.
    pub fn is_index(&self) -> bool {
        self.media_type == MediaType::OCI_INDEX || self.media_type == MediaType::DOCKER_LIST
    }

    /// The manifests an index lists (empty for an image manifest).
    pub fn children(&self) -> Result<Vec<Descriptor>, Error> {
        Ok(self.shape()?.manifests.unwrap_or_default())
    }

    /// The blobs an image manifest needs: its config, then its layers.
    pub fn blobs(&self) -> Result<Vec<Descriptor>, Error> {
        let shape = self.shape()?;
        let mut blobs: Vec<Descriptor> = shape.config.into_iter().collect();
        blobs.extend(shape.layers);
        for blob in &blobs {
            crate::digest::validate(&blob.digest).map_err(|why| {
                Error::Invalid(format!("manifest {} lists a bad blob: {why}", self.digest))
            })?;
        }
        Ok(blobs)
    }

    /// The layers only.
    pub fn layers(&self) -> Result<Vec<Descriptor>, Error> {
        Ok(self.shape()?.layers)
    }

    /// The config descriptor, if any.
    pub fn config(&self) -> Result<Option<Descriptor>, Error> {
        Ok(self.shape()?.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_from_document_or_header() {
        let index = br#"{"schemaVersion":2,"manifests":[]}"#.to_vec();
        let manifest = Manifest::new(index, None, "x").expect("index");
        assert!(manifest.is_index());
        let docker = br#"{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":[]}"#.to_vec();
        let manifest =
            Manifest::new(docker, Some(MediaType::DOCKER_MANIFEST), "x").expect("docker");
        assert_eq!(manifest.media_type, MediaType::DOCKER_MANIFEST);
        assert_eq!(manifest.blobs().expect("blobs").len(), 1);
        let old = br#"{"schemaVersion":1,"fsLayers":[]}"#.to_vec();
        assert!(Manifest::new(old, None, "old").is_err());
    }
}
