#!/usr/bin/env bash
# Prepares the multi-node Swarm test (integration-tests/test/swarm): Docker engines in network namespaces need
# root, iproute2 (ip netns, veth, bridge, vxlan), util-linux (nsenter, unshare) and the kernel's VXLAN support.
# Installs what is missing, loads the vxlan module where the kernel has loadable modules, removes labs an
# interrupted run left, then runs the lab's probe. In CI the test does not skip: if this machine cannot run it,
# this script says why in one line and exits 1, and the test fails with the same reason.
set -uo pipefail
cd "$(dirname "$0")/.."
STATE_DIR=/tmp/chanpay-ci-swarm
mkdir -p "$STATE_DIR"

if [ "$(id -u)" -ne 0 ]; then
  echo "swarm: needs root (network namespaces, dockerd); the Swarm test will fail in CI"
  exit 1
fi

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
{ command -v nsenter >/dev/null 2>&1 && command -v unshare >/dev/null 2>&1; } || need+=(util-linux)
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "swarm: ${need[*]} missing and no apt-get to install them"
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$STATE_DIR/apt.log" 2>&1; then
    echo "swarm: apt-get install ${need[*]} failed (log: $STATE_DIR/apt.log)"
    exit 1
  fi
fi

# Built into this project's kernels (no module support at all there); elsewhere it may be a module.
if [ -d /lib/modules/"$(uname -r)" ] && command -v modprobe >/dev/null 2>&1; then
  modprobe vxlan 2>/dev/null || true
fi

npx --no-install tsx scripts/swarm/cli.ts down >"$STATE_DIR/down.log" 2>&1 || true
if ! npx --no-install tsx scripts/swarm/cli.ts probe >"$STATE_DIR/probe.log" 2>&1; then
  echo "swarm: the probe did not run (log: $STATE_DIR/probe.log: $(tail -1 "$STATE_DIR/probe.log"))"
  exit 1
fi
if grep -q '^FAIL' "$STATE_DIR/probe.log"; then
  echo "swarm: this machine cannot run the Swarm lab: $(grep -m1 '^FAIL' "$STATE_DIR/probe.log" | cut -c6-)"
  exit 1
fi
echo "swarm: namespaces, veths, bridge and VXLAN work$(grep -q 'ipvs.*absent' "$STATE_DIR/probe.log" && echo '; no IPVS (host-mode ports, dnsrr)')"
