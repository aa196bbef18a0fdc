/** Runs jobs one at a time per key, in arrival order (failed jobs release the key too). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(job);
    const settled = run.catch(() => undefined);
    this.tails.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    }
  }

  /** Runs `job` holding every key, taken one by one in sorted order (so that two callers never wait on each other). */
  runMany<T>(keys: readonly string[], job: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const from = (i: number): Promise<T> => (i === sorted.length ? job() : this.run(sorted[i]!, () => from(i + 1)));
    return from(0);
  }
}
