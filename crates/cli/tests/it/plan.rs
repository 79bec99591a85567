//! `verso plan`, `verso changed` and `verso explain <package>` on monorepos built by the tests.

use serde_json::Value;
use verso_testkit::TestRepo;

use crate::verso;

fn plan(repo: &TestRepo) -> Value {
    let run = verso(repo.path(), &["plan", "--json"]);
    assert_eq!(run.code, 0, "verso plan failed: {}", run.stderr);
    run.json()
}

fn package<'a>(plan: &'a Value, name: &str) -> &'a Value {
    plan["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|package| package["name"] == name))
        .unwrap_or_else(|| panic!("no package `{name}` in {plan:#}"))
}

/// `(current, next, bump, reason)` of a package.
fn decision(plan: &Value, name: &str) -> (String, String, String, String) {
    let package = package(plan, name);
    let text = |key: &str| package[key].as_str().unwrap_or("-").to_owned();
    (
        text("current_version"),
        text("next_version"),
        text("bump"),
        text("reason"),
    )
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn npm_package(name: &str, version: &str, dependencies: &[(&str, &str)]) -> String {
    let dependencies: Vec<String> = dependencies
        .iter()
        .map(|(name, spec)| format!("\"{name}\": \"{spec}\""))
        .collect();
    format!(
        "{{\n  \"name\": \"{name}\",\n  \"version\": \"{version}\",\n  \"dependencies\": {{{}}}\n}}\n",
        dependencies.join(", ")
    )
}

/// An npm workspace with the given packages (`name`, dependencies) at 1.0.0, all tagged.
fn npm_workspace(packages: &[(&str, &[(&str, &str)])]) -> TestRepo {
    let repo = TestRepo::new();
    repo.write(
        "package.json",
        "{\"private\": true, \"workspaces\": [\"packages/*\"]}\n",
    );
    for (name, dependencies) in packages {
        repo.write(
            &format!("packages/{name}/package.json"),
            &npm_package(name, "1.0.0", dependencies),
        );
    }
    let mut repo = repo.commit_all("chore: import");
    for (name, _) in packages {
        repo = repo.tag(&format!("{name}@1.0.0"));
    }
    repo
}

fn cell(text: &str) -> (String, String, String, String) {
    let parts: Vec<&str> = text.split(' ').collect();
    (
        parts[0].to_owned(),
        parts[1].to_owned(),
        parts[2].to_owned(),
        parts[3].to_owned(),
    )
}

#[test]
fn chain_propagates_a_fix_to_every_dependent_in_order() {
    let repo = npm_workspace(&[
        ("a", &[("b", "^1.0.0")]),
        ("b", &[("c", "^1.0.0")]),
        ("c", &[]),
    ])
    .commit_file("packages/c/index.js", "fixed", "fix(c): off by one");
    let plan = plan(&repo);
    assert_eq!(decision(&plan, "c"), cell("1.0.0 1.0.1 patch commits"));
    assert_eq!(decision(&plan, "b"), cell("1.0.0 1.0.1 patch dependency"));
    assert_eq!(decision(&plan, "a"), cell("1.0.0 1.0.1 patch dependency"));
    assert_eq!(strings(&plan["order"]), ["c", "b", "a"]);
    let b = package(&plan, "b");
    assert_eq!(strings(&b["caused_by"]), ["c"]);
    assert_eq!(b["dependency_updates"][0]["from"], "^1.0.0");
    assert_eq!(b["dependency_updates"][0]["to"], "^1.0.1");
    assert_eq!(b["last_tag"], "b@1.0.0");
    assert_eq!(b["new_tag"], "b@1.0.1");
    assert_eq!(b["path"], "packages/b");
    assert_eq!(b["kind"], "npm");
    let c = package(&plan, "c");
    assert_eq!(c["commits"][0]["header"], "fix(c): off by one");
    assert_eq!(c["commits"].as_array().map(Vec::len), Some(1));

    let explain = verso(repo.path(), &["explain", "a"]);
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(
        explain
            .stdout
            .contains("Forced by: runtime dependency `b` (^1.0.0) is released as 1.0.1"),
        "{}",
        explain.stdout
    );
    assert!(explain
        .stdout
        .contains("Next version: 1.0.1 (tag `a@1.0.1`)"));

    let table = verso(repo.path(), &["plan"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    let rows: Vec<&str> = table.stdout.lines().collect();
    assert!(rows[0].starts_with("PACKAGE"), "{}", table.stdout);
    assert!(rows[1].starts_with("c "), "{}", table.stdout);
    assert!(rows[3].contains("dependency: b"), "{}", table.stdout);
}

#[test]
fn diamond_bumps_the_bottom_once_per_release() {
    let repo = npm_workspace(&[
        ("top", &[("left", "^1.0.0"), ("right", "~1.0.0")]),
        ("left", &[("base", "^1.0.0")]),
        ("right", &[("base", "^1.0.0")]),
        ("base", &[]),
    ])
    .commit_file("packages/base/index.js", "new", "feat(base): add a helper");
    let plan = plan(&repo);
    assert_eq!(decision(&plan, "base"), cell("1.0.0 1.1.0 minor commits"));
    assert_eq!(
        decision(&plan, "left"),
        cell("1.0.0 1.0.1 patch dependency")
    );
    assert_eq!(
        decision(&plan, "right"),
        cell("1.0.0 1.0.1 patch dependency")
    );
    assert_eq!(decision(&plan, "top"), cell("1.0.0 1.0.1 patch dependency"));
    let top = package(&plan, "top");
    assert_eq!(strings(&top["caused_by"]), ["left", "right"]);
    let updates: Vec<(String, String)> = top["dependency_updates"]
        .as_array()
        .map(|updates| {
            updates
                .iter()
                .map(|update| {
                    (
                        update["dependency"].as_str().unwrap_or("").to_owned(),
                        update["to"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        updates,
        [
            ("left".to_owned(), "^1.0.1".to_owned()),
            ("right".to_owned(), "~1.0.1".to_owned())
        ]
    );
    let order = strings(&plan["order"]);
    assert_eq!(order.first().map(String::as_str), Some("base"));
    assert_eq!(order.last().map(String::as_str), Some("top"));
}

#[test]
fn cycle_is_released_together_and_reported() {
    let repo = npm_workspace(&[
        ("ping", &[("pong", "^1.0.0")]),
        ("pong", &[("ping", "^1.0.0")]),
        ("other", &[]),
    ])
    .commit_file("packages/ping/index.js", "v2", "feat(ping): louder");
    let plan = plan(&repo);
    assert_eq!(decision(&plan, "ping"), cell("1.0.0 1.1.0 minor commits"));
    assert_eq!(
        decision(&plan, "pong"),
        cell("1.0.0 1.1.0 minor dependency")
    );
    assert_eq!(decision(&plan, "other"), cell("1.0.0 - none none"));
    assert_eq!(plan["cycles"][0], serde_json::json!(["ping", "pong"]));
    let table = verso(repo.path(), &["plan"]);
    assert!(
        table
            .stdout
            .contains("cycle: ping, pong depend on each other"),
        "{}",
        table.stdout
    );
}

#[test]
fn fixed_group_shares_one_version_and_one_tag_beside_independent_packages() {
    let repo = npm_workspace(&[("x", &[]), ("y", &[]), ("z", &[])]);
    repo.write("verso.toml", "[groups.core]\npackages = [\"x\", \"y\"]\n");
    let repo = repo
        .commit_all("chore: group x and y")
        .tag("core-v1.0.0")
        .commit_file("packages/x/index.js", "fix", "fix(x): crash")
        .commit_file("packages/z/index.js", "feat", "feat(z): new");
    let plan = plan(&repo);
    assert_eq!(decision(&plan, "x"), cell("1.0.0 1.0.1 patch commits"));
    assert_eq!(decision(&plan, "y"), cell("1.0.0 1.0.1 patch fixed-group"));
    assert_eq!(decision(&plan, "z"), cell("1.0.0 1.1.0 minor commits"));
    let y = package(&plan, "y");
    assert_eq!(y["group"], "core");
    assert_eq!(y["last_tag"], "core-v1.0.0");
    assert_eq!(y["new_tag"], "core-v1.0.1");
    assert_eq!(strings(&y["caused_by"]), ["x"]);
    assert_eq!(package(&plan, "z")["new_tag"], "z@1.1.0");
}

#[test]
fn cargo_workspace_with_inherited_version_rewrites_requirements() {
    let repo = TestRepo::new();
    repo.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.package]\nversion = \"1.2.0\"\n\n[workspace.dependencies]\ncore-lib = { path = \"crates/core-lib\", version = \"1.2\" }\n",
    );
    repo.write(
        "crates/core-lib/Cargo.toml",
        "[package]\nname = \"core-lib\"\nversion.workspace = true\n",
    );
    repo.write(
        "crates/app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.4.0\"\n\n[dependencies]\ncore-lib.workspace = true\n",
    );
    let repo = repo
        .commit_all("chore: import")
        .tag("core-lib-v1.2.0")
        .tag("app-v0.4.0")
        .commit_file(
            "crates/core-lib/src/lib.rs",
            "pub fn f() {}",
            "feat(core): f",
        )
        .commit_file("Cargo.lock", "# lock", "chore: lock");
    let plan = plan(&repo);
    assert_eq!(
        decision(&plan, "core-lib"),
        cell("1.2.0 1.3.0 minor commits")
    );
    assert_eq!(decision(&plan, "app"), cell("0.4.0 0.4.1 patch dependency"));
    let app = package(&plan, "app");
    assert_eq!(app["kind"], "cargo");
    assert_eq!(app["dependency_updates"][0]["from"], "1.2");
    assert_eq!(app["dependency_updates"][0]["to"], "1.3");
    assert_eq!(package(&plan, "core-lib")["new_tag"], "core-lib-v1.3.0");
}

#[test]
fn helm_charts_depending_by_file_path() {
    let repo = TestRepo::new();
    repo.write(
        "charts/platform/Chart.yaml",
        "apiVersion: v2\nname: platform\nversion: 3.0.0\ndependencies:\n  - name: api\n    version: \"1.2.0\"\n    repository: file://../api\n",
    );
    repo.write(
        "charts/api/Chart.yaml",
        "apiVersion: v2\nname: api\nversion: 1.2.0\n",
    );
    let repo = repo
        .commit_all("chore: charts")
        .tag("platform-3.0.0")
        .tag("api-1.2.0")
        .commit_file(
            "charts/api/values.yaml",
            "replicas: 2\n",
            "fix(api): two replicas",
        );
    let plan = plan(&repo);
    assert_eq!(decision(&plan, "api"), cell("1.2.0 1.2.1 patch commits"));
    assert_eq!(
        decision(&plan, "platform"),
        cell("3.0.0 3.0.1 patch dependency")
    );
    let platform = package(&plan, "platform");
    assert_eq!(platform["kind"], "helm");
    assert_eq!(platform["new_tag"], "platform-3.0.1");
    assert_eq!(platform["dependency_updates"][0]["to"], "1.2.1");
}

#[test]
fn root_and_lockfile_commits_change_no_package() {
    let repo = npm_workspace(&[("a", &[]), ("b", &[])])
        .commit_file(
            "package-lock.json",
            "{}",
            "fix: bump transitive dependencies",
        )
        .commit_file("packages/a/package-lock.json", "{}", "fix(a): lock only")
        .commit_file("README.md", "# monorepo", "docs: readme")
        .commit_file(".github/workflows/ci.yml", "on: push", "ci: build");
    let changed = verso(repo.path(), &["changed"]);
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    assert_eq!(changed.stdout, "");
    let plan = plan(&repo);
    assert_eq!(decision(&plan, "a"), cell("1.0.0 - none none"));
    assert_eq!(decision(&plan, "b"), cell("1.0.0 - none none"));
    // A real change still counts, and only for its package.
    let repo = repo.commit_file("packages/b/index.js", "b", "fix(b): real");
    let changed = verso(repo.path(), &["changed", "--json"]);
    assert_eq!(changed.json()["packages"][0]["name"], "b");
    assert_eq!(changed.json()["packages"][0]["commits"], 1);
    assert_eq!(changed.json()["packages"].as_array().map(Vec::len), Some(1));
}

#[test]
fn shared_paths_and_include_globs_route_changes() {
    let repo = npm_workspace(&[("api", &[]), ("web", &[]), ("worker", &[])]);
    repo.write(
        "verso.toml",
        "[shared_paths]\n\"proto/**\" = [\"api\", \"worker\"]\n\n[[package]]\npath = \"packages/web\"\ninclude = [\"src/**\", \"/package.json\"]\nexclude = [\"**/*.test.js\"]\n",
    );
    let repo = repo
        .commit_all("chore: configure")
        .commit_file("proto/api.proto", "message A {}", "feat(proto): message A")
        .commit_file("packages/web/docs/guide.md", "guide", "fix(web): docs only")
        .commit_file(
            "packages/web/src/app.test.js",
            "test",
            "fix(web): test only",
        );
    let plan = plan(&repo);
    assert_eq!(decision(&plan, "api"), cell("1.0.0 1.1.0 minor commits"));
    assert_eq!(decision(&plan, "worker"), cell("1.0.0 1.1.0 minor commits"));
    assert_eq!(decision(&plan, "web"), cell("1.0.0 - none none"));
    let repo = repo.commit_file("packages/web/src/app.js", "app", "fix(web): real");
    let plan = self::plan(&repo);
    assert_eq!(decision(&plan, "web"), cell("1.0.0 1.0.1 patch commits"));
    let web = package(&plan, "web");
    assert_eq!(web["commits"].as_array().map(Vec::len), Some(1));
}

#[test]
fn package_without_a_release_starts_from_its_manifest_or_the_initial_version() {
    let repo = npm_workspace(&[("a", &[])]);
    repo.write(
        "packages/fresh/package.json",
        &npm_package("fresh", "2.0.0", &[]),
    );
    repo.write("packages/blank/package.json", "{\"name\": \"blank\"}\n");
    let repo = repo.commit_all("feat: two new packages").commit_file(
        "packages/fresh/index.js",
        "x",
        "fix(fresh): x",
    );
    let plan = plan(&repo);
    assert_eq!(decision(&plan, "fresh"), cell("2.0.0 2.1.0 minor commits"));
    let fresh = package(&plan, "fresh");
    assert_eq!(fresh["last_tag"], Value::Null);
    assert_eq!(fresh["commits"].as_array().map(Vec::len), Some(2));
    assert_eq!(decision(&plan, "blank"), cell("- 0.1.0 minor commits"));
    assert_eq!(decision(&plan, "a"), cell("1.0.0 - none none"));
    let explain = verso(repo.path(), &["explain", "fresh"]);
    assert!(
        explain
            .stdout
            .contains("none tagged; the manifest says 2.0.0, so every commit counts"),
        "{}",
        explain.stdout
    );
}

#[test]
fn one_commit_touching_two_packages_with_a_breaking_footer_counts_for_both() {
    let repo = npm_workspace(&[("a", &[]), ("b", &[]), ("c", &[])]);
    repo.write("packages/a/index.js", "a2");
    repo.write("packages/b/index.js", "b2");
    let repo = repo.commit_all(
        "refactor: rename the shared option\n\nBREAKING CHANGE: `verbose` is now `debug`",
    );
    let plan = plan(&repo);
    assert_eq!(decision(&plan, "a"), cell("1.0.0 2.0.0 major commits"));
    assert_eq!(decision(&plan, "b"), cell("1.0.0 2.0.0 major commits"));
    assert_eq!(decision(&plan, "c"), cell("1.0.0 - none none"));
    assert_eq!(
        package(&plan, "a")["commits"][0]["id"],
        package(&plan, "b")["commits"][0]["id"]
    );
}

#[test]
fn each_package_counts_from_its_own_last_release() {
    let repo = npm_workspace(&[("a", &[]), ("b", &[])])
        .commit_file("packages/a/index.js", "1", "feat(a): one")
        .commit_file("packages/b/index.js", "1", "feat(b): one")
        .tag("a@1.1.0")
        .commit_file("packages/a/index.js", "2", "fix(a): two");
    let plan = plan(&repo);
    assert_eq!(decision(&plan, "a"), cell("1.1.0 1.1.1 patch commits"));
    assert_eq!(decision(&plan, "b"), cell("1.0.0 1.1.0 minor commits"));
    // `next --path` still answers for one package of the monorepo.
    let run = verso(
        repo.path(),
        &["next", "--path", "packages/a", "--tag-prefix", "a@"],
    );
    assert_eq!(run.answer(), "1.1.1", "{}", run.stderr);
}

#[test]
fn prerelease_channel_applies_per_package() {
    let repo = npm_workspace(&[("a", &[("b", "^1.0.0")]), ("b", &[])]).commit_file(
        "packages/b/index.js",
        "1",
        "feat(b): one",
    );
    let run = verso(repo.path(), &["plan", "--json", "--channel", "beta"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let plan = run.json();
    assert_eq!(
        decision(&plan, "b"),
        cell("1.0.0 1.1.0-beta.0 minor commits")
    );
    assert_eq!(
        decision(&plan, "a"),
        cell("1.0.0 1.0.1-beta.0 patch dependency")
    );
    assert_eq!(plan["channel"], "beta");
}

#[test]
fn configuration_mistakes_are_named() {
    let repo = npm_workspace(&[("a", &[])]);
    repo.write("verso.toml", "[shared_paths]\n\"proto/**\" = [\"nope\"]\n");
    let run = verso(repo.path(), &["plan"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("`shared_paths` names `nope`, which is not a package"),
        "{}",
        run.stderr
    );
    repo.write("verso.toml", "[propagation]\nruntime = \"huge\"\n");
    let run = verso(repo.path(), &["plan"]);
    assert!(
        run.stderr.contains("invalid `propagation.runtime`"),
        "{}",
        run.stderr
    );
    repo.write("verso.toml", "");
    repo.write(
        "charts/a/Chart.yaml",
        "apiVersion: v2\nname: a\nversion: 1.0.0\n",
    );
    let run = verso(repo.path(), &["plan"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("two packages are named `a`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: give one a distinct name"),
        "{}",
        run.stderr
    );
    // The hint works.
    repo.write(
        "verso.toml",
        "[[package]]\npath = \"charts/a\"\nname = \"a-chart\"\n",
    );
    let run = verso(repo.path(), &["plan", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(package(&run.json(), "a-chart")["kind"], "helm");
    let run = verso(repo.path(), &["explain", "zzz"]);
    assert!(
        run.stderr.contains("no package is named `zzz`"),
        "{}",
        run.stderr
    );
}

#[test]
fn propagation_policy_and_out_of_range_option() {
    let repo = npm_workspace(&[("app", &[("lib", "^1.0.0")]), ("lib", &[])]);
    repo.write("verso.toml", "[propagation]\nruntime = \"minor\"\n");
    let repo = repo.commit_all("chore: configure").commit_file(
        "packages/lib/index.js",
        "1",
        "fix(lib): one",
    );
    assert_eq!(
        decision(&plan(&repo), "app"),
        cell("1.0.0 1.1.0 minor dependency")
    );
    repo.write(
        "verso.toml",
        "[propagation]\nonly_when_out_of_range = true\n",
    );
    let repo = repo.commit_all("chore: only out of range");
    // `^1.0.0` accepts 1.0.1: the app keeps working without a release.
    assert_eq!(decision(&plan(&repo), "app"), cell("1.0.0 - none none"));
}

#[test]
fn fail_rule_blocks_the_plan() {
    let repo = npm_workspace(&[("a", &[])]);
    repo.write("verso.toml", "[rules]\nwip = \"fail\"\n");
    let repo = repo.commit_all("chore: configure").commit_file(
        "packages/a/index.js",
        "1",
        "wip(a): half done",
    );
    let run = verso(repo.path(), &["plan"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("a: `"), "{}", run.stderr);
    assert!(run.stderr.contains("wip(a): half done"), "{}", run.stderr);
}

#[test]
fn lerna_fixed_mode_releases_every_package_under_one_tag() {
    let repo = TestRepo::new();
    repo.write(
        "lerna.json",
        "{\"version\": \"1.0.0\", \"packages\": [\"modules/*\"]}\n",
    );
    repo.write("modules/a/package.json", &npm_package("a", "1.0.0", &[]));
    repo.write("modules/b/package.json", &npm_package("b", "1.0.0", &[]));
    let repo = repo.commit_all("chore: import").tag("v1.0.0").commit_file(
        "modules/a/index.js",
        "a",
        "fix(a): a",
    );
    let plan = plan(&repo);
    assert_eq!(decision(&plan, "a"), cell("1.0.0 1.0.1 patch commits"));
    assert_eq!(decision(&plan, "b"), cell("1.0.0 1.0.1 patch fixed-group"));
    assert_eq!(package(&plan, "b")["new_tag"], "v1.0.1");
    assert_eq!(package(&plan, "b")["group"], "lerna");
}

#[test]
fn initial_development_rules_apply_per_package() {
    let repo = TestRepo::new();
    repo.write(
        "package.json",
        "{\"private\": true, \"workspaces\": [\"packages/*\"]}\n",
    );
    repo.write(
        "packages/young/package.json",
        &npm_package("young", "0.3.0", &[]),
    );
    repo.write(
        "packages/grown/package.json",
        &npm_package("grown", "2.3.0", &[]),
    );
    let repo = repo
        .commit_all("chore: import")
        .tag("young@0.3.0")
        .tag("grown@2.3.0");
    repo.write("packages/young/index.js", "y");
    repo.write("packages/grown/index.js", "g");
    let repo = repo.commit_all("feat!: new API everywhere");
    let plan = plan(&repo);
    // Breaking in 0.y.z moves the minor (`shift`), and the bump says what was applied.
    assert_eq!(decision(&plan, "young"), cell("0.3.0 0.4.0 minor commits"));
    assert_eq!(decision(&plan, "grown"), cell("2.3.0 3.0.0 major commits"));
}

#[test]
fn a_higher_tag_on_another_branch_is_not_the_base() {
    let repo = npm_workspace(&[("a", &[]), ("b", &[])])
        .branch("next")
        .commit_file("packages/a/index.js", "next", "feat(a): experiment")
        .tag("a@1.1.0")
        .checkout("main")
        .commit_file("packages/a/fix.js", "fix", "fix(a): on main");
    let plan = plan(&repo);
    assert_eq!(decision(&plan, "a"), cell("1.0.0 1.0.1 patch commits"));
    let a = package(&plan, "a");
    assert_eq!(a["last_tag"], "a@1.0.0");
    assert_eq!(a["commits"].as_array().map(Vec::len), Some(1));
    let explain = verso(repo.path(), &["explain", "a"]);
    assert!(
        explain
            .stdout
            .contains("higher tags such as `a@1.1.0` are on other branches"),
        "{}",
        explain.stdout
    );
}
