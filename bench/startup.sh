#!/usr/bin/env bash
# What one JVM start of a walstash command costs: a one-shot `wal-fetch` of a segment the archive
# lacks (exit 74, as recovery asks at its end), with WALSTASH_DAEMON=off so the command runs in its
# own JVM, on an empty file:// repository. With WALSTASH_BASELINE (another build's launcher folder)
# the two builds run interleaved, so that load from elsewhere on the machine hits both alike; each
# build has its own class-data archive cache, dumped by a first run that is not counted.
#
#   bench/startup.sh [runs]                                   (default 15)
#   WALSTASH_BASELINE=/path/to/old/walstash bench/startup.sh 15
#
# Prints the median (min, max) wall time of each build in ms and, where strace is installed, how
# many of lib/'s jars one such call opens.
set -euo pipefail
runs=${1:-15}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
build_if_missing
launcher_work
builds=(current)
homes=("$work/walstash")
if [ -n "${WALSTASH_BASELINE:-}" ]; then
  cp -r "$WALSTASH_BASELINE" "$work/baseline"
  [ "$(id -u)" = 0 ] && chown -R postgres "$work/baseline"
  builds+=(baseline)
  homes+=("$work/baseline")
fi
mkdir -p "$work/repo" "$work/pg_wal"
[ "$(id -u)" = 0 ] && chown postgres "$work/repo" "$work/pg_wal"

call() { # build-index
  as_pg env WALSTASH_STORAGE="file://$work/repo" WALSTASH_DAEMON=off XDG_CACHE_HOME="$work/cache-$1" \
    "${homes[$1]}/bin/walstash" wal-fetch 000000010000000000000099 "$work/pg_wal/x" >/dev/null 2>&1 || [ $? = 74 ]
}
for i in "${!builds[@]}"; do call "$i"; done # dumps each build's archive
for _ in $(seq "$runs"); do
  for i in "${!builds[@]}"; do
    start=$(date +%s%N)
    call "$i"
    echo $(( ($(date +%s%N) - start) / 1000000 )) >> "$work/${builds[$i]}.ms"
  done
done
echo "machine: $(nproc) cores, $(java -version 2>&1 | head -n 1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for i in "${!builds[@]}"; do
  b=${builds[$i]}
  line="$b: one-shot wal-fetch (missing segment) median $(median < "$work/$b.ms") ms"
  line="$line (min $(sort -n "$work/$b.ms" | head -n 1), max $(sort -n "$work/$b.ms" | tail -n 1); $runs runs)"
  if command -v strace >/dev/null; then
    as_pg env WALSTASH_STORAGE="file://$work/repo" WALSTASH_DAEMON=off XDG_CACHE_HOME="$work/cache-$i" \
      strace -f -e trace=openat -o "$work/strace" "${homes[$i]}/bin/walstash" wal-fetch 000000010000000000000099 \
      "$work/pg_wal/x" >/dev/null 2>&1 || true
    line="$line; jars opened: $(grep -c '/lib/[^"]*\.jar"' "$work/strace" || true)"
  fi
  echo "$line"
done
