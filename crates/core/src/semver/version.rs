//! SemVer 2.0.0 versions: parsing, printing and precedence.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Longest version string accepted, as in node-semver.
pub const MAX_LENGTH: usize = 256;

/// Largest accepted major, minor or patch number: `Number.MAX_SAFE_INTEGER` (2^53 - 1), as in
/// node-semver, so that every version verso accepts is also accepted by npm.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A SemVer 2.0.0 version.
///
/// Equality and ordering follow SemVer precedence, so build metadata is ignored:
///
/// ```
/// use verso_core::semver::Version;
/// let a: Version = "1.2.3+build.1".parse().unwrap();
/// let b: Version = "1.2.3+build.2".parse().unwrap();
/// assert_eq!(a, b);
/// assert!("1.0.0-alpha".parse::<Version>().unwrap() < "1.0.0".parse().unwrap());
/// ```
#[derive(Debug, Clone)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub prerelease: Vec<Identifier>,
    pub build: Vec<String>,
}

/// One dot-separated prerelease identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identifier {
    /// Digits only, without leading zeros, small enough to be a JavaScript safe integer.
    Numeric(u64),
    /// Anything else: letters, digits and hyphens (including digit-only identifiers too large
    /// to be numbers, which still compare numerically).
    AlphaNumeric(String),
}

/// Why a string is not a version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("version is empty")]
    Empty,
    #[error("version is longer than {MAX_LENGTH} characters")]
    TooLong,
    #[error("expected a number for the {part} version at position {position}")]
    ExpectedNumber { part: &'static str, position: usize },
    #[error("the {part} version has a leading zero")]
    LeadingZero { part: &'static str },
    #[error("the {part} version is larger than {MAX_SAFE_INTEGER}")]
    NumberTooLarge { part: &'static str },
    #[error("expected `.` after the {part} version at position {position}")]
    ExpectedDot { part: &'static str, position: usize },
    #[error("empty {section} identifier at position {position}")]
    EmptyIdentifier {
        section: &'static str,
        position: usize,
    },
    #[error("numeric prerelease identifier `{identifier}` has a leading zero")]
    PrereleaseLeadingZero { identifier: String },
    #[error("unexpected character `{character}` at position {position}")]
    UnexpectedCharacter { character: char, position: usize },
}

impl Version {
    /// A version without prerelease or build.
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Version {
            major,
            minor,
            patch,
            prerelease: Vec::new(),
            build: Vec::new(),
        }
    }

    /// Parses a version the way node-semver does without `loose`: surrounding whitespace and
    /// one leading `v` are accepted, everything else follows SemVer 2.0.0.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if input.len() > MAX_LENGTH {
            return Err(ParseError::TooLong);
        }
        let trimmed = input.trim();
        let (text, offset) = match trimmed.strip_prefix('v') {
            Some(rest) => (rest, 1),
            None => (trimmed, 0),
        };
        Self::parse_strict_at(text, offset)
    }

    /// Parses exactly a SemVer 2.0.0 version: no whitespace, no `v` prefix.
    pub fn parse_strict(text: &str) -> Result<Self, ParseError> {
        if text.len() > MAX_LENGTH {
            return Err(ParseError::TooLong);
        }
        Self::parse_strict_at(text, 0)
    }

    fn parse_strict_at(text: &str, offset: usize) -> Result<Self, ParseError> {
        if text.is_empty() {
            return Err(ParseError::Empty);
        }
        let mut cursor = Cursor {
            bytes: text.as_bytes(),
            position: 0,
            offset,
        };
        let major = cursor.number("major")?;
        cursor.dot("major")?;
        let minor = cursor.number("minor")?;
        cursor.dot("minor")?;
        let patch = cursor.number("patch")?;
        let mut version = Version::new(major, minor, patch);
        if cursor.eat(b'-') {
            version.prerelease = cursor.prerelease()?;
        }
        if cursor.eat(b'+') {
            version.build = cursor.build()?;
        }
        if let Some(character) = cursor.peek_char(text) {
            return Err(ParseError::UnexpectedCharacter {
                character,
                position: cursor.absolute(),
            });
        }
        Ok(version)
    }

    /// Whether this version has prerelease identifiers.
    pub fn is_prerelease(&self) -> bool {
        !self.prerelease.is_empty()
    }

    /// The same version without prerelease and build: `1.2.3-beta.1` gives `1.2.3`.
    pub fn release(&self) -> Version {
        Version::new(self.major, self.minor, self.patch)
    }

    /// The same version without build metadata.
    pub fn without_build(&self) -> Version {
        Version {
            build: Vec::new(),
            ..self.clone()
        }
    }

    /// Compares major, minor and patch only.
    pub fn cmp_release(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch))
    }

    /// Compares including build metadata as a final tie-breaker (node-semver `compareBuild`),
    /// for a stable sort order.
    pub fn cmp_with_build(&self, other: &Version) -> Ordering {
        self.cmp(other).then_with(|| {
            for (left, right) in self.build.iter().zip(&other.build) {
                let ordering = compare_text_identifiers(left, right);
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
            self.build.len().cmp(&other.build.len())
        })
    }
}

