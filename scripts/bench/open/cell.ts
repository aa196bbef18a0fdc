/**
 * One network's life in an open-loop benchmark: a fresh network in one payment mode (new chain, new stores; see
 * networks.ts for what each mode starts), warmed up unmeasured, then each load point measured in turn (open-loop
 * load at a fixed rate, with CPU, memory and event-loop delay of every process around it), the raw histograms
 * written as HDR logs, the gas of its chain read, and the network stopped. `measurePoint` is also what
 * `--target` runs against a network deployed elsewhere (no processes of ours to probe).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generate, type GenerateOptions, type GenerateResult } from '../load/generate';
import { hdrLog, type LatencyHistogram } from '../load/histogram';
import { machineCpu, machineLoad } from '../cpu';
import { round } from '../stats';
import type { ChainKind } from '../peers/x402/chain';
import { PEER_MODES, type OpenMode } from './modes';
import { startLoadedNetwork, type LoadedProcess } from './networks';
import { ProbeWindow, probeEnv, type ComponentWindow } from './probes';
import { hopSamples, readSpanFile, splitByHop } from './trace-split';
import type { ComponentFigures, LoadPoint, NetworkRecord, Percentiles, RunRecord, TraceSplitRecord } from './types';

export interface LoadSettings {
  durationSeconds: number;
  warmupSeconds: number;
  arrivals: 'constant' | 'poisson';
  seed: number;
  lateMs: number;
  maxInFlight: number;
  totalWork: string | null;
  /** The node x402's facilitator settles on (its own, in its own process). */
  x402Chain: ChainKind;
  verbose: boolean;
  /** `--trace-split`: after the measured points, a traced pass of this many seconds on a fresh network; null: none. */
  traceSplitSeconds: number | null;
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
export const liveNetworks = new Set<{ stop(): Promise<void> }>();

const percentiles = (h: LatencyHistogram): Percentiles => {
  const s = h.stats();
  return { p50: round(s.p50), p90: round(s.p90), p99: round(s.p99), p99_9: round(s.p99_9), max: round(s.maxMs) };
};

