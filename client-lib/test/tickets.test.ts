import Koa from 'koa';
import { Router } from '@koa/router';
import {
  ChanpayError,
  PREPAY_HEADER,
  TICKET_HEADER,
  VOUCHER_HEADER,
  decodePrepay,
  decodeTicket,
  encodePrepay,
  encodeTicket,
  finney,
  type Ticket,
} from '@chanpay/protocol';
import { chainReaches, hexToBuffer, keccak256, makeTicketChain } from '@chanpay/protocol/node';
import { PaymentConsumer, PaymentProvider, TicketBook, createKoaPayments, listen, receiptOf } from '../src';
import { CONSUMER_TOKEN, PROVIDER_TOKEN, get, localSigner, pool, randomKey, startBench, startPaidApp, type Bench } from './helpers/harness';

const PRICE = 1_000n;
const CHANNEL = '0x' + 'ab'.repeat(32);

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ChanpayError) return e.code;
    throw e;
  }
  return 'accepted';
}

describe('ticket wire format', () => {
  test('a chain links each value to the next by one keccak, anchor first', () => {
    const links = makeTicketChain(5);
    expect(links).toHaveLength(5);
    for (const link of links) expect(link).toMatch(/^0x[0-9a-f]{64}$/);
    const bytes = links.map(hexToBuffer);
    for (let i = 1; i < 5; i++) expect(keccak256(bytes[i]!).equals(bytes[i - 1]!)).toBe(true);
    expect(chainReaches(bytes[4]!, 4, bytes[0]!)).toBe(true);
    expect(chainReaches(bytes[4]!, 3, bytes[0]!)).toBe(false);
    expect(new Set(makeTicketChain(2)).size).toBe(2);
    expect(() => makeTicketChain(1)).toThrow(RangeError);
  });

  test('prepay and ticket headers round-trip; malformed ones are refused', () => {
    const anchor = makeTicketChain(3)[0]!;
    expect(decodePrepay(encodePrepay({ calls: 100, anchor }))).toEqual({ calls: 100, anchor });
    const t: Ticket = { channelId: CHANNEL, blockAmount: 123_000n, index: 7, preimage: anchor };
    expect(decodeTicket(encodeTicket(t))).toEqual(t);
    for (const bad of ['1.' + '0x' + '00'.repeat(32), '100000.0x' + '00'.repeat(32), '10.0x1234', '10', 'x.y', '010.0x' + '00'.repeat(32)])
      expect(decodePrepay(bad)).toBeNull();
    const link = '0x' + '11'.repeat(32);
    for (const bad of [
      `${CHANNEL}.5.0.${link}`, // index 0 is the voucher's own call
      `${CHANNEL}.5.-1.${link}`,
      `${CHANNEL}.05.1.${link}`,
      `${CHANNEL}.5.1.0x1234`,
      `0x1234.5.1.${link}`,
      `${CHANNEL}.5.1.${link}.extra`,
      `${CHANNEL}.5.99999.${link}`,
    ]) {
      expect(decodeTicket(bad)).toBeNull();
    }
  });
});

