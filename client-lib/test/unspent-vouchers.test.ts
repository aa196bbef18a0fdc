import { createServer, type Server } from 'node:http';
import { createConnection, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import Koa from 'koa';
import { Router } from '@koa/router';
import { finney } from '@chanpay/protocol';
import { PaymentConsumer, PaymentProvider, createKoaPayments, receiptOf } from '../src';
import { CONSUMER_TOKEN, PROVIDER_TOKEN, pool, randomKey, startBench, type Bench } from './helpers/harness';

/**
 * A call that was not served because its voucher never reached the provider (connection refused: the provider is
 * down) or because the provider could not use its payment server (503 PAYMENT_SERVER_UNAVAILABLE, no receipt) must
 * not cost the consumer anything: the next call on the channel uses that voucher instead of signing a new one.
 * Found by the example-network fault tests (kill -9 of a provider service or of its payment server under load):
 * every call tried during the outage was paid for after the restart.
 */

const PRICE = 1_000n;

/** A TCP forwarder that can stop listening (connections refused) and listen again on the same port. */
async function startCuttableLink(targetUrl: string) {
  const target = Number(new URL(targetUrl).port);
  const sockets = new Set<Socket>();
  let server: TcpServer | null = null;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      const s = createTcpServer((client) => {
        const upstream = createConnection({ host: '127.0.0.1', port: target });
        for (const x of [client, upstream]) {
          sockets.add(x);
          x.on('error', () => undefined);
          x.on('close', () => {
            sockets.delete(x);
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      const s = server!;
      server = null;
      for (const x of sockets) x.destroy();
      s.close(() => resolve());
    });
  await open();
  return { url: () => `http://127.0.0.1:${port}`, cut, restore: open, stop: () => (server ? cut() : Promise.resolve()) };
}

/** A provider service whose HTTP port can be closed (ECONNREFUSED) and opened again on the same port. */
async function startSwitchableProvider(bench: Bench, mode: 'local' | 'remote', paymentServerUrl = bench.server.url, sync = false) {
  const provider = new PaymentProvider({
    mode,
    sync,
    paymentServer: { url: paymentServerUrl, token: PROVIDER_TOKEN, retries: 0 },
    maxUnflushedMs: 300,
  });
  await provider.start();
  let served = 0;
  const app = new Koa();
  const router = new Router();
  router.get('/paid', createKoaPayments(provider).paymentRequired(PRICE), (ctx) => {
    served++;
    ctx.body = { served };
  });
  app.use(router.routes());
  let server: Server | null = null;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(app.callback());
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      const s = server!;
      server = null;
      s.close(() => resolve());
      s.closeAllConnections();
    });
  await open();
  return {
    url: () => `http://127.0.0.1:${port}/paid`,
    served: () => served,
    provider,
    open,
    close,
    async stop() {
      if (server) await close();
      await provider.stop();
    },
  };
}

describe.each(['local', 'remote'] as const)('calls refused at the connection cost nothing, %s mode', (mode) => {
  let bench: Bench;
  beforeAll(async () => {
    bench = await startBench();
  });
  afterAll(async () => {
    await bench?.stop();
  });

  test('10 calls to a provider that is down, then 5 that are served: the provider holds exactly the served ones', async () => {
    const p = await startSwitchableProvider(bench, mode);
    try {
      const consumer = new PaymentConsumer({
        mode,
        paymentServer: { url: bench.server.url, token: CONSUMER_TOKEN },
        voucherKey: mode === 'local' ? randomKey() : undefined,
        deposit: finney(1),
        challengePeriod: 60,
      });
      for (let i = 0; i < 5; i++) expect((await consumer.fetch(p.url())).status).toBe(200);
      await p.close();
      // Let the client see its kept-alive connection closed (a request on it would fail ambiguously, not "refused").
      await new Promise((r) => setTimeout(r, 100));
      // One at a time and then several at once: each attempt signs a voucher that never reaches the provider.
      for (let i = 0; i < 4; i++) await expect(consumer.fetch(p.url())).rejects.toThrow();
      await pool(6, 3, async () => expect(consumer.fetch(p.url())).rejects.toThrow());
      await p.open();
      const answers = await pool(5, 3, () => consumer.fetch(p.url()));
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(p.served()).toBe(10);
      await p.provider.flush();
      const ch = consumer.channels()[0]!;
      const held = BigInt((await bench.provider.channel(ch.id)).latestVoucher!.amount);
      const receipts = answers.map((r) => receiptOf(r)!.amount);
      expect(receipts.every((a) => a <= 10n * PRICE)).toBe(true);
      expect(held).toBe(10n * PRICE);
      await bench.consumer.close(ch.id);
    } finally {
      await p.stop();
    }
  });
});

describe.each(['local', 'remote'] as const)(
  'calls answered 503 because the provider cannot reach its payment server cost nothing, %s mode',
  (mode) => {
    let bench: Bench;
    beforeAll(async () => {
      bench = await startBench();
    });
    afterAll(async () => {
      await bench?.stop();
    });

    test('its payment server is unreachable for a while: the provider ends up holding exactly the calls it served', async () => {
      const link = await startCuttableLink(bench.server.url);
      const p = await startSwitchableProvider(bench, mode, link.url());
      try {
        const consumer = new PaymentConsumer({
          mode,
          paymentServer: { url: bench.server.url, token: CONSUMER_TOKEN },
          voucherKey: mode === 'local' ? randomKey() : undefined,
          deposit: finney(1),
          challengePeriod: 60,
        });
        for (let i = 0; i < 5; i++) expect((await consumer.fetch(p.url())).status).toBe(200);
        await p.provider.flush();
        await link.cut();
        // Local (batched) mode serves for maxUnflushedMs more, then answers 503; remote mode answers 503 at once.
        let refused = 0;
        const deadline = Date.now() + 10_000;
        while (refused < 8 && Date.now() < deadline) {
          const r = await consumer.fetch(p.url());
          await r.arrayBuffer();
          if (r.status === 503) refused++;
          else expect(r.status).toBe(200);
        }
        expect(refused).toBe(8);
        await link.restore();
        await p.provider.flush(); // local: what was served during the outage is stored now
        const answers = await pool(6, 3, () => consumer.fetch(p.url()));
        expect(answers.map((r) => r.status)).toEqual(Array(6).fill(200));
        await p.provider.flush();
        const ch = consumer.channels()[0]!;
        const held = BigInt((await bench.provider.channel(ch.id)).latestVoucher!.amount);
        expect(held).toBe(BigInt(p.served()) * PRICE);
        await bench.consumer.close(ch.id);
      } finally {
        await p.stop();
        await link.stop();
      }
    });
  },
);

describe('local sync mode: a call answered 503 after its voucher was accepted', () => {
  let bench: Bench;
  beforeAll(async () => {
    bench = await startBench();
  });
  afterAll(async () => {
    await bench?.stop();
  });

  test('its voucher is not used again (the provider holds it); every call after the outage is served on the first try', async () => {
    const link = await startCuttableLink(bench.server.url);
    const p = await startSwitchableProvider(bench, 'local', link.url(), true);
    try {
      let sent = 0;
      const counting: typeof fetch = (input, init) => {
        sent++;
        return fetch(input, init);
      };
      const consumer = new PaymentConsumer({
        mode: 'local',
        paymentServer: { url: bench.server.url, token: CONSUMER_TOKEN },
        voucherKey: randomKey(),
        deposit: finney(1),
        challengePeriod: 60,
        fetch: counting,
      });
      for (let i = 0; i < 3; i++) expect((await consumer.fetch(p.url())).status).toBe(200);
      await link.cut();
      // Accepted, but not stored: answered 503 (documented: the voucher stays accepted and is stored later).
      const refused = [];
      for (let i = 0; i < 6; i++) {
        const r = await consumer.fetch(p.url());
        refused.push({
          status: r.status,
          accepted: Boolean(((await r.json()) as { error?: { details?: { accepted?: unknown } } }).error?.details?.accepted),
        });
      }
      expect(refused.every((r) => r.status === 503)).toBe(true);
      expect(refused.some((r) => r.accepted)).toBe(true);
      await link.restore();
      await p.provider.flush();
      const answers = [];
      const before = sent;
      for (let i = 0; i < 6; i++) answers.push((await consumer.fetch(p.url())).status);
      expect(answers).toEqual(Array(6).fill(200));
      expect(sent - before).toBe(6);
      await p.provider.flush();
      const ch = consumer.channels()[0]!;
      const held = BigInt((await bench.provider.channel(ch.id)).latestVoucher!.amount);
      // The 503 calls that were accepted are paid (their vouchers are held), never twice.
      expect(held).toBeLessThanOrEqual(BigInt(p.served() + 6) * PRICE);
      expect(held).toBeGreaterThanOrEqual(BigInt(p.served()) * PRICE);
      await bench.consumer.close(ch.id);
    } finally {
      await p.stop();
      await link.stop();
    }
  });
});
