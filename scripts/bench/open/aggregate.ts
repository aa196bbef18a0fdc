/**
 * From the runs to the figures the anchors report: per load point the median over repetitions (95 % CI) of
 * every percentile, the added latency = mode − baseline, CPU per 1,000 rps per component; the max sustainable
 * rate per mode; and, over a topology sweep, the added latency and CPU per paid hop against depth or fan-out.
 */
import { estimate, median } from './estimate';
import { unpaid, type OpenMode } from './modes';
import {
  PERCENTILE_KEYS,
  type ComponentKind,
  type Estimate,
  type MaxSustainable,
  type NetworkRecord,
  type PerHopRow,
  type Percentiles,
  type PointSummary,
  type RunRecord,
} from './types';

export interface SustainRule {
  p99BoundMs: number;
  /** Late sends at most, in percent (strictly below). */
  latePercent: number;
}

export const DEFAULT_LATE_PERCENT = 1;

const keyOf = (r: { topology: string; mode: OpenMode; rate: number; connections: number }) =>
  `${r.topology}|${r.mode}|${r.rate}|${r.connections}`;
const KINDS: readonly ComponentKind[] = ['service', 'payment-server', 'chain', 'load-generator'];

function groupRuns(runs: RunRecord[]): Map<string, RunRecord[]> {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const k = keyOf({ topology: r.topology, mode: r.mode, rate: r.load.rate, connections: r.load.connections });
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return groups;
}

const nonNull = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);

function pointOf(runs: RunRecord[], rule: SustainRule): PointSummary {
  const r0 = runs[0]!;
  const latencyMs = Object.fromEntries(PERCENTILE_KEYS.map((k) => [k, estimate(runs.map((r) => r.latencyMs[k]))])) as Record<
    keyof Percentiles,
    Estimate
  >;
  const perKind: Partial<Record<ComponentKind, Estimate>> = {};
  for (const kind of KINDS) {
    const sums = runs.map((r) => {
      const cs = r.components.filter((c) => c.kind === kind && c.millicoresPer1000Rps !== null);
      return cs.length ? cs.reduce((a, c) => a + c.millicoresPer1000Rps!, 0) : null;
    });
    const values = nonNull(sums);
    if (values.length) perKind[kind] = estimate(values);
  }
  const totals = runs.map((r) => r.components.reduce((a, c) => a + (c.millicoresPer1000Rps ?? 0), 0));
  const names = [...new Map(runs.flatMap((r) => r.components.map((c) => [c.name, c.kind] as const))).entries()];
  const late = estimate(runs.map((r) => r.latePercent));
  const dropped = runs.reduce((a, r) => a + r.dropped, 0);
  const failed = runs.reduce((a, r) => a + r.failed, 0);
  return {
    topology: r0.topology,
    mode: r0.mode,
    rate: r0.load.rate,
    connections: r0.load.connections,
    paidHopsPerRequest: r0.paidHopsPerRequest,
    repetitions: runs.length,
    achievedRate: estimate(runs.map((r) => r.achievedRate)),
    latePercent: late,
    dropped,
    failed,
    otherCores: (() => {
      const xs = nonNull(runs.map((r) => r.machine?.otherCores ?? null));
      return xs.length ? median(xs) : null;
    })(),
    latencyMs,
    addedLatencyMs: null,
    millicoresPer1000Rps: { ...perKind, total: estimate(totals) },
    components: names.map(([name, kind]) => {
      const of = (key: 'millicoresPer1000Rps' | 'maxRssMiB' | 'eventLoopDelayP99Ms') =>
        nonNull(runs.map((r) => r.components.find((c) => c.name === name)?.[key] ?? null));
      const cpu = of('millicoresPer1000Rps');
      const rss = of('maxRssMiB');
      const lag = of('eventLoopDelayP99Ms');
      return {
        name,
        kind,
        millicoresPer1000Rps: cpu.length ? estimate(cpu) : null,
        maxRssMiB: rss.length ? Math.max(...rss) : null,
        eventLoopDelayP99Ms: lag.length ? median(lag) : null,
      };
    }),
    sustainable: latencyMs.p99.median <= rule.p99BoundMs && late.median < rule.latePercent && dropped === 0 && failed === 0,
  };
}

