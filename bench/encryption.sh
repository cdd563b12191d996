#!/usr/bin/env bash
# What encryption at rest costs: wal-push, wal-fetch, a full backup-push and backup-fetch of a
# pgbench database, each without and with WALSTASH_ENCRYPTION_KEY_FILE, in the same run,
# alternating (clear, encrypted, clear, ...), reporting medians and the ratio. file://, zstd.
# wal-push and wal-fetch run twice: with the defaults (the README's archive_command and
# restore_command: the auto daemon serves them) and with WALSTASH_DAEMON=off (a JVM per call).
#
#   bench/encryption.sh [scale] [rounds] [segments]   (defaults 20, 3, 8; builds the launcher if missing)
#
# A warm-up round runs first and is not counted; clear and encrypted take turns going first.
# Prints the medians as a table (the ratio of the medians, and the median of each round's ratio),
# then every round's figures (the machine's noise shows there).
# Needs PostgreSQL binaries (PG_BIN or /usr/lib/postgresql/*/bin).
set -euo pipefail
scale=${1:-20}
rounds=${2:-3}
segments=${3:-8}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
build_if_missing
launcher_work

port=$(free_port)
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
as_pg "$pg_bin/initdb" -D "$work/data" -U postgres -A trust --no-sync >/dev/null
cat >> "$work/data/postgresql.conf" <<CONF
archive_mode = on
archive_command = '/bin/true'
max_wal_size = 4GB
wal_keep_size = 2GB
CONF
start_cluster "$work/data" "$port"
as_pg "$pg_bin/pgbench" -i -q -s "$scale" postgres >/dev/null 2>&1
as_pg "$pg_bin/psql" -qAtc "SELECT pg_switch_wal()" >/dev/null
as_pg "$pg_bin/psql" -qAtc "CHECKPOINT" >/dev/null
# real segments of this cluster, complete ones only
as_pg mkdir "$work/segments"
current=$(as_pg "$pg_bin/psql" -qAtc "SELECT pg_walfile_name(pg_current_wal_lsn())")
[ -n "$(ls "$work/data/pg_wal" | grep -E '^[0-9A-F]{24}$' | head -n 1)" ] || { echo "no WAL segments" >&2; exit 1; }
for f in $(ls "$work/data/pg_wal" | grep -E '^[0-9A-F]{24}$' | sort | awk -v c="$current" '($0 "") < (c "")' | tail -n "$segments"); do
  as_pg cp "$work/data/pg_wal/$f" "$work/segments/$f"
done
as_pg "$launcher" key generate --file "$work/master.key" >/dev/null 2>&1
find "$work/data" -type f -exec cat {} + > /dev/null   # warm the page cache once

as_pg mkdir -m 700 "$work/xdg"

