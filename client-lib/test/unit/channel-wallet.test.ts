import { randomBytes } from 'node:crypto';
import { ZERO_ADDRESS, type Address, type PaymentTerms, type Receipt } from '@chanpay/protocol';
import { keccak256 } from '@chanpay/protocol/node';
import { ChannelWallet } from '../../src/consumer/channel-wallet';
import { UNPAID, type Payment, type RepeatedPayment, type TicketPayment, type VoucherPayment } from '../../src/consumer/payment';
import type { AttemptOutcome } from '../../src/consumer/provider-answer';

/** The channel wallet alone: what it hands out, and what each outcome of an attempt does to the payment. */

const PRICE = 1_000n;
const hex = (bytes: number) => '0x' + randomBytes(bytes).toString('hex');

function wallet(state: ChannelWallet['state'] = 'open'): ChannelWallet {
  const address = () => hex(20) as Address;
  return new ChannelWallet({
    id: hex(32),
    terms: { consumer: address(), provider: address(), signer: address(), token: ZERO_ADDRESS, challengePeriod: 60, salt: hex(32) },
    deposit: 100n * PRICE,
    signed: 0n,
    state,
    openedHere: true,
  });
}

/** A voucher the wallet signed for one call (or, with `calls`, for a block it opened), as the consumer does. */
function voucher(w: ChannelWallet, calls = 1): VoucherPayment {
  const block = calls > 1 ? w.openBlock(PRICE, calls) : undefined;
  const price = PRICE * BigInt(calls);
  w.signed += price;
  if (block) block.amount = w.signed;
  return {
    kind: 'voucher',
    header: `voucher-${w.signed}`,
    amount: w.signed,
    price,
    block,
    prepay: block ? `${calls}.${block.links[0]}` : undefined,
  };
}

function refused(code: string): AttemptOutcome {
  return { kind: 'refused', terms: { reason: { code, message: code } } as PaymentTerms };
}

const receiptOf = (w: ChannelWallet, v: VoucherPayment): Receipt => ({ channelId: w.id, amount: v.amount, price: PRICE });
const served = (w: ChannelWallet, v: VoucherPayment): AttemptOutcome => ({ kind: 'served', receipt: receiptOf(w, v) });
const repeat = (w: ChannelWallet, of: VoucherPayment | TicketPayment): RepeatedPayment => ({
  kind: 'repeat',
  of,
  channel: w,
  route: 'GET /x',
});

describe('tickets', () => {
  test("none while the block's voucher is unanswered; once confirmed, each index once, and the block goes when used up", () => {
    const w = wallet();
    const v = voucher(w, 4);
    expect(w.takeTicket(PRICE, 4)).toBeUndefined();
    expect(w.pendingBlock(PRICE)).toBe(v.block);
    w.settle(v, served(w, v), false);
    expect(w.pendingBlock(PRICE)).toBeUndefined();
    // With the next block on its way, this one's tickets are used to the last.
    const next = voucher(w, 4);
    const taken = [w.takeTicket(PRICE, 4), w.takeTicket(PRICE, 4), w.takeTicket(PRICE, 4), w.takeTicket(PRICE, 4)];
    expect(taken.map((t) => t?.index)).toEqual([1, 2, 3, undefined]);
    expect(w.blocks).toEqual([next.block]);
  });

  test("each ticket reveals its link of the block's chain, which hashes back to the anchor", () => {
    const w = wallet();
    const v = voucher(w, 4);
    w.settle(v, served(w, v), false);
    const t = w.takeTicket(PRICE, 2)!;
    const [channelId, blockAmount, index, link] = t.header.split('.');
    expect([channelId, BigInt(blockAmount!), Number(index)]).toEqual([w.id, v.amount, 1]);
    expect(keccak256(Buffer.from(link!.slice(2), 'hex')).toString('hex')).toBe(v.block!.links[0]!.slice(2));
  });

  test('fewer than half a block left and none on its way: undefined, so that this call opens the next block', () => {
    const w = wallet();
    const v = voucher(w, 10);
    w.settle(v, served(w, v), false);
    for (let i = 1; i <= 4; i++) expect(w.takeTicket(PRICE, 10)?.index).toBe(i);
    expect(w.takeTicket(PRICE, 10)).toBeUndefined();
    // With the next block on its way, the rest is used meanwhile.
    voucher(w, 10);
    expect(w.takeTicket(PRICE, 10)?.index).toBe(5);
  });

  test('tickets of another price, and calls that prepay nothing, get none', () => {
    const w = wallet();
    const v = voucher(w, 10);
    w.settle(v, served(w, v), false);
    expect(w.takeTicket(PRICE * 2n, 10)).toBeUndefined();
    expect(w.takeTicket(PRICE, 1)).toBeUndefined();
  });

  test('a ticket that never left the process is handed out first again; on a closed channel it is not', () => {
    const w = wallet();
    const v = voucher(w, 10);
    w.settle(v, served(w, v), false);
    const t = w.takeTicket(PRICE, 2)!;
    w.settle(t, { kind: 'never-sent' }, false);
    expect(w.takeTicket(PRICE, 2)).toEqual(t);
    w.state = 'closing';
    w.settle(t, { kind: 'never-sent' }, false);
    expect(w.takeTicket(PRICE, 2)?.index).toBe(2);
  });

  test('a refused ticket gives up its block, except TICKET_USED, which gives up only the ticket', () => {
    const w = wallet();
    const v = voucher(w, 10);
    w.settle(v, served(w, v), false);
    w.settle(w.takeTicket(PRICE, 2)!, refused('TICKET_USED'), false);
    expect(w.blocks).toHaveLength(1);
    w.settle(w.takeTicket(PRICE, 2)!, refused('UNKNOWN_TICKET_BLOCK'), false);
    expect(w.blocks).toHaveLength(0);
  });
});