impl FromStr for Version {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Version::parse(text)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (index, identifier) in self.prerelease.iter().enumerate() {
            formatter.write_str(if index == 0 { "-" } else { "." })?;
            write!(formatter, "{identifier}")?;
        }
        for (index, identifier) in self.build.iter().enumerate() {
            formatter.write_str(if index == 0 { "+" } else { "." })?;
            formatter.write_str(identifier)?;
        }
        Ok(())
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    /// SemVer precedence: build metadata is ignored.
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_release(other)
            .then_with(|| compare_prerelease(&self.prerelease, &other.prerelease))
    }
}

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Consistent with `Eq`: build metadata does not take part.
        (self.major, self.minor, self.patch, &self.prerelease).hash(state);
    }
}

impl Identifier {
    /// Parses one prerelease identifier.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let mut cursor = Cursor {
            bytes: text.as_bytes(),
            position: 0,
            offset: 0,
        };
        let identifier = cursor.prerelease_identifier()?;
        if let Some(character) = cursor.peek_char(text) {
            return Err(ParseError::UnexpectedCharacter {
                character,
                position: cursor.absolute(),
            });
        }
        Ok(identifier)
    }

    fn is_numeric(&self) -> bool {
        match self {
            Identifier::Numeric(_) => true,
            Identifier::AlphaNumeric(text) => text.bytes().all(|byte| byte.is_ascii_digit()),
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identifier::Numeric(number) => write!(formatter, "{number}"),
            Identifier::AlphaNumeric(text) => formatter.write_str(text),
        }
    }
}

impl serde::Serialize for Identifier {
    /// Numbers as JSON numbers, everything else as strings, as node-semver's `prerelease`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Identifier::Numeric(number) => serializer.serialize_u64(*number),
            Identifier::AlphaNumeric(text) => serializer.serialize_str(text),
        }
    }
}

impl PartialOrd for Identifier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Identifier {
    /// Numeric identifiers compare numerically and sort before alphanumeric ones, which
    /// compare in ASCII order.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Identifier::Numeric(left), Identifier::Numeric(right)) => left.cmp(right),
            _ => match (self.is_numeric(), other.is_numeric()) {
                (true, true) => compare_digits(&self.to_string(), &other.to_string()),
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => self.to_string().cmp(&other.to_string()),
            },
        }
    }
}

fn compare_prerelease(left: &[Identifier], right: &[Identifier]) -> Ordering {
    match (left.is_empty(), right.is_empty()) {
        (true, true) => Ordering::Equal,
        // A version without prerelease has the higher precedence.
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            for (left, right) in left.iter().zip(right) {
                let ordering = left.cmp(right);
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
            left.len().cmp(&right.len())
        }
    }
}

/// Compares two identifiers given as text with node-semver's `compareIdentifiers` rules.
fn compare_text_identifiers(left: &str, right: &str) -> Ordering {
    let left_numeric = !left.is_empty() && left.bytes().all(|byte| byte.is_ascii_digit());
    let right_numeric = !right.is_empty() && right.bytes().all(|byte| byte.is_ascii_digit());
    match (left_numeric, right_numeric) {
        (true, true) => compare_digits(left, right),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => left.cmp(right),
    }
}

/// Compares two non-negative decimal numbers of any size.
fn compare_digits(left: &str, right: &str) -> Ordering {
    let left = left.trim_start_matches('0');
    let right = right.trim_start_matches('0');
    left.len().cmp(&right.len()).then_with(|| left.cmp(right))
}

/// A single forward pass over the input: every byte is looked at a bounded number of times,
/// so parsing is linear whatever the input.
struct Cursor<'a> {
    bytes: &'a [u8],
    position: usize,
    offset: usize,
}

