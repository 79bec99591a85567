//! npm, yarn and pnpm workspaces and lerna: `package.json`, `pnpm-workspace.yaml`,
//! `lerna.json`.

use std::path::Path;

use serde_json::Value;
use verso_core::plan::{Dependency, DependencyKind, SpecStyle};
use verso_core::semver::Version;

use crate::{expand, read, read_yaml, Error, Package, PackageKind};

const MANIFEST: &str = "package.json";

/// The fixed group of a lerna repository whose `version` is not `independent`.
pub const LERNA_GROUP: &str = "lerna";

#[derive(serde::Deserialize)]
struct PnpmWorkspace {
    #[serde(default)]
    packages: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Lerna {
    #[serde(default)]
    packages: Option<Vec<String>>,
    #[serde(default)]
    version: Option<String>,
}

/// Dependency sections and the kind each one declares.
const SECTIONS: [(&str, DependencyKind); 4] = [
    ("dependencies", DependencyKind::Runtime),
    ("devDependencies", DependencyKind::Dev),
    ("peerDependencies", DependencyKind::Peer),
    ("optionalDependencies", DependencyKind::Optional),
];

pub(crate) fn discover(root: &Path) -> Result<Vec<Package>, Error> {
    let manifest = root.join(MANIFEST);
    let json = if manifest.is_file() {
        Some(parse(&manifest)?)
    } else {
        None
    };
    let workspaces: Vec<String> = match json.as_ref().and_then(|json| json.get("workspaces")) {
        Some(Value::Array(items)) => strings(items),
        Some(Value::Object(object)) => match object.get("packages") {
            Some(Value::Array(items)) => strings(items),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    // Each source of patterns with the file it comes from, for error messages.
    let mut sources: Vec<(std::path::PathBuf, Vec<String>)> = Vec::new();
    if !workspaces.is_empty() {
        sources.push((manifest.clone(), workspaces.clone()));
    }
    let pnpm = root.join("pnpm-workspace.yaml");
    if pnpm.is_file() {
        let workspace: PnpmWorkspace = read_yaml(&pnpm)?;
        sources.push((pnpm, workspace.packages));
    }
    let lerna_path = root.join("lerna.json");
    let mut fixed = false;
    if lerna_path.is_file() {
        let lerna: Lerna =
            serde_json::from_str(&read(&lerna_path)?).map_err(|error| Error::Malformed {
                path: lerna_path.clone(),
                line: error.line(),
                message: error.to_string(),
            })?;
        fixed = lerna
            .version
            .as_deref()
            .is_some_and(|version| version != "independent");
        match lerna.packages {
            Some(patterns) => sources.push((lerna_path, patterns)),
            // lerna falls back to the workspaces, then to `packages/*`.
            None if sources.is_empty() => {
                sources.push((lerna_path, vec!["packages/*".to_owned()]));
            }
            None => {}
        }
    }
    if sources.is_empty() {
        // A single package, unless the root is only a private workspace shell.
        let Some(json) = json else {
            return Ok(Vec::new());
        };
        return Ok(package(&json, &manifest, ".")?.into_iter().collect());
    }
    let mut paths = Vec::new();
    for (file, patterns) in &sources {
        paths.extend(expand(root, file, patterns, &[], MANIFEST)?);
    }
    paths.sort();
    paths.dedup();
    let mut packages = Vec::new();
    for path in paths {
        let member_manifest = root.join(&path).join(MANIFEST);
        let member = parse(&member_manifest)?;
        if let Some(mut found) = package(&member, &member_manifest, &path)? {
            if fixed {
                found.fixed_group = Some(LERNA_GROUP.to_owned());
            }
            packages.push(found);
        }
    }
    Ok(packages)
}

/// The package whose `package.json` is in `directory`, outside any workspace.
pub(crate) fn single(root: &Path, directory: &str) -> Result<Option<Package>, Error> {
    let manifest = root.join(directory).join(MANIFEST);
    package(&parse(&manifest)?, &manifest, directory)
}

fn parse(path: &Path) -> Result<Value, Error> {
    let text = read(path)?;
    serde_json::from_str(&text).map_err(|error| Error::Malformed {
        path: path.to_path_buf(),
        line: error.line(),
        message: error.to_string(),
    })
}

fn strings(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| item.as_str().map(str::to_owned))
        .collect()
}

/// The package a `package.json` describes; `None` for a manifest without a name.
fn package(json: &Value, manifest: &Path, path: &str) -> Result<Option<Package>, Error> {
    let Some(name) = json.get("name").and_then(Value::as_str) else {
        return Ok(None);
    };
    let manifest_version = match json.get("version").and_then(Value::as_str) {
        Some(text) => Some(Version::parse(text).map_err(|error| Error::Invalid {
            path: manifest.to_path_buf(),
            message: format!("`version` `{text}` is not a valid version: {error}"),
        })?),
        None => None,
    };
    let mut dependencies = Vec::new();
    for (section, kind) in SECTIONS {
        if let Some(Value::Object(entries)) = json.get(section) {
            for (dependency, spec) in entries {
                if let Some(spec) = spec.as_str() {
                    dependencies.push(Dependency::new(dependency, kind, spec, SpecStyle::Npm));
                }
            }
        }
    }
    Ok(Some(Package {
        name: name.to_owned(),
        path: path.to_owned(),
        kind: PackageKind::Npm,
        manifest_version,
        dependencies,
        fixed_group: None,
    }))
}
