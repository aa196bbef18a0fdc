import type { ChannelOrigins } from '@chanpay/protocol';
import { inTransaction, type Pool } from '../store/pg-db';
import { windowStart } from '../store/channel-store';
import { boundedOrigin, windowsOf, type OriginRecords, type OriginRole } from './origin-records';

/**
 * The PostgreSQL implementation (table `origin_windows`, migration 3), for several payment servers on one
 * database: a channel's window is counted and written under a transaction-scoped advisory lock on the
 * channel and role, so that replicas recording at once neither lose a call nor pass the bound on origins.
 */
export class PgOriginRecords implements OriginRecords {
  constructor(
    private readonly pool: Pool,
    readonly windowSeconds: number,
  ) {}

  async record(role: OriginRole, channelId: string, origin: string, calls: number, amount: bigint, now: number): Promise<void> {
    const start = windowStart(now, this.windowSeconds);
    // A window's known origin (the usual case): one statement, no transaction, no count.
    const added = await this.pool.query(
      `UPDATE origin_windows SET calls = calls + $5, amount = (amount::numeric + $6::numeric)::text
       WHERE channel_id = $1 AND role = $2 AND start = $3 AND origin = $4`,
      [channelId, role, start, origin, calls, amount.toString()],
    );
    if ((added.rowCount ?? 0) > 0) return;
    await inTransaction(this.pool, async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtextextended('origin_windows:' || $1 || ':' || $2, 0))", [channelId, role]);
      const known = await c.query('SELECT 1 FROM origin_windows WHERE channel_id = $1 AND role = $2 AND start = $3 AND origin = $4', [
        channelId,
        role,
        start,
        origin,
      ]);
      const count = await c.query<{ n: number }>(
        'SELECT COUNT(*)::int AS n FROM origin_windows WHERE channel_id = $1 AND role = $2 AND start = $3',
        [channelId, role, start],
      );
      const name = boundedOrigin(origin, (known.rowCount ?? 0) > 0, count.rows[0]!.n);
      // Amounts are decimal text (wei exceed BIGINT): added as NUMERIC.
      await c.query(
        `INSERT INTO origin_windows (channel_id, role, start, origin, calls, amount) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (channel_id, role, start, origin) DO UPDATE
         SET calls = origin_windows.calls + excluded.calls, amount = (origin_windows.amount::numeric + excluded.amount::numeric)::text`,
        [channelId, role, start, name, calls, amount.toString()],
      );
    });
  }

  async windows(role: OriginRole, channelId: string, limit: number): Promise<ChannelOrigins['windows']> {
    if (limit <= 0) return [];
    const rows = await this.pool.query<{ start: number; origin: string; calls: number; amount: string }>(
      `SELECT start, origin, calls, amount FROM origin_windows
       WHERE channel_id = $1 AND role = $2
         AND start >= COALESCE((SELECT MIN(start) FROM (SELECT DISTINCT start FROM origin_windows
                                 WHERE channel_id = $1 AND role = $2 ORDER BY start DESC LIMIT $3) newest), 0)
       ORDER BY start DESC, origin`,
      [channelId, role, limit],
    );
    return windowsOf(rows.rows);
  }
}
