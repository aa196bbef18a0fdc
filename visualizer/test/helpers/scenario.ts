import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedChain } from '@chanpay/devkit';
import { createPaymentServer, type PaymentServer } from '@chanpay/payment-server';

/** 0.0005 ETH per call: large enough that the flows show in the charts next to gas costs. */
export const PRICE = 500_000_000_000_000n;
const ETHER = 10n ** 18n;
const milli = (n: bigint) => (n * ETHER) / 1000n;

export const TOKENS = {
  /** The visualizer's read token, bound to all three services' accounts. */
  dashboard: 'dashboard-token-for-visualizer-tests',
  public: 'public-token-for-visualizer-tests-01',
  randomNumber: 'random-token-for-visualizer-tests-02',
  persistence: 'persist-token-for-visualizer-tests-03',
};

export interface ExpectedChannel {
  id: string;
  consumer: string;
  provider: string;
  deposit: bigint;
  claimed: bigint;
  voucher: bigint;
  calls: number;
  state: 'open' | 'closing' | 'settled';
}

export interface Scenario {
  chain: EmbeddedChain;
  server: PaymentServer;
  services: { public: string; randomNumber: string; persistence: string };
  /** a: public→random-number, open, part claimed; b: public→persistence, closing; c: random-number→persistence,
   * settled by the provider; d: public→random-number, topped up, closed by the consumer and withdrawn. */
  channels: Record<'a' | 'b' | 'c' | 'd', ExpectedChannel>;
  call(method: string, path: string, token: string, body?: unknown): Promise<any>;
  /** One more paid call on channel a and a claim, to watch the page update live. */
  payAndClaimOnA(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Three services on one payment server (each with its own token), paying one another through real channels
 * on a real chain: every transaction is made by the payment server's REST API.
 */
export async function buildScenario(chain: EmbeddedChain, opts: { corsOrigins?: string[] } = {}): Promise<Scenario> {
  const dir = mkdtempSync(join(tmpdir(), 'chanpay-visualizer-'));
  const [pub, rnd, per] = chain.accounts;
  const server = await createPaymentServer({
    rpcUrl: chain.rpcUrl,
    port: 0,
    dbPath: join(dir, 'payment-server.db'),
    logLevel: 'silent',
    accounts: [
      { name: 'public', privateKey: pub!.privateKey },
      { name: 'random-number', privateKey: rnd!.privateKey },
      { name: 'persistence', privateKey: per!.privateKey },
    ],
    tokens: [
      { token: TOKENS.dashboard, accounts: ['public', 'random-number', 'persistence'] },
      { token: TOKENS.public, accounts: ['public'] },
      { token: TOKENS.randomNumber, accounts: ['random-number'] },
      { token: TOKENS.persistence, accounts: ['persistence'] },
    ],
    defaults: { challengePeriod: 3600, minChallengePeriod: 60 },
    // No claims by threshold or time: the scenario claims explicitly, except inside challenge periods.
    claim: { intervalSeconds: 0, checkIntervalMs: 100 },
    watcher: { pollIntervalMs: 100 },
    corsOrigins: opts.corsOrigins ?? [],
  });

  async function call(method: string, path: string, token: string, body?: unknown): Promise<any> {
    const res = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as any;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async function open(token: string, provider: string, deposit: bigint, challengePeriod?: number): Promise<string> {
    const body = await call('POST', '/channels', token, {
      provider,
      deposit: deposit.toString(),
      ...(challengePeriod ? { challengePeriod } : {}),
    });
    return body.channel.id as string;
  }

  /** `n` paid calls: the consumer's account signs a voucher, the provider's verifies and records it. */
  async function pay(id: string, consumerToken: string, providerToken: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const signed = await call('POST', `/channels/${id}/vouchers`, consumerToken, { price: PRICE.toString() });
      await call('POST', '/vouchers/verify', providerToken, { voucher: signed.header, price: PRICE.toString() });
    }
  }

  async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const channelState = async (id: string) => (await call('GET', `/channels/${id}`, TOKENS.dashboard)).channel;

  try {
    // d first: its challenge period is passed by moving the chain's clock, which must not shorten b's.
    const d = await open(TOKENS.public, rnd!.address, milli(3n), 60);
    await call('POST', `/channels/${d}/topup`, TOKENS.public, { amount: milli(1n).toString() });
    await pay(d, TOKENS.public, TOKENS.randomNumber, 2);
    await call('POST', `/channels/${d}/close`, TOKENS.public, {});
    // The provider's server claims the unclaimed vouchers inside the challenge period by itself.
    await waitFor('the claim during the challenge period', async () => (await channelState(d)).claimed === (2n * PRICE).toString());
    await chainRpc(chain.rpcUrl, 'evm_increaseTime', [61]);
    await chainRpc(chain.rpcUrl, 'evm_mine', []);
    await server.sync();
    // ... and the consumer's server withdraws the rest once it is over.
    await waitFor('the withdrawal after the challenge period', async () => (await channelState(d)).state === 'settled');

    const a = await open(TOKENS.public, rnd!.address, milli(10n));
    await pay(a, TOKENS.public, TOKENS.randomNumber, 8);
    await call('POST', `/channels/${a}/claim`, TOKENS.randomNumber, {});
    await pay(a, TOKENS.public, TOKENS.randomNumber, 2);

    const b = await open(TOKENS.public, per!.address, milli(20n));
    await pay(b, TOKENS.public, TOKENS.persistence, 12);
    await call('POST', `/channels/${b}/claim`, TOKENS.persistence, {});
    await call('POST', `/channels/${b}/close`, TOKENS.public, {});

    const c = await open(TOKENS.randomNumber, per!.address, milli(5n));
    await pay(c, TOKENS.randomNumber, TOKENS.persistence, 4);
    await call('POST', `/channels/${c}/close`, TOKENS.persistence, {});
    await server.sync();

    const expected = (
      id: string,
      consumer: string,
      provider: string,
      deposit: bigint,
      claimedCalls: number,
      calls: number,
      state: ExpectedChannel['state'],
    ): ExpectedChannel => ({
      id,
      consumer,
      provider,
      deposit,
      claimed: BigInt(claimedCalls) * PRICE,
      voucher: BigInt(calls) * PRICE,
      calls,
      state,
    });
    const channels = {
      a: expected(a, pub!.address, rnd!.address, milli(10n), 8, 10, 'open'),
      b: expected(b, pub!.address, per!.address, milli(20n), 12, 12, 'closing'),
      c: expected(c, rnd!.address, per!.address, milli(5n), 4, 4, 'settled'),
      d: expected(d, pub!.address, rnd!.address, milli(4n), 2, 2, 'settled'),
    };
    return {
      chain,
      server,
      services: { public: pub!.address, randomNumber: rnd!.address, persistence: per!.address },
      channels,
      call,
      async payAndClaimOnA() {
        await pay(a, TOKENS.public, TOKENS.randomNumber, 1);
        await call('POST', `/channels/${a}/claim`, TOKENS.randomNumber, {});
        channels.a.calls += 1;
        channels.a.voucher += PRICE;
        channels.a.claimed = channels.a.voucher;
      },
      async stop() {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function chainRpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}
