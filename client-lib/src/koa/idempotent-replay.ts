import type { Context } from 'koa';
import { REPLAYED_HEADER } from '@chanpay/protocol';
import type { CachedResponse } from '../provider/idempotency';

/** The largest answer kept for a retry with the same Idempotency-Key (a larger one makes the retry a 409). */
const MAX_CACHED_BODY = 64 * 1024;

/** Answers a retry with the response of the call it repeats. */
export function replay(ctx: Context, response: CachedResponse): void {
  ctx.status = response.status;
  for (const [name, value] of Object.entries(response.headers)) ctx.set(name, value);
  ctx.set(REPLAYED_HEADER, 'true');
  ctx.body = response.body;
}

/** The response, when it is small and in memory (not a stream), so that a retry can get it again. */
export function cacheable(ctx: Context): CachedResponse | null {
  if (ctx.status >= 500) return null;
  const body = ctx.body as unknown;
  let size: number;
  if (body === null || body === undefined) size = 0;
  else if (typeof body === 'string') size = Buffer.byteLength(body);
  else if (Buffer.isBuffer(body)) size = body.length;
  else if (typeof body === 'object' && typeof (body as { pipe?: unknown }).pipe !== 'function')
    size = Buffer.byteLength(JSON.stringify(body));
  else return null;
  if (size > MAX_CACHED_BODY) return null;
  const type = ctx.response.get('content-type');
  return {
    status: ctx.status,
    body: (body ?? null) as CachedResponse['body'],
    headers: type ? { 'content-type': String(type) } : {},
  };
}
