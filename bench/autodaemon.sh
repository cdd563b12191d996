#!/usr/bin/env bash
# The daemon that starts itself (WALSTASH_DAEMON=auto, the default), on one real 16 MiB segment of
# pgbench WAL pushed to a file:// repository with zstd:
# - the first call, when no daemon runs yet: waiting for the daemon it starts (WALSTASH_DAEMON_WAIT,
#   default 3s) against working alone while the daemon starts beside it (WALSTASH_DAEMON_WAIT=0s);
#   and the first four calls back to back (a backlog of .ready files), the same two ways;
# - per call once the daemon runs: through the C client and the JVM client, against alone
#   (WALSTASH_DAEMON=off); and the bare round trip (wal-fetch of a segment the archive lacks).
#
#   bench/autodaemon.sh [runs]        (default 11 runs each; builds the launcher if it is missing)
#
# Every first-call run uses a fresh runtime directory (XDG_RUNTIME_DIR), so no daemon answers, and
# stops the daemon it started afterwards. Medians in ms.
set -euo pipefail
runs=${1:-11}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
build_if_missing
launcher="$here/cli/target/walstash/bin/walstash"

# shellcheck source=bench/real-segment.sh
. "$here/bench/real-segment.sh"
# the daemons of this run: their environment names one of this run's runtime directories
stop_daemons() {
  local pids
  pids=$(grep -lz "^XDG_RUNTIME_DIR=$work/" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 || true)
  for pid in $pids; do
    if { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -q 'daemon --auto'; then
      kill "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    fi
  done
}
cleanup() { stop_daemons; cleanup_work; }
trap cleanup EXIT

export XDG_CACHE_HOME="$work/cache" # the launcher's class-data sharing archives
repo="$work/repo"
export WALSTASH_STORAGE="file://$repo"
unset WALSTASH_DAEMON_SOCKET WALSTASH_JAVA_OPTS WALSTASH_CDS WALSTASH_DAEMON WALSTASH_DAEMON_WAIT
fresh() { rm -f "$repo/wal/$segment.zst"; }
now_ns() { date +%s%N; }
report() { # LABEL VALUES...
  local label=$1; shift
  printf '%-58s median %5s ms  (min %s, max %s)\n' "$label" "$(printf '%s\n' "$@" | median)" \
    "$(printf '%s\n' "$@" | sort -n | head -n 1)" "$(printf '%s\n' "$@" | sort -n | tail -n 1)"
}
push() { "$launcher" wal-push "$work/wal/$segment" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }; }

# warm-up: class-data sharing archives and the page cache
WALSTASH_DAEMON=off push; fresh; WALSTASH_DAEMON=off push

# first_calls LABEL CALLS [ENV...]: CALLS pushes back to back with no daemon running, timed together
first_calls() {
  local label=$1 calls=$2; shift 2
  local all=() start
  for i in $(seq "$runs"); do
    rt="$work/rt-$RANDOM-$i"; mkdir -m 700 "$rt"
    start=$(now_ns)
    for _ in $(seq "$calls"); do fresh; env XDG_RUNTIME_DIR="$rt" "$@" "$launcher" wal-push "$work/wal/$segment" >/dev/null 2>&1; done
    all+=($(( ($(now_ns) - start) / 1000000 )))
    stop_daemons
  done
  report "$label" "${all[@]}"
}
echo "segment $segment (16 MiB of pgbench WAL) to $WALSTASH_STORAGE with zstd, $runs runs each"
first_calls "first call, waits for the daemon it starts (default)" 1
first_calls "first call, works alone beside the starting daemon" 1 WALSTASH_DAEMON_WAIT=0s
first_calls "first 4 calls, the first waits (default)" 4
first_calls "first 4 calls, the first works alone" 4 WALSTASH_DAEMON_WAIT=0s
first_calls "first call, WALSTASH_DAEMON=off" 1 WALSTASH_DAEMON=off

# per call, with the daemon running
export XDG_RUNTIME_DIR="$work/rt-steady"; mkdir -m 700 "$XDG_RUNTIME_DIR"
fresh; push
per_call() { # LABEL ENV...
  local label=$1; shift
  local all=() start
  for _ in $(seq "$runs"); do
    fresh; start=$(now_ns)
    env "$@" "$launcher" wal-push "$work/wal/$segment" >/dev/null 2>&1
    all+=($(( ($(now_ns) - start) / 1000000 )))
  done
  report "$label" "${all[@]}"
}
[ -x "$(dirname "$launcher")/walstash-client" ] || echo "(no C compiler at build: the C client lines use the JVM client)"
per_call "wal-push via the auto daemon, C client" WALSTASH_NATIVE_CLIENT=on
per_call "wal-push via the auto daemon, JVM client" WALSTASH_NATIVE_CLIENT=off
per_call "wal-push alone (WALSTASH_DAEMON=off)" WALSTASH_DAEMON=off
probe() { # LABEL ENV...
  local label=$1; shift
  local all=() start
  for _ in $(seq "$runs"); do
    start=$(now_ns)
    env "$@" "$launcher" wal-fetch 0000000100000000000000FF "$work/absent" >/dev/null 2>&1 || true
    all+=($(( ($(now_ns) - start) / 1000000 )))
  done
  report "$label" "${all[@]}"
}
probe "wal-fetch (not in archive) via the auto daemon, C client" WALSTASH_NATIVE_CLIENT=on
probe "wal-fetch (not in archive) alone" WALSTASH_DAEMON=off
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -n 1)"
