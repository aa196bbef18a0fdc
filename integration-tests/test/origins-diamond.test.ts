/**
 * Costs attributed to their origin, on the `diamond` topology as processes (front-a → shared ← front-b,
 * shared → back), in both modes: after N requests to front-a and M to front-b, what shared was paid and what it
 * paid back split N:M by origin, to the wei; the same from back's side, and (remote mode) from the payment
 * servers' `GET /channels/:id/origins`. A malformed baggage is refused before payment; a client's own origin
 * is passed on through every hop.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PaymentServerClient } from '@chanpay/client-lib';
import type { ChannelOrigins, PaymentMode } from '@chanpay/protocol';
import { startTopology, type RunningTopology } from '@chanpay/topology';
import type { HopReceipt } from './helpers/topology-audit';

jest.setTimeout(300_000);

const N = 3;
const M = 2;

type Split = Record<string, { calls: number; amount: bigint }>;

/** Calls and wei by origin, summed over windows, of the records with this role on this channel. */
function splitOf(records: readonly ChannelOrigins[], role: ChannelOrigins['role'], channelId: string): Split {
  const out: Split = {};
  for (const r of records.filter((x) => x.role === role && x.channelId === channelId))
    for (const w of r.windows)
      for (const o of w.origins) {
        const e = (out[o.origin] ??= { calls: 0, amount: 0n });
        e.calls += o.calls;
        e.amount += BigInt(o.amount);
      }
  return out;
}

async function serviceOrigins(net: RunningTopology, service: string): Promise<ChannelOrigins[]> {
  const res = await fetch(`${net.urls.services[service]}/origins`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { channels: ChannelOrigins[] }).channels;
}

/** The service's account at its team's payment server. */
function serverClientOf(net: RunningTopology, service: string): PaymentServerClient {
  const s = net.topology.services.find((x) => x.name === service)!;
  const team = net.topology.teams.find((t) => t.name === s.team)!;
  return new PaymentServerClient({ url: net.urls.paymentServers[team.paymentServer.name]!, token: net.accountOfService(service)!.token });
}

async function serverOrigins(net: RunningTopology, service: string, channelId: string): Promise<ChannelOrigins[]> {
  const client = serverClientOf(net, service);
  const res = await fetch(`${client.url}/channels/${channelId}/origins`, {
    headers: { authorization: `Bearer ${net.accountOfService(service)!.token}` },
  });
  const text = await res.text();
  expect([res.status, text.slice(0, 200)]).toEqual([200, expect.any(String)]);
  return (JSON.parse(text) as { channels: ChannelOrigins[] }).channels;
}

async function work(net: RunningTopology, entry: string, id: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${net.urls.services[entry]}/work`, { headers: { 'x-request-id': id, ...headers }, signal: AbortSignal.timeout(60_000) });
}

describe.each<PaymentMode>(['local', 'remote'])('diamond, %s mode', (mode) => {
  let net: RunningTopology;
  const channelOf = new Map<string, string>();

  beforeAll(async () => {
    net = await startTopology('diamond', {
      overrides: { mode },
      freePorts: true,
      dataDir: path.join(mkdtempSync(path.join(tmpdir(), 'chanpay-origins-')), 'net'),
      claimIntervalSeconds: 0,
    });
  });
  afterAll(async () => {
    await net?.stop();
  });

  const price = (service: string) => net.topology.services.find((s) => s.name === service)!.price;

  test(`${N} calls from front-a and ${M} from front-b: shared's income and its costs split ${N}:${M} by origin, to the wei`, async () => {
    for (const [entry, count] of [
      ['front-a', N],
      ['front-b', M],
    ] as const) {
      for (let i = 1; i <= count; i++) {
        const res = await work(net, entry, `${entry}-${i}`);
        const body = (await res.json()) as { receipts: HopReceipt[] };
        expect(res.status).toBe(200);
        for (const r of body.receipts) channelOf.set(`${r.from}>${r.to}`, r.channelId);
      }
    }
    const [aShared, bShared, sharedBack] = ['front-a>shared', 'front-b>shared', 'shared>back'].map((e) => channelOf.get(e)!);
    const pShared = price('shared');
    const pBack = price('back');
    expect(pShared).toBeGreaterThan(0n);
    expect(pBack).toBeGreaterThan(0n);

    const costSplit = {
      'front-a': { calls: N, amount: BigInt(N) * pBack },
      'front-b': { calls: M, amount: BigInt(M) * pBack },
    };
    // shared's own records: what it was paid, per incoming channel, and what it paid back, by origin.
    const shared = await serviceOrigins(net, 'shared');
    expect(splitOf(shared, 'provider', aShared!)).toEqual({ 'front-a': { calls: N, amount: BigInt(N) * pShared } });
    expect(splitOf(shared, 'provider', bShared!)).toEqual({ 'front-b': { calls: M, amount: BigInt(M) * pShared } });
    expect(splitOf(shared, 'consumer', sharedBack!)).toEqual(costSplit);
    // back's records of the same channel agree; the entries' records name themselves.
    expect(splitOf(await serviceOrigins(net, 'back'), 'provider', sharedBack!)).toEqual(costSplit);
    expect(splitOf(await serviceOrigins(net, 'front-a'), 'consumer', aShared!)).toEqual({
      'front-a': { calls: N, amount: BigInt(N) * pShared },
    });

    if (mode === 'remote') {
      // The payment servers verified and signed every voucher, and recorded each under its origin.
      expect(splitOf(await serverOrigins(net, 'back', sharedBack!), 'provider', sharedBack!)).toEqual(costSplit);
      expect(splitOf(await serverOrigins(net, 'shared', sharedBack!), 'consumer', sharedBack!)).toEqual(costSplit);
      expect(splitOf(await serverOrigins(net, 'shared', aShared!), 'provider', aShared!)).toEqual({
        'front-a': { calls: N, amount: BigInt(N) * pShared },
      });
    }
  });

  test('a malformed baggage is refused with 400 MALFORMED_BAGGAGE and charges nothing; a client origin goes through every hop', async () => {
    const sharedBack = channelOf.get('shared>back')!;
    const before = splitOf(await serviceOrigins(net, 'back'), 'provider', sharedBack);
    for (const baggage of ['chanpay.origin=not valid', 'chanpay.origin=a,chanpay.origin=b', `chanpay.origin=${'x'.repeat(65)}`]) {
      const res = await work(net, 'front-a', `bad-${baggage.length}`, { baggage });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MALFORMED_BAGGAGE');
    }
    // Straight to the paid provider too: refused before the 402, so not even terms are offered.
    const direct = await fetch(`${net.urls.services.shared}/work`, { headers: { baggage: 'chanpay.origin=%ZZ' } });
    expect(direct.status).toBe(400);
    expect(splitOf(await serviceOrigins(net, 'back'), 'provider', sharedBack)).toEqual(before);

    const res = await work(net, 'front-b', 'alice-1', { baggage: 'tenant=7,chanpay.origin=alice' });
    expect(res.status).toBe(200);
    expect(splitOf(await serviceOrigins(net, 'back'), 'provider', sharedBack)).toEqual({
      ...before,
      alice: { calls: 1, amount: price('back') },
    });
  });
});
