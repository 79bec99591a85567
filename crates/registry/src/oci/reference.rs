//! Image references: `host[:port]/path/name[:tag][@digest]`, with Docker Hub's shorthands
//! (`nginx` = `docker.io/library/nginx:latest`), parsed by grammar rather than by splitting on
//! the first `:` or `/` (a port is not a tag, `localhost:5000/app` is not on Docker Hub).

use std::fmt;
use std::str::FromStr;

use crate::digest;

/// Docker Hub's name in references.
pub const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";
const MAX_NAME_LENGTH: usize = 255;

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// `host` or `host:port`; `docker.io` for Docker Hub.
    pub registry: String,
    /// The repository path inside the registry, e.g. `library/nginx` or `team/app`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    /// The host to send API requests to (Docker Hub's API lives on another name).
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// What to ask the registry for: the digest when there is one, else the tag, else `latest`.
    pub fn target(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The same repository with another tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> Reference {
        Reference {
            tag: Some(tag.to_owned()),
            digest: None,
            ..self.clone()
        }
    }

    /// The same repository pinned to a digest (the tag kept for display).
    pub fn with_digest(&self, digest: &str) -> Reference {
        Reference {
            digest: Some(digest.to_owned()),
            ..self.clone()
        }
    }

    /// Registries on this machine, which docker speaks to over plain HTTP.
    pub fn is_local(&self) -> bool {
        is_local_host(&self.registry)
    }
}

/// `localhost`, `127.*` and `[::1]`, with or without a port.
pub fn is_local_host(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        registry.split(':').next().unwrap_or("")
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

impl fmt::Display for Reference {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(formatter, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(formatter, "@{digest}")?;
        }
        Ok(())
    }
}

impl FromStr for Reference {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, String> {
        let text = input
            .strip_prefix("docker://")
            .or_else(|| input.strip_prefix("oci://"))
            .unwrap_or(input);
        let problem = |why: &str| format!("invalid image reference `{input}`: {why}");
        if text.is_empty() {
            return Err(problem("it is empty"));
        }
        if text.contains("://") {
            return Err(problem("only docker:// and oci:// prefixes are understood"));
        }
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => {
                digest::validate(digest).map_err(|why| problem(&why))?;
                (rest, Some(digest.to_owned()))
            }
            None => (text, None),
        };
        // A tag follows the last `:` only when no `/` comes after it (else it is a port).
        let (name, tag) = match rest.rfind(':') {
            Some(colon) if !rest[colon..].contains('/') => {
                (&rest[..colon], Some(rest[colon + 1..].to_owned()))
            }
            _ => (rest, None),
        };
        if let Some(tag) = &tag {
            validate_tag(tag).map_err(|why| problem(&why))?;
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, remainder))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.starts_with('[')
                    || first.bytes().any(|byte| byte.is_ascii_uppercase()) =>
            {
                validate_host(first).map_err(|why| problem(&why))?;
                let registry = if first == "index.docker.io" {
                    DOCKER_HUB
                } else {
                    first
                };
                (registry.to_owned(), remainder.to_owned())
            }
            _ => (DOCKER_HUB.to_owned(), name.to_owned()),
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        validate_repository(&repository).map_err(|why| problem(&why))?;
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }
}

fn validate_tag(tag: &str) -> Result<(), String> {
    let word = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    let bytes = tag.as_bytes();
    if bytes.is_empty() {
        return Err("the tag after `:` is empty".into());
    }
    if bytes.len() > 128
        || !word(bytes[0])
        || !bytes
            .iter()
            .all(|&byte| word(byte) || byte == b'.' || byte == b'-')
    {
        return Err(format!(
            "tag `{tag}` must be 1-128 letters, digits, `_`, `.` or `-`, not starting with `.` or `-`"
        ));
    }
    Ok(())
}

fn validate_host(host: &str) -> Result<(), String> {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let (address, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("registry `{host}` has an unclosed `[`"))?;
        if address.is_empty() || !address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err(format!("registry `{host}` is not an IPv6 address"));
        }
        (None, after.strip_prefix(':'))
    } else {
        match host.split_once(':') {
            Some((name, port)) => (Some(name), Some(port)),
            None => (Some(host), None),
        }
    };
    if let Some(name) = name {
        let label_ok = |label: &str| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if !name.split('.').all(label_ok) {
            return Err(format!("registry host `{name}` is not a valid host name"));
        }
    }
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("registry port `{port}` is not a number"));
        }
    }
    Ok(())
}

