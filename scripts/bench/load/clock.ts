/**
 * The scheduler's sense of time: a monotonic clock in milliseconds and a one-shot timer. The real one is
 * `performance.now()` and `setTimeout`; a test drives the scheduler with a virtual one instead, so that what it
 * computes (due times, corrected latencies, late and dropped sends) can be checked exactly, never timed.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` after about `ms` milliseconds (0: as soon as the event loop comes round); returns a cancel. */
  after(ms: number, fn: () => void): () => void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
