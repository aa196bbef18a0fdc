/** What the Swarm lab tests share: bounded HTTP calls, the contract's channels, and settling them all. */
import { Interface } from 'ethers';
import { PAYMENT_CHANNELS_ABI } from '@chanpay/protocol';
import { swarmLabUnavailableReason } from '../../../scripts/swarm/probe';
import { dockerSkipReason } from '../helpers/docker';
import { conservation, type ConservationReport } from '../reliability/lib/conservation';
import { jsonRpc } from '../reliability/lib/processes';

export const GWEI = 1_000_000_000n;

/** Why the lab cannot run here (null: it can); with CI=true the suites fail with it instead of skipping. */
export function swarmSuite(name: string): { describe: jest.Describe; reason: string | null } {
  const reason = swarmLabUnavailableReason() ?? dockerSkipReason();
  const mustRun = process.env.CI === 'true';
  if (reason) process.stderr.write(`${name} ${mustRun ? 'cannot run in CI' : 'skipped'}: ${reason}\n`);
  return { describe: reason && !mustRun ? describe.skip : describe, reason };
}

export async function call<T = any>(
  url: string,
  opts: { admin?: string; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    headers: { ...(opts.admin ? { authorization: `Bearer ${opts.admin}` } : {}), ...opts.headers },
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as T };
  } catch {
    return { status: res.status, body: text as T };
  }
}

/** Refused: the call never reached a server. Anything else (reset, timeout) may have reached it, and paid. */
export const wasRefused = (e: unknown) => (e as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';

const contractInterface = new Interface(PAYMENT_CHANNELS_ABI as never);

/** Every channel the contract ever opened (the contract is the stack's own). */
export async function channelIds(rpcUrl: string, contract: string): Promise<string[]> {
  const logs = await jsonRpc<{ topics: string[]; data: string }[]>(rpcUrl, 'eth_getLogs', [
    { address: contract, fromBlock: '0x0', toBlock: 'latest' },
  ]);
  return logs
    .map((l) => contractInterface.parseLog(l))
    .filter((p) => p?.name === 'ChannelOpened')
    .map((p) => String(p!.args[0]).toLowerCase());
}

/**
 * The books of every channel once settled: polls (bounded) while the challenge periods run out. The automining
 * chain's clock moves only with blocks: an empty block now and then lets a short challenge period end.
 */
export async function settledBooks(rpcUrl: string, contract: string, timeoutMs = 60_000): Promise<ConservationReport> {
  const ids = await channelIds(rpcUrl, contract);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await conservation(rpcUrl, contract, ids);
    if (report.problems.length === 0 || Date.now() > deadline) return report;
    await jsonRpc(rpcUrl, 'evm_mine').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
  }
}
