//! Python projects: `pyproject.toml` with a PEP 621 `[project]` table or Poetry's
//! `[tool.poetry]`.

use std::path::Path;

use toml::Value;
use verso_core::plan::{Dependency, DependencyKind, SpecStyle};
use verso_core::semver::Version;

use crate::{parse_toml, Error, Package, PackageKind};

pub(crate) const MANIFEST: &str = "pyproject.toml";

/// The project in `directory`, `None` for a `pyproject.toml` that only configures tools.
pub(crate) fn package(root: &Path, directory: &str) -> Result<Option<Package>, Error> {
    let manifest = root.join(directory).join(MANIFEST);
    let table = parse_toml(&manifest)?;
    let project = table.get("project").and_then(Value::as_table);
    let poetry = table
        .get("tool")
        .and_then(|tool| tool.get("poetry"))
        .and_then(Value::as_table);
    let name = project
        .and_then(|project| project.get("name"))
        .or_else(|| poetry.and_then(|poetry| poetry.get("name")))
        .and_then(Value::as_str);
    let Some(name) = name else {
        return Ok(None);
    };
    let version_text = project
        .and_then(|project| project.get("version"))
        .or_else(|| poetry.and_then(|poetry| poetry.get("version")))
        .and_then(Value::as_str);
    let manifest_version = match version_text {
        Some(text) => Some(pep440_to_semver(text).ok_or_else(|| Error::Invalid {
            path: manifest.clone(),
            message: format!(
                "`version` `{text}` cannot be read as SemVer (use `X.Y.Z`, optionally with `aN`, `bN` or `rcN`)"
            ),
        })?),
        None => None,
    };
    let mut dependencies = Vec::new();
    if let Some(project) = project {
        let mut requirements = |value: Option<&Value>, kind| {
            for requirement in value.and_then(Value::as_array).into_iter().flatten() {
                if let Some((name, spec)) = requirement.as_str().and_then(pep508) {
                    dependencies.push(Dependency::new(name, kind, spec, SpecStyle::Python));
                }
            }
        };
        requirements(project.get("dependencies"), DependencyKind::Runtime);
        if let Some(extras) = project
            .get("optional-dependencies")
            .and_then(Value::as_table)
        {
            for group in extras.values() {
                requirements(Some(group), DependencyKind::Optional);
            }
        }
        if let Some(groups) = table.get("dependency-groups").and_then(Value::as_table) {
            for group in groups.values() {
                requirements(Some(group), DependencyKind::Dev);
            }
        }
    }
    if let Some(poetry) = poetry {
        poetry_dependencies(
            poetry.get("dependencies"),
            DependencyKind::Runtime,
            &mut dependencies,
        );
        poetry_dependencies(
            poetry.get("dev-dependencies"),
            DependencyKind::Dev,
            &mut dependencies,
        );
        if let Some(groups) = poetry.get("group").and_then(Value::as_table) {
            for group in groups.values() {
                poetry_dependencies(
                    group.get("dependencies"),
                    DependencyKind::Dev,
                    &mut dependencies,
                );
            }
        }
    }
    Ok(Some(Package {
        name: name.to_owned(),
        path: directory.to_owned(),
        kind: PackageKind::Python,
        manifest_version,
        dependencies,
        fixed_group: None,
    }))
}

/// `[tool.poetry.dependencies]`: `b = "^1.2"` or `b = { version = "^1.2", path = "../b" }`.
fn poetry_dependencies(table: Option<&Value>, kind: DependencyKind, into: &mut Vec<Dependency>) {
    let Some(table) = table.and_then(Value::as_table) else {
        return;
    };
    for (name, declaration) in table {
        if name == "python" {
            continue;
        }
        let (spec, optional) = match declaration {
            Value::String(spec) => (spec.as_str(), false),
            Value::Table(details) => (
                details.get("version").and_then(Value::as_str).unwrap_or(""),
                details.get("optional") == Some(&Value::Boolean(true)),
            ),
            _ => continue,
        };
        let kind = if optional {
            DependencyKind::Optional
        } else {
            kind
        };
        // Poetry's `^` and `~` read as npm's.
        into.push(Dependency::new(name, kind, spec, SpecStyle::Npm));
    }
}

