//! Hooks: the seed payload POSTed to each endpoint of a project when a version succeeds or
//! fails, signed per Standard Webhooks (`webhook-id` stays the same across retries and
//! redeliveries, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
//! id.timestamp.body>` keyed with the secret's bytes). A 2xx is delivered; anything else —
//! 3xx included, redirects are not followed — is retried with exponential backoff and jitter,
//! or after `Retry-After`. Each attempt is recorded. Deliveries are jobs, so they survive a
//! restart. URLs that resolve to loopback, link-local or private addresses are refused unless
//! the project allows them.

use std::net::{IpAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use sqlx::Row;

use crate::api::HookEvent;
use crate::db;
use crate::jobs::{self, Outcome};
use crate::AppState;

const RESPONSE_EXCERPT: usize = 512;
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// A new secret: `whsec_` and 24 random bytes in base64.
pub(crate) fn new_secret() -> String {
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(crate::crypto::random_bytes::<24>())
    )
}

/// The key bytes of a `whsec_…` secret.
pub(crate) fn secret_bytes(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| "a hook secret is `whsec_` followed by base64".to_owned())?;
    if bytes.len() < 16 || bytes.len() > 64 {
        return Err("a hook secret must hold 16 to 64 bytes".to_owned());
    }
    Ok(bytes)
}

/// `v1,<base64 signature>` of `id.timestamp.body`.
pub(crate) fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC takes keys of any length.
        Err(_) => return String::new(),
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// Addresses a hook may not reach unless its project allows private ones.
pub(crate) fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Checks a hook URL: http(s), a host, and (unless `allow_private`) only public addresses.
pub(crate) fn check_url(url: &str, allow_private: bool) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("hook URL `{url}` must start with http:// or https://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    if host_port.is_empty() {
        return Err(format!("hook URL `{url}` has no host"));
    }
    if allow_private {
        return Ok(());
    }
    let with_port = if host_port.starts_with('[') {
        if host_port.contains("]:") {
            host_port.to_owned()
        } else {
            format!("{host_port}:443")
        }
    } else if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:443")
    };
    let addresses: Vec<_> = with_port
        .to_socket_addrs()
        .map_err(|error| format!("cannot resolve the host of hook URL `{url}`: {error}"))?
        .collect();
    if let Some(address) = addresses.iter().find(|address| is_private(address.ip())) {
        return Err(format!(
            "hook URL `{url}` reaches {}, a loopback, link-local or private address; set `allow_private_hooks` on the project to allow it",
            address.ip()
        ));
    }
    Ok(())
}

