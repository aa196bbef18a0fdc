#!/usr/bin/env bash
# Installs Debian's chromium for the visualizer's browser test (visualizer/test/e2e.test.ts, driven by
# playwright-core, which cannot download a browser here). Idempotent and quiet: one line of output.
set -uo pipefail
CHROMIUM=/usr/bin/chromium
version() { "$CHROMIUM" --version 2>/dev/null | head -1; }

if [ -x "$CHROMIUM" ]; then
  echo "chromium already installed: $(version)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: no apt-get on this machine; the visualizer e2e test will skip"
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "chromium: not root and no password-less sudo; the visualizer e2e test will skip"
    exit 1
  fi
fi
log=$(mktemp)
export DEBIAN_FRONTEND=noninteractive
if $SUDO apt-get update -qq >"$log" 2>&1 && $SUDO apt-get install -y -qq chromium >>"$log" 2>&1 && [ -x "$CHROMIUM" ]; then
  echo "chromium installed: $(version)"
  rm -f "$log"
else
  echo "chromium: apt-get install failed (log: $log); the visualizer e2e test will skip"
  exit 1
fi
