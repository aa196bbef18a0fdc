import Koa from 'koa';
import type { Router } from '@koa/router';
import type { PaymentProvider } from '../provider/payment-provider';
import type { Logger } from '../logger';
import { errorMiddleware } from './error-middleware';
import { addProviderRoutes } from './provider-routes';
import { originContext } from './origin-context';
import { originsHandler } from './origins-route';
import type { OriginLedger } from '../origin/origin-ledger';
import { ServiceMetrics } from '../metrics/service-metrics';
import { addMetricsRoute, metricsMiddleware } from './metrics-middleware';

export interface ServiceAppOptions {
  logger?: Logger;
  /** A provider's `/redeem` and `/payout` are added when it takes payments (not in no-payment mode). */
  provider?: PaymentProvider | null;
  /** Guards `/redeem` (ADMIN_TOKEN); unset: open. */
  adminToken?: string;
  /** The service's own origin id: the root caller of requests that name none in their baggage. */
  serviceId: string;
  /** The records `GET /origins` answers besides the provider's: e.g. its consumers' (`PaymentConsumer.origins`). */
  originLedgers?: readonly OriginLedger[];
  /** Its Prometheus metrics (`GET /metrics`); default: a registry of its own named after `serviceId`. */
  metrics?: ServiceMetrics;
}

/** A service's koa app: its routes (and a provider's own) behind the kit's error answers (`errorMiddleware`). */
export function createServiceApp(router: Router, opts: ServiceAppOptions): Koa {
  if (opts.provider) addProviderRoutes(router, opts.provider, opts.adminToken);
  const ledgers = [...(opts.provider ? [opts.provider.origins] : []), ...(opts.originLedgers ?? [])];
  router.get(
    '/origins',
    originsHandler(() => ledgers),
  );
  const metrics = opts.metrics ?? new ServiceMetrics(opts.serviceId);
  addMetricsRoute(router, metrics);
  const app = new Koa();
  app.use(metricsMiddleware(metrics));
  app.use(errorMiddleware(opts.logger));
  // Before any route: a malformed baggage is refused before payment, and the handler's calls pass the origin on.
  app.use(originContext(opts.serviceId));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
