//! `verso commit parse` and `verso lint`.

use verso_testkit::TestRepo;

use crate::{verso, verso_with_input};

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
