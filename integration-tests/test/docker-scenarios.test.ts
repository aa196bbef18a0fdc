/**
 * The compose scenarios, really run: each starts from the built images with the host-network override (all
 * traffic on 127.0.0.1, free ports), must become healthy without sleeps, and must pass its smoke call.
 */
import { Scenario, freePorts, type ScenarioName } from '../../scripts/docker/scenario';
import { smokeChain, smokeIntegrationTest, smokeNoPayment, smokePayment } from '../../scripts/docker/smoke';
import path from 'node:path';
import { compose, composeCli } from '../../scripts/docker/compose';
import { COMPOSE_DIR, contractAddressOf, readEnv, ENV_EXAMPLE } from '../../scripts/docker/env';
import { describeWithDocker, ensureImages } from './helpers/docker';

jest.setTimeout(300_000);

test('.env.example names the contract address its deployer key creates', () => {
  const env = readEnv(ENV_EXAMPLE);
  expect(env.CONTRACT_ADDRESS).toBe(contractAddressOf(env.DEPLOYER_KEY!));
});

describeWithDocker('compose scenarios', { compose: true })('compose scenarios on the host network', () => {
  beforeAll(async () => {
    await ensureImages();
  });

  async function run<T>(name: ScenarioName, check: (s: Scenario) => Promise<T>): Promise<T> {
    const s = new Scenario(name, { project: `chanpay-test-${name}`, hostNetwork: true, env: await freePorts() });
    await s.down().catch(() => undefined); // what an interrupted run left
    try {
      await s.up();
      return await check(s);
    } finally {
      await s.down();
    }
  }

  test('payment: /init, 3 paid /action calls through both payment servers, both providers claim on chain', async () => {
    const r = await run('payment', (s) => smokePayment(s, 3));
    expect(r.paid).toEqual({ randomNumber: '3000000000', persistence: '6000000000' });
    expect(r.payout.randomNumber).toEqual({ claimed: '3000000000', unclaimed: '0' });
    expect(r.payout.persistence).toEqual({ claimed: '6000000000', unclaimed: '0' });
  });

  test('no-payment: the same services answer /action with no chain and no receipts', async () => {
    const r = await run('no-payment', (s) => smokeNoPayment(s, 3));
    expect(r.numbers).toHaveLength(3);
  });

  test('chain: one payment server on the contract deployed at the predicted address, and the visualizer', async () => {
    const r = await run('chain', (s) => smokeChain(s));
    expect(r.contract).toBe(contractAddressOf(readEnv().DEPLOYER_KEY!));
    expect(r.visualizer).toBe(200);
  });

  test('integration-test: the test container runs the payment life cycle and exits 0', async () => {
    const r = await run('integration-test', (s) => smokeIntegrationTest(s));
    expect(r.exitCode).toBe(0);
    expect(r.summary).toMatch(/^PASS payment life cycle/);
  });
});

describe('compose files', () => {
  let installed = true;
  try {
    composeCli();
  } catch {
    installed = false;
    process.stderr.write('compose files check skipped: no docker-compose or docker compose plugin\n');
  }
  (installed ? test : test.skip).each([
    'docker-compose.yml',
    'docker-compose.example-network.yml',
    'docker-compose.no-payment.yml',
    'docker-compose.integration-test.yml',
    'docker-compose.geth.yml',
  ])('%s passes compose config (Geth: checked only, its image cannot be pulled here)', async (file) => {
    const r = await compose(
      { project: 'chanpay-config-check', files: [path.join(COMPOSE_DIR, file)], envFile: ENV_EXAMPLE },
      ['config', '-q'],
      { timeoutMs: 30_000 },
    );
    expect(r.stderr.trim()).toBe('');
    expect(r.code).toBe(0);
  });
});
