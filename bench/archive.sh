#!/usr/bin/env bash
# walstash beside pgBackRest 2.45 for what PostgreSQL's archive_command and restore_command ask,
# on the same machine, the same WAL and the same storage, in one go:
#   1. latency of one archive_command call (16 MiB segment of pgbench WAL): cp + sync, walstash
#      alone, walstash through its daemon, pgBackRest archive-push (zst level 1, walstash's level
#      for WAL since session 29, and level 3, pgBackRest's default), each segment's calls side by side;
#   2. sustained archiving under pgbench load, both its TPC-B-like run (-c 8 -N) and its bulk
#      initialisation (-i -s 100: COPY and index builds, the most WAL per second this machine makes):
#      segments archived per second and the largest number of .ready files waiting, walstash
#      (daemon + look-ahead) vs pgBackRest async archive-push;
#   3. recovery speed (segments replayed per second from storage): walstash without and with
#      prefetch, through the daemon, pgBackRest archive-get sync and async, of RECOVERY_SEGMENTS
#      (default 48) segments of pgbench WAL, every row once a round (RECOVERY_MODES picks walstash's;
#      RECOVERY_LOGS=DIR keeps each recovery's server log there, whose lines say when each segment
#      was restored, the auto daemons' logs and the CPU seconds of the server user's processes;
#      RECOVERY_CONF adds lines to each recovering server's postgresql.conf);
#   4. (PARTS=inserts) sustained archiving with walstash's DEFAULTS (the README's archive_command,
#      nothing else: the auto daemon, look-ahead, default concurrency) under two clients running
#      bulk inserts for LOAD_SECONDS, vs pgBackRest archive-push async with process-max=2: largest
#      .ready backlog, segments/s from the load's start until caught up, seconds to catch up after
#      the load, and CPU seconds used by each archiver.
# Results are medians (1: SEGMENTS calls; 3: RECOVERY_ROUNDS rounds, default 3) or single runs (2, 4)
# and ratios, as a Markdown table.
#
#   bench/archive.sh [file|s3]     (default file; s3 = an s3proxy over https in its own JVM)
#   SEGMENTS=20 LOAD_SECONDS=60 BULK_SCALE=100 PARTS="latency throughput recovery" bench/archive.sh s3
#
# Needs PostgreSQL binaries (PG_BIN or /usr/lib/postgresql/*/bin), pgbackrest (apt-get install
# pgbackrest), python3, and keytool/openssl for s3.
set -euo pipefail
kind=${1:-file}
segments=${SEGMENTS:-20}
load_seconds=${LOAD_SECONDS:-60}
bulk_scale=${BULK_SCALE:-100}
parts=${PARTS:-latency throughput recovery inserts}
wanted() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
command -v pgbackrest >/dev/null || { echo "pgbackrest is not installed (apt-get install pgbackrest)" >&2; exit 2; }
case "$kind" in file|s3) ;; *) echo "usage: bench/archive.sh [file|s3]" >&2; exit 2 ;; esac

cd "$here"
if [ "$kind" = s3 ]; then
  mvn -q -B -pl cli -am -DskipTests package dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >/dev/null
else
  mvn -q -B -pl cli -am -DskipTests package >/dev/null
fi

