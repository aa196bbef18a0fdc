import type { Address, ChannelTerms } from '@chanpay/protocol';

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

export interface Window {
  start: number;
  calls: number;
  amount: bigint;
}

export type ChainPatch = { deposit?: bigint; claimed?: bigint; state?: ChannelState; closesAt?: number | null };

/** A channel after a chain update, and its chain fields just before (read under the same lock as the write). */
export interface ChainUpdate {
  rec: ChannelRecord;
  was: Required<ChainPatch>;
}

/** Writes of one channel under its lock (`ChannelStore.locked`); each updates the record once it is durable. */
export interface ChannelTx {
  idempotent(key: string): Promise<{ amount: bigint; price: bigint } | undefined>;
  /**
   * Records an accepted voucher, its call count and per-window statistics in one transaction. A voucher below the
   * latest (a late one that filled a gap) counts its call but keeps the latest, which is what gets claimed.
   */
  recordAccepted(
    amount: bigint,
    signature: string,
    calls: number,
    now: number,
    idempotency?: { key: string; price: bigint },
  ): Promise<void>;
  recordSigned(amount: bigint, signature: string, now: number): Promise<void>;
}

/**
 * Channels this server is a party of. One record object per channel id is handed out (and kept current), so
 * that a caller holding a record sees what later writes did to it.
 */
export interface ChannelStore {
  get(id: string): Promise<ChannelRecord | undefined>;
  all(): Promise<ChannelRecord[]>;
  /** Stores a newly seen channel; `inserted` is false when it was stored already (by this process or another). */
  insert(id: string, terms: ChannelTerms, deposit: bigint, openedBlock: number): Promise<{ rec: ChannelRecord; inserted: boolean }>;
  /**
   * Applies the chain's view. Events may be replayed in any order, so by default nothing moves backwards (settled
   * stays settled, claimed never shrinks); a direct read of the contract (`authoritative`) is taken as it is, so
   * that a node that lost blocks (crash, reorg) cannot leave us believing in a claim that never happened.
   */
  updateChain(id: string, patch: ChainPatch, authoritative?: boolean): Promise<ChainUpdate | undefined>;
  /**
   * Runs `job` with the channel's record read fresh and locked against every other writer of this channel, in
   * this process and in every other process on the same database; what `job` writes through `tx` commits
   * together when it returns, and nothing of it when it throws. `job` must not use the store otherwise.
   */
  locked<T>(id: string, job: (rec: ChannelRecord, tx: ChannelTx) => Promise<T>): Promise<T>;
  /**
   * `locked` for several channels at once (a batch of vouchers): every channel's lock is taken (in id order, so
   * that two batches never wait on each other), `job` gets each record read fresh and a `ChannelTx` per channel,
   * and what it writes through them commits in one transaction when it returns (the records callers hold change
   * only then), nothing of it when it throws. Unknown ids are left out of `recs`.
   */
  lockedMany<T>(
    ids: readonly string[],
    job: (recs: ReadonlyMap<string, ChannelRecord>, txOf: (id: string) => ChannelTx) => Promise<T>,
  ): Promise<T>;
  recordClaimAttempt(rec: ChannelRecord, now: number): Promise<void>;
  windows(channelId: string, limit: number): Promise<Window[]>;
}

/** A channel's record in the database's column names (amounts as decimal text: SQLite has no 256-bit integer). */
export interface ChannelRow {
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

export function fromRow(r: ChannelRow): ChannelRecord {
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

export function newRecord(id: string, terms: ChannelTerms, deposit: bigint, openedBlock: number): ChannelRecord {
  return {
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
}

/** The chain fields after a patch: monotonic unless `authoritative` (see `ChannelStore.updateChain`). */
export function chainFields(rec: ChannelRecord): Required<ChainPatch> {
  return { deposit: rec.deposit, claimed: rec.claimed, state: rec.state, closesAt: rec.closesAt };
}

export function mergeChain(rec: ChannelRecord, patch: ChainPatch, authoritative: boolean): Required<ChainPatch> {
  const newer = <T>(value: T | undefined, current: T, isNewer: (v: T) => boolean) =>
    value !== undefined && (authoritative || isNewer(value)) ? value : current;
  const order = { open: 0, closing: 1, settled: 2 } as const;
  return {
    deposit: newer(patch.deposit, rec.deposit, (v) => v > rec.deposit),
    claimed: newer(patch.claimed, rec.claimed, (v) => v > rec.claimed),
    state: newer(patch.state, rec.state, (v) => order[v] > order[rec.state]),
    closesAt: patch.closesAt !== undefined ? patch.closesAt : rec.closesAt,
  };
}

/** The statistics window a second falls in. */
export function windowStart(now: number, windowSeconds: number): number {
  return now - (now % windowSeconds);
}
