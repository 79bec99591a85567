//! Chart repository indexes (`index.yaml`): every chart version with its metadata, `urls`,
//! `created` and `digest` (hex sha256 of the `.tgz`). Entries keep every field they were read
//! with, so merging a new chart into an index leaves the others' entries as they were; each
//! chart's versions are sorted newest first by SemVer precedence.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};
use verso_core::semver::Version;

use crate::chart::archive::{read_archive, Limits};
use crate::chart::{parse_yaml, to_yaml, Metadata};
use crate::digest;
use crate::error::Error;

/// One chart version in an index.
pub type IndexEntry = Map<String, Value>;

/// What adding an entry did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    New,
    /// The same version with the same digest was there already.
    Present,
    /// The same version with another digest is there; it was kept.
    Conflict {
        existing_digest: String,
    },
}

/// A chart repository index.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub api_version: String,
    pub entries: BTreeMap<String, Vec<IndexEntry>>,
    pub generated: String,
    /// Other top-level fields (`serverInfo`, …), kept as read.
    pub other: Map<String, Value>,
}

impl Index {
    /// An empty index generated at `generated` (RFC 3339).
    pub fn new(generated: &str) -> Index {
        Index {
            api_version: "v1".to_owned(),
            entries: BTreeMap::new(),
            generated: generated.to_owned(),
            other: Map::new(),
        }
    }

    /// Parses an `index.yaml`; `origin` names it in messages.
    pub fn parse(bytes: &[u8], origin: &str) -> Result<Index, Error> {
        let value = parse_yaml(bytes, origin)?;
        let Value::Object(mut top) = value else {
            return Err(Error::Invalid(format!("{origin}: an index is a mapping")));
        };
        let api_version = match top.remove("apiVersion") {
            Some(Value::String(version)) => version,
            _ => {
                return Err(Error::Invalid(format!(
                    "{origin}: no `apiVersion`; is this a chart repository index?"
                )))
            }
        };
        let generated = match top.remove("generated") {
            Some(Value::String(text)) => text,
            _ => String::new(),
        };
        let mut entries = BTreeMap::new();
        match top.remove("entries") {
            None | Some(Value::Null) => {}
            Some(Value::Object(charts)) => {
                for (name, versions) in charts {
                    let Value::Array(versions) = versions else {
                        return Err(Error::Invalid(format!(
                            "{origin}: entries.{name} must be a list"
                        )));
                    };
                    let mut list = Vec::with_capacity(versions.len());
                    for version in versions {
                        match version {
                            Value::Object(entry) => list.push(entry),
                            _ => {
                                return Err(Error::Invalid(format!(
                                    "{origin}: entries.{name} must list mappings"
                                )))
                            }
                        }
                    }
                    entries.insert(name, list);
                }
            }
            Some(_) => {
                return Err(Error::Invalid(format!(
                    "{origin}: `entries` must be a mapping of chart names"
                )))
            }
        }
        Ok(Index {
            api_version,
            entries,
            generated,
            other: top,
        })
    }

    /// The index as YAML, keys in helm's (alphabetical) order.
    pub fn to_yaml(&self) -> Result<String, Error> {
        let mut top = self.other.clone();
        top.insert("apiVersion".into(), Value::String(self.api_version.clone()));
        let entries: Map<String, Value> = self
            .entries
            .iter()
            .map(|(name, list)| {
                (
                    name.clone(),
                    Value::Array(list.iter().cloned().map(Value::Object).collect()),
                )
            })
            .collect();
        top.insert("entries".into(), Value::Object(entries));
        top.insert("generated".into(), Value::String(self.generated.clone()));
        to_yaml(&Value::Object(top))
    }

    /// The entry for a chart package: its metadata plus `apiVersion`, `urls`, `created` and
    /// `digest` (hex, without `sha256:`).
    pub fn entry(
        metadata: &Metadata,
        digest: &str,
        urls: Vec<String>,
        created: &str,
    ) -> IndexEntry {
        let mut entry = metadata.fields.clone();
        entry.insert(
            "apiVersion".into(),
            Value::String(metadata.api_version.clone()),
        );
        entry.insert(
            "urls".into(),
            Value::Array(urls.into_iter().map(Value::String).collect()),
        );
        entry.insert("created".into(), Value::String(created.to_owned()));
        entry.insert(
            "digest".into(),
            Value::String(digest.trim_start_matches("sha256:").to_owned()),
        );
        entry
    }