/// The name and version specifier of a PEP 508 requirement:
/// `b[extra] >=1.2,<2 ; python_version > "3.8"` gives `("b", ">=1.2,<2")`.
pub(crate) fn pep508(requirement: &str) -> Option<(&str, &str)> {
    let requirement = requirement.trim();
    let end = requirement
        .find(|character: char| !(character.is_ascii_alphanumeric() || "._-".contains(character)))
        .unwrap_or(requirement.len());
    let name = &requirement[..end];
    if name.is_empty() {
        return None;
    }
    let mut rest = requirement[end..].trim_start();
    if let Some(after) = rest.strip_prefix('[') {
        rest = after
            .split_once(']')
            .map_or("", |(_, after)| after)
            .trim_start();
    }
    let spec = rest.split(';').next().unwrap_or("").trim();
    let spec = spec
        .strip_prefix('(')
        .and_then(|inner| inner.strip_suffix(')'))
        .unwrap_or(spec)
        .trim();
    // A direct reference (`b @ file:///...`) has no version to rewrite.
    let spec = if spec.starts_with('@') { "" } else { spec };
    Some((name, spec))
}

/// PEP 503 normalized name: lowercase, runs of `-`, `_` and `.` as one `-`.
pub(crate) fn normalize(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    for character in name.chars() {
        if "-_.".contains(character) {
            if !normalized.ends_with('-') {
                normalized.push('-');
            }
        } else {
            normalized.push(character.to_ascii_lowercase());
        }
    }
    normalized
}

/// The SemVer reading of a PEP 440 version: `1.2` → `1.2.0`, `1.2.0rc1` → `1.2.0-rc.1`,
/// `1.2.0a1` → `1.2.0-alpha.1`, `1.2.0b1` → `1.2.0-beta.1`; `None` for anything else
/// (epochs, post and dev releases, local versions).
pub(crate) fn pep440_to_semver(text: &str) -> Option<Version> {
    let text = text.trim().trim_start_matches('v');
    let release_end = text
        .find(|character: char| !(character.is_ascii_digit() || character == '.'))
        .unwrap_or(text.len());
    let (release, pre) = text.split_at(release_end);
    let mut parts: Vec<&str> = release.trim_end_matches('.').split('.').collect();
    if parts.len() > 3 || parts.iter().any(|part| part.is_empty()) {
        return None;
    }
    while parts.len() < 3 {
        parts.push("0");
    }
    let pre = pre.trim_start_matches(['.', '-', '_']);
    let pre = if pre.is_empty() {
        String::new()
    } else {
        let digits = pre
            .find(|character: char| character.is_ascii_digit())
            .unwrap_or(pre.len());
        let (label, number) = pre.split_at(digits);
        let label = match label.trim_end_matches(['.', '-', '_']) {
            "a" | "alpha" => "alpha",
            "b" | "beta" => "beta",
            "rc" | "c" | "pre" | "preview" => "rc",
            _ => return None,
        };
        let number = if number.is_empty() { "0" } else { number };
        format!("-{label}.{number}")
    };
    Version::parse_strict(&format!("{}{pre}", parts.join("."))).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep508_requirements() {
        assert_eq!(pep508("b>=1.2,<2"), Some(("b", ">=1.2,<2")));
        assert_eq!(
            pep508("my_lib[fast] (>=1.0) ; python_version > '3.8'"),
            Some(("my_lib", ">=1.0"))
        );
        assert_eq!(pep508("c"), Some(("c", "")));
        assert_eq!(pep508("d @ file:///x"), Some(("d", "")));
    }

    #[test]
    fn pep440_versions() {
        let read = |text: &str| pep440_to_semver(text).map(|version| version.to_string());
        assert_eq!(read("1.2").as_deref(), Some("1.2.0"));
        assert_eq!(read("1.2.3rc1").as_deref(), Some("1.2.3-rc.1"));
        assert_eq!(read("1.2.3a2").as_deref(), Some("1.2.3-alpha.2"));
        assert_eq!(read("1.2.3.b1").as_deref(), Some("1.2.3-beta.1"));
        assert_eq!(read("1!1.2"), None);
        assert_eq!(read("1.2.3.post1"), None);
        assert_eq!(read("1.2.3.4"), None);
    }

    #[test]
    fn names_normalize() {
        assert_eq!(normalize("My__Lib.core"), "my-lib-core");
    }
}
