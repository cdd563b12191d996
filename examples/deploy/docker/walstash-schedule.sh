#!/usr/bin/env bash
# The maintenance schedule (what the seed's walg-maintenance.sh and its cron lines did), for a
# Compose service or any container of the walstash image: every day at WALSTASH_SCHEDULE_AT
# (default 02:00, the container's time zone), or every WALSTASH_SCHEDULE_EVERY seconds instead:
#   walstash backup-push $PGDATA                   full, or delta as WALG_DELTA_MAX_STEPS allows
#   walstash delete retain N --confirm             N = WALG_RETAIN_BACKUPS (default 7)
#   walstash backup-verify LATEST [--restore-test] the restore test on WALSTASH_RESTORE_TEST_DAY
#                                                  (ISO weekday, default 7 = Sunday; empty: never)
#   walstash status $WALSTASH_STATUS_ARGS          default --max-backup-age 26h --max-archive-lag 15m
# Each step runs even when an earlier one failed; a failure is logged with its exit code (and sent
# to WALSTASH_NOTIFY_WEBHOOK by walstash itself). The container needs PGDATA mounted (read-only is
# enough) and PGHOST/PGPORT/PGUSER/PGPASSWORD for backup-push's connection.
set -uo pipefail

at=${WALSTASH_SCHEDULE_AT:-02:00}
every=${WALSTASH_SCHEDULE_EVERY:-}
restore_test_day=${WALSTASH_RESTORE_TEST_DAY-7}
retain=${WALG_RETAIN_BACKUPS:-7}
read -r -a status_args <<< "${WALSTASH_STATUS_ARGS---max-backup-age 26h --max-archive-lag 15m}"

log() { echo "walstash-schedule: $(date -u +%FT%TZ) $*"; }
trap 'log "stopping"; exit 0' INT TERM

case "$every$retain" in
  *[!0-9]*) log "error: WALSTASH_SCHEDULE_EVERY and WALG_RETAIN_BACKUPS must be whole numbers"; exit 2 ;;
esac
date -d "$at" +%s >/dev/null 2>&1 || { log "error: WALSTASH_SCHEDULE_AT must be a time of day such as 02:00, not '$at'"; exit 2; }

step() {
  log "walstash $*"
  walstash "$@"
  local code=$?
  [ "$code" = 0 ] || log "walstash $1 failed with exit code $code"
  return "$code"
}

maintain() {
  local failed=0 verify=(backup-verify LATEST)
  [ "$(date +%u)" != "$restore_test_day" ] || verify+=(--restore-test)
  step backup-push "$PGDATA" || failed=1
  step delete retain "$retain" --confirm || failed=1
  step "${verify[@]}" || failed=1
  step status "${status_args[@]}" || failed=1
  if [ "$failed" = 0 ]; then log "maintenance done"; else log "maintenance done with failures"; fi
}

# Sleeps in the background so that a stop signal ends the wait at once.
pause() {
  sleep "$1" &
  wait $!
}

while true; do
  if [ -n "$every" ]; then
    log "next maintenance in ${every}s"
    pause "$every"
  else
    now=$(date +%s)
    next=$(date -d "$at" +%s)
    [ "$next" -gt "$now" ] || next=$(date -d "tomorrow $at" +%s)
    log "next maintenance at $(date -d "@$next" +%FT%T%z)"
    pause $((next - now))
  fi
  maintain
done
