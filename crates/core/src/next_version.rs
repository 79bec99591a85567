//! The next version of one package: the current version, the highest bump of the commits
//! since it, the 0.x mode and the prerelease channel in; the next version and the rule that
//! produced it out.
//!
//! ```
//! use verso_core::bump::Bump;
//! use verso_core::next_version::{next_version, NextOptions};
//! let options = NextOptions { channel: Some("beta".into()), ..NextOptions::default() };
//! let current = "1.0.0".parse().unwrap();
//! let next = next_version(Some(&current), Bump::Minor, &options, &[]).unwrap();
//! assert_eq!(next.version.unwrap().to_string(), "1.1.0-beta.0");
//! ```

use std::fmt;
use std::str::FromStr;

use crate::bump::Bump;
use crate::semver::{Identifier, IncrementError, PreidBase, Release, Version};

/// How breaking changes and features move a `0.y.z` version (SemVer's initial development).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InitialDevelopment {
    /// Breaking → minor, feature and fix → patch.
    #[default]
    Shift,
    /// Breaking → minor, feature → minor, fix → patch.
    BreakingMinor,
    /// No special rule: a breaking change releases `1.0.0`.
    Off,
}

/// Knobs of the next-version rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextOptions {
    pub initial_development: InitialDevelopment,
    /// Prerelease channel (`alpha`, `beta`, `rc`, ...); `None` is the stable channel.
    pub channel: Option<String>,
    /// The first release when no tag exists.
    pub initial_version: Version,
}

/// The decision and why it was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextVersion {
    /// `None` when nothing warrants a release.
    pub version: Option<Version>,
    /// The bump after the 0.x mode is applied.
    pub bump: Bump,
    /// The rule applied, for `verso explain`.
    pub rule: String,
}

/// Why no next version can be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NextError {
    #[error("unknown initial development mode `{0}`; expected shift, breaking-minor or off")]
    UnknownInitialDevelopment(String),
    #[error("invalid channel `{0}`: a channel is a prerelease identifier such as `alpha`, `beta` or `rc`")]
    InvalidChannel(String),
    #[error(transparent)]
    Increment(#[from] IncrementError),
    #[error("version `{next}` is already tagged, but that tag is not reachable from HEAD")]
    AlreadyReleased { next: Version },
    #[error(
        "channel `{channel}` would release `{next}`, which is lower than the current `{current}`"
    )]
    WouldGoDown {
        channel: String,
        next: String,
        current: String,
    },
}

impl Default for NextOptions {
    fn default() -> Self {
        NextOptions {
            initial_development: InitialDevelopment::default(),
            channel: None,
            initial_version: Version::new(0, 1, 0),
        }
    }
}

impl FromStr for InitialDevelopment {
    type Err = NextError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "shift" => Ok(InitialDevelopment::Shift),
            "breaking-minor" => Ok(InitialDevelopment::BreakingMinor),
            "off" => Ok(InitialDevelopment::Off),
            other => Err(NextError::UnknownInitialDevelopment(other.to_owned())),
        }
    }
}

impl fmt::Display for InitialDevelopment {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            InitialDevelopment::Shift => "shift",
            InitialDevelopment::BreakingMinor => "breaking-minor",
            InitialDevelopment::Off => "off",
        })
    }
}

/// Checks that a channel name can be a prerelease identifier.
pub fn validate_channel(channel: &str) -> Result<(), NextError> {
    let valid = !channel.is_empty()
        && channel
            .split('.')
            .all(|part| matches!(Identifier::parse(part), Ok(Identifier::AlphaNumeric(_))));
    if valid {
        Ok(())
    } else {
        Err(NextError::InvalidChannel(channel.to_owned()))
    }
}

/// Whether a tagged version counts as a release of `channel`: stable versions always do,
/// prereleases only on their own channel.
pub fn belongs_to_channel(version: &Version, channel: Option<&str>) -> bool {
    if !version.is_prerelease() {
        return true;
    }
    match channel {
        None => false,
        Some(channel) => prerelease_starts_with(version, channel),
    }
}

fn prerelease_starts_with(version: &Version, channel: &str) -> bool {
    let parts: Vec<&str> = channel.split('.').collect();
    version.prerelease.len() >= parts.len()
        && version
            .prerelease
            .iter()
            .zip(&parts)
            .all(|(identifier, part)| identifier.to_string() == *part)
}

/// Applies the 0.x mode to a bump.
pub fn effective_bump(current: &Version, bump: Bump, mode: InitialDevelopment) -> Bump {
    if current.major != 0 {
        return bump;
    }
    match (mode, bump) {
        (InitialDevelopment::Off, bump) => bump,
        (InitialDevelopment::Shift, Bump::Major) => Bump::Minor,
        (InitialDevelopment::Shift, Bump::Minor) => Bump::Patch,
        (InitialDevelopment::BreakingMinor, Bump::Major) => Bump::Minor,
        (_, bump) => bump,
    }
}

