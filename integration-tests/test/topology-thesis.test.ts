/**
 * The thesis topology built as processes by the topology builder behaves as the thesis network always did: N
 * actions leave N × 1 gwei with random-number and N × 2 gwei with persistence, in local, remote and prepaid
 * mode, and the same services answer without payment.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gwei } from '@chanpay/protocol';
import { startTopology, type RunningTopology, type TopologyOverrides } from '@chanpay/topology';
import { audit, payout, settle } from './helpers/topology-audit';

jest.setTimeout(300_000);

const N = 10;
const dataDir = () => path.join(mkdtempSync(path.join(tmpdir(), 'chanpay-thesis-')), 'net');

interface Receipt {
  channelId: string;
  amount: string;
  price: string;
}

describe.each([
  ['local', { mode: 'local' }, 1],
  ['remote', { mode: 'remote' }, 1],
  ['prepaid (5 calls per voucher)', { mode: 'local', prepay: 5 }, 5],
] as [string, TopologyOverrides, number][])('thesis, %s', (_name, overrides, prepay) => {
  let net: RunningTopology;
  beforeAll(async () => {
    net = await startTopology('thesis', { overrides, freePorts: true, dataDir: dataDir(), claimIntervalSeconds: 0 });
  });
  afterAll(async () => {
    await net?.stop();
  });

  test(`${N} actions leave N × 1 gwei and N × 2 gwei, claimed on chain and conserved`, async () => {
    expect(net.entries.map((e) => e.url)).toEqual([`${net.urls.services.public}/action`]);
    const prices = { randomNumber: gwei(1), persistence: gwei(2) };
    for (let i = 1; i <= N; i++) {
      const res = await fetch(net.entries[0]!.url);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { receipts: Record<'randomNumber' | 'persistence', Receipt> };
      for (const hop of ['randomNumber', 'persistence'] as const) {
        const r = body.receipts[hop];
        expect(r.price).toBe(prices[hop].toString());
        // The voucher's cumulative amount: the call's own (one voucher per call) or that of the block of calls it prepaid.
        if (prepay === 1) expect(r.amount).toBe((BigInt(i) * prices[hop]).toString());
        else expect(BigInt(r.amount) % (BigInt(prepay) * prices[hop])).toBe(0n);
      }
    }
    // The consumer's books: N calls paid at the price; what it signed beyond them is prepaid calls not yet made.
    const status = (await (await fetch(`${net.urls.services.public}/status`)).json()) as {
      channels: { provider: string; calls: number; paid: string; signed: string; prepaidCalls: number }[];
    };
    const signed: Record<string, bigint> = {};
    for (const [service, price] of [
      ['random-number', gwei(1)],
      ['persistence', gwei(2)],
    ] as const) {
      const ch = status.channels.find((c) => c.provider === net.accountOfService(service)!.address)!;
      expect([service, ch.calls, ch.paid]).toEqual([service, N, (BigInt(N) * price).toString()]);
      expect(BigInt(ch.signed)).toBe(BigInt(N + ch.prepaidCalls) * price);
      if (prepay === 1) expect(ch.prepaidCalls).toBe(0);
      signed[service] = BigInt(ch.signed);
    }
    const ids = await settle(net);
    expect(await payout(net, 'random-number')).toMatchObject({ claimed: signed['random-number']!.toString(), unclaimed: '0' });
    expect(await payout(net, 'persistence')).toMatchObject({ claimed: signed.persistence!.toString(), unclaimed: '0' });
    const { report, balanceProblems } = await audit(net, ids);
    expect(report.problems).toEqual([]);
    expect(balanceProblems).toEqual([]);
    expect(report.providerPayouts).toBe(signed['random-number']! + signed.persistence!);
    expect(report.providerPayouts + report.consumerRefunds).toBe(report.deposits);
  });
});

describe('thesis without payment', () => {
  let net: RunningTopology;
  beforeAll(async () => {
    net = await startTopology('thesis', { overrides: { mode: 'off' }, freePorts: true, dataDir: dataDir() });
  });
  afterAll(async () => {
    await net?.stop();
  });

  test('the same services answer, with no chain, no payment server and no receipts', async () => {
    expect(net.chain).toBeNull();
    expect(net.urls.paymentServers).toEqual({});
    expect(net.processes.map((p) => p.name)).toEqual(expect.arrayContaining(['random-number', 'persistence', 'public']));
    expect(net.processes).toHaveLength(3);
    for (let i = 0; i < N; i++) {
      const res = await fetch(net.entries[0]!.url);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { receipts: unknown }).receipts).toEqual({ randomNumber: null, persistence: null });
    }
    expect((await (await fetch(`${net.urls.services.persistence}/status`)).json()) as { saved: number }).toMatchObject({
      saved: N,
      payment: 'off',
    });
    expect((await fetch(`${net.urls.services['random-number']}/randomNumber`)).status).toBe(200);
  });
});
