/**
 * `npm run bench -- open --target <entry url>`: open-loop load on a network deployed elsewhere (a Swarm stack, a
 * cloud deployment), from this machine; nothing is started. Per point: latency per percentile, achieved rate,
 * late and dropped sends, as for our own networks. With `--chain-url`: gas and ether of every transaction mined
 * between the first and the last point. With `--payment-server-url` and a token file: the payment server's
 * contract (to name the operations) and how its Prometheus counters moved over the run. The components' CPU
 * cannot be read from here: only the load generator's is measured, and the report says so.
 */
import { readFileSync } from 'node:fs';
import { blockNumber, collectTransactions, costByOperation, allowRemoteRpc } from '../gas';
import { generate } from '../load/generate';
import { measurePoint } from './cell';
import type { OpenPlan } from './plan';
import type { NetworkRecord, RunRecord, TargetRecord } from './types';

export interface TargetOptions {
  url: string;
  chainUrl: string | null;
  paymentServerUrl: string | null;
  paymentServerTokenFile: string | null;
}

export const TARGET_CPU_NOTE =
  "CPU, memory and event-loop lag of the target's components are not measurable from this machine: only the load generator's are reported (run the benchmark on the network's own machine, or read the nodes' own metrics, for the rest).";

function readToken(file: string): string {
  const token = readFileSync(file, 'utf8').trim();
  if (!token) throw new Error(`--payment-server-token-file ${file} is empty`);
  return token;
}

async function getText(url: string, token: string | null): Promise<string> {
  const res = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(15_000),
  });
  if (!res.ok) throw new Error(`GET ${new URL(url).pathname}: HTTP ${res.status}`);
  return res.text();
}

/** Counter samples (`*_total`) of a Prometheus text page, by series. */
export function prometheusCounters(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    const series = line.slice(0, cut);
    const value = Number(line.slice(cut + 1));
    if (/^[a-zA-Z_:][\w:]*_total(\{|$)/.test(series) && Number.isFinite(value)) out.set(series, value);
  }
  return out;
}

interface PaymentServerReading {
  contract: string | null;
  counters: Map<string, number>;
}

async function readPaymentServer(url: string, token: string): Promise<PaymentServerReading> {
  const status = JSON.parse(await getText(`${url}/status`, null)) as { contract?: string };
  return { contract: status.contract ?? null, counters: prometheusCounters(await getText(`${url}/metrics`, token)) };
}

export async function runTarget(
  plan: OpenPlan,
  target: TargetOptions,
  hooks: { onLive?: (t: string) => void; onPoint?: (r: RunRecord) => void },
): Promise<{ network: NetworkRecord; runs: RunRecord[]; target: TargetRecord }> {
  const s = plan.settings;
  const token = target.paymentServerTokenFile ? readToken(target.paymentServerTokenFile) : null;
  if (target.chainUrl) allowRemoteRpc(target.chainUrl);
  const network: NetworkRecord = {
    topology: target.url,
    mode: 'target',
    repetition: 1,
    startupMs: 0,
    processes: [],
    chain: null,
    errors: [],
  };
  const first = plan.points[0]!;
  const warm = await generate({
    urls: [target.url],
    rate: first.rate,
    durationMs: s.warmupSeconds * 1000,
    connections: first.connections,
    arrivals: 'constant',
    maxInFlight: s.maxInFlight,
    anyHost: true,
  });
  if (warm.failed > 0) network.errors.push(`warm-up: ${warm.failed} failed: ${JSON.stringify({ ...warm.statuses, ...warm.errors })}`);
  for (const h of [warm.latency, warm.serviceTime, warm.sendLag]) h.destroy();

  const ps0 = target.paymentServerUrl && token ? await readPaymentServer(target.paymentServerUrl, token) : null;
  const block0 = target.chainUrl ? await blockNumber(target.chainUrl) : null;
  const runs: RunRecord[] = [];
  for (const point of plan.points) {
    const { record, checkFailures } = await measurePoint({
      topology: target.url,
      mode: 'target',
      repetition: 1,
      point,
      settings: s,
      outDir: plan.outDir,
      urls: [target.url],
      processes: [],
      probeDir: null,
      paidHopsPerRequest: 0,
      sender: { anyHost: true },
      onLive: hooks.onLive,
    });
    if (record.failed > 0)
      network.errors.push(
        `${record.id}: ${record.failed} failed: ${JSON.stringify({ ...record.statuses, ...record.errors })} ${checkFailures.slice(0, 2).join(' | ')}`,
      );
    runs.push(record);
    hooks.onPoint?.(record);
  }
  const served = runs.reduce((a, r) => a + r.ok, 0);
  const ps1 = ps0 && target.paymentServerUrl && token ? await readPaymentServer(target.paymentServerUrl, token) : null;
  let chain: TargetRecord['chain'] = null;
  if (target.chainUrl && block0 !== null) {
    const block1 = await blockNumber(target.chainUrl);
    const txs = await collectTransactions(target.chainUrl, ps1?.contract ?? null, block0 + 1, block1);
    const operations = costByOperation(txs);
    const totalGas = operations.reduce((a, o) => a + o.gasUsed, 0);
    const totalEther = operations.reduce((a, o) => a + o.ether, 0);
    chain = {
      fromBlock: block0 + 1,
      toBlock: block1,
      transactions: txs.length,
      totalGas,
      totalEther,
      gasPerRequest: served > 0 ? Math.round((totalGas / served) * 10) / 10 : 0,
      etherPerRequest: served > 0 ? totalEther / served : 0,
      operations: operations.map((o) => ({ operation: o.operation, count: o.count, gasUsed: o.gasUsed, ether: o.ether })),
    };
    network.chain = {
      paidCalls: served,
      totalGas,
      gasPerPaidCall: chain.gasPerRequest,
      totalEther,
      operations: operations.map((o) => ({ operation: o.operation, count: o.count })),
    };
  }
  const counters =
    ps0 && ps1
      ? [...ps1.counters].map(([series, v]) => ({ series, delta: v - (ps0.counters.get(series) ?? 0) })).filter((c) => c.delta !== 0)
      : null;
  return {
    network,
    runs,
    target: {
      url: target.url,
      chainUrl: target.chainUrl,
      paymentServerUrl: target.paymentServerUrl,
      requestsServed: served,
      chain,
      paymentServer: ps1 ? { contract: ps1.contract, counterDeltas: counters ?? [] } : null,
      componentsMeasured: false,
    },
  };
}
