//! Conventional Commits: `<type>[(scope)][!]: <description>`, body and footers, plus the
//! messages git writes itself (merges and reverts).
//!
//! ```
//! use verso_core::commit::ConventionalCommit;
//! let commit = ConventionalCommit::parse("feat(api)!: drop v1\n\nBREAKING CHANGE: v1 is gone\nRefs #133");
//! assert_eq!(commit.kind.as_deref(), Some("feat"));
//! assert_eq!(commit.scope.as_deref(), Some("api"));
//! assert!(commit.breaking);
//! assert_eq!(commit.breaking_description.as_deref(), Some("v1 is gone"));
//! assert_eq!(commit.footers[1].value, "133");
//! ```

use serde::Serialize;

/// A commit message, parsed. Non-conventional messages parse too, with `conventional: false`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConventionalCommit {
    /// The header follows `<type>[(scope)][!]: <description>`.
    pub conventional: bool,
    /// The first line of the message.
    #[serde(skip)]
    pub header: String,
    /// The type (`feat`, `fix`, ...) as written.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub scope: Option<String>,
    /// Marked breaking by `!` or a `BREAKING CHANGE:` / `BREAKING-CHANGE:` footer.
    pub breaking: bool,
    pub description: Option<String>,
    /// Everything between the header and the footers, or `None` when empty.
    pub body: Option<String>,
    pub footers: Vec<Footer>,
    /// The breaking-change footer's text, or the description when only `!` marks it.
    pub breaking_description: Option<String>,
    /// A merge commit message written by git or a forge (`Merge branch 'x'`).
    pub merge: bool,
    /// Set when this commit reverts another one.
    pub revert: Option<Revert>,
}

/// A `Token: value` or `Token #value` trailer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Footer {
    pub token: String,
    /// `:` or `#`.
    pub separator: String,
    pub value: String,
}

/// What a revert commit names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revert {
    /// The header of the reverted commit, as quoted by git, or the description of a
    /// `revert:` commit.
    pub header: String,
    /// The reverted commit from `This reverts commit <hash>.`, when the message says.
    pub hash: Option<String>,
}

/// Why a header is not conventional: what `verso lint` reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("the message is empty")]
    Empty,
    #[error("the header does not start with a type: expected `<type>[(scope)][!]: <description>`")]
    MissingType,
    #[error("the type `{0}` may only contain letters, digits, `-` and `_`")]
    InvalidType(String),
    #[error("the scope is not closed: expected `)` after `({0}`")]
    UnclosedScope(String),
    #[error("the scope is empty: write `type: description` or `type(scope): description`")]
    EmptyScope,
    #[error("expected `: ` after the type{0}")]
    MissingColon(String),
    #[error("the description after `: ` is empty")]
    EmptyDescription,
}

const BREAKING_TOKENS: [&str; 2] = ["BREAKING CHANGE", "BREAKING-CHANGE"];

impl ConventionalCommit {
    /// Parses a raw commit message (LF or CRLF line endings).
    pub fn parse(message: &str) -> Self {
        let lines: Vec<&str> = message
            .lines()
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .collect();
        let header = lines.first().map_or("", |line| line.trim_end());
        let rest = lines.get(1..).unwrap_or(&[]);
        let (body, footers) = split_body_and_footers(rest);
        let revert = parse_revert(header, &body, &footers);
        let merge = is_merge_header(header);
        let mut commit = ConventionalCommit {
            conventional: false,
            header: header.to_owned(),
            kind: None,
            scope: None,
            breaking: false,
            description: None,
            body,
            footers,
            breaking_description: None,
            merge,
            revert,
        };
        if merge {
            return commit;
        }
        if let Ok(parts) = parse_header(header) {
            commit.conventional = true;
            commit.kind = Some(parts.kind.to_owned());
            commit.scope = parts.scope.map(str::to_owned);
            commit.description = Some(parts.description.to_owned());
            let footer_description = commit
                .footers
                .iter()
                .find(|footer| BREAKING_TOKENS.contains(&footer.token.as_str()))
                .map(|footer| footer.value.clone());
            commit.breaking = parts.bang || footer_description.is_some();
            commit.breaking_description = match footer_description {
                Some(text) => Some(text),
                None if parts.bang => Some(parts.description.to_owned()),
                None => None,
            };
            if commit.revert.is_none() && parts.kind.eq_ignore_ascii_case("revert") {
                commit.revert = Some(Revert {
                    header: parts.description.to_owned(),
                    hash: None,
                });
            }
        }
        commit
    }

