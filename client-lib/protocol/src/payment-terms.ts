import type { Address } from './address';
import { base64urlToUtf8, utf8ToBase64url } from './base64url';

export const PAYMENT_SCHEME = 'chanpay-channel-v1';

/** What a provider asks for in a 402, in machine-readable form. All amounts are decimal strings of wei (or token units). */
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

const MAX_TERMS_HEADER_LENGTH = 8192;

export function encodeTerms(terms: PaymentTerms): string {
  return utf8ToBase64url(JSON.stringify(terms));
}

export function decodeTerms(header: string): PaymentTerms | null {
  if (header.length > MAX_TERMS_HEADER_LENGTH) return null;
  const text = base64urlToUtf8(header);
  if (text === null) return null;
  return termsFromJson(text);
}

/** Terms from a 402 body (the same JSON as the header), or null when it holds none of our scheme. */
export function termsFromJson(text: string): PaymentTerms | null {
  try {
    const value = JSON.parse(text) as PaymentTerms;
    return value && value.scheme === PAYMENT_SCHEME ? value : null;
  } catch {
    return null;
  }
}
