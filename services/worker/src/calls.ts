/**
 * The worker's upstream calls for one request, as µBench makes them: the groups run in parallel, the calls of a
 * group in sequence; each call is made with its probability (and at most seqLen per group, picked at random),
 * decided up front from a PRNG seeded by the request id, so that the same request id makes the same calls.
 */
import { BAGGAGE_HEADER, ChanpayError, errorCodeOfBody, withOriginBaggage, type Receipt } from '@chanpay/protocol';
import { ATTR, currentRequestContext, inSpan } from '@chanpay/client-lib';
import type { UpstreamFetch } from '@chanpay/client-lib/service-kit';
import type { UpstreamCall, WorkerConfig } from './config';
import { pickIndexes, seededRandom } from './prng';

/** Passed on to every upstream worker, so that the whole request makes repeatable decisions. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** One paid hop: `from` paid `to` on channel `channelId`; `amount` is the voucher's cumulative amount. */
export interface HopReceipt {
  from: string;
  to: string;
  channelId: string;
  amount: string;
  price: string;
}

export interface CallTiming {
  to: string;
  group: number;
  /** ms since the handler started. */
  start: number;
  end: number;
  ms: number;
  status: number;
}

/** One service's part of a request: its handler time, its own work, each upstream call's time. */
export interface HopTrace {
  service: string;
  handlerMs: number;
  workMs: number;
  calls: CallTiming[];
}

export interface PlannedCall {
  call: UpstreamCall;
  group: number;
  /** The number sent to a persistence upstream. */
  number: number;
}

/** Which calls this request makes, per group (same request id, same calls). */
export function planCalls(config: WorkerConfig, requestId: string): PlannedCall[][] {
  const random = seededRandom(config.seed, config.name, requestId);
  return config.groups.map((g, group) => {
    const candidates = g.seqLen === null ? g.calls.map((_, i) => i) : pickIndexes(g.calls.length, g.seqLen, random);
    const planned: PlannedCall[] = [];
    for (const i of candidates) {
      const call = g.calls[i]!;
      const roll = random();
      const number = Math.floor(random() * 1_000_000);
      if (roll < call.probability) planned.push({ call, group, number });
    }
    return planned;
  });
}

/** An upstream answered with an error, or could not be reached or paid. */
export class UpstreamError extends Error {
  constructor(
    readonly upstream: string,
    readonly status: number,
    readonly code: string,
    message: string,
    /** The call's timing when it was answered (with an error). */
    readonly timing: CallTiming | null = null,
  ) {
    super(message);
  }
}

export interface UpstreamAnswer {
  receipts: HopReceipt[];
  trace: HopTrace[];
}

/** The route, the expected status and how to read the answer of each kind of upstream. */
function request(p: PlannedCall): { url: string; expect: number } {
  const base = p.call.url.replace(/\/+$/, '');
  switch (p.call.kind) {
    case 'worker':
      return { url: `${base}/work`, expect: 200 };
    case 'random-number':
      return { url: `${base}/randomNumber`, expect: 200 };
    case 'persistence':
      return { url: `${base}/save?nr=${p.number}`, expect: 201 };
  }
}

/**
 * Makes one call: through `send` (paid by the edge's consumer, or unpaid through the same timed HTTP client), with the
 * request id passed on, and returns its receipt and everything below it.
 */
export function callUpstream(
  self: string,
  p: PlannedCall,
  requestId: string,
  send: UpstreamFetch,
  receiptOf: (res: Response) => Receipt | null,
  t0: number,
): Promise<{ answer: UpstreamAnswer; timing: CallTiming }> {
  return inSpan('chanpay.upstream', { [ATTR.upstream]: p.call.to }, async (span) => {
    const r = await callUpstreamNow(self, p, requestId, send, receiptOf, t0);
    span.setAttribute(ATTR.status, r.timing.status);
    return r;
  });
}

async function callUpstreamNow(
  self: string,
  p: PlannedCall,
  requestId: string,
  send: UpstreamFetch,
  receiptOf: (res: Response) => Receipt | null,
  t0: number,
): Promise<{ answer: UpstreamAnswer; timing: CallTiming }> {
  const { url, expect } = request(p);
  const start = performance.now() - t0;
  const headers: Record<string, string> = { [REQUEST_ID_HEADER]: requestId };
  // Paid or not, the request's root caller goes on to the upstream.
  const origin = currentRequestContext()?.origin;
  if (origin) headers[BAGGAGE_HEADER] = withOriginBaggage(undefined, origin);
  let res: Response;
  try {
    res = await send(url, { headers });
  } catch (e) {
    if (e instanceof ChanpayError)
      throw new UpstreamError(p.call.to, e.status === 503 ? 503 : 502, e.code, `${p.call.to}: payment failed: ${e.message}`);
    throw new UpstreamError(p.call.to, 502, 'UPSTREAM_UNREACHABLE', `${p.call.to}: ${(e as Error).message}`);
  }
  const text = await res.text();
  const end = performance.now() - t0;
  const timing: CallTiming = {
    to: p.call.to,
    group: p.group,
    start: round(start),
    end: round(end),
    ms: round(end - start),
    status: res.status,
  };
  if (res.status === 503)
    throw new UpstreamError(
      p.call.to,
      503,
      errorCodeOfBody(text) ?? 'UPSTREAM_UNAVAILABLE',
      `${p.call.to} is unavailable: ${text.slice(0, 200)}`,
      timing,
    );
  if (res.status !== expect)
    throw new UpstreamError(p.call.to, 502, 'UPSTREAM_ERROR', `${p.call.to} answered ${res.status}: ${text.slice(0, 200)}`, timing);
  const receipt = receiptOf(res);
  const own: HopReceipt[] = receipt
    ? [{ from: self, to: p.call.to, channelId: receipt.channelId, amount: receipt.amount.toString(), price: receipt.price.toString() }]
    : [];
  if (p.call.kind !== 'worker') return { answer: { receipts: own, trace: [] }, timing };
  const body = JSON.parse(text) as Partial<UpstreamAnswer>;
  return { answer: { receipts: [...own, ...(body.receipts ?? [])], trace: body.trace ?? [] }, timing };
}

export const round = (ms: number) => Math.round(ms * 1000) / 1000;
