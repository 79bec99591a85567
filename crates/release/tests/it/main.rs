//! The changelog against golden files, and its insertion into existing files.

use verso_core::bump::BumpRules;
use verso_core::history::{History, RangeCommit};
use verso_release::changelog::{insert, DependencyMove, Entry, Release};
use verso_release::remote::Links;

fn history() -> History {
    let commits = [
        ("1111111aaaaaaa", "feat(api)!: drop the v1 endpoint\n\nBREAKING CHANGE: `/v1` is gone; use `/v2`."),
        ("2222222bbbbbbb", "feat: list versions by label"),
        ("3333333ccccccc", "fix(ui): keep the filter on reload"),
        ("4444444ddddddd", "perf(db): one query per page"),
        ("5555555eeeeeee", "chore: tidy the build"),
        ("6666666fffffff", "docs: explain rollbacks"),
        ("7777777aaaaaaa", "revert: fix(ui): keep the filter on reload\n\nThis reverts commit 0000000000000000000000000000000000000001."),
    ];
    History::classify(
        commits
            .iter()
            .map(|(id, message)| RangeCommit {
                id: (*id).to_owned(),
                message: (*message).to_owned(),
            })
            .collect(),
        &BumpRules::default(),
    )
}

fn golden(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} exists", path.display()))
}

#[test]
fn a_section_groups_commits_with_links() {
    let links = Links::from_remote("git@github.com:acme/shop.git").expect("a GitHub remote");
    let entry = Entry::new(
        &Release {
            package: "@acme/api",
            version: "2.0.0",
            previous_version: Some("1.4.2"),
            tag: "@acme/api@2.0.0",
            previous_tag: Some("@acme/api@1.4.2"),
            date: "2026-11-21",
            links: Some(&links),
        },
        &history().commits,
        vec![DependencyMove {
            name: "@acme/core".to_owned(),
            version: "1.3.0".to_owned(),
        }],
    );
    assert_eq!(
        entry.render(None).expect("renders"),
        golden("section-github.md")
    );
}

#[test]
fn without_a_forge_there_are_no_links_and_a_template_can_replace_the_layout() {
    let entry = Entry::new(
        &Release {
            package: "tool",
            version: "0.3.1",
            previous_version: None,
            tag: "tool-v0.3.1",
            previous_tag: None,
            date: "2026-11-21",
            links: None,
        },
        &history().commits,
        Vec::new(),
    );
    assert_eq!(
        entry.render(None).expect("renders"),
        golden("section-plain.md")
    );
    let template = "{{ package }} {{ version }}\n{% for s in sections %}{{ s.title }}: {{ s.commits | length }}\n{% endfor %}";
    assert_eq!(
        entry.render(Some(template)).expect("renders"),
        "tool 0.3.1\nBreaking changes: 1\nFeatures: 1\nBug fixes: 1\nPerformance: 1\nReverts: 1\n"
    );
    let error = entry
        .render(Some("{% for %}"))
        .expect_err("a broken template");
    assert!(error.to_string().contains("syntax error"), "{error}");
}

#[test]
fn insertion_keeps_the_title_introduction_and_line_endings() {
    let section = "## 1.1.0 (2026-11-21)\n\n* new\n";
    assert_eq!(insert(None, section), format!("# Changelog\n\n{section}"));
    let existing = "# Changelog\r\n\r\nIntro.\r\n\r\n## 1.0.0\r\n\r\n* old\r\n";
    assert_eq!(
        insert(Some(existing), section),
        "# Changelog\r\n\r\nIntro.\r\n\r\n## 1.1.0 (2026-11-21)\r\n\r\n* new\r\n\r\n## 1.0.0\r\n\r\n* old\r\n"
    );
    assert_eq!(
        insert(Some("# Changes\n\nNothing yet.\n"), section),
        format!("# Changes\n\nNothing yet.\n\n{section}")
    );
}
