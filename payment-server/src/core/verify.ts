import { ChanpayError, type PaidRanges, type Voucher, type VoucherHasher, voucherSigner } from '@chanpay/client-lib';
import type { ChannelRecord } from '../store/channel-store';

export interface VoucherPolicy {
  acceptedTokens: ReadonlySet<string>;
  minChallengePeriod: number;
}

/**
 * Every check a voucher must pass before it is recorded, in a fixed order, each failure with its own code.
 * Synchronous on purpose: the caller checks and records without yielding, so two concurrent calls on one channel
 * can never both be accepted for the same increment.
 * A voucher of cumulative amount `a` for a call of price `p` pays for the range (a - p, a] of the channel's
 * cumulative amount; it is accepted when that range overlaps nothing already paid (`paid`). In order that is
 * `a >= last + p`; a voucher overtaken by a higher one still fits the gap it left, so concurrent calls are each
 * charged once. `price` 0 (re-submitting vouchers a service already accepted) only asks for `a` above the last.
 */
export function checkVoucher(
  rec: ChannelRecord,
  v: Voucher,
  price: bigint,
  paid: PaidRanges,
  hasher: VoucherHasher,
  policy: VoucherPolicy,
  /** The calls were served before (a local-mode service storing its batch): a closing channel is still claimable. */
  servedAlready = false,
): void {
  if (rec.state === 'settled') throw new ChanpayError('CHANNEL_CLOSED', 'the channel is settled');
  if (rec.state === 'closing' && !servedAlready) throw new ChanpayError('CHANNEL_CLOSING', 'the consumer is closing the channel');
  if (!policy.acceptedTokens.has(rec.terms.token) || rec.terms.challengePeriod < policy.minChallengePeriod) {
    throw new ChanpayError('TERMS_NOT_ACCEPTED', 'the channel token or challenge period is not accepted by this provider', {
      token: rec.terms.token,
      challengePeriod: rec.terms.challengePeriod,
      minChallengePeriod: policy.minChallengePeriod,
    });
  }
  const signer = voucherSigner(hasher, v);
  if (!signer.ok) throw new ChanpayError('BAD_SIGNATURE', signer.reason);
  if (signer.address !== rec.terms.signer) {
    throw new ChanpayError('SIGNER_MISMATCH', 'the voucher is not signed by the channel signer');
  }
  if (v.amount > rec.deposit) {
    throw new ChanpayError('AMOUNT_EXCEEDS_DEPOSIT', 'the cumulative amount is above the deposit', {
      amount: v.amount.toString(),
      deposit: rec.deposit.toString(),
    });
  }
  const fits = price > 0n ? paid.fits(v.amount, price) : v.amount > paid.highest;
  if (!fits) {
    const least = paid.highest + (price > 0n ? price : 1n);
    throw new ChanpayError('AMOUNT_TOO_LOW', `the cumulative amount must be at least ${least} (or fill a gap left by a later voucher)`, {
      amount: v.amount.toString(),
      acceptedAmount: rec.acceptedAmount.toString(),
      price: price.toString(),
    });
  }
}
