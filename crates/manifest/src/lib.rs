//! Manifest formats: find the packages of a repository, their manifest versions and their
//! internal dependencies, without configuration.
//!
//! - npm, yarn and pnpm workspaces (`package.json` `workspaces` as an array or as
//!   `{"packages": [...]}`, `pnpm-workspace.yaml`, `!` exclusions) and lerna (`lerna.json`
//!   `packages`; a `version` other than `independent` puts every package in one fixed group);
//! - Cargo workspaces (`members` globs, `exclude`, `version.workspace = true`,
//!   `workspace = true` dependencies, path dependencies of every kind);
//! - Helm charts: any folder with a `Chart.yaml`; dependencies with a `file://` repository
//!   are internal;
//! - Python projects: `pyproject.toml` with PEP 621 `[project]` or Poetry's `[tool.poetry]`
//!   (names compared PEP 503-normalized, PEP 440 versions read as SemVer).
//!
//! A repository that is a single npm or Cargo package is one package at `.`. Internal
//! dependencies are matched by name within one ecosystem: an npm package never depends on
//! a chart.
//!
//! Discovery reads files and never writes them; [`edit`] computes format-preserving edits
//! of their text for the release step.
//!
//! ```no_run
//! let packages = verso_manifest::discover(std::path::Path::new("."))?;
//! for package in &packages {
//!     println!("{} at {} ({:?})", package.name, package.path, package.kind);
//! }
//! # Ok::<(), verso_manifest::Error>(())
//! ```

mod cargo;
pub mod edit;
mod helm;
mod npm;
mod python;
pub mod write;

use std::path::{Path, PathBuf};

use verso_core::plan::Dependency;
use verso_core::semver::Version;

pub use npm::LERNA_GROUP;

/// The ecosystem of a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PackageKind {
    Npm,
    Cargo,
    Helm,
    Python,
    /// Declared in configuration only: a folder with a version and tags.
    Generic,
}

impl PackageKind {
    pub const ALL: [PackageKind; 5] = [
        PackageKind::Npm,
        PackageKind::Cargo,
        PackageKind::Helm,
        PackageKind::Python,
        PackageKind::Generic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PackageKind::Npm => "npm",
            PackageKind::Cargo => "cargo",
            PackageKind::Helm => "helm",
            PackageKind::Python => "python",
            PackageKind::Generic => "generic",
        }
    }
}

impl std::fmt::Display for PackageKind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl std::str::FromStr for PackageKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        PackageKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "unknown package kind `{text}`: expected npm, cargo, helm, python or generic"
                )
            })
    }
}

/// One package found in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    /// Relative to the repository root, `/`-separated; `.` for the root.
    pub path: String,
    pub kind: PackageKind,
    /// The version written in the manifest, if any.
    pub manifest_version: Option<Version>,
    /// Dependencies on other packages of the same repository and ecosystem.
    pub dependencies: Vec<Dependency>,
    /// The fixed group the manifests put the package in (lerna's fixed mode).
    pub fixed_group: Option<String>,
}

/// Why the packages cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` line {line}: {message}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("`{}`: invalid workspace pattern `{pattern}`", path.display())]
    Pattern {
        path: PathBuf,
        pattern: String,
        #[source]
        source: glob::PatternError,
    },
    #[error("`{}`: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// Finds every package under `root`, sorted by path. Only dependencies on packages of the
/// same ecosystem in the repository are kept.
pub fn discover(root: &Path) -> Result<Vec<Package>, Error> {
    // Globs give paths under the root as written; an absolute root makes them comparable.
    let root = &std::fs::canonicalize(root).map_err(|source| Error::Read {
        path: root.to_path_buf(),
        source,
    })?;
    let mut packages = npm::discover(root)?;
    packages.extend(cargo::discover(root)?);
    let mut charts = Vec::new();
    let mut projects = Vec::new();
    scan(root, "", 0, &mut charts, &mut projects)?;
    for directory in charts {
        packages.push(helm::package(root, &directory)?);
    }
    for directory in projects {
        packages.extend(python::package(root, &directory)?);
    }
    resolve_internal(&mut packages);
    packages.sort_by(|left, right| {
        (&left.path, left.kind, &left.name).cmp(&(&right.path, right.kind, &right.name))
    });
    Ok(packages)
}

/// Reads the package of `kind` in `directory` (relative to `root`) directly, for a
/// package that configuration declares and discovery did not find. A `generic` package
/// takes its version from a `VERSION` file when there is one.
pub fn load(root: &Path, directory: &str, kind: PackageKind) -> Result<Option<Package>, Error> {
    match kind {
        PackageKind::Npm => npm::single(root, directory),
        PackageKind::Cargo => cargo::single(root, directory),
        PackageKind::Helm => helm::package(root, directory).map(Some),
        PackageKind::Python => python::package(root, directory),
        PackageKind::Generic => {
            let file = root.join(directory).join("VERSION");
            let manifest_version = if file.is_file() {
                let text = read(&file)?;
                Some(Version::parse(text.trim()).map_err(|error| Error::Invalid {
                    path: file.clone(),
                    message: format!("`{}` is not a valid version: {error}", text.trim()),
                })?)
            } else {
                None
            };
            let name = directory
                .rsplit('/')
                .next()
                .filter(|name| !name.is_empty() && *name != ".")
                .unwrap_or("root");
            Ok(Some(Package {
                name: name.to_owned(),
                path: directory.to_owned(),
                kind,
                manifest_version,
                dependencies: Vec::new(),
                fixed_group: None,
            }))
        }
    }
}

