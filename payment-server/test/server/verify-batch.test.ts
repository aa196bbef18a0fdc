import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { encodeVoucher } from '@chanpay/protocol';
import { VoucherHasher, VoucherSigner, hexToBuffer } from '@chanpay/protocol/node';
import type { EmbeddedChain } from '@chanpay/devkit';
import type { PaymentServer } from '../../src/server';
import { CHAINS, CONSUMER_TOKEN, OTHER_TOKEN, PROVIDER_TOKEN, api, startServer, tempDir } from './harness';

const GWEI = 1_000_000_000n;

interface Item {
  voucher: string;
  price: string;
  idempotencyKey?: string;
  origin?: string;
}

describe.each(CHAINS)('POST /vouchers/verify-batch on %s', (_name, startChain) => {
  let chain: EmbeddedChain;
  let server: PaymentServer;
  let signer: VoucherSigner;
  let dbPath: string;
  const http = api(() => server.url);
  const open = async (provider = 1, deposit = 1000n * GWEI) =>
    (
      await http.call('POST', '/channels', CONSUMER_TOKEN, {
        provider: chain.accounts[provider]!.address,
        deposit: deposit.toString(),
      })
    ).body.channel.id as string;
  const voucher = (id: string, amount: bigint) => encodeVoucher(signer.sign(id, amount));
  const item = (id: string, amount: bigint, extra: Partial<Item> = {}): Item => ({
    voucher: voucher(id, amount),
    price: GWEI.toString(),
    ...extra,
  });
  const batch = (items: Item[], token = PROVIDER_TOKEN) => http.call('POST', '/vouchers/verify-batch', token, { items });
  const channel = async (id: string) => (await http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel;
  /** The server's count of answered batch requests (its Prometheus metrics). */
  const batchRequests = async () => {
    const text = (await http.call('GET', '/metrics', PROVIDER_TOKEN)).body as string;
    return Number(/chanpay_http_requests_total\{route="\/vouchers\/verify-batch",status="200"\} (\d+)/.exec(text)?.[1] ?? 0);
  };
  const codes = (results: { accepted: boolean; error?: { code: string } }[]) =>
    results.map((r) => (r.accepted ? 'accepted' : r.error!.code));

  beforeAll(async () => {
    chain = await startChain(4);
    dbPath = path.join(tempDir(), 'ps.db');
    server = await startServer(chain, dbPath);
    signer = new VoucherSigner(
      new VoucherHasher({ chainId: server.chainId, contract: server.contract }),
      hexToBuffer(chain.accounts[0]!.privateKey),
    );
  });
  afterAll(async () => {
    await server?.stop();
    await chain?.stop();
  });

  test('good and bad vouchers in one batch: each answered on its own, in order, the refused ones change nothing', async () => {
    const id = await open();
    const forger = new VoucherSigner(
      new VoucherHasher({ chainId: server.chainId, contract: server.contract }),
      hexToBuffer(Wallet.createRandom().privateKey),
    );
    const r = await batch([
      item(id, GWEI),
      { voucher: 'not a voucher', price: GWEI.toString() },
      { voucher: encodeVoucher(forger.sign(id, 2n * GWEI)), price: GWEI.toString() },
      item(`0x${randomBytes(32).toString('hex')}`, GWEI),
      item(id, 2n * GWEI),
      item(id, 2n * GWEI + 1n), // pays 1 wei for a 1 gwei call
      item(id, 5000n * GWEI), // above the deposit, also after re-reading the channel
      item(id, 3n * GWEI),
    ]);
    expect(r.status).toBe(200);
    expect(codes(r.body.results)).toEqual([
      'accepted',
      'MALFORMED_VOUCHER',
      'SIGNER_MISMATCH',
      'UNKNOWN_CHANNEL',
      'accepted',
      'AMOUNT_TOO_LOW',
      'AMOUNT_EXCEEDS_DEPOSIT',
      'accepted',
    ]);
    expect(r.body.results[0]).toMatchObject({ channelId: id, amount: GWEI.toString(), price: GWEI.toString(), replayed: false });
    expect(r.body.results[0].header).toBe(`${id}.${GWEI}.${GWEI}`);
    expect(r.body.results[1]).toMatchObject({ accepted: false, channelId: null });
    expect(r.body.results[2]).toMatchObject({ accepted: false, channelId: id });
    expect(r.body.results[7]).toMatchObject({ amount: (3n * GWEI).toString(), price: GWEI.toString() });
    expect(await channel(id)).toMatchObject({ calls: 3, latestVoucher: { amount: (3n * GWEI).toString() } });
  });

  test('the same voucher twice in one batch is accepted once; vouchers of several channels go together', async () => {
    const a = await open();
    const b = await open();
    const r = await batch([item(a, GWEI), item(b, GWEI), item(a, GWEI), item(b, 2n * GWEI), item(a, GWEI)]);
    expect(codes(r.body.results)).toEqual(['accepted', 'accepted', 'AMOUNT_TOO_LOW', 'accepted', 'AMOUNT_TOO_LOW']);
    expect(await channel(a)).toMatchObject({ calls: 1, latestVoucher: { amount: GWEI.toString() } });
    expect(await channel(b)).toMatchObject({ calls: 2, latestVoucher: { amount: (2n * GWEI).toString() } });
  });

  test('idempotency keys: a repeat in the batch, of the batch, or on the single route is a replay; another voucher under a key conflicts', async () => {
    const id = await open();
    const items = [item(id, GWEI, { idempotencyKey: 'k1' }), item(id, 3n * GWEI, { idempotencyKey: 'k2', price: (2n * GWEI).toString() })];
    const first = await batch([...items, items[0]!, { ...item(id, 4n * GWEI), idempotencyKey: 'k1' }]);
    expect(codes(first.body.results)).toEqual(['accepted', 'accepted', 'accepted', 'IDEMPOTENCY_CONFLICT']);
    expect(first.body.results.map((x: { replayed?: boolean }) => x.replayed)).toEqual([false, false, true, undefined]);
    // The batch resent (its answer lost): every item a replay at its first price, nothing charged again.
    const again = await batch(items);
    expect(again.body.results).toEqual([
      { ...first.body.results[0], replayed: true },
      { ...first.body.results[1], replayed: true },
    ]);
    const single = await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { ...items[1], price: '1' });
    expect(single.body).toMatchObject({ accepted: true, replayed: true, price: (2n * GWEI).toString() });
    expect(await channel(id)).toMatchObject({ calls: 2, latestVoucher: { amount: (3n * GWEI).toString() } });
  });

  test("a token verifies only its own account's channels; without a token nothing", async () => {
    const mine = await open(1);
    const others = await open(2);
    const r = await batch([item(others, GWEI), item(mine, GWEI)]);
    expect(codes(r.body.results)).toEqual(['FORBIDDEN', 'accepted']);
    expect(codes((await batch([item(mine, 2n * GWEI)], OTHER_TOKEN)).body.results)).toEqual(['FORBIDDEN']);
    expect(codes((await batch([item(mine, 2n * GWEI)], CONSUMER_TOKEN)).body.results)).toEqual(['FORBIDDEN']);
    expect((await batch([item(mine, 2n * GWEI)], '')).status).toBe(401);
    expect(await channel(mine)).toMatchObject({ calls: 1 });
    expect((await http.call('GET', `/channels/${others}`, OTHER_TOKEN)).body.channel).toMatchObject({ calls: 0 });
    // The whole request is refused when it names an account the token does not hold, or is not a batch.
    const foreign = await http.call('POST', '/vouchers/verify-batch', PROVIDER_TOKEN, { account: 'other', items: [item(others, GWEI)] });
    expect(foreign.status).toBe(403);
    expect((await http.call('POST', '/vouchers/verify-batch', PROVIDER_TOKEN, { items: [] })).status).toBe(400);
  });

  test('concurrent batches on the same channels charge each call once; what was answered survives a restart', async () => {
    const ids = [await open(), await open()];
    const amounts = Array.from({ length: 60 }, (_, i) => BigInt(i + 1) * GWEI);
    // Every voucher sent twice, in 12 batches of 10 that run at once.
    const items = [...amounts, ...amounts].flatMap((a) => ids.map((id) => item(id, a)));
    const batches = Array.from({ length: 12 }, (_, i) => items.slice(i * 20, i * 20 + 20));
    const before = await batchRequests();
    const results = (await Promise.all(batches.map((b) => batch(b)))).flatMap((r) => r.body.results);
    expect((await batchRequests()) - before).toBe(12);
    expect(results).toHaveLength(240);
    expect(results.filter((r) => r.accepted)).toHaveLength(120);
    expect(results.filter((r) => !r.accepted).every((r) => r.error.code === 'AMOUNT_TOO_LOW')).toBe(true);
    await server.stop();
    server = await startServer(chain, dbPath);
    for (const id of ids) expect(await channel(id)).toMatchObject({ calls: 60, latestVoucher: { amount: (60n * GWEI).toString() } });
  });
});