describe("what an outcome does to a block's voucher", () => {
  const cases: [string, AttemptOutcome | 'served', 'confirmed' | 'dropped' | 'unspent'][] = [
    ['served', 'served', 'confirmed'],
    ['a 5xx without receipt (the handler failed after accepting)', { kind: 'server-error' }, 'confirmed'],
    ['a 4xx', { kind: 'not-charged' }, 'dropped'],
    ['a 503 not stored, without a key', { kind: 'not-stored', accepted: false, receipt: null }, 'unspent'],
    ['a 503 not stored but accepted (stored later)', { kind: 'not-stored', accepted: true, receipt: null }, 'dropped'],
    ['refused', refused('AMOUNT_TOO_LOW'), 'dropped'],
    ['refused as not taken yet', refused('AMOUNT_EXCEEDS_DEPOSIT'), 'unspent'],
    ['no answer (the request may have reached the provider)', { kind: 'no-answer' }, 'dropped'],
    ['never sent', { kind: 'never-sent' }, 'unspent'],
  ];
  test.each(cases)('%s', (_what, outcome, expected) => {
    const w = wallet();
    const v = voucher(w, 10);
    let settled = false;
    void v.block!.settled!.then(() => (settled = true));
    w.settle(v, outcome === 'served' ? served(w, v) : outcome, false);
    const state = w.unspent.includes(v)
      ? 'unspent'
      : w.blocks.includes(v.block!) && v.block!.confirmed
        ? 'confirmed'
        : w.blocks.includes(v.block!)
          ? 'pending'
          : 'dropped';
    expect(state).toBe(expected);
    // Calls waiting for the block go on either way.
    return Promise.resolve().then(() => expect(settled).toBe(true));
  });

  test('the same voucher sent again under its key is never taken back, but its block follows the answer', () => {
    const w = wallet();
    const v = voucher(w, 10);
    w.settle(repeat(w, v), { kind: 'never-sent' }, true);
    w.settle(repeat(w, v), { kind: 'not-stored', accepted: false, receipt: null }, true);
    w.settle(repeat(w, v), refused('UNKNOWN_CHANNEL'), true);
    expect(w.unspent).toHaveLength(0);
    const again = voucher(w, 10);
    w.settle(repeat(w, again), served(w, again), true);
    expect(again.block!.confirmed).toBe(true);
  });

  test("a 503 not stored under an idempotency key: kept for the caller's retry, not for another call", () => {
    const w = wallet();
    const v = voucher(w);
    w.settle(v, { kind: 'not-stored', accepted: false, receipt: null }, true);
    expect(w.unspent).toHaveLength(0);
  });

  test('receipts are counted; an unpaid attempt changes nothing', () => {
    const w = wallet();
    const v = voucher(w);
    w.settle(v, served(w, v), false);
    w.settle(v, { kind: 'not-stored', accepted: false, receipt: receiptOf(w, v) }, false);
    w.settle(UNPAID as Payment, served(w, v), false);
    expect([w.calls, w.paid, w.unspent.length]).toEqual([2, 2n * PRICE, 0]);
  });
});

describe('unspent vouchers', () => {
  test("handed out lowest first, each once, matched by the price of one call (a block's: by its calls' price)", () => {
    const w = wallet();
    const [a, b, block] = [voucher(w), voucher(w), voucher(w, 5)];
    for (const v of [block, b, a]) w.settle(v, { kind: 'never-sent' }, false);
    expect(w.unspent.map((u) => u.amount)).toEqual([a.amount, b.amount, block.amount]);
    expect(w.takeUnspent(PRICE)).toBe(a);
    expect(w.takeUnspent(PRICE)).toBe(b);
    // The block voucher is next: its block is pending again until its answer.
    expect(w.takeUnspent(PRICE)).toBe(block);
    expect(w.pendingBlock(PRICE)).toBe(block.block);
    expect(w.takeUnspent(PRICE)).toBeUndefined();
    expect(w.takeUnspent(2n * PRICE)).toBeUndefined();
  });

  test('a closed channel keeps none, and a channel at most 1000', () => {
    const closing = wallet();
    const v = voucher(closing);
    closing.state = 'closing';
    closing.settle(v, { kind: 'never-sent' }, false);
    expect(closing.unspent).toHaveLength(0);
    const w = wallet();
    w.deposit = 10_000n * PRICE;
    for (let i = 0; i < 1001; i++) w.settle(voucher(w), { kind: 'never-sent' }, false);
    expect(w.unspent).toHaveLength(1000);
  });
});

describe('the money it counts', () => {
  test('a voucher refused as too low for a higher price is taken back only when nothing was signed after it', () => {
    const w = wallet();
    const first = voucher(w);
    w.takeBack(first);
    expect(w.signed).toBe(0n);
    const a = voucher(w);
    voucher(w);
    w.takeBack(a);
    expect(w.signed).toBe(2n * PRICE);
  });

  test('calls covered: what the deposit holds beyond what is signed', () => {
    const w = wallet();
    voucher(w, 30);
    expect(w.callsCovered(PRICE)).toBe(70n);
    expect(w.callsCovered(3n * PRICE)).toBe(23n);
  });
});
