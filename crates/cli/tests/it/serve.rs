//! `verso serve` end to end: the real binary, a real OCI registry (with and without auth), the
//! real helm client, a hook receiver started here, and the same scenarios on SQLite and on
//! PostgreSQL (`VERSO_TEST_DATABASE_URL`, a server `scripts/test.sh` starts; each test gets
//! its own database).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use verso_registry::chart::{load_dir, package, Overrides};
use verso_registry::oci::{Client, Credentials, Login, Manifest, MediaType, Reference};
use verso_testkit::{service, unique};

const ADMIN: &str = "test-admin-token-0123456789";
/// Base64 of 32 bytes.
const KEY: &str = "dGVzdC1rZXktdGhhdC1pcy0zMi1ieXRlcy1sb25nISE=";

/// Where a test's server keeps its data.
pub(crate) enum Database {
    Sqlite,
    Postgres(String),
}

impl Database {
    /// A fresh PostgreSQL database, or `None` (skip) without a server.
    fn postgres() -> Option<Database> {
        let base = service("VERSO_TEST_DATABASE_URL")?;
        let name = unique("verso_t").to_lowercase();
        let output = Command::new("psql")
            .arg(&base)
            .args(["-qtAc", &format!("CREATE DATABASE {name}")])
            .output()
            .expect("psql runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let (root, _) = base.rsplit_once('/').expect("a database in the URL");
        Some(Database::Postgres(format!("{root}/{name}")))
    }
}

/// Runs a scenario on SQLite and on PostgreSQL.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(super::Database::Sqlite);
            }

            #[test]
            fn postgres() {
                if let Some(database) = super::Database::postgres() {
                    super::$name(database);
                }
            }
        }
    )*};
}

on_both_databases!(
    a_helm_version_copies_images_by_digest_pushes_charts_and_calls_the_hook,
    the_chart_repository_keeps_one_entry_per_version_under_concurrent_uploads,
    tokens_see_only_their_projects_and_secrets_never_leave_the_server,
    a_version_interrupted_by_a_crash_is_completed_after_a_restart,
    hooks_are_signed_retried_and_redelivered,
    a_failed_version_announces_itself_and_its_retry_runs_only_the_failed_items,
);

/// A running `verso serve`.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
    log: PathBuf,
}

impl Server {
    pub(crate) fn start(database: &Database, data: &Path, environment: &[(&str, &str)]) -> Server {
        std::fs::create_dir_all(data).expect("data dir");
        let log = data.join(format!("{}.log", unique("serve")));
        let mut command = Command::new(env!("CARGO_BIN_EXE_verso"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .env("VERSO_ADMIN_TOKEN", ADMIN)
            .env("VERSO_SECRET_KEY", KEY)
            .env("DOCKER_CONFIG", data)
            .env_remove("DATABASE_URL")
            .envs(environment.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"));
        if let Database::Postgres(url) = database {
            command.env("DATABASE_URL", url);
        }
        // Held by a `Server` at once, so that a failed start still stops the process.
        let mut server = Server {
            child: command.spawn().expect("verso serve starts"),
            url: String::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = server.log();
            if let Some(rest) = text.split("listening on ").nth(1) {
                server.url = rest.lines().next().unwrap_or("").trim().to_owned();
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "verso serve did not start:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Calls the API; returns the status and the JSON body (or the text as a JSON string).
    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (status, bytes) = request(
            method,
            &format!("{}{path}", self.url),
            token,
            body.map(|body| ("application/json", body.to_string().into_bytes())),
            &[],
        );
        let text = String::from_utf8_lossy(&bytes).into_owned();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub(crate) fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.call(method, path, Some(ADMIN), body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {value}\n{}",
            self.log()
        );
        value
    }

    /// Polls a version until it has finished.
    fn finished(&self, project: &str, version: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let detail = self.admin(
                "GET",
                &format!("/api/v1/projects/{project}/versions/{version}"),
                None,
            );
            if detail["status"] == "success" || detail["status"] == "failed" {
                return detail;
            }
            assert!(
                Instant::now() < deadline,
                "version still {}: {detail}\n{}",
                detail["status"],
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP request; returns the status and the body.
pub(crate) fn request(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
    headers: &[(&str, &str)],
) -> (u16, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let (content_type, bytes) = body.unwrap_or(("application/octet-stream", Vec::new()));
    let request = builder
        .header("content-type", content_type)
        .body(bytes)
        .expect("request");
    let mut response = agent.run(request).expect("the server answers");
    let status = response.status().as_u16();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .expect("body");
    (status, bytes)
}

/// Pushes a two-platform image (an index) and returns its digest.
fn push_image(client: &Client, reference: &Reference, seed: &str) -> String {
    let untagged = Reference {
        tag: None,
        ..reference.clone()
    };
    let mut children = Vec::new();
    for architecture in ["amd64", "arm64"] {
        let layer = format!("{seed}-{architecture}-layer").into_bytes();
        let layer_digest = client.push_blob(&untagged, &layer).expect("layer");
        let config = serde_json::to_vec(&json!({"architecture": architecture, "os": "linux"}))
            .expect("config");
        let config_digest = client.push_blob(&untagged, &config).expect("config");
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": MediaType::OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer.len()}],
        }))
        .expect("manifest");
        let manifest = Manifest::new(manifest, None, "test image").expect("manifest");
        client
            .put_manifest(&untagged, &manifest.digest.clone(), &manifest)
            .expect("push");
        children.push(json!({"mediaType": MediaType::OCI_MANIFEST, "digest": manifest.digest, "size": manifest.bytes.len(), "platform": {"os": "linux", "architecture": architecture}}));
    }
    let index = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": MediaType::OCI_INDEX, "manifests": children}),
    )
    .expect("index");
    let index = Manifest::new(index, None, "test index").expect("index");
    client
        .put_manifest(reference, reference.tag.as_deref().expect("a tag"), &index)
        .expect("push index");
    index.digest
}

/// A chart folder: the image and a replica count from the values, and a global value.
fn chart_archive(root: &Path, name: &str, version: &str) -> Vec<u8> {
    let folder = root.join(format!("{name}-{version}"));
    std::fs::create_dir_all(folder.join("templates")).expect("mkdir");
    std::fs::write(
        folder.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: {version}\n"),
    )
    .expect("write");
    std::fs::write(
        folder.join("values.yaml"),
        "replicas: 1\nimage:\n  repository: example/app\n  tag: latest\nglobal:\n  domain: dev.example.com\n",
    )
    .expect("write");
    std::fs::write(
        folder.join("templates/config.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}\ndata:\n  image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n  replicas: \"{{ .Values.replicas }}\"\n  domain: \"{{ .Values.global.domain }}\"\n",
    )
    .expect("write");
    let chart = load_dir(&folder).expect("chart");
    package(&chart, &Overrides::default())
        .expect("package")
        .bytes
}

fn upload_chart(server: &Server, token: &str, bytes: Vec<u8>) -> (u16, Value) {
    let (status, body) = request(
        "POST",
        &format!("{}/api/charts", server.url),
        Some(token),
        Some(("application/gzip", bytes)),
        &[],
    );
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// A request a receiver got: headers (lowercase names) and body.
type Received = (Vec<(String, String)>, Vec<u8>);

/// A hook receiver: answers each request with the next status of `script` (then 200), and
/// keeps the headers and bodies it got.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(script: Vec<u16>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        std::thread::spawn(move || {
            let mut script = script.into_iter();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut headers = Vec::new();
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = line.trim_end().split_once(':') {
                        headers.push((name.to_lowercase(), value.trim().to_owned()));
                    }
                }
                let length = headers
                    .iter()
                    .find(|(name, _)| name == "content-length")
                    .and_then(|(_, value)| value.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                log.lock().expect("lock").push((headers, body));
                let status = script.next().unwrap_or(200);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                );
            }
        });
        Receiver { url, received }
    }

