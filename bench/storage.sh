#!/usr/bin/env bash
# Push and fetch of 16 MiB WAL segments (zstd) and of one 1 GiB object against each backend's
# local server: file://, s3proxy (embedded), Azurite (npm), and the GCS JSON-API test server.
# Prints a Markdown table (medians of 5 for segments, one run for 1 GiB).
#
#   bench/storage.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
# one reactor build, so that the class path names the modules' freshly built jars and test-jars
mvn -q -B -pl cli -am -DskipTests package dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath >/dev/null
cp="cli/target/classes:cli/target/test-classes:$(cat cli/target/bench.classpath)"
java -Xmx12g -XX:+UseParallelGC -cp "$cp" io.walstash.cli.bench.StorageBench
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -n 1)"
