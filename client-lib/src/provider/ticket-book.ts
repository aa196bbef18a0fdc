import { ChanpayError, type Ticket } from '@chanpay/protocol';
import { chainReaches, hexToBuffer } from '@chanpay/protocol/node';

/** One block of prepaid calls, as the book (in process, or a row of the shared store) holds it. */
export interface TicketBlock {
  amount: bigint;
  /** Price of each call of the block. */
  price: bigint;
  calls: number;
  anchor: Uint8Array;
  /** The highest link verified so far, so that in-order tickets cost one hash each. */
  hiIndex: number;
  hiLink: Uint8Array;
  used: Uint8Array;
  left: number;
}

export interface TicketBookOptions {
  /** Blocks kept per channel; opening one more forgets the oldest (its unspent tickets are then refused). */
  maxBlocksPerChannel?: number;
  /** Blocks kept in all; beyond it the channel used least recently loses its blocks. */
  maxBlocks?: number;
}

/**
 * The blocks of prepaid calls a provider has been paid for and not yet served, in memory. A ticket is
 * accepted once: its link must hash to the block's anchor (or to a link already verified) in exactly as
 * many steps as its index says. The book is not persisted: after a restart every earlier block is unknown
 * and its tickets are refused, so none can be replayed; the consumer loses the unused rest of its blocks.
 */
export class TicketBook {
  private readonly channels = new Map<string, TicketBlock[]>();
  private blocks = 0;
  private readonly maxPerChannel: number;
  private readonly maxBlocks: number;

  constructor(opts: TicketBookOptions = {}) {
    this.maxPerChannel = opts.maxBlocksPerChannel ?? 16;
    this.maxBlocks = opts.maxBlocks ?? 100_000;
  }

  /** Records a block whose voucher was just accepted; call 0 (the voucher's own call) is spent. */
  open(channelId: string, amount: bigint, price: bigint, calls: number, anchorHex: string): void {
    const anchor = ownCopy(hexToBuffer(anchorHex));
    const list = this.channels.get(channelId) ?? [];
    this.channels.delete(channelId);
    this.channels.set(channelId, list);
    const used = new Uint8Array(calls);
    used[0] = 1;
    list.push({ amount, price, calls, anchor, hiIndex: 0, hiLink: anchor, used, left: calls - 1 });
    this.blocks++;
    if (list.length > this.maxPerChannel) {
      list.shift();
      this.blocks--;
    }
    while (this.blocks > this.maxBlocks) {
      const [oldest, blocks] = this.channels.entries().next().value as [string, TicketBlock[]];
      this.channels.delete(oldest);
      this.blocks -= blocks.length;
    }
  }

  /**
   * Spends one ticket for a call of `price`; returns the block's per-call price (what the call is charged),
   * or throws a refusal. Synchronous: two concurrent calls can never spend the same ticket.
   */
  spend(ticket: Ticket, price: bigint): bigint {
    const list = this.channels.get(ticket.channelId);
    const blockIndex = list ? list.findIndex((candidate) => candidate.amount === ticket.blockAmount) : -1;
    if (blockIndex < 0) throw unknownBlock(ticket);
    const block = list![blockIndex]!;
    spendFromBlock(block, ticket, price);
    // The ticket moved the highest verified link to its preimage, a slice of Buffer's shared 8 kB pool.
    if (block.hiIndex === ticket.index) block.hiLink = ownCopy(block.hiLink);
    if (--block.left === 0) {
      list!.splice(blockIndex, 1);
      this.blocks--;
      if (list!.length === 0) this.channels.delete(ticket.channelId);
    }
    return block.price;
  }

  /** Calls prepaid and not yet served on a channel. */
  unspent(channelId: string): number {
    return (this.channels.get(channelId) ?? []).reduce((calls, block) => calls + block.left, 0);
  }

  get size(): number {
    return this.blocks;
  }
}

/**
 * A link the book keeps for long, copied out of Buffer's pool: a 32-byte slice of it would hold the whole 8 kB
 * slab it was cut from (with the request's other buffers) for as long as the block is open. `npm run
 * bench:memory`: 2 kB per channel outside the heap before; a copy costs 0.3 kB of heap.
 */
function ownCopy(link: Uint8Array): Uint8Array {
  return new Uint8Array(link);
}

/**
 * The checks of one ticket against its block, and the spend: marks the ticket used and remembers its link.
 * Throws a refusal. The caller decrements `left` and drops a block with none left.
 */
export function spendFromBlock(block: TicketBlock, ticket: Ticket, price: bigint): void {
  if (ticket.index >= block.calls)
    throw new ChanpayError('BAD_TICKET', `the block has ${block.calls} calls; ticket ${ticket.index} is not one of them`);
  if (block.used[ticket.index]) throw new ChanpayError('TICKET_USED', 'this ticket paid for a call already');
  if (block.price < price) {
    throw new ChanpayError('AMOUNT_TOO_LOW', `the block prepaid calls of ${block.price} wei; this call costs ${price}`, {
      price: price.toString(),
      blockPrice: block.price.toString(),
    });
  }
  const preimage = hexToBuffer(ticket.preimage);
  const ok =
    ticket.index > block.hiIndex
      ? chainReaches(preimage, ticket.index - block.hiIndex, block.hiLink)
      : chainReaches(preimage, ticket.index, block.anchor);
  if (!ok) throw new ChanpayError('BAD_TICKET', "the ticket does not hash to the block's anchor");
  block.used[ticket.index] = 1;
  if (ticket.index > block.hiIndex) {
    block.hiIndex = ticket.index;
    block.hiLink = preimage;
  }
}

/** The error of a ticket whose block is not (or no longer) open. */
export function unknownBlock(ticket: Ticket): ChanpayError {
  return new ChanpayError(
    'UNKNOWN_TICKET_BLOCK',
    'no open block of prepaid calls with this amount (spent, forgotten, or opened before a restart): pay with a voucher',
    { channelId: ticket.channelId, blockAmount: ticket.blockAmount.toString() },
  );
}
