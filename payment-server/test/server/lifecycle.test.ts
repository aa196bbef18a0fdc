import path from 'node:path';
import type { EmbeddedChain } from '@chanpay/devkit';
import type { PaymentServer } from '../../src/server';
import { CHAINS, CONSUMER_TOKEN, PROVIDER_TOKEN, api, feesPaid, rpc, startServer, tempDir, timeTravel, waitFor } from './harness';

const GWEI = 1_000_000_000n;
const DEPOSIT = 1_000_000n * GWEI;

describe.each(CHAINS)('channel life cycle through the REST API on %s', (_name, startChain) => {
  let chain: EmbeddedChain;
  let server: PaymentServer;
  const http = api(() => server.url);

  beforeAll(async () => {
    chain = await startChain(4);
    server = await startServer(chain, path.join(tempDir(), 'ps.db'));
  });
  afterAll(async () => {
    await server?.stop();
    await chain?.stop();
  });

  test('open, pay per call, claim, top up, close by consumer, auto-claim, refund: balances conserve to the wei', async () => {
    const [consumer, provider] = chain.accounts.map((a) => a.address) as [string, string];
    const startBlock = Number(await rpc(chain.rpcUrl, 'eth_blockNumber'));
    const before = {
      consumer: BigInt(await rpc(chain.rpcUrl, 'eth_getBalance', [consumer, 'latest'])),
      provider: BigInt(await rpc(chain.rpcUrl, 'eth_getBalance', [provider, 'latest'])),
    };

    const opened = await http.call('POST', '/channels', CONSUMER_TOKEN, { provider, deposit: DEPOSIT.toString(), challengePeriod: 120 });
    expect(opened.status).toBe(201);
    const id: string = opened.body.channel.id;
    expect(opened.body.channel).toMatchObject({ state: 'open', deposit: DEPOSIT.toString(), claimed: '0', role: 'consumer' });
    expect(opened.body.channel.terms).toMatchObject({ consumer, provider, challengePeriod: 120 });

    // 10 paid calls of 1 gwei: the consumer's server signs, the provider's verifies and records.
    for (let i = 1; i <= 10; i++) {
      const signed = await http.call('POST', `/channels/${id}/vouchers`, CONSUMER_TOKEN, { price: GWEI.toString() });
      expect(signed.status).toBe(201);
      expect(signed.body.voucher.amount).toBe((BigInt(i) * GWEI).toString());
      const verified = await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: signed.body.header, price: GWEI.toString() });
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ accepted: true, channelId: id, amount: (BigInt(i) * GWEI).toString(), price: GWEI.toString() });
    }
    const asProvider = await http.call('GET', `/channels/${id}`, PROVIDER_TOKEN);
    expect(asProvider.body.channel).toMatchObject({ role: 'provider', calls: 10, unclaimed: (10n * GWEI).toString() });
    expect(asProvider.body.channel.latestVoucher.amount).toBe((10n * GWEI).toString());
    expect(asProvider.body.channel.windows.reduce((s: number, w: { calls: number }) => s + w.calls, 0)).toBe(10);
    expect(asProvider.body.channel.windows.reduce((s: bigint, w: { amount: string }) => s + BigInt(w.amount), 0n)).toBe(10n * GWEI);

    const claimed = await http.call('POST', `/channels/${id}/claim`, PROVIDER_TOKEN, {});
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ claimed: (10n * GWEI).toString(), amount: (10n * GWEI).toString() });
    const nothing = await http.call('POST', `/channels/${id}/claim`, PROVIDER_TOKEN, {});
    expect(nothing.status).toBe(409);
    expect(nothing.body.error.code).toBe('NOTHING_TO_CLAIM');

    const topped = await http.call('POST', `/channels/${id}/topup`, CONSUMER_TOKEN, { amount: (5n * GWEI).toString() });
    expect(topped.status).toBe(200);
    expect(topped.body.channel.deposit).toBe((DEPOSIT + 5n * GWEI).toString());

    for (let i = 11; i <= 15; i++) {
      const signed = await http.call('POST', `/channels/${id}/vouchers`, CONSUMER_TOKEN, { price: GWEI.toString() });
      expect(
        (await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: signed.body.header, price: GWEI.toString() })).status,
      ).toBe(200);
    }

    // The consumer closes; the provider's claimer must claim the 5 unclaimed gwei inside the challenge period.
    const closing = await http.call('POST', `/channels/${id}/close`, CONSUMER_TOKEN, {});
    expect(closing.status).toBe(200);
    expect(closing.body.state).toBe('closing');
    const refused = await http.call('POST', `/channels/${id}/vouchers`, CONSUMER_TOKEN, { price: GWEI.toString() });
    expect(refused.body.error.code).toBe('CHANNEL_CLOSING');
    await waitFor(
      'the provider to claim during the challenge period',
      async () => (await http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel.claimed === (15n * GWEI).toString(),
    );

    const early = await http.call('POST', `/channels/${id}/withdraw`, CONSUMER_TOKEN, {});
    expect(early.status).toBe(409);
    expect(early.body.error.details.error).toBe('ChallengePeriodActive');
    const status = await http.call('GET', `/channels/${id}/close-status`, CONSUMER_TOKEN);
    expect(status.body).toMatchObject({ state: 'closing', canWithdraw: false });

    await timeTravel(chain.rpcUrl, 121);
    await server.sync();
    await waitFor(
      'the consumer refund after the challenge period',
      async () => (await http.call('GET', `/channels/${id}`, CONSUMER_TOKEN)).body.channel.state === 'settled',
    );

    const endBlock = Number(await rpc(chain.rpcUrl, 'eth_blockNumber'));
    const fees = await feesPaid(chain.rpcUrl, startBlock + 1, endBlock);
    const after = {
      consumer: BigInt(await rpc(chain.rpcUrl, 'eth_getBalance', [consumer, 'latest'])),
      provider: BigInt(await rpc(chain.rpcUrl, 'eth_getBalance', [provider, 'latest'])),
    };
    const providerGain = after.provider - before.provider + (fees.get(provider) ?? 0n);
    const consumerSpend = before.consumer - after.consumer - (fees.get(consumer) ?? 0n);
    expect(providerGain).toBe(15n * GWEI);
    expect(consumerSpend).toBe(15n * GWEI);
    expect(BigInt(await rpc(chain.rpcUrl, 'eth_getBalance', [server.contract, 'latest']))).toBe(0n);
  });

  test('provider closes at once: claims the latest voucher and refunds the rest in one transaction', async () => {
    const [, provider] = chain.accounts.map((a) => a.address);
    const id = (await http.call('POST', '/channels', CONSUMER_TOKEN, { provider, deposit: DEPOSIT.toString() })).body.channel.id as string;
    const signed = await http.call('POST', `/channels/${id}/vouchers`, CONSUMER_TOKEN, { price: (7n * GWEI).toString() });
    await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: signed.body.header, price: (7n * GWEI).toString() });
    const closed = await http.call('POST', `/channels/${id}/close`, PROVIDER_TOKEN, {});
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ state: 'settled', claimed: (7n * GWEI).toString(), refund: (DEPOSIT - 7n * GWEI).toString() });
    const again = await http.call('POST', `/channels/${id}/close`, PROVIDER_TOKEN, {});
    expect(again.body.error.code).toBe('CHANNEL_CLOSED');
    const late = await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: signed.body.header, price: '1' });
    expect(late.body.error.code).toBe('CHANNEL_CLOSED');
  });

  test('batch claim settles several channels in one transaction', async () => {
    const [, provider] = chain.accounts.map((a) => a.address);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = (await http.call('POST', '/channels', CONSUMER_TOKEN, { provider, deposit: DEPOSIT.toString() })).body.channel
        .id as string;
      const signed = await http.call('POST', `/channels/${id}/vouchers`, CONSUMER_TOKEN, { price: GWEI.toString() });
      await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: signed.body.header, price: GWEI.toString() });
      ids.push(id);
    }
    const r = await http.call('POST', '/claims', PROVIDER_TOKEN, {});
    expect(r.status).toBe(200);
    expect(r.body.transactions).toHaveLength(1);
    expect(r.body.channels.sort()).toEqual([...ids].sort());
    for (const id of ids) expect((await http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel.claimed).toBe(GWEI.toString());
  });

  test('status, config, funds, openapi and metrics', async () => {
    const status = await http.call('GET', '/status', null);
    expect(status.body).toMatchObject({ status: 'ok', chainId: chain.chainId.toString(), contract: server.contract, chainReachable: true });
    const config = await http.call('GET', '/config', CONSUMER_TOKEN);
    expect(config.body.accounts).toEqual([{ name: 'consumer', address: chain.accounts[0]!.address, signer: chain.accounts[0]!.address }]);
    const funds = await http.call('GET', '/funds', PROVIDER_TOKEN);
    expect(BigInt(funds.body.accounts[0].asProvider.claimed)).toBeGreaterThan(0n);
    const openapi = await http.call('GET', '/openapi.json', CONSUMER_TOKEN);
    expect(openapi.body.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/channels', '/channels/{id}/vouchers', '/vouchers/verify', '/webhooks/{id}']),
    );
    const metrics = await http.call('GET', '/metrics', PROVIDER_TOKEN);
    expect(metrics.body).toMatch(/chanpay_paid_calls_total \d+/);
    expect(metrics.body).toMatch(/chanpay_voucher_verify_seconds_bucket/);
  });
});
