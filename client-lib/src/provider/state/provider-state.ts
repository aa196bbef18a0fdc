import type { PaidRanges, Receipt, Ticket } from '@chanpay/protocol';
import type { CachedResponse, IdempotencyRecord } from '../idempotency';

/**
 * What a provider has accepted, and where that is decided. In process (the default) one instance holds it and
 * decides without yielding; shared (PostgreSQL, `PROVIDER_STATE_URL`) every replica of a provider decides in one
 * database transaction per call, under a per-channel lock, so that a voucher range, a ticket or an idempotency
 * key is accepted exactly once across all replicas, and written before the call is answered.
 */
export type ProviderState = InProcessState | SharedState;

/** The in-process state: the channel cache's `PaidRanges`, a `TicketBook` and an `IdempotencyStore` (as before replicas). */
export interface InProcessState {
  readonly kind: 'process';
}

/** A voucher range offered for acceptance: (amount - price, amount] on the channel. */
export interface RangeOffer {
  channelId: string;
  amount: bigint;
  price: bigint;
  /** The voucher as it came (stored as the channel's latest when it is the highest). */
  header: string;
  /** What this replica knows is paid (its cache): a channel seen for the first time starts from it. */
  known: PaidRanges;
  maxGaps: number;
  /** A block of prepaid calls this voucher opens: inserted in the same transaction as the range. */
  block?: PrepaidBlock;
}

/** What `payment-prepay` asked for: `calls` calls of `price` each, the hash chain's anchor. */
export interface PrepaidBlock {
  price: bigint;
  calls: number;
  anchor: string;
}

export interface RangeDecision {
  accepted: boolean;
  /** The channel's paid ranges after the decision: the replica's cache is refreshed from them. */
  paid: PaidRanges;
}

/** A channel's highest accepted voucher that its payment server may not hold yet (a replica died before storing it). */
export interface UnstoredVoucher {
  channelId: string;
  amount: bigint;
  header: string;
}

/** What a new idempotency key finds in the shared store. */
export type SharedReservation =
  /** A new call: reserved for this replica. */
  | { kind: 'new'; record: IdempotencyRecord }
  /** Answered before (by any replica): send this again. */
  | { kind: 'served'; receipt: Receipt; response: CachedResponse }
  /** Paid before but never answered: taken over by this replica, serve it free. */
  | { kind: 'unserved'; receipt: Receipt; record: IdempotencyRecord };

export interface SharedState {
  readonly kind: 'shared';
  /** Accept-once of one voucher's range, decided under the channel's lock. */
  acceptRange(offer: RangeOffer): Promise<RangeDecision>;
  /** Opens a block of prepaid calls (its voucher was accepted); call 0 is spent. */
  openBlock(channelId: string, amount: bigint, price: bigint, calls: number, anchorHex: string): Promise<void>;
  /** Spends one ticket; returns the block's per-call price or throws a refusal. */
  spendTicket(ticket: Ticket, price: bigint): Promise<bigint>;
  /** Reserves (channel, key) for a call paid by `payment`, or returns what an earlier call with this key left. */
  reserve(channelId: string, key: string, payment: string): Promise<SharedReservation>;
  /** The payment server holds these amounts (or more) now. */
  markStored(stored: { channelId: string; amount: bigint }[]): Promise<void>;
  /** Highest vouchers not known to be stored, untouched for `idleMs` (their replica may be gone). */
  unstored(idleMs: number, limit: number): Promise<UnstoredVoucher[]>;
  close(): Promise<void>;
}

export const IN_PROCESS_STATE: InProcessState = { kind: 'process' };
