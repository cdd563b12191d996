#!/usr/bin/env bash
# walstash's entrypoint for a Debian-based PostgreSQL image (examples/deploy/docker/Dockerfile).
#
#   postgres [OPTIONS]  (the default) an empty $PGDATA is initialised (initdb), or restored from the
#                       repository when WALSTASH_RESTORE_BACKUP is set; then PostgreSQL starts with
#                       archive_mode, archive_command and restore_command set on its command line
#   anything else       runs as the postgres OS user: walstash backup-list, walstash-schedule.sh, bash
#
# Only environment variables are needed. The repository is walstash's or WAL-G's usual settings
# (WALSTASH_STORAGE, WALG_S3_PREFIX, WALG_FILE_PREFIX, AWS_*, …: walstash reads them itself, from
# PostgreSQL's environment); this script reads its own few (README, "Deployment"):
#   POSTGRES_PASSWORD, POSTGRES_USER, POSTGRES_DB, POSTGRES_INITDB_ARGS   as the official image
#   WALSTASH_ARCHIVE=on|off            archive_mode (off: a restore drill that must not archive)
#   WALSTASH_ARCHIVE_TIMEOUT=60s       archive_timeout
#   WALSTASH_RESTORE_BACKUP=LATEST|NAME|auto   restore an empty $PGDATA instead of initdb
#   WALSTASH_RESTORE_TARGET_TIME|_XID|_NAME|_LSN, WALSTASH_RESTORE_TARGET_ACTION=promote
# Secrets reach PostgreSQL and walstash through the environment only, never a command line.
set -Eeuo pipefail

WALSTASH_HOME=${WALSTASH_HOME:-/opt/walstash}
walstash="$WALSTASH_HOME/bin/walstash"
export PGDATA=${PGDATA:-/var/lib/postgresql/data}

log() { echo "walstash-entrypoint: $*" >&2; }
die() { echo "walstash-entrypoint: error: $*" >&2; exit 1; }

# PostgreSQL's binaries: PG_BIN, else the newest /usr/lib/postgresql/<version>/bin.
if [ -z "${PG_BIN:-}" ]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/postgres" ] || die "no PostgreSQL under /usr/lib/postgresql/<version>/bin (set PG_BIN)"
export PG_BIN PATH="$PG_BIN:$WALSTASH_HOME/bin:$PATH"

if [ "${1:-postgres}" != "${1#-}" ]; then
  set -- postgres "$@"
