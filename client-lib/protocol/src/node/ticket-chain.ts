import { randomBytes } from 'node:crypto';
import { MAX_PREPAY_CALLS } from '../tickets';
import { keccak256 } from './keccak';

/**
 * A fresh hash chain of `calls` links as 0x-hex: `links[0]` is the anchor (sent with the voucher), `links[i]`
 * pays call i of the block. See `../tickets.ts` for the scheme.
 */
export function makeTicketChain(calls: number): string[] {
  if (!Number.isInteger(calls) || calls < 2 || calls > MAX_PREPAY_CALLS)
    throw new RangeError(`a block prepays 2 to ${MAX_PREPAY_CALLS} calls`);
  const links = new Array<Buffer>(calls);
  links[calls - 1] = randomBytes(32);
  for (let i = calls - 1; i > 0; i--) links[i - 1] = keccak256(links[i]!);
  return links.map((l) => '0x' + l.toString('hex'));
}

/** Whether hashing `preimage` `steps` times gives `target` (steps ≥ 1). */
export function chainReaches(preimage: Buffer, steps: number, target: Uint8Array): boolean {
  let x = preimage;
  for (let i = 0; i < steps; i++) x = keccak256(x);
  return x.equals(target);
}
