#!/usr/bin/env bash
# Removes Swarm labs (engines in network namespaces) whose test process is gone: what an interrupted or killed
# test run left. Labs of processes that still run are left alone.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d "${CHANPAY_SWARM_DIR:-/tmp/chanpay-swarm}" ] || exit 0
npx --no-install tsx scripts/swarm/cli.ts down 2>&1 | sed 's/^/swarm: /'
