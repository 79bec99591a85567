//! Bump levels and the rules that give each commit one.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::commit::ConventionalCommit;

/// How much a change moves a version. Ordered: `None < Patch < Minor < Major`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    #[default]
    None,
    Patch,
    Minor,
    Major,
}

/// What a rule assigns to a commit: a bump, or `fail` to stop the release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Bump(Bump),
    /// The commit must not be released (e.g. `wip`); a release that contains it fails.
    Fail,
}

/// The level of a commit, and which rule gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub level: Level,
    /// Human-readable reason: `breaking change`, `type feat`, `rule feat(api)`, ...
    pub rule: String,
}

/// Per-type and per-`type(scope)` levels on top of the defaults (breaking → major,
/// `feat` → minor, `fix`/`perf`/`revert` → patch, anything else → none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BumpRules {
    by_type: HashMap<String, Level>,
    by_scope: HashMap<(String, String), Level>,
}

/// An invalid rule key or level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("unknown level `{0}`; expected one of major, minor, patch, none, fail")]
    UnknownLevel(String),
    #[error("invalid rule key `{0}`; expected `type` or `type(scope)`")]
    InvalidKey(String),
}

impl Bump {
    pub const fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

impl fmt::Display for Bump {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "major" => Level::Bump(Bump::Major),
            "minor" => Level::Bump(Bump::Minor),
            "patch" => Level::Bump(Bump::Patch),
            "none" => Level::Bump(Bump::None),
            "fail" => Level::Fail,
            other => return Err(RuleError::UnknownLevel(other.to_owned())),
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Level::Bump(bump) => bump.fmt(formatter),
            Level::Fail => formatter.write_str("fail"),
        }
    }
}

impl Level {
    /// The bump, treating `fail` as none (callers check `fail` separately).
    pub fn bump(self) -> Bump {
        match self {
            Level::Bump(bump) => bump,
            Level::Fail => Bump::None,
        }
    }
}

impl BumpRules {
    /// Adds a rule: `key` is `type` or `type(scope)`, matched case-insensitively on the type.
    pub fn insert(&mut self, key: &str, level: Level) -> Result<(), RuleError> {
        let invalid = || RuleError::InvalidKey(key.to_owned());
        let valid_name = |name: &str| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        };
        match key.split_once('(') {
            Some((kind, rest)) => {
                let scope = rest.strip_suffix(')').ok_or_else(invalid)?;
                if !valid_name(kind) || scope.is_empty() || scope.contains(['(', ')']) {
                    return Err(invalid());
                }
                self.by_scope
                    .insert((kind.to_ascii_lowercase(), scope.to_owned()), level);
            }
            None => {
                if !valid_name(key) {
                    return Err(invalid());
                }
                self.by_type.insert(key.to_ascii_lowercase(), level);
            }
        }
        Ok(())
    }

    /// Types with an explicit rule, besides the built-in ones.
    pub fn configured_types(&self) -> impl Iterator<Item = &str> {
        self.by_type
            .keys()
            .chain(self.by_scope.keys().map(|(kind, _)| kind))
            .map(String::as_str)
    }

    /// Whether any rule can fail a release (then every commit must be read).
    pub fn has_fail_rules(&self) -> bool {
        self.by_type
            .values()
            .chain(self.by_scope.values())
            .any(|level| *level == Level::Fail)
    }

    /// The level of one commit. A `fail` rule wins over everything, then breaking changes
    /// (always major), then `type(scope)` rules, then `type` rules, then the defaults.
    pub fn classify(&self, commit: &ConventionalCommit) -> Classification {
        if commit.merge {
            return classification(Level::Bump(Bump::None), "merge commit");
        }
        let Some(kind) = commit.kind_lowercase() else {
            if commit.revert.is_some() {
                return self.type_level("revert", "git revert");
            }
            return classification(Level::Bump(Bump::None), "not a conventional commit");
        };
        let scoped = commit.scope.as_deref().and_then(|scope| {
            scope
                .split(',')
                .map(str::trim)
                .filter_map(|part| {
                    self.by_scope
                        .get(&(kind.clone(), part.to_owned()))
                        .map(|level| (*level, part))
                })
                .max_by_key(|(level, _)| level_rank(*level))
        });
        let typed = self.by_type.get(&kind).copied();
        if scoped.map(|(level, _)| level) == Some(Level::Fail) || typed == Some(Level::Fail) {
            let rule = match scoped {
                Some((Level::Fail, scope)) => format!("rule {kind}({scope}) = fail"),
                _ => format!("rule {kind} = fail"),
            };
            return classification(Level::Fail, &rule);
        }
        if commit.breaking {
            return classification(Level::Bump(Bump::Major), "breaking change");
        }
        if let Some((level, scope)) = scoped {
            return classification(level, &format!("rule {kind}({scope}) = {level}"));
        }
        self.type_level(&kind, &format!("type {kind}"))
    }

    fn type_level(&self, kind: &str, reason: &str) -> Classification {
        if let Some(level) = self.by_type.get(kind) {
            return classification(*level, &format!("rule {kind} = {level}"));
        }
        let bump = match kind {
            "feat" => Bump::Minor,
            "fix" | "perf" | "revert" => Bump::Patch,
            _ => Bump::None,
        };
        classification(Level::Bump(bump), reason)
    }
}

