//! `verso next` and `verso explain`: the next version of one package.

use std::collections::HashSet;
use std::io::Write as _;

use anyhow::{anyhow, Context as _};
use serde::Serialize;
use verso_core::bump::{Bump, BumpRules};
use verso_core::history::{short, ClassifiedCommit, History, RangeCommit};
use verso_core::next_version::{belongs_to_channel, next_version, NextError, NextOptions};
use verso_core::semver::Version;
use verso_core::tag_template::{TagContext, TagMatcher, TagTemplate};
use verso_git::{ObjectId, PathFilter, Repository, Tag, Walk, WalkRequest};

use crate::args::{GlobalArgs, NextArgs};
use crate::config::{Channel, Config};
use crate::report::{with_hint, Outcome};

/// What to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// The bare version, or JSON with `--json`.
    Answer,
    /// A readable report.
    Explain,
}

/// Everything `next` needs, resolved once: flags > `VERSO_*` > `verso.toml` > defaults.
struct NextSettings {
    json: bool,
    template: TagTemplate,
    matcher: TagMatcher,
    path: Option<String>,
    from_tag: Option<String>,
    current_version: Option<Version>,
    options: NextOptions,
    rules: BumpRules,
}

/// The release the range starts after.
struct Base {
    tag: Option<String>,
    version: Option<Version>,
    /// How it was found, for `explain`.
    how: String,
}

impl Base {
    fn none(how: String) -> Self {
        Base {
            tag: None,
            version: None,
            how,
        }
    }

    fn tagged(tag: &Tag, version: &Version, how: String) -> Self {
        Base {
            tag: Some(tag.name.clone()),
            version: Some(version.clone()),
            how,
        }
    }
}

/// The JSON contract of `verso next --json`.
#[derive(Serialize)]
struct NextReport<'a> {
    current_version: Option<String>,
    next_version: Option<String>,
    bump: Bump,
    tag: Option<&'a str>,
    new_tag: Option<String>,
    channel: Option<&'a str>,
    rule: &'a str,
    commits: &'a [ClassifiedCommit],
}

pub(crate) fn run(global: &GlobalArgs, args: &NextArgs, format: Format) -> anyhow::Result<Outcome> {
    let repository = super::open_repository(global)?;
    let config = Config::load(global.config.as_deref(), repository.workdir())?;
    let branch = repository.current_branch();
    let settings = NextSettings::resolve(args, config, branch.as_deref())?;
    let head = repository.head().map_err(|error| match error {
        verso_git::Error::NoCommits => with_hint(error, "commit something first"),
        other => other.into(),
    })?;
    let tagged: Vec<(Version, Tag)> = repository
        .tags(|name| settings.matcher.version_of(name).is_some())?
        .into_iter()
        .filter_map(|tag| Some((settings.matcher.version_of(&tag.name)?, tag)))
        .collect();
    let existing: Vec<Version> = tagged.iter().map(|(version, _)| version.clone()).collect();
    let (base, walk) = find_base(&repository, &settings, head, &tagged)?;
    let range: Vec<RangeCommit> = walk
        .commits
        .into_iter()
        .filter(|commit| settings.path.is_none() || commit.touches(0))
        .map(|commit| RangeCommit {
            id: commit.id.to_string(),
            message: commit.message,
        })
        .collect();
    let history = History::classify(range, &settings.rules);
    if let Err(failed) = history.check_failures() {
        eprintln!("error: the release is blocked by a `fail` rule in `verso.toml`");
        for (id, header) in &failed.commits {
            eprintln!("  - `{}` {header}", short(id));
        }
        eprintln!("hint: revert or reword these commits, or change the rule");
        return Ok(Outcome::Rejected);
    }
    let next = next_version(
        base.version.as_ref(),
        history.bump,
        &settings.options,
        &existing,
    )
    .map_err(|error| match error {
        NextError::AlreadyReleased { .. } => with_hint(
            error,
            "merge the branch that holds that tag, or pass `--from-tag <tag>` to start from it",
        ),
        other => other.into(),
    })?;
    let new_tag = next
        .version
        .as_ref()
        .map(|version| settings.matcher.tag_for(version));
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    match format {
        Format::Answer if settings.json => {
            let report = NextReport {
                current_version: base.version.as_ref().map(ToString::to_string),
                next_version: next.version.as_ref().map(ToString::to_string),
                bump: next.bump,
                tag: base.tag.as_deref(),
                new_tag,
                channel: settings.options.channel.as_deref(),
                rule: &next.rule,
                commits: &history.commits,
            };
            serde_json::to_writer(&mut stdout, &report)?;
            writeln!(stdout)?;
        }
        Format::Answer => match &next.version {
            Some(version) => writeln!(stdout, "{version}")?,
            None => eprintln!("no release: {}", next.rule),
        },
        Format::Explain => {
            write_explanation(
                &mut stdout,
                &settings,
                &base,
                &history,
                &next.rule,
                next.version.as_ref(),
                new_tag.as_deref(),
            )?;
        }
    }
    stdout.flush()?;
    Ok(Outcome::Success)
}

