//! The packages of a repository and their release plan: discovery plus `verso.toml`, one
//! walk of history for every package, one classification per commit, then the planner.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use anyhow::{anyhow, Context as _};
use verso_core::history::{classify_commits, ClassifiedCommit, History, RangeCommit};
use verso_core::next_version::{belongs_to_channel, NextOptions};
use verso_core::plan::{plan_release, Dependency, PackageInput, ReleasePlan};
use verso_core::semver::Version;
use verso_core::tag_template::{TagContext, TagMatcher, TagTemplate};
use verso_git::{Glob, ObjectId, PathFilter, Repository, Tag, WalkRequest};
use verso_manifest::write::VersionedFile;
use verso_manifest::{PackageKind, LERNA_GROUP};

use crate::config::{AppVersion, Channel, Config};
use crate::report::with_hint;

/// Files whose changes alone never make a package change: lockfiles at a package's root.
const LOCKFILES: [&str; 9] = [
    "/package-lock.json",
    "/npm-shrinkwrap.json",
    "/yarn.lock",
    "/pnpm-lock.yaml",
    "/Cargo.lock",
    "/poetry.lock",
    "/uv.lock",
    "/Pipfile.lock",
    "/Chart.lock",
];

/// One package of the repository, with everything configuration says about it.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) name: String,
    /// The name the manifests use (`name` may be a `verso.toml` rename).
    pub(crate) manifest_name: String,
    /// Relative to the repository root, `/`-separated, `.` for the root.
    pub(crate) path: String,
    pub(crate) kind: PackageKind,
    pub(crate) manifest_version: Option<Version>,
    /// Internal dependencies, by the final names of the packages they name.
    pub(crate) dependencies: Vec<Dependency>,
    pub(crate) template: TagTemplate,
    pub(crate) filter: PathFilter,
    pub(crate) group: Option<usize>,
    /// Files the release writes the version into, besides the manifest.
    pub(crate) versioned_files: Vec<VersionedFile>,
    /// `false` when `verso.toml` says never to publish it.
    pub(crate) publish: bool,
    pub(crate) publish_command: Option<String>,
    pub(crate) app_version: AppVersion,
    pub(crate) values_image_tag: Option<String>,
}

/// A fixed group: one version, one tag.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) name: String,
    pub(crate) template: TagTemplate,
    pub(crate) members: Vec<usize>,
}

/// The packages of a repository.
#[derive(Debug)]
pub(crate) struct Workspace {
    pub(crate) members: Vec<Member>,
    pub(crate) groups: Vec<Group>,
    /// `(filter, members)` for each `shared_paths` entry.
    pub(crate) shared: Vec<(PathFilter, Vec<usize>)>,
}

