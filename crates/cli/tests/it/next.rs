//! `verso next` and `verso explain` on real repositories.

use verso_testkit::TestRepo;

use crate::{verso, Run};

fn next(repo: &TestRepo, extra: &[&str]) -> Run {
    let mut args = vec!["next"];
    args.extend_from_slice(extra);
    let run = verso(repo.path(), &args);
    assert_eq!(run.code, 0, "verso {args:?} failed: {}", run.stderr);
    run
}

fn next_version(repo: &TestRepo, extra: &[&str]) -> String {
    next(repo, extra).answer().to_owned()
}

#[test]
fn feat_after_tag_bumps_minor() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.2.0")
        .commit("feat(api): list versions")
        .commit("docs: explain");
    assert_eq!(next_version(&repo, &[]), "1.3.0");
}

#[test]
fn fix_bumps_patch_and_breaking_bumps_major() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.2.0")
        .commit("fix: typo");
    assert_eq!(next_version(&repo, &[]), "1.2.1");
    let repo = repo.commit("refactor!: drop the v1 API");
    assert_eq!(next_version(&repo, &[]), "2.0.0");
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.2.0")
        .commit("fix: new parser\n\nBREAKING CHANGE: the old syntax is gone");
    assert_eq!(next_version(&repo, &[]), "2.0.0");
}

#[test]
fn nothing_to_release_prints_nothing_and_json_null() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.2.0")
        .commit("docs: readme")
        .commit("chore: tidy");
    let run = next(&repo, &[]);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("no release"), "{}", run.stderr);
    let json = next(&repo, &["--json"]).json();
    assert_eq!(json["next_version"], serde_json::Value::Null);
    assert_eq!(json["new_tag"], serde_json::Value::Null);
    assert_eq!(json["bump"], "none");
    assert_eq!(json["current_version"], "1.2.0");
    assert_eq!(json["commits"].as_array().map(Vec::len), Some(2));
}

#[test]
fn json_lists_tag_and_every_commit() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.2.0")
        .commit("feat(api): list versions")
        .commit("fix: typo");
    let json = next(&repo, &["--json"]).json();
    assert_eq!(json["current_version"], "1.2.0");
    assert_eq!(json["next_version"], "1.3.0");
    assert_eq!(json["bump"], "minor");
    assert_eq!(json["tag"], "v1.2.0");
    assert_eq!(json["new_tag"], "v1.3.0");
    let commits = json["commits"].as_array().expect("commits");
    assert_eq!(commits.len(), 2);
    assert_eq!(commits[0]["header"], "fix: typo");
    assert_eq!(commits[0]["bump"], "patch");
    assert_eq!(commits[0]["id"], repo.rev_parse("HEAD"));
    assert_eq!(commits[1]["header"], "feat(api): list versions");
    assert_eq!(commits[1]["bump"], "minor");
}

#[test]
fn first_release_uses_the_initial_version() {
    let repo = TestRepo::new().commit("feat: first").commit("fix: second");
    let json = next(&repo, &["--json"]).json();
    assert_eq!(json["current_version"], serde_json::Value::Null);
    assert_eq!(json["next_version"], "0.1.0");
    assert_eq!(json["new_tag"], "v0.1.0");
    assert_eq!(
        next_version(&repo, &["--initial-version", "1.0.0"]),
        "1.0.0"
    );
    repo.write("verso.toml", "initial_version = \"0.0.1\"\n");
    assert_eq!(next_version(&repo, &[]), "0.0.1");
}

#[test]
fn zero_major_versions_follow_the_initial_development_mode() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v0.3.1")
        .commit("feat!: redo everything");
    assert_eq!(next_version(&repo, &[]), "0.4.0");
    assert_eq!(
        next_version(&repo, &["--initial-development", "off"]),
        "1.0.0"
    );
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v0.3.1")
        .commit("feat: add");
    assert_eq!(next_version(&repo, &[]), "0.3.2");
    assert_eq!(
        next_version(&repo, &["--initial-development", "breaking-minor"]),
        "0.4.0"
    );
    repo.write("verso.toml", "initial_development = \"breaking-minor\"\n");
    assert_eq!(next_version(&repo, &[]), "0.4.0");
}