impl NextSettings {
    fn resolve(args: &NextArgs, config: Config, branch: Option<&str>) -> anyhow::Result<Self> {
        let template = match (&args.tag_template, &args.tag_prefix) {
            (Some(template), _) => template.parse().context("invalid `--tag-template`")?,
            (None, Some(prefix)) => {
                TagTemplate::with_prefix(prefix).context("invalid `--tag-prefix`")?
            }
            (None, None) => config.tag_template.clone().unwrap_or_default(),
        };
        let name = args.name.clone().or(config.name.clone());
        let matcher = template
            .matcher(&TagContext {
                name: name.as_deref(),
                branch,
            })
            .map_err(|error| {
                with_hint(error, "pass `--name <name>` or set `name` in `verso.toml`")
            })?;
        // `verso.toml` and the branch first, then the flags on top.
        let mut options = crate::workspace::next_options(&config, branch);
        if let Some(channel) = &args.channel {
            options.channel = Channel::parse(channel)
                .context("invalid `--channel`")?
                .into_option();
        }
        if let Some(mode) = args.initial_development.as_deref() {
            options.initial_development =
                mode.parse().context("invalid `--initial-development`")?;
        }
        if let Some(version) = args.initial_version.as_deref() {
            options.initial_version =
                Version::parse(version).context("invalid `--initial-version`")?;
        }
        let current_version = args
            .current_version
            .as_deref()
            .map(Version::parse)
            .transpose()
            .context("invalid `--current-version`")?;
        let path = args.path.clone().or(config.path.clone()).and_then(|path| {
            let trimmed = path.trim_matches('/').trim_start_matches("./").to_owned();
            (!trimmed.is_empty() && trimmed != ".").then_some(trimmed)
        });
        Ok(NextSettings {
            json: args.json,
            template,
            matcher,
            path,
            from_tag: args.from_tag.clone(),
            current_version,
            options,
            rules: config.rules,
        })
    }

    fn walk_request(&self, head: ObjectId, hidden: Option<ObjectId>) -> WalkRequest {
        WalkRequest {
            head,
            hidden: hidden.into_iter().collect(),
            full_history: false,
            paths: self.path.iter().map(|path| PathFilter::new(path)).collect(),
        }
    }
}