impl Workspace {
    /// Discovers the packages under `root` and applies `config` to them.
    pub(crate) fn load(root: &Path, config: &Config) -> anyhow::Result<Workspace> {
        let discovered = verso_manifest::discover(root)
            .context("failed to discover the packages of the repository")?;
        let mut packages: Vec<(
            verso_manifest::Package,
            Option<&crate::config::PackageConfig>,
        )> = discovered
            .into_iter()
            .map(|package| (package, None))
            .collect();
        let mut renames: HashMap<(PackageKind, String), String> = HashMap::new();
        let mut manifest_names: HashMap<(PackageKind, String), String> = HashMap::new();
        for entry in &config.packages {
            let at_path: Vec<usize> = packages
                .iter()
                .enumerate()
                .filter(|(_, (package, _))| {
                    package.path == display_path(&entry.path)
                        && entry.kind.is_none_or(|kind| kind == package.kind)
                })
                .map(|(index, _)| index)
                .collect();
            let index = match at_path.as_slice() {
                [index] => *index,
                [] => {
                    let kind = entry.kind.unwrap_or(PackageKind::Generic);
                    let package = verso_manifest::load(root, &display_path(&entry.path), kind)
                        .with_context(|| {
                            format!("`verso.toml` line {}: cannot read the package", entry.line)
                        })?
                        .ok_or_else(|| {
                            anyhow!(
                                "`verso.toml` line {}: no {kind} package at `{}`",
                                entry.line,
                                display_path(&entry.path)
                            )
                        })?;
                    packages.push((package, None));
                    packages.len() - 1
                }
                several => {
                    let kinds: Vec<String> = several
                        .iter()
                        .map(|&index| packages[index].0.kind.to_string())
                        .collect();
                    return Err(with_hint(
                        anyhow!(
                            "`verso.toml` line {}: {} packages are at `{}` ({})",
                            entry.line,
                            several.len(),
                            display_path(&entry.path),
                            kinds.join(", ")
                        ),
                        "add `kind = \"...\"` to say which one the entry is about",
                    ));
                }
            };
            let (package, settings) = &mut packages[index];
            if let Some(name) = &entry.name {
                manifest_names.insert((package.kind, name.clone()), package.name.clone());
                renames.insert((package.kind, package.name.clone()), name.clone());
                package.name.clone_from(name);
            }
            *settings = Some(entry);
        }
        packages.retain(|(_, settings)| !settings.is_some_and(|settings| settings.skip));
        for (package, _) in &mut packages {
            for dependency in &mut package.dependencies {
                if let Some(name) = renames.get(&(package.kind, dependency.name.clone())) {
                    dependency.name.clone_from(name);
                }
            }
        }
        let kept: HashSet<(PackageKind, String)> = packages
            .iter()
            .map(|(package, _)| (package.kind, package.name.clone()))
            .collect();
        for (package, _) in &mut packages {
            let kind = package.kind;
            package
                .dependencies
                .retain(|dependency| kept.contains(&(kind, dependency.name.clone())));
        }
        if packages.is_empty() {
            let name = config.name.clone().unwrap_or_else(|| {
                root.file_name().map_or_else(
                    || "root".to_owned(),
                    |name| name.to_string_lossy().into_owned(),
                )
            });
            let mut package = verso_manifest::load(root, ".", PackageKind::Generic)?
                .ok_or_else(|| anyhow!("cannot describe the repository as a package"))?;
            package.name = name;
            packages.push((package, None));
        }
        check_unique_names(&packages)?;

        let single = packages.len() == 1;
        let mut members = Vec::with_capacity(packages.len());
        for (package, settings) in &packages {
            let template = match settings.and_then(|settings| settings.tag_template.clone()) {
                Some(template) => template,
                None => default_template(package.kind, single, config)?,
            };
            let mut filter = PathFilter::new(&package.path);
            filter.exclude = LOCKFILES
                .iter()
                .map(|pattern| Glob::new(pattern))
                .collect::<Result<_, _>>()?;
            if let Some(settings) = settings {
                filter.include.clone_from(&settings.include);
                filter.exclude.extend(settings.exclude.iter().cloned());
            }
            members.push(Member {
                name: package.name.clone(),
                manifest_name: manifest_names
                    .get(&(package.kind, package.name.clone()))
                    .cloned()
                    .unwrap_or_else(|| package.name.clone()),
                path: package.path.clone(),
                kind: package.kind,
                manifest_version: package.manifest_version.clone(),
                dependencies: package.dependencies.clone(),
                template,
                filter,
                group: None,
                versioned_files: settings
                    .map(|settings| settings.versioned_files.clone())
                    .unwrap_or_default(),
                publish: settings.is_none_or(|settings| settings.publish),
                publish_command: settings.and_then(|settings| settings.publish_command.clone()),
                app_version: settings
                    .map(|settings| settings.app_version.clone())
                    .unwrap_or_default(),
                values_image_tag: settings.and_then(|settings| settings.values_image_tag.clone()),
            });
        }
        // Nested packages (a chart inside a service) are not part of the outer package.
        let paths: Vec<String> = members
            .iter()
            .map(|member| member.filter.path.clone())
            .collect();
        for member in &mut members {
            let own = member.filter.path.clone();
            let mut skip: Vec<String> = paths
                .iter()
                .filter_map(|other| {
                    if own.is_empty() {
                        (!other.is_empty()).then(|| other.clone())
                    } else {
                        other
                            .strip_prefix(&own)
                            .and_then(|rest| rest.strip_prefix('/'))
                            .map(str::to_owned)
                    }
                })
                .collect();
            skip.sort();
            skip.dedup();
            member.filter.skip = skip;
        }

        // A chart that deploys an app follows its releases: an internal dependency the
        // planner propagates like any other.
        for (index, (_, settings)) in packages.iter().enumerate() {
            let Some(settings) = settings else { continue };
            if let AppVersion::Package(app) = &settings.app_version {
                let what = "`app_version`";
                member_named(&members, app, settings.line, what)?;
                members[index].dependencies.push(Dependency::new(
                    app,
                    verso_core::plan::DependencyKind::Runtime,
                    "",
                    verso_core::plan::SpecStyle::Npm,
                ));
            }
        }
        let groups = build_groups(&packages, &mut members, config)?;
        let mut shared = Vec::new();
        for entry in &config.shared_paths {
            let mut targets = Vec::new();
            for name in &entry.packages {
                targets.push(member_named(&members, name, entry.line, "`shared_paths`")?);
            }
            shared.push((shared_filter(&entry.pattern)?, targets));
        }
        Ok(Workspace {
            members,
            groups,
            shared,
        })
    }

    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.members.iter().position(|member| member.name == name)
    }
}