/** The differences mode − baseline, pairing repetitions in order (each pair ran on fresh networks alike). */
function added(mode: RunRecord[], base: RunRecord[]): Record<keyof Percentiles, Estimate> {
  const n = Math.min(mode.length, base.length);
  return Object.fromEntries(
    PERCENTILE_KEYS.map((k) => [k, estimate(Array.from({ length: n }, (_, i) => mode[i]!.latencyMs[k] - base[i]!.latencyMs[k]))]),
  ) as Record<keyof Percentiles, Estimate>;
}

export function summarizePoints(runs: RunRecord[], rule: SustainRule): PointSummary[] {
  const groups = groupRuns(runs);
  const out: PointSummary[] = [];
  for (const [key, rs] of groups) {
    rs.sort((a, b) => a.repetition - b.repetition);
    const p = pointOf(rs, rule);
    const [topology, mode, rate, connections] = key.split('|');
    if (mode !== 'off') {
      const base = groups.get(`${topology}|off|${rate}|${connections}`);
      if (base)
        p.addedLatencyMs = added(
          rs,
          [...base].sort((a, b) => a.repetition - b.repetition),
        );
    }
    out.push(p);
  }
  return out;
}

export function maxSustainable(points: PointSummary[]): MaxSustainable[] {
  const groups = new Map<string, PointSummary[]>();
  for (const p of points) {
    const k = `${p.topology}|${p.mode}|${p.connections}`;
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  return [...groups.values()].map((ps) => {
    const ok = ps.filter((p) => p.sustainable).map((p) => p.rate);
    return {
      topology: ps[0]!.topology,
      mode: ps[0]!.mode,
      connections: ps[0]!.connections,
      rate: ok.length ? Math.max(...ok) : null,
      highestTried: Math.max(...ps.map((p) => p.rate)),
    };
  });
}

/** `chain:3` → chain of depth 3; `fanout:4,1` → fan-out 4; anything else: other. */
export function familyOf(topology: string): { family: PerHopRow['family']; size: number } {
  const chain = /^chain:(\d+)/.exec(topology);
  if (chain) return { family: 'chain', size: Number(chain[1]) };
  const fan = /^fanout:(\d+)/.exec(topology);
  if (fan) return { family: 'fanout', size: Number(fan[1]) };
  return { family: 'other', size: 0 };
}

export function perHop(points: PointSummary[], runs: RunRecord[]): PerHopRow[] {
  const cpuPerRequestMs = (rs: RunRecord[]) =>
    median(rs.map((r) => r.components.reduce((a, c) => a + (c.cpuSeconds ?? 0), 0) * (1000 / Math.max(1, r.ok))));
  const groups = groupRuns(runs);
  return points
    .filter((p) => !unpaid(p.mode))
    .map((p) => {
      const { family, size } = familyOf(p.topology);
      const hops = p.paidHopsPerRequest;
      const base = groups.get(keyOf({ ...p, mode: 'off' }));
      const own = groups.get(keyOf(p))!;
      const a50 = p.addedLatencyMs?.p50 ?? null;
      const a99 = p.addedLatencyMs?.p99 ?? null;
      return {
        topology: p.topology,
        family,
        size,
        mode: p.mode,
        rate: p.rate,
        paidHopsPerRequest: hops,
        addedP50Ms: a50,
        addedP99Ms: a99,
        addedP50PerHopMs: a50 && hops > 0 ? Math.round((a50.median / hops) * 1000) / 1000 : null,
        addedP99PerHopMs: a99 && hops > 0 ? Math.round((a99.median / hops) * 1000) / 1000 : null,
        cpuMsPerHop: base && hops > 0 ? Math.round(((cpuPerRequestMs(own) - cpuPerRequestMs(base)) / hops) * 1000) / 1000 : null,
      };
    });
}

/** Gas per paid call, median over a mode's networks. */
export function gasPerPaidCall(networks: NetworkRecord[], topology: string, mode: OpenMode): number | null {
  const xs = networks.filter((n) => n.topology === topology && n.mode === mode && n.chain).map((n) => n.chain!.gasPerPaidCall);
  return xs.length ? median(xs) : null;
}
