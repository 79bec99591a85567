//! Helm charts: any folder with a `Chart.yaml`; `dependencies` with a `file://` repository
//! are internal.

use std::path::Path;

use serde::Deserialize;
use verso_core::plan::{Dependency, DependencyKind, SpecStyle};
use verso_core::semver::Version;

use crate::{read_yaml, Error, Package, PackageKind};

pub(crate) const MANIFEST: &str = "Chart.yaml";

#[derive(Deserialize)]
struct Chart {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dependencies: Vec<ChartDependency>,
}

#[derive(Deserialize)]
struct ChartDependency {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    repository: Option<String>,
}

/// The chart in `directory` (relative to `root`, `/`-separated).
pub(crate) fn package(root: &Path, directory: &str) -> Result<Package, Error> {
    let manifest = root.join(directory).join(MANIFEST);
    let chart: Chart = read_yaml(&manifest)?;
    let name = chart.name.ok_or_else(|| Error::Invalid {
        path: manifest.clone(),
        message: "`name` is missing".to_owned(),
    })?;
    let manifest_version = match chart.version.as_deref() {
        Some(text) => Some(Version::parse(text).map_err(|error| Error::Invalid {
            path: manifest.clone(),
            message: format!("`version` `{text}` is not a SemVer 2 version: {error}"),
        })?),
        None => None,
    };
    let dependencies = chart
        .dependencies
        .into_iter()
        // Helm requires the name to match the chart found at the `file://` path, so the
        // name is enough to find it among the repository's charts.
        .filter(|dependency| {
            dependency
                .repository
                .as_deref()
                .is_some_and(|repository| repository.starts_with("file://"))
        })
        .map(|dependency| {
            Dependency::new(
                &dependency.name,
                DependencyKind::Runtime,
                dependency.version.as_deref().unwrap_or_default(),
                SpecStyle::Npm,
            )
        })
        .collect();
    Ok(Package {
        name,
        path: directory.to_owned(),
        kind: PackageKind::Helm,
        manifest_version,
        dependencies,
        fixed_group: None,
    })
}