/// The index of the member `name` that `verso.toml` (at `line`, in `what`) refers to.
fn member_named(members: &[Member], name: &str, line: usize, what: &str) -> anyhow::Result<usize> {
    members
        .iter()
        .position(|member| member.name == name)
        .ok_or_else(|| {
            anyhow!("`verso.toml` line {line}: {what} names `{name}`, which is not a package")
        })
}

/// `.` for the root, the path otherwise.
fn display_path(path: &str) -> String {
    if path.is_empty() {
        ".".to_owned()
    } else {
        path.to_owned()
    }
}

fn check_unique_names(
    packages: &[(
        verso_manifest::Package,
        Option<&crate::config::PackageConfig>,
    )],
) -> anyhow::Result<()> {
    let mut seen: HashMap<&str, &verso_manifest::Package> = HashMap::new();
    for (package, _) in packages {
        if let Some(other) = seen.insert(package.name.as_str(), package) {
            return Err(with_hint(
                anyhow!(
                    "two packages are named `{}`: the {} package at `{}` and the {} package at `{}`",
                    package.name,
                    other.kind,
                    other.path,
                    package.kind,
                    package.path
                ),
                format!(
                    "give one a distinct name in `verso.toml`: [[package]] path = \"{}\" name = \"{}-{}\"",
                    package.path, package.name, package.kind
                ),
            ));
        }
    }
    Ok(())
}

/// npm `{name}@{version}`, Cargo and Python `{name}-v{version}`, Helm `{name}-{version}`; a
/// repository-wide `tag_template` with `{name}` replaces them all; a single package gets the
/// repository's template, `v{version}` by default.
fn default_template(
    kind: PackageKind,
    single: bool,
    config: &Config,
) -> anyhow::Result<TagTemplate> {
    if let Some(template) = &config.tag_template {
        if single || template.to_string().contains("{name}") {
            return Ok(template.clone());
        }
    }
    let text = match kind {
        _ if single => "v{version}",
        PackageKind::Npm => "{name}@{version}",
        PackageKind::Helm => "{name}-{version}",
        PackageKind::Cargo | PackageKind::Python | PackageKind::Generic => "{name}-v{version}",
    };
    Ok(text.parse()?)
}

fn build_groups(
    packages: &[(
        verso_manifest::Package,
        Option<&crate::config::PackageConfig>,
    )],
    members: &mut [Member],
    config: &Config,
) -> anyhow::Result<Vec<Group>> {
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, (package, settings)) in packages.iter().enumerate() {
        let group = settings
            .and_then(|settings| settings.group.clone())
            .or_else(|| package.fixed_group.clone());
        if let Some(group) = group {
            by_name.entry(group).or_default().push(index);
        }
    }
    for group in &config.groups {
        let entry = by_name.entry(group.name.clone()).or_default();
        for name in &group.packages {
            let what = format!("group `{}`", group.name);
            entry.push(member_named(members, name, group.line, &what)?);
        }
    }
    let mut groups = Vec::new();
    for (name, mut indices) in by_name {
        indices.sort_unstable();
        indices.dedup();
        for &index in &indices {
            if let Some(other) = members[index].group {
                let other: &Group = &groups[other];
                return Err(anyhow!(
                    "package `{}` is in two fixed groups: `{}` and `{name}`",
                    members[index].name,
                    other.name
                ));
            }
            members[index].group = Some(groups.len());
        }
        let configured = config
            .groups
            .iter()
            .find(|group| group.name == name)
            .and_then(|group| group.tag_template.clone());
        let whole = indices.len() == members.len();
        let template = match configured {
            Some(template) => template,
            None if whole || name == LERNA_GROUP => config
                .tag_template
                .clone()
                .filter(|template| !template.to_string().contains("{name}"))
                .unwrap_or_default(),
            None => "{name}-v{version}".parse()?,
        };
        groups.push(Group {
            name,
            template,
            members: indices,
        });
    }
    Ok(groups)
}

