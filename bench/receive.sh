#!/usr/bin/env bash
# wal-receive under the heaviest pgbench load this machine sustains (issue 16): a cluster without
# archive_command whose WAL reaches a file:// repository only through `walstash wal-receive`
# (default --sync-interval 1s), under pgbench -c CLIENTS for DURATION seconds, then under pgbench -i
# -s BULK_SCALE (the most WAL per second pgbench makes). Sampled once a second
# from the server's view of the receiver's slot (which advances only after storage acknowledged):
#   - WAL the server wrote, and its rate (MB/s): what the receiver had to keep up with;
#   - lag in bytes (pg_current_wal_lsn - the slot's restart_lsn) and pg_stat_replication.flush_lag;
#   - the receiver JVM's resident memory (VmRSS), as sampled;
#   - after pgbench stops, how long the receiver takes to store everything (drain).
# RPO: a commit is lost in a crash only if it is not yet stored, so the worst case is the largest
# flush lag seen (the slot advances only after storage acknowledged).
#
#   bench/receive.sh                    (DURATION=60 CLIENTS=8 SCALE=20 BULK_SCALE=50)
#   DURATION=30 CLIENTS=4 bench/receive.sh
#
# Needs PostgreSQL binaries (PG_BIN or /usr/lib/postgresql/*/bin); run as root (clusters run as
# postgres) or as the PostgreSQL OS user.
set -euo pipefail
duration=${DURATION:-60}
clients=${CLIENTS:-8}
scale=${SCALE:-20}
bulk_scale=${BULK_SCALE:-50}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
dist=${WALSTASH_DIST:-$here/cli/target/walstash}
[ -x "$dist/bin/walstash" ] || (cd "$here" && mvn -q -B -o -DskipTests -pl cli -am package)

new_work receive
cp -r "$dist" "$work/walstash" && chmod -R a+rX "$work/walstash"
port=$(free_port)
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
receiver=""
cleanup() {
  [ -n "$receiver" ] && kill "$receiver" 2>/dev/null || true
  stop_cluster_now "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
psql_() { as_pg "$pg_bin/psql" -X -A -t -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "$1"; }

as_pg "$pg_bin/initdb" -D "$work/pg" -U postgres -A trust --no-sync >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w start \
  -o "-p $port -c listen_addresses=127.0.0.1 -k $work -c max_wal_size=4GB -c archive_mode=off" >/dev/null
as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -q -s "$scale" postgres >/dev/null 2>&1
mkdir "$work/repo" && { [ "$(id -u)" = 0 ] && chown postgres "$work/repo" || true; }

as_pg env WALSTASH_DAEMON=off WALSTASH_STORAGE="file://$work/repo" PGHOST=127.0.0.1 PGPORT="$port" PGUSER=postgres \
  "$work/walstash/bin/walstash" wal-receive --slot bench > "$work/receive.log" 2>&1 &
for _ in $(seq 600); do
  grep -q "receiving WAL from slot" "$work/receive.log" && break
  sleep 0.1
done
# this run's JVM: its class path lies in this run's copy of the launcher folder
java_pid=$(pgrep -u postgres -x java -a | grep -F "$work/walstash/lib/" | awk '/wal-receive/ {print $1; exit}')
[ -n "$java_pid" ] || { echo "no receiver JVM found: $(cat "$work/receive.log")" >&2; exit 1; }
receiver=$java_pid
# everything written so far (pgbench -i) is stored before the measured run starts
for _ in $(seq 1200); do
  [ "$(psql_ "SELECT restart_lsn >= pg_current_wal_lsn() FROM pg_replication_slots WHERE slot_name = 'bench'")" = t ] && break
  sleep 0.1
done

echo "machine: $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC'); receiver: wal-receive --sync-interval 1s (default), file:// repository, zstd"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
maximum() { sort -n | tail -n 1; }

# measure LABEL COMMAND...: runs the load, samples once a second, waits until everything is stored
measure() {
  local label=$1; shift
  echo "== $label: $*"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  local start_lsn end_lsn started ended drain_start drain wal n
  start_lsn=$(psql_ "SELECT pg_current_wal_lsn()")
  started=$(date +%s.%N)
  as_pg "$@" > "$work/load.out" 2>&1 &
  local load=$!
  : > "$work/samples"
  while kill -0 "$load" 2>/dev/null; do
    row=$(psql_ "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), r.restart_lsn)::bigint,
        coalesce((SELECT extract(epoch FROM p.flush_lag) FROM pg_stat_replication p WHERE p.pid = r.active_pid), 0)
        FROM pg_replication_slots r WHERE slot_name = 'bench'" || true)
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$java_pid/status" 2>/dev/null || echo 0)
    [ -n "$row" ] && echo "$row|$rss" >> "$work/samples"
    sleep 1
  done
  wait "$load" || { echo "load failed: $(tail -n 5 "$work/load.out")" >&2; }
  ended=$(date +%s.%N)
  end_lsn=$(psql_ "SELECT pg_current_wal_lsn()")
  drain_start=$(date +%s.%N)
  for _ in $(seq 6000); do
    [ "$(psql_ "SELECT restart_lsn >= '$end_lsn'::pg_lsn FROM pg_replication_slots WHERE slot_name = 'bench'")" = t ] && break
    sleep 0.1
  done
  drain=$(awk -v a="$drain_start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  wal=$(psql_ "SELECT pg_wal_lsn_diff('$end_lsn', '$start_lsn')::bigint")
  n=$(wc -l < "$work/samples")
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  grep -o 'tps = [0-9.]*' "$work/load.out" | head -n 1 || true
  awk -v wal="$wal" -v a="$started" -v b="$ended" -v drain="$drain" -v stored="$(du -sb "$work/repo" | cut -f1)" 'BEGIN {
    printf "WAL written: %.1f MB in %.1f s = %.1f MB/s; all of it stored %.1f s after the load ended (repository now %.1f MB)\n",
      wal/1e6, b-a, wal/1e6/(b-a), drain, stored/1e6 }'
  echo "lag in bytes ($n samples, 1/s): median $(cut -d'|' -f1 "$work/samples" | median), max $(cut -d'|' -f1 "$work/samples" | maximum)"
  echo "flush lag (s): median $(cut -d'|' -f2 "$work/samples" | median), max $(cut -d'|' -f2 "$work/samples" | maximum) (RPO: WAL older than this was stored)"
  echo "receiver RSS: max $(( $(cut -d'|' -f3 "$work/samples" | maximum) / 1024 )) MiB"
}

measure "pgbench TPC-B" "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -c "$clients" -j 2 -T "$duration" postgres
# the most WAL per second pgbench makes here: its initialisation (COPY, index builds), all WAL-logged
measure "pgbench -i (bulk load)" "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -q -s "$bulk_scale" postgres
