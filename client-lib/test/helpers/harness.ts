import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Koa from 'koa';
import { Router } from '@koa/router';
import { startEmbeddedChain, type EmbeddedChain } from '@chanpay/devkit';
import { createPaymentServer, type PaymentServer } from '@chanpay/payment-server';
import { encodeVoucher } from '@chanpay/protocol';
import { VoucherSigner, addressOfPrivateKey, hexToBuffer } from '@chanpay/protocol/node';
import { PaymentServerClient, PaymentProvider, createKoaPayments, listen, type PaymentProviderOptions, type Price } from '../../src';

export const CONSUMER_TOKEN = 'client-lib-consumer-token-0001';
export const PROVIDER_TOKEN = 'client-lib-provider-token-0002';
export const OTHER_TOKEN = 'client-lib-other-token-00000003';

/** A chain and one payment server holding a consumer, a provider and an unrelated account. */
export interface Bench {
  chain: EmbeddedChain;
  server: PaymentServer;
  dir: string;
  consumer: PaymentServerClient;
  provider: PaymentServerClient;
  other: PaymentServerClient;
  addresses: { consumer: string; provider: string; other: string };
  stop(): Promise<void>;
}

export async function startBench(): Promise<Bench> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chanpay-lib-'));
  const chain = await startEmbeddedChain({ accounts: 3 });
  const [c, p, o] = chain.accounts as [
    { privateKey: string; address: string },
    { privateKey: string; address: string },
    { privateKey: string; address: string },
  ];
  let server: PaymentServer;
  try {
    server = await createPaymentServer({
      port: 0,
      rpcUrl: chain.rpcUrl,
      dbPath: path.join(dir, 'ps.db'),
      logLevel: 'silent',
      accounts: [
        { name: 'consumer', privateKey: c.privateKey },
        { name: 'provider', privateKey: p.privateKey },
        { name: 'other', privateKey: o.privateKey },
      ],
      tokens: [
        { token: CONSUMER_TOKEN, accounts: ['consumer'] },
        { token: PROVIDER_TOKEN, accounts: ['provider'] },
        { token: OTHER_TOKEN, accounts: ['other'] },
      ],
      defaults: { challengePeriod: 60, minChallengePeriod: 2 },
      claim: { intervalSeconds: 0, checkIntervalMs: 100 },
      watcher: { pollIntervalMs: 100 },
    });
  } catch (e) {
    await chain.stop();
    throw e;
  }
  const client = (token: string) => new PaymentServerClient({ url: server.url, token });
  return {
    chain,
    server,
    dir,
    consumer: client(CONSUMER_TOKEN),
    provider: client(PROVIDER_TOKEN),
    other: client(OTHER_TOKEN),
    addresses: { consumer: c.address.toLowerCase(), provider: p.address.toLowerCase(), other: o.address.toLowerCase() },
    async stop() {
      await server.stop();
      await chain.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A koa service with one paid route that counts how often its handler really ran. */
export interface PaidApp {
  url: string;
  provider: PaymentProvider;
  served: () => number;
  stop(): Promise<void>;
}

export async function startPaidApp(
  bench: Bench,
  opts: {
    mode: 'local' | 'remote';
    price?: Price;
    sync?: boolean;
    token?: string;
    flushIntervalMs?: number;
    maxUnflushedMs?: number;
    stopTimeoutMs?: number;
    idempotency?: PaymentProviderOptions['idempotency'];
  },
): Promise<PaidApp> {
  const provider = new PaymentProvider({
    mode: opts.mode,
    paymentServer: { url: bench.server.url, token: opts.token ?? PROVIDER_TOKEN },
    sync: opts.sync,
    flushIntervalMs: opts.flushIntervalMs,
    maxUnflushedMs: opts.maxUnflushedMs,
    stopTimeoutMs: opts.stopTimeoutMs,
    idempotency: opts.idempotency,
  });
  await provider.start();
  let served = 0;
  const app = new Koa();
  const router = new Router();
  const { paymentRequired } = createKoaPayments(provider);
  router.get('/paid', paymentRequired(opts.price ?? 1_000n), (ctx) => {
    served++;
    ctx.body = { served, payment: { price: String(ctx.state.payment.price), retried: ctx.state.payment.retried } };
  });
  router.get('/free', (ctx) => {
    ctx.body = { ok: true };
  });
  app.use(router.routes());
  const http = await listen(app, 0);
  return {
    url: http.url,
    provider,
    served: () => served,
    async stop() {
      await http.close();
      await provider.stop();
    },
  };
}

export function randomKey(): string {
  return '0x' + randomBytes(32).toString('hex');
}

/** A voucher key held by the test (a consumer service signing locally). */
export function localSigner(bench: Bench, key = randomKey()) {
  const signer = new VoucherSigner(bench.server.service.hasher, hexToBuffer(key));
  return {
    key,
    address: addressOfPrivateKey(hexToBuffer(key)),
    header: (channelId: string, amount: bigint) => encodeVoucher(signer.sign(channelId, amount)),
  };
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function pool<T>(n: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await job(i);
      }
    }),
  );
  return out;
}