    fn wait_for(&self, count: usize, server: &Server) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let received = self.received.lock().expect("lock").clone();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "the hook got {} of {count} requests\n{}",
                received.len(),
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

/// Checks a Standard Webhooks signature the way a receiver would.
fn signature_is_valid(secret: &str, headers: &[(String, String)], body: &[u8]) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("secret");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("key");
    mac.update(
        format!(
            "{}.{}.",
            header(headers, "webhook-id"),
            header(headers, "webhook-timestamp")
        )
        .as_bytes(),
    );
    mac.update(body);
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    header(headers, "webhook-signature")
        .split(' ')
        .any(|signature| signature == expected)
}

fn auth_registry() -> Option<(String, Login)> {
    Some((
        service("REGISTRY_AUTH_ADDR")?,
        Login {
            username: service("REGISTRY_AUTH_USER")?,
            password: service("REGISTRY_AUTH_PASSWORD")?,
        },
    ))
}

fn registries_client(auth: &(String, Login)) -> Client {
    let mut credentials = Credentials::none();
    credentials.insert(&auth.0, auth.1.clone());
    Client::new(credentials, Vec::new())
}

/// Helm with its own configuration folders.
fn helm(helm: &str, home: &Path, args: &[&str]) -> String {
    let output = Command::new(helm)
        .args(args)
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_DATA_HOME", home.join("data"))
        .output()
        .expect("helm runs");
    assert!(
        output.status.success(),
        "helm {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Registers source and target registries, a Helm project with services `api` and `web`,
/// their charts in the built-in repository and the `staging` environment; returns the
/// source digests by service.
fn helm_project(
    server: &Server,
    scratch: &Path,
    source_registry: &str,
    target: &(String, Login),
    namespace: &str,
) -> Vec<(String, String)> {
    let client = registries_client(target);
    server.admin(
        "POST",
        "/api/v1/registries",
        Some(json!({"name": "dev", "kind": "image", "url": format!("{source_registry}/{namespace}")})),
    );
    server.admin(
        "POST",
        "/api/v1/registries",
        Some(
            json!({"name": "prod", "kind": "image", "url": format!("{}/{namespace}/prod", target.0),
                    "username": target.1.username, "password": target.1.password}),
        ),
    );
    server.admin(
        "POST",
        "/api/v1/projects",
        Some(json!({"name": "shop", "kind": "helm", "startup_order": [["api"], ["web"]], "allow_private_hooks": true})),
    );
    server.admin(
        "PUT",
        "/api/v1/projects/shop/environments/staging",
        Some(json!({"production": false})),
    );
    let mut digests = Vec::new();
    for service in ["web", "api"] {
        let (status, _) = upload_chart(server, ADMIN, chart_archive(scratch, service, "0.1.0"));
        assert_eq!(status, 201);
        let image = format!("{source_registry}/{namespace}/{service}:1.0.0");
        let digest = push_image(
            &client,
            &image.parse().expect("reference"),
            &format!("{namespace}-{service}"),
        );
        server.admin(
            "PUT",
            &format!("/api/v1/projects/shop/services/{service}"),
            Some(json!({
                "containers": [{"name": service, "image": image, "values": {"repository": "image.repository", "tag": "image.tag"}}],
                "chart": {"repository": "builtin", "name": service},
            })),
        );
        server.admin(
            "PUT",
            &format!("/api/v1/projects/shop/environments/staging/services/{service}"),
            Some(json!({
                "images": [{"service_module": service, "image": image}],
                "values": {"replicas": 1, "image": {"repository": format!("{source_registry}/{namespace}/{service}"), "tag": "1.0.0"}},
                "chart": {"name": service, "version": "0.1.0"},
            })),
        );
        digests.push((service.to_owned(), digest));
    }
    digests
}

fn a_helm_version_copies_images_by_digest_pushes_charts_and_calls_the_hook(database: Database) {
    let (Some(source_registry), Some(target), Some(helm_bin)) = (
        service("REGISTRY_ADDR"),
        auth_registry(),
        service("HELM_BIN"),
    ) else {
        return;
    };
    let scratch = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&database, scratch.path(), &[]);
    let namespace = unique("serve");
    let digests = helm_project(
        &server,
        scratch.path(),
        &source_registry,
        &target,
        &namespace,
    );
    let receiver = Receiver::start(Vec::new());
    let hook = server.admin(
        "POST",
        "/api/v1/projects/shop/hooks",
        Some(json!({"url": receiver.url, "events": ["version.created", "version.failed"]})),
    );
    let secret = hook["secret"].as_str().expect("secret").to_owned();

    let input = json!({
        "name": "v1.1", "labels": ["prod"], "description": "first release",
        "source": {"from_env": {"environment": "staging", "services": ["web", "api"]}},
        "services": {"api": {"values": {"replicas": 2, "debug": true}}},
        "global_values": {"replicas": 3, "global": {"domain": "prod.example.com"}},
        "image_registry": "prod",
        "chart_repository": "builtin",
        "charts": [{"service": "web", "version": "1.1.0"}],
    });
    // The preview shows the merge: global variables win over the service's own values.
    let preview = server.admin(
        "POST",
        "/api/v1/projects/shop/versions/preview",
        Some(input.clone()),
    );
    assert_eq!(preview["services"][0]["name"], "api");
    assert_eq!(preview["services"][0]["base_values"]["replicas"], 2);
    assert_eq!(preview["services"][0]["values"]["replicas"], 3);
    assert_eq!(preview["services"][0]["values"]["debug"], true);
    assert_eq!(
        preview["services"][0]["chart"]["version"], "0.1.1",
        "suggested above the 0.1.0 the repository has"
    );
    let check = server.admin(
        "GET",
        "/api/v1/projects/shop/versions/check?name=v1.1",
        None,
    );
    assert_eq!(check["available"], true);

    let created = server.admin(
        "POST",
        "/api/v1/projects/shop/versions",
        Some(input.clone()),
    );
    assert_eq!(created["status"], "creating");
    let version = server.finished("shop", "v1.1");
    assert_eq!(version["status"], "success", "{version}");

    // Images: copied to the target with every digest unchanged.
    let client = registries_client(&target);
    let names: Vec<&str> = version["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|service| service["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["api", "web"], "startup order");
    for service in version["services"].as_array().expect("services") {
        let name = service["name"].as_str().expect("name");
        let source_digest = &digests
            .iter()
            .find(|(service, _)| service == name)
            .expect("digest")
            .1;
        let image = &service["images"][0];
        assert_eq!(image["status"], "success", "{image}");
        assert_eq!(&image["source_digest"], source_digest);
        assert_eq!(&image["digest"], source_digest);
        let target_reference = format!("{}/{namespace}/prod/{name}:1.0.0", target.0);
        assert_eq!(image["target"], target_reference);
        let at_target = client
            .manifest_digest(&target_reference.parse().expect("reference"))
            .expect("target exists");
        assert_eq!(&at_target, source_digest);
        assert_eq!(
            service["values"]["image"]["repository"],
            format!("{}/{namespace}/prod/{name}", target.0)
        );
        assert_eq!(service["values"]["replicas"], 3);
        assert_eq!(service["chart"]["status"], "success");
    }
    assert_eq!(
        version["global_values"]["global"]["domain"],
        "prod.example.com"
    );
    assert_eq!(version["labels"], json!(["prod"]));
    assert_eq!(version["source"], "from_env");
    assert_eq!(version["source_environment"], "staging");
    assert!(version["content_digest"]
        .as_str()
        .is_some_and(|digest| digest.starts_with("sha256:")));
    assert_eq!(version["services"][1]["chart"]["version"], "1.1.0");

    // Charts: in the built-in repository, downloadable, and helm reads them.
    let chart_url = version["services"][1]["chart"]["url"]
        .as_str()
        .expect("url")
        .to_owned();
    assert_eq!(chart_url, format!("{}/charts/web-1.1.0.tgz", server.url));
    let (status, bytes) = request("GET", &chart_url, None, None, &[]);
    assert_eq!(status, 200);
    assert_eq!(
        Value::String(verso_registry::digest::sha256(&bytes)),
        version["services"][1]["chart"]["digest"]
    );
    let home = scratch.path().join("helm");
    helm(
        &helm_bin,
        &home,
        &["repo", "add", "verso", &format!("{}/charts", server.url)],
    );
    let search = helm(
        &helm_bin,
        &home,
        &["search", "repo", "verso/", "--versions"],
    );
    assert!(
        search.contains("verso/web") && search.contains("1.1.0") && search.contains("0.1.1"),
        "{search}"
    );
    let pulled = scratch.path().join("pulled");
    helm(
        &helm_bin,
        &home,
        &[
            "pull",
            "verso/web",
            "--version",
            "1.1.0",
            "--untar",
            "--destination",
            pulled.to_str().expect("utf-8"),
        ],
    );
    let rendered = helm(
        &helm_bin,
        &home,
        &[
            "template",
            "release",
            pulled.join("web").to_str().expect("utf-8"),
        ],
    );
    assert!(
        rendered.contains(&format!("{}/{namespace}/prod/web:1.0.0", target.0)),
        "{rendered}"
    );
    assert!(
        rendered.contains("replicas: \"3\"") && rendered.contains("prod.example.com"),
        "{rendered}"
    );

    // The hook: the seed's payload, signed.
    let received = receiver.wait_for(1, &server);
    let (headers, body) = &received[0];
    assert!(signature_is_valid(&secret, headers, body), "{headers:?}");
    let payload: Value = serde_json::from_slice(body).expect("json");
    let mut keys: Vec<&String> = payload.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "charts",
            "end_time",
            "error",
            "project_name",
            "start_time",
            "status",
            "version"
        ]
    );
    assert_eq!(
        (
            &payload["project_name"],
            &payload["version"],
            &payload["status"],
            &payload["error"]
        ),
        (
            &json!("shop"),
            &json!("v1.1"),
            &json!("success"),
            &json!("")
        )
    );
    assert!(payload["start_time"]
        .as_str()
        .is_some_and(|time| time.parse::<u64>().is_ok()));
    assert!(
        payload["end_time"].as_str().expect("end")
            >= payload["start_time"].as_str().expect("start")
    );
    assert_eq!(
        payload["charts"][1],
        json!({
            "chart_name": "web", "chart_version": "1.1.0", "chart_url": chart_url,
            "images": [{"service_module": "web", "image": format!("{}/{namespace}/prod/web:1.0.0", target.0)}],
        })
    );

    // Immutable: the name is taken, a target tag holding other content is refused before
    // anything is pushed, and a deleted version keeps its name.
    let (status, body) = server.call(
        "POST",
        "/api/v1/projects/shop/versions",
        Some(ADMIN),
        Some(input.clone()),
    );
    assert_eq!(status, 409, "{body}");
    let other = format!("{source_registry}/{namespace}/web:1.0.1");
    push_image(
        &client,
        &other.parse().expect("reference"),
        &format!("{namespace}-other"),
    );
    server.admin(
        "PUT",
        "/api/v1/projects/shop/environments/staging/services/web",
        Some(json!({
            "images": [{"service_module": "web", "image": other}],
            "values": {}, "chart": {"name": "web", "version": "0.1.0"},
        })),
    );
    let mut clash = input.clone();
    clash["name"] = json!("v1.2");
    clash["images"] = json!([{"service": "web", "service_module": "web", "tag": "1.0.0"}]);
    clash["charts"] = json!([{"service": "web", "version": "1.2.0"}]);
    let (status, body) = server.call(
        "POST",
        "/api/v1/projects/shop/versions",
        Some(ADMIN),
        Some(clash.clone()),
    );
    assert_eq!(status, 409, "{body}");
    assert!(
        body.to_string().contains("already exists with digest"),
        "{body}"
    );
    let (status, _) = server.call(
        "GET",
        "/api/v1/projects/shop/versions/v1.2",
        Some(ADMIN),
        None,
    );
    assert_eq!(status, 404);
    clash["charts"] = json!([{"service": "web", "version": "1.1.0"}]);
    clash["images"] = json!([{"service": "web", "service_module": "web", "tag": "1.0.1"}]);
    let (status, body) = server.call(
        "POST",
        "/api/v1/projects/shop/versions",
        Some(ADMIN),
        Some(clash),
    );
    assert_eq!(status, 409, "{body}");
    assert!(
        body.to_string().contains("chart web 1.1.0 already exists"),
        "{body}"
    );

    // The version pushed again, to the dev registry: same digests, values pointing there.
    server.admin(
        "POST",
        "/api/v1/projects/shop/versions",
        Some(
            json!({"name": "v1.1-dev", "source": {"from_version": {"version": "v1.1"}},
                    "image_registry": "dev", "chart_repository": "builtin"}),
        ),
    );
    let again = server.finished("shop", "v1.1-dev");
    assert_eq!(again["status"], "success", "{again}");
    assert_eq!(again["source_version"], "v1.1");
    let web = &again["services"][1];
    assert_eq!(
        web["images"][0]["digest"],
        version["services"][1]["images"][0]["digest"]
    );
    assert_eq!(
        web["images"][0]["target"],
        format!("{source_registry}/{namespace}/web:1.0.0")
    );
    assert_eq!(
        web["values"]["image"]["repository"],
        format!("{source_registry}/{namespace}/web")
    );
    assert_eq!(web["values"]["global"]["domain"], "prod.example.com");
    assert_eq!(web["chart"]["version"], "1.1.1");

    let listed = server.admin(
        "GET",
        "/api/v1/projects/shop/versions?label=prod&status=success",
        None,
    );
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["name"], "v1.1");
    let deleted = server.admin("DELETE", "/api/v1/projects/shop/versions/v1.1", None);
    assert!(
        deleted["note"].as_str().expect("note").contains("stay"),
        "{deleted}"
    );
    let check = server.admin(
        "GET",
        "/api/v1/projects/shop/versions/check?name=v1.1",
        None,
    );
    assert_eq!(check["available"], false);
    let audit = server.admin("GET", "/api/v1/audit?project=shop", None);
    let actions: Vec<&str> = audit
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|entry| entry["action"].as_str())
        .collect();
    for action in [
        "project.create",
        "service.put",
        "environment.report",
        "version.create",
        "version.created",
        "hook.create",
        "version.delete",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

fn the_chart_repository_keeps_one_entry_per_version_under_concurrent_uploads(database: Database) {
    let scratch = tempfile::tempdir().expect("tempdir");
    let first = Server::start(&database, scratch.path(), &[]);
    // Two replicas share PostgreSQL; SQLite has one server.
    let second = match &database {
        Database::Postgres(_) => Some(Server::start(
            &database,
            &scratch.path().join("second"),
            &[],
        )),
        Database::Sqlite => None,
    };
    let servers: Vec<&Server> = std::iter::once(&first).chain(second.as_ref()).collect();
    let token = first.admin(
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "ci", "roles": {"any": "developer"}})),
    );
    let token = token["token"].as_str().expect("token").to_owned();

    let archives: Vec<Vec<u8>> = (0..20)
        .map(|n| chart_archive(scratch.path(), "many", &format!("1.0.{n}")))
        .collect();
    std::thread::scope(|scope| {
        for (n, archive) in archives.iter().enumerate() {
            let (server, token) = (servers[n % servers.len()], token.as_str());
            scope.spawn(move || assert_eq!(upload_chart(server, token, archive.clone()).0, 201));
        }
    });
    // The same version 20 times: identical bytes are a no-op, other bytes a conflict.
    let same: Vec<Vec<u8>> = (0..20)
        .map(|n| {
            let folder = scratch.path().join(format!("same{n}"));
            std::fs::create_dir_all(&folder).expect("mkdir");
            let mut archive = chart_archive(&folder, "same", "2.0.0");
            if n % 2 == 1 {
                archive = {
                    std::fs::write(
                        folder.join("same-2.0.0/values.yaml"),
                        format!("replicas: {n}\n"),
                    )
                    .expect("write");
                    package(
                        &load_dir(&folder.join("same-2.0.0")).expect("chart"),
                        &Overrides::default(),
                    )
                    .expect("package")
                    .bytes
                };
            }
            archive
        })
        .collect();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = same
            .iter()
            .enumerate()
            .map(|(n, archive)| {
                let (server, token) = (servers[n % servers.len()], token.as_str());
                scope.spawn(move || upload_chart(server, token, archive.clone()).0)
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("upload"))
            .collect()
    });
    assert_eq!(
        statuses.iter().filter(|status| **status == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|status| [200, 201, 409].contains(status)),
        "{statuses:?}"
    );

    for server in &servers {
        let (status, index) = request(
            "GET",
            &format!("{}/charts/index.yaml", server.url),
            None,
            None,
            &[],
        );
        assert_eq!(status, 200);
        let index = verso_registry::chart::Index::parse(&index, "index.yaml").expect("index");
        assert_eq!(index.versions("many").len(), 20);
        assert_eq!(index.versions("same"), ["2.0.0"]);
    }
    let listed = first.admin("GET", "/api/charts", None);
    assert_eq!(listed["many"].as_array().map(Vec::len), Some(20));

    // ETag: unchanged index → 304; after a change → 200 with a new tag.
    let etag_of = |server: &Server| {
        let response = ureq::get(&format!("{}/charts/index.yaml", server.url))
            .call()
            .expect("index");
        response
            .headers()
            .get("etag")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let etag = etag_of(&first);
    assert!(!etag.is_empty());
    let (status, _) = request(
        "GET",
        &format!("{}/charts/index.yaml", first.url),
        None,
        None,
        &[("if-none-match", &etag)],
    );
    assert_eq!(status, 304);
    let (status, _) = request(
        "DELETE",
        &format!("{}/api/charts/many/1.0.0", first.url),
        Some(&token),
        None,
        &[],
    );
    assert_eq!(status, 403, "deleting needs an admin");
    first.admin("DELETE", "/api/charts/many/1.0.0", None);
    let (status, _) = request(
        "GET",
        &format!("{}/charts/index.yaml", first.url),
        None,
        None,
        &[("if-none-match", &etag)],
    );
    assert_eq!(status, 200);
    let (status, _) = request(
        "HEAD",
        &format!("{}/api/charts/many/1.0.0", first.url),
        None,
        None,
        &[],
    );
    assert_eq!(status, 404);
    let (status, _) = request(
        "HEAD",
        &format!("{}/api/charts/many/1.0.1", first.url),
        None,
        None,
        &[],
    );
    assert_eq!(status, 200);

    // Multipart uploads, like helm-push and curl -F send them.
    let archive = chart_archive(scratch.path(), "form", "0.3.0");
    let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"chart\"; filename=\"whatever.tgz\"\r\nContent-Type: application/gzip\r\n\r\n".to_vec();
    body.extend_from_slice(&archive);
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    let (status, _) = request(
        "POST",
        &format!("{}/api/charts", first.url),
        Some(&token),
        Some(("multipart/form-data; boundary=XyZ", body)),
        &[],
    );
    assert_eq!(status, 201);
    let described = first.admin("GET", "/api/charts/form/0.3.0", None);
    assert_eq!(described["version"], "0.3.0");

    // Hostile or broken uploads say what is wrong; nothing is stored.
    let (status, body) = upload_chart(&first, &token, b"not a chart".to_vec());
    assert_eq!(status, 400, "{body}");
    let (status, _) = request(
        "POST",
        &format!("{}/api/charts", first.url),
        None,
        Some(("application/gzip", archive)),
        &[],
    );
    assert_eq!(status, 401);
}

