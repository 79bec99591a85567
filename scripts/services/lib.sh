# Helpers for the service scripts: one state folder per service, a PID file, and checks
# that only the process this script started is ever stopped.

say() { echo "[$service] $*" >&2; }

# as_root CMD...: runs CMD as root (directly, or with passwordless sudo).
as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
  else say "need root (or passwordless sudo) to run: $*"; return 1; fi
}

# apt_install PACKAGE...: installs Debian packages, refreshing the index if needed.
apt_install() {
  say "installing $* with apt-get ..."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
    { as_root apt-get update -qq >/dev/null &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
}

http_code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@" || true; }

# running_pid PIDFILE PATTERN: the live PID recorded in PIDFILE whose command line has PATTERN.
running_pid() {
  [[ -f $1 ]] || return 1
  local pid; pid=$(cat "$1")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2" && echo "$pid"
}

# spawn PIDFILE LOG CMD...: starts CMD in its own session, records its PID.
spawn() {
  local pidfile=$1 log=$2; shift 2
  rm -f "$pidfile"
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" "$@" >>"$log" 2>&1 </dev/null &
  for _ in $(seq 50); do [[ -s $pidfile ]] && break; sleep 0.05; done
}

# stop_pid PIDFILE PATTERN
stop_pid() {
  local pid
  if pid=$(running_pid "$1" "$2"); then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    say "stopped pid $pid"
  fi
  rm -f "$1"
}