/// The next version after `current` for a release whose commits bump by `bump`.
/// `existing` lists every version already tagged with this package's template, reachable or
/// not, so that a release never lands on an existing tag.
pub fn next_version(
    current: Option<&Version>,
    bump: Bump,
    options: &NextOptions,
    existing: &[Version],
) -> Result<NextVersion, NextError> {
    if let Some(channel) = &options.channel {
        validate_channel(channel)?;
    }
    let channel = options.channel.as_deref();
    let Some(current) = current else {
        if bump == Bump::None {
            return Ok(no_release(
                bump,
                "no release yet and no commit warrants one",
            ));
        }
        let mut first = options.initial_version.without_build();
        let mut rule = format!("no release yet: initial version `{first}`");
        if let Some(channel) = channel {
            first.prerelease = channel
                .split('.')
                .map(|part| Identifier::AlphaNumeric(part.to_owned()))
                .chain([Identifier::Numeric(0)])
                .collect();
            rule.push_str(&format!(" on channel `{channel}`"));
        }
        return avoid_existing(first, rule, bump, existing);
    };
    let bump = effective_bump(current, bump, options.initial_development);
    if bump == Bump::None {
        return Ok(no_release(bump, "no commit warrants a release"));
    }
    let zero_note = if current.major == 0 && options.initial_development != InitialDevelopment::Off
    {
        format!(" (0.x mode `{}`)", options.initial_development)
    } else {
        String::new()
    };
    let (release, rule) = match (current.is_prerelease(), channel) {
        (false, None) => (
            stable_release(bump),
            format!("{bump} bump of `{current}`{zero_note}"),
        ),
        (false, Some(channel)) => (
            pre_release(bump),
            format!(
                "{bump} bump of `{current}`{zero_note} on channel `{channel}`: {}",
                pre_release(bump)
            ),
        ),
        (true, None) => (
            stable_release(bump),
            format!("{bump}{zero_note}: graduate `{current}` to the stable channel"),
        ),
        (true, Some(channel)) => {
            let implied = implied_bump(current);
            if bump <= implied {
                let how = if prerelease_starts_with(current, channel) {
                    "next prerelease of the same base"
                } else {
                    "switch channel, same base"
                };
                (
                    Release::Prerelease,
                    format!(
                        "{bump}{zero_note} within `{}`'s {implied} base: {how}",
                        current
                    ),
                )
            } else {
                (
                    pre_release(bump),
                    format!(
                        "{bump}{zero_note} above `{}`'s {implied} base: raise the base",
                        current
                    ),
                )
            }
        }
    };
    let next = current.increment(release, channel, PreidBase::Zero)?;
    if next <= *current {
        return Err(NextError::WouldGoDown {
            channel: channel.unwrap_or("stable").to_owned(),
            next: next.to_string(),
            current: current.to_string(),
        });
    }
    avoid_existing(next, rule, bump, existing)
}

fn no_release(bump: Bump, rule: &str) -> NextVersion {
    NextVersion {
        version: None,
        bump,
        rule: rule.to_owned(),
    }
}

/// A prerelease that is already tagged elsewhere moves on to the next free counter; a
/// stable version that is already tagged is an error, since releasing it twice is impossible.
fn avoid_existing(
    mut next: Version,
    mut rule: String,
    bump: Bump,
    existing: &[Version],
) -> Result<NextVersion, NextError> {
    let mut skipped = 0;
    while existing.contains(&next) {
        if !next.is_prerelease() {
            return Err(NextError::AlreadyReleased { next });
        }
        next = next.increment(Release::Prerelease, None, PreidBase::Zero)?;
        skipped += 1;
    }
    if skipped > 0 {
        rule.push_str(&format!(
            " (skipped {skipped} prerelease(s) already tagged elsewhere)"
        ));
    }
    Ok(NextVersion {
        version: Some(next),
        bump,
        rule,
    })
}

fn stable_release(bump: Bump) -> Release {
    match bump {
        Bump::Major => Release::Major,
        Bump::Minor => Release::Minor,
        Bump::Patch | Bump::None => Release::Patch,
    }
}

fn pre_release(bump: Bump) -> Release {
    match bump {
        Bump::Major => Release::Premajor,
        Bump::Minor => Release::Preminor,
        Bump::Patch | Bump::None => Release::Prepatch,
    }
}

