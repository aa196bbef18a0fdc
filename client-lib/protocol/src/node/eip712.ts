import { addressWord, uint256Word, hexToBuffer } from './bytes';
import { keccak256, keccak256Utf8 } from './keccak';
import type { Address } from '../address';

/** The EIP-712 domain of the PaymentChannels contract: name, version, chain id, contract address. */
export const DOMAIN_NAME = 'PaymentChannels';
export const DOMAIN_VERSION = '1';
export const VOUCHER_TYPE = 'Voucher(bytes32 channelId,uint256 cumulativeAmount)';
/** The same types in the form ethers and wallets take for `signTypedData`. */
export const VOUCHER_TYPES = {
  Voucher: [
    { name: 'channelId', type: 'bytes32' },
    { name: 'cumulativeAmount', type: 'uint256' },
  ],
} as const;

const DOMAIN_TYPEHASH = keccak256Utf8('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)');
const VOUCHER_TYPEHASH = keccak256Utf8(VOUCHER_TYPE);
const NAME_HASH = keccak256Utf8(DOMAIN_NAME);
const VERSION_HASH = keccak256Utf8(DOMAIN_VERSION);
const PREFIX = Buffer.from([0x19, 0x01]);

export interface VoucherDomain {
  chainId: bigint;
  contract: Address;
}

/**
 * A domain with its separator computed once. Hashing a voucher then costs two short keccaks (a few µs)
 * instead of ethers' TypedDataEncoder (about 200 µs).
 */
export class VoucherHasher {
  readonly separator: Buffer;

  constructor(readonly domain: VoucherDomain) {
    this.separator = keccak256(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, uint256Word(domain.chainId), addressWord(domain.contract));
  }

  /** The 32-byte digest the voucher signer signs. `channelId` is a 0x-prefixed 32-byte hex string. */
  digest(channelId: string, cumulativeAmount: bigint): Buffer {
    const structHash = keccak256(VOUCHER_TYPEHASH, hexToBuffer(channelId), uint256Word(cumulativeAmount));
    return keccak256(PREFIX, this.separator, structHash);
  }
}
