/**
 * The Prometheus scenario on a real network (`chain:2` in this process, local mode): prometheus (Debian's
 * package) scrapes every service and payment server; through its HTTP API every target is up and, after N paid
 * calls, the paid-calls series of each provider counts N, and every query of the Grafana dashboard
 * (docs/grafana/chanpay-dashboard.json) is valid, the main ones with data. Skipped when prometheus is not installed.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@chanpay/devkit';
import { REPO_ROOT, startTopology, type RunningTopology } from '@chanpay/topology';
import { prometheusForNetwork, type PrometheusScenario } from '../prometheus/scenario-prometheus';
import { prometheusUnavailableReason, queryPrometheus, targetHealth } from '../prometheus/server';

jest.setTimeout(300_000);

const N = 3;
const unavailable = prometheusUnavailableReason();
const suite = unavailable ? describe.skip : describe;

/** Polls until `check` returns a value (Prometheus scrapes every second here), or fails with the last one. */
async function eventually<T>(what: string, check: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check();
    if (got !== null) return got;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

suite(`prometheus scenario${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let net: RunningTopology;
  let scenario: PrometheusScenario;
  const root = mkdtempSync(path.join(tmpdir(), 'chanpay-prometheus-'));

  beforeAll(async () => {
    net = await startTopology('chain:2', {
      overrides: { mode: 'local' },
      freePorts: true,
      inProcess: true,
      dataDir: path.join(root, 'net'),
      claimIntervalSeconds: 0,
    });
    scenario = await prometheusForNetwork(net, { dir: path.join(root, 'prometheus'), port: await freePort(), scrapeIntervalSeconds: 1 });
    for (let i = 0; i < N; i++) {
      const res = await fetch(`${net.urls.services.s0}/work`, { headers: { 'x-request-id': `p${i}` } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  });
  afterAll(async () => {
    await scenario?.stop();
    await net?.stop();
  });

  test('every service and payment server is a target, and each is up', async () => {
    const expected = [...net.topology.teams.map((t) => t.paymentServer.name), ...net.topology.services.map((s) => s.name)].sort();
    expect(scenario.targets.map((t) => t.name).sort()).toEqual(expected);
    const health = await eventually('every target up', async () => {
      const h = await targetHealth(scenario.prometheus.url);
      return expected.every((name) => h[name] === 'up') ? h : null;
    });
    expect(Object.keys(health).sort()).toEqual(expected);
  });

  test('the paid-calls series of each provider counts the N calls', async () => {
    const query = 'sum by (service) (chanpay_service_payments_total{outcome="paid"})';
    const counts = await eventually('paid calls scraped', async () => {
      const r = await queryPrometheus(scenario.prometheus.url, query);
      const by = Object.fromEntries(r.map((x) => [x.metric.service, x.value]));
      return by.s1 === N && by.s2 === N ? by : null;
    });
    expect(counts).toEqual({ s1: N, s2: N });
    const up = await queryPrometheus(scenario.prometheus.url, 'up{job=~"chanpay-payment-servers/.*"}');
    expect(up.length).toBe(net.topology.teams.length);
    expect(up.every((x) => x.value === 1)).toBe(true);
  });

  test('every query of the Grafana dashboard runs; those of paid calls, latency, origins and 402s have data', async () => {
    // More calls now that Prometheus has seen every series: rate() over them is then above 0.
    for (let i = 0; i < N; i++) {
      const res = await fetch(`${net.urls.services.s0}/work`, { headers: { 'x-request-id': `q${i}` } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const unpaid = await fetch(`${net.urls.services.s2}/work`);
    expect(unpaid.status).toBe(402);
    await unpaid.arrayBuffer();
    const dashboard = JSON.parse(readFileSync(path.join(REPO_ROOT, 'docs/grafana/chanpay-dashboard.json'), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const withData = [
      'Paid calls/s per edge',
      'Added latency per hop: payment step p50 / p99',
      'Amounts per origin (wei/s)',
      '402 and refusals/s',
    ];
    expect(dashboard.panels.map((p) => p.title)).toEqual(expect.arrayContaining(withData));
    const run = (expr: string) => queryPrometheus(scenario.prometheus.url, expr.replaceAll('$__rate_interval', '1m'));
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) await run(expr);
      if (!withData.includes(panel.title)) continue;
      // rate() needs two scrapes after the calls: wait for them. One of the panel's queries has data.
      await eventually(panel.title, async () => {
        const results = (await Promise.all(panel.targets.map((t) => run(t.expr)))).flat();
        return results.some((x) => Number.isFinite(x.value) && x.value > 0) ? results : null;
      });
    }
  });
});
