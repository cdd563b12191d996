#!/usr/bin/env bash
# with-docker.sh COMMAND...: runs COMMAND with a Docker engine for the container tests
# (cli's PostgreSQL version matrix, examples/deploy's image and Compose tests). An engine that already answers at DOCKER_HOST is
# used as it is; otherwise Debian's dockerd is started for the duration of COMMAND, with its socket
# in a private (0700) directory and its image store in ~/.cache/walstash/docker so that images
# built once are reused by the next run, and it is always stopped when COMMAND ends. The images
# the container tests run are made meanwhile, in the background (dev/postgres-image.sh,
# dev/debian-image.sh); the tests wait for them, bounded.
# Needs, when no engine answers: root, and Debian's docker.io, docker-compose and debootstrap.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || { echo "usage: dev/with-docker.sh COMMAND..." >&2; exit 2; }

engine=""
stop_engine() {
  if [ -n "$engine" ]; then
    kill "$engine" 2>/dev/null || true
    # dockerd stops its containers first; bounded
    for _ in $(seq 1 60); do kill -0 "$engine" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$engine" 2>/dev/null || true
    rm -rf "$private"
  fi
}
if [ -n "${DOCKER_HOST:-}" ] && docker info >/dev/null 2>&1; then
  echo "with-docker: using the engine at $DOCKER_HOST"
else
  for tool in dockerd docker docker-compose debootstrap; do
    command -v "$tool" >/dev/null || { echo "with-docker: $tool is not installed (apt-get install docker.io docker-compose debootstrap)" >&2; exit 2; }
  done
  [ "$(id -u)" = 0 ] || { echo "with-docker: starting dockerd needs root; or set DOCKER_HOST to a running engine" >&2; exit 2; }
  private=$(mktemp -d /tmp/walstash-docker-XXXXXX)
  chmod 700 "$private"
  data="${WALSTASH_DOCKER_DATA:-$HOME/.cache/walstash/docker}"
  mkdir -p "$data"
  dockerd --data-root "$data" --exec-root "$private/exec" -H "unix://$private/docker.sock" \
    --pidfile "$private/dockerd.pid" >"$private/dockerd.log" 2>&1 &
  engine=$!
  trap stop_engine EXIT
  export DOCKER_HOST="unix://$private/docker.sock"
  for _ in $(seq 1 120); do docker info >/dev/null 2>&1 && break; kill -0 "$engine" 2>/dev/null || break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "with-docker: dockerd did not answer within 60 s:" >&2; tail -n 20 "$private/dockerd.log" >&2; exit 10; }
  echo "with-docker: started dockerd (pid $engine, images in $data)"
fi
export TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=localhost
export WALSTASH_IT_DEBIAN_IMAGE="${WALSTASH_IT_DEBIAN_IMAGE:-walstash-dev/debian:bookworm}"
# the images are built while Maven compiles and runs the unit tests: first PostgreSQL 13 and 17 for
# cli's version matrix (PostgresVersionMatrixIT), then the raw Debian image examples/deploy's tests
# build on (they run last) and their PostgreSQL base layer (the same build as DeployImages.build's,
# which then finds it in the engine's cache instead of running apt-get while the tests wait); each
# test also asks for its image itself, waiting on the same lock
mkdir -p "$HOME/.cache/walstash"
{
  "$here/postgres-image.sh" 13 && "$here/postgres-image.sh" 17
  "$here/debian-image.sh" "$WALSTASH_IT_DEBIAN_IMAGE" &&
    docker build -q --build-arg "DEBIAN_IMAGE=$WALSTASH_IT_DEBIAN_IMAGE" -t walstash-it/postgres-base:debian \
      "$here/../examples/src/test/deploy/postgres-base"
} >"$HOME/.cache/walstash/container-images.log" 2>&1 &
image_builder=$!
set +e
"$@"
status=$?
set -e
wait "$image_builder" 2>/dev/null || true
exit $status