describe('TicketBook', () => {
  const ticket = (links: string[], index: number, blockAmount = 10_000n): Ticket => ({
    channelId: CHANNEL,
    blockAmount,
    index,
    preimage: links[index]!,
  });

  test('each ticket pays once, in any order; the block is gone when spent', () => {
    const book = new TicketBook();
    const links = makeTicketChain(6);
    book.open(CHANNEL, 10_000n, PRICE, 6, links[0]!);
    expect(book.unspent(CHANNEL)).toBe(5);
    for (const i of [2, 1, 5, 3]) expect(book.spend(ticket(links, i), PRICE)).toBe(PRICE);
    expect(refusal(() => book.spend(ticket(links, 2), PRICE))).toBe('TICKET_USED');
    expect(book.unspent(CHANNEL)).toBe(1);
    expect(book.spend(ticket(links, 4), PRICE)).toBe(PRICE);
    expect(book.size).toBe(0);
    expect(refusal(() => book.spend(ticket(links, 4), PRICE))).toBe('UNKNOWN_TICKET_BLOCK');
  });

  test('forged, out-of-range, unknown and underpriced tickets are refused without spending anything', () => {
    const book = new TicketBook();
    const links = makeTicketChain(4);
    book.open(CHANNEL, 10_000n, PRICE, 4, links[0]!);
    expect(refusal(() => book.spend({ ...ticket(links, 2), preimage: links[1]! }, PRICE))).toBe('BAD_TICKET');
    expect(refusal(() => book.spend({ ...ticket(links, 1), preimage: makeTicketChain(4)[1]! }, PRICE))).toBe('BAD_TICKET');
    expect(refusal(() => book.spend({ ...ticket(links, 3), index: 4 }, PRICE))).toBe('BAD_TICKET');
    expect(refusal(() => book.spend(ticket(links, 1, 9_000n), PRICE))).toBe('UNKNOWN_TICKET_BLOCK');
    expect(refusal(() => book.spend({ ...ticket(links, 1), channelId: '0x' + 'cd'.repeat(32) }, PRICE))).toBe('UNKNOWN_TICKET_BLOCK');
    expect(refusal(() => book.spend(ticket(links, 1), PRICE + 1n))).toBe('AMOUNT_TOO_LOW');
    // Nothing above was spent; a cheaper call is charged the block's price.
    expect(book.unspent(CHANNEL)).toBe(3);
    expect(book.spend(ticket(links, 1), PRICE - 1n)).toBe(PRICE);
    // A link already seen (the highest verified) checks later ones in one hash; an earlier one back to the anchor.
    expect(book.spend(ticket(links, 3), PRICE)).toBe(PRICE);
    expect(book.spend(ticket(links, 2), PRICE)).toBe(PRICE);
  });

  test('bounded: a channel keeps its newest blocks, the book its most recently opened channels', () => {
    const book = new TicketBook({ maxBlocksPerChannel: 2, maxBlocks: 3 });
    const chains = [1, 2, 3].map(() => makeTicketChain(3));
    chains.forEach((links, i) => book.open(CHANNEL, BigInt(i + 1) * 10_000n, PRICE, 3, links[0]!));
    expect(book.size).toBe(2);
    expect(refusal(() => book.spend(ticket(chains[0]!, 1, 10_000n), PRICE))).toBe('UNKNOWN_TICKET_BLOCK');
    expect(book.spend(ticket(chains[2]!, 1, 30_000n), PRICE)).toBe(PRICE);
    const other = '0x' + 'ef'.repeat(32);
    const a = makeTicketChain(3);
    const b = makeTicketChain(3);
    book.open(other, 1_000n, PRICE, 3, a[0]!);
    book.open(other, 2_000n, PRICE, 3, b[0]!);
    // Over the total: the channel opened longest ago loses its blocks.
    expect(book.size).toBe(2);
    expect(book.unspent(CHANNEL)).toBe(0);
    expect(book.unspent(other)).toBe(4);
  });
});

/** A provider app whose PaymentProvider can be replaced (a restart), counting what it served and how it was paid. */
async function startTicketApp(bench: Bench, mode: 'local' | 'remote', maxPrepayCalls?: number) {
  const newProvider = () => new PaymentProvider({ mode, paymentServer: { url: bench.server.url, token: PROVIDER_TOKEN }, maxPrepayCalls });
  let provider = newProvider();
  await provider.start();
  let payments = createKoaPayments(provider);
  const seen = { served: 0, vouchers: 0, tickets: 0 };
  const app = new Koa();
  const router = new Router();
  router.get(
    '/paid',
    async (ctx, next) => {
      if (ctx.get(VOUCHER_HEADER)) seen.vouchers++;
      if (ctx.get(TICKET_HEADER)) seen.tickets++;
      await next();
    },
    (ctx, next) => payments.paymentRequired(PRICE)(ctx, next),
    (ctx) => {
      seen.served++;
      ctx.body = { served: seen.served };
    },
  );
  app.use(router.routes());
  const http = await listen(app, 0);
  return {
    url: http.url,
    seen,
    provider: () => provider,
    /** A new provider instance in place of the old one (which stores what it holds first). */
    async restart() {
      await provider.stop();
      provider = newProvider();
      await provider.start();
      payments = createKoaPayments(provider);
    },
    async stop() {
      await http.close();
      await provider.stop();
    },
  };
}

