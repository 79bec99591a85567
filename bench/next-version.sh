#!/usr/bin/env bash
# Measures `verso next --json` against `git log --format=%B <tag>..HEAD` on a synthetic
# repository: one release tag, then COMMITS conventional commits with multi-line bodies, each
# changing a file in one of 50 directories. Both commands read every commit of the range.
#
#   bench/next-version.sh [--commits N] [--runs N] [--dir DIR]
#
# Prints the median wall time of each command and their ratio (verso / git log).
set -euo pipefail

commits=100000
runs=7
dir="${TMPDIR:-/tmp}/verso-bench"
while [ $# -gt 0 ]; do
  case "$1" in
    --commits) commits=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    *) echo "usage: $0 [--commits N] [--runs N] [--dir DIR]" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p verso-cli
verso="$root/target/release/verso"
repo="$dir/repo-$commits"

if [ ! -f "$repo/.complete" ]; then
  rm -rf "$repo"
  mkdir -p "$repo"
  git -C "$repo" init --quiet --initial-branch=main
  echo "building a repository with $commits commits in $repo" >&2
  awk -v commits="$commits" 'BEGIN {
    split("feat fix docs chore refactor perf test fix feat ci", types, " ")
    split("api ui core cli db auth", scopes, " ")
    when = 1700000000
    for (n = 0; n <= commits; n++) {
      if (n == 0) {
        header = "feat: initial import"
      } else {
        type = types[(n % 10) + 1]
        scope = scopes[(n % 6) + 1]
        bang = (n == 7) ? "!" : ""
        header = type "(" scope ")" bang ": change number " n " to the " scope " module"
      }
      body = "This commit changes part " (n % 50) " of the system so that the benchmark\n" \
             "reads a realistic message: a header, a wrapped body of a few lines and,\n" \
             "now and then, footers such as a reference to an issue.\n"
      if (n % 3 == 0) body = body "\nRefs #" n "\nReviewed-by: Bench Reviewer <review@verso.invalid>\n"
      message = header "\n\n" body
      printf "commit refs/heads/main\nmark :%d\n", n + 1
      printf "author Bench <bench@verso.invalid> %d +0000\n", when + n
      printf "committer Bench <bench@verso.invalid> %d +0000\n", when + n
      printf "data %d\n%s\n", length(message), message
      if (n > 0) printf "from :%d\n", n
      content = "revision " n "\n"
      printf "M 644 inline src/part%02d/file.txt\ndata %d\n%s\n", n % 50, length(content), content
      if (n == 0) printf "reset refs/tags/v1.0.0\nfrom :1\n\n"
    }
  }' | git -C "$repo" fast-import --quiet
  git -C "$repo" reset --quiet --hard main
  # The state a real clone is in: packed, with a commit-graph.
  git -C "$repo" gc --quiet
  touch "$repo/.complete"
fi

# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"

compare() {
  local label=$1 verso_ms git_ms
  verso_ms=$(median_ms "$verso" -C "$repo" next --json)
  git_ms=$(median_ms git -C "$repo" log --format=%B v1.0.0..HEAD)
  echo "$label"
  echo "  verso next --json:                 ${verso_ms} ms (median of $runs)"
  echo "  git log --format=%B v1.0.0..HEAD:  ${git_ms} ms (median of $runs)"
  awk -v v="$verso_ms" -v g="$git_ms" 'BEGIN { printf "  ratio verso / git log:             %.2f\n", v / g }'
}

echo "commits since v1.0.0: $(git -C "$repo" rev-list --count v1.0.0..HEAD) (verso next: $("$verso" -C "$repo" next))"
compare "with a commit-graph (as after git gc):"
# A fresh CI clone usually has no commit-graph: both tools then inflate every commit to walk.
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.commitGraph GIT_CONFIG_VALUE_0=false
compare "without a commit-graph (core.commitGraph=false):"
