import type { ChannelTerms } from '@chanpay/protocol';
import {
  fromRow,
  mergeChain,
  windowStart,
  chainFields,
  type ChainPatch,
  type ChainUpdate,
  type ChannelRecord,
  type ChannelRow,
  type ChannelStore,
  type ChannelTx,
  type Window,
} from './channel-store';
import { KeyedMutex } from './keyed-mutex';
import { inTransaction, type Client, type Pool } from './pg-db';
import { VoucherBatcher } from './pg-voucher-batch';
import { idempotencyRecord } from './pg-idempotency';

/**
 * Channels in PostgreSQL, shared by every payment server process of the team. The database is the truth: each
 * read goes to it (and refreshes the one record object per channel that callers hold), and the writers of a
 * channel take its row lock (`SELECT … FOR UPDATE`), after queueing in this process so that one process holds
 * at most one connection per busy channel.
 */
export class PgChannelStore implements ChannelStore {
  private readonly records = new Map<string, ChannelRecord>();
  private readonly mutex = new KeyedMutex();
  private readonly batcher: VoucherBatcher | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly windowSeconds: number,
    /** Group-commit the locked sections of concurrent channels (`VoucherBatcher`) instead of one transaction each. */
    batch = false,
  ) {
    this.batcher = batch ? new VoucherBatcher(pool, windowSeconds) : undefined;
  }

  /** The record object of this row, brought up to date. */
  private adopt(row: ChannelRow): ChannelRecord {
    const fresh = fromRow(row);
    const held = this.records.get(row.id);
    if (!held) {
      this.records.set(row.id, fresh);
      return fresh;
    }
    return Object.assign(held, fresh);
  }

  async get(id: string): Promise<ChannelRecord | undefined> {
    const row = (await this.pool.query<ChannelRow>('SELECT * FROM channels WHERE id = $1', [id])).rows[0];
    return row ? this.adopt(row) : undefined;
  }

  async all(): Promise<ChannelRecord[]> {
    return (await this.pool.query<ChannelRow>('SELECT * FROM channels ORDER BY opened_block, id')).rows.map((r) => this.adopt(r));
  }

  async insert(id: string, terms: ChannelTerms, deposit: bigint, openedBlock: number): Promise<{ rec: ChannelRecord; inserted: boolean }> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO channels (id, consumer, provider, signer, token, challenge_period, salt, deposit, claimed, state, closes_at, opened_block)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '0', 'open', NULL, $9) ON CONFLICT (id) DO NOTHING`,
      [id, terms.consumer, terms.provider, terms.signer, terms.token, terms.challengePeriod, terms.salt, deposit.toString(), openedBlock],
    );
    return { rec: (await this.get(id))!, inserted: (rowCount ?? 0) > 0 };
  }

  async updateChain(id: string, patch: ChainPatch, authoritative = false): Promise<ChainUpdate | undefined> {
    const done = await inTransaction(this.pool, async (c) => {
      const current = await this.lockRow(c, id);
      if (!current) return undefined;
      const was = chainFields(fromRow(current));
      const next = mergeChain(fromRow(current), patch, authoritative);
      const updated = await c.query<ChannelRow>(
        'UPDATE channels SET deposit = $1, claimed = $2, state = $3, closes_at = $4 WHERE id = $5 RETURNING *',
        [next.deposit.toString(), next.claimed.toString(), next.state, next.closesAt, id],
      );
      return { row: updated.rows[0]!, was };
    });
    return done ? { rec: this.adopt(done.row), was: done.was } : undefined;
  }

  async locked<T>(id: string, job: (rec: ChannelRecord, tx: ChannelTx) => Promise<T>): Promise<T> {
    const batcher = this.batcher;
    if (batcher) {
      return this.mutex.run(id, async () => {
        const { value, draft } = await batcher.run(id, job);
        const held = this.records.get(id);
        if (held) Object.assign(held, draft);
        else this.records.set(id, draft);
        return value as T;
      });
    }
    return this.mutex.run(id, async () => {
      let draft: ChannelRecord | undefined;
      const result = await inTransaction(this.pool, async (c) => {
        const row = await this.lockRow(c, id);
        if (!row) throw new Error(`no channel ${id} in the store`);
        // The job works on a draft; the record callers hold changes only once the transaction committed.
        draft = fromRow(row);
        return job(draft, this.txOf(c, draft));
      });
      const held = this.records.get(id);
      if (held) Object.assign(held, draft);
      else this.records.set(id, draft!);
      return result;
    });
  }

  /** One transaction locking every row (`FOR UPDATE`, in id order); the job's writes go straight into it. */
  async lockedMany<T>(
    ids: readonly string[],
    job: (recs: ReadonlyMap<string, ChannelRecord>, txOf: (id: string) => ChannelTx) => Promise<T>,
  ): Promise<T> {
    const sorted = [...new Set(ids)].sort();
    return this.mutex.runMany(sorted, async () => {
      const drafts = new Map<string, ChannelRecord>();
      const result = await inTransaction(this.pool, async (c) => {
        const rows = await c.query<ChannelRow>('SELECT * FROM channels WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [sorted]);
        // The job works on drafts; the records callers hold change only once the transaction committed.
        for (const row of rows.rows) drafts.set(row.id, fromRow(row));
        const txs = new Map<string, ChannelTx>();
        return job(drafts, (id) => {
          const draft = drafts.get(id);
          if (!draft) throw new Error(`no channel ${id} in the store`);
          let tx = txs.get(id);
          if (!tx) txs.set(id, (tx = this.txOf(c, draft)));
          return tx;
        });
      });
      for (const draft of drafts.values()) {
        const held = this.records.get(draft.id);
        if (held) Object.assign(held, draft);
        else this.records.set(draft.id, draft);
      }
      return result;
    });
  }

  private async lockRow(c: Client, id: string): Promise<ChannelRow | undefined> {
    return (await c.query<ChannelRow>('SELECT * FROM channels WHERE id = $1 FOR UPDATE', [id])).rows[0];
  }

  private txOf(c: Client, rec: ChannelRecord): ChannelTx {
    return {
      idempotent: (key) => idempotencyRecord(c, rec.id, key),
      recordAccepted: async (amount, signature, calls, now, idempotency) => {
        const raises = amount > rec.acceptedAmount;
        const increment = raises ? amount - rec.acceptedAmount : 0n;
        if (raises) {
          await c.query(
            'UPDATE channels SET accepted_amount = $1, accepted_signature = $2, accepted_at = $3, calls = calls + $4 WHERE id = $5',
            [amount.toString(), signature, now, calls, rec.id],
          );
        } else {
          await c.query('UPDATE channels SET calls = calls + $1 WHERE id = $2', [calls, rec.id]);
        }
        await c.query(
          `INSERT INTO windows (channel_id, start, calls, amount) VALUES ($1, $2, $3, $4) ON CONFLICT (channel_id, start)
           DO UPDATE SET calls = windows.calls + excluded.calls, amount = (windows.amount::numeric + excluded.amount::numeric)::text`,
          [rec.id, windowStart(now, this.windowSeconds), calls, increment.toString()],
        );
        if (idempotency) {
          await c.query('INSERT INTO idempotency (channel_id, key, amount, price, created_at) VALUES ($1, $2, $3, $4, $5)', [
            rec.id,
            idempotency.key,
            amount.toString(),
            idempotency.price.toString(),
            now,
          ]);
        }
        if (raises) Object.assign(rec, { acceptedAmount: amount, acceptedSignature: signature, acceptedAt: now });
        rec.calls += calls;
      },
      recordSigned: async (amount, signature, now) => {
        await c.query('UPDATE channels SET signed_amount = $1, signed_signature = $2, signed_at = $3 WHERE id = $4', [
          amount.toString(),
          signature,
          now,
          rec.id,
        ]);
        Object.assign(rec, { signedAmount: amount, signedSignature: signature, signedAt: now });
      },
    };
  }

  async recordClaimAttempt(rec: ChannelRecord, now: number): Promise<void> {
    await this.pool.query('UPDATE channels SET last_claim_at = $1 WHERE id = $2', [now, rec.id]);
    rec.lastClaimAt = now;
  }

  async windows(channelId: string, limit: number): Promise<Window[]> {
    const rows = await this.pool.query<{ start: number; calls: number; amount: string }>(
      'SELECT start, calls, amount FROM windows WHERE channel_id = $1 ORDER BY start DESC LIMIT $2',
      [channelId, limit],
    );
    return rows.rows.map((w) => ({ start: w.start, calls: w.calls, amount: BigInt(w.amount) }));
  }
}
