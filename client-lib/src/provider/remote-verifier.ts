import { randomUUID } from 'node:crypto';
import { ChanpayError, type Voucher } from '@chanpay/protocol';
import type { PaymentServerClient } from '../payment-server-client';
import type { AcceptedVoucher, HeldVoucher, VoucherVerifier } from './verifier';
import { VerifyCoalescer } from './verify-coalescer';

/**
 * The thesis topology: every call is verified and recorded by the provider's payment server; concurrent calls'
 * verifications share requests (`VerifyCoalescer`).
 */
export class RemoteVerifier implements VoucherVerifier {
  readonly mode = 'remote' as const;
  readonly opensBlocks = false;

  private readonly coalescer: VerifyCoalescer;

  constructor(private readonly server: PaymentServerClient) {
    this.coalescer = new VerifyCoalescer(server);
  }

  /**
   * Each verification goes to the server under a key of its own, never the caller's Idempotency-Key: the server
   * keeps keys forever, so under the caller's key a repeat that the provider has forgotten (restart, expiry) would
   * be answered "accepted" again and served free. Repeats the provider remembers never get here. The key still
   * lets the client resend a request whose answer was lost without paying twice; in a batch each call keeps its
   * own key, so a batch is as safe to resend and a repeat in it is answered as the single route would.
   */
  async accept(voucher: Voucher, header: string, price: bigint, origin?: string): Promise<AcceptedVoucher> {
    const res = await this.coalescer.verify(header, price, randomUUID(), origin);
    return {
      channelId: res.channelId ?? voucher.channelId,
      amount: BigInt(res.amount ?? voucher.amount),
      price: BigInt(res.price ?? price),
    };
  }

  async latest(channelId: string): Promise<HeldVoucher | null> {
    try {
      const held = await this.server.latestVoucher(channelId);
      return held ? { channelId, amount: BigInt(held.amount), signature: held.signature } : null;
    } catch (e) {
      if (e instanceof ChanpayError) return null;
      throw e;
    }
  }

  async flush(): Promise<void> {
    await this.coalescer.idle();
  }

  async stop(): Promise<void> {
    await this.coalescer.idle();
  }
}
