#!/usr/bin/env bash
# postgres-image.sh MAJOR: makes walstash-it/postgres:MAJOR, PostgreSQL MAJOR from Debian's own
# packages with a JRE (cli/src/test/containers/postgres), in the engine at DOCKER_HOST, unless it is
# there. Each version comes from the Debian release that ships it: 13 bullseye, 15 bookworm, 17
# trixie; the raw Debian image is made first (dev/debian-image.sh). A lock keeps the background
# builder (dev/with-docker.sh) and a test asking for the image from building it twice.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
major=$1
case "$major" in
  13) suite=bullseye ;;
  15) suite=bookworm ;;
  17) suite=trixie ;;
  *) echo "postgres-image: no Debian release ships PostgreSQL $major (13 bullseye, 15 bookworm, 17 trixie)" >&2; exit 2 ;;
esac
image="walstash-it/postgres:$major"
exec 8>"${TMPDIR:-/tmp}/walstash-postgres-image-$(id -u)-$major.lock"
flock 8
if docker image inspect "$image" >/dev/null 2>&1; then echo "$image is there"; exit 0; fi
"$here/debian-image.sh" "walstash-dev/debian:$suite"
docker build -q --build-arg "DEBIAN_IMAGE=walstash-dev/debian:$suite" --build-arg "PG_MAJOR=$major" \
  -t "$image" "$here/../cli/src/test/containers/postgres"
echo "built $image"
