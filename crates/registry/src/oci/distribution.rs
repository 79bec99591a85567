//! The distribution API calls verso makes: manifests, blobs and tags of one repository.

use crate::digest;
use crate::error::Error;
use crate::http::{header, read_body, status_error, HttpResponse};
use crate::oci::client::{query_escape, Client, Scope};
use crate::oci::manifest::{Manifest, MANIFEST_ACCEPT, MAX_MANIFEST_BYTES};
use crate::oci::reference::Reference;

impl Client {
    /// A GET or HEAD with pull access to `reference`'s repository.
    fn read(
        &self,
        reference: &Reference,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
    ) -> Result<HttpResponse, Error> {
        self.request(
            &reference.registry,
            &[Scope::pull(&reference.repository)],
            method,
            url,
            headers,
            &[],
        )
    }

    /// `scheme://host/v2/<repository>`.
    pub fn repository_url(&self, reference: &Reference) -> String {
        format!(
            "{}/v2/{}",
            self.base_url(&reference.registry, reference.api_host()),
            reference.repository
        )
    }

    /// The manifest `reference` names (its digest, else its tag), checked against the digest
    /// when one was given.
    pub fn manifest(&self, reference: &Reference) -> Result<Manifest, Error> {
        let url = format!(
            "{}/manifests/{}",
            self.repository_url(reference),
            reference.target()
        );
        let mut response = self.read(
            reference,
            "GET",
            &url,
            &[("accept", MANIFEST_ACCEPT.to_owned())],
        )?;
        match response.status().as_u16() {
            200 => {}
            404 => return Err(Error::NotFound(format!("image {reference}"))),
            _ => return Err(status_error("GET", &url, response)),
        }
        let content_type = header(&response, "content-type").map(str::to_owned);
        let bytes = read_body(&mut response, &url, MAX_MANIFEST_BYTES)?;
        let manifest = Manifest::new(bytes, content_type.as_deref(), &reference.to_string())?;
        if let Some(expected) = &reference.digest {
            if &manifest.digest != expected {
                return Err(Error::DigestMismatch {
                    what: format!("the manifest of {reference}"),
                    expected: expected.clone(),
                    actual: manifest.digest,
                });
            }
        }
        Ok(manifest)
    }

    /// The digest of the manifest `reference` names, from a HEAD request when the registry
    /// says it, else by fetching and hashing the manifest.
    pub fn manifest_digest(&self, reference: &Reference) -> Result<String, Error> {
        let url = format!(
            "{}/manifests/{}",
            self.repository_url(reference),
            reference.target()
        );
        let response = self.read(
            reference,
            "HEAD",
            &url,
            &[("accept", MANIFEST_ACCEPT.to_owned())],
        )?;
        match response.status().as_u16() {
            200 => match header(&response, "docker-content-digest") {
                Some(found) if digest::validate(found).is_ok() => Ok(found.to_owned()),
                _ => Ok(self.manifest(reference)?.digest),
            },
            404 => Err(Error::NotFound(format!("image {reference}"))),
            _ => Err(status_error("HEAD", &url, response)),
        }
    }

