//! Cargo workspaces: `Cargo.toml`.

use std::path::Path;

use toml::{Table, Value};
use verso_core::plan::{Dependency, DependencyKind, SpecStyle};
use verso_core::semver::Version;

use crate::{expand, parse_toml as parse, Error, Package, PackageKind};

const MANIFEST: &str = "Cargo.toml";

const SECTIONS: [(&str, DependencyKind); 3] = [
    ("dependencies", DependencyKind::Runtime),
    ("dev-dependencies", DependencyKind::Dev),
    ("build-dependencies", DependencyKind::Build),
];

pub(crate) fn discover(root: &Path) -> Result<Vec<Package>, Error> {
    let manifest = root.join(MANIFEST);
    if !manifest.is_file() {
        return Ok(Vec::new());
    }
    let table = parse(&manifest)?;
    let workspace = table.get("workspace").and_then(Value::as_table);
    let Some(workspace) = workspace else {
        return Ok(package(&table, &manifest, ".", None)?.into_iter().collect());
    };
    let members = string_list(workspace.get("members"));
    let excluded = string_list(workspace.get("exclude"));
    let mut paths = expand(root, &manifest, &members, &excluded, MANIFEST)?;
    if table.contains_key("package") && !paths.iter().any(|path| path == ".") {
        paths.insert(0, ".".to_owned());
    }
    let mut packages = Vec::new();
    for path in paths {
        let member_manifest = root.join(&path).join(MANIFEST);
        let member = if path == "." {
            table.clone()
        } else {
            parse(&member_manifest)?
        };
        if let Some(found) = package(&member, &member_manifest, &path, Some(workspace))? {
            packages.push(found);
        }
    }
    Ok(packages)
}

/// The crate whose `Cargo.toml` is in `directory`, outside any workspace.
pub(crate) fn single(root: &Path, directory: &str) -> Result<Option<Package>, Error> {
    let manifest = root.join(directory).join(MANIFEST);
    package(&parse(&manifest)?, &manifest, directory, None)
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The package a `Cargo.toml` describes; `None` for a virtual manifest.
fn package(
    table: &Table,
    manifest: &Path,
    path: &str,
    workspace: Option<&Table>,
) -> Result<Option<Package>, Error> {
    let Some(section) = table.get("package").and_then(Value::as_table) else {
        return Ok(None);
    };
    let Some(name) = section.get("name").and_then(Value::as_str) else {
        return Err(Error::Invalid {
            path: manifest.to_path_buf(),
            message: "`[package]` has no `name`".to_owned(),
        });
    };
    let inherited = |key: &str| {
        workspace
            .and_then(|workspace| workspace.get("package"))
            .and_then(|package| package.get(key))
    };
    let version_text = match section.get("version") {
        Some(Value::String(text)) => Some(text.as_str()),
        Some(Value::Table(table)) if table.get("workspace") == Some(&Value::Boolean(true)) => {
            inherited("version").and_then(Value::as_str)
        }
        _ => None,
    };
    let manifest_version = match version_text {
        Some(text) => Some(Version::parse_strict(text).map_err(|error| Error::Invalid {
            path: manifest.to_path_buf(),
            message: format!("`version` `{text}` is not a valid version: {error}"),
        })?),
        None => None,
    };
    let mut dependencies = Vec::new();
    let mut sections: Vec<(&Table, DependencyKind)> = Vec::new();
    for (key, kind) in SECTIONS {
        if let Some(entries) = table.get(key).and_then(Value::as_table) {
            sections.push((entries, kind));
        }
    }
    // `[target.'cfg(..)'.dependencies]` and friends.
    if let Some(targets) = table.get("target").and_then(Value::as_table) {
        for target in targets.values().filter_map(Value::as_table) {
            for (key, kind) in SECTIONS {
                if let Some(entries) = target.get(key).and_then(Value::as_table) {
                    sections.push((entries, kind));
                }
            }
        }
    }
    let workspace_dependencies = workspace
        .and_then(|workspace| workspace.get("dependencies"))
        .and_then(Value::as_table);
    for (entries, kind) in sections {
        for (key, declaration) in entries {
            let (dependency_name, spec) = match declaration {
                Value::String(spec) => (key.as_str(), spec.clone()),
                Value::Table(details) => {
                    let renamed = details
                        .get("package")
                        .and_then(Value::as_str)
                        .unwrap_or(key);
                    let from_workspace = details.get("workspace") == Some(&Value::Boolean(true));
                    let spec = if from_workspace {
                        workspace_dependencies
                            .and_then(|dependencies| dependencies.get(key))
                            .and_then(|declared| match declared {
                                Value::String(spec) => Some(spec.clone()),
                                Value::Table(details) => details
                                    .get("version")
                                    .and_then(Value::as_str)
                                    .map(str::to_owned),
                                _ => None,
                            })
                    } else {
                        details
                            .get("version")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    };
                    (renamed, spec.unwrap_or_default())
                }
                _ => continue,
            };
            dependencies.push(Dependency::new(
                dependency_name,
                kind,
                &spec,
                SpecStyle::Cargo,
            ));
        }
    }
    Ok(Some(Package {
        name: name.to_owned(),
        path: path.to_owned(),
        kind: PackageKind::Cargo,
        manifest_version,
        dependencies,
        fixed_group: None,
    }))
}
