#!/bin/sh
# The Prometheus image's entry point: writes prometheus.yml from the environment, then runs prometheus.
#   PROMETHEUS_TARGETS   space-separated name=host:port, one per process to scrape (its /metrics); each target is
#                        labelled part=<name>
#   PROMETHEUS_TOKEN_<name, - as _>  the bearer token of a target that needs one (a payment server); written to
#                        a file of mode 600 that the configuration names (credentials_file), never into the YAML
#   PROMETHEUS_PORT (9090), PROMETHEUS_LISTEN (0.0.0.0), PROMETHEUS_SCRAPE_INTERVAL (5s)
# Targets without a token go into one job, chanpay-services; each with a token gets a job of its own,
# chanpay-payment-servers/<name> (what `npm run scenario -- prometheus` writes too, docs/observability.md).
set -eu
: "${PROMETHEUS_TARGETS:?set PROMETHEUS_TARGETS, e.g. public=public:8003}"
dir=/tmp/chanpay-prometheus
umask 077
mkdir -p "$dir"
config="$dir/prometheus.yml"
{
  echo "global:"
  echo "  scrape_interval: ${PROMETHEUS_SCRAPE_INTERVAL:-5s}"
  echo "  scrape_timeout: ${PROMETHEUS_SCRAPE_INTERVAL:-5s}"
  echo "scrape_configs:"
  echo "  - job_name: chanpay-services"
  echo "    static_configs:"
} >"$config"
authed=""
for t in $PROMETHEUS_TARGETS; do
  name=${t%%=*}
  address=${t#*=}
  var="PROMETHEUS_TOKEN_$(echo "$name" | tr -- '-.' '__')"
  eval "token=\${$var:-}"
  if [ -n "$token" ]; then
    printf '%s' "$token" >"$dir/$name.token"
    authed="$authed $t"
  else
    printf '      - targets: ["%s"]\n        labels: { part: "%s" }\n' "$address" "$name" >>"$config"
  fi
done
for t in $authed; do
  name=${t%%=*}
  address=${t#*=}
  printf '  - job_name: chanpay-payment-servers/%s\n    authorization: { type: Bearer, credentials_file: "%s" }\n    static_configs:\n      - targets: ["%s"]\n        labels: { part: "%s" }\n' \
    "$name" "$dir/$name.token" "$address" "$name" >>"$config"
done
exec prometheus --config.file="$config" --storage.tsdb.path=/prometheus \
  --web.listen-address="${PROMETHEUS_LISTEN:-0.0.0.0}:${PROMETHEUS_PORT:-9090}"
