import type Koa from 'koa';
import { Router } from '@koa/router';
import { gwei } from '@chanpay/protocol';
import type { PaymentProvider, Logger } from '@chanpay/client-lib';
import { createKoaPayments, createServiceApp, type Price } from '@chanpay/client-lib/koa';
import { startProviderService, type ProviderServiceOptions } from '@chanpay/client-lib/service-kit';

export const DEFAULT_PORT = 8002;
export const DEFAULT_PRICE = gwei(1);

export interface RandomNumberServiceOptions extends ProviderServiceOptions {
  /** Per call; default 1 gwei. */
  price?: Price;
  /** Token of the administrative routes (/redeem, /init, /terminate); unset: open (ADMIN_TOKEN). */
  adminToken?: string;
  logger?: Logger;
}

export interface RunningService {
  url: string;
  provider: PaymentProvider | null;
  stop(): Promise<void>;
}

/** Builds the app; `provider` null runs it without payments (same routes and code path otherwise). */
export function createRandomNumberApp(
  provider: PaymentProvider | null,
  price: Price = DEFAULT_PRICE,
  logger?: Logger,
  adminToken?: string,
): Koa {
  const router = new Router();
  const { paymentRequired } = createKoaPayments(provider);
  router.get('/status', (ctx) => {
    ctx.body = { status: 'ok', service: 'random-number', payment: provider ? provider.mode : 'off' };
  });
  router.get('/randomNumber', paymentRequired(price), (ctx) => {
    ctx.body = { number: Math.random() };
  });
  return createServiceApp(router, { logger, provider, adminToken, serviceId: 'random-number' });
}

/** Starts the service (port 0 picks a free one; default 8002). */
export function startRandomNumberService(opts: RandomNumberServiceOptions): Promise<RunningService> {
  return startProviderService(opts, DEFAULT_PORT, (provider) => ({
    app: createRandomNumberApp(provider, opts.price ?? DEFAULT_PRICE, opts.logger, opts.adminToken),
  }));
}
