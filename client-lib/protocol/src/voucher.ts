import { isHex } from './hex';
import { isAddress, normalizeAddress, type Address } from './address';
import { DECIMAL_RE, MAX_UINT256 } from './amount';

/** A signed promise to pay: the channel's total owed to the provider so far (cumulative, in wei or token units). */
export interface Voucher {
  chainId: bigint;
  contract: Address;
  channelId: string;
  amount: bigint;
  signature: string;
}

export const VOUCHER_WIRE_VERSION = '1';
/** Longest header we parse; anything longer is rejected before any work is done. */
export const MAX_VOUCHER_HEADER_LENGTH = 512;

export type VoucherParseError = 'MALFORMED_VOUCHER' | 'VOUCHER_TOO_LARGE' | 'UNSUPPORTED_VOUCHER_VERSION';

export type DecodedVoucher = { ok: true; voucher: Voucher } | { ok: false; code: VoucherParseError; message: string };

/**
 * Header form: `1.<chainId>.<contract>.<channelId>.<cumulativeAmount>.<signature>`, with decimal numbers and
 * 0x-hex for the rest. The chain and contract travel with the voucher so that a provider can tell a voucher
 * for another chain or contract ("wrong domain") from a forged one.
 */
export function encodeVoucher(v: Voucher): string {
  return [VOUCHER_WIRE_VERSION, v.chainId.toString(), v.contract, v.channelId, v.amount.toString(), v.signature].join('.');
}

const SHAPE = 'expected 1.<chainId>.<contract>.<channelId>.<amount>.<signature>';

export function decodeVoucher(header: string): DecodedVoucher {
  if (header.length > MAX_VOUCHER_HEADER_LENGTH) {
    return { ok: false, code: 'VOUCHER_TOO_LARGE', message: `voucher longer than ${MAX_VOUCHER_HEADER_LENGTH} characters` };
  }
  const parts = header.trim().split('.');
  if (parts[0] !== VOUCHER_WIRE_VERSION) {
    if (parts.length === 6) {
      return { ok: false, code: 'UNSUPPORTED_VOUCHER_VERSION', message: `voucher version must be ${VOUCHER_WIRE_VERSION}` };
    }
    return malformed(SHAPE);
  }
  if (parts.length !== 6) return malformed(SHAPE);
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
