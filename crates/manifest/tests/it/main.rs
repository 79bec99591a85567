//! Discovery on real folders written by the tests, and format-preserving edits.

mod edit;
mod write;

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

fn names(packages: &[Package]) -> Vec<(&str, &str, PackageKind)> {
    packages
        .iter()
        .map(|package| (package.name.as_str(), package.path.as_str(), package.kind))
        .collect()
}

#[test]
fn pnpm_workspace_with_exclusions() {
    let root = tempfile::tempdir().expect("temp dir");
    let root = root.path();
    write(root, "package.json", r#"{"name": "root", "private": true}"#);
    write(
        root,
        "pnpm-workspace.yaml",
        "# the apps and libs\npackages:\n  - 'apps/*'\n  - \"libs/**\"\n  - '!**/fixtures/**'\n",
    );
    write(
        root,
        "apps/web/package.json",
        r#"{"name": "web", "version": "2.0.0", "dependencies": {"ui": "workspace:^"}}"#,
    );
    write(
        root,
        "libs/ui/package.json",
        r#"{"name": "ui", "version": "1.4.0"}"#,
    );
    write(
        root,
        "libs/ui/fixtures/demo/package.json",
        r#"{"name": "demo", "version": "0.0.1"}"#,
    );
    let packages = discover(root).expect("discovers");
    assert_eq!(
        names(&packages),
        [
            ("web", "apps/web", PackageKind::Npm),
            ("ui", "libs/ui", PackageKind::Npm)
        ]
    );
    assert_eq!(
        declared(&packages[0]),
        [("ui", DependencyKind::Runtime, "workspace:^")]
    );
}

#[test]
fn lerna_fixed_mode_is_one_group_and_independent_mode_is_not() {
    for (version, group) in [("\"3.1.0\"", Some("lerna")), ("\"independent\"", None)] {
        let root = tempfile::tempdir().expect("temp dir");
        let root = root.path();
        write(root, "package.json", r#"{"name": "root", "private": true}"#);
        write(
            root,
            "lerna.json",
            &format!(r#"{{"version": {version}, "packages": ["modules/*"]}}"#),
        );
        write(
            root,
            "modules/a/package.json",
            r#"{"name": "a", "version": "3.1.0"}"#,
        );
        write(
            root,
            "modules/b/package.json",
            r#"{"name": "b", "version": "3.1.0"}"#,
        );
        let packages = discover(root).expect("discovers");
        assert_eq!(packages.len(), 2);
        for package in &packages {
            assert_eq!(package.fixed_group.as_deref(), group, "{version}");
        }
    }
    // Without `packages`, lerna reads `packages/*`.
    let root = tempfile::tempdir().expect("temp dir");
    write(root.path(), "lerna.json", r#"{"version": "independent"}"#);
    write(
        root.path(),
        "packages/x/package.json",
        r#"{"name": "x", "version": "1.0.0"}"#,
    );
    assert_eq!(
        names(&discover(root.path()).expect("discovers")),
        [("x", "packages/x", PackageKind::Npm)]
    );
}

#[test]
fn helm_charts_anywhere_with_file_dependencies() {
    let root = tempfile::tempdir().expect("temp dir");
    let root = root.path();
    write(
        root,
        "deploy/umbrella/Chart.yaml",
        "apiVersion: v2\nname: umbrella\nversion: 2.3.0\ndependencies:\n  - name: api\n    version: \"~1.2\"\n    repository: file://../../services/api/chart\n  - name: redis\n    version: 18.x\n    repository: https://charts.bitnami.com/bitnami\n",
    );
    write(
        root,
        "services/api/chart/Chart.yaml",
        "apiVersion: v2\nname: api\nversion: 1.2.4\nappVersion: \"1.2.4\"\n",
    );
    write(
        root,
        "services/api/package.json",
        r#"{"name": "api", "version": "1.2.4"}"#,
    );
    // Charts vendored by an installed dependency are not packages of the repository.
    write(
        root,
        "node_modules/x/Chart.yaml",
        "apiVersion: v2\nname: x\nversion: 1.0.0\n",
    );
    write(
        root,
        ".cache/y/Chart.yaml",
        "apiVersion: v2\nname: y\nversion: 1.0.0\n",
    );
    let packages = discover(root).expect("discovers");
    assert_eq!(
        names(&packages),
        [
            ("umbrella", "deploy/umbrella", PackageKind::Helm),
            ("api", "services/api/chart", PackageKind::Helm),
        ]
    );
    // The npm package `api` at the root is not a dependency of the chart: only charts are.
    assert_eq!(
        declared(&packages[0]),
        [("api", DependencyKind::Runtime, "~1.2")]
    );
}

#[test]
fn python_projects_pep621_and_poetry() {
    let root = tempfile::tempdir().expect("temp dir");
    let root = root.path();
    write(root, "pyproject.toml", "[tool.black]\nline-length = 100\n");
    write(
        root,
        "py/core/pyproject.toml",
        "[project]\nname = \"Acme_Core\"\nversion = \"1.4rc2\"\n",
    );
    write(
        root,
        "py/cli/pyproject.toml",
        "[project]\nname = \"acme-cli\"\nversion = \"0.3.0\"\ndependencies = [\"acme-core>=1.3,<2 ; python_version > '3.9'\", \"click>=8\"]\n[project.optional-dependencies]\nplugins = [\"acme.plugins\"]\n",
    );
    write(
        root,
        "py/plugins/pyproject.toml",
        "[tool.poetry]\nname = \"acme-plugins\"\nversion = \"2.0.0\"\n[tool.poetry.dependencies]\npython = \"^3.10\"\nacme-core = { version = \"^1.3\", path = \"../core\" }\n[tool.poetry.group.test.dependencies]\nacme-cli = \"^0.3\"\n",
    );
    let packages = discover(root).expect("discovers");
    assert_eq!(
        names(&packages),
        [
            ("acme-cli", "py/cli", PackageKind::Python),
            ("Acme_Core", "py/core", PackageKind::Python),
            ("acme-plugins", "py/plugins", PackageKind::Python),
        ]
    );
    assert_eq!(
        packages[1]
            .manifest_version
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("1.4.0-rc.2")
    );
    assert_eq!(
        declared(&packages[0]),
        [
            ("Acme_Core", DependencyKind::Runtime, ">=1.3,<2"),
            ("acme-plugins", DependencyKind::Optional, ""),
        ]
    );
    assert_eq!(
        declared(&packages[2]),
        [
            ("Acme_Core", DependencyKind::Runtime, "^1.3"),
            ("acme-cli", DependencyKind::Dev, "^0.3"),
        ]
    );
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let root = tempfile::tempdir().expect("temp dir");
    write(
        root.path(),
        "chart/Chart.yaml",
        "apiVersion: v2\nname: api\nversion: [1.0\n",
    );
    let error = discover(root.path()).expect_err("malformed");
    match &error {
        Error::Malformed { path, line, .. } => {
            assert!(path.ends_with("chart/Chart.yaml"), "{error}");
            assert_eq!(*line, 3, "{error}");
        }
        other => panic!("unexpected error {other:?}"),
    }
    write(
        root.path(),
        "chart/Chart.yaml",
        "apiVersion: v2\nname: api\nversion: one\n",
    );
    let error = discover(root.path()).expect_err("invalid version");
    assert!(
        error.to_string().contains("not a SemVer 2 version"),
        "{error}"
    );
}
