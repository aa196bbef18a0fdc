import type { Middleware } from 'koa';
import type { Router } from '@koa/router';
import { runWithServiceMetrics, type ServiceMetrics } from '../metrics/service-metrics';

/** Where `paymentRequired` finds the service's metrics (set by `metricsMiddleware`). */
export const METRICS_STATE = 'metrics';

/**
 * Counts and times every request by route pattern and status, and serves it with `metrics` as the current
 * service's (for `paymentRequired` and the upstream client). Put it first, so that it sees the final status.
 */
export function metricsMiddleware(metrics: ServiceMetrics): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    ctx.state[METRICS_STATE] = metrics;
    try {
      await runWithServiceMetrics(metrics, () => next());
    } finally {
      const labels = { route: (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched', status: String(ctx.status) };
      metrics.httpRequests.inc(labels);
      metrics.httpSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}

/** `GET /metrics`: the Prometheus exposition text, without a token (it holds no key, token or voucher). */
export function addMetricsRoute(router: Router, metrics: ServiceMetrics): void {
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
}