/// Keeps the dependencies on packages of the same ecosystem in the repository; Python
/// names are matched PEP 503-normalized and rewritten to the name the project declares.
fn resolve_internal(packages: &mut [Package]) {
    let key = |kind: PackageKind, name: &str| match kind {
        PackageKind::Python => (kind, python::normalize(name)),
        _ => (kind, name.to_owned()),
    };
    let names: std::collections::HashMap<(PackageKind, String), String> = packages
        .iter()
        .map(|package| (key(package.kind, &package.name), package.name.clone()))
        .collect();
    for package in packages {
        let (kind, own) = (package.kind, package.name.clone());
        package.dependencies.retain_mut(|dependency| {
            match names.get(&key(kind, &dependency.name)) {
                Some(name) if *name != own => {
                    dependency.name.clone_from(name);
                    true
                }
                _ => false,
            }
        });
    }
}

/// Folders never searched for charts and Python projects: dependencies, build output,
/// virtual environments.
const SKIPPED: [&str; 5] = [
    "node_modules",
    "target",
    "__pycache__",
    "venv",
    "site-packages",
];

/// How deep the search for charts and Python projects goes.
const MAX_DEPTH: usize = 12;

/// Collects the folders under `root` that hold a `Chart.yaml` or a `pyproject.toml`.
/// Hidden folders and [`SKIPPED`] ones are not entered; symbolic links are not followed.
fn scan(
    root: &Path,
    relative: &str,
    depth: usize,
    charts: &mut Vec<String>,
    projects: &mut Vec<String>,
) -> Result<(), Error> {
    let directory = if relative.is_empty() {
        root.to_path_buf()
    } else {
        root.join(relative)
    };
    let entries = std::fs::read_dir(&directory).map_err(|source| Error::Read {
        path: directory.clone(),
        source,
    })?;
    let mut subdirectories = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let here = if relative.is_empty() { "." } else { relative };
        if file_type.is_file() && name == helm::MANIFEST {
            charts.push(here.to_owned());
        } else if file_type.is_file() && name == python::MANIFEST {
            projects.push(here.to_owned());
        } else if file_type.is_dir() && !name.starts_with('.') && !SKIPPED.contains(&name) {
            subdirectories.push(name.to_owned());
        }
    }
    if depth < MAX_DEPTH {
        for name in subdirectories {
            let child = if relative.is_empty() {
                name
            } else {
                format!("{relative}/{name}")
            };
            scan(root, &child, depth + 1, charts, projects)?;
        }
    }
    Ok(())
}

/// Reads a YAML file into `T`; a syntax error names the line.
pub(crate) fn read_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Error> {
    let text = read(path)?;
    serde_saphyr::from_str(&text).map_err(|error| Error::Malformed {
        path: path.to_path_buf(),
        line: error
            .location()
            .map_or(1, |location| usize::try_from(location.line()).unwrap_or(1)),
        message: error.to_string(),
    })
}

/// Reads a TOML file; a syntax error names the line.
pub(crate) fn parse_toml(path: &Path) -> Result<toml::Table, Error> {
    let text = read(path)?;
    text.parse::<toml::Table>()
        .map_err(|error| Error::Malformed {
            path: path.to_path_buf(),
            line: error.span().map_or(1, |span| line_of(&text, span.start)),
            message: error.message().to_owned(),
        })
}

pub(crate) fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|byte| **byte == b'\n')
        .count()
        + 1
}

/// The directories under `root` that match `patterns` (globs relative to `root`; a leading
/// `!` excludes) and contain `file`, as `/`-separated relative paths.
pub(crate) fn expand(
    root: &Path,
    manifest: &Path,
    patterns: &[String],
    excluded: &[String],
    file: &str,
) -> Result<Vec<String>, Error> {
    let pattern_error = |pattern: &str, source| Error::Pattern {
        path: manifest.to_path_buf(),
        pattern: pattern.to_owned(),
        source,
    };
    let mut exclusions = Vec::new();
    for pattern in excluded {
        let cleaned = clean(pattern);
        exclusions
            .push(glob::Pattern::new(&cleaned).map_err(|source| pattern_error(pattern, source))?);
    }
    let mut found = Vec::new();
    for pattern in patterns {
        if let Some(negated) = pattern.strip_prefix('!') {
            let cleaned = clean(negated);
            exclusions.push(
                glob::Pattern::new(&cleaned).map_err(|source| pattern_error(pattern, source))?,
            );
            continue;
        }
        let full = root.join(clean(pattern));
        let full = full.to_string_lossy();
        let matches = glob::glob(&full).map_err(|source| pattern_error(pattern, source))?;
        for entry in matches.flatten() {
            if !entry.join(file).is_file() {
                continue;
            }
            let Ok(relative) = entry.strip_prefix(root) else {
                continue;
            };
            let relative = relative
                .components()
                .map(|component| component.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if relative.split('/').any(|part| part == "node_modules") {
                continue;
            }
            found.push(if relative.is_empty() {
                ".".to_owned()
            } else {
                relative
            });
        }
    }
    found.retain(|path| !exclusions.iter().any(|exclusion| exclusion.matches(path)));
    found.sort();
    found.dedup();
    Ok(found)
}

/// `./packages/*/` gives `packages/*`.
fn clean(pattern: &str) -> String {
    pattern
        .trim_start_matches("./")
        .trim_end_matches('/')
        .to_owned()
}
