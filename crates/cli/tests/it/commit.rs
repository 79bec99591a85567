//! `verso commit parse` and `verso lint`.

use verso_testkit::TestRepo;

use crate::{verso, verso_with_input, IDENTITY};

#[test]
fn commit_parse_prints_the_documented_json() {
    let repo = TestRepo::new();
    let run = verso_with_input(
        repo.path(),
        &["commit", "parse", "--json"],
        "feat(api): list versions\r\n\r\nA body.\r\n\r\nRefs #133\r\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.answer(),
        r##"{"conventional":true,"type":"feat","scope":"api","breaking":false,"description":"list versions","body":"A body.","footers":[{"token":"Refs","separator":"#","value":"133"}],"breaking_description":null,"merge":false,"revert":null,"bump":"minor"}"##
    );
}

#[test]
fn commit_parse_of_other_messages() {
    let repo = TestRepo::new();
    let run = verso_with_input(repo.path(), &["commit", "parse", "--json"], "Update README");
    let json = run.json();
    assert_eq!(json["conventional"], false);
    assert_eq!(json["type"], serde_json::Value::Null);
    assert_eq!(json["bump"], "none");
    let run = verso_with_input(
        repo.path(),
        &["commit", "parse", "--json"],
        "Revert \"feat: x\"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.\n",
    );
    let json = run.json();
    assert_eq!(json["revert"]["header"], "feat: x");
    assert_eq!(
        json["revert"]["hash"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(json["bump"], "patch");
    let run = verso_with_input(
        repo.path(),
        &["commit", "parse", "--json"],
        "Merge pull request #1 from org/x\n\nfeat: y",
    );
    assert_eq!(run.json()["merge"], true);
    assert_eq!(run.json()["bump"], "none");
}

#[test]
fn lint_accepts_good_messages_and_explains_bad_ones() {
    let repo = TestRepo::new();
    let good = repo.write(
        "good.txt",
        "fix(cli): exit 2 on usage errors\n\n# Please enter the commit message\n",
    );
    let run = verso(repo.path(), &["lint", good.to_str().expect("utf-8 path")]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));

    let bad = repo.write("bad.txt", "Fixed the thing\n");
    let run = verso(repo.path(), &["lint", bad.to_str().expect("utf-8 path")]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("expected `: ` after the type"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: a conventional header looks like"),
        "{}",
        run.stderr
    );

    let unknown = repo.write("unknown.txt", "deps: bump serde\n");
    let run = verso(
        repo.path(),
        &["lint", unknown.to_str().expect("utf-8 path")],
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("unknown type `deps`"), "{}", run.stderr);
    repo.write("verso.toml", "[rules]\ndeps = \"patch\"\n");
    let run = verso(
        repo.path(),
        &["lint", unknown.to_str().expect("utf-8 path")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn lint_works_as_a_commit_msg_hook() {
    let repo = TestRepo::new().commit("chore: init");
    let hook = repo.write(
        ".git/hooks/commit-msg",
        &format!(
            "#!/bin/sh\nexec '{}' lint \"$1\"\n",
            env!("CARGO_BIN_EXE_verso")
        ),
    );
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&hook)
        .status()
        .expect("chmod runs");
    let rejected = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@e",
            "commit",
            "--allow-empty",
            "-m",
            "did stuff",
        ])
        .current_dir(repo.path())
        .output()
        .expect("git runs");
    assert!(
        !rejected.status.success(),
        "the hook must reject the message"
    );
    let accepted = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@e",
            "commit",
            "--allow-empty",
            "-m",
            "docs: did stuff",
        ])
        .current_dir(repo.path())
        .output()
        .expect("git runs");
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
}

/// A monorepo with two npm packages and a staged change in `packages/api`.
fn staged_in_api() -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        "package.json",
        "{\"name\": \"root\", \"private\": true, \"workspaces\": [\"packages/*\"]}\n",
    );
    repo.write(
        "packages/api/package.json",
        "{\"name\": \"@acme/api\", \"version\": \"1.0.0\"}\n",
    );
    repo.write(
        "packages/core/package.json",
        "{\"name\": \"@acme/core\", \"version\": \"1.0.0\"}\n",
    );
    let repo = repo.commit_all("chore: layout");
    repo.write("packages/api/index.js", "module.exports = 1;\n");
    repo.git(&["add", "packages/api/index.js"]);
    repo
}

fn last_message(repo: &TestRepo) -> String {
    String::from_utf8_lossy(&repo.git(&["log", "-1", "--format=%B"]).stdout)
        .trim_end()
        .to_owned()
}

#[test]
fn commit_flags_write_the_message_with_the_staged_package_as_scope() {
    let repo = staged_in_api();
    let run = crate::verso_with(
        repo.path(),
        &["commit", "--type", "feat", "-m", "export one"],
        "",
        &IDENTITY,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(last_message(&repo), "feat(api): export one");
}

#[test]
fn commit_prompts_read_answers_from_stdin() {
    let repo = staged_in_api();
    let run = crate::verso_with(
        repo.path(),
        &["commit"],
        "fix\n\nhandle nulls\nNulls no longer crash the parser.\nthe v1 endpoint is gone\n",
        &IDENTITY,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("Scope (`-` for none) [api]"),
        "{}",
        run.stderr
    );
    assert_eq!(
        last_message(&repo),
        "fix(api)!: handle nulls\n\nNulls no longer crash the parser.\n\nBREAKING CHANGE: the v1 endpoint is gone"
    );

    // An unknown type is refused and nothing is committed.
    let head = repo.rev_parse("HEAD");
    repo.write("packages/core/index.js", "x\n");
    repo.git(&["add", "-A"]);
    let run = crate::verso_with(
        repo.path(),
        &["commit", "-t", "feature", "-m", "x"],
        "",
        &IDENTITY,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown type `feature`"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.rev_parse("HEAD"), head);
}

#[test]
fn installed_hook_rejects_unconventional_messages() {
    let repo = staged_in_api();
    let run = verso(repo.path(), &["hook", "install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let refused = std::process::Command::new("git")
        .args(["commit", "-q", "-m", "Update stuff"])
        .current_dir(repo.path())
        .envs(IDENTITY)
        .output()
        .expect("git runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a conventional commit"));
    let accepted = std::process::Command::new("git")
        .args(["commit", "-q", "-m", "feat(api): export one"])
        .current_dir(repo.path())
        .envs(IDENTITY)
        .output()
        .expect("git runs");
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    // A hook verso did not write is kept unless forced.
    std::fs::write(
        repo.path().join(".git/hooks/commit-msg"),
        "#!/bin/sh\nexit 0\n",
    )
    .expect("written");
    let run = verso(repo.path(), &["hook", "install"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    let run = verso(repo.path(), &["hook", "install", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
