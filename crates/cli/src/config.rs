//! `verso.toml`: the repository's configuration, read once and checked before anything runs.
//! Unknown keys and invalid values are errors that name the file, the line and the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context as _};
use serde::Deserialize;
use toml::Spanned;
use verso_core::bump::{Bump, BumpRules, Level};
use verso_core::next_version::{validate_channel, InitialDevelopment};
use verso_core::plan::{DependencyKind, Propagation};
use verso_core::semver::Version;
use verso_core::tag_template::TagTemplate;
use verso_git::Glob;
use verso_manifest::write::VersionedFile;
use verso_manifest::{line_of, PackageKind};
use verso_release::Publisher;

/// The file name looked up at the repository root.
pub(crate) const FILE_NAME: &str = "verso.toml";

/// `verso.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// Package name, for `{name}` in tag templates.
    name: Option<String>,
    /// How release tags are named, e.g. `v{version}` (the default) or `{name}@{version}`.
    tag_template: Option<Spanned<String>>,
    /// Shorthand for `tag_template = "<prefix>{version}"`.
    tag_prefix: Option<Spanned<String>>,
    /// The first version when no release tag exists (default `0.1.0`).
    initial_version: Option<Spanned<String>>,
    /// How 0.y.z versions move: `shift` (default), `breaking-minor` or `off`.
    initial_development: Option<Spanned<String>>,
    /// The prerelease channel on every branch not listed in `branches`.
    channel: Option<Spanned<String>>,
    /// Only commits that change this directory count.
    path: Option<String>,
    /// Prerelease channel per branch: `develop = "beta"`, `"release/*" = "rc"`,
    /// `main = "stable"`.
    #[serde(default)]
    branches: BTreeMap<String, Spanned<String>>,
    /// Bump level per commit type or `type(scope)`: `major`, `minor`, `patch`, `none` or
    /// `fail` (the release is refused while such a commit is unreleased).
    #[serde(default)]
    rules: BTreeMap<String, Spanned<String>>,
    /// Root paths (globs) whose changes count for chosen packages:
    /// `"proto/**" = ["api", "worker"]`.
    #[serde(default)]
    shared_paths: BTreeMap<String, Spanned<Vec<String>>>,
    /// How a release of a package bumps its internal dependents.
    propagation: Option<Spanned<PropagationFile>>,
    /// Packages to add, or to change where discovery found them.
    #[serde(default, rename = "package")]
    packages: Vec<Spanned<PackageFile>>,
    /// Fixed groups: one version and one tag for all their members.
    #[serde(default)]
    groups: BTreeMap<String, Spanned<GroupFile>>,
    /// `CHANGELOG.md` settings.
    changelog: Option<ChangelogFile>,
    /// Publishers per package kind.
    #[serde(default)]
    publish: PublishFile,
}

/// `[changelog]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangelogFile {
    /// Write `CHANGELOG.md` files (default true).
    #[serde(default = "yes")]
    enabled: bool,
    /// A minijinja template file for one section, relative to the repository root.
    template: Option<String>,
}

fn yes() -> bool {
    true
}

/// `[publish]`: one table per package kind.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishFile {
    npm: Option<NpmPublishFile>,
    cargo: Option<CargoPublishFile>,
    helm: Option<HelmPublishFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NpmPublishFile {
    /// `npm` (default), `pnpm` or `yarn`.
    client: Option<Spanned<String>>,
    registry: Option<String>,
    access: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CargoPublishFile {
    registry: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HelmPublishFile {
    /// `oci://host/namespace` or a ChartMuseum-compatible `https://…` URL.
    repository: Spanned<String>,
}

/// A `versioned_files` entry: a path (the whole file is the version), or a table.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum VersionedFileEntry {
    Whole(String),
    Key { file: String, key: String },
    Pattern { file: String, pattern: String },
}

/// `[propagation]`: a bump level per dependency kind.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PropagationFile {
    runtime: Option<String>,
    dev: Option<String>,
    peer: Option<String>,
    optional: Option<String>,
    build: Option<String>,
    /// Leave a dependent alone when its declared spec still accepts the new version.
    #[serde(default)]
    only_when_out_of_range: bool,
}