    /// The type in lower case, for rule lookups (types are case-insensitive).
    pub fn kind_lowercase(&self) -> Option<String> {
        self.kind.as_deref().map(str::to_ascii_lowercase)
    }
}

/// The parts of a conventional header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderParts<'a> {
    pub kind: &'a str,
    pub scope: Option<&'a str>,
    pub bang: bool,
    pub description: &'a str,
}

/// Parses `<type>[(scope)][!]: <description>`, saying precisely what is wrong otherwise.
pub fn parse_header(header: &str) -> Result<HeaderParts<'_>, HeaderError> {
    let header = header.trim_end();
    if header.trim().is_empty() {
        return Err(HeaderError::Empty);
    }
    let type_end = header.find(['(', '!', ':', ' ']).unwrap_or(header.len());
    let kind = &header[..type_end];
    if kind.is_empty() {
        return Err(HeaderError::MissingType);
    }
    let valid_type = kind
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && kind
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || matches!(character, '-' | '_'));
    if !valid_type {
        return Err(if type_end == header.len() {
            HeaderError::MissingType
        } else {
            HeaderError::InvalidType(kind.to_owned())
        });
    }
    let mut rest = &header[type_end..];
    let mut scope = None;
    if let Some(after_paren) = rest.strip_prefix('(') {
        let Some(close) = after_paren.find(')') else {
            return Err(HeaderError::UnclosedScope(after_paren.to_owned()));
        };
        let text = &after_paren[..close];
        if text.trim().is_empty() {
            return Err(HeaderError::EmptyScope);
        }
        scope = Some(text);
        rest = &after_paren[close + 1..];
    }
    let bang = rest.starts_with('!');
    if bang {
        rest = &rest[1..];
    }
    let Some(description) = rest.strip_prefix(": ") else {
        let written = match (scope, bang) {
            (Some(scope), true) => format!(" `{kind}({scope})!`"),
            (Some(scope), false) => format!(" `{kind}({scope})`"),
            (None, true) => format!(" `{kind}!`"),
            (None, false) => format!(" `{kind}`"),
        };
        if rest.starts_with(':') && rest[1..].trim().is_empty() {
            return Err(HeaderError::EmptyDescription);
        }
        return Err(HeaderError::MissingColon(written));
    };
    let description = description.trim();
    if description.is_empty() {
        return Err(HeaderError::EmptyDescription);
    }
    Ok(HeaderParts {
        kind,
        scope,
        bang,
        description,
    })
}

/// Merge messages written by git, GitHub, GitLab and Bitbucket.
pub fn is_merge_header(header: &str) -> bool {
    [
        "Merge pull request ",
        "Merge branch ",
        "Merge branches ",
        "Merge remote-tracking branch ",
        "Merge tag ",
        "Merge commit ",
        "Merge remote branch ",
        "Merged in ",
        "Merge changes ",
    ]
    .iter()
    .any(|prefix| header.starts_with(prefix))
}

fn parse_revert(header: &str, body: &Option<String>, footers: &[Footer]) -> Option<Revert> {
    let hash = body
        .as_deref()
        .into_iter()
        .chain(footers.iter().map(|footer| footer.value.as_str()))
        .flat_map(str::lines)
        .find_map(reverted_hash);
    let quoted = header
        .strip_prefix("Revert \"")
        .and_then(|rest| rest.strip_suffix('"'));
    match quoted {
        Some(inner) => Some(Revert {
            header: inner.to_owned(),
            hash,
        }),
        None => {
            let parts = parse_header(header).ok()?;
            parts.kind.eq_ignore_ascii_case("revert").then(|| Revert {
                header: parts.description.to_owned(),
                hash,
            })
        }
    }
}

