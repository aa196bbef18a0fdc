import type { Voucher } from '../voucher';
import type { VoucherHasher } from './eip712';
import { recoverSigner, signDigest, type RecoverResult } from './signature';

/** Signs vouchers for one domain with one key, reusing the precomputed domain separator. */
export class VoucherSigner {
  constructor(
    private readonly hasher: VoucherHasher,
    private readonly privateKey: Uint8Array,
  ) {}

  sign(channelId: string, amount: bigint): Voucher {
    const { chainId, contract } = this.hasher.domain;
    const signature = signDigest(this.hasher.digest(channelId, amount), this.privateKey);
    return { chainId, contract, channelId: channelId.toLowerCase(), amount, signature };
  }
}

/** The address that signed a voucher, or why none could be recovered. */
export function voucherSigner(hasher: VoucherHasher, v: Voucher): RecoverResult {
  return recoverSigner(hasher.digest(v.channelId, v.amount), v.signature);
}
