//! node-semver's strict fixture cases, as data (see `conformance/README.md`).

use std::cmp::Ordering;

use serde_json::Value;
use verso_core::semver::{PreidBase, Range, RangeOptions, Release, Version};

fn cases(file: &str) -> Vec<Value> {
    let path = format!("{}/tests/it/conformance/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture file is readable");
    text.lines()
        .map(|line| serde_json::from_str(line).expect("fixture line is JSON"))
        .collect()
}

fn text<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is a string in {case}"))
}

/// Runs `check` on every case and fails with the list of failing ids and reasons.
fn run(file: &str, expected_count: usize, check: impl Fn(&Value) -> Result<(), String>) {
    let cases = cases(file);
    assert_eq!(cases.len(), expected_count, "{file} holds every case");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check(case)
                .err()
                .map(|why| format!("{}: {why}", text(case, "id")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing case(s) in {file}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn parse(text: &str) -> Result<Version, String> {
    Version::parse(text).map_err(|error| format!("`{text}` does not parse: {error}"))
}

#[test]
fn comparisons() {
    run("comparisons.jsonl", 19, |case| {
        let a = parse(text(case, "a"))?;
        let b = parse(text(case, "b"))?;
        let expected = match case["order"].as_i64() {
            Some(-1) => Ordering::Less,
            Some(0) => Ordering::Equal,
            _ => Ordering::Greater,
        };
        if a.cmp(&b) != expected || b.cmp(&a) != expected.reverse() {
            return Err(format!(
                "compare gave {:?}, expected {expected:?}",
                a.cmp(&b)
            ));
        }
        Ok(())
    });
}

#[test]
fn equality() {
    run("equality.jsonl", 3, |case| {
        let a = parse(text(case, "a"))?;
        let b = parse(text(case, "b"))?;
        if a == b {
            Ok(())
        } else {
            Err(format!("`{a}` != `{b}`"))
        }
    });
}

#[test]
fn increments() {
    run("increments.jsonl", 130, |case| {
        let expected = case["next"].as_str();
        let base = match case["base"].as_str() {
            None => Ok(PreidBase::Zero),
            Some(base) => base.parse::<PreidBase>().map_err(|error| error.to_string()),
        }?;
        let result = Version::parse(text(case, "version"))
            .map_err(|error| error.to_string())
            .and_then(|version| {
                let release: Release = text(case, "release")
                    .parse()
                    .map_err(|e: verso_core::semver::IncrementError| e.to_string())?;
                version
                    .increment(release, case["preid"].as_str(), base)
                    .map_err(|error| error.to_string())
            });
        match (result, expected) {
            (Ok(next), Some(expected)) if next.to_string() == expected => Ok(()),
            (Err(_), None) => Ok(()),
            (Ok(next), expected) => Err(format!("gave `{next}`, expected {expected:?}")),
            (Err(error), expected) => Err(format!("failed ({error}), expected {expected:?}")),
        }
    });
}

#[test]
fn valid_versions() {
    run("valid-versions.jsonl", 22, |case| {
        let version = parse(text(case, "version"))?;
        let actual = serde_json::json!({
            "major": version.major, "minor": version.minor, "patch": version.patch,
            "prerelease": version.prerelease, "build": version.build,
        });
        for key in ["major", "minor", "patch", "prerelease", "build"] {
            if actual[key] != case[key] {
                return Err(format!("{key} is {}, expected {}", actual[key], case[key]));
            }
        }
        Ok(())
    });
}

#[test]
fn invalid_versions() {
    run("invalid-versions.jsonl", 5, |case| {
        match Version::parse(text(case, "version")) {
            Ok(version) => Err(format!("parsed as `{version}`")),
            Err(_) => Ok(()),
        }
    });
}

fn check_range(case: &Value) -> Result<(), String> {
    let options = RangeOptions {
        include_prerelease: case["include_prerelease"].as_bool() == Some(true),
    };
    let expected = case["satisfies"].as_bool() == Some(true);
    // node-semver answers `false` for an invalid version or range.
    let actual = match (
        Range::parse_with(text(case, "range"), options),
        Version::parse(text(case, "version")),
    ) {
        (Ok(range), Ok(version)) => range.satisfies(&version),
        _ => false,
    };
    if actual == expected {
        Ok(())
    } else {
        Err(format!("satisfies gave {actual}, expected {expected}"))
    }
}

#[test]
fn range_include() {
    run("range-include.jsonl", 120, check_range);
}

#[test]
fn range_exclude() {
    run("range-exclude.jsonl", 90, check_range);
}
