#!/usr/bin/env bash
# Makes Debian's prometheus program available for the Prometheus scenario's test (scripts/test/prometheus-scenario.test.ts).
# It installs the package when missing and starts nothing: the test starts its own prometheus on 127.0.0.1 and
# stops it. Prints one line; when it cannot be installed it says so and exits 1 (that test then skips and says why).
set -uo pipefail
if command -v prometheus >/dev/null 2>&1; then
  echo "prometheus: $(prometheus --version 2>&1 | head -1) present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && SUDO="sudo -n"
if ! command -v apt-get >/dev/null 2>&1 || { [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; }; then
  echo "prometheus: missing and cannot be installed here (needs apt-get as root); its test will skip"
  exit 1
fi
log=$(mktemp)
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d keeps the package from starting the system service: the test needs only the program.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy" && created_policy=1; fi
if { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends prometheus; } >"$log" 2>&1 && command -v prometheus >/dev/null 2>&1; then
  echo "prometheus: installed $(prometheus --version 2>&1 | head -1)"
  status=0
else
  echo "prometheus: apt-get install prometheus failed (log: $log); its test will skip"
  status=1
fi
[ "$created_policy" = 1 ] && $SUDO rm -f "$policy"
exit $status