/// The bump a prerelease's base already carries: `2.0.0-x` a major, `1.1.0-x` a minor,
/// `1.0.1-x` a patch (`0.2.0-x` a minor in 0.x).
fn implied_bump(version: &Version) -> Bump {
    match (version.major, version.minor, version.patch) {
        (major, 0, 0) if major > 0 => Bump::Major,
        (_, _, 0) => Bump::Minor,
        _ => Bump::Patch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(current: &str, bump: Bump, channel: Option<&str>) -> String {
        let options = NextOptions {
            channel: channel.map(str::to_owned),
            ..NextOptions::default()
        };
        let current: Version = current.parse().expect("valid");
        next_version(Some(&current), bump, &options, &[])
            .expect("a next version")
            .version
            .map_or_else(|| "none".to_owned(), |version| version.to_string())
    }

    #[test]
    fn stable_bumps() {
        assert_eq!(next("1.2.3", Bump::Major, None), "2.0.0");
        assert_eq!(next("1.2.3", Bump::Minor, None), "1.3.0");
        assert_eq!(next("1.2.3", Bump::Patch, None), "1.2.4");
        assert_eq!(next("1.2.3", Bump::None, None), "none");
    }

    #[test]
    fn zero_major_shifts_by_default() {
        assert_eq!(next("0.3.1", Bump::Major, None), "0.4.0");
        assert_eq!(next("0.3.1", Bump::Minor, None), "0.3.2");
        assert_eq!(next("0.3.1", Bump::Patch, None), "0.3.2");
    }

    #[test]
    fn zero_major_modes() {
        let current: Version = "0.3.1".parse().expect("valid");
        for (mode, bump, expected) in [
            (InitialDevelopment::BreakingMinor, Bump::Major, "0.4.0"),
            (InitialDevelopment::BreakingMinor, Bump::Minor, "0.4.0"),
            (InitialDevelopment::BreakingMinor, Bump::Patch, "0.3.2"),
            (InitialDevelopment::Off, Bump::Major, "1.0.0"),
            (InitialDevelopment::Off, Bump::Minor, "0.4.0"),
        ] {
            let options = NextOptions {
                initial_development: mode,
                ..NextOptions::default()
            };
            let version = next_version(Some(&current), bump, &options, &[])
                .expect("next")
                .version
                .expect("a release");
            assert_eq!(version.to_string(), expected, "{mode} {bump}");
        }
    }

    #[test]
    fn channel_walkthrough_from_the_design() {
        assert_eq!(next("1.0.0", Bump::Minor, Some("beta")), "1.1.0-beta.0");
        assert_eq!(
            next("1.1.0-beta.0", Bump::Minor, Some("beta")),
            "1.1.0-beta.1"
        );
        assert_eq!(
            next("1.1.0-beta.1", Bump::Major, Some("beta")),
            "2.0.0-beta.0"
        );
        assert_eq!(
            next("1.1.0-beta.1", Bump::Patch, Some("beta")),
            "1.1.0-beta.2"
        );
        assert_eq!(next("1.1.0-beta.1", Bump::Patch, Some("rc")), "1.1.0-rc.0");
        assert_eq!(next("1.1.0-rc.2", Bump::Minor, None), "1.1.0");
        assert_eq!(
            next("1.0.1-beta.0", Bump::Minor, Some("beta")),
            "1.1.0-beta.0"
        );
    }

    #[test]
    fn prerelease_already_tagged_elsewhere_moves_to_next_counter() {
        let options = NextOptions {
            channel: Some("beta".into()),
            ..NextOptions::default()
        };
        let current: Version = "1.0.0".parse().expect("valid");
        let existing: Vec<Version> = ["1.1.0-beta.0", "1.1.0-beta.1"]
            .iter()
            .map(|text| text.parse().expect("valid"))
            .collect();
        let next = next_version(Some(&current), Bump::Minor, &options, &existing).expect("next");
        assert_eq!(next.version.expect("a release").to_string(), "1.1.0-beta.2");
    }

    #[test]
    fn stable_version_already_tagged_elsewhere_is_an_error() {
        let current: Version = "1.0.0".parse().expect("valid");
        let existing = vec!["1.1.0".parse::<Version>().expect("valid")];
        let error = next_version(
            Some(&current),
            Bump::Minor,
            &NextOptions::default(),
            &existing,
        )
        .expect_err("must refuse");
        assert!(matches!(error, NextError::AlreadyReleased { .. }));
    }

    #[test]
    fn first_release_uses_the_initial_version() {
        let options = NextOptions::default();
        let first = next_version(None, Bump::Major, &options, &[]).expect("next");
        assert_eq!(first.version.expect("a release").to_string(), "0.1.0");
        let beta = NextOptions {
            channel: Some("beta".into()),
            ..NextOptions::default()
        };
        let first = next_version(None, Bump::Patch, &beta, &[]).expect("next");
        assert_eq!(
            first.version.expect("a release").to_string(),
            "0.1.0-beta.0"
        );
        assert!(next_version(None, Bump::None, &options, &[])
            .expect("next")
            .version
            .is_none());
    }

    #[test]
    fn switching_to_a_channel_that_sorts_lower_is_refused() {
        let current: Version = "1.1.0-rc.0".parse().expect("valid");
        let options = NextOptions {
            channel: Some("beta".into()),
            ..NextOptions::default()
        };
        assert!(matches!(
            next_version(Some(&current), Bump::Patch, &options, &[]),
            Err(NextError::WouldGoDown { .. })
        ));
    }
}
