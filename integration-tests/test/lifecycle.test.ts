/**
 * The payment life cycle (integration-tests/src/lifecycle.ts) against a chain and a payment server, twice:
 * in containers started by testcontainers from the chain and payment-server images, and in this process on
 * the embedded chain (no Docker needed). Same steps, same assertions.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StartedTestContainer } from 'testcontainers';
import { startEmbeddedChain, type EmbeddedChain } from '@chanpay/devkit';
import { createPaymentServer, type PaymentServer } from '@chanpay/payment-server';
import { runLifecycle } from '../src/lifecycle';
import { freePorts } from '../../scripts/docker/scenario';
import { imageTag } from '../../scripts/docker/images';
import { describeWithDocker, ensureImages } from './helpers/docker';

jest.setTimeout(240_000);

const key = () => '0x' + randomBytes(32).toString('hex');
const token = () => randomBytes(24).toString('base64url');

describe('payment life cycle on the embedded chain (no Docker)', () => {
  let chain: EmbeddedChain;
  let server: PaymentServer;
  let dir: string;
  const tokens = { consumer: token(), provider: token() };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'chanpay-lifecycle-'));
    chain = await startEmbeddedChain({ accounts: 2 });
    const [consumer, provider] = chain.accounts;
    server = await createPaymentServer({
      port: 0,
      rpcUrl: chain.rpcUrl,
      dbPath: path.join(dir, 'ps.db'),
      logLevel: 'silent',
      accounts: [
        { name: 'consumer', privateKey: consumer!.privateKey },
        { name: 'provider', privateKey: provider!.privateKey },
      ],
      tokens: [
        { token: tokens.consumer, accounts: ['consumer'] },
        { token: tokens.provider, accounts: ['provider'] },
      ],
      defaults: { challengePeriod: 2, minChallengePeriod: 2 },
      claim: { intervalSeconds: 0, checkIntervalMs: 100 },
      watcher: { pollIntervalMs: 100 },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('open, pay 10 calls, refuse replay and foreign token, claim, close, withdraw, balances conserve', async () => {
    const r = await runLifecycle(
      { paymentServerUrl: server.url, rpcUrl: chain.rpcUrl, consumerToken: tokens.consumer, providerToken: tokens.provider },
      { calls: 10, challengePeriod: 2 },
    );
    expect(r.claimed).toBe(10_000_000_000n);
    expect(r.refund).toBe(5_000_000_000_000_000n - 10_000_000_000n);
  });
});

describeWithDocker('payment life cycle in containers')(
  'payment life cycle in containers (testcontainers: chain and payment-server images)',
  () => {
    const started: StartedTestContainer[] = [];
    const keys = { consumer: key(), provider: key() };
    const tokens = { consumer: token(), provider: token() };
    let ports: Awaited<ReturnType<typeof freePorts>>;

    beforeAll(async () => {
      // The reaper image cannot be pulled where no registry is reachable; these tests stop their containers.
      process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
      await ensureImages();
      ports = await freePorts();
      const { GenericContainer, Wait } = await import('testcontainers');
      // Host network: the containers listen on 127.0.0.1 ports of this machine, as the rules want all traffic there.
      started.push(
        await new GenericContainer(imageTag('chain'))
          .withNetworkMode('host')
          .withEnvironment({
            CHAIN_HOST: '127.0.0.1',
            CHAIN_PORT: ports.CHAIN_PORT,
            CHAIN_DB_PATH: '',
            CHAIN_KEYS: `${keys.consumer},${keys.provider}`,
          })
          .withLabels({ 'chanpay.test': 'lifecycle' })
          .withWaitStrategy(Wait.forHealthCheck())
          .withStartupTimeout(60_000)
          .start(),
      );
      // No PS_CONTRACT_ADDRESS: the payment server deploys the contract itself (with its first account).
      started.push(
        await new GenericContainer(imageTag('payment-server'))
          .withNetworkMode('host')
          .withEnvironment({
            PS_HOST: '127.0.0.1',
            PS_PORT: ports.PAYMENT_SERVER_PORT,
            PS_RPC_URL: `http://127.0.0.1:${ports.CHAIN_PORT}`,
            PS_ACCOUNTS: `consumer:${keys.consumer},provider:${keys.provider}`,
            PS_TOKENS: `${tokens.consumer}:consumer,${tokens.provider}:provider`,
            PS_CHALLENGE_PERIOD: '2',
            PS_MIN_CHALLENGE_PERIOD: '2',
            PS_CLAIM_INTERVAL_SECONDS: '0',
            PS_WATCH_INTERVAL_MS: '200',
          })
          .withLabels({ 'chanpay.test': 'lifecycle' })
          .withWaitStrategy(Wait.forHealthCheck())
          .withStartupTimeout(60_000)
          .start(),
      );
    });
    afterAll(async () => {
      for (const c of started.reverse()) await c.stop({ timeout: 5_000, remove: true, removeVolumes: true }).catch(() => undefined);
    });

    test('the same life cycle against the images passes, with the contract the server deployed itself', async () => {
      const r = await runLifecycle(
        {
          paymentServerUrl: `http://127.0.0.1:${ports.PAYMENT_SERVER_PORT}`,
          rpcUrl: `http://127.0.0.1:${ports.CHAIN_PORT}`,
          consumerToken: tokens.consumer,
          providerToken: tokens.provider,
        },
        { calls: 10, challengePeriod: 2 },
      );
      expect(r.claimed).toBe(10_000_000_000n);
      expect(r.contract).toMatch(/^0x[0-9a-f]{40}$/);
    });
  },
);
