#!/usr/bin/env bash
# Brings up a Docker engine for the compose scenarios and testcontainers tests (integration-tests/test/docker-*.test.ts):
# installs Debian's docker.io + docker-compose when missing, starts dockerd when none answers, builds the local
# node base image from this machine's node binary (no registry can be reached here) and the project images on it.
# Idempotent. Prints a few lines; if the engine cannot start it says so in one line and exits 1 (the tests skip).
set -uo pipefail
cd "$(dirname "$0")/.."
STATE_DIR=/tmp/chanpay-ci-docker
DATA_ROOT=${CHANPAY_DOCKER_DATA_ROOT:-/var/lib/chanpay-docker}
mkdir -p "$STATE_DIR"

engine_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
fi

# What is missing: the engine (unless one already answers), Compose (v1 or the v2 plugin), a static busybox.
need=()
engine_up || command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || need+=(docker-compose)
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1 || { [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; }; then
    echo "docker: ${need[*]} missing and cannot be installed here (needs apt-get as root); the Docker tests will skip"
    exit 1
  fi
  log="$STATE_DIR/apt.log"
  export DEBIAN_FRONTEND=noninteractive
  if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
    echo "docker: apt-get install ${need[*]} failed (log: $log); the Docker tests will skip"
    exit 1
  fi
fi

if engine_up; then
  echo "docker: an engine already runs ($(docker version --format '{{.Server.Version}}' 2>/dev/null)); using it"
else
  mkdir -p "$DATA_ROOT"
  $SUDO dockerd --data-root "$DATA_ROOT" --pidfile "$STATE_DIR/dockerd.pid" >"$STATE_DIR/dockerd.log" 2>&1 &
  echo $! >"$STATE_DIR/started-by-ci"
  for _ in $(seq 1 60); do
    engine_up && break
    kill -0 "$(cat "$STATE_DIR/started-by-ci")" 2>/dev/null || break
    sleep 0.5
  done
  if ! engine_up; then
    echo "docker: dockerd did not start (log: $STATE_DIR/dockerd.log: $(tail -1 "$STATE_DIR/dockerd.log" 2>/dev/null)); the Docker tests will skip"
    bash .ci/teardown-docker.sh >/dev/null 2>&1
    exit 1
  fi
  echo "docker: started dockerd $(docker version --format '{{.Server.Version}}') (data root $DATA_ROOT)"
fi

# The base image: this machine's node binary and the libraries it links, plus busybox for a shell.
if ! bash docker/make-node-base.sh >"$STATE_DIR/node-base.log" 2>&1; then
  echo "docker: building the local node base image failed (log: $STATE_DIR/node-base.log); the Docker tests will skip"
  exit 1
fi

# The project images, once, so the tests reuse them (the build uses layer caching: seconds when unchanged).
start=$(date +%s)
if npx --no-install tsx scripts/scenario.ts build --quiet >"$STATE_DIR/build.log" 2>&1; then
  echo "docker: images built in $(($(date +%s) - start)) s"
else
  echo "docker: building the images failed (log: $STATE_DIR/build.log: $(tail -1 "$STATE_DIR/build.log")); the Docker tests will fail"
  exit 1
fi
