import { fromRow, windowStart, type ChannelRecord, type ChannelRow, type ChannelTx } from './channel-store';
import { inTransaction, type Pool } from './pg-db';
import { idempotencyRecord } from './pg-idempotency';

type Job = (rec: ChannelRecord, tx: ChannelTx) => Promise<unknown>;

interface Entry {
  id: string;
  job: Job;
  done: (result: { ok: true; value: unknown; draft: ChannelRecord } | { ok: false; error: unknown }) => void;
}

/** What the jobs of one batch write, applied with one statement per table. */
class Writes {
  readonly accepted: { id: string; amount: string; signature: string; at: number; calls: number; raises: boolean }[] = [];
  readonly windows: { id: string; start: number; calls: number; amount: string }[] = [];
  readonly idempotency: { id: string; key: string; amount: string; price: string; at: number }[] = [];
  readonly signed: { id: string; amount: string; signature: string; at: number }[] = [];

  /** Appends another job's writes (only once that job succeeded). */
  take(other: Writes): void {
    this.accepted.push(...other.accepted);
    this.windows.push(...other.windows);
    this.idempotency.push(...other.idempotency);
    this.signed.push(...other.signed);
  }
}

/**
 * Group commit of the channel-locked sections (voucher acceptance, voucher signing) of one process: the sections
 * that arrive while a batch commits run together in the next one, a transaction that locks all their rows
 * (`FOR UPDATE`, in id order), runs each job on its own draft and writes what they recorded with one statement
 * per table. Under load that is one commit (one WAL flush) for many vouchers instead of one each; alone, a
 * voucher goes at once. The caller queues per channel first, so a batch holds each channel once.
 */
export class VoucherBatcher {
  private queue: Entry[] = [];
  private running = false;

  constructor(
    private readonly pool: Pool,
    private readonly windowSeconds: number,
    private readonly maxBatch = 64,
  ) {}

  run(id: string, job: Job): Promise<{ value: unknown; draft: ChannelRecord }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id, job, done: (r) => (r.ok ? resolve({ value: r.value, draft: r.draft }) : reject(r.error)) });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) await this.flush(this.queue.splice(0, this.maxBatch));
    } finally {
      this.running = false;
    }
  }

  private async flush(batch: Entry[]): Promise<void> {
    const outcomes: ({ ok: true; value: unknown; draft: ChannelRecord } | { ok: false; error: unknown })[] = [];
    try {
      await inTransaction(this.pool, async (c) => {
        const ids = batch.map((e) => e.id);
        const rows = await c.query<ChannelRow>('SELECT * FROM channels WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [ids]);
        const byId = new Map(rows.rows.map((r) => [r.id, r]));
        const all = new Writes();
        for (const entry of batch) {
          const row = byId.get(entry.id);
          if (!row) {
            outcomes.push({ ok: false, error: new Error(`no channel ${entry.id} in the store`) });
            continue;
          }
          const draft = fromRow(row);
          const mine = new Writes();
          try {
            const value = await entry.job(draft, this.txOf(c, draft, mine));
            all.take(mine);
            outcomes.push({ ok: true, value, draft });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
        await this.write(c, all);
      });
    } catch (error) {
      // Nothing of the batch committed: every section fails, also those whose job succeeded.
      for (const entry of batch) entry.done({ ok: false, error });
      return;
    }
    batch.forEach((entry, i) => entry.done(outcomes[i]!));
  }

  private txOf(c: { query: Pool['query'] }, rec: ChannelRecord, writes: Writes): ChannelTx {
    return {
      idempotent: async (key) => {
        const mine = writes.idempotency.find((r) => r.key === key);
        if (mine) return { amount: BigInt(mine.amount), price: BigInt(mine.price) };
        return idempotencyRecord(c, rec.id, key);
      },
      recordAccepted: async (amount, signature, calls, now, idempotency) => {
        const raises = amount > rec.acceptedAmount;
        const increment = raises ? amount - rec.acceptedAmount : 0n;
        writes.accepted.push({ id: rec.id, amount: amount.toString(), signature, at: now, calls, raises });
        writes.windows.push({ id: rec.id, start: windowStart(now, this.windowSeconds), calls, amount: increment.toString() });
        if (idempotency) {
          writes.idempotency.push({
            id: rec.id,
            key: idempotency.key,
            amount: amount.toString(),
            price: idempotency.price.toString(),
            at: now,
          });
        }
        if (raises) Object.assign(rec, { acceptedAmount: amount, acceptedSignature: signature, acceptedAt: now });
        rec.calls += calls;
      },
      recordSigned: async (amount, signature, now) => {
        writes.signed.push({ id: rec.id, amount: amount.toString(), signature, at: now });
        Object.assign(rec, { signedAmount: amount, signedSignature: signature, signedAt: now });
      },
    };
  }

  private async write(c: { query: Pool['query'] }, w: Writes): Promise<void> {
    const col = <R, K extends keyof R>(rows: R[], k: K) => rows.map((r) => r[k]);
    if (w.accepted.length > 0) {
      const a = w.accepted;
      await c.query(
        `UPDATE channels c SET
           accepted_amount = CASE WHEN u.raises THEN u.amount ELSE c.accepted_amount END,
           accepted_signature = CASE WHEN u.raises THEN u.signature ELSE c.accepted_signature END,
           accepted_at = CASE WHEN u.raises THEN u.at ELSE c.accepted_at END,
           calls = c.calls + u.calls
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::boolean[]) AS u (id, amount, signature, at, calls, raises)
         WHERE c.id = u.id`,
        [col(a, 'id'), col(a, 'amount'), col(a, 'signature'), col(a, 'at'), col(a, 'calls'), col(a, 'raises')],
      );
    }
    if (w.windows.length > 0) {
      const x = w.windows;
      await c.query(
        `INSERT INTO windows (channel_id, start, calls, amount)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[])
         ON CONFLICT (channel_id, start) DO UPDATE SET calls = windows.calls + excluded.calls,
           amount = (windows.amount::numeric + excluded.amount::numeric)::text`,
        [col(x, 'id'), col(x, 'start'), col(x, 'calls'), col(x, 'amount')],
      );
    }
    if (w.idempotency.length > 0) {
      const x = w.idempotency;
      await c.query(
        `INSERT INTO idempotency (channel_id, key, amount, price, created_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])`,
        [col(x, 'id'), col(x, 'key'), col(x, 'amount'), col(x, 'price'), col(x, 'at')],
      );
    }
    if (w.signed.length > 0) {
      const x = w.signed;
      await c.query(
        `UPDATE channels c SET signed_amount = u.amount, signed_signature = u.signature, signed_at = u.at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u (id, amount, signature, at) WHERE c.id = u.id`,
        [col(x, 'id'), col(x, 'amount'), col(x, 'signature'), col(x, 'at')],
      );
    }
  }
}