    /// Whether the manifest `reference` names exists; `Ok(None)` when it does not.
    pub fn try_manifest(&self, reference: &Reference) -> Result<Option<Manifest>, Error> {
        match self.manifest(reference) {
            Ok(manifest) => Ok(Some(manifest)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Pushes a manifest's bytes unchanged under `target` (a tag or its digest) and checks
    /// the digest the registry computed.
    pub fn put_manifest(
        &self,
        reference: &Reference,
        target: &str,
        manifest: &Manifest,
    ) -> Result<(), Error> {
        let url = format!("{}/manifests/{target}", self.repository_url(reference));
        let response = self.request(
            &reference.registry,
            &[Scope::push(&reference.repository)],
            "PUT",
            &url,
            &[("content-type", manifest.media_type.clone())],
            &manifest.bytes,
        )?;
        match response.status().as_u16() {
            200..=202 => {}
            _ => return Err(status_error("PUT", &url, response)),
        }
        if let Some(pushed) = header(&response, "docker-content-digest") {
            if pushed != manifest.digest {
                return Err(Error::DigestMismatch {
                    what: format!("the manifest pushed to {reference}"),
                    expected: manifest.digest.clone(),
                    actual: pushed.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// Whether the repository has the blob.
    pub fn blob_exists(&self, reference: &Reference, blob: &str) -> Result<bool, Error> {
        let url = format!("{}/blobs/{blob}", self.repository_url(reference));
        let response = self.read(reference, "HEAD", &url, &[])?;
        match response.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(status_error("HEAD", &url, response)),
        }
    }

    /// Starts downloading a blob; the caller streams the body.
    pub fn blob(&self, reference: &Reference, blob: &str) -> Result<HttpResponse, Error> {
        let url = format!("{}/blobs/{blob}", self.repository_url(reference));
        let response = self.read(reference, "GET", &url, &[])?;
        match response.status().as_u16() {
            200 => Ok(response),
            404 => Err(Error::NotFound(format!(
                "blob {blob} in {}/{}",
                reference.registry, reference.repository
            ))),
            _ => Err(status_error("GET", &url, response)),
        }
    }

    /// A whole blob in memory (at most `limit` bytes), checked against its digest.
    pub fn blob_bytes(
        &self,
        reference: &Reference,
        blob: &str,
        limit: u64,
    ) -> Result<Vec<u8>, Error> {
        let mut response = self.blob(reference, blob)?;
        let url = format!("{}/blobs/{blob}", self.repository_url(reference));
        let bytes = read_body(&mut response, &url, limit)?;
        let actual = digest::sha256(&bytes);
        if actual != blob {
            return Err(Error::DigestMismatch {
                what: format!("blob of {reference}"),
                expected: blob.to_owned(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Starts an upload; with `mount_from`, asks the registry to mount the blob from another
    /// repository instead. `Ok(None)` means it was mounted; `Ok(Some(url))` is where to upload.
    pub(crate) fn start_upload(
        &self,
        reference: &Reference,
        blob: &str,
        mount_from: Option<&str>,
    ) -> Result<Option<String>, Error> {
        let mut url = format!("{}/blobs/uploads/", self.repository_url(reference));
        let mut scopes = vec![Scope::push(&reference.repository)];
        if let Some(from) = mount_from {
            url.push_str(&format!("?mount={blob}&from={}", query_escape(from)));
            scopes.push(Scope::pull(from));
        }
        let response = self.request(&reference.registry, &scopes, "POST", &url, &[], &[])?;
        match response.status().as_u16() {
            201 if mount_from.is_some() => Ok(None),
            202 => {
                let location = header(&response, "location").ok_or_else(|| Error::Status {
                    method: "POST".into(),
                    url: url.clone(),
                    status: 202,
                    detail: ": no Location header for the upload".into(),
                })?;
                Ok(Some(self.absolute(reference, location)))
            }
            _ => Err(status_error("POST", &url, response)),
        }
    }

    /// Where an upload ends: the upload URL with `digest=` added.
    pub(crate) fn finish_url(upload: &str, blob: &str) -> String {
        let separator = if upload.contains('?') { '&' } else { '?' };
        format!("{upload}{separator}digest={}", query_escape(blob))
    }

    /// Uploads a blob held in memory (monolithic: POST, then one PUT), unless present.
    pub fn push_blob(&self, reference: &Reference, bytes: &[u8]) -> Result<String, Error> {
        let blob = digest::sha256(bytes);
        if self.blob_exists(reference, &blob)? {
            return Ok(blob);
        }
        let Some(upload) = self.start_upload(reference, &blob, None)? else {
            return Ok(blob);
        };
        let url = Client::finish_url(&upload, &blob);
        let response = self.request(
            &reference.registry,
            &[Scope::push(&reference.repository)],
            "PUT",
            &url,
            &[("content-type", "application/octet-stream".to_owned())],
            bytes,
        )?;
        match response.status().as_u16() {
            201 | 204 => Ok(blob),
            _ => Err(status_error("PUT", &url, response)),
        }
    }

    /// A `Location` made absolute against the registry.
    pub(crate) fn absolute(&self, reference: &Reference, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else {
            format!(
                "{}{location}",
                self.base_url(&reference.registry, reference.api_host())
            )
        }
    }

    /// Every tag of the repository (following `Link` pagination). A repository that does
    /// not exist has none.
    pub fn tags(&self, reference: &Reference) -> Result<Vec<String>, Error> {
        let base = self.base_url(&reference.registry, reference.api_host());
        let mut url = format!("{}/tags/list?n=1000", self.repository_url(reference));
        let mut tags = Vec::new();
        loop {
            let mut response = self.read(reference, "GET", &url, &[])?;
            match response.status().as_u16() {
                200 => {}
                404 => return Ok(tags),
                _ => return Err(status_error("GET", &url, response)),
            }
            let next = header(&response, "link").and_then(|link| {
                let start = link.find('<')? + 1;
                let end = link[start..].find('>')? + start;
                let target = &link[start..end];
                Some(if target.starts_with("http") {
                    target.to_owned()
                } else {
                    format!("{base}{target}")
                })
            });
            #[derive(serde::Deserialize)]
            struct Page {
                tags: Option<Vec<String>>,
            }
            let body = read_body(&mut response, &url, 64 * 1024 * 1024)?;
            let page: Page = serde_json::from_slice(&body)
                .map_err(|error| Error::Invalid(format!("{url}: not a tag list: {error}")))?;
            tags.extend(page.tags.unwrap_or_default());
            match next {
                Some(next) => url = next,
                None => return Ok(tags),
            }
        }
    }
}
