//! Hostile chart archives, built byte by byte, are refused before anything is written.

use std::io::Write as _;

use flate2::write::GzEncoder;
use flate2::Compression;
use verso_registry::chart::{read_archive, Limits};

const CHART_YAML: &[u8] = b"apiVersion: v2\nname: web\nversion: 1.0.0\n";

enum Kind {
    File,
    Folder,
    Symlink(&'static str),
    Hardlink(&'static str),
    Fifo,
}

/// A tar entry with the path written raw (the tar crate refuses to write `..` itself).
fn entry(tar: &mut Vec<u8>, path: &str, kind: Kind, data: &[u8], declared: Option<u64>) {
    let mut header = tar::Header::new_gnu();
    {
        let name = &mut header.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
    }
    header.set_mode(0o644);
    header.set_mtime(0);
    let (entry_type, link) = match kind {
        Kind::File => (tar::EntryType::Regular, None),
        Kind::Folder => (tar::EntryType::Directory, None),
        Kind::Symlink(target) => (tar::EntryType::Symlink, Some(target)),
        Kind::Hardlink(target) => (tar::EntryType::Link, Some(target)),
        Kind::Fifo => (tar::EntryType::Fifo, None),
    };
    header.set_entry_type(entry_type);
    if let Some(target) = link {
        header.as_old_mut().linkname[..target.len()].copy_from_slice(target.as_bytes());
    }
    header.set_size(declared.unwrap_or(data.len() as u64));
    header.set_cksum();
    tar.extend_from_slice(header.as_bytes());
    tar.extend_from_slice(data);
    let padding = (512 - data.len() % 512) % 512;
    tar.extend(std::iter::repeat_n(0u8, padding));
}

fn finish(mut tar: Vec<u8>) -> Vec<u8> {
    tar.extend(std::iter::repeat_n(0u8, 1024));
    let mut gzip = GzEncoder::new(Vec::new(), Compression::fast());
    gzip.write_all(&tar).expect("gzip");
    gzip.finish().expect("gzip")
}

fn chart_with(extra: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut tar = Vec::new();
    entry(&mut tar, "web/Chart.yaml", Kind::File, CHART_YAML, None);
    extra(&mut tar);
    finish(tar)
}

fn refused(bytes: &[u8], limits: &Limits, why: &str) {
    let error = read_archive(bytes, "hostile.tgz", limits).expect_err(why);
    let message = error.to_string();
    assert!(message.contains(why), "expected `{why}` in: {message}");
    assert!(message.starts_with("hostile.tgz"), "{message}");
}

#[test]
fn a_well_formed_archive_is_read() {
    let bytes = chart_with(|tar| {
        entry(tar, "web/", Kind::Folder, b"", None);
        entry(
            tar,
            "web/templates/a.yaml",
            Kind::File,
            b"kind: ConfigMap\n",
            None,
        );
    });
    let chart = read_archive(&bytes, "ok.tgz", &Limits::default()).expect("read");
    assert_eq!(chart.metadata.name, "web");
    assert_eq!(
        chart.file("templates/a.yaml"),
        Some(&b"kind: ConfigMap\n"[..])
    );
}

#[test]
fn paths_that_escape_the_chart_folder_are_refused() {
    let limits = Limits::default();
    for (path, why) in [
        ("web/../../etc/cron.d/evil", "`..`"),
        ("/etc/passwd", "absolute"),
        ("C:/Windows/evil", "drive"),
        ("web\\..\\evil", "backslash"),
        ("other/evil.yaml", "outside the chart folder"),
    ] {
        let bytes = chart_with(|tar| entry(tar, path, Kind::File, b"x", None));
        refused(&bytes, &limits, why);
    }
}

#[test]
fn links_and_devices_are_refused() {
    let limits = Limits::default();
    refused(
        &chart_with(|tar| entry(tar, "web/passwd", Kind::Symlink("/etc/passwd"), b"", None)),
        &limits,
        "is a link",
    );
    refused(
        &chart_with(|tar| entry(tar, "web/copy", Kind::Hardlink("/etc/shadow"), b"", None)),
        &limits,
        "is a link",
    );
    refused(
        &chart_with(|tar| entry(tar, "web/pipe", Kind::Fifo, b"", None)),
        &limits,
        "Fifo",
    );
}

#[test]
fn size_limits_hold_at_the_limit_and_one_byte_past_it() {
    let chart_yaml = CHART_YAML.len() as u64;
    let limits = Limits {
        max_bytes: chart_yaml + 1000,
        max_entries: 3,
    };
    let at_limit = chart_with(|tar| entry(tar, "web/values.yaml", Kind::File, &[b' '; 1000], None));
    assert!(read_archive(&at_limit, "at.tgz", &limits).is_ok());
    let past = chart_with(|tar| entry(tar, "web/values.yaml", Kind::File, &[b' '; 1001], None));
    refused(&past, &limits, "past the limit");

    let three = chart_with(|tar| {
        entry(tar, "web/a", Kind::File, b"", None);
        entry(tar, "web/b", Kind::File, b"", None);
    });
    assert!(read_archive(&three, "three.tgz", &limits).is_ok());
    let four = chart_with(|tar| {
        entry(tar, "web/a", Kind::File, b"", None);
        entry(tar, "web/b", Kind::File, b"", None);
        entry(tar, "web/c", Kind::File, b"", None);
    });
    refused(&four, &limits, "more than 3 entries");
}

#[test]
fn a_gzip_bomb_stops_at_the_default_limit() {
    // 101 MiB of zeros compresses to about 100 KiB.
    let bomb = chart_with(|tar| {
        entry(
            tar,
            "web/zeros",
            Kind::File,
            &vec![0u8; 101 * 1024 * 1024],
            None,
        )
    });
    assert!(bomb.len() < 1024 * 1024);
    refused(
        &bomb,
        &Limits::default(),
        "past the limit of 104857600 bytes",
    );
    // A header that understates the size leaves data where the next header should be.
    let lying = chart_with(|tar| {
        entry(tar, "web/small", Kind::File, &[b'A'; 2048], Some(10));
    });
    let limits = Limits {
        max_bytes: 100,
        max_entries: 2,
    };
    let error = read_archive(&lying, "hostile.tgz", &limits).expect_err("lying header");
    assert!(error.to_string().starts_with("hostile.tgz"), "{error}");
}

#[test]
fn a_header_that_overstates_the_size_is_truncation() {
    let mut tar = Vec::new();
    entry(&mut tar, "web/Chart.yaml", Kind::File, CHART_YAML, None);
    entry(
        &mut tar,
        "web/values.yaml",
        Kind::File,
        b"a: 1\n",
        Some(100_000),
    );
    let mut gzip = GzEncoder::new(Vec::new(), Compression::fast());
    gzip.write_all(&tar).expect("gzip");
    let bytes = gzip.finish().expect("gzip");
    refused(&bytes, &Limits::default(), "its header says 100000");
}

#[test]
fn archives_that_are_not_charts_are_refused() {
    let limits = Limits::default();
    refused(b"PK\x03\x04 a zip file", &limits, "not a gzip");
    let mut tar = Vec::new();
    entry(&mut tar, "web/values.yaml", Kind::File, b"a: 1\n", None);
    refused(&finish(tar), &limits, "no `web/Chart.yaml`");
    let mut tar = Vec::new();
    entry(&mut tar, "api/Chart.yaml", Kind::File, CHART_YAML, None);
    refused(&finish(tar), &limits, "does not match the chart name `web`");
    let mut tar = Vec::new();
    entry(
        &mut tar,
        "web/Chart.yaml",
        Kind::File,
        b"apiVersion: v2\nname: web\nversion: one\n",
        None,
    );
    refused(&finish(tar), &limits, "SemVer 2");
    refused(
        &chart_with(|tar| entry(tar, "web/Chart.yaml", Kind::File, CHART_YAML, None)),
        &limits,
        "appears twice",
    );
    refused(&finish(Vec::new()), &limits, "empty");
}
