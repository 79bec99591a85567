//! `CHANGELOG.md`: one section per release, newest on top, rendered from a minijinja
//! template (the default below, or one from `verso.toml`).
//!
//! The section lists the commits that made the release, grouped as Breaking changes,
//! Features, Bug fixes, Performance and Reverts; the scope in bold; links to each commit and
//! a compare link when the remote is a GitHub- or GitLab-like host; and, for a release
//! forced by a dependency, which dependency moved. The date is an input: nothing here reads
//! the clock.

use serde::Serialize;
use verso_core::bump::Bump;
use verso_core::history::{short, ClassifiedCommit};

use crate::remote::Links;

/// The default section template. Variables: `package`, `version`, `previous_version`,
/// `tag`, `previous_tag`, `date`, `compare_url`, `sections` (each with `title` and
/// `commits`: `hash`, `short_hash`, `scope`, `description`, `breaking`, `url`) and
/// `dependencies` (each with `name` and `version`).
pub const DEFAULT_TEMPLATE: &str = r"## {% if compare_url %}[{{ version }}]({{ compare_url }}){% else %}{{ version }}{% endif %} ({{ date }})
{% for section in sections %}

### {{ section.title }}

{% for commit in section.commits %}
* {% if commit.scope %}**{{ commit.scope }}:** {% endif %}{{ commit.description }}{% if commit.url %} ([{{ commit.short_hash }}]({{ commit.url }})){% else %} ({{ commit.short_hash }}){% endif %}

{% endfor %}
{% endfor %}
{% if dependencies %}

### Dependencies

{% for dependency in dependencies %}
* `{{ dependency.name }}` updated to {{ dependency.version }}
{% endfor %}
{% endif %}
";

/// Everything a section says.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub package: String,
    pub version: String,
    pub previous_version: Option<String>,
    pub tag: String,
    pub previous_tag: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub compare_url: Option<String>,
    pub sections: Vec<Section>,
    pub dependencies: Vec<DependencyMove>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub title: &'static str,
    pub commits: Vec<CommitLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommitLine {
    pub hash: String,
    pub short_hash: String,
    pub scope: Option<String>,
    pub description: String,
    pub breaking: bool,
    pub url: Option<String>,
}

/// A dependency whose release made this one.
#[derive(Debug, Clone, Serialize)]
pub struct DependencyMove {
    pub name: String,
    pub version: String,
}

/// What a section needs to know beyond the commits.
#[derive(Debug, Clone)]
pub struct Release<'a> {
    pub package: &'a str,
    pub version: &'a str,
    pub previous_version: Option<&'a str>,
    pub tag: &'a str,
    pub previous_tag: Option<&'a str>,
    pub date: &'a str,
    pub links: Option<&'a Links>,
}

impl Entry {
    /// Groups the commits that count (a level above `none`; cancelled revert pairs are left
    /// out) in the order of `commits` (newest first).
    pub fn new(
        release: &Release<'_>,
        commits: &[ClassifiedCommit],
        dependencies: Vec<DependencyMove>,
    ) -> Entry {
        const TITLES: [&str; 5] = [
            "Breaking changes",
            "Features",
            "Bug fixes",
            "Performance",
            "Reverts",
        ];
        let mut groups: [Vec<CommitLine>; 5] = Default::default();
        for commit in commits {
            if commit.bump == Bump::None || commit.reverted_by.is_some() {
                continue;
            }
            let parsed = &commit.commit;
            let kind = parsed.kind_lowercase();
            let group = if parsed.breaking {
                0
            } else if commit.reverts.is_some() || parsed.revert.is_some() {
                4
            } else {
                match kind.as_deref() {
                    Some("feat") => 1,
                    Some("fix") => 2,
                    Some("perf") => 3,
                    Some("revert") => 4,
                    // A type a rule made releasable: with the features.
                    _ => 1,
                }
            };
            let description = if parsed.breaking {
                parsed
                    .breaking_description
                    .clone()
                    .or_else(|| parsed.description.clone())
            } else {
                parsed.description.clone()
            };
            groups[group].push(CommitLine {
                hash: commit.id.clone(),
                short_hash: short(&commit.id).to_owned(),
                scope: parsed.scope.clone(),
                description: description.unwrap_or_else(|| commit.header.clone()),
                breaking: parsed.breaking,
                url: release.links.map(|links| links.commit(&commit.id)),
            });
        }
        let sections = TITLES
            .into_iter()
            .zip(groups)
            .filter(|(_, commits)| !commits.is_empty())
            .map(|(title, commits)| Section { title, commits })
            .collect();
        Entry {
            package: release.package.to_owned(),
            version: release.version.to_owned(),
            previous_version: release.previous_version.map(str::to_owned),
            tag: release.tag.to_owned(),
            previous_tag: release.previous_tag.map(str::to_owned),
            date: release.date.to_owned(),
            compare_url: match (release.links, release.previous_tag) {
                (Some(links), Some(previous)) => Some(links.compare(previous, release.tag)),
                _ => None,
            },
            sections,
            dependencies,
        }
    }

    /// The section, rendered with `template` (the default when `None`), ending in one
    /// newline.
    pub fn render(&self, template: Option<&str>) -> Result<String, minijinja::Error> {
        let mut environment = minijinja::Environment::new();
        environment.set_trim_blocks(true);
        environment.set_lstrip_blocks(true);
        environment.add_template("changelog", template.unwrap_or(DEFAULT_TEMPLATE))?;
        let rendered = environment
            .get_template("changelog")?
            .render(minijinja::Value::from_serialize(self))?;
        Ok(format!("{}\n", rendered.trim_end()))
    }
}

/// `existing` (the current `CHANGELOG.md`, if any) with `section` on top: after the title
/// and any introduction, before the first `## ` heading. Line endings follow the file.
pub fn insert(existing: Option<&str>, section: &str) -> String {
    let Some(existing) = existing.filter(|text| !text.trim().is_empty()) else {
        return format!("# Changelog\n\n{section}");
    };
    let crlf = existing.contains("\r\n");
    let section = if crlf {
        section.replace('\n', "\r\n")
    } else {
        section.to_owned()
    };
    let newline = if crlf { "\r\n" } else { "\n" };
    let mut offset = 0;
    let mut insert_at = None;
    for line in existing.split_inclusive('\n') {
        if line.starts_with("## ") {
            insert_at = Some(offset);
            break;
        }
        offset += line.len();
    }
    match insert_at {
        Some(at) => format!("{}{section}{newline}{}", &existing[..at], &existing[at..]),
        None => {
            let body = existing.trim_end();
            format!("{body}{newline}{newline}{section}")
        }
    }
}
