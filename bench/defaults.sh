#!/usr/bin/env bash
# "Fast by default" (issue 11): walstash with its DEFAULT configuration beside pgBackRest 2.45 on
# the same machine and the same data, in one run, medians and ratios (walstash / pgBackRest, so
# <= 1.00 means walstash is as fast or faster):
#   restore  - per pgbench scale: full backup (walstash backup-push --full vs pgBackRest
#              --type=full), then restore of full + delta (walstash backup-fetch LATEST) vs full +
#              incremental (pgBackRest restore), each timed ROUNDS times, walstash and pgBackRest
#              alternating (walstash first in odd rounds, pgBackRest in even ones), so that load
#              from elsewhere on the machine hits both alike; one untimed restore of each before
#              the timed ones (see below);
#   archive  - bench/archive.sh's latency part (median of SEGMENTS distinct segments) and recovery
#              part, file:// and s3proxy; pgBackRest archive-get with archive-async=y is among its
#              rows; the recovery replays RECOVERY_SEGMENTS (default 48) segments, as issue 11 asks.
# "Default configuration" means no WALSTASH_DAEMON_SOCKET and no tuning variable set: whatever
# walstash does out of the box (with the self-starting daemon once that exists, the plain
# `walstash wal-push %p` / `wal-fetch %f %p` rows pick it up). Only WALSTASH_JAVA_OPTS=-Xmx256m is
# set for backup-push and backup-fetch, to show that memory stays bounded.
# pgBackRest: posix repository, compress-type=zst, compress-level=1, process-max=2 (what
# bench/backup.sh has always compared against; its defaults would be gz and process-max=1).
#
#   bench/defaults.sh [scale...]        (default: 30 100)
#   ROUNDS=3 PARTS="restore archive" SEGMENTS=48 STORAGES="file s3" bench/defaults.sh 30
#   WALSTASH_DIST=/path/to/other/build/walstash bench/defaults.sh 30    (the restore part of another build)
#
# Needs PostgreSQL binaries (PG_BIN or /usr/lib/postgresql/*/bin), pgbackrest, GNU time, python3.
set -euo pipefail
if [ $# -gt 0 ]; then scales=("$@"); else scales=(30 100); fi
rounds=${ROUNDS:-5}
parts=${PARTS:-restore archive}
segments=${SEGMENTS:-48}
storages=${STORAGES:-file s3}
wanted() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
command -v pgbackrest >/dev/null || { echo "pgbackrest is not installed (apt-get install pgbackrest)" >&2; exit 2; }
unset WALSTASH_DAEMON_SOCKET WALSTASH_DOWNLOAD_CONCURRENCY WALSTASH_UPLOAD_CONCURRENCY WALSTASH_BACKUP_PART_SIZE
dist=${WALSTASH_DIST:-$here/cli/target/walstash}
[ -x "$dist/bin/walstash" ] || (cd "$here" && mvn -q -B -DskipTests -pl cli -am package)

machine() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
    "$(java -version 2>&1 | head -n 1), pgBackRest $(pgbackrest version | cut -d' ' -f2), $(date -u '+%Y-%m-%d %H:%M UTC')"
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
machine

if wanted restore; then
launcher_work "$dist"

# timed LABEL COMMAND...: runs as postgres; appends wall seconds to $work/LABEL.s, CPU seconds (user +
# system, which load elsewhere on the machine changes far less than wall time) to $work/LABEL.cpu and
# peak RSS (KiB) to $work/LABEL.rss
timed() {
  local label=$1 start end; shift
  start=$(date +%s.%N)
  as_pg /usr/bin/time -f '%M %U %S' -o "$work/rss" env "PGHOST=127.0.0.1" "PGPORT=$port" "PGUSER=postgres" \
    "WALSTASH_STORAGE=file://$work/repo" "WALSTASH_JAVA_OPTS=-Xmx256m" "$@" >"$work/out" 2>&1 \
    || { echo "$label failed:" >&2; cat "$work/out" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc >> "$work/$label.s"
  cut -d' ' -f1 "$work/rss" >> "$work/$label.rss"
  awk '{print $2 + $3}' "$work/rss" >> "$work/$label.cpu"
}
# in_turn ROUND A B: runs A then B in odd rounds, B then A in even ones, so that neither tool always
# runs right after the other's writes (or its deletion of them)
in_turn() { if [ $(($1 % 2)) = 1 ]; then "$2"; "$3"; else "$3"; "$2"; fi; }
med() { median < "$work/$1.s"; }
cpu() { median < "$work/$1.cpu"; }
rss() { sort -n "$work/$1.rss" | tail -n 1 | awk '{printf "%.0f MiB", $1 / 1024}'; }
row() { # what label pgbr-label
  local w p wc pc
  w=$(med "$2"); p=$(med "$3"); wc=$(cpu "$2"); pc=$(cpu "$3")
  printf '| %s | %.2f s, CPU %.2f s (%s) | %.2f s, CPU %.2f s (%s) | **%s** | %s |\n' "$1" "$w" "$wc" "$(rss "$2")" \
    "$p" "$pc" "$(rss "$3")" "$(ratio "$w" "$p")" "$(ratio "$wc" "$pc")"
}

for scale in "${scales[@]}"; do
  rm -rf "$work/data" "$work/repo" "$work/pgbr" "$work"/*.s "$work"/*.cpu "$work"/*.rss
  port=$(free_port)
  as_pg "$pg_bin/initdb" -D "$work/data" -U postgres -A trust --data-checksums --no-sync >/dev/null
  # WAL is not what is measured here: archived by a no-op, so no backup waits for an archiver
  printf '%s\n' "archive_mode = on" "archive_command = 'true'" "max_wal_size = 4GB" >> "$work/data/postgresql.conf"
  start_cluster "$work/data" "$port"
  as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -q -s "$scale" postgres >/dev/null 2>&1
  as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qAtc "CHECKPOINT" postgres >/dev/null
  mkdir -p "$work/pgbr/repo" "$work/pgbr/log" "$work/pgbr/spool"
  printf '%s\n' "[global]" "repo1-path=$work/pgbr/repo" "compress-type=zst" "compress-level=1" "process-max=2" \
    "log-path=$work/pgbr/log" "log-level-console=warn" "spool-path=$work/pgbr/spool" "lock-path=$work/pgbr" \
    "start-fast=y" "archive-check=n" "[bench]" "pg1-path=$work/data" "pg1-port=$port" "pg1-socket-path=$work" \
    > "$work/pgbr/pgbackrest.conf"
  [ "$(id -u)" = 0 ] && chown -R postgres "$work/pgbr"
  pgbr=(pgbackrest --config="$work/pgbr/pgbackrest.conf" --stanza=bench)
  as_pg "${pgbr[@]}" stanza-create >/dev/null
  sync
  find "$work/data" -type f -exec cat {} + > /dev/null   # warm the page cache once, for both
  size=$(du -sb --exclude=pg_wal "$work/data" | cut -f1)
  load_before=$(load)

  ws_full() { timed ws-full "$launcher" backup-push "$work/data" --full; }
  pgbr_full() { timed pgbr-full "${pgbr[@]}" --type=full backup; }
  for round in $(seq "$rounds"); do in_turn "$round" ws_full pgbr_full; done
  as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -c 2 -j 2 -t 2000 postgres >/dev/null 2>&1
  timed ws-delta "$launcher" backup-push "$work/data" --delta-max-steps 1
  timed pgbr-incr "${pgbr[@]}" --type=incr backup
  ws_restore() { rm -rf "$work/restored"; timed "${1:-ws-restore}" "$launcher" backup-fetch "$work/restored" LATEST; }
  pgbr_restore() {
    rm -rf "$work/restored" && as_pg mkdir -m 700 "$work/restored"
    timed "${1:-pgbr-restore}" "${pgbr[@]}" --pg1-path="$work/restored" restore
  }
  # One untimed restore of each first: on a VM whose host backs guest memory only once it is
  # touched (and takes freed memory back, free page reporting), the first restore of a scale
  # writes its gigabytes into memory never touched before, at a quarter of the speed of later
  # ones, whichever tool runs it (scale 100 here: 4.7 s for pgBackRest's first, 2.0 s after;
  # 5.7 s for walstash's first, 1.6 s after).
  ws_restore ws-warmup
  pgbr_restore pgbr-warmup
  for round in $(seq "$rounds"); do in_turn "$round" ws_restore pgbr_restore; done
  rm -rf "$work/restored"
  as_pg "$pg_bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null

  echo
  echo "pgbench scale $scale ($((size / 1000000)) MB without pg_wal), $rounds rounds each, interleaved;" \
    "load average $load_before before, $(load) after"
  echo
  echo "| what (medians) | walstash: wall, CPU (peak RSS) | pgBackRest: wall, CPU (peak RSS) | wall ratio | CPU ratio |"
  echo "| --- | --- | --- | --- | --- |"
  row "full backup" ws-full pgbr-full
  row "delta / incremental backup (1 run)" ws-delta pgbr-incr
  row "restore full + delta / incremental" ws-restore pgbr-restore
  echo
  # every round, in the order run: the medians hide a round that stood out (a first run that
  # writes its class-data archive, writeback of the backups still under way)
  for label in ws-full pgbr-full ws-warmup pgbr-warmup ws-restore pgbr-restore; do
    echo "$label wall s by round: $(tr '\n' ' ' < "$work/$label.s")"
  done
done
fi

if wanted archive; then
  for storage in $storages; do
    echo
    echo "archive_command latency (median of $segments segments) and recovery, $storage (bench/archive.sh; load $(load) before):"
    echo "the default rows are walstash wal-push without a daemon and wal-fetch with prefetch 4, no daemon socket"
    PARTS="latency recovery" SEGMENTS=$segments "$here/bench/archive.sh" "$storage"
  done
fi
