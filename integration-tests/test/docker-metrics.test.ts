/**
 * The `metrics` compose scenario, really run: the paid example network and a Prometheus server (the image built
 * here from Debian's prometheus program, docker/make-prometheus-base.sh) on the host network, all traffic on
 * 127.0.0.1. Through Prometheus's HTTP API: every process's target is up and the payment counters are scraped,
 * at least the paid calls the smoke made. Skipped, with the reason, only when no Docker engine (or Compose) runs.
 */
import path from 'node:path';
import { compose, composeCli } from '../../scripts/docker/compose';
import { COMPOSE_DIR, ENV_EXAMPLE } from '../../scripts/docker/env';
import { buildPrometheusImage } from '../../scripts/docker/prometheus-image';
import { Scenario, freePorts } from '../../scripts/docker/scenario';
import { SCRAPED_PARTS, smokeMetrics } from '../../scripts/docker/smoke-metrics';
import { describeWithDocker, ensureImages } from './helpers/docker';

// Generous: on a busy 2-core machine the example network alone takes minutes to become healthy.
jest.setTimeout(720_000);

const ACTIONS = 4;

describeWithDocker('metrics scenario', { compose: true })('compose scenario metrics: Prometheus scraping the example network', () => {
  let s: Scenario;

  beforeAll(async () => {
    await ensureImages();
    await buildPrometheusImage();
    s = new Scenario('metrics', {
      project: 'chanpay-test-metrics',
      hostNetwork: true,
      env: { ...(await freePorts()), PROMETHEUS_SCRAPE_INTERVAL: '1s' },
    });
    await s.down().catch(() => undefined); // what an interrupted run left
    await s.up(480_000);
  });

  afterAll(async () => {
    await s?.down();
  });

  test('every process is a target that is up, and the paid calls are counted by service and by payment server', async () => {
    const r = await smokeMetrics(s, ACTIONS);
    expect(r.payment.paid).toEqual({
      randomNumber: String(BigInt(ACTIONS) * 10n ** 9n),
      persistence: String(BigInt(ACTIONS) * 2n * 10n ** 9n),
    });
    expect(r.targets.map((t) => t.part)).toEqual([...SCRAPED_PARTS]);
    expect(r.targets.every((t) => t.health === 'up')).toBe(true);
    // Services in one job; each payment server in its own, with its bearer token.
    expect(new Set(r.targets.filter((t) => !t.part.startsWith('payment-server')).map((t) => t.job))).toEqual(new Set(['chanpay-services']));
    expect(r.targets.filter((t) => t.part.startsWith('payment-server')).map((t) => t.job)).toEqual([
      'chanpay-payment-servers/payment-server-1',
      'chanpay-payment-servers/payment-server-2',
    ]);
    // Exactly the calls made: the providers' counters, and payment-server-1 (both providers' team) verified each.
    expect(r.servicePaidCalls['random-number']).toBe(ACTIONS);
    expect(r.servicePaidCalls.persistence).toBe(ACTIONS);
    expect(r.paymentServerPaidCalls['payment-server-1']).toBe(2 * ACTIONS);
  });

  test('no token is in the configuration Prometheus shows', async () => {
    const res = await fetch(s.url('PROMETHEUS_PORT', '/api/v1/status/config'), { signal: AbortSignal.timeout(10_000) });
    const yaml = ((await res.json()) as { data: { yaml: string } }).data.yaml;
    expect(yaml).toContain('credentials_file');
    for (const name of ['RANDOM_NUMBER_TOKEN', 'PERSISTENCE_TOKEN', 'PUBLIC_TOKEN']) expect(yaml).not.toContain(s.settings[name]!);
  });
});

describe('compose file of the metrics scenario', () => {
  let installed = true;
  try {
    composeCli();
  } catch {
    installed = false;
    process.stderr.write('metrics compose file check skipped: no docker-compose or docker compose plugin\n');
  }
  (installed ? test : test.skip)('the example network plus docker-compose.prometheus.yml passes compose config', async () => {
    const files = ['docker-compose.example-network.yml', 'docker-compose.prometheus.yml'].map((f) => path.join(COMPOSE_DIR, f));
    const r = await compose({ project: 'chanpay-config-check', files, envFile: ENV_EXAMPLE }, ['config', '-q'], { timeoutMs: 120_000 });
    expect(r.stderr.trim()).toBe('');
    expect(r.code).toBe(0);
  });
});