/// One `[[package]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackageFile {
    /// The package's folder, relative to the repository root.
    path: String,
    name: Option<String>,
    kind: Option<String>,
    tag_template: Option<String>,
    /// Globs (relative to `path`) of the files whose changes count; default: all.
    #[serde(default)]
    include: Vec<String>,
    /// Globs (relative to `path`) of the files whose changes never count.
    #[serde(default)]
    exclude: Vec<String>,
    /// Files the release writes the version into, besides the manifest.
    #[serde(default)]
    versioned_files: Vec<VersionedFileEntry>,
    /// The fixed group the package belongs to.
    group: Option<String>,
    /// Leave a discovered package out of releases.
    #[serde(default)]
    skip: bool,
    /// `false`: never publish this package.
    publish: Option<bool>,
    /// A shell command that publishes the package (run after its kind's publisher).
    publish_command: Option<String>,
    /// A chart's `appVersion`: `leave` (default), `chart` (the chart's own version) or the
    /// name of the package whose version the chart deploys.
    app_version: Option<String>,
    /// A key path in the chart's `values.yaml` that gets the app version: `image.tag`.
    values_image_tag: Option<String>,
}

/// One `[groups.<name>]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    /// Member package names (members can also name the group with `group = ...`).
    #[serde(default)]
    packages: Vec<String>,
    /// Default `v{version}` when the group holds every package, else `{group}-v{version}`.
    tag_template: Option<String>,
}

/// A `[[package]]` entry, checked.
#[derive(Debug, Clone)]
pub(crate) struct PackageConfig {
    pub(crate) path: String,
    pub(crate) name: Option<String>,
    pub(crate) kind: Option<PackageKind>,
    pub(crate) tag_template: Option<TagTemplate>,
    pub(crate) include: Vec<Glob>,
    pub(crate) exclude: Vec<Glob>,
    pub(crate) versioned_files: Vec<VersionedFile>,
    pub(crate) group: Option<String>,
    pub(crate) skip: bool,
    pub(crate) publish: bool,
    pub(crate) publish_command: Option<String>,
    pub(crate) app_version: AppVersion,
    pub(crate) values_image_tag: Option<String>,
    /// Where it is written, for messages.
    pub(crate) line: usize,
}

/// Where a chart's `appVersion` comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum AppVersion {
    #[default]
    Leave,
    Chart,
    Package(String),
}

/// `[changelog]`, checked.
#[derive(Debug, Clone)]
pub(crate) struct ChangelogConfig {
    pub(crate) enabled: bool,
    pub(crate) template: Option<PathBuf>,
}

impl Default for ChangelogConfig {
    fn default() -> Self {
        ChangelogConfig {
            enabled: true,
            template: None,
        }
    }
}

/// `[publish]`, checked: the publisher of each package kind.
#[derive(Debug, Clone, Default)]
pub(crate) struct PublishConfig {
    pub(crate) npm: Option<Publisher>,
    pub(crate) cargo: Option<Publisher>,
    pub(crate) helm: Option<Publisher>,
}

/// A `[groups.<name>]` entry, checked.
#[derive(Debug, Clone)]
pub(crate) struct GroupConfig {
    pub(crate) name: String,
    pub(crate) packages: Vec<String>,
    /// `{group}` already replaced by `{name}`, which the group's name fills.
    pub(crate) tag_template: Option<TagTemplate>,
    pub(crate) line: usize,
}

/// A `shared_paths` entry, checked.
#[derive(Debug, Clone)]
pub(crate) struct SharedPath {
    pub(crate) pattern: String,
    pub(crate) packages: Vec<String>,
    pub(crate) line: usize,
}

/// `verso.toml`, checked.
#[derive(Debug, Default)]
pub(crate) struct Config {
    pub(crate) name: Option<String>,
    pub(crate) tag_template: Option<TagTemplate>,
    pub(crate) initial_version: Option<Version>,
    pub(crate) initial_development: Option<InitialDevelopment>,
    pub(crate) channel: Option<Channel>,
    pub(crate) path: Option<String>,
    /// `(branch pattern, channel)` in file order.
    pub(crate) branches: Vec<(String, Channel)>,
    pub(crate) rules: BumpRules,
    pub(crate) packages: Vec<PackageConfig>,
    pub(crate) groups: Vec<GroupConfig>,
    pub(crate) propagation: Propagation,
    pub(crate) shared_paths: Vec<SharedPath>,
    pub(crate) changelog: ChangelogConfig,
    pub(crate) publish: PublishConfig,
}

