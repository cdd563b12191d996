#!/usr/bin/env bash
# The long form of the fault campaign (issue 12): rounds of a real PostgreSQL under pgbench,
# archive_command = walstash wal-push to s3proxy behind a fault proxy, base backups running,
# while faults are injected at random (SIGKILL of wal-push, the daemon, backup-push, backup-fetch,
# wal-fetch and the prefetch worker; S3 answering 500/503, hanging, resetting, truncating and
# flipping bytes; storage gone; the spool's filesystem full; concurrent pushers of one segment).
# After each round: wal-verify --deep, a restore to the latest point and one to a time target
# compared with the source's data, and a search for leftover processes and temporary files.
# The CI runs the short form, cli/src/test/java/io/walstash/cli/FaultCampaignIT.java.
#
#   bench/fault-campaign.sh [MINUTES]          (default 30; rounds start while the budget lasts)
#   FAULTS_SEED=N        replays the random choices of an earlier run (printed at the start and end)
#   FAULTS_ENABLE=KIND,..|-KIND  enables or (with -) disables kinds (see FaultCampaign.Kind; all are on)
#   FAULTS_LOAD_SECONDS=10      length of each of a round's two pgbench phases (archiving faults come in
#                               them; restore faults come per object restored, and a longer phase means
#                               more WAL to replay, so shorter rounds inject more faults a minute)
#
# Needs PostgreSQL binaries (PG_BIN or /usr/lib/postgresql/*/bin); run as root it starts them as
# the postgres user and mounts a small tmpfs for the spool (the spool-full faults need that).
# Exits 0 only when nothing was lost, corrupted, wrongly restored or left behind.
set -euo pipefail
minutes=${1:-30}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
mvn -q -B -ntp -pl cli -am -DskipTests package dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/campaign.classpath >/dev/null
props=(-Dwalstash.launcher="$here/cli/target/walstash/bin/walstash" -Dwalstash.faults.minutes="$minutes")
[ -n "${FAULTS_SEED:-}" ] && props+=(-Dwalstash.faults.seed="$FAULTS_SEED")
[ -n "${FAULTS_ENABLE:-}" ] && props+=(-Dwalstash.faults.enable="$FAULTS_ENABLE")
[ -n "${FAULTS_LOAD_SECONDS:-}" ] && props+=(-Dwalstash.faults.load-seconds="$FAULTS_LOAD_SECONDS")
echo "fault campaign on $(nproc) cores, $(uname -srm), $(date -u '+%Y-%m-%d %H:%M UTC'): bench/fault-campaign.sh $minutes"
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn "${props[@]}" \
  -cp "cli/target/classes:cli/target/test-classes:$(cat cli/target/campaign.classpath)" io.walstash.cli.FaultCampaign "$minutes"
