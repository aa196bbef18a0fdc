/**
 * Prepaid tickets: one voucher pays for `calls` calls ahead, and each of the following calls shows the next
 * preimage of a keccak hash chain (PayWord) instead of a signature. The provider is never owed anything (the
 * calls are paid before they are served); the consumer risks at most the unused rest of a block.
 *
 * The chain: w[calls-1] is random, w[i-1] = keccak256(w[i]), the anchor is w[0]. The call that carries the
 * voucher sends the anchor and is call 0 of its block; call i (1 ≤ i < calls) reveals w[i]. A listener on the
 * wire learns only preimages already spent; an unspent one cannot be computed from them.
 * (Making and checking chains needs keccak: `makeTicketChain` and `chainReaches` in `@chanpay/protocol/node`.)
 */

/** The most calls one block may prepay (a provider may advertise fewer). */
export const MAX_PREPAY_CALLS = 4096;

/** `payment-prepay: <calls>.<anchor>`; the anchor is 0x + 64 lower-case hex digits. */
export interface PrepayRequest {
  calls: number;
  anchor: string;
}

/** `payment-ticket: <channelId>.<blockAmount>.<index>.<preimage>`; hex fields are 0x + lower case. */
export interface Ticket {
  channelId: string;
  /** The cumulative amount of the voucher that opened the block: the block's id within its channel. */
  blockAmount: bigint;
  index: number;
  preimage: string;
}

export function encodePrepay(p: PrepayRequest): string {
  return `${p.calls}.${p.anchor}`;
}

const PREPAY_RE = /^([1-9][0-9]{0,5})\.(0x[0-9a-fA-F]{64})$/;

export function decodePrepay(header: string): PrepayRequest | null {
  if (header.length > 100) return null;
  const m = PREPAY_RE.exec(header.trim());
  if (!m) return null;
  const calls = Number(m[1]);
  if (calls < 2 || calls > MAX_PREPAY_CALLS) return null;
  return { calls, anchor: m[2]!.toLowerCase() };
}

export function encodeTicket(t: Ticket): string {
  return `${t.channelId}.${t.blockAmount}.${t.index}.${t.preimage}`;
}

const TICKET_RE = /^(0x[0-9a-fA-F]{64})\.(0|[1-9][0-9]{0,77})\.([1-9][0-9]{0,5})\.(0x[0-9a-fA-F]{64})$/;

export function decodeTicket(header: string): Ticket | null {
  if (header.length > 256) return null;
  const m = TICKET_RE.exec(header.trim());
  if (!m) return null;
  const index = Number(m[3]);
  if (index >= MAX_PREPAY_CALLS) return null;
  return { channelId: m[1]!.toLowerCase(), blockAmount: BigInt(m[2]!), index, preimage: m[4]!.toLowerCase() };
}
