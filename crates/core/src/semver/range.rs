//! npm version ranges (`^1.2.3`, `~1.2`, `1.x || >=2.0.0 <3`, `1.0.0 - 2.0.0`) with node-semver
//! semantics, including its prerelease rules.
//!
//! A range is a union (`||`) of comparator sets; a version satisfies the range when it
//! satisfies every comparator of one set. Without `include_prerelease`, a prerelease version
//! only satisfies a set that names a prerelease of the same `major.minor.patch`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::version::{Identifier, Version, MAX_LENGTH, MAX_SAFE_INTEGER};

/// A parsed npm range.
///
/// ```
/// use verso_core::semver::{Range, Version};
/// let range: Range = "^1.2.3".parse().unwrap();
/// assert!(range.satisfies(&"1.9.0".parse::<Version>().unwrap()));
/// assert!(!range.satisfies(&"2.0.0".parse::<Version>().unwrap()));
/// assert!(!range.satisfies(&"1.3.0-beta.1".parse::<Version>().unwrap()));
/// assert_eq!(range.to_string(), ">=1.2.3 <2.0.0-0");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// Alternatives; an empty set matches every version.
    sets: Vec<Vec<Comparator>>,
    options: RangeOptions,
}

/// Knobs of range parsing and matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RangeOptions {
    /// Let prerelease versions satisfy ranges that name no prerelease (node-semver's
    /// `includePrerelease`).
    pub include_prerelease: bool,
}

/// One `<operator><version>` test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparator {
    pub operator: Operator,
    pub version: Version,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Exact,
    Greater,
    GreaterEq,
    Less,
    LessEq,
}

/// Why a string is not a range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("range is longer than {MAX_LENGTH} characters")]
    TooLong,
    #[error("invalid comparator `{0}` in range")]
    InvalidComparator(String),
}

impl Range {
    /// Parses a range with the given options.
    pub fn parse_with(text: &str, options: RangeOptions) -> Result<Self, RangeError> {
        // node-semver caps versions, not ranges; a cap keeps work bounded for hostile input
        // while leaving room for every real-world range.
        if text.len() > MAX_LENGTH * 8 {
            return Err(RangeError::TooLong);
        }
        let normalized = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut sets = Vec::new();
        for part in normalized.split("||") {
            sets.push(parse_set(part.trim(), options)?);
        }
        if sets.len() > 1 {
            // Null sets add nothing to a union, and a match-all set swallows the others.
            let first = sets[0].clone();
            sets.retain(|set| !is_null_set(set));
            if sets.is_empty() {
                sets.push(first);
            } else if let Some(any) = sets.iter().find(|set| set.is_empty()) {
                sets = vec![any.clone()];
            }
        }
        Ok(Range { sets, options })
    }

    /// Whether `version` satisfies this range.
    pub fn satisfies(&self, version: &Version) -> bool {
        self.sets
            .iter()
            .any(|set| set_satisfies(set, version, self.options))
    }

    /// The highest of `versions` that satisfies this range.
    pub fn max_satisfying<'a>(
        &self,
        versions: impl IntoIterator<Item = &'a Version>,
    ) -> Option<&'a Version> {
        versions
            .into_iter()
            .filter(|version| self.satisfies(version))
            .max_by(|left, right| left.cmp(right))
    }

    /// The lowest of `versions` that satisfies this range.
    pub fn min_satisfying<'a>(
        &self,
        versions: impl IntoIterator<Item = &'a Version>,
    ) -> Option<&'a Version> {
        versions
            .into_iter()
            .filter(|version| self.satisfies(version))
            .min_by(|left, right| left.cmp(right))
    }
}

impl FromStr for Range {
    type Err = RangeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Range::parse_with(text, RangeOptions::default())
    }
}

impl fmt::Display for Range {
    /// The desugared form, as node-semver's `validRange`: `^1.2` prints `>=1.2.0 <2.0.0-0`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, set) in self.sets.iter().enumerate() {
            if index > 0 {
                formatter.write_str("||")?;
            }
            if set.is_empty() {
                formatter.write_str("*")?;
            }
            for (position, comparator) in set.iter().enumerate() {
                if position > 0 {
                    formatter.write_str(" ")?;
                }
                write!(formatter, "{comparator}")?;
            }
        }
        Ok(())
    }
}

impl Comparator {
    fn new(operator: Operator, version: Version) -> Self {
        Comparator { operator, version }
    }

