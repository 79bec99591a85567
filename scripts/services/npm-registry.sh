#!/usr/bin/env bash
# A throwaway npm registry (verdaccio 5) on 127.0.0.1 for the tests: real `npm publish`,
# `npm view` and dist-tags; anyone may publish.
#
#   npm-registry.sh start [--port N]    prints NPM_REGISTRY_URL=... NPM_REGISTRY_NPMRC=...
#   npm-registry.sh stop  [--port N]
#
# verdaccio is installed with npm into ${XDG_CACHE_HOME:-~/.cache}/verso-verdaccio (Node.js
# and npm from Debian when missing). verdaccio 6 needs Node.js 22, hence 5.33; node-fetch is
# pinned because a dependency asks for it by a dist-tag some registry mirrors lack.
set -euo pipefail
service=npm-registry
source "$(dirname "$0")/lib.sh"

cmd=${1:-start}; shift || true
port=4873
while [[ $# -gt 0 ]]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    *) say "unknown argument: $1"; exit 2 ;;
  esac
done
dir=${TMPDIR:-/tmp}/verso-npm-registry-$port
install_dir=${XDG_CACHE_HOME:-$HOME/.cache}/verso-verdaccio
bin=$install_dir/node_modules/.bin/verdaccio
url=http://127.0.0.1:$port/

install() {
  [[ -x $bin ]] && return 0
  command -v npm >/dev/null || apt_install nodejs npm
  mkdir -p "$install_dir"
  cat >"$install_dir/package.json" <<'JSON'
{
  "name": "verso-test-verdaccio",
  "private": true,
  "dependencies": { "verdaccio": "5.33.0" },
  "overrides": { "node-fetch": "2.7.0" }
}
JSON
  say "installing verdaccio 5.33.0 into $install_dir ..."
  (cd "$install_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  [[ -x $bin ]] || { say "verdaccio did not install"; exit 1; }
}

case $cmd in
  start)
    if ! running_pid "$dir/pid" verdaccio >/dev/null; then
      install
      [[ $(http_code "$url-/ping") == 000 ]] || { say "port $port is taken"; exit 1; }
      rm -rf "$dir"; mkdir -p "$dir/storage"
      cat >"$dir/config.yaml" <<YAML
storage: $dir/storage
auth:
  htpasswd:
    file: $dir/htpasswd
    max_users: -1
uplinks: {}
packages:
  '**':
    access: \$all
    publish: \$all
    unpublish: \$all
max_body_size: 100mb
log: { type: stdout, format: pretty, level: warn }
YAML
      printf '//127.0.0.1:%s/:_authToken=test-token\nregistry=%s\n' "$port" "$url" >"$dir/npmrc"
      spawn "$dir/pid" "$dir/log" "$bin" --config "$dir/config.yaml" --listen "127.0.0.1:$port"
      for _ in $(seq 150); do
        [[ $(http_code "$url-/ping") == 200 ]] && break
        running_pid "$dir/pid" verdaccio >/dev/null || { say "verdaccio exited:"; tail -20 "$dir/log" >&2; exit 1; }
        sleep 0.1
      done
      [[ $(http_code "$url-/ping") == 200 ]] || { say "no answer on $url"; exit 1; }
      say "started on $url"
    fi
    echo "NPM_REGISTRY_URL=$url"
    echo "NPM_REGISTRY_NPMRC=$dir/npmrc"
    ;;
  stop) stop_pid "$dir/pid" verdaccio; rm -rf "$dir" ;;
  *) say "usage: npm-registry.sh start|stop [--port N]"; exit 2 ;;
esac