launcher_work
pids=()
clusters=()
cleanup() {
  for d in "${clusters[@]}"; do stop_cluster_now "$d"; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # every part starts its auto daemons with XDG_RUNTIME_DIR=$work/xdg
  stop_auto_daemons
  # a hand-started daemon outlives the runuser whose pid is in $pids: anything still running from $work
  pkill -f -- "$work/" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
now_ms() { date +%s%3N; }

# --- storage -----------------------------------------------------------------------------
# walstash_env NAME: the environment walstash needs for repository NAME; pgbr_repo NAME: pgBackRest's repo options
if [ "$kind" = s3 ]; then
  password=bench-keystore
  keytool -genkeypair -alias server -keyalg EC -groupname secp256r1 -dname CN=127.0.0.1 -ext SAN=IP:127.0.0.1 \
    -validity 2 -keystore "$work/s3.p12" -storetype PKCS12 -storepass "$password" >/dev/null 2>&1
  keytool -exportcert -rfc -alias server -keystore "$work/s3.p12" -storepass "$password" -file "$work/s3-ca.pem" >/dev/null 2>&1
  # the bench's own client (which creates the bucket) trusts that certificate; so does walstash, through WALSTASH_S3_CA_FILE
  keytool -importcert -noprompt -alias server -file "$work/s3-ca.pem" -keystore "$work/trust.p12" -storetype PKCS12 \
    -storepass "$password" >/dev/null 2>&1
  mkfifo "$work/s3.stdin"
  java -Djavax.net.ssl.trustStore="$work/trust.p12" -Djavax.net.ssl.trustStorePassword="$password" -cp "cli/target/classes:cli/target/test-classes:$(cat cli/target/bench.classpath)" io.walstash.cli.bench.S3ProxyMain \
    bench "$work/s3.p12" "$password" <"$work/s3.stdin" >"$work/s3.endpoint" 2>"$work/s3.log" &
  pids+=($!)
  exec 9>"$work/s3.stdin"   # s3proxy serves until this closes
  for _ in $(seq 600); do [ -s "$work/s3.endpoint" ] && break; sleep 0.1; done
  endpoint=$(head -n 1 "$work/s3.endpoint")
  [ -n "$endpoint" ] || { cat "$work/s3.log" >&2; exit 1; }
  s3_port=${endpoint##*:}
  chmod 644 "$work/s3-ca.pem"
  walstash_env() {
    echo "WALSTASH_STORAGE=s3://bench/walstash-$1 AWS_ENDPOINT=$endpoint AWS_ACCESS_KEY_ID=walstash-test-key"
    echo "AWS_SECRET_ACCESS_KEY=walstash-test-secret-0123456789 AWS_REGION=us-east-1 AWS_S3_FORCE_PATH_STYLE=true"
    echo "WALSTASH_S3_CA_FILE=$work/s3-ca.pem"
  }
  pgbr_repo() {
    cat <<CONF
repo1-type=s3
repo1-path=/pgbackrest-$1
repo1-s3-bucket=bench
repo1-s3-endpoint=127.0.0.1
repo1-storage-port=$s3_port
repo1-s3-region=us-east-1
repo1-s3-key=walstash-test-key
repo1-s3-key-secret=walstash-test-secret-0123456789
repo1-s3-uri-style=path
repo1-storage-verify-tls=n
CONF
  }
  storage_label="s3proxy 4.1 over https (own JVM)"
else
  walstash_env() { echo "WALSTASH_STORAGE=file://$work/repo-walstash-$1"; }
  pgbr_repo() { printf 'repo1-type=posix\nrepo1-path=%s\n' "$work/repo-pgbackrest-$1"; }
  storage_label="file:// on $(df --output=fstype "$work" | tail -n 1)"
fi
export WALSTASH_COMPRESSION=zstd
# shellcheck disable=SC2046 # walstash_env prints NAME=value words
ws() { local repo=$1; shift; as_pg env $(walstash_env "$repo") WALSTASH_COMPRESSION=zstd "$@"; }

# --- clusters -------------------------------------------------------------------------------
# new_cluster DIR ARCHIVE_COMMAND [extra conf lines]: initdb, configure, start; sets $port
new_cluster() {
  local dir=$1 archive=$2 extra=${3:-}
  port=$(free_port)
  as_pg mkdir -p "$dir"
  as_pg "$pg_bin/initdb" -D "$dir" -U postgres -A trust --no-sync >/dev/null
  cat >> "$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$work'
archive_mode = on
archive_command = '$archive'
max_wal_size = 2GB
wal_level = replica
$extra
CONF
  clusters+=("$dir")
  as_pg "$pg_bin/pg_ctl" -D "$dir" -l "$dir.log" -w start >/dev/null
}
psql_at() { as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$1" -U postgres -qAtc "$2" postgres; }
stop_cluster() { as_pg "$pg_bin/pg_ctl" -D "$1" -m fast -w stop >/dev/null; }
# wait_archived PORT: switches WAL and waits until the archiver has archived the switched segment
wait_archived() {
  local segment
  segment=$(psql_at "$1" "SELECT pg_walfile_name(pg_switch_wal())")
  for _ in $(seq 6000); do
    [ "$(psql_at "$1" "SELECT coalesce(last_archived_wal, '') >= '$segment' FROM pg_stat_archiver")" = t ] && return 0
    sleep 0.1
  done
  echo "archiving did not catch up with $segment on port $1" >&2; return 1
}
# pgbr_conf NAME PGDATA PORT [extra]: a pgBackRest config for stanza NAME
pgbr_conf() {
  { echo "[global]"; pgbr_repo "$1"; echo "compress-type=zst"; echo "compress-level=1"; echo "log-level-console=warn"
    echo "log-path=$work/pgbr-log"; echo "lock-path=$work/pgbr-lock-$1"; echo "spool-path=$work/pgbr-spool-$1"
    echo "${4:-}"; echo "[$1]"; echo "pg1-path=$2"; echo "pg1-port=$3"; echo "pg1-socket-path=$work"; } > "$work/pgbr-$1.conf"
  chmod 644 "$work/pgbr-$1.conf"
}
pgbr() { local stanza=$1; shift; as_pg pgbackrest --config="$work/pgbr-$stanza.conf" --stanza="$stanza" "$@"; }
# daemon NAME: starts a walstash daemon for repository NAME; sets $socket
daemon() {
  socket="$work/daemon-$1.sock"
  # shellcheck disable=SC2046
  as_pg env $(walstash_env "$1") WALSTASH_COMPRESSION=zstd WALSTASH_DAEMON_SOCKET="$socket" \
    "$launcher" daemon >"$work/daemon-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 600); do [ -S "$socket" ] && return 0; sleep 0.1; done
  cat "$work/daemon-$1.log" >&2; return 1
}
as_pg mkdir -p "$work/pgbr-log" "$work/segs" "$work/xdg"
[ "$(id -u)" = 0 ] && chown -R postgres "$work"
chmod 700 "$work/xdg"   # the auto daemons' runtime directory: the cleanup finds them by it

# --- 1. latency of one archive_command call ------------------------------------------------
if wanted latency; then
# Real pgbench WAL: the source cluster copies each completed segment aside.
src="$work/src"
new_cluster "$src" "cp %p $work/segs/%f"
src_port=$port
as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$src_port" -U postgres -i -q -s 10 postgres >/dev/null 2>&1
while [ "$(find "$work/segs" -name '0000000100000000000000??' -size 16M | wc -l)" -lt "$((segments + 2))" ]; do
  as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$src_port" -U postgres -c 2 -t 1000 postgres >/dev/null 2>&1
  psql_at "$src_port" "SELECT pg_switch_wal()" >/dev/null
done
wait_archived "$src_port"
# the first segments hold initdb's and pgbench -i's bulk; take the last full pgbench ones
mapfile -t wal < <(ls "$work/segs" | grep -E '^[0-9A-F]{24}$' | sort | tail -n "$segments")
lat_tools="cp alone defaults daemon pgbackrest pgbackrest3"
for tool in $lat_tools; do as_pg mkdir -p "$work/lat-$tool/pg_wal"; done
for f in "${wal[@]}"; do
  for tool in $lat_tools; do as_pg cp "$work/segs/$f" "$work/lat-$tool/pg_wal/$f"; done
done
pgbr_conf lat "$src" "$src_port"
pgbr lat stanza-create >/dev/null
# pgBackRest at its own default zst level (3, walstash's too), into a repository of its own
pgbr_conf lat3 "$src" "$src_port"
pgbr lat3 stanza-create >/dev/null
daemon lat-daemon
lat_socket=$socket
declare -A lat lat_times
# each segment's calls side by side (cp, then every tool in turn), so that the machine's drift
# over the run is shared by every row rather than charged to whichever ran last
for f in "${wal[@]}"; do
  for tool in $lat_tools; do
    seg="$work/lat-$tool/pg_wal/$f"
    start=$(now_ms)
    case $tool in
      cp) as_pg sh -c "cp '$seg' '$work/lat-cp/$f.copy' && sync -f '$work/lat-cp/$f.copy'" ;;
      alone) ws lat-alone WALSTASH_DAEMON=off "$launcher" wal-push "$seg" 2>>"$work/lat-alone.log" ;;
      # the README's archive_command and nothing else: the first call starts the auto daemon
      defaults) ws lat-defaults XDG_RUNTIME_DIR="$work/xdg" "$launcher" wal-push "$seg" 2>>"$work/lat-defaults.log" ;;
      daemon) ws lat-daemon WALSTASH_DAEMON_SOCKET="$lat_socket" "$launcher" wal-push "$seg" 2>>"$work/lat-daemon-client.log" ;;
      pgbackrest) pgbr lat archive-push "$seg" ;;
      pgbackrest3) pgbr lat3 archive-push --compress-level=3 "$seg" ;;
    esac
    lat_times[$tool]+=" $(( $(now_ms) - start ))"
  done
