//! Image copies between real registries.

use verso_registry::oci::{copy, CopyOptions, Reference};
use verso_registry::Error;
use verso_testkit::proxy::Proxy;

use crate::{auth_registry, client, noise, push_image, push_index, reference, service, unique};

const LAYER: usize = 256 * 1024;

#[test]
fn an_index_is_copied_whole_across_registries_with_every_digest_unchanged() {
    let (Some(source_registry), Some((target_registry, login))) =
        (service("REGISTRY_ADDR"), auth_registry())
    else {
        return;
    };
    let name = unique("app");
    let client = client(&[(&target_registry, &login)]);
    let source = reference(&format!("{source_registry}/team/{name}:1.0.0"));
    let (index, children) = push_index(&client, &source, &name, LAYER);

    let target = reference(&format!("{target_registry}/mirror/{name}"));
    let report = copy(&client, &source, &target, &CopyOptions::default()).expect("copy");
    assert_eq!(report.digest, index.digest);
    assert_eq!(report.manifests, 3);
    // Two configs, one shared layer, two platform layers.
    assert_eq!(
        (report.blobs, report.blobs_uploaded, report.blobs_mounted),
        (5, 5, 0)
    );
    assert!(report.bytes_uploaded >= 3 * LAYER as u64);
    assert_eq!(
        report.target,
        format!("{target_registry}/mirror/{name}:1.0.0@{}", index.digest)
    );

    // The tag took the source's tag; the index and both platforms are there, bytes unchanged.
    let tagged = target.with_tag("1.0.0");
    let copied = client.manifest(&tagged).expect("index at the target");
    assert_eq!(copied.bytes, index.bytes);
    assert_eq!(
        client.manifest_digest(&tagged).expect("digest"),
        index.digest
    );
    for child in &children {
        let pinned = target.with_digest(&child.digest);
        assert_eq!(client.manifest(&pinned).expect("child").bytes, child.bytes);
    }

    // Again: every blob is there already, nothing is uploaded.
    let again = copy(&client, &source, &target, &CopyOptions::default()).expect("copy again");
    assert_eq!((again.blobs_present, again.bytes_uploaded), (5, 0));
}

#[test]
fn a_copy_within_one_registry_mounts_blobs_and_moves_no_blob_bytes() {
    let Some(registry) = service("REGISTRY_ADDR") else {
        return;
    };
    let name = unique("mount");
    let setup = client(&[]);
    let (index, _) = push_index(
        &setup,
        &reference(&format!("{registry}/team/{name}:2.0.0")),
        &name,
        LAYER,
    );

    // Through a proxy that counts every byte sent to the registry.
    let proxy = Proxy::start(&registry);
    let source = reference(&format!("{}/team/{name}:2.0.0", proxy.address()));
    let target = reference(&format!("{}/release/{name}:2.0.0", proxy.address()));
    let report = copy(&client(&[]), &source, &target, &CopyOptions::default()).expect("copy");
    assert_eq!(report.digest, index.digest);
    assert_eq!(
        (
            report.blobs_mounted,
            report.blobs_uploaded,
            report.bytes_uploaded
        ),
        (5, 0, 0)
    );
    let requests = proxy.requests();
    let mounts = requests
        .iter()
        .filter(|line| line.starts_with("POST ") && line.contains("mount="))
        .count();
    assert_eq!(mounts, 5, "{requests:#?}");
    assert!(
        !requests
            .iter()
            .any(|line| line.starts_with("PUT ") && line.contains("/blobs/")),
        "{requests:#?}"
    );
    // Request heads and three manifests only: far less than one layer.
    assert!(
        proxy.bytes_up() < 32 * 1024,
        "{} bytes sent",
        proxy.bytes_up()
    );
    assert_eq!(
        setup
            .manifest(&reference(&format!("{registry}/release/{name}:2.0.0")))
            .expect("copied")
            .digest,
        index.digest
    );
}

#[test]
fn one_platform_can_be_picked_out_of_an_index() {
    let Some(registry) = service("REGISTRY_ADDR") else {
        return;
    };
    let name = unique("platform");
    let client = client(&[]);
    let source = reference(&format!("{registry}/team/{name}:1.0.0"));
    let (_, children) = push_index(&client, &source, &name, 1024);
    let options = CopyOptions {
        platform: Some("linux/arm64".parse().expect("platform")),
        ..CopyOptions::default()
    };
    let target = reference(&format!("{registry}/arm/{name}:1.0.0"));
    let report = copy(&client, &source, &target, &options).expect("copy");
    assert_eq!(report.digest, children[1].digest);
    assert_eq!(report.manifests, 1);
    let missing = CopyOptions {
        platform: Some("windows/amd64".parse().expect("platform")),
        ..CopyOptions::default()
    };
    let error = copy(&client, &source, &target, &missing).expect_err("no such platform");
    assert!(
        error.to_string().contains("platform windows/amd64"),
        "{error}"
    );
}

