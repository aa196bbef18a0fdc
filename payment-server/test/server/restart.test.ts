import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { encodeVoucher } from '@chanpay/protocol';
import { VoucherHasher, VoucherSigner, hexToBuffer } from '@chanpay/protocol/node';
import type { EmbeddedChain } from '@chanpay/devkit';
import { freePort } from '@chanpay/devkit';
import type { PaymentServer } from '../../src/server';
import {
  CHAINS,
  CONSUMER_TOKEN,
  PROVIDER_TOKEN,
  api,
  serverConfig,
  startServer,
  storeEnv,
  storeOf,
  tempDir,
  timeTravel,
  waitFor,
} from './harness';
import { createPaymentServer } from '../../src/server';
import { createLogger } from '../../src/logger';

const GWEI = 1_000_000_000n;
const MAIN = path.resolve(__dirname, '../../src/main.ts');

/** Runs the real payment server binary as a child process, so that it can be killed with SIGKILL. */
function spawnServer(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

describe.each(CHAINS)('crashes and restarts on %s', (_name, startChain) => {
  let chain: EmbeddedChain;

  beforeAll(async () => {
    chain = await startChain(3);
  });
  afterAll(async () => {
    await chain?.stop();
  });

  test('every voucher the server acknowledged survives kill -9', async () => {
    const dir = tempDir();
    const port = await freePort();
    const [c, p] = chain.accounts;
    const env = {
      PS_RPC_URL: chain.rpcUrl,
      PS_PORT: String(port),
      ...storeEnv(path.join(dir, 'ps.db')),
      PS_ACCOUNTS: `consumer:${c!.privateKey},provider:${p!.privateKey}`,
      PS_TOKENS: `${CONSUMER_TOKEN}:consumer,${PROVIDER_TOKEN}:provider`,
      PS_LOG_LEVEL: 'info',
      PS_CLAIM_INTERVAL_SECONDS: '0',
    };
    const http = api(() => `http://127.0.0.1:${port}`);
    let proc = spawnServer(env);
    await waitFor(
      'the server to listen',
      async () => (await http.call('GET', '/status', null).catch(() => ({ status: 0 }))).status === 200,
      30_000,
    );
    const id = (await http.call('POST', '/channels', CONSUMER_TOKEN, { provider: p!.address, deposit: (1000n * GWEI).toString() })).body
      .channel.id as string;
    const status = (await http.call('GET', '/status', null)).body;
    const signer = new VoucherSigner(
      new VoucherHasher({ chainId: BigInt(status.chainId), contract: status.contract }),
      hexToBuffer(c!.privateKey),
    );
    let acknowledged = 0n;
    for (let i = 1n; i <= 25n; i++) {
      const r = await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, {
        voucher: encodeVoucher(signer.sign(id, i * GWEI)),
        price: GWEI.toString(),
      });
      expect(r.status).toBe(200);
      acknowledged = i * GWEI;
    }
    proc.child.kill('SIGKILL');
    await new Promise((r) => proc.child.once('exit', r));
    expect(proc.output()).not.toContain(c!.privateKey.slice(2));
    expect(proc.output()).not.toContain(PROVIDER_TOKEN);

    proc = spawnServer(env);
    try {
      await waitFor(
        'the server to come back',
        async () => (await http.call('GET', '/status', null).catch(() => ({ status: 0 }))).status === 200,
        30_000,
      );
      const ch = (await http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel;
      expect(ch.latestVoucher.amount).toBe(acknowledged.toString());
      expect(ch.calls).toBe(25);
      // ...and it is still claimable on chain.
      const claim = await http.call('POST', `/channels/${id}/claim`, PROVIDER_TOKEN, {});
      expect(claim.body.claimed).toBe(acknowledged.toString());
    } finally {
      proc.child.kill('SIGKILL');
      await new Promise((r) => proc.child.once('exit', r));
    }
    expect(proc.output()).not.toContain(p!.privateKey.slice(2));
  });

  test('a provider server that was down when the consumer started closing claims after its restart, inside the challenge period', async () => {
    const dir = tempDir();
    const [c, p] = chain.accounts;
    const base = serverConfig(chain, '');
    const consumerCfg = {
      ...base,
      ...storeOf(path.join(dir, 'consumer.db')),
      accounts: [{ name: 'consumer', privateKey: c!.privateKey }],
      tokens: [{ token: CONSUMER_TOKEN, accounts: ['consumer'] }],
    };
    const consumerServer: PaymentServer = await createPaymentServer(consumerCfg, { logger: createLogger('silent') });
    const providerCfg = {
      contractAddress: consumerServer.contract,
      dbPath: path.join(dir, 'provider.db'),
      accounts: [{ name: 'provider', privateKey: p!.privateKey }],
      tokens: [{ token: PROVIDER_TOKEN, accounts: ['provider'] }],
    };
    let providerServer: PaymentServer = await startServer(chain, '', providerCfg);
    const consumerApi = api(() => consumerServer.url);
    const providerApi = api(() => providerServer.url);
    try {
      const id = (
        await consumerApi.call('POST', '/channels', CONSUMER_TOKEN, {
          provider: p!.address,
          deposit: (100n * GWEI).toString(),
          challengePeriod: 300,
        })
      ).body.channel.id as string;
      for (let i = 0; i < 4; i++) {
        const signed = await consumerApi.call('POST', `/channels/${id}/vouchers`, CONSUMER_TOKEN, { price: GWEI.toString() });
        expect(
          (await providerApi.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: signed.body.header, price: GWEI.toString() }))
            .status,
        ).toBe(200);
      }
      await providerServer.stop();
      expect((await consumerApi.call('POST', `/channels/${id}/close`, CONSUMER_TOKEN, {})).body.state).toBe('closing');
      await timeTravel(chain.rpcUrl, 200); // most of the challenge period passes while the provider is down

      providerServer = await startServer(chain, '', providerCfg);
      await waitFor(
        'the restarted provider to claim',
        async () => (await providerApi.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel.claimed === (4n * GWEI).toString(),
      );

      await timeTravel(chain.rpcUrl, 101);
      await consumerServer.sync();
      await waitFor(
        'the consumer refund',
        async () => (await consumerApi.call('GET', `/channels/${id}`, CONSUMER_TOKEN)).body.channel.state === 'settled',
      );
      const ch = (await consumerApi.call('GET', `/channels/${id}`, CONSUMER_TOKEN)).body.channel;
      expect(BigInt(ch.claimed) + (100n * GWEI - BigInt(ch.claimed))).toBe(100n * GWEI);
      expect(ch.claimed).toBe((4n * GWEI).toString());
    } finally {
      await providerServer.stop();
      await consumerServer.stop();
    }
  });
});
