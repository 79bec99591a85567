//! `verso chart …` and `verso image …`: the artifact library with files and flags around it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde_json::json;
use verso_registry::chart::{self, ChartRepository, Index, Limits, Overrides, Package, Pushed};
use verso_registry::oci::{self, Client, CopyOptions, Credentials, Login, Reference};

use crate::args::{ChartCommand, ImageCommand, RegistryArgs};
use crate::report::{with_hint, Outcome};

pub(crate) fn chart(command: ChartCommand) -> anyhow::Result<Outcome> {
    match command {
        ChartCommand::Package {
            chart,
            destination,
            version,
            app_version,
            values,
            json,
        } => {
            let overrides = Overrides {
                version,
                app_version,
                values: merged_values(&values)?,
            };
            let loaded = chart::load_dir(&chart)?;
            let package = chart::package(&loaded, &overrides)?;
            let file = write_package(&package, &destination)?;
            if json {
                print_json(&json!({
                    "name": package.metadata.name,
                    "version": package.metadata.version,
                    "file": file,
                    "digest": package.digest,
                }))?;
            } else {
                println!("{}", file.display());
            }
            Ok(Outcome::Success)
        }
        ChartCommand::Lint { charts } => lint(&charts),
        ChartCommand::Index { folder, url, merge } => {
            let created = verso_registry::time::rfc3339(crate::env::now()?);
            let mut index = Index::from_folder(&folder, &url, &created, &Limits::default())?;
            let mut conflicts = Vec::new();
            if let Some(existing) = merge {
                let text = std::fs::read(&existing)
                    .with_context(|| format!("failed to read {}", existing.display()))?;
                let mut base = Index::parse(&text, &existing.display().to_string())?;
                conflicts = base.merge(index)?;
                base.generated = created;
                index = base;
            }
            for conflict in &conflicts {
                eprintln!(
                    "warning: {conflict} is in the merged index with another digest; the indexed entry was kept"
                );
            }
            let target = folder.join("index.yaml");
            write_atomically(&target, index.to_yaml()?.as_bytes())?;
            eprintln!("{} chart versions in {}", index.len(), target.display());
            Ok(Outcome::Success)
        }
        ChartCommand::Push {
            chart,
            repository,
            creds,
            registry,
        } => {
            let target: ChartRepository = repository.parse().map_err(anyhow::Error::msg)?;
            let package = if chart.is_dir() {
                chart::package(&chart::load_dir(&chart)?, &Overrides::default())?
            } else {
                read_package(&chart)?
            };
            let client = client_for(
                &registry,
                creds.as_deref().map(|c| (target.host().to_owned(), c)),
            )?;
            let pushed = chart::push(&client, &target, &package)?;
            if registry.json {
                let mut value = serde_json::to_value(&pushed)?;
                value["digest"] = json!(package.digest);
                value["name"] = json!(package.metadata.name);
                value["version"] = json!(package.metadata.version);
                print_json(&value)?;
            } else {
                match &pushed {
                    Pushed::Created { location } => println!("pushed {location}"),
                    Pushed::Present { location } => {
                        println!("{location} is already there with the same digest")
                    }
                }
            }
            Ok(Outcome::Success)
        }
        ChartCommand::Pull {
            chart,
            repo,
            version,
            destination,
            untar,
            creds,
            registry,
        } => {
            let (repository, name) = match (chart.strip_prefix("oci://"), repo) {
                (Some(rest), None) => {
                    let (base, name) = rest.rsplit_once('/').with_context(|| {
                        format!("`{chart}` has no chart name: use oci://host/path/<name>")
                    })?;
                    let repository: ChartRepository = format!("oci://{base}")
                        .parse()
                        .map_err(anyhow::Error::msg)?;
                    (repository, name.to_owned())
                }
                (Some(_), Some(_)) => bail!("give either an oci:// chart or --repo, not both"),
                (None, Some(url)) => {
                    let repository: ChartRepository = url.parse().map_err(anyhow::Error::msg)?;
                    (repository, chart.clone())
                }
                (None, None) => {
                    return Err(with_hint(
                        anyhow::anyhow!("`{chart}` alone does not say where the chart is"),
                        "pull oci://host/path/<name>, or <name> --repo https://charts.example.com",
                    ))
                }
            };
            let client = client_for(
                &registry,
                creds.as_deref().map(|c| (repository.host().to_owned(), c)),
            )?;
            let pulled = chart::pull(
                &client,
                &repository,
                &name,
                version.as_deref(),
                &Limits::default(),
            )?;
            let written = if untar {
                chart::unpack(&pulled.chart, &destination)?
            } else {
                let file = destination.join(pulled.chart.metadata.file_name());
                std::fs::create_dir_all(&destination)
                    .with_context(|| format!("failed to create {}", destination.display()))?;
                write_atomically(&file, &pulled.bytes)?;
                file
            };
            if registry.json {
                print_json(&json!({
                    "name": pulled.chart.metadata.name,
                    "version": pulled.chart.metadata.version,
                    "digest": pulled.digest,
                    "source": pulled.source,
                    "path": written,
                }))?;
            } else {
                println!("{}", written.display());
            }
            Ok(Outcome::Success)
        }
    }
}