fn tokens_see_only_their_projects_and_secrets_never_leave_the_server(database: Database) {
    let scratch = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&database, scratch.path(), &[]);
    for project in ["alpha", "beta"] {
        server.admin(
            "POST",
            "/api/v1/projects",
            Some(json!({"name": project, "kind": "k8s-yaml"})),
        );
        server.admin("PUT", &format!("/api/v1/projects/{project}/services/api"), Some(json!({"containers": [{"name": "api", "image": "registry.example.com/api:1"}], "yaml": "image: registry.example.com/api:1\n"})));
    }
    let password = "s3cret-registry-password";
    let registry = server.admin("POST", "/api/v1/registries", Some(json!({"name": "hub", "kind": "image", "url": "registry.example.com/team", "username": "bot", "password": password})));
    assert_eq!(registry["has_password"], true);
    assert!(!registry.to_string().contains(password));
    let viewer = server.admin(
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "alpha viewer", "roles": {"alpha": "viewer"}})),
    );
    let viewer = viewer["token"].as_str().expect("token").to_owned();

    let (status, projects) = server.call("GET", "/api/v1/projects", Some(&viewer), None);
    assert_eq!(status, 200);
    assert_eq!(
        projects.as_array().map(|list| list
            .iter()
            .map(|project| project["name"].clone())
            .collect::<Vec<_>>()),
        Some(vec![json!("alpha")])
    );
    for path in [
        "/api/v1/projects/beta",
        "/api/v1/projects/beta/services",
        "/api/v1/projects/beta/services/api",
        "/api/v1/projects/beta/versions",
        "/api/v1/projects/beta/environments",
    ] {
        let (status, body) = server.call("GET", path, Some(&viewer), None);
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (status, _) = server.call(
        "GET",
        "/api/v1/projects/alpha/services/api",
        Some(&viewer),
        None,
    );
    assert_eq!(status, 200);
    let (status, body) = server.call(
        "PUT",
        "/api/v1/projects/alpha/services/api",
        Some(&viewer),
        Some(json!({"containers": []})),
    );
    assert_eq!(status, 403, "{body}");
    let (status, _) = server.call(
        "PUT",
        "/api/v1/projects/beta/environments/prod/services/api",
        Some(&viewer),
        Some(json!({"images": []})),
    );
    assert_eq!(status, 404);
    let (status, _) = server.call(
        "POST",
        "/api/v1/tokens",
        Some(&viewer),
        Some(json!({"name": "x", "admin": true})),
    );
    assert_eq!(status, 403);
    let (status, _) = server.call("GET", "/api/v1/projects", Some("verso_not-a-token"), None);
    assert_eq!(status, 401);
    let (status, _) = server.call("GET", "/api/v1/projects", None, None);
    assert_eq!(status, 401);

    // The password is sealed at rest: not in the registry list, not in the database.
    let (_, listed) = server.call("GET", "/api/v1/registries", Some(&viewer), None);
    assert!(!listed.to_string().contains(password));
    if let Database::Sqlite = database {
        let mut stored = Vec::new();
        for entry in std::fs::read_dir(scratch.path()).expect("data dir") {
            let path = entry.expect("entry").path();
            if path.to_string_lossy().contains("verso.db") {
                stored.extend(std::fs::read(&path).expect("read"));
            }
        }
        assert!(!stored.is_empty());
        assert!(!stored
            .windows(password.len())
            .any(|window| window == password.as_bytes()));
    }
    let audit = server.admin("GET", "/api/v1/audit", None);
    let entry = audit
        .as_array()
        .expect("list")
        .iter()
        .find(|entry| entry["action"] == "registry.create")
        .expect("audited");
    assert_eq!(entry["object"], "registry/hub");
    assert!(entry["actor"].as_str().expect("actor").contains("admin"));
    assert!(!audit.to_string().contains(password));

    // The OpenAPI document and health need no token.
    let (status, document) = server.call("GET", "/api/v1/openapi.json", None, None);
    assert_eq!(status, 200);
    assert!(document["paths"]["/api/v1/projects/{project}/versions"].is_object());
    assert_eq!(server.call("GET", "/readyz", None, None).0, 200);
}

