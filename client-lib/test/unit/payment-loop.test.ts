import { ChanpayError, IDEMPOTENCY_HEADER } from '@chanpay/protocol';
import { receiptOf } from '../../src';
import {
  PRICE,
  answers,
  fakePaymentServer,
  fakeProvider,
  kindOf,
  startConsumer,
  url,
  type FakePaymentServer,
  type FakeProvider,
} from './helpers/fakes';

/**
 * The decisions of `PaymentConsumer.fetch`, without a chain: a canned payment server and a canned provider behind
 * the consumer's two `fetch` seams. What each attempt carried is read from the provider's side.
 */

let server: FakePaymentServer;
let provider: FakeProvider;
beforeEach(() => {
  server = fakePaymentServer();
  provider = fakeProvider(server);
});

const kinds = () => provider.attempts.map(kindOf);
const amounts = () => provider.attempts.map((a) => a.voucher?.amount ?? null);

describe('paying a route', () => {
  test('the first call learns the terms from an unpaid try; later calls are paid on the first try', async () => {
    const consumer = await startConsumer(server, provider);
    const first = await consumer.fetch(url());
    const second = await consumer.fetch(url());
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(kinds()).toEqual(['unpaid', 'voucher', 'voucher']);
    expect(amounts()).toEqual([null, PRICE, 2n * PRICE]);
    expect(server.requests.filter((r) => r === 'POST /channels')).toHaveLength(1);
    const [ch] = consumer.channels();
    expect(receiptOf(second)).toEqual({ channelId: ch!.id, amount: 2n * PRICE, price: PRICE });
    expect({ calls: ch!.calls, paid: ch!.paid, signed: ch!.signed }).toEqual({ calls: 2, paid: 2n * PRICE, signed: 2n * PRICE });
  });

  test('a refusal that retrying cannot fix fails the call at once with its code', async () => {
    const consumer = await startConsumer(server, provider);
    provider.script = (a, p) => (a.voucher ? answers.refused(p, 'BAD_SIGNATURE') : answers.honest(a, p));
    await expect(consumer.fetch(url())).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    expect(kinds()).toEqual(['unpaid', 'voucher']);
  });

  test("paid attempts are bounded by maxAttempts, and the error carries the provider's last reason", async () => {
    for (const maxAttempts of [undefined, 5]) {
      provider.attempts.length = 0;
      const consumer = await startConsumer(server, provider, { maxAttempts });
      provider.script = (a, p) => (a.voucher ? answers.refused(p, 'AMOUNT_TOO_LOW') : answers.honest(a, p));
      const err = (await consumer.fetch(url()).catch((e: unknown) => e)) as ChanpayError;
      expect(err).toBeInstanceOf(ChanpayError);
      expect(err.code).toBe('AMOUNT_TOO_LOW');
      expect(err.message).toContain(`after ${maxAttempts ?? 3} attempts`);
      expect(kinds()).toEqual(['unpaid', ...Array(maxAttempts ?? 3).fill('voucher')]);
    }
  });

  test('a price that went up: the refused range is taken back, so the corrected voucher covers it', async () => {
    const consumer = await startConsumer(server, provider);
    await consumer.fetch(url());
    const higher = (PRICE * 3n) / 2n;
    provider.script = (a, p) =>
      a.voucher!.amount === 2n * PRICE ? answers.refused(p, 'AMOUNT_TOO_LOW', { price: higher.toString() }) : answers.served(a, higher);
    expect((await consumer.fetch(url())).status).toBe(200);
    expect(amounts()).toEqual([null, PRICE, 2n * PRICE, PRICE + higher]);
    // The receipt's price is the route's price from now on.
    provider.script = (a) => answers.served(a, higher);
    await consumer.fetch(url());
    expect(amounts().at(-1)).toBe(PRICE + 2n * higher);
  });

  test('a 402 without readable terms cannot be paid', async () => {
    const consumer = await startConsumer(server, provider);
    provider.script = () => new Response('pay me', { status: 402 });
    await expect(consumer.fetch(url())).rejects.toMatchObject({ code: 'PAYMENT_REQUIRED' });
    expect(kinds()).toEqual(['unpaid']);
  });

  test('a route that asks for no payment is fetched as it is, unpaid', async () => {
    const consumer = await startConsumer(server, provider);
    provider.script = () => new Response('free', { status: 200 });
    const res = await consumer.fetch(url('/free'));
    expect(await res.text()).toBe('free');
    expect(receiptOf(res)).toBeNull();
    expect(kinds()).toEqual(['unpaid']);
    expect(server.requests.filter((r) => r === 'POST /channels')).toHaveLength(0);
  });
});

