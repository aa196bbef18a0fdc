/**
 * The local chain x402 runs on, and how viem is told about it. Ganache (in this process or as a child of its
 * own) or anvil (always a child), started with fresh funded keys, or a chain someone else started.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { createPublicClient, defineChain, http, type Chain, type Hex, type PublicClient } from 'viem';
import { startAnvil, startEmbeddedChain } from '@chanpay/devkit';
import { spawnTs, stopChild } from '../../../network';

export type ChainKind = 'ganache' | 'anvil';
export const CHAIN_KINDS: readonly ChainKind[] = ['ganache', 'anvil'];

export interface LocalChain {
  kind: ChainKind | 'external';
  rpcUrl: string;
  chainId: number;
  /** Keys with ether on this chain. They stay in this process (children get them in their environment). */
  fundedKeys: Hex[];
  /** The node's own process when it runs apart from this one (ganache with `process: true`, anvil). */
  pid: number | null;
  stop(): Promise<void>;
}

export interface LocalChainOptions {
  kind: ChainKind;
  /** How many funded keys to make; default 2 (deployer, facilitator). */
  keys?: number;
  /** Ganache only: run it as a child process (`scripts/chain.ts`), so its CPU can be measured apart. */
  process?: boolean;
  verbose?: boolean;
  /** Extra environment of the chain's process (ganache as a child). */
  env?: Record<string, string>;
}

const freshKey = (): Hex => `0x${randomBytes(32).toString('hex')}`;

export async function startLocalChain(opts: LocalChainOptions): Promise<LocalChain> {
  const fundedKeys = Array.from({ length: opts.keys ?? 2 }, freshKey);
  if (opts.kind === 'anvil') {
    const chain = await startAnvil({ privateKeys: fundedKeys });
    return { kind: 'anvil', rpcUrl: chain.rpcUrl, chainId: Number(chain.chainId), fundedKeys, pid: chain.pid ?? null, stop: chain.stop };
  }
  if (!opts.process) {
    const chain = await startEmbeddedChain({ privateKeys: fundedKeys });
    return { kind: 'ganache', rpcUrl: chain.rpcUrl, chainId: Number(chain.chainId), fundedKeys, pid: null, stop: chain.stop };
  }
  const spawned = spawnTs(
    'chain',
    'scripts/chain.ts',
    { ...opts.env, CHAIN_PORT: '0', CHAIN_PRIVATE_KEYS: fundedKeys.join(',') },
    opts.verbose ?? false,
  );
  const rpcUrl = await waitForLine(spawned.child, spawned.output, /CHAIN_READY (http:\/\/\S+)/, 60_000);
  // scripts/chain.ts starts ganache with its default chain id.
  return { kind: 'ganache', rpcUrl, chainId: 1337, fundedKeys, pid: spawned.child.pid ?? null, stop: () => stopChild(spawned.child) };
}

/** A chain started elsewhere: its RPC URL (127.0.0.1 only) and keys that hold ether on it. */
export async function externalChain(rpcUrl: string, fundedKeys: Hex[]): Promise<LocalChain> {
  if (new URL(rpcUrl).hostname !== '127.0.0.1') throw new Error(`the x402 peer only talks to a chain on 127.0.0.1, not ${rpcUrl}`);
  if (fundedKeys.length < 2) throw new Error('give at least two funded keys (deployer, facilitator)');
  const chainId = await createPublicClient({ transport: http(rpcUrl) }).getChainId();
  return { kind: 'external', rpcUrl, chainId, fundedKeys, pid: null, stop: async () => {} };
}

/** Waits for a child's output to match `pattern` (first group returned); fails if it exits or takes too long. */
export async function waitForLine(child: ChildProcess, output: () => string, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(output());
    if (match) return match[1] ?? match[0];
    if (child.exitCode !== null) throw new Error(`process exited with code ${child.exitCode}:\n${output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The CAIP-2 name x402 uses for an EVM chain. */
export const caip2 = (chainId: number): `eip155:${number}` => `eip155:${chainId}`;

/** viem knows public chains by id; ours it must be told, with the RPC URL as its only endpoint. */
export function localViemChain(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: `local chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/** Local chains mine on arrival, so viem's receipt polling (4 s by default) is shortened to a few milliseconds. */
export const LOCAL_POLLING_INTERVAL_MS = 20;

export function localPublicClient(chainId: number, rpcUrl: string): PublicClient {
  return createPublicClient({
    chain: localViemChain(chainId, rpcUrl),
    transport: http(rpcUrl),
    pollingInterval: LOCAL_POLLING_INTERVAL_MS,
  });
}