done
for tool in $lat_tools; do
  # shellcheck disable=SC2086 # the times are words
  lat[$tool]=$(printf '%s\n' ${lat_times[$tool]} | median)
  echo "latency $tool:${lat_times[$tool]}" >> "$work/raw.txt"
done
stop_cluster "$src"
stop_auto_daemons

fi
# --- 2. sustained archiving under load --------------------------------------------------------
if wanted throughput; then
# load_run NAME ARCHIVE_COMMAND EXTRA_CONF: fresh cluster, pgbench for LOAD_SECONDS, then catch-up;
# sets tp_rate (segments/s from load start to archive caught up), tp_ready (max .ready), tp_segments
load_run() {
  local name=$1 dir="$work/tp-$1-$load" start end before after sampler
  new_cluster "$dir" "$2" "${3:-}"
  local p=$port
  [ -n "${4:-}" ] && eval "$4"   # per-tool set-up that needs the running cluster (stanza-create)
  as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$p" -U postgres -i -q -s 20 postgres >/dev/null 2>&1
  wait_archived "$p"
  before=$(psql_at "$p" "SELECT archived_count FROM pg_stat_archiver")
  : > "$work/ready-$name-$load"
  ( while :; do ls "$dir/pg_wal/archive_status" 2>/dev/null | grep -c '\.ready$' >> "$work/ready-$name-$load" || true; sleep 0.2; done ) &
  sampler=$!
  start=$(now_ms)
  if [ "$load" = bulk ]; then   # pgbench -i of a big scale: COPY and index builds, the most WAL per second here
    as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$p" -U postgres -i -q -s "$bulk_scale" postgres >/dev/null 2>&1
  else
    as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$p" -U postgres -c 8 -j 2 -T "$load_seconds" -N postgres >/dev/null 2>&1
  fi
  wait_archived "$p"
  end=$(now_ms)
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  after=$(psql_at "$p" "SELECT archived_count FROM pg_stat_archiver")
  tp_failed=$(psql_at "$p" "SELECT failed_count FROM pg_stat_archiver")
  tp_segments=$((after - before))
  tp_rate=$(awk -v n="$tp_segments" -v ms="$((end - start))" 'BEGIN {printf "%.1f", n * 1000 / ms}')
  tp_ready=$(sort -n "$work/ready-$name-$load" | tail -n 1)
  tp_secs=$(awk -v ms="$((end - start))" 'BEGIN {printf "%.0f", ms / 1000}')
  stop_cluster "$dir"
}
load_conf="synchronous_commit = off
checkpoint_timeout = 30s
shared_buffers = 256MB"
declare -A tp
for load in tpcb bulk; do
  daemon "tp-walstash-$load"
  load_run walstash "WALSTASH_DAEMON_SOCKET=$socket WALSTASH_UPLOAD_CONCURRENCY=4 $(walstash_env "tp-walstash-$load" | tr '\n' ' ') WALSTASH_COMPRESSION=zstd $launcher wal-push %p" "$load_conf"
  tp[walstash-$load]="$tp_rate|$tp_ready|$tp_segments|$tp_secs|$tp_failed"
  stanza="tp-pgbr-$load"
  pgbr_conf "$stanza" "$work/tp-pgbackrest-$load" 0 "archive-async=y
