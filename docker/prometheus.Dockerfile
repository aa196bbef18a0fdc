# Prometheus for the `metrics` compose scenario (compose/docker-compose.prometheus.yml): Debian's package, and an
# entry point that writes the scrape configuration from the environment (docker/prometheus-entrypoint.sh).
#
# Users (Debian's image and mirror reachable; the build context is the repository root):
#   docker build -f docker/prometheus.Dockerfile -t chanpay/prometheus .
# Machines without a registry: a base made from this machine's own prometheus program by
# docker/make-prometheus-base.sh (`npm run scenario -- build` does both):
#   --build-arg PROMETHEUS_BASE=local/prometheus-base:2.42.0 --build-arg PROMETHEUS_FROM=base
# No token goes into the image: the payment servers' tokens come from the environment at run time.

ARG PROMETHEUS_BASE=debian:bookworm-slim
FROM ${PROMETHEUS_BASE}
# apt: install Debian's package here; base: the base image already holds /usr/bin/prometheus and busybox.
ARG PROMETHEUS_FROM=apt
RUN if [ "$PROMETHEUS_FROM" = apt ]; then \
      apt-get update && apt-get install -y --no-install-recommends prometheus wget && rm -rf /var/lib/apt/lists/*; \
    fi && \
    prometheus --version && mkdir -p /prometheus && chown 65534:65534 /prometheus
COPY docker/prometheus-entrypoint.sh /usr/local/bin/chanpay-prometheus
ENV PROMETHEUS_PORT=9090 PROMETHEUS_SCRAPE_INTERVAL=5s
USER 65534
EXPOSE 9090
HEALTHCHECK --interval=2s --timeout=3s --start-period=30s --retries=3 CMD wget -q -O /dev/null "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
ENTRYPOINT ["/bin/sh", "/usr/local/bin/chanpay-prometheus"]
