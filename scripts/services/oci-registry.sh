#!/usr/bin/env bash
# A throwaway OCI registry (CNCF distribution, Debian's docker-registry) on 127.0.0.1 for
# the tests, with filesystem storage and deletes enabled.
#
#   oci-registry.sh start [--port N] [--auth USER:PASSWORD] [--log-level LEVEL]
#                                        prints REGISTRY_ADDR=127.0.0.1:N and the log file
#   oci-registry.sh stop  [--port N]
#
# --auth turns on htpasswd (basic) authentication for every request.
set -euo pipefail
service=oci-registry
source "$(dirname "$0")/lib.sh"

cmd=${1:-start}; shift || true
port=5055
auth=""
level=warn
while [[ $# -gt 0 ]]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    --auth) auth=$2; shift 2 ;;
    --log-level) level=$2; shift 2 ;;
    *) say "unknown argument: $1"; exit 2 ;;
  esac
done
dir=${TMPDIR:-/tmp}/verso-oci-registry-$port
addr=127.0.0.1:$port

case $cmd in
  start)
    # A registry already running with other settings (auth, log level) is replaced.
    want=$(printf '%s|%s' "$auth" "$level" | sha256sum | cut -d' ' -f1)
    if running_pid "$dir/pid" docker-registry >/dev/null && [[ $(cat "$dir/settings" 2>/dev/null) != "$want" ]]; then
      stop_pid "$dir/pid" docker-registry
    fi
    if ! running_pid "$dir/pid" docker-registry >/dev/null; then
      command -v docker-registry >/dev/null || apt_install docker-registry
      [[ $(http_code "http://$addr/v2/") == 000 ]] || { say "port $port is taken"; exit 1; }
      rm -rf "$dir"; mkdir -p "$dir/data"
      auth_yaml=""
      if [[ -n $auth ]]; then
        command -v htpasswd >/dev/null || apt_install apache2-utils
        htpasswd -nbB "${auth%%:*}" "${auth#*:}" | head -1 >"$dir/htpasswd"
        auth_yaml=$(printf 'auth:\n  htpasswd:\n    realm: verso-test\n    path: %s' "$dir/htpasswd")
      fi
      cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: $level
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $addr
  secret: verso-test-$port
$auth_yaml
YAML
      echo "$want" >"$dir/settings"
      spawn "$dir/pid" "$dir/log" docker-registry serve "$dir/config.yml"
      for _ in $(seq 100); do
        case $(http_code "http://$addr/v2/") in 200|401) break ;; esac
        running_pid "$dir/pid" docker-registry >/dev/null || { say "registry exited:"; tail -20 "$dir/log" >&2; exit 1; }
        sleep 0.1
      done
      case $(http_code "http://$addr/v2/") in 200|401) ;; *) say "no answer on $addr"; exit 1 ;; esac
      say "started on $addr"
    fi
    echo "REGISTRY_ADDR=$addr"
    echo "REGISTRY_LOG=$dir/log"
    echo "REGISTRY_DATA=$dir/data"
    ;;
  stop) stop_pid "$dir/pid" docker-registry; rm -rf "$dir" ;;
  *) say "usage: oci-registry.sh start|stop [--port N]"; exit 2 ;;
esac