process-max=4"
  load_run pgbackrest "pgbackrest --config=$work/pgbr-$stanza.conf --stanza=$stanza archive-push %p" "$load_conf" \
    'pgbr_conf "$stanza" "$dir" "$p" "archive-async=y
process-max=4"; pgbr "$stanza" stanza-create >/dev/null'
  tp[pgbackrest-$load]="$tp_rate|$tp_ready|$tp_segments|$tp_secs|$tp_failed"
done

fi
# --- 3. recovery speed --------------------------------------------------------------------------
if wanted recovery; then
# One source archives every segment to both tools' repositories; a base backup is taken first.
rsrc="$work/rsrc"
new_cluster "$rsrc" "XDG_RUNTIME_DIR=$work/xdg $(walstash_env rec | tr '\n' ' ') WALSTASH_COMPRESSION=zstd WALSTASH_LOOKAHEAD=0 $launcher wal-push %p && pgbackrest --config=$work/pgbr-rec.conf --stanza=rec archive-push %p"
rport=$port
pgbr_conf rec "$rsrc" "$rport"
pgbr rec stanza-create >/dev/null
as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$rport" -U postgres -i -q -s 10 postgres >/dev/null 2>&1
# RECOVERY_MODES picks rows (default all): alone prefetch defaults daemon restored restored-first-call
# (pgBackRest's two rows always run: the ratios are to them)
recovery_modes=${RECOVERY_MODES:-alone prefetch defaults daemon restored restored-first-call}
mode_wanted() { case " $recovery_modes " in *" $1 "*) return 0 ;; esac; return 1; }
# The restored rows recover from walstash's own backup, taken just before the base backup the other
# rows start from: they replay at least as much WAL as the others
if mode_wanted restored || mode_wanted restored-first-call; then
  ws rec WALSTASH_DAEMON=off PGHOST=127.0.0.1 PGPORT="$rport" PGUSER=postgres "$launcher" backup-push "$rsrc" >/dev/null 2>&1
