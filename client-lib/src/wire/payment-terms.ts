import type { Address } from './address';

/** The header of a 402 answer: base64url of the JSON `PaymentTerms` (the same JSON is the body). */
export const PAYMENT_REQUIRED_HEADER = 'payment-required';
/** The header of a served paid call: what was charged and the cumulative amount now held. */
export const RECEIPT_HEADER = 'payment-receipt';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const PAYMENT_SCHEME = 'chanpay-channel-v1';

/** What a provider asks for, in machine-readable form. All amounts are decimal strings of wei (or token units). */
export interface PaymentTerms {
  scheme: typeof PAYMENT_SCHEME;
  /** Price of this call. */
  price: string;
  provider: Address;
  contract: Address;
  chainId: string;
  token: Address;
  minDeposit: string;
  /** The shortest challenge period (seconds) the provider accepts. */
  minChallengePeriod: number;
  /** Present when the provider takes prepaid tickets: a voucher may pay up to `maxCalls` calls ahead. */
  prepay?: { maxCalls: number };
  /** Why the call was not served, when a voucher was sent. */
  reason?: { code: string; message: string };
  /** The latest voucher the provider holds for the channel the caller used, if any. */
  channel?: { channelId: string; acceptedAmount: string; signature: string | null };
}

export interface Receipt {
  channelId: string;
  /** The voucher's cumulative amount that is now the provider's latest. */
  amount: bigint;
  /** What this call cost. */
  price: bigint;
}

export function encodeTerms(terms: PaymentTerms): string {
  return Buffer.from(JSON.stringify(terms), 'utf8').toString('base64url');
}

export function decodeTerms(header: string): PaymentTerms | null {
  if (header.length > 8192) return null;
  try {
    const value = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as PaymentTerms;
    return value && value.scheme === PAYMENT_SCHEME ? value : null;
  } catch {
    return null;
  }
}

/** Receipt header form: `<channelId>.<cumulativeAmount>.<price>`. */
export function encodeReceipt(r: Receipt): string {
  return `${r.channelId}.${r.amount}.${r.price}`;
}

export function decodeReceipt(header: string): Receipt | null {
  const m = /^(0x[0-9a-f]{64})\.(\d{1,78})\.(\d{1,78})$/.exec(header);
  return m ? { channelId: m[1]!, amount: BigInt(m[2]!), price: BigInt(m[3]!) } : null;
}