fn a_version_interrupted_by_a_crash_is_completed_after_a_restart(database: Database) {
    let (Some(source_registry), Some(target)) = (service("REGISTRY_ADDR"), auth_registry()) else {
        return;
    };
    let scratch = tempfile::tempdir().expect("tempdir");
    let namespace = unique("crash");
    let lease = [("VERSO_JOB_LEASE_SECS", "2")];
    let mut crashing = Server::start(
        &database,
        scratch.path(),
        &[("VERSO_SERVE_CRASH_AFTER_ITEMS", "1"), lease[0]],
    );
    let digests = helm_project(
        &crashing,
        scratch.path(),
        &source_registry,
        &target,
        &namespace,
    );
    let request = json!({
        "name": "v2", "source": {"from_env": {"environment": "staging"}},
        "image_registry": "prod", "chart_repository": "builtin",
    });
    let (status, body) = crashing.call(
        "POST",
        "/api/v1/projects/shop/versions",
        Some(ADMIN),
        Some(request),
    );
    assert_eq!(status, 201, "{body}");
    let exit = crashing.child.wait().expect("the server stops");
    assert!(!exit.success(), "the server was to abort after one item");
    assert!(
        crashing
            .log()
            .contains("stopping the process after 1 items"),
        "{}",
        crashing.log()
    );

    let restarted = Server::start(&database, scratch.path(), &lease);
    let version = restarted.finished("shop", "v2");
    assert_eq!(version["status"], "success", "{version}");
    let client = registries_client(&target);
    for (service, digest) in &digests {
        let reference = format!("{}/{namespace}/prod/{service}:1.0.0", target.0);
        assert_eq!(
            &client
                .manifest_digest(&reference.parse().expect("reference"))
                .expect("copied"),
            digest
        );
    }
    assert!(
        version["job"]["attempts"].as_i64().expect("attempts") >= 2,
        "{}",
        version["job"]
    );
    assert_eq!(version["services"][0]["chart"]["version"], "0.1.1");
}

