/**
 * Tracing on a small network of processes (chain:2: s0 → s1 → s2, paid on both edges) written to one JSON-lines
 * file (CHANPAY_TRACE_FILE): each request is one trace across the three services, parented through the W3C
 * traceparent of every hop; the payment step and its parts are spans with channel, price, amount and scheme;
 * no key, token, voucher or ticket appears anywhere in the file.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SpanLine } from '@chanpay/client-lib/telemetry';
import type { PaymentMode } from '@chanpay/protocol';
import { startTopology, type RunningTopology } from '@chanpay/topology';

jest.setTimeout(300_000);

const SERVER = 1;
const CLIENT = 2;

function readSpans(file: string): SpanLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SpanLine);
}

/** The entry's incoming `GET /work` spans (roots of the request traces), once `count` of them are written. */
async function entryRoots(file: string, count: number): Promise<SpanLine[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const roots = readSpans(file).filter(
      (s) => s.service === 's0' && s.kind === SERVER && s.parentSpanId === null && s.attributes['url.path'] === '/work',
    );
    if (roots.length >= count || Date.now() > deadline) return roots;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every span below `span`, in any service. */
function descendants(spans: SpanLine[], span: SpanLine): SpanLine[] {
  const out: SpanLine[] = [];
  const ids = new Set([span.spanId]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of spans)
      if (s.parentSpanId && ids.has(s.parentSpanId) && !ids.has(s.spanId)) {
        ids.add(s.spanId);
        out.push(s);
        grew = true;
      }
  }
  return out;
}

/** The span and its ancestors' (service, name), up to the root. */
function pathUp(span: SpanLine, byId: Map<string, SpanLine>): string[] {
  const out: string[] = [];
  for (let s: SpanLine | undefined = span; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) out.push(`${s.service}:${s.name}`);
  return out;
}

