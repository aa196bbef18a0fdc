import { finney } from '@chanpay/protocol';
import { receiptOf, PaymentConsumer } from '../src';
import { CONSUMER_TOKEN, get, localSigner, randomKey, startBench, startPaidApp, waitFor, type Bench } from './helpers/harness';

const PRICE = 1_000n;

describe("local mode: accepted vouchers reach the provider's payment server", () => {
  let bench: Bench;
  beforeAll(async () => {
    bench = await startBench();
  });
  afterAll(async () => {
    await bench?.stop();
  });

  const consumer = () =>
    new PaymentConsumer({
      mode: 'local',
      paymentServer: { url: bench.server.url, token: CONSUMER_TOKEN },
      voucherKey: randomKey(),
      deposit: finney(1),
      challengePeriod: 60,
    });

  test('sync: a call is answered only after its voucher is stored', async () => {
    const app = await startPaidApp(bench, { mode: 'local', price: PRICE, sync: true, flushIntervalMs: 60_000 });
    const c = consumer();
    for (let i = 1; i <= 5; i++) {
      const res = await c.fetch(`${app.url}/paid`);
      expect(res.status).toBe(200);
      const { channelId, amount } = receiptOf(res)!;
      // No flush, no wait: the payment server already holds it.
      expect((await bench.provider.channel(channelId)).latestVoucher?.amount).toBe(amount.toString());
    }
    await app.stop();
  });

  test('batched (default): stored within the flush interval', async () => {
    const app = await startPaidApp(bench, { mode: 'local', price: PRICE, flushIntervalMs: 100 });
    const c = consumer();
    let last = { channelId: '', amount: 0n };
    for (let i = 0; i < 10; i++) last = receiptOf(await c.fetch(`${app.url}/paid`))!;
    const started = Date.now();
    await waitFor(
      'the batch to be stored',
      async () => (await bench.provider.channel(last.channelId)).latestVoucher?.amount === last.amount.toString(),
      2_000,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    await app.stop();
  });

  test('batched: what is pending is stored on stop', async () => {
    const app = await startPaidApp(bench, { mode: 'local', price: PRICE, flushIntervalMs: 60_000 });
    const c = consumer();
    let last = { channelId: '', amount: 0n };
    for (let i = 0; i < 7; i++) last = receiptOf(await c.fetch(`${app.url}/paid`))!;
    expect((await bench.provider.channel(last.channelId)).latestVoucher).toBeNull();
    await app.stop();
    expect((await bench.provider.channel(last.channelId)).latestVoucher?.amount).toBe((7n * PRICE).toString());
  });

  test('a restarted provider refuses every voucher it had stored (no free replays)', async () => {
    const s = localSigner(bench);
    const ch = await bench.consumer.openChannel({
      provider: bench.addresses.provider,
      deposit: finney(1),
      signer: s.address,
      challengePeriod: 60,
    });
    const app = await startPaidApp(bench, { mode: 'local', price: PRICE, sync: true });
    for (let i = 1n; i <= 3n; i++)
      expect((await get(`${app.url}/paid`, { 'payment-voucher': s.header(ch.id, i * PRICE) })).status).toBe(200);
    await app.stop();
    const restarted = await startPaidApp(bench, { mode: 'local', price: PRICE });
    const replay = await get(`${restarted.url}/paid`, { 'payment-voucher': s.header(ch.id, 2n * PRICE) });
    expect(replay.status).toBe(402);
    expect(replay.body.error.code).toBe('AMOUNT_TOO_LOW');
    expect(replay.body.channel.acceptedAmount).toBe((3n * PRICE).toString());
    expect((await get(`${restarted.url}/paid`, { 'payment-voucher': s.header(ch.id, 4n * PRICE) })).status).toBe(200);
    expect(restarted.served()).toBe(1);
    await restarted.stop();
  });
});
