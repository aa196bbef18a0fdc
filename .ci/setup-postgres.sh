#!/usr/bin/env bash
# Makes PostgreSQL's server programs available for the tests that run on PostgreSQL (the payment server's store,
# provider replicas). It installs Debian's postgresql package when missing and starts nothing: every test starts
# its own throwaway server on 127.0.0.1 with a fresh data directory (@chanpay/devkit startPostgres) and removes it.
# Prints one line; when the programs cannot be installed it says so and exits 1 (those tests then skip and say why).
set -uo pipefail
have_server() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
if have_server; then
  echo "postgres: $(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1) present; tests start their own servers"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && SUDO="sudo -n"
if ! command -v apt-get >/dev/null 2>&1 || { [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; }; then
  echo "postgres: server programs missing and cannot be installed here (needs apt-get as root); PostgreSQL tests will skip"
  exit 1
fi
log=$(mktemp)
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d keeps the package from starting the system cluster: the tests need only the programs.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy" && created_policy=1; fi
if { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends postgresql; } >"$log" 2>&1 && have_server; then
  echo "postgres: installed $(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); tests start their own servers"
  status=0
else
  echo "postgres: apt-get install postgresql failed (log: $log); PostgreSQL tests will skip"
  status=1
fi
[ "$created_policy" = 1 ] && $SUDO rm -f "$policy"
exit $status
