#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine with the Rust toolchain: installs what
# the tests need (git, curl, Node.js/npm for the npm registry and helm), starts a real npm
# registry (verdaccio) and a real OCI registry on loopback ports, installs a pinned helm,
# runs the tests, and stops the services again.
#
# Ports: VERSO_TEST_NPM_PORT (default 4899), VERSO_TEST_REGISTRY_PORT (default 5099).
set -euo pipefail
cd "$(dirname "$0")/.."
service=test
source scripts/services/lib.sh

missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [[ ${#missing[@]} -gt 0 ]]; then apt_install "${missing[@]}"; fi

npm_port=${VERSO_TEST_NPM_PORT:-4899}
registry_port=${VERSO_TEST_REGISTRY_PORT:-5099}
stop_services() {
  scripts/services/npm-registry.sh stop --port "$npm_port" || true
  scripts/services/oci-registry.sh stop --port "$registry_port" || true
}
trap stop_services EXIT

eval "$(scripts/services/npm-registry.sh start --port "$npm_port")"
eval "$(scripts/services/oci-registry.sh start --port "$registry_port")"
eval "$(scripts/services/helm.sh install --version 3)"
export NPM_REGISTRY_URL NPM_REGISTRY_NPMRC REGISTRY_ADDR
export HELM_BIN HELM_CONFIG_HOME HELM_CACHE_HOME HELM_DATA_HOME
# A missing service fails its tests instead of skipping them.
export VERSO_REQUIRE_SERVICES=1

cargo test --workspace --locked "$@"
