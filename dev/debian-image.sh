#!/usr/bin/env bash
# debian-image.sh NAME:SUITE-TAG: makes the raw Debian image NAME (e.g. walstash-dev/debian:bookworm,
# the tag is the suite) in the engine at DOCKER_HOST, unless it is there: debootstrap
# --variant=minbase from deb.debian.org, then docker import. No registry is needed. A lock keeps two
# builders from making it twice.
set -euo pipefail
image=$1
suite=${image##*:}
exec 9>"${TMPDIR:-/tmp}/walstash-debian-image-$(id -u)-$suite.lock"
flock 9
if docker image inspect "$image" >/dev/null 2>&1; then echo "$image is there"; exit 0; fi
root=$(mktemp -d /tmp/walstash-debootstrap-XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase "$suite" "$root" http://deb.debian.org/debian
tar -C "$root" -c . | docker import - "$image"
echo "built $image"
