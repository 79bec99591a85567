//! Golden files: the release's changes to a monorepo with every manifest format.
//!
//! `tests/golden/release/before` is the repository; `after` holds exactly the files the
//! release changes, as they must read afterwards. Run with `VERSO_BLESS=1` to rewrite
//! `after` from the code (then review the diff).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use verso_core::semver::Version;
use verso_manifest::write::{changes, semver_to_pep440, Release, SpecChange, VersionedFile};
use verso_manifest::{discover, Error, PackageKind};

fn golden(part: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/release")
        .join(part)
}

fn version(text: &str) -> Version {
    Version::parse(text).expect("valid version")
}

fn spec(name: &str, from: &str, to: &str) -> SpecChange {
    SpecChange {
        name: name.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
    }
}

fn release(name: &str, path: &str, kind: PackageKind, to: &str) -> Release {
    Release::new(name, path, kind, version(to))
}

fn releases() -> Vec<Release> {
    let mut api = release("@acme/api", "packages/api", PackageKind::Npm, "0.4.2");
    api.specs = vec![spec("@acme/core", "^1.2.0", "^1.3.0")];
    let mut cli = release("acme-cli", "crates/cli", PackageKind::Cargo, "2.0.1");
    cli.specs = vec![spec("acme-core", "0.3.1", "0.3.2")];
    let mut tool = release("acme-tool", "crates/tool", PackageKind::Cargo, "0.0.10");
    tool.specs = vec![spec("acme-core", "=0.3.1", "=0.3.2")];
    let mut web = release("web", "charts/web", PackageKind::Helm, "0.2.0");
    web.specs = vec![spec("base", "~1.0.0", "~1.1.0")];
    web.app_version = Some("2.0.0".to_owned());
    web.image_tag = Some(("image.tag".to_owned(), "2.0.0".to_owned()));
    let mut app = release("acme-app", "py/app", PackageKind::Python, "0.3.0-beta.1");
    app.specs = vec![
        spec("acme-lib", ">=1.0, <2", ">=1.1, <2"),
        spec("acme-lib", ">=1.0,<2", ">=1.1,<2"),
    ];
    let mut generator = release("gen", "tools/gen", PackageKind::Generic, "1.0.0");
    generator.files = vec![
        VersionedFile::Key {
            file: "meta.json".to_owned(),
            key: vec!["tool".to_owned(), "version".to_owned()],
        },
        VersionedFile::Pattern {
            file: "version.rs".to_owned(),
            pattern: r#"VERSION: &str = "([^"]+)""#.to_owned(),
        },
    ];
    vec![
        release("@acme/core", "packages/core", PackageKind::Npm, "1.3.0"),
        api,
        release("acme-core", "crates/core", PackageKind::Cargo, "0.3.2"),
        cli,
        tool,
        release("base", "charts/base", PackageKind::Helm, "1.1.0"),
        web,
        release("acme_lib", "py/lib", PackageKind::Python, "1.1.0"),
        app,
        generator,
    ]
}

fn read_tree(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, directory: &Path, into: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(directory).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, into);
            } else {
                let relative = path.strip_prefix(root).expect("under root");
                let key = relative.to_string_lossy().replace('\\', "/");
                into.insert(key, std::fs::read_to_string(&path).expect("text"));
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(root, root, &mut files);
    files
}

#[test]
fn release_changes_match_the_golden_files() {
    let before = golden("before");
    // The fixture is what discovery reads as this monorepo.
    let found: Vec<(String, String)> = discover(&before)
        .expect("discovers")
        .into_iter()
        .map(|package| (package.name, package.path))
        .collect();
    assert_eq!(found.len(), 9, "{found:?}");

    let computed = changes(&before, &releases()).expect("computes");
    let computed: BTreeMap<String, String> = computed
        .into_iter()
        .map(|change| {
            let on_disk = std::fs::read_to_string(before.join(&change.path)).expect("exists");
            assert_eq!(change.before, on_disk, "`before` is the file as read");
            (change.path, change.after)
        })
        .collect();
    if std::env::var_os("VERSO_BLESS").is_some() {
        let after = golden("after");
        let _ = std::fs::remove_dir_all(&after);
        for (path, text) in &computed {
            let target = after.join(path);
            std::fs::create_dir_all(target.parent().expect("parent")).expect("dirs");
            std::fs::write(target, text).expect("written");
        }
    }
    let expected = read_tree(&golden("after"));
    assert_eq!(
        computed.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the set of changed files"
    );
    for (path, text) in &expected {
        assert_eq!(&computed[path], text, "{path} differs from its golden file");
    }
}

