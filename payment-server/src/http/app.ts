import Koa from 'koa';
import { Router } from '@koa/router';
import type { ZodError, ZodType } from 'zod';
import { API_ROUTES, ChanpayError, type ApiName, type ApiRoute } from '@chanpay/protocol';
import type { Logger } from '../logger';
import { readJson } from './body';
import type { TokenRegistry } from './auth';
import { HANDLERS, type Handler, type RouteContext } from './routes';
import { isStoreOutage } from '../store/outage';

function validate(schema: ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return value;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw validationError(r.error, where);
}

function validationError(e: ZodError, where: string): ChanpayError {
  const issues = e.issues.slice(0, 10).map((i) => ({ path: [where, ...i.path].join('.'), message: i.message }));
  return new ChanpayError('VALIDATION_ERROR', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}

/** Test mode: an answer that does not match the API table's response schema is a bug of ours, reported as one. */
function checkResponse(route: ApiRoute & { name: ApiName }, result: unknown): void {
  const r = route.response.safeParse(result);
  if (r.success) return;
  const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new Error(`response of ${route.name} does not match its schema: ${issues.join('; ')}`);
}

function toErrorBody(e: unknown, log: Logger): { status: number; body: unknown } {
  if (e instanceof ChanpayError) return { status: e.status, body: e.toBody() };
  if (isStoreOutage(e)) {
    log.warn({ err: (e as Error).message }, 'the database is unreachable');
    const refusal = new ChanpayError(
      'STORE_UNAVAILABLE',
      'the payment server cannot reach its database; try again (with the same idempotency key)',
    );
    return { status: refusal.status, body: refusal.toBody() };
  }
  log.error({ err: e }, 'unhandled error');
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } };
}

export function createApp(rc: RouteContext, tokens: TokenRegistry, log: Logger): Koa {
  const app = new Koa();
  app.proxy = false;
  const router = new Router();
  const allowed = new Set(rc.config.corsOrigins);

  app.use(async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      const origin = ctx.get('origin');
      if (origin && (allowed.has(origin) || allowed.has('*'))) {
        ctx.set('access-control-allow-origin', origin);
        ctx.set('vary', 'Origin');
        ctx.set('access-control-allow-headers', 'authorization, content-type');
        ctx.set('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
        if (ctx.method === 'OPTIONS') {
          ctx.status = 204;
          return;
        }
      }
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new ChanpayError('NOT_FOUND', `no route ${ctx.method} ${ctx.path}`);
    } catch (e) {
      const { status, body } = toErrorBody(e, log);
      ctx.status = status;
      ctx.body = body;
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      rc.metrics.httpRequests.inc({ route, status: String(ctx.status) });
      rc.metrics.httpSeconds.observe({ route, status: String(ctx.status) }, ms / 1000);
      if (ctx.status >= 500) log.error({ method: ctx.method, route, status: ctx.status, ms }, 'request failed');
      else log.debug({ method: ctx.method, route, status: ctx.status, ms }, 'request');
    }
  });

  for (const r of API_ROUTES) {
    const handler = HANDLERS[r.name] as Handler<ApiName>;
    router[r.method](r.path, async (ctx) => {
      const principal = r.auth ? tokens.authenticate(ctx.get('authorization') || undefined) : { id: 'public', accounts: [] };
      const params = validate(r.params, ctx.params, 'path');
      const query = validate(r.query, { ...ctx.query }, 'query');
      let body: unknown;
      if (r.method !== 'get') body = validate(r.body ?? undefined, await readJson(ctx), 'body');
      const result = await handler({ principal, params, query, body, ctx } as Parameters<Handler<ApiName>>[0], rc);
      if (rc.validateResponses) checkResponse(r, result);
      ctx.status = r.status ?? 200;
      ctx.body = result;
    });
  }
  app.use(router.routes());
  app.use(async (ctx, next) => {
    await next();
    const methods = API_ROUTES.filter((r) => matchPath(r.path, ctx.path)).map((r) => r.method.toUpperCase());
    if (ctx.status === 404 && methods.length > 0) {
      ctx.set('allow', [...new Set(methods)].join(', '));
      throw new ChanpayError('METHOD_NOT_ALLOWED', `${ctx.method} is not allowed here; use ${[...new Set(methods)].join(' or ')}`);
    }
  });
  return app;
}

function matchPath(pattern: string, path: string): boolean {
  const re = new RegExp('^' + pattern.replace(/:(\w+)/g, '[^/]+') + '/?$');
  return re.test(path);
}
