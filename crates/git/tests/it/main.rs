//! Baseline tests: what verso-git reads must match what `git` itself prints.

use std::collections::BTreeSet;

use verso_git::{Glob, ObjectId, PathFilter, Repository, WalkRequest};
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
            full_history: false,
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
            full_history: false,
            paths: vec![],
        })
        .expect("walk succeeds");
    for (index, tip) in tips.iter().enumerate() {
        let ours: BTreeSet<String> = walk
            .commits
            .iter()
            .enumerate()
            .filter(|(position, _)| walk.in_range(*position, index))
            .map(|(_, commit)| commit.id.to_string())
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
            full_history: false,
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
    let paths = ["api", "web", "docs", "api/b.txt"];
    let walk = repository
        .walk(&WalkRequest {
            head: id(&repo, "HEAD"),
            hidden: vec![],
            full_history: false,
            paths: paths.iter().map(|path| PathFilter::new(path)).collect(),
        })
        .expect("walk succeeds");
    assert!(walk.commits.len() > 5);
    for commit in &walk.commits {
        let files = changed_files(&repo, commit);
        for (index, path) in paths.iter().enumerate() {
            let expected = files
                .iter()
                .any(|file| file == path || file.starts_with(&format!("{path}/")));
            assert_eq!(
                commit.touches(index),
                expected,
                "{path} in {} ({files:?})",
                commit.id
            );
        }
    }
}

/// `git diff-tree` against the first parent (or the empty tree for a root commit).
fn changed_files(repo: &TestRepo, commit: &verso_git::WalkedCommit) -> Vec<String> {
    let hex = commit.id.to_string();
    let first_parent = format!("{hex}^1");
    let compared: [&str; 2] = if commit.parent_count == 0 {
        ["--root", &hex]
    } else {
        [&first_parent, &hex]
    };
    let mut args = vec!["diff-tree", "--no-commit-id", "--name-only", "-r"];
    args.extend(compared);
    git_lines(repo, &args)
}

fn globs(patterns: &[&str]) -> Vec<Glob> {
    patterns
        .iter()
        .map(|pattern| Glob::new(pattern).expect("valid glob"))
        .collect()
}

#[test]
fn filters_with_globs_and_nested_directories_match_git_diff_tree() {
    let repo = TestRepo::new()
        .commit_file("package-lock.json", "1", "chore: lock")
        .commit_file("svc/src/main.js", "1", "feat: main")
        .commit_file("svc/chart/Chart.yaml", "1", "feat: chart")
        .commit_file("svc/package-lock.json", "1", "chore: svc lock")
        .commit_file("svc/docs/guide.md", "1", "docs: guide")
        .commit_file("svc/src/deep/util.js", "1", "fix: util")
        .commit_file("README.md", "1", "docs: readme")
        .commit_file("proto/api.proto", "1", "feat: proto")
        .commit_file("Makefile", "1", "build: make");
    let repository = Repository::discover(repo.path()).expect("repository opens");
    let filters = vec![
        // A service with a nested chart of its own, lockfiles and docs left out.
        PathFilter {
            path: "svc".to_owned(),
            include: vec![],
            exclude: globs(&["package-lock.json", "*.md"]),
            skip: vec!["chart".to_owned()],
        },
        PathFilter::new("svc/chart"),
        // Only sources.
        PathFilter {
            path: "svc".to_owned(),
            include: globs(&["src/**"]),
            exclude: vec![],
            skip: vec![],
        },
        // A root package: everything but the others' directories and lockfiles.
        PathFilter {
            path: String::new(),
            include: vec![],
            exclude: globs(&["package-lock.json"]),
            skip: vec!["proto".to_owned(), "svc".to_owned()],
        },
        // Anchored excludes: a changed subdirectory counts without being read.
        PathFilter {
            path: "svc".to_owned(),
            include: vec![],
            exclude: globs(&["/package-lock.json"]),
            skip: vec!["chart".to_owned()],
        },
    ];
    let walk = repository
        .walk(&WalkRequest {
            head: id(&repo, "HEAD"),
            hidden: vec![],
            full_history: false,
            paths: filters.clone(),
        })
        .expect("walk succeeds");
    assert_eq!(walk.commits.len(), 9);
    for commit in &walk.commits {
        let files = changed_files(&repo, commit);
        for (index, filter) in filters.iter().enumerate() {
            let expected = files.iter().any(|file| {
                let relative = if filter.path.is_empty() {
                    file.as_str()
                } else {
                    match file.strip_prefix(&format!("{}/", filter.path)) {
                        Some(relative) => relative,
                        None => return false,
                    }
                };
                !filter
                    .skip
                    .iter()
                    .any(|skipped| relative.starts_with(&format!("{skipped}/")))
                    && filter.counts(relative)
            });
            assert_eq!(
                commit.touches(index),
                expected,
                "filter {index} in `{}` ({files:?})",
                commit.message.trim()
            );
        }
    }
    let touched_by = |header: &str| {
        walk.commits
            .iter()
            .find(|commit| commit.message.trim() == header)
            .map(|commit| commit.touched.clone())
            .expect("commit exists")
    };
    assert_eq!(touched_by("feat: main"), vec![0, 2, 4]);
    assert_eq!(touched_by("feat: chart"), vec![1]);
    assert_eq!(touched_by("docs: guide"), vec![4]);
    assert_eq!(touched_by("chore: svc lock"), Vec::<u32>::new());
    assert_eq!(touched_by("chore: lock"), Vec::<u32>::new());
    assert_eq!(touched_by("docs: readme"), vec![3]);
    assert_eq!(touched_by("feat: proto"), Vec::<u32>::new());
}

#[test]
fn a_hundred_hidden_tips_in_one_walk() {
    let mut repo = TestRepo::new();
    for index in 0..100 {
        repo = repo
            .commit(&format!("fix: {index}"))
            .tag(&format!("t{index}"));
    }
    let repo = repo.commit("feat: last");
    let repository = Repository::discover(repo.path()).expect("repository opens");
    let tips: Vec<String> = (0..100).map(|index| format!("t{index}")).collect();
    let walk = repository
        .walk(&WalkRequest {
            head: id(&repo, "HEAD"),
            hidden: tips.iter().map(|tip| id(&repo, tip)).collect(),
            full_history: false,
            paths: vec![],
        })
        .expect("walk succeeds");
    // Everything above the oldest tip, and nothing below it.
    assert_eq!(walk.commits.len(), 100);
    for (index, tip) in tips.iter().enumerate() {
        let in_range = (0..walk.commits.len())
            .filter(|&commit| walk.in_range(commit, index))
            .count();
        assert_eq!(in_range, 100 - index, "range {tip}..HEAD");
    }
    let full = repository
        .walk(&WalkRequest {
            head: id(&repo, "HEAD"),
            hidden: vec![id(&repo, "t99")],
            full_history: true,
            paths: vec![],
        })
        .expect("walk succeeds");
    assert_eq!(full.commits.len(), 101);
    assert_eq!(
        (0..101).filter(|&commit| full.in_range(commit, 0)).count(),
        1
    );
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
