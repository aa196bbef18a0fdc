import {
  ChanpayError,
  MAX_PREPAY_CALLS,
  PAYMENT_SCHEME,
  isHex,
  toWei,
  type Amount,
  type ErrorCode,
  type PaymentTerms,
} from '@chanpay/protocol';
import type { PaymentContext } from '../context';

/** What this consumer is willing to pay: `PaymentConsumerOptions.maxPrice` and `deposit`. */
export interface TermsLimits {
  maxPrice?: Amount;
  deposit: Amount;
}

/**
 * Refuses (throws `ChanpayError`, before anything is opened or signed) terms this consumer cannot or will not pay:
 * another chain or contract, another token, an invalid price or one above our maximum, a larger minimum deposit
 * than ours.
 */
export function checkTerms(t: PaymentTerms, ctx: PaymentContext, limits: TermsLimits, route: string): void {
  const refuse = (code: ErrorCode, message: string) => {
    throw new ChanpayError(code, `${route}: ${message}`, { terms: t as unknown as Record<string, unknown> });
  };
  if (t.scheme !== PAYMENT_SCHEME) refuse('TERMS_NOT_ACCEPTED', `unknown payment scheme ${String(t.scheme)}`);
  if (!/^\d{1,78}$/.test(String(t.chainId)) || BigInt(t.chainId) !== ctx.chainId || String(t.contract).toLowerCase() !== ctx.contract) {
    refuse(
      'WRONG_DOMAIN',
      `the provider is paid on chain ${t.chainId} contract ${t.contract}, our payment server uses chain ${ctx.chainId} contract ${ctx.contract}`,
    );
  }
  if (!isHex(String(t.provider), 20)) refuse('TERMS_NOT_ACCEPTED', 'the provider address is not an address');
  if (String(t.token).toLowerCase() !== ctx.token) refuse('TERMS_NOT_ACCEPTED', `the provider wants token ${t.token}`);
  if (!/^\d{1,78}$/.test(String(t.price)) || BigInt(t.price) <= 0n) refuse('TERMS_NOT_ACCEPTED', `invalid price ${t.price}`);
  if (limits.maxPrice !== undefined && BigInt(t.price) > toWei(limits.maxPrice))
    refuse('TERMS_NOT_ACCEPTED', `price ${t.price} is above our maximum ${limits.maxPrice}`);
  if (!/^\d{1,78}$/.test(String(t.minDeposit)) || BigInt(t.minDeposit) > toWei(limits.deposit)) {
    refuse('TERMS_NOT_ACCEPTED', `the provider wants a deposit of at least ${t.minDeposit}, we deposit ${limits.deposit}`);
  }
  if (!Number.isInteger(t.minChallengePeriod) || t.minChallengePeriod < 0 || t.minChallengePeriod > 4_294_967_295) {
    refuse('TERMS_NOT_ACCEPTED', 'invalid minimum challenge period');
  }
}

/** Calls per voucher on a route: the consumer's `prepay`, capped by what the provider takes (1: no tickets). */
export function callsPerVoucher(prepay: number | undefined, terms: PaymentTerms): number {
  const wanted = prepay ?? 1;
  const max = terms.prepay?.maxCalls;
  if (wanted < 2 || typeof max !== 'number' || !Number.isInteger(max) || max < 2) return 1;
  return Math.min(wanted, max, MAX_PREPAY_CALLS);
}

/**
 * The calls a new block takes, of `wanted`. Never more than the deposit still covers (`covered`; a top-up starts
 * as usual), unless that is not even two calls: then it waits for the top-up like a single call would. Nor more
 * than the top-up threshold (`largest`, null: no top-ups), so that a top-up starts while a block still fits.
 */
export function blockSize(wanted: number, covered: bigint, largest: bigint | null): number {
  if (wanted < 2) return 1;
  let calls = wanted;
  if (covered < BigInt(calls) && covered >= 2n) calls = Number(covered);
  if (largest !== null && largest < BigInt(calls)) calls = largest >= 2n ? Number(largest) : 1;
  return calls;
}
