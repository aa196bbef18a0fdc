import { PAYMENT_REQUIRED_HEADER, RECEIPT_HEADER, decodeReceipt, decodeTerms, finney, type ChannelInfo } from '@chanpay/protocol';
import { get, localSigner, pool, randomKey, startBench, startPaidApp, waitFor, type Bench, type PaidApp } from './helpers/harness';

const PRICE = 1_000n;

describe.each(['local', 'remote'] as const)('provider middleware, %s mode', (mode) => {
  let bench: Bench;
  let app: PaidApp;
  let channel: ChannelInfo;
  const signer = { current: null as ReturnType<typeof localSigner> | null };
  const sign = (amount: bigint, id = channel.id) => signer.current!.header(id, amount);
  let paidSoFar = 0n;
  const next = () => (paidSoFar += PRICE);

  beforeAll(async () => {
    bench = await startBench();
    signer.current = localSigner(bench);
    app = await startPaidApp(bench, { mode, price: PRICE });
    channel = await bench.consumer.openChannel({
      provider: bench.addresses.provider,
      deposit: finney(1),
      signer: signer.current.address,
      challengePeriod: 60,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await bench?.stop();
  });

  test('a call without a voucher gets 402 with machine-readable terms (header and body) and is not served', async () => {
    const res = await get(`${app.url}/paid`);
    expect(res.status).toBe(402);
    const terms = decodeTerms(res.headers.get(PAYMENT_REQUIRED_HEADER)!);
    expect(terms).toMatchObject({
      scheme: 'chanpay-channel-v1',
      price: PRICE.toString(),
      provider: bench.addresses.provider,
      contract: bench.server.contract,
      chainId: bench.server.chainId.toString(),
      token: '0x0000000000000000000000000000000000000000',
      minChallengePeriod: 2,
    });
    expect(res.body).toMatchObject({ ...terms, error: { code: 'PAYMENT_REQUIRED' } });
    expect(app.served()).toBe(0);
  });

  test('a valid voucher is served once, with a receipt', async () => {
    const amount = next();
    const res = await get(`${app.url}/paid`, { 'payment-voucher': sign(amount) });
    expect(res.status).toBe(200);
    expect(decodeReceipt(res.headers.get(RECEIPT_HEADER)!)).toEqual({ channelId: channel.id, amount, price: PRICE });
    expect(app.served()).toBe(1);
  });

  test.each([
    ['forged (signed by another key)', 'SIGNER_MISMATCH', () => localSigner(bench, randomKey()).header(channel.id, paidSoFar + PRICE)],
    ['replayed', 'AMOUNT_TOO_LOW', () => sign(paidSoFar)],
    ['underpaying', 'AMOUNT_TOO_LOW', () => sign(paidSoFar + PRICE - 1n)],
    ['above-the-deposit', 'AMOUNT_EXCEEDS_DEPOSIT', () => sign(finney(1) + 1n)],
    ['malformed', 'MALFORMED_VOUCHER', () => 'not-a-voucher'],
    ['other-chain', 'WRONG_DOMAIN', () => sign(paidSoFar + PRICE).replace(/^1\.\d+\./, '1.999.')],
    ['unknown-channel', 'UNKNOWN_CHANNEL', () => sign(paidSoFar + PRICE, '0x' + 'ab'.repeat(32))],
    [
      'non-canonical (bad v)',
      'BAD_SIGNATURE',
      () => {
        const h = sign(paidSoFar + PRICE);
        return h.slice(0, -2) + (h.endsWith('1b') ? '1d' : '1e');
      },
    ],
  ])('a %s voucher gets 402 %s and is not served', async (_what, code, make) => {
    const before = app.served();
    const res = await get(`${app.url}/paid`, { 'payment-voucher': make() });
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe(code);
    expect(decodeTerms(res.headers.get(PAYMENT_REQUIRED_HEADER)!)?.reason?.code).toBe(code);
    expect(app.served()).toBe(before);
  });

  test("a rejected voucher carries the provider's latest voucher, so a restarted consumer can resume", async () => {
    const res = await get(`${app.url}/paid`, { 'payment-voucher': sign(paidSoFar) });
    expect(res.status).toBe(402);
    expect(res.body.channel).toEqual({
      channelId: channel.id,
      acceptedAmount: paidSoFar.toString(),
      signature: expect.stringMatching(/^0x[0-9a-f]{130}$/),
    });
    expect(res.body.channel.signature).toBe(sign(paidSoFar).split('.')[5]);
  });

  test('under concurrency no voucher is ever served twice', async () => {
    const before = app.served();
    const base = paidSoFar;
    const headers = Array.from({ length: 40 }, (_, i) => sign(base + BigInt(i + 1) * PRICE));
    paidSoFar = base + 40n * PRICE;
    // Every voucher sent twice, all at once, so arrival order is scrambled.
    const results = await pool(80, 20, (i) =>
      get(`${app.url}/paid`, { 'payment-voucher': headers[i % 40]! }).then((r) => ({ ...r, voucher: i % 40 })),
    );
    const servedVouchers = results.filter((r) => r.status === 200).map((r) => r.voucher);
    expect(new Set(servedVouchers).size).toBe(servedVouchers.length);
    expect(app.served()).toBe(before + servedVouchers.length);
    // In both modes a voucher that arrives after a higher one still fills its own gap: every call is served once,
    // and every duplicate is refused.
    expect(servedVouchers).toHaveLength(40);
    expect(results.filter((r) => r.status === 402).every((r) => r.body.error.code === 'AMOUNT_TOO_LOW')).toBe(true);
  });

  if (mode === 'local') {
    test('a voucher that overtakes the one before it leaves a gap that the late one fills (each charged once)', async () => {
      const before = app.served();
      const n1 = paidSoFar + PRICE;
      const n2 = paidSoFar + 2n * PRICE;
      paidSoFar = n2;
      expect((await get(`${app.url}/paid`, { 'payment-voucher': sign(n2) })).status).toBe(200);
      expect((await get(`${app.url}/paid`, { 'payment-voucher': sign(n1) })).status).toBe(200);
      expect((await get(`${app.url}/paid`, { 'payment-voucher': sign(n1) })).status).toBe(402);
      expect(app.served()).toBe(before + 2);
    });
  }

  test('an Idempotency-Key retry with the same voucher gets the same answer and is not charged again', async () => {
    const before = app.served();
    const voucher = sign(next());
    const first = await get(`${app.url}/paid`, { 'payment-voucher': voucher, 'idempotency-key': 'call-1' });
    const again = await get(`${app.url}/paid`, { 'payment-voucher': voucher, 'idempotency-key': 'call-1' });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get(RECEIPT_HEADER)).toBe(first.headers.get(RECEIPT_HEADER));
    expect(app.served()).toBe(before + 1);
    const other = await get(`${app.url}/paid`, { 'payment-voucher': sign(next()), 'idempotency-key': 'call-1' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    paidSoFar -= PRICE; // that voucher was not accepted
    expect(app.served()).toBe(before + 1);
  });

  test('concurrent repeats with the same key and voucher are served once and all get the one answer', async () => {
    const before = app.served();
    const voucher = sign(next());
    const results = await Promise.all(
      Array.from({ length: 5 }, () => get(`${app.url}/paid`, { 'payment-voucher': voucher, 'idempotency-key': 'call-2' })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(app.served()).toBe(before + 1);
  });

  test.each([
    ['an empty', ''],
    ['a 129-character', 'k'.repeat(129)],
  ])('%s Idempotency-Key is a 400 VALIDATION_ERROR: not served, and its voucher not charged', async (_what, key) => {
    const before = app.served();
    const voucher = sign(next());
    const refused = await get(`${app.url}/paid`, { 'payment-voucher': voucher, 'idempotency-key': key });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_ERROR');
    expect(refused.headers.get(RECEIPT_HEADER)).toBeNull();
    expect(app.served()).toBe(before);
    // Not charged: the same voucher still pays for a call.
    const paid = await get(`${app.url}/paid`, { 'payment-voucher': voucher });
    expect(paid.status).toBe(200);
    expect(decodeReceipt(paid.headers.get(RECEIPT_HEADER)!)).toEqual({ channelId: channel.id, amount: paidSoFar, price: PRICE });
    expect(app.served()).toBe(before + 1);
  });

  test('the accepted vouchers reach the payment server (latest amount and the calls)', async () => {
    await app.provider.flush();
    const held = await bench.provider.channel(channel.id);
    expect(held.latestVoucher?.amount).toBe(paidSoFar.toString());
  });

  test('a top-up is seen before a voucher above the old deposit is refused', async () => {
    await bench.consumer.topUp(channel.id, finney(1));
    const res = await get(`${app.url}/paid`, { 'payment-voucher': sign(finney(1) + PRICE) });
    expect(res.status).toBe(200);
    paidSoFar = finney(1) + PRICE;
  });

  test('once the consumer starts closing, vouchers are refused with CHANNEL_CLOSING', async () => {
    await bench.consumer.close(channel.id);
    await waitFor('the provider to see the close', async () => {
      const res = await get(`${app.url}/paid`, { 'payment-voucher': sign(paidSoFar + PRICE) });
      if (res.status === 200) paidSoFar += PRICE;
      return res.status === 402 && res.body.error.code === 'CHANNEL_CLOSING';
    });
  });
});

describe("provider middleware, dynamic price and other providers' channels", () => {
  let bench: Bench;
  let app: PaidApp;
  beforeAll(async () => {
    bench = await startBench();
    app = await startPaidApp(bench, { mode: 'local', price: (ctx) => BigInt(Number(ctx.query.size ?? 1)) * 100n });
  });
  afterAll(async () => {
    await app?.stop();
    await bench?.stop();
  });

  test('the price is a function of the request', async () => {
    const s = localSigner(bench);
    const ch = await bench.consumer.openChannel({
      provider: bench.addresses.provider,
      deposit: finney(1),
      signer: s.address,
      challengePeriod: 60,
    });
    const t = await get(`${app.url}/paid?size=7`);
    expect(t.body.price).toBe('700');
    expect((await get(`${app.url}/paid?size=7`, { 'payment-voucher': s.header(ch.id, 699n) })).status).toBe(402);
    const ok = await get(`${app.url}/paid?size=7`, { 'payment-voucher': s.header(ch.id, 700n) });
    expect(ok.status).toBe(200);
    expect(ok.body.payment.price).toBe('700');
  });

  test('a channel that pays another provider is refused with WRONG_PROVIDER', async () => {
    const s = localSigner(bench);
    const ch = await bench.consumer.openChannel({
      provider: bench.addresses.other,
      deposit: finney(1),
      signer: s.address,
      challengePeriod: 60,
    });
    const res = await get(`${app.url}/paid`, { 'payment-voucher': s.header(ch.id, 100n) });
    expect(res.status).toBe(402);
    expect(['WRONG_PROVIDER', 'UNKNOWN_CHANNEL']).toContain(res.body.error.code);
  });

  test('voucher header too long is refused before any work', async () => {
    const res = await get(`${app.url}/paid`, { 'payment-voucher': '1.' + 'x'.repeat(600) });
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('VOUCHER_TOO_LARGE');
  });

  test('an invalid idempotency key is a 400', async () => {
    const s = localSigner(bench);
    const ch = await bench.consumer.openChannel({
      provider: bench.addresses.provider,
      deposit: finney(1),
      signer: s.address,
      challengePeriod: 60,
    });
    const res = await get(`${app.url}/paid`, { 'payment-voucher': s.header(ch.id, 100n), 'idempotency-key': 'x'.repeat(200) });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });
});
