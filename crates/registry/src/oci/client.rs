//! A client for the OCI distribution API: picks HTTP or HTTPS per registry, answers basic and
//! bearer challenges (token per registry and scope, cached), and retries transient failures.
//! Credentials come from explicit logins or docker's `config.json` (and its credential
//! helpers); they are never printed, logged or put in error messages.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use base64::Engine as _;
use serde::Deserialize;
use ureq::http::Request;
use ureq::SendBody;

use crate::error::Error;
use crate::http::{header, read_body, status_error, Http, HttpResponse, Retry};
use crate::oci::reference::{is_local_host, DOCKER_HUB};

/// A user name and password (or token) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub username: String,
    pub password: String,
}

impl Login {
    /// `USER:PASSWORD`, as `--creds` flags take it.
    pub fn parse(text: &str) -> Result<Login, Error> {
        let (username, password) = text.split_once(':').ok_or_else(|| {
            Error::Invalid("credentials must be given as USER:PASSWORD".to_owned())
        })?;
        Ok(Login {
            username: username.to_owned(),
            password: password.to_owned(),
        })
    }

    pub(crate) fn basic(&self) -> String {
        let pair = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }
}

impl fmt::Debug for Login {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Login({}, <redacted>)", self.username)
    }
}

/// Where logins come from: explicit ones first, then docker's configuration.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    explicit: HashMap<String, Login>,
    docker: Option<DockerConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: HashMap<String, DockerAuth>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Clone, Default, Deserialize)]
struct DockerAuth {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

impl fmt::Debug for DockerAuth {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("DockerAuth(<redacted>)")
    }
}

impl Credentials {
    /// No logins: anonymous access only.
    pub fn none() -> Self {
        Credentials::default()
    }

    /// Docker's configuration: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
    /// A missing file means no logins; a malformed one is an error naming it.
    pub fn from_docker_config() -> Result<Self, Error> {
        let path = match std::env::var_os("DOCKER_CONFIG") {
            Some(folder) => PathBuf::from(folder).join("config.json"),
            None => match std::env::var_os("HOME") {
                Some(home) => PathBuf::from(home).join(".docker/config.json"),
                None => return Ok(Credentials::none()),
            },
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Credentials::none())
            }
            Err(error) => return Err(Error::io(path, error)),
        };
        let docker = serde_json::from_str(&text).map_err(|error| {
            Error::Invalid(format!(
                "{}: not a docker config file: {error}",
                path.display()
            ))
        })?;
        Ok(Credentials {
            explicit: HashMap::new(),
            docker: Some(docker),
        })
    }

    /// Adds a login for `registry` (`host[:port]`), ahead of docker's configuration.
    pub fn insert(&mut self, registry: &str, login: Login) {
        self.explicit.insert(registry.to_owned(), login);
    }

    /// The login for `registry`, if any.
    pub fn lookup(&self, registry: &str) -> Result<Option<Login>, Error> {
        if let Some(login) = self.explicit.get(registry) {
            return Ok(Some(login.clone()));
        }
        let Some(docker) = &self.docker else {
            return Ok(None);
        };
        let names: &[&str] = if registry == DOCKER_HUB {
            &["docker.io", "index.docker.io", "registry-1.docker.io"]
        } else {
            &[registry]
        };
        let helper = names
            .iter()
            .find_map(|name| docker.cred_helpers.get(*name))
            .or(docker.creds_store.as_ref());
        for (key, auth) in &docker.auths {
            if names.contains(&config_host(key)) {
                if let Some(login) = decode_auth(auth, registry)? {
                    return Ok(Some(login));
                }
            }
        }
        match helper {
            Some(helper) => ask_helper(helper, registry),
            None => Ok(None),
        }
    }
}

/// `https://index.docker.io/v1/` → `index.docker.io`.
fn config_host(key: &str) -> &str {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    key.split('/').next().unwrap_or(key)
}