fi
[ $# -gt 0 ] || set -- postgres

# The directory of a file:// repository (WALG_FILE_PREFIX, WALSTASH_STORAGE=file:///… or a path).
file_repository() {
  local storage=${WALSTASH_STORAGE:-${WALG_FILE_PREFIX:-}}
  case "$storage" in
    file://*) storage=${storage#file://} ;;
    /*) ;;
    *) return 0 ;;
  esac
  echo "$storage"
}

if [ "$(id -u)" = 0 ]; then
  # As root only what needs root: directories the postgres user must own (a fresh Docker volume is
  # root's), then the rest of this script again as postgres.
  install -d -o postgres -g postgres -m 2775 /var/run/postgresql
  if [ "$1" = postgres ]; then
    install -d -o postgres -g postgres -m 0700 "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 0700 "$PGDATA"
  fi
  repository=$(file_repository)
  if [ -n "$repository" ]; then
    install -d -m 0700 "$repository"
    if [ "$(stat -c %U "$repository")" != postgres ]; then
      chown postgres:postgres "$repository"
      chmod 0700 "$repository"
    fi
  fi
  HOME=$(getent passwd postgres | cut -d: -f6)
  export HOME
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ "$1" != postgres ]; then
  exec "$1" "${settings[@]}" "${@:2}"
fi

storage_configured() {
  local name
  for name in WALSTASH_STORAGE WALSTASH_CONFIG WALG_S3_PREFIX WALG_FILE_PREFIX WALG_GS_PREFIX WALG_AZ_PREFIX; do
    [ -z "${!name:-}" ] || return 0
  done
  return 1
}

archive=${WALSTASH_ARCHIVE:-on}
case "$archive" in
  on|off) ;;
  *) die "WALSTASH_ARCHIVE must be on or off, not '$archive'" ;;
esac
if [ "$archive" = on ] || [ -n "${WALSTASH_RESTORE_BACKUP:-}" ]; then
  storage_configured || die "no repository: set WALSTASH_STORAGE (or WALG_S3_PREFIX, WALG_FILE_PREFIX, …), or WALSTASH_ARCHIVE=off"
fi

initialise() {
  local pwfile= auth_host=scram-sha-256
  log "initialising an empty data directory $PGDATA"
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    pwfile=$(mktemp)   # 0600: mktemp's own mode
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  fi
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options, as in the official image
  initdb -D "$PGDATA" --username="${POSTGRES_USER:-postgres}" ${pwfile:+--pwfile="$pwfile"} \
    --auth-local=trust --auth-host="$auth_host" ${POSTGRES_INITDB_ARGS:---data-checksums} >/dev/null
  [ -z "$pwfile" ] || rm -f "$pwfile"
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    printf '%s\n' '# walstash-entrypoint: password connections from other hosts (POSTGRES_PASSWORD is set)' \
      "host all all all $auth_host" >> "$PGDATA/pg_hba.conf"
  else
    log "POSTGRES_PASSWORD is not set: only local connections inside the container are accepted"
  fi
  printf '%s\n' '# walstash-entrypoint: a container listens on its own network' "listen_addresses = '*'" \
    >> "$PGDATA/postgresql.conf"
  # The official image's default: a database named after the user.
  local scripts= database=${POSTGRES_DB:-${POSTGRES_USER:-postgres}}
  scripts=$(ls -A /docker-entrypoint-initdb.d 2>/dev/null || true)
  if [ -n "$scripts" ] || [ "$database" != postgres ]; then
    # A private server (socket only, no archiving) for the database and the init scripts.
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c archive_mode=off" start >/dev/null
    export PGUSER="${POSTGRES_USER:-postgres}" PGHOST=/var/run/postgresql PGDATABASE=postgres
    [ "$database" = postgres ] || createdb -- "$database"
    export PGDATABASE="$database"
    local script
    for script in /docker-entrypoint-initdb.d/*; do
      case "$script" in
        *.sh) log "running $script"; . "$script" ;;
        *.sql) log "running $script"; psql -v ON_ERROR_STOP=1 -q -f "$script" ;;
        *) [ ! -e "$script" ] || log "ignoring $script" ;;
      esac
    done
    pg_ctl -D "$PGDATA" -w -m fast stop >/dev/null
    unset PGHOST PGDATABASE PGUSER
  fi
}

restore() {
  local args=(restore "$PGDATA")
  [ "$WALSTASH_RESTORE_BACKUP" = auto ] || args+=("$WALSTASH_RESTORE_BACKUP")
  [ -z "${WALSTASH_RESTORE_TARGET_TIME:-}" ] || args+=(--target-time "$WALSTASH_RESTORE_TARGET_TIME")
  [ -z "${WALSTASH_RESTORE_TARGET_XID:-}" ] || args+=(--target-xid "$WALSTASH_RESTORE_TARGET_XID")
  [ -z "${WALSTASH_RESTORE_TARGET_NAME:-}" ] || args+=(--target-name "$WALSTASH_RESTORE_TARGET_NAME")
  [ -z "${WALSTASH_RESTORE_TARGET_LSN:-}" ] || args+=(--target-lsn "$WALSTASH_RESTORE_TARGET_LSN")
  args+=(--target-action "${WALSTASH_RESTORE_TARGET_ACTION:-promote}")
  log "restoring an empty data directory: walstash ${args[*]}"
  "$walstash" "${args[@]}"
}

# Run as a non-root user from the start (Kubernetes' runAsUser), PGDATA may not exist yet: a
# sub-directory of the volume, as the official image advises where the volume's root holds lost+found.
install -d -m 0700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "$(ls -A "$PGDATA")" ]; then
    die "$PGDATA holds files but no PG_VERSION: not a data directory, and not empty"
  fi
  if [ -n "${WALSTASH_RESTORE_BACKUP:-}" ]; then
    restore
  else
    initialise
  fi
fi

# The settings walstash needs, on PostgreSQL's command line: they come from the environment at every
# start and win over any configuration file (also one named by -c config_file=…). Options given to
# the container after them win over them.
settings=(-c "archive_mode=$archive" -c "archive_command=$walstash wal-push %p"
  -c "archive_timeout=${WALSTASH_ARCHIVE_TIMEOUT:-60s}" -c "restore_command=$walstash wal-fetch %f %p")

# The entrypoint's own variables stay out of PostgreSQL's environment (and so out of the auto
# daemon's configuration); the password is in the data directory by now.
unset POSTGRES_PASSWORD WALSTASH_RESTORE_BACKUP WALSTASH_RESTORE_TARGET_TIME WALSTASH_RESTORE_TARGET_XID \
  WALSTASH_RESTORE_TARGET_NAME WALSTASH_RESTORE_TARGET_LSN WALSTASH_RESTORE_TARGET_ACTION WALSTASH_ARCHIVE \
  WALSTASH_ARCHIVE_TIMEOUT
exec "$1" "${settings[@]}" "${@:2}"
