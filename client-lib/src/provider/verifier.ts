import type { Voucher } from '@chanpay/protocol';
import type { PrepaidBlock } from './state/provider-state';

export interface AcceptedVoucher {
  channelId: string;
  /** The cumulative amount of the voucher this call was charged against. */
  amount: bigint;
  price: bigint;
}

export interface HeldVoucher {
  channelId: string;
  amount: bigint;
  signature: string;
}

/**
 * Decides whether one voucher pays for one call. `local` checks in process against cached channel state,
 * `remote` asks the provider's payment server. Both throw a `ChanpayError` with a voucher code on refusal.
 */
export interface VoucherVerifier {
  readonly mode: 'local' | 'remote';
  /** `origin`: the call's root caller; the remote verifier has the payment server record the charge under it. */
  /**
   * `block`: the prepaid block this voucher opens; a verifier on the shared state opens it with the range, in one
   * transaction (`opensBlocks`), the others leave it to the caller.
   */
  accept(voucher: Voucher, header: string, price: bigint, origin?: string, block?: PrepaidBlock): Promise<AcceptedVoucher>;
  /** Whether `accept` opened the block it was given. */
  readonly opensBlocks: boolean;
  /** The highest voucher this provider holds for the channel, to tell a consumer where to resume. */
  latest(channelId: string): Promise<HeldVoucher | null>;
  /** Makes every accepted voucher durable at the payment server. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}
