import { encodeTicket, inErrorGroup, type Address, type ChannelTerms, type Receipt } from '@chanpay/protocol';
import { makeTicketChain } from '@chanpay/protocol/node';
import { ticketsLeft, type ConsumerChannel, type PrepaidBlock } from './channel';
import { blockOpenedBy, type ChannelPayment, type Payment, type TicketPayment, type VoucherPayment } from './payment';
import { mayHoldPayment, notTaken, receiptIn, type AttemptOutcome } from './provider-answer';

/** Unspent vouchers one channel keeps at most; more are given up (their money stays with the provider). */
const MAX_UNSPENT = 1_000;

export interface ChannelWalletInit {
  id: string;
  terms: ChannelTerms;
  deposit: bigint;
  signed: bigint;
  state: ConsumerChannel['state'];
  openedHere: boolean;
}

/**
 * One channel as the consumer spends it: besides its deposit and what it has signed, what it holds that is paid
 * for but not spent yet, its prepaid blocks (their tickets) and its unspent vouchers. Everything that hands one
 * out is synchronous, so that concurrent calls on the channel never get the same ticket or voucher.
 */
export class ChannelWallet implements ConsumerChannel {
  readonly id: string;
  readonly provider: Address;
  readonly terms: ChannelTerms;
  deposit: bigint;
  signed: bigint;
  state: ConsumerChannel['state'];
  readonly adoptedAt = Date.now();
  readonly openedHere: boolean;
  calls = 0;
  paid = 0n;
  topUp: Promise<void> | null = null;
  /** Lowest amount first, so that the gaps they fill are the oldest. */
  private readonly spareVouchers: VoucherPayment[] = [];
  private readonly prepaidBlocks: PrepaidBlock[] = [];

  constructor(init: ChannelWalletInit) {
    this.id = init.id;
    this.provider = init.terms.provider;
    this.terms = init.terms;
    this.deposit = init.deposit;
    this.signed = init.signed;
    this.state = init.state;
    this.openedHere = init.openedHere;
  }

  get unspent(): readonly VoucherPayment[] {
    return this.spareVouchers;
  }

  get blocks(): readonly PrepaidBlock[] {
    return this.prepaidBlocks;
  }

  /** Calls of this price that the deposit still covers beyond what is signed. */
  callsCovered(price: bigint): bigint {
    return (this.deposit - this.signed) / price;
  }

  /**
   * A ticket of a confirmed block for a call of this price, or undefined when this call should open a block:
   * when none is left, or when fewer than half a block (`blockCalls`) are left and no block is on its way, so
   * that the next block is ready before these run out.
   */
  takeTicket(price: bigint, blockCalls: number): TicketPayment | undefined {
    if (blockCalls < 2) return undefined;
    let available = 0;
    let pending = 0;
    for (const b of this.prepaidBlocks) {
      if (b.price !== price) continue;
      available += ticketsLeft(b);
      if (!b.confirmed) pending++;
    }
    if (available === 0 || (pending === 0 && available <= blockCalls / 2)) return undefined;
    for (const b of this.prepaidBlocks) {
      if (!b.confirmed || b.price !== price) continue;
      const index = b.returned.length > 0 ? b.returned.pop()! : b.next < b.calls ? b.next++ : -1;
      if (index < 0) continue;
      if (b.next === b.calls && b.returned.length === 0) this.dropBlock(b);
      return {
        kind: 'ticket',
        header: encodeTicket({ channelId: this.id, blockAmount: b.amount, index, preimage: b.links[index]! }),
        block: b,
        index,
      };
    }
    return undefined;
  }

  /**
   * The lowest unspent voucher for calls of this price (a single call's, or a block's of such calls). A block it
   * opens is pending again until the provider answers.
   */
  takeUnspent(price: bigint): VoucherPayment | undefined {
    const i = this.spareVouchers.findIndex((u) => (u.block ? u.block.price : u.price) === price);
    if (i < 0) return undefined;
    const voucher = this.spareVouchers.splice(i, 1)[0]!;
    if (voucher.block) this.prepaidBlocks.push(markPending(voucher.block));
    return voucher;
  }

  /** A pending block of `calls` calls of this price, registered before its voucher is signed so that concurrent calls wait for it. */
  openBlock(price: bigint, calls: number): PrepaidBlock {
    const block = markPending({ amount: 0n, price, calls, links: makeTicketChain(calls), next: 1, returned: [], confirmed: false });
    this.prepaidBlocks.push(block);
    return block;
  }