function components(
  processes: LoadedProcess[],
  windows: Record<string, ComponentWindow>,
  r: GenerateResult,
  elapsedS: number,
): ComponentFigures[] {
  const per1000 = (millicores: number | null) =>
    millicores === null || r.achievedRate <= 0 ? null : round(millicores / (r.achievedRate / 1000), 1);
  const out: ComponentFigures[] = processes.map(({ name, kind }) => {
    const w = windows[name]!;
    const millicores = w.cpuSeconds === null ? null : round((w.cpuSeconds / elapsedS) * 1000, 1);
    return {
      name,
      kind,
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

export interface PointSpec {
  topology: string;
  mode: OpenMode;
  repetition: number;
  point: LoadPoint;
  settings: LoadSettings;
  outDir: string;
  urls: string[];
  /** Our processes under the load, probed around it; none for a remote target. */
  processes: LoadedProcess[];
  probeDir: string | null;
  paidHopsPerRequest: number;
  sender?: Pick<GenerateOptions, 'makeSender' | 'anyHost'>;
  onLive?: (text: string) => void;
}

/** One load point measured: the open-loop run, the probes around it, the HDR log written; the record. */
export async function measurePoint(spec: PointSpec): Promise<{ record: RunRecord; checkFailures: string[] }> {
  const { point, settings: s } = spec;
  const pids = Object.fromEntries(spec.processes.map((p) => [p.name, p.pid]));
  const window = spec.probeDir ? new ProbeWindow(pids, spec.probeDir) : null;
  await window?.start();
  const machine0 = machineCpu();
  const startedAt = Date.now();
  const t0 = performance.now();
  const r = await generate({
    urls: spec.urls,
    rate: point.rate,
    durationMs: s.durationSeconds * 1000,
    connections: point.connections,
    arrivals: s.arrivals,
    seed: s.seed + spec.repetition,
    lateMs: s.lateMs,
    maxInFlight: s.maxInFlight,
    ...spec.sender,
    onTick: (sent, ms) => spec.onLive?.(`${spec.topology} ${spec.mode} ${point.rate} req/s: ${sent} sent, ${(ms / 1000).toFixed(0)} s`),
  });
  const elapsedS = (performance.now() - t0) / 1000;
  const machine1 = machineCpu();
  const windows = window ? await window.stop() : {};
  const id = runId(spec.topology, spec.mode, point, spec.repetition);
  const file = path.join('hdr', fileOf(id));
  mkdirSync(path.join(spec.outDir, 'hdr'), { recursive: true });
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
      entries: spec.urls.length,
    },
    paidHopsPerRequest: spec.paidHopsPerRequest,
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
    components: components(spec.processes, windows, r, elapsedS),
    machine: machineLoad(
      machine0,
      machine1,
      elapsedS,
      Object.values(windows).reduce((a, w) => a + (w.cpuSeconds ?? 0), r.generator.cpuSeconds),
    ),
    hdrLog: file,
  };
  for (const h of [r.latency, r.serviceTime, r.sendLag]) h.destroy();
  return { record, checkFailures: r.checkFailures };
}

export async function runCell(spec: CellSpec): Promise<{ network: NetworkRecord; runs: RunRecord[]; traceSplit: TraceSplitRecord | null }> {
  const s = spec.settings;
  // Beside the data folder, not in it: the builder wipes that at start.
  const probeDir = `${spec.dataDir}-probe`;
  // traced-off: every process traces to one file, emptied after each point (it grows by some 10 MB a second).
  const traceFile = spec.mode === 'traced-off' ? path.join(`${spec.dataDir}-trace`, 'spans.jsonl') : null;
  const started = Date.now();
  const net = await startLoadedNetwork({
    topology: spec.topology,
    mode: spec.mode,
    totalWork: s.totalWork,
    x402Chain: s.x402Chain,
    dataDir: spec.dataDir,
    verbose: s.verbose,
    env: { ...probeEnv(probeDir), ...(traceFile ? { CHANPAY_TRACE_FILE: traceFile } : {}) },
  });
  liveNetworks.add(net);
  const network: NetworkRecord = {
    topology: spec.topology,
    mode: spec.mode,
    repetition: spec.repetition,
    startupMs: Date.now() - started,
    processes: net.processes.map((p) => ({ name: p.name, kind: p.kind })),
    chain: null,
    errors: [],
  };
  const runs: RunRecord[] = [];
  const hops = net.paidHopsPerRequest;
  const sender = net.makeSender ? { makeSender: net.makeSender } : {};
  let served = 0;
  try {
    // Unmeasured: the JIT settles, connections open, channels are topped up at the first point's rate.
    const first = spec.points[0]!;
    const warm = await generate({
      urls: net.urls,
      rate: first.rate,
      durationMs: s.warmupSeconds * 1000,
      connections: first.connections,
      arrivals: 'constant',
      maxInFlight: s.maxInFlight,
      ...sender,
    });
    served += warm.ok;
    if (warm.failed > 0) network.errors.push(`warm-up: ${warm.failed} failed: ${JSON.stringify({ ...warm.statuses, ...warm.errors })}`);
    for (const h of [warm.latency, warm.serviceTime, warm.sendLag]) h.destroy();

    for (const point of spec.points) {
      spec.onPoint?.(point, null);
      if (traceFile) rmSync(traceFile, { force: true });
      await sleep(500);
      const { record, checkFailures } = await measurePoint({
        topology: spec.topology,
        mode: spec.mode,
        repetition: spec.repetition,
        point,
        settings: s,
        outDir: spec.outDir,
        urls: net.urls,
        processes: net.processes,
        probeDir,
        paidHopsPerRequest: hops,
        sender,
        onLive: spec.onLive,
      });
      served += record.ok;
      if (record.failed > 0)
        network.errors.push(
          `${record.id}: ${record.failed} failed: ${JSON.stringify({ ...record.statuses, ...record.errors })} ${checkFailures.slice(0, 2).join(' | ')}`,
        );
      runs.push(record);
      spec.onPoint?.(point, record);
    }
    network.chain = await net.chainCost(Math.round(served * hops));
  } finally {
    await net.stop();
    liveNetworks.delete(net);
    rmSync(probeDir, { recursive: true, force: true });
    if (traceFile) rmSync(path.dirname(traceFile), { recursive: true, force: true });
  }
  let traceSplit: TraceSplitRecord | null = null;
  if (s.traceSplitSeconds !== null && !PEER_MODES.includes(spec.mode))
    try {
      traceSplit = await tracedPass(spec, s.traceSplitSeconds);
    } catch (e) {
      network.errors.push(`traced pass: ${(e as Error).message.split('\n')[0]}`);
    }
  return { network, runs, traceSplit };
}

/**
 * The per-hop split of one mode: a fresh network of the same topology and mode with every process tracing to
 * one file, warmed up (spans of the warm-up thrown away), loaded at the lowest measured rate for `seconds`, then
 * stopped and its spans split (trace-split.ts). Apart from the measured points, so that tracing's own cost
 * (the traced-off mode measures it) is in none of their figures.
 */
async function tracedPass(spec: CellSpec, seconds: number): Promise<TraceSplitRecord> {
  const s = spec.settings;
  const dir = `${spec.dataDir}-traced`;
  const file = path.join(`${dir}-spans`, 'spans.jsonl');
  const point = [...spec.points].sort((a, b) => a.rate - b.rate)[0]!;
  spec.onLive?.(`${spec.topology} ${spec.mode}: traced pass`);
  const net = await startLoadedNetwork({
    topology: spec.topology,
    mode: spec.mode,
    totalWork: s.totalWork,
    x402Chain: s.x402Chain,
    dataDir: dir,
    verbose: s.verbose,
    env: { CHANPAY_TRACE_FILE: file },
  });
  liveNetworks.add(net);
  let ok = 0;
  try {
    const load = async (durationMs: number) => {
      const r = await generate({
        urls: net.urls,
        rate: point.rate,
        durationMs,
        connections: point.connections,
        arrivals: 'constant',
        maxInFlight: s.maxInFlight,
      });
      for (const h of [r.latency, r.serviceTime, r.sendLag]) h.destroy();
      return r.ok;
    };
    await load(Math.max(1, s.warmupSeconds) * 1000);
    await sleep(300);
    rmSync(file, { force: true });
    ok = await load(seconds * 1000);
    // Spans are written as they end; the last answers' spans end within moments of them.
    await sleep(300);
  } finally {
    await net.stop();
    liveNetworks.delete(net);
  }
  try {
    const spans = readSpanFile(file);
    const services = new Set(net.processes.filter((p) => p.kind === 'service').map((p) => p.name));
    return {
      topology: spec.topology,
      mode: spec.mode,
      repetition: spec.repetition,
      rate: point.rate,
      connections: point.connections,
      seconds,
      requests: ok,
      spans: spans.length,
      hops: splitByHop(hopSamples(spans, services)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(path.dirname(file), { recursive: true, force: true });
  }
}
