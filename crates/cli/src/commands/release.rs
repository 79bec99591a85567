//! `verso release`: the plan of `verso plan`, applied. Everything is computed first — file
//! edits, changelog sections, commit message, tags, publishers — and written to the
//! journal; then the steps run, each recorded. See `verso_release` for the steps.

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::path::Path;

use anyhow::{anyhow, bail, Context as _};
use serde::Serialize;
use verso_core::history::ClassifiedCommit;
use verso_core::semver::{Identifier, Version};
use verso_manifest::write::{self, join, SpecChange};
use verso_manifest::PackageKind;
use verso_release::changelog::{self, DependencyMove, Entry};
use verso_release::remote::Links;
use verso_release::{
    FileEdit, Git, Journal, Lock, PackageRelease, Progress, Publisher, Summary, TagPlan,
};

use crate::args::{GlobalArgs, ReleaseArgs};
use crate::config::{AppVersion, Config};
use crate::report::{with_hint, Outcome};
use crate::workspace::WorkspacePlan;

use super::plan::{load, new_tag, Loaded};

pub(crate) fn run(global: &GlobalArgs, args: &ReleaseArgs) -> anyhow::Result<Outcome> {
    let repository = super::open_repository(global)?;
    let root = repository
        .workdir()
        .ok_or_else(|| anyhow!("the repository has no working tree to release from"))?;
    // Publishers run in package folders: every path must be absolute.
    let root = std::fs::canonicalize(root)
        .with_context(|| format!("cannot resolve {}", root.display()))?;
    let git_dir = std::fs::canonicalize(repository.common_dir())
        .with_context(|| format!("cannot resolve {}", repository.common_dir().display()))?;
    drop(repository);
    let git = Git::new(&root);
    let _lock = Lock::acquire(&git_dir)?;

    if let Some(mut journal) = Journal::load(&git_dir)? {
        if args.abort {
            let aborted = verso_release::abort(&git, &git_dir, &journal)?;
            if args.json {
                println!("{}", serde_json::to_string(&aborted)?);
            } else {
                for tag in &aborted.deleted_tags {
                    println!("deleted tag {tag}");
                }
                if let Some(base) = &aborted.reset_to {
                    println!("reset the branch to {base}");
                }
                for file in &aborted.restored_files {
                    println!("restored {file}");
                }
                println!("release aborted");
            }
            return Ok(Outcome::Success);
        }
        journal.publish &= !args.no_publish;
        journal.push &= !args.no_push;
        let remaining: Vec<String> = journal
            .steps()
            .into_iter()
            .filter(|step| !journal.is_done(step))
            .collect();
        if args.dry_run {
            println!("an unfinished release is in progress; `verso release` would run:");
            for step in remaining {
                println!("  {step}");
            }
            return Ok(Outcome::Success);
        }
        eprintln!(
            "resuming the release of {} ({} step(s) left)",
            released_list(&journal.packages),
            remaining.len()
        );
        let summary = execute(&git, &git_dir, journal, true)?;
        print_summary(&summary, args.json)?;
        return Ok(Outcome::Success);
    }
    if args.resume || args.abort {
        bail!("no release is in progress in this repository: there is nothing to resume or abort");
    }

    let changed = git.changed_files()?;
    if !changed.is_empty() && !args.dry_run {
        let shown: Vec<&str> = changed.iter().take(10).map(String::as_str).collect();
        return Err(with_hint(
            anyhow!(
                "the working tree has uncommitted changes: {}{}",
                shown.join(", "),
                if changed.len() > shown.len() {
                    ", ..."
                } else {
                    ""
                }
            ),
            "commit or stash them first: the release commit holds only the release's own edits",
        ));
    }
    let Some(loaded) = load(global, args.channel.as_deref())? else {
        return Ok(Outcome::Rejected);
    };
    let Some(journal) = prepare(&loaded, &git, args)? else {
        if args.json {
            println!("{}", serde_json::json!({ "released": [] }));
        } else {
            println!("nothing to release");
        }
        return Ok(Outcome::Success);
    };
    if args.dry_run {
        print_dry_run(&journal, args.json)?;
        return Ok(Outcome::Success);
    }
    let summary = execute(&git, &git_dir, journal, false)?;
    print_summary(&summary, args.json)?;
    Ok(Outcome::Success)
}

