#!/bin/sh
# The entrypoint of local/postgres-base (docker/postgres/make-base.sh): the part of the official image's
# docker-entrypoint.sh that chanpay relies on. On the first start (an empty PGDATA) it runs initdb with
# POSTGRES_USER (default postgres) and POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE), password authentication
# (scram-sha-256) for every TCP client, creates POSTGRES_DB (default: the user's name) and runs
# /docker-entrypoint-initdb.d/*.sh (sourced) and *.sql against a server that listens on the socket only. Then it
# runs the command: `postgres [options]` (options alone are given to postgres), listening on every address.
set -eu
file_env() {
  eval "file=\${${1}_FILE:-}"
  if [ -n "$file" ]; then
    value=$(cat "$file")
    export "$1=$value"
  fi
}
case "${1:-postgres}" in -*) set -- postgres "$@" ;; esac
if [ "${1:-postgres}" = postgres ]; then
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER
  export POSTGRES_USER="${POSTGRES_USER:-postgres}"
  export POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
      echo "Database is uninitialized and POSTGRES_PASSWORD is not set (or POSTGRES_PASSWORD_FILE)" >&2
      exit 1
    fi
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    printf "host all all all scram-sha-256\n" >>"$PGDATA/pg_hba.conf"
    printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
    pg_ctl -D "$PGDATA" -w -s -o "-c listen_addresses=''" start
    if [ "$POSTGRES_DB" != postgres ]; then
      psql -v ON_ERROR_STOP=1 -q --username "$POSTGRES_USER" --dbname postgres -c "CREATE DATABASE \"$POSTGRES_DB\""
    fi
    for f in /docker-entrypoint-initdb.d/*; do
      case "$f" in
        *.sh) echo "running $f"; . "$f" ;;
        *.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 -q --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f "$f" ;;
      esac
    done
    pg_ctl -D "$PGDATA" -m fast -w -s stop
    echo "PostgreSQL init process complete; ready for start up."
  fi
fi
exec "$@"
