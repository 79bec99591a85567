//! npm and yarn workspaces: `package.json`.

use std::path::Path;

use serde_json::Value;
use verso_core::plan::{Dependency, DependencyKind, SpecStyle};
use verso_core::semver::Version;

use crate::{expand, read, Error, Package, PackageKind};

const MANIFEST: &str = "package.json";

/// Dependency sections and the kind each one declares.
const SECTIONS: [(&str, DependencyKind); 4] = [
    ("dependencies", DependencyKind::Runtime),
    ("devDependencies", DependencyKind::Dev),
    ("peerDependencies", DependencyKind::Peer),
    ("optionalDependencies", DependencyKind::Optional),
];

pub(crate) fn discover(root: &Path) -> Result<Vec<Package>, Error> {
    let manifest = root.join(MANIFEST);
    if !manifest.is_file() {
        return Ok(Vec::new());
    }
    let json = parse(&manifest)?;
    let patterns: Vec<String> = match json.get("workspaces") {
        Some(Value::Array(items)) => strings(items),
        Some(Value::Object(object)) => match object.get("packages") {
            Some(Value::Array(items)) => strings(items),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    if patterns.is_empty() {
        // A single package, unless the root is only a private workspace shell.
        return Ok(package(&json, &manifest, ".")?.into_iter().collect());
    }
    let mut packages = Vec::new();
    for path in expand(root, &manifest, &patterns, &[], MANIFEST)? {
        let member_manifest = root.join(&path).join(MANIFEST);
        let member = parse(&member_manifest)?;
        if let Some(found) = package(&member, &member_manifest, &path)? {
            packages.push(found);
        }
    }
    Ok(packages)
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
    }))
}
