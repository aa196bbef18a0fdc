/**
 * When each request of an open-loop run is due: constant spacing (1 / rate) or a Poisson process (exponential
 * gaps of mean 1 / rate, as wrk2's and DeathStarBench's `-D exp`), from a seeded generator so that a run's
 * schedule is repeatable. Offsets are in milliseconds from the start of the run.
 */

export type ArrivalKind = 'constant' | 'poisson';

export const ARRIVAL_KINDS: readonly ArrivalKind[] = ['constant', 'poisson'];

export interface ArrivalOptions {
  kind: ArrivalKind;
  /** Requests per second, > 0. */
  rate: number;
  /** Seed of the Poisson gaps (ignored for constant arrivals); default 1. */
  seed?: number;
}

/** A 32-bit seeded generator of uniform numbers in [0, 1) (mulberry32: small, fast and good enough for gaps). */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The due time (ms from the start) of request 0, 1, 2, … without end; the caller stops at its duration. */
export function* arrivals(opts: ArrivalOptions): Generator<number, never, undefined> {
  if (!(opts.rate > 0) || !Number.isFinite(opts.rate)) throw new Error(`the rate must be a positive number, not ${opts.rate}`);
  const meanGapMs = 1000 / opts.rate;
  if (opts.kind === 'constant') {
    // Multiplying rather than summing keeps the schedule free of accumulated rounding error.
    for (let i = 0; ; i++) yield i * meanGapMs;
  }
  const uniform = seededUniform(opts.seed ?? 1);
  let t = 0;
  for (;;) {
    yield t;
    // 1 - u is in (0, 1], so the logarithm is finite.
    t += -Math.log(1 - uniform()) * meanGapMs;
  }
}
