import type { Config } from '../config';
import type { ChannelRecord } from '../store/channel-store';

export type ClaimPolicy = Pick<Config['claim'], 'thresholdWei' | 'intervalSeconds'>;

/** A channel whose latest accepted voucher is worth more than the contract has paid out, and which can still pay. */
export type ClaimableChannel = ChannelRecord & { acceptedSignature: string };

/**
 * Whether a claim of this channel would pay the provider anything: the one test that a claim by request, by the
 * claim policy and inside `claim` itself all share.
 */
export function hasUnclaimedVoucher(rec: ChannelRecord): rec is ClaimableChannel {
  return rec.state !== 'settled' && rec.acceptedSignature !== null && rec.acceptedAmount > rec.claimed;
}

/**
 * Whether the claim policy wants this channel claimed now. A closing channel is due at once while its challenge
 * period runs (after it, the consumer takes the refund and an unclaimed voucher is lost); an open one when the
 * unclaimed amount reaches the threshold or the interval since the last claim (or the first voucher) has passed.
 * `chainNow` is the chain's clock, which decides the close deadline; `nowSeconds` the server's, for the interval.
 */
export function isClaimDue(rec: ChannelRecord, policy: ClaimPolicy, chainNow: number, nowSeconds: number): boolean {
  if (!hasUnclaimedVoucher(rec)) return false;
  if (rec.state === 'closing') return rec.closesAt === null || chainNow < rec.closesAt;
  if (policy.thresholdWei > 0n && rec.acceptedAmount - rec.claimed >= policy.thresholdWei) return true;
  if (policy.intervalSeconds > 0) return nowSeconds - (rec.lastClaimAt ?? rec.acceptedAt ?? 0) >= policy.intervalSeconds;
  return false;
}

/** Unclaimed amount the provider can still collect (0 once settled). */
export function unclaimedWei(rec: ChannelRecord): bigint {
  return hasUnclaimedVoucher(rec) ? rec.acceptedAmount - rec.claimed : 0n;
}

/** Splits `items` into consecutive batches of at most `size` (one claim transaction each). */
export function inBatches<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}
