/**
 * The thesis example network for the whole-network tests, built by the one network builder (`@chanpay/topology`,
 * the `thesis` topology) in its in-process mode, so that a test can reach the running services' objects (flush a
 * provider, count the persistence store, list the consumer's channels).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EmbeddedChain } from '@chanpay/devkit';
import type { PaymentServer } from '@chanpay/payment-server';
import type { PaymentMode } from '@chanpay/protocol';
import { PaymentServerClient } from '@chanpay/client-lib';
import type { RunningService } from '@chanpay/service-random-number';
import type { RunningPersistenceService } from '@chanpay/service-persistence';
import type { RunningPublicService } from '@chanpay/service-public';
import { startTopology, thesisTopology, type RunningTopology, type TopologyOverrides } from '@chanpay/topology';

export interface NetworkOptions {
  mode: PaymentMode;
  sync?: boolean;
  /** Seconds; default 3 (the payment servers then accept it). */
  challengePeriod?: number;
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
  /** The block the funded accounts' balances are read at: a fresh ganache holds them from its genesis block. */
  startBlock: number;
  /** What the builder started. */
  topology: RunningTopology;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'chanpay-net-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export async function startNetwork(opts: NetworkOptions): Promise<Network> {
  const dir = tempDir();
  const overrides: TopologyOverrides = { mode: opts.mode, challengePeriod: opts.challengePeriod ?? 3 };
  if (opts.sync) overrides.sync = true;
  let net: RunningTopology;
  try {
    net = await startTopology(thesisTopology(), {
      overrides,
      inProcess: true,
      freePorts: true,
      dataDir: path.join(dir, 'net'),
      init: false,
      claimIntervalSeconds: 0,
      logLevel: 'silent',
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const part = <T>(name: string) => net.parts.get(name) as T;
  const stop = async () => {
    await net.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const services = {
    randomNumber: part<RunningService>('random-number'),
    persistence: part<RunningPersistenceService>('persistence'),
    public: part<RunningPublicService>('public'),
  };
  if (opts.mode === 'off') return { mode: 'off', dir, ...services, startBlock: 0, topology: net, stop };
  const account = (service: string) => net.accountOfService(service)!;
  const ps1 = part<PaymentServer>('payment-server-1');
  const ps2 = part<PaymentServer>('payment-server-2');
  return {
    mode: opts.mode,
    dir,
    chain: net.chain!,
    ps1,
    ps2,
    accounts: {
      randomNumber: account('random-number').address,
      persistence: account('persistence').address,
      public: account('public').address,
    },
    voucherKey: opts.mode === 'local' ? (account('public').voucherKey ?? undefined) : undefined,
    clients: {
      randomNumber: new PaymentServerClient({ url: ps1.url, token: account('random-number').token }),
      persistence: new PaymentServerClient({ url: ps1.url, token: account('persistence').token }),
      public: new PaymentServerClient({ url: ps2.url, token: account('public').token }),
    },
    ...services,
    startBlock: 0,
    topology: net,
    stop,
  };
}

export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
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

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
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
