import {
  PAYMENT_REQUIRED_HEADER,
  RECEIPT_HEADER,
  decodeReceipt,
  decodeTerms,
  termsFromJson,
  type PaymentTerms,
  type Receipt,
} from '@chanpay/protocol';
import { neverSent } from '../payment-server-client';

/**
 * What the provider's answer to one paid attempt means for the payment that went with it. Only a 402 and a
 * 503 need their body read (`readTerms`, `readError`); everything else is decided by status and receipt.
 */
export type ProviderAnswer =
  /** Charged and answered (any status but 402 and the 503 below): the receipt of the paying channel. */
  | { readonly kind: 'served'; readonly receipt: Receipt }
  /** 402: not served; `terms.reason` says why the payment was refused (none: no payment was sent). */
  | { readonly kind: 'refused'; readonly terms: PaymentTerms }
  /** 402 without terms we can read: the call cannot be paid. */
  | { readonly kind: 'terms-unreadable' }
  /**
   * 503 PAYMENT_SERVER_UNAVAILABLE: the provider could not use its payment server. `accepted`: it took the
   * voucher anyway and stores it later (local sync mode), so it is spent. `receipt`: a handler answered this
   * itself, after the call was charged.
   */
  | { readonly kind: 'not-stored'; readonly accepted: boolean; readonly receipt: Receipt | null }
  /** Another 5xx without a receipt: the handler failed, possibly after the payment was accepted. */
  | { readonly kind: 'server-error' }
  /** Any other answer without a receipt (4xx, a 503 for another reason, a free route): nothing was taken. */
  | { readonly kind: 'not-charged' };

/** A request that got no answer; `never-sent`: it provably never left this process (connection refused). */
export type NoAnswer = { readonly kind: 'never-sent' } | { readonly kind: 'no-answer' };

/** Everything one attempt can end in. */
export type AttemptOutcome = ProviderAnswer | NoAnswer;

/** The `error` member of a JSON error answer, as far as the consumer reads it. */
export interface AnswerError {
  code: string;
  details?: Record<string, unknown>;
}

const TERMS_UNREADABLE: ProviderAnswer = { kind: 'terms-unreadable' };
const SERVER_ERROR: ProviderAnswer = { kind: 'server-error' };
const NOT_CHARGED: ProviderAnswer = { kind: 'not-charged' };
const NEVER_SENT: NoAnswer = { kind: 'never-sent' };
const NO_ANSWER: NoAnswer = { kind: 'no-answer' };

/**
 * Classifies an answer. `receipt`: its receipt if it names the paying channel; `terms`: of a 402;
 * `error`: of a 503. The 503 comes before the receipt, as a provider that could not store the voucher is
 * retried with the same one (under an idempotency key) even if a handler sent a receipt.
 */
export function classifyAnswer(
  status: number,
  receipt: Receipt | null,
  terms: PaymentTerms | null,
  error: AnswerError | null,
): ProviderAnswer {
  if (status === 402) return terms ? { kind: 'refused', terms } : TERMS_UNREADABLE;
  if (status === 503 && error?.code === 'PAYMENT_SERVER_UNAVAILABLE')
    return { kind: 'not-stored', accepted: Boolean(error.details?.accepted), receipt };
  if (receipt) return { kind: 'served', receipt };
  return status >= 500 && status !== 503 ? SERVER_ERROR : NOT_CHARGED;
}

export function classifySendError(e: unknown): NoAnswer {
  return neverSent(e) ? NEVER_SENT : NO_ANSWER;
}

/**
 * Whether the provider may hold the payment after this answer, so that the block it opened is kept: without a
 * receipt too when its handler failed after accepting the voucher (a 5xx), as a refused ticket costs a round
 * trip and a dropped block its money. Refusals before acceptance are 402s, 503s and 4xx, which open no block.
 */
export function mayHoldPayment(answer: ProviderAnswer): boolean {
  return answer.kind === 'server-error' || receiptIn(answer) !== null;
}

/** The paying channel's receipt that came with the answer, if any. */
export function receiptIn(answer: ProviderAnswer): Receipt | null {
  return answer.kind === 'served' || answer.kind === 'not-stored' ? answer.receipt : null;
}

/** Whether the payment provably was not taken (not served, not charged, not kept to be stored later). */
export function notTaken(answer: ProviderAnswer): boolean {
  return answer.kind === 'not-stored' && !answer.accepted && answer.receipt === null;
}

/** The receipt of a paid response, if it has one. */
export function receiptOf(res: Response): Receipt | null {
  const known = receipts.get(res);
  if (known !== undefined) return known;
  const header = res.headers.get(RECEIPT_HEADER);
  return header ? decodeReceipt(header) : null;
}

/** Receipts already decoded by the consumer, so that the caller's `receiptOf` does not parse them again. */
const receipts = new WeakMap<Response, Receipt | null>();

/** The receipt if it is the paying channel's (decoded once: `receiptOf` returns it too). */
export function receiptFor(res: Response, channelId: string): Receipt | null {
  const header = res.headers.get(RECEIPT_HEADER);
  const receipt = header ? decodeReceipt(header) : null;
  receipts.set(res, receipt);
  return receipt && receipt.channelId === channelId ? receipt : null;
}

/** A 402's terms, from its header or else its body (which is read either way). */
export async function readTerms(res: Response): Promise<PaymentTerms | null> {
  const header = res.headers.get(PAYMENT_REQUIRED_HEADER);
  const fromHeader = header ? decodeTerms(header) : null;
  if (fromHeader) {
    await drain(res);
    return fromHeader;
  }
  return termsFromJson(await res.text().catch(() => ''));
}

/** The error of a JSON error answer, read from a copy so that the caller still gets the whole body. */
export async function readError(res: Response): Promise<AnswerError | null> {
  try {
    const body = (await res.clone().json()) as { error?: { code?: unknown; details?: unknown } };
    if (typeof body?.error?.code !== 'string') return null;
    const details = body.error.details;
    return {
      code: body.error.code,
      details: typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : undefined,
    };
  } catch {
    return null;
  }
}

export async function drain(res: Response): Promise<void> {
  await res.arrayBuffer().catch(() => undefined);
}
