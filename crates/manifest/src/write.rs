//! The files a release changes: each released package's new version in its manifest, the
//! rewritten specs of its internal dependencies, the lockfile entries that carry either,
//! and the files configuration names.
//!
//! Nothing is written here: [`changes`] reads the files, computes every edit with
//! [`crate::edit`] (byte-exact outside the changed values) and returns each changed file
//! before and after. A malformed file anywhere stops the computation, naming the file and
//! the line, so a release never writes half of its files because of a broken one.
//!
//! | kind | files |
//! | --- | --- |
//! | npm | `package.json` `version` and specs in `dependencies`, `devDependencies`, `peerDependencies`, `optionalDependencies`; `package-lock.json`/`npm-shrinkwrap.json` (`version`, `packages[<path>]`); `pnpm-lock.yaml` importer specifiers |
//! | cargo | `Cargo.toml` `[package] version` (or `[workspace.package] version` when inherited), dependency `version` requirements (also `[workspace.dependencies]`); `Cargo.lock` entries of workspace members |
//! | helm | `Chart.yaml` `version`, `appVersion` when asked, `dependencies[].version`; an image tag in `values.yaml` when asked |
//! | python | `pyproject.toml` `[project] version` or `[tool.poetry] version` (PEP 440), requirement specifiers |
//! | generic | a `VERSION` file when there is one |

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use verso_core::semver::Version;

use crate::edit::{self, EditError, Format, Segment};
use crate::{python, Error, PackageKind};

/// One internal dependency spec to rewrite in a dependent's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecChange {
    /// The dependency's name as the manifest writes it.
    pub name: String,
    pub from: String,
    pub to: String,
}

/// A file that carries a package's version besides its manifest; paths are relative to
/// the package's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionedFile {
    /// The whole file is the version (surrounding whitespace is kept).
    Whole { file: String },
    /// A string at a key path in a JSON, YAML or TOML file (format from the extension).
    Key { file: String, key: Vec<String> },
    /// The first match of a regular expression; its first capture group is the version.
    Pattern { file: String, pattern: String },
}

/// One package to write a new version for.
#[derive(Debug, Clone)]
pub struct Release {
    /// The name the manifests use.
    pub name: String,
    /// Relative to the repository root, `/`-separated; `.` for the root.
    pub path: String,
    pub kind: PackageKind,
    pub version: Version,
    pub specs: Vec<SpecChange>,
    pub files: Vec<VersionedFile>,
    /// A chart's new `appVersion`; `None` leaves it.
    pub app_version: Option<String>,
    /// A chart's image tag: the key path in `values.yaml` (`image.tag`) and the value.
    pub image_tag: Option<(String, String)>,
}

impl Release {
    pub fn new(name: &str, path: &str, kind: PackageKind, version: Version) -> Release {
        Release {
            name: name.to_owned(),
            path: path.to_owned(),
            kind,
            version,
            specs: Vec::new(),
            files: Vec::new(),
            app_version: None,
            image_tag: None,
        }
    }
}

/// A file's text before and after the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    pub before: String,
    pub after: String,
}

/// Computes every file change of `releases` under `root`; files that end unchanged are
/// left out. Applying the same releases to the changed files gives no further change.
pub fn changes(root: &Path, releases: &[Release]) -> Result<Vec<FileChange>, Error> {
    let mut files = Files {
        root,
        texts: BTreeMap::new(),
        inherited: BTreeMap::new(),
    };
    for release in releases {
        match release.kind {
            PackageKind::Npm => npm(&mut files, release)?,
            PackageKind::Cargo => cargo(&mut files, release)?,
            PackageKind::Helm => helm(&mut files, release)?,
            PackageKind::Python => python_project(&mut files, release)?,
            PackageKind::Generic => {
                let file = join(&release.path, "VERSION");
                if files.exists(&file) {
                    files.set(&file, Format::Plain, &[], &release.version.to_string())?;
                }
            }
        }
        for versioned in &release.files {
            versioned_file(&mut files, release, versioned)?;
        }
    }
    Ok(files
        .texts
        .into_iter()
        .filter(|(_, (before, after))| before != after)
        .map(|(path, (before, after))| FileChange {
            path,
            before,
            after,
        })
        .collect())
}

