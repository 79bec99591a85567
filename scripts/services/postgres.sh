#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for the tests (Debian's postgresql packages:
# initdb + pg_ctl, no system service), trust authentication, fsync off (test data only).
#
#   postgres.sh start [--port N]   prints DATABASE_URL=postgres://postgres@127.0.0.1:N/verso
#   postgres.sh stop  [--port N]
set -euo pipefail
service=postgres
source "$(dirname "$0")/lib.sh"

cmd=${1:-start}; shift || true
port=55432
while [[ $# -gt 0 ]]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    *) say "unknown argument: $1"; exit 2 ;;
  esac
done
dir=${TMPDIR:-/tmp}/verso-postgres-$port
data=$dir/data

bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    [[ -x $d/initdb && -x $d/pg_ctl ]] && { echo "$d"; return 0; }
  done
  return 1
}

# The server refuses to run as root: as root, run it as the `postgres` user of the package.
as_owner() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { [[ -f $data/postmaster.pid ]] && kill -0 "$(head -1 "$data/postmaster.pid")" 2>/dev/null; }

case $cmd in
  start)
    bin=$(bindir) || { apt_install postgresql postgresql-client; bin=$(bindir); }
    if ! running; then
      (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { say "port $port is taken"; exit 1; }
      mkdir -p "$dir"
      [[ $(id -u) == 0 ]] && chown postgres: "$dir"
      if [[ ! -f $data/PG_VERSION ]]; then
        as_owner "$bin/initdb" -D "$data" -U postgres -E UTF8 --no-locale \
          --auth-local=trust --auth-host=trust >"$dir/initdb.log" 2>&1 ||
          { say "initdb failed:"; tail -20 "$dir/initdb.log" >&2; exit 1; }
      fi
      as_owner "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 start \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null ||
        { say "pg_ctl start failed:"; tail -20 "$dir/postgres.log" >&2; exit 1; }
      if [[ $(psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtAc "select 1 from pg_database where datname = 'verso'") != 1 ]]; then
        psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "create database verso"
      fi
      say "running on 127.0.0.1:$port"
    fi
    echo "DATABASE_URL=postgres://postgres@127.0.0.1:$port/verso"
    ;;
  stop)
    if running; then
      bin=$(bindir) && as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null || true
      say "stopped"
    fi
    ;;
  *) say "usage: postgres.sh start|stop [--port N]"; exit 2 ;;
esac