fn decode_auth(auth: &DockerAuth, registry: &str) -> Result<Option<Login>, Error> {
    if let (Some(username), Some(password)) = (&auth.username, &auth.password) {
        return Ok(Some(Login {
            username: username.clone(),
            password: password.clone(),
        }));
    }
    let Some(encoded) = auth.auth.as_deref().filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        Error::Invalid(format!(
            "the docker config entry for {registry} has an `auth` value that is not base64 of USER:PASSWORD"
        ))
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    Login::parse(&decoded).map(Some).map_err(|_| bad())
}

/// Runs `docker-credential-<helper> get`, as docker does.
fn ask_helper(helper: &str, registry: &str) -> Result<Option<Login>, Error> {
    let program = format!("docker-credential-{helper}");
    let server = if registry == DOCKER_HUB {
        "https://index.docker.io/v1/"
    } else {
        registry
    };
    let spawned = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            return Err(Error::Auth(format!(
                "docker's config names the credential helper `{program}` for {registry}, but it cannot be run: {error}"
            )))
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write as _;
        stdin
            .write_all(server.as_bytes())
            .map_err(|error| Error::Auth(format!("{program}: {error}")))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|error| Error::Auth(format!("{program}: {error}")))?;
    if !output.status.success() {
        // Helpers say "credentials not found" with a failure status: no login, not an error.
        return Ok(None);
    }
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "Username")]
        username: String,
        #[serde(rename = "Secret")]
        secret: String,
    }
    let answer: Answer = serde_json::from_slice(&output.stdout).map_err(|_| {
        Error::Auth(format!(
            "{program} answered something other than {{\"Username\",\"Secret\"}}"
        ))
    })?;
    Ok(Some(Login {
        username: answer.username,
        password: answer.secret,
    }))
}

/// Access to one repository: `repository:<name>:pull` or `…:pull,push`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(String);

impl Scope {
    pub fn pull(repository: &str) -> Scope {
        Scope(format!("repository:{repository}:pull"))
    }

    pub fn push(repository: &str) -> Scope {
        Scope(format!("repository:{repository}:pull,push"))
    }
}

/// How a registry asked to be authenticated.
#[derive(Debug, Clone)]
enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

/// A registry client, shareable between threads.
#[derive(Debug)]
pub struct Client {
    http: Http,
    credentials: Credentials,
    plain_http: Vec<String>,
    challenges: Mutex<HashMap<String, Challenge>>,
    tokens: Mutex<HashMap<String, String>>,
}

impl Client {
    /// A client with default retries; registries listed in `plain_http` (and every local one)
    /// are spoken to over HTTP, all others over HTTPS.
    pub fn new(credentials: Credentials, plain_http: Vec<String>) -> Self {
        Client::with_retry(credentials, plain_http, Retry::default())
    }