/// `This reverts commit 0123abc.` gives `0123abc`.
fn reverted_hash(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("This reverts commit ")?;
    let hash: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
    (hash.len() >= 4).then(|| hash.to_ascii_lowercase())
}

/// Parses `Token: value`, `Token #value`, `BREAKING CHANGE: value`.
fn parse_footer_line(line: &str) -> Option<Footer> {
    for token in BREAKING_TOKENS {
        if let Some(rest) = line.strip_prefix(token) {
            if let Some(value) = rest.strip_prefix(": ") {
                return Some(footer(token, ":", value));
            }
            if let Some(value) = rest.strip_prefix(" #") {
                return Some(footer(token, "#", value));
            }
        }
    }
    let token_end = line
        .find(|character: char| !(character.is_ascii_alphanumeric() || character == '-'))
        .unwrap_or(line.len());
    let token = &line[..token_end];
    if token.is_empty() || token.starts_with('-') {
        return None;
    }
    let rest = &line[token_end..];
    if let Some(value) = rest.strip_prefix(": ") {
        return Some(footer(token, ":", value));
    }
    if let Some(value) = rest.strip_prefix(" #") {
        return Some(footer(token, "#", value));
    }
    None
}

fn footer(token: &str, separator: &str, value: &str) -> Footer {
    Footer {
        token: token.to_owned(),
        separator: separator.to_owned(),
        value: value.trim_end().to_owned(),
    }
}

