import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { finney } from '@chanpay/protocol';
import { upstreamClient, type UpstreamClient } from '../src/service-kit';
import { CONSUMER_TOKEN, randomKey, startBench, startPaidApp, type Bench, type PaidApp } from './helpers/harness';

/**
 * The unpaid network is the paid one with payment switched off and nothing else: an upstream client sends its
 * calls, paid or not, through the HTTP client it is given, with the same per-attempt timeout.
 */
describe('upstream client: the same HTTP client and timeout with and without payment', () => {
  let bench: Bench;
  let app: PaidApp;
  let hanging: http.Server;
  let hangingUrl: string;
  const open: UpstreamClient[] = [];

  beforeAll(async () => {
    bench = await startBench();
    app = await startPaidApp(bench, { mode: 'local', price: 1_000n });
    hanging = http.createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/paid`;
  });
  afterAll(async () => {
    for (const c of open) await c.consumer?.closeAll();
    hanging?.closeAllConnections();
    await new Promise((resolve) => hanging?.close(resolve));
    await app?.stop();
    await bench?.stop();
  });

  /** An HTTP client that records every attempt it sends. */
  function recordingHttp() {
    const sent: { url: string; signal: AbortSignal | null | undefined }[] = [];
    const impl: typeof fetch = (input, init) => {
      sent.push({ url: String(input), signal: init?.signal });
      return fetch(input, init);
    };
    return { sent, impl };
  }

  function client(mode: 'off' | 'local', timeoutMs: number, httpImpl: typeof fetch): UpstreamClient {
    const c = upstreamClient(
      mode === 'off'
        ? { mode, timeoutMs }
        : {
            mode,
            timeoutMs,
            paymentServer: { url: bench.server.url, token: CONSUMER_TOKEN },
            voucherKey: randomKey(),
            deposit: finney(1),
            challengePeriod: 60,
          },
      httpImpl,
    );
    open.push(c);
    return c;
  }

  test.each(['off', 'local'] as const)(
    'payment %s: every attempt goes through the given HTTP client with a timeout signal',
    async (mode) => {
      const rec = recordingHttp();
      const c = client(mode, 30_000, rec.impl);
      expect(c.consumer === null).toBe(mode === 'off');
      const res = await c.send(`${app.url}/paid`, { headers: {} });
      await res.arrayBuffer();
      // Unpaid, the provider asks for payment; paid, the consumer answers its 402 and is served.
      expect(res.status).toBe(mode === 'off' ? 402 : 200);
      const toApp = rec.sent.filter((s) => s.url.startsWith(app.url));
      expect(toApp.length).toBe(mode === 'off' ? 1 : 2);
      for (const s of toApp) {
        expect(s.signal).toBeInstanceOf(AbortSignal);
        expect(s.signal!.aborted).toBe(false);
      }
    },
  );

  test('an upstream slower than the timeout fails both paths in the same way, after the same time', async () => {
    const outcome = async (mode: 'off' | 'local') => {
      const rec = recordingHttp();
      const c = client(mode, 300, rec.impl);
      const t0 = Date.now();
      const error = await c.send(hangingUrl, { headers: {} }).then(
        () => null,
        (e: Error) => e,
      );
      const signals = rec.sent.filter((s) => s.url === hangingUrl).map((s) => s.signal);
      return { error, elapsed: Date.now() - t0, timedOut: signals.map((s) => s?.aborted && (s.reason as Error).name) };
    };
    const unpaid = await outcome('off');
    const paid = await outcome('local');
    expect(unpaid.error?.name).toBe('TimeoutError');
    expect(paid.error?.name).toBe(unpaid.error?.name);
    expect(unpaid.timedOut).toEqual(['TimeoutError']);
    expect(paid.timedOut).toEqual(['TimeoutError']);
    // Bounded by the timeout on both paths, not by anything else (the bound is generous: a loaded CI machine).
    for (const o of [unpaid, paid]) expect(o.elapsed).toBeGreaterThanOrEqual(250);
  });
});