describe('vouchers the provider did not take are spent on a later call', () => {
  test('refused as not taken yet (a top-up it has not seen): the same voucher pays the next attempt', async () => {
    const consumer = await startConsumer(server, provider);
    let refusals = 1;
    provider.script = (a, p) => (a.voucher && refusals-- > 0 ? answers.refused(p, 'AMOUNT_EXCEEDS_DEPOSIT') : answers.honest(a, p));
    expect((await consumer.fetch(url())).status).toBe(200);
    expect(kinds()).toEqual(['unpaid', 'voucher', 'voucher']);
    expect(provider.attempts[2]!.voucherHeader).toBe(provider.attempts[1]!.voucherHeader);
    expect(consumer.channels()[0]!.signed).toBe(PRICE);
  });

  test('one call tries at most two unspent vouchers before it signs new ones, and at most maxAttempts new ones', async () => {
    const consumer = await startConsumer(server, provider);
    provider.script = (a, p) => (a.voucher ? answers.refused(p, 'AMOUNT_EXCEEDS_DEPOSIT') : answers.honest(a, p));
    await expect(consumer.fetch(url())).rejects.toMatchObject({ code: 'AMOUNT_EXCEEDS_DEPOSIT' });
    // New voucher 1, twice again as an unspent one, then new vouchers 2 and 3.
    expect(amounts()).toEqual([null, PRICE, PRICE, PRICE, 2n * PRICE, 3n * PRICE]);
    expect(consumer.channels()[0]!.unspent.map((u) => u.amount)).toEqual([PRICE, 2n * PRICE, 3n * PRICE]);
  });

  test('503 PAYMENT_SERVER_UNAVAILABLE without a receipt: answered as it is, and its voucher pays the next call', async () => {
    const consumer = await startConsumer(server, provider);
    await consumer.fetch(url());
    provider.script = () => answers.notStored();
    expect((await consumer.fetch(url())).status).toBe(503);
    provider.script = (a, p) => answers.honest(a, p);
    expect((await consumer.fetch(url())).status).toBe(200);
    expect(amounts()).toEqual([null, PRICE, 2n * PRICE, 2n * PRICE]);
    expect(consumer.channels()[0]!.signed).toBe(2n * PRICE);
  });

  test('a 503 whose details say the voucher was accepted: it is spent, the next call signs a new one', async () => {
    const consumer = await startConsumer(server, provider);
    await consumer.fetch(url());
    provider.script = () => answers.notStored(true);
    expect((await consumer.fetch(url())).status).toBe(503);
    provider.script = (a, p) => answers.honest(a, p);
    await consumer.fetch(url());
    expect(amounts()).toEqual([null, PRICE, 2n * PRICE, 3n * PRICE]);
  });

  test('a 503 for another reason, a 4xx: not reused (nothing says the voucher was not taken)', async () => {
    for (const answer of [() => answers.error(503, 'UPSTREAM_UNAVAILABLE'), () => answers.error(400, 'VALIDATION_ERROR')]) {
      provider.attempts.length = 0;
      const consumer = await startConsumer(server, provider);
      await consumer.fetch(url());
      provider.script = answer;
      await consumer.fetch(url());
      provider.script = (a, p) => answers.honest(a, p);
      await consumer.fetch(url());
      expect(amounts()).toEqual([null, PRICE, 2n * PRICE, 3n * PRICE]);
    }
  });

  test('a request that never left the process (connection refused): its voucher pays the next call', async () => {
    const consumer = await startConsumer(server, provider);
    await consumer.fetch(url());
    provider.script = () => 'refuse-connection';
    await expect(consumer.fetch(url())).rejects.toThrow();
    provider.script = (a, p) => answers.honest(a, p);
    await consumer.fetch(url());
    expect(amounts()).toEqual([null, PRICE, 2n * PRICE, 2n * PRICE]);
  });
});

