import { hexlify, randomBytes } from 'ethers';
import { ZERO_ADDRESS, termsTuple, type Address, type ChannelTerms } from '@chanpay/protocol';
import { VoucherHasher, channelIdOf, hexToBuffer, signDigest } from '@chanpay/protocol/node';

export function randomSalt(): string {
  return hexlify(randomBytes(32));
}

/** Terms with a fresh salt and, unless given, ETH and a one-hour challenge period. */
export function makeTerms(
  parties: { consumer: string; provider: string; signer: string },
  overrides: Partial<ChannelTerms> = {},
): ChannelTerms {
  return {
    consumer: parties.consumer.toLowerCase() as Address,
    provider: parties.provider.toLowerCase() as Address,
    signer: parties.signer.toLowerCase() as Address,
    token: ZERO_ADDRESS,
    challengePeriod: 3600,
    salt: randomSalt(),
    ...overrides,
  };
}

/** Signs a voucher with the project's own wire code (native secp256k1 over the precomputed-domain digest). */
export function signVoucher(hasher: VoucherHasher, channelId: string, amount: bigint, privateKey: string): string {
  return signDigest(hasher.digest(channelId, amount), hexToBuffer(privateKey));
}

/** A `claimBatch` entry for the contract: terms tuple, cumulative amount, signature. */
export function claimEntry(terms: ChannelTerms, amount: bigint, signature: string) {
  return [termsTuple(terms), amount, signature] as const;
}

export { channelIdOf, termsTuple, VoucherHasher };
