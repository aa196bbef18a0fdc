#!/usr/bin/env bash
# Makes the image local/postgres-base:<major> from this machine's PostgreSQL (Debian's postgresql package, as
# .ci/setup-postgres.sh installs it), the shared libraries it links and busybox (for a shell), without any
# registry. It stands in for the official `postgres` image where none can be pulled: the same interface for what
# chanpay uses (POSTGRES_USER, POSTGRES_PASSWORD[_FILE], POSTGRES_DB, PGDATA, /docker-entrypoint-initdb.d/*.sh and
# *.sql on the first start, CMD ["postgres"], uid 999). Used as the base of docker/postgres/Dockerfile:
#   docker build -f docker/postgres/Dockerfile --build-arg POSTGRES_IMAGE=local/postgres-base:15 …
# Skips the work when an image of the same PostgreSQL version and recipe exists (pass --force to rebuild).
set -euo pipefail
if [ "${1:-}" = "--help" ]; then
  echo "usage: bash docker/postgres/make-base.sh [--force]"
  echo "Makes local/postgres-base:<major> from this machine's PostgreSQL (CHANPAY_PG_BIN, else /usr/lib/postgresql/<newest>/bin)."
  echo "--force rebuilds it even when an image of the same version and recipe exists."
  exit 0
fi
[ -z "${1:-}" ] || [ "$1" = "--force" ] || { echo "unknown option $1 (try --help)" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
bindir=${CHANPAY_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$bindir/postgres" ] || { echo "PostgreSQL's server programs not found (bash .ci/setup-postgres.sh installs them)"; exit 1; }
major=$(basename "$(dirname "$bindir")")
version=$("$bindir/postgres" --version | awk '{print $3}')
tag="local/postgres-base:$major"
recipe=1 # bump when this script or entrypoint.sh changes what goes into the image
if [ "${1:-}" != "--force" ] && [ "$(docker image inspect -f '{{index .Config.Labels "postgres.version"}}/{{index .Config.Labels "chanpay.base-recipe"}}' "$tag" 2>/dev/null)" = "$version/$recipe" ]; then
  echo "$tag (PostgreSQL $version) already exists"
  exit 0
fi
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { echo "busybox not found (apt-get install busybox-static)"; exit 1; }
ldd "$busybox" >/dev/null 2>&1 && { echo "$busybox is dynamically linked; install busybox-static"; exit 1; }
share=/usr/share/postgresql/$major
libdir=$(dirname "$bindir")/lib
[ -d "$share" ] || { echo "$share missing"; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,tmp,etc,var/lib/postgresql/data,var/run/postgresql,docker-entrypoint-initdb.d,usr/share}
chmod 1777 "$root/tmp"
mkdir -p "$root$(dirname "$bindir")"
programs=(postgres initdb pg_ctl pg_isready psql)
mkdir -p "$root$bindir"
for p in "${programs[@]}"; do cp "$bindir/$p" "$root$bindir/"; done
cp -a "$libdir" "$root$libdir"
mkdir -p "$root$(dirname "$share")"
cp -a "$share" "$root$share"
cp -a /usr/share/zoneinfo "$root/usr/share/"
# The loader and every library the programs and PostgreSQL's own modules link, at the paths ldd reports.
for lib in $( { for p in "${programs[@]}"; do ldd "$bindir/$p"; done; for m in "$libdir"/*.so; do ldd "$m" 2>/dev/null || true; done; } | grep -o '/[^ ]*' | sort -u); do
  case "$lib" in "$libdir"/*) continue ;; esac
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp "$busybox" "$root/bin/busybox"
for applet in sh ls cat env mkdir rm cp mv ln chmod chown id sleep echo test grep sed tail head ps kill tr mktemp printf; do
  ln -s busybox "$root/bin/$applet"
done
ln -s /bin/busybox "$root/usr/bin/env"
cp "$here/entrypoint.sh" "$root/usr/bin/docker-entrypoint.sh"
chmod 755 "$root/usr/bin/docker-entrypoint.sh"
# The official image's postgres user: uid/gid 999, home /var/lib/postgresql.
printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999::/var/lib/postgresql:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\npostgres:x:999:\nnogroup:x:65534:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
chown -R 999:999 "$root/var/lib/postgresql" "$root/var/run/postgresql"
chmod 700 "$root/var/lib/postgresql/data"
chmod 2777 "$root/var/run/postgresql"

tar -C "$root" -c . | docker import \
  --change "ENV PATH=$bindir:/usr/bin:/bin" \
  --change 'ENV PGDATA=/var/lib/postgresql/data' \
  --change 'ENV TZ=UTC' \
  --change "ENV PG_MAJOR=$major" \
  --change "LABEL postgres.version=$version" \
  --change "LABEL chanpay.base-recipe=$recipe" \
  --change 'USER postgres' \
  --change 'VOLUME /var/lib/postgresql/data' \
  --change 'EXPOSE 5432' \
  --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
  --change 'CMD ["postgres"]' \
  - "$tag" >/dev/null
echo "$tag (PostgreSQL $version) built: $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}')"