/// Runs the steps with a progress bar on stderr (shown on a terminal only).
fn execute(git: &Git, git_dir: &Path, journal: Journal, resumed: bool) -> anyhow::Result<Summary> {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(journal.steps().len() as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if journal.packages.len() < 2 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    if let Ok(style) = indicatif::ProgressStyle::with_template("{pos}/{len} {wide_msg}") {
        bar.set_style(style);
    }
    let result = verso_release::run(
        git,
        git_dir,
        journal,
        resumed,
        &mut |progress| match progress {
            Progress::Start { step, index, .. } => {
                bar.set_position(index as u64);
                bar.set_message(step.to_owned());
            }
            Progress::AlreadyDone { .. } => bar.inc(1),
        },
    );
    bar.finish_and_clear();
    result
}

/// The released packages as `a 1.2.0, b 0.3.1`.
fn released_list(packages: &[PackageRelease]) -> String {
    packages
        .iter()
        .map(|package| format!("{} {}", package.name, package.version))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Computes the whole release; `None` when no package has a new version.
fn prepare(loaded: &Loaded, git: &Git, args: &ReleaseArgs) -> anyhow::Result<Option<Journal>> {
    let Loaded {
        root,
        config,
        branch,
        planned,
        ..
    } = loaded;
    let released: Vec<usize> = planned
        .plan
        .order
        .iter()
        .filter_map(|name| planned.workspace.find(name))
        .filter(|&index| planned.plan.packages[index].next_version.is_some())
        .collect();
    if released.is_empty() {
        return Ok(None);
    }
    let date = release_date(args.date.as_deref())?;
    let remote = git.push_remote(branch.as_deref())?;
    // A push that cannot happen is said before anything happens.
    if !args.no_push {
        if branch.is_none() {
            bail!("HEAD is detached: there is no branch to push the release to; check out a branch or pass `--no-push`");
        }
        if remote.is_none() {
            bail!(
                "the repository has no remote to push the release to: add one, or pass `--no-push`"
            );
        }
    }
    let links = match remote {
        Some(remote) => git
            .remote_url(&remote)?
            .and_then(|url| Links::from_remote(&url)),
        None => None,
    };
    let template =
        match &config.changelog.template {
            Some(path) => Some(std::fs::read_to_string(root.join(path)).with_context(|| {
                format!("cannot read the changelog template `{}`", path.display())
            })?),
            None => None,
        };
    let changelogs = Sections {
        date: &date,
        links: links.as_ref(),
        template: template.as_deref(),
    };
    let members = &planned.workspace.members;
    let version_of = |index: usize| -> Option<Version> {
        let decided = &planned.plan.packages[index];
        decided
            .next_version
            .clone()
            .or_else(|| decided.current_version.clone())
    };

    let mut manifest_releases = Vec::new();
    let mut packages = Vec::new();
    let mut sections: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut tags: Vec<TagPlan> = Vec::new();
    for &index in &released {
        let member = &members[index];
        let decided = &planned.plan.packages[index];
        let version = decided
            .next_version
            .clone()
            .ok_or_else(|| anyhow!("`{}` has no next version", member.name))?;
        let tag = new_tag(planned, index);
        let mut release = write::Release::new(
            &member.manifest_name,
            &member.path,
            member.kind,
            version.clone(),
        );
        release.files.clone_from(&member.versioned_files);
        for update in &decided.dependency_updates {
            let name = planned
                .workspace
                .find(&update.dependency)
                .map_or(update.dependency.clone(), |dependency| {
                    members[dependency].manifest_name.clone()
                });
            release.specs.push(SpecChange {
                name,
                from: update.from.clone(),
                to: update.to.clone(),
            });
        }
        let app_version = match &member.app_version {
            AppVersion::Leave => None,
            AppVersion::Chart => Some(version.to_string()),
            AppVersion::Package(app) => planned
                .workspace
                .find(app)
                .and_then(version_of)
                .map(|version| version.to_string()),
        };
        release.image_tag = member.values_image_tag.clone().map(|key| {
            let tag = app_version.clone().unwrap_or_else(|| version.to_string());
            (key, tag)
        });
        release.app_version = app_version;
        manifest_releases.push(release);

        let section = changelogs.package(planned, index)?;
        if config.changelog.enabled {
            sections
                .entry(join(&member.path, "CHANGELOG.md"))
                .or_default()
                .push(section.clone());
        }
        if let Some(tag) = &tag {
            if !tags.iter().any(|planned| planned.name == *tag) {
                tags.push(TagPlan {
                    name: tag.clone(),
                    message: changelogs.tag(planned, index, &section)?,
                });
            }
        }
        packages.push(PackageRelease {
            name: member.name.clone(),
            path: member.path.clone(),
            kind: member.kind.to_string(),
            version: version.to_string(),
            previous_version: decided.current_version.as_ref().map(ToString::to_string),
            tag,
            channel: channel_of(&version),
            publishers: publishers(root, member, config)?,
        });
    }
    // A fixed group's section also goes to the root changelog (unless a member is there).
    if config.changelog.enabled {
        for tag in &tags {
            let members_of: Vec<usize> = released
                .iter()
                .copied()
                .filter(|&index| new_tag(planned, index).as_deref() == Some(tag.name.as_str()))
                .collect();
            let grouped = members_of
                .first()
                .is_some_and(|&index| members[index].group.is_some());
            let at_root = members_of.iter().any(|&index| members[index].path == ".");
            if grouped && !at_root {
                sections
                    .entry("CHANGELOG.md".to_owned())
                    .or_default()
                    .push(tag.message.clone());
            }
        }
    }

    // Existing tags would make the release collide with an earlier one.
    for tag in &tags {
        if let Some(target) = git.tag_target(&tag.name)? {
            bail!(
                "tag `{}` already exists (on {target}) but the plan releases it again: is a tag missing from this branch's history, or was it made by hand?",
                tag.name
            );
        }
    }

    let mut files: BTreeMap<String, FileEdit> = write::changes(root, &manifest_releases)
        .context("cannot write the new versions")?
        .into_iter()
        .map(|change| {
            (
                change.path.clone(),
                FileEdit {
                    path: change.path,
                    before: Some(change.before),
                    after: change.after,
                },
            )
        })
        .collect();
    for (path, new_sections) in sections {
        let existing = match files.get(&path) {
            Some(edit) => Some(edit.after.clone()),
            None => match std::fs::read_to_string(root.join(&path)) {
                Ok(text) => Some(text),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
                Err(error) => {
                    return Err(error).with_context(|| format!("cannot read `{path}`"));
                }
            },
        };
        let before = files
            .get(&path)
            .map_or_else(|| existing.clone(), |edit| edit.before.clone());
        let mut text = existing;
        // Sections are pushed in release order; the last pushed ends on top.
        for section in new_sections.iter().rev() {
            text = Some(changelog::insert(text.as_deref(), section));
        }
        let after = text.unwrap_or_default();
        files.insert(
            path.clone(),
            FileEdit {
                path,
                before,
                after,
            },
        );
    }

    Ok(Some(Journal {
        format: verso_release::journal::FORMAT,
        base: git.head()?,
        branch: branch.clone(),
        message: commit_message(&packages),
        files: files.into_values().collect(),
        tags,
        packages,
        publish: !args.no_publish,
        push: !args.no_push,
        commit: None,
        done: Vec::new(),
        started: Vec::new(),
        outcomes: Vec::new(),
    }))
}

/// What every changelog section of one release shares.
struct Sections<'a> {
    date: &'a str,
    links: Option<&'a Links>,
    template: Option<&'a str>,
}

impl Sections<'_> {
    /// The section of member `index`'s release, titled `package`, listing `commits`.
    fn render(
        &self,
        planned: &WorkspacePlan,
        index: usize,
        package: &str,
        commits: &[ClassifiedCommit],
        dependencies: Vec<DependencyMove>,
    ) -> anyhow::Result<String> {
        let decided = &planned.plan.packages[index];
        let version = decided
            .next_version
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let previous = decided.current_version.as_ref().map(ToString::to_string);
        let tag = new_tag(planned, index).unwrap_or_default();
        Entry::new(
            &changelog::Release {
                package,
                version: &version,
                previous_version: previous.as_deref(),
                tag: &tag,
                previous_tag: planned.bases[index].tag.as_deref(),
                date: self.date,
                links: self.links,
            },
            commits,
            dependencies,
        )
        .render(self.template)
        .map_err(|error| anyhow!("the changelog template failed: {error:#}"))
    }

    /// A package's own section: its commits, and the dependencies that moved it.
    fn package(&self, planned: &WorkspacePlan, index: usize) -> anyhow::Result<String> {
        let dependencies = planned.plan.packages[index]
            .caused_by
            .iter()
            .filter_map(|name| {
                let dependency = planned.workspace.find(name)?;
                let version = planned.plan.packages[dependency].next_version.as_ref()?;
                Some(DependencyMove {
                    name: name.clone(),
                    version: version.to_string(),
                })
            })
            .collect();
        let member = &planned.workspace.members[index];
        self.render(
            planned,
            index,
            &member.name,
            &planned.histories[index].commits,
            dependencies,
        )
    }

    /// A tag's message: the package's own section, or for a fixed group the section of
    /// all the group's commits.
    fn tag(&self, planned: &WorkspacePlan, index: usize, own: &str) -> anyhow::Result<String> {
        let Some(group) = planned.workspace.members[index].group else {
            return Ok(own.to_owned());
        };
        let group = &planned.workspace.groups[group];
        let mut seen = HashSet::new();
        let commits: Vec<ClassifiedCommit> = group
            .members
            .iter()
            .flat_map(|&member| planned.histories[member].commits.iter())
            .filter(|commit| seen.insert(commit.id.clone()))
            .cloned()
            .collect();
        self.render(planned, index, &group.name, &commits, Vec::new())
    }
}

