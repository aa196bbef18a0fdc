/**
 * Generated topologies run as processes with payment on every edge, on a real chain: after a few requests and
 * the settlement, each provider was paid exactly its price times the calls it served (counted from the receipts
 * the answers carry), and every channel's payouts + refunds equal its deposits to the wei.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseWorkerConfig, planCalls } from '@chanpay/service-worker';
import { startTopology, workerConfigOf, type ResolvedTopology, type RunningTopology } from '@chanpay/topology';
import { audit, payout, sendRequests, settle } from './helpers/topology-audit';

/** The calls per edge that requests 1..n must make: the workers' own decisions (per request id) replayed here. */
function predictedCalls(t: ResolvedTopology, n: number): Map<string, number> {
  const configs = new Map(t.services.map((s) => [s.name, parseWorkerConfig(workerConfigOf(t, s, { urlOf: () => 'http://127.0.0.1:1' }))]));
  const calls = new Map<string, number>();
  const visit = (service: string, requestId: string) => {
    for (const group of planCalls(configs.get(service)!, requestId)) {
      for (const p of group) {
        const edge = `${service}>${p.call.to}`;
        calls.set(edge, (calls.get(edge) ?? 0) + 1);
        visit(p.call.to, requestId);
      }
    }
  };
  for (let i = 1; i <= n; i++) for (const entry of t.entry) visit(entry, `${entry}-${i}`);
  return calls;
}

jest.setTimeout(300_000);

describe.each([
  ['chain:5,price=3 gwei', 6, 5],
  ['fanout:3,2', 13, 12],
  ['ba:12,7,probability=random,teams=3', 12, 11],
  // The worked example of docs/topologies.md: mixed modes, prepaid tickets, the thesis kinds as providers.
  ['scripts/topology/examples/shop.json', 4, 3],
])('%s', (spec, services, edges) => {
  const REQUESTS = 6;
  let net: RunningTopology;

  beforeAll(async () => {
    net = await startTopology(spec, {
      freePorts: true,
      dataDir: path.join(mkdtempSync(path.join(tmpdir(), 'chanpay-topology-')), 'net'),
      claimIntervalSeconds: 0,
    });
  });
  afterAll(async () => {
    await net?.stop();
  });

  test(`runs as ${services} services and a payment server per team, every channel open`, async () => {
    expect(net.topology.services).toHaveLength(services);
    expect(net.topology.edges).toHaveLength(edges);
    expect(net.processes.map((p) => p.name).sort()).toEqual(
      [...Object.keys(net.urls.paymentServers), ...net.topology.services.map((s) => s.name)].sort(),
    );
    for (const s of net.topology.services.filter((x) => x.kind === 'worker' || x.kind === 'public')) {
      const status = (await (await fetch(`${net.urls.services[s.name]}/status`)).json()) as { channels: unknown[]; payment: string };
      expect(status.channels).toHaveLength(net.topology.edges.filter((e) => e.from === s.name).length);
    }
  });

  test(`${REQUESTS} requests, settled: every provider paid price × calls served, every channel conserved to the wei`, async () => {
    const book = await sendRequests(net, REQUESTS);
    const t = net.topology;
    // The calls the workers made are those their seeded decisions give, and each was paid once, at the price.
    const predicted = predictedCalls(t, REQUESTS);
    expect(Object.fromEntries(book.calls)).toEqual(Object.fromEntries(predicted));
    for (const e of t.edges) {
      const edge = `${e.from}>${e.to}`;
      const price = t.services.find((s) => s.name === e.to)!.price;
      expect([edge, book.paid.get(edge) ?? 0n]).toEqual([edge, BigInt(book.calls.get(edge) ?? 0) * price]);
    }
    expect([...book.calls.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    const ids = await settle(net);
    expect(ids).toHaveLength(t.edges.length);
    // What a provider holds: its price for every call it served, and (prepaid tickets) the rest of the last block paid ahead.
    const prepayInto = (name: string) => t.edges.find((e) => e.to === name)!.payment.prepay;
    for (const s of t.services.filter((x) => x.providerMode !== 'off')) {
      const served = t.edges.filter((e) => e.to === s.name).reduce((n, e) => n + (book.calls.get(`${e.from}>${e.to}`) ?? 0), 0);
      const { claimed, unclaimed } = await payout(net, s.name);
      expect([s.name, unclaimed]).toEqual([s.name, '0']);
      if (prepayInto(s.name) === 1) expect([s.name, claimed]).toEqual([s.name, (BigInt(served) * s.price).toString()]);
      else expect(BigInt(claimed) >= BigInt(served) * s.price).toBe(true);
    }
    const { report, balanceProblems } = await audit(net, ids);
    expect(report.problems).toEqual([]);
    expect(balanceProblems).toEqual([]);
    // Per channel: what the provider got is what its calls were priced at; the consumer got the rest back.
    for (const [edge, channelId] of book.channelOf) {
      const c = report.channels.find((x) => x.id === channelId.toLowerCase())!;
      expect([edge, c.providerTotal + c.consumerRefund]).toEqual([edge, c.deposits]);
      const e = t.edges.find((x) => `${x.from}>${x.to}` === edge)!;
      const block = BigInt(e.payment.prepay) * t.services.find((x) => x.name === e.to)!.price;
      if (e.payment.prepay === 1) expect([edge, c.providerTotal]).toEqual([edge, book.paid.get(edge)]);
      else {
        // Whole blocks of prepaid calls, covering every call served and at most two blocks more.
        expect([edge, c.providerTotal % block]).toEqual([edge, 0n]);
        expect(c.providerTotal >= book.paid.get(edge)! && c.providerTotal - book.paid.get(edge)! < 2n * block).toBe(true);
      }
    }
    const unused = report.channels.filter((c) => ![...book.channelOf.values()].some((id) => id.toLowerCase() === c.id));
    for (const c of unused) expect([c.id, c.providerTotal, c.consumerRefund]).toEqual([c.id, 0n, c.deposits]);
  });
});
