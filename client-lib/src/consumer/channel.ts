import type { Address } from '../wire/address';
import type { ChannelTerms } from '../wire/terms';

/** The consumer's view of one of its channels. */
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
   */
  unspent: { header: string; amount: bigint; price: bigint }[];
}
