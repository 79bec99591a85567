//! Version increments with node-semver `inc` semantics.

use std::fmt;
use std::str::FromStr;

use super::version::{Identifier, Version};

/// What to increment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Release {
    Major,
    Minor,
    Patch,
    Premajor,
    Preminor,
    Prepatch,
    Prerelease,
    /// Drops the prerelease: `1.2.3-rc.1` gives `1.2.3`.
    Release,
}

/// The number a new prerelease counter starts at (node-semver's `identifierBase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PreidBase {
    /// `1.0.0` prerelease `beta` gives `1.0.1-beta.0` (the default).
    #[default]
    Zero,
    /// `1.0.0` prerelease `beta` gives `1.0.1-beta.1`.
    One,
    /// No counter: `1.0.0` prerelease `beta` gives `1.0.1-beta`.
    Omit,
}

/// Why an increment is impossible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncrementError {
    #[error("unknown release type `{0}`; expected one of major, minor, patch, premajor, preminor, prepatch, prerelease, release")]
    UnknownRelease(String),
    #[error("unknown prerelease identifier base `{0}`; expected 0, 1 or false")]
    UnknownPreidBase(String),
    #[error("a prerelease identifier is required when the identifier base is `false`")]
    EmptyIdentifier,
    #[error("`{0}` is not a valid prerelease identifier")]
    InvalidIdentifier(String),
    #[error("`{0}` is not a prerelease")]
    NotPrerelease(Version),
    #[error("the prerelease identifier `{0}` already exists and has no counter to increment")]
    IdentifierExists(String),
}

impl FromStr for Release {
    type Err = IncrementError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text {
            "major" => Release::Major,
            "minor" => Release::Minor,
            "patch" => Release::Patch,
            "premajor" => Release::Premajor,
            "preminor" => Release::Preminor,
            "prepatch" => Release::Prepatch,
            "prerelease" => Release::Prerelease,
            "release" => Release::Release,
            other => return Err(IncrementError::UnknownRelease(other.to_owned())),
        })
    }
}

impl fmt::Display for Release {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Release::Major => "major",
            Release::Minor => "minor",
            Release::Patch => "patch",
            Release::Premajor => "premajor",
            Release::Preminor => "preminor",
            Release::Prepatch => "prepatch",
            Release::Prerelease => "prerelease",
            Release::Release => "release",
        })
    }
}

impl FromStr for PreidBase {
    type Err = IncrementError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "0" => Ok(PreidBase::Zero),
            "1" => Ok(PreidBase::One),
            "false" => Ok(PreidBase::Omit),
            other => Err(IncrementError::UnknownPreidBase(other.to_owned())),
        }
    }
}

impl PreidBase {
    fn counter(self) -> u64 {
        match self {
            PreidBase::One => 1,
            PreidBase::Zero | PreidBase::Omit => 0,
        }
    }
}

impl Version {
    /// Returns the next version, exactly as node-semver's `inc(version, release, preid, base)`.
    /// Build metadata is dropped. An empty `preid` counts as none.
    ///
    /// ```
    /// use verso_core::semver::{PreidBase, Release, Version};
    /// let v: Version = "1.0.0".parse().unwrap();
    /// let next = v.increment(Release::Preminor, Some("beta"), PreidBase::Zero).unwrap();
    /// assert_eq!(next.to_string(), "1.1.0-beta.0");
    /// let beta: Version = "1.0.1-beta.0".parse().unwrap();
    /// let next = beta.increment(Release::Prerelease, None, PreidBase::Zero).unwrap();
    /// assert_eq!(next.to_string(), "1.0.1-beta.1");
    /// ```
    pub fn increment(
        &self,
        release: Release,
        preid: Option<&str>,
        base: PreidBase,
    ) -> Result<Version, IncrementError> {
        let preid = preid.filter(|text| !text.is_empty());
        let preid = match release {
            Release::Premajor | Release::Preminor | Release::Prepatch | Release::Prerelease => {
                match preid {
                    None if base == PreidBase::Omit => return Err(IncrementError::EmptyIdentifier),
                    None => None,
                    Some(text) => Some(parse_preid(text)?),
                }
            }
            _ => None,
        };
        let mut next = self.without_build();
        match release {
            Release::Premajor => {
                next = Version::new(next.major + 1, 0, 0);
                next.bump_prerelease(preid.as_deref(), base)?;
            }
            Release::Preminor => {
                next = Version::new(next.major, next.minor + 1, 0);
                next.bump_prerelease(preid.as_deref(), base)?;
            }
            Release::Prepatch => {
                next = Version::new(next.major, next.minor, next.patch + 1);
                next.bump_prerelease(preid.as_deref(), base)?;
            }
            Release::Prerelease => {
                if !next.is_prerelease() {
                    next.patch += 1;
                }
                next.bump_prerelease(preid.as_deref(), base)?;
            }
            Release::Release => {
                if !next.is_prerelease() {
                    return Err(IncrementError::NotPrerelease(self.without_build()));
                }
                next.prerelease.clear();
            }
            Release::Major => {
                // A prerelease of a major version (`1.0.0-5`) is released as that version.
                if next.minor != 0 || next.patch != 0 || !next.is_prerelease() {
                    next.major += 1;
                }
                next = Version::new(next.major, 0, 0);
            }
            Release::Minor => {
                if next.patch != 0 || !next.is_prerelease() {
                    next.minor += 1;
                }
                next = Version::new(next.major, next.minor, 0);
            }
            Release::Patch => {
                if !next.is_prerelease() {
                    next.patch += 1;
                }
                next.prerelease.clear();
            }
        }
        Ok(next)
    }

    /// node-semver's internal `pre` step.
    fn bump_prerelease(
        &mut self,
        preid: Option<&[Identifier]>,
        base: PreidBase,
    ) -> Result<(), IncrementError> {
        let counter = Identifier::Numeric(base.counter());
        if self.prerelease.is_empty() {
            self.prerelease.push(counter.clone());
        } else if let Some(last_number) =
            self.prerelease
                .iter_mut()
                .rev()
                .find_map(|identifier| match identifier {
                    Identifier::Numeric(number) => Some(number),
                    Identifier::AlphaNumeric(_) => None,
                })
        {
            *last_number += 1;
        } else {
            if base == PreidBase::Omit && preid == Some(self.prerelease.as_slice()) {
                return Err(IncrementError::IdentifierExists(join(&self.prerelease)));
            }
            self.prerelease.push(counter.clone());
        }
        if let Some(preid) = preid {
            let mut replacement = preid.to_vec();
            if base != PreidBase::Omit {
                replacement.push(counter);
            }
            let keeps_counter = self.prerelease.starts_with(preid)
                && matches!(
                    self.prerelease.get(preid.len()),
                    Some(Identifier::Numeric(_))
                );
            if !keeps_counter {
                self.prerelease = replacement;
            }
        }
        Ok(())
    }
}

fn parse_preid(text: &str) -> Result<Vec<Identifier>, IncrementError> {
    text.split('.')
        .map(Identifier::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| IncrementError::InvalidIdentifier(text.to_owned()))
}

fn join(identifiers: &[Identifier]) -> String {
    identifiers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(".")
}