#[test]
fn prerelease_channel_walkthrough() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.0.0")
        .commit("feat: a");
    assert_eq!(next_version(&repo, &["--channel", "beta"]), "1.1.0-beta.0");
    let repo = repo.tag("v1.1.0-beta.0").commit("feat: b");
    assert_eq!(next_version(&repo, &["--channel", "beta"]), "1.1.0-beta.1");
    let repo = repo.tag("v1.1.0-beta.1").commit("fix: c");
    assert_eq!(next_version(&repo, &["--channel", "beta"]), "1.1.0-beta.2");
    // Switching channel restarts the counter on the same base.
    assert_eq!(next_version(&repo, &["--channel", "rc"]), "1.1.0-rc.0");
    let with_breaking = repo.commit("feat!: d");
    assert_eq!(
        next_version(&with_breaking, &["--channel", "beta"]),
        "2.0.0-beta.0"
    );
    // The stable channel ignores prerelease tags, so it releases the base.
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.0.0")
        .commit("feat: a")
        .tag("v1.1.0-rc.0")
        .commit("fix: b")
        .tag("v1.1.0-rc.1")
        .commit("fix: c")
        .tag("v1.1.0-rc.2");
    assert_eq!(next_version(&repo, &[]), "1.1.0");
    let json = next(&repo, &["--json"]).json();
    assert_eq!(json["tag"], "v1.0.0");
    assert_eq!(json["commits"].as_array().map(Vec::len), Some(3));
}

#[test]
fn branch_channels_come_from_verso_toml() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.0.0")
        .branch("develop")
        .commit("feat: a");
    repo.write(
        "verso.toml",
        "[branches]\ndevelop = \"beta\"\n\"release/*\" = \"rc\"\n",
    );
    assert_eq!(next_version(&repo, &[]), "1.1.0-beta.0");
    assert_eq!(next_version(&repo, &["--channel", "stable"]), "1.1.0");
    let repo = repo.branch("release/1.1");
    assert_eq!(next_version(&repo, &[]), "1.1.0-rc.0");
}

#[test]
fn prerelease_tagged_on_another_branch_is_skipped() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.0.0")
        .branch("other")
        .commit("feat: elsewhere")
        .tag("v1.1.0-beta.0")
        .checkout("main")
        .commit("feat: here");
    assert_eq!(next_version(&repo, &["--channel", "beta"]), "1.1.0-beta.1");
}

#[test]
fn stable_version_tagged_on_another_branch_is_an_error() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.0.0")
        .branch("other")
        .commit("feat: elsewhere")
        .tag("v1.1.0")
        .checkout("main")
        .commit("feat: here");
    let run = verso(repo.path(), &["next"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`1.1.0` is already tagged"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
}

#[test]
fn only_tags_reachable_from_head_count() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.0.0")
        .branch("next")
        .commit("feat!: big change")
        .tag("v2.0.0")
        .checkout("main")
        .commit("fix: small");
    let json = next(&repo, &["--json"]).json();
    assert_eq!(json["tag"], "v1.0.0");
    assert_eq!(json["next_version"], "1.0.1");
    let explain = verso(repo.path(), &["explain"]);
    assert!(
        explain.stdout.contains("`v2.0.0` are on other branches"),
        "{}",
        explain.stdout
    );
}

#[test]
fn highest_precedence_wins_not_the_nearest_tag() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v2.0.0")
        .commit("fix: backport")
        .tag("v1.9.9")
        .commit("fix: more");
    let json = next(&repo, &["--json"]).json();
    assert_eq!(json["tag"], "v2.0.0");
    assert_eq!(json["next_version"], "2.0.1");
    assert_eq!(json["commits"].as_array().map(Vec::len), Some(2));
}

#[test]
fn annotated_tags_are_peeled() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .annotated_tag("v3.1.0")
        .commit("feat: more");
    assert_eq!(next_version(&repo, &[]), "3.2.0");
}

