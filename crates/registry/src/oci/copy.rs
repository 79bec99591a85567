//! Registry-to-registry image copy: manifests are pushed as the exact bytes fetched (so every
//! digest stays the same), blobs before the manifests that need them, children before their
//! index, the tag last. Blobs the target has are skipped; within one registry they are mounted
//! from the source repository, so no blob bytes move.

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use crate::digest::Verifying;
use crate::error::Error;
use crate::http::status_error;
use crate::oci::client::{Client, Scope};
use crate::oci::manifest::{Descriptor, Manifest};
use crate::oci::reference::Reference;

/// An `os/architecture[/variant]` to pick out of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split('/').collect();
        match parts.as_slice() {
            [os, architecture] | [os, architecture, _]
                if !os.is_empty() && !architecture.is_empty() =>
            {
                Ok(Platform {
                    os: (*os).to_owned(),
                    architecture: (*architecture).to_owned(),
                    variant: parts.get(2).map(|variant| (*variant).to_owned()),
                })
            }
            _ => Err(format!(
                "`{text}` is not a platform: expected OS/ARCH or OS/ARCH/VARIANT, e.g. linux/arm64"
            )),
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(formatter, "/{variant}")?;
        }
        Ok(())
    }
}

/// How to copy.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Copy only this platform's manifest out of an index (its own digest becomes the
    /// result). `None` copies the whole index, every platform, digest unchanged.
    pub platform: Option<Platform>,
    /// Blobs transferred at once.
    pub jobs: usize,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            platform: None,
            jobs: 4,
        }
    }
}

/// What a copy did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CopyReport {
    pub source: String,
    /// The target reference, pinned to the digest.
    pub target: String,
    /// The digest of the top manifest at the target (the same as at the source).
    pub digest: String,
    pub media_type: String,
    /// Manifests pushed (an index and its children count one each).
    pub manifests: usize,
    /// Distinct blobs the manifests need.
    pub blobs: usize,
    /// Blobs the target already had.
    pub blobs_present: usize,
    /// Blobs mounted from the source repository (same registry).
    pub blobs_mounted: usize,
    /// Blobs uploaded.
    pub blobs_uploaded: usize,
    /// Blob bytes sent to the target.
    pub bytes_uploaded: u64,
}

enum Moved {
    Present,
    Mounted,
    Uploaded(u64),
}

/// Copies the image `source` names to `target`. Without a tag or digest in `target`, the
/// source's tag is used (or the digest alone when the source has no tag).
pub fn copy(
    client: &Client,
    source: &Reference,
    target: &Reference,
    options: &CopyOptions,
) -> Result<CopyReport, Error> {
    let mut top = client.manifest(source)?;
    if let (true, Some(platform)) = (top.is_index(), &options.platform) {
        let child = top
            .children()?
            .into_iter()
            .find(|child| is_for(child, platform))
            .ok_or_else(|| Error::NotFound(format!("platform {platform} in image {source}")))?;
        top = client.manifest(&source.with_digest(&child.digest))?;
    }
    if let Some(expected) = &target.digest {
        if *expected != top.digest {
            return Err(Error::Invalid(format!(
                "target {target} names digest {expected}, but the source manifest is {}",
                top.digest
            )));
        }
    }
    // Every manifest below the top one, children before parents.
    let mut below = Vec::new();
    collect_children(client, source, &top, &mut below, 0)?;
    let mut blobs = Vec::new();
    let mut seen = HashSet::new();
    for manifest in below.iter().chain(std::iter::once(&top)) {
        if manifest.is_index() {
            continue;
        }
        for blob in manifest.blobs()? {
            if seen.insert(blob.digest.clone()) {
                blobs.push(blob);
            }
        }
    }
    let mut report = CopyReport {
        source: source.to_string(),
        digest: top.digest.clone(),
        media_type: top.media_type.clone(),
        manifests: below.len() + 1,
        blobs: blobs.len(),
        ..CopyReport::default()
    };
    let same_registry = source.registry == target.registry;
    for moved in transfer_all(client, source, target, &blobs, same_registry, options.jobs)? {
        match moved {
            Moved::Present => report.blobs_present += 1,
            Moved::Mounted => report.blobs_mounted += 1,
            Moved::Uploaded(bytes) => {
                report.blobs_uploaded += 1;
                report.bytes_uploaded += bytes;
            }
        }
    }
    for manifest in &below {
        client.put_manifest(target, &manifest.digest, manifest)?;
    }
    let tag = target.tag.clone().or_else(|| source.tag.clone());
    let pushed = match &tag {
        Some(tag) => target.with_tag(tag),
        None => Reference {
            tag: None,
            digest: None,
            ..target.clone()
        },
    };
    client.put_manifest(&pushed, tag.as_deref().unwrap_or(&top.digest), &top)?;
    report.target = pushed.with_digest(&top.digest).to_string();
    Ok(report)
}

