#!/usr/bin/env bash
# Per-call latency of archive_command: one `walstash wal-push` of a 16 MiB WAL segment to a
# file:// repository (zstd), run alone and through `walstash daemon`, beside `cp` + sync; and the
# bare round trip (wal-fetch of a segment the archive lacks, which PostgreSQL's recovery asks for
# at the end of every archive). Also times the launcher's choices: class-data sharing on/off for
# the full command line, the C daemon client against the JVM one, and C1 only (the JVM client's
# default) against full tiered compilation.
# With pgBackRest installed, its archive-push and archive-get on the same segment too.
#
#   bench/daemon.sh [runs]        (default 15 runs each; builds the launcher if it is missing)
#
# Each push stores a fresh object (the previous one is removed first), so every call compresses,
# hashes and fsyncs 16 MiB. Medians in ms. Needs PostgreSQL binaries (PG_BIN or
# /usr/lib/postgresql/*/bin) to make a segment of real pgbench WAL (bench/real-segment.sh).
set -euo pipefail
runs=${1:-15}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
build_if_missing
launcher="$here/cli/target/walstash/bin/walstash"

# shellcheck source=bench/real-segment.sh
. "$here/bench/real-segment.sh"
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null || true; fi
  cleanup_work
}
trap cleanup EXIT

export XDG_CACHE_HOME="$work/cache" # the launcher's class-data sharing archives, made by the warm-up runs
repo="$work/repo"
export WALSTASH_STORAGE="file://$repo"
unset WALSTASH_DAEMON_SOCKET WALSTASH_JAVA_OPTS WALSTASH_CDS
export WALSTASH_DAEMON=off # "alone" means alone; the auto daemon has bench/autodaemon.sh

now_ns() { date +%s%N; }

# time_ms LABEL PREPARE COMMAND...: one warm-up, then $runs timed runs of COMMAND, each after PREPARE
time_ms() {
  local label=$1 prepare=$2; shift 2
  local all=() start rc
  for i in $(seq 0 "$runs"); do
    eval "$prepare"
    start=$(now_ns)
    "$@" >/dev/null 2>"$work/err" && rc=0 || rc=$?
    case " 0 ${ok_codes:-74} " in
      *" $rc "*) ;;
      *) echo "$label failed with $rc:" >&2; cat "$work/err" >&2; exit 1 ;;
    esac
    [ "$i" = 0 ] || all+=($(( ($(now_ns) - start) / 1000000 )))
  done
  printf '%-52s median %5s ms  (min %s, max %s)\n' "$label" "$(printf '%s\n' "${all[@]}" | median)" \
    "$(printf '%s\n' "${all[@]}" | sort -n | head -n 1)" "$(printf '%s\n' "${all[@]}" | sort -n | tail -n 1)"
}
fresh="rm -f '$repo/wal/$segment.zst'"
push=("$launcher" wal-push "$work/wal/$segment")
probe=("$launcher" wal-fetch 0000000100000000000000FF "$work/absent")

echo "segment $segment (16 MiB of pgbench WAL) to $WALSTASH_STORAGE with zstd, $runs runs each"
time_ms "cp + sync" "rm -f '$work/copy'" sh -c "cp '$work/wal/$segment' '$work/copy' && sync -f '$work/copy'"
time_ms "java -version (JVM start, Serial GC, CDS)" : java -XX:+UseSerialGC -Xshare:auto -version
time_ms "wal-push alone" "$fresh" "${push[@]}"
time_ms "wal-push alone, WALSTASH_CDS=off" "$fresh" env WALSTASH_CDS=off "${push[@]}"
time_ms "wal-fetch (not in archive) alone" : "${probe[@]}"
time_ms "wal-fetch (not in archive) alone, WALSTASH_CDS=off" : env WALSTASH_CDS=off "${probe[@]}"

socket="$work/daemon.sock"
"$launcher" daemon --socket "$socket" 2>"$work/daemon.log" &
daemon_pid=$!
for _ in $(seq 600); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || { cat "$work/daemon.log" >&2; exit 1; }
export WALSTASH_DAEMON_SOCKET="$socket"
[ -x "$(dirname "$launcher")/walstash-client" ] && client="C client" || client="JVM client (no C compiler at build)"
time_ms "wal-push via daemon, $client" "$fresh" "${push[@]}"
time_ms "wal-push via daemon, JVM client" "$fresh" env WALSTASH_NATIVE_CLIENT=off "${push[@]}"
time_ms "wal-push via daemon, JVM client with C2 too" "$fresh" env WALSTASH_NATIVE_CLIENT=off WALSTASH_JAVA_OPTS=-XX:TieredStopAtLevel=4 "${push[@]}"
time_ms "wal-fetch (not in archive) via daemon, $client" : "${probe[@]}"
time_ms "wal-fetch (not in archive) via daemon, JVM client" : env WALSTASH_NATIVE_CLIENT=off "${probe[@]}"
kill "$daemon_pid" && wait "$daemon_pid" 2>/dev/null || true
daemon_pid=
unset WALSTASH_DAEMON_SOCKET

# pgBackRest, when installed, on the same segment: archive-push (zstd) and archive-get of a
# missing segment (its exit code 1), into a repository beside the cluster the segment came from.
if command -v pgbackrest >/dev/null; then
  printf '%s\n' "[global]" "repo1-path=$work/pgbackrest" "compress-type=zst" "log-level-console=warn" \
    "log-level-file=off" "lock-path=$work/pgbackrest-lock" "[bench]" "pg1-path=$work/data" "pg1-port=$port" \
    "pg1-socket-path=$work" > "$work/pgbackrest.conf"
  chmod 644 "$work/pgbackrest.conf"
  mkdir "$work/pgbackrest" "$work/pgbackrest-lock"
  [ "$(id -u)" = 0 ] && chown postgres "$work/pgbackrest" "$work/pgbackrest-lock"
  start_cluster "$work/data" "$port"
  as_pg pgbackrest --config="$work/pgbackrest.conf" --stanza=bench stanza-create
  as_pg "$pg_bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null
  pgbr=(pgbackrest --config="$work/pgbackrest.conf" --stanza=bench)
  time_ms "pgbackrest archive-push (zst)" "rm -f '$work/pgbackrest/archive/bench/'*/*/'$segment'-*" \
    "${pgbr[@]}" archive-push "$work/wal/$segment"
  ok_codes=1 time_ms "pgbackrest archive-get (not in archive)" : "${pgbr[@]}" archive-get 0000000100000000000000FF "$work/absent"
fi

push_in_daemon=$(grep ": PUSH " "$work/daemon.log" | sed -E 's/.* in ([0-9]+) ms:.*/\1/' | median)
echo "wal-push as the daemon itself timed it (median)         $push_in_daemon ms"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -n 1)"