/// A channel setting: the stable channel or a prerelease identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Channel {
    Stable,
    Prerelease(String),
}

impl Channel {
    /// Parses `stable` or a prerelease identifier such as `beta`.
    pub(crate) fn parse(text: &str) -> anyhow::Result<Channel> {
        if text == "stable" {
            return Ok(Channel::Stable);
        }
        validate_channel(text)?;
        Ok(Channel::Prerelease(text.to_owned()))
    }

    pub(crate) fn into_option(self) -> Option<String> {
        match self {
            Channel::Stable => None,
            Channel::Prerelease(name) => Some(name),
        }
    }
}

impl Config {
    /// Reads `explicit` if given (it must exist), else `verso.toml` under `root` if present.
    pub(crate) fn load(explicit: Option<&Path>, root: Option<&Path>) -> anyhow::Result<Config> {
        let path: PathBuf = match (explicit, root) {
            (Some(path), _) => path.to_path_buf(),
            (None, Some(root)) => {
                let path = root.join(FILE_NAME);
                if !path.is_file() {
                    return Ok(Config::default());
                }
                path
            }
            (None, None) => return Ok(Config::default()),
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read `{}`", path.display()))?;
        Config::parse(&text)
            .with_context(|| format!("invalid configuration in `{}`", path.display()))
    }

    fn parse(text: &str) -> anyhow::Result<Config> {
        let file: ConfigFile = toml::from_str(text).map_err(|error| {
            let line = error.span().map(|span| line_of(text, span.start));
            let message = error.message().trim_end().to_owned();
            match line {
                Some(line) => anyhow!("line {line}: {message}"),
                None => anyhow!("{message}"),
            }
        })?;
        let at = |key: &str, spanned: &Spanned<String>| {
            format!(
                "line {}: invalid `{key}`",
                line_of(text, spanned.span().start)
            )
        };
        let mut config = Config {
            name: file.name,
            path: file.path,
            ..Config::default()
        };
        if let Some(template) = &file.tag_template {
            config.tag_template = Some(
                template
                    .get_ref()
                    .parse()
                    .with_context(|| at("tag_template", template))?,
            );
        }
        if let Some(prefix) = &file.tag_prefix {
            if file.tag_template.is_some() {
                return Err(anyhow!(
                    "{}: set `tag_template` or `tag_prefix`, not both",
                    at("tag_prefix", prefix)
                ));
            }
            config.tag_template = Some(
                TagTemplate::with_prefix(prefix.get_ref())
                    .with_context(|| at("tag_prefix", prefix))?,
            );
        }
        if let Some(version) = &file.initial_version {
            config.initial_version = Some(
                Version::parse_strict(version.get_ref())
                    .with_context(|| at("initial_version", version))?,
            );
        }
        if let Some(mode) = &file.initial_development {
            config.initial_development = Some(
                mode.get_ref()
                    .parse()
                    .with_context(|| at("initial_development", mode))?,
            );
        }
        if let Some(channel) = &file.channel {
            config.channel =
                Some(Channel::parse(channel.get_ref()).with_context(|| at("channel", channel))?);
        }
        for (branch, channel) in &file.branches {
            let parsed = Channel::parse(channel.get_ref())
                .with_context(|| at(&format!("branches.\"{branch}\""), channel))?;
            config.branches.push((branch.clone(), parsed));
        }
        for (key, level) in &file.rules {
            let parsed: Level = level
                .get_ref()
                .parse()
                .with_context(|| at(&format!("rules.\"{key}\""), level))?;
            config
                .rules
                .insert(key, parsed)
                .with_context(|| at(&format!("rules.\"{key}\""), level))?;
        }
        if let Some(propagation) = &file.propagation {
            let line = line_of(text, propagation.span().start);
            let declared = propagation.get_ref();
            let kinds = [
                (DependencyKind::Runtime, &declared.runtime),
                (DependencyKind::Dev, &declared.dev),
                (DependencyKind::Peer, &declared.peer),
                (DependencyKind::Optional, &declared.optional),
                (DependencyKind::Build, &declared.build),
            ];
            for (kind, level) in kinds {
                if let Some(level) = level {
                    let bump = parse_bump(level)
                        .with_context(|| format!("line {line}: invalid `propagation.{kind}`"))?;
                    config.propagation.policy.insert(kind, bump);
                }
            }
            config.propagation.only_when_out_of_range = declared.only_when_out_of_range;
        }
        for entry in &file.packages {
            config.packages.push(package_config(entry, text)?);
        }
        for (name, entry) in &file.groups {
            let line = line_of(text, entry.span().start);
            let group = entry.get_ref();
            let tag_template = group
                .tag_template
                .as_deref()
                .map(|template| template.replace("{group}", "{name}").parse())
                .transpose()
                .with_context(|| format!("line {line}: invalid `groups.{name}.tag_template`"))?;
            config.groups.push(GroupConfig {
                name: name.clone(),
                packages: group.packages.clone(),
                tag_template,
                line,
            });
        }
        for (pattern, packages) in &file.shared_paths {
            let line = line_of(text, packages.span().start);
            Glob::new(pattern)
                .with_context(|| format!("line {line}: invalid `shared_paths.\"{pattern}\"`"))?;
            config.shared_paths.push(SharedPath {
                pattern: pattern.clone(),
                packages: packages.get_ref().clone(),
                line,
            });
        }
        if let Some(changelog) = &file.changelog {
            config.changelog = ChangelogConfig {
                enabled: changelog.enabled,
                template: changelog.template.as_ref().map(PathBuf::from),
            };
        }
        if let Some(npm) = &file.publish.npm {
            let client = match &npm.client {
                Some(client) if ["npm", "pnpm", "yarn"].contains(&client.get_ref().as_str()) => {
                    client.get_ref().clone()
                }
                Some(client) => {
                    return Err(anyhow!(
                        "line {}: invalid `publish.npm.client` `{}`: expected npm, pnpm or yarn",
                        line_of(text, client.span().start),
                        client.get_ref()
                    ))
                }
                None => "npm".to_owned(),
            };
            config.publish.npm = Some(Publisher::Npm {
                client,
                registry: npm.registry.clone(),
                access: npm.access.clone(),
            });
        }
        if let Some(cargo) = &file.publish.cargo {
            config.publish.cargo = Some(Publisher::Cargo {
                registry: cargo.registry.clone(),
            });
        }
        if let Some(helm) = &file.publish.helm {
            let repository = helm.repository.get_ref();
            if let Err(why) = repository.parse::<verso_registry::chart::ChartRepository>() {
                return Err(anyhow!(
                    "line {}: invalid `publish.helm.repository`: {why}",
                    line_of(text, helm.repository.span().start)
                ));
            }
            config.publish.helm = Some(Publisher::Helm {
                repository: repository.clone(),
            });
        }
        Ok(config)
    }

    /// The channel configured for `branch`: an exact entry first, then the first pattern
    /// with `*` wildcards that matches, then the repository-wide `channel`.
    pub(crate) fn channel_for(&self, branch: Option<&str>) -> Option<Channel> {
        if let Some(branch) = branch {
            let exact = self.branches.iter().find(|(pattern, _)| pattern == branch);
            let pattern = || {
                self.branches
                    .iter()
                    .find(|(pattern, _)| pattern.contains('*') && wildcard_match(pattern, branch))
            };
            if let Some((_, channel)) = exact.or_else(pattern) {
                return Some(channel.clone());
            }
        }
        self.channel.clone()
    }
}

/// A propagation level: `major`, `minor`, `patch` or `none`.
fn parse_bump(text: &str) -> anyhow::Result<Bump> {
    match text.parse::<Level>()? {
        Level::Bump(bump) => Ok(bump),
        Level::Fail => Err(anyhow!(
            "`fail` is a commit rule, not a propagation level: use major, minor, patch or none"
        )),
    }
}

fn package_config(entry: &Spanned<PackageFile>, text: &str) -> anyhow::Result<PackageConfig> {
    let line = line_of(text, entry.span().start);
    let declared = entry.get_ref();
    let at = |key: &str| {
        format!(
            "line {line}: invalid `package.{key}` (package at `{}`)",
            declared.path
        )
    };
    let globs = |patterns: &[String], key: &str| -> anyhow::Result<Vec<Glob>> {
        patterns
            .iter()
            .map(|pattern| Glob::new(pattern).with_context(|| at(key)))
            .collect()
    };
    let kind = declared
        .kind
        .as_deref()
        .map(|kind| {
            kind.parse::<PackageKind>()
                .map_err(|message| anyhow!(message))
        })
        .transpose()
        .with_context(|| at("kind"))?;
    let tag_template = declared
        .tag_template
        .as_deref()
        .map(str::parse::<TagTemplate>)
        .transpose()
        .with_context(|| at("tag_template"))?;
    let versioned_files = declared
        .versioned_files
        .iter()
        .map(|entry| match entry {
            VersionedFileEntry::Whole(file) => VersionedFile::Whole { file: file.clone() },
            VersionedFileEntry::Key { file, key } => VersionedFile::Key {
                file: file.clone(),
                key: key.split('.').map(str::to_owned).collect(),
            },
            VersionedFileEntry::Pattern { file, pattern } => VersionedFile::Pattern {
                file: file.clone(),
                pattern: pattern.clone(),
            },
        })
        .collect();
    let app_version = match declared.app_version.as_deref() {
        None | Some("leave") => AppVersion::Leave,
        Some("chart") => AppVersion::Chart,
        Some(package) => AppVersion::Package(package.to_owned()),
    };
    Ok(PackageConfig {
        path: verso_git::PathFilter::new(&declared.path).path,
        name: declared.name.clone(),
        kind,
        tag_template,
        include: globs(&declared.include, "include")?,
        exclude: globs(&declared.exclude, "exclude")?,
        versioned_files,
        group: declared.group.clone(),
        skip: declared.skip,
        publish: declared.publish.unwrap_or(true),
        publish_command: declared.publish_command.clone(),
        app_version,
        values_image_tag: declared.values_image_tag.clone(),
        line,
    })
}

/// `*` matches any run of characters (including `/`), everything else itself.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (index, part) in parts.iter().enumerate() {
        if index == parts.len() - 1 {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(position) => rest = &rest[position + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_line_and_key() {
        let error = Config::parse("name = \"api\"\ntag_templat = \"v{version}\"\n")
            .expect_err("unknown key");
        let message = format!("{error:#}");
        assert!(message.contains("line 2"), "{message}");
        assert!(message.contains("tag_templat"), "{message}");
    }

    #[test]
    fn invalid_value_names_line_and_key() {
        let error = Config::parse("\n\ntag_template = \"release\"\n").expect_err("no {version}");
        let message = format!("{error:#}");
        assert!(
            message.contains("line 3: invalid `tag_template`"),
            "{message}"
        );
        let error = Config::parse("[rules]\nfeat = \"huge\"\n").expect_err("bad level");
        assert!(format!("{error:#}").contains("line 2: invalid `rules.\"feat\"`"));
    }

    #[test]
    fn branch_channels_exact_then_pattern_then_default() {
        let config = Config::parse(
            "channel = \"alpha\"\n[branches]\n\"release/*\" = \"rc\"\ndevelop = \"beta\"\nmain = \"stable\"\n",
        )
        .expect("valid");
        assert_eq!(
            config.channel_for(Some("develop")),
            Some(Channel::Prerelease("beta".into()))
        );
        assert_eq!(
            config.channel_for(Some("release/2.x")),
            Some(Channel::Prerelease("rc".into()))
        );
        assert_eq!(config.channel_for(Some("main")), Some(Channel::Stable));
        assert_eq!(
            config.channel_for(Some("feature/x")),
            Some(Channel::Prerelease("alpha".into()))
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("release/*", "release/1.x"));
        assert!(wildcard_match("*-next", "v2-next"));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("release/*", "main"));
        assert!(!wildcard_match("a*b", "ab-c"));
    }
}
