/** The HTTP headers of the protocol (lower case, as Node and fetch give them). */

/** A paid call's voucher: see `encodeVoucher`. */
export const VOUCHER_HEADER = 'payment-voucher';
/** Sent with the voucher that opens a block of prepaid calls: `<calls>.<anchor>`. */
export const PREPAY_HEADER = 'payment-prepay';
/** Sent instead of a voucher by a prepaid call: `<channelId>.<blockAmount>.<index>.<preimage>`. */
export const TICKET_HEADER = 'payment-ticket';
/** The header of a 402 answer: base64url of the JSON `PaymentTerms` (the same JSON is the body). */
export const PAYMENT_REQUIRED_HEADER = 'payment-required';
/** The header of a served paid call: what was charged and the cumulative amount now held. */
export const RECEIPT_HEADER = 'payment-receipt';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Set on the answer of an idempotent repeat that was answered from the first call's response. */
export const REPLAYED_HEADER = 'idempotent-replayed';

export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,128}$/;

/** An Idempotency-Key is 1 to 128 visible ASCII characters; anything else (an empty header too) is refused with 400. */
export function isValidIdempotencyKey(key: string): boolean {
  return IDEMPOTENCY_KEY_RE.test(key);
}
