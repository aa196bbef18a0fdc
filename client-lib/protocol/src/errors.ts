/**
 * Every error code that a payment server or a paid endpoint returns, with its HTTP status.
 * Body shape everywhere: `{ "error": { "code": "...", "message": "..." } }`. Codes are stable: add, never rename.
 */
export const ERROR_STATUS = {
  // request shape
  VALIDATION_ERROR: 400,
  MALFORMED_JSON: 400,
  PAYLOAD_TOO_LARGE: 413,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** The `baggage` header is beyond the W3C limits or its `chanpay.origin` is not a valid origin id (origin.ts). */
  MALFORMED_BAGGAGE: 400,
  // authentication and authorisation
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  // vouchers (a paid endpoint answers these with 402; the payment server's verify endpoint with the status here)
  PAYMENT_REQUIRED: 402,
  MALFORMED_VOUCHER: 400,
  VOUCHER_TOO_LARGE: 400,
  UNSUPPORTED_VOUCHER_VERSION: 400,
  WRONG_DOMAIN: 409,
  UNKNOWN_CHANNEL: 404,
  CHANNEL_CLOSING: 409,
  CHANNEL_CLOSED: 409,
  BAD_SIGNATURE: 401,
  SIGNER_MISMATCH: 401,
  WRONG_PROVIDER: 409,
  AMOUNT_TOO_LOW: 409,
  AMOUNT_EXCEEDS_DEPOSIT: 409,
  TERMS_NOT_ACCEPTED: 409,
  // prepaid tickets (answered with 402 by a paid endpoint, like the voucher codes)
  MALFORMED_TICKET: 400,
  BAD_TICKET: 401,
  TICKET_USED: 409,
  UNKNOWN_TICKET_BLOCK: 409,
  // channel operations
  NOT_CHANNEL_PARTY: 403,
  INVALID_STATE: 409,
  NOTHING_TO_CLAIM: 409,
  INSUFFICIENT_FUNDS: 409,
  CONTRACT_REVERT: 409,
  IDEMPOTENCY_CONFLICT: 409,
  // dependencies
  CHAIN_UNAVAILABLE: 503,
  PAYMENT_SERVER_UNAVAILABLE: 503,
  /** The payment server cannot reach its database (PostgreSQL down or restarting); try again. */
  STORE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * How a consumer reads a refusal of its payment, by group. One code may be in several groups.
 */
export const ERROR_GROUPS = {
  /** A paid endpoint answers these with 402 and its terms, so that the consumer can pay correctly. */
  PAYMENT_REFUSED: [
    'PAYMENT_REQUIRED',
    'MALFORMED_VOUCHER',
    'VOUCHER_TOO_LARGE',
    'UNSUPPORTED_VOUCHER_VERSION',
    'WRONG_DOMAIN',
    'UNKNOWN_CHANNEL',
    'CHANNEL_CLOSING',
    'CHANNEL_CLOSED',
    'BAD_SIGNATURE',
    'SIGNER_MISMATCH',
    'WRONG_PROVIDER',
    'NOT_CHANNEL_PARTY',
    'AMOUNT_TOO_LOW',
    'AMOUNT_EXCEEDS_DEPOSIT',
    'TERMS_NOT_ACCEPTED',
    'MALFORMED_TICKET',
    'BAD_TICKET',
    'TICKET_USED',
    'UNKNOWN_TICKET_BLOCK',
  ],
  /** Trying again cannot help: a bug or a configuration that does not match. */
  FATAL: ['MALFORMED_VOUCHER', 'VOUCHER_TOO_LARGE', 'UNSUPPORTED_VOUCHER_VERSION', 'BAD_SIGNATURE', 'WRONG_DOMAIN'],
  /** The channel cannot be used any more: the consumer opens or finds another. */
  CHANNEL_GONE: ['CHANNEL_CLOSING', 'CHANNEL_CLOSED', 'WRONG_PROVIDER', 'NOT_CHANNEL_PARTY', 'TERMS_NOT_ACCEPTED', 'SIGNER_MISMATCH'],
  /** The caller demonstrably holds a valid voucher of the channel, so the provider may show it the latest it holds. */
  SHOWS_LATEST: ['AMOUNT_TOO_LOW', 'AMOUNT_EXCEEDS_DEPOSIT', 'CHANNEL_CLOSING'],
  /** The provider did not take the voucher but will take it later (a top-up or an open it has not seen yet): it stays usable. */
  NOT_TAKEN_YET: ['AMOUNT_EXCEEDS_DEPOSIT', 'UNKNOWN_CHANNEL'],
} as const satisfies Record<string, readonly ErrorCode[]>;

export type ErrorGroup = keyof typeof ERROR_GROUPS;

const groupSets = {} as Record<ErrorGroup, ReadonlySet<string>>;
for (const name of Object.keys(ERROR_GROUPS) as ErrorGroup[]) groupSets[name] = new Set<string>(ERROR_GROUPS[name]);

/** Whether `code` (any string a peer sent) belongs to the group. */
export function inErrorGroup(group: ErrorGroup, code: string): boolean {
  return groupSets[group].has(code);
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);
}

/** The stable error code in a peer's error body (`{"error":{"code":…}}`), or null when the body has none. */
export function errorCodeOfBody(text: string): ErrorCode | null {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } } | null)?.error?.code;
    return isErrorCode(code) ? code : null;
  } catch {
    return null;
  }
}

/** An error that carries a stable code; its HTTP status comes from the table above. */
export class ChanpayError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ChanpayError';
    this.status = ERROR_STATUS[code];
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}
