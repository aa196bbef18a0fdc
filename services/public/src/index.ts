import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import { Router } from '@koa/router';
import { ChanpayError, errorCodeOfBody, IDEMPOTENCY_HEADER, type Receipt } from '@chanpay/protocol';
import { receiptOf, ticketsLeft, type ConsumerSettings, type Logger, type PaymentConsumer } from '@chanpay/client-lib';
import { createServiceApp, requireAdmin } from '@chanpay/client-lib/koa';
import { listen, upstreamClient, type UpstreamClient } from '@chanpay/client-lib/service-kit';

export const DEFAULT_PORT = 8003;
export const DEFAULT_RANDOM_NUMBER_URL = 'http://127.0.0.1:8002';
export const DEFAULT_PERSISTENCE_URL = 'http://127.0.0.1:8001';
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;

export interface PublicServiceOptions {
  /** 0 picks a free port; default 8003. */
  port?: number;
  host?: string;
  payment: ConsumerSettings;
  randomNumberUrl: string;
  persistenceUrl: string;
  /** Per upstream call, default 30 s. */
  upstreamTimeoutMs?: number;
  /** Token of the administrative routes (/init, /terminate); unset: open (ADMIN_TOKEN). */
  adminToken?: string;
  logger?: Logger;
}

export interface RunningPublicService {
  url: string;
  consumer: PaymentConsumer | null;
  stop(): Promise<void>;
}

export interface TraceStep {
  step: 'randomNumber' | 'persistence';
  /** ms since the action started. */
  start: number;
  end: number;
  ms: number;
}

export interface ActionResult {
  number: number;
  savedNumber: number;
  receipts: { randomNumber: ReceiptJson | null; persistence: ReceiptJson | null };
  trace: TraceStep[];
  totalMs: number;
}

interface ReceiptJson {
  channelId: string;
  amount: string;
  price: string;
}

const receiptJson = (r: Receipt | null): ReceiptJson | null =>
  r ? { channelId: r.channelId, amount: r.amount.toString(), price: r.price.toString() } : null;