fi
as_pg "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$rport" -U postgres -D "$work/rbase" -X none -c fast
first=$(psql_at "$rport" "SELECT pg_walfile_name(pg_current_wal_lsn())")
# the fast-by-default issue asks for 48 segments replayed: pgbench runs on (10 s at a time) until
# the WAL since the base backup spans RECOVERY_SEGMENTS segments (16 MiB each)
segno() { echo $(( 16#${1:8:8} * 256 + 16#${1:16:8} )); }
as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$rport" -U postgres -c 4 -j 2 -T 30 -N postgres >/dev/null 2>&1
while [ $(( $(segno "$(psql_at "$rport" "SELECT pg_walfile_name(pg_current_wal_lsn())")") - $(segno "$first") + 1 )) \
    -lt "${RECOVERY_SEGMENTS:-48}" ]; do
  as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$rport" -U postgres -c 4 -j 2 -T 10 -N postgres >/dev/null 2>&1
done
wait_archived "$rport"
last=$(psql_at "$rport" "SELECT last_archived_wal FROM pg_stat_archiver")
stop_cluster "$rsrc"
stop_auto_daemons   # the source's archiving daemon
replayed=$(( $(segno "$last") - $(segno "$first") + 1 ))
# recover NAME RESTORE_COMMAND [extra postgresql.conf] [extra pgBackRest options]: sets rec_secs
recover() {
  local dir="$work/rec-$1" rp
  as_pg cp -a "$work/rbase" "$dir"
  rp=$(free_port)
  as_pg touch "$dir/recovery.signal"
  cat >> "$dir/postgresql.conf" <<CONF
port = $rp
archive_mode = off
restore_command = '$2'
${3:-}
${RECOVERY_CONF:-}
CONF
  # pgBackRest's archive-get reads the recovering cluster's pg_control and spools beside it
  case $1 in pgbr-*) pgbr_conf rec "$dir" "$rp" "${4:-}" ;; esac
  time_recovery "$dir" "$rp"
}
# time_recovery DIR PORT [NAME=value ...]: starts DIR's server (those settings added to its
# environment), waits for the end of its recovery and stops it; sets rec_secs, from pg_ctl start
time_recovery() {
  local dir=$1 rp=$2 start
  shift 2
  clusters+=("$dir")
  start=$(now_ms)
  as_pg env "$@" "$pg_bin/pg_ctl" -D "$dir" -l "$dir.log" -t 3600 -w start >/dev/null
  until [ "$(psql_at "$rp" "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ]; do sleep 0.05; done
  rec_secs=$(secs_since "$start")
  if [ -n "${RECOVERY_LOGS:-}" ]; then
    # CPU seconds so far of every process of the server's user (the recovering server's, daemons'):
    # where the recovery's CPU went
    mkdir -p "$RECOVERY_LOGS"
    local p cmd
    for p in $(pgrep -u postgres); do
      [ -r "/proc/$p/stat" ] || continue
      # the command's start, and for a JVM its main class and verb
      cmd=$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null) || continue
      awk -v p="$p" -v cmd="${cmd:0:60} $(grep -o 'io.walstash[^ ]* [^ ]*' <<< "$cmd")" \
        '{sub(/^.*\) /, ""); printf "%s %.2f %s\n", p, ($12 + $13) / 100, cmd}' "/proc/$p/stat"
    done > "$RECOVERY_LOGS/$(basename "$dir").cpu"
  fi
  stop_cluster "$dir"
  if [ -n "${RECOVERY_LOGS:-}" ]; then
    cp "$dir.log" "$RECOVERY_LOGS/"
    for f in "$work"/xdg/walstash/*.log; do
      [ -e "$f" ] && cp "$f" "$RECOVERY_LOGS/$(basename "$dir")-daemon-$(basename "$f")"
    done
  fi
}
# secs_since START: seconds since now_ms said START, two decimals
secs_since() { awk -v ms="$(( $(now_ms) - $1 ))" 'BEGIN {printf "%.2f", ms / 1000}'; }
rec_env="$(walstash_env rec | tr '\n' ' ') WALSTASH_COMPRESSION=zstd"
# recover_restored NAME RESTORE_DAEMON_MODE: `walstash restore` of the latest walstash backup into a
# fresh directory, run as the server's OS user in the server's environment (the incident's steps),
# then the server starts with the restore_command restore wrote (the README's); sets rec_secs (from
# pg_ctl start, as every row) and restore_secs. With RESTORE_DAEMON_MODE=auto restore starts the
# daemon restore_command asks as its fetch begins; with off it does not, and the recovery's first
# call starts it (the server's environment leaves WALSTASH_DAEMON unset: auto).
recover_restored() {
  local dir="$work/rec-$1" start rp
  rp=$(free_port)
  start=$(now_ms)
  # shellcheck disable=SC2086 # rec_env is NAME=value words
  as_pg env XDG_RUNTIME_DIR="$work/xdg" $rec_env WALSTASH_DAEMON="$2" "$launcher" restore "$dir" >/dev/null 2>"$work/restore-$1.log" ||
    { cat "$work/restore-$1.log" >&2; exit 1; }
  restore_secs=$(secs_since "$start")
  cat >> "$dir/postgresql.conf" <<CONF
port = $rp
archive_mode = off
CONF
  # shellcheck disable=SC2086
  time_recovery "$dir" "$rp" XDG_RUNTIME_DIR="$work/xdg" $rec_env
}
# run_mode MODE ROUND: one recovery of row MODE; appends its seconds to rec_rounds[MODE] (and the
# restore's to restore_rounds[MODE] for the restored rows)
run_mode() {
  local m=$1 round=$2
  case $m in
    alone) recover "alone-$round" "$rec_env WALSTASH_DAEMON=off WALSTASH_DOWNLOAD_CONCURRENCY=0 $launcher wal-fetch %f %p" ;;
    prefetch) recover "prefetch-$round" "$rec_env WALSTASH_DAEMON=off WALSTASH_DOWNLOAD_CONCURRENCY=4 $launcher wal-fetch %f %p" ;;
    # the README's restore_command and nothing else: the auto daemon starts itself (its runtime
    # directory in $work/xdg, so that the cleanup finds it), prefetch at its default
    defaults) recover "defaults-$round" "XDG_RUNTIME_DIR=$work/xdg $rec_env $launcher wal-fetch %f %p" ;;
    daemon) recover "daemon-$round" "$rec_env WALSTASH_DAEMON_SOCKET=$rec_socket WALSTASH_DOWNLOAD_CONCURRENCY=4 $launcher wal-fetch %f %p" ;;
    restored|restored-first-call)
      recover_restored "$m-$round" "$([ "$m" = restored ] && echo auto || echo off)"
      restore_rounds[$m]+="$restore_secs " ;;
    pgbr-sync) recover "pgbr-sync-$round" "pgbackrest --config=$work/pgbr-rec.conf --stanza=rec archive-get %f \"%p\"" ;;
    pgbr-async) recover "pgbr-async-$round" "pgbackrest --config=$work/pgbr-rec.conf --stanza=rec archive-get %f \"%p\"" "" "archive-async=y
archive-get-queue-max=256MiB
process-max=4" ;;
  esac
  rec_rounds[$m]+="$rec_secs "
  # no auto daemon carries over into the next row: each row that uses one starts its own
  stop_auto_daemons
}
declare -A rec_rounds restore_rounds
if mode_wanted daemon; then daemon rec; rec_socket=$socket; fi
if mode_wanted restored || mode_wanted restored-first-call; then
  # a first restore dumps the launcher's class-data archive for restore (seconds at its exit); the
  # rows' restores map it, as an operator's second restore would
  as_pg env XDG_RUNTIME_DIR="$work/xdg" $rec_env WALSTASH_DAEMON=off "$launcher" restore "$work/restore-warm-up" >/dev/null 2>&1
  rm -rf "$work/restore-warm-up"
fi
# RECOVERY_ROUNDS rounds (default 3) of every row, pgBackRest's two always (the ratios are to them);
# the order reverses every other round, so that no row always follows the same one; medians
row_order="pgbr-async pgbr-sync"
for m in alone prefetch defaults daemon restored restored-first-call; do mode_wanted "$m" && row_order+=" $m"; done
for round in $(seq "${RECOVERY_ROUNDS:-3}"); do
  order=$row_order
  [ $((round % 2)) = 0 ] && order=$(printf '%s\n' $row_order | tac | tr '\n' ' ')
  for m in $order; do run_mode "$m" "$round"; done
  echo "recovery round $round: $(for m in $row_order; do last=${rec_rounds[$m]% }; printf '%s %s  ' "$m" "${last##* }"; done)" >&2
done
declare -A rec restore_time
for m in $row_order; do
  rec[$m]=$(printf '%s\n' ${rec_rounds[$m]} | median)
done
for m in restored restored-first-call; do
  [ -n "${restore_rounds[$m]:-}" ] || continue
  restore_time[$m]="$(printf '%s\n' ${restore_rounds[$m]} | median) (rounds: restore ${restore_rounds[$m]% }; recovery ${rec_rounds[$m]% })"
done

fi
# --- 4. sustained archiving with the defaults under bulk inserts ----------------------------------
if wanted inserts; then
printf "INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g;\n" > "$work/insert.sql"
chmod 644 "$work/insert.sql"
# cpu_ticks PID: user+system time of PID and of its children it has waited for, in clock ticks
cpu_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# detached_pids NAME: the archiver processes that leave PostgreSQL's process tree (walstash's
# auto daemon; pgBackRest's async archive-push and its local workers)
detached_pids() {
  case $1 in
    walstash) auto_daemons ;;
    pgbackrest) pgrep -f "pgbr-ins.conf.*archive-push:async|pgbr-ins.conf.*archive-push:local" 2>/dev/null || true ;;
  esac
}
# insert_run NAME ARCHIVE_COMMAND [setup]: sets ins_rate ins_ready ins_segments ins_secs ins_catchup ins_cpu ins_failed
insert_run() {
  local name=$1 dir="$work/ins-$1" start load_end end before after sampler archiver ticks
  new_cluster "$dir" "$2" "synchronous_commit = off
checkpoint_timeout = 30s
shared_buffers = 256MB"
  local p=$port
  [ -n "${3:-}" ] && eval "$3"
  psql_at "$p" "CREATE TABLE big (id int, payload text)"
  wait_archived "$p"
  archiver=$(as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$p" -U postgres -qAtc "SELECT pid FROM pg_stat_activity WHERE backend_type = 'archiver'" postgres)
  ticks=$(cpu_ticks "$archiver")
  before=$(psql_at "$p" "SELECT archived_count FROM pg_stat_archiver")
  : > "$work/ready-ins-$name"; : > "$work/cpu-ins-$name"
  # every 0.2 s: the .ready count, and the CPU ticks of each detached archiver process (the last seen counts)
  ( while :; do
      ls "$dir/pg_wal/archive_status" 2>/dev/null | grep -c '\.ready$' >> "$work/ready-ins-$name" || true
      for d in $(detached_pids "$name"); do echo "$d $(cpu_ticks "$d")" >> "$work/cpu-ins-$name"; done
      sleep 0.2
    done ) &
  sampler=$!
  start=$(now_ms)
  as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$p" -U postgres -n -c 2 -j 2 -T "$load_seconds" -f "$work/insert.sql" postgres >/dev/null 2>&1
  load_end=$(now_ms)
  wait_archived "$p"
  end=$(now_ms)
  after=$(psql_at "$p" "SELECT archived_count FROM pg_stat_archiver")
  ins_failed=$(psql_at "$p" "SELECT failed_count FROM pg_stat_archiver")
  # the archiver's reaped children: every archive_command (shell, client, pgBackRest's front process)
  ticks=$(( $(cpu_ticks "$archiver") - ticks ))
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  ticks=$(( ticks + $(awk '{last[$1] = $2} END {t = 0; for (p in last) t += last[p]; print t}' "$work/cpu-ins-$name") ))
  echo "inserts $name: $(awk '{print $1}' "$work/cpu-ins-$name" | sort -u | wc -l) detached archiver processes sampled" >&2
  ins_cpu=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz}')
  ins_segments=$((after - before))
  ins_rate=$(awk -v n="$ins_segments" -v ms="$((end - start))" 'BEGIN {printf "%.1f", n * 1000 / ms}')
  ins_ready=$(sort -n "$work/ready-ins-$name" | tail -n 1)
  ins_secs=$(awk -v ms="$((end - start))" 'BEGIN {printf "%.0f", ms / 1000}')
  ins_catchup=$(awk -v ms="$((end - load_end))" 'BEGIN {printf "%.1f", ms / 1000}')
  stop_cluster "$dir"
}
declare -A ins
# walstash: the archive_command README writes, and nothing else
insert_run walstash "XDG_RUNTIME_DIR=$work/xdg $(walstash_env ins | tr '\n' ' ') $launcher wal-push %p"
ins[walstash]="$ins_rate|$ins_ready|$ins_segments|$ins_secs|$ins_catchup|$ins_cpu|$ins_failed"
stop_auto_daemons
insert_run pgbackrest "pgbackrest --config=$work/pgbr-ins.conf --stanza=ins archive-push %p" \
  'pgbr_conf ins "$dir" "$p" "archive-async=y
process-max=2"; pgbr ins stanza-create >/dev/null'
ins[pgbackrest]="$ins_rate|$ins_ready|$ins_segments|$ins_secs|$ins_catchup|$ins_cpu|$ins_failed"

fi
# --- report -------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a / b}'; }
segs_per_s() { awk -v n="$replayed" -v s="$1" 'BEGIN {printf "%.1f", n / s}'; }
echo "storage: $storage_label; zstd (pgBackRest: zst level 1 unless a row says otherwise); $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -n 1), $(pgbackrest version)"
echo
if wanted latency; then
echo "| archive_command, one 16 MiB segment (median of $segments) | ms | vs pgBackRest |"
echo "| --- | --- | --- |"
for tool in cp pgbackrest pgbackrest3 alone defaults daemon; do
  label=$(case $tool in cp) echo "cp + sync";; pgbackrest) echo "pgBackRest archive-push";; pgbackrest3) echo "pgBackRest archive-push, zst level 3 (its default level)";; alone) echo "walstash wal-push, WALSTASH_DAEMON=off";; defaults) echo "walstash wal-push, defaults (auto daemon)";; daemon) echo "walstash wal-push via a hand-started daemon";; esac)
  echo "| $label | ${lat[$tool]} | $(ratio "${lat[$tool]}" "${lat[pgbackrest]}") |"
done
echo
echo "walstash writes WAL at zstd level 1 (as the first pgBackRest row); against pgBackRest at its default level 3: walstash's defaults $(ratio "${lat[defaults]}" "${lat[pgbackrest3]}"), its hand-started daemon $(ratio "${lat[daemon]}" "${lat[pgbackrest3]}") of pgBackRest's time."
echo
fi
if wanted throughput; then
  echo "| sustained archiving | segments/s to caught up | max .ready | segments | seconds | failed |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for load in tpcb bulk; do
    what=$(case $load in tpcb) echo "pgbench -c 8 -N for ${load_seconds} s";; bulk) echo "pgbench -i -s $bulk_scale";; esac)
    IFS='|' read -r r m n s f <<<"${tp[walstash-$load]}"; echo "| $what: walstash daemon + look-ahead 4 | $r | $m | $n | $s | $f |"
    IFS='|' read -r r m n s f <<<"${tp[pgbackrest-$load]}"; echo "| $what: pgBackRest async, process-max 4 | $r | $m | $n | $s | $f |"
  done
  echo
fi
if wanted inserts; then
  echo "| 2 clients bulk-inserting for ${load_seconds} s | segments/s to caught up | max .ready | segments | seconds | catch-up after load (s) | archiver CPU s | failed |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  IFS='|' read -r r m n s c u f <<<"${ins[walstash]}"; echo "| walstash, defaults (README's archive_command) | $r | $m | $n | $s | $c | $u | $f |"
  IFS='|' read -r r2 m2 n2 s2 c2 u2 f2 <<<"${ins[pgbackrest]}"; echo "| pgBackRest async, process-max 2 | $r2 | $m2 | $n2 | $s2 | $c2 | $u2 | $f2 |"
  echo "| ratio walstash / pgBackRest | $(ratio "$r" "$r2") | $(awk -v a="$m" -v b="$m2" 'BEGIN {if (b == 0) print "-"; else printf "%.2f×", a / b}') | | | | $(ratio "$u" "$u2") | |"
  echo
fi
if wanted recovery; then
echo "| recovery of $replayed segments | seconds | segments/s | vs pgBackRest sync | vs pgBackRest async |"
echo "| --- | --- | --- | --- | --- |"
for m in pgbr-sync pgbr-async alone prefetch defaults daemon restored restored-first-call; do
  [ -n "${rec[$m]:-}" ] || continue
  label=$(case $m in pgbr-sync) echo "pgBackRest archive-get";; pgbr-async) echo "pgBackRest archive-get async (queue 256 MiB, process-max 4)";; alone) echo "walstash wal-fetch, no daemon, no prefetch";; prefetch) echo "walstash wal-fetch, no daemon, prefetch 4";; defaults) echo "walstash wal-fetch, defaults (auto daemon, prefetch 4)";; daemon) echo "walstash wal-fetch via a hand-started daemon, prefetch 4";; restored) echo "walstash restore, then its restore_command (defaults: restore started the auto daemon)";; restored-first-call) echo "walstash restore with WALSTASH_DAEMON=off, then its restore_command (the first call starts the auto daemon)";; esac)
  echo "| $label | ${rec[$m]} | $(segs_per_s "${rec[$m]}") | $(ratio "${rec[pgbr-sync]}" "${rec[$m]}") | $(ratio "${rec[pgbr-async]}" "${rec[$m]}") |"
done
echo
echo "(recovery seconds by round: $(for m in $row_order; do printf '%s %s; ' "$m" "${rec_rounds[$m]% }"; done | sed 's/; $//'))"
for m in restored restored-first-call; do
  # an if, not &&: a row not run must not become the script's exit status
  if [ -n "${restore_time[$m]:-}" ]; then
    echo "(walstash restore before the $m row, median: ${restore_time[$m]}; its recovery replays from walstash's own backup, taken just before the others' base backup)"
  fi
done
fi
