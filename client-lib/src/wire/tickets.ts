import { randomBytes } from 'node:crypto';
import { keccak256 } from './keccak';

/**
 * Prepaid tickets: one voucher pays for `calls` calls ahead, and each of the following calls shows the next
 * preimage of a keccak hash chain (PayWord) instead of a signature. The provider is never owed anything (the
 * calls are paid before they are served); the consumer risks at most the unused rest of a block.
 *
 * The chain: w[calls-1] is random, w[i-1] = keccak256(w[i]), the anchor is w[0]. The call that carries the
 * voucher sends the anchor and is call 0 of its block; call i (1 ≤ i < calls) reveals w[i]. A listener on the
 * wire learns only preimages already spent; an unspent one cannot be computed from them.
 */

/** Sent with the voucher that opens a block: `<calls>.<anchor>`. */
export const PREPAY_HEADER = 'payment-prepay';
/** Sent instead of a voucher: `<channelId>.<blockAmount>.<index>.<preimage>`. */
export const TICKET_HEADER = 'payment-ticket';
/** The most calls one block may prepay (a provider may advertise fewer). */
export const MAX_PREPAY_CALLS = 4096;

export interface PrepayRequest {
  calls: number;
  anchor: Buffer;
}

export interface Ticket {
  channelId: string;
  /** The cumulative amount of the voucher that opened the block: the block's id within its channel. */
  blockAmount: bigint;
  index: number;
  preimage: Buffer;
}

export function encodePrepay(p: PrepayRequest): string {
  return `${p.calls}.0x${p.anchor.toString('hex')}`;
}

export function decodePrepay(header: string): PrepayRequest | null {
  if (header.length > 100) return null;
  const m = /^([1-9][0-9]{0,5})\.(0x[0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m) return null;
  const calls = Number(m[1]);
  if (calls < 2 || calls > MAX_PREPAY_CALLS) return null;
  return { calls, anchor: Buffer.from(m[2]!.slice(2), 'hex') };
}

export function encodeTicket(t: Ticket): string {
  return `${t.channelId}.${t.blockAmount}.${t.index}.0x${t.preimage.toString('hex')}`;
}

export function decodeTicket(header: string): Ticket | null {
  if (header.length > 256) return null;
  const m = /^(0x[0-9a-fA-F]{64})\.(0|[1-9][0-9]{0,77})\.([1-9][0-9]{0,5})\.(0x[0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m) return null;
  const index = Number(m[3]);
  if (index >= MAX_PREPAY_CALLS) return null;
  return { channelId: m[1]!.toLowerCase(), blockAmount: BigInt(m[2]!), index, preimage: Buffer.from(m[4]!.slice(2), 'hex') };
}

/** A fresh hash chain of `calls` links: `links[0]` is the anchor, `links[i]` pays call i of the block. */
export function makeTicketChain(calls: number): Buffer[] {
  if (!Number.isInteger(calls) || calls < 2 || calls > MAX_PREPAY_CALLS) throw new RangeError(`a block prepays 2 to ${MAX_PREPAY_CALLS} calls`);
  const links = new Array<Buffer>(calls);
  links[calls - 1] = randomBytes(32);
  for (let i = calls - 1; i > 0; i--) links[i - 1] = keccak256(links[i]!);
  return links;
}

/** Whether hashing `preimage` `steps` times gives `target` (steps ≥ 1). */
export function chainReaches(preimage: Buffer, steps: number, target: Buffer): boolean {
  let x = preimage;
  for (let i = 0; i < steps; i++) x = keccak256(x);
  return x.equals(target);
}
