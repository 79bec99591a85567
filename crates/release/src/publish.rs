//! Publishers: each puts one released package somewhere, and each can tell a version it
//! already published (same content: skipped) from a clash (different content: an error),
//! so that a resumed release publishes exactly what is missing.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use anyhow::{anyhow, bail, Context as _};
use serde::{Deserialize, Serialize};

/// Where and how a package is published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Publisher {
    /// `npm publish` (or pnpm/yarn), with `--tag <channel>` for prereleases.
    Npm {
        /// `npm`, `pnpm` or `yarn`.
        client: String,
        registry: Option<String>,
        access: Option<String>,
    },
    /// `cargo publish -p <name>`.
    Cargo { registry: Option<String> },
    /// `helm package` then `helm push` to an `oci://` repository.
    Helm { repository: String },
    /// A shell command with `VERSO_*` variables in its environment.
    Command { command: String },
}

impl Publisher {
    pub fn label(&self) -> &'static str {
        match self {
            Publisher::Npm { .. } => "npm",
            Publisher::Cargo { .. } => "cargo",
            Publisher::Helm { .. } => "helm",
            Publisher::Command { .. } => "command",
        }
    }
}

/// What the publisher is given about the package.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub name: &'a str,
    /// Absolute folder of the package.
    pub directory: &'a Path,
    pub version: &'a str,
    pub previous_version: Option<&'a str>,
    pub tag: Option<&'a str>,
    /// The prerelease channel; `None` on the stable channel.
    pub channel: Option<&'a str>,
}

/// What publishing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Published,
    /// The registry already has this version with the same content.
    Skipped,
}

/// The command line a publisher runs, for `--dry-run`.
pub fn describe(publisher: &Publisher, target: &Target<'_>) -> String {
    match publisher {
        Publisher::Npm {
            client,
            registry,
            access,
        } => npm_arguments(client, target, registry.as_deref(), access.as_deref()).join(" "),
        Publisher::Cargo { registry } => cargo_arguments(target, registry.as_deref()).join(" "),
        Publisher::Helm { repository } => format!(
            "verso chart push {} {repository}",
            target.directory.display()
        ),
        Publisher::Command { command } => command.clone(),
    }
}

pub fn publish(publisher: &Publisher, target: &Target<'_>) -> anyhow::Result<Outcome> {
    match publisher {
        Publisher::Npm {
            client,
            registry,
            access,
        } => npm(client, target, registry.as_deref(), access.as_deref()),
        Publisher::Cargo { registry } => cargo(target, registry.as_deref()),
        Publisher::Helm { repository } => crate::helm::publish(target, repository),
        Publisher::Command { command } => {
            let mut shell = Command::new("sh");
            shell.arg("-c").arg(command);
            environment(&mut shell, target);
            let output = run(&mut shell, target.directory)?;
            if !output.status.success() {
                bail!(
                    "the publish command `{command}` for {} failed ({}): {}",
                    target.name,
                    output.status,
                    tail(&output)
                );
            }
            Ok(Outcome::Published)
        }
    }
}

/// `VERSO_PACKAGE`, `VERSO_VERSION`, `VERSO_PREVIOUS_VERSION`, `VERSO_TAG`, `VERSO_CHANNEL`.
fn environment(command: &mut Command, target: &Target<'_>) {
    command
        .env("VERSO_PACKAGE", target.name)
        .env("VERSO_VERSION", target.version)
        .env(
            "VERSO_PREVIOUS_VERSION",
            target.previous_version.unwrap_or(""),
        )
        .env("VERSO_TAG", target.tag.unwrap_or(""))
        .env("VERSO_CHANNEL", target.channel.unwrap_or("stable"));
}

pub(crate) fn run(command: &mut Command, directory: &Path) -> anyhow::Result<Output> {
    let program = command.get_program().to_string_lossy().into_owned();
    command
        .current_dir(directory)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("failed to run `{program}`: is it installed and on PATH?"))
}

/// The last lines of a command's error output (and standard output when that is empty).
pub(crate) fn tail(output: &Output) -> String {
    let text = if output.stderr.is_empty() {
        String::from_utf8_lossy(&output.stdout)
    } else {
        String::from_utf8_lossy(&output.stderr)
    };
    let lines: Vec<&str> = text.trim().lines().collect();
    lines[lines.len().saturating_sub(12)..].join("\n")
}

