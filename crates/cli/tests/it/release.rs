//! `verso release` on a monorepo with npm packages, a Cargo crate and a Helm chart, pushing to
//! a bare repository: files, changelogs, commit, tags, the command publisher, crashes at
//! every step, `--abort`, the lock, and refusals.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use verso_testkit::TestRepo;

use crate::{release_steps, verso_with, Run, IDENTITY};

/// A fixed identity and clock for the commits and tags verso makes, so that two releases of
/// the same repository give the same object ids.
const GIT_ENV: [(&str, &str); 8] = [
    IDENTITY[0],
    IDENTITY[1],
    IDENTITY[2],
    IDENTITY[3],
    ("GIT_AUTHOR_DATE", "@1800000000 +0000"),
    ("GIT_COMMITTER_DATE", "@1800000000 +0000"),
    ("GIT_CONFIG_NOSYSTEM", "1"),
    ("GIT_CONFIG_GLOBAL", "/dev/null"),
];

/// Runs `verso release` in the repository of `monorepo`; the publish command writes into
/// `published/` of the remote's folder.
fn release(directory: &Path, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let remote = git_text(directory, &["remote", "get-url", "origin"]);
    let published = format!("{remote}/published");
    let mut environment: Vec<(&str, &str)> = GIT_ENV.to_vec();
    environment.push(("PUBLISHED", &published));
    environment.extend_from_slice(extra);
    let mut arguments = vec!["release", "--date", "2026-11-21"];
    arguments.extend_from_slice(args);
    verso_with(directory, &arguments, "", &environment)
}

const CORE_JSON: &str =
    "{\n  \"name\": \"@acme/core\",\n  \"version\": \"1.0.0\",\n  \"main\": \"index.js\"\n}\n";
const API_JSON: &str = "{\n  \"name\": \"@acme/api\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {\n    \"@acme/core\": \"^1.0.0\"\n  }\n}\n";
const API_CHANGELOG: &str =
    "# Changelog\n\nAll notable changes to the API.\n\n## 1.0.0 (2026-01-01)\n\n* first release\n";
const CHART: &str =
    "apiVersion: v2\nname: api\n# deployed app\nappVersion: \"1.0.0\"\nversion: 0.1.0\n";
const VALUES: &str = "image:\n  repository: registry.example.com/api\n  tag: \"1.0.0\"\n";
const TOOL_TOML: &str =
    "[package]\nname = \"acme-tool\"\nversion = \"0.1.0\" # the tool\nedition = \"2021\"\n";
const CARGO_LOCK: &str = "version = 4\n\n[[package]]\nname = \"acme-tool\"\nversion = \"0.1.0\"\n";

/// The monorepo, its tags, two releasable commits, and a bare remote it pushes to. The
/// publish command writes one file per package into `published/` beside the repository.
fn monorepo() -> (TestRepo, tempfile::TempDir) {
    let remote = tempfile::tempdir().expect("tempdir");
    let init = Command::new("git")
        .args(["init", "--quiet", "--bare"])
        .arg(remote.path())
        .status()
        .expect("git runs");
    assert!(init.success());
    let published = remote.path().join("published");
    std::fs::create_dir_all(&published).expect("dirs");
    let command = "printf '%s %s %s %s %s\\n' \"$VERSO_PACKAGE\" \"$VERSO_VERSION\" \"$VERSO_PREVIOUS_VERSION\" \"$VERSO_TAG\" \"$VERSO_CHANNEL\" > \"$PUBLISHED\"/\"$(echo $VERSO_PACKAGE | tr / _)\"";
    let config = format!(
        "[[package]]\npath = \"charts/api\"\napp_version = \"@acme/api\"\nvalues_image_tag = \"image.tag\"\n\n[[package]]\npath = \"packages/core\"\npublish_command = '''{command}'''\n\n[[package]]\npath = \"crates/tool\"\npublish_command = '''{command}'''\n"
    );
    let repo = TestRepo::new();
    repo.write(
        "package.json",
        "{\"name\": \"acme\", \"private\": true, \"workspaces\": [\"packages/*\"]}\n",
    );
    repo.write("packages/core/package.json", CORE_JSON);
    repo.write("packages/api/package.json", API_JSON);
    repo.write("packages/api/CHANGELOG.md", API_CHANGELOG);
    repo.write("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n");
    repo.write("crates/tool/Cargo.toml", TOOL_TOML);
    repo.write("crates/tool/src/main.rs", "fn main() {}\n");
    repo.write("Cargo.lock", CARGO_LOCK);
    repo.write("charts/api/Chart.yaml", CHART);
    repo.write("charts/api/values.yaml", VALUES);
    repo.write("verso.toml", &config);
    let repo = repo
        .commit_all("chore: initial layout")
        .tag("@acme/core@1.0.0")
        .tag("@acme/api@1.0.0")
        .tag("acme-tool-v0.1.0")
        .tag("api-0.1.0")
        .commit_file(
            "packages/core/index.js",
            "exports.parse = 1;\n",
            "feat(core): faster parse",
        )
        .commit_file(
            "crates/tool/src/main.rs",
            "fn main() { }\n",
            "fix(tool): handle empty input",
        );
    repo.git(&[
        "remote",
        "add",
        "origin",
        &remote.path().display().to_string(),
    ]);
    repo.git(&["push", "--quiet", "origin", "main"]);
    (repo, remote)
}

