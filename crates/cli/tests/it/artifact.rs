//! `verso chart …` and `verso image …` against the real OCI registry.

use std::path::Path;

use serde_json::json;
use verso_registry::oci::{Client, Credentials, Manifest, MediaType, Reference};

use crate::{verso_with, Run};
use verso_testkit::{service, unique};

fn verso(directory: &Path, args: &[&str]) -> Run {
    // No docker logins from the machine running the tests.
    verso_with(
        directory,
        args,
        "",
        &[("DOCKER_CONFIG", directory.to_str().expect("utf-8"))],
    )
}

fn chart(root: &Path, name: &str) {
    let folder = root.join(name);
    std::fs::create_dir_all(folder.join("templates")).expect("mkdir");
    std::fs::write(
        folder.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
    )
    .expect("write");
    std::fs::write(folder.join("values.yaml"), "replicas: 1\n").expect("write");
    std::fs::write(
        folder.join("templates/cm.yaml"),
        "kind: ConfigMap\ndata:\n  replicas: \"{{ .Values.replicas }}\"\n",
    )
    .expect("write");
}

#[test]
fn charts_are_packaged_linted_indexed_pushed_and_pulled() {
    let Some(registry) = service("REGISTRY_ADDR") else {
        return;
    };
    let scratch = tempfile::tempdir().expect("tempdir");
    let root = scratch.path();
    let name = unique("cli-chart");
    chart(root, &name);
    std::fs::write(root.join("prod.yaml"), "replicas: 3\n").expect("write");

    let packaged = verso(
        root,
        &[
            "chart",
            "package",
            &name,
            "-d",
            "dist",
            "--version",
            "1.0.0",
            "-f",
            "prod.yaml",
            "--json",
        ],
    );
    assert_eq!(packaged.code, 0, "{}", packaged.stderr);
    let summary = packaged.json();
    assert_eq!(summary["version"], "1.0.0");
    let file = format!("dist/{name}-1.0.0.tgz");
    assert!(root.join(&file).is_file());

    let lint = verso(root, &["chart", "lint", &file, &name]);
    assert_eq!(lint.code, 0, "{}{}", lint.stdout, lint.stderr);
    std::fs::write(root.join("dist/broken.tgz"), b"not gzip").expect("write");
    let lint = verso(root, &["chart", "lint", "dist/broken.tgz"]);
    assert_eq!(lint.code, 1);
    assert!(lint.stdout.contains("not a gzip"), "{}", lint.stdout);
    std::fs::remove_file(root.join("dist/broken.tgz")).expect("rm");

    let index = verso(
        root,
        &[
            "chart",
            "index",
            "dist",
            "--url",
            "https://charts.example.com",
        ],
    );
    assert_eq!(index.code, 0, "{}", index.stderr);
    let written = std::fs::read_to_string(root.join("dist/index.yaml")).expect("index.yaml");
    assert!(
        written.contains(&format!("https://charts.example.com/{name}-1.0.0.tgz")),
        "{written}"
    );
    assert!(
        written.contains(
            summary["digest"]
                .as_str()
                .expect("digest")
                .trim_start_matches("sha256:")
        ),
        "{written}"
    );

    let repository = format!("oci://{registry}/cli-charts");
    let pushed = verso(root, &["chart", "push", &file, &repository, "--json"]);
    assert_eq!(pushed.code, 0, "{}", pushed.stderr);
    assert_eq!(pushed.json()["outcome"], "created");
    let again = verso(root, &["chart", "push", &file, &repository, "--json"]);
    assert_eq!(again.json()["outcome"], "present");

    let pulled = verso(
        root,
        &[
            "chart",
            "pull",
            &format!("{repository}/{name}"),
            "--untar",
            "-d",
            "pulled",
        ],
    );
    assert_eq!(pulled.code, 0, "{}", pulled.stderr);
    let values = std::fs::read_to_string(root.join("pulled").join(&name).join("values.yaml"))
        .expect("values");
    assert_eq!(values.trim(), "replicas: 3");
    let twice = verso(
        root,
        &[
            "chart",
            "pull",
            &format!("{repository}/{name}"),
            "--untar",
            "-d",
            "pulled",
        ],
    );
    assert_eq!(twice.code, 2);
    assert!(twice.stderr.contains("already exists"), "{}", twice.stderr);

    let nowhere = verso(root, &["chart", "pull", &name]);
    assert_eq!(nowhere.code, 2);
    assert!(nowhere.stderr.contains("--repo"), "{}", nowhere.stderr);
}

#[test]
fn images_are_copied_and_their_digests_read() {
    let Some(registry) = service("REGISTRY_ADDR") else {
        return;
    };
    let scratch = tempfile::tempdir().expect("tempdir");
    let name = unique("cli-image");
    let client = Client::new(Credentials::none(), Vec::new());
    let source: Reference = format!("{registry}/team/{name}:1.0.0")
        .parse()
        .expect("reference");
    let layer = client.push_blob(&source, name.as_bytes()).expect("layer");
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let config_digest = client.push_blob(&source, config).expect("config");
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": MediaType::OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": name.len()}],
    }))
    .expect("json");
    let manifest = Manifest::new(manifest, None, "test").expect("manifest");
    client
        .put_manifest(&source, "1.0.0", &manifest)
        .expect("push");

    let digest = verso(scratch.path(), &["image", "digest", &source.to_string()]);
    assert_eq!(
        (digest.code, digest.answer()),
        (0, manifest.digest.as_str()),
        "{}",
        digest.stderr
    );

    let copied = verso(
        scratch.path(),
        &[
            "image",
            "copy",
            &source.to_string(),
            &format!("{registry}/release/{name}"),
        ],
    );
    assert_eq!(copied.code, 0, "{}", copied.stderr);
    assert_eq!(copied.answer(), manifest.digest);
    assert!(copied.stderr.contains("2 mounted"), "{}", copied.stderr);

    let json = verso(
        scratch.path(),
        &[
            "image",
            "copy",
            &source.to_string(),
            &format!("{registry}/release/{name}:stable"),
            "--json",
        ],
    );
    let report = json.json();
    assert_eq!(report["digest"], manifest.digest.as_str());
    assert_eq!(report["blobs_present"], 2);

    let missing = verso(
        scratch.path(),
        &[
            "image",
            "copy",
            &format!("{registry}/team/{name}:nope"),
            &format!("{registry}/release/{name}"),
        ],
    );
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains(&format!("team/{name}:nope not found")),
        "{}",
        missing.stderr
    );
    let invalid = verso(scratch.path(), &["image", "digest", "Team/App"]);
    assert_eq!(invalid.code, 2);
    assert!(invalid.stderr.contains("lowercase"), "{}", invalid.stderr);
}
