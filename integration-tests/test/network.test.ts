import { encodeVoucher, gwei } from '@chanpay/protocol';
import { VoucherHasher, VoucherSigner, hexToBuffer } from '@chanpay/protocol/node';
import { balanceOf, feesPaid, getJson, pool, rpc, startNetwork, timeTravel, waitFor, type Network } from './helpers/network';

const N = 25;
const CHALLENGE_PERIOD = 3;

describe.each(['local', 'remote'] as const)('example network, %s mode, on the embedded chain', (mode) => {
  let net: Network;
  let initial: Record<'randomNumber' | 'persistence' | 'public', bigint>;
  let channels: { randomNumber: string; persistence: string };

  beforeAll(async () => {
    net = await startNetwork({ mode, challengePeriod: CHALLENGE_PERIOD });
    const a = net.accounts!;
    const url = net.chain!.rpcUrl;
    initial = {
      randomNumber: await balanceOf(url, a.randomNumber, net.startBlock),
      persistence: await balanceOf(url, a.persistence, net.startBlock),
      public: await balanceOf(url, a.public, net.startBlock),
    };
  });
  afterAll(async () => {
    await net?.stop();
  });

  test('/init opens one channel to each provider, and only once', async () => {
    const first = await getJson(`${net.public.url}/init`);
    expect(first.status).toBe(200);
    channels = { randomNumber: first.body.randomNumber, persistence: first.body.persistence };
    const again = await getJson(`${net.public.url}/init`);
    expect(again.body).toMatchObject(channels);
    const open = await net.clients!.public.channels({ role: 'consumer' });
    expect(open).toHaveLength(2);
    expect(open.every((c) => c.deposit === '5000000000000000')).toBe(true);
  });

  test(`${N} calls to /action leave vouchers worth exactly N x 1 gwei and N x 2 gwei`, async () => {
    for (let i = 1; i <= N; i++) {
      const res = await getJson(`${net.public.url}/action`);
      expect(res.status).toBe(200);
      expect(res.body.savedNumber).toBe(res.body.number);
      expect(res.body.receipts.randomNumber).toEqual({
        channelId: channels.randomNumber,
        amount: (BigInt(i) * gwei(1)).toString(),
        price: gwei(1).toString(),
      });
      expect(res.body.receipts.persistence).toEqual({
        channelId: channels.persistence,
        amount: (BigInt(i) * gwei(2)).toString(),
        price: gwei(2).toString(),
      });
      expect(res.body.trace.map((t: { step: string }) => t.step)).toEqual(['randomNumber', 'persistence']);
    }
    expect(net.persistence.store.count()).toBe(N);
    await net.randomNumber.provider!.flush();
    await net.persistence.provider!.flush();
    const rn = await net.clients!.randomNumber.channel(channels.randomNumber);
    const ps = await net.clients!.persistence.channel(channels.persistence);
    expect(rn.latestVoucher?.amount).toBe((BigInt(N) * gwei(1)).toString());
    expect(ps.latestVoucher?.amount).toBe((BigInt(N) * gwei(2)).toString());
  });

  test('the providers claim on chain (/redeem) and report it (/payout)', async () => {
    for (const [svc, id, price] of [
      [net.randomNumber, channels.randomNumber, gwei(1)],
      [net.persistence, channels.persistence, gwei(2)],
    ] as const) {
      const redeem = await getJson(`${svc.url}/redeem`);
      expect(redeem.status).toBe(200);
      expect(redeem.body.channels).toEqual([id]);
      const payout = await getJson(`${svc.url}/payout`);
      expect(payout.body).toMatchObject({ claimed: (BigInt(N) * price).toString(), unclaimed: '0' });
    }
  });

  test('the public service closes, the challenge period passes, and on-chain balances conserve to the wei', async () => {
    const term = await getJson(`${net.public.url}/terminate`);
    expect(term.status).toBe(200);
    expect(term.body.terminationStarted).toBe(true);
    expect(term.body.channels.map((c: { state: string }) => c.state)).toEqual(['closing', 'closing']);
    await timeTravel(net.chain!.rpcUrl, CHALLENGE_PERIOD + 1);
    for (const id of [channels.randomNumber, channels.persistence]) {
      const status = await net.clients!.public.closeStatus(id);
      if (status.state !== 'settled') await net.clients!.public.withdraw(id).catch(() => undefined);
      await waitFor(`${id} settled`, async () => (await net.clients!.public.channel(id)).state === 'settled');
    }
    const url = net.chain!.rpcUrl;
    const end = Number(await rpc<string>(url, 'eth_blockNumber'));
    const fees = await feesPaid(url, net.startBlock, end);
    const a = net.accounts!;
    const fee = (x: string) => fees.get(x) ?? 0n;
    const n = BigInt(N);
    expect(await balanceOf(url, a.randomNumber, end)).toBe(initial.randomNumber - fee(a.randomNumber) + n * gwei(1));
    expect(await balanceOf(url, a.persistence, end)).toBe(initial.persistence - fee(a.persistence) + n * gwei(2));
    expect(await balanceOf(url, a.public, end)).toBe(initial.public - fee(a.public) - n * gwei(3));
    expect(await balanceOf(url, net.ps1!.contract, end)).toBe(0n);
  });
});