/// Queues a delivery to every hook of `project` that wants `event`.
pub(crate) async fn enqueue(
    conn: &mut sqlx::AnyConnection,
    project: &str,
    version: &str,
    event: HookEvent,
    payload: &Value,
) -> sqlx::Result<()> {
    let rows = sqlx::query("SELECT id, events FROM hooks WHERE project = $1")
        .bind(project)
        .fetch_all(&mut *conn)
        .await?;
    let body = payload.to_string();
    for row in rows {
        let events: Vec<HookEvent> = db::json_column(&row, "events")?;
        if !events.contains(&event) {
            continue;
        }
        let hook_id: String = row.try_get("id")?;
        let id = db::new_id("msg");
        let now = db::now_ms();
        sqlx::query(
            "INSERT INTO hook_deliveries (id, hook_id, project, event, version, payload, status, attempts, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)",
        )
        .bind(&id)
        .bind(&hook_id)
        .bind(project)
        .bind(event.as_str())
        .bind(version)
        .bind(&body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        jobs::enqueue(&mut *conn, "hook.deliver", &id, now).await?;
    }
    Ok(())
}

struct Attempt {
    status_code: Option<u16>,
    latency: Duration,
    error: String,
    response: String,
    retry_after: Option<Duration>,
    /// The URL may not be called (private address): no retry helps.
    refused: bool,
}

/// The `hook.deliver` job: one attempt.
pub(crate) async fn deliver(state: &AppState, delivery_id: &str) -> anyhow::Result<Outcome> {
    let row = sqlx::query(
        "SELECT d.status, d.attempts, d.payload, h.id AS hook_id, h.url, h.secret, p.allow_private_hooks \
         FROM hook_deliveries d JOIN hooks h ON h.id = d.hook_id JOIN projects p ON p.name = d.project WHERE d.id = $1",
    )
    .bind(delivery_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(row) = row else {
        return Ok(Outcome::Failed(format!(
            "delivery `{delivery_id}` or its hook was deleted"
        )));
    };
    let status: String = row.try_get("status")?;
    if status == "delivered" {
        return Ok(Outcome::Done);
    }
    let attempts: i64 = row.try_get("attempts")?;
    let payload: String = row.try_get("payload")?;
    let hook_id: String = row.try_get("hook_id")?;
    let url: String = row.try_get("url")?;
    let sealed: Vec<u8> = row.try_get("secret")?;
    let allow_private = row.try_get::<i64, _>("allow_private_hooks")? != 0;
    let secret = String::from_utf8(state.key.open(&format!("hook:{hook_id}"), &sealed)?)?;
    let key = secret_bytes(&secret).map_err(anyhow::Error::msg)?;
    let id = delivery_id.to_owned();
    let attempt = tokio::task::spawn_blocking(move || {
        if let Err(refused) = check_url(&url, allow_private) {
            return Attempt {
                status_code: None,
                latency: Duration::ZERO,
                error: refused,
                response: String::new(),
                retry_after: None,
                refused: true,
            };
        }
        post(&url, &id, &key, payload.as_bytes())
    })
    .await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(n), 0) + 1 FROM hook_attempts WHERE delivery_id = $1",
    )
    .bind(delivery_id)
    .fetch_one(&state.db.pool)
    .await?;
    let delivered = attempt
        .status_code
        .is_some_and(|code| (200..300).contains(&code));
    let attempts = attempts + 1;
    let give_up = !delivered && attempts >= i64::from(state.settings.hook_max_attempts);
    let new_status = if delivered {
        "delivered"
    } else if give_up {
        "failed"
    } else {
        "pending"
    };
    let now = db::now_ms();
    let mut tx = state.db.pool.begin().await?;
    sqlx::query(
        "INSERT INTO hook_attempts (delivery_id, n, at, status_code, latency_ms, error, response) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(delivery_id)
    .bind(n)
    .bind(now)
    .bind(attempt.status_code.map(i64::from))
    .bind(attempt.latency.as_millis() as i64)
    .bind(&attempt.error)
    .bind(&attempt.response)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE hook_deliveries SET status = $2, attempts = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(delivery_id)
    .bind(new_status)
    .bind(attempts)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let what = match attempt.status_code {
        Some(code) => format!("HTTP {code}"),
        None => attempt.error.clone(),
    };
    if delivered {
        tracing::info!(hook.delivery = %delivery_id, "hook delivery `{delivery_id}` delivered");
        Ok(Outcome::Done)
    } else if give_up || attempt.refused {
        tracing::warn!(hook.delivery = %delivery_id, "hook delivery `{delivery_id}` failed after {attempts} attempts: {what}");
        Ok(Outcome::Failed(what))
    } else {
        let delay = attempt
            .retry_after
            .map(|wait| wait.min(MAX_RETRY_AFTER))
            .unwrap_or_else(|| backoff(state.settings.hook_backoff, attempts));
        Ok(Outcome::RetryAt(now + delay.as_millis() as i64, what))
    }
}

/// `base × 2^(attempt-1)`, at most an hour, with ±20 % jitter so failed receivers are not
/// hit by every retry at once.
fn backoff(base: Duration, attempt: i64) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let plain = base.saturating_mul(1u32 << exponent).min(MAX_RETRY_AFTER);
    let jitter = (crate::crypto::random_u64() % 401) as f64 / 1000.0 + 0.8;
    plain.mul_f64(jitter)
}

fn post(url: &str, id: &str, key: &[u8], body: &[u8]) -> Attempt {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .max_redirects_will_error(false)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(15)))
        .user_agent(concat!("verso/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let timestamp = db::now_ms() / 1000;
    let started = Instant::now();
    let result = agent
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", sign(key, id, timestamp, body))
        .send(body);
    let latency = started.elapsed();
    match result {
        Ok(mut response) => {
            let code = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok())
                .and_then(|text| text.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let mut excerpt = Vec::new();
            let _ = std::io::Read::read_to_end(
                &mut std::io::Read::take(response.body_mut().as_reader(), RESPONSE_EXCERPT as u64),
                &mut excerpt,
            );
            Attempt {
                status_code: Some(code),
                latency,
                error: if (200..300).contains(&code) {
                    String::new()
                } else {
                    format!("the receiver answered HTTP {code}")
                },
                response: String::from_utf8_lossy(&excerpt).into_owned(),
                retry_after: if code == 429 || code == 503 {
                    retry_after
                } else {
                    None
                },
                refused: false,
            }
        }
        Err(error) => Attempt {
            status_code: None,
            latency,
            error: error.to_string(),
            response: String::new(),
            retry_after: None,
            refused: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let key = secret_bytes("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn private_addresses_are_recognised() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(private.parse().expect("ip")), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1"] {
            assert!(!is_private(public.parse().expect("ip")), "{public}");
        }
    }

    #[test]
    fn hook_urls_to_private_hosts_are_refused_unless_allowed() {
        let error = check_url("http://127.0.0.1:9/hook", false).expect_err("refused");
        assert!(error.contains("allow_private_hooks"), "{error}");
        assert!(check_url("http://localhost:9/hook", false).is_err());
        assert!(check_url("http://user@[::1]:9/", false).is_err());
        assert!(check_url("http://127.0.0.1:9/hook", true).is_ok());
        assert!(check_url("ftp://example.com/", true).is_err());
    }

    #[test]
    fn backoff_doubles_with_jitter_and_stays_capped() {
        let base = Duration::from_secs(1);
        for attempt in 1..=4 {
            let plain = 1u64 << (attempt - 1);
            let delay = backoff(base, attempt).as_secs_f64();
            assert!(delay >= plain as f64 * 0.8 - 1e-9 && delay <= plain as f64 * 1.2 + 1e-9);
        }
        assert!(backoff(base, 40) <= MAX_RETRY_AFTER.mul_f64(1.2));
    }
}
