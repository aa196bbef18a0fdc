/** Unspent vouchers one call may try before it signs a new one (each refusal of one costs a round trip). */
export const MAX_SPARE_VOUCHERS_PER_CALL = 2;
/** Refused tickets one call may get before it pays with a voucher for itself alone. */
export const MAX_TICKET_REFUSALS_PER_CALL = 3;
/** Times one call waits for another call's block before it opens one itself. */
export const MAX_BLOCK_WAITS_PER_CALL = 2;
/** Times one call sends its payment again after a 503 PAYMENT_SERVER_UNAVAILABLE (only under an idempotency key). */
export const MAX_503_RETRIES_PER_CALL = 1;

/**
 * What one call may still try, each kind counted apart. Every round of the consumer's loop spends from one of
 * them or ends the call (the unpaid first try happens once, as its 402 makes the terms known; a repeated payment
 * comes from the caller's key once or from a 503 retry), so a call always ends.
 */
export class CallBudget {
  /** Vouchers this call may still sign (`maxAttempts`); a refused one is followed by a corrected one. */
  paidAttempts: number;
  spareVouchers = MAX_SPARE_VOUCHERS_PER_CALL;
  ticketRefusals = MAX_TICKET_REFUSALS_PER_CALL;
  blockWaits = MAX_BLOCK_WAITS_PER_CALL;
  retries503 = MAX_503_RETRIES_PER_CALL;
  /** Why the last payment was refused (the provider's reason, or our payment server's), for the final error. */
  lastRefusal: { code: string; message: string } | undefined = undefined;

  constructor(readonly maxPaidAttempts: number) {
    this.paidAttempts = maxPaidAttempts;
  }

  get paidAttemptsUsed(): number {
    return this.maxPaidAttempts - this.paidAttempts;
  }
}
