#!/usr/bin/env bash
# Measures `verso plan --json` on a synthetic npm monorepo against
# `git log --name-only --format=%H <tag>..HEAD` over the same commits.
#
# The repository: PACKAGES npm workspace packages (each depends on up to three packages with
# lower numbers: a DAG), all released at one commit (one tag per package), then COMMITS
# conventional commits, each changing files of one to three packages; every 50th commit
# changes only the root lockfile and every 97th only a root file.
#
#   bench/plan-monorepo.sh [--packages N] [--commits N] [--runs N] [--dir DIR]
#
# Prints the median wall time of each command, their ratio (verso / git log) and the peak
# memory (maximum resident set) of one run of each, when GNU time is installed.
set -euo pipefail

packages=200
commits=100000
runs=5
dir="${TMPDIR:-/tmp}/verso-bench"
while [ $# -gt 0 ]; do
  case "$1" in
    --packages) packages=$2; shift 2 ;;
    --commits) commits=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    *) echo "usage: $0 [--packages N] [--commits N] [--runs N] [--dir DIR]" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p verso-cli
verso="$root/target/release/verso"
repo="$dir/monorepo-$packages-$commits"

if [ ! -f "$repo/.complete" ]; then
  rm -rf "$repo"
  mkdir -p "$repo"
  git -C "$repo" init --quiet --initial-branch=main
  echo "building a monorepo with $packages packages and $commits commits in $repo" >&2
  awk -v packages="$packages" -v commits="$commits" '
  function file(path, content) {
    printf "M 644 inline %s\ndata %d\n%s\n", path, length(content), content
  }
  function name(p) { return sprintf("pkg-%03d", p) }
  BEGIN {
    split("feat fix docs chore refactor perf test fix fix ci", types, " ")
    when = 1700000000
    # The initial import: every package with its manifest and sources.
    message = "chore: import the monorepo\n"
    printf "commit refs/heads/main\nmark :1\n"
    printf "author Bench <bench@verso.invalid> %d +0000\n", when
    printf "committer Bench <bench@verso.invalid> %d +0000\n", when
    printf "data %d\n%s\n", length(message), message
    file("package.json", "{\"private\": true, \"workspaces\": [\"packages/*\"]}\n")
    file("package-lock.json", "{\"lockfileVersion\": 3}\n")
    file("README.md", "monorepo\n")
    for (p = 0; p < packages; p++) {
      deps = ""
      for (d = 1; d <= 3; d++) {
        q = (p * 31 + d * 17) % (p + 1)
        if (q < p && index(deps, "\"" name(q) "\"") == 0) {
          deps = deps (deps == "" ? "" : ", ") "\"" name(q) "\": \"^1.0.0\""
        }
      }
      file("packages/" name(p) "/package.json", \
        "{\n  \"name\": \"" name(p) "\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {" deps "}\n}\n")
      for (f = 0; f < 5; f++) file("packages/" name(p) "/src/file" f ".js", "// " name(p) " " f "\n")
    }
    for (p = 0; p < packages; p++) printf "reset refs/tags/%s@1.0.0\nfrom :1\n\n", name(p)
    for (n = 1; n <= commits; n++) {
      first = (n * 7919) % packages
      type = types[(n % 10) + 1]
      bang = (n % 9973 == 0) ? "!" : ""
      header = type "(" name(first) ")" bang ": change number " n
      body = "This commit changes the package so that the benchmark reads a realistic\n" \
             "message: a header, a wrapped body of a few lines and now and then footers.\n"
      if (n % 3 == 0) body = body "\nRefs #" n "\n"
      message = header "\n\n" body
      printf "commit refs/heads/main\nmark :%d\n", n + 1
      printf "author Bench <bench@verso.invalid> %d +0000\n", when + n
      printf "committer Bench <bench@verso.invalid> %d +0000\n", when + n
      printf "data %d\n%s\n", length(message), message
      printf "from :%d\n", n
      content = "// revision " n "\n"
      if (n % 50 == 0) {
        file("package-lock.json", "{\"lockfileVersion\": 3, \"revision\": " n "}\n")
      } else if (n % 97 == 0) {
        file("README.md", "monorepo, revision " n "\n")
      } else {
        file("packages/" name(first) "/src/file" (n % 5) ".js", content)
        if (n % 3 == 0) file("packages/" name((n * 104729) % packages) "/src/file" (n % 5) ".js", content)
        if (n % 7 == 0) file("packages/" name((n * 15485863) % packages) "/src/file" (n % 5) ".js", content)
      }
    }
  }' | git -C "$repo" fast-import --quiet
  git -C "$repo" reset --quiet --hard main
  # The state a real clone is in: packed, with a commit-graph.
  git -C "$repo" gc --quiet
  touch "$repo/.complete"
fi

# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

peak_kib() {
  if /usr/bin/time -f %M true >/dev/null 2>&1; then
    /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
  else
    echo "n/a (install GNU time)"
  fi
}

base="pkg-000@1.0.0"
plan="$("$verso" -C "$repo" plan --json)"
echo "packages: $packages, commits since the release tags: $(git -C "$repo" rev-list --count "$base..HEAD")"
echo "$plan" | python3 -c 'import json, sys
plan = json.load(sys.stdin)
released = [p for p in plan["packages"] if p["next_version"]]
by_reason = {}
for p in released:
    by_reason[p["reason"]] = by_reason.get(p["reason"], 0) + 1
print("verso plan: %d packages to release %s, %d commit entries" % (len(released), by_reason, sum(len(p["commits"]) for p in plan["packages"])))' 2>/dev/null || true
verso_ms=$(median_ms "$verso" -C "$repo" plan --json)
git_ms=$(median_ms git -C "$repo" log --name-only --format=%H "$base..HEAD")
echo "  verso plan --json:                                 ${verso_ms} ms (median of $runs)"
echo "  git log --name-only --format=%H $base..HEAD:  ${git_ms} ms (median of $runs)"
awk -v v="$verso_ms" -v g="$git_ms" 'BEGIN { printf "  ratio verso / git log:                             %.2f\n", v / g }'
echo "  peak memory (max RSS, KiB): verso $(peak_kib "$verso" -C "$repo" plan --json), git log $(peak_kib git -C "$repo" log --name-only --format=%H "$base..HEAD")"
