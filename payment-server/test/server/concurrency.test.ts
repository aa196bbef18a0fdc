import path from 'node:path';
import { encodeVoucher } from '@chanpay/protocol';
import { VoucherHasher, VoucherSigner, hexToBuffer } from '@chanpay/protocol/node';
import type { EmbeddedChain } from '@chanpay/devkit';
import type { PaymentServer } from '../../src/server';
import { CHAINS, CONSUMER_TOKEN, PROVIDER_TOKEN, api, startServer, tempDir } from './harness';

const GWEI = 1_000_000_000n;

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

describe.each(CHAINS)('concurrent submissions on one channel on %s', (_name, startChain) => {
  let chain: EmbeddedChain;
  let server: PaymentServer;
  let signer: VoucherSigner;
  const http = api(() => server.url);
  const open = async () =>
    (await http.call('POST', '/channels', CONSUMER_TOKEN, { provider: chain.accounts[1]!.address, deposit: (10_000n * GWEI).toString() }))
      .body.channel.id as string;

  beforeAll(async () => {
    chain = await startChain(3);
    server = await startServer(chain, path.join(tempDir(), 'ps.db'));
    signer = new VoucherSigner(
      new VoucherHasher({ chainId: server.chainId, contract: server.contract }),
      hexToBuffer(chain.accounts[0]!.privateKey),
    );
  });
  afterAll(async () => {
    await server?.stop();
    await chain?.stop();
  });

  test('the same voucher sent 50 times at once is accepted exactly once', async () => {
    const id = await open();
    const header = encodeVoucher(signer.sign(id, GWEI));
    const results = await Promise.all(
      Array.from({ length: 50 }, () => http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: header, price: GWEI.toString() })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.body.error.code === 'AMOUNT_TOO_LOW')).toHaveLength(49);
    expect((await http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel).toMatchObject({
      calls: 1,
      latestVoucher: { amount: GWEI.toString() },
    });
  });

  test('200 distinct vouchers at concurrency 20, arriving out of order: each call is charged exactly once', async () => {
    const id = await open();
    const amounts = Array.from({ length: 200 }, (_, i) => BigInt(i + 1) * GWEI);
    // Shuffle deterministically so that many vouchers overtake lower ones.
    for (let i = amounts.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [amounts[i], amounts[j]] = [amounts[j]!, amounts[i]!];
    }
    const accepted: bigint[] = [];
    await pool(amounts, 20, async (amount) => {
      const r = await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, {
        voucher: encodeVoucher(signer.sign(id, amount)),
        price: GWEI.toString(),
      });
      expect(r.status).toBe(200);
      accepted.push(BigInt(r.body.amount));
    });
    expect(new Set(accepted).size).toBe(200);
    const ch = (await http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel;
    expect(ch.calls).toBe(200);
    expect(ch.latestVoucher.amount).toBe((200n * GWEI).toString());
    // ...and none of them again.
    const replays = await Promise.all(
      amounts
        .slice(0, 40)
        .map((a) =>
          http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: encodeVoucher(signer.sign(id, a)), price: GWEI.toString() }),
        ),
    );
    expect(replays.every((r) => r.status === 409 && r.body.error.code === 'AMOUNT_TOO_LOW')).toBe(true);
  });

  test('100 concurrent sign requests get 100 distinct cumulative amounts', async () => {
    const id = await open();
    const results = await Promise.all(
      Array.from({ length: 100 }, () => http.call('POST', `/channels/${id}/vouchers`, CONSUMER_TOKEN, { price: GWEI.toString() })),
    );
    const amounts = results.map((r) => BigInt(r.body.voucher.amount)).sort((a, b) => (a < b ? -1 : 1));
    expect(amounts).toEqual(Array.from({ length: 100 }, (_, i) => BigInt(i + 1) * GWEI));
  });

  test('a top-up racing a close: exactly one of them lands and the channel ends consistent', async () => {
    const id = await open();
    const [top, close] = await Promise.all([
      http.call('POST', `/channels/${id}/topup`, CONSUMER_TOKEN, { amount: GWEI.toString() }),
      http.call('POST', `/channels/${id}/close`, CONSUMER_TOKEN, {}),
    ]);
    expect(close.status).toBe(200);
    const ch = (await http.call('GET', `/channels/${id}`, CONSUMER_TOKEN)).body.channel;
    expect(ch.state).toBe('closing');
    if (top.status === 200) expect(ch.deposit).toBe((10_001n * GWEI).toString());
    else expect({ status: top.status, code: top.body.error.code }).toEqual({ status: 409, code: 'CHANNEL_CLOSING' });
  });
});
