//! Image copy benchmark: `verso image copy` against `skopeo copy` on the same image, within one
//! registry and across two, through proxies that count the bytes each tool sends. Run it with
//! `bench/image-copy.sh`, which starts the registries and installs skopeo.
//!
//!   image_copy <REGISTRY_A> <REGISTRY_B> <VERSO_BINARY> [--layers N] [--layer-mib N] [--runs N]
//!
//! Prints, per case and tool, the median wall time and the bytes sent to the target registry,
//! then the ratio verso/skopeo.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use verso_registry::digest;
use verso_registry::oci::{Client, Credentials, Manifest, MediaType, Reference};
use verso_testkit::proxy::Proxy;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let positional: Vec<&String> = args.iter().filter(|arg| !arg.starts_with("--")).collect();
    let option = |name: &str, default: usize| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|index| args.get(index + 1))
            .and_then(|value| value.parse().ok())
            .unwrap_or(default)
    };
    let [registry_a, registry_b, verso, ..] = positional.as_slice() else {
        eprintln!("usage: image_copy <REGISTRY_A> <REGISTRY_B> <VERSO_BINARY> [--layers N] [--layer-mib N] [--runs N]");
        std::process::exit(2);
    };
    let layers = option("--layers", 5);
    let layer_mib = option("--layer-mib", 20);
    let runs = option("--runs", 3);
    let skopeo_policy = std::env::temp_dir().join("verso-bench-policy.json");
    std::fs::write(
        &skopeo_policy,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .expect("write the skopeo policy");

    let id = std::process::id();
    let client = Client::new(Credentials::none(), Vec::new());
    // Every copy starts from its own image (other random layers), so no tool finds blobs that
    // an earlier copy left in the target registry.
    let mut seed = u64::from(id) << 16;
    let mut fresh_source = |name: &str| {
        seed += 1;
        let source: Reference = format!("{registry_a}/bench/{name}:1.0.0")
            .parse()
            .expect("reference");
        let bytes = push_image(&client, &source, layers, layer_mib << 20, seed);
        (source, bytes)
    };
    let image_bytes = fresh_source(&format!("probe-{id}")).1;
    println!(
        "image: {layers} layers x {layer_mib} MiB = {:.1} MiB, {runs} runs per case (median)",
        image_bytes as f64 / 1048576.0
    );

    let proxy_a = Proxy::start(registry_a);
    let proxy_b = Proxy::start(registry_b);
    let mut rows = Vec::new();
    for (case, target_proxy) in [("same registry", &proxy_a), ("two registries", &proxy_b)] {
        for tool in ["verso", "skopeo"] {
            let mut times = Vec::new();
            let mut sent = Vec::new();
            for run in 0..runs {
                let name = format!("source-{tool}-{}-{run}-{id}", case.replace(' ', "-"));
                let (source, _) = fresh_source(&name);
                let from = format!("{}/bench/{name}:1.0.0", proxy_a.address());
                let to = format!(
                    "{}/bench/{tool}-{}-{run}-{id}:1.0.0",
                    target_proxy.address(),
                    case.replace(' ', "-")
                );
                proxy_a.reset();
                proxy_b.reset();
                let started = Instant::now();
                let status = match tool {
                    "verso" => Command::new(verso)
                        .args(["image", "copy", &from, &to])
                        .env("DOCKER_CONFIG", std::env::temp_dir())
                        .stdout(std::process::Stdio::null())
                        .status(),
                    _ => Command::new("skopeo")
                        .args([
                            "copy",
                            "--quiet",
                            "--src-tls-verify=false",
                            "--dest-tls-verify=false",
                            "--src-no-creds",
                            "--dest-no-creds",
                        ])
                        .arg("--policy")
                        .arg(&skopeo_policy)
                        .args([format!("docker://{from}"), format!("docker://{to}")])
                        .status(),
                }
                .unwrap_or_else(|error| panic!("{tool} cannot run: {error}"));
                times.push(started.elapsed());
                assert!(status.success(), "{tool} copy failed");
                sent.push(target_proxy.bytes_up());
                let copied: Reference = to
                    .replace(
                        target_proxy.address(),
                        if case == "same registry" {
                            registry_a
                        } else {
                            registry_b
                        },
                    )
                    .parse()
                    .expect("reference");
                let digest = client.manifest_digest(&copied).expect("copied image");
                let original = client.manifest_digest(&source).expect("source image");
                if digest != original {
                    println!("  note: {tool} changed the digest ({original} -> {digest})");
                }
            }
            times.sort();
            sent.sort_unstable();
            rows.push((case, tool, times[runs / 2], sent[runs / 2]));
        }
    }
    println!(
        "{:<16} {:<7} {:>10} {:>16} {:>14}",
        "case", "tool", "wall ms", "bytes to target", "x image size"
    );
    for (case, tool, time, sent) in &rows {
        println!(
            "{case:<16} {tool:<7} {:>10.0} {sent:>16} {:>14.3}",
            time.as_secs_f64() * 1000.0,
            *sent as f64 / image_bytes as f64
        );
    }
    for case in ["same registry", "two registries"] {
        let time = |tool: &str| -> Duration {
            rows.iter()
                .find(|row| row.0 == case && row.1 == tool)
                .map(|row| row.2)
                .unwrap_or_default()
        };
        println!(
            "{case}: verso/skopeo wall time ratio {:.2}",
            time("verso").as_secs_f64() / time("skopeo").as_secs_f64()
        );
    }
}

/// Pushes an image of `layers` random layers of `size` bytes; returns the blob bytes in all.
fn push_image(client: &Client, target: &Reference, layers: usize, size: usize, seed: u64) -> u64 {
    let mut descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    let mut total = 0u64;
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for _ in 0..layers {
        let layer: Vec<u8> = (0..size)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let layer_digest = client.push_blob(target, &layer).expect("push a layer");
        diff_ids.push(digest::sha256(&layer));
        descriptors.push(json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer.len()}));
        total += layer.len() as u64;
    }
    let config = serde_json::to_vec(&json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}}))
        .expect("config");
    let config_digest = client.push_blob(target, &config).expect("push the config");
    total += config.len() as u64;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": MediaType::OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": descriptors,
    }))
    .expect("manifest");
    let manifest = Manifest::new(manifest, None, "bench image").expect("manifest");
    client
        .put_manifest(target, target.tag.as_deref().unwrap_or("latest"), &manifest)
        .expect("push the manifest");
    total
}