describe.each<PaymentMode>(['local', 'remote'])('chain:2 in %s mode, traced to a JSON-lines file', (mode) => {
  let net: RunningTopology;
  let file: string;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chanpay-tracing-'));
    file = path.join(dir, 'spans.jsonl');
    // No /init: the first request opens the channels, so its trace has the 402 round trips too.
    net = await startTopology('chain:2', {
      overrides: { mode },
      freePorts: true,
      init: false,
      dataDir: path.join(dir, 'net'),
      claimIntervalSeconds: 0,
      env: { CHANPAY_TRACE_FILE: file },
    });
    for (const id of ['r1', 'r2']) {
      const res = await fetch(`${net.urls.services.s0}/work`, { headers: { 'x-request-id': id }, signal: AbortSignal.timeout(60_000) });
      expect(res.status).toBe(200);
      await res.text();
    }
  });
  afterAll(async () => {
    await net?.stop();
  });

  test('one trace per request across s0, s1, s2: every parent known, each hop under the caller’s outgoing call', async () => {
    const roots = await entryRoots(file, 2);
    expect(roots).toHaveLength(2);
    const spans = readSpans(file);
    for (const root of roots) {
      const trace = spans.filter((s) => s.traceId === root.traceId);
      const byId = new Map(trace.map((s) => [s.spanId, s]));
      expect(trace.filter((s) => s.parentSpanId && !byId.has(s.parentSpanId))).toEqual([]);
      const services = new Set(trace.map((s) => s.service).filter((s) => !s.startsWith('payment-server-')));
      expect(services).toEqual(new Set(['s0', 's1', 's2']));
      // The payment servers' spans join the request's trace (remote mode: every verify and sign runs there).
      if (mode === 'remote') expect(trace.some((s) => s.service.startsWith('payment-server-'))).toBe(true);
      // Each downstream server span's parent is an outgoing HTTP call of the service before it.
      for (const [callee, caller] of [
        ['s1', 's0'],
        ['s2', 's1'],
      ]) {
        const incoming = trace.filter((s) => s.service === callee && s.kind === SERVER);
        expect(incoming.length).toBeGreaterThan(0);
        for (const s of incoming) expect([byId.get(s.parentSpanId!)?.service, byId.get(s.parentSpanId!)?.kind]).toEqual([caller, CLIENT]);
      }
      // s2's paid payment step, up to the entry: through s1's handler, upstream call, payment and send.
      const paid = trace.find((s) => s.service === 's2' && s.name === 'chanpay.payment' && s.attributes['chanpay.outcome'] === 'paid')!;
      const up = pathUp(paid, byId);
      expect(up[0]).toBe('s2:chanpay.payment');
      expect(up.at(-1)).toBe('s0:GET /work');
      for (const step of ['s1:chanpay.handler', 's1:chanpay.upstream', 's1:chanpay.pay', 's1:chanpay.send', 's0:chanpay.upstream'])
        expect(up).toContain(step);
    }
  });

  test('the payment step and its parts, with channel, price, amount and scheme; the first request has the 402 round trips', async () => {
    const [first, second] = (await entryRoots(file, 2)).sort((a, b) => a.startUs - b.startUs);
    const spans = readSpans(file);
    const names = (traceId: string, service: string) =>
      new Set(spans.filter((s) => s.traceId === traceId && s.service === service).map((s) => s.name));
    for (const service of ['s0', 's1']) {
      for (const n of ['chanpay.upstream', 'chanpay.pay', 'chanpay.402', 'chanpay.sign', 'chanpay.send'])
        expect([service, n, names(first!.traceId, service).has(n)]).toEqual([service, n, true]);
      // Terms known: the second request pays at once.
      expect(names(second!.traceId, service).has('chanpay.402')).toBe(false);
    }
    for (const service of ['s1', 's2']) {
      const own = spans.filter((s) => s.traceId === first!.traceId && s.service === service);
      const refused = own.find((s) => s.name === 'chanpay.payment' && s.attributes['chanpay.outcome'] === 'refused')!;
      expect(refused.attributes).toMatchObject({
        'chanpay.code': 'PAYMENT_REQUIRED',
        'chanpay.payment': 'none',
        'chanpay.price': '1000000000',
      });
      const paid = own.find((s) => s.name === 'chanpay.payment' && s.attributes['chanpay.outcome'] === 'paid')!;
      expect(paid.attributes).toMatchObject({
        'chanpay.scheme': 'chanpay-channel-v1',
        'chanpay.payment': 'voucher',
        'chanpay.price': '1000000000',
        'chanpay.amount': '1000000000',
        'chanpay.origin': 's0',
        'chanpay.channel': expect.stringMatching(/^0x[0-9a-f]{64}$/),
      });
      const verify = own.find((s) => s.name === 'chanpay.verify' && s.parentSpanId === paid.spanId)!;
      expect(verify.attributes).toMatchObject({ 'chanpay.mode': mode, 'chanpay.channel': paid.attributes['chanpay.channel'] });
      // The handler runs after the payment step, not inside it: both are children of the route's span.
      const handler = own.find((s) => s.name === 'chanpay.handler' && s.parentSpanId === paid.parentSpanId);
      expect(handler).toBeDefined();
      if (mode === 'remote') {
        // The payment server's round trip is the verify step's child, and the server's own spans are below it.
        const call = own.find((s) => s.parentSpanId === verify.spanId && s.kind === CLIENT)!;
        expect(call.attributes['url.path']).toBe('/vouchers/verify');
        const below = descendants(spans, call);
        expect(below.find((s) => s.kind === SERVER)?.service).toMatch(/^payment-server-\d$/);
        expect(below.find((s) => s.name === 'chanpay.verify')?.attributes).toMatchObject({
          'chanpay.channel': paid.attributes['chanpay.channel'],
          'chanpay.amount': paid.attributes['chanpay.amount'],
          'chanpay.outcome': 'paid',
        });
      }
    }
    if (mode === 'remote') {
      // The consumer's signing step goes to its payment server, whose chanpay.sign span names channel and amount.
      const sign = spans.find((s) => s.traceId === first!.traceId && s.service === 's0' && s.name === 'chanpay.sign')!;
      const server = descendants(spans, sign).find((s) => s.name === 'chanpay.sign' && s.service.startsWith('payment-server-'));
      expect(server?.attributes).toMatchObject({ 'chanpay.channel': sign.attributes['chanpay.channel'], 'chanpay.amount': '1000000000' });
    }
    // The second request's cumulative amounts are one price higher.
    const second1 = spans.find((s) => s.traceId === second!.traceId && s.service === 's1' && s.name === 'chanpay.payment')!;
    expect(second1.attributes['chanpay.amount']).toBe('2000000000');
    // Local mode stores vouchers in batches: a trace of its own per batch.
    if (mode === 'local') expect(spans.some((s) => s.name === 'chanpay.record' && s.parentSpanId === null)).toBe(true);
  });

  test('no key, token, voucher signature or ticket anywhere in the file', async () => {
    await entryRoots(file, 2);
    const text = readFileSync(file, 'utf8');
    const secrets = net.topology.services.flatMap((s) => {
      const c = net.accountOfService(s.name);
      return c ? [c.token, c.privateKey, c.privateKey.slice(2), ...(c.voucherKey ? [c.voucherKey, c.voucherKey.slice(2)] : [])] : [];
    });
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(text.includes(secret)).toBe(false);
    // A 65-byte signature (a voucher's) is 130 hex digits; channel ids and addresses are shorter.
    expect(text).not.toMatch(/[0-9a-fA-F]{130}/);
    expect(text).not.toMatch(/payment-(voucher|ticket|prepay)|authorization|bearer/i);
  });
});