    pub fn with_retry(credentials: Credentials, plain_http: Vec<String>, retry: Retry) -> Self {
        Client {
            http: Http::new(retry, 10),
            credentials,
            plain_http,
            challenges: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    pub fn retry(&self) -> Retry {
        self.http.retry()
    }

    /// The HTTP client underneath, for chart repositories.
    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    /// The login for a host (`host[:port]`), if any.
    pub(crate) fn login(&self, host: &str) -> Result<Option<Login>, Error> {
        self.credentials.lookup(host)
    }

    /// `http://host` or `https://host` for a registry.
    pub fn base_url(&self, registry: &str, api_host: &str) -> String {
        let plain = is_local_host(registry) || self.plain_http.iter().any(|h| h == registry);
        format!("{}://{api_host}", if plain { "http" } else { "https" })
    }

    /// Sends a request with an in-memory body, authenticating as the registry asks and
    /// retrying transient failures.
    pub(crate) fn request(
        &self,
        registry: &str,
        scopes: &[Scope],
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<HttpResponse, Error> {
        let mut challenged = false;
        loop {
            let mut all = headers.to_vec();
            if let Some(value) = self.authorization(registry, scopes)? {
                all.push(("authorization", value));
            }
            let response = self.http.send(method, url, &all, body)?;
            if response.status().as_u16() != 401 || challenged {
                if response.status().as_u16() == 401 {
                    return Err(self.refused(registry));
                }
                return Ok(response);
            }
            challenged = true;
            self.learn(registry, scopes, &response)?;
        }
    }

    /// PUTs a streamed blob of `length` bytes once (a stream cannot be replayed; callers
    /// retry the whole transfer). Authentication must already be known, from an earlier
    /// request with the same scopes.
    pub(crate) fn put_stream(
        &self,
        registry: &str,
        scopes: &[Scope],
        url: &str,
        body: &mut dyn Read,
        length: u64,
    ) -> Result<HttpResponse, Error> {
        let mut builder = Request::builder()
            .method("PUT")
            .uri(url)
            .header("content-length", length)
            .header("content-type", "application/octet-stream");
        if let Some(value) = self.authorization(registry, scopes)? {
            builder = builder.header("authorization", value);
        }
        let request = builder
            .body(SendBody::from_reader(body))
            .map_err(|error| Error::Invalid(format!("cannot build a request to {url}: {error}")))?;
        let response = self.http.send_once(request)?;
        if response.status().as_u16() == 401 {
            self.forget_token(registry, scopes);
        }
        Ok(response)
    }

    fn token_key(registry: &str, scopes: &[Scope]) -> String {
        let mut names: Vec<&str> = scopes.iter().map(|scope| scope.0.as_str()).collect();
        names.sort_unstable();
        format!("{registry} {}", names.join(" "))
    }

    fn forget_token(&self, registry: &str, scopes: &[Scope]) {
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.remove(&Client::token_key(registry, scopes));
        }
    }

    fn authorization(&self, registry: &str, scopes: &[Scope]) -> Result<Option<String>, Error> {
        let challenge = self
            .challenges
            .lock()
            .ok()
            .and_then(|challenges| challenges.get(registry).cloned());
        match challenge {
            None => Ok(None),
            Some(Challenge::Basic) => Ok(self
                .credentials
                .lookup(registry)?
                .map(|login| login.basic())),
            Some(Challenge::Bearer { realm, service }) => {
                let key = Client::token_key(registry, scopes);
                let cached = self
                    .tokens
                    .lock()
                    .ok()
                    .and_then(|tokens| tokens.get(&key).cloned());
                let token = match cached {
                    Some(token) => token,
                    None => {
                        let token =
                            self.fetch_token(registry, &realm, service.as_deref(), scopes)?;
                        if let Ok(mut tokens) = self.tokens.lock() {
                            tokens.insert(key, token.clone());
                        }
                        token
                    }
                };
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    /// Records the challenge of a 401 answer, so the next attempt can answer it.
    fn learn(
        &self,
        registry: &str,
        scopes: &[Scope],
        response: &HttpResponse,
    ) -> Result<(), Error> {
        let value = header(response, "www-authenticate").unwrap_or("");
        let challenge = parse_challenge(value).ok_or_else(|| {
            Error::Auth(format!(
                "{registry} refused the request (401) without a usable WWW-Authenticate challenge"
            ))
        })?;
        if matches!(challenge, Challenge::Basic) && self.credentials.lookup(registry)?.is_none() {
            return Err(self.refused(registry));
        }
        self.forget_token(registry, scopes);
        if let Ok(mut challenges) = self.challenges.lock() {
            challenges.insert(registry.to_owned(), challenge);
        }
        Ok(())
    }

    fn refused(&self, registry: &str) -> Error {
        let has_login = matches!(self.credentials.lookup(registry), Ok(Some(_)));
        if has_login {
            Error::Auth(format!(
                "{registry} refused the credentials verso has for it (401); check them with `docker login {registry}` or the --creds option"
            ))
        } else {
            Error::Auth(format!(
                "{registry} requires a login (401): run `docker login {registry}` or pass credentials with the --creds options"
            ))
        }
    }

    fn fetch_token(
        &self,
        registry: &str,
        realm: &str,
        service: Option<&str>,
        scopes: &[Scope],
    ) -> Result<String, Error> {
        let mut url = realm.to_owned();
        let mut separator = if url.contains('?') { '&' } else { '?' };
        for (name, value) in service
            .map(|service| ("service", service))
            .into_iter()
            .chain(scopes.iter().map(|scope| ("scope", scope.0.as_str())))
        {
            url.push(separator);
            url.push_str(name);
            url.push('=');
            url.push_str(&query_escape(value));
            separator = '&';
        }
        let mut headers = Vec::new();
        if let Some(login) = self.credentials.lookup(registry)? {
            headers.push(("authorization", login.basic()));
        }
        let mut response = self.http.send("GET", &url, &headers, &[])?;
        match response.status().as_u16() {
            200 => {}
            401 | 403 => return Err(self.refused(registry)),
            _ => return Err(status_error("GET", realm, response)),
        }
        #[derive(Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let body = read_body(&mut response, realm, 1024 * 1024)?;
        let token: Token = serde_json::from_slice(&body).map_err(|_| {
            Error::Auth(format!(
                "the token service of {registry} ({realm}) answered something other than a token"
            ))
        })?;
        token.token.or(token.access_token).ok_or_else(|| {
            Error::Auth(format!(
                "the token service of {registry} ({realm}) sent no token"
            ))
        })
    }
}

/// `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
fn parse_challenge(value: &str) -> Option<Challenge> {
    let (scheme, parameters) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let mut rest = parameters.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, remainder) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "realm" => realm = Some(value.to_owned()),
            "service" => service = Some(value.to_owned()),
            _ => {}
        }
        rest = remainder.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge::Bearer {
        realm: realm?,
        service,
    })
}

/// Percent-encodes a query value.
pub(crate) fn query_escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        match parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
        ) {
            Some(Challenge::Bearer { realm, service }) => {
                assert_eq!(realm, "https://auth.docker.io/token");
                assert_eq!(service.as_deref(), Some("registry.docker.io"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_challenge(r#"Basic realm="registry""#),
            Some(Challenge::Basic)
        ));
        assert!(parse_challenge("Negotiate").is_none());
        assert!(parse_challenge(r#"Bearer service="x""#).is_none());
    }

    #[test]
    fn docker_config_logins() {
        let folder = tempfile::tempdir().expect("tempdir");
        let encoded = base64::engine::general_purpose::STANDARD.encode("ci:s3cret");
        let config = format!(
            r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{encoded}"}},"registry.example.com:5000":{{"username":"u","password":"p"}}}}}}"#
        );
        std::fs::write(folder.path().join("config.json"), config).expect("write");
        let docker: DockerConfig = serde_json::from_str(
            &std::fs::read_to_string(folder.path().join("config.json")).expect("read"),
        )
        .expect("parse");
        let credentials = Credentials {
            explicit: HashMap::new(),
            docker: Some(docker),
        };
        let hub = credentials.lookup(DOCKER_HUB).expect("lookup");
        assert_eq!(
            hub.as_ref().map(|login| login.username.as_str()),
            Some("ci")
        );
        assert_eq!(
            credentials
                .lookup("registry.example.com:5000")
                .expect("lookup")
                .map(|login| login.password),
            Some("p".to_owned())
        );
        assert_eq!(credentials.lookup("other.io").expect("lookup"), None);
        assert!(!format!("{hub:?}").contains("s3cret"));
        assert_eq!(
            query_escape("repository:a/b:pull,push"),
            "repository%3Aa%2Fb%3Apull%2Cpush"
        );
    }
}
