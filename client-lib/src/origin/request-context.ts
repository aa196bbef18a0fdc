import { AsyncLocalStorage } from 'node:async_hooks';

/** What a service knows about the request it is serving, for the calls it makes while serving it. */
export interface RequestContext {
  /** The root caller of this request (its baggage's `chanpay.origin`, or the entry service's own id). */
  origin: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `context` as the current request's (the koa middleware `originContext` sets it per request). */
export function runInRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the request being served, if any (consumers read the origin to pass it on). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}
