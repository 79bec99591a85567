//! Charts packaged, indexed, pushed and pulled by verso, checked with the real helm client
//! (helm 3 and helm 4) and a real OCI registry.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use verso_registry::chart::{
    self, load_dir, package, pull, push, read_archive, ChartRepository, Index, Limits, Overrides,
    Pushed,
};
use verso_registry::Error;

use crate::{client, service, unique};

/// A chart folder with a comment in Chart.yaml, values, a template and files to ignore.
fn chart_folder(root: &Path, name: &str, version: &str) -> PathBuf {
    let folder = root.join(name);
    let write = |path: &str, text: &str| {
        let path = folder.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "Chart.yaml",
        &format!("# the web service\napiVersion: v2\nname: {name}\ndescription: A web service\nversion: {version}\nappVersion: \"1.0\"\n"),
    );
    write("values.yaml", "# replicas to run\nreplicas: 1\nimage:\n  repository: registry.example.com/web\n  tag: \"1.0\"\n");
    write(
        "templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n",
    );
    write("templates/.scratch.yaml", "not: a template\n");
    write(".helmignore", "*.bak\nci/\n");
    write("notes.bak", "ignored\n");
    write("ci/values-test.yaml", "ignored: true\n");
    folder
}

fn helms() -> Vec<(String, String)> {
    let mut found = Vec::new();
    for variable in ["HELM_BIN", "HELM4_BIN"] {
        if let Some(bin) = service(variable) {
            found.push((variable.to_owned(), bin));
        }
    }
    found
}

/// Runs helm with private config/cache/data folders under `home`.
fn helm(bin: &str, home: &Path, args: &[&str]) -> String {
    let output = Command::new(bin)
        .args(args)
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_DATA_HOME", home.join("data"))
        .output()
        .expect("run helm");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{bin} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn packaging_is_deterministic_and_honours_helmignore() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let folder = chart_folder(scratch.path(), "web", "1.2.3");
    let first = package(&load_dir(&folder).expect("load"), &Overrides::default()).expect("package");
    // Rewriting a file with the same content (a new mtime) changes nothing.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(
        folder.join("values.yaml"),
        std::fs::read(folder.join("values.yaml")).expect("read"),
    )
    .expect("touch");
    let second =
        package(&load_dir(&folder).expect("load"), &Overrides::default()).expect("package");
    assert_eq!(first.bytes, second.bytes);
    assert_eq!(first.digest, second.digest);
    assert_eq!(first.file_name(), "web-1.2.3.tgz");

    let chart = read_archive(&first.bytes, "web-1.2.3.tgz", &Limits::default()).expect("read back");
    let paths: Vec<&str> = chart.files.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(
        paths,
        [
            ".helmignore",
            "Chart.yaml",
            "templates/deployment.yaml",
            "values.yaml"
        ]
    );
    // Chart.yaml is kept byte for byte, comment included.
    assert_eq!(
        chart.file("Chart.yaml"),
        Some(
            std::fs::read(folder.join("Chart.yaml"))
                .expect("read")
                .as_slice()
        )
    );
}

#[test]
fn overrides_set_version_app_version_and_values() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let folder = chart_folder(scratch.path(), "web", "1.2.3");
    let overrides = Overrides {
        version: Some("2.0.0-rc.1".into()),
        app_version: Some("2.0".into()),
        values: Some(serde_json::json!({"image": {"tag": "2.0"}, "replicas": 3})),
    };
    let packaged = package(&load_dir(&folder).expect("load"), &overrides).expect("package");
    assert_eq!(packaged.file_name(), "web-2.0.0-rc.1.tgz");
    let chart = read_archive(&packaged.bytes, "x", &Limits::default()).expect("read");
    assert_eq!(chart.metadata.app_version.as_deref(), Some("2.0"));
    let chart_yaml =
        String::from_utf8(chart.file("Chart.yaml").expect("Chart.yaml").to_vec()).expect("utf-8");
    assert!(
        chart_yaml.starts_with("# the web service\n"),
        "{chart_yaml}"
    );
    let values: serde_json::Value =
        serde_saphyr::from_slice(chart.file("values.yaml").expect("values")).expect("yaml");
    assert_eq!(
        values,
        serde_json::json!({"replicas": 3, "image": {"repository": "registry.example.com/web", "tag": "2.0"}})
    );
    let bad = Overrides {
        version: Some("2.0".into()),
        ..Overrides::default()
    };
    let error = package(&load_dir(&folder).expect("load"), &bad).expect_err("not semver");
    assert!(error.to_string().contains("SemVer 2"), "{error}");
}

