/**
 * Hooks for the network-level fault scenarios (the example network of scripts/network.ts: chain, two payment
 * servers, random-number, persistence, public): one interface for "a thing that can be killed with kill -9 and
 * restarted", adapters for the processes this suite and scripts/network.ts start, a bounded `/action` load, and
 * the checks every scenario ends with (secret scan of every process's output, on-chain conservation).
 *
 * Typical use (see docs/reliability.md, "Not yet covered"):
 *   const net = await startNetwork({ mode: 'remote', freePorts: true, chainProcess: true, ... });
 *   const load = startActionLoad(net.urls.public!, { concurrency: 4, maxCalls: bound(2000) });
 *   await injectFault(networkProcessTarget(net, 'random-number'), { downMs: 1500, load });
 *   const stats = await load.stop();
 *   ...expect(await conservationProblems(rpcUrl, contract, channelIds, acceptedByChannel)).toEqual([]);
 */
import type { ChildProcess } from 'node:child_process';
import { conservation } from './conservation';
import { sleep } from './load';
import type { AnvilNode, PaymentServerProcess } from './processes';
import { findSecrets, type Secret, type SecretHit } from './secret-scan';

/** Something a scenario can kill with SIGKILL and start again with the same settings. */
export interface FaultTarget {
  name: string;
  kill9(): Promise<void>;
  restart(): Promise<void>;
}

/** A payment server run by this suite (lib/processes.ts). */
export function paymentServerTarget(ps: PaymentServerProcess): FaultTarget {
  return { name: ps.name, kill9: () => ps.kill9(), restart: () => ps.restart() };
}

/**
 * The anvil node run by this suite. With `saveFirst` the state is saved right before the kill (a node that keeps
 * every block); without it the node comes back from its last save and forgets what came after (see known bug 3).
 */
export function chainNodeTarget(node: AnvilNode, { saveFirst = true } = {}): FaultTarget {
  return {
    name: node.name,
    async kill9() {
      if (saveFirst) await node.dumpState();
      await node.kill9();
    },
    restart: () => node.restart(),
  };
}

/** The parts of scripts/network.ts's `Network` the hooks need (kept structural to avoid a runtime import). */
export interface NetworkLike {
  processes: { name: string; child: ChildProcess; output(): string }[];
  restart(name: string): Promise<unknown>;
}

/** One process of the example network started by scripts/network.ts (`random-number`, `payment-server-1`, …). */
export function networkProcessTarget(net: NetworkLike, name: string): FaultTarget {
  const find = () => {
    const p = net.processes.find((x) => x.name === name);
    if (!p) throw new Error(`no process ${name} in the network (have ${net.processes.map((x) => x.name).join(', ')})`);
    return p;
  };
  return {
    name,
    async kill9() {
      const { child } = find();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      await net.restart(name);
    },
  };
}

export interface FaultRecord {
  target: string;
  killedAt: number;
  downMs: number;
  restartMs: number;
}

/** kill -9 of `target`, `downMs` of downtime, restart; names the load's phases so its figures split by them. */
export async function injectFault(
  target: FaultTarget,
  { downMs = 1000, load }: { downMs?: number; load?: { phase(name: string): void } } = {},
): Promise<FaultRecord> {
  load?.phase(`${target.name} down`);
  const killedAt = Date.now();
  await target.kill9();
  await sleep(downMs);
  const restarting = Date.now();
  await target.restart();
  const record = { target: target.name, killedAt, downMs: restarting - killedAt, restartMs: Date.now() - restarting };
  load?.phase(`after ${target.name}`);
  return record;
}

export interface ActionLoadStats {
  calls: number;
  byStatus: Record<string, number>;
  errors: Record<string, number>;
  byPhase: Record<string, { calls: number; ok: number }>;
}

/**
 * A bounded load of `GET <publicUrl>/action` (or another path) at a fixed concurrency, on 127.0.0.1 only. Keeps
 * every status, so a scenario can tell calls refused during a fault from calls lost.
 */
export function startActionLoad(
  publicUrl: string,
  {
    path = '/action',
    concurrency = 4,
    maxCalls = 1000,
    timeoutMs = 10_000,
    backoffMs = 50,
    onResponse,
  }: {
    path?: string;
    concurrency?: number;
    maxCalls?: number;
    timeoutMs?: number;
    backoffMs?: number;
    /** Every answer (status and body), e.g. to keep the receipts of served calls. */
    onResponse?: (status: number, body: string, startedAt: number) => void;
  } = {},
) {
  if (new URL(publicUrl).hostname !== '127.0.0.1') throw new Error('loads only go to 127.0.0.1');
  const stats: ActionLoadStats = { calls: 0, byStatus: {}, errors: {}, byPhase: {} };
  let phase = 'start';
  let stopped = false;
  const workers = Array.from({ length: concurrency }, async () => {
    while (!stopped && stats.calls < maxCalls) {
      stats.calls++;
      const p = (stats.byPhase[phase] ??= { calls: 0, ok: 0 });
      p.calls++;
      const startedAt = Date.now();
      try {
        const res = await fetch(publicUrl + path, { signal: AbortSignal.timeout(timeoutMs) });
        const body = await res.text();
        onResponse?.(res.status, body, startedAt);
        stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
        if (res.ok) p.ok++;
        else await sleep(backoffMs);
      } catch (e) {
        const code = ((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name) || 'error';
        stats.errors[code] = (stats.errors[code] ?? 0) + 1;
        await sleep(backoffMs);
      }
    }
  });
  const done = Promise.all(workers);
  return {
    stats,
    phase(name: string) {
      phase = name;
    },
    async stop(): Promise<ActionLoadStats> {
      stopped = true;
      await done;
      return stats;
    },
  };
}

/** The secret scan over every process of a network (their kept output) plus anything else collected. */
export function scanNetworkOutputs(net: NetworkLike, secrets: Secret[], extra: { source: string; text: string }[] = []): SecretHit[] {
  return findSecrets([...net.processes.map((p) => ({ source: `log ${p.name}`, text: p.output() })), ...extra], secrets);
}

/**
 * The end of every fault scenario: all `channelIds` settled, payouts + refunds = deposits to the wei, and each
 * provider paid exactly what its payment server accepted (`accepted`, from GET /channels/:id). Empty when all holds.
 */
export async function conservationProblems(
  rpcUrl: string,
  contract: string,
  channelIds: string[],
  accepted?: Map<string, bigint>,
): Promise<string[]> {
  const books = await conservation(rpcUrl, contract, channelIds);
  const problems = [...books.problems];
  if (books.providerPayouts + books.consumerRefunds !== books.deposits)
    problems.push(`payouts ${books.providerPayouts} + refunds ${books.consumerRefunds} != deposits ${books.deposits}`);
  for (const c of books.channels) {
    const want = accepted?.get(c.id);
    if (want !== undefined && c.providerTotal !== want)
      problems.push(`${c.id}: provider paid ${c.providerTotal}, its server accepted ${want}`);
  }
  return problems;
}
