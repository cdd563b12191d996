#!/usr/bin/env bash
# Writes cli/src/main/resources/io/walstash/cli/cds-restore.classes: the classes backup-fetch and
# restore load that backup-push does not (and that the JDK's own class-data archive lacks), which
# backup-push's dumping run loads so that its archive serves the restores that map it (see
# ClassDataPreload and the launcher's cds section). Run it after changing the restore path and
# commit the list; a stale list is harmless (missing names are passed over, missing classes load
# from the jars as before).
#
#   dev/cds-classes.sh            (builds the launcher folder if it is missing; PostgreSQL binaries
#                                  from PG_BIN or /usr/lib/postgresql/*/bin; as root, runs as postgres)
set -euo pipefail
. "$(dirname "$0")/../bench/lib.sh"
build_if_missing
launcher_work
port=$(free_port)
as_pg "$pg_bin/initdb" -D "$work/data" -U postgres -A trust --data-checksums --no-sync >/dev/null
printf '%s\n' "archive_mode = on" "archive_command = 'true'" >> "$work/data/postgresql.conf"
start_cluster "$work/data" "$port"
as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -i -q -s 1 postgres >/dev/null 2>&1
# every command with no archive of walstash's own (the JDK's stays), each logging what it loads
run() {
  local log=$1; shift
  as_pg env PGHOST=127.0.0.1 PGPORT="$port" PGUSER=postgres WALSTASH_STORAGE="file://$work/repo" WALSTASH_CDS=off \
    WALSTASH_DAEMON=off WALSTASH_JAVA_OPTS="-Xlog:class+load=info:file=$work/$log.log" "$launcher" "$@" >/dev/null
}
run push-full backup-push "$work/data" --full
as_pg "$pg_bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -t 200 postgres >/dev/null 2>&1
run push-delta backup-push "$work/data"
run fetch backup-fetch "$work/fetched" LATEST
run restore restore "$work/restored" --target-immediate
# the names of the classes the logs record loading, with where each came from
loaded() { sed -n 's/^\[[^]]*\]\[info\]\[class,load\] \([^ ]*\) source: \(.*\)/\1 \2/p' "$@"; }
# binary names not in the JDK's archive, hidden classes (lambdas, proxies, LambdaForms) left out:
# they cannot be loaded by name
names() { loaded "$@" | grep -v ' shared objects file' | cut -d' ' -f1 |
  grep -v -e '/0x' -e '\$\$Lambda' -e '^jdk\.proxy' -e '^com\.sun\.proxy' -e 'LambdaForm\$' | sort -u; }
out="$here/cli/src/main/resources/io/walstash/cli/cds-restore.classes"
mkdir -p "$(dirname "$out")"
{
  echo "# Written by dev/cds-classes.sh: classes backup-fetch and restore load that backup-push does not."
  comm -23 <(names "$work/fetch.log" "$work/restore.log") <(loaded "$work/push-full.log" "$work/push-delta.log" | cut -d' ' -f1 | sort -u)
} > "$out"
echo "$(grep -vc '^#' "$out") classes in $out"