/** An upstream service answered with an error, or could not be reached. */
class UpstreamError extends Error {
  constructor(
    readonly step: TraceStep['step'],
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The consumer of the example network: `/action` calls random-number, then persistence with that number, each
 * paid per call. `client.send` pays through the consumer, or in no-payment mode goes out unpaid through the
 * same HTTP client with the same timeout: the same code path otherwise.
 */
export function createPublicApp(opts: PublicServiceOptions, client: UpstreamClient): Koa {
  const router = new Router();
  const { consumer, send } = client;
  const upstream = { randomNumber: opts.randomNumberUrl.replace(/\/+$/, ''), persistence: opts.persistenceUrl.replace(/\/+$/, '') };
  const idempotent = consumer !== null && opts.payment.idempotencyKeys === true;

  async function call(
    step: TraceStep['step'],
    url: string,
    expect: number,
    trace: TraceStep[],
    actionStart: number,
  ): Promise<{ body: unknown; receipt: Receipt | null }> {
    const start = performance.now() - actionStart;
    let res: Response;
    try {
      const headers: Record<string, string> = idempotent ? { [IDEMPOTENCY_HEADER]: randomUUID() } : {};
      res = await send(url, { headers });
    } catch (e) {
      if (e instanceof ChanpayError)
        throw new UpstreamError(step, e.status === 503 ? 503 : 502, e.code, `${step}: payment failed: ${e.message}`);
      throw new UpstreamError(step, 502, 'UPSTREAM_UNREACHABLE', `${step}: ${(e as Error).message}`);
    }
    const text = await res.text();
    const end = performance.now() - actionStart;
    trace.push({ step, start: round(start), end: round(end), ms: round(end - start) });
    if (res.status === 503) {
      // "Try again later" stays that: the upstream's own code (e.g. PAYMENT_SERVER_UNAVAILABLE) and a 503.
      throw new UpstreamError(step, 503, errorCodeOfBody(text) ?? 'UPSTREAM_UNAVAILABLE', `${step} is unavailable: ${text.slice(0, 200)}`);
    }
    if (res.status !== expect)
      throw new UpstreamError(step, 502, 'UPSTREAM_ERROR', `${step} answered ${res.status}: ${text.slice(0, 200)}`);
    return { body: JSON.parse(text) as unknown, receipt: receiptOf(res) };
  }

  router.get('/status', (ctx) => {
    ctx.body = { status: 'ok', service: 'public', payment: consumer ? consumer.mode : 'off', channels: channelsJson(consumer) };
  });

  router.get('/action', async (ctx) => {
    const actionStart = performance.now();
    const trace: TraceStep[] = [];
    try {
      const drawn = await call('randomNumber', `${upstream.randomNumber}/randomNumber`, 200, trace, actionStart);
      const number = (drawn.body as { number?: unknown }).number;
      if (typeof number !== 'number' || !Number.isFinite(number))
        throw new UpstreamError('randomNumber', 502, 'UPSTREAM_ERROR', 'randomNumber returned no number');
      const saved = await call(
        'persistence',
        `${upstream.persistence}/save?nr=${encodeURIComponent(String(number))}`,
        201,
        trace,
        actionStart,
      );
      ctx.body = {
        number,
        savedNumber: (saved.body as { saved?: number }).saved ?? number,
        receipts: { randomNumber: receiptJson(drawn.receipt), persistence: receiptJson(saved.receipt) },
        trace,
        totalMs: round(performance.now() - actionStart),
      } satisfies ActionResult;
    } catch (e) {
      if (!(e instanceof UpstreamError)) throw e;
      ctx.status = e.status;
      ctx.body = { error: { code: e.code, message: e.message, details: { step: e.step } }, trace };
    }
  });

  if (consumer) {
    router.get('/init', requireAdmin(opts.adminToken), async (ctx) => {
      const [randomNumber, persistence] = await Promise.all([
        consumer.open(`${upstream.randomNumber}/randomNumber`),
        consumer.open(`${upstream.persistence}/save?nr=0`),
      ]);
      ctx.body = { done: true, channels: channelsJson(consumer), randomNumber: randomNumber.id, persistence: persistence.id };
    });
    router.get('/terminate', requireAdmin(opts.adminToken), async (ctx) => {
      const closed = await consumer.closeAll();
      ctx.body = { terminationStarted: closed.length > 0 && closed.every((c) => !c.error), channels: closed };
    });
  }
  return createServiceApp(router, { logger: opts.logger, serviceId: 'public', originLedgers: consumer ? [consumer.origins] : [] });
}

/** One of the consumer's channels as `GET /status` (and `/init`) list it. */
export interface ChannelStatus {
  id: string;
  provider: string;
  state: string;
  deposit: string;
  signed: string;
  calls: number;
  paid: string;
  /** Calls paid ahead and not yet made (prepaid tickets): what this consumer would lose if it stopped now. */
  prepaidCalls: number;
}

function channelsJson(consumer: PaymentConsumer | null): ChannelStatus[] {
  return (consumer?.channels() ?? []).map((channel) => ({
    id: channel.id,
    provider: channel.provider,
    state: channel.state,
    deposit: channel.deposit.toString(),
    signed: channel.signed.toString(),
    calls: channel.calls,
    paid: channel.paid.toString(),
    prepaidCalls: channel.blocks.reduce((calls, block) => calls + ticketsLeft(block), 0),
  }));
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export async function startPublicService(opts: PublicServiceOptions): Promise<RunningPublicService> {
  const upstream = upstreamClient({ timeoutMs: opts.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS, ...opts.payment });
  const { consumer } = upstream;
  if (consumer) await consumer.start();
  const app = createPublicApp(opts, upstream);
  const http = await listen(app, opts.port ?? DEFAULT_PORT, opts.host);
  return { url: http.url, consumer, stop: () => http.close() };
}
