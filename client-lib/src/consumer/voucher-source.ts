import { ChanpayError, encodeVoucher, isHex, type Address } from '@chanpay/protocol';
import { VoucherSigner, addressOfPrivateKey, hexToBuffer } from '@chanpay/protocol/node';
import type { PaymentServerClient } from '../payment-server-client';
import type { PaymentContext } from '../context';
import type { ConsumerChannel } from './channel';

export interface SignedNext {
  header: string;
  amount: bigint;
}

/** Where a consumer's vouchers come from: its own hot key (`local`) or its payment server (`remote`). */
export interface VoucherSource {
  readonly mode: 'local' | 'remote';
  /** The address vouchers recover to; a channel is only usable if its `signer` is this. */
  readonly signer: Address;
  /** Signs the channel's next voucher (`signed + price`) and returns its header and cumulative amount. */
  next(ch: ConsumerChannel, price: bigint, origin?: string): Promise<SignedNext>;
}

/**
 * Signs in process with the service's hot voucher key. Reading `signed`, adding the price and storing it
 * happen in one synchronous step, so concurrent calls always get distinct cumulative amounts.
 */
export class LocalVoucherSource implements VoucherSource {
  readonly mode = 'local' as const;
  readonly signer: Address;
  private readonly voucherSigner: VoucherSigner;

  constructor(ctx: PaymentContext, voucherKey: string) {
    if (!isHex(voucherKey, 32)) throw new ChanpayError('VALIDATION_ERROR', 'the voucher key must be 0x followed by 64 hex digits');
    const key = hexToBuffer(voucherKey);
    this.signer = addressOfPrivateKey(key);
    this.voucherSigner = new VoucherSigner(ctx.hasher, key);
  }

  async next(ch: ConsumerChannel, price: bigint): Promise<SignedNext> {
    const amount = ch.signed + price;
    if (amount > ch.deposit) {
      throw new ChanpayError('AMOUNT_EXCEEDS_DEPOSIT', 'the deposit does not cover this call', {
        channelId: ch.id,
        deposit: ch.deposit.toString(),
        amount: amount.toString(),
      });
    }
    ch.signed = amount;
    return { header: encodeVoucher(this.voucherSigner.sign(ch.id, amount)), amount };
  }
}

/** Asks the consumer's payment server to sign (the thesis topology); the server serializes per channel. */
export class RemoteVoucherSource implements VoucherSource {
  readonly mode = 'remote' as const;

  constructor(
    private readonly server: PaymentServerClient,
    readonly signer: Address,
  ) {}

  /** `origin` goes to the server, which records the payment under it. */
  async next(ch: ConsumerChannel, price: bigint, origin?: string): Promise<SignedNext> {
    const res = await this.server.signVoucher(ch.id, price, origin);
    const amount = BigInt(res.voucher.amount);
    if (amount > ch.signed) ch.signed = amount;
    return { header: res.header, amount };
  }
}
