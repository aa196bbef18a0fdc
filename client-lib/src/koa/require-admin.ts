import { timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { ChanpayError } from '@chanpay/protocol';
import { bearerDigest, tokenDigest } from '@chanpay/protocol/node';

/**
 * Guards a service's administrative routes (`/redeem`, `/init`, `/terminate`: they spend gas or deposits): with a
 * token, only `authorization: Bearer <token>` passes (compared in constant time), anything else is 401
 * UNAUTHORIZED. Without one (ADMIN_TOKEN unset) they stay open, as in the original prototype.
 */
export function requireAdmin(token: string | undefined): Middleware {
  if (!token) return (_ctx, next) => next();
  const expected = tokenDigest(token);
  return async (ctx, next) => {
    const given = bearerDigest(ctx.get('authorization'));
    if (!given || !timingSafeEqual(given, expected)) {
      ctx.set('www-authenticate', 'Bearer');
      throw new ChanpayError('UNAUTHORIZED', "this route needs the service's admin token: authorization: Bearer <ADMIN_TOKEN>");
    }
    await next();
  };
}
