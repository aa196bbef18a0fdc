/** Bounded polling: every wait in the Swarm lab goes through here, so none can hang. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
}

/**
 * Calls `probe` until it returns a value other than undefined, at most `timeoutMs`; a thrown error counts as
 * "not yet" and its message is kept. Rejects with `what`, the time waited and the last reason.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: WaitOptions,
  describe?: () => string,
): Promise<T> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() >= deadline) {
      const detail = describe?.() ?? last;
      throw new Error(`${what}: not reached after ${Math.round((Date.now() - started) / 1000)} s${detail ? ` (${detail})` : ''}`);
    }
    await sleep(Math.min(opts.intervalMs ?? 500, Math.max(0, deadline - Date.now())));
  }
}

/** Rejects after `ms` with `what` unless the promise settles first. */
export async function withTimeout<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${Math.round(ms / 1000)} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
