/**
 * The generic service of generated topologies (µBench's service cell, with payment): `GET /work` charges its
 * price, does its configured work, makes its upstream calls (each paid with the client library) and answers
 * with the receipts of every hop below it and a per-hop timing trace.
 */
import Koa from 'koa';
import { Router } from '@koa/router';
import { ChanpayError, type PaymentMode } from '@chanpay/protocol';
import {
  createKoaPayments,
  errorMiddleware,
  listen,
  originContext,
  originsHandler,
  payoutHandler,
  providerFor,
  receiptOf,
  redeemHandler,
  requireAdmin,
  ticketsLeft,
  type Logger,
  type PaymentConsumer,
  type PaymentProvider,
  type PaymentServerSettings,
  type ProviderSettings,
} from '@chanpay/client-lib';
import { callUpstream, planCalls, REQUEST_ID_HEADER, round, UpstreamError, type CallTiming, type HopReceipt, type HopTrace } from './calls';
import { upstreamClient, type UpstreamClient } from '@chanpay/client-lib/service-kit';
import { addMetricsRoute, metricsMiddleware, ServiceMetrics } from '@chanpay/client-lib/koa';
import type { UpstreamCall, WorkerConfig } from './config';
import { doWork, payloadOf } from './work';

export {
  parseWorkerConfig,
  workerConfigFromEnv,
  WorkerConfigSchema,
  UPSTREAM_KINDS,
  type WorkerConfig,
  type WorkerConfigInput,
  type UpstreamCall,
  type UpstreamKind,
} from './config';
export { planCalls, REQUEST_ID_HEADER, type HopReceipt, type HopTrace, type CallTiming, type PlannedCall } from './calls';
export { seededRandom, seedOf, pickIndexes } from './prng';
export { doWork } from './work';

export interface WorkerServiceOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  config: WorkerConfig;
  /** How callers pay this worker (its provider side). */
  payment: ProviderSettings;
  /** How it pays its upstreams: its payment server, its voucher key, and the mode of calls whose own is unset. */
  consumer: { mode: PaymentMode; paymentServer?: PaymentServerSettings; voucherKey?: string; logger?: Logger };
  /** Token of the administrative routes (/redeem, /init, /terminate); unset: open (ADMIN_TOKEN). */
  adminToken?: string;
  logger?: Logger;
}

export interface RunningWorkerService {
  url: string;
  provider: PaymentProvider | null;
  /** One consumer per paid upstream, by its name. */
  consumers: Map<string, PaymentConsumer>;
  stop(): Promise<void>;
}

/** What `GET /work` answers. */
export interface WorkAnswer {
  service: string;
  requestId: string;
  /** The last hash of the keccak rounds, or null. */
  digest: string | null;
  payload: string;
  receipts: HopReceipt[];
  /** This worker's hop first, then every hop below it. */
  trace: HopTrace[];
}

interface Upstream extends UpstreamClient {
  call: UpstreamCall;
}

const REQUEST_ID_RE = /^[\x21-\x7e]{1,128}$/;

/** One client per upstream: a consumer with the edge's own deposit, prepay and mode, or the same HTTP client unpaid. */
export function upstreamsOf(opts: WorkerServiceOptions): Map<string, Upstream> {
  const out = new Map<string, Upstream>();
  for (const call of opts.config.groups.flatMap((g) => g.calls)) {
    if (out.has(call.to)) continue;
    const client = upstreamClient(
      {
        mode: call.payment.mode ?? opts.consumer.mode,
        paymentServer: opts.consumer.paymentServer,
        voucherKey: opts.consumer.voucherKey,
        deposit: BigInt(call.payment.deposit),
        challengePeriod: call.payment.challengePeriod,
        idempotencyKeys: call.payment.idempotencyKeys,
        prepay: call.payment.prepay,
        timeoutMs: opts.config.upstreamTimeoutMs,
        logger: opts.consumer.logger,
      },
      undefined,
      { name: call.to },
    );
    out.set(call.to, { call, ...client });
  }
  return out;
}

