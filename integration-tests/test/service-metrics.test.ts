/**
 * The services' Prometheus metrics on a real network (`chain:2`: s0 → s1 → s2, local mode, in this process):
 * after N paid calls the exposition text of every service counts them by route and status, s1 and s2 count N
 * paid vouchers, their amounts and their origin (s0), s0 and s1 count N calls to their upstream; an unpaid call
 * is a 402, a forged voucher a refusal with its code; the buckets start below a millisecond; no key or token
 * shows. The payment server's /metrics has the same buckets. With prepaid tickets (`chain:1`, prepay 3) the
 * calls paid by ticket count under scheme="ticket".
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VOUCHER_HEADER } from '@chanpay/protocol';
import { startTopology, type RunningTopology } from '@chanpay/topology';
import { parseExposition, sampleSum, type Sample } from './helpers/exposition';

jest.setTimeout(300_000);

const N = 4;

let net: RunningTopology;
beforeAll(async () => {
  net = await startTopology('chain:2', {
    overrides: { mode: 'local' },
    freePorts: true,
    inProcess: true,
    dataDir: path.join(mkdtempSync(path.join(tmpdir(), 'chanpay-metrics-')), 'net'),
    claimIntervalSeconds: 0,
  });
  for (let i = 0; i < N; i++) {
    const res = await fetch(`${net.urls.services.s0}/work`, { headers: { 'x-request-id': `m${i}` } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
});
afterAll(async () => {
  await net?.stop();
});

async function scrape(url: string, headers: Record<string, string> = {}): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`${url}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, samples: parseExposition(text) };
}

const price = (service: string) => BigInt(net.topology.services.find((s) => s.name === service)!.price);

test('every service counts its requests by route and status, with buckets from 0.05 ms', async () => {
  for (const service of ['s0', 's1', 's2']) {
    const { samples } = await scrape(net.urls.services[service]!);
    expect([service, sampleSum(samples, 'chanpay_http_requests_total', { service, route: '/work', status: '200' })]).toEqual([service, N]);
    expect(sampleSum(samples, 'chanpay_http_request_duration_seconds_count', { route: '/work', status: '200' })).toBe(N);
    const les = samples.filter((s) => s.name === 'chanpay_http_request_duration_seconds_bucket').map((s) => s.labels.le);
    expect(les).toEqual(expect.arrayContaining(['0.00005', '0.0001', '0.001', '5', '+Inf']));
    // prom-client's default metrics, event-loop lag among them.
    expect(samples.some((s) => s.name === 'chanpay_nodejs_eventloop_lag_p99_seconds')).toBe(true);
  }
});

test('providers count paid calls, amounts and origins; callers count their upstream calls', async () => {
  for (const service of ['s1', 's2']) {
    const { samples } = await scrape(net.urls.services[service]!);
    const paid = { scheme: 'voucher', outcome: 'paid', code: '' };
    expect([service, sampleSum(samples, 'chanpay_service_payments_total', paid)]).toEqual([service, N]);
    expect(sampleSum(samples, 'chanpay_service_payment_duration_seconds_count', { scheme: 'voucher', outcome: 'paid' })).toBe(N);
    expect(BigInt(sampleSum(samples, 'chanpay_service_paid_wei_total', { scheme: 'voucher' }))).toBe(BigInt(N) * price(service));
    expect(sampleSum(samples, 'chanpay_service_origin_paid_calls_total', { origin: 's0' })).toBe(N);
    expect(BigInt(sampleSum(samples, 'chanpay_service_origin_paid_wei_total', { origin: 's0' }))).toBe(BigInt(N) * price(service));
  }
  for (const [service, upstream] of [
    ['s0', 's1'],
    ['s1', 's2'],
  ] as const) {
    const { samples } = await scrape(net.urls.services[service]!);
    expect([service, sampleSum(samples, 'chanpay_upstream_requests_total', { upstream, status: '200' })]).toEqual([service, N]);
    expect(sampleSum(samples, 'chanpay_upstream_request_duration_seconds_count', { upstream, status: '200' })).toBe(N);
  }
});

test('an unpaid call is a 402, a forged voucher a refusal with its code', async () => {
  const url = net.urls.services.s2!;
  const before = (await scrape(url)).samples;
  const unpaid = await fetch(`${url}/work`);
  expect(unpaid.status).toBe(402);
  await unpaid.arrayBuffer();
  const forged = await fetch(`${url}/work`, { headers: { [VOUCHER_HEADER]: 'not-a-voucher' } });
  const forgedBody = (await forged.json()) as { error: { code: string } };
  const { samples } = await scrape(url);
  const added = (labels: Record<string, string>) =>
    sampleSum(samples, 'chanpay_service_payments_total', labels) - sampleSum(before, 'chanpay_service_payments_total', labels);
  expect(added({ scheme: 'none', outcome: '402', code: 'PAYMENT_REQUIRED' })).toBe(1);
  expect(added({ scheme: 'voucher', outcome: 'refused', code: forgedBody.error.code })).toBe(1);
  expect(sampleSum(samples, 'chanpay_service_payments_total', { scheme: 'voucher', outcome: 'paid' })).toBe(N);
});

test('no key or token shows in any /metrics; the payment server has the same buckets', async () => {
  const secrets = [...net.accounts.values()].flatMap((a) => [a.token, a.privateKey, a.voucherKey].filter((x): x is string => Boolean(x)));
  expect(secrets.length).toBeGreaterThan(0);
  for (const url of Object.values(net.urls.services)) {
    const { text } = await scrape(url);
    for (const s of secrets) expect(text.includes(s) || text.includes(s.replace(/^0x/, ''))).toBe(false);
  }
  const s1 = net.accountOfService('s1')!;
  const team = net.topology.teams.find((t) => t.name === s1.team)!;
  const { samples } = await scrape(net.urls.paymentServers[team.paymentServer.name]!, { authorization: `Bearer ${s1.token}` });
  const les = samples.filter((s) => s.name === 'chanpay_http_request_duration_seconds_bucket').map((s) => s.labels.le);
  expect(les).toEqual(expect.arrayContaining(['0.00005', '5']));
});

describe('prepaid tickets (prepay 3)', () => {
  let tickets: RunningTopology;
  beforeAll(async () => {
    tickets = await startTopology('chain:1', {
      overrides: { mode: 'local', prepay: 3 },
      freePorts: true,
      inProcess: true,
      dataDir: path.join(mkdtempSync(path.join(tmpdir(), 'chanpay-metrics-tickets-')), 'net'),
      claimIntervalSeconds: 0,
    });
  });
  afterAll(async () => {
    await tickets?.stop();
  });

  test('calls paid by ticket count under scheme="ticket", and every call its price', async () => {
    const calls = 7;
    for (let i = 0; i < calls; i++) {
      const res = await fetch(`${tickets.urls.services.s0}/work`, { headers: { 'x-request-id': `t${i}` } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const { samples } = await scrape(tickets.urls.services.s1!);
    const byTicket = sampleSum(samples, 'chanpay_service_payments_total', { scheme: 'ticket', outcome: 'paid' });
    const byVoucher = sampleSum(samples, 'chanpay_service_payments_total', { scheme: 'voucher', outcome: 'paid' });
    expect(byTicket).toBeGreaterThan(0);
    expect(byTicket + byVoucher).toBe(calls);
    const s1Price = BigInt(tickets.topology.services.find((s) => s.name === 's1')!.price);
    expect(BigInt(sampleSum(samples, 'chanpay_service_paid_wei_total'))).toBe(BigInt(calls) * s1Price);
  });
});