/// Types every repository knows, whatever its rules.
pub const DEFAULT_TYPES: [&str; 11] = [
    "feat", "fix", "perf", "revert", "docs", "style", "refactor", "test", "build", "ci", "chore",
];

fn level_rank(level: Level) -> u8 {
    match level {
        Level::Bump(bump) => bump as u8,
        Level::Fail => u8::MAX,
    }
}

fn classification(level: Level, rule: &str) -> Classification {
    Classification {
        level,
        rule: rule.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(rules: &BumpRules, message: &str) -> Level {
        rules.classify(&ConventionalCommit::parse(message)).level
    }

    #[test]
    fn default_rules() {
        let rules = BumpRules::default();
        for (message, expected) in [
            ("feat: x", Bump::Minor),
            ("fix: x", Bump::Patch),
            ("perf: x", Bump::Patch),
            ("revert: x", Bump::Patch),
            ("docs: x", Bump::None),
            ("chore!: drop node 14", Bump::Major),
            ("FEAT: shouting", Bump::Minor),
            ("not conventional", Bump::None),
            ("Merge branch 'x'", Bump::None),
            (
                "Revert \"feat: x\"\n\nThis reverts commit abcdef1.",
                Bump::Patch,
            ),
        ] {
            assert_eq!(level(&rules, message), Level::Bump(expected), "{message}");
        }
    }

    #[test]
    fn scope_rules_beat_type_rules_and_fail_beats_breaking() {
        let mut rules = BumpRules::default();
        rules
            .insert("docs", Level::Bump(Bump::Patch))
            .expect("valid");
        rules
            .insert("feat(ui)", Level::Bump(Bump::Patch))
            .expect("valid");
        rules.insert("wip", Level::Fail).expect("valid");
        assert_eq!(level(&rules, "docs: x"), Level::Bump(Bump::Patch));
        assert_eq!(level(&rules, "feat(ui): x"), Level::Bump(Bump::Patch));
        assert_eq!(level(&rules, "feat(api): x"), Level::Bump(Bump::Minor));
        assert_eq!(level(&rules, "feat(ui)!: x"), Level::Bump(Bump::Major));
        assert_eq!(level(&rules, "wip!: x"), Level::Fail);
        assert!(rules.has_fail_rules());
    }

    #[test]
    fn rejects_bad_keys_and_levels() {
        let mut rules = BumpRules::default();
        assert!(rules.insert("feat(ui", Level::Fail).is_err());
        assert!(rules.insert("fe at", Level::Fail).is_err());
        assert!("huge".parse::<Level>().is_err());
    }
}