fn npm_arguments(
    client: &str,
    target: &Target<'_>,
    registry: Option<&str>,
    access: Option<&str>,
) -> Vec<String> {
    let mut arguments: Vec<String> = match client {
        "yarn" => vec!["yarn".into(), "npm".into(), "publish".into()],
        other => vec![other.to_owned(), "publish".into()],
    };
    if client == "pnpm" {
        // The release commit is not pushed yet; pnpm would refuse to publish from it.
        arguments.push("--no-git-checks".into());
    }
    // A prerelease goes to its channel's dist-tag, never to `latest`.
    if let Some(channel) = target.channel {
        arguments.extend(["--tag".into(), channel.to_owned()]);
    }
    if let Some(registry) = registry {
        if client != "yarn" {
            arguments.extend(["--registry".into(), registry.to_owned()]);
        }
    }
    if let Some(access) = access {
        arguments.extend(["--access".into(), access.to_owned()]);
    }
    arguments
}

fn npm(
    client: &str,
    target: &Target<'_>,
    registry: Option<&str>,
    access: Option<&str>,
) -> anyhow::Result<Outcome> {
    let spec = format!("{}@{}", target.name, target.version);
    let with_registry = |command: &mut Command| {
        if let Some(registry) = registry {
            command.arg("--registry").arg(registry);
        }
    };
    // Ask the registry first: the version may be there from an interrupted release.
    let mut view = Command::new("npm");
    view.args(["view", &spec, "dist.integrity", "--json"]);
    with_registry(&mut view);
    let viewed = run(&mut view, target.directory)?;
    let published: Option<String> = if viewed.status.success() {
        let text = String::from_utf8_lossy(&viewed.stdout);
        serde_json::from_str::<serde_json::Value>(text.trim())
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
    } else {
        let errors = String::from_utf8_lossy(&viewed.stderr);
        if !(errors.contains("E404") || errors.contains("404 Not Found")) {
            bail!(
                "cannot ask the registry about {spec}: `npm view` failed: {}",
                tail(&viewed)
            );
        }
        None
    };
    if let Some(remote) = published {
        let mut pack = Command::new("npm");
        pack.args(["pack", "--dry-run", "--json"]);
        let packed = run(&mut pack, target.directory)?;
        if !packed.status.success() {
            bail!("`npm pack` failed for {spec}: {}", tail(&packed));
        }
        let listing: serde_json::Value = serde_json::from_slice(&packed.stdout)
            .with_context(|| format!("`npm pack --json` printed no JSON for {spec}"))?;
        let local = listing
            .get(0)
            .and_then(|entry| entry.get("integrity"))
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| anyhow!("`npm pack --json` gave no integrity for {spec}"))?;
        if local == remote {
            return Ok(Outcome::Skipped);
        }
        bail!(
            "{spec} is already published with different contents (registry {remote}, local {local}): a published version cannot change; release a new version"
        );
    }
    let arguments = npm_arguments(client, target, registry, access);
    let mut publish = Command::new(&arguments[0]);
    publish.args(&arguments[1..]);
    let output = run(&mut publish, target.directory)?;
    if !output.status.success() {
        bail!(
            "`{}` failed for {spec}: {}",
            arguments.join(" "),
            tail(&output)
        );
    }
    Ok(Outcome::Published)
}

fn cargo_arguments(target: &Target<'_>, registry: Option<&str>) -> Vec<String> {
    let mut arguments = vec![
        "cargo".to_owned(),
        "publish".to_owned(),
        "--package".to_owned(),
        target.name.to_owned(),
    ];
    if let Some(registry) = registry {
        arguments.extend(["--registry".to_owned(), registry.to_owned()]);
    }
    arguments
}

fn cargo(target: &Target<'_>, registry: Option<&str>) -> anyhow::Result<Outcome> {
    let arguments = cargo_arguments(target, registry);
    let mut publish = Command::new(&arguments[0]);
    publish.args(&arguments[1..]);
    let output = run(&mut publish, target.directory)?;
    if output.status.success() {
        return Ok(Outcome::Published);
    }
    let errors = String::from_utf8_lossy(&output.stderr);
    // crates.io and cargo's own check both say "already exists"; alternative registries
    // answer "already uploaded".
    if errors.contains("already exists") || errors.contains("already uploaded") {
        return Ok(Outcome::Skipped);
    }
    bail!("`{}` failed: {}", arguments.join(" "), tail(&output))
}
