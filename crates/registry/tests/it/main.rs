//! Tests against real services: the OCI registry (`REGISTRY_ADDR`, and `REGISTRY_AUTH_ADDR`
//! with basic auth) that `scripts/test.sh` starts. Without them the tests skip, unless
//! `VERSO_REQUIRE_SERVICES` is set.

mod archive;
mod chart;
mod image;

use serde_json::json;
use verso_registry::digest;
use verso_registry::oci::{Client, Credentials, Login, Manifest, MediaType, Reference};
pub(crate) use verso_testkit::{service, unique};

/// The authenticated registry and a client that logs in to it.
pub(crate) fn auth_registry() -> Option<(String, Login)> {
    let address = service("REGISTRY_AUTH_ADDR")?;
    let login = Login {
        username: service("REGISTRY_AUTH_USER")?,
        password: service("REGISTRY_AUTH_PASSWORD")?,
    };
    Some((address, login))
}

pub(crate) fn client(logins: &[(&str, &Login)]) -> Client {
    let mut credentials = Credentials::none();
    for (registry, login) in logins {
        credentials.insert(registry, (*login).clone());
    }
    Client::new(credentials, Vec::new())
}

pub(crate) fn reference(text: &str) -> Reference {
    text.parse()
        .unwrap_or_else(|error| panic!("{text}: {error}"))
}

/// Bytes that differ for every seed (xorshift), so blobs never collide between tests.
pub(crate) fn noise(seed: &str, length: usize) -> Vec<u8> {
    let mut state = seed.bytes().fold(0x9e37_79b9_7f4a_7c15u64, |acc, byte| {
        (acc ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    });
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Pushes an image manifest (config + layers) and returns it.
pub(crate) fn push_image(
    client: &Client,
    target: &Reference,
    platform: &str,
    layers: &[Vec<u8>],
) -> Manifest {
    let (os, architecture) = platform.split_once('/').expect("os/arch");
    let config = serde_json::to_vec(&json!({
        "architecture": architecture,
        "os": os,
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|layer| digest::sha256(layer)).collect::<Vec<_>>()},
    }))
    .expect("config");
    let config_digest = client.push_blob(target, &config).expect("push config");
    let mut descriptors = Vec::new();
    for layer in layers {
        let layer_digest = client.push_blob(target, layer).expect("push layer");
        descriptors.push(json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer.len()}));
    }
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": MediaType::OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": descriptors,
    }))
    .expect("manifest");
    let manifest = Manifest::new(manifest, None, "test image").expect("manifest");
    let tag = target
        .tag
        .clone()
        .unwrap_or_else(|| manifest.digest.clone());
    client
        .put_manifest(target, &tag, &manifest)
        .expect("push manifest");
    manifest
}

/// Pushes a two-platform image (amd64 and arm64, sharing one layer) under `target`'s tag and
/// returns the index and its children.
pub(crate) fn push_index(
    client: &Client,
    target: &Reference,
    seed: &str,
    layer_size: usize,
) -> (Manifest, Vec<Manifest>) {
    let shared = noise(&format!("{seed}-shared"), layer_size);
    let untagged = Reference {
        tag: None,
        ..target.clone()
    };
    let amd64 = push_image(
        client,
        &untagged,
        "linux/amd64",
        &[shared.clone(), noise(&format!("{seed}-amd64"), layer_size)],
    );
    let arm64 = push_image(
        client,
        &untagged,
        "linux/arm64",
        &[shared, noise(&format!("{seed}-arm64"), layer_size)],
    );
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": MediaType::OCI_INDEX,
        "manifests": [
            {"mediaType": MediaType::OCI_MANIFEST, "digest": amd64.digest, "size": amd64.bytes.len(), "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": MediaType::OCI_MANIFEST, "digest": arm64.digest, "size": arm64.bytes.len(), "platform": {"os": "linux", "architecture": "arm64"}},
        ],
    }))
    .expect("index");
    let index = Manifest::new(index, None, "test index").expect("index");
    client
        .put_manifest(target, target.tag.as_deref().expect("a tag"), &index)
        .expect("push index");
    (index, vec![amd64, arm64])
}