    /// Whether `version` passes this comparison (precedence only; prerelease rules live in
    /// [`Range::satisfies`]).
    pub fn test(&self, version: &Version) -> bool {
        let ordering = version.cmp(&self.version);
        match self.operator {
            Operator::Exact => ordering == Ordering::Equal,
            Operator::Greater => ordering == Ordering::Greater,
            Operator::GreaterEq => ordering != Ordering::Less,
            Operator::Less => ordering == Ordering::Less,
            Operator::LessEq => ordering != Ordering::Greater,
        }
    }
}

impl fmt::Display for Comparator {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operator = match self.operator {
            Operator::Exact => "",
            Operator::Greater => ">",
            Operator::GreaterEq => ">=",
            Operator::Less => "<",
            Operator::LessEq => "<=",
        };
        write!(formatter, "{operator}{}", self.version)
    }
}

fn set_satisfies(set: &[Comparator], version: &Version, options: RangeOptions) -> bool {
    if !set.iter().all(|comparator| comparator.test(version)) {
        return false;
    }
    if version.is_prerelease() && !options.include_prerelease {
        // `^1.2.3-pr.1` allows `1.2.3-pr.2`, but no range lets in `1.2.4-alpha` unless one
        // of its comparators names a prerelease of that same release.
        return set.iter().any(|comparator| {
            comparator.version.is_prerelease()
                && comparator.version.cmp_release(version) == Ordering::Equal
        });
    }
    true
}

/// `<0.0.0-0`: the set no version satisfies.
fn null_comparator() -> Comparator {
    let mut zero = Version::new(0, 0, 0);
    zero.prerelease.push(Identifier::Numeric(0));
    Comparator::new(Operator::Less, zero)
}

fn is_null_set(set: &[Comparator]) -> bool {
    set.len() == 1 && set[0] == null_comparator()
}

fn parse_set(part: &str, options: RangeOptions) -> Result<Vec<Comparator>, RangeError> {
    let stripped = strip_build_metadata(part);
    let tokens: Vec<&str> = stripped.split(' ').filter(|t| !t.is_empty()).collect();
    let mut comparators = Vec::new();
    if let [from, "-", to] = tokens.as_slice() {
        if let (Some(from), Some(to)) = (Partial::parse_plain(from), Partial::parse_plain(to)) {
            hyphen(&from?, &to?, options, &mut comparators);
            return Ok(finish_set(comparators));
        }
    }
    let mut pending_operator: Option<&str> = None;
    for token in tokens {
        if is_lone_operator(token) && pending_operator.is_none() {
            pending_operator = Some(token);
            continue;
        }
        match pending_operator.take() {
            Some(operator) => desugar(&format!("{operator}{token}"), options, &mut comparators)?,
            None => desugar(token, options, &mut comparators)?,
        }
    }
    if let Some(operator) = pending_operator {
        return Err(RangeError::InvalidComparator(operator.to_owned()));
    }
    Ok(finish_set(comparators))
}

fn finish_set(mut comparators: Vec<Comparator>) -> Vec<Comparator> {
    let null = null_comparator();
    if comparators.contains(&null) {
        return vec![null];
    }
    let mut unique: Vec<Comparator> = Vec::with_capacity(comparators.len());
    for comparator in comparators.drain(..) {
        if !unique.contains(&comparator) {
            unique.push(comparator);
        }
    }
    unique
}

fn is_lone_operator(token: &str) -> bool {
    matches!(token, "<" | ">" | "<=" | ">=" | "=" | "~" | "~>" | "^")
}

/// Removes every `+build.meta` run: build metadata never takes part in range matching.
fn strip_build_metadata(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut kept = String::with_capacity(text.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'+' {
            let mut end = index + 1;
            let mut identifier_length = 0;
            while end < bytes.len() {
                let byte = bytes[end];
                if byte.is_ascii_alphanumeric() || byte == b'-' {
                    identifier_length += 1;
                } else if byte == b'.' && identifier_length > 0 {
                    identifier_length = 0;
                } else {
                    break;
                }
                end += 1;
            }
            if end > index + 1 {
                // A trailing dot belongs to what follows, not to the build metadata.
                if bytes[end - 1] == b'.' {
                    end -= 1;
                }
                index = end;
                continue;
            }
        }
        let character = text[index..].chars().next().unwrap_or('\u{fffd}');
        kept.push(character);
        index += character.len_utf8();
    }
    kept
}

