#!/usr/bin/env bash
# Times `walstash wal-push` of one real 16 MiB WAL segment to a file:// repository (zstd),
# beside `cp` + sync of the same file, and reports medians and peak RSS.
#
#   bench/wal-push.sh [runs]        (default 9 runs; builds the launcher if it is missing)
#
# The segment comes from a throwaway PostgreSQL cluster loaded with pgbench, so its
# compressibility is that of real WAL. Needs PostgreSQL binaries (PG_BIN or /usr/lib/postgresql/*/bin)
# and GNU time (/usr/bin/time).
set -euo pipefail
runs=${1:-9}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
build_if_missing
launcher="$here/cli/target/walstash/bin/walstash"

# shellcheck source=bench/real-segment.sh
. "$here/bench/real-segment.sh"

now_ms() { date +%s%3N; }

push_ms=(); push_rss=(); cp_ms=()
for i in $(seq "$runs"); do
  repo="$work/repo-$i"
  start=$(now_ms)
  /usr/bin/time -f '%M' -o "$work/rss" "$launcher" wal-push --storage "file://$repo" --compression zstd "$work/wal/$segment" 2>"$work/push.err" \
    || { cat "$work/push.err" >&2; exit 1; }
  push_ms+=($(( $(now_ms) - start )))
  push_rss+=($(cat "$work/rss"))
  stored=$(stat -c %s "$repo/wal/$segment.zst")

  start=$(now_ms)
  cp "$work/wal/$segment" "$work/copy-$i" && sync -f "$work/copy-$i"
  cp_ms+=($(( $(now_ms) - start )))
done

p=$(printf '%s\n' "${push_ms[@]}" | median)
c=$(printf '%s\n' "${cp_ms[@]}" | median)
r=$(printf '%s\n' "${push_rss[@]}" | sort -n | tail -n 1)
echo "segment:        $segment, 16 MiB of pgbench WAL, stored as $stored bytes with zstd"
echo "wal-push:       median $p ms over $runs runs (all: ${push_ms[*]})"
echo "cp + sync:      median $c ms over $runs runs (all: ${cp_ms[*]})"
echo "peak RSS:       $((r / 1024)) MiB (wal-push, max over runs)"
echo "machine:        $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -n 1)"