    /// Adds an entry unless its version is listed already (then the listed one stays).
    pub fn add(&mut self, entry: IndexEntry) -> Result<Added, Error> {
        let name = text(&entry, "name")
            .ok_or_else(|| Error::Invalid("an index entry has no name".into()))?
            .to_owned();
        let version = text(&entry, "version")
            .ok_or_else(|| Error::Invalid(format!("an index entry of {name} has no version")))?
            .to_owned();
        let list = self.entries.entry(name).or_default();
        if let Some(existing) = list
            .iter()
            .find(|existing| text(existing, "version") == Some(version.as_str()))
        {
            let existing_digest = text(existing, "digest").unwrap_or("").to_owned();
            return Ok(
                if Some(existing_digest.as_str()) == text(&entry, "digest") {
                    Added::Present
                } else {
                    Added::Conflict { existing_digest }
                },
            );
        }
        let position = list
            .iter()
            .position(|other| newest_first(&entry, other) == Ordering::Less)
            .unwrap_or(list.len());
        list.insert(position, entry);
        Ok(Added::New)
    }

    /// Adds every entry of `other` (entries listed here already win, as with
    /// `helm repo index --merge`). Returns the versions that conflicted.
    pub fn merge(&mut self, other: Index) -> Result<Vec<String>, Error> {
        let mut conflicts = Vec::new();
        for (name, list) in other.entries {
            for entry in list {
                let version = text(&entry, "version").unwrap_or("").to_owned();
                if let Added::Conflict { .. } = self.add(entry)? {
                    conflicts.push(format!("{name} {version}"));
                }
            }
        }
        Ok(conflicts)
    }

    /// Sorts every chart's versions newest first.
    pub fn sort(&mut self) {
        for list in self.entries.values_mut() {
            list.sort_by(newest_first);
        }
    }

    /// The entry for `name` at `version`, or its highest stable version (prereleases only
    /// when asked for by version).
    pub fn find(&self, name: &str, version: Option<&str>) -> Option<&IndexEntry> {
        let list = self.entries.get(name)?;
        match version {
            Some(wanted) => list
                .iter()
                .find(|entry| text(entry, "version") == Some(wanted)),
            None => list
                .iter()
                .filter_map(|entry| Some((parse_version(entry)?, entry)))
                .filter(|(version, _)| !version.is_prerelease())
                .max_by(|a, b| a.0.cmp(&b.0))
                .map(|(_, entry)| entry),
        }
    }

