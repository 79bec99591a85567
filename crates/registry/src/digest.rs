//! `sha256:<hex>` content digests, as OCI registries and chart indexes use them.

use std::io::{self, Read};

use sha2::{Digest as _, Sha256};

/// The `sha256:<hex>` digest of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    text
}

/// Checks the syntax of a digest: `sha256:` with 64 lowercase hex digits or `sha512:` with 128
/// (other algorithms are refused, as registries do).
pub fn validate(digest: &str) -> Result<(), String> {
    let (algorithm, encoded) = digest
        .split_once(':')
        .ok_or_else(|| format!("`{digest}` is not a digest (expected sha256:<64 hex digits>)"))?;
    let length = match algorithm {
        "sha256" => 64,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "`{digest}`: unsupported digest algorithm `{algorithm}` (sha256 or sha512)"
            ))
        }
    };
    if encoded.len() != length
        || !encoded
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    {
        return Err(format!(
            "`{digest}`: a {algorithm} digest has {length} lowercase hex digits"
        ));
    }
    Ok(())
}

/// A reader that hashes and counts what passes through it.
pub struct Verifying<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> Verifying<R> {
    pub fn new(inner: R) -> Self {
        Verifying {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// Bytes read so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `sha256:` digest of everything read.
    pub fn digest(self) -> String {
        format!("sha256:{}", hex(&self.hasher.finalize()))
    }
}

impl<R: Read> Read for Verifying<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..read]);
        self.count += read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_and_validation() {
        assert_eq!(
            sha256(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(validate(&sha256(b"x")).is_ok());
        assert!(validate("sha256:ABC").is_err());
        assert!(validate("md5:0123").is_err());
        assert!(validate("sha256").is_err());
        let mut reader = Verifying::new(&b"hello"[..]);
        let mut sink = Vec::new();
        reader.read_to_end(&mut sink).expect("read");
        assert_eq!(reader.count(), 5);
        assert_eq!(reader.digest(), sha256(b"hello"));
    }
}
