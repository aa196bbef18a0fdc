/**
 * Per-call cost of voucher signing and verification, single thread: `npm run bench:crypto`.
 * Each case warms up, then runs a fixed number of iterations; the figures are the mean over those.
 * Options: `--iterations N` (default 20000), `--warmup N` (default 2000).
 */
import { parseCommandLine } from '@chanpay/devkit/cli';
import { TypedDataEncoder, Wallet, verifyTypedData } from 'ethers';
import { decodeVoucher, encodeVoucher, type Address } from '@chanpay/protocol';
import {
  DOMAIN_NAME,
  DOMAIN_VERSION,
  VOUCHER_TYPES,
  VoucherHasher,
  hexToBuffer,
  nativeCryptoLoaded,
  nativeKeccakLoaded,
  recoverSigner,
  signDigest,
} from '@chanpay/protocol/node';

const TARGET_US = 100;

const ROUNDS = 5;

interface Result {
  name: string;
  iterations: number;
  /** Mean over all iterations. */
  meanUs: number;
  /** Mean of the fastest round: closer to the real cost when other processes share the CPU. */
  bestRoundUs: number;
}

const COMMAND = {
  command: 'npm run bench:crypto --',
  summary: 'Per-call cost of voucher signing and verification, single thread, beside ethers.',
  options: {
    iterations: { type: 'string', value: '<n>', default: '20000', description: 'measured calls per case' },
    warmup: { type: 'string', value: '<n>', default: '2000', description: 'calls per case before measuring' },
  },
} as const;

function positiveIntegers<K extends string>(values: Record<K, string>, fail: (message: string) => never): Record<K, number> {
  const numbers = {} as Record<K, number>;
  for (const name of Object.keys(values) as K[]) {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value <= 0) fail(`--${name} must be a positive integer, got "${values[name]}"`);
    numbers[name] = value;
  }
  return numbers;
}

/** Warm-up, then `iterations` calls split into ROUNDS equal rounds. Async functions are awaited. */
async function bench(name: string, iterations: number, warmup: number, fn: (i: number) => unknown): Promise<Result> {
  const first = fn(0);
  const isAsync = first instanceof Promise;
  if (isAsync) await first;
  const run = isAsync
    ? async (from: number, to: number) => {
        for (let i = from; i < to; i++) await fn(i);
      }
    : (from: number, to: number) => {
        for (let i = from; i < to; i++) fn(i);
      };
  await run(0, warmup);
  const perRound = Math.max(1, Math.floor(iterations / ROUNDS));
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    await run(r * perRound, (r + 1) * perRound);
    rounds.push(Number(process.hrtime.bigint() - start) / perRound / 1000);
  }
  const meanUs = rounds.reduce((a, b) => a + b, 0) / rounds.length;
  return { name, iterations: perRound * ROUNDS, meanUs, bestRoundUs: Math.min(...rounds) };
}

async function main(): Promise<void> {
  const { values, fail } = parseCommandLine(COMMAND);
  const { iterations, warmup } = positiveIntegers(values, fail);
  // ethers is about 20x slower: fewer iterations keep the run short without changing its mean much.
  const ethersIterations = Math.max(1, Math.floor(iterations / 10));
  const ethersWarmup = Math.max(1, Math.floor(warmup / 10));

  const wallet = Wallet.createRandom();
  const key = hexToBuffer(wallet.privateKey);
  const signer = wallet.address.toLowerCase();
  const contract = '0x5fbdb2315678afecb367f032d93f642f64180aa3' as Address;
  const chainId = 1337n;
  const hasher = new VoucherHasher({ chainId, contract });
  const domain = { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: contract };
  const types = { Voucher: [...VOUCHER_TYPES.Voucher] };
  const channelId = '0x' + 'ab'.repeat(32);
  const amountOf = (i: number) => 1_000_000_000n + BigInt(i);

  // Signatures made up front so that verification is measured alone.
  const pool = 1_000;
  const signatures = Array.from({ length: pool }, (_, i) => signDigest(hasher.digest(channelId, amountOf(i)), key));
  const headers = signatures.map((signature, i) => encodeVoucher({ chainId, contract, channelId, amount: amountOf(i), signature }));

  const results: Result[] = [];
  results.push(
    await bench('chanpay: voucher digest (VoucherHasher.digest)', iterations, warmup, (i) => hasher.digest(channelId, amountOf(i))),
  );
  results.push(
    await bench('chanpay: sign voucher (digest + native sign)', iterations, warmup, (i) =>
      signDigest(hasher.digest(channelId, amountOf(i)), key),
    ),
  );
  results.push(
    await bench('chanpay: verify voucher (digest + native recover + compare)', iterations, warmup, (i) => {
      const recovered = recoverSigner(hasher.digest(channelId, amountOf(i % pool)), signatures[i % pool]!);
      if (!recovered.ok || recovered.address !== signer) throw new Error('verification failed');
    }),
  );
  results.push(
    await bench('chanpay: decode header + verify voucher', iterations, warmup, (i) => {
      const decoded = decodeVoucher(headers[i % pool]!);
      if (!decoded.ok) throw new Error(decoded.message);
      const v = decoded.voucher;
      const recovered = recoverSigner(hasher.digest(v.channelId, v.amount), v.signature);
      if (!recovered.ok || recovered.address !== signer) throw new Error('verification failed');
    }),
  );
  results.push(
    await bench('ethers: TypedDataEncoder.hash', ethersIterations, ethersWarmup, (i) =>
      TypedDataEncoder.hash(domain, types, { channelId, cumulativeAmount: amountOf(i) }),
    ),
  );
  results.push(
    await bench('ethers: Wallet.signTypedData', ethersIterations, ethersWarmup, (i) =>
      wallet.signTypedData(domain, types, { channelId, cumulativeAmount: amountOf(i) }),
    ),
  );
  results.push(
    await bench('ethers: verifyTypedData + compare', ethersIterations, ethersWarmup, (i) => {
      const recovered = verifyTypedData(domain, types, { channelId, cumulativeAmount: amountOf(i % pool) }, signatures[i % pool]!);
      if (recovered.toLowerCase() !== signer) throw new Error('verification failed');
    }),
  );

  console.log(`node ${process.version}, native secp256k1: ${nativeCryptoLoaded()}, native keccak: ${nativeKeccakLoaded()}, single thread`);
  console.log(
    `warm-up ${warmup} / ${ethersWarmup} (ethers), then ${iterations} / ${ethersIterations} (ethers) iterations in ${ROUNDS} rounds\n`,
  );
  console.log('| operation | µs per call (mean) | calls/s (mean) | µs per call (best round) | iterations |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of results) {
    const perSecond = Math.round(1e6 / r.meanUs).toLocaleString('en-US');
    console.log(`| ${r.name} | ${r.meanUs.toFixed(1)} | ${perSecond} | ${r.bestRoundUs.toFixed(1)} | ${r.iterations} |`);
  }
  const sign = results[1]!.meanUs;
  const verify = results[2]!.meanUs;
  const ok = sign < TARGET_US && verify < TARGET_US;
  console.log(`\ntarget: sign and verify under ${TARGET_US} µs each: ${ok ? 'met' : 'MISSED'}`);
  if (!ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
