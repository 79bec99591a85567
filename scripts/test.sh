#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests need first (git), so that it works on a
# fresh Debian machine with only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v git >/dev/null 2>&1; then
  echo "installing git" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq git >/dev/null
fi

cargo test --workspace --locked "$@"