/// The files read so far, each as read and as edited.
struct Files<'r> {
    root: &'r Path,
    texts: BTreeMap<String, (String, String)>,
    /// `[workspace.package] version` values set, by root manifest, and by which package.
    inherited: BTreeMap<String, (String, String)>,
}

impl Files<'_> {
    fn exists(&self, path: &str) -> bool {
        self.texts.contains_key(path) || self.root.join(path).is_file()
    }

    fn text(&mut self, path: &str) -> Result<&str, Error> {
        if !self.texts.contains_key(path) {
            let text = crate::read(&self.root.join(path))?;
            self.texts.insert(path.to_owned(), (text.clone(), text));
        }
        Ok(self
            .texts
            .get(path)
            .map_or("", |(_, current)| current.as_str()))
    }

    /// The current text of `path` parsed as `format`, as JSON values.
    fn parsed(&mut self, path: &str, format: Format) -> Result<Value, Error> {
        let full = self.root.join(path);
        let text = self.text(path)?;
        let malformed = |line: usize, message: String| Error::Malformed {
            path: full.clone(),
            line,
            message,
        };
        match format {
            Format::Json => serde_json::from_str(text)
                .map_err(|error| malformed(error.line(), error.to_string())),
            Format::Toml => {
                let table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
                    let line = error
                        .span()
                        .map_or(1, |span| crate::line_of(text, span.start));
                    malformed(line, error.message().to_owned())
                })?;
                serde_json::to_value(table).map_err(|error| malformed(1, error.to_string()))
            }
            Format::Yaml => serde_saphyr::from_str(text).map_err(|error| {
                let line = error
                    .location()
                    .map_or(1, |location| usize::try_from(location.line()).unwrap_or(1));
                malformed(line, error.to_string())
            }),
            Format::Plain => Ok(Value::String(text.trim().to_owned())),
        }
    }

    /// Sets the string at `at` in `path`.
    fn set(
        &mut self,
        path: &str,
        format: Format,
        at: &[Segment<'_>],
        value: &str,
    ) -> Result<(), Error> {
        let full = self.root.join(path);
        let current = self.text(path)?;
        let edited = edit::set_string_at(format, current, at, value).map_err(|error| {
            edit_error(
                &full,
                error,
                format == Format::Yaml && path.ends_with("Chart.yaml"),
            )
        })?;
        if let Some((_, text)) = self.texts.get_mut(path) {
            *text = edited;
        }
        Ok(())
    }

    /// Sets the string at `at` in `path` when `document` has `from` there.
    fn replace(
        &mut self,
        path: &str,
        format: Format,
        document: &Value,
        at: &[Segment<'_>],
        change: &SpecChange,
    ) -> Result<bool, Error> {
        if lookup(document, at).and_then(Value::as_str) == Some(change.from.as_str()) {
            self.set(path, format, at, &change.to)?;
            return Ok(true);
        }
        Ok(false)
    }
}

fn edit_error(path: &Path, error: EditError, chart: bool) -> Error {
    match error {
        EditError::Malformed { line, message } => Error::Malformed {
            path: path.to_path_buf(),
            line,
            message,
        },
        EditError::NotAString { path: key, line } => Error::Malformed {
            path: path.to_path_buf(),
            line,
            message: format!("`{key}` is not a string"),
        },
        EditError::Missing { path: key } => Error::Invalid {
            path: path.to_path_buf(),
            message: if chart {
                format!("has no `{key}`: add it (any value) so that releases can set it")
            } else {
                format!("has no `{key}` to write the version into: add it")
            },
        },
        EditError::Unwritable { value, format } => Error::Invalid {
            path: path.to_path_buf(),
            message: format!("`{value}` cannot be written as a {format} string"),
        },
    }
}

fn lookup<'v>(document: &'v Value, at: &[Segment<'_>]) -> Option<&'v Value> {
    let mut node = document;
    for segment in at {
        node = match segment {
            Segment::Key(key) => node.get(key)?,
            Segment::Index(index) => node.get(index)?,
        };
    }
    Some(node)
}

/// `dir/file` for a package folder and a file in it, or `file` for the root (`.`).
pub fn join(directory: &str, file: &str) -> String {
    if directory == "." || directory.is_empty() {
        file.to_owned()
    } else {
        format!("{directory}/{file}")
    }
}

/// The nearest folder from `directory` up to the root that holds one of `names`: that
/// file's path and the package's path relative to its folder (`""` when the same).
fn find_up(files: &Files<'_>, directory: &str, names: &[&str]) -> Option<(String, String)> {
    let directory = if directory == "." { "" } else { directory };
    let mut folder = directory;
    loop {
        for name in names {
            let candidate = join(folder, name);
            if files.exists(&candidate) {
                let relative = if folder.is_empty() {
                    directory.to_owned()
                } else {
                    directory[folder.len()..].trim_start_matches('/').to_owned()
                };
                return Some((candidate, relative));
            }
        }
        if folder.is_empty() {
            return None;
        }
        folder = folder.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
}

const NPM_SECTIONS: [&str; 4] = [
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
];

fn npm(files: &mut Files<'_>, release: &Release) -> Result<(), Error> {
    let manifest = join(&release.path, "package.json");
    let version = release.version.to_string();
    files.set(&manifest, Format::Json, &["version".into()], &version)?;
    let document = files.parsed(&manifest, Format::Json)?;
    for change in &release.specs {
        for section in NPM_SECTIONS {
            let at = [Segment::Key(section), Segment::Key(&change.name)];
            files.replace(&manifest, Format::Json, &document, &at, change)?;
        }
    }
    let locks = ["npm-shrinkwrap.json", "package-lock.json"];
    if let Some((lock, key)) = find_up(files, &release.path, &locks) {
        let document = files.parsed(&lock, Format::Json)?;
        if key.is_empty() && document.get("version").is_some_and(Value::is_string) {
            files.set(&lock, Format::Json, &["version".into()], &version)?;
        }
        let entry = [Segment::Key("packages"), Segment::Key(&key)];
        let version_at = [entry[0], entry[1], Segment::Key("version")];
        if lookup(&document, &version_at).is_some_and(Value::is_string) {
            files.set(&lock, Format::Json, &version_at, &version)?;
        }
        for change in &release.specs {
            for section in NPM_SECTIONS {
                let at = [
                    entry[0],
                    entry[1],
                    Segment::Key(section),
                    Segment::Key(&change.name),
                ];
                files.replace(&lock, Format::Json, &document, &at, change)?;
            }
        }
    }
    if let Some((lock, key)) = find_up(files, &release.path, &["pnpm-lock.yaml"]) {
        let importer = if key.is_empty() { "." } else { key.as_str() };
        let document = files.parsed(&lock, Format::Yaml)?;
        for change in &release.specs {
            for section in NPM_SECTIONS {
                let at = [
                    Segment::Key("importers"),
                    Segment::Key(importer),
                    Segment::Key(section),
                    Segment::Key(&change.name),
                    Segment::Key("specifier"),
                ];
                files.replace(&lock, Format::Yaml, &document, &at, change)?;
            }
        }
    }
    Ok(())
}

const CARGO_SECTIONS: [&str; 5] = [
    "dependencies",
    "dev-dependencies",
    "dev_dependencies",
    "build-dependencies",
    "build_dependencies",
];

fn cargo(files: &mut Files<'_>, release: &Release) -> Result<(), Error> {
    let manifest = join(&release.path, "Cargo.toml");
    let version = release.version.to_string();
    let document = files.parsed(&manifest, Format::Toml)?;
    let root = cargo_workspace_root(files, &release.path);
    let own = &["package".into(), "version".into()];
    match lookup(&document, own) {
        Some(Value::String(_)) => files.set(&manifest, Format::Toml, own, &version)?,
        Some(Value::Object(inherit)) if inherit.get("workspace") == Some(&Value::Bool(true)) => {
            let root = root.clone().ok_or_else(|| Error::Invalid {
                path: files.root.join(&manifest),
                message: "inherits `version` from a workspace, but no workspace root was found"
                    .to_owned(),
            })?;
            if let Some((other, set)) = files.inherited.get(&root) {
                if *set != version {
                    return Err(Error::Invalid {
                        path: files.root.join(&root),
                        message: format!(
                            "`{other}` and `{}` inherit `[workspace.package] version` but would be released as {set} and {version}: put them in one group in `verso.toml`",
                            release.name
                        ),
                    });
                }
            }
            let at = &["workspace".into(), "package".into(), "version".into()];
            files.set(&root, Format::Toml, at, &version)?;
            files
                .inherited
                .insert(root, (release.name.clone(), version.clone()));
        }
        _ => {
            return Err(Error::Invalid {
                path: files.root.join(&manifest),
                message: "`[package]` has no `version` to write the new version into: add one"
                    .to_owned(),
            })
        }
    }
    if !release.specs.is_empty() {
        let mut tables: Vec<Vec<String>> = CARGO_SECTIONS
            .iter()
            .map(|section| vec![(*section).to_owned()])
            .collect();
        if let Some(targets) = document.get("target").and_then(Value::as_object) {
            for target in targets.keys() {
                for section in CARGO_SECTIONS {
                    tables.push(vec![
                        "target".to_owned(),
                        target.clone(),
                        section.to_owned(),
                    ]);
                }
            }
        }
        for table in &tables {
            let at: Vec<Segment<'_>> = table.iter().map(|key| Segment::Key(key)).collect();
            let Some(entries) = lookup(&document, &at).and_then(Value::as_object) else {
                continue;
            };
            for (key, declaration) in entries {
                let named = declaration
                    .get("package")
                    .and_then(Value::as_str)
                    .unwrap_or(key);
                let Some(change) = release.specs.iter().find(|change| change.name == named) else {
                    continue;
                };
                let mut entry = at.clone();
                entry.push(Segment::Key(key));
                if declaration.get("workspace") == Some(&Value::Bool(true)) {
                    if let Some(root) = &root {
                        let root_document = files.parsed(root, Format::Toml)?;
                        let shared = [
                            Segment::Key("workspace"),
                            Segment::Key("dependencies"),
                            Segment::Key(key),
                        ];
                        if !files.replace(root, Format::Toml, &root_document, &shared, change)? {
                            let versioned = [shared[0], shared[1], shared[2], "version".into()];
                            files.replace(
                                root,
                                Format::Toml,
                                &root_document,
                                &versioned,
                                change,
                            )?;
                        }
                    }
                    continue;
                }
                if !files.replace(&manifest, Format::Toml, &document, &entry, change)? {
                    entry.push(Segment::Key("version"));
                    files.replace(&manifest, Format::Toml, &document, &entry, change)?;
                }
            }
        }
    }
    if let Some((lock, _)) = find_up(files, &release.path, &["Cargo.lock"]) {
        let document = files.parsed(&lock, Format::Toml)?;
        let entries = document.get("package").and_then(Value::as_array);
        for (index, entry) in entries.into_iter().flatten().enumerate() {
            let ours = entry.get("name").and_then(Value::as_str) == Some(release.name.as_str())
                && entry.get("source").is_none();
            if ours {
                let at = [
                    Segment::Key("package"),
                    Segment::Index(index),
                    "version".into(),
                ];
                files.set(&lock, Format::Toml, &at, &version)?;
            }
        }
    }
    Ok(())
}

/// The `Cargo.toml` with a `[workspace]` table at or above `directory`.
fn cargo_workspace_root(files: &mut Files<'_>, directory: &str) -> Option<String> {
    let mut folder = if directory == "." { "" } else { directory };
    loop {
        let candidate = join(folder, "Cargo.toml");
        let is_root = files.exists(&candidate)
            && files
                .parsed(&candidate, Format::Toml)
                .ok()
                .is_some_and(|root| root.get("workspace").is_some());
        if is_root {
            return Some(candidate);
        }
        if folder.is_empty() {
            return None;
        }
        folder = folder.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
}

fn helm(files: &mut Files<'_>, release: &Release) -> Result<(), Error> {
    let manifest = join(&release.path, "Chart.yaml");
    files.set(
        &manifest,
        Format::Yaml,
        &["version".into()],
        &release.version.to_string(),
    )?;
    if let Some(app_version) = &release.app_version {
        files.set(&manifest, Format::Yaml, &["appVersion".into()], app_version)?;
    }
    let document = files.parsed(&manifest, Format::Yaml)?;
    let dependencies = document.get("dependencies").and_then(Value::as_array);
    for (index, dependency) in dependencies.into_iter().flatten().enumerate() {
        let name = dependency.get("name").and_then(Value::as_str);
        if let Some(change) = release
            .specs
            .iter()
            .find(|change| Some(change.name.as_str()) == name)
        {
            let at = [
                Segment::Key("dependencies"),
                Segment::Index(index),
                "version".into(),
            ];
            files.replace(&manifest, Format::Yaml, &document, &at, change)?;
        }
    }
    if let Some((key, tag)) = &release.image_tag {
        let values = join(&release.path, "values.yaml");
        let at: Vec<Segment<'_>> = key.split('.').map(Segment::Key).collect();
        files.set(&values, Format::Yaml, &at, tag)?;
    }
    Ok(())
}

fn python_project(files: &mut Files<'_>, release: &Release) -> Result<(), Error> {
    let manifest = join(&release.path, python::MANIFEST);
    let full = files.root.join(&manifest);
    let version = semver_to_pep440(&release.version).ok_or_else(|| Error::Invalid {
        path: full.clone(),
        message: format!(
            "{} has no PEP 440 form: Python prereleases must be alpha.N, beta.N or rc.N",
            release.version
        ),
    })?;
    let document = files.parsed(&manifest, Format::Toml)?;
    let pep621 = ["project".into(), "version".into()];
    let poetry = ["tool".into(), "poetry".into(), "version".into()];
    if lookup(&document, &pep621).is_some_and(Value::is_string) {
        files.set(&manifest, Format::Toml, &pep621, &version)?;
    } else if lookup(&document, &poetry).is_some_and(Value::is_string) {
        files.set(&manifest, Format::Toml, &poetry, &version)?;
    } else {
        return Err(Error::Invalid {
            path: full,
            message: "no static `[project] version` or `[tool.poetry] version` to write the new version into".to_owned(),
        });
    }
    // PEP 508 strings: `b>=1.2,<2`.
    let mut lists: Vec<Vec<Segment<'_>>> = vec![vec!["project".into(), "dependencies".into()]];
    for (group_table, group_key) in [
        ("project", "optional-dependencies"),
        ("dependency-groups", ""),
    ] {
        let at: Vec<Segment<'_>> = if group_key.is_empty() {
            vec![group_table.into()]
        } else {
            vec![group_table.into(), group_key.into()]
        };
        if let Some(groups) = lookup(&document, &at).and_then(Value::as_object) {
            for group in groups.keys() {
                let mut list = at.clone();
                list.push(Segment::Key(group));
                lists.push(list);
            }
        }
    }
    for list in &lists {
        let Some(requirements) = lookup(&document, list).and_then(Value::as_array) else {
            continue;
        };
        for (index, requirement) in requirements.iter().enumerate() {
            let Some(text) = requirement.as_str() else {
                continue;
            };
            let Some((name, spec)) = python::pep508(text) else {
                continue;
            };
            let normalized = python::normalize(name);
            let change = release.specs.iter().find(|change| {
                python::normalize(&change.name) == normalized && spec == change.from
            });
            if let Some(change) = change {
                let start = text.find(spec).unwrap_or(text.len());
                let rewritten = format!(
                    "{}{}{}",
                    &text[..start],
                    change.to,
                    &text[start + spec.len()..]
                );
                let mut at = list.clone();
                at.push(Segment::Index(index));
                files.set(&manifest, Format::Toml, &at, &rewritten)?;
            }
        }
    }
    // Poetry tables: `b = "^1.2"` or `b = { version = "^1.2", path = "../b" }`.
    let mut tables: Vec<Vec<Segment<'_>>> = vec![
        vec!["tool".into(), "poetry".into(), "dependencies".into()],
        vec!["tool".into(), "poetry".into(), "dev-dependencies".into()],
    ];
    let groups_at = ["tool".into(), "poetry".into(), "group".into()];
    if let Some(groups) = lookup(&document, &groups_at).and_then(Value::as_object) {
        for group in groups.keys() {
            tables.push(vec![
                "tool".into(),
                "poetry".into(),
                "group".into(),
                Segment::Key(group),
                "dependencies".into(),
            ]);
        }
    }
    for table in &tables {
        let Some(entries) = lookup(&document, table).and_then(Value::as_object) else {
            continue;
        };
        for key in entries.keys() {
            let normalized = python::normalize(key);
            let Some(change) = release
                .specs
                .iter()
                .find(|change| python::normalize(&change.name) == normalized)
            else {
                continue;
            };
            let mut at = table.clone();
            at.push(Segment::Key(key));
            if !files.replace(&manifest, Format::Toml, &document, &at, change)? {
                at.push("version".into());
                files.replace(&manifest, Format::Toml, &document, &at, change)?;
            }
        }
    }
    Ok(())
}

/// `1.2.0-rc.1` → `1.2.0rc1`; `None` for prereleases PEP 440 cannot say.
pub fn semver_to_pep440(version: &Version) -> Option<String> {
    let base = format!("{}.{}.{}", version.major, version.minor, version.patch);
    if !version.build.is_empty() {
        return None;
    }
    let text = version.to_string();
    let Some((_, pre)) = text.split_once('-') else {
        return Some(base);
    };
    let (label, number) = pre.split_once('.').unwrap_or((pre, "0"));
    let label = match label {
        "alpha" | "a" => "a",
        "beta" | "b" => "b",
        "rc" | "c" => "rc",
        _ => return None,
    };
    (!number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit()))
        .then(|| format!("{base}{label}{number}"))
}

fn versioned_file(
    files: &mut Files<'_>,
    release: &Release,
    versioned: &VersionedFile,
) -> Result<(), Error> {
    let version = release.version.to_string();
    match versioned {
        VersionedFile::Whole { file } => {
            files.set(&join(&release.path, file), Format::Plain, &[], &version)
        }
        VersionedFile::Key { file, key } => {
            let path = join(&release.path, file);
            let format = match file.rsplit_once('.').map(|(_, extension)| extension) {
                Some("json") => Format::Json,
                Some("yaml" | "yml") => Format::Yaml,
                Some("toml") => Format::Toml,
                _ => {
                    return Err(Error::Invalid {
                        path: files.root.join(&path),
                        message: "a `key` needs a .json, .yaml, .yml or .toml file".to_owned(),
                    })
                }
            };
            let at: Vec<Segment<'_>> = key.iter().map(|key| Segment::Key(key)).collect();
            files.set(&path, format, &at, &version)
        }
        VersionedFile::Pattern { file, pattern } => {
            let path = join(&release.path, file);
            let full = files.root.join(&path);
            let invalid = |message: String| Error::Invalid {
                path: full.clone(),
                message,
            };
            let regex = regex_lite::Regex::new(pattern)
                .map_err(|error| invalid(format!("invalid pattern `{pattern}`: {error}")))?;
            let text = files.text(&path)?;
            let captures = regex
                .captures(text)
                .ok_or_else(|| invalid(format!("the pattern `{pattern}` matches nothing")))?;
            let group = captures.get(1).ok_or_else(|| {
                invalid(format!(
                    "the pattern `{pattern}` needs one capture group (the version)"
                ))
            })?;
            let edited = edit::splice(text, group.range(), &version);
            if let Some((_, current)) = files.texts.get_mut(&path) {
                *current = edited;
            }
            Ok(())
        }
    }
}