/// `proto/**` watches the folder `proto`; `config/*.yaml` watches `config` for YAML files;
/// `tsconfig.base.json` watches one file.
fn shared_filter(pattern: &str) -> anyhow::Result<PathFilter> {
    let trimmed = pattern.trim_start_matches('/');
    let components: Vec<&str> = trimmed.split('/').collect();
    let literal = components
        .iter()
        .take_while(|component| !component.contains(['*', '?', '[']))
        .count();
    let mut filter = PathFilter::new(&components[..literal].join("/"));
    let rest = components[literal..].join("/");
    if !rest.is_empty() && rest != "**" {
        filter.include.push(Glob::new(&format!("/{rest}"))?);
    }
    Ok(filter)
}

/// Where a package's (or its group's) range starts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Base {
    pub(crate) tag: Option<String>,
    pub(crate) version: Option<Version>,
    pub(crate) commit: Option<ObjectId>,
    /// How it was found, for `explain`.
    pub(crate) how: String,
}

/// A release unit: a package on its own, or a fixed group.
struct Unit {
    matcher: TagMatcher,
    template: String,
    /// Channel-eligible tags, highest first.
    candidates: Vec<(Version, Tag)>,
    existing: Vec<Version>,
}

/// Everything `plan`, `changed` and `explain` show.
pub(crate) struct WorkspacePlan {
    pub(crate) workspace: Workspace,
    /// Per member: the base of its range (its group's for a group member).
    pub(crate) bases: Vec<Base>,
    /// Per member: its commits since its last release, classified.
    pub(crate) histories: Vec<History>,
    /// Per member: the tag matcher of its unit (the group's for a member of a group).
    pub(crate) matchers: Vec<TagMatcher>,
    pub(crate) plan: ReleasePlan,
    pub(crate) channel: Option<String>,
}

/// The version options every package shares, from `verso.toml` and the branch.
pub(crate) fn next_options(config: &Config, branch: Option<&str>) -> NextOptions {
    let mut options = NextOptions {
        channel: config.channel_for(branch).and_then(Channel::into_option),
        ..NextOptions::default()
    };
    if let Some(mode) = config.initial_development {
        options.initial_development = mode;
    }
    if let Some(version) = config.initial_version.clone() {
        options.initial_version = version;
    }
    options
}

