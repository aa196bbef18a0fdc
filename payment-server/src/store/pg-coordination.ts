import pg from 'pg';
import type { Logger } from '../logger';
import type { Coordination } from './coordination';
import { KeyedMutex } from './keyed-mutex';
import { clientConfig, inTransaction, lockInTransaction, type Pool } from './pg-db';

const LEADER_LOCK = 'chanpay:leader';

/**
 * Coordination of the payment server processes on one PostgreSQL database. Locks are transaction-scoped
 * advisory locks. The leader is the process whose own connection holds the session advisory lock
 * `chanpay:leader`: when that process dies, PostgreSQL ends its session and the lock is free; the others try
 * to take it every `retryMs`, so one of them leads again within about that time. A leader checks its
 * connection at each ask, and stops leading the moment the connection fails.
 *
 * A lock is held on a connection of its own small pool (`lockPool`), so that sections waiting for locks never
 * take the connections that requests need; claims (the only sections that nest another, a send) run one at a
 * time per process, so the pool cannot be filled by sections that each wait for a second connection.
 */
export class PgCoordination implements Coordination {
  private conn: pg.Client | undefined;
  private leading = false;
  private lastTry = 0;
  private asking: Promise<boolean> | undefined;
  private closed = false;
  private readonly sections = new KeyedMutex();

  constructor(
    private readonly lockPool: Pool,
    private readonly url: string,
    private readonly log: Logger,
    private readonly retryMs = 1000,
  ) {}

  exclusive<T>(keys: readonly string[], job: () => Promise<T>): Promise<T> {
    const section = keys.length > 0 && keys.every((k) => k.startsWith('claim:')) ? 'claims' : [...keys].sort().join(' ');
    return this.sections.run(section, () =>
      inTransaction(this.lockPool, async (c) => {
        // Always in the same order, so that two processes locking overlapping sets cannot deadlock.
        for (const key of [...new Set(keys)].sort()) await lockInTransaction(c, key);
        return job();
      }),
    );
  }

  lead(): Promise<boolean> {
    this.asking ??= this.ask().finally(() => (this.asking = undefined));
    return this.asking;
  }

  private async ask(): Promise<boolean> {
    if (this.closed) return false;
    try {
      if (this.leading) {
        await this.conn!.query('SELECT 1');
        return true;
      }
      if (Date.now() - this.lastTry < this.retryMs) return false;
      this.lastTry = Date.now();
      const conn = await this.connection();
      const { rows } = await conn.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [LEADER_LOCK]);
      this.leading = rows[0]?.ok === true;
      if (this.leading) this.log.info('leading: this process now runs the watcher, the claimer and the webhook dispatcher');
      return this.leading;
    } catch (e) {
      this.drop(e as Error);
      return false;
    }
  }

  private async connection(): Promise<pg.Client> {
    if (this.conn) return this.conn;
    const conn = new pg.Client(clientConfig(this.url));
    conn.on('error', (e) => this.drop(e));
    await conn.connect();
    this.conn = conn;
    return conn;
  }

  private drop(e: Error): void {
    if (this.leading) this.log.warn({ err: e.message }, 'lost the lead (the connection to PostgreSQL broke)');
    this.leading = false;
    const conn = this.conn;
    this.conn = undefined;
    void conn?.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.leading = false;
    await this.asking?.catch(() => undefined);
    await this.conn?.end().catch(() => undefined);
    this.conn = undefined;
  }
}