describe('idempotency keys', () => {
  test("the caller's retry with the same key sends the same voucher; another route with that key pays anew", async () => {
    const consumer = await startConsumer(server, provider);
    const headers = { [IDEMPOTENCY_HEADER]: 'order-1' };
    await consumer.fetch(url(), { headers });
    await consumer.fetch(url(), { headers });
    await consumer.fetch(url('/other'), { headers });
    expect(provider.attempts.map((a) => a.key)).toEqual(['order-1', 'order-1', 'order-1', 'order-1', 'order-1']);
    // /paid: unpaid, voucher 1, the same voucher 1; /other: unpaid (new route), voucher 2.
    expect(amounts()).toEqual([null, PRICE, PRICE, null, 2n * PRICE]);
    expect(provider.attempts[2]!.voucherHeader).toBe(provider.attempts[1]!.voucherHeader);
  });

  test('with a key per call, a 503 PAYMENT_SERVER_UNAVAILABLE is sent again once with the same voucher and key', async () => {
    const consumer = await startConsumer(server, provider, { idempotencyKeys: true });
    await consumer.fetch(url());
    provider.script = () => answers.notStored();
    expect((await consumer.fetch(url())).status).toBe(503);
    const [retried, again] = provider.attempts.slice(2);
    expect(provider.attempts).toHaveLength(4);
    expect(again!.voucherHeader).toBe(retried!.voucherHeader);
    expect(again!.key).toBe(retried!.key);
    // The key may have been stored with the voucher: it is not reused for another call.
    provider.script = (a, p) => answers.honest(a, p);
    await consumer.fetch(url());
    expect(amounts().at(-1)).toBe(3n * PRICE);
    expect(new Set(provider.attempts.slice(1).map((a) => a.key)).size).toBe(3);
  });

  test("a payment sent under a key is never taken back: the caller's retry with that key may send it again", async () => {
    const consumer = await startConsumer(server, provider);
    await consumer.fetch(url());
    const headers = { [IDEMPOTENCY_HEADER]: 'order-2' };
    // Voucher 2: 503, sent again under its key: refused as not taken yet; voucher 3: 503, no retry left.
    const script = [() => answers.notStored(), () => answers.refused(provider, 'AMOUNT_EXCEEDS_DEPOSIT'), () => answers.notStored()];
    provider.script = () => script.shift()!();
    expect((await consumer.fetch(url(), { headers })).status).toBe(503);
    expect(amounts().slice(1)).toEqual([PRICE, 2n * PRICE, 2n * PRICE, 3n * PRICE]);
    provider.script = (a, p) => answers.honest(a, p);
    await consumer.fetch(url(), { headers });
    await consumer.fetch(url());
    expect(amounts().slice(5)).toEqual([3n * PRICE, 4n * PRICE]);
  });
});

