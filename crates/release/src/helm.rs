//! The Helm publisher: `helm package`, then `helm push` to an `oci://` repository. A chart
//! version the repository already has is pulled and compared file by file: the same files
//! are skipped, different ones refused.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context as _};

use crate::publish::{run, tail, Outcome, Target};

/// The helm binary: `HELM_BIN` when set, else `helm` from `PATH`.
fn helm() -> Command {
    Command::new(std::env::var_os("HELM_BIN").unwrap_or_else(|| "helm".into()))
}

/// Registries on the local machine speak plain HTTP, as docker assumes.
fn is_local(repository: &str) -> bool {
    let host = repository
        .trim_start_matches("oci://")
        .split('/')
        .next()
        .unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|byte| byte.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

pub(crate) fn publish(target: &Target<'_>, repository: &str) -> anyhow::Result<Outcome> {
    let repository = repository.trim_end_matches('/');
    if !repository.starts_with("oci://") {
        bail!(
            "helm repository `{repository}`: only `oci://` repositories are supported by the helm publisher; for a ChartMuseum URL use a `publish_command`"
        );
    }
    let scratch = tempfile::tempdir().context("failed to create a temporary folder")?;
    let packaged = scratch.path().join("local");
    let pulled = scratch.path().join("remote");
    std::fs::create_dir_all(&packaged)?;
    std::fs::create_dir_all(&pulled)?;
    let mut package = helm();
    package
        .arg("package")
        .arg(target.directory)
        .arg("--destination")
        .arg(&packaged);
    let output = run(&mut package, target.directory)?;
    if !output.status.success() {
        bail!(
            "`helm package` failed for {}: {}",
            target.name,
            tail(&output)
        );
    }
    let archive = packaged.join(format!("{}-{}.tgz", target.name, target.version));
    if !archive.is_file() {
        bail!(
            "`helm package` did not write {}: does Chart.yaml say name `{}` and version {}?",
            archive.display(),
            target.name,
            target.version
        );
    }
    let plain = is_local(repository);
    let reference = format!("{repository}/{}", target.name);
    let mut pull = helm();
    pull.args([
        "pull",
        &reference,
        "--version",
        target.version,
        "--destination",
    ])
    .arg(&pulled);
    if plain {
        pull.arg("--plain-http");
    }
    let output = run(&mut pull, target.directory)?;
    if output.status.success() {
        let existing = find_archive(&pulled)?;
        if files(&existing)? == files(&archive)? {
            return Ok(Outcome::Skipped);
        }
        bail!(
            "{reference}:{} is already in the repository with different contents: a published chart version cannot change; release a new version",
            target.version
        );
    }
    let errors = String::from_utf8_lossy(&output.stderr).to_lowercase();
    if !(errors.contains("not found") || errors.contains("manifest unknown")) {
        bail!(
            "cannot ask {repository} about {}:{}: {}",
            target.name,
            target.version,
            tail(&output)
        );
    }
    let mut push = helm();
    push.arg("push").arg(&archive).arg(repository);
    if plain {
        push.arg("--plain-http");
    }
    let output = run(&mut push, target.directory)?;
    if !output.status.success() {
        bail!("`helm push` failed for {}: {}", target.name, tail(&output));
    }
    Ok(Outcome::Published)
}

fn find_archive(folder: &Path) -> anyhow::Result<PathBuf> {
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        if path.extension().is_some_and(|extension| extension == "tgz") {
            return Ok(path);
        }
    }
    bail!(
        "`helm pull` wrote no chart archive into {}",
        folder.display()
    )
}

/// The regular files of a chart archive, by path.
fn files(archive: &Path) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    let file = std::fs::File::open(archive)
        .with_context(|| format!("failed to open {}", archive.display()))?;
    let mut reader = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut files = BTreeMap::new();
    for entry in reader.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path()?.to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        files.insert(path, bytes);
    }
    Ok(files)
}
