#!/usr/bin/env bash
# Makes the image local/prometheus-base:<version> from this machine's own prometheus program (Debian's package:
# `apt-get install prometheus`, or .ci/setup-prometheus.sh), the shared libraries it links and busybox (a shell,
# wget for the health check), without any registry. docker/prometheus.Dockerfile builds on it where no registry
# is reachable:
#   docker build -f docker/prometheus.Dockerfile --build-arg PROMETHEUS_BASE=local/prometheus-base:<version> --build-arg PROMETHEUS_FROM=base …
# Skips the work when an image of the same prometheus version already exists (pass --force to rebuild).
set -euo pipefail
bin=$(readlink -f "$(command -v "${PROMETHEUS_BIN:-prometheus}")" 2>/dev/null || true)
[ -n "$bin" ] && [ -x "$bin" ] || { echo "prometheus not found (apt-get install prometheus, or bash .ci/setup-prometheus.sh)"; exit 1; }
version=$("$bin" --version 2>&1 | sed -n 's/^prometheus, version \([^ ]*\).*/\1/p' | head -1)
[ -n "$version" ] || { echo "$bin --version did not say its version"; exit 1; }
# A tag may not hold '+' (Debian's 2.42.0+ds).
tag="local/prometheus-base:${version%%+*}"
recipe=1 # bump when this script changes what goes into the image
if [ "${1:-}" != "--force" ] && [ "$(docker image inspect -f '{{index .Config.Labels "prometheus.version"}}/{{index .Config.Labels "chanpay.base-recipe"}}' "$tag" 2>/dev/null)" = "$version/$recipe" ]; then
  echo "$tag (prometheus $version) already exists"
  exit 0
fi
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { echo "busybox not found (apt-get install busybox-static)"; exit 1; }
ldd "$busybox" >/dev/null 2>&1 && { echo "$busybox is dynamically linked; install busybox-static"; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,tmp,etc,prometheus}
chmod 1777 "$root/tmp"
cp "$bin" "$root/usr/bin/prometheus"
# The loader and every library prometheus links (Debian's build: libc only), at the paths ldd reports.
for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp "$busybox" "$root/bin/busybox"
for applet in sh ls cat env mkdir rm cp mv chmod chown id wget sleep echo test grep sed tr tail head ps kill; do
  ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
chown 65534:65534 "$root/prometheus"

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/bin:/bin' \
  --change "LABEL prometheus.version=$version" \
  --change "LABEL chanpay.base-recipe=$recipe" \
  --change 'CMD ["prometheus", "--version"]' \
  - "$tag" >/dev/null
echo "$tag (prometheus $version) built: $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}')"
