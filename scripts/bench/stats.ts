/** Latency statistics as the thesis reported them (Apache Bench's nearest-rank percentiles), plus box-plot data. */

/** The percentiles of the thesis's tables. */
export const THESIS_PERCENTILES = [50, 80, 90, 95, 98, 99, 100] as const;
export type Percentile = (typeof THESIS_PERCENTILES)[number];

export interface LatencySummary {
  count: number;
  meanMs: number;
  minMs: number;
  /** Nearest-rank percentiles: p50 … p100 (p100 is the maximum). */
  percentilesMs: Record<`p${Percentile}`, number>;
}

export interface BoxStats {
  q1: number;
  median: number;
  q3: number;
  /** Tukey whiskers: the most extreme samples within 1.5 × IQR of the box. */
  whiskerLow: number;
  whiskerHigh: number;
  /** Samples beyond the whiskers (at most `maxOutliers`, evenly thinned, always keeping the extremes). */
  outliers: number[];
  outlierCount: number;
}

/** Nearest rank: the smallest sample with at least p % of the samples at or below it. `sorted` ascending. */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0]!;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function sortedCopy(samples: ArrayLike<number>): Float64Array {
  return Float64Array.from(samples as ArrayLike<number>).sort();
}

export function summarize(sorted: Float64Array): LatencySummary {
  let sum = 0;
  for (const v of sorted) sum += v;
  const percentilesMs = Object.fromEntries(
    THESIS_PERCENTILES.map((p) => [`p${p}`, nearestRank(sorted, p)]),
  ) as LatencySummary['percentilesMs'];
  return {
    count: sorted.length,
    meanMs: sorted.length ? sum / sorted.length : Number.NaN,
    minMs: sorted.length ? sorted[0]! : Number.NaN,
    percentilesMs,
  };
}

export function boxStats(sorted: Float64Array, maxOutliers = 200): BoxStats {
  const q1 = nearestRank(sorted, 25);
  const median = nearestRank(sorted, 50);
  const q3 = nearestRank(sorted, 75);
  const iqr = q3 - q1;
  const lowFence = q1 - 1.5 * iqr;
  const highFence = q3 + 1.5 * iqr;
  let whiskerLow = q1;
  let whiskerHigh = q3;
  const outliers: number[] = [];
  for (const v of sorted) {
    if (v < lowFence || v > highFence) outliers.push(v);
    else {
      if (v < whiskerLow) whiskerLow = v;
      if (v > whiskerHigh) whiskerHigh = v;
    }
  }
  return { q1, median, q3, whiskerLow, whiskerHigh, outliers: thin(outliers, maxOutliers), outlierCount: outliers.length };
}

function thin(values: number[], max: number): number[] {
  if (values.length <= max) return values;
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(values[Math.round((i * (values.length - 1)) / (max - 1))]!);
  return out;
}

export const round = (x: number, digits = 3): number => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);
