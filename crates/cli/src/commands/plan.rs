//! `verso plan`, `verso changed` and `verso explain <package>`: every package of the
//! repository at once.

use std::io::Write as _;

use anyhow::{anyhow, Context as _};
use serde::Serialize;
use verso_core::bump::Bump;
use verso_core::history::{short, ClassifiedCommit};
use verso_core::plan::{DependencyUpdate, PlannedPackage, Reason};

use crate::args::{GlobalArgs, NextArgs, PlanArgs};
use crate::config::{Channel, Config};
use crate::report::{with_hint, Outcome};
use crate::workspace::{self, Workspace, WorkspacePlan};

/// What to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    Plan,
    Changed,
}

/// The JSON contract of `verso plan --json`.
#[derive(Serialize)]
struct PlanReport<'a> {
    packages: Vec<PackageReport<'a>>,
    order: &'a [String],
    cycles: &'a [Vec<String>],
    channel: Option<&'a str>,
}

#[derive(Serialize)]
struct PackageReport<'a> {
    name: &'a str,
    path: &'a str,
    kind: &'static str,
    group: Option<&'a str>,
    current_version: Option<String>,
    next_version: Option<String>,
    bump: Bump,
    reason: Reason,
    last_tag: Option<&'a str>,
    new_tag: Option<String>,
    rule: &'a str,
    commits: &'a [ClassifiedCommit],
    dependency_updates: &'a [DependencyUpdate],
    caused_by: &'a [String],
}

/// The JSON contract of `verso changed --json`.
#[derive(Serialize)]
struct ChangedReport<'a> {
    packages: Vec<ChangedPackage<'a>>,
}

#[derive(Serialize)]
struct ChangedPackage<'a> {
    name: &'a str,
    path: &'a str,
    kind: &'static str,
    last_tag: Option<&'a str>,
    commits: usize,
}

pub(crate) fn run(global: &GlobalArgs, args: &PlanArgs, view: View) -> anyhow::Result<Outcome> {
    let Some(Loaded { planned, .. }) = load(global, args.channel.as_deref())? else {
        return Ok(Outcome::Rejected);
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match (view, args.json) {
        (View::Plan, true) => {
            serde_json::to_writer(&mut out, &plan_report(&planned))?;
            writeln!(out)?;
        }
        (View::Plan, false) => write_table(&mut out, &planned)?,
        (View::Changed, json) => {
            let packages: Vec<ChangedPackage<'_>> = planned
                .workspace
                .members
                .iter()
                .enumerate()
                .filter(|(index, _)| !planned.histories[*index].commits.is_empty())
                .map(|(index, member)| ChangedPackage {
                    name: &member.name,
                    path: &member.path,
                    kind: member.kind.as_str(),
                    last_tag: planned.bases[index].tag.as_deref(),
                    commits: planned.histories[index].commits.len(),
                })
                .collect();
            if json {
                serde_json::to_writer(&mut out, &ChangedReport { packages })?;
                writeln!(out)?;
            } else {
                for package in packages {
                    writeln!(out, "{}", package.name)?;
                }
            }
        }
    }
    out.flush()?;
    Ok(Outcome::Success)
}

/// A planned repository.
pub(super) struct Loaded {
    pub(super) root: std::path::PathBuf,
    pub(super) config: Config,
    pub(super) branch: Option<String>,
    pub(super) planned: WorkspacePlan,
}

/// Loads the workspace and plans it; `None` when a `fail` rule blocks the release (the
/// commits are reported on stderr).
pub(super) fn load(global: &GlobalArgs, channel: Option<&str>) -> anyhow::Result<Option<Loaded>> {
    let repository = super::open_repository(global)?;
    let root = repository
        .workdir()
        .ok_or_else(|| anyhow!("the repository has no working tree to read packages from"))?
        .to_path_buf();
    let config = Config::load(global.config.as_deref(), Some(&root))?;
    let branch = repository.current_branch();
    let mut options = workspace::next_options(&config, branch.as_deref());
    if let Some(channel) = channel {
        options.channel = Channel::parse(channel)
            .context("invalid `--channel`")?
            .into_option();
    }
    let workspace = Workspace::load(&root, &config)?;
    let planned = workspace::plan(&repository, workspace, &config, &options, branch.as_deref())?;
    let mut blocked = false;
    for (index, history) in planned.histories.iter().enumerate() {
        if let Err(failed) = history.check_failures() {
            if !blocked {
                eprintln!("error: the release is blocked by a `fail` rule in `verso.toml`");
                blocked = true;
            }
            for (id, header) in &failed.commits {
                eprintln!(
                    "  - {}: `{}` {header}",
                    planned.workspace.members[index].name,
                    short(id)
                );
            }
        }
    }
    if blocked {
        eprintln!("hint: revert or reword these commits, or change the rule");
        return Ok(None);
    }
    Ok(Some(Loaded {
        root,
        config,
        branch,
        planned,
    }))
}

fn plan_report(planned: &WorkspacePlan) -> PlanReport<'_> {
    let packages = planned
        .workspace
        .members
        .iter()
        .enumerate()
        .map(|(index, member)| {
            let decided = &planned.plan.packages[index];
            PackageReport {
                name: &member.name,
                path: &member.path,
                kind: member.kind.as_str(),
                group: member
                    .group
                    .map(|group| planned.workspace.groups[group].name.as_str()),
                current_version: decided.current_version.as_ref().map(ToString::to_string),
                next_version: decided.next_version.as_ref().map(ToString::to_string),
                bump: decided.bump,
                reason: decided.reason,
                last_tag: planned.bases[index].tag.as_deref(),
                new_tag: new_tag(planned, index),
                rule: &decided.rule,
                commits: &planned.histories[index].commits,
                dependency_updates: &decided.dependency_updates,
                caused_by: &decided.caused_by,
            }
        })
        .collect();
    PlanReport {
        packages,
        order: &planned.plan.order,
        cycles: &planned.plan.cycles,
        channel: planned.channel.as_deref(),
    }
}

