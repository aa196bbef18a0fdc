import { ChanpayError, type Voucher, type VoucherHasher, voucherSigner } from '@chanpay/client-lib';
import type { ChannelRecord } from '../store/channel-store';

export interface VoucherPolicy {
  acceptedTokens: ReadonlySet<string>;
  minChallengePeriod: number;
}

/**
 * Every check a voucher must pass before it is recorded, in a fixed order, each failure with its own code.
 * Synchronous on purpose: the caller checks and records without yielding, so two concurrent calls on one channel
 * can never both be accepted for the same increment.
 * `price` is the least increment over the last accepted amount (0 for re-submitting an already accepted voucher).
 */
export function checkVoucher(
  rec: ChannelRecord,
  v: Voucher,
  price: bigint,
  hasher: VoucherHasher,
  policy: VoucherPolicy,
): void {
  if (rec.state === 'settled') throw new ChanpayError('CHANNEL_CLOSED', 'the channel is settled');
  if (rec.state === 'closing') throw new ChanpayError('CHANNEL_CLOSING', 'the consumer is closing the channel');
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
  const least = rec.acceptedAmount + (price > 0n ? price : 1n);
  if (v.amount < least) {
    throw new ChanpayError('AMOUNT_TOO_LOW', `the cumulative amount must be at least ${least}`, {
      amount: v.amount.toString(),
      acceptedAmount: rec.acceptedAmount.toString(),
      price: price.toString(),
    });
  }
}