/// Path components of lowercase letters and digits joined by `.`, `_`, `__` or runs of `-`.
fn validate_repository(repository: &str) -> Result<(), String> {
    if repository.len() > MAX_NAME_LENGTH {
        return Err(format!(
            "the repository name is longer than {MAX_NAME_LENGTH} characters"
        ));
    }
    for component in repository.split('/') {
        if !component_ok(component.as_bytes()) {
            let hint = if component.bytes().any(|b| b.is_ascii_uppercase()) {
                " (repository names are lowercase)"
            } else {
                ""
            };
            return Err(format!(
                "`{component}` is not a valid repository path component{hint}"
            ));
        }
    }
    Ok(())
}

fn component_ok(bytes: &[u8]) -> bool {
    let alnum = |byte: &u8| byte.is_ascii_lowercase() || byte.is_ascii_digit();
    let mut index = 0;
    loop {
        let start = index;
        while index < bytes.len() && alnum(&bytes[index]) {
            index += 1;
        }
        if index == start {
            return false;
        }
        if index == bytes.len() {
            return true;
        }
        let separator_start = index;
        match bytes[index] {
            b'.' => index += 1,
            b'_' => {
                index += 1;
                if bytes.get(index) == Some(&b'_') {
                    index += 1;
                }
            }
            b'-' => {
                while bytes.get(index) == Some(&b'-') {
                    index += 1;
                }
            }
            _ => return false,
        }
        debug_assert!(index > separator_start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Reference {
        text.parse()
            .unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    #[test]
    fn docker_hub_shorthands() {
        assert_eq!(parse("nginx").to_string(), "docker.io/library/nginx");
        assert_eq!(
            parse("nginx:1.27").to_string(),
            "docker.io/library/nginx:1.27"
        );
        assert_eq!(parse("bitnami/redis:7").repository, "bitnami/redis");
        assert_eq!(parse("index.docker.io/nginx").registry, "docker.io");
        assert_eq!(parse("docker.io/nginx").repository, "library/nginx");
        assert_eq!(parse("nginx").api_host(), "registry-1.docker.io");
        assert_eq!(parse("nginx").target(), "latest");
    }

    #[test]
    fn ports_are_not_tags() {
        let reference = parse("localhost:5000/team/app");
        assert_eq!(reference.registry, "localhost:5000");
        assert_eq!(reference.repository, "team/app");
        assert_eq!(reference.tag, None);
        let reference = parse("registry.example.com:8443/app:v1.2.3-rc.1");
        assert_eq!(reference.registry, "registry.example.com:8443");
        assert_eq!(reference.tag.as_deref(), Some("v1.2.3-rc.1"));
        assert!(parse("localhost:5000/app").is_local());
        assert!(parse("127.0.0.1:5000/app").is_local());
        assert!(parse("[::1]:5000/app").is_local());
        assert!(!parse("registry.example.com/app").is_local());
        assert_eq!(parse("[::1]:5000/app").registry, "[::1]:5000");
    }

    #[test]
    fn digests_and_ecr_style_names() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let reference = parse(&format!(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.0@{digest}"
        ));
        assert_eq!(reference.repository, "app");
        assert_eq!(reference.tag.as_deref(), Some("1.0"));
        assert_eq!(reference.target(), digest);
        let reference = parse(&format!("host:5000/a/b@{digest}"));
        assert_eq!(
            (reference.tag, reference.registry.as_str()),
            (None, "host:5000")
        );
        assert_eq!(
            parse("oci://ghcr.io/org/charts/app:1.0.0").repository,
            "org/charts/app"
        );
        assert_eq!(parse("a__b/c-d--e.f_g").repository, "a__b/c-d--e.f_g");
    }

    #[test]
    fn refusals_say_why() {
        for (input, why) in [
            ("", "empty"),
            ("Nginx", "lowercase"),
            ("host:5000/App:1", "lowercase"),
            ("app:", "tag after"),
            ("app:-x", "not starting"),
            ("app@sha256:abc", "64 lowercase hex"),
            ("app@md5:abc", "unsupported"),
            ("http://host/app", "prefixes"),
            ("host:50a0/app", "port"),
            ("a..b", "path component"),
            ("a/_b", "path component"),
            ("-host.io/app", "host name"),
        ] {
            let error = input.parse::<Reference>().expect_err(input);
            assert!(error.contains(why), "{input}: {error}");
        }
    }
}
