import type { ChannelTerms } from '../channel-terms';
import { addressWord, bufferToHex, hexToBuffer, uint256Word } from './bytes';
import { keccak256 } from './keccak';

/** The channel id: keccak256(abi.encode(terms)), as the contract computes it. */
export function channelIdOf(terms: ChannelTerms): string {
  return bufferToHex(
    keccak256(
      addressWord(terms.consumer),
      addressWord(terms.provider),
      addressWord(terms.signer),
      addressWord(terms.token),
      uint256Word(BigInt(terms.challengePeriod)),
      hexToBuffer(terms.salt),
    ),
  );
}