/// Plans the release of every package of `workspace` at HEAD.
pub(crate) fn plan(
    repository: &Repository,
    workspace: Workspace,
    config: &Config,
    options: &NextOptions,
    branch: Option<&str>,
) -> anyhow::Result<WorkspacePlan> {
    let head = repository.head().map_err(|error| match error {
        verso_git::Error::NoCommits => with_hint(error, "commit something first"),
        other => other.into(),
    })?;
    let channel = options.channel.clone();
    let tags = repository.tags(|_| true)?;
    // One unit per group, then one per package outside a group.
    let mut unit_of: Vec<usize> = vec![0; workspace.members.len()];
    let mut units: Vec<Unit> = Vec::new();
    for group in &workspace.groups {
        let matcher = group
            .template
            .matcher(&TagContext {
                name: Some(&group.name),
                branch,
            })
            .with_context(|| format!("invalid tag template for group `{}`", group.name))?;
        for &member in &group.members {
            unit_of[member] = units.len();
        }
        units.push(unit(
            matcher,
            group.template.to_string(),
            &tags,
            channel.as_deref(),
        ));
    }
    for (index, member) in workspace.members.iter().enumerate() {
        if member.group.is_some() {
            continue;
        }
        let matcher = member
            .template
            .matcher(&TagContext {
                name: Some(&member.name),
                branch,
            })
            .with_context(|| format!("invalid tag template for package `{}`", member.name))?;
        unit_of[index] = units.len();
        units.push(unit(
            matcher,
            member.template.to_string(),
            &tags,
            channel.as_deref(),
        ));
    }

    let mut paths: Vec<PathFilter> = workspace
        .members
        .iter()
        .map(|member| member.filter.clone())
        .collect();
    paths.extend(workspace.shared.iter().map(|(filter, _)| filter.clone()));
    let channel_note = match channel.as_deref() {
        Some(channel) => format!(", stable or `{channel}` prereleases"),
        None => ", stable versions only".to_owned(),
    };

    // First try: every unit's highest tag. Tags on other branches need a second walk.
    let mut bases: Vec<Base> = units
        .iter()
        .map(|unit| match unit.candidates.first() {
            Some((version, tag)) => Base {
                tag: Some(tag.name.clone()),
                version: Some(version.clone()),
                commit: Some(tag.commit),
                how: format!(
                    "highest of {} tag(s) matching `{}`{channel_note}, reachable from HEAD",
                    unit.candidates.len(),
                    unit.template
                ),
            },
            None => Base {
                how: format!("no tag matches `{}`{channel_note}", unit.template),
                ..Base::default()
            },
        })
        .collect();
    let (mut walk, mut tip_of_unit) = walk_bases(repository, head, &bases, &paths)?;
    let unreachable: Vec<usize> = (0..units.len())
        .filter(|&unit| tip_of_unit[unit].is_some_and(|tip| !walk.hidden_reachable[tip]))
        .collect();
    if !unreachable.is_empty() {
        let ancestry = repository.walk(&WalkRequest {
            head,
            hidden: Vec::new(),
            full_history: true,
            paths: Vec::new(),
        })?;
        let ancestors: HashSet<ObjectId> =
            ancestry.commits.iter().map(|commit| commit.id).collect();
        for unit in unreachable {
            let highest = units[unit].candidates[0].1.name.clone();
            bases[unit] = match units[unit]
                .candidates
                .iter()
                .find(|(_, tag)| ancestors.contains(&tag.commit))
            {
                Some((version, tag)) => Base {
                    tag: Some(tag.name.clone()),
                    version: Some(version.clone()),
                    commit: Some(tag.commit),
                    how: format!(
                        "highest tag matching `{}`{channel_note} reachable from HEAD (higher tags such as `{highest}` are on other branches)",
                        units[unit].template
                    ),
                },
                None => Base {
                    how: format!(
                        "no tag matching `{}`{channel_note} is reachable from HEAD ({} exist elsewhere)",
                        units[unit].template,
                        units[unit].candidates.len()
                    ),
                    ..Base::default()
                },
            };
        }
        (walk, tip_of_unit) = walk_bases(repository, head, &bases, &paths)?;
    }
    if walk.shallow_boundary {
        return Err(with_hint(
            anyhow!(
                "this is a shallow clone and its history stops before the packages' last releases"
            ),
            "fetch the full history with `git fetch --unshallow --tags`",
        ));
    }

    // Which commits belong to which package.
    let members = &workspace.members;
    // Per requested path: the members it belongs to.
    let mut owners: Vec<Vec<usize>> = (0..members.len()).map(|member| vec![member]).collect();
    owners.extend(workspace.shared.iter().map(|(_, targets)| targets.clone()));
    let mut commits_of: Vec<Vec<usize>> = vec![Vec::new(); members.len()];
    let mut needed: Vec<bool> = vec![false; walk.commits.len()];
    for (position, commit) in walk.commits.iter().enumerate() {
        for &path in &commit.touched {
            for &member in &owners[path as usize] {
                let in_range =
                    tip_of_unit[unit_of[member]].is_none_or(|tip| walk.in_range(position, tip));
                if in_range && commits_of[member].last() != Some(&position) {
                    commits_of[member].push(position);
                    needed[position] = true;
                }
            }
        }
    }
    for list in &mut commits_of {
        // Shared paths may have added a commit out of order.
        list.sort_unstable();
        list.dedup();
    }
    let mut classified_at: Vec<usize> = vec![usize::MAX; walk.commits.len()];
    let mut range = Vec::new();
    for (position, commit) in walk.commits.iter_mut().enumerate() {
        if needed[position] {
            classified_at[position] = range.len();
            range.push(RangeCommit {
                id: commit.id.to_string(),
                message: std::mem::take(&mut commit.message),
            });
        }
    }
    // A commit is moved into the history of its last package and cloned for the others
    // (most commits belong to one package).
    let mut owners_left: Vec<usize> = vec![0; range.len()];
    for positions in &commits_of {
        for &position in positions {
            owners_left[classified_at[position]] += 1;
        }
    }
    let mut classified: Vec<Option<ClassifiedCommit>> = classify_commits(range, &config.rules)
        .into_iter()
        .map(Some)
        .collect();
    let histories: Vec<History> = commits_of
        .iter()
        .map(|positions| {
            History::from_classified(
                positions
                    .iter()
                    .filter_map(|&position| {
                        let at = classified_at[position];
                        owners_left[at] -= 1;
                        if owners_left[at] == 0 {
                            classified[at].take()
                        } else {
                            classified[at].clone()
                        }
                    })
                    .collect(),
            )
        })
        .collect();

    let member_bases: Vec<Base> = (0..members.len())
        .map(|member| bases[unit_of[member]].clone())
        .collect();
    let inputs: Vec<PackageInput> = members
        .iter()
        .enumerate()
        .map(|(index, member)| {
            let base = &member_bases[index];
            PackageInput {
                name: member.name.clone(),
                current: base
                    .version
                    .clone()
                    .or_else(|| member.manifest_version.clone()),
                bump: histories[index].bump,
                options: options.clone(),
                dependencies: member.dependencies.clone(),
                group: member
                    .group
                    .map(|group| workspace.groups[group].name.clone()),
                existing: units[unit_of[index]].existing.clone(),
            }
        })
        .collect();
    let plan = plan_release(inputs, &config.propagation)?;
    let matchers = (0..members.len())
        .map(|member| units[unit_of[member]].matcher.clone())
        .collect();
    Ok(WorkspacePlan {
        workspace,
        bases: member_bases,
        histories,
        matchers,
        plan,
        channel,
    })
}