#[test]
fn helm_lints_and_renders_what_verso_packages_and_verso_reads_what_helm_packages() {
    let scratch = tempfile::tempdir().expect("tempdir");
    let folder = chart_folder(scratch.path(), "web", "1.2.3");
    let overrides = Overrides {
        values: Some(serde_json::json!({"image": {"tag": "9.9.9"}})),
        ..Overrides::default()
    };
    let packaged = package(&load_dir(&folder).expect("load"), &overrides).expect("package");
    let file = scratch.path().join(packaged.file_name());
    std::fs::write(&file, &packaged.bytes).expect("write");
    for (variable, bin) in helms() {
        let home = scratch.path().join(format!("home-{variable}"));
        helm(&bin, &home, &["lint", file.to_str().expect("utf-8")]);
        let rendered = helm(
            &bin,
            &home,
            &["template", "prod", file.to_str().expect("utf-8")],
        );
        assert!(
            rendered.contains("image: \"registry.example.com/web:9.9.9\""),
            "{variable}: {rendered}"
        );
        assert!(rendered.contains("name: prod"), "{rendered}");

        let out = scratch.path().join(format!("helm-{variable}"));
        helm(
            &bin,
            &home,
            &[
                "package",
                folder.to_str().expect("utf-8"),
                "-d",
                out.to_str().expect("utf-8"),
            ],
        );
        let bytes = std::fs::read(out.join("web-1.2.3.tgz")).expect("helm's package");
        let chart =
            read_archive(&bytes, "helm's package", &Limits::default()).expect("verso reads it");
        assert_eq!(
            (
                chart.metadata.name.as_str(),
                chart.metadata.version.as_str()
            ),
            ("web", "1.2.3")
        );
        assert!(chart.file("templates/deployment.yaml").is_some());
        assert!(
            chart.file("notes.bak").is_none(),
            "helm honours .helmignore too"
        );
    }
}

/// `python3 -m http.server` on a free port, killed on drop.
struct StaticServer {
    child: Child,
    url: String,
}

