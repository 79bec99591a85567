//! Web links to commits and comparisons, from the repository's remote URL.

/// How a forge lays out its commit and compare pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forge {
    /// `…/commit/<sha>`, `…/compare/<a>...<b>` (GitHub, Gitea, Forgejo).
    GitHub,
    /// `…/-/commit/<sha>`, `…/-/compare/<a>...<b>`.
    GitLab,
}

/// The web address of a repository and its forge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// `https://host/owner/name`, without `.git`.
    pub base: String,
    pub forge: Forge,
}

impl Links {
    /// Reads `git@host:owner/name.git`, `ssh://git@host[:port]/owner/name.git`,
    /// `https://[user@]host/owner/name(.git)`; `None` for local paths and anything else.
    /// GitLab hosts (a host name containing `gitlab`) get GitLab's layout, others GitHub's.
    pub fn from_remote(url: &str) -> Option<Links> {
        let url = url.trim();
        let (host, path) = if let Some(rest) = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .or_else(|| url.strip_prefix("ssh://"))
            .or_else(|| url.strip_prefix("git://"))
        {
            let (authority, path) = rest.split_once('/')?;
            let host = authority.rsplit('@').next()?;
            // An ssh port is not the web port.
            let host = if url.starts_with("ssh://") || url.starts_with("git://") {
                host.split(':').next()?
            } else {
                host
            };
            (host, path)
        } else {
            // scp-like: `git@host:owner/name.git`.
            let (authority, path) = url.split_once(':')?;
            if authority.contains('/') || path.starts_with("//") {
                return None;
            }
            (authority.rsplit('@').next()?, path)
        };
        let path = path.trim_end_matches('/').trim_end_matches(".git");
        if host.is_empty() || !path.contains('/') || path.split('/').any(str::is_empty) {
            return None;
        }
        let forge = if host.contains("gitlab") {
            Forge::GitLab
        } else {
            Forge::GitHub
        };
        Some(Links {
            base: format!("https://{host}/{path}"),
            forge,
        })
    }

    pub fn commit(&self, id: &str) -> String {
        match self.forge {
            Forge::GitHub => format!("{}/commit/{id}", self.base),
            Forge::GitLab => format!("{}/-/commit/{id}", self.base),
        }
    }

    pub fn compare(&self, from: &str, to: &str) -> String {
        let (from, to) = (encode(from), encode(to));
        match self.forge {
            Forge::GitHub => format!("{}/compare/{from}...{to}", self.base),
            Forge::GitLab => format!("{}/-/compare/{from}...{to}", self.base),
        }
    }
}

/// Tag names in URLs: `@` and `/` are kept readable, anything unusual is escaped.
fn encode(tag: &str) -> String {
    let mut encoded = String::with_capacity(tag.len());
    for byte in tag.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@/+".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes() {
        let github = Links::from_remote("git@github.com:acme/shop.git").expect("scp-like");
        assert_eq!(github.base, "https://github.com/acme/shop");
        assert_eq!(
            github.compare("@acme/api@1.0.0", "@acme/api@1.1.0"),
            "https://github.com/acme/shop/compare/@acme/api@1.0.0...@acme/api@1.1.0"
        );
        let gitlab =
            Links::from_remote("ssh://git@gitlab.example.com:2222/group/sub/app.git").expect("ssh");
        assert_eq!(gitlab.base, "https://gitlab.example.com/group/sub/app");
        assert_eq!(
            gitlab.commit("abc"),
            "https://gitlab.example.com/group/sub/app/-/commit/abc"
        );
        let https = Links::from_remote("https://token@github.com/acme/shop/").expect("https");
        assert_eq!(https.base, "https://github.com/acme/shop");
        assert_eq!(Links::from_remote("/srv/git/shop.git"), None);
        assert_eq!(Links::from_remote("../shop"), None);
        assert_eq!(Links::from_remote("file:///srv/git/shop.git"), None);
    }
}