/// A possibly partial version: `1`, `1.2`, `1.x`, `*`, `1.2.3-beta`.
#[derive(Debug, Clone)]
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    prerelease: Vec<Identifier>,
    /// Any of major, minor or patch was written at all (as opposed to missing).
    x_written_before_number: bool,
}

impl Partial {
    /// Parses `[v=]*` followed by an x-range. `None` when the text is not shaped like one,
    /// `Some(Err)` when it is but a number is out of bounds.
    fn parse_plain(text: &str) -> Option<Result<Partial, RangeError>> {
        let body = text.trim_start_matches(['v', '=']);
        let (main, prerelease) = match body.split_once('-') {
            Some((main, prerelease)) => (main, Some(prerelease)),
            None => (body, None),
        };
        let mut parts = main.split('.');
        let mut numbers: [Option<u64>; 3] = [None; 3];
        let mut present = 0;
        for slot in &mut numbers {
            let Some(part) = parts.next() else { break };
            present += 1;
            *slot = match part {
                "x" | "X" | "*" => None,
                digits if is_numeric_identifier(digits) => match digits.parse::<u64>() {
                    Ok(number) if number <= MAX_SAFE_INTEGER => Some(number),
                    _ => return Some(Err(RangeError::InvalidComparator(text.to_owned()))),
                },
                _ => return None,
            };
        }
        if parts.next().is_some() {
            return None;
        }
        let prerelease = match prerelease {
            // A prerelease needs all three numbers written out.
            Some(pre) if present == 3 => match pre
                .split('.')
                .map(Identifier::parse)
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(identifiers) => identifiers,
                Err(_) => return None,
            },
            Some(_) => return None,
            None => Vec::new(),
        };
        let [major, minor, patch] = numbers;
        // `x.1` or `1.x.3`: a number after a wildcard is not a range.
        let x_written_before_number = (major.is_none() && minor.is_some())
            || (minor.is_none() && present == 3 && patch.is_some());
        Some(Ok(Partial {
            major,
            minor,
            patch,
            prerelease,
            x_written_before_number,
        }))
    }

    fn version(&self) -> Option<Version> {
        Some(Version {
            major: self.major?,
            minor: self.minor?,
            patch: self.patch?,
            prerelease: self.prerelease.clone(),
            build: Vec::new(),
        })
    }
}

fn is_numeric_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|byte| byte.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

fn prerelease_floor(options: RangeOptions) -> Vec<Identifier> {
    if options.include_prerelease {
        vec![Identifier::Numeric(0)]
    } else {
        Vec::new()
    }
}

fn with_prerelease(mut version: Version, prerelease: Vec<Identifier>) -> Version {
    version.prerelease = prerelease;
    version
}

/// `X.Y.Z-0`: the lowest version of a release, used for exclusive upper bounds.
fn lowest(major: u64, minor: u64, patch: u64) -> Version {
    with_prerelease(
        Version::new(major, minor, patch),
        vec![Identifier::Numeric(0)],
    )
}

fn hyphen(from: &Partial, to: &Partial, options: RangeOptions, out: &mut Vec<Comparator>) {
    match (from.major, from.minor, from.patch) {
        (None, _, _) => {}
        (Some(major), None, _) => out.push(Comparator::new(
            Operator::GreaterEq,
            with_prerelease(Version::new(major, 0, 0), prerelease_floor(options)),
        )),
        (Some(major), Some(minor), None) => out.push(Comparator::new(
            Operator::GreaterEq,
            with_prerelease(Version::new(major, minor, 0), prerelease_floor(options)),
        )),
        (Some(major), Some(minor), Some(patch)) => {
            let prerelease = if from.prerelease.is_empty() {
                prerelease_floor(options)
            } else {
                from.prerelease.clone()
            };
            out.push(Comparator::new(
                Operator::GreaterEq,
                with_prerelease(Version::new(major, minor, patch), prerelease),
            ));
        }
    }
    match (to.major, to.minor, to.patch) {
        (None, _, _) => {}
        (Some(major), None, _) => {
            out.push(Comparator::new(Operator::Less, lowest(major + 1, 0, 0)))
        }
        (Some(major), Some(minor), None) => {
            out.push(Comparator::new(Operator::Less, lowest(major, minor + 1, 0)))
        }
        (Some(major), Some(minor), Some(patch)) => {
            if !to.prerelease.is_empty() {
                out.push(Comparator::new(
                    Operator::LessEq,
                    with_prerelease(Version::new(major, minor, patch), to.prerelease.clone()),
                ));
            } else if options.include_prerelease {
                out.push(Comparator::new(
                    Operator::Less,
                    lowest(major, minor, patch + 1),
                ));
            } else {
                out.push(Comparator::new(
                    Operator::LessEq,
                    Version::new(major, minor, patch),
                ));
            }
        }
    }
}

