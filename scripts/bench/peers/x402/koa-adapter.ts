/**
 * A thin koa adapter over x402's server core (`x402HTTPResourceServer` from @x402/core/server): x402 ships
 * middleware for express, hono, next and fastify, none for koa. It does what @x402/express does, in koa terms:
 * `processHTTPRequest` decides (402 with the payment requirements, or verified), the handler runs, and then
 * - `after: 'before-response'` (x402's default): `processSettlement` settles and only then does the response
 *   leave, with the PAYMENT-RESPONSE header, or is replaced by the SDK's settlement-failure 402;
 * - `after: 'after-response'` (serve-then-settle): the response leaves at once; settlement starts when it has
 *   been written. Nothing then stops the same authorization from being verified again while its transfer is not
 *   yet on chain, so every authorization is let through once only (an `onBeforeVerify` hook of the SDK).
 * A payment flow that settles before the handler (`upfront`) is settled inside `processHTTPRequest`; the
 * settlement call afterwards only echoes its PAYMENT-RESPONSE.
 */
import type { Context, Middleware } from 'koa';
import {
  FacilitatorResponseError,
  withPrivateCacheControl,
  type HTTPAdapter,
  type HTTPRequestContext,
  type HTTPResponseInstructions,
  type x402HTTPResourceServer,
} from '@x402/core/server';

export type SettleTiming = 'before-response' | 'after-response';

export interface SettlementCounts {
  settled: number;
  failed: number;
  pending: number;
  /** Reasons of failed after-response settlements (the last few). */
  failures: string[];
}

export interface X402KoaMiddleware {
  middleware: Middleware;
  /** After-response settlements so far. */
  counts(): SettlementCounts;
  /** Resolves once no after-response settlement is pending, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<SettlementCounts>;
}

class KoaHTTPAdapter implements HTTPAdapter {
  constructor(private readonly ctx: Context) {}
  getHeader(name: string): string | undefined {
    return this.ctx.get(name) || undefined;
  }
  getMethod(): string {
    return this.ctx.method;
  }
  getPath(): string {
    return this.ctx.path;
  }
  getUrl(): string {
    return this.ctx.href;
  }
  getAcceptHeader(): string {
    return this.ctx.get('accept');
  }
  getUserAgent(): string {
    return this.ctx.get('user-agent');
  }
  getQueryParams(): Record<string, string | string[]> {
    return this.ctx.query as Record<string, string | string[]>;
  }
  getQueryParam(name: string): string | string[] | undefined {
    return this.ctx.query[name];
  }
}

function respond(ctx: Context, response: HTTPResponseInstructions): void {
  ctx.status = response.status;
  for (const [key, value] of Object.entries(response.headers)) ctx.set(key, value);
  if (response.isHtml) ctx.type = 'html';
  ctx.body = response.body ?? {};
}

function bodyBytes(body: unknown): Buffer | undefined {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  if (body !== null && typeof body === 'object' && typeof (body as { pipe?: unknown }).pipe !== 'function')
    return Buffer.from(JSON.stringify(body));
  return undefined;
}

const MAX_KEPT_FAILURES = 20;
/** Authorizations let through in after-response mode are remembered this long (x402's default validity is 300 s). */
const SEEN_AUTHORIZATION_TTL_MS = 15 * 60_000;

export function x402KoaMiddleware(httpServer: x402HTTPResourceServer, opts: { after: SettleTiming }): X402KoaMiddleware {
  const counts: SettlementCounts = { settled: 0, failed: 0, pending: 0, failures: [] };
  const pending = new Set<Promise<void>>();
  const fail = (reason: string) => {
    counts.failed++;
    counts.failures = [...counts.failures, reason].slice(-MAX_KEPT_FAILURES);
  };

  if (opts.after === 'after-response') {
    const seen = new Map<string, number>();
    httpServer.server.onBeforeVerify(async ({ paymentPayload }) => {
      const auth = (paymentPayload.payload as { authorization?: { from?: unknown; nonce?: unknown } }).authorization;
      if (typeof auth?.from !== 'string' || typeof auth.nonce !== 'string') return;
      const key = `${auth.from.toLowerCase()}:${auth.nonce.toLowerCase()}`;
      const now = Date.now();
      for (const [k, at] of seen) if (now - at > SEEN_AUTHORIZATION_TTL_MS) seen.delete(k);
      if (seen.has(key))
        return { abort: true, reason: 'authorization_already_presented', message: 'this authorization already paid for a call' };
      seen.set(key, now);
    });
  }

  const middleware: Middleware = async (ctx, next) => {
    const adapter = new KoaHTTPAdapter(ctx);
    const context: HTTPRequestContext = {
      adapter,
      path: ctx.path,
      method: ctx.method,
      paymentHeader: adapter.getHeader('payment-signature') ?? adapter.getHeader('x-payment'),
    };
    if (!httpServer.requiresPayment(context)) return next();
    let result;
    try {
      result = await httpServer.processHTTPRequest(context);
    } catch (e) {
      if (!(e instanceof FacilitatorResponseError)) throw e;
      ctx.status = 502;
      ctx.body = { error: { code: 'FACILITATOR_ERROR', message: e.message } };
      return;
    }
    if (result.type === 'no-payment-required') return next();
    if (result.type === 'payment-error') return respond(ctx, result.response);

    const { cancellationDispatcher, beforeHandlerSettlement, paymentPayload, paymentRequirements, declaredExtensions } = result;
    const cacheControl = () => ctx.response.get('Cache-Control') || null;
    try {
      await next();
    } catch (e) {
      const cancel = await cancellationDispatcher.cancel({ reason: 'handler_threw', error: e });
      const headers = httpServer.createFailurePathSettlementHeaders(cancel, beforeHandlerSettlement, paymentPayload, cacheControl());
      if (headers) ctx.set(headers);
      throw e;
    }
    if (ctx.status >= 400) {
      const cancel = await cancellationDispatcher.cancel({ reason: 'handler_failed', responseStatus: ctx.status });
      const headers = httpServer.createFailurePathSettlementHeaders(cancel, beforeHandlerSettlement, paymentPayload, cacheControl());
      if (headers) ctx.set(headers);
      return;
    }
    const transport = {
      request: context,
      responseBody: bodyBytes(ctx.body),
      responseHeaders: ctx.response.headers as Record<string, string>,
    };
    const settle = () =>
      httpServer.processSettlement(paymentPayload, paymentRequirements, declaredExtensions, transport, undefined, beforeHandlerSettlement);

    if (opts.after === 'after-response') {
      counts.pending++;
      const done = new Promise<void>((resolve) => {
        ctx.res.once('close', () => {
          settle()
            .then(
              (s) => (s.success ? counts.settled++ : fail(s.errorReason)),
              (e: unknown) => fail((e as Error).message),
            )
            .finally(() => {
              counts.pending--;
              resolve();
            });
        });
      });
      pending.add(done);
      void done.then(() => pending.delete(done));
      return;
    }

    let settled;
    try {
      settled = await settle();
    } catch (e) {
      if (!(e instanceof FacilitatorResponseError)) throw e;
      ctx.status = 502;
      ctx.body = { error: { code: 'FACILITATOR_ERROR', message: e.message } };
      return;
    }
    if (!settled.success) return respond(ctx, settled.response);
    ctx.set(settled.headers);
    ctx.set('Cache-Control', withPrivateCacheControl(cacheControl()));
  };

  return {
    middleware,
    counts: () => ({ ...counts }),
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (pending.size > 0 && Date.now() < deadline) {
        await Promise.race([Promise.all([...pending]), new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())))]);
      }
      return { ...counts };
    },
  };
}
