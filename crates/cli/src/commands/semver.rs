//! `verso semver …`: node-semver's everyday functions on the command line. Invalid input is
//! reported on stderr with exit code 1; stdout carries only the answer.

use std::io::Write as _;

use serde::Serialize;
use verso_core::semver::{Identifier, PreidBase, Range, RangeOptions, Release, Version};

use crate::args::SemverCommand;
use crate::report::Outcome;

pub(crate) fn run(command: SemverCommand) -> anyhow::Result<Outcome> {
    let answer = match answer(command) {
        Ok(answer) => answer,
        Err(rejection) => {
            eprintln!("error: {rejection}");
            return Ok(Outcome::Rejected);
        }
    };
    if !answer.is_empty() {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{answer}")?;
    }
    Ok(Outcome::Success)
}

/// The text to print, or why the input is invalid.
fn answer(command: SemverCommand) -> Result<String, String> {
    match command {
        SemverCommand::Parse { version } => {
            let parsed = parse(&version)?;
            Ok(to_json(&parsed))
        }
        SemverCommand::Compare { a, b } => {
            let ordering = parse(&a)?.cmp(&parse(&b)?);
            Ok((ordering as i8).to_string())
        }
        SemverCommand::Inc {
            version,
            release,
            preid,
            preid_base,
        } => {
            let version = parse(&version)?;
            let release: Release = release.parse().map_err(|error| format!("{error}"))?;
            let base = match preid_base {
                Some(base) => base
                    .parse::<PreidBase>()
                    .map_err(|error| format!("{error}"))?,
                None => PreidBase::Zero,
            };
            version
                .increment(release, preid.as_deref(), base)
                .map(|next| next.to_string())
                .map_err(|error| format!("cannot increment `{version}`: {error}"))
        }
        SemverCommand::Satisfies {
            version,
            range,
            include_prerelease,
        } => {
            let version = parse(&version)?;
            let options = RangeOptions { include_prerelease };
            let range = Range::parse_with(&range, options)
                .map_err(|error| format!("`{range}` is not a valid range: {error}"))?;
            Ok(range.satisfies(&version).to_string())
        }
        SemverCommand::Sort => sort(std::io::stdin().lock()),
    }
}

fn parse(text: &str) -> Result<Version, String> {
    Version::parse(text).map_err(|error| format!("`{text}` is not a valid version: {error}"))
}

fn sort(input: impl std::io::BufRead) -> Result<String, String> {
    let mut versions = Vec::new();
    for (number, line) in input.lines().enumerate() {
        let line = line.map_err(|error| format!("failed to read standard input: {error}"))?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let version = parse(text).map_err(|error| format!("line {}: {error}", number + 1))?;
        versions.push((version, text.to_owned()));
    }
    versions.sort_by(|left, right| left.0.cmp_with_build(&right.0));
    Ok(versions
        .into_iter()
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join("\n"))
}

/// The JSON contract of `verso semver parse`:
/// `{"version":"1.2.3-alpha.1","major":1,"minor":2,"patch":3,"prerelease":["alpha",1],"build":["b5"]}`
#[derive(Serialize)]
struct ParsedVersion<'a> {
    version: String,
    major: u64,
    minor: u64,
    patch: u64,
    prerelease: &'a [Identifier],
    build: &'a [String],
}

fn to_json(version: &Version) -> String {
    let parsed = ParsedVersion {
        version: version.without_build().to_string(),
        major: version.major,
        minor: version.minor,
        patch: version.patch,
        prerelease: &version.prerelease,
        build: &version.build,
    };
    serde_json::to_string(&parsed).unwrap_or_default()
}