describe.each(['local', 'remote'] as const)('example network, %s mode, 200 concurrent actions', (mode) => {
  let net: Network;
  beforeAll(async () => {
    net = await startNetwork({ mode });
  });
  afterAll(async () => {
    await net?.stop();
  });

  test('200 /action calls at concurrency 20 are all served and each is charged once', async () => {
    const results = await pool(200, 20, () => getJson(`${net.public.url}/action`));
    expect(results.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
    expect(net.persistence.store.count()).toBe(200);
    await net.randomNumber.provider!.flush();
    await net.persistence.provider!.flush();
    const [rn] = await net.clients!.randomNumber.channels({ role: 'provider' });
    const [ps] = await net.clients!.persistence.channels({ role: 'provider' });
    const consumer = net.public.consumer!.channels();
    const paid = (provider: string) => consumer.find((c) => c.provider === provider)!;
    // Every call's receipt names its price once.
    expect(paid(net.accounts!.randomNumber).paid).toBe(200n * gwei(1));
    expect(paid(net.accounts!.persistence).paid).toBe(200n * gwei(2));
    // What the providers hold is what the consumer signed.
    expect(rn!.latestVoucher?.amount).toBe(paid(net.accounts!.randomNumber).signed.toString());
    expect(ps!.latestVoucher?.amount).toBe(paid(net.accounts!.persistence).signed.toString());
    expect(rn!.latestVoucher?.amount).toBe((200n * gwei(1)).toString());
    expect(ps!.latestVoucher?.amount).toBe((200n * gwei(2)).toString());
  });

  test('a call with no, a forged, a replayed or an underpaying voucher gets a 402 and is not served', async () => {
    const url = `${net.randomNumber.url}/randomNumber`;
    const id = net.public.consumer!.channels().find((c) => c.provider === net.accounts!.randomNumber)!.id;
    const hasher = new VoucherHasher({ chainId: net.ps1!.chainId, contract: net.ps1!.contract });
    const forger = new VoucherSigner(hasher, hexToBuffer('0x' + '42'.repeat(32)));
    // A fresh voucher from the consumer's real signer: its own key (local) or its payment server (remote).
    const ch = await net.clients!.public.channel(id);
    let held = BigInt((await net.clients!.randomNumber.channel(id)).latestVoucher!.amount);
    const genuine = async (increment: bigint): Promise<string> => {
      if (mode === 'local') {
        held += increment;
        return encodeVoucher(new VoucherSigner(hasher, hexToBuffer(net.voucherKey!)).sign(id, held));
      }
      return (await net.clients!.public.signVoucher(ch.id, increment)).header;
    };
    const get = async (voucher?: string) => {
      const res = await fetch(url, { headers: voucher ? { 'payment-voucher': voucher } : {} });
      return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
    };
    expect((await get()).status).toBe(402);
    const forged = await get(encodeVoucher(forger.sign(id, held + gwei(1))));
    expect([forged.status, forged.body.error?.code]).toEqual([402, 'SIGNER_MISMATCH']);
    const good = await genuine(gwei(1));
    expect((await get(good)).status).toBe(200);
    const replayed = await get(good);
    expect([replayed.status, replayed.body.error?.code]).toEqual([402, 'AMOUNT_TOO_LOW']);
    const under = await get(await genuine(gwei(1) - 1n));
    expect([under.status, under.body.error?.code]).toEqual([402, 'AMOUNT_TOO_LOW']);
  });
});

describe('example network without payments (PAYMENT=off)', () => {
  let net: Network;
  beforeAll(async () => {
    net = await startNetwork({ mode: 'off' });
  });
  afterAll(async () => {
    await net?.stop();
  });

  test('the same services answer with no payment server and no chain', async () => {
    const res = await getJson(`${net.public.url}/action`);
    expect(res.status).toBe(200);
    expect(res.body.receipts).toEqual({ randomNumber: null, persistence: null });
    expect(net.persistence.store.count()).toBe(1);
    expect((await getJson(`${net.public.url}/init`)).status).toBe(404);
    expect((await getJson(`${net.randomNumber.url}/redeem`)).status).toBe(404);
    expect((await getJson(`${net.randomNumber.url}/status`)).body.payment).toBe('off');
  });
});
