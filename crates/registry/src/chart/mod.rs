//! Helm charts: a chart is its `Chart.yaml` metadata plus its files. Charts are read from a
//! directory (honouring `.helmignore`) or, safely, from a `.tgz`; packaged deterministically;
//! listed in repository indexes; pushed to and pulled from ChartMuseum-compatible HTTP
//! repositories and OCI registries.

mod archive;
mod ignore;
mod index;
mod package;
mod repository;

pub use archive::{read_archive, unpack, Limits};
pub use ignore::Ignore;
pub use index::{Added, Index, IndexEntry};
pub use package::{deep_merge, load_dir, package, Overrides, Package};
pub use repository::{pull, push, versions, ChartRepository, Pulled, Pushed};

use serde_json::{Map, Value};
use verso_core::semver::Version;

use crate::error::Error;

/// A chart in memory: its metadata and every file, paths relative to the chart's folder with
/// `/` separators, sorted.
#[derive(Debug, Clone)]
pub struct Chart {
    pub metadata: Metadata,
    pub files: Vec<(String, Vec<u8>)>,
}

impl Chart {
    /// The bytes of one file.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(name, _)| name == path)
            .map(|(_, bytes)| bytes.as_slice())
    }
}

/// `Chart.yaml`, checked: `apiVersion` v1 or v2, a name, a SemVer 2 version. Every field is
/// kept (in `fields`) for indexes and OCI configs.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub api_version: String,
    pub name: String,
    pub version: String,
    pub app_version: Option<String>,
    pub fields: Map<String, Value>,
}

impl Metadata {
    /// Parses and validates `Chart.yaml`; `origin` names the file in messages.
    pub fn parse(bytes: &[u8], origin: &str) -> Result<Metadata, Error> {
        let value: Value = parse_yaml(bytes, origin)?;
        let Value::Object(fields) = value else {
            return Err(Error::Invalid(format!(
                "{origin}: Chart.yaml must be a mapping"
            )));
        };
        let text = |key: &str| -> Result<Option<String>, Error> {
            match fields.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(other) => Err(Error::Invalid(format!(
                    "{origin}: `{key}` must be a string, found {other}; quote it (`{key}: \"{other}\"`)"
                ))),
            }
        };
        let api_version = text("apiVersion")?.ok_or_else(|| {
            Error::Invalid(format!(
                "{origin}: `apiVersion` is missing (v2 for Helm 3 charts)"
            ))
        })?;
        if api_version != "v1" && api_version != "v2" {
            return Err(Error::Invalid(format!(
                "{origin}: apiVersion `{api_version}` is not v1 or v2"
            )));
        }
        let name =
            text("name")?.ok_or_else(|| Error::Invalid(format!("{origin}: `name` is missing")))?;
        validate_name(&name).map_err(|why| Error::Invalid(format!("{origin}: {why}")))?;
        let version = text("version")?
            .ok_or_else(|| Error::Invalid(format!("{origin}: `version` is missing")))?;
        validate_version(&version).map_err(|why| Error::Invalid(format!("{origin}: {why}")))?;
        let app_version = text("appVersion")?;
        if let Some(kind) = text("type")? {
            if kind != "application" && kind != "library" {
                return Err(Error::Invalid(format!(
                    "{origin}: type `{kind}` is not application or library"
                )));
            }
        }
        Ok(Metadata {
            api_version,
            name,
            version,
            app_version,
            fields,
        })
    }

    /// `name-version.tgz`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }
}

/// Chart names: letters, digits, `-`, `_` and `.`, not starting with `.` or `-`.
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 250
        && !name.starts_with(['.', '-'])
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_.".contains(&byte));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "chart name `{name}` must be letters, digits, `-`, `_` or `.`, not starting with `.` or `-`"
        ))
    }
}

/// Chart versions are SemVer 2 (no leading `v`).
pub fn validate_version(version: &str) -> Result<(), String> {
    Version::parse_strict(version)
        .map(|_| ())
        .map_err(|error| format!("version `{version}` is not SemVer 2 ({error})"))
}

/// Parses YAML (Chart.yaml, values, indexes) into a JSON value, an empty document being an
/// empty mapping, with budgets sized for large documents (chart indexes list tens of
/// thousands of entries); errors name `origin` and the line.
pub fn parse_yaml(bytes: &[u8], origin: &str) -> Result<Value, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let scale = bytes.len().max(1024);
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: scale * 2,
            max_nodes: scale,
            max_total_scalar_bytes: scale,
        },
    };
    serde_saphyr::from_slice_with_options(bytes, options)
        .map_err(|error| Error::Invalid(format!("{origin}: {error}")))
}

/// Writes a JSON value as YAML.
pub(crate) fn to_yaml(value: &Value) -> Result<String, Error> {
    serde_saphyr::to_string(value)
        .map_err(|error| Error::Invalid(format!("cannot write YAML: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_validated() {
        let good =
            b"apiVersion: v2\nname: web\nversion: 1.2.3\nappVersion: \"2.0\"\nkeywords: [a]\n";
        let metadata = Metadata::parse(good, "Chart.yaml").expect("valid");
        assert_eq!(metadata.file_name(), "web-1.2.3.tgz");
        assert_eq!(metadata.app_version.as_deref(), Some("2.0"));
        assert!(metadata.fields.contains_key("keywords"));
        for (text, why) in [
            ("name: web\nversion: 1.0.0\n", "apiVersion"),
            (
                "apiVersion: v3\nname: web\nversion: 1.0.0\n",
                "not v1 or v2",
            ),
            ("apiVersion: v2\nversion: 1.0.0\n", "`name` is missing"),
            ("apiVersion: v2\nname: ../x\nversion: 1.0.0\n", "chart name"),
            ("apiVersion: v2\nname: web\nversion: v1.0.0\n", "SemVer 2"),
            (
                "apiVersion: v2\nname: web\nversion: 1.0\n",
                "must be a string",
            ),
            (
                "apiVersion: v2\nname: web\nversion: 1.0.0\ntype: app\n",
                "type",
            ),
            ("apiVersion: v2\nname: [\n", "Chart.yaml"),
            ("- a\n", "mapping"),
        ] {
            let error = Metadata::parse(text.as_bytes(), "Chart.yaml").expect_err(text);
            assert!(error.to_string().contains(why), "{text}: {error}");
        }
    }
}
