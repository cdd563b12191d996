#!/usr/bin/env bash
# Full and delta base backup and restore of a pgbench database with walstash (file://, zstd,
# heap capped at 256 MiB), beside pg_basebackup -Ft -z and, where installed, pgBackRest
# (posix repository, zst level 1, process-max 2). Reports wall time, MB/s, stored size, peak RSS.
#
#   bench/backup.sh [scale]        (default 100: about 1.5 GB; builds the launcher if missing)
#
# Needs PostgreSQL binaries (PG_BIN or /usr/lib/postgresql/*/bin) and GNU time (/usr/bin/time).
set -euo pipefail
scale=${1:-100}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
build_if_missing
launcher_work

port=$(free_port)
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
export WALSTASH_STORAGE="file://$work/repo" WALSTASH_COMPRESSION=zstd WALSTASH_JAVA_OPTS=-Xmx256m
as_pg "$pg_bin/initdb" -D "$work/data" -U postgres -A trust --data-checksums --no-sync >/dev/null
cat >> "$work/data/postgresql.conf" <<CONF
archive_mode = on
archive_command = 'WALSTASH_STORAGE=file://$work/repo $launcher wal-push %p'
max_wal_size = 4GB
CONF
start_cluster "$work/data" "$port"
as_pg "$pg_bin/pgbench" -i -q -s "$scale" postgres >/dev/null 2>&1
as_pg "$pg_bin/psql" -qAtc "CHECKPOINT" >/dev/null
# let the archiver catch up with pgbench -i's WAL: pg_backup_stop waits for it, and a backlog
# would be charged to whichever backup came first
wait_archived() {
  local segment
  segment=$(as_pg "$pg_bin/psql" -qAtc "SELECT pg_walfile_name(pg_switch_wal())")
  until [ "$(as_pg "$pg_bin/psql" -qAtc "SELECT coalesce(last_archived_wal, '') >= '$segment' FROM pg_stat_archiver")" = t ]; do
    sleep 1
  done
}
wait_archived
sync
# warm the page cache once, so that no tool pays for (or profits from) being first
find "$work/data" -type f -exec cat {} + > /dev/null
size=$(du -sb --exclude=pg_wal "$work/data" | cut -f1)   # what a backup reads

row() { # what seconds bytes_in bytes_stored rss_kib
  awk -v w="$1" -v s="$2" -v i="$3" -v o="$4" -v r="$5" 'BEGIN {
    printf "| %s | %.1f s | %.0f MB/s | %s | %s |\n", w, s, i / 1e6 / s, (o == "" ? "" : sprintf("%.0f MB", o / 1e6)), (r == "" ? "" : sprintf("%.0f MiB", r / 1024)) }'
}
timed() { # label command...: runs as postgres, sets secs and rss
  local start end
  start=$(date +%s.%N)
  as_pg /usr/bin/time -f '%M' -o "$work/rss" env "PGHOST=$PGHOST" "PGPORT=$PGPORT" "PGUSER=$PGUSER" \
    "WALSTASH_STORAGE=$WALSTASH_STORAGE" "WALSTASH_JAVA_OPTS=$WALSTASH_JAVA_OPTS" "$@" >"$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }
  end=$(date +%s.%N)
  secs=$(echo "$end - $start" | bc)
  rss=$(cat "$work/rss")
}

echo "pgbench scale $scale: data directory without pg_wal $((size / 1000000)) MB; $(nproc) cores; $(java -version 2>&1 | head -n 1)"
echo
echo "| what | wall | throughput | stored | peak RSS |"
echo "| --- | --- | --- | --- | --- |"
timed "$launcher" backup-push "$work/data" --full
row "walstash backup-push (full, zstd, 4 threads)" "$secs" "$size" "$(du -sb "$work/repo/backups" | cut -f1)" "$rss"
full_stored=$(du -sb "$work/repo/backups" | cut -f1)

as_pg "$pg_bin/pgbench" -c 2 -j 2 -t 2000 postgres >/dev/null 2>&1
wait_archived
timed "$launcher" backup-push "$work/data" --delta-max-steps 3
delta_stored=$(( $(du -sb "$work/repo/backups" | cut -f1) - full_stored ))
row "walstash backup-push (delta after pgbench -c 2 -t 2000)" "$secs" "$size" "$delta_stored" "$rss"

timed "$launcher" backup-fetch "$work/restored" LATEST
row "walstash backup-fetch (full + delta)" "$secs" "$size" "" "$rss"
rm -rf "$work/restored"

timed "$pg_bin/pg_basebackup" -D "$work/basebackup" -Ft -z -X none -c fast
row "pg_basebackup -Ft -z (gzip, 1 thread)" "$secs" "$size" "$(du -sb "$work/basebackup" | cut -f1)" "$rss"

if command -v pgbackrest >/dev/null; then
  mkdir -p "$work/pgbr/repo" "$work/pgbr/log" "$work/pgbr/spool"
  cat > "$work/pgbr/pgbackrest.conf" <<CONF
[global]
repo1-path=$work/pgbr/repo
compress-type=zst
compress-level=1
process-max=2
log-path=$work/pgbr/log
spool-path=$work/pgbr/spool
lock-path=$work/pgbr
start-fast=y
archive-check=n
[bench]
pg1-path=$work/data
pg1-port=$port
pg1-socket-path=$work
CONF
  [ "$(id -u)" = 0 ] && chown -R postgres "$work/pgbr"
  pgbr() { pgbackrest --config="$work/pgbr/pgbackrest.conf" --stanza=bench "$@"; }
  as_pg pgbackrest --config="$work/pgbr/pgbackrest.conf" --stanza=bench stanza-create >/dev/null
  timed pgbackrest --config="$work/pgbr/pgbackrest.conf" --stanza=bench --type=full backup
  row "pgBackRest $(pgbackrest version | cut -d' ' -f2) full (zst 1, process-max 2)" "$secs" "$size" "$(du -sb "$work/pgbr/repo/backup" | cut -f1)" "$rss"
  before=$(du -sb "$work/pgbr/repo/backup" | cut -f1)
  as_pg "$pg_bin/pgbench" -c 2 -j 2 -t 2000 postgres >/dev/null 2>&1
  timed pgbackrest --config="$work/pgbr/pgbackrest.conf" --stanza=bench --type=incr backup
  row "pgBackRest incremental (after pgbench -c 2 -t 2000)" "$secs" "$size" "$(( $(du -sb "$work/pgbr/repo/backup" | cut -f1) - before ))" "$rss"
else
  echo "(pgBackRest not installed: apt-get install pgbackrest to compare)"
fi