run() { # mode daemon repo command...: seconds of one run, as postgres (daemon: auto, the default, or off)
  local mode=$1 daemon=$2 repo=$3; shift 3
  local key=() one_segment=()
  [ "$mode" = encrypted ] && key=("WALSTASH_ENCRYPTION_KEY_FILE=$work/master.key")
  # a WAL row times one segment's call alone: no look-ahead upload, no prefetch; backup-push and
  # backup-fetch run with the defaults (WALSTASH_DOWNLOAD_CONCURRENCY=0 would restore one file at a time)
  case "$2" in wal-push|wal-fetch) one_segment=(WALSTASH_LOOKAHEAD=0 WALSTASH_DOWNLOAD_CONCURRENCY=0) ;; esac
  local start end
  start=$(date +%s.%N)
  as_pg env WALSTASH_STORAGE="file://$work/$repo" WALSTASH_COMPRESSION=zstd WALSTASH_DAEMON=$daemon \
    XDG_RUNTIME_DIR="$work/xdg" "${one_segment[@]}" \
    PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER "${key[@]}" "$@" >"$work/out" 2>&1 \
    || { cat "$work/out" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

declare -A times
# count ROW SECONDS: one round's figure for ROW; round 0's are not counted
count() { [ "$round" = 0 ] || times[$1]+="$2"$'\n'; }
# Round 0 warms up (each command's first run dumps its class-data archive) and is not counted; the
# order of clear and encrypted alternates from round to round, so that neither always runs first
for round in $(seq 0 "$rounds"); do
  order="clear encrypted"
  [ $((round % 2)) = 0 ] && order="encrypted clear"
  for mode in $order; do
    for daemon in auto off; do
      repo="repo-$mode-$daemon-$round"
      t=()
      for f in "$work"/segments/*; do t+=("$(run $mode $daemon "$repo" "$launcher" wal-push "$f")"); done
      count "push-$daemon-$mode" "$(printf '%s\n' "${t[@]}" | median)"
      as_pg mkdir -p "$work/fetched-$mode-$daemon-$round"
      t=()
      for f in "$work"/segments/*; do
        n=$(basename "$f")
        t+=("$(run $mode $daemon "$repo" "$launcher" wal-fetch "$n" "$work/fetched-$mode-$daemon-$round/$n")")
        cmp -s "$f" "$work/fetched-$mode-$daemon-$round/$n" || { echo "fetched $n differs" >&2; exit 1; }
      done
      count "fetch-$daemon-$mode" "$(printf '%s\n' "${t[@]}" | median)"
      as_pg rm -rf "$work/fetched-$mode-$daemon-$round"
    done
    repo="repo-$mode-off-$round"
    # (assigned first: a failed run inside an argument would not stop the script under set -e)
    s=$(run $mode off "$repo" "$launcher" backup-push "$work/data" --full)
    count "backup-$mode" "$s"
    s=$(run $mode off "$repo" "$launcher" backup-fetch "$work/restored-$mode-$round" LATEST)
    count "restore-$mode" "$s"
    as_pg rm -rf "$work/restored-$mode-$round"
  done
done
grep -q WALSTENC -r "$work/repo-encrypted-auto-1/wal" || { echo "the encrypted repository holds no encrypted WAL" >&2; exit 1; }

size=$(du -sb --exclude=pg_wal "$work/data" | cut -f1)
echo "pgbench scale $scale ($((size / 1000000)) MB without pg_wal), $segments WAL segments, $rounds rounds after a warm-up;" \
  "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(java -version 2>&1 | head -n 1)"
echo
echo "| what (median) | clear | encrypted | encrypted / clear | median of the rounds' encrypted / clear |"
echo "| --- | --- | --- | --- | --- |"
for what in push-auto fetch-auto push-off fetch-off backup restore; do
  c=$(printf '%s' "${times[$what-clear]}" | median)
  e=$(printf '%s' "${times[$what-encrypted]}" | median)
  # each round's two runs were minutes apart at most: their ratio is less exposed to the machine's drift
  paired=$(paste <(printf '%s' "${times[$what-clear]}") <(printf '%s' "${times[$what-encrypted]}") |
    awk '{printf "%.6f\n", $2 / $1}' | median)
  label=$(case $what in push-auto) echo "wal-push, one segment (defaults: auto daemon)";;
          fetch-auto) echo "wal-fetch, one segment (defaults: auto daemon)";;
          push-off) echo "wal-push, one segment (WALSTASH_DAEMON=off: a JVM each)";;
          fetch-off) echo "wal-fetch, one segment (WALSTASH_DAEMON=off: a JVM each)";;
          backup) echo "backup-push --full";; restore) echo "backup-fetch";; esac)
  awk -v l="$label" -v c="$c" -v e="$e" -v p="$paired" 'BEGIN { printf "| %s | %.3f s | %.3f s | %.2f | %.2f |\n", l, c, e, e / c, p }'
done
echo
echo "Every round (seconds; WAL rows: each round's median over the segments), clear / encrypted:"
for what in push-auto fetch-auto push-off fetch-off backup restore; do
  printf '  %-10s %s / %s\n' "$what" "$(printf '%s' "${times[$what-clear]}" | xargs printf '%.3f ')" \
    "$(printf '%s' "${times[$what-encrypted]}" | xargs printf '%.3f ')"
done
