import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedChain, type EmbeddedChain } from '@chanpay/devkit';
import { startAnvil, startPostgres, postgresBinDir, type ThrowawayPostgres } from '@chanpay/devkit';
import { createPaymentServer, type PaymentServer } from '../../src/server';
import type { ConfigInput } from '../../src/config';
import { createLogger } from '../../src/logger';

export const CONSUMER_TOKEN = 'consumer-token-for-tests-0001';
export const PROVIDER_TOKEN = 'provider-token-for-tests-0002';
export const OTHER_TOKEN = 'other-token-for-tests-00000003';

const BOTH_CHAINS = [
  ['ganache', (n: number) => startEmbeddedChain({ accounts: n })],
  ['anvil', (n: number) => startAnvil({ accounts: n })],
] as const;

/** On PostgreSQL (PS_TEST_STORE=postgres) anvil only: the store does not depend on the chain, and CI time counts. */
export const CHAINS: readonly (typeof BOTH_CHAINS)[number][] = process.env.PS_TEST_STORE === 'postgres' ? [BOTH_CHAINS[1]] : BOTH_CHAINS;

/**
 * PS_TEST_STORE=postgres (the `payment-server-pg` jest project): every server these tests start keeps its state
 * in PostgreSQL, a database per SQLite file it would have used, on one private server per test file.
 */
export const ON_POSTGRES = process.env.PS_TEST_STORE === 'postgres';
let postgres: ThrowawayPostgres | undefined;
if (ON_POSTGRES) {
  beforeAll(async () => {
    postgres = await startPostgres({ fsync: false });
  }, 60_000);
  afterAll(async () => {
    await postgres?.stop();
  });
}
const databases = new Map<string, string>();

/** Where a server keeps its state: the SQLite file, or (PS_TEST_STORE=postgres) a database named after it. */
export function storeOf(dbPath: string): { dbPath: string; dbUrl?: string } {
  if (!ON_POSTGRES) return { dbPath };
  if (!postgres) throw new Error('PostgreSQL is not up yet: ask for a store inside a test');
  const name = `ps_${createHash('sha256').update(dbPath).digest('hex').slice(0, 16)}`;
  let url = databases.get(name);
  if (!url) {
    // Synchronous (serverConfig is): the same statement as devkit's createDatabase.
    const psql = spawnSync(
      path.join(postgresBinDir()!, 'psql'),
      ['-h', '127.0.0.1', '-p', String(postgres.port), '-U', 'chanpay', '-d', 'postgres', '-qAtc', `CREATE DATABASE ${name}`],
      { encoding: 'utf8' },
    );
    if (psql.status !== 0) throw new Error(`psql: ${psql.stderr}`);
    url = postgres.url.replace(/\/chanpay$/, `/${name}`);
    databases.set(name, url);
  }
  return { dbPath, dbUrl: url };
}

/** The same as environment variables of a payment server process. */
export function storeEnv(dbPath: string): Record<string, string> {
  const { dbUrl } = storeOf(dbPath);
  return dbUrl ? { PS_DB_URL: dbUrl } : { PS_DB_PATH: dbPath };
}

/** The PostgreSQL server of this test file (PS_TEST_STORE=postgres), for tests that stop and start it. */
export function testPostgres(): ThrowawayPostgres | undefined {
  return postgres;
}

export function tempDir(prefix = 'chanpay-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Config of one server with a consumer, a provider and an unrelated account, each with its own token. */
export function serverConfig(chain: EmbeddedChain, dbPath: string, extra: Partial<ConfigInput> = {}): ConfigInput {
  const [c, p, o] = chain.accounts;
  return {
    rpcUrl: chain.rpcUrl,
    port: 0,
    ...storeOf(typeof extra.dbPath === 'string' ? extra.dbPath : dbPath),
    logLevel: 'silent',
    accounts: [
      { name: 'consumer', privateKey: c!.privateKey },
      { name: 'provider', privateKey: p!.privateKey },
      { name: 'other', privateKey: o!.privateKey },
    ],
    tokens: [
      { token: CONSUMER_TOKEN, accounts: ['consumer'] },
      { token: PROVIDER_TOKEN, accounts: ['provider'] },
      { token: OTHER_TOKEN, accounts: ['other'] },
    ],
    defaults: { challengePeriod: 600, minChallengePeriod: 60 },
    claim: { intervalSeconds: 0, checkIntervalMs: 100 },
    watcher: { pollIntervalMs: 100 },
    ...extra,
  };
}

export async function startServer(chain: EmbeddedChain, dbPath: string, extra: Partial<ConfigInput> = {}): Promise<PaymentServer> {
  return createPaymentServer(serverConfig(chain, dbPath, extra), { logger: createLogger('silent') });
}

export interface Api {
  call<T = any>(
    method: string,
    p: string,
    token: string | null,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T }>;
}

export function api(baseUrl: () => string): Api {
  return {
    async call(method, p, token, body, headers = {}) {
      const res = await fetch(baseUrl() + p, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed as never };
    },
  };
}

export async function rpc<T = any>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result: T; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

/** Moves the chain's clock forward and mines a block (ganache and anvil both understand these). */
export async function timeTravel(url: string, seconds: number): Promise<void> {
  await rpc(url, 'evm_increaseTime', [seconds]);
  await rpc(url, 'evm_mine', []);
}

/** Sum of gas fees paid by each address in blocks [from, to]: needed to check balances to the wei. */
export async function feesPaid(url: string, from: number, to: number): Promise<Map<string, bigint>> {
  const fees = new Map<string, bigint>();
  for (let n = from; n <= to; n++) {
    const block = await rpc<{ transactions: { hash: string; from: string }[] }>(url, 'eth_getBlockByNumber', ['0x' + n.toString(16), true]);
    for (const tx of block.transactions) {
      const r = await rpc<{ gasUsed: string; effectiveGasPrice: string }>(url, 'eth_getTransactionReceipt', [tx.hash]);
      const a = tx.from.toLowerCase();
      fees.set(a, (fees.get(a) ?? 0n) + BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice));
    }
  }
  return fees;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
