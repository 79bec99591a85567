#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine with the Rust toolchain: installs what
# the tests need (git, curl, Node.js/npm for the npm registry and helm), starts a real npm
# registry (verdaccio), real OCI registries and a real PostgreSQL on loopback ports, installs
# a pinned helm, runs the tests, and stops the services again.
#
# Ports: VERSO_TEST_NPM_PORT (default 4899), VERSO_TEST_REGISTRY_PORT (default 5099; the
# registry with basic auth listens on the port below it), VERSO_TEST_POSTGRES_PORT (default
# 55432).
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
auth_registry_port=$((registry_port - 1))
postgres_port=${VERSO_TEST_POSTGRES_PORT:-55432}
stop_services() {
  scripts/services/postgres.sh stop --port "$postgres_port" || true
  scripts/services/npm-registry.sh stop --port "$npm_port" || true
  scripts/services/oci-registry.sh stop --port "$registry_port" || true
  scripts/services/oci-registry.sh stop --port "$auth_registry_port" || true
}
trap stop_services EXIT

eval "$(scripts/services/npm-registry.sh start --port "$npm_port")"
# A second registry, with basic auth: copies across registries and logins.
REGISTRY_AUTH_USER=verso REGISTRY_AUTH_PASSWORD=test-$RANDOM$RANDOM
eval "$(scripts/services/oci-registry.sh start --port "$auth_registry_port" --auth "$REGISTRY_AUTH_USER:$REGISTRY_AUTH_PASSWORD")"
REGISTRY_AUTH_ADDR=$REGISTRY_ADDR
eval "$(scripts/services/oci-registry.sh start --port "$registry_port")"
HELM4_BIN=$(scripts/services/helm.sh install --version 4 | sed -n 's/^HELM_BIN=//p')
eval "$(scripts/services/helm.sh install --version 3)"
# Server tests run once on SQLite and once on PostgreSQL, a fresh database per test.
VERSO_TEST_DATABASE_URL=$(scripts/services/postgres.sh start --port "$postgres_port" | sed -n 's/^DATABASE_URL=//p')
export NPM_REGISTRY_URL NPM_REGISTRY_NPMRC REGISTRY_ADDR REGISTRY_DATA
export REGISTRY_AUTH_ADDR REGISTRY_AUTH_USER REGISTRY_AUTH_PASSWORD
export HELM_BIN HELM4_BIN HELM_CONFIG_HOME HELM_CACHE_HOME HELM_DATA_HOME VERSO_TEST_DATABASE_URL
# A missing service fails its tests instead of skipping them.
export VERSO_REQUIRE_SERVICES=1

cargo test --workspace --locked "$@"
