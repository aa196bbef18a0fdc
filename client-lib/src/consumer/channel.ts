import type { Address, ChannelTerms } from '@chanpay/protocol';

/** The consumer's view of one of its channels (what `PaymentConsumer.channels()` shows; `ChannelWallet` holds it). */
export interface ConsumerChannel {
  id: string;
  provider: Address;
  terms: ChannelTerms;
  deposit: bigint;
  /** The highest cumulative amount signed so far (local), or seen from the payment server (remote). */
  signed: bigint;
  state: 'open' | 'closing' | 'settled';
  /** ms since epoch when this process opened or adopted the channel. */
  adoptedAt: number;
  /** Whether it was opened by this process (false: an open channel found at the payment server). */
  openedHere: boolean;
  /** Calls answered with a receipt, and their prices summed. */
  calls: number;
  paid: bigint;
  topUp: Promise<void> | null;
  /**
   * Vouchers signed for calls that were not served and not charged: the request never left this process
   * (connection refused), or the provider answered 503 PAYMENT_SERVER_UNAVAILABLE without a receipt. The next calls
   * on the channel use them instead of signing more (the provider's range rule accepts each range once). Lowest first.
   * Read-only: the channel's wallet hands them out.
   */
  readonly unspent: readonly UnspentVoucher[];
  /**
   * Blocks of prepaid calls (prepaid tickets): confirmed ones hand out tickets, pending ones await their answer.
   * Read-only: the channel's wallet hands out their tickets.
   */
  readonly blocks: readonly PrepaidBlock[];
}

export interface UnspentVoucher {
  header: string;
  amount: bigint;
  /** What the voucher adds to the channel: one call's price, or a whole block's. */
  price: bigint;
  /** The block it opens, when it prepays calls. */
  block?: PrepaidBlock;
}

/** Calls paid ahead by one voucher; call i > 0 is paid by revealing `links[i]`. */
export interface PrepaidBlock {
  /** The voucher's cumulative amount: the block's id within its channel. */
  amount: bigint;
  /** Price of one call. */
  price: bigint;
  calls: number;
  /** The hash chain; `links[0]` is the anchor sent with the voucher. */
  links: string[];
  /** The next ticket never handed out. */
  next: number;
  /** Tickets handed out but never sent (the request did not leave this process): handed out again first. */
  returned: number[];
  /** The provider answered the voucher's call with a receipt: its tickets may be used. */
  confirmed: boolean;
  /** While pending: resolves when the block is confirmed or given up (calls without a ticket wait for it). */
  settled?: Promise<void>;
  settle?: () => void;
}

/** Tickets of a block that can still be handed out: none while its voucher's answer is awaited. */
export function ticketsLeft(block: PrepaidBlock): number {
  return block.confirmed ? block.calls - block.next + block.returned.length : 0;
}
