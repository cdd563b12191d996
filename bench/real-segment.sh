# Sourced by the bench scripts (bash): makes a temporary directory $work and in it
# $work/wal/$segment, one real 16 MiB segment of pgbench WAL taken from a throwaway PostgreSQL
# cluster (so its compressibility is that of real WAL), then stops the cluster. Defines pg_bin,
# as_pg and cleanup_work (for the caller's EXIT trap). Needs PostgreSQL binaries (PG_BIN or
# /usr/lib/postgresql/*/bin).
pg_bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
work=$(mktemp -d /tmp/walstash-bench-XXXXXX)
chmod 755 "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
cleanup_work() { as_pg "$pg_bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup_work EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$pg_bin/initdb" -D "$work/data" -U postgres -A trust --no-sync >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$work/data" -l "$work/pg.log" -w -o "-p $port -c listen_addresses=127.0.0.1 -k $work" start >/dev/null
as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -q -s 10 postgres >/dev/null 2>&1
as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -c 2 -t 2000 postgres >/dev/null 2>&1
# the segment the switch completes: full of pgbench WAL (a recycled file further on would not be)
segment=$(as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qAtc "SELECT pg_walfile_name(pg_switch_wal())" postgres)
mkdir "$work/wal"
cp "$work/data/pg_wal/$segment" "$work/wal/$segment"
as_pg "$pg_bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null
