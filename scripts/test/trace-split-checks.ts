/**
 * What the per-hop split (scripts/bench/open/trace-split.ts) must satisfy on any span file of a chain topology
 * (s0 → s1 → … → sD), checked against the raw spans walked here on their own: one sample per service per
 * request; each part equal to the spans it is made of; and the parts of all hops plus the time the callers'
 * wrappers took around their calls add up, to the microsecond, to the entry's whole application span.
 * Shared by the fixture test (unit lane) and the test that records a fresh file from a real network.
 */
import type { SpanLine } from '@chanpay/client-lib/telemetry';
import { hopSamples, splitByHop, type HopSample } from '../bench/open/trace-split';

const SERVER = 1;
const CLIENT = 2;

/** The requests' traces: roots are the entry's server spans of `path`. */
export function requestTraces(spans: readonly SpanLine[], entry: string, pathname = '/work'): string[] {
  return spans
    .filter((s) => s.service === entry && s.kind === SERVER && s.parentSpanId === null && s.attributes['url.path'] === pathname)
    .map((s) => s.traceId);
}

/** Checks one chain's split; `paid`: whether the edges are paid (the payment part of every callee is then > 0). */
export function checkChainSplit(spans: readonly SpanLine[], depth: number, paid: boolean): { samples: HopSample[]; traces: number } {
  const services = Array.from({ length: depth + 1 }, (_, i) => `s${i}`);
  const traces = requestTraces(spans, 's0');
  expect(traces.length).toBeGreaterThan(0);
  const samples = hopSamples(spans, new Set(services)).filter((s) => traces.includes(s.traceId));
  const split = splitByHop(samples);
  // Entry first, then each hop in the order a request reaches it; one call of each per request.
  expect(split.map((h) => h.service)).toEqual(services);
  for (const h of split) expect(h.calls).toBe(traces.length);
  expect(split[0]!.callsWithCaller).toBe(0);
  expect(split[0]!.parts.network).toBeNull();
  for (const h of split.slice(1)) expect(h.callsWithCaller).toBe(traces.length);

  for (const traceId of traces) {
    const t = spans.filter((s) => s.traceId === traceId);
    const one = (service: string, name: string, kind = 0) => {
      const found = t.filter((s) => s.service === service && s.name === name && s.kind === kind);
      expect(found).toHaveLength(1);
      return found[0]!;
    };
    const byId = new Map(t.map((s) => [s.spanId, s]));
    const server = (service: string) => t.find((s) => s.service === service && s.kind === SERVER)!;
    const app = (service: string) => t.find((s) => s.parentSpanId === server(service).spanId && s.attributes['koa.type'] !== undefined)!;
    let wrappers = 0;
    for (const [i, service] of services.entries()) {
      const sample = samples.find((s) => s.traceId === traceId && s.service === service)!;
      const handler = one(service, 'chanpay.handler');
      const payment = t.filter((s) => s.service === service && s.name === 'chanpay.payment');
      expect(payment).toHaveLength(paid && i > 0 ? 1 : 0);
      const own = payment[0]?.durationUs ?? 0;
      const next = services[i + 1];
      const upstream = next ? one(service, 'chanpay.upstream') : null;
      expect(sample.handler).toBeCloseTo(handler.durationUs - (upstream?.durationUs ?? 0), 3);
      expect(sample.framework).toBeCloseTo(app(service).durationUs - own - handler.durationUs, 3);
      if (i === 0) expect(sample.network).toBeNull();
      else {
        // The caller's client span whose child is this server span.
        const client = byId.get(server(service).parentSpanId!)!;
        expect(client.kind).toBe(CLIENT);
        expect(client.service).toBe(services[i - 1]);
        expect(sample.network).toBeCloseTo(client.durationUs - app(service).durationUs, 3);
      }
      if (paid && i > 0) expect(sample.payment).toBeGreaterThan(own);
      else if (!paid) expect(sample.payment).toBe(0);
      if (upstream) {
        // Around the call to the next hop, in this service: what the split gives to neither hop.
        const pay = t.find((s) => s.service === service && s.name === 'chanpay.pay');
        const send = t.find((s) => s.service === service && s.name === 'chanpay.send');
        // The call to the next hop (a payment step may make calls of its own, to its payment server).
        const client = t.find((s) => s.kind === CLIENT && s.parentSpanId === (send ?? upstream).spanId)!;
        expect(client).toBeDefined();
        const inner = pay ?? client;
        wrappers += upstream.durationUs - inner.durationUs;
        if (pay && send) wrappers += send.durationUs - client.durationUs;
        else if (pay) throw new Error('a paid call without its send span');
      }
    }
    const parts = samples
      .filter((s) => s.traceId === traceId)
      .reduce((a, s) => a + s.payment + s.handler + s.framework + (s.network ?? 0), 0);
    // Exact unless a part was clamped at 0 (none is, in a well-formed trace).
    expect(parts + wrappers).toBeCloseTo(app('s0').durationUs, 1);
  }
  return { samples, traces: traces.length };
}