describe('prepaid tickets', () => {
  beforeEach(() => {
    provider = fakeProvider(server, { maxPrepayCalls: 10 });
  });

  test('one voucher per block, tickets between: each ticket once, each of a block the provider confirmed', async () => {
    const consumer = await startConsumer(server, provider, { prepay: 10 });
    for (let i = 0; i < 30; i++) expect((await consumer.fetch(url())).status).toBe(200);
    const blocks = provider.attempts.filter((a) => a.prepay);
    const tickets = provider.attempts.filter((a) => a.ticket);
    expect(blocks.length + tickets.length).toBe(30);
    expect(blocks.every((b) => b.prepay!.calls === 10)).toBe(true);
    // The next block opens when half a block is left, so that it is ready before the tickets run out.
    expect(kinds().slice(0, 8)).toEqual(['unpaid', 'block', 'ticket', 'ticket', 'ticket', 'ticket', 'block', 'ticket']);
    // A new block opens when fewer than half a block is left: at most one voucher per 5 calls (and the first).
    expect(blocks.length).toBeLessThanOrEqual(7);
    const used = new Set(tickets.map((t) => `${t.ticket!.blockAmount}.${t.ticket!.index}`));
    expect(used.size).toBe(tickets.length);
    for (const t of tickets) {
      const opened = provider.attempts.findIndex((a) => a.voucher?.amount === t.ticket!.blockAmount);
      expect(opened).toBeGreaterThanOrEqual(0);
      expect(opened).toBeLessThan(provider.attempts.indexOf(t));
    }
    expect(consumer.channels()[0]!.signed).toBe(BigInt(blocks.length) * 10n * PRICE);
  });

  test('20 concurrent first calls wait for one block instead of each prepaying one', async () => {
    provider = fakeProvider(server, { maxPrepayCalls: 100 });
    const consumer = await startConsumer(server, provider, { prepay: 100 });
    const answered = await Promise.all(Array.from({ length: 20 }, () => consumer.fetch(url())));
    expect(answered.every((r) => r.status === 200)).toBe(true);
    const paid = provider.attempts.filter((a) => a.voucher || a.ticket);
    expect(paid.filter((a) => a.voucher)).toHaveLength(1);
    expect(paid.filter((a) => a.ticket)).toHaveLength(19);
    expect(consumer.channels()[0]!.signed).toBe(100n * PRICE);
  });

  test("a 402 without readable terms, or with terms we refuse, to a block's voucher gives the block up (no call waits for it)", async () => {
    const consumer = await startConsumer(server, provider, { prepay: 10 });
    provider.script = (a, p) => (a.prepay ? new Response('pay me', { status: 402 }) : answers.honest(a, p));
    await expect(consumer.fetch(url())).rejects.toMatchObject({ code: 'PAYMENT_REQUIRED' });
    expect(kinds()).toEqual(['unpaid', 'block']);
    expect(consumer.channels()[0]!.blocks).toHaveLength(0);
    provider.script = (a, p) => (a.prepay ? answers.refused(p, 'AMOUNT_TOO_LOW', { token: `0x${'77'.repeat(20)}` }) : answers.honest(a, p));
    await expect(consumer.fetch(url())).rejects.toMatchObject({ code: 'TERMS_NOT_ACCEPTED' });
    expect(consumer.channels()[0]!.blocks).toHaveLength(0);
  });

  test('a refused ticket costs no paid attempt; after three refusals the call pays with a voucher for itself alone', async () => {
    const consumer = await startConsumer(server, provider, { prepay: 10 });
    await consumer.fetch(url());
    provider.script = (a, p) => (a.ticket ? answers.refused(p, 'TICKET_USED') : answers.honest(a, p));
    expect((await consumer.fetch(url())).status).toBe(200);
    expect(kinds()).toEqual(['unpaid', 'block', 'ticket', 'ticket', 'ticket', 'voucher']);
    // TICKET_USED gives up only the ticket: the block's next tickets were tried.
    expect(provider.attempts.slice(2, 5).map((a) => a.ticket!.index)).toEqual([1, 2, 3]);
  });

  test('a ticket of a block the provider forgot: the block is given up and a new one opened', async () => {
    const consumer = await startConsumer(server, provider, { prepay: 10 });
    await consumer.fetch(url());
    let forgotten = true;
    provider.script = (a, p) => {
      if (!a.ticket || !forgotten) return answers.honest(a, p);
      forgotten = false;
      return answers.refused(p, 'UNKNOWN_TICKET_BLOCK');
    };
    expect((await consumer.fetch(url())).status).toBe(200);
    expect(kinds()).toEqual(['unpaid', 'block', 'ticket', 'block']);
    expect(consumer.channels()[0]!.blocks).toHaveLength(1);
  });

  test("a 5xx after a block's voucher keeps the block (the provider may hold it); a 4xx gives it up", async () => {
    const consumer = await startConsumer(server, provider, { prepay: 10 });
    provider.script = (a, p) => (a.prepay ? answers.error(500) : answers.honest(a, p));
    expect((await consumer.fetch(url())).status).toBe(500);
    provider.script = (a, p) => answers.honest(a, p);
    await consumer.fetch(url());
    expect(kinds()).toEqual(['unpaid', 'block', 'ticket']);

    provider.attempts.length = 0;
    const other = await startConsumer(server, provider, { prepay: 10 });
    provider.script = (a, p) => (a.prepay ? answers.error(400, 'VALIDATION_ERROR') : answers.honest(a, p));
    expect((await other.fetch(url())).status).toBe(400);
    provider.script = (a, p) => answers.honest(a, p);
    await other.fetch(url());
    expect(kinds()).toEqual(['unpaid', 'block', 'block']);
  });

  test('a ticket that never left the process is handed out again', async () => {
    const consumer = await startConsumer(server, provider, { prepay: 10 });
    await consumer.fetch(url());
    provider.script = () => 'refuse-connection';
    await expect(consumer.fetch(url())).rejects.toThrow();
    provider.script = (a, p) => answers.honest(a, p);
    await consumer.fetch(url());
    expect(kinds()).toEqual(['unpaid', 'block', 'ticket', 'ticket']);
    expect(provider.attempts[3]!.ticket).toEqual(provider.attempts[2]!.ticket);
  });
});

describe('remote mode', () => {
  test('the channel closes under us while signing: the next attempt opens another channel and pays', async () => {
    const consumer = await startConsumer(server, provider, { mode: 'remote', voucherKey: undefined });
    await consumer.fetch(url());
    server.refuseSigning = { code: 'CHANNEL_CLOSING', times: 1 };
    expect((await consumer.fetch(url())).status).toBe(200);
    expect(server.requests.filter((r) => r === 'POST /channels')).toHaveLength(2);
    const [first, second] = provider.attempts.filter((a) => a.voucher);
    expect(second!.voucher!.channelId).not.toBe(first!.voucher!.channelId);
    expect(consumer.channels().map((c) => c.id)).toEqual([second!.voucher!.channelId]);
  });

  test("signing refused on every channel: the call fails after maxAttempts with the payment server's reason", async () => {
    const consumer = await startConsumer(server, provider, { mode: 'remote', voucherKey: undefined });
    await consumer.fetch(url());
    server.refuseSigning = { code: 'CHANNEL_CLOSED', times: 100 };
    await expect(consumer.fetch(url())).rejects.toMatchObject({ code: 'CHANNEL_CLOSED' });
    expect(server.requests.filter((r) => r.endsWith('/vouchers'))).toHaveLength(1 + 3);
  });
});
