import type { ChannelTerms, Address } from '@chanpay/protocol';
import type { Db } from './db';

export type ChannelState = 'open' | 'closing' | 'settled';

export interface ChannelRecord {
  id: string;
  terms: ChannelTerms;
  deposit: bigint;
  claimed: bigint;
  state: ChannelState;
  closesAt: number | null;
  openedBlock: number;
  acceptedAmount: bigint;
  acceptedSignature: string | null;
  acceptedAt: number | null;
  calls: number;
  signedAmount: bigint;
  signedSignature: string | null;
  signedAt: number | null;
  lastClaimAt: number | null;
}

interface Row {
  id: string;
  consumer: string;
  provider: string;
  signer: string;
  token: string;
  challenge_period: number;
  salt: string;
  deposit: string;
  claimed: string;
  state: ChannelState;
  closes_at: number | null;
  opened_block: number;
  accepted_amount: string;
  accepted_signature: string | null;
  accepted_at: number | null;
  calls: number;
  signed_amount: string;
  signed_signature: string | null;
  signed_at: number | null;
  last_claim_at: number | null;
}

function fromRow(r: Row): ChannelRecord {
  return {
    id: r.id,
    terms: {
      consumer: r.consumer as Address,
      provider: r.provider as Address,
      signer: r.signer as Address,
      token: r.token as Address,
      challengePeriod: r.challenge_period,
      salt: r.salt,
    },
    deposit: BigInt(r.deposit),
    claimed: BigInt(r.claimed),
    state: r.state,
    closesAt: r.closes_at,
    openedBlock: r.opened_block,
    acceptedAmount: BigInt(r.accepted_amount),
    acceptedSignature: r.accepted_signature,
    acceptedAt: r.accepted_at,
    calls: r.calls,
    signedAmount: BigInt(r.signed_amount),
    signedSignature: r.signed_signature,
    signedAt: r.signed_at,
    lastClaimAt: r.last_claim_at,
  };
}

export interface Window {
  start: number;
  calls: number;
  amount: bigint;
}

/**
 * Channels this server is a party of, in SQLite with a write-through in-memory cache. Every method is
 * synchronous, so a caller that reads, checks and writes without an `await` in between is atomic with respect
 * to every other request in this process.
 */
export class ChannelStore {
  private readonly cache = new Map<string, ChannelRecord>();
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
    for (const row of db.prepare<[], Row>('SELECT * FROM channels').all()) this.cache.set(row.id, fromRow(row));
  }

  get(id: string): ChannelRecord | undefined {
    return this.cache.get(id);
  }

  all(): ChannelRecord[] {
    return [...this.cache.values()];
  }

  insert(id: string, terms: ChannelTerms, deposit: bigint, openedBlock: number): ChannelRecord {
    const existing = this.cache.get(id);
    if (existing) return existing;
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
    const rec: ChannelRecord = {
      id,
      terms,
      deposit,
      claimed: 0n,
      state: 'open',
      closesAt: null,
      openedBlock,
      acceptedAmount: 0n,
      acceptedSignature: null,
      acceptedAt: null,
      calls: 0,
      signedAmount: 0n,
      signedSignature: null,
      signedAt: null,
      lastClaimAt: null,
    };
    this.cache.set(id, rec);
    return rec;
  }

  /**
   * Applies the chain's view. Events may be replayed in any order, so by default nothing moves backwards (settled
   * stays settled, claimed never shrinks); a direct read of the contract (`authoritative`) is taken as it is, so
   * that a node that lost blocks (crash, reorg) cannot leave us believing in a claim that never happened.
   */
  updateChain(
    id: string,
    patch: { deposit?: bigint; claimed?: bigint; state?: ChannelState; closesAt?: number | null },
    authoritative = false,
  ): ChannelRecord | undefined {
    const rec = this.cache.get(id);
    if (!rec) return undefined;
    const newer = <T>(value: T | undefined, current: T, isNewer: (v: T) => boolean) =>
      value !== undefined && (authoritative || isNewer(value)) ? value : current;
    const order = { open: 0, closing: 1, settled: 2 } as const;
    const deposit = newer(patch.deposit, rec.deposit, (v) => v > rec.deposit);
    const claimed = newer(patch.claimed, rec.claimed, (v) => v > rec.claimed);
    const state = newer(patch.state, rec.state, (v) => order[v] > order[rec.state]);
    const closesAt = patch.closesAt !== undefined ? patch.closesAt : rec.closesAt;
    this.stmts.chain.run(deposit.toString(), claimed.toString(), state, closesAt, id);
    Object.assign(rec, { deposit, claimed, state, closesAt });
    return rec;
  }

  /**
   * Records an accepted voucher, its call count and per-window statistics in one transaction. A voucher below the
   * latest (a late one that filled a gap) counts its call but keeps the latest, which is what gets claimed.
   */
  recordAccepted(
    rec: ChannelRecord,
    amount: bigint,
    signature: string,
    calls: number,
    now: number,
    idempotency?: { key: string; price: bigint },
  ): void {
    const raises = amount > rec.acceptedAmount;
    const increment = raises ? amount - rec.acceptedAmount : 0n;
    const start = now - (now % this.windowSeconds);
    this.db.transaction(() => {
      if (raises) this.stmts.accepted.run(amount.toString(), signature, now, calls, rec.id);
      else this.stmts.calls.run(calls, rec.id);
      const w = this.stmts.windowGet.get(rec.id, start);
      this.stmts.windowPut.run(rec.id, start, (w?.calls ?? 0) + calls, ((w ? BigInt(w.amount) : 0n) + increment).toString());
      if (idempotency) this.stmts.idemPut.run(rec.id, idempotency.key, amount.toString(), idempotency.price.toString(), now);
    })();
    if (raises) {
      rec.acceptedAmount = amount;
      rec.acceptedSignature = signature;
      rec.acceptedAt = now;
    }
    rec.calls += calls;
  }

  recordSigned(rec: ChannelRecord, amount: bigint, signature: string, now: number): void {
    this.stmts.signed.run(amount.toString(), signature, now, rec.id);
    rec.signedAmount = amount;
    rec.signedSignature = signature;
    rec.signedAt = now;
  }

  recordClaimAttempt(rec: ChannelRecord, now: number): void {
    this.stmts.lastClaim.run(now, rec.id);
    rec.lastClaimAt = now;
  }

  idempotent(channelId: string, key: string): { amount: bigint; price: bigint } | undefined {
    const row = this.stmts.idemGet.get(channelId, key);
    return row ? { amount: BigInt(row.amount), price: BigInt(row.price) } : undefined;
  }

  windows(channelId: string, limit: number): Window[] {
    return this.stmts.windows.all(channelId, limit).map((w) => ({ start: w.start, calls: w.calls, amount: BigInt(w.amount) }));
  }
}
