//! Reading chart archives that may be hostile. Everything is checked in memory before anything
//! is written: only regular files (and folders) under one top folder named after the chart, no
//! absolute, drive or `..` paths, no links or devices, no duplicate paths, at most
//! `max_entries` entries and `max_bytes` of file content (helm's default is 100 MiB), with the
//! decompressed stream itself capped so a gzip bomb stops early.

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::chart::{Chart, Metadata};
use crate::error::Error;

/// Limits on what an archive may unpack to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The sum of the files' sizes.
    pub max_bytes: u64,
    /// Entries of any kind (files and folders).
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 100 * 1024 * 1024,
            max_entries: 10_000,
        }
    }
}

/// Caps the decompressed stream: file content plus room for headers and padding.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Probe one byte: a stream that ends exactly here is fine.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(BOMB)),
            };
        }
        let room = buffer
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buffer[..room])?;
        self.left -= read as u64;
        Ok(read)
    }
}

const BOMB: &str = "decompressed stream larger than the limit";

/// Reads a chart archive (`.tgz`); `origin` names it in messages.
pub fn read_archive(bytes: &[u8], origin: &str, limits: &Limits) -> Result<Chart, Error> {
    let refuse = |message: String| Error::Archive {
        archive: origin.to_owned(),
        message,
    };
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(refuse(
            "not a gzip-compressed tar archive (a chart package is a .tgz)".into(),
        ));
    }
    let overhead = (limits.max_entries as u64 + 4) * 3 * 512;
    let stream = Capped {
        inner: MultiGzDecoder::new(bytes),
        left: limits.max_bytes.saturating_add(overhead),
    };
    let mut archive = tar::Archive::new(stream);
    let io_error = |error: io::Error| {
        if error.to_string().contains(BOMB) {
            refuse(format!(
                "decompresses to more than the limit of {} bytes (a gzip bomb?)",
                limits.max_bytes
            ))
        } else if error.kind() == io::ErrorKind::UnexpectedEof {
            refuse(format!(
                "truncated: an entry is shorter than its header says ({error})"
            ))
        } else {
            refuse(format!("not a readable tar archive: {error}"))
        }
    };
    let mut top: Option<String> = None;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut seen = HashSet::new();
    let mut left = limits.max_bytes;
    let mut count = 0usize;
    for entry in archive.entries().map_err(io_error)? {
        let mut entry = entry.map_err(io_error)?;
        count += 1;
        if count > limits.max_entries {
            return Err(refuse(format!("more than {} entries", limits.max_entries)));
        }
        let raw = entry.path_bytes().into_owned();
        let path =
            String::from_utf8(raw).map_err(|_| refuse("an entry's path is not UTF-8".into()))?;
        let kind = entry.header().entry_type();
        let (folder, relative) =
            check_path(&path).map_err(|why| refuse(format!("entry `{path}`: {why}")))?;
        match &top {
            None => top = Some(folder.to_owned()),
            Some(existing) if existing != folder => {
                return Err(refuse(format!(
                    "entry `{path}` is outside the chart folder `{existing}/`"
                )))
            }
            Some(_) => {}
        }
        match kind {
            tar::EntryType::Directory => continue,
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            tar::EntryType::Symlink | tar::EntryType::Link => {
                return Err(refuse(format!(
                    "entry `{path}` is a link; chart archives may hold only files"
                )))
            }
            other => {
                return Err(refuse(format!(
                    "entry `{path}` is a {other:?}; chart archives may hold only files"
                )))
            }
        }
        let Some(relative) = relative else {
            return Err(refuse(format!(
                "entry `{path}` is a file in place of the chart folder"
            )));
        };
        let size = entry.header().entry_size().map_err(io_error)?;
        if size > left {
            return Err(refuse(format!(
                "`{path}` ({size} bytes) takes the chart past the limit of {} bytes",
                limits.max_bytes
            )));
        }
        if !seen.insert(relative.to_owned()) {
            return Err(refuse(format!("`{path}` appears twice")));
        }
        let mut content = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        entry.read_to_end(&mut content).map_err(io_error)?;
        if content.len() as u64 != size {
            return Err(refuse(format!(
                "`{path}` holds {} bytes, its header says {size}",
                content.len()
            )));
        }
        left -= size;
        files.push((relative.to_owned(), content));
    }
    let Some(top) = top else {
        return Err(refuse("the archive is empty".into()));
    };
    let chart_yaml = files
        .iter()
        .find(|(path, _)| path == "Chart.yaml")
        .ok_or_else(|| refuse(format!("no `{top}/Chart.yaml`: not a chart")))?;
    let metadata = Metadata::parse(&chart_yaml.1, &format!("{origin}: {top}/Chart.yaml"))?;
    if metadata.name != top {
        return Err(refuse(format!(
            "the chart folder `{top}/` does not match the chart name `{}`",
            metadata.name
        )));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Chart { metadata, files })
}

/// Splits `top/rest` after checking every component; `rest` is `None` for the folder itself.
fn check_path(path: &str) -> Result<(&str, Option<&str>), String> {
    if path.starts_with('/') || path.starts_with('\\') {
        return Err("absolute paths are not allowed".into());
    }
    if path.contains('\\') {
        return Err("backslashes are not allowed in paths".into());
    }
    if path.as_bytes().get(1) == Some(&b':') {
        return Err("drive paths are not allowed".into());
    }
    let trimmed = path.trim_end_matches('/');
    let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
    if trimmed
        .split('/')
        .any(|component| component == ".." || component == "." || component.is_empty())
    {
        return Err("`..`, `.` and empty path components are not allowed".into());
    }
    Ok(match trimmed.split_once('/') {
        Some((top, rest)) => (top, Some(rest)),
        None => (trimmed, None),
    })
}

/// Writes a chart's files under `folder/<name>/`, refusing to replace an existing folder.
/// Files go to a temporary folder first, renamed into place when all are written.
pub fn unpack(chart: &Chart, folder: &Path) -> Result<std::path::PathBuf, Error> {
    let destination = folder.join(&chart.metadata.name);
    if destination.exists() {
        return Err(Error::Invalid(format!(
            "{} already exists; remove it or choose another destination",
            destination.display()
        )));
    }
    std::fs::create_dir_all(folder).map_err(|error| Error::io(folder, error))?;
    let staging = folder.join(format!(".{}.partial", chart.metadata.name));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|error| Error::io(&staging, error))?;
    }
    for (path, bytes) in &chart.files {
        let target = staging.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|error| Error::io(parent, error))?;
        }
        std::fs::write(&target, bytes).map_err(|error| Error::io(&target, error))?;
    }
    std::fs::rename(&staging, &destination).map_err(|error| Error::io(&destination, error))?;
    Ok(destination)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            check_path("web/Chart.yaml"),
            Ok(("web", Some("Chart.yaml")))
        );
        assert_eq!(check_path("web/"), Ok(("web", None)));
        assert_eq!(check_path("./web/a/b"), Ok(("web", Some("a/b"))));
        for bad in [
            "/etc/passwd",
            "web/../../x",
            "C:/x",
            "web\\..\\x",
            "web//x",
            "web/./x",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
