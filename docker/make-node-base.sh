#!/usr/bin/env bash
# Makes the image local/node-base:<major> from this machine's own node binary, the shared libraries it links
# and busybox (for a shell), without any registry. Use it as the Dockerfiles' base where no registry is reachable:
#   docker build --build-arg NODE_IMAGE=local/node-base:20 --build-arg DEPS=host …
# Skips the work when an image with the same node version already exists (pass --force to rebuild).
set -euo pipefail
node_bin=$(readlink -f "$(command -v node)")
version=$("$node_bin" -p process.versions.node)
major=${version%%.*}
tag="local/node-base:$major"
recipe=2 # bump when this script changes what goes into the image
if [ "${1:-}" != "--force" ] && [ "$(docker image inspect -f '{{index .Config.Labels "node.version"}}/{{index .Config.Labels "chanpay.base-recipe"}}' "$tag" 2>/dev/null)" = "$version/$recipe" ]; then
  echo "$tag (node $version) already exists"
  exit 0
fi
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { echo "busybox not found (apt-get install busybox-static)"; exit 1; }
ldd "$busybox" >/dev/null 2>&1 && { echo "$busybox is dynamically linked; install busybox-static"; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,usr/local/bin,tmp,etc,home/node,app}
chmod 1777 "$root/tmp"
cp "$node_bin" "$root/usr/local/bin/node"
# The loader and every library node links, at the paths ldd reports.
for lib in $(ldd "$node_bin" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp "$busybox" "$root/bin/busybox"
for applet in sh ls cat env mkdir rm cp mv ln chmod chown id wget sleep echo test grep sed tail head ps kill; do
  ln -s busybox "$root/bin/$applet"
done
ln -s /bin/busybox "$root/usr/bin/env" # for #!/usr/bin/env node scripts
# CA certificates, so HTTPS clients in the image can verify servers when a network is there.
[ -f /etc/ssl/certs/ca-certificates.crt ] && mkdir -p "$root/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
# The same unprivileged user as the official node images (uid/gid 1000).
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
chown 1000:1000 "$root/home/node"

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change "ENV NODE_VERSION=$version" \
  --change "LABEL node.version=$version" \
  --change "LABEL chanpay.base-recipe=$recipe" \
  --change 'CMD ["node"]' \
  - "$tag" >/dev/null
echo "$tag (node $version) built: $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}')"
