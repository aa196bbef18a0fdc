import type Koa from 'koa';
import { Router } from '@koa/router';
import { ChanpayError, gwei } from '@chanpay/protocol';
import type { Logger, PaymentProvider } from '@chanpay/client-lib';
import { createKoaPayments, createServiceApp, type PaymentState, type Price } from '@chanpay/client-lib/koa';
import { startProviderService, type ProviderServiceOptions } from '@chanpay/client-lib/service-kit';
import { NumberStore } from './store';

export { NumberStore } from './store';
export const DEFAULT_PORT = 8001;
export const DEFAULT_PRICE = gwei(2);
export const DEFAULT_DB_PATH = 'data/persistence.db';

export interface PersistenceServiceOptions extends ProviderServiceOptions {
  /** SQLite file; default data/persistence.db. */
  dbPath?: string;
  /** Per call; default 2 gwei. */
  price?: Price;
  /** Token of the administrative routes (/redeem, /init, /terminate); unset: open (ADMIN_TOKEN). */
  adminToken?: string;
  logger?: Logger;
}

export interface RunningPersistenceService {
  url: string;
  provider: PaymentProvider | null;
  store: NumberStore;
  stop(): Promise<void>;
}

const NUMBER_RE = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Builds the app; `provider` null runs it without payments (same routes and code path otherwise). */
export function createPersistenceApp(
  store: NumberStore,
  provider: PaymentProvider | null,
  price: Price = DEFAULT_PRICE,
  logger?: Logger,
  adminToken?: string,
): Koa {
  const router = new Router();
  const { paymentRequired } = createKoaPayments(provider);
  router.get('/status', (ctx) => {
    ctx.body = { status: 'ok', service: 'persistence', payment: provider ? provider.mode : 'off', saved: store.count() };
  });
  router.get(
    '/save',
    // A malformed request is refused before payment, so it is never charged.
    async (ctx, next) => {
      const nr = ctx.query.nr;
      if (typeof nr !== 'string' || nr.length > 64 || !NUMBER_RE.test(nr) || !Number.isFinite(Number(nr))) {
        throw new ChanpayError('VALIDATION_ERROR', 'nr must be one finite decimal number');
      }
      ctx.state.nr = Number(nr);
      await next();
    },
    paymentRequired(price),
    (ctx) => {
      const payment = ctx.state.payment as PaymentState;
      const saved = store.save(ctx.state.nr as number, payment.idempotencyKey);
      ctx.status = 201;
      ctx.body = { saved: ctx.state.nr as number, id: saved.id, created: saved.created };
    },
  );
  return createServiceApp(router, { logger, provider, adminToken, serviceId: 'persistence' });
}

/** Starts the service (port 0 picks a free one; default 8001) on its SQLite file, closed when it stops. */
export async function startPersistenceService(opts: PersistenceServiceOptions): Promise<RunningPersistenceService> {
  const service = await startProviderService(opts, DEFAULT_PORT, (provider) => {
    const store = new NumberStore(opts.dbPath ?? DEFAULT_DB_PATH);
    return {
      app: createPersistenceApp(store, provider, opts.price ?? DEFAULT_PRICE, opts.logger, opts.adminToken),
      store,
      close: () => store.close(),
    };
  });
  return { url: service.url, provider: service.provider, store: service.opened.store, stop: () => service.stop() };
}
