import Koa from 'koa';
import { ChanpayError, PAYMENT_REQUIRED_HEADER, PAYMENT_SCHEME, encodeTerms, finney, type PaymentTerms } from '@chanpay/protocol';
import { PaymentConsumer, PaymentServerClient, listen, receiptOf } from '../src';
import { CONSUMER_TOKEN, get, localSigner, pool, randomKey, startBench, startPaidApp, type Bench, type PaidApp } from './helpers/harness';

const PRICE = 1_000n;

function consumerFor(bench: Bench, mode: 'local' | 'remote', extra: Partial<ConstructorParameters<typeof PaymentConsumer>[0]> = {}) {
  return new PaymentConsumer({
    mode,
    paymentServer: { url: bench.server.url, token: CONSUMER_TOKEN },
    voucherKey: mode === 'local' ? randomKey() : undefined,
    deposit: finney(1),
    challengePeriod: 60,
    ...extra,
  });
}

async function channelsTo(bench: Bench, provider: string) {
  return bench.consumer.channels({ role: 'consumer', provider });
}

describe.each(['local', 'remote'] as const)('consumer fetch, %s mode', (mode) => {
  let bench: Bench;
  let app: PaidApp;
  beforeAll(async () => {
    bench = await startBench();
    app = await startPaidApp(bench, { mode, price: PRICE });
  });
  afterAll(async () => {
    await app?.stop();
    await bench?.stop();
  });

  test('20 concurrent first calls open one channel, are all served, each with its own cumulative amount', async () => {
    const consumer = consumerFor(bench, mode);
    const results = await pool(20, 20, () => consumer.fetch(`${app.url}/paid`));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const amounts = results.map((r) => receiptOf(r)!.amount);
    expect(new Set(amounts).size).toBe(20);
    const open = await channelsTo(bench, bench.addresses.provider);
    expect(open.filter((c) => c.state === 'open')).toHaveLength(1);
    expect(consumer.channels()).toHaveLength(1);
    await app.provider.flush();
    const held = await bench.provider.channel(consumer.channels()[0]!.id);
    expect(held.latestVoucher?.amount).toBe((20n * PRICE).toString());
    await bench.consumer.close(consumer.channels()[0]!.id);
  });

  test('200 calls at concurrency 20: every call served, each charged once', async () => {
    const consumer = consumerFor(bench, mode);
    const before = app.served();
    const results = await pool(200, 20, async () => {
      const r = await consumer.fetch(`${app.url}/paid`);
      await r.arrayBuffer();
      return r;
    });
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(app.served() - before).toBe(200);
    const ch = consumer.channels()[0]!;
    expect(ch.calls).toBe(200);
    expect(ch.paid).toBe(200n * PRICE);
    await app.provider.flush();
    const held = BigInt((await bench.provider.channel(ch.id)).latestVoucher!.amount);
    expect(held).toBe(200n * PRICE);
    expect(ch.signed).toBe(200n * PRICE);
    await bench.consumer.close(ch.id);
  });

  test('tops up before the deposit runs out, without failing a call', async () => {
    const consumer = consumerFor(bench, mode, { deposit: 10n * PRICE, topUp: { below: 4n * PRICE, amount: 10n * PRICE } });
    for (let i = 0; i < 35; i++) {
      const r = await consumer.fetch(`${app.url}/paid`);
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    }
    const ch = consumer.channels()[0]!;
    expect(ch.deposit).toBeGreaterThanOrEqual(40n * PRICE);
    const onChain = await bench.consumer.channel(ch.id);
    expect(BigInt(onChain.deposit)).toBe(ch.deposit);
    await bench.consumer.close(ch.id);
  });

  test("after a restart it resumes the open channel above the provider's latest voucher", async () => {
    const key = randomKey();
    const first = consumerFor(bench, mode, { voucherKey: mode === 'local' ? key : undefined });
    for (let i = 0; i < 5; i++) expect((await first.fetch(`${app.url}/paid`)).status).toBe(200);
    const id = first.channels()[0]!.id;
    // A new process with the same key and payment server.
    const second = consumerFor(bench, mode, { voucherKey: mode === 'local' ? key : undefined });
    const res = await second.fetch(`${app.url}/paid`);
    expect(res.status).toBe(200);
    expect(second.channels()[0]!.id).toBe(id);
    expect(receiptOf(res)!.amount).toBe(6n * PRICE);
    await app.provider.flush();
    expect((await bench.provider.channel(id)).latestVoucher?.amount).toBe((6n * PRICE).toString());
    await bench.consumer.close(id);
  });

  test('refuses a price above its maximum without opening a channel', async () => {
    const consumer = consumerFor(bench, mode, { maxPrice: PRICE - 1n });
    const before = (await channelsTo(bench, bench.addresses.provider)).length;
    await expect(consumer.fetch(`${app.url}/paid`)).rejects.toMatchObject({ code: 'TERMS_NOT_ACCEPTED' });
    expect((await channelsTo(bench, bench.addresses.provider)).length).toBe(before);
  });

  test('a free route is fetched as is', async () => {
    const consumer = consumerFor(bench, mode);
    const res = await consumer.fetch(`${app.url}/free`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(receiptOf(res)).toBeNull();
  });
});

describe('consumer fetch against misbehaving providers', () => {
  let bench: Bench;
  let fake: { url: string; close(): Promise<void> };
  let terms: PaymentTerms;
  let answer: (ctx: Koa.Context) => void;

  beforeAll(async () => {
    bench = await startBench();
    terms = {
      scheme: PAYMENT_SCHEME,
      price: PRICE.toString(),
      provider: bench.addresses.other as PaymentTerms['provider'],
      contract: bench.server.contract,
      chainId: bench.server.chainId.toString(),
      token: '0x0000000000000000000000000000000000000000',
      minDeposit: '0',
      minChallengePeriod: 2,
    };
    const app = new Koa();
    app.use((ctx) => answer(ctx));
    fake = await listen(app, 0);
  });
  afterAll(async () => {
    await fake?.close();
    await bench?.stop();
  });

  test('a voucher the provider claims to hold but we did not sign is not trusted', async () => {
    const consumer = consumerFor(bench, 'local');
    const forger = localSigner(bench);
    answer = (ctx) => {
      const voucher = ctx.get('payment-voucher');
      const channelId = voucher ? voucher.split('.')[3]! : undefined;
      const body: PaymentTerms = channelId
        ? {
            ...terms,
            reason: { code: 'AMOUNT_TOO_LOW', message: 'pay more' },
            channel: { channelId, acceptedAmount: '900000', signature: forger.header(channelId, 900_000n).split('.')[5]! },
          }
        : terms;
      ctx.status = 402;
      ctx.set(PAYMENT_REQUIRED_HEADER, encodeTerms(body));
      ctx.body = body;
    };
    const err = await consumer.fetch(`${fake.url}/x`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChanpayError);
    expect((err as ChanpayError).code).toBe('AMOUNT_TOO_LOW');
    // It kept signing from its own count (3 attempts of one price each), never jumping to the forged 900000.
    expect(consumer.channels()[0]!.signed).toBe(3n * PRICE);
  });

  test('a 402 without readable terms is a PAYMENT_REQUIRED error', async () => {
    answer = (ctx) => {
      ctx.status = 402;
      ctx.body = 'pay me';
    };
    await expect(consumerFor(bench, 'local').fetch(`${fake.url}/x`)).rejects.toMatchObject({ code: 'PAYMENT_REQUIRED' });
  });

  test('terms for another chain or contract are refused with WRONG_DOMAIN', async () => {
    answer = (ctx) => {
      const body = { ...terms, chainId: '999' };
      ctx.status = 402;
      ctx.set(PAYMENT_REQUIRED_HEADER, encodeTerms(body));
    };
    await expect(consumerFor(bench, 'local').fetch(`${fake.url}/x`)).rejects.toMatchObject({ code: 'WRONG_DOMAIN' });
  });

  test('a provider demanding a larger deposit than configured is refused', async () => {
    answer = (ctx) => {
      ctx.status = 402;
      ctx.set(PAYMENT_REQUIRED_HEADER, encodeTerms({ ...terms, minDeposit: finney(100).toString() }));
    };
    await expect(consumerFor(bench, 'local').fetch(`${fake.url}/x`)).rejects.toMatchObject({ code: 'TERMS_NOT_ACCEPTED' });
  });
});

describe('failures are typed and bounded in time', () => {
  let bench: Bench;
  beforeAll(async () => {
    bench = await startBench();
  });
  afterAll(async () => {
    await bench?.stop();
  });

  test('a wrong token is UNAUTHORIZED', async () => {
    const client = new PaymentServerClient({ url: bench.server.url, token: 'not-a-valid-token-at-all' });
    await expect(client.config()).rejects.toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
  });

  test('an unknown channel is UNKNOWN_CHANNEL', async () => {
    await expect(bench.provider.channel('0x' + '12'.repeat(32))).rejects.toMatchObject({ code: 'UNKNOWN_CHANNEL' });
  });

  test('a consumer without a voucher key in local mode is refused at construction', () => {
    expect(
      () => new PaymentConsumer({ mode: 'local', paymentServer: { url: bench.server.url, token: CONSUMER_TOKEN }, deposit: 1n }),
    ).toThrow(ChanpayError);
  });

  test('an unreachable payment server is PAYMENT_SERVER_UNAVAILABLE, quickly', async () => {
    const client = new PaymentServerClient({ url: 'http://127.0.0.1:9', token: CONSUMER_TOKEN, retries: 1 });
    const started = Date.now();
    await expect(client.config()).rejects.toMatchObject({ code: 'PAYMENT_SERVER_UNAVAILABLE', status: 503 });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  test('when the payment server is gone: remote answers 503 at once, local (batched) stops accepting within its bound', async () => {
    const remote = await startPaidApp(bench, { mode: 'remote', price: PRICE });
    const local = await startPaidApp(bench, { mode: 'local', price: PRICE, maxUnflushedMs: 300, stopTimeoutMs: 500 });
    const sync = await startPaidApp(bench, { mode: 'local', price: PRICE, sync: true, stopTimeoutMs: 500 });
    const consumer = consumerFor(bench, 'local');
    const s = localSigner(bench);
    const ch = await bench.consumer.openChannel({
      provider: bench.addresses.provider,
      deposit: finney(1),
      signer: s.address,
      challengePeriod: 60,
    });
    expect((await consumer.fetch(`${remote.url}/paid`)).status).toBe(200);
    expect((await consumer.fetch(`${local.url}/paid`)).status).toBe(200);
    expect((await get(`${sync.url}/paid`, { 'payment-voucher': s.header(ch.id, PRICE) })).status).toBe(200);
    await local.provider.flush();
    const served = remote.served();
    await bench.server.stop();
    const res = await consumer.fetch(`${remote.url}/paid`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYMENT_SERVER_UNAVAILABLE');
    expect(remote.served()).toBe(served);
    // Local keeps serving from its cache, but only until a voucher has waited maxUnflushedMs to be stored.
    expect((await consumer.fetch(`${local.url}/paid`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 400));
    const refused = await consumer.fetch(`${local.url}/paid`);
    expect(refused.status).toBe(503);
    expect(local.served()).toBe(2);
    // Sync: the voucher is accepted but cannot be stored, so the call is not served (503); the same voucher
    // under the same key is served on retry without a second charge.
    const voucher = s.header(ch.id, 2n * PRICE);
    const first = await get(`${sync.url}/paid`, { 'payment-voucher': voucher, 'idempotency-key': 'k-503' });
    expect(first.status).toBe(503);
    expect(sync.served()).toBe(1);
    const retry = await get(`${sync.url}/paid`, { 'payment-voucher': voucher, 'idempotency-key': 'k-503' });
    expect(retry.status).toBe(200);
    expect(retry.body.payment.retried).toBe(true);
    expect(sync.served()).toBe(2);
    const replay = await get(`${sync.url}/paid`, { 'payment-voucher': voucher });
    expect(replay.status).toBe(402);
    await Promise.all([remote.stop(), local.stop(), sync.stop()]);
  });
});

describe('consumer fetch with dynamic prices', () => {
  let bench: Bench;
  let app: PaidApp;
  let price = 100n;
  beforeAll(async () => {
    bench = await startBench();
    app = await startPaidApp(bench, { mode: 'local', price: () => price });
  });
  afterAll(async () => {
    await app?.stop();
    await bench?.stop();
  });

  test('a price that went up costs one refused attempt and is paid exactly', async () => {
    const consumer = consumerFor(bench, 'local');
    expect(receiptOf(await consumer.fetch(`${app.url}/paid`))).toMatchObject({ amount: 100n, price: 100n });
    price = 300n;
    expect(receiptOf(await consumer.fetch(`${app.url}/paid`))).toMatchObject({ amount: 400n, price: 300n });
    price = 50n;
    // Paying the remembered 300 for a 50 call: accepted (it pays at least the price), charged 50.
    expect(receiptOf(await consumer.fetch(`${app.url}/paid`))).toMatchObject({ amount: 700n, price: 50n });
    // The receipt taught it the new price.
    expect(receiptOf(await consumer.fetch(`${app.url}/paid`))).toMatchObject({ amount: 750n, price: 50n });
    expect(app.served()).toBe(4);
  });
});
