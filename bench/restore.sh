#!/usr/bin/env bash
# Times archive recovery through `walstash wal-fetch` (restore_command, one launcher start per
# segment) from a file:// repository, with restore prefetch (WALSTASH_DOWNLOAD_CONCURRENCY=4, the
# default) and without it (=0), and reports segments per second.
#
#   bench/restore.sh [scale] [concurrency...]   (default scale 20, concurrencies "0 4")
#   WALSTASH_BENCH_S3=1 bench/restore.sh ...     (the same against the tests' s3proxy on 127.0.0.1)
#
# A throwaway cluster is copied with pg_basebackup (-X none), then loaded with `pgbench -i -s
# scale` while archiving through wal-push (zstd), so the chain is real WAL: about one 16 MiB
# segment per unit of scale. Each run recovers a fresh copy of the base backup from the archive
# alone and is timed from pg_ctl start to the end of recovery. Needs PostgreSQL binaries (PG_BIN
# or /usr/lib/postgresql/*/bin).
set -euo pipefail
scale=${1:-20}
shift || true
concurrencies=${*:-"0 4"}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
build_if_missing
launcher_work
stop_all() {
  for d in "$work"/data "$work"/restored-*; do
    if [ -d "$d" ]; then stop_cluster_now "$d"; fi
  done
}
cleanup() { stop_all; rm -rf "$work"; }
trap cleanup EXIT

psql_at() { as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$1" -U postgres -qAtc "$2" postgres; }
now_ms() { date +%s%3N; }

repo="$work/repo"
storage_env="WALSTASH_STORAGE=file://$repo"
if [ "${WALSTASH_BENCH_S3:-}" = 1 ]; then
  # s3proxy from the tests' class path, in its own JVM, serving until its stdin closes
  (cd "$here" && mvn -q -B -o -pl cli -am -DskipTests package dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >/dev/null)
  mkfifo "$work/s3-in"
  java -cp "$here/cli/target/classes:$here/cli/target/test-classes:$(cat "$here/cli/target/bench.classpath")" \
    io.walstash.cli.bench.S3ProxyMain bench < "$work/s3-in" > "$work/s3.endpoint" 2>"$work/s3.log" &
  exec 3>"$work/s3-in"
  for _ in $(seq 600); do [ -s "$work/s3.endpoint" ] && break; sleep 0.1; done
  endpoint=$(head -n 1 "$work/s3.endpoint")
  [ -n "$endpoint" ] || { cat "$work/s3.log" >&2; exit 1; }
  storage_env="WALSTASH_STORAGE=s3://bench/restore AWS_ENDPOINT=$endpoint AWS_ACCESS_KEY_ID=walstash-test-key"
  storage_env="$storage_env AWS_SECRET_ACCESS_KEY=walstash-test-secret-0123456789 AWS_REGION=us-east-1"
  storage_env="$storage_env AWS_S3_FORCE_PATH_STYLE=true"
  repo="s3proxy"
fi
port=$(free_port)
as_pg "$pg_bin/initdb" -D "$work/data" -U postgres -A trust --no-sync >/dev/null
cat >> "$work/data/postgresql.conf" <<EOF
archive_mode = on
wal_level = replica
archive_command = '$storage_env WALSTASH_COMPRESSION=zstd $launcher wal-push %p'
EOF
start_cluster "$work/data" "$port"
as_pg "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$work/base" -X none -c fast
as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -q -s "$scale" postgres >/dev/null 2>&1
last=$(psql_at "$port" "SELECT pg_walfile_name(pg_switch_wal())")
until [ "$(psql_at "$port" "SELECT coalesce(last_archived_wal, '') >= '$last' FROM pg_stat_archiver")" = t ]; do
  [ "$(psql_at "$port" "SELECT failed_count FROM pg_stat_archiver")" = 0 ] || { tail "$work/pg.log" >&2; exit 1; }
  sleep 0.5
done
expected=$(psql_at "$port" "SELECT count(*), sum(abalance) FROM pgbench_accounts")
segments=$(psql_at "$port" "SELECT archived_count FROM pg_stat_archiver")
as_pg "$pg_bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null

results=()
run=0
for n in $concurrencies; do
  run=$((run + 1))
  dir="$work/restored-$run"
  log="$work/restore-$run.log"
  cp -a "$work/base" "$dir"
  touch "$dir/recovery.signal"
  cat >> "$dir/postgresql.conf" <<EOF
archive_mode = off
restore_command = '$storage_env WALSTASH_DOWNLOAD_CONCURRENCY=$n $launcher wal-fetch %f %p'
EOF
  [ "$(id -u)" = 0 ] && chown -R postgres "$dir"
  sync
  p=$(free_port)
  start=$(now_ms)
  as_pg "$pg_bin/pg_ctl" -D "$dir" -l "$log" -o "-p $p -c listen_addresses=127.0.0.1 -k $work" start >/dev/null
  until [ "$(psql_at "$p" "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ]; do sleep 0.05; done
  ms=$(( $(now_ms) - start ))
  got=$(psql_at "$p" "SELECT count(*), sum(abalance) FROM pgbench_accounts")
  [ "$got" = "$expected" ] || { echo "concurrency $n: restored data differ: $got vs $expected" >&2; exit 1; }
  restored=$(grep -c 'restored log file "[0-9A-F]\{24\}"' "$log" || true)
  prefetched=$(grep -c 'from prefetch' "$log" || true)
  as_pg "$pg_bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
  rate=$(awk -v s="$restored" -v ms="$ms" 'BEGIN {printf "%.1f", s * 1000 / ms}')
  results+=("WALSTASH_DOWNLOAD_CONCURRENCY=$n: $restored segments in $ms ms = $rate segments/s ($prefetched from prefetch)")
done

kind=file; [ "${WALSTASH_BENCH_S3:-}" = 1 ] && kind="s3 (s3proxy on 127.0.0.1)"
echo "chain:          $segments WAL files archived (pgbench -i -s $scale, zstd, $kind), data verified after each run"
printf '%s\n' "${results[@]}"
echo "machine:        $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -n 1)"
