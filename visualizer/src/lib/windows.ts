/** Calls and amounts per time window, placed on a timeline so that quiet windows show as gaps. */

export interface WindowStat {
  start: number;
  calls: number;
  amount: bigint;
}

/**
 * `count` consecutive windows of `windowSeconds`, oldest first, the last one containing `now`; each filled from
 * the server's windows with the same start (windows it did not send had no calls).
 */
export function windowTimeline(windows: readonly WindowStat[], windowSeconds: number, now: number, count: number): WindowStat[] {
  const size = Math.max(1, Math.floor(windowSeconds));
  const newestKnown = Math.max(0, ...windows.map((w) => Math.floor(w.start / size) * size));
  // The chain (and so the server) may be ahead of the wall clock after a time jump: never hide its newest window.
  const last = Math.max(Math.floor(now / size) * size, newestKnown);
  const byStart = new Map<number, WindowStat>();
  for (const w of windows) {
    const start = Math.floor(w.start / size) * size;
    const prev = byStart.get(start);
    byStart.set(start, { start, calls: (prev?.calls ?? 0) + w.calls, amount: (prev?.amount ?? 0n) + w.amount });
  }
  return Array.from({ length: count }, (_, i) => {
    const start = last - (count - 1 - i) * size;
    return byStart.get(start) ?? { start, calls: 0, amount: 0n };
  });
}