pub(super) fn new_tag(planned: &WorkspacePlan, index: usize) -> Option<String> {
    planned.plan.packages[index]
        .next_version
        .as_ref()
        .map(|version| planned.matchers[index].tag_for(version))
}

fn describe_versioned_file(file: &verso_manifest::write::VersionedFile) -> String {
    use verso_manifest::write::VersionedFile;
    match file {
        VersionedFile::Whole { file } => format!("`{file}`"),
        VersionedFile::Key { file, key } => format!("`{file}` at `{}`", key.join(".")),
        VersionedFile::Pattern { file, pattern } => format!("`{file}` matching `{pattern}`"),
    }
}

/// Why, in a few words.
fn why(planned: &WorkspacePlan, index: usize) -> String {
    let decided = &planned.plan.packages[index];
    let commits = planned.histories[index].commits.len();
    match decided.reason {
        Reason::Commits => format!("{commits} commit(s)"),
        Reason::Dependency => format!("dependency: {}", decided.caused_by.join(", ")),
        Reason::FixedGroup => {
            let group = planned.workspace.members[index]
                .group
                .map_or("", |group| planned.workspace.groups[group].name.as_str());
            if decided.caused_by.is_empty() {
                format!("fixed group `{group}`")
            } else {
                format!("fixed group `{group}`: {}", decided.caused_by.join(", "))
            }
        }
        Reason::None if commits == 0 => "no changes".to_owned(),
        Reason::None => format!("{commits} commit(s), none releasable"),
    }
}

fn write_table(out: &mut impl std::io::Write, planned: &WorkspacePlan) -> std::io::Result<()> {
    let position = |name: &str| planned.workspace.find(name);
    let rows: Vec<[String; 5]> = planned
        .plan
        .order
        .iter()
        .filter_map(|name| position(name))
        .map(|index| {
            let decided: &PlannedPackage = &planned.plan.packages[index];
            let current = decided
                .current_version
                .as_ref()
                .map_or_else(|| "-".to_owned(), ToString::to_string);
            let next = decided
                .next_version
                .as_ref()
                .map_or_else(|| "-".to_owned(), ToString::to_string);
            [
                planned.workspace.members[index].name.clone(),
                current,
                next,
                decided.bump.to_string(),
                why(planned, index),
            ]
        })
        .collect();
    let header = ["PACKAGE", "CURRENT", "NEXT", "BUMP", "WHY"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        )
    };
    writeln!(out, "{}", line(header).trim_end())?;
    for row in &rows {
        writeln!(
            out,
            "{}",
            line([&row[0], &row[1], &row[2], &row[3], &row[4]]).trim_end()
        )?;
    }
    for cycle in &planned.plan.cycles {
        writeln!(
            out,
            "cycle: {} depend on each other and are released together",
            cycle.join(", ")
        )?;
    }
    let released = planned
        .plan
        .packages
        .iter()
        .filter(|package| package.next_version.is_some())
        .count();
    writeln!(
        out,
        "{released} of {} package(s) to release",
        planned.plan.packages.len()
    )
}

