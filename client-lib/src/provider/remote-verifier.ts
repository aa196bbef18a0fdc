import { ChanpayError } from '../wire/errors';
import type { Voucher } from '../wire/voucher';
import type { PaymentServerClient } from '../payment-server-client';
import type { AcceptedVoucher, HeldVoucher, VoucherVerifier } from './verifier';

/** The thesis topology: every call is verified and recorded by the provider's payment server. */
export class RemoteVerifier implements VoucherVerifier {
  readonly mode = 'remote' as const;

  constructor(private readonly server: PaymentServerClient) {}

  async accept(v: Voucher, header: string, price: bigint, idempotencyKey?: string): Promise<AcceptedVoucher> {
    const res = await this.server.verifyVoucher(header, price, idempotencyKey);
    return { channelId: res.channelId ?? v.channelId, amount: BigInt(res.amount ?? v.amount), price: BigInt(res.price ?? price) };
  }

  async latest(channelId: string): Promise<HeldVoucher | null> {
    try {
      const v = await this.server.latestVoucher(channelId);
      return v ? { channelId, amount: BigInt(v.amount), signature: v.signature } : null;
    } catch (e) {
      if (e instanceof ChanpayError) return null;
      throw e;
    }
  }

  async flush(): Promise<void> {}

  async stop(): Promise<void> {}
}
