/**
 * Each hop's latency split into payment, handler, network and framework time, from the spans of a traced run
 * (CHANPAY_TRACE_FILE, one JSON line per span; docs/observability.md): µBench's internal/external split, per
 * service. Per call of a service S by a caller C (one server span of S):
 *
 * - payment: S's `chanpay.payment` (check, verify, record) plus C's side of the same call, `chanpay.pay` minus
 *   `chanpay.send` (signing the voucher, any 402 round trip);
 * - handler: S's `chanpay.handler` minus the time it spent in its upstream calls (the union of its
 *   `chanpay.upstream` spans): the service's own work;
 * - network: C's client span of the call (undici's `GET`, under `chanpay.send`) minus S's application span (the
 *   koa span right under S's server span): loopback TCP and both HTTP stacks. S's server span itself is not
 *   used: it ends at the response's `finish` event, which comes late when the event loop is busy (median 1 ms
 *   after the caller already had the answer, on chain:2 here), so it would make network time negative;
 * - framework: S's application span minus its payment step and its handler (koa, routing, origin, metrics).
 *
 * Only durations are subtracted: OpenTelemetry JS takes a span's start from Date.now() (millisecond steps) and
 * its duration from the monotonic clock, so durations are exact to the microsecond and start times are not. The
 * one exception is the union of several parallel upstream calls, laid out by their start times (one upstream:
 * its duration exactly). An entry has no traced caller: its network time is unknown and its payment is its own
 * step only.
 */
import { readFileSync } from 'node:fs';
import type { SpanLine } from '@chanpay/client-lib/telemetry';

const SERVER = 1;
const CLIENT = 2;

/** The parts of a hop, in the order they are stacked. */
export const SPLIT_PARTS = ['payment', 'handler', 'network', 'framework'] as const;
export type SplitPart = (typeof SPLIT_PARTS)[number];

/** One served call of one service, in µs; network null when the caller is not traced (an entry). */
export interface HopSample {
  service: string;
  traceId: string;
  /** When the call began after its trace's first span (µs, millisecond resolution): orders the hops entry first. */
  offset: number;
  payment: number;
  handler: number;
  network: number | null;
  framework: number;
}

export interface PartFigures {
  p50: number;
  p90: number;
}

/** One service's split over the calls it served, in ms. */
export interface HopSplit {
  service: string;
  calls: number;
  /** Calls whose caller was traced too (the network figures' count). */
  callsWithCaller: number;
  parts: Record<SplitPart, PartFigures | null>;
}

/** Reads a trace file: one span per line; a torn last line (a process killed mid-write) is left out. */
export function readSpanFile(file: string): SpanLine[] {
  const out: SpanLine[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as SpanLine);
    } catch {
      /* torn line */
    }
  }
  return out;
}

class SpanTree {
  private readonly children = new Map<string, SpanLine[]>();
  readonly byId = new Map<string, SpanLine>();

  constructor(spans: readonly SpanLine[]) {
    for (const s of spans) {
      this.byId.set(s.spanId, s);
      if (!s.parentSpanId) continue;
      const list = this.children.get(s.parentSpanId);
      if (list) list.push(s);
      else this.children.set(s.parentSpanId, [s]);
    }
  }

  kids(s: SpanLine): SpanLine[] {
    return this.children.get(s.spanId) ?? [];
  }

  /** The first spans named `name` below `s` in its own service, not looking inside them or into other services. */
  find(s: SpanLine, name: string): SpanLine[] {
    const out: SpanLine[] = [];
    const stack = [...this.kids(s)];
    while (stack.length) {
      const x = stack.pop()!;
      if (x.service !== s.service) continue;
      if (x.name === name) out.push(x);
      else stack.push(...this.kids(x));
    }
    return out;
  }

  /** The nearest ancestor named `name`, in the span's own service. */
  up(s: SpanLine, name: string): SpanLine | null {
    for (
      let p = s.parentSpanId ? this.byId.get(s.parentSpanId) : undefined;
      p;
      p = p.parentSpanId ? this.byId.get(p.parentSpanId) : undefined
    ) {
      if (p.service !== s.service) return null;
      if (p.name === name) return p;
    }
    return null;
  }
}

