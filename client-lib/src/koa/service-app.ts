import Koa from 'koa';
import type { Router } from '@koa/router';
import type { PaymentProvider } from '../provider/payment-provider';
import type { Logger } from '../logger';
import { errorMiddleware } from './error-middleware';
import { addProviderRoutes } from './provider-routes';

export interface ServiceAppOptions {
  logger?: Logger;
  /** A provider's `/redeem` and `/payout` are added when it takes payments (not in no-payment mode). */
  provider?: PaymentProvider | null;
  /** Guards `/redeem` (ADMIN_TOKEN); unset: open. */
  adminToken?: string;
}

/** A service's koa app: its routes (and a provider's own) behind the kit's error answers (`errorMiddleware`). */
export function createServiceApp(router: Router, opts: ServiceAppOptions = {}): Koa {
  if (opts.provider) addProviderRoutes(router, opts.provider, opts.adminToken);
  const app = new Koa();
  app.use(errorMiddleware(opts.logger));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
