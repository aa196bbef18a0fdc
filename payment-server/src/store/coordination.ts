/**
 * What several processes on one database agree on: locks that hold across all of them, and which one is the
 * leader (the one that runs the watcher, the claimer and the webhook dispatcher).
 */
export interface Coordination {
  /** Runs `job` holding every lock named in `keys` (in every process on the database). */
  exclusive<T>(keys: readonly string[], job: () => Promise<T>): Promise<T>;
  /** Whether this process leads now; asking may (re)try to take the lead. */
  lead(): Promise<boolean>;
  close(): Promise<void>;
}

/** One process owns the database (SQLite): it always leads, and its own queues are the only locks needed. */
export class SoleProcess implements Coordination {
  async exclusive<T>(_keys: readonly string[], job: () => Promise<T>): Promise<T> {
    return job();
  }

  async lead(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}
