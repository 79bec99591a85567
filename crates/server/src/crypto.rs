//! Secrets at rest and tokens: registry passwords and hook secrets are sealed with
//! ChaCha20-Poly1305 under the server key (bound to the row they belong to, so a sealed value
//! copied to another row does not open); API tokens are stored as SHA-256 hashes, which is
//! enough for 256-bit random tokens (nothing to brute-force).

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};

const SEALED_V1: u8 = 1;

/// The key that seals secrets.
#[derive(Clone)]
pub(crate) struct SecretKey(Key);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    /// From base64 text (32 bytes), as `VERSO_SECRET_KEY` holds it.
    pub(crate) fn parse(text: &str) -> anyhow::Result<SecretKey> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .context("the secret key is not base64")?;
        anyhow::ensure!(
            bytes.len() == 32,
            "the secret key must be 32 bytes (base64 of 32 random bytes, e.g. `openssl rand -base64 32`), got {}",
            bytes.len()
        );
        Ok(SecretKey(*Key::from_slice(&bytes)))
    }

    /// Reads `path`, or creates it (mode 0600) with a new random key.
    pub(crate) fn load_or_create(path: &Path) -> anyhow::Result<SecretKey> {
        match std::fs::read_to_string(path) {
            Ok(text) => SecretKey::parse(&text).with_context(|| format!("in {}", path.display())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let text = base64::engine::general_purpose::STANDARD.encode(random_bytes::<32>());
                write_private(path, &text)?;
                SecretKey::parse(&text)
            }
            Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Seals `plain`; `context` names the owner (e.g. `registry:prod`).
    pub(crate) fn seal(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        let nonce = random_bytes::<12>();
        let cipher = ChaCha20Poly1305::new(&self.0);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(1 + nonce.len() + sealed.len());
        out.push(SEALED_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what `seal` made for the same `context`.
    pub(crate) fn open(&self, context: &str, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        anyhow::ensure!(
            sealed.len() > 13 && sealed[0] == SEALED_V1,
            "the stored secret of {context} is not in a known format"
        );
        let cipher = ChaCha20Poly1305::new(&self.0);
        cipher
            .decrypt(
                Nonce::from_slice(&sealed[1..13]),
                Payload {
                    msg: &sealed[13..],
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                anyhow::anyhow!(
                    "the stored secret of {context} does not open with this server's key (was VERSO_SECRET_KEY changed?)"
                )
            })
    }
}

/// Writes a file only its owner can read.
pub(crate) fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The operating system's generator does not fail on the systems verso runs on; a zeroed
    // buffer would only be reached on a broken kernel, and tokens then fail their own checks.
    getrandom::getrandom(&mut bytes).unwrap_or_default();
    bytes
}

pub(crate) fn random_u64() -> u64 {
    u64::from_le_bytes(random_bytes::<8>())
}

/// A new API token: `verso_` and 32 random bytes, URL-safe.
pub(crate) fn new_token() -> String {
    format!(
        "verso_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    )
}

/// How a token is stored and looked up.
pub(crate) fn token_hash(token: &str) -> String {
    verso_registry::digest::hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_in_their_context_and_with_their_key() {
        let key = SecretKey::parse(&base64::engine::general_purpose::STANDARD.encode([7u8; 32]))
            .expect("key");
        let sealed = key.seal("registry:prod", b"hunter2");
        assert!(!sealed.windows(7).any(|window| window == b"hunter2"));
        assert_eq!(
            key.open("registry:prod", &sealed).expect("open"),
            b"hunter2"
        );
        assert!(key.open("registry:other", &sealed).is_err());
        let other = SecretKey::parse(&base64::engine::general_purpose::STANDARD.encode([8u8; 32]))
            .expect("key");
        let message = other
            .open("registry:prod", &sealed)
            .expect_err("another key")
            .to_string();
        assert!(message.contains("VERSO_SECRET_KEY"), "{message}");
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(SecretKey::parse("not base64!").is_err());
        assert!(SecretKey::parse("AAAA").is_err());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with("verso_") && a.len() > 40);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