/// Splits what follows the header into body and footers.
///
/// Footers are a trailing run of paragraphs that each start with a footer line; a paragraph
/// that does not is only accepted inside that run as the continuation of a breaking-change
/// footer (multi-paragraph migration notes). So a wrapped body line that merely mentions a
/// "breaking change", or a body paragraph followed by more prose, is never a footer.
fn split_body_and_footers(lines: &[&str]) -> (Option<String>, Vec<Footer>) {
    let mut paragraphs: Vec<&[&str]> = Vec::new();
    let mut start = None;
    for (index, line) in lines.iter().enumerate() {
        let blank = line.trim().is_empty();
        match (blank, start) {
            (false, None) => start = Some(index),
            (true, Some(first)) => {
                paragraphs.push(&lines[first..index]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(first) = start {
        paragraphs.push(&lines[first..]);
    }
    let footer_start = (0..paragraphs.len()).find(|&candidate| {
        if parse_footer_line(paragraphs[candidate][0]).is_none() {
            return false;
        }
        let mut last_is_breaking = false;
        paragraphs[candidate..].iter().all(|paragraph| {
            let footers_here: Vec<Footer> = paragraph
                .iter()
                .filter_map(|line| parse_footer_line(line))
                .collect();
            let starts_with_footer = parse_footer_line(paragraph[0]).is_some();
            let accepted = starts_with_footer || last_is_breaking;
            if let Some(last) = footers_here.last() {
                last_is_breaking = BREAKING_TOKENS.contains(&last.token.as_str());
            }
            accepted
        })
    });
    let footer_start = footer_start.unwrap_or(paragraphs.len());
    let body = paragraphs[..footer_start]
        .iter()
        .map(|paragraph| paragraph.join("\n"))
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut footers: Vec<Footer> = Vec::new();
    for (index, paragraph) in paragraphs[footer_start..].iter().enumerate() {
        for (position, line) in paragraph.iter().enumerate() {
            match parse_footer_line(line) {
                Some(footer) => footers.push(footer),
                None => {
                    if let Some(last) = footers.last_mut() {
                        // A continuation: a wrapped line, or a new paragraph of a breaking
                        // change's description.
                        last.value.push_str(if position == 0 && index > 0 {
                            "\n\n"
                        } else {
                            "\n"
                        });
                        last.value.push_str(line.trim_end());
                    }
                }
            }
        }
    }
    let body = (!body.trim().is_empty()).then_some(body);
    (body, footers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_type_scope_bang_and_description() {
        let commit = ConventionalCommit::parse("feat(api)!: list versions");
        assert!(commit.conventional);
        assert_eq!(commit.kind.as_deref(), Some("feat"));
        assert_eq!(commit.scope.as_deref(), Some("api"));
        assert!(commit.breaking);
        assert_eq!(
            commit.breaking_description.as_deref(),
            Some("list versions")
        );
    }

    #[test]
    fn breaking_change_footer_with_crlf_line_endings() {
        let commit = ConventionalCommit::parse(
            "fix: handle empty input\r\n\r\nSome body text.\r\n\r\nBREAKING-CHANGE: input must not be empty\r\nReviewed-by: Z\r\n",
        );
        assert!(commit.breaking);
        assert_eq!(commit.body.as_deref(), Some("Some body text."));
        assert_eq!(
            commit.breaking_description.as_deref(),
            Some("input must not be empty")
        );
        assert_eq!(commit.footers.len(), 2);
        assert_eq!(commit.footers[1].token, "Reviewed-by");
    }

    #[test]
    fn wrapped_body_line_mentioning_breaking_change_is_not_a_footer() {
        let commit = ConventionalCommit::parse(
            "fix: keep the old flag\n\nRemoving the flag would have been a\nBREAKING CHANGE: for everyone, so we keep it.\n\nMore prose follows here.",
        );
        assert!(!commit.breaking);
        assert!(commit.footers.is_empty());
    }

    #[test]
    fn body_paragraph_that_looks_like_a_footer_but_is_followed_by_prose_is_body() {
        let commit = ConventionalCommit::parse(
            "docs: explain\n\nNote: this is prose.\n\nAnd more prose after it.",
        );
        assert!(commit.footers.is_empty());
        assert_eq!(
            commit.body.as_deref(),
            Some("Note: this is prose.\n\nAnd more prose after it.")
        );
    }

    #[test]
    fn breaking_change_footer_may_span_paragraphs() {
        let commit = ConventionalCommit::parse(
            "feat: new config\n\nBREAKING CHANGE: the config moved.\n\nRun `verso migrate` first.\nRefs #12",
        );
        assert_eq!(
            commit.breaking_description.as_deref(),
            Some("the config moved.\n\nRun `verso migrate` first.")
        );
        assert_eq!(commit.footers[1].token, "Refs");
        assert_eq!(commit.footers[1].separator, "#");
        assert_eq!(commit.footers[1].value, "12");
    }

    #[test]
    fn git_revert_names_header_and_hash() {
        let commit = ConventionalCommit::parse(
            "Revert \"feat: add x\"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.\n",
        );
        assert!(!commit.conventional);
        let revert = commit.revert.expect("a revert");
        assert_eq!(revert.header, "feat: add x");
        assert_eq!(
            revert.hash.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
    }

    #[test]
    fn merge_messages_are_recognised_and_not_conventional() {
        for header in [
            "Merge pull request #1 from org/feat-x",
            "Merge branch 'main' into dev",
            "Merge remote-tracking branch 'origin/main'",
        ] {
            let commit = ConventionalCommit::parse(header);
            assert!(commit.merge, "{header}");
            assert!(!commit.conventional, "{header}");
        }
    }

    #[test]
    fn header_errors_say_what_is_wrong() {
        assert_eq!(
            parse_header("feat add x"),
            Err(HeaderError::MissingColon(" `feat`".into()))
        );
        assert_eq!(
            parse_header("feat(api: x"),
            Err(HeaderError::UnclosedScope("api: x".into()))
        );
        assert_eq!(parse_header("feat(): x"), Err(HeaderError::EmptyScope));
        assert_eq!(parse_header("feat: "), Err(HeaderError::EmptyDescription));
        assert_eq!(
            parse_header("feat:x"),
            Err(HeaderError::MissingColon(" `feat`".into()))
        );
        assert_eq!(
            parse_header("Added stuff"),
            Err(HeaderError::MissingColon(" `Added`".into()))
        );
        assert_eq!(
            parse_header("fe@t: x"),
            Err(HeaderError::InvalidType("fe@t".into()))
        );
    }
}