#[test]
fn failures_of_the_registry_are_retried() {
    let Some(registry) = service("REGISTRY_ADDR") else {
        return;
    };
    let name = unique("retry");
    let setup = client(&[]);
    let layers = [noise(&name, LAYER)];
    let manifest = push_image(
        &setup,
        &reference(&format!("{registry}/team/{name}:1")),
        "linux/amd64",
        &layers,
    );
    let proxy = Proxy::start(&registry);
    proxy.fail("PUT", "/blobs/uploads/", 2, 503);
    proxy.fail("PUT", "/manifests/", 1, 429);
    proxy.fail("HEAD", "/blobs/", 1, 502);
    let retrying = verso_registry::oci::Client::with_retry(
        verso_registry::oci::Credentials::none(),
        Vec::new(),
        verso_registry::http::Retry {
            attempts: 4,
            base: std::time::Duration::from_millis(10),
            max_delay: std::time::Duration::from_millis(50),
        },
    );
    let source = reference(&format!("{}/team/{name}:1", proxy.address()));
    // Another registry name (the proxy's) for the target, so blobs are uploaded, not mounted.
    let target = reference(&format!(
        "localhost:{}/copy/{name}:1",
        proxy.address().rsplit(':').next().expect("port")
    ));
    let report =
        copy(&retrying, &source, &target, &CopyOptions::default()).expect("copy with retries");
    assert_eq!(report.digest, manifest.digest);
    assert_eq!(report.blobs_uploaded, 2);
    let injected = proxy
        .requests()
        .iter()
        .filter(|line| line.starts_with("PUT ") && line.contains("/blobs/uploads/"))
        .count();
    assert_eq!(
        injected, 4,
        "two failed uploads, then the config and the layer"
    );
}

#[test]
fn a_missing_source_names_the_reference_and_pushes_nothing() {
    let Some(registry) = service("REGISTRY_ADDR") else {
        return;
    };
    let name = unique("missing");
    let client = client(&[]);
    let source = reference(&format!("{registry}/team/{name}:9.9.9"));
    let target = reference(&format!("{registry}/copy/{name}:9.9.9"));
    let error = copy(&client, &source, &target, &CopyOptions::default()).expect_err("missing");
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    assert!(
        error.to_string().contains(&format!("team/{name}:9.9.9")),
        "{error}"
    );
    assert!(client.try_manifest(&target).expect("lookup").is_none());
}

#[test]
fn a_blob_that_does_not_match_its_digest_stops_the_copy_before_any_manifest() {
    let Some(registry) = service("REGISTRY_ADDR") else {
        return;
    };
    let Ok(data) = std::env::var("REGISTRY_DATA") else {
        // The registry's storage folder is needed to corrupt a blob in place.
        assert!(
            std::env::var_os("VERSO_REQUIRE_SERVICES").is_none(),
            "REGISTRY_DATA is not set"
        );
        return;
    };
    let name = unique("corrupt");
    let client = client(&[]);
    let layer = noise(&name, 4096);
    let source = reference(&format!("{registry}/team/{name}:1"));
    push_image(
        &client,
        &source,
        "linux/amd64",
        std::slice::from_ref(&layer),
    );
    let hex = verso_registry::digest::sha256(&layer)
        .trim_start_matches("sha256:")
        .to_owned();
    let stored = std::path::Path::new(&data).join(format!(
        "docker/registry/v2/blobs/sha256/{}/{hex}/data",
        &hex[..2]
    ));
    let mut bytes = std::fs::read(&stored).expect("stored blob");
    bytes[100] ^= 0xff;
    std::fs::write(&stored, bytes).expect("corrupt the blob");

    let (Some((other, login)), target_name) = (auth_registry(), unique("corrupt-copy")) else {
        return;
    };
    let client = crate::client(&[(&other, &login)]);
    let target = reference(&format!("{other}/copy/{target_name}:1"));
    let error = copy(&client, &source, &target, &CopyOptions::default()).expect_err("mismatch");
    assert!(matches!(error, Error::DigestMismatch { .. }), "{error:?}");
    assert!(client.try_manifest(&target).expect("lookup").is_none());
}

#[test]
fn a_registry_that_needs_a_login_says_so() {
    let (Some(source_registry), Some((target_registry, login))) =
        (service("REGISTRY_ADDR"), auth_registry())
    else {
        return;
    };
    let name = unique("login");
    let anonymous = client(&[]);
    let source = reference(&format!("{source_registry}/team/{name}:1"));
    push_image(&anonymous, &source, "linux/amd64", &[noise(&name, 512)]);
    let target = reference(&format!("{target_registry}/copy/{name}:1"));
    let error = copy(&anonymous, &source, &target, &CopyOptions::default()).expect_err("no login");
    assert!(matches!(error, Error::Auth(_)), "{error:?}");
    assert!(error.to_string().contains("requires a login"), "{error}");
    let wrong = verso_registry::oci::Login {
        password: "wrong".into(),
        ..login
    };
    let error = copy(
        &client(&[(&target_registry, &wrong)]),
        &source,
        &target,
        &CopyOptions::default(),
    )
    .expect_err("bad login");
    assert!(
        error.to_string().contains("refused the credentials"),
        "{error}"
    );
    assert!(
        !error.to_string().contains("wrong"),
        "the password leaked: {error}"
    );
}

#[test]
fn a_target_pinned_to_another_digest_is_refused() {
    let Some(registry) = service("REGISTRY_ADDR") else {
        return;
    };
    let name = unique("pinned");
    let client = client(&[]);
    let source = reference(&format!("{registry}/team/{name}:1"));
    push_image(&client, &source, "linux/amd64", &[noise(&name, 512)]);
    let wrong = format!("sha256:{}", "0".repeat(64));
    let target: Reference = reference(&format!("{registry}/copy/{name}@{wrong}"));
    let error = copy(&client, &source, &target, &CopyOptions::default()).expect_err("pinned");
    assert!(error.to_string().contains("names digest"), "{error}");
}
