import { ChanpayError } from './errors';
import type { ChannelState, ChannelTerms } from './channel-terms';
import type { PaidRanges } from './paid-ranges';
import type { Voucher } from './voucher';

/** What the rule needs to know of a channel (the payment server's record or a provider's cached copy). */
export interface ChannelForAcceptance {
  state: ChannelState;
  terms: ChannelTerms;
  deposit: bigint;
}

export interface AcceptancePolicy {
  /** Whether the provider takes payment in this token (lower-case address; zero address: ETH). */
  acceptsToken(token: string): boolean;
  minChallengePeriod: number;
}

/** The signer of a voucher, or why none could be recovered (the cryptography is the caller's: see `@chanpay/protocol/node`). */
export type SignerOf = (voucher: Voucher) => { ok: true; address: string } | { ok: false; reason: string };

export interface AcceptanceInput {
  channel: ChannelForAcceptance;
  voucher: Voucher;
  /** The price of the call (a block of prepaid calls: all of them). 0: re-submitting a voucher already served. */
  price: bigint;
  paid: PaidRanges;
  policy: AcceptancePolicy;
  signerOf: SignerOf;
  /**
   * The calls were served before (a local-mode provider storing its batch at its payment server): a closing
   * channel is still claimable, so its vouchers are still taken.
   */
  servedAlready?: boolean;
}

/**
 * The voucher acceptance rule, one copy for the payment server and for providers that verify in process:
 * every check in a fixed order, each failure with its own code. Returns the refusal, or null when the voucher
 * pays for the call. Pure and synchronous: the caller checks and records (`paid.add`) without yielding, so two
 * concurrent calls on one channel can never both be accepted for the same increment.
 *
 * A voucher of cumulative amount `a` for a call of price `p` pays for the range (a - p, a] of the channel's
 * cumulative amount; it is accepted when that range overlaps nothing already paid. In order that is
 * `a >= last + p`; a voucher overtaken by a higher one still fits the gap it left, so concurrent calls are each
 * charged once. Price 0 only asks for `a` above the highest paid.
 */
export function voucherRefusal(input: AcceptanceInput): ChanpayError | null {
  const { channel, voucher, price, paid, policy } = input;
  if (channel.state === 'settled') return new ChanpayError('CHANNEL_CLOSED', 'the channel is settled');
  if (channel.state === 'closing' && !input.servedAlready)
    return new ChanpayError('CHANNEL_CLOSING', 'the consumer is closing the channel');
  if (!policy.acceptsToken(channel.terms.token) || channel.terms.challengePeriod < policy.minChallengePeriod) {
    return new ChanpayError('TERMS_NOT_ACCEPTED', 'the channel token or challenge period is not accepted by this provider', {
      token: channel.terms.token,
      challengePeriod: channel.terms.challengePeriod,
      minChallengePeriod: policy.minChallengePeriod,
    });
  }
  const signer = input.signerOf(voucher);
  if (!signer.ok) return new ChanpayError('BAD_SIGNATURE', signer.reason);
  if (signer.address !== channel.terms.signer)
    return new ChanpayError('SIGNER_MISMATCH', 'the voucher is not signed by the channel signer');
  if (voucher.amount > channel.deposit) {
    return new ChanpayError('AMOUNT_EXCEEDS_DEPOSIT', 'the cumulative amount is above the deposit', {
      amount: voucher.amount.toString(),
      deposit: channel.deposit.toString(),
    });
  }
  const fits = price > 0n ? paid.fits(voucher.amount, price) : voucher.amount > paid.highest;
  if (!fits) {
    const least = paid.highest + (price > 0n ? price : 1n);
    return new ChanpayError('AMOUNT_TOO_LOW', `the cumulative amount must be at least ${least} (or fill a gap left by a later voucher)`, {
      amount: voucher.amount.toString(),
      acceptedAmount: paid.highest.toString(),
      price: price.toString(),
    });
  }
  return null;
}

/** Records what an accepted voucher paid for (call right after `voucherRefusal` returned null, without yielding). */
export function recordAccepted(paid: PaidRanges, voucher: Voucher, price: bigint): void {
  if (price > 0n) paid.add(voucher.amount, price);
  else paid.raiseFloor(voucher.amount);
}

/**
 * "Refresh the channel and try once more when the voucher is above the deposit": the consumer may have topped
 * up since the channel was last read. `attempt` checks (and records) synchronously; `refresh` re-reads the
 * channel. Answers synchronously when no refresh is needed (the hot path), so the caller need not yield.
 */
export function acceptWithRefresh<T>(
  attempt: () => T | ChanpayError,
  refresh: () => Promise<unknown>,
): T | ChanpayError | Promise<T | ChanpayError> {
  const first = attempt();
  if (!(first instanceof ChanpayError) || first.code !== 'AMOUNT_EXCEEDS_DEPOSIT') return first;
  return refresh().then(attempt);
}
