/** The thesis's published figures, and what a run's figures mean against the baseline and the goals. */
import { round } from './stats';
import type { BenchMode, BenchResult, ComparisonRow, Goal, ShapeResult } from './types';

/** §9.2 and §9.3 of the thesis evaluation (/work/shared/reference/original-prototype.md). */
export const THESIS = {
  shapes: [
    { concurrency: 1, requests: 100 },
    { concurrency: 5, requests: 500 },
    { concurrency: 10, requests: 1000 },
    { concurrency: 20, requests: 2000 },
  ],
  percentilesMs: {
    p50: [43, 123, 223, 442],
    p80: [46, 142, 269, 500],
    p90: [52, 156, 307, 539],
    p95: [61, 173, 346, 586],
    p98: [75, 200, 384, 634],
    p99: [82, 236, 508, 665],
    p100: [82, 317, 757, 836],
  } as Record<string, number[]>,
  requestsPerSecond: [22.48, 39.35, 41.96, 44.59],
  /** Median pure-crypto time inside the payment server per signature (validate / create), c = 1, 5, 10, 20. */
  signMs: { validateP50: [3.1, 3.3, 3.2, 3.2], createP50: [1.1, 1.3, 1.3, 1.3] },
  asResult(): BenchResult['thesis'] {
    return {
      shapes: this.shapes.map((s) => `c=${s.concurrency} n=${s.requests}`),
      percentilesMs: this.percentilesMs,
      requestsPerSecond: this.requestsPerSecond,
      signMs: this.signMs,
    };
  },
};

export const GOAL_THROUGHPUT_RATIO = 0.75;
export const GOAL_ADDED_MS_PER_HOP = 1;

function row(shape: ShapeResult, base: ShapeResult, mode: ComparisonRow['mode'], hops: number): ComparisonRow {
  const added = shape.latency.percentilesMs.p50 - base.latency.percentilesMs.p50;
  return {
    shape: shape.shape.name,
    mode,
    requestsPerSecond: shape.requestsPerSecond,
    baselineRequestsPerSecond: base.requestsPerSecond,
    throughputRatio: round(base.requestsPerSecond > 0 ? shape.requestsPerSecond / base.requestsPerSecond : Number.NaN, 4),
    addedP50Ms: round(added),
    addedP50PerPaidHopMs: round(added / hops),
    addedP99Ms: round(shape.latency.percentilesMs.p99 - base.latency.percentilesMs.p99),
  };
}

/** Every paid shape against the unpaid one of the same name (the naive runs: of the same concurrency). */
export function compare(result: BenchResult): ComparisonRow[] {
  const off = result.modes.find((m) => m.mode === 'off');
  if (!off) return [];
  const rows: ComparisonRow[] = [];
  for (const m of result.modes) {
    if (m.mode === 'off') continue;
    for (const s of m.shapes) {
      const base =
        s.shape.kind === 'naive'
          ? off.shapes.find((b) => b.shape.kind === 'thesis' && b.shape.concurrency === s.shape.concurrency)
          : off.shapes.find((b) => b.shape.name === s.shape.name);
      if (base && base.ok > 0 && s.ok > 0) rows.push(row(s, base, m.mode, m.paidHopsPerAction || 1));
    }
  }
  return rows;
}

export function goals(result: BenchResult): Goal[] {
  const find = (mode: BenchMode, pick: (r: ComparisonRow) => boolean) => result.comparison.find((r) => r.mode === mode && pick(r)) ?? null;
  const thesisShape = (c: number) => (r: ComparisonRow) => r.shape.startsWith(`c=${c} `);
  // Added latency per hop: from the long one-at-a-time run when there is one (a median of 100 is too coarse).
  const latency = (mode: BenchMode) => find(mode, (r) => r.shape.startsWith('latency ')) ?? find(mode, thesisShape(1));
  const ratioGoal = (name: string, r: ComparisonRow | null): Goal => ({
    name,
    value: r ? r.throughputRatio : null,
    target: `≥ ${GOAL_THROUGHPUT_RATIO}`,
    met: r ? r.throughputRatio >= GOAL_THROUGHPUT_RATIO : null,
  });
  // The same goals for every mode that signs and verifies in the services (with or without prepaid tickets).
  const localGoals = (mode: BenchMode, title: string): Goal[] => {
    const c1 = latency(mode);
    return [
      ratioGoal(`${title}: throughput at c=20 / unpaid throughput`, find(mode, thesisShape(20))),
      ratioGoal(
        `${title}: throughput in the saturation run / unpaid throughput`,
        find(mode, (r) => r.shape.startsWith('saturation')),
      ),
      {
        name: `${title}: added median latency per paid hop at c=1 (ms, ${c1?.shape ?? 'no run'})`,
        value: c1 ? c1.addedP50PerPaidHopMs : null,
        target: `< ${GOAL_ADDED_MS_PER_HOP} ms`,
        met: c1 ? c1.addedP50PerPaidHopMs < GOAL_ADDED_MS_PER_HOP : null,
      },
    ];
  };
  const rc20 = find('remote', thesisShape(20));
  const rc1 = latency('remote');
  return [
    ...localGoals('local', 'local mode'),
    ...localGoals('prepaid', 'prepaid mode'),
    {
      name: 'remote mode: throughput at c=20 / unpaid throughput',
      value: rc20 ? rc20.throughputRatio : null,
      target: 'measured (no target)',
      met: null,
    },
    {
      name: `remote mode: added median latency per paid hop at c=1 (ms, ${rc1?.shape ?? 'no run'})`,
      value: rc1 ? rc1.addedP50PerPaidHopMs : null,
      target: 'measured (no target)',
      met: null,
    },
  ];
}
