import { isHex } from './hex';
import { isAddress, normalizeAddress, type Address } from './address';
import { VoucherHasher } from './eip712';
import { recoverSigner, signDigest } from './signature';

/** A signed promise to pay: the channel's total owed to the provider so far (cumulative, in wei or token units). */
export interface Voucher {
  chainId: bigint;
  contract: Address;
  channelId: string;
  amount: bigint;
  signature: string;
}

/** The HTTP header that carries a voucher on a paid call. */
export const VOUCHER_HEADER = 'payment-voucher';
export const VOUCHER_WIRE_VERSION = '1';
/** Longest header we parse; anything longer is rejected before any work is done. */
export const MAX_VOUCHER_HEADER_LENGTH = 512;
export const MAX_UINT256 = (1n << 256n) - 1n;

export type VoucherParseError =
  | 'MALFORMED_VOUCHER'
  | 'VOUCHER_TOO_LARGE'
  | 'UNSUPPORTED_VOUCHER_VERSION';

/**
 * Header form: `1.<chainId>.<contract>.<channelId>.<cumulativeAmount>.<signature>`, with decimal numbers and
 * 0x-hex for the rest. The chain and contract travel with the voucher so that a provider can tell a voucher
 * for another chain or contract ("wrong domain") from a forged one.
 */
export function encodeVoucher(v: Voucher): string {
  return [VOUCHER_WIRE_VERSION, v.chainId.toString(), v.contract, v.channelId, v.amount.toString(), v.signature].join(
    '.',
  );
}

const DECIMAL_RE = /^(0|[1-9][0-9]{0,77})$/;

export function decodeVoucher(header: string): { ok: true; voucher: Voucher } | { ok: false; code: VoucherParseError; message: string } {
  if (header.length > MAX_VOUCHER_HEADER_LENGTH) {
    return { ok: false, code: 'VOUCHER_TOO_LARGE', message: `voucher longer than ${MAX_VOUCHER_HEADER_LENGTH} characters` };
  }
  const parts = header.trim().split('.');
  if (parts[0] !== VOUCHER_WIRE_VERSION) {
    if (parts.length === 6) {
      return { ok: false, code: 'UNSUPPORTED_VOUCHER_VERSION', message: `voucher version must be ${VOUCHER_WIRE_VERSION}` };
    }
    return malformed('expected 1.<chainId>.<contract>.<channelId>.<amount>.<signature>');
  }
  if (parts.length !== 6) return malformed('expected 1.<chainId>.<contract>.<channelId>.<amount>.<signature>');
  const [, chainId, contract, channelId, amount, signature] = parts as [string, string, string, string, string, string];
  if (!DECIMAL_RE.test(chainId)) return malformed('chain id must be a decimal integer');
  if (!isAddress(contract)) return malformed('contract must be a 20-byte hex address');
  if (!isHex(channelId, 32)) return malformed('channel id must be 32 bytes of hex');
  if (!DECIMAL_RE.test(amount)) return malformed('amount must be a decimal integer');
  const value = BigInt(amount);
  if (value > MAX_UINT256) return malformed('amount exceeds uint256');
  if (!isHex(signature, 65)) return malformed('signature must be 65 bytes of hex');
  return {
    ok: true,
    voucher: {
      chainId: BigInt(chainId),
      contract: normalizeAddress(contract),
      channelId: channelId.toLowerCase(),
      amount: value,
      signature: signature.toLowerCase(),
    },
  };
}

function malformed(message: string): { ok: false; code: 'MALFORMED_VOUCHER'; message: string } {
  return { ok: false, code: 'MALFORMED_VOUCHER', message };
}

/** Signs vouchers for one domain with one key, reusing the precomputed domain separator. */
export class VoucherSigner {
  private readonly hasher: VoucherHasher;

  constructor(
    hasher: VoucherHasher,
    private readonly privateKey: Uint8Array,
  ) {
    this.hasher = hasher;
  }

  sign(channelId: string, amount: bigint): Voucher {
    const { chainId, contract } = this.hasher.domain;
    const signature = signDigest(this.hasher.digest(channelId, amount), this.privateKey);
    return { chainId, contract, channelId: channelId.toLowerCase(), amount, signature };
  }
}

/** The address that signed a voucher, or why none could be recovered. */
export function voucherSigner(hasher: VoucherHasher, v: Voucher) {
  return recoverSigner(hasher.digest(v.channelId, v.amount), v.signature);
}