impl Cursor<'_> {
    fn absolute(&self) -> usize {
        self.offset + self.position
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn peek_char(&self, text: &str) -> Option<char> {
        text.get(self.position..)
            .and_then(|rest| rest.chars().next())
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn dot(&mut self, part: &'static str) -> Result<(), ParseError> {
        if self.eat(b'.') {
            Ok(())
        } else {
            Err(ParseError::ExpectedDot {
                part,
                position: self.absolute(),
            })
        }
    }

    fn digits(&mut self) -> &[u8] {
        let start = self.position;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.position += 1;
        }
        &self.bytes[start..self.position]
    }

    fn number(&mut self, part: &'static str) -> Result<u64, ParseError> {
        let position = self.absolute();
        let digits = self.digits();
        if digits.is_empty() {
            return Err(ParseError::ExpectedNumber { part, position });
        }
        if digits.len() > 1 && digits[0] == b'0' {
            return Err(ParseError::LeadingZero { part });
        }
        parse_safe_integer(digits).ok_or(ParseError::NumberTooLarge { part })
    }

    /// Reads `[0-9A-Za-z-]*` and returns it.
    fn identifier_bytes(&mut self) -> &[u8] {
        let start = self.position;
        while matches!(self.peek(), Some(byte) if byte.is_ascii_alphanumeric() || byte == b'-') {
            self.position += 1;
        }
        &self.bytes[start..self.position]
    }

    fn prerelease_identifier(&mut self) -> Result<Identifier, ParseError> {
        let position = self.absolute();
        let bytes = self.identifier_bytes();
        if bytes.is_empty() {
            return Err(ParseError::EmptyIdentifier {
                section: "prerelease",
                position,
            });
        }
        let text = String::from_utf8_lossy(bytes).into_owned();
        if bytes.iter().all(u8::is_ascii_digit) {
            if bytes.len() > 1 && bytes[0] == b'0' {
                return Err(ParseError::PrereleaseLeadingZero { identifier: text });
            }
            // node-semver keeps numbers from MAX_SAFE_INTEGER up as strings; they still
            // compare numerically.
            if let Some(number) = parse_safe_integer(bytes).filter(|n| *n < MAX_SAFE_INTEGER) {
                return Ok(Identifier::Numeric(number));
            }
        }
        Ok(Identifier::AlphaNumeric(text))
    }

    fn prerelease(&mut self) -> Result<Vec<Identifier>, ParseError> {
        let mut identifiers = vec![self.prerelease_identifier()?];
        while self.eat(b'.') {
            identifiers.push(self.prerelease_identifier()?);
        }
        Ok(identifiers)
    }

    fn build(&mut self) -> Result<Vec<String>, ParseError> {
        let mut identifiers = Vec::new();
        loop {
            let position = self.absolute();
            let bytes = self.identifier_bytes();
            if bytes.is_empty() {
                return Err(ParseError::EmptyIdentifier {
                    section: "build",
                    position,
                });
            }
            identifiers.push(String::from_utf8_lossy(bytes).into_owned());
            if !self.eat(b'.') {
                return Ok(identifiers);
            }
        }
    }
}

fn parse_safe_integer(digits: &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    for digit in digits {
        value = value
            .checked_mul(10)?
            .checked_add(u64::from(digit - b'0'))?;
        if value > MAX_SAFE_INTEGER {
            return None;
        }
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> Version {
        Version::parse(text).expect("valid version")
    }

    #[test]
    fn spec_precedence_example_is_strictly_increasing() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for pair in ordered.windows(2) {
            assert!(
                version(pair[0]) < version(pair[1]),
                "{} < {}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn display_round_trips_build_metadata() {
        assert_eq!(
            version("1.2.3-alpha.1+b5.x-y").to_string(),
            "1.2.3-alpha.1+b5.x-y"
        );
    }

    #[test]
    fn rejects_what_semver_forbids() {
        for text in [
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.02.3",
            "1.2.03",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3-a..b",
            "1.2.3+",
            "1.2.3+a..b",
            "1.2.3-a_b",
            "=1.2.3",
            "1.2.3 4",
            "V1.2.3",
        ] {
            assert!(Version::parse(text).is_err(), "{text:?} must be rejected");
        }
    }

    #[test]
    fn big_numeric_prerelease_identifiers_compare_numerically() {
        assert!(version("1.0.0-99999999999999999999") > version("1.0.0-9999999999999999999"));
        assert!(version("1.0.0-99999999999999999999") < version("1.0.0-a"));
    }

    #[test]
    fn parsing_is_linear_on_hostile_input() {
        let hostile = format!("1.2.3-{}", "a.".repeat(120));
        let started = std::time::Instant::now();
        for _ in 0..10_000 {
            assert!(Version::parse(&hostile).is_err());
        }
        // Generous bound: a backtracking parser takes seconds here.
        assert!(started.elapsed().as_secs() < 2);
    }
}
