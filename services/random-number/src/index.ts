import Koa from 'koa';
import { Router } from '@koa/router';
import { gwei } from '@chanpay/protocol';
import { createKoaPayments, errorMiddleware, listen, payoutHandler, providerFor, redeemHandler, requireAdmin, type PaymentProvider, type Price, type ProviderSettings, type Logger } from '@chanpay/client-lib';

export const DEFAULT_PORT = 8002;
export const DEFAULT_PRICE = gwei(1);

export interface RandomNumberServiceOptions {
  /** 0 picks a free port; default 8002. */
  port?: number;
  host?: string;
  payment: ProviderSettings;
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
export function createRandomNumberApp(provider: PaymentProvider | null, price: Price = DEFAULT_PRICE, logger?: Logger, adminToken?: string): Koa {
  const app = new Koa();
  const router = new Router();
  const { paymentRequired } = createKoaPayments(provider);
  router.get('/status', (ctx) => {
    ctx.body = { status: 'ok', service: 'random-number', payment: provider ? provider.mode : 'off' };
  });
  router.get('/randomNumber', paymentRequired(price), (ctx) => {
    ctx.body = { number: Math.random() };
  });
  if (provider) {
    router.get('/redeem', requireAdmin(adminToken), redeemHandler(provider));
    router.get('/payout', payoutHandler(provider));
  }
  app.use(errorMiddleware(logger));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

export async function startRandomNumberService(opts: RandomNumberServiceOptions): Promise<RunningService> {
  const provider = providerFor(opts.payment);
  if (provider) await provider.start();
  const app = createRandomNumberApp(provider, opts.price ?? DEFAULT_PRICE, opts.logger, opts.adminToken);
  const http = await listen(app, opts.port ?? DEFAULT_PORT, opts.host);
  return {
    url: http.url,
    provider,
    async stop() {
      await http.close();
      await provider?.stop();
    },
  };
}