/// The prerelease channel of a version: its first prerelease identifier.
fn channel_of(version: &Version) -> Option<String> {
    match version.prerelease.first() {
        Some(Identifier::AlphaNumeric(channel)) => Some(channel.clone()),
        Some(Identifier::Numeric(_)) => Some("next".to_owned()),
        None => None,
    }
}

/// The publishers of a package: its kind's, from `[publish]` (private npm packages and
/// crates with `publish = false` have none), then its `publish_command`.
fn publishers(
    root: &Path,
    member: &crate::workspace::Member,
    config: &Config,
) -> anyhow::Result<Vec<Publisher>> {
    if !member.publish {
        return Ok(Vec::new());
    }
    let directory = root.join(&member.path);
    let mut publishers = Vec::new();
    let configured = match member.kind {
        PackageKind::Npm => config.publish.npm.clone().filter(|_| {
            let manifest = std::fs::read_to_string(directory.join("package.json")).ok();
            let private = manifest
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                .is_some_and(|json| json.get("private") == Some(&serde_json::Value::Bool(true)));
            !private
        }),
        PackageKind::Cargo => config.publish.cargo.clone().filter(|_| {
            let manifest = std::fs::read_to_string(directory.join("Cargo.toml")).ok();
            let unpublished = manifest
                .and_then(|text| text.parse::<toml::Table>().ok())
                .and_then(|table| table.get("package")?.get("publish").cloned())
                .is_some_and(|publish| publish == toml::Value::Boolean(false));
            !unpublished
        }),
        PackageKind::Helm => config.publish.helm.clone(),
        PackageKind::Python | PackageKind::Generic => None,
    };
    publishers.extend(configured);
    if let Some(command) = &member.publish_command {
        publishers.push(Publisher::Command {
            command: command.clone(),
        });
    }
    Ok(publishers)
}

