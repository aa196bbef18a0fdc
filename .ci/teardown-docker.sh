#!/usr/bin/env bash
# Stops the dockerd that .ci/setup-docker.sh started (and only that one); leaves an engine that already ran alone.
set -uo pipefail
STATE_DIR=/tmp/chanpay-ci-docker
marker="$STATE_DIR/started-by-ci"
[ -f "$marker" ] || exit 0
pid=$(cat "$marker")
rm -f "$marker"
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
# Containers an interrupted test run left behind: testcontainers' (label chanpay.test) and the scenario tests'
# compose projects (chanpay-test-*), with their volumes.
ids=$( { docker ps -aq --filter label=chanpay.test; docker ps -a --format '{{.ID}} {{.Label "com.docker.compose.project"}}' | awk '$2 ~ /^chanpay-test-/ {print $1}'; } 2>/dev/null | sort -u)
[ -n "$ids" ] && docker rm -f -v $ids >/dev/null 2>&1
vols=$(docker volume ls -q 2>/dev/null | grep '^chanpay-test-')
[ -n "$vols" ] && docker volume rm $vols >/dev/null 2>&1
if kill -0 "$pid" 2>/dev/null; then
  $SUDO kill -TERM "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && $SUDO kill -KILL "$pid"
fi
echo "docker: stopped the dockerd started by setup-docker.sh"