fn is_for(child: &Descriptor, platform: &Platform) -> bool {
    child.platform.as_ref().is_some_and(|spec| {
        spec.os == platform.os
            && spec.architecture == platform.architecture
            && (platform.variant.is_none() || spec.variant == platform.variant)
    })
}

fn collect_children(
    client: &Client,
    source: &Reference,
    manifest: &Manifest,
    into: &mut Vec<Manifest>,
    depth: usize,
) -> Result<(), Error> {
    if !manifest.is_index() {
        return Ok(());
    }
    if depth > 4 {
        return Err(Error::Invalid(format!(
            "image {source}: indexes nested more than 4 deep"
        )));
    }
    for child in manifest.children()? {
        crate::digest::validate(&child.digest)
            .map_err(|why| Error::Invalid(format!("image {source} lists a bad manifest: {why}")))?;
        let fetched = client.manifest(&source.with_digest(&child.digest))?;
        collect_children(client, source, &fetched, into, depth + 1)?;
        into.push(fetched);
    }
    Ok(())
}

/// Moves blobs with `jobs` workers; the first failure stops the others from starting more.
fn transfer_all(
    client: &Client,
    source: &Reference,
    target: &Reference,
    blobs: &[Descriptor],
    same_registry: bool,
    jobs: usize,
) -> Result<Vec<Moved>, Error> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Result<Moved, Error>>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, 16).min(blobs.len().max(1)) {
            scope.spawn(|| loop {
                if failed.load(Ordering::Relaxed) {
                    return;
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(blob) = blobs.get(index) else {
                    return;
                };
                let result = transfer(client, source, target, blob, same_registry);
                if result.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                if let Ok(mut results) = results.lock() {
                    results.push(result);
                }
            });
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| Error::Invalid("a blob transfer panicked".into()))?;
    results.into_iter().collect()
}

fn transfer(
    client: &Client,
    source: &Reference,
    target: &Reference,
    blob: &Descriptor,
    same_registry: bool,
) -> Result<Moved, Error> {
    if client.blob_exists(target, &blob.digest)? {
        return Ok(Moved::Present);
    }
    let mount_from = (same_registry && source.repository != target.repository)
        .then_some(source.repository.as_str());
    let retry = client.retry();
    let mut attempt = 1;
    loop {
        match upload(client, source, target, blob, mount_from) {
            Err(error) if error.is_transient() && attempt < retry.attempts => {
                std::thread::sleep(retry.delay(attempt, None));
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

fn upload(
    client: &Client,
    source: &Reference,
    target: &Reference,
    blob: &Descriptor,
    mount_from: Option<&str>,
) -> Result<Moved, Error> {
    let Some(location) = client.start_upload(target, &blob.digest, mount_from)? else {
        return Ok(Moved::Mounted);
    };
    let response = client.blob(source, &blob.digest)?;
    let mut reader = Verifying::new(response.into_body().into_reader());
    let url = Client::finish_url(&location, &blob.digest);
    let answer = client.put_stream(
        &target.registry,
        &[Scope::push(&target.repository)],
        &url,
        &mut reader,
        blob.size,
    );
    let sent = reader.count();
    let actual = reader.digest();
    if sent == blob.size && actual != blob.digest {
        return Err(Error::DigestMismatch {
            what: format!("blob from {}/{}", source.registry, source.repository),
            expected: blob.digest.clone(),
            actual,
        });
    }
    let answer = answer?;
    match answer.status().as_u16() {
        201 | 204 if sent == blob.size => Ok(Moved::Uploaded(sent)),
        201 | 204 => Err(Error::Invalid(format!(
            "blob {} was {sent} bytes, its manifest says {}",
            blob.digest, blob.size
        ))),
        _ => Err(status_error("PUT", &url, answer)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms() {
        let platform: Platform = "linux/arm64/v8".parse().expect("platform");
        assert_eq!(platform.variant.as_deref(), Some("v8"));
        assert_eq!(platform.to_string(), "linux/arm64/v8");
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux//v8".parse::<Platform>().is_err());
    }
}