pub(crate) fn image(command: ImageCommand) -> anyhow::Result<Outcome> {
    match command {
        ImageCommand::Copy {
            source,
            target,
            all_platforms: _,
            platform,
            src_creds,
            dest_creds,
            jobs,
            registry,
        } => {
            let source: Reference = source.parse().map_err(anyhow::Error::msg)?;
            let target: Reference = target.parse().map_err(anyhow::Error::msg)?;
            let mut credentials = Credentials::from_docker_config()?;
            if let Some(login) = src_creds {
                credentials.insert(&source.registry, Login::parse(&login)?);
            }
            if let Some(login) = dest_creds {
                credentials.insert(&target.registry, Login::parse(&login)?);
            }
            let client = Client::new(credentials, registry.plain_http.clone());
            let options = CopyOptions {
                platform: platform
                    .map(|text| text.parse())
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                jobs,
            };
            let report = oci::copy(&client, &source, &target, &options)?;
            if registry.json {
                print_json(&serde_json::to_value(&report)?)?;
            } else {
                println!("{}", report.digest);
                eprintln!(
                    "copied {} to {}: {} manifest(s), {} blob(s): {} uploaded ({}), {} mounted, {} already there",
                    report.source,
                    report.target,
                    report.manifests,
                    report.blobs,
                    report.blobs_uploaded,
                    human_bytes(report.bytes_uploaded),
                    report.blobs_mounted,
                    report.blobs_present
                );
            }
            Ok(Outcome::Success)
        }
        ImageCommand::Digest {
            image,
            creds,
            registry,
        } => {
            let reference: Reference = image.parse().map_err(anyhow::Error::msg)?;
            let client = client_for(
                &registry,
                creds.as_deref().map(|c| (reference.registry.clone(), c)),
            )?;
            let digest = client.manifest_digest(&reference)?;
            if registry.json {
                print_json(&json!({"image": reference.to_string(), "digest": digest}))?;
            } else {
                println!("{digest}");
            }
            Ok(Outcome::Success)
        }
    }
}

fn lint(charts: &[PathBuf]) -> anyhow::Result<Outcome> {
    let mut failed = 0;
    for path in charts {
        let checked = if path.is_dir() {
            chart::load_dir(path).and_then(|loaded| chart::package(&loaded, &Overrides::default()))
        } else {
            read_package(path).map_err(|error| verso_registry::Error::Invalid(format!("{error:#}")))
        };
        match checked {
            Ok(package) => println!(
                "ok {}: {} {}",
                path.display(),
                package.metadata.name,
                package.metadata.version
            ),
            Err(error) => {
                failed += 1;
                println!("error {}: {error}", path.display());
            }
        }
    }
    Ok(if failed == 0 {
        Outcome::Success
    } else {
        Outcome::Rejected
    })
}

/// Reads and checks a `.tgz` chart package.
fn read_package(path: &Path) -> anyhow::Result<Package> {
    let bytes =
        std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
    let loaded = chart::read_archive(&bytes, &path.display().to_string(), &Limits::default())?;
    Ok(Package {
        metadata: loaded.metadata,
        digest: verso_registry::digest::sha256(&bytes),
        bytes,
    })
}

/// The `-f` files, merged in order.
fn merged_values(files: &[PathBuf]) -> anyhow::Result<Option<serde_json::Value>> {
    let mut merged: Option<serde_json::Value> = None;
    for file in files {
        let text =
            std::fs::read(file).with_context(|| format!("failed to read {}", file.display()))?;
        let layer = chart::parse_yaml(&text, &file.display().to_string())?;
        if !layer.is_object() {
            bail!("{}: values must be a YAML mapping", file.display());
        }
        match &mut merged {
            Some(base) => chart::deep_merge(base, &layer),
            None => merged = Some(layer),
        }
    }
    Ok(merged)
}

fn write_package(package: &Package, destination: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(destination)
        .with_context(|| format!("failed to create {}", destination.display()))?;
    let file = destination.join(package.file_name());
    write_atomically(&file, &package.bytes)?;
    Ok(file)
}

/// Writes through a temporary file in the same folder, so readers never see half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let folder = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temporary = tempfile::NamedTempFile::new_in(folder)
        .with_context(|| format!("failed to write in {}", folder.display()))?;
    std::io::Write::write_all(&mut temporary, bytes)
        .with_context(|| format!("failed to write {}", path.display()))?;
    temporary
        .persist(path)
        .with_context(|| format!("failed to write {}", path.display()))?;
    Ok(())
}

/// A client with docker's logins, plus `login` for one host when given.
fn client_for(registry: &RegistryArgs, login: Option<(String, &str)>) -> anyhow::Result<Client> {
    let mut credentials = Credentials::from_docker_config()?;
    if let Some((host, login)) = login {
        credentials.insert(&host, Login::parse(login)?);
    }
    Ok(Client::new(credentials, registry.plain_http.clone()))
}

fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn human_bytes(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / MIB)
    } else {
        format!("{bytes} bytes")
    }
}
