//! Publishing to real registries: verdaccio for npm, a CNCF distribution registry with the
//! real helm client for charts. `scripts/test.sh` starts them and sets `NPM_REGISTRY_URL`,
//! `NPM_REGISTRY_NPMRC`, `REGISTRY_ADDR` and `HELM_BIN`; with `VERSO_REQUIRE_SERVICES=1`
//! (as there) a missing service fails the test instead of skipping it.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use verso_testkit::{service, unique, TestRepo};

use crate::{release_steps, verso_with, Run, IDENTITY};

fn release(repo: &TestRepo, args: &[&str], environment: &[(&str, &str)]) -> Run {
    let mut arguments = vec!["release", "--date", "2026-11-21", "--no-push", "--json"];
    arguments.extend_from_slice(args);
    let mut all: Vec<(&str, &str)> = IDENTITY.to_vec();
    all.extend_from_slice(environment);
    verso_with(repo.path(), &arguments, "", &all)
}

fn npm(npmrc: &str, directory: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new("npm")
        .args(args)
        .current_dir(directory)
        .env("NPM_CONFIG_USERCONFIG", npmrc)
        .output()
        .expect("npm runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
    )
}

/// `helm pull --untar` of a chart version from a plain-HTTP OCI registry into a new folder.
fn helm_pull(
    helm: &str,
    reference: &str,
    version: &str,
) -> (std::process::Output, tempfile::TempDir) {
    let pulled = tempfile::tempdir().expect("tempdir");
    let output = Command::new(helm)
        .args([
            "pull",
            reference,
            "--version",
            version,
            "--plain-http",
            "--untar",
        ])
        .arg("--destination")
        .arg(pulled.path())
        .output()
        .expect("helm runs");
    (output, pulled)
}

fn outcome(summary: &Value, package: &str) -> Value {
    summary["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|entry| entry["name"] == package))
        .map_or(Value::Null, |entry| entry["published"].clone())
}

#[test]
fn npm_workspace_publishes_in_order_skips_what_is_published_and_keeps_latest_stable() {
    let (Some(url), Some(npmrc)) = (service("NPM_REGISTRY_URL"), service("NPM_REGISTRY_NPMRC"))
    else {
        return;
    };
    let scope = unique("@vt");
    let core = format!("{scope}/core");
    let api = format!("{scope}/api");
    let repo = TestRepo::new();
    repo.write(
        "package.json",
        "{\"name\": \"root\", \"private\": true, \"workspaces\": [\"packages/*\"]}\n",
    );
    repo.write(
        "packages/core/package.json",
        &format!("{{\n  \"name\": \"{core}\",\n  \"version\": \"1.0.0\"\n}}\n"),
    );
    repo.write(
        "packages/api/package.json",
        &format!("{{\n  \"name\": \"{api}\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {{\n    \"{core}\": \"^1.0.0\"\n  }}\n}}\n"),
    );
    repo.write(
        "verso.toml",
        &format!("[branches]\nnext = \"beta\"\n\n[publish.npm]\nregistry = \"{url}\"\naccess = \"public\"\n"),
    );
    let repo = repo
        .commit_all("chore: layout")
        .tag(&format!("{core}@1.0.0"))
        .tag(&format!("{api}@1.0.0"))
        .commit_file(
            "packages/core/index.js",
            "module.exports = 1;\n",
            "feat(core): export one",
        );
    let environment = [("NPM_CONFIG_USERCONFIG", npmrc.as_str())];

    // Crash right after the dependent's publish, before the journal records it.
    let step = format!("publish:{api}:npm");
    let crashed = release(
        &repo,
        &[],
        &[environment[0], ("VERSO_TEST_CRASH_AFTER", &step)],
    );
    assert_eq!(crashed.code, 86, "{}", crashed.stderr);
    let resumed = release(&repo, &[], &environment);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    let summary = resumed.json();
    assert_eq!(
        outcome(&summary, &core),
        serde_json::json!([["npm", "published"]])
    );
    assert_eq!(
        outcome(&summary, &api),
        serde_json::json!([["npm", "skipped"]])
    );

    let outside = tempfile::tempdir().expect("tempdir");
    let view = |spec: &str, field: &str| {
        let (ok, text) = npm(
            &npmrc,
            outside.path(),
            &["view", spec, field, "--json", "--registry", &url],
        );
        assert!(ok, "npm view {spec} {field}");
        serde_json::from_str::<Value>(&text).unwrap_or(Value::Null)
    };
    assert_eq!(view(&core, "versions"), serde_json::json!(["1.1.0"]));
    assert_eq!(
        view(&format!("{api}@1.0.1"), "dependencies"),
        serde_json::json!({ core.clone(): "^1.1.0" })
    );
    assert_eq!(
        view(&core, "dist-tags"),
        serde_json::json!({ "latest": "1.1.0" })
    );

    // A prerelease goes to its channel's dist-tag; latest stays on the stable version.
    let repo = repo.branch("next").checkout("next").commit_file(
        "packages/core/beta.js",
        "module.exports = 2;\n",
        "feat(core): beta feature",
    );
    let run = release(&repo, &[], &environment);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        view(&core, "dist-tags"),
        serde_json::json!({ "latest": "1.1.0", "beta": "1.2.0-beta.0" })
    );

    // Someone published the next version by hand with other contents: refused, named.
    let repo = repo.checkout("main").commit_file(
        "packages/api/index.js",
        "module.exports = 3;\n",
        "fix(api): handle nulls",
    );
    let squatter = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        squatter.path().join("package.json"),
        format!("{{\"name\": \"{api}\", \"version\": \"1.0.2\", \"description\": \"not ours\"}}"),
    )
    .expect("written");
    let (ok, _) = npm(&npmrc, squatter.path(), &["publish", "--registry", &url]);
    assert!(ok, "the squatting publish works");
    let refused = release(&repo, &[], &environment);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("already published with different contents"),
        "{}",
        refused.stderr
    );
}

