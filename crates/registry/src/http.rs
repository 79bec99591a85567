//! The HTTP layer under the registry and chart repository clients: one connection pool,
//! statuses as values (not errors), and bounded retries of transient failures.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ureq::http::{Request, Response};
use ureq::{AsSendBody, Body};

use crate::error::{is_transient_status, Error};

/// How often and how patiently transient failures (429, 5xx, broken connections) are retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first pause; each further pause doubles, plus up to 25% jitter.
    pub base: Duration,
    /// No pause is longer, whatever `Retry-After` asks for.
    pub max_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 5,
            base: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl Retry {
    /// The pause before attempt `attempt + 1` (`attempt` counts from 1).
    pub fn delay(&self, attempt: u32, retry_after: Option<&str>) -> Duration {
        if let Some(seconds) = retry_after.and_then(|value| value.trim().parse::<u64>().ok()) {
            return Duration::from_secs(seconds).min(self.max_delay);
        }
        let exponential = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let jitter = exponential / 4 * (nanos % 1000) / 1000;
        (exponential + jitter).min(self.max_delay)
    }
}

/// A shared HTTP client.
#[derive(Debug, Clone)]
pub struct Http {
    agent: ureq::Agent,
    retry: Retry,
}

pub type HttpResponse = Response<Body>;

impl Http {
    /// A client that follows up to `max_redirects` redirects (registries send blob downloads
    /// to storage with a redirect; credentials are never forwarded to another host).
    pub fn new(retry: Retry, max_redirects: u32) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(max_redirects)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(300)))
            .user_agent(concat!("verso/", env!("CARGO_PKG_VERSION")))
            .build();
        Http {
            agent: config.into(),
            retry,
        }
    }

    pub fn retry(&self) -> Retry {
        self.retry
    }

    /// Sends one request once; a transport failure becomes [`Error::Transport`].
    pub fn send_once<B: AsSendBody>(&self, request: Request<B>) -> Result<HttpResponse, Error> {
        let method = request.method().to_string();
        let url = request.uri().to_string();
        self.agent.run(request).map_err(|error| Error::Transport {
            method,
            url,
            message: error.to_string(),
        })
    }

    /// Sends a request with an in-memory body, retrying transient failures. The last answer
    /// is returned whatever its status; only a transport failure on the last attempt is an
    /// error.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<HttpResponse, Error> {
        let mut attempt = 1;
        loop {
            let mut builder = Request::builder().method(method).uri(url);
            for (name, value) in headers {
                builder = builder.header(*name, value.as_str());
            }
            let request = builder.body(body).map_err(|error| {
                Error::Invalid(format!("cannot build a request to {url}: {error}"))
            })?;
            let outcome = self.send_once(request);
            let retry_after = match &outcome {
                Ok(response) if is_transient_status(response.status().as_u16()) => response
                    .headers()
                    .get("retry-after")
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned),
                Ok(_) => return outcome,
                Err(_) => None,
            };
            if attempt >= self.retry.attempts {
                return outcome;
            }
            std::thread::sleep(self.retry.delay(attempt, retry_after.as_deref()));
            attempt += 1;
        }
    }
}

/// The error for an unexpected answer, with the start of its body (registries explain
/// themselves there: `{"errors":[{"code":"DIGEST_INVALID",…}]}`).
pub fn status_error(method: &str, url: &str, mut response: HttpResponse) -> Error {
    let status = response.status().as_u16();
    let detail = response
        .body_mut()
        .with_config()
        .limit(2048)
        .read_to_vec()
        .map(|bytes| {
            let text = String::from_utf8_lossy(&bytes);
            let text = text.trim();
            let mut short: String = text.chars().take(300).collect();
            if short.len() < text.len() {
                short.push('…');
            }
            if short.is_empty() {
                short
            } else {
                format!(": {short}")
            }
        })
        .unwrap_or_default();
    Error::Status {
        method: method.to_owned(),
        url: url.to_owned(),
        status,
        detail,
    }
}

/// A response header as text.
pub fn header<'r>(response: &'r HttpResponse, name: &str) -> Option<&'r str> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

/// Reads a response body of at most `limit` bytes.
pub fn read_body(response: &mut HttpResponse, url: &str, limit: u64) -> Result<Vec<u8>, Error> {
    response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|error| Error::Transport {
            method: "GET".into(),
            url: url.to_owned(),
            message: format!("reading the body: {error}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_bounded_and_honour_retry_after() {
        let retry = Retry {
            attempts: 5,
            base: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        };
        assert_eq!(retry.delay(1, Some("1")), Duration::from_secs(1));
        assert_eq!(retry.delay(1, Some("3600")), Duration::from_secs(2));
        let first = retry.delay(1, None);
        assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(125));
        let third = retry.delay(3, None);
        assert!(third >= Duration::from_millis(400) && third <= Duration::from_millis(500));
        assert_eq!(retry.delay(30, None), Duration::from_secs(2));
    }
}