/// `verso explain <package>`.
pub(crate) fn explain(global: &GlobalArgs, name: &str, args: &NextArgs) -> anyhow::Result<Outcome> {
    let Some(Loaded { planned, .. }) = load(global, args.channel.as_deref())? else {
        return Ok(Outcome::Rejected);
    };
    let Some(index) = planned.workspace.find(name) else {
        let names: Vec<&str> = planned
            .workspace
            .members
            .iter()
            .map(|member| member.name.as_str())
            .collect();
        return Err(with_hint(
            anyhow!("no package is named `{name}`"),
            format!("the packages are: {}", names.join(", ")),
        ));
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    write_explanation(&mut out, &planned, index)?;
    out.flush()?;
    Ok(Outcome::Success)
}

fn write_explanation(
    out: &mut impl std::io::Write,
    planned: &WorkspacePlan,
    index: usize,
) -> std::io::Result<()> {
    let member = &planned.workspace.members[index];
    let decided = &planned.plan.packages[index];
    let base = &planned.bases[index];
    let history = &planned.histories[index];
    writeln!(
        out,
        "Package: {} ({} at `{}`)",
        member.name, member.kind, member.path
    )?;
    if let Some(group) = member.group {
        let group = &planned.workspace.groups[group];
        let others: Vec<&str> = group
            .members
            .iter()
            .filter(|&&other| other != index)
            .map(|&other| planned.workspace.members[other].name.as_str())
            .collect();
        writeln!(
            out,
            "Fixed group: `{}` (tags `{}`), with {}",
            group.name,
            group.template,
            others.join(", ")
        )?;
    } else {
        writeln!(out, "Tags: `{}`", member.template)?;
    }
    if !member.versioned_files.is_empty() {
        writeln!(
            out,
            "Versioned files: {}",
            member
                .versioned_files
                .iter()
                .map(describe_versioned_file)
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    match (&base.tag, &base.version) {
        (Some(tag), Some(version)) => writeln!(out, "Last release: `{tag}` (version {version})")?,
        _ => match &member.manifest_version {
            Some(version) => writeln!(
                out,
                "Last release: none tagged; the manifest says {version}, so every commit counts"
            )?,
            None => writeln!(out, "Last release: none")?,
        },
    }
    writeln!(out, "  found: {}", base.how)?;
    let filter = &member.filter;
    if !filter.include.is_empty() || !filter.skip.is_empty() {
        let include: Vec<&str> = filter.include.iter().map(|glob| glob.as_str()).collect();
        writeln!(
            out,
            "  counted: changes under `{}`{}{}",
            member.path,
            if include.is_empty() {
                String::new()
            } else {
                format!(" matching {}", include.join(", "))
            },
            if filter.skip.is_empty() {
                String::new()
            } else {
                format!(" outside {}", filter.skip.join(", "))
            }
        )?;
    }
    match &planned.channel {
        Some(channel) => writeln!(out, "Channel: `{channel}`")?,
        None => writeln!(out, "Channel: stable")?,
    }
    super::next::write_commits(out, &history.commits)?;
    writeln!(out, "Own bump: {}", history.bump)?;
    match decided.reason {
        Reason::Dependency => {
            for cause in &decided.caused_by {
                let edge = member
                    .dependencies
                    .iter()
                    .find(|dependency| &dependency.name == cause);
                let moved = planned
                    .workspace
                    .find(cause)
                    .and_then(|other| planned.plan.packages[other].next_version.as_ref());
                match (edge, moved) {
                    (Some(edge), Some(version)) => writeln!(
                        out,
                        "Forced by: {} dependency `{cause}` ({}) is released as {version}",
                        edge.kind,
                        if edge.spec.is_empty() {
                            "by path"
                        } else {
                            &edge.spec
                        }
                    )?,
                    _ => writeln!(out, "Forced by: `{cause}`")?,
                }
            }
        }
        Reason::FixedGroup => writeln!(
            out,
            "Forced by: its fixed group releases {}",
            if decided.caused_by.is_empty() {
                "a member".to_owned()
            } else {
                decided.caused_by.join(", ")
            }
        )?,
        Reason::Commits | Reason::None => {}
    }
    writeln!(out, "Bump: {}", decided.bump)?;
    writeln!(out, "Rule: {}", decided.rule)?;
    for update in &decided.dependency_updates {
        writeln!(
            out,
            "Dependency update: `{}` {} → {}",
            update.dependency, update.from, update.to
        )?;
    }
    match (&decided.next_version, new_tag(planned, index)) {
        (Some(version), Some(tag)) => writeln!(out, "Next version: {version} (tag `{tag}`)"),
        _ => writeln!(out, "Next version: none (nothing to release)"),
    }
}