#[test]
fn helm_chart_is_pushed_to_an_oci_registry_that_helm_pulls_from() {
    let (Some(address), Some(helm)) = (service("REGISTRY_ADDR"), service("HELM_BIN")) else {
        return;
    };
    let name = unique("web");
    let repository = format!("oci://{address}/charts");
    let repo = TestRepo::new();
    repo.write(
        "charts/web/Chart.yaml",
        &format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\nappVersion: \"1.0.0\"\n"),
    );
    repo.write("charts/web/values.yaml", "replicas: 1\n");
    repo.write(
        "charts/web/templates/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  replicas: \"{{ .Values.replicas }}\"\n",
    );
    repo.write(
        "verso.toml",
        &format!("[publish.helm]\nrepository = \"{repository}\"\n"),
    );
    let repo = repo
        .commit_all("chore: chart")
        .tag(&format!("{name}-0.1.0"))
        .commit_file(
            "charts/web/values.yaml",
            "replicas: 2\n",
            "fix(web): two replicas",
        );

    let step = format!("publish:{name}:helm");
    let crashed = release(&repo, &[], &[("VERSO_TEST_CRASH_AFTER", &step)]);
    assert_eq!(crashed.code, 86, "{}", crashed.stderr);
    let resumed = release(&repo, &[], &[]);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert_eq!(
        outcome(&resumed.json(), &name),
        serde_json::json!([["helm", "skipped"]])
    );

    let (output, pulled) = helm_pull(&helm, &format!("{repository}/{name}"), "0.1.1");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let chart =
        std::fs::read_to_string(pulled.path().join(&name).join("Chart.yaml")).expect("pulled");
    assert!(chart.contains("version: 0.1.1"), "{chart}");
    let values =
        std::fs::read_to_string(pulled.path().join(&name).join("values.yaml")).expect("pulled");
    assert_eq!(values, "replicas: 2\n");
}

