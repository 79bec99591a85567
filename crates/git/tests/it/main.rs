//! Baseline tests: what verso-git reads must match what `git` itself prints.

use std::collections::BTreeSet;

use verso_git::{ObjectId, Repository, WalkRequest};
use verso_testkit::TestRepo;

fn git_lines(repo: &TestRepo, args: &[&str]) -> Vec<String> {
    let output = repo.git(args);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .filter(|line| !line.is_empty())
        .collect()
}

fn id(repo: &TestRepo, rev: &str) -> ObjectId {
    ObjectId::from_hex(repo.rev_parse(rev).as_bytes()).expect("git prints hex ids")
}

/// A history with two merged branches, a branch left unmerged, and dates that go backwards.
fn tangled() -> TestRepo {
    TestRepo::new()
        .commit_file("api/a.txt", "1", "feat: root")
        .tag("v1.0.0")
        .branch("feature")
        .commit_file("web/w.txt", "1", "feat(web): w1")
        .at_minute(2) // older than the commits around it
        .commit_file("api/b.txt", "1", "fix(api): skewed")
        .at_minute(40)
        .checkout("main")
        .commit_file("api/a.txt", "2", "fix(api): a2")
        .tag("v1.0.1")
        .branch("side")
        .commit_file("docs/d.txt", "1", "docs: side only")
        .tag("side-tag")
        .checkout("main")
        .merge("feature")
        .commit_file("web/w.txt", "2", "feat(web): w2")
        .branch("later")
        .commit_file("api/c.txt", "1", "feat(api): later")
        .checkout("main")
        .merge("later")
}

fn assert_walk_matches_rev_list(repo: &TestRepo, repository: &Repository, from: Option<&str>) {
    let head = id(repo, "HEAD");
    let hidden: Vec<ObjectId> = from.map(|rev| id(repo, rev)).into_iter().collect();
    let walk = repository
        .walk(&WalkRequest {
            head,
            hidden,
            paths: vec![],
        })
        .expect("walk succeeds");
    let ours: BTreeSet<String> = walk
        .commits
        .iter()
        .map(|commit| commit.id.to_string())
        .collect();
    let range = from.map_or("HEAD".to_owned(), |rev| format!("{rev}..HEAD"));
    let theirs: BTreeSet<String> = git_lines(repo, &["rev-list", &range]).into_iter().collect();
    assert_eq!(ours, theirs, "range {range}");
    assert_eq!(
        walk.commits.len(),
        theirs.len(),
        "every commit once in {range}"
    );
    if let Some(rev) = from {
        let is_ancestor = std::process::Command::new("git")
            .args(["merge-base", "--is-ancestor", rev, "HEAD"])
            .current_dir(repo.path())
            .status()
            .expect("git runs")
            .success();
        assert_eq!(
            walk.hidden_reachable,
            vec![is_ancestor],
            "reachability of {rev}"
        );
    }
}

#[test]
fn ranges_match_git_rev_list_with_and_without_commit_graph() {
    let repo = tangled();
    for with_graph in [false, true] {
        if with_graph {
            repo.git(&["commit-graph", "write", "--reachable"]);
        }
        let repository = Repository::discover(repo.path()).expect("repository opens");
        for from in [
            None,
            Some("v1.0.0"),
            Some("v1.0.1"),
            Some("side-tag"),
            Some("feature"),
            Some("HEAD"),
        ] {
            assert_walk_matches_rev_list(&repo, &repository, from);
        }
    }
}

#[test]
fn one_walk_gives_the_range_of_every_hidden_tip() {
    let repo = tangled();
    let tips = ["v1.0.0", "v1.0.1", "side-tag", "feature"];
    let hidden: Vec<ObjectId> = tips.iter().map(|tip| id(&repo, tip)).collect();
    let repository = Repository::discover(repo.path()).expect("repository opens");
    let walk = repository
        .walk(&WalkRequest {
            head: id(&repo, "HEAD"),
            hidden,
            paths: vec![],
        })
        .expect("walk succeeds");
    for (index, tip) in tips.iter().enumerate() {
        let ours: BTreeSet<String> = walk
            .commits
            .iter()
            .filter(|commit| commit.in_range_of(index))
            .map(|commit| commit.id.to_string())
            .collect();
        let theirs: BTreeSet<String> = git_lines(&repo, &["rev-list", &format!("{tip}..HEAD")])
            .into_iter()
            .collect();
        assert_eq!(ours, theirs, "range {tip}..HEAD");
    }
    assert_eq!(walk.hidden_reachable, vec![true, true, false, true]);
}

#[test]
fn messages_match_git_log() {
    let repo = tangled().commit("feat: multi\n\nline body\n\nRefs #1");
    let repository = Repository::discover(repo.path()).expect("repository opens");
    let walk = repository
        .walk(&WalkRequest {
            head: id(&repo, "HEAD"),
            hidden: vec![id(&repo, "v1.0.0")],
            paths: vec![],
        })
        .expect("walk succeeds");
    for commit in &walk.commits {
        let expected = repo.git(&["cat-file", "commit", &commit.id.to_string()]);
        let raw = String::from_utf8_lossy(&expected.stdout);
        let message = raw.split_once("\n\n").map_or("", |(_, message)| message);
        assert_eq!(commit.message, message, "message of {}", commit.id);
    }
}

#[test]
fn touched_paths_match_git_diff_tree() {
    let repo = tangled();
    let repository = Repository::discover(repo.path()).expect("repository opens");
    let paths = vec![
        "api".to_owned(),
        "web".to_owned(),
        "docs".to_owned(),
        "api/b.txt".to_owned(),
    ];
    let walk = repository
        .walk(&WalkRequest {
            head: id(&repo, "HEAD"),
            hidden: vec![],
            paths: paths.clone(),
        })
        .expect("walk succeeds");
    assert!(walk.commits.len() > 5);
    for commit in &walk.commits {
        let hex = commit.id.to_string();
        let first_parent = format!("{hex}^1");
        let compared: [&str; 2] = if commit.parent_count == 0 {
            ["--root", &hex]
        } else {
            [&first_parent, &hex]
        };
        let mut args = vec!["diff-tree", "--no-commit-id", "--name-only", "-r"];
        args.extend(compared);
        let files = git_lines(&repo, &args);
        for (path, touched) in paths.iter().zip(&commit.touched) {
            let expected = files
                .iter()
                .any(|file| file == path || file.starts_with(&format!("{path}/")));
            assert_eq!(*touched, expected, "{path} in {hex} ({files:?})");
        }
    }
}

#[test]
fn tags_are_listed_and_annotated_tags_peeled() {
    let repo = TestRepo::new()
        .commit("feat: a")
        .tag("v1.0.0")
        .commit("feat: b")
        .annotated_tag("v1.1.0");
    let repository = Repository::discover(repo.path()).expect("repository opens");
    let mut tags = repository
        .tags(|name| name.starts_with('v'))
        .expect("tags list");
    tags.sort_by(|left, right| left.name.cmp(&right.name));
    assert_eq!(tags.len(), 2);
    assert_eq!(tags[0].commit, id(&repo, "HEAD~1"));
    assert_eq!(tags[1].commit, id(&repo, "HEAD"));
    assert_eq!(repository.current_branch().as_deref(), Some("main"));
}
