import type { Middleware } from 'koa';
import { ChanpayError } from '@chanpay/protocol';
import type { Logger } from '../logger';

/** Error answers of a service: a `ChanpayError` keeps its code and status; anything else is a 500 without details. */
export function errorMiddleware(logger?: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (e) {
      const err = e instanceof ChanpayError ? e : null;
      if (!err) logger?.error({ err: (e as Error)?.stack ?? String(e), path: ctx.path }, 'request failed');
      ctx.status = err ? err.status : 500;
      ctx.body = err ? err.toBody() : { error: { code: 'INTERNAL', message: 'internal error' } };
    }
  };
}
