# Sourced by the bench scripts (bash, under set -euo pipefail): what they all do alike.
#   here                  the checkout's root
#   pg_bin                PostgreSQL's binaries: PG_BIN, else the newest /usr/lib/postgresql/*/bin
#   as_pg COMMAND...      runs COMMAND as the postgres user when run as root (PostgreSQL refuses to run
#                         as root), else as it is
#   free_port             prints a free TCP port of 127.0.0.1
#   median                prints the median of the numbers on stdin, one a line
#   build_if_missing      builds the launcher folder (cli/target/walstash) unless it is there
#   new_work [NAME]       makes $work, a fresh temporary directory the postgres user owns (run as root) or
#                         can enter; the caller's EXIT trap removes it
#   copy_launcher [DIST]  copies the launcher folder (default cli/target/walstash) into $work, where the
#                         postgres user can run it, and sets $launcher
#   launcher_work [DIST]  new_work and copy_launcher, with cleanup_work as the EXIT trap
#   start_cluster DIR PORT  starts the cluster in DIR on 127.0.0.1:PORT, its socket in $work, its log $work/pg.log
#   stop_cluster_now DIR  stops the cluster in DIR at once if it runs (for EXIT traps)
#   cleanup_work          stops the cluster in $work/data if it runs and removes $work (an EXIT trap)
#   auto_daemons          the pids of walstash's auto daemons started with XDG_RUNTIME_DIR=$work/xdg
#   stop_auto_daemons     sends those daemons SIGTERM
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pg_bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

build_if_missing() {
  if [ ! -x "$here/cli/target/walstash/bin/walstash" ]; then (cd "$here" && mvn -q -B -DskipTests package); fi
}

new_work() {
  work=$(mktemp -d "/tmp/walstash-bench${1:+-$1}-XXXXXX")
  chmod 755 "$work"
  if [ "$(id -u)" = 0 ]; then chown postgres "$work"; fi
}

copy_launcher() {
  cp -r "${1:-$here/cli/target/walstash}" "$work/walstash"
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$work/walstash"; fi
  launcher="$work/walstash/bin/walstash"
}

start_cluster() {
  as_pg "$pg_bin/pg_ctl" -D "$1" -l "$work/pg.log" -w -o "-p $2 -c listen_addresses=127.0.0.1 -k $work" start >/dev/null
}

stop_cluster_now() { as_pg "$pg_bin/pg_ctl" -D "$1" -m immediate stop >/dev/null 2>&1 || true; }
cleanup_work() {
  stop_cluster_now "$work/data"
  stop_auto_daemons
  # the class-data archives the launchers under $work dumped for the postgres user (kept per
  # launcher path, which is gone with $work)
  local cache
  cache=$(as_pg sh -c 'printf %s "${XDG_CACHE_HOME:-$HOME/.cache}"' 2>/dev/null || true)
  case "$cache" in /?*) rm -rf "$cache/walstash/cds$work" ;; esac
  rm -rf "$work"
}

auto_daemons() {
  local p
  for p in $(pgrep -f 'daemon --auto' 2>/dev/null); do
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "XDG_RUNTIME_DIR=$work/xdg" && echo "$p"
  done
  return 0
}
stop_auto_daemons() {
  local p
  for p in $(auto_daemons); do kill "$p" 2>/dev/null || true; done
}
launcher_work() {
  new_work
  copy_launcher "${1:-}"
  trap cleanup_work EXIT
}