fn read(repo: &TestRepo, path: &str) -> String {
    std::fs::read_to_string(repo.path().join(path)).unwrap_or_else(|_| panic!("{path} exists"))
}

fn git_text(directory: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(directory)
        .output()
        .expect("git runs");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Everything a release leaves behind: HEAD, tags (object ids, so messages count), remote
/// refs, the files it wrote, what was published, and whether a journal is left.
fn end_state(repo: &TestRepo, remote: &Path) -> BTreeMap<String, String> {
    let mut state = BTreeMap::new();
    state.insert("HEAD".to_owned(), repo.rev_parse("HEAD"));
    state.insert(
        "tags".to_owned(),
        git_text(
            repo.path(),
            &[
                "for-each-ref",
                "refs/tags",
                "--format=%(refname) %(objectname)",
            ],
        ),
    );
    state.insert("remote".to_owned(), git_text(remote, &["show-ref"]));
    state.insert(
        "status".to_owned(),
        git_text(repo.path(), &["status", "--porcelain"]),
    );
    for file in [
        "packages/core/package.json",
        "packages/api/package.json",
        "packages/api/CHANGELOG.md",
        "packages/core/CHANGELOG.md",
        "crates/tool/Cargo.toml",
        "Cargo.lock",
        "charts/api/Chart.yaml",
        "charts/api/values.yaml",
    ] {
        let text = std::fs::read_to_string(repo.path().join(file));
        state.insert(
            file.to_owned(),
            text.unwrap_or_else(|_| "(missing)".to_owned()),
        );
    }
    for entry in std::fs::read_dir(remote.join("published")).expect("readable") {
        let path = entry.expect("entry").path();
        state.insert(
            format!(
                "published/{}",
                path.file_name().expect("name").to_string_lossy()
            ),
            std::fs::read_to_string(&path).expect("text"),
        );
    }
    state.insert(
        "journal".to_owned(),
        repo.path()
            .join(".git/verso/release.json")
            .exists()
            .to_string(),
    );
    state
}

#[test]
fn releases_every_format_byte_exactly_then_tags_publishes_and_pushes() {
    let (repo, remote) = monorepo();
    let run = release(repo.path(), &["--json"], &[]);
    assert_eq!(run.code, 0, "release failed: {}", run.stderr);
    let summary = run.json();
    let released: Vec<(String, String)> = summary["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|package| {
            (
                package["name"].as_str().unwrap_or("").to_owned(),
                package["version"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    };
    // Dependency order: core before api before the chart that deploys api.
    assert_eq!(
        released,
        pairs(&[
            ("@acme/core", "1.1.0"),
            ("@acme/api", "1.0.1"),
            ("acme-tool", "0.1.1"),
            ("api", "0.1.1"),
        ])
    );

    assert_eq!(
        read(&repo, "packages/core/package.json"),
        CORE_JSON.replace("1.0.0", "1.1.0")
    );
    assert_eq!(
        read(&repo, "packages/api/package.json"),
        API_JSON
            .replace("\"1.0.0\"", "\"1.0.1\"")
            .replace("^1.0.0", "^1.1.0")
    );
    assert_eq!(
        read(&repo, "crates/tool/Cargo.toml"),
        TOOL_TOML.replace("0.1.0", "0.1.1")
    );
    assert_eq!(
        read(&repo, "Cargo.lock"),
        CARGO_LOCK.replace("0.1.0", "0.1.1")
    );
    assert_eq!(
        read(&repo, "charts/api/Chart.yaml"),
        CHART
            .replace("\"1.0.0\"", "\"1.0.1\"")
            .replace("0.1.0", "0.1.1")
    );
    assert_eq!(
        read(&repo, "charts/api/values.yaml"),
        VALUES.replace("1.0.0", "1.0.1")
    );
    let feat = repo.rev_parse("HEAD~2");
    assert_eq!(
        read(&repo, "packages/core/CHANGELOG.md"),
        format!("# Changelog\n\n## 1.1.0 (2026-11-21)\n\n### Features\n\n* **core:** faster parse ({})\n", &feat[..7])
    );
    assert_eq!(
        read(&repo, "packages/api/CHANGELOG.md"),
        "# Changelog\n\nAll notable changes to the API.\n\n## 1.0.1 (2026-11-21)\n\n### Dependencies\n\n* `@acme/core` updated to 1.1.0\n\n## 1.0.0 (2026-01-01)\n\n* first release\n"
    );

    // One release commit with every file, then annotated tags on it.
    let head = repo.rev_parse("HEAD");
    assert_eq!(
        git_text(repo.path(), &["log", "-1", "--format=%s"]),
        "chore(release): 4 packages"
    );
    let committed = git_text(repo.path(), &["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(committed.lines().count(), 10, "{committed}");
    for tag in [
        "@acme/core@1.1.0",
        "@acme/api@1.0.1",
        "api-0.1.1",
        "acme-tool-v0.1.1",
    ] {
        assert_eq!(repo.rev_parse(&format!("{tag}^{{commit}}")), head, "{tag}");
        assert_eq!(
            git_text(repo.path(), &["cat-file", "-t", tag]),
            "tag",
            "{tag} is annotated"
        );
    }
    let message = git_text(
        repo.path(),
        &["tag", "-l", "--format=%(contents)", "@acme/core@1.1.0"],
    );
    assert!(
        message.starts_with("## 1.1.0 (2026-11-21)\n\n### Features"),
        "{message}"
    );

    // Pushed, and published by the command with the VERSO_* variables.
    assert_eq!(git_text(remote.path(), &["rev-parse", "main"]), head);
    assert_eq!(
        git_text(remote.path(), &["rev-parse", "api-0.1.1^{commit}"]),
        head
    );
    assert_eq!(
        std::fs::read_to_string(remote.path().join("published/@acme_core")).expect("published"),
        "@acme/core 1.1.0 1.0.0 @acme/core@1.1.0 stable\n"
    );
    assert!(remote.path().join("published/acme-tool").exists());
    assert!(!repo.path().join(".git/verso/release.json").exists());

    // Nothing is left to release.
    let again = release(repo.path(), &[], &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, "nothing to release\n");
}

#[test]
fn dry_run_changes_nothing() {
    let (repo, remote) = monorepo();
    let before = end_state(&repo, remote.path());
    let run = release(repo.path(), &["--dry-run"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("-  \"version\": \"1.0.0\",\n+  \"version\": \"1.1.0\","),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("@acme/core@1.1.0"), "{}", run.stdout);
    assert!(
        run.stdout.contains("printf"),
        "the publish command is shown: {}",
        run.stdout
    );
    assert_eq!(end_state(&repo, remote.path()), before);
}

#[test]
fn a_crash_after_any_step_then_a_rerun_ends_like_an_uninterrupted_release() {
    let (reference, reference_remote) = monorepo();
    let steps = release_steps(&release(reference.path(), &["--dry-run", "--json"], &[]));
    assert_eq!(steps.len(), 1 + 1 + 4 + 2 + 1, "{steps:?}");
    let run = release(reference.path(), &[], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = end_state(&reference, reference_remote.path());

    for step in &steps {
        let (repo, remote) = monorepo();
        let crashed = release(repo.path(), &[], &[("VERSO_TEST_CRASH_AFTER", step)]);
        assert_eq!(crashed.code, 86, "crash after {step}: {}", crashed.stderr);
        assert!(repo.path().join(".git/verso/release.json").exists());
        // The plan would now differ (tags exist, files moved): the journal decides.
        let resumed = release(repo.path(), &[], &[]);
        assert_eq!(resumed.code, 0, "resume after {step}: {}", resumed.stderr);
        assert!(
            resumed.stderr.contains("resuming the release"),
            "{}",
            resumed.stderr
        );
        let mut state = end_state(&repo, remote.path());
        // The remote path differs between runs; its refs do not.
        assert_eq!(
            state.remove("remote"),
            expected.get("remote").cloned(),
            "after {step}"
        );
        let mut wanted = expected.clone();
        wanted.remove("remote");
        assert_eq!(state, wanted, "end state after a crash after {step}");
    }
}

#[test]
fn abort_undoes_an_unpublished_release_and_refuses_a_published_one() {
    let (repo, remote) = monorepo();
    let base = repo.rev_parse("HEAD");
    let crashed = release(
        repo.path(),
        &[],
        &[("VERSO_TEST_CRASH_AFTER", "tag:api-0.1.1")],
    );
    assert_eq!(crashed.code, 86, "{}", crashed.stderr);
    assert_ne!(repo.rev_parse("HEAD"), base);
    let aborted = release(repo.path(), &["--abort"], &[]);
    assert_eq!(aborted.code, 0, "{}", aborted.stderr);
    assert!(
        aborted.stdout.contains("deleted tag @acme/core@1.1.0"),
        "{}",
        aborted.stdout
    );
    assert_eq!(repo.rev_parse("HEAD"), base);
    assert_eq!(read(&repo, "packages/core/package.json"), CORE_JSON);
    assert!(!repo.path().join("packages/core/CHANGELOG.md").exists());
    assert_eq!(git_text(repo.path(), &["tag", "-l", "*1.1.0"]), "");
    assert!(!repo.path().join(".git/verso/release.json").exists());

    // Files written, nothing committed: --abort restores them.
    let crashed = release(repo.path(), &[], &[("VERSO_TEST_CRASH_AFTER", "files")]);
    assert_eq!(crashed.code, 86, "{}", crashed.stderr);
    let aborted = release(repo.path(), &["--abort"], &[]);
    assert_eq!(aborted.code, 0, "{}", aborted.stderr);
    assert_eq!(git_text(repo.path(), &["status", "--porcelain"]), "");

    // Once a publish has started, abort refuses and the release can still finish.
    let crashed = release(
        repo.path(),
        &[],
        &[("VERSO_TEST_CRASH_AFTER", "publish:@acme/core:command")],
    );
    assert_eq!(crashed.code, 86, "{}", crashed.stderr);
    let refused = release(repo.path(), &["--abort"], &[]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("cannot be taken back"),
        "{}",
        refused.stderr
    );
    let finished = release(repo.path(), &[], &[]);
    assert_eq!(finished.code, 0, "{}", finished.stderr);
    assert_eq!(
        git_text(remote.path(), &["rev-parse", "main"]),
        repo.rev_parse("HEAD")
    );
}

#[test]
fn a_second_release_at_once_fails_on_the_lock() {
    let (repo, _remote) = monorepo();
    std::fs::create_dir_all(repo.path().join(".git/verso")).expect("dirs");
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(repo.path().join(".git/verso/release.lock"))
        .expect("lock file");
    file.lock().expect("locked by the test");
    let run = release(repo.path(), &[], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("another `verso release` is running"),
        "{}",
        run.stderr
    );
    assert_eq!(git_text(repo.path(), &["tag", "-l", "*1.1.0"]), "");
    file.unlock().expect("unlocked");
    let run = release(repo.path(), &["--no-push"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn refusals_leave_everything_as_it_was() {
    // A malformed manifest: nothing written, the file and line named.
    let (repo, remote) = monorepo();
    repo.write("charts/api/values.yaml", "image:\n  tag: [1.0.0\n");
    let repo = repo.commit_all("chore: break the values");
    let before = end_state(&repo, remote.path());
    let run = release(repo.path(), &[], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("values.yaml") && run.stderr.contains("line"),
        "{}",
        run.stderr
    );
    assert_eq!(end_state(&repo, remote.path()), before);

    // Uncommitted changes.
    let (repo, _remote) = monorepo();
    repo.write("packages/core/package.json", "{}\n");
    let run = release(repo.path(), &[], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("uncommitted changes"), "{}", run.stderr);

    // A tag the plan would create exists already (made by hand on another commit).
    let (repo, _remote) = monorepo();
    let repo = repo
        .branch("side")
        .checkout("side")
        .commit("chore: elsewhere")
        .tag("acme-tool-v0.1.1")
        .checkout("main");
    let run = release(repo.path(), &[], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("`0.1.1` is already tagged"),
        "{}",
        run.stderr
    );
    assert!(!repo.path().join(".git/verso/release.json").exists());

    // Nothing to resume.
    let run = release(repo.path(), &["--resume"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no release is in progress"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_prerelease_branch_releases_on_its_channel() {
    let (repo, remote) = monorepo();
    let config = read(&repo, "verso.toml");
    repo.write(
        "verso.toml",
        &format!("[branches]\nnext = \"beta\"\n\n{config}"),
    );
    let repo = repo
        .commit_all("chore: beta channel")
        .branch("next")
        .checkout("next");
    let run = release(repo.path(), &["--no-push", "--json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        read(&repo, "packages/core/package.json"),
        CORE_JSON.replace("1.0.0", "1.1.0-beta.0")
    );
    let published = std::fs::read_dir(remote.path().join("published"))
        .expect("readable")
        .count();
    assert_eq!(published, 2);
    let core =
        std::fs::read_to_string(remote.path().join("published/@acme_core")).expect("published");
    assert_eq!(
        core,
        "@acme/core 1.1.0-beta.0 1.0.0 @acme/core@1.1.0-beta.0 beta\n"
    );
}

#[test]
fn a_push_that_cannot_happen_is_refused_before_anything_happens() {
    let (repo, _remote) = monorepo();
    repo.git(&["remote", "remove", "origin"]);
    let environment: Vec<(&str, &str)> = GIT_ENV.to_vec();
    let run = verso_with(repo.path(), &["release"], "", &environment);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no remote"), "{}", run.stderr);
    assert!(!repo.path().join(".git/verso/release.json").exists());
    assert_eq!(git_text(repo.path(), &["tag", "-l", "*1.1.0"]), "");
}
