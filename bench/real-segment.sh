# Sourced by the bench scripts (bash) after bench/lib.sh: makes a temporary directory $work and in it
# $work/wal/$segment, one real 16 MiB segment of pgbench WAL taken from a throwaway PostgreSQL
# cluster (so its compressibility is that of real WAL), then stops the cluster; sets an EXIT trap
# (cleanup_work, which the caller's own trap calls when it sets one). Needs PostgreSQL binaries
# (PG_BIN or /usr/lib/postgresql/*/bin).
new_work
trap cleanup_work EXIT

port=$(free_port)
as_pg "$pg_bin/initdb" -D "$work/data" -U postgres -A trust --no-sync >/dev/null
start_cluster "$work/data" "$port"
as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -q -s 10 postgres >/dev/null 2>&1
as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -c 2 -t 2000 postgres >/dev/null 2>&1
# the segment the switch completes: full of pgbench WAL (a recycled file further on would not be)
segment=$(as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qAtc "SELECT pg_walfile_name(pg_switch_wal())" postgres)
mkdir "$work/wal"
cp "$work/data/pg_wal/$segment" "$work/wal/$segment"
as_pg "$pg_bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null
