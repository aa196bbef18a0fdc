/**
 * Time per voucher signature made and checked, measured in this process with the same functions the client
 * library runs on the hot path (the operations of `npm run bench:crypto`): EIP-712 digest + native sign, and
 * digest + native recover + address compare. The thesis's comparable figures are its §9.3 table.
 */
import { randomBytes } from 'node:crypto';
import type { Address } from '@chanpay/protocol';
import {
  VoucherHasher,
  addressOfPrivateKey,
  nativeCryptoLoaded,
  nativeKeccakLoaded,
  recoverSigner,
  signDigest,
} from '@chanpay/protocol/node';

export interface CryptoTimes {
  iterations: number;
  /** Mean over all rounds, and the fastest round (closer to the true cost when the CPU is shared). */
  signUs: number;
  signBestRoundUs: number;
  verifyUs: number;
  verifyBestRoundUs: number;
  nativeSecp256k1: boolean;
  nativeKeccak: boolean;
}

const ROUNDS = 5;

function timeRounds(iterations: number, fn: (i: number) => void): { meanUs: number; bestUs: number } {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn(i);
  const perRound = Math.max(1, Math.floor(iterations / ROUNDS));
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = r * perRound; i < (r + 1) * perRound; i++) fn(i);
    rounds.push(Number(process.hrtime.bigint() - t0) / 1000 / perRound);
  }
  return { meanUs: rounds.reduce((a, b) => a + b, 0) / ROUNDS, bestUs: Math.min(...rounds) };
}

export function measureCrypto(iterations: number): CryptoTimes {
  const key = randomBytes(32);
  const signer = addressOfPrivateKey(key);
  const hasher = new VoucherHasher({ chainId: 1337n, contract: ('0x' + '5f'.repeat(20)) as Address });
  const channelId = '0x' + randomBytes(32).toString('hex');
  const pool = 500;
  const signatures = Array.from({ length: pool }, (_, i) => signDigest(hasher.digest(channelId, BigInt(i + 1)), key));
  const sign = timeRounds(iterations, (i) => {
    signDigest(hasher.digest(channelId, BigInt(i + 1)), key);
  });
  const verify = timeRounds(iterations, (i) => {
    const r = recoverSigner(hasher.digest(channelId, BigInt((i % pool) + 1)), signatures[i % pool]!);
    if (!r.ok || r.address !== signer) throw new Error('a voucher did not verify');
  });
  return {
    iterations: Math.floor(iterations / ROUNDS) * ROUNDS,
    signUs: sign.meanUs,
    signBestRoundUs: sign.bestUs,
    verifyUs: verify.meanUs,
    verifyBestRoundUs: verify.bestUs,
    nativeSecp256k1: nativeCryptoLoaded(),
    nativeKeccak: nativeKeccakLoaded(),
  };
}
