import { PREPAY_HEADER, TICKET_HEADER, VOUCHER_HEADER } from '@chanpay/protocol';
import type { PrepaidBlock, UnspentVoucher } from './channel';
import type { ChannelWallet } from './channel-wallet';

/** What goes with one attempt of a call. */
export type Payment = Unpaid | TicketPayment | VoucherPayment | RepeatedPayment;

/** The payments a channel's wallet hands out (and takes back when they were provably not spent). */
export type ChannelPayment = TicketPayment | VoucherPayment;

/** Nothing: the route's terms are not known yet, and the provider's 402 will name them. */
export interface Unpaid {
  readonly kind: 'unpaid';
}

export const UNPAID: Unpaid = { kind: 'unpaid' };

/** One prepaid call of a confirmed block: `header` reveals the block's link number `index`. */
export interface TicketPayment {
  readonly kind: 'ticket';
  readonly header: string;
  readonly block: PrepaidBlock;
  readonly index: number;
}

/**
 * A signed voucher: for one call, or (with `block` and its `prepay` header) for a block of calls whose tickets
 * pay the next ones. `price` is what it adds to the channel: one call's price or the whole block's.
 */
export interface VoucherPayment extends UnspentVoucher {
  readonly kind: 'voucher';
  readonly prepay: string | undefined;
}

/**
 * A payment sent again as it was, under the same idempotency key: the caller retrying its call, or a 503
 * retried by the consumer. The provider answers it like the first (not charged twice); the consumer never takes
 * it back, since the first attempt may have spent it.
 */
export interface RepeatedPayment {
  readonly kind: 'repeat';
  readonly of: ChannelPayment;
  readonly channel: ChannelWallet;
  readonly route: string;
}

/** The block a voucher opens (also when it is sent again), whose tickets depend on the answer. */
export function blockOpenedBy(payment: Payment): PrepaidBlock | undefined {
  const sent = payment.kind === 'repeat' ? payment.of : payment;
  return sent.kind === 'voucher' ? sent.block : undefined;
}

/** Sets the payment headers of an attempt, and removes those of an earlier attempt that this one does not send. */
export function setPaymentHeaders(headers: Headers, payment: Payment): void {
  const sent = payment.kind === 'repeat' ? payment.of : payment;
  setOrDelete(headers, VOUCHER_HEADER, sent.kind === 'voucher' ? sent.header : undefined);
  setOrDelete(headers, PREPAY_HEADER, sent.kind === 'voucher' ? sent.prepay : undefined);
  setOrDelete(headers, TICKET_HEADER, sent.kind === 'ticket' ? sent.header : undefined);
}

function setOrDelete(headers: Headers, name: string, value: string | undefined): void {
  if (value) headers.set(name, value);
  else headers.delete(name);
}
