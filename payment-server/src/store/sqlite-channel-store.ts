import type { ChannelTerms } from '@chanpay/protocol';
import {
  fromRow,
  mergeChain,
  newRecord,
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
import type { Db } from './db';
import { KeyedMutex } from './keyed-mutex';

/**
 * Channels in SQLite with a write-through in-memory cache. One process owns the file, so the cache is the truth
 * and a per-channel lock in this process serializes the writers of a channel.
 */
export class SqliteChannelStore implements ChannelStore {
  private readonly cache = new Map<string, ChannelRecord>();
  private readonly mutex = new KeyedMutex();
  private readonly stmts;

  constructor(
    private readonly db: Db,
    private readonly windowSeconds: number,
  ) {
    this.stmts = {
      insert: db.prepare(`INSERT INTO channels (id, consumer, provider, signer, token, challenge_period, salt, deposit, claimed,
        state, closes_at, opened_block) VALUES (@id, @consumer, @provider, @signer, @token, @challenge_period, @salt, @deposit,
        @claimed, @state, @closes_at, @opened_block) ON CONFLICT (id) DO NOTHING`),
      chain: db.prepare('UPDATE channels SET deposit = ?, claimed = ?, state = ?, closes_at = ? WHERE id = ?'),
      accepted: db.prepare(
        'UPDATE channels SET accepted_amount = ?, accepted_signature = ?, accepted_at = ?, calls = calls + ? WHERE id = ?',
      ),
      calls: db.prepare('UPDATE channels SET calls = calls + ? WHERE id = ?'),
      signed: db.prepare('UPDATE channels SET signed_amount = ?, signed_signature = ?, signed_at = ? WHERE id = ?'),
      lastClaim: db.prepare('UPDATE channels SET last_claim_at = ? WHERE id = ?'),
      windowGet: db.prepare<[string, number], { calls: number; amount: string }>(
        'SELECT calls, amount FROM windows WHERE channel_id = ? AND start = ?',
      ),
      windowPut: db.prepare(`INSERT INTO windows (channel_id, start, calls, amount) VALUES (?, ?, ?, ?)
        ON CONFLICT (channel_id, start) DO UPDATE SET calls = excluded.calls, amount = excluded.amount`),
      windows: db.prepare<[string, number], { start: number; calls: number; amount: string }>(
        'SELECT start, calls, amount FROM windows WHERE channel_id = ? ORDER BY start DESC LIMIT ?',
      ),
      idemGet: db.prepare<[string, string], { amount: string; price: string }>(
        'SELECT amount, price FROM idempotency WHERE channel_id = ? AND key = ?',
      ),
      idemPut: db.prepare('INSERT INTO idempotency (channel_id, key, amount, price, created_at) VALUES (?, ?, ?, ?, ?)'),
    };
    for (const row of db.prepare<[], ChannelRow>('SELECT * FROM channels').all()) this.cache.set(row.id, fromRow(row));
  }

  async get(id: string): Promise<ChannelRecord | undefined> {
    return this.cache.get(id);
  }

  async all(): Promise<ChannelRecord[]> {
    return [...this.cache.values()];
  }

  async insert(id: string, terms: ChannelTerms, deposit: bigint, openedBlock: number): Promise<{ rec: ChannelRecord; inserted: boolean }> {
    const existing = this.cache.get(id);
    if (existing) return { rec: existing, inserted: false };
    this.stmts.insert.run({
      id,
      consumer: terms.consumer,
      provider: terms.provider,
      signer: terms.signer,
      token: terms.token,
      challenge_period: terms.challengePeriod,
      salt: terms.salt,
      deposit: deposit.toString(),
      claimed: '0',
      state: 'open',
      closes_at: null,
      opened_block: openedBlock,
    });
    const rec = newRecord(id, terms, deposit, openedBlock);
    this.cache.set(id, rec);
    return { rec, inserted: true };
  }

  async updateChain(id: string, patch: ChainPatch, authoritative = false): Promise<ChainUpdate | undefined> {
    const rec = this.cache.get(id);
    if (!rec) return undefined;
    const was = chainFields(rec);
    const next = mergeChain(rec, patch, authoritative);
    this.stmts.chain.run(next.deposit.toString(), next.claimed.toString(), next.state, next.closesAt, id);
    Object.assign(rec, next);
    return { rec, was };
  }

  async locked<T>(id: string, job: (rec: ChannelRecord, tx: ChannelTx) => Promise<T>): Promise<T> {
    return this.mutex.run(id, async () => {
      const rec = this.cache.get(id);
      if (!rec) throw new Error(`no channel ${id} in the store`);
      return job(rec, this.txOf(rec));
    });
  }

  /**
   * One SQLite transaction for the whole batch: the job works on copies of the records, its writes are queued
   * (with what they do to the cached record) and run together once it returns; the cache follows the commit.
   */
  async lockedMany<T>(
    ids: readonly string[],
    job: (recs: ReadonlyMap<string, ChannelRecord>, txOf: (id: string) => ChannelTx) => Promise<T>,
  ): Promise<T> {
    return this.mutex.runMany(ids, async () => {
      const drafts = new Map<string, ChannelRecord>();
      for (const id of ids) {
        const rec = this.cache.get(id);
        if (rec) drafts.set(id, { ...rec });
      }
      const queued: QueuedWrite[] = [];
      const keys = new Map<string, { amount: bigint; price: bigint }>();
      const txs = new Map<string, ChannelTx>();
      const value = await job(drafts, (id) => {
        const draft = drafts.get(id);
        if (!draft) throw new Error(`no channel ${id} in the store`);
        let tx = txs.get(id);
        if (!tx) txs.set(id, (tx = this.queuedTxOf(draft, queued, keys)));
        return tx;
      });
      if (queued.length > 0) {
        this.db.transaction(() => {
          for (const w of queued) w.write();
        })();
        for (const w of queued) w.apply();
      }
      return value;
    });
  }

  /** A `ChannelTx` whose writes wait in `queued` (see `lockedMany`); `keys`: the idempotency keys queued so far. */
  private queuedTxOf(draft: ChannelRecord, queued: QueuedWrite[], keys: Map<string, { amount: bigint; price: bigint }>): ChannelTx {
    const cached = this.cache.get(draft.id)!;
    return {
      idempotent: async (key) => {
        const mine = keys.get(`${draft.id} ${key}`);
        if (mine) return mine;
        const row = this.stmts.idemGet.get(draft.id, key);
        return row ? { amount: BigInt(row.amount), price: BigInt(row.price) } : undefined;
      },
      recordAccepted: async (amount, signature, calls, now, idempotency) => {
        const raises = amount > draft.acceptedAmount;
        const increment = raises ? amount - draft.acceptedAmount : 0n;
        if (idempotency) keys.set(`${draft.id} ${idempotency.key}`, { amount, price: idempotency.price });
        queued.push({
          write: () => this.writeAccepted(draft.id, raises, amount, signature, calls, increment, now, idempotency),
          apply: () => applyAccepted(cached, raises, amount, signature, calls, now),
        });
        applyAccepted(draft, raises, amount, signature, calls, now);
      },
      recordSigned: async (amount, signature, now) => {
        queued.push({
          write: () => this.stmts.signed.run(amount.toString(), signature, now, draft.id),
          apply: () => Object.assign(cached, { signedAmount: amount, signedSignature: signature, signedAt: now }),
        });
        Object.assign(draft, { signedAmount: amount, signedSignature: signature, signedAt: now });
      },
    };
  }

  /** The statements of one accepted voucher (inside the caller's transaction). */
  private writeAccepted(
    id: string,
    raises: boolean,
    amount: bigint,
    signature: string,
    calls: number,
    increment: bigint,
    now: number,
    idempotency: { key: string; price: bigint } | undefined,
  ): void {
    const start = windowStart(now, this.windowSeconds);
    if (raises) this.stmts.accepted.run(amount.toString(), signature, now, calls, id);
    else this.stmts.calls.run(calls, id);
    const w = this.stmts.windowGet.get(id, start);
    this.stmts.windowPut.run(id, start, (w?.calls ?? 0) + calls, ((w ? BigInt(w.amount) : 0n) + increment).toString());
    if (idempotency) this.stmts.idemPut.run(id, idempotency.key, amount.toString(), idempotency.price.toString(), now);
  }

  private txOf(rec: ChannelRecord): ChannelTx {
    return {
      idempotent: async (key) => {
        const row = this.stmts.idemGet.get(rec.id, key);
        return row ? { amount: BigInt(row.amount), price: BigInt(row.price) } : undefined;
      },
      recordAccepted: async (amount, signature, calls, now, idempotency) => {
        const raises = amount > rec.acceptedAmount;
        const increment = raises ? amount - rec.acceptedAmount : 0n;
        this.db.transaction(() => this.writeAccepted(rec.id, raises, amount, signature, calls, increment, now, idempotency))();
        applyAccepted(rec, raises, amount, signature, calls, now);
      },
      recordSigned: async (amount, signature, now) => {
        this.stmts.signed.run(amount.toString(), signature, now, rec.id);
        Object.assign(rec, { signedAmount: amount, signedSignature: signature, signedAt: now });
      },
    };
  }

  async recordClaimAttempt(rec: ChannelRecord, now: number): Promise<void> {
    this.stmts.lastClaim.run(now, rec.id);
    rec.lastClaimAt = now;
  }

  async windows(channelId: string, limit: number): Promise<Window[]> {
    return this.stmts.windows.all(channelId, limit).map((w) => ({ start: w.start, calls: w.calls, amount: BigInt(w.amount) }));
  }
}

/** A write of `lockedMany`, and what it does to the cached record once committed. */
interface QueuedWrite {
  write: () => void;
  apply: () => void;
}

function applyAccepted(rec: ChannelRecord, raises: boolean, amount: bigint, signature: string, calls: number, now: number): void {
  if (raises) Object.assign(rec, { acceptedAmount: amount, acceptedSignature: signature, acceptedAt: now });
  rec.calls += calls;
}
