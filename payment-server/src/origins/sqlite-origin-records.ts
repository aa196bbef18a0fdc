import type { ChannelOrigins } from '@chanpay/protocol';
import type { Db } from '../store/db';
import { windowStart } from '../store/channel-store';
import { boundedOrigin, windowsOf, type OriginRecords, type OriginRole } from './origin-records';

/** The SQLite implementation (table `origin_windows`, migration 3). */
export class SqliteOriginRecords implements OriginRecords {
  private readonly stmts;

  constructor(
    db: Db,
    readonly windowSeconds: number,
  ) {
    this.stmts = {
      count: db.prepare<[string, string, number], { n: number }>(
        'SELECT COUNT(*) AS n FROM origin_windows WHERE channel_id = ? AND role = ? AND start = ?',
      ),
      get: db.prepare<[string, string, number, string], { calls: number; amount: string }>(
        'SELECT calls, amount FROM origin_windows WHERE channel_id = ? AND role = ? AND start = ? AND origin = ?',
      ),
      put: db.prepare(`INSERT INTO origin_windows (channel_id, role, start, origin, calls, amount) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (channel_id, role, start, origin) DO UPDATE SET calls = excluded.calls, amount = excluded.amount`),
      starts: db.prepare<[string, string, number], { start: number }>(
        'SELECT DISTINCT start FROM origin_windows WHERE channel_id = ? AND role = ? ORDER BY start DESC LIMIT ?',
      ),
      rows: db.prepare<[string, string, number], { start: number; origin: string; calls: number; amount: string }>(
        'SELECT start, origin, calls, amount FROM origin_windows WHERE channel_id = ? AND role = ? AND start >= ? ORDER BY start DESC, origin',
      ),
    };
    this.recordInTransaction = db.transaction(this.recordNow.bind(this));
  }

  private readonly recordInTransaction: (...args: Parameters<SqliteOriginRecords['recordNow']>) => void;

  async record(role: OriginRole, channelId: string, origin: string, calls: number, amount: bigint, now: number): Promise<void> {
    this.recordInTransaction(role, channelId, origin, calls, amount, now);
  }

  /** Read, bound and write (in one transaction); the amount is a decimal string: wei exceed SQLite's integers. */
  private recordNow(role: OriginRole, channelId: string, origin: string, calls: number, amount: bigint, now: number): void {
    const start = windowStart(now, this.windowSeconds);
    const s = this.stmts;
    // A window's known origin (the usual case) needs no count of the window's origins.
    let name = origin;
    let was = s.get.get(channelId, role, start, origin);
    if (!was) {
      name = boundedOrigin(origin, false, s.count.get(channelId, role, start)!.n);
      if (name !== origin) was = s.get.get(channelId, role, start, name);
    }
    s.put.run(channelId, role, start, name, (was?.calls ?? 0) + calls, ((was ? BigInt(was.amount) : 0n) + amount).toString());
  }

  async windows(role: OriginRole, channelId: string, limit: number): Promise<ChannelOrigins['windows']> {
    if (limit <= 0) return [];
    const starts = this.stmts.starts.all(channelId, role, limit);
    const oldest = starts.at(-1)?.start;
    if (oldest === undefined) return [];
    return windowsOf(this.stmts.rows.all(channelId, role, oldest));
  }
}
