/** The worker's own work per call (µBench's internal service): real CPU, then a payload of the configured size. */
import { keccak256 } from '@chanpay/protocol/node';

export interface WorkResult {
  /** keccak rounds: the last hash (hex), so that the work cannot be skipped unnoticed; else null. */
  digest: string | null;
  ms: number;
}

/** Chains `rounds` keccak-256 hashes from the request id, then spins for `busyMicros` µs. */
export function doWork(requestId: string, work: { keccakRounds: number; busyMicros: number }): WorkResult {
  const t0 = performance.now();
  let digest: string | null = null;
  if (work.keccakRounds > 0) {
    let h: Buffer = Buffer.from(requestId, 'utf8');
    for (let i = 0; i < work.keccakRounds; i++) h = keccak256(h);
    digest = '0x' + h.toString('hex');
  }
  if (work.busyMicros > 0) {
    const until = t0 + work.busyMicros / 1000;
    while (performance.now() < until) {
      /* spinning is the work */
    }
  }
  return { digest, ms: performance.now() - t0 };
}

const payloads = new Map<number, string>();

/** `bytes` ASCII characters (cached per size: every answer of a worker has the same size). */
export function payloadOf(bytes: number): string {
  let p = payloads.get(bytes);
  if (p === undefined) {
    p = 'x'.repeat(bytes);
    if (payloads.size < 16) payloads.set(bytes, p);
  }
  return p;
}