  /** A block of this price whose voucher is on its way. */
  pendingBlock(price: bigint): PrepaidBlock | undefined {
    return this.prepaidBlocks.find((b) => !b.confirmed && b.price === price);
  }

  /** The provider holds the block's voucher: its tickets may be handed out. */
  confirmBlock(block: PrepaidBlock): void {
    block.confirmed = true;
    block.settle?.();
  }

  /** Gives up a block (used up, refused, or never accepted); calls waiting for it go on. */
  dropBlock(block: PrepaidBlock): void {
    const i = this.prepaidBlocks.indexOf(block);
    if (i >= 0) this.prepaidBlocks.splice(i, 1);
    block.settle?.();
  }

  /**
   * What an attempt's outcome does to the payment that went with it: a receipt is counted, a block is confirmed
   * or dropped, a payment that was not taken is kept for a later call. `keyed`: the call has an idempotency key,
   * so that its caller's retry sends this very payment again instead (a provider in sync mode then serves it
   * free). A repeated payment is never taken back: its first attempt may have spent it.
   */
  settle(payment: Payment, outcome: AttemptOutcome, keyed: boolean): void {
    if (payment.kind === 'unpaid') return;
    const fresh = payment.kind === 'repeat' ? undefined : payment;
    const opened = blockOpenedBy(payment);
    switch (outcome.kind) {
      case 'never-sent':
        if (fresh) this.giveBack(fresh);
        return;
      case 'no-answer':
        if (opened) this.dropBlock(opened);
        return;
      case 'terms-unreadable':
        // A 402 all the same: the provider took nothing, so a block this payment opened will never be confirmed.
        if (opened) this.dropBlock(opened);
        return;
      case 'refused': {
        if (opened) this.dropBlock(opened);
        const code = outcome.terms.reason?.code ?? '';
        // A refused ticket gives up its block, or only itself when it was spent already.
        if (fresh?.kind === 'ticket' && code !== 'TICKET_USED') this.dropBlock(fresh.block);
        // Refused for a reason that passes (a top-up or a new channel the provider has not seen yet): the voucher
        // was not taken, so it pays a later call instead of leaving its range unpaid inside the cumulative amount.
        if (fresh?.kind === 'voucher' && inErrorGroup('NOT_TAKEN_YET', code)) this.keepUnspent(fresh);
        return;
      }
      default: {
        const receipt = receiptIn(outcome);
        if (receipt) this.recordReceipt(receipt);
        if (opened) {
          if (mayHoldPayment(outcome)) this.confirmBlock(opened);
          else this.dropBlock(opened);
        }
        if (fresh && !keyed && notTaken(outcome)) this.giveBack(fresh);
      }
    }
  }

  private recordReceipt(receipt: Receipt): void {
    this.calls++;
    this.paid += receipt.price;
  }

  /**
   * Takes back the range of a voucher the provider refused as too low for its price, when nothing was signed
   * since: the corrected voucher then covers that range instead of adding to it.
   */
  takeBack(voucher: VoucherPayment): void {
    if (this.signed === voucher.amount) this.signed = voucher.amount - voucher.price;
  }

  /** A payment the provider provably did not take: handed out again (a voucher's block waits to be reopened). */
  private giveBack(payment: ChannelPayment): void {
    if (payment.kind === 'ticket') this.returnTicket(payment);
    else this.keepUnspent(payment);
  }

  private returnTicket(ticket: TicketPayment): void {
    if (this.state !== 'open') return;
    ticket.block.returned.push(ticket.index);
    if (!this.prepaidBlocks.includes(ticket.block)) this.prepaidBlocks.push(ticket.block);
  }

  private keepUnspent(voucher: VoucherPayment): void {
    if (voucher.block) this.dropBlock(voucher.block);
    if (this.state !== 'open' || this.spareVouchers.length >= MAX_UNSPENT) return;
    const i = this.spareVouchers.findIndex((x) => x.amount > voucher.amount);
    this.spareVouchers.splice(i < 0 ? this.spareVouchers.length : i, 0, voucher);
  }
}

function markPending(block: PrepaidBlock): PrepaidBlock {
  block.confirmed = false;
  block.settled = new Promise<void>((resolve) => (block.settle = resolve));
  return block;
}