#[test]
fn tag_templates() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("@acme/api@1.4.0")
        .tag("api-v2.0.0")
        .tag("telepace-server-0.1.2")
        .tag("v9.0.0")
        .commit("fix: x");
    assert_eq!(
        next_version(
            &repo,
            &["--tag-template", "{name}@{version}", "--name", "@acme/api"]
        ),
        "1.4.1"
    );
    assert_eq!(
        next_version(
            &repo,
            &["--tag-template", "{name}-v{version}", "--name", "api"]
        ),
        "2.0.1"
    );
    assert_eq!(
        next_version(
            &repo,
            &[
                "--tag-template",
                "{name}-{version}",
                "--name",
                "telepace-server"
            ]
        ),
        "0.1.3"
    );
    assert_eq!(next_version(&repo, &["--tag-prefix", "api-v"]), "2.0.1");
    let json = next(
        &repo,
        &[
            "--json",
            "--tag-template",
            "{name}-{version}",
            "--name",
            "telepace-server",
        ],
    )
    .json();
    assert_eq!(json["new_tag"], "telepace-server-0.1.3");
    repo.write(
        "verso.toml",
        "name = \"api\"\ntag_template = \"{name}-v{version}\"\n",
    );
    assert_eq!(next_version(&repo, &[]), "2.0.1");
}

#[test]
fn branch_suffix_in_template_is_not_a_prerelease() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .branch("telepace")
        .tag("v1.0.0-telepace")
        .tag("v1.1.0-other")
        .commit("feat: x");
    let json = next(&repo, &["--json", "--tag-template", "v{version}-{branch}"]).json();
    assert_eq!(json["tag"], "v1.0.0-telepace");
    assert_eq!(json["current_version"], "1.0.0");
    assert_eq!(json["new_tag"], "v1.1.0-telepace");
}

#[test]
fn revert_within_the_release_cancels_both_commits() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.0.0")
        .commit("feat!: risky")
        .commit("fix: y");
    let risky = repo.rev_parse("HEAD~1");
    let repo = repo.revert(&risky);
    let json = next(&repo, &["--json"]).json();
    assert_eq!(json["next_version"], "1.0.1");
    let commits = json["commits"].as_array().expect("commits");
    assert_eq!(commits[0]["reverts"], risky.as_str());
    assert_eq!(commits[2]["bump"], "none");
}

#[test]
fn revert_of_a_released_commit_is_a_patch() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .commit("feat: shipped")
        .tag("v1.0.0");
    let shipped = repo.rev_parse("HEAD");
    let repo = repo.revert(&shipped);
    assert_eq!(next_version(&repo, &[]), "1.0.1");
}

#[test]
fn commits_of_merged_branches_count_and_merges_do_not() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.0.0")
        .branch("feature")
        .commit("feat(ui): from the branch")
        .checkout("main")
        .commit("fix: on main")
        .merge("feature");
    let json = next(&repo, &["--json"]).json();
    assert_eq!(json["next_version"], "1.1.0");
    let commits = json["commits"].as_array().expect("commits");
    assert_eq!(commits.len(), 3);
    assert!(commits.iter().any(|c| c["header"]
        .as_str()
        .is_some_and(|h| h.starts_with("Merge branch"))
        && c["bump"] == "none"));
}

#[test]
fn path_limits_commits_to_a_directory() {
    let repo = TestRepo::new()
        .commit_file("services/api/main.rs", "v1", "feat: api")
        .tag("v1.0.0")
        .commit_file("services/web/main.rs", "v1", "feat(web): only web")
        .commit_file("services/api/main.rs", "v2", "fix(api): only api")
        .commit_file("README.md", "hi", "feat!: root only");
    let json = next(&repo, &["--json", "--path", "services/api"]).json();
    assert_eq!(json["next_version"], "1.0.1");
    let commits = json["commits"].as_array().expect("commits");
    assert_eq!(commits.len(), 1);
    assert_eq!(commits[0]["header"], "fix(api): only api");
    assert_eq!(next_version(&repo, &["--path", "./services/web/"]), "1.1.0");
    assert_eq!(next_version(&repo, &[]), "2.0.0");
}