#[test]
fn helm_chart_is_uploaded_to_a_chartmuseum_compatible_repository() {
    let Some(helm) = service("HELM_BIN") else {
        return;
    };
    // verso's own server is the ChartMuseum-compatible repository (`POST /api/charts`).
    let data = tempfile::tempdir().expect("tempdir");
    let server = crate::serve::Server::start(&crate::serve::Database::Sqlite, data.path(), &[]);
    let token = server.admin(
        "POST",
        "/api/v1/tokens",
        Some(serde_json::json!({"name": "ci", "roles": {"charts": "developer"}})),
    );
    let creds = format!("ci:{}", token["token"].as_str().expect("token"));
    let repo = TestRepo::new();
    repo.write(
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    repo.write("charts/web/values.yaml", "replicas: 1\n");
    repo.write(
        "verso.toml",
        &format!("[publish.helm]\nrepository = \"{}\"\n", server.url),
    );
    let repo = repo
        .commit_all("chore: chart")
        .tag("web-0.1.0")
        .commit_file(
            "charts/web/values.yaml",
            "replicas: 2\n",
            "fix(web): two replicas",
        );
    let environment = [("VERSO_CHART_CREDS", creds.as_str())];

    // Without credentials the upload is refused and says so.
    let refused = release(&repo, &[], &[]);
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("401"), "{}", refused.stderr);
    let crashed = release(
        &repo,
        &[],
        &[
            environment[0],
            ("VERSO_TEST_CRASH_AFTER", "publish:web:helm"),
        ],
    );
    assert_eq!(crashed.code, 86, "{}", crashed.stderr);
    let resumed = release(&repo, &[], &environment);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert_eq!(
        outcome(&resumed.json(), "web"),
        serde_json::json!([["helm", "skipped"]])
    );
    let home = data.path().join("helm");
    let helm_run = |args: &[&str]| {
        let output = Command::new(&helm)
            .args(args)
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_DATA_HOME", home.join("data"))
            .output()
            .expect("helm runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    helm_run(&["repo", "add", "verso", &format!("{}/charts", server.url)]);
    let pulled = data.path().join("pulled");
    helm_run(&[
        "pull",
        "verso/web",
        "--version",
        "0.1.1",
        "--untar",
        "--destination",
        pulled.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        std::fs::read_to_string(pulled.join("web/values.yaml")).expect("pulled"),
        "replicas: 2\n"
    );

    // The next version already there with other bytes: a conflict, reported, nothing replaced.
    let mut other =
        verso_registry::chart::load_dir(&repo.path().join("charts/web")).expect("chart");
    other
        .files
        .push(("NOTES.txt".to_owned(), b"other".to_vec()));
    let other = verso_registry::chart::package(
        &other,
        &verso_registry::chart::Overrides {
            version: Some("0.1.2".to_owned()),
            ..Default::default()
        },
    )
    .expect("package");
    let (status, _) = crate::serve::request(
        "POST",
        &format!("{}/api/charts", server.url),
        Some(token["token"].as_str().expect("token")),
        Some(("application/gzip", other.bytes.clone())),
        &[],
    );
    assert_eq!(status, 201);
    let repo = repo.commit_file(
        "charts/web/values.yaml",
        "replicas: 3\n",
        "fix(web): three replicas",
    );
    let conflict = release(&repo, &[], &environment);
    assert_ne!(conflict.code, 0);
    assert!(
        conflict.stderr.contains("other content"),
        "{}",
        conflict.stderr
    );
    let (_, stored) = crate::serve::request(
        "GET",
        &format!("{}/charts/web-0.1.2.tgz", server.url),
        None,
        None,
        &[],
    );
    assert_eq!(stored, other.bytes);
}

/// The monorepo of the definition of done: npm packages, a Cargo crate and a chart
/// that deploys the API, published to the real registries. Names carry `id` so that every
/// run has registry entries of its own.
fn mixed_monorepo(id: &str, npm_url: &str, oci: &str) -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        "package.json",
        "{\"name\": \"root\", \"private\": true, \"workspaces\": [\"packages/*\"]}\n",
    );
    repo.write(
        "packages/core/package.json",
        &format!("{{\n  \"name\": \"@{id}/core\",\n  \"version\": \"1.0.0\"\n}}\n"),
    );
    repo.write(
        "packages/api/package.json",
        &format!("{{\n  \"name\": \"@{id}/api\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {{\n    \"@{id}/core\": \"^1.0.0\"\n  }}\n}}\n"),
    );
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n");
    repo.write(
        "crates/tool/Cargo.toml",
        "[package]\nname = \"tool\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    repo.write("crates/tool/src/main.rs", "fn main() {}\n");
    repo.write(
        "charts/web/Chart.yaml",
        &format!(
            "apiVersion: v2\nname: web{id}\nversion: 0.1.0\nappVersion: \"1.0.0\" # the API\n"
        ),
    );
    repo.write("charts/web/values.yaml", "image:\n  tag: \"1.0.0\"\n");
    repo.write(
        "verso.toml",
        &format!("[publish.npm]\nregistry = \"{npm_url}\"\n\n[publish.helm]\nrepository = \"oci://{oci}/charts\"\n\n[[package]]\npath = \"charts/web\"\napp_version = \"@{id}/api\"\nvalues_image_tag = \"image.tag\"\n"),
    );
    repo.commit_all("chore: layout")
        .tag(&format!("@{id}/core@1.0.0"))
        .tag(&format!("@{id}/api@1.0.0"))
        .tag("tool-v0.1.0")
        .tag(&format!("web{id}-0.1.0"))
        .commit_file(
            "packages/core/index.js",
            "module.exports = 1;\n",
            "feat(core): export one",
        )
        .commit_file(
            "crates/tool/src/main.rs",
            "fn main() { }\n",
            "fix(tool): quiet",
        )
}

/// What a release of `mixed_monorepo` leaves, with `id` replaced by `ID`: files, the release
/// commit's message and files, tags, and the registries' contents.
fn mixed_end_state(
    repo: &TestRepo,
    id: &str,
    npmrc: &str,
    npm_url: &str,
    oci: &str,
    helm: &str,
) -> Vec<(String, String)> {
    let git = |args: &[&str]| {
        String::from_utf8_lossy(&repo.git(args).stdout)
            .trim()
            .to_owned()
    };
    let mut state = vec![
        ("message".to_owned(), git(&["log", "-1", "--format=%B"])),
        (
            "committed".to_owned(),
            git(&["show", "--name-only", "--format=", "HEAD"]),
        ),
        ("tags".to_owned(), git(&["tag", "--points-at", "HEAD"])),
        ("status".to_owned(), git(&["status", "--porcelain"])),
        (
            "journal".to_owned(),
            repo.path()
                .join(".git/verso/release.json")
                .exists()
                .to_string(),
        ),
    ];
    for file in [
        "packages/core/package.json",
        "packages/api/package.json",
        "packages/core/CHANGELOG.md",
        "crates/tool/Cargo.toml",
        "charts/web/Chart.yaml",
        "charts/web/values.yaml",
        "charts/web/CHANGELOG.md",
    ] {
        let text = std::fs::read_to_string(repo.path().join(file)).unwrap_or_default();
        state.push((file.to_owned(), text));
    }
    let outside = tempfile::tempdir().expect("tempdir");
    for package in ["core", "api"] {
        let spec = format!("@{id}/{package}");
        let (_, versions) = npm(
            npmrc,
            outside.path(),
            &["view", &spec, "versions", "--json", "--registry", npm_url],
        );
        let (_, tags) = npm(
            npmrc,
            outside.path(),
            &["view", &spec, "dist-tags", "--json", "--registry", npm_url],
        );
        state.push((format!("npm {package}"), format!("{versions} {tags}")));
    }
    let (output, pulled) = helm_pull(helm, &format!("oci://{oci}/charts/web{id}"), "0.1.1");
    let chart = std::fs::read_to_string(pulled.path().join(format!("web{id}/Chart.yaml")))
        .unwrap_or_default();
    state.push((
        "chart".to_owned(),
        format!("{} {chart}", output.status.success()),
    ));
    // Commit ids differ with the names; the changelog's short hash of the feature is one.
    let feature = git(&["rev-parse", "--short=7", "HEAD~2"]);
    state
        .into_iter()
        .map(|(key, value)| (key, value.replace(id, "ID").replace(&feature, "HASH")))
        .collect()
}

#[test]
fn a_mixed_monorepo_released_to_real_registries_survives_a_crash_at_any_step() {
    let (Some(npm_url), Some(npmrc), Some(oci), Some(helm)) = (
        service("NPM_REGISTRY_URL"),
        service("NPM_REGISTRY_NPMRC"),
        service("REGISTRY_ADDR"),
        service("HELM_BIN"),
    ) else {
        return;
    };
    let environment = [("NPM_CONFIG_USERCONFIG", npmrc.as_str())];
    let id = unique("m");
    let reference = mixed_monorepo(&id, &npm_url, &oci);
    let steps = release_steps(&release(&reference, &["--dry-run"], &environment));
    // files, commit, four tags, three publishes in dependency order (no push: --no-push).
    let publishes: Vec<&str> = steps
        .iter()
        .filter(|step| step.starts_with("publish:"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        publishes,
        [
            format!("publish:@{id}/core:npm"),
            format!("publish:@{id}/api:npm"),
            format!("publish:web{id}:helm"),
        ]
    );
    assert_eq!(steps.len(), 9, "{steps:?}");
    let run = release(&reference, &[], &environment);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = mixed_end_state(&reference, &id, &npmrc, &npm_url, &oci, &helm);
    assert!(
        expected.iter().any(|(key, value)| key == "chart"
            && value.starts_with("true")
            // The published Chart.yaml is the released file, comment and quotes kept.
            && value.contains("appVersion: \"1.0.1\" # the API")),
        "{expected:?}"
    );

    for index in 0..steps.len() {
        let id = unique("m");
        let repo = mixed_monorepo(&id, &npm_url, &oci);
        let step = release(&repo, &["--dry-run"], &environment).json()["steps"][index]
            .as_str()
            .expect("a step")
            .to_owned();
        let crashed = release(
            &repo,
            &[],
            &[environment[0], ("VERSO_TEST_CRASH_AFTER", &step)],
        );
        assert_eq!(crashed.code, 86, "crash after {step}: {}", crashed.stderr);
        let resumed = release(&repo, &[], &environment);
        assert_eq!(resumed.code, 0, "resume after {step}: {}", resumed.stderr);
        let state = mixed_end_state(&repo, &id, &npmrc, &npm_url, &oci, &helm);
        assert_eq!(state, expected, "end state after a crash after {step}");
    }
}