describe.each(['local', 'remote'] as const)('prepaid tickets on the wire, %s mode', (mode) => {
  let bench: Bench;
  let app: Awaited<ReturnType<typeof startTicketApp>>;
  beforeAll(async () => {
    bench = await startBench();
    app = await startTicketApp(bench, mode);
  });
  afterAll(async () => {
    await app?.stop();
    await bench?.stop();
  });
  beforeEach(() => Object.assign(app.seen, { served: 0, vouchers: 0, tickets: 0 }));

  const consumer = (prepay: number, voucherKey = randomKey()) =>
    new PaymentConsumer({
      mode,
      paymentServer: { url: bench.server.url, token: CONSUMER_TOKEN },
      voucherKey: mode === 'local' ? voucherKey : undefined,
      deposit: finney(1),
      challengePeriod: 60,
      prepay,
    });

  test('the terms advertise tickets; 300 calls at concurrency 10 need a voucher only every few calls, each call charged once', async () => {
    const c = consumer(20);
    const first = await get(`${app.url}/paid`);
    expect(first.status).toBe(402);
    expect(first.body.prepay).toEqual({ maxCalls: 256 });
    const results = await pool(300, 10, () => c.fetch(`${app.url}/paid`));
    expect(results.map((r) => r.status)).toEqual(Array(300).fill(200));
    expect(results.every((r) => receiptOf(r)?.price === PRICE)).toBe(true);
    expect(app.seen.served).toBe(300);
    // Every call carried a voucher or a ticket, and none was refused; about one in 20 carried a voucher (a few
    // more when concurrent calls find no ticket left and each open a block).
    expect(app.seen.vouchers + app.seen.tickets).toBe(300);
    expect(app.seen.vouchers).toBeGreaterThanOrEqual(15);
    expect(app.seen.vouchers).toBeLessThanOrEqual(300 / 20 + 10);
    const [ch] = c.channels();
    expect(ch!.calls).toBe(300);
    expect(ch!.paid).toBe(300n * PRICE);
    // The provider holds the highest voucher: every call served is covered, plus at most the unused prepaid rest.
    await app.provider().flush();
    const held = BigInt((await bench.provider.channel(ch!.id)).latestVoucher!.amount);
    expect(held).toBe(ch!.signed);
    expect(held).toBeGreaterThanOrEqual(300n * PRICE);
    expect(held % (20n * PRICE)).toBe(0n);
    const unused = Number(held / PRICE) - 300;
    expect(unused).toBe(app.provider()['tickets'].unspent(ch!.id));
    await bench.consumer.close(ch!.id);
  });

  test('20 concurrent first calls share one block: they wait for its tickets instead of each prepaying a block', async () => {
    const c = consumer(100);
    const results = await pool(20, 20, () => c.fetch(`${app.url}/paid`));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const ch = c.channels()[0]!;
    expect(app.seen.vouchers).toBe(1);
    expect(app.seen.tickets).toBe(19);
    expect(ch.signed).toBe(100n * PRICE);
    await bench.consumer.close(ch.id);
  });

  test('forged, replayed, unknown and mixed payments are refused with their codes and never served', async () => {
    const key = randomKey();
    const c = consumer(1, key);
    await c.fetch(`${app.url}/paid`);
    const ch = c.channels()[0]!;
    const signer = localSigner(bench, key);
    const links = makeTicketChain(5);
    // In remote mode the consumer's payment server signs; the channel signer is then the server's key, and a
    // test-held voucher would be refused. Open the block through a voucher of the channel's own signer.
    const amount = ch.signed + 5n * PRICE;
    const voucher = mode === 'local' ? signer.header(ch.id, amount) : (await bench.consumer.signVoucher(ch.id, 5n * PRICE)).header;
    ch.signed = amount;
    app.seen.served = 0;
    const opened = await get(`${app.url}/paid`, {
      [VOUCHER_HEADER]: voucher,
      [PREPAY_HEADER]: encodePrepay({ calls: 5, anchor: links[0]! }),
    });
    expect(opened.status).toBe(200);
    expect(receiptOf({ headers: opened.headers } as Response)).toEqual({ channelId: ch.id, amount, price: PRICE });
    const ticket = (index: number, preimage = links[index]!, blockAmount = amount) => ({
      [TICKET_HEADER]: encodeTicket({ channelId: ch.id, blockAmount, index, preimage }),
    });
    const code = async (headers: Record<string, string>) => {
      const r = await get(`${app.url}/paid`, headers);
      return r.status === 402 ? (r.body.reason?.code ?? r.body.error?.code) : r.status;
    };
    expect(await code(ticket(2))).toBe(200);
    expect(await code(ticket(2))).toBe('TICKET_USED');
    expect(await code(ticket(3, links[1]!))).toBe('BAD_TICKET');
    expect(await code(ticket(3, makeTicketChain(5)[3]!))).toBe('BAD_TICKET');
    expect(await code(ticket(5, links[4]!))).toBe('BAD_TICKET');
    expect(await code(ticket(1, links[1]!, amount - PRICE))).toBe('UNKNOWN_TICKET_BLOCK');
    expect(await code({ [TICKET_HEADER]: 'nonsense' })).toBe('MALFORMED_TICKET');
    expect(await code({ ...ticket(1), [VOUCHER_HEADER]: voucher })).toBe('MALFORMED_TICKET');
    expect(await code({ [VOUCHER_HEADER]: voucher, [PREPAY_HEADER]: '1.0x00' })).toBe('MALFORMED_TICKET');
    // A provider's limit on calls per voucher is in its terms, and a block above it is refused.
    const big =
      mode === 'local' ? signer.header(ch.id, amount + 300n * PRICE) : (await bench.consumer.signVoucher(ch.id, 300n * PRICE)).header;
    expect(await code({ [VOUCHER_HEADER]: big, [PREPAY_HEADER]: encodePrepay({ calls: 300, anchor: links[0]! }) })).toBe(
      'TERMS_NOT_ACCEPTED',
    );
    // The call that opened the block and one ticket: nothing else was served.
    expect(app.seen.served).toBe(2);
    // The other tickets still work, in any order.
    expect(await code(ticket(4))).toBe(200);
    expect(await code(ticket(1))).toBe(200);
    expect(await code(ticket(3))).toBe(200);
    expect(app.seen.served).toBe(5);
    await bench.consumer.close(ch.id);
  });

  test('after a provider restart its earlier blocks are unknown: tickets are refused, the consumer pays with a new voucher and no call fails', async () => {
    const c = consumer(50);
    for (let i = 0; i < 10; i++) expect((await c.fetch(`${app.url}/paid`)).status).toBe(200);
    const ch = c.channels()[0]!;
    const before = ch.signed;
    await app.restart();
    app.seen.served = 0;
    const results = await pool(30, 5, () => c.fetch(`${app.url}/paid`));
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(200));
    expect(app.seen.served).toBe(30);
    expect(ch.calls).toBe(40);
    // The unused rest of the first block is lost (the consumer's risk): new blocks start above it.
    expect(ch.signed).toBeGreaterThanOrEqual(before + 50n * PRICE);
    await bench.consumer.close(ch.id);
  });

  test('with Idempotency-Keys a repeated ticket gets the first answer again, served and charged once', async () => {
    const c = new PaymentConsumer({
      mode,
      paymentServer: { url: bench.server.url, token: CONSUMER_TOKEN },
      voucherKey: mode === 'local' ? randomKey() : undefined,
      deposit: finney(1),
      challengePeriod: 60,
      prepay: 10,
      idempotencyKeys: true,
    });
    const results = await pool(40, 4, () => c.fetch(`${app.url}/paid`));
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect(app.seen.served).toBe(40);
    expect(app.seen.tickets).toBeGreaterThan(20);
    // The caller retries a call (same key): the consumer sends the same ticket, the provider replays its answer.
    const key = 'retry-key-0001';
    const first = await c.fetch(`${app.url}/paid`, { headers: { 'idempotency-key': key } });
    const again = await c.fetch(`${app.url}/paid`, { headers: { 'idempotency-key': key } });
    expect(await again.json()).toEqual(await first.json());
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(receiptOf(again)).toEqual(receiptOf(first));
    expect(app.seen.served).toBe(41);
    await bench.consumer.close(c.channels()[0]!.id);
  });

  test('a provider that takes no tickets gets a voucher with every call', async () => {
    const plain = await startTicketApp(bench, mode, 0);
    try {
      const first = await get(`${plain.url}/paid`);
      expect(first.body.prepay).toBeUndefined();
      const c = consumer(20);
      await pool(20, 4, () => c.fetch(`${plain.url}/paid`));
      expect(plain.seen).toEqual({ served: 20, vouchers: 20, tickets: 0 });
      expect(c.channels()[0]!.signed).toBe(20n * PRICE);
      await bench.consumer.close(c.channels()[0]!.id);
    } finally {
      await plain.stop();
    }
  });
});