    /// Every version listed for `name`.
    pub fn versions(&self, name: &str) -> Vec<String> {
        self.entries
            .get(name)
            .map(|list| {
                list.iter()
                    .filter_map(|entry| text(entry, "version").map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Chart versions in all.
    pub fn len(&self) -> usize {
        self.entries.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Indexes every `.tgz` under `folder` (recursively, read safely); URLs are `url` plus the
    /// file's path below `folder`.
    pub fn from_folder(
        folder: &Path,
        url: &str,
        created: &str,
        limits: &Limits,
    ) -> Result<Index, Error> {
        let mut index = Index::new(created);
        let mut packages = Vec::new();
        find_packages(folder, "", &mut packages)?;
        packages.sort();
        let url = url.trim_end_matches('/');
        for relative in packages {
            let path = folder.join(&relative);
            let bytes = std::fs::read(&path).map_err(|error| Error::io(&path, error))?;
            let chart = read_archive(&bytes, &path.display().to_string(), limits)?;
            let entry = Index::entry(
                &chart.metadata,
                &digest::sha256(&bytes),
                vec![format!("{url}/{relative}")],
                created,
            );
            if let Added::Conflict { .. } = index.add(entry)? {
                return Err(Error::Conflict(format!(
                    "{}: {} {} is packaged twice with different content",
                    folder.display(),
                    chart.metadata.name,
                    chart.metadata.version
                )));
            }
        }
        Ok(index)
    }
}

fn find_packages(folder: &Path, prefix: &str, into: &mut Vec<String>) -> Result<(), Error> {
    let entries = std::fs::read_dir(folder).map_err(|error| Error::io(folder, error))?;
    for entry in entries {
        let entry = entry.map_err(|error| Error::io(folder, error))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let relative = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry
            .file_type()
            .map_err(|error| Error::io(entry.path(), error))?;
        if kind.is_dir() && !name.starts_with('.') {
            find_packages(&entry.path(), &relative, into)?;
        } else if kind.is_file() && name.ends_with(".tgz") {
            into.push(relative);
        }
    }
    Ok(())
}

fn text<'e>(entry: &'e IndexEntry, key: &str) -> Option<&'e str> {
    entry.get(key).and_then(Value::as_str)
}

fn parse_version(entry: &IndexEntry) -> Option<Version> {
    Version::parse(text(entry, "version")?).ok()
}

/// Higher SemVer first; versions that do not parse go last, in their order.
fn newest_first(a: &IndexEntry, b: &IndexEntry) -> Ordering {
    match (parse_version(a), parse_version(b)) {
        (Some(a), Some(b)) => b.cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(name: &str, version: &str) -> Metadata {
        Metadata::parse(
            format!("apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: \"1.0\"\n")
                .as_bytes(),
            "Chart.yaml",
        )
        .expect("metadata")
    }

    #[test]
    fn entries_sorted_by_semver_and_conflicts_kept_out() {
        let mut index = Index::new("2026-01-01T00:00:00Z");
        for version in ["1.2.0", "1.10.0", "1.10.0-rc.1", "0.9.0"] {
            let entry = Index::entry(
                &metadata("web", version),
                &format!("sha256:{version}"),
                vec![],
                "t",
            );
            assert_eq!(index.add(entry).expect("add"), Added::New);
        }
        let order: Vec<&str> = index.entries["web"]
            .iter()
            .map(|entry| text(entry, "version").unwrap_or(""))
            .collect();
        assert_eq!(order, ["1.10.0", "1.10.0-rc.1", "1.2.0", "0.9.0"]);
        let same = Index::entry(&metadata("web", "1.2.0"), "sha256:1.2.0", vec![], "later");
        assert_eq!(index.add(same).expect("add"), Added::Present);
        let other = Index::entry(&metadata("web", "1.2.0"), "sha256:other", vec![], "later");
        assert!(matches!(
            index.add(other).expect("add"),
            Added::Conflict { .. }
        ));
        assert_eq!(
            index.find("web", None).and_then(|e| text(e, "version")),
            Some("1.10.0")
        );
        assert_eq!(
            index
                .find("web", Some("1.10.0-rc.1"))
                .and_then(|e| text(e, "version")),
            Some("1.10.0-rc.1")
        );
        assert_eq!(index.len(), 4);
    }

    #[test]
    fn yaml_round_trip_keeps_strings_and_unknown_fields() {
        let text = "apiVersion: v1\nentries:\n  web:\n  - apiVersion: v2\n    appVersion: \"1.0\"\n    created: \"2026-01-01T00:00:00Z\"\n    digest: abc\n    name: web\n    urls:\n    - web-1.0.0.tgz\n    version: 1.0.0\n    x-custom: {a: 1}\ngenerated: \"2026-01-01T00:00:00Z\"\nserverInfo:\n  contextPath: /x\n";
        let index = Index::parse(text.as_bytes(), "index.yaml").expect("parse");
        let written = index.to_yaml().expect("yaml");
        let again = Index::parse(written.as_bytes(), "written").expect("parse again");
        assert_eq!(again, index);
        assert_eq!(
            again.entries["web"][0].get("appVersion"),
            Some(&Value::String("1.0".into()))
        );
        assert!(again.other.contains_key("serverInfo"));
        assert!(Index::parse(b"entries: {}\n", "x").is_err());
    }
}