fn hooks_are_signed_retried_and_redelivered(database: Database) {
    let Some(source_registry) = service("REGISTRY_ADDR") else {
        return;
    };
    let scratch = tempfile::tempdir().expect("tempdir");
    let server = Server::start(
        &database,
        scratch.path(),
        &[("VERSO_HOOK_BACKOFF_MS", "200")],
    );
    let client = Client::new(Credentials::none(), Vec::new());
    let namespace = unique("hooks");
    let image = format!("{source_registry}/{namespace}/api:3.1.0");
    let digest = push_image(&client, &image.parse().expect("reference"), &namespace);
    server.admin(
        "POST",
        "/api/v1/projects",
        Some(json!({"name": "plain", "kind": "k8s-yaml"})),
    );
    // A hook to loopback is refused until the project allows private addresses.
    let receiver = Receiver::start(vec![503, 500]);
    let (status, body) = server.call(
        "POST",
        "/api/v1/projects/plain/hooks",
        Some(ADMIN),
        Some(json!({"url": receiver.url, "events": ["version.created"]})),
    );
    assert_eq!(status, 400);
    assert!(body.to_string().contains("allow_private_hooks"), "{body}");
    server.admin(
        "PUT",
        "/api/v1/projects/plain",
        Some(json!({"name": "plain", "kind": "k8s-yaml", "allow_private_hooks": true})),
    );
    let hook = server.admin(
        "POST",
        "/api/v1/projects/plain/hooks",
        Some(json!({"url": receiver.url, "events": ["version.created"]})),
    );
    let secret = hook["secret"].as_str().expect("secret").to_owned();
    let yaml = format!("kind: Deployment\nspec:\n  containers:\n    - image: {image}\n");
    server.admin(
        "PUT",
        "/api/v1/projects/plain/services/api",
        Some(json!({"containers": [{"name": "api", "image": image}]})),
    );
    server.admin("PUT", "/api/v1/projects/plain/environments/qa/services/api", Some(json!({"images": [{"service_module": "api", "image": image, "digest": digest}], "yaml": yaml})));
    server.admin(
        "POST",
        "/api/v1/projects/plain/versions",
        Some(json!({"name": "r1", "source": {"from_env": {"environment": "qa"}}})),
    );
    let version = server.finished("plain", "r1");
    assert_eq!(version["status"], "success", "{version}");
    assert_eq!(version["services"][0]["images"][0]["status"], "skipped");
    assert_eq!(version["services"][0]["yaml"], yaml);

    // Two failures, then delivered: three attempts, one webhook-id, every one signed.
    let received = receiver.wait_for(3, &server);
    let ids: Vec<&str> = received
        .iter()
        .map(|(headers, _)| header(headers, "webhook-id"))
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0] && !id.is_empty()),
        "{ids:?}"
    );
    for (headers, body) in &received {
        assert!(signature_is_valid(&secret, headers, body));
    }
    let payload: Value = serde_json::from_slice(&received[0].1).expect("json");
    assert_eq!(
        payload["charts"],
        json!([{"chart_name": "api", "chart_version": "", "chart_url": "", "images": [{"service_module": "api", "image": format!("{image}@{digest}")}]}])
    );
    let hook_id = hook["id"].as_str().expect("id");
    let deliveries = poll_delivery(&server, hook_id, "delivered");
    let attempts: Vec<Value> = deliveries["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|attempt| attempt["status_code"].clone())
        .collect();
    assert_eq!(attempts, [json!(503), json!(500), json!(200)]);

    let delivery = deliveries["id"].as_str().expect("id");
    server.admin(
        "POST",
        &format!("/api/v1/projects/plain/deliveries/{delivery}/redeliver"),
        None,
    );
    let again = receiver.wait_for(4, &server);
    assert_eq!(header(&again[3].0, "webhook-id"), ids[0]);
    assert!(signature_is_valid(&secret, &again[3].0, &again[3].1));
}