export function createWorkerApp(opts: WorkerServiceOptions, provider: PaymentProvider | null, upstreams: Map<string, Upstream>): Koa {
  const { config } = opts;
  const app = new Koa();
  const router = new Router();
  const { paymentRequired } = createKoaPayments(provider);
  let counter = 0;

  router.get('/status', (ctx) => {
    ctx.body = {
      status: 'ok',
      service: config.name,
      kind: 'worker',
      payment: provider ? provider.mode : 'off',
      upstreams: [...upstreams.values()].map((u) => ({ to: u.call.to, payment: u.consumer ? u.consumer.mode : 'off' })),
      channels: channelsJson(upstreams),
    };
  });

  router.get(
    '/work',
    // A malformed request id is refused before payment, so it is never charged.
    async (ctx, next) => {
      const given = ctx.get(REQUEST_ID_HEADER);
      if (given && !REQUEST_ID_RE.test(given))
        throw new ChanpayError('VALIDATION_ERROR', `${REQUEST_ID_HEADER} must be 1 to 128 visible ASCII characters`);
      ctx.state.requestId = given || String(++counter);
      await next();
    },
    paymentRequired(BigInt(config.price)),
    async (ctx) => {
      const t0 = performance.now();
      const requestId = ctx.state.requestId as string;
      const work = doWork(requestId, config.work);
      const receipts: HopReceipt[] = [];
      const below: HopTrace[] = [];
      const timings: CallTiming[] = [];
      let failure: UpstreamError | null = null;
      await Promise.all(
        planCalls(config, requestId).map(async (calls) => {
          for (const p of calls) {
            if (failure) return;
            const u = upstreams.get(p.call.to)!;
            try {
              const r = await callUpstream(config.name, p, requestId, u.send, receiptOf, t0);
              timings.push(r.timing);
              receipts.push(...r.answer.receipts);
              below.push(...r.answer.trace);
            } catch (e) {
              if (!(e instanceof UpstreamError)) throw e;
              if (e.timing) timings.push(e.timing);
              failure ??= e;
              return;
            }
          }
        }),
      );
      timings.sort((a, b) => a.start - b.start);
      const own: HopTrace = { service: config.name, handlerMs: round(performance.now() - t0), workMs: round(work.ms), calls: timings };
      const trace = [own, ...below];
      if (failure) {
        const f: UpstreamError = failure;
        ctx.status = f.status;
        ctx.body = { error: { code: f.code, message: f.message, details: { upstream: f.upstream } }, receipts, trace };
        return;
      }
      ctx.body = {
        service: config.name,
        requestId,
        digest: work.digest,
        payload: payloadOf(config.work.responseBytes),
        receipts,
        trace,
      } satisfies WorkAnswer;
    },
  );

  const paid = [...upstreams.values()].filter((u) => u.consumer);
  if (paid.length) {
    router.get('/init', requireAdmin(opts.adminToken), async (ctx) => {
      await Promise.all(paid.map((u) => u.consumer!.open(openUrl(u.call))));
      ctx.body = { done: true, channels: channelsJson(upstreams) };
    });
    router.get('/terminate', requireAdmin(opts.adminToken), async (ctx) => {
      const closed = (await Promise.all(paid.map((u) => u.consumer!.closeAll()))).flat();
      ctx.body = { terminationStarted: closed.length > 0 && closed.every((c) => !c.error), channels: closed };
    });
  }
  if (provider) {
    router.get('/redeem', requireAdmin(opts.adminToken), redeemHandler(provider));
    router.get('/payout', payoutHandler(provider));
  }
  const ledgers = [
    ...(provider ? [provider.origins] : []),
    ...[...upstreams.values()].flatMap((u) => (u.consumer ? [u.consumer.origins] : [])),
  ];
  router.get(
    '/origins',
    originsHandler(() => ledgers),
  );
  const metrics = new ServiceMetrics(config.name);
  addMetricsRoute(router, metrics);
  app.use(metricsMiddleware(metrics));
  app.use(errorMiddleware(opts.logger));
  // A malformed baggage is refused before payment; the upstream calls pass the request's origin on.
  app.use(originContext(config.name));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/** The route a channel is opened on: the upstream's paid route, called unpaid (it answers 402 before any work). */
function openUrl(call: UpstreamCall): string {
  const base = call.url.replace(/\/+$/, '');
  return call.kind === 'worker' ? `${base}/work` : call.kind === 'random-number' ? `${base}/randomNumber` : `${base}/save?nr=0`;
}

/** The worker's channels as `GET /status` and `/init` list them, with the upstream each pays. */
function channelsJson(upstreams: Map<string, Upstream>) {
  return [...upstreams.values()].flatMap((u) =>
    (u.consumer?.channels() ?? []).map((c) => ({
      to: u.call.to,
      id: c.id,
      provider: c.provider,
      state: c.state,
      deposit: c.deposit.toString(),
      signed: c.signed.toString(),
      calls: c.calls,
      paid: c.paid.toString(),
      prepaidCalls: c.blocks.reduce((n, b) => n + ticketsLeft(b), 0),
    })),
  );
}

export async function startWorkerService(opts: WorkerServiceOptions): Promise<RunningWorkerService> {
  const provider = providerFor(opts.payment);
  const upstreams = upstreamsOf(opts);
  const consumers = new Map([...upstreams].flatMap(([name, u]) => (u.consumer ? [[name, u.consumer] as const] : [])));
  if (provider) await provider.start();
  try {
    await Promise.all([...consumers.values()].map((c) => c.start()));
    const app = createWorkerApp(opts, provider, upstreams);
    const http = await listen(app, opts.port ?? 0, opts.host);
    return {
      url: http.url,
      provider,
      consumers,
      async stop() {
        await http.close();
        await provider?.stop();
      },
    };
  } catch (e) {
    await provider?.stop();
    throw e;
  }
}