/// Turns one comparator token (`^1.2`, `~>3.2.1`, `>=1.x`, `1.2.3`, `*`) into plain
/// comparators.
fn desugar(
    token: &str,
    options: RangeOptions,
    out: &mut Vec<Comparator>,
) -> Result<(), RangeError> {
    let invalid = || RangeError::InvalidComparator(token.to_owned());
    if let Some(rest) = token.strip_prefix('^') {
        let partial = Partial::parse_plain(rest).ok_or_else(invalid)??;
        caret(&partial, options, out);
        return Ok(());
    }
    if let Some(rest) = token.strip_prefix('~') {
        let rest = rest.strip_prefix('>').unwrap_or(rest);
        let partial = Partial::parse_plain(rest).ok_or_else(invalid)??;
        tilde(&partial, options, out);
        return Ok(());
    }
    let (operator, rest) = split_operator(token);
    let partial = Partial::parse_plain(rest).ok_or_else(invalid)??;
    if partial.x_written_before_number {
        return Err(invalid());
    }
    if let Some(version) = partial.version() {
        // A full version keeps its operator; node-semver allows only a single `v` before it.
        if rest.trim_start_matches('v').len() + 1 < rest.len() || rest.contains('=') {
            return Err(invalid());
        }
        out.push(Comparator::new(
            operator.unwrap_or(Operator::Exact),
            version,
        ));
        return Ok(());
    }
    x_range(&partial, operator, options, out);
    Ok(())
}

fn split_operator(token: &str) -> (Option<Operator>, &str) {
    for (prefix, operator) in [
        (">=", Operator::GreaterEq),
        ("<=", Operator::LessEq),
        (">", Operator::Greater),
        ("<", Operator::Less),
        ("=", Operator::Exact),
    ] {
        if let Some(rest) = token.strip_prefix(prefix) {
            return (Some(operator), rest);
        }
    }
    (None, token)
}

/// `>=lower <upper`.
fn push_bounds(out: &mut Vec<Comparator>, lower: Version, upper: Version) {
    out.push(Comparator::new(Operator::GreaterEq, lower));
    out.push(Comparator::new(Operator::Less, upper));
}

fn caret(partial: &Partial, options: RangeOptions, out: &mut Vec<Comparator>) {
    let floor = prerelease_floor(options);
    let Some(major) = partial.major else { return };
    let (lower, upper) = match (partial.minor, partial.patch) {
        (None, _) => (
            with_prerelease(Version::new(major, 0, 0), floor),
            lowest(major + 1, 0, 0),
        ),
        (Some(minor), None) => (
            with_prerelease(Version::new(major, minor, 0), floor),
            if major == 0 {
                lowest(0, minor + 1, 0)
            } else {
                lowest(major + 1, 0, 0)
            },
        ),
        (Some(minor), Some(patch)) => (
            with_prerelease(
                Version::new(major, minor, patch),
                partial.prerelease.clone(),
            ),
            match (major, minor) {
                (0, 0) => lowest(0, 0, patch + 1),
                (0, _) => lowest(0, minor + 1, 0),
                _ => lowest(major + 1, 0, 0),
            },
        ),
    };
    push_bounds(out, lower, upper);
}

fn tilde(partial: &Partial, options: RangeOptions, out: &mut Vec<Comparator>) {
    let floor = prerelease_floor(options);
    let Some(major) = partial.major else { return };
    let (lower, upper) = match (partial.minor, partial.patch) {
        (None, _) => (
            with_prerelease(Version::new(major, 0, 0), floor),
            lowest(major + 1, 0, 0),
        ),
        (Some(minor), None) => (
            with_prerelease(Version::new(major, minor, 0), floor),
            lowest(major, minor + 1, 0),
        ),
        (Some(minor), Some(patch)) => (
            with_prerelease(
                Version::new(major, minor, patch),
                partial.prerelease.clone(),
            ),
            lowest(major, minor + 1, 0),
        ),
    };
    push_bounds(out, lower, upper);
}