fn poll_delivery(server: &Server, hook: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let list = server.admin(
            "GET",
            &format!("/api/v1/projects/plain/hooks/{hook}/deliveries"),
            None,
        );
        if list[0]["status"] == status {
            return list[0].clone();
        }
        assert!(Instant::now() < deadline, "{list}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn a_failed_version_announces_itself_and_its_retry_runs_only_the_failed_items(database: Database) {
    let (Some(source_registry), Some(target)) = (service("REGISTRY_ADDR"), auth_registry()) else {
        return;
    };
    let scratch = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&database, scratch.path(), &[]);
    let namespace = unique("retry");
    let digests = helm_project(
        &server,
        scratch.path(),
        &source_registry,
        &target,
        &namespace,
    );
    let receiver = Receiver::start(Vec::new());
    server.admin(
        "POST",
        "/api/v1/projects/shop/hooks",
        Some(json!({"url": receiver.url, "events": ["version.failed"]})),
    );
    // `web` goes to the registry that needs a login, with a wrong password; `api` stays.
    server.admin(
        "PUT",
        "/api/v1/registries/prod",
        Some(
            json!({"name": "prod", "kind": "image", "url": format!("{}/{namespace}/prod", target.0),
                    "username": target.1.username, "password": "wrong"}),
        ),
    );
    let input = json!({
        "name": "v3", "source": {"from_env": {"environment": "staging"}},
        "image_registry": "prod", "chart_repository": "builtin",
        "images": [{"service": "api", "service_module": "api", "push": false}],
    });
    // The conflict check already needs the login: refused before anything is stored.
    let (status, body) = server.call(
        "POST",
        "/api/v1/projects/shop/versions",
        Some(ADMIN),
        Some(input.clone()),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("credentials"), "{body}");
    // With the right password it is created; `api`'s image is not pushed (`push: false`).
    server.admin(
        "PUT",
        "/api/v1/registries/prod",
        Some(
            json!({"name": "prod", "kind": "image", "url": format!("{}/{namespace}/prod", target.0),
                    "username": target.1.username, "password": target.1.password}),
        ),
    );
    server.admin("POST", "/api/v1/projects/shop/versions", Some(input));
    let version = server.finished("shop", "v3");
    assert_eq!(version["status"], "success", "{version}");
    assert_eq!(version["services"][0]["images"][0]["status"], "skipped");
    assert_eq!(version["services"][1]["images"][0]["status"], "success");

    // A version whose chart source is gone fails, says why, and is announced.
    server.admin("DELETE", "/api/charts/web/0.1.0", None);
    server.admin(
        "POST",
        "/api/v1/projects/shop/versions",
        Some(json!({"name": "v4", "source": {"from_env": {"environment": "staging"}},
                    "image_registry": "prod", "chart_repository": "builtin",
                    "images": [{"service": "api", "service_module": "api", "tag": "4.0.0"},
                               {"service": "web", "service_module": "web", "tag": "4.0.0"}],
                    "charts": [{"service": "api", "version": "4.0.0"}, {"service": "web", "version": "4.0.0"}]})),
    );
    let failed = server.finished("shop", "v4");
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["error"].as_str().expect("error").contains("web"),
        "{failed}"
    );
    assert_eq!(
        failed["services"][0]["chart"]["status"], "success",
        "api's chart was pushed"
    );
    assert_eq!(failed["services"][1]["chart"]["status"], "failed");
    assert!(failed["content_digest"].is_null());
    let received = receiver.wait_for(1, &server);
    let payload: Value = serde_json::from_slice(&received[0].1).expect("json");
    assert_eq!(payload["status"], "failed");
    assert_eq!(payload["version"], "v4");
    assert!(
        payload["error"].as_str().expect("error").contains("web"),
        "{payload}"
    );

    // Retry after the chart is back: only the failed chart runs again.
    let (status, _) = upload_chart(
        &server,
        ADMIN,
        chart_archive(&scratch.path().join("again"), "web", "0.1.0"),
    );
    assert_eq!(status, 201);
    let api_log = failed["services"][0]["chart"]["log"].clone();
    let retried = server.admin("POST", "/api/v1/projects/shop/versions/v4/retry", None);
    assert_eq!(retried["status"], "retrying");
    let done = server.finished("shop", "v4");
    assert_eq!(done["status"], "success", "{done}");
    assert_eq!(
        done["services"][0]["chart"]["log"], api_log,
        "api's chart was not pushed again"
    );
    assert_eq!(done["services"][1]["chart"]["status"], "success");
    assert!(done["content_digest"]
        .as_str()
        .is_some_and(|digest| digest.starts_with("sha256:")));
    let client = registries_client(&target);
    let web = format!("{}/{namespace}/prod/web:4.0.0", target.0);
    assert_eq!(
        &client
            .manifest_digest(&web.parse().expect("reference"))
            .expect("copied"),
        &digests[0].1
    );
    let (status, _) = server.call(
        "POST",
        "/api/v1/projects/shop/versions/v4/retry",
        Some(ADMIN),
        None,
    );
    assert_eq!(status, 409, "a successful version is not retried");
}
