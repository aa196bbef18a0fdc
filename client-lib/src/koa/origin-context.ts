import type { Middleware } from 'koa';
import { BAGGAGE_HEADER, ChanpayError, isValidOrigin, originOfBaggage } from '@chanpay/protocol';
import { runInRequestContext } from '../origin/request-context';

/**
 * Reads the root caller of each request from its `baggage` (`chanpay.origin`) and serves the request in a
 * request context that carries it, so that the calls the handler makes pass it on. A request without one is
 * this service's own (`selfId`). A malformed baggage is refused with 400 `MALFORMED_BAGGAGE` before any
 * payment: never charged, never attributed to a made-up origin. Put it before `paymentRequired`.
 */
export function originContext(selfId: string): Middleware {
  if (!isValidOrigin(selfId))
    throw new ChanpayError('VALIDATION_ERROR', `the service id ${JSON.stringify(selfId)} is not a valid origin id`);
  return (ctx, next) => {
    const found = originOfBaggage(ctx.get(BAGGAGE_HEADER) || undefined);
    if (!found.ok) throw new ChanpayError('MALFORMED_BAGGAGE', found.message);
    const origin = found.origin ?? selfId;
    ctx.state.origin = origin;
    return runInRequestContext({ origin }, () => next());
  };
}
