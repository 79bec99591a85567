//! `.helmignore`, with helm's own semantics: one glob per line (`*`, `?`, `[…]`, no `**`),
//! `#` comments, a trailing `/` for folders only, rules containing `/` matched against the
//! whole relative path and others against the base name, and helm's reading of `!` (a
//! negated rule ignores everything it does not match). `templates/.?*` is always ignored.

use glob::{MatchOptions, Pattern};

use crate::error::Error;

#[derive(Debug, Clone)]
struct Rule {
    pattern: Pattern,
    negate: bool,
    folders_only: bool,
    whole_path: bool,
}

/// The rules of one `.helmignore`.
#[derive(Debug, Clone, Default)]
pub struct Ignore {
    rules: Vec<Rule>,
}

const OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

impl Ignore {
    /// Parses a `.helmignore` text (plus helm's default rule).
    pub fn parse(text: &str) -> Result<Ignore, Error> {
        let mut ignore = Ignore::default();
        ignore.add("templates/.?*", 0)?;
        for (index, line) in text.lines().enumerate() {
            ignore.add(line, index + 1)?;
        }
        Ok(ignore)
    }

    fn add(&mut self, line: &str, number: usize) -> Result<(), Error> {
        let mut rule = line.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err(Error::Invalid(format!(
                ".helmignore line {number}: `**` is not supported by helm"
            )));
        }
        let negate = rule.starts_with('!');
        if negate {
            rule = &rule[1..];
        }
        let folders_only = rule.ends_with('/');
        rule = rule.trim_end_matches('/');
        rule = rule.strip_prefix('/').unwrap_or(rule);
        let whole_path = rule.contains('/');
        let pattern = Pattern::new(&rule.replace("[^", "[!")).map_err(|error| {
            Error::Invalid(format!(".helmignore line {number}: `{line}`: {error}"))
        })?;
        self.rules.push(Rule {
            pattern,
            negate,
            folders_only,
            whole_path,
        });
        Ok(())
    }

    /// Whether `path` (relative, `/`-separated) is left out.
    pub fn ignores(&self, path: &str, is_folder: bool) -> bool {
        if path.is_empty() || path == "." {
            return false;
        }
        let base = path.rsplit('/').next().unwrap_or(path);
        for rule in &self.rules {
            let subject = if rule.whole_path { path } else { base };
            let matched = rule.pattern.matches_with(subject, OPTIONS);
            if rule.negate {
                if (rule.folders_only && !is_folder) || !matched {
                    return true;
                }
                continue;
            }
            if rule.folders_only && !is_folder {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_semantics() {
        let ignore =
            Ignore::parse("# c\n.git/\n*.tmp\n/ci/values-*.yaml\nsecret?.txt\n").expect("parse");
        assert!(ignore.ignores(".git", true));
        assert!(!ignore.ignores(".git", false));
        assert!(ignore.ignores("templates/x.tmp", false));
        assert!(ignore.ignores("ci/values-prod.yaml", false));
        assert!(!ignore.ignores("other/ci/values-prod.yaml", false));
        assert!(ignore.ignores("secret1.txt", false));
        assert!(ignore.ignores("templates/.hidden", false));
        assert!(!ignore.ignores("templates/deployment.yaml", false));
        assert!(!ignore.ignores("values.yaml", false));
        assert!(Ignore::parse("a/**/b\n").is_err());
    }
}