/// `chore(release): a 1.2.0, b 0.3.1` (or `N packages` when long), then one line per
/// package with its tag.
fn commit_message(packages: &[PackageRelease]) -> String {
    let list = released_list(packages);
    let header = if list.len() <= 60 {
        format!("chore(release): {list}")
    } else {
        format!("chore(release): {} packages", packages.len())
    };
    let mut message = format!("{header}\n\n");
    for package in packages {
        let from = package.previous_version.as_deref().unwrap_or("(new)");
        message.push_str(&format!(
            "- {} {from} -> {}{}\n",
            package.name,
            package.version,
            package
                .tag
                .as_deref()
                .map(|tag| format!(" ({tag})"))
                .unwrap_or_default()
        ));
    }
    message
}

/// `--date`, else `SOURCE_DATE_EPOCH`, else today (UTC).
fn release_date(explicit: Option<&str>) -> anyhow::Result<String> {
    if let Some(date) = explicit {
        let parts: Vec<&str> = date.split('-').collect();
        let valid = matches!(parts.as_slice(), [year, month, day]
            if year.len() == 4 && month.len() == 2 && day.len() == 2
                && parts.iter().all(|part| part.bytes().all(|byte| byte.is_ascii_digit()))
                && (1..=12).contains(&month.parse::<u32>().unwrap_or(0))
                && (1..=31).contains(&day.parse::<u32>().unwrap_or(0)));
        if !valid {
            bail!("invalid `--date` `{date}`: expected YYYY-MM-DD");
        }
        return Ok(date.to_owned());
    }
    let seconds = crate::env::now()?;
    Ok(verso_registry::time::civil_date(seconds.div_euclid(86_400)))
}