#[test]
fn applying_the_release_twice_changes_nothing_more() {
    let directory = tempfile::tempdir().expect("tempdir");
    for (path, text) in read_tree(&golden("before")) {
        let target = directory.path().join(&path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("dirs");
        std::fs::write(target, text).expect("written");
    }
    for change in changes(directory.path(), &releases()).expect("computes") {
        std::fs::write(directory.path().join(&change.path), &change.after).expect("written");
    }
    let again = changes(directory.path(), &releases()).expect("computes again");
    let paths: Vec<&str> = again.iter().map(|change| change.path.as_str()).collect();
    assert!(again.is_empty(), "changed again: {paths:?}");
}

#[test]
fn a_malformed_file_stops_everything_and_names_the_line() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    std::fs::create_dir_all(root.join("a")).expect("dirs");
    std::fs::write(
        root.join("a/package.json"),
        "{\"name\": \"a\", \"version\": \"1.0.0\"}\n",
    )
    .expect("written");
    std::fs::create_dir_all(root.join("chart")).expect("dirs");
    std::fs::write(
        root.join("chart/Chart.yaml"),
        "name: chart\nversion: 1.0.0\ndependencies:\n  - name: [oops\n",
    )
    .expect("written");
    let releases = vec![
        release("a", "a", PackageKind::Npm, "1.1.0"),
        release("chart", "chart", PackageKind::Helm, "1.1.0"),
    ];
    let error = changes(root, &releases).expect_err("refused");
    assert!(
        matches!(&error, Error::Malformed { path, line: 4 | 5, .. } if path.ends_with("chart/Chart.yaml")),
        "{error:?}"
    );
    let untouched = std::fs::read_to_string(root.join("a/package.json")).expect("read");
    assert!(untouched.contains("1.0.0"));
}

#[test]
fn missing_fields_and_unsayable_versions_are_explained() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    std::fs::write(
        root.join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    )
    .expect("written");
    let mut chart = release("c", ".", PackageKind::Helm, "1.1.0");
    chart.app_version = Some("1.1.0".to_owned());
    let error = changes(root, &[chart])
        .expect_err("no appVersion")
        .to_string();
    assert!(
        error.contains("`appVersion`") && error.contains("add it"),
        "{error}"
    );

    std::fs::write(
        root.join("pyproject.toml"),
        "[project]\nname = \"p\"\nversion = \"1.0\"\n",
    )
    .expect("written");
    let python = release("p", ".", PackageKind::Python, "1.1.0-dev.1");
    let error = changes(root, &[python])
        .expect_err("no PEP 440 form")
        .to_string();
    assert!(error.contains("PEP 440"), "{error}");

    std::fs::write(root.join("VERSION"), "1.0.0\n").expect("written");
    let mut generic = release("g", ".", PackageKind::Generic, "1.1.0");
    generic.files = vec![VersionedFile::Pattern {
        file: "VERSION".to_owned(),
        pattern: "nothing (here)".to_owned(),
    }];
    let error = changes(root, &[generic]).expect_err("no match").to_string();
    assert!(error.contains("matches nothing"), "{error}");
}

#[test]
fn pep440_forms() {
    assert_eq!(
        semver_to_pep440(&version("1.2.0")).as_deref(),
        Some("1.2.0")
    );
    assert_eq!(
        semver_to_pep440(&version("1.2.0-rc.1")).as_deref(),
        Some("1.2.0rc1")
    );
    assert_eq!(
        semver_to_pep440(&version("1.2.0-alpha.0")).as_deref(),
        Some("1.2.0a0")
    );
    assert_eq!(
        semver_to_pep440(&version("1.2.0-beta.3")).as_deref(),
        Some("1.2.0b3")
    );
    assert_eq!(semver_to_pep440(&version("1.2.0-next.3")), None);
    assert_eq!(semver_to_pep440(&version("1.2.0+build.1")), None);
}

#[test]
fn pnpm_lock_specifiers_follow_the_manifest() {
    let directory = tempfile::tempdir().expect("tempdir");
    let root = directory.path();
    let lock = "lockfileVersion: '9.0'\n\nimporters:\n\n  .: {}\n\n  packages/a:\n    dependencies:\n      b:\n        specifier: ^1.0.0\n        version: link:../b\n      c:\n        specifier: workspace:^\n        version: link:../c\n\n  packages/b: {}\n";
    std::fs::write(root.join("pnpm-lock.yaml"), lock).expect("written");
    std::fs::create_dir_all(root.join("packages/a")).expect("dirs");
    std::fs::write(
        root.join("packages/a/package.json"),
        "{\"name\": \"a\", \"version\": \"1.0.0\", \"dependencies\": {\"b\": \"^1.0.0\", \"c\": \"workspace:^\"}}",
    )
    .expect("written");
    let mut a = release("a", "packages/a", PackageKind::Npm, "1.0.1");
    a.specs = vec![spec("b", "^1.0.0", "^1.1.0")];
    let computed = changes(root, &[a]).expect("computes");
    let lock_change = computed
        .iter()
        .find(|change| change.path == "pnpm-lock.yaml")
        .expect("lock changed");
    assert_eq!(
        lock_change.after,
        lock.replace("specifier: ^1.0.0", "specifier: ^1.1.0")
    );
}