#[test]
fn from_tag_and_current_version_skip_discovery() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("release-2024")
        .commit("feat: a")
        .tag("v1.0.0")
        .commit("fix: b");
    let json = next(
        &repo,
        &[
            "--json",
            "--from-tag",
            "release-2024",
            "--current-version",
            "3.0.0",
        ],
    )
    .json();
    assert_eq!(json["current_version"], "3.0.0");
    assert_eq!(json["next_version"], "3.1.0");
    assert_eq!(json["commits"].as_array().map(Vec::len), Some(2));
    let json = next(&repo, &["--json", "--current-version", "1.0.0"]).json();
    assert_eq!(json["tag"], "v1.0.0");
    assert_eq!(json["next_version"], "1.0.1");
    let run = verso(repo.path(), &["next", "--from-tag", "release-2024"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--current-version"), "{}", run.stderr);
}

#[test]
fn fail_rule_blocks_the_release() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.0.0")
        .commit("wip: half done")
        .commit("fix: x");
    repo.write(
        "verso.toml",
        "[rules]\nwip = \"fail\"\n\"fix(deps)\" = \"none\"\n",
    );
    let run = verso(repo.path(), &["next"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("wip: half done"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn scope_rules_from_verso_toml() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.0.0")
        .commit("fix(deps): bump serde");
    repo.write(
        "verso.toml",
        "[rules]\n\"fix(deps)\" = \"none\"\ndocs = \"patch\"\n",
    );
    assert_eq!(next(&repo, &[]).stdout, "");
    let repo = repo.commit("docs: guide");
    assert_eq!(next_version(&repo, &[]), "1.0.1");
}

#[test]
fn explain_names_tag_commits_and_rule() {
    let repo = TestRepo::new()
        .commit("feat: first")
        .tag("v1.2.0")
        .commit("feat(api): list versions")
        .commit("docs: x");
    let run = verso(repo.path(), &["explain"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for expected in [
        "Last release: `v1.2.0` (version 1.2.0)",
        "highest of 1 tag(s) matching `v{version}`",
        "minor  feat(api): list versions",
        "type feat",
        "none   docs: x",
        "Rule: minor bump of `1.2.0`",
        "Next version: 1.3.0 (tag `v1.3.0`)",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stdout
        );
    }
}

#[test]
fn outside_a_repository_says_so() {
    let directory = tempfile_dir();
    let run = verso(directory.path(), &["next"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("is not inside a git repository"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
}

#[test]
fn shallow_clone_without_the_release_tag_says_how_to_fix_it() {
    let origin = TestRepo::new()
        .commit("feat: first")
        .tag("v1.0.0")
        .commit("feat: a")
        .commit("fix: b");
    let clone = tempfile_dir();
    let url = format!("file://{}", origin.path().display());
    let status = std::process::Command::new("git")
        .args([
            "clone",
            "--quiet",
            "--depth",
            "1",
            "--no-tags",
            &url,
            "shallow",
        ])
        .current_dir(clone.path())
        .status()
        .expect("git clone runs");
    assert!(status.success());
    let run = verso(&clone.path().join("shallow"), &["next"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("shallow clone"), "{}", run.stderr);
    assert!(
        run.stderr.contains("git fetch --unshallow"),
        "{}",
        run.stderr
    );
}

#[test]
fn template_without_version_is_refused() {
    let repo = TestRepo::new().commit("feat: first");
    let run = verso(repo.path(), &["next", "--tag-template", "release-{name}"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no `{version}` placeholder"),
        "{}",
        run.stderr
    );
}

#[test]
fn invalid_config_names_file_line_and_key() {
    let repo = TestRepo::new().commit("feat: first");
    repo.write(
        "verso.toml",
        "name = \"api\"\n\ntag_templte = \"v{version}\"\n",
    );
    let run = verso(repo.path(), &["next"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("verso.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("line 3"), "{}", run.stderr);
    assert!(run.stderr.contains("tag_templte"), "{}", run.stderr);
    repo.write("verso.toml", "initial_development = \"sideways\"\n");
    let run = verso(repo.path(), &["next"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("line 1: invalid `initial_development`"),
        "{}",
        run.stderr
    );
}

fn tempfile_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory can be created")
}
