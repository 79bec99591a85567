//! Reading a chart folder and packaging a chart into `name-version.tgz`, laid out as helm lays
//! it out (every file under `name/`) but deterministic: entries sorted by path, mtime 0,
//! owner 0, mode 0644, and a gzip header without time or file name. The same chart gives the
//! same bytes, so the digest identifies the chart version.

use std::io::Write as _;
use std::path::Path;

use flate2::{Compression, GzBuilder};
use serde_json::Value;
use verso_manifest::edit::{set_string, Format};

use crate::chart::ignore::Ignore;
use crate::chart::{parse_yaml, to_yaml, validate_version, Chart, Metadata};
use crate::digest;
use crate::error::Error;

const MAX_DEPTH: usize = 32;

/// Changes made while packaging.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Replaces `version` in Chart.yaml (SemVer 2).
    pub version: Option<String>,
    /// Replaces (or adds) `appVersion`.
    pub app_version: Option<String>,
    /// Deep-merged over values.yaml: mappings merge key by key, anything else replaces, and
    /// `null` removes the key. values.yaml is then written anew (its comments do not survive).
    pub values: Option<Value>,
}

/// A packaged chart.
#[derive(Debug, Clone)]
pub struct Package {
    pub metadata: Metadata,
    /// The `.tgz` bytes.
    pub bytes: Vec<u8>,
    /// `sha256:` of `bytes`.
    pub digest: String,
}

impl Package {
    /// `name-version.tgz`.
    pub fn file_name(&self) -> String {
        self.metadata.file_name()
    }
}

/// Reads a chart folder: `Chart.yaml` and every file `.helmignore` does not leave out.
/// Symbolic links are followed, as helm does.
pub fn load_dir(folder: &Path) -> Result<Chart, Error> {
    let chart_yaml = folder.join("Chart.yaml");
    let metadata_bytes = std::fs::read(&chart_yaml).map_err(|error| {
        if error.kind() == std::io::ErrorKind::NotFound {
            Error::Invalid(format!(
                "{}: no Chart.yaml, so this is not a chart folder",
                folder.display()
            ))
        } else {
            Error::io(&chart_yaml, error)
        }
    })?;
    let metadata = Metadata::parse(&metadata_bytes, &chart_yaml.display().to_string())?;
    let ignore = match std::fs::read_to_string(folder.join(".helmignore")) {
        Ok(text) => Ignore::parse(&text)?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ignore::parse("")?,
        Err(error) => return Err(Error::io(folder.join(".helmignore"), error)),
    };
    let mut files = Vec::new();
    walk(folder, "", &ignore, &mut files, 0)?;
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Chart { metadata, files })
}

fn walk(
    folder: &Path,
    prefix: &str,
    ignore: &Ignore,
    files: &mut Vec<(String, Vec<u8>)>,
    depth: usize,
) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(Error::Invalid(format!(
            "{}: folders nested more than {MAX_DEPTH} deep (a symbolic link loop?)",
            folder.display()
        )));
    }
    let entries = std::fs::read_dir(folder).map_err(|error| Error::io(folder, error))?;
    for entry in entries {
        let entry = entry.map_err(|error| Error::io(folder, error))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            return Err(Error::Invalid(format!(
                "{}: file names in a chart must be UTF-8",
                path.display()
            )));
        };
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let metadata = std::fs::metadata(&path).map_err(|error| Error::io(&path, error))?;
        if ignore.ignores(&relative, metadata.is_dir()) {
            continue;
        }
        if metadata.is_dir() {
            walk(&path, &relative, ignore, files, depth + 1)?;
        } else if metadata.is_file() {
            let bytes = std::fs::read(&path).map_err(|error| Error::io(&path, error))?;
            files.push((relative, bytes));
        }
    }
    Ok(())
}

/// Packages a chart, applying `overrides` first.
pub fn package(chart: &Chart, overrides: &Overrides) -> Result<Package, Error> {
    let mut files = chart.files.clone();
    let chart_yaml = files
        .iter_mut()
        .find(|(path, _)| path == "Chart.yaml")
        .ok_or_else(|| {
            Error::Invalid(format!("chart {} has no Chart.yaml", chart.metadata.name))
        })?;
    let mut text = String::from_utf8(chart_yaml.1.clone())
        .map_err(|_| Error::Invalid("Chart.yaml is not UTF-8".into()))?;
    let edit_error = |error| Error::Invalid(format!("Chart.yaml: {error}"));
    if let Some(version) = &overrides.version {
        validate_version(version).map_err(Error::Invalid)?;
        text = set_string(Format::Yaml, &text, &["version"], version).map_err(edit_error)?;
    }
    if let Some(app_version) = &overrides.app_version {
        if chart.metadata.fields.contains_key("appVersion") {
            text = set_string(Format::Yaml, &text, &["appVersion"], app_version)
                .map_err(edit_error)?;
        } else {
            let quoted = serde_json::to_string(app_version)
                .map_err(|error| Error::Invalid(error.to_string()))?;
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!("appVersion: {quoted}\n"));
        }
    }
    let metadata = Metadata::parse(text.as_bytes(), "Chart.yaml")?;
    chart_yaml.1 = text.into_bytes();
    if let Some(values) = &overrides.values {
        let merged = match files.iter().find(|(path, _)| path == "values.yaml") {
            Some((_, bytes)) => {
                let mut base = parse_yaml(bytes, "values.yaml")?;
                deep_merge(&mut base, values);
                base
            }
            None => values.clone(),
        };
        let text = to_yaml(&merged)?;
        match files.iter_mut().find(|(path, _)| path == "values.yaml") {
            Some(file) => file.1 = text.into_bytes(),
            None => files.push(("values.yaml".to_owned(), text.into_bytes())),
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
    } else if let Some((_, bytes)) = files.iter().find(|(path, _)| path == "values.yaml") {
        parse_yaml(bytes, "values.yaml")?;
    }
    let bytes = archive(&metadata.name, &files)?;
    let digest = digest::sha256(&bytes);
    Ok(Package {
        metadata,
        bytes,
        digest,
    })
}

/// Mappings merge key by key; `null` removes a key; anything else replaces.
pub fn deep_merge(base: &mut Value, layer: &Value) {
    match (base, layer) {
        (Value::Object(base), Value::Object(layer)) => {
            for (key, value) in layer {
                if value.is_null() {
                    base.remove(key);
                } else if let Some(existing) = base.get_mut(key) {
                    deep_merge(existing, value);
                } else {
                    base.insert(key.clone(), value.clone());
                }
            }
        }
        (base, layer) => *base = layer.clone(),
    }
}

fn archive(name: &str, files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, Error> {
    let failed =
        |error: std::io::Error| Error::Invalid(format!("cannot build the archive: {error}"));
    let mut builder = tar::Builder::new(Vec::new());
    for (path, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_size(bytes.len() as u64);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, format!("{name}/{path}"), bytes.as_slice())
            .map_err(failed)?;
    }
    let tar = builder.into_inner().map_err(failed)?;
    let mut gzip = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::default());
    gzip.write_all(&tar).map_err(failed)?;
    gzip.finish().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_rules() {
        let mut base =
            json!({"image": {"repository": "web", "tag": "1"}, "replicas": 1, "debug": true});
        deep_merge(
            &mut base,
            &json!({"image": {"tag": "2"}, "replicas": 3, "debug": null, "extra": [1]}),
        );
        assert_eq!(
            base,
            json!({"image": {"repository": "web", "tag": "2"}, "replicas": 3, "extra": [1]})
        );
    }
}
