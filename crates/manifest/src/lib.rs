//! Manifest formats: find the packages of a repository, their manifest versions and their
//! internal dependencies, without configuration.
//!
//! Supported so far: npm/yarn workspaces (`package.json` `workspaces`, as an array or as
//! `{"packages": [...]}`, `!` exclusions) and Cargo workspaces (`members` globs, `exclude`,
//! `version.workspace = true`, `workspace = true` dependencies, path dependencies of every
//! kind). A repository that is a single npm or Cargo package is one package at `.`.
//!
//! It reads files; it never writes them (editing manifests in place is the release step's job).
//!
//! ```no_run
//! let packages = verso_manifest::discover(std::path::Path::new("."))?;
//! for package in &packages {
//!     println!("{} at {} ({:?})", package.name, package.path, package.kind);
//! }
//! # Ok::<(), verso_manifest::Error>(())
//! ```

mod cargo;
mod npm;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use verso_core::plan::Dependency;
use verso_core::semver::Version;

/// The ecosystem of a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackageKind {
    Npm,
    Cargo,
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
    /// Dependencies on other packages of the same repository.
    pub dependencies: Vec<Dependency>,
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

/// Finds every package under `root`. Only dependencies on packages of the repository are
/// kept.
pub fn discover(root: &Path) -> Result<Vec<Package>, Error> {
    let mut packages = npm::discover(root)?;
    packages.extend(cargo::discover(root)?);
    let names: HashSet<String> = packages
        .iter()
        .map(|package| package.name.clone())
        .collect();
    for package in &mut packages {
        package.dependencies.retain(|dependency| {
            names.contains(&dependency.name) && dependency.name != package.name
        });
    }
    packages.sort_by(|left, right| left.path.cmp(&right.path).then(left.name.cmp(&right.name)));
    Ok(packages)
}

pub(crate) fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
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
