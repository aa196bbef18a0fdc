import Koa from 'koa';
import { Router } from '@koa/router';
import { ChanpayError, gwei } from '@chanpay/protocol';
import { createKoaPayments, errorMiddleware, listen, payoutHandler, providerFor, redeemHandler, requireAdmin, type Logger, type PaymentProvider, type PaymentState, type Price, type ProviderSettings } from '@chanpay/client-lib';
import { NumberStore } from './store';

export { NumberStore } from './store';
export const DEFAULT_PORT = 8001;
export const DEFAULT_PRICE = gwei(2);
export const DEFAULT_DB_PATH = 'data/persistence.db';

export interface PersistenceServiceOptions {
  /** 0 picks a free port; default 8001. */
  port?: number;
  host?: string;
  payment: ProviderSettings;
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
export function createPersistenceApp(store: NumberStore, provider: PaymentProvider | null, price: Price = DEFAULT_PRICE, logger?: Logger, adminToken?: string): Koa {
  const app = new Koa();
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
  if (provider) {
    router.get('/redeem', requireAdmin(adminToken), redeemHandler(provider));
    router.get('/payout', payoutHandler(provider));
  }
  app.use(errorMiddleware(logger));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

export async function startPersistenceService(opts: PersistenceServiceOptions): Promise<RunningPersistenceService> {
  const provider = providerFor(opts.payment);
  if (provider) await provider.start();
  const store = new NumberStore(opts.dbPath ?? DEFAULT_DB_PATH);
  const app = createPersistenceApp(store, provider, opts.price ?? DEFAULT_PRICE, opts.logger, opts.adminToken);
  let http;
  try {
    http = await listen(app, opts.port ?? DEFAULT_PORT, opts.host);
  } catch (e) {
    store.close();
    await provider?.stop();
    throw e;
  }
  const server = http;
  return {
    url: server.url,
    provider,
    store,
    async stop() {
      await server.close();
      await provider?.stop();
      store.close();
    },
  };
}
