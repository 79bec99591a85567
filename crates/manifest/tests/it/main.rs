//! Discovery on real folders written by the tests.

use std::path::Path;

use verso_core::plan::DependencyKind;
use verso_manifest::{discover, Error, Package, PackageKind};

/// `(name, kind, spec)` of each declared dependency.
fn declared(package: &Package) -> Vec<(&str, DependencyKind, &str)> {
    package
        .dependencies
        .iter()
        .map(|dependency| {
            (
                dependency.name.as_str(),
                dependency.kind,
                dependency.spec.as_str(),
            )
        })
        .collect()
}

fn write(root: &Path, relative: &str, contents: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("dirs");
    std::fs::write(path, contents).expect("file written");
}

#[test]
fn npm_workspaces_with_internal_dependencies_of_every_kind() {
    let root = tempfile::tempdir().expect("temp dir");
    let root = root.path();
    write(
        root,
        "package.json",
        r#"{"private": true, "workspaces": ["packages/*", "!packages/skipped"]}"#,
    );
    write(
        root,
        "packages/a/package.json",
        r#"{"name": "@acme/a", "version": "1.2.0",
        "dependencies": {"@acme/b": "^1.0.0", "left-pad": "^1.3.0"},
        "devDependencies": {"@acme/c": "workspace:^"},
        "peerDependencies": {"@acme/b": "^1.0.0"},
        "optionalDependencies": {"@acme/c": "~0.3.0"}}"#,
    );
    write(
        root,
        "packages/b/package.json",
        r#"{"name": "@acme/b", "version": "1.0.0"}"#,
    );
    write(
        root,
        "packages/c/package.json",
        r#"{"name": "@acme/c", "version": "0.3.1"}"#,
    );
    write(
        root,
        "packages/skipped/package.json",
        r#"{"name": "@acme/skipped", "version": "9.0.0"}"#,
    );
    write(root, "packages/not-a-package/README.md", "no manifest");
    let packages = discover(root).expect("discovers");
    let names: Vec<&str> = packages
        .iter()
        .map(|package| package.name.as_str())
        .collect();
    assert_eq!(names, ["@acme/a", "@acme/b", "@acme/c"]);
    let a = &packages[0];
    assert_eq!(a.path, "packages/a");
    assert_eq!(a.kind, PackageKind::Npm);
    assert_eq!(
        a.manifest_version
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("1.2.0")
    );
    let declared = declared(a);
    assert_eq!(
        declared,
        [
            ("@acme/b", DependencyKind::Runtime, "^1.0.0"),
            ("@acme/c", DependencyKind::Dev, "workspace:^"),
            ("@acme/b", DependencyKind::Peer, "^1.0.0"),
            ("@acme/c", DependencyKind::Optional, "~0.3.0"),
        ]
    );
}

#[test]
fn yarn_workspaces_object_form() {
    let root = tempfile::tempdir().expect("temp dir");
    write(
        root.path(),
        "package.json",
        r#"{"workspaces": {"packages": ["apps/**"]}}"#,
    );
    write(
        root.path(),
        "apps/web/package.json",
        r#"{"name": "web", "version": "0.1.0"}"#,
    );
    write(
        root.path(),
        "apps/tools/cli/package.json",
        r#"{"name": "cli"}"#,
    );
    let packages = discover(root.path()).expect("discovers");
    let paths: Vec<&str> = packages
        .iter()
        .map(|package| package.path.as_str())
        .collect();
    assert_eq!(paths, ["apps/tools/cli", "apps/web"]);
    assert_eq!(packages[0].manifest_version, None);
}

#[test]
fn cargo_workspace_with_inherited_version_and_path_dependencies() {
    let root = tempfile::tempdir().expect("temp dir");
    let root = root.path();
    write(
        root,
        "Cargo.toml",
        r#"
[workspace]
members = ["crates/*"]
exclude = ["crates/experimental"]

[workspace.package]
version = "0.4.2"

[workspace.dependencies]
core = { path = "crates/core", version = "0.4" }
"#,
    );
    write(
        root,
        "crates/core/Cargo.toml",
        "[package]\nname = \"core\"\nversion.workspace = true\n",
    );
    write(
        root,
        "crates/cli/Cargo.toml",
        r#"
[package]
name = "cli"
version = "1.0.0"

[dependencies]
core = { workspace = true }
serde = "1"

[dev-dependencies]
testkit = { path = "../testkit" }

[build-dependencies]
core-build = { package = "core", path = "../core", version = "=0.4.2" }
"#,
    );
    write(
        root,
        "crates/testkit/Cargo.toml",
        "[package]\nname = \"testkit\"\nversion = \"0.0.0\"\n",
    );
    write(
        root,
        "crates/experimental/Cargo.toml",
        "[package]\nname = \"experimental\"\nversion = \"0.0.1\"\n",
    );
    let packages = discover(root).expect("discovers");
    let names: Vec<&str> = packages
        .iter()
        .map(|package| package.name.as_str())
        .collect();
    assert_eq!(names, ["cli", "core", "testkit"]);
    assert_eq!(
        packages[1]
            .manifest_version
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("0.4.2")
    );
    let declared = declared(&packages[0]);
    assert_eq!(
        declared,
        [
            ("core", DependencyKind::Runtime, "0.4"),
            ("testkit", DependencyKind::Dev, ""),
            ("core", DependencyKind::Build, "=0.4.2"),
        ]
    );
}

#[test]
fn single_package_repositories() {
    let root = tempfile::tempdir().expect("temp dir");
    write(
        root.path(),
        "package.json",
        r#"{"name": "solo", "version": "2.0.0"}"#,
    );
    let packages = discover(root.path()).expect("discovers");
    assert_eq!(packages.len(), 1);
    assert_eq!(
        (packages[0].name.as_str(), packages[0].path.as_str()),
        ("solo", ".")
    );
}

#[test]
fn malformed_manifests_name_file_and_line() {
    let root = tempfile::tempdir().expect("temp dir");
    write(
        root.path(),
        "package.json",
        r#"{"workspaces": ["packages/*"]}"#,
    );
    write(
        root.path(),
        "packages/a/package.json",
        "{\n  \"name\": \"a\",\n  \"version\": 1.0.0\n}",
    );
    let error = discover(root.path()).expect_err("malformed");
    assert!(matches!(error, Error::Malformed { line: 3, .. }), "{error}");
    assert!(
        error.to_string().contains("packages/a/package.json"),
        "{error}"
    );

    let root = tempfile::tempdir().expect("temp dir");
    write(root.path(), "Cargo.toml", "[workspace]\nmembers = [\"a\"\n");
    let error = discover(root.path()).expect_err("malformed");
    assert!(error.to_string().contains("Cargo.toml"), "{error}");

    let root = tempfile::tempdir().expect("temp dir");
    write(
        root.path(),
        "package.json",
        r#"{"name": "x", "version": "1.0"}"#,
    );
    let error = discover(root.path()).expect_err("invalid version");
    assert!(
        error.to_string().contains("`1.0` is not a valid version"),
        "{error}"
    );
}