describe('a repeat the provider has forgotten (remote mode)', () => {
  let bench: Bench;
  beforeAll(async () => {
    bench = await startBench();
  });
  afterAll(async () => {
    await bench?.stop();
  });

  // Found by the ticket fuzzing: the provider sent the caller's key to its payment server, which keeps keys
  // forever and answered a forgotten repeat "accepted" again: served free, and with a new payment-prepay it
  // opened a block of 200 calls on a voucher that paid for 2.
  test('the same key and voucher after the provider forgot the key is refused as a replay, and opens no block', async () => {
    const app = await startPaidApp(bench, { mode: 'remote', price: PRICE, idempotency: { ttlMs: 200 } });
    try {
      const ch = await bench.consumer.openChannel({ provider: bench.addresses.provider, deposit: finney(1), challengePeriod: 60 });
      const voucher = (await bench.consumer.signVoucher(ch.id, 2n * PRICE)).header;
      const links = makeTicketChain(2);
      const headers = {
        [VOUCHER_HEADER]: voucher,
        [PREPAY_HEADER]: encodePrepay({ calls: 2, anchor: links[0]! }),
        'idempotency-key': 'k1',
      };
      expect((await get(`${app.url}/paid`, headers)).status).toBe(200);
      const again = await get(`${app.url}/paid`, headers);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      await new Promise((r) => setTimeout(r, 300));
      const evil = makeTicketChain(200);
      const late = await get(`${app.url}/paid`, { ...headers, [PREPAY_HEADER]: encodePrepay({ calls: 200, anchor: evil[0]! }) });
      expect(late.status).toBe(402);
      expect(late.body.reason.code).toBe('AMOUNT_TOO_LOW');
      const ticket = await get(`${app.url}/paid`, {
        [TICKET_HEADER]: encodeTicket({ channelId: ch.id, blockAmount: 2n * PRICE, index: 1, preimage: evil[1]! }),
      });
      expect(ticket.status).toBe(402);
      expect(app.served()).toBe(1);
    } finally {
      await app.stop();
    }
  });
});