fn x_range(
    partial: &Partial,
    operator: Option<Operator>,
    options: RangeOptions,
    out: &mut Vec<Comparator>,
) {
    let floor = prerelease_floor(options);
    let Some(major) = partial.major else {
        // `>*` and `<*` allow nothing; `*`, `>=*`, `<=*` and `=*` allow everything.
        if matches!(operator, Some(Operator::Greater | Operator::Less)) {
            out.push(null_comparator());
        }
        return;
    };
    let operator = operator.filter(|operator| *operator != Operator::Exact);
    let Some(operator) = operator else {
        let (lower, upper) = match partial.minor {
            None => (Version::new(major, 0, 0), lowest(major + 1, 0, 0)),
            Some(minor) => (Version::new(major, minor, 0), lowest(major, minor + 1, 0)),
        };
        push_bounds(out, with_prerelease(lower, floor), upper);
        return;
    };
    let minor_is_x = partial.minor.is_none();
    let minor = partial.minor.unwrap_or(0);
    let comparator = match operator {
        // `>1` is `>=2.0.0`, `>1.2` is `>=1.3.0`.
        Operator::Greater => {
            let version = if minor_is_x {
                Version::new(major + 1, 0, 0)
            } else {
                Version::new(major, minor + 1, 0)
            };
            Comparator::new(Operator::GreaterEq, with_prerelease(version, floor))
        }
        // Every `0.7.x` satisfies `<=0.7.x`, so it means `<0.8.0-0`.
        Operator::LessEq => {
            let version = if minor_is_x {
                lowest(major + 1, 0, 0)
            } else {
                lowest(major, minor + 1, 0)
            };
            Comparator::new(Operator::Less, version)
        }
        Operator::Less => Comparator::new(Operator::Less, lowest(major, minor, 0)),
        Operator::GreaterEq | Operator::Exact => Comparator::new(
            Operator::GreaterEq,
            with_prerelease(Version::new(major, minor, 0), floor),
        ),
    };
    out.push(comparator);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desugared(range: &str) -> String {
        Range::parse_with(range, RangeOptions::default())
            .expect("valid range")
            .to_string()
    }

    #[test]
    fn desugars_like_node_semver() {
        for (range, expected) in [
            ("^1.2.3", ">=1.2.3 <2.0.0-0"),
            ("^0.2.3", ">=0.2.3 <0.3.0-0"),
            ("^0.0.3", ">=0.0.3 <0.0.4-0"),
            ("^1.2", ">=1.2.0 <2.0.0-0"),
            ("^0.0", ">=0.0.0 <0.1.0-0"),
            ("~1.2.3", ">=1.2.3 <1.3.0-0"),
            ("~1", ">=1.0.0 <2.0.0-0"),
            ("1.2.x", ">=1.2.0 <1.3.0-0"),
            ("1.0.0 - 2.0.0", ">=1.0.0 <=2.0.0"),
            ("1.2 - 3.4", ">=1.2.0 <3.5.0-0"),
            (">1.2", ">=1.3.0"),
            ("<=0.7.x", "<0.8.0-0"),
            ("<1.2", "<1.2.0-0"),
            ("*", "*"),
            ("", "*"),
            (">*", "<0.0.0-0"),
            (
                "1.x || >=2.5.0 || 5.0.0 - 7.2.3",
                ">=1.0.0 <2.0.0-0||>=2.5.0||>=5.0.0 <=7.2.3",
            ),
            ("^1.2.3+build", ">=1.2.3 <2.0.0-0"),
        ] {
            assert_eq!(desugared(range), expected, "range {range:?}");
        }
    }

    #[test]
    fn rejects_numbers_after_wildcards_and_garbage() {
        for range in [
            "1.x.3", "x.1", ">=", "foo", "1.2.3 - ", ">=01.2.3", "~1.2.3.4",
        ] {
            assert!(
                range.parse::<Range>().is_err(),
                "{range:?} must be rejected"
            );
        }
    }

    #[test]
    fn max_satisfying_picks_the_highest_match() {
        let versions: Vec<Version> = ["1.2.3", "1.9.0", "2.0.0", "1.10.0-beta.1"]
            .iter()
            .map(|text| text.parse().expect("valid"))
            .collect();
        let range: Range = "^1.2.0".parse().expect("valid");
        assert_eq!(
            range.max_satisfying(&versions).map(ToString::to_string),
            Some("1.9.0".to_owned())
        );
        assert_eq!(
            range.min_satisfying(&versions).map(ToString::to_string),
            Some("1.2.3".to_owned())
        );
    }
}
