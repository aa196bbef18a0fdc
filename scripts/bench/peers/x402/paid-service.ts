/**
 * The paid service of the x402 peer: a koa 3 app whose one paid route, `GET /paid`, x402's resource server
 * (`x402ResourceServer` + `x402HTTPResourceServer` from @x402/core/server, the `exact` EVM server scheme from
 * @x402/evm/exact/server, an `HTTPFacilitatorClient` for the local facilitator) protects at a price in token
 * units, paid to the provider's address. Free routes: `GET /status` (health) and `GET /x402/settlements` (how many
 * after-response settlements succeeded, failed, are pending: the benchmark waits on it before reading balances).
 */
import Koa from 'koa';
import { Router } from '@koa/router';
import { errorMiddleware, listen, type Logger } from '@chanpay/client-lib';
import { HTTPFacilitatorClient, x402HTTPResourceServer, x402ResourceServer, type RoutesConfig } from '@x402/core/server';
import { ExactEvmScheme } from '@x402/evm/exact/server';
import type { Address } from 'viem';
import { x402KoaMiddleware, type X402KoaMiddleware } from './koa-adapter';
import { TOKEN_NAME, TOKEN_VERSION } from './token';

/**
 * When the call is settled, relative to serving it:
 * - `settle-before`: x402's default (`authorization` flow, what @x402/express does): verify, run the handler,
 *   settle, and only then send the response;
 * - `upfront`: the SDK's `upfront` flow: settle (which verifies) before the handler runs, then serve;
 * - `settle-after`: verify, run the handler, send the response, settle after it left.
 */
export type SettlementOrder = 'settle-before' | 'upfront' | 'settle-after';
export const SETTLEMENT_ORDERS: readonly SettlementOrder[] = ['settle-before', 'upfront', 'settle-after'];

export const PAID_PATH = '/paid';

export interface PaidServiceOptions {
  facilitatorUrl: string;
  network: `eip155:${number}`;
  token: Address;
  payTo: Address;
  /** Per call, in the token's smallest unit (6 decimals). */
  price: bigint;
  order: SettlementOrder;
  /**
   * Serve the paid route by forwarding it to this URL (GET, the answer's status and body passed back): x402 on a
   * topology's entry edge, the topology behind it unpaid. Without it the route answers a random number itself.
   */
  upstream?: string;
  /** Validity the client gives its authorization (x402's maxTimeoutSeconds); default 300. */
  maxTimeoutSeconds?: number;
  logger?: Logger;
}

export interface PaidApp {
  app: Koa;
  payments: X402KoaMiddleware;
}

export async function createPaidApp(opts: PaidServiceOptions): Promise<PaidApp> {
  if (opts.price <= 0n) throw new Error('the price must be positive');
  const routes: RoutesConfig = {
    [`GET ${PAID_PATH}`]: {
      accepts: {
        scheme: 'exact',
        network: opts.network,
        payTo: opts.payTo,
        price: { amount: opts.price.toString(), asset: opts.token, extra: { name: TOKEN_NAME, version: TOKEN_VERSION } },
        maxTimeoutSeconds: opts.maxTimeoutSeconds ?? 300,
        ...(opts.order === 'upfront' ? { extra: { paymentFlow: 'upfront' } } : {}),
      },
      description: 'a random number',
      mimeType: 'application/json',
    },
  };
  const resourceServer = new x402ResourceServer(new HTTPFacilitatorClient({ url: opts.facilitatorUrl })).register(
    opts.network,
    new ExactEvmScheme(),
  );
  const httpServer = new x402HTTPResourceServer(resourceServer, routes);
  // Fetches the facilitator's /supported and checks the route against it: fails here rather than on the first call.
  await httpServer.initialize();
  const payments = x402KoaMiddleware(httpServer, { after: opts.order === 'settle-after' ? 'after-response' : 'before-response' });

  const router = new Router();
  router.get('/status', (ctx) => {
    ctx.body = { status: 'ok', service: 'x402-paid-service', order: opts.order, price: opts.price.toString(), payTo: opts.payTo };
  });
  router.get('/x402/settlements', (ctx) => {
    ctx.body = payments.counts();
  });
  const upstream = opts.upstream;
  router.get(PAID_PATH, async (ctx) => {
    if (!upstream) {
      ctx.body = { number: Math.random() };
      return;
    }
    const res = await fetch(upstream, { signal: AbortSignal.timeout(30_000) });
    ctx.status = res.status;
    ctx.type = res.headers.get('content-type') ?? 'application/json';
    ctx.body = await res.text();
  });
  const app = new Koa();
  app.use(errorMiddleware(opts.logger));
  app.use(payments.middleware);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, payments };
}

export interface RunningPaidService {
  url: string;
  payments: X402KoaMiddleware;
  stop(): Promise<void>;
}

export async function startPaidService(opts: PaidServiceOptions & { port?: number; host?: string }): Promise<RunningPaidService> {
  const { app, payments } = await createPaidApp(opts);
  const server = await listen(app, opts.port ?? 0, opts.host ?? '127.0.0.1');
  return {
    url: server.url,
    payments,
    async stop() {
      await payments.drain(30_000);
      await server.close();
    },
  };
}