const sum = (spans: readonly SpanLine[]) => spans.reduce((a, s) => a + s.durationUs, 0);

/** Length of the union of the spans' intervals (start + duration); one span: its duration exactly. */
export function unionUs(spans: readonly SpanLine[]): number {
  if (spans.length === 1) return spans[0]!.durationUs;
  const iv = spans.map((s) => [s.startUs, s.startUs + s.durationUs] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [lo, hi] = iv[0] ?? [0, 0];
  for (const [a, b] of iv.slice(1)) {
    if (a > hi) {
      total += hi - lo;
      lo = a;
      hi = b;
    } else hi = Math.max(hi, b);
  }
  return total + (hi - lo);
}

/**
 * One sample per call a service served with its handler run (server span with a `chanpay.handler` below it:
 * payment servers and calls refused before the handler are left out). `services`: only these (default all).
 */
export function hopSamples(spans: readonly SpanLine[], services?: ReadonlySet<string>): HopSample[] {
  const tree = new SpanTree(spans);
  const traceStart = new Map<string, number>();
  for (const s of spans) traceStart.set(s.traceId, Math.min(traceStart.get(s.traceId) ?? s.startUs, s.startUs));
  const out: HopSample[] = [];
  for (const server of spans) {
    if (server.kind !== SERVER || (services && !services.has(server.service))) continue;
    const app = tree.kids(server).filter((k) => k.service === server.service && k.attributes['koa.type'] !== undefined);
    const handler = tree.find(server, 'chanpay.handler');
    if (app.length !== 1 || handler.length !== 1) continue;
    const own = tree.find(server, 'chanpay.payment');
    const upstream = tree.find(handler[0]!, 'chanpay.upstream');
    let callerPayment = 0;
    let network: number | null = null;
    const client = server.parentSpanId ? tree.byId.get(server.parentSpanId) : undefined;
    if (client && client.kind === CLIENT && client.service !== server.service) {
      network = Math.max(0, client.durationUs - app[0]!.durationUs);
      const send = tree.up(client, 'chanpay.send');
      const pay = send && tree.up(send, 'chanpay.pay');
      // The paid try's send is the last of the pay span: what came before it was signing and 402 round trips.
      if (pay) callerPayment = Math.max(0, pay.durationUs - sum(tree.find(pay, 'chanpay.send')));
    }
    const payment = sum(own) + callerPayment;
    out.push({
      service: server.service,
      traceId: server.traceId,
      offset: server.startUs - traceStart.get(server.traceId)!,
      payment,
      handler: Math.max(0, handler[0]!.durationUs - (upstream.length ? unionUs(upstream) : 0)),
      network,
      framework: Math.max(0, app[0]!.durationUs - sum(own) - handler[0]!.durationUs),
    });
  }
  return out;
}

/** Nearest-rank percentile of sorted values. */
const rank = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
const ms = (us: number) => Math.round(us) / 1000;

/** Per service (entry first: by the median time into the trace at which its calls began), the median and p90 of every part, in ms. */
export function splitByHop(samples: readonly HopSample[]): HopSplit[] {
  const groups = new Map<string, HopSample[]>();
  for (const s of samples) {
    const g = groups.get(s.service);
    if (g) g.push(s);
    else groups.set(s.service, [s]);
  }
  const median = (g: HopSample[]) =>
    rank(
      g.map((s) => s.offset).sort((a, b) => a - b),
      0.5,
    );
  const ordered = [...groups].sort((a, b) => median(a[1]) - median(b[1]) || a[0].localeCompare(b[0]));
  return ordered.map(([service, g]) => {
    const figures = (values: number[]): PartFigures | null => {
      if (!values.length) return null;
      const sorted = values.sort((a, b) => a - b);
      return { p50: ms(rank(sorted, 0.5)), p90: ms(rank(sorted, 0.9)) };
    };
    const networks = g.map((s) => s.network).filter((x): x is number => x !== null);
    return {
      service,
      calls: g.length,
      callsWithCaller: networks.length,
      parts: {
        payment: figures(g.map((s) => s.payment)),
        handler: figures(g.map((s) => s.handler)),
        network: figures(networks),
        framework: figures(g.map((s) => s.framework)),
      },
    };
  });
}