/// Finds the last release among `tagged` (every tag of the template) and walks the commits
/// since it.
fn find_base(
    repository: &Repository,
    settings: &NextSettings,
    head: ObjectId,
    tagged: &[(Version, Tag)],
) -> anyhow::Result<(Base, Walk)> {
    if let Some(from_tag) = &settings.from_tag {
        let tag = repository
            .tags(|name| name == from_tag)?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow!("tag `{from_tag}` does not exist"))?;
        let version = match &settings.current_version {
            Some(version) => version.clone(),
            None => settings
                .matcher
                .version_of(from_tag)
                .or_else(|| Version::parse(from_tag).ok())
                .ok_or_else(|| {
                    with_hint(
                        anyhow!(
                            "cannot read a version from tag `{from_tag}` with template `{}`",
                            settings.template
                        ),
                        "pass `--current-version <version>`",
                    )
                })?,
        };
        let walk = repository.walk(&settings.walk_request(head, Some(tag.commit)))?;
        let how = format!(
            "given with `--from-tag` (at `{}`)",
            short(&tag.commit.to_string())
        );
        return Ok((
            Base {
                tag: Some(from_tag.clone()),
                version: Some(version),
                how,
            },
            walk,
        ));
    }

    if let Some(version) = &settings.current_version {
        let tag_name = settings.matcher.tag_for(version);
        let tag = tagged
            .iter()
            .find(|(_, tag)| tag.name == tag_name)
            .map(|(_, tag)| tag);
        let walk = repository.walk(&settings.walk_request(head, tag.map(|tag| tag.commit)))?;
        let how = match tag {
            Some(_) => format!("given with `--current-version`; its tag `{tag_name}` starts the range"),
            None => format!("given with `--current-version`; no tag `{tag_name}` exists, so every commit counts"),
        };
        let tag = tag.map(|tag| tag.name.clone());
        return Ok((
            Base {
                tag,
                version: Some(version.clone()),
                how,
            },
            walk,
        ));
    }

    let channel = settings.options.channel.as_deref();
    let mut candidates: Vec<&(Version, Tag)> = tagged
        .iter()
        .filter(|(version, _)| belongs_to_channel(version, channel))
        .collect();
    candidates.sort_by(|left, right| {
        right
            .0
            .cmp_with_build(&left.0)
            .then_with(|| left.1.name.cmp(&right.1.name))
    });
    let channel_note = match channel {
        Some(channel) => format!(", stable or `{channel}` prereleases"),
        None => ", stable versions only".to_owned(),
    };

    if let Some((version, tag)) = candidates.first() {
        let walk = repository.walk(&settings.walk_request(head, Some(tag.commit)))?;
        if walk.hidden_reachable.first() == Some(&true) {
            let how = format!(
                "highest of {} tag(s) matching `{}`{channel_note}, reachable from HEAD",
                candidates.len(),
                settings.template
            );
            return Ok((Base::tagged(tag, version, how), walk));
        }
        // The highest tag is on another line of history: find the highest reachable one.
        let ancestry = repository.walk(&settings.walk_request(head, None))?;
        let ancestors: HashSet<ObjectId> =
            ancestry.commits.iter().map(|commit| commit.id).collect();
        if let Some((version, tag)) = candidates
            .iter()
            .find(|(_, tag)| ancestors.contains(&tag.commit))
        {
            let walk = repository.walk(&settings.walk_request(head, Some(tag.commit)))?;
            let how = format!(
                "highest tag matching `{}`{channel_note} reachable from HEAD (higher tags such as `{}` are on other branches)",
                settings.template,
                candidates[0].1.name
            );
            return Ok((Base::tagged(tag, version, how), walk));
        }
        check_shallow(&ancestry, settings)?;
        let how = format!(
            "no tag matching `{}`{channel_note} is reachable from HEAD ({} exist elsewhere)",
            settings.template,
            candidates.len()
        );
        return Ok((Base::none(how), ancestry));
    }
    let walk = repository.walk(&settings.walk_request(head, None))?;
    check_shallow(&walk, settings)?;
    let how = format!("no tag matches `{}`{channel_note}", settings.template);
    Ok((Base::none(how), walk))
}

/// A shallow clone whose history stops before any release cannot tell what changed.
fn check_shallow(walk: &Walk, settings: &NextSettings) -> anyhow::Result<()> {
    if walk.shallow_boundary {
        return Err(with_hint(
            anyhow!(
                "this is a shallow clone and its history stops before any release tag matching `{}`",
                settings.template
            ),
            "fetch the full history with `git fetch --unshallow --tags`, or pass `--from-tag <tag>`",
        ));
    }
    Ok(())
}

fn write_explanation(
    out: &mut impl std::io::Write,
    settings: &NextSettings,
    base: &Base,
    history: &History,
    rule: &str,
    next: Option<&Version>,
    new_tag: Option<&str>,
) -> std::io::Result<()> {
    match (&base.tag, &base.version) {
        (Some(tag), Some(version)) => writeln!(out, "Last release: `{tag}` (version {version})")?,
        (None, Some(version)) => writeln!(out, "Last release: version {version} (no tag)")?,
        _ => writeln!(out, "Last release: none")?,
    }
    writeln!(out, "  found: {}", base.how)?;
    if let Some(path) = &settings.path {
        writeln!(out, "  only commits that change `{path}` count")?;
    }
    match &settings.options.channel {
        Some(channel) => writeln!(out, "Channel: `{channel}`")?,
        None => writeln!(out, "Channel: stable")?,
    }
    write_commits(out, &history.commits)?;
    writeln!(out, "Highest bump: {}", history.bump)?;
    writeln!(out, "Rule: {rule}")?;
    match (next, new_tag) {
        (Some(version), Some(tag)) => writeln!(out, "Next version: {version} (tag `{tag}`)"),
        _ => writeln!(out, "Next version: none (nothing to release)"),
    }
}

/// The `Commits since then` part of an explanation: one line per commit with its level and
/// the rule that gave it.
pub(super) fn write_commits(
    out: &mut impl std::io::Write,
    commits: &[ClassifiedCommit],
) -> std::io::Result<()> {
    writeln!(out, "Commits since then: {}", commits.len())?;
    let width = commits
        .iter()
        .map(|commit| commit.header.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    for commit in commits {
        writeln!(
            out,
            "  {} {:<5}  {:<width$}  {}",
            short(&commit.id),
            commit.bump.as_str(),
            commit.header,
            commit.rule
        )?;
    }
    Ok(())
}