impl StaticServer {
    fn start(root: &Path) -> StaticServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 http.server");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        StaticServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_index_verso_writes_is_served_to_helm_and_merges_without_touching_old_entries() {
    if service("HELM_BIN").is_none() {
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let repo = scratch.path().join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    for version in ["1.0.0", "1.1.0", "2.0.0-beta.1"] {
        let folder = chart_folder(&scratch.path().join(version), "web", version);
        let packaged =
            package(&load_dir(&folder).expect("load"), &Overrides::default()).expect("package");
        std::fs::write(repo.join(packaged.file_name()), &packaged.bytes).expect("write");
    }
    let server = StaticServer::start(&repo);
    let index = Index::from_folder(
        &repo,
        &server.url,
        "2026-01-01T00:00:00Z",
        &Limits::default(),
    )
    .expect("index");
    assert_eq!(index.len(), 3);
    std::fs::write(repo.join("index.yaml"), index.to_yaml().expect("yaml")).expect("write index");

    for (variable, bin) in helms() {
        let home = scratch.path().join(format!("home-{variable}"));
        helm(&bin, &home, &["repo", "add", "verso", &server.url]);
        let search = helm(
            &bin,
            &home,
            &["search", "repo", "verso/web", "--versions", "--devel"],
        );
        for version in ["1.0.0", "1.1.0", "2.0.0-beta.1"] {
            assert!(search.contains(version), "{variable}: {search}");
        }
        let out = scratch.path().join(format!("pulled-{variable}"));
        std::fs::create_dir_all(&out).expect("mkdir");
        helm(
            &bin,
            &home,
            &[
                "pull",
                "verso/web",
                "--version",
                "1.0.0",
                "-d",
                out.to_str().expect("utf-8"),
            ],
        );
        assert_eq!(
            std::fs::read(out.join("web-1.0.0.tgz")).expect("pulled"),
            std::fs::read(repo.join("web-1.0.0.tgz")).expect("ours")
        );
    }

    // verso pulls the highest stable version from the same index.
    let repository: ChartRepository = server.url.parse().expect("url");
    let pulled = pull(&client(&[]), &repository, "web", None, &Limits::default()).expect("pull");
    assert_eq!(pulled.chart.metadata.version, "1.1.0");

    // Merging a new package keeps the old entries exactly.
    let folder = chart_folder(&scratch.path().join("new"), "web", "1.2.0");
    let packaged =
        package(&load_dir(&folder).expect("load"), &Overrides::default()).expect("package");
    std::fs::write(repo.join(packaged.file_name()), &packaged.bytes).expect("write");
    let fresh = Index::from_folder(
        &repo,
        &server.url,
        "2026-02-02T00:00:00Z",
        &Limits::default(),
    )
    .expect("index");
    let mut merged = Index::parse(
        &std::fs::read(repo.join("index.yaml")).expect("read"),
        "index.yaml",
    )
    .expect("parse");
    let before = merged.entries["web"].clone();
    assert!(merged.merge(fresh).expect("merge").is_empty());
    let versions: Vec<&str> = merged.entries["web"]
        .iter()
        .map(|entry| entry["version"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(versions, ["2.0.0-beta.1", "1.2.0", "1.1.0", "1.0.0"]);
    for old in &before {
        assert!(merged.entries["web"].contains(old), "{old:?} was rewritten");
    }
}

#[test]
fn charts_pushed_to_an_oci_registry_are_pulled_by_helm_and_never_overwritten() {
    let Some(registry) = service("REGISTRY_ADDR") else {
        return;
    };
    let scratch = tempfile::tempdir().expect("tempdir");
    let name = unique("chart");
    let folder = chart_folder(scratch.path(), &name, "0.3.0");
    let packaged =
        package(&load_dir(&folder).expect("load"), &Overrides::default()).expect("package");
    let repository: ChartRepository = format!("oci://{registry}/charts").parse().expect("oci");
    let client = client(&[]);
    assert!(matches!(
        push(&client, &repository, &packaged).expect("push"),
        Pushed::Created { .. }
    ));
    assert!(matches!(
        push(&client, &repository, &packaged).expect("push again"),
        Pushed::Present { .. }
    ));

    for (variable, bin) in helms() {
        let home = scratch.path().join(format!("home-{variable}"));
        let out = scratch.path().join(format!("pulled-{variable}"));
        std::fs::create_dir_all(&out).expect("mkdir");
        helm(
            &bin,
            &home,
            &[
                "pull",
                &format!("oci://{registry}/charts/{name}"),
                "--version",
                "0.3.0",
                "--plain-http",
                "-d",
                out.to_str().expect("utf-8"),
            ],
        );
        let pulled = std::fs::read(out.join(format!("{name}-0.3.0.tgz"))).expect("helm pulled");
        assert_eq!(pulled, packaged.bytes, "{variable} pulled other bytes");
    }

    // Same version, other content: refused.
    let changed = Overrides {
        values: Some(serde_json::json!({"replicas": 5})),
        ..Overrides::default()
    };
    let other = package(&load_dir(&folder).expect("load"), &changed).expect("package");
    let error = push(&client, &repository, &other).expect_err("conflict");
    assert!(matches!(error, Error::Conflict(_)), "{error:?}");

    // What helm pushes, verso pulls (latest stable by default).
    if let Some((_, bin)) = helms().into_iter().next() {
        let home = scratch.path().join("home-push");
        let newer = chart_folder(&scratch.path().join("newer"), &name, "0.4.0");
        let out = scratch.path().join("helm-packaged");
        helm(
            &bin,
            &home,
            &[
                "package",
                newer.to_str().expect("utf-8"),
                "-d",
                out.to_str().expect("utf-8"),
            ],
        );
        let archive = out.join(format!("{name}-0.4.0.tgz"));
        helm(
            &bin,
            &home,
            &[
                "push",
                archive.to_str().expect("utf-8"),
                &format!("oci://{registry}/charts"),
                "--plain-http",
            ],
        );
        let pulled =
            pull(&client, &repository, &name, None, &Limits::default()).expect("pull latest");
        assert_eq!(pulled.chart.metadata.version, "0.4.0");
        assert_eq!(
            pulled.bytes,
            std::fs::read(&archive).expect("helm's archive")
        );
    }
    let missing = pull(
        &client,
        &repository,
        &name,
        Some("9.9.9"),
        &Limits::default(),
    )
    .expect_err("missing");
    assert!(missing.to_string().contains("not found"), "{missing}");
}

#[test]
fn a_large_index_loads() {
    let mut index = Index::new("2026-01-01T00:00:00Z");
    for chart_number in 0..100 {
        for version in 0..100 {
            let metadata = chart::Metadata::parse(
                format!("apiVersion: v2\nname: chart{chart_number}\nversion: 1.{version}.0\ndescription: chart number {chart_number}\n").as_bytes(),
                "Chart.yaml",
            )
            .expect("metadata");
            let entry = Index::entry(
                &metadata,
                &format!("sha256:{:064x}", chart_number * 1000 + version),
                vec![format!("chart{chart_number}-1.{version}.0.tgz")],
                "2026-01-01T00:00:00Z",
            );
            index.add(entry).expect("add");
        }
    }
    let text = index.to_yaml().expect("yaml");
    let parsed = Index::parse(text.as_bytes(), "big index.yaml").expect("parse 10,000 entries");
    assert_eq!(parsed.len(), 10_000);
    assert_eq!(
        parsed
            .find("chart42", None)
            .and_then(|entry| entry["version"].as_str()),
        Some("1.99.0")
    );
}