/// The JSON contract of `verso release --dry-run --json`.
#[derive(Serialize)]
struct DryRun<'a> {
    dry_run: bool,
    packages: &'a [PackageRelease],
    files: Vec<DryRunFile<'a>>,
    commit_message: &'a str,
    tags: &'a [TagPlan],
    steps: Vec<String>,
    commands: Vec<String>,
}

#[derive(Serialize)]
struct DryRunFile<'a> {
    path: &'a str,
    diff: String,
}

fn print_dry_run(journal: &Journal, json: bool) -> anyhow::Result<()> {
    let commands: Vec<String> = journal
        .packages
        .iter()
        .flat_map(|package| {
            package.publishers.iter().map(move |publisher| {
                let directory = Path::new(&package.path);
                let target = verso_release::publish::Target {
                    name: &package.name,
                    directory,
                    version: &package.version,
                    previous_version: package.previous_version.as_deref(),
                    tag: package.tag.as_deref(),
                    channel: package.channel.as_deref(),
                };
                format!(
                    "{} ({}): {}",
                    package.name,
                    package.path,
                    verso_release::publish::describe(publisher, &target)
                )
            })
        })
        .collect();
    let files: Vec<DryRunFile<'_>> = journal
        .files
        .iter()
        .map(|file| DryRunFile {
            path: &file.path,
            diff: diff(
                &file.path,
                file.before.as_deref().unwrap_or(""),
                &file.after,
            ),
        })
        .collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        serde_json::to_writer(
            &mut out,
            &DryRun {
                dry_run: true,
                packages: &journal.packages,
                files,
                commit_message: &journal.message,
                tags: &journal.tags,
                steps: journal.steps(),
                commands,
            },
        )?;
        writeln!(out)?;
        out.flush()?;
        return Ok(());
    }
    writeln!(out, "Release (dry run, nothing is changed):")?;
    for package in &journal.packages {
        writeln!(
            out,
            "  {} {} -> {}{}",
            package.name,
            package.previous_version.as_deref().unwrap_or("(new)"),
            package.version,
            package
                .tag
                .as_deref()
                .map(|tag| format!("  tag {tag}"))
                .unwrap_or_default()
        )?;
    }
    writeln!(out)?;
    for file in &files {
        write!(out, "{}", file.diff)?;
    }
    writeln!(out, "\nCommit:")?;
    for line in journal.message.lines() {
        if line.is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "  {line}")?;
        }
    }
    writeln!(out, "\nTags:")?;
    for tag in &journal.tags {
        writeln!(out, "  {}", tag.name)?;
    }
    if journal.publish {
        writeln!(out, "\nPublish:")?;
        if commands.is_empty() {
            writeln!(out, "  (no publisher configured)")?;
        }
        for command in &commands {
            writeln!(out, "  {command}")?;
        }
    }
    if journal.push {
        writeln!(
            out,
            "\nPush: {} and {} tag(s)",
            journal.branch.as_deref().unwrap_or("(detached HEAD)"),
            journal.tags.len()
        )?;
    }
    out.flush()?;
    Ok(())
}

