import path from 'node:path';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeVoucher } from '@chanpay/protocol';
import { VoucherHasher, VoucherSigner, hexToBuffer } from '@chanpay/protocol/node';
import { startEmbeddedChain, type EmbeddedChain } from '@chanpay/devkit';
import type { PaymentServer } from '../../src/server';
import { CONSUMER_TOKEN, PROVIDER_TOKEN, api, startServer, tempDir, timeTravel, waitFor } from './harness';

const GWEI = 1_000_000_000n;

interface Delivery {
  body: { id: string; type: string; data: Record<string, unknown> };
  raw: string;
  signature: string;
}

/** A webhook receiver on 127.0.0.1 that fails the first `failures` deliveries with a 503. */
async function receiver(
  failures: number,
): Promise<{ url: string; deliveries: Delivery[]; attempts: () => number; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  let attempts = 0;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      attempts++;
      if (attempts <= failures) {
        res.statusCode = 503;
        return res.end();
      }
      deliveries.push({ body: JSON.parse(raw) as Delivery['body'], raw, signature: String(req.headers['x-chanpay-signature']) });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    deliveries,
    attempts: () => attempts,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('webhooks and claim policies (ganache)', () => {
  let chain: EmbeddedChain;
  let server: PaymentServer;
  const http = api(() => server.url);

  beforeAll(async () => {
    chain = await startEmbeddedChain({ accounts: 3 });
  });
  afterEach(async () => {
    await server?.stop();
  });
  afterAll(async () => {
    await chain?.stop();
  });

  test('events reach subscribers, signed with their secret, retried until delivered, only for their own accounts', async () => {
    server = await startServer(chain, path.join(tempDir(), 'ps.db'));
    const hook = await receiver(2);
    const secret = 'a-webhook-secret-of-some-length';
    const created = await http.call('POST', '/webhooks', PROVIDER_TOKEN, {
      url: hook.url,
      events: ['channel.opened', 'voucher.accepted', 'channel.claimed', 'channel.closing', 'channel.settled'],
      secret,
    });
    expect(created.status).toBe(201);
    const listed = await http.call('GET', '/webhooks', PROVIDER_TOKEN);
    expect(listed.body.webhooks.map((w: { id: string }) => w.id)).toEqual([created.body.webhook.id]);
    expect((await http.call('GET', '/webhooks', CONSUMER_TOKEN)).body.webhooks).toEqual([]);

    const id = (
      await http.call('POST', '/channels', CONSUMER_TOKEN, {
        provider: chain.accounts[1]!.address,
        deposit: (100n * GWEI).toString(),
        challengePeriod: 60,
      })
    ).body.channel.id;
    const signed = await http.call('POST', `/channels/${id}/vouchers`, CONSUMER_TOKEN, { price: GWEI.toString() });
    await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: signed.body.header, price: GWEI.toString() });
    await http.call('POST', `/channels/${id}/claim`, PROVIDER_TOKEN, {});
    await http.call('POST', `/channels/${id}/close`, CONSUMER_TOKEN, {});
    await timeTravel(chain.rpcUrl, 61);
    await server.sync();

    const want = ['channel.opened', 'voucher.accepted', 'channel.claimed', 'channel.closing', 'channel.settled'];
    await waitFor('every event to be delivered', () => want.every((t) => hook.deliveries.some((d) => d.body.type === t)), 30_000);
    expect(hook.attempts()).toBeGreaterThan(hook.deliveries.length); // the first two failed and were retried
    for (const d of hook.deliveries) {
      expect(d.signature).toBe(`sha256=${createHmac('sha256', secret).update(d.raw).digest('hex')}`);
      expect(d.body.data.channelId).toBe(id);
    }
    const settled = hook.deliveries.find((d) => d.body.type === 'channel.settled')!;
    expect(settled.body.data).toMatchObject({ providerTotal: GWEI.toString(), consumerRefund: (99n * GWEI).toString() });

    expect((await http.call('DELETE', `/webhooks/${created.body.webhook.id}`, CONSUMER_TOKEN)).status).toBe(404);
    expect((await http.call('DELETE', `/webhooks/${created.body.webhook.id}`, PROVIDER_TOKEN)).status).toBe(200);
    await hook.close();
  });

  test('threshold policy: claims once the unclaimed amount reaches the threshold, batched across channels', async () => {
    // The claimer runs only when asked (sync), so that both channels are due in the same tick.
    server = await startServer(chain, path.join(tempDir(), 'ps.db'), {
      claim: { thresholdWei: (5n * GWEI).toString(), intervalSeconds: 0, checkIntervalMs: 600_000 },
    });
    const signer = new VoucherSigner(
      new VoucherHasher({ chainId: server.chainId, contract: server.contract }),
      hexToBuffer(chain.accounts[0]!.privateKey),
    );
    const ids: string[] = [];
    for (let i = 0; i < 2; i++)
      ids.push(
        (await http.call('POST', '/channels', CONSUMER_TOKEN, { provider: chain.accounts[1]!.address, deposit: (100n * GWEI).toString() }))
          .body.channel.id,
      );
    for (const id of ids)
      await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, {
        voucher: encodeVoucher(signer.sign(id, 4n * GWEI)),
        price: GWEI.toString(),
      });
    await server.sync();
    for (const id of ids) expect((await http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel.claimed).toBe('0');
    for (const id of ids)
      await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, {
        voucher: encodeVoucher(signer.sign(id, 5n * GWEI)),
        price: GWEI.toString(),
      });
    await server.sync();
    await waitFor('both channels claimed', async () => {
      const claimed = await Promise.all(
        ids.map(async (id) => (await http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel.claimed),
      );
      return claimed.every((c) => c === (5n * GWEI).toString());
    });
    const metrics = (await http.call('GET', '/metrics', PROVIDER_TOKEN)).body as string;
    expect(metrics).toMatch(/chanpay_transactions_total\{kind="claimBatch"\} 1/);
  });

  test('interval policy: claims whatever is unclaimed once the interval has passed', async () => {
    server = await startServer(chain, path.join(tempDir(), 'ps.db'), { claim: { intervalSeconds: 1, checkIntervalMs: 100 } });
    const signer = new VoucherSigner(
      new VoucherHasher({ chainId: server.chainId, contract: server.contract }),
      hexToBuffer(chain.accounts[0]!.privateKey),
    );
    const id = (
      await http.call('POST', '/channels', CONSUMER_TOKEN, { provider: chain.accounts[1]!.address, deposit: (100n * GWEI).toString() })
    ).body.channel.id;
    await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, {
      voucher: encodeVoucher(signer.sign(id, 3n * GWEI)),
      price: GWEI.toString(),
    });
    await waitFor(
      'the interval claim',
      async () => (await http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel.claimed === (3n * GWEI).toString(),
      10_000,
    );
  });
});