fn unit(matcher: TagMatcher, template: String, tags: &[Tag], channel: Option<&str>) -> Unit {
    let mut existing = Vec::new();
    let mut candidates = Vec::new();
    for tag in tags {
        if let Some(version) = matcher.version_of(&tag.name) {
            existing.push(version.clone());
            if belongs_to_channel(&version, channel) {
                candidates.push((version, tag.clone()));
            }
        }
    }
    candidates.sort_by(|left, right| {
        right
            .0
            .cmp_with_build(&left.0)
            .then_with(|| left.1.name.cmp(&right.1.name))
    });
    Unit {
        matcher,
        template,
        candidates,
        existing,
    }
}

/// One walk for every unit's range: the hidden tips are the distinct base commits.
/// Returns the walk and, per unit, the index of its tip (`None`: all history counts).
fn walk_bases(
    repository: &Repository,
    head: ObjectId,
    bases: &[Base],
    paths: &[PathFilter],
) -> anyhow::Result<(verso_git::Walk, Vec<Option<usize>>)> {
    let mut hidden: Vec<ObjectId> = Vec::new();
    let mut tip_of_unit = Vec::with_capacity(bases.len());
    for base in bases {
        tip_of_unit.push(base.commit.map(|commit| {
            match hidden.iter().position(|known| *known == commit) {
                Some(tip) => tip,
                None => {
                    hidden.push(commit);
                    hidden.len() - 1
                }
            }
        }));
    }
    let full_history = tip_of_unit.iter().any(Option::is_none);
    let walk = repository.walk(&WalkRequest {
        head,
        hidden,
        full_history,
        paths: paths.to_vec(),
    })?;
    Ok((walk, tip_of_unit))
}