/// A unified diff of a small edit: changed lines with one line of context.
fn diff(path: &str, before: &str, after: &str) -> String {
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    let mut out = format!("--- {path}\n+++ {path}\n");
    let line = |text: &str| text.trim_end_matches(['\n', '\r']).to_owned();
    if old.len() == new.len() {
        let changed: Vec<usize> = (0..old.len()).filter(|&at| old[at] != new[at]).collect();
        let mut index = 0;
        while index < changed.len() {
            let start = changed[index].saturating_sub(1);
            let mut end = changed[index];
            while index + 1 < changed.len() && changed[index + 1] <= end + 3 {
                index += 1;
                end = changed[index];
            }
            let end = (end + 1).min(old.len() - 1);
            out.push_str(&format!(
                "@@ -{},{} +{},{} @@\n",
                start + 1,
                end - start + 1,
                start + 1,
                end - start + 1
            ));
            for at in start..=end {
                if old[at] == new[at] {
                    out.push_str(&format!(" {}\n", line(old[at])));
                } else {
                    out.push_str(&format!("-{}\n+{}\n", line(old[at]), line(new[at])));
                }
            }
            index += 1;
        }
        return out;
    }
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let removed = &old[prefix..old.len() - suffix];
    let added = &new[prefix..new.len() - suffix];
    out.push_str(&format!(
        "@@ -{},{} +{},{} @@\n",
        prefix + 1,
        removed.len(),
        prefix + 1,
        added.len()
    ));
    for text in removed {
        out.push_str(&format!("-{}\n", line(text)));
    }
    for text in added {
        out.push_str(&format!("+{}\n", line(text)));
    }
    out
}

fn print_summary(summary: &Summary, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        serde_json::to_writer(&mut out, summary)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(());
    }
    writeln!(
        out,
        "released {} package(s) in {}{}",
        summary.packages.len(),
        verso_core::history::short(&summary.commit),
        if summary.resumed { " (resumed)" } else { "" }
    )?;
    for package in &summary.packages {
        let published: Vec<String> = package
            .published
            .iter()
            .map(|(publisher, outcome)| {
                format!(
                    "{publisher}: {}",
                    match outcome {
                        verso_release::Outcome::Published => "published",
                        verso_release::Outcome::Skipped => "already published",
                    }
                )
            })
            .collect();
        writeln!(
            out,
            "  {} {}{}{}",
            package.name,
            package.version,
            package
                .tag
                .as_deref()
                .map(|tag| format!("  tag {tag}"))
                .unwrap_or_default(),
            if published.is_empty() {
                String::new()
            } else {
                format!("  {}", published.join(", "))
            }
        )?;
    }
    if summary.pushed {
        writeln!(
            out,
            "pushed the release commit and {} tag(s)",
            summary.tags.len()
        )?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_show_changed_lines_with_context() {
        let before = "a\nb\nc\nd\ne\n";
        let after = "a\nB\nc\nd\ne\n";
        assert_eq!(
            diff("f", before, after),
            "--- f\n+++ f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
        assert_eq!(
            diff("f", "# T\n## 1\n", "# T\n## 2\nx\n## 1\n"),
            "--- f\n+++ f\n@@ -2,0 +2,2 @@\n+## 2\n+x\n"
        );
    }

    #[test]
    fn release_dates() {
        assert_eq!(
            release_date(Some("2026-11-21")).expect("valid"),
            "2026-11-21"
        );
        assert!(release_date(Some("2026-13-01")).is_err());
        assert!(release_date(Some("21.11.2026")).is_err());
    }
}
