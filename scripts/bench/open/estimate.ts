/**
 * The median of a few repetitions and a 95 % confidence interval for it: the bootstrap percentile interval
 * (2,000 resamples from a fixed seed, so a report is reproducible from its runs). With one repetition the
 * interval is the value itself.
 */
import { seededUniform } from '../load/arrivals';
import type { Estimate } from './types';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function estimate(xs: readonly number[], resamples = 2000): Estimate {
  const m = median(xs);
  if (xs.length <= 1) return { median: r3(m), low: r3(m), high: r3(m), n: xs.length };
  const u = seededUniform(12345);
  const medians = Float64Array.from({ length: resamples }, () =>
    median(Array.from({ length: xs.length }, () => xs[Math.floor(u() * xs.length)]!)),
  );
  medians.sort();
  return {
    median: r3(m),
    low: r3(medians[Math.floor(0.025 * resamples)]!),
    high: r3(medians[Math.ceil(0.975 * resamples) - 1]!),
    n: xs.length,
  };
}
