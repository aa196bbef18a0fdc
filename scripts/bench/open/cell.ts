/**
 * One network's life in an open-loop benchmark: a fresh network of the topology in one payment mode (new chain,
 * new stores), warmed up unmeasured, then each load point measured in turn (open-loop load at a fixed rate, with
 * CPU, memory and event-loop delay of every process around it), the raw histograms written as HDR logs, the gas
 * of its chain read, and the network stopped.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expectedCalls, startTopology, type RunningTopology } from '@chanpay/topology';
import { generate, type GenerateResult } from '../load/generate';
import { hdrLog, type LatencyHistogram } from '../load/histogram';
import { machineCpu, machineLoad } from '../cpu';
import { chainCost } from '../mode-run';
import { round } from '../stats';
import { overridesOf, type OpenMode } from './modes';
import { ProbeWindow, probeEnv, type ComponentWindow } from './probes';
import type { ComponentFigures, ComponentKind, LoadPoint, NetworkRecord, Percentiles, RunRecord } from './types';

export interface LoadSettings {
  durationSeconds: number;
  warmupSeconds: number;
  arrivals: 'constant' | 'poisson';
  seed: number;
  lateMs: number;
  maxInFlight: number;
  totalWork: string | null;
  verbose: boolean;
}

export interface CellSpec {
  topology: string;
  mode: OpenMode;
  repetition: number;
  points: LoadPoint[];
  settings: LoadSettings;
  /** The results folder (HDR logs go to hdr/). */
  outDir: string;
  dataDir: string;
  /** Called before each measured point and after it, for progress. */
  onPoint?: (point: LoadPoint, record: RunRecord | null) => void;
  onLive?: (text: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The networks running now, for a Ctrl-C to stop (their processes would outlive the benchmark otherwise). */
export const liveNetworks = new Set<RunningTopology>();

/** Paid calls one request makes on average (every call below an entry is paid unless the mode is off). */
export function paidHopsPerRequest(net: RunningTopology, mode: OpenMode): number {
  if (mode === 'off') return 0;
  const visits = expectedCalls(net.topology);
  const entries = new Set(net.topology.entry);
  let hops = 0;
  for (const [name, v] of visits) if (!entries.has(name)) hops += v;
  return round(hops, 4);
}

function kindOf(net: RunningTopology, name: string): ComponentKind {
  if (name === 'chain') return 'chain';
  if (name in net.urls.paymentServers) return 'payment-server';
  return 'service';
}

const percentiles = (h: LatencyHistogram): Percentiles => {
  const s = h.stats();
  return { p50: round(s.p50), p90: round(s.p90), p99: round(s.p99), p99_9: round(s.p99_9), max: round(s.maxMs) };
};

function components(
  net: RunningTopology,
  windows: Record<string, ComponentWindow>,
  r: GenerateResult,
  elapsedS: number,
): ComponentFigures[] {
  const per1000 = (millicores: number | null) =>
    millicores === null || r.achievedRate <= 0 ? null : round(millicores / (r.achievedRate / 1000), 1);
  const out: ComponentFigures[] = Object.entries(windows).map(([name, w]) => {
    const millicores = w.cpuSeconds === null ? null : round((w.cpuSeconds / elapsedS) * 1000, 1);
    return {
      name,
      kind: kindOf(net, name),
      cpuSeconds: w.cpuSeconds === null ? null : round(w.cpuSeconds, 3),
      millicores,
      millicoresPer1000Rps: per1000(millicores),
      maxRssMiB: w.maxRssBytes === null ? null : round(w.maxRssBytes / 2 ** 20, 1),
      eventLoopDelayP99Ms: w.eventLoopDelayP99Ms === null ? null : round(w.eventLoopDelayP99Ms, 2),
    };
  });
  const genMillicores = round((r.generator.cpuSeconds / elapsedS) * 1000, 1);
  out.push({
    name: 'load-generator',
    kind: 'load-generator',
    cpuSeconds: round(r.generator.cpuSeconds, 3),
    millicores: genMillicores,
    millicoresPer1000Rps: per1000(genMillicores),
    maxRssMiB: round(process.memoryUsage.rss() / 2 ** 20, 1),
    eventLoopDelayP99Ms: round(r.generator.eventLoopDelayP99Ms, 2),
  });
  return out;
}

export const runId = (topology: string, mode: OpenMode, p: LoadPoint, repetition: number) =>
  `${topology}/${mode}/${p.rate}rps/c${p.connections}/r${repetition}`;

const fileOf = (id: string) => `${id.replace(/[^A-Za-z0-9.=-]+/g, '_')}.hlog`;

export async function runCell(spec: CellSpec): Promise<{ network: NetworkRecord; runs: RunRecord[] }> {
  const s = spec.settings;
  // Beside the data folder, not in it: the builder wipes that at start.
  const probeDir = `${spec.dataDir}-probe`;
  const started = Date.now();
  const net = await startTopology(spec.topology, {
    overrides: overridesOf(spec.mode),
    ...(s.totalWork ? { totalWork: s.totalWork } : {}),
    freePorts: true,
    chainProcess: true,
    dataDir: spec.dataDir,
    init: true,
    verbose: s.verbose,
    env: probeEnv(probeDir),
  });
  liveNetworks.add(net);
  const network: NetworkRecord = {
    topology: spec.topology,
    mode: spec.mode,
    repetition: spec.repetition,
    startupMs: Date.now() - started,
    processes: net.processes.map((p) => ({ name: p.name, kind: kindOf(net, p.name) })),
    chain: null,
    errors: [],
  };
  const runs: RunRecord[] = [];
  const hops = paidHopsPerRequest(net, spec.mode);
  const urls = net.entries.map((e) => e.url);
  let served = 0;
  try {
    // Unmeasured: the JIT settles, connections open, channels are topped up at the first point's rate.
    const first = spec.points[0]!;
    const warm = await generate({
      urls,
      rate: first.rate,
      durationMs: s.warmupSeconds * 1000,
      connections: first.connections,
      arrivals: 'constant',
      maxInFlight: s.maxInFlight,
    });
    served += warm.ok;
    if (warm.failed > 0) network.errors.push(`warm-up: ${warm.failed} failed: ${JSON.stringify({ ...warm.statuses, ...warm.errors })}`);
    for (const h of [warm.latency, warm.serviceTime, warm.sendLag]) h.destroy();
    const hdrDir = path.join(spec.outDir, 'hdr');
    mkdirSync(hdrDir, { recursive: true });

    for (const point of spec.points) {
      spec.onPoint?.(point, null);
      await sleep(500);
      const pids = Object.fromEntries(net.processes.map((p) => [p.name, p.child.pid]));
      const window = new ProbeWindow(pids, probeDir);
      await window.start();
      const machine0 = machineCpu();
      const startedAt = Date.now();
      const t0 = performance.now();
      const r = await generate({
        urls,
        rate: point.rate,
        durationMs: s.durationSeconds * 1000,
        connections: point.connections,
        arrivals: s.arrivals,
        seed: s.seed + spec.repetition,
        lateMs: s.lateMs,
        maxInFlight: s.maxInFlight,
        onTick: (sent, ms) => spec.onLive?.(`${spec.topology} ${spec.mode} ${point.rate} req/s: ${sent} sent, ${(ms / 1000).toFixed(0)} s`),
      });
      const elapsedS = (performance.now() - t0) / 1000;
      const machine1 = machineCpu();
      const windows = await window.stop();
      served += r.ok;
      const id = runId(spec.topology, spec.mode, point, spec.repetition);
      const file = path.join('hdr', fileOf(id));
      writeFileSync(
        path.join(spec.outDir, file),
        hdrLog(
          [
            { tag: 'latency', startMs: startedAt, endMs: startedAt + elapsedS * 1000, histogram: r.latency },
            { tag: 'service-time', startMs: startedAt, endMs: startedAt + elapsedS * 1000, histogram: r.serviceTime },
            { tag: 'send-lag', startMs: startedAt, endMs: startedAt + elapsedS * 1000, histogram: r.sendLag },
          ],
          `chanpay open-loop run ${id}: ${s.arrivals} arrivals at ${point.rate} req/s, ${point.connections} connections per entry, ${s.durationSeconds} s`,
        ),
      );
      const lat = r.latency.stats();
      const record: RunRecord = {
        id,
        topology: spec.topology,
        mode: spec.mode,
        repetition: spec.repetition,
        load: {
          ...point,
          arrivals: s.arrivals,
          seed: s.seed + spec.repetition,
          durationMs: s.durationSeconds * 1000,
          lateMs: s.lateMs,
          maxInFlight: s.maxInFlight,
          entries: urls.length,
        },
        paidHopsPerRequest: hops,
        scheduled: r.scheduled,
        sent: r.sent,
        ok: r.ok,
        failed: r.failed,
        late: r.late,
        latePercent: r.sent > 0 ? round((100 * r.late) / r.sent, 3) : 0,
        dropped: r.dropped,
        statuses: r.statuses,
        errors: r.errors,
        achievedRate: round(r.achievedRate, 2),
        latencyMs: { ...percentiles(r.latency), mean: round(lat.meanMs) },
        serviceTimeMs: percentiles(r.serviceTime),
        sendLagMs: { p99: round(r.sendLag.percentileMs(99)), max: round(r.sendLag.stats().maxMs) },
        components: components(net, windows, r, elapsedS),
        machine: machineLoad(
          machine0,
          machine1,
          elapsedS,
          Object.values(windows).reduce((a, w) => a + (w.cpuSeconds ?? 0), r.generator.cpuSeconds),
        ),
        hdrLog: file,
      };
      for (const h of [r.latency, r.serviceTime, r.sendLag]) h.destroy();
      if (r.failed > 0)
        network.errors.push(
          `${id}: ${r.failed} failed: ${JSON.stringify({ ...r.statuses, ...r.errors })} ${r.checkFailures.slice(0, 2).join(' | ')}`,
        );
      runs.push(record);
      spec.onPoint?.(point, record);
    }
    if (net.urls.chain && spec.mode !== 'off') {
      const cost = await chainCost(net.urls.chain, net.contract, Math.round(served * hops));
      network.chain = {
        paidCalls: cost.paidCalls,
        totalGas: cost.totalGas,
        gasPerPaidCall: cost.perPaidCall.gas,
        operations: cost.operations.map((o) => ({ operation: o.operation, count: o.count })),
      };
    }
  } finally {
    await net.stop();
    liveNetworks.delete(net);
    rmSync(probeDir, { recursive: true, force: true });
  }
  return { network, runs };
}
