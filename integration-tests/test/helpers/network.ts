import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmbeddedChain, type EmbeddedChain } from '@chanpay/devkit';
import { createPaymentServer, type PaymentServer } from '@chanpay/payment-server';
import { finney, type PaymentMode } from '@chanpay/protocol';
import { PaymentServerClient } from '@chanpay/client-lib';
import { startRandomNumberService, type RunningService } from '@chanpay/service-random-number';
import { startPersistenceService, type RunningPersistenceService } from '@chanpay/service-persistence';
import { startPublicService, type RunningPublicService } from '@chanpay/service-public';

export const TOKENS = {
  randomNumber: 'random-number-token-0000000001',
  persistence: 'persistence-token-000000000002',
  public: 'public-service-token-000000003',
} as const;

export interface NetworkOptions {
  mode: PaymentMode;
  sync?: boolean;
  /** Seconds; the payment servers accept 2 s and more. */
  challengePeriod?: number;
  idempotencyKeys?: boolean;
}

/** The thesis example network on an embedded chain: two payment servers, two providers and the public service. */
export interface Network {
  mode: PaymentMode;
  dir: string;
  chain?: EmbeddedChain;
  ps1?: PaymentServer;
  ps2?: PaymentServer;
  accounts?: { randomNumber: string; persistence: string; public: string };
  /** Clients of the payment servers as each party sees them. */
  clients?: { randomNumber: PaymentServerClient; persistence: PaymentServerClient; public: PaymentServerClient };
  /** Local mode: the public service's hot voucher key. */
  voucherKey?: string;
  randomNumber: RunningService;
  persistence: RunningPersistenceService;
  public: RunningPublicService;
  startBlock: number;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'chanpay-net-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export async function startNetwork(opts: NetworkOptions): Promise<Network> {
  const dir = tempDir();
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (opts.mode === 'off') {
      const randomNumber = await startRandomNumberService({ port: 0, payment: { mode: 'off' } });
      stops.push(() => randomNumber.stop());
      const persistence = await startPersistenceService({ port: 0, payment: { mode: 'off' }, dbPath: path.join(dir, 'persistence.db') });
      stops.push(() => persistence.stop());
      const pub = await startPublicService({ port: 0, payment: { mode: 'off' }, randomNumberUrl: randomNumber.url, persistenceUrl: persistence.url });
      stops.push(() => pub.stop());
      return { mode: 'off', dir, randomNumber, persistence, public: pub, startBlock: 0, stop: stopAll };
    }
    const chain = await startEmbeddedChain({ accounts: 3 });
    stops.push(() => chain.stop());
    const startBlock = Number(await rpc<string>(chain.rpcUrl, 'eth_blockNumber'));
    const [rnKey, psKey, pubKey] = chain.accounts.map((a) => a.privateKey) as [string, string, string];
    const common = {
      rpcUrl: chain.rpcUrl,
      logLevel: 'silent' as const,
      defaults: { challengePeriod: opts.challengePeriod ?? 3, minChallengePeriod: 2 },
      claim: { intervalSeconds: 0, checkIntervalMs: 100 },
      watcher: { pollIntervalMs: 100 },
    };
    const ps1 = await createPaymentServer({
      ...common,
      port: 0,
      dbPath: path.join(dir, 'payment-server-1.db'),
      accounts: [
        { name: 'random-number', privateKey: rnKey },
        { name: 'persistence', privateKey: psKey },
      ],
      tokens: [
        { token: TOKENS.randomNumber, accounts: ['random-number'] },
        { token: TOKENS.persistence, accounts: ['persistence'] },
      ],
    });
    stops.push(() => ps1.stop());
    const ps2 = await createPaymentServer({
      ...common,
      port: 0,
      contractAddress: ps1.contract,
      dbPath: path.join(dir, 'payment-server-2.db'),
      accounts: [{ name: 'public', privateKey: pubKey }],
      tokens: [{ token: TOKENS.public, accounts: ['public'] }],
    });
    stops.push(() => ps2.stop());
    const voucherKey = opts.mode === 'local' ? '0x' + randomBytes(32).toString('hex') : undefined;
    const provider = (token: string) => ({ mode: opts.mode, paymentServer: { url: ps1.url, token }, sync: opts.sync });
    const randomNumber = await startRandomNumberService({ port: 0, payment: provider(TOKENS.randomNumber) });
    stops.push(() => randomNumber.stop());
    const persistence = await startPersistenceService({ port: 0, payment: provider(TOKENS.persistence), dbPath: path.join(dir, 'persistence.db') });
    stops.push(() => persistence.stop());
    const pub = await startPublicService({
      port: 0,
      payment: {
        mode: opts.mode,
        paymentServer: { url: ps2.url, token: TOKENS.public },
        voucherKey,
        deposit: finney(5),
        challengePeriod: opts.challengePeriod ?? 3,
        idempotencyKeys: opts.idempotencyKeys,
      },
      randomNumberUrl: randomNumber.url,
      persistenceUrl: persistence.url,
    });
    stops.push(() => pub.stop());
    const addr = (i: number) => chain.accounts[i]!.address.toLowerCase();
    return {
      mode: opts.mode,
      dir,
      chain,
      ps1,
      ps2,
      accounts: { randomNumber: addr(0), persistence: addr(1), public: addr(2) },
      voucherKey,
      clients: {
        randomNumber: new PaymentServerClient({ url: ps1.url, token: TOKENS.randomNumber }),
        persistence: new PaymentServerClient({ url: ps1.url, token: TOKENS.persistence }),
        public: new PaymentServerClient({ url: ps2.url, token: TOKENS.public }),
      },
      randomNumber,
      persistence,
      public: pub,
      startBlock,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result: T; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

export async function balanceOf(url: string, address: string, block: number | 'latest' = 'latest'): Promise<bigint> {
  return BigInt(await rpc<string>(url, 'eth_getBalance', [address, block === 'latest' ? block : '0x' + block.toString(16)]));
}

/** Moves the chain's clock forward and mines a block. */
export async function timeTravel(url: string, seconds: number): Promise<void> {
  await rpc(url, 'evm_increaseTime', [seconds]);
  await rpc(url, 'evm_mine', []);
}

/** Gas fees paid per sender in blocks (from, to]. */
export async function feesPaid(url: string, from: number, to: number): Promise<Map<string, bigint>> {
  const fees = new Map<string, bigint>();
  for (let n = from + 1; n <= to; n++) {
    const block = await rpc<{ transactions: { hash: string; from: string }[] }>(url, 'eth_getBlockByNumber', ['0x' + n.toString(16), true]);
    for (const tx of block.transactions) {
      const r = await rpc<{ gasUsed: string; effectiveGasPrice: string }>(url, 'eth_getTransactionReceipt', [tx.hash]);
      const a = tx.from.toLowerCase();
      fees.set(a, (fees.get(a) ?? 0n) + BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice));
    }
  }
  return fees;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false | null> | T | undefined | false | null, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function getJson<T = any>(url: string): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

/** Runs `n` jobs with at most `concurrency` at a time; returns their results in order. */
export async function pool<T>(n: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await job(i);
      }
    }),
  );
  return out;
}
