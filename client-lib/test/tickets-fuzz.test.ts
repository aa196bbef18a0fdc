import { randomBytes } from 'node:crypto';
import Koa from 'koa';
import { Router } from '@koa/router';
import fc from 'fast-check';
import {
  ERROR_STATUS,
  IDEMPOTENCY_HEADER,
  MAX_PREPAY_CALLS,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_SCHEME,
  PREPAY_HEADER,
  RECEIPT_HEADER,
  TICKET_HEADER,
  VOUCHER_HEADER,
  encodePrepay,
  encodeReceipt,
  encodeTicket,
  finney,
  isErrorCode,
  type ErrorCode,
} from '@chanpay/protocol';
import { bufferToHex, hexToBuffer, makeTicketChain } from '@chanpay/protocol/node';
import { PaymentProvider, createKoaPayments, listen } from '../src';
import { PROVIDER_TOKEN, localSigner, randomKey, startBench, type Bench } from './helpers/harness';

/**
 * Fuzzing of prepaid tickets on a real provider (koa + createKoaPayments + PaymentProvider, local and remote mode,
 * a real chain and payment server): hostile payment-ticket / payment-prepay / payment-voucher / idempotency-key
 * combinations interleaved with honest ones on two channels of the test's own, one request at a time (and a few
 * bursts of identical concurrent requests). A model predicts every answer: which blocks are open and which of
 * their tickets are unspent (the provider's 16 blocks per channel included), the highest voucher accepted per
 * channel, and the answers stored under idempotency keys. Properties: no 5xx; a 2xx only for a payment the model
 * accepts or the idempotent replay of one; every refusal a 402 with the terms or a 4xx with its stable code, the
 * code the model expects; the handler runs exactly as often as the model serves; at the end the payment server
 * holds exactly the highest accepted voucher of each channel and the provider exactly the model's unspent tickets.
 * A failure names its seed: CHANPAY_FUZZ_SEED=<seed> replays the same plans. CHANPAY_FUZZ_TICKET_REQUESTS scales the
 * run (default 400 per mode); CHANPAY_FUZZ_VERBOSE=1 prints what was sent and answered.
 */

const REQUESTS = Math.max(1, Math.floor(Number(process.env.CHANPAY_FUZZ_TICKET_REQUESTS ?? 400)) || 400);
const SEED = process.env.CHANPAY_FUZZ_SEED ? Number(process.env.CHANPAY_FUZZ_SEED) : Date.now() % 2 ** 31;
const VERBOSE = !!process.env.CHANPAY_FUZZ_VERBOSE;
const PRICE = 1_000n;
const ROUTES = { '/paid': PRICE, '/dear': 3n * PRICE } as const;
type Route = keyof typeof ROUTES;
/** The provider's limit per block (advertised in its terms), below the protocol's 4096. */
const MAX_CALLS = 64;
/** TicketBook's default: opening one more block on a channel forgets its oldest. */
const BLOCKS_PER_CHANNEL = 16;
/** Node's default limit for all request headers together; beyond it Node answers 431 before koa sees anything. */
const NODE_MAX_HEADER_BYTES = 16 * 1024;
const VOUCHER_DECODE_CODES: readonly ErrorCode[] = ['MALFORMED_VOUCHER', 'VOUCHER_TOO_LARGE', 'UNSUPPORTED_VOUCHER_VERSION'];

// ------------------------------------------------------------------ plans

const HONEST = ['voucher', 'prepay', 'ticket'] as const;
const HOSTILE = [
  'no-payment',
  'garbage-ticket',
  'long-ticket',
  'ticket-index-0',
  'ticket-index-beyond',
  'ticket-index-huge',
  'ticket-foreign-link',
  'ticket-shifted-link',
  'ticket-replay',
  'ticket-unknown-amount',
  'ticket-other-channel',
  'ticket-forgotten',
  'ticket-and-voucher',
  'prepay-bad-calls',
  'prepay-over-max',
  'prepay-bad-anchor',
  'prepay-no-voucher',
  'prepay-underpaid',
  'voucher-garbage',
  'voucher-replay',
  'burst-ticket',
  'burst-voucher',
] as const;
type Kind = (typeof HONEST)[number] | (typeof HOSTILE)[number];
type KeyKind = 'none' | 'fresh' | 'invalid' | 'repeat-same' | 'reuse-key';

interface Plan {
  kind: Kind;
  channel: number;
  route: Route;
  key: KeyKind;
  calls: number;
  a: number;
  b: number;
  garbage: string;
}

const planArb: fc.Arbitrary<Plan> = fc.record({
  kind: fc.oneof(
    { weight: 3, arbitrary: fc.constant<Kind>('voucher') },
    { weight: 5, arbitrary: fc.constant<Kind>('prepay') },
    { weight: 9, arbitrary: fc.constant<Kind>('ticket') },
    { weight: HOSTILE.length, arbitrary: fc.constantFrom<Kind>(...HOSTILE) },
  ),
  // Most traffic on the first channel, so that it opens more blocks than the provider keeps.
  channel: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
  route: fc.oneof({ weight: 3, arbitrary: fc.constant<Route>('/paid') }, { weight: 1, arbitrary: fc.constant<Route>('/dear') }),
  key: fc.oneof(
    { weight: 12, arbitrary: fc.constant<KeyKind>('none') },
    { weight: 4, arbitrary: fc.constant<KeyKind>('fresh') },
    { weight: 1, arbitrary: fc.constant<KeyKind>('invalid') },
    { weight: 2, arbitrary: fc.constant<KeyKind>('repeat-same') },
    { weight: 2, arbitrary: fc.constant<KeyKind>('reuse-key') },
  ),
  calls: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 2, max: 8 }) },
    { weight: 1, arbitrary: fc.integer({ min: 9, max: MAX_CALLS }) },
  ),
  a: fc.nat(),
  b: fc.nat(),
  garbage: fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.constantFrom('1', '.', '0x', '1.2.3.4', 'null', '{"index":1}', `0x${'00'.repeat(32)}.01.1.0x${'00'.repeat(32)}`),
  ),
});

/** Drops characters fetch refuses to put in a header, and the blanks HTTP strips (an empty header is no header). */
const headerSafe = (s: string) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?').replace(/^[\t ]+|[\t ]+$/g, '') || 'x';
const hex32 = () => randomBytes(32).toString('hex');
const randomChannelId = () => '0x' + hex32();

// ------------------------------------------------------------------ the model

interface Block {
  channelId: string;
  amount: bigint;
  price: bigint;
  calls: number;
  links: Buffer[];
  used: boolean[];
  left: number;
}

interface Chan {
  id: string;
  /** The highest voucher amount the provider accepted. */
  held: bigint;
  /** Open blocks, oldest first, as the provider's TicketBook keeps them. */
  live: Block[];
  /** Blocks the provider forgot (more than 16 open), with tickets left. */
  forgotten: Block[];
  spentTickets: string[];
  acceptedVouchers: string[];
}

interface ParsedTicket {
  channelId: string;
  amount: bigint;
  index: number;
  link: Buffer;
}

/** What one request carries, and what the protocol makes of each header (null: malformed). */
interface Payment {
  route: Route;
  ticket?: { header: string; t: ParsedTicket | null };
  voucher?: { header: string; v: { channelId: string; amount: bigint } | null };
  prepay?: { header: string; calls: number | null; anchor?: Buffer; links?: Buffer[] };
  key?: string;
}

interface KeyRecord {
  payment: string;
  status: number;
  body: unknown;
  receipt: string | null;
}

type Expected =
  | { kind: 'served'; receipt: string; commit: (body: unknown, receipt: string | null) => void }
  | { kind: 'replay'; of: KeyRecord }
  | { kind: 'refused'; status: number; codes: readonly ErrorCode[] }
  /** Too large for Node's HTTP parser: 431 (or the connection closed) before any code of ours runs. */
  | { kind: 'transport' };

class Model {
  readonly chans = new Map<string, Chan>();
  readonly keys = new Map<string, KeyRecord>();
  /** Requests served with an idempotency key, to repeat later. */
  readonly keyed: Payment[] = [];
  served = 0;

  add(id: string, held: bigint): Chan {
    const ch: Chan = { id, held, live: [], forgotten: [], spentTickets: [], acceptedVouchers: [] };
    this.chans.set(id, ch);
    return ch;
  }

  predict(p: Payment): Expected {
    if (headerBytes(p) > NODE_MAX_HEADER_BYTES) return { kind: 'transport' };
    const price = ROUTES[p.route];
    const refused = (code: ErrorCode): Expected => ({ kind: 'refused', status: 402, codes: [code] });
    if (p.ticket) {
      if (p.voucher) return refused('MALFORMED_TICKET');
      const t = p.ticket.t;
      if (!t) return refused('MALFORMED_TICKET');
      const header = p.ticket.header;
      const reserved = this.reserve(t.channelId, header, p.key);
      if (reserved) return reserved;
      const spend = this.spendOutcome(t, price);
      if ('code' in spend) return refused(spend.code);
      const block = spend.block;
      return {
        kind: 'served',
        receipt: encodeReceipt({ channelId: t.channelId, amount: t.amount, price: block.price }),
        commit: (body, receipt) => {
          block.used[t.index] = true;
          if (--block.left === 0) {
            const ch = this.chans.get(block.channelId)!;
            ch.live.splice(ch.live.indexOf(block), 1);
          }
          this.chans.get(block.channelId)!.spentTickets.push(header);
          this.remember(t.channelId, p, header, body, receipt);
        },
      };
    }
    if (!p.voucher) return refused('PAYMENT_REQUIRED');
    const v = p.voucher.v;
    if (!v) return { kind: 'refused', status: 402, codes: VOUCHER_DECODE_CODES };
    let calls = 1;
    if (p.prepay) {
      const n = p.prepay.calls;
      if (n === null || n < 2 || n > MAX_PREPAY_CALLS) return refused('MALFORMED_TICKET');
      if (n > MAX_CALLS) return refused('TERMS_NOT_ACCEPTED');
      calls = n;
    }
    const header = p.voucher.header;
    const reserved = this.reserve(v.channelId, header, p.key);
    if (reserved) return reserved;
    const ch = this.chans.get(v.channelId)!;
    // The range rule of both modes: (amount - charge, amount] must be above everything paid (our amounts never fill gaps).
    if (v.amount - price * BigInt(calls) < ch.held) return refused('AMOUNT_TOO_LOW');
    const prepay = p.prepay;
    return {
      kind: 'served',
      receipt: encodeReceipt({ channelId: v.channelId, amount: v.amount, price }),
      commit: (body, receipt) => {
        if (v.amount > ch.held) ch.held = v.amount;
        ch.acceptedVouchers.push(header);
        if (prepay) {
          const used = new Array<boolean>(calls).fill(false);
          used[0] = true;
          ch.live.push({ channelId: ch.id, amount: v.amount, price, calls, links: prepay.links!, used, left: calls - 1 });
          if (ch.live.length > BLOCKS_PER_CHANNEL) ch.forgotten.push(ch.live.shift()!);
        }
        this.remember(v.channelId, p, header, body, receipt);
      },
    };
  }

  /** The provider's idempotency check, before the payment itself is judged. */
  private reserve(channelId: string, payment: string, key: string | undefined): Expected | null {
    if (key === undefined) return null;
    if (!/^[\x21-\x7e]{1,128}$/.test(key)) return { kind: 'refused', status: 400, codes: ['VALIDATION_ERROR'] };
    const rec = this.keys.get(`${channelId}:${key}`);
    if (!rec) return null;
    if (rec.payment !== payment) return { kind: 'refused', status: 409, codes: ['IDEMPOTENCY_CONFLICT'] };
    return { kind: 'replay', of: rec };
  }

  private spendOutcome(t: ParsedTicket, price: bigint): { code: ErrorCode } | { block: Block } {
    const block = this.chans.get(t.channelId)?.live.find((b) => b.amount === t.amount);
    if (!block) return { code: 'UNKNOWN_TICKET_BLOCK' };
    if (t.index >= block.calls) return { code: 'BAD_TICKET' };
    if (block.used[t.index]) return { code: 'TICKET_USED' };
    if (block.price < price) return { code: 'AMOUNT_TOO_LOW' };
    // Equality with the chain's own link stands for "hashes to the anchor in `index` steps" (keccak has no known collisions).
    if (!t.link.equals(block.links[t.index]!)) return { code: 'BAD_TICKET' };
    return { block };
  }

  private remember(channelId: string, p: Payment, payment: string, body: unknown, receipt: string | null): void {
    this.served++;
    if (p.key === undefined) return;
    this.keys.set(`${channelId}:${p.key}`, { payment, status: 200, body, receipt });
    this.keyed.push(p);
  }

  unspent(id: string): number {
    return (this.chans.get(id)?.live ?? []).reduce((n, b) => n + b.left, 0);
  }
}

function headersOf(p: Payment): Record<string, string> {
  const h: Record<string, string> = {};
  if (p.ticket) h[TICKET_HEADER] = p.ticket.header;
  if (p.voucher) h[VOUCHER_HEADER] = p.voucher.header;
  if (p.prepay) h[PREPAY_HEADER] = p.prepay.header;
  if (p.key !== undefined) h[IDEMPOTENCY_HEADER] = p.key;
  return h;
}

function headerBytes(p: Payment): number {
  return Object.entries(headersOf(p)).reduce((n, [k, v]) => n + k.length + Buffer.byteLength(v, 'latin1') + 4, 0);
}

// ------------------------------------------------------------------ the app

async function startFuzzApp(bench: Bench, mode: 'local' | 'remote') {
  const provider = new PaymentProvider({
    mode,
    paymentServer: { url: bench.server.url, token: PROVIDER_TOKEN },
    maxPrepayCalls: MAX_CALLS,
  });
  await provider.start();
  const payments = createKoaPayments(provider);
  let served = 0;
  const app = new Koa();
  const router = new Router();
  for (const [path, price] of Object.entries(ROUTES)) {
    router.get(path, payments.paymentRequired(price), (ctx) => {
      served++;
      ctx.body = { route: path, served };
    });
  }
  app.use(router.routes());
  const http = await listen(app, 0);
  return {
    url: http.url,
    provider,
    served: () => served,
    async stop() {
      await http.close();
      await provider.stop();
    },
  };
}

interface Res {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

async function send(url: string, p: Payment): Promise<Res | null> {
  let res: Response;
  try {
    res = await fetch(url + p.route, { headers: headersOf(p), signal: AbortSignal.timeout(10_000) });
  } catch {
    return null;
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, text, json, headers: res.headers };
}

// ------------------------------------------------------------------ the test

let bench: Bench;

beforeAll(async () => {
  bench = await startBench();
}, 60_000);

afterAll(async () => {
  await bench?.stop();
});

describe.each(['local', 'remote'] as const)('fuzzing prepaid tickets, %s mode', (mode) => {
  test(
    `${REQUESTS} hostile and honest ticket, prepay, voucher and idempotency-key headers: never served without a valid payment, every refusal with its code`,
    async () => {
      const app = await startFuzzApp(bench, mode);
      const violations: string[] = [];
      const stats = {
        requests: 0,
        served: 0,
        replays: 0,
        refused402: 0,
        refused4xx: 0,
        transport: 0,
        byKind: {} as Record<string, number>,
        byCode: {} as Record<string, number>,
      };
      try {
        const model = new Model();
        // Two channels of the test's own. Local: the test holds the voucher key; remote: the consumer's payment server signs.
        const keys = [randomKey(), randomKey()];
        const signers = keys.map((k) => localSigner(bench, k));
        const chans: Chan[] = [];
        for (const signer of signers) {
          const info = await bench.consumer.openChannel({
            provider: bench.addresses.provider,
            deposit: finney(1),
            challengePeriod: 60,
            ...(mode === 'local' ? { signer: signer.address } : {}),
          });
          chans.push(model.add(info.id.toLowerCase(), 0n));
        }
        const signerOf = (ch: Chan) => signers[chans.indexOf(ch)]!;

        /** A voucher paying `charge` above what the provider holds (remote: above what the server signed). */
        const honestVoucher = async (ch: Chan, charge: bigint): Promise<NonNullable<Payment['voucher']>> => {
          if (mode === 'local') {
            const amount = ch.held + charge;
            return { header: signerOf(ch).header(ch.id, amount), v: { channelId: ch.id, amount } };
          }
          // The server signs above everything it signed, which is above `held` after vouchers the provider refused.
          const signed = await bench.consumer.signVoucher(ch.id, charge);
          return { header: signed.header, v: { channelId: ch.id, amount: BigInt(signed.voucher.amount) } };
        };
        /** A voucher `short` below `charge` above what the provider holds (remote: signed + charge - short, which the model judges). */
        const underpaidVoucher = async (ch: Chan, charge: bigint, short: bigint): Promise<NonNullable<Payment['voucher']>> => {
          if (mode === 'local') {
            const amount = ch.held + charge - short;
            return { header: signerOf(ch).header(ch.id, amount), v: { channelId: ch.id, amount } };
          }
          const inc = charge - short > 0n ? charge - short : 1n;
          const signed = await bench.consumer.signVoucher(ch.id, inc);
          return { header: signed.header, v: { channelId: ch.id, amount: BigInt(signed.voucher.amount) } };
        };
        const prepayOf = (calls: number) => {
          const links = makeTicketChain(calls).map(hexToBuffer);
          return { header: encodePrepay({ calls, anchor: bufferToHex(links[0]!) }), calls, anchor: links[0]!, links };
        };
        const ticket = (channelId: string, amount: bigint, index: number, link: Buffer) => ({
          header: encodeTicket({ channelId, blockAmount: amount, index, preimage: bufferToHex(link) }),
          t: { channelId, amount, index, link },
        });
        const unspentOf = (b: Block) => b.used.map((u, i) => (u ? -1 : i)).filter((i) => i > 0);
        /** An open block with a ticket left, on the plan's channel if it has one. */
        const pickLive = (ch: Chan, n: number, m: number): { block: Block; index: number } | null => {
          for (const c of [ch, ...chans.filter((x) => x !== ch)]) {
            const blocks = c.live.filter((b) => b.left > 0);
            if (blocks.length === 0) continue;
            const block = blocks[n % blocks.length]!;
            const free = unspentOf(block);
            return { block, index: free[m % free.length]! };
          }
          return null;
        };

        const build = async (plan: Plan): Promise<{ payment: Payment; copies: number; kind: Kind }> => {
          const ch = chans[plan.channel]!;
          const other = chans[1 - plan.channel]!;
          const route = plan.route;
          const price = ROUTES[route];
          const { a, b } = plan;
          const live = pickLive(ch, a, b);
          const honestPrepay = async (): Promise<Payment> => {
            const prepay = prepayOf(plan.calls);
            return { route, voucher: await honestVoucher(ch, price * BigInt(plan.calls)), prepay };
          };
          switch (plan.kind) {
            case 'voucher':
              return { payment: { route, voucher: await honestVoucher(ch, price) }, copies: 1, kind: plan.kind };
            case 'prepay':
              return { payment: await honestPrepay(), copies: 1, kind: plan.kind };
            case 'ticket':
              if (!live) return { payment: await honestPrepay(), copies: 1, kind: 'prepay' };
              return {
                payment: { route, ticket: ticket(live.block.channelId, live.block.amount, live.index, live.block.links[live.index]!) },
                copies: 1,
                kind: plan.kind,
              };
            case 'no-payment':
              return { payment: { route }, copies: 1, kind: plan.kind };
            case 'garbage-ticket':
              return { payment: { route, ticket: { header: headerSafe(plan.garbage), t: null } }, copies: 1, kind: plan.kind };
            case 'long-ticket': {
              const valid = live
                ? ticket(live.block.channelId, live.block.amount, live.index, live.block.links[live.index]!).header
                : `${ch.id}.1000.1.0x${hex32()}`;
              const variants = [
                't'.repeat(257),
                `${ch.id}.${'9'.repeat(200)}.1.0x${hex32()}`,
                `${valid}${'0'.repeat(300)}`,
                `${valid}.${valid}`,
                'a'.repeat(12_000),
                'a'.repeat(NODE_MAX_HEADER_BYTES + 4_000),
              ];
              return { payment: { route, ticket: { header: variants[a % variants.length]!, t: null } }, copies: 1, kind: plan.kind };
            }
            case 'ticket-index-0': {
              const target = live?.block ?? { channelId: ch.id, amount: ch.held, links: [randomBytes(32)] };
              return {
                payment: {
                  route,
                  ticket: { header: `${target.channelId}.${target.amount}.0.0x${target.links[0]!.toString('hex')}`, t: null },
                },
                copies: 1,
                kind: plan.kind,
              };
            }
            case 'ticket-index-beyond': {
              const block = live?.block;
              const calls = block?.calls ?? 2;
              const index = calls + (a % (MAX_PREPAY_CALLS - calls));
              return {
                payment: { route, ticket: ticket(block?.channelId ?? ch.id, block?.amount ?? ch.held + 1n, index, randomBytes(32)) },
                copies: 1,
                kind: plan.kind,
              };
            }
            case 'ticket-index-huge': {
              const index = ['4096', '4097', '65535', '999999', '1000000', '1' + '0'.repeat(30), '-1', '1.5', '01', '0x1', '1e3'][a % 11]!;
              const target = live?.block ?? { channelId: ch.id, amount: ch.held };
              return {
                payment: { route, ticket: { header: `${target.channelId}.${target.amount}.${index}.0x${hex32()}`, t: null } },
                copies: 1,
                kind: plan.kind,
              };
            }
            case 'ticket-foreign-link': {
              if (!live) return { payment: { route, ticket: ticket(ch.id, ch.held, 1, randomBytes(32)) }, copies: 1, kind: plan.kind };
              const index = 1 + (b % (live.block.calls - 1));
              // A link from another chain of the same length, at the same place.
              const foreign = hexToBuffer(makeTicketChain(live.block.calls)[index]!);
              return {
                payment: { route, ticket: ticket(live.block.channelId, live.block.amount, index, foreign) },
                copies: 1,
                kind: plan.kind,
              };
            }
            case 'ticket-shifted-link': {
              if (!live) return { payment: { route, ticket: ticket(ch.id, ch.held, 1, randomBytes(32)) }, copies: 1, kind: plan.kind };
              const { block, index } = live;
              // The right chain at the wrong place: an earlier link (the anchor included) or a later one.
              const earlier = a % 2 === 0 || index === block.calls - 1;
              const j = earlier ? b % index : index + 1 + (b % (block.calls - 1 - index));
              return {
                payment: { route, ticket: ticket(block.channelId, block.amount, index, block.links[j]!) },
                copies: 1,
                kind: plan.kind,
              };
            }
            case 'ticket-replay': {
              const spent = ch.spentTickets.length ? ch.spentTickets : other.spentTickets;
              if (spent.length === 0) return { payment: { route }, copies: 1, kind: 'no-payment' };
              const header = spent[a % spent.length]!;
              const [channelId, amount, index, link] = header.split('.') as [string, string, string, string];
              return {
                payment: {
                  route,
                  ticket: {
                    header,
                    t: { channelId, amount: BigInt(amount), index: Number(index), link: Buffer.from(link.slice(2), 'hex') },
                  },
                },
                copies: 1,
                kind: plan.kind,
              };
            }
            case 'ticket-unknown-amount': {
              const block = live?.block;
              const index = live?.index ?? 1;
              const link = block?.links[index] ?? randomBytes(32);
              const base = block?.amount ?? ch.held;
              const siblings = ch.live.filter((x) => x !== block).map((x) => x.amount);
              const amounts = [base + 1n, base - 1n, base + PRICE, 0n, 10n ** 77n, siblings[b % Math.max(1, siblings.length)] ?? base + 7n];
              const amount = amounts[a % amounts.length]!;
              if (amount < 0n)
                return {
                  payment: {
                    route,
                    ticket: { header: `${block?.channelId ?? ch.id}.${amount}.${index}.0x${link.toString('hex')}`, t: null },
                  },
                  copies: 1,
                  kind: plan.kind,
                };
              return { payment: { route, ticket: ticket(block?.channelId ?? ch.id, amount, index, link) }, copies: 1, kind: plan.kind };
            }
            case 'ticket-other-channel': {
              if (!live)
                return { payment: { route, ticket: ticket(randomChannelId(), ch.held, 1, randomBytes(32)) }, copies: 1, kind: plan.kind };
              const owner = live.block.channelId;
              const elsewhere = a % 2 === 0 ? chans.find((c) => c.id !== owner)!.id : randomChannelId();
              return {
                payment: { route, ticket: ticket(elsewhere, live.block.amount, live.index, live.block.links[live.index]!) },
                copies: 1,
                kind: plan.kind,
              };
            }
            case 'ticket-forgotten': {
              const forgotten = [...ch.forgotten, ...other.forgotten].filter((x) => x.left > 0);
              const block = forgotten[a % Math.max(1, forgotten.length)];
              if (!block)
                return { payment: { route, ticket: ticket(ch.id, ch.held + 3n, 1, randomBytes(32)) }, copies: 1, kind: plan.kind };
              const free = unspentOf(block);
              const index = free[b % free.length]!;
              return {
                payment: { route, ticket: ticket(block.channelId, block.amount, index, block.links[index]!) },
                copies: 1,
                kind: plan.kind,
              };
            }
            case 'ticket-and-voucher': {
              const t = live
                ? ticket(live.block.channelId, live.block.amount, live.index, live.block.links[live.index]!)
                : ticket(ch.id, ch.held, 1, randomBytes(32));
              return { payment: { route, ticket: t, voucher: await honestVoucher(ch, price) }, copies: 1, kind: plan.kind };
            }
            case 'prepay-bad-calls':
            case 'prepay-over-max': {
              const options =
                plan.kind === 'prepay-bad-calls'
                  ? [0, 1, MAX_PREPAY_CALLS + 1, 65_536, 999_999, 1_000_000]
                  : [MAX_CALLS + 1, MAX_CALLS + 1 + (b % (MAX_PREPAY_CALLS - MAX_CALLS)), MAX_PREPAY_CALLS];
              const calls = options[a % options.length]!;
              const anchor = randomBytes(32);
              return {
                payment: {
                  route,
                  voucher: await honestVoucher(ch, price * BigInt(Math.min(Math.max(calls, 1), MAX_CALLS))),
                  prepay: { header: encodePrepay({ calls, anchor: bufferToHex(anchor) }), calls, anchor },
                },
                copies: 1,
                kind: plan.kind,
              };
            }
            case 'prepay-bad-anchor': {
              const n = plan.calls;
              const h = hex32();
              const variants = [
                `${n}.0x1234`,
                `${n}.0x${'zz'.repeat(32)}`,
                `${n}.0x${h}0`,
                `${n}`,
                `${n}.${h}`,
                `${n}.0x${h}.extra`,
                `0${n}.0x${h}`,
                `${n}.0X${h}`,
                `+${n}.0x${h}`,
                `${n} .0x${h}`,
                `${n}.0x${h}${' '.repeat(40)}x`,
                `${n}.0x${h.slice(0, 63)}`,
                headerSafe(plan.garbage),
              ];
              return {
                payment: {
                  route,
                  voucher: await honestVoucher(ch, price * BigInt(n)),
                  prepay: { header: variants[a % variants.length]!, calls: null },
                },
                copies: 1,
                kind: plan.kind,
              };
            }
            case 'prepay-no-voucher':
              return { payment: { route, prepay: prepayOf(plan.calls) }, copies: 1, kind: plan.kind };
            case 'prepay-underpaid': {
              const charge = price * BigInt(plan.calls);
              const short = 1n + (BigInt(a) % charge);
              return {
                payment: { route, voucher: await underpaidVoucher(ch, charge, short), prepay: prepayOf(plan.calls) },
                copies: 1,
                kind: plan.kind,
              };
            }
            case 'voucher-garbage': {
              const variants = [
                headerSafe(plan.garbage),
                '1.' + 'x'.repeat(600),
                '2' + (ch.acceptedVouchers.at(-1) ?? '.1.2.3.4.5').slice(1),
              ];
              return {
                payment: {
                  route,
                  voucher: { header: variants[a % variants.length]!, v: null },
                  ...(b % 2 ? { prepay: prepayOf(plan.calls) } : {}),
                },
                copies: 1,
                kind: plan.kind,
              };
            }
            case 'voucher-replay': {
              const accepted = ch.acceptedVouchers.length ? ch : other;
              const header = accepted.acceptedVouchers[a % Math.max(1, accepted.acceptedVouchers.length)];
              if (!header) return { payment: { route }, copies: 1, kind: 'no-payment' };
              const amount = BigInt(header.split('.')[4]!);
              return {
                payment: {
                  route,
                  voucher: { header, v: { channelId: accepted.id, amount } },
                  ...(b % 2 ? { prepay: prepayOf(plan.calls) } : {}),
                },
                copies: 1,
                kind: plan.kind,
              };
            }
            case 'burst-ticket': {
              if (!live) return { payment: await honestPrepay(), copies: 1, kind: 'prepay' };
              return {
                payment: { route, ticket: ticket(live.block.channelId, live.block.amount, live.index, live.block.links[live.index]!) },
                copies: 2 + (a % 4),
                kind: plan.kind,
              };
            }
            case 'burst-voucher': {
              const payment: Payment = b % 2 ? await honestPrepay() : { route, voucher: await honestVoucher(ch, price) };
              return { payment, copies: 2 + (a % 4), kind: plan.kind };
            }
          }
        };

        const applyKey = (payment: Payment, plan: Plan, i: number): Payment => {
          const earlier = model.keyed.length ? model.keyed[plan.b % model.keyed.length]! : null;
          switch (plan.key) {
            case 'none':
              return payment;
            case 'fresh':
              return { ...payment, key: `fz-${mode}-${i}-${plan.a}` };
            case 'invalid':
              return { ...payment, key: ['k'.repeat(129), 'a b', 'clé', 'x\u00ff'][plan.a % 4]! };
            case 'repeat-same':
              // The very same request as an earlier one that was served with a key: its stored answer.
              return earlier ?? { ...payment, key: `fz-${mode}-${i}-${plan.a}` };
            case 'reuse-key':
              // An earlier key with this request's payment: a conflict on the same channel, a new key on another.
              return { ...payment, key: earlier?.key ?? `fz-${mode}-${i}-${plan.a}` };
          }
        };

        const describeReq = (i: number, kind: string, plan: Plan, p: Payment) =>
          `#${i} ${kind} key=${plan.key} ${p.route} [${Object.entries(headersOf(p))
            .map(([k, v]) => `${k}: ${v.length > 120 ? v.slice(0, 120) + `…(${v.length})` : v}`)
            .join(' | ')}]`;

        /** Checks one answer against the model's expectation; returns false when the model can no longer follow. */
        const check = (what: string, route: Route, res: Res | null, exp: Expected): boolean => {
          stats.requests++;
          if (!res) {
            if (exp.kind === 'transport') {
              stats.transport++;
              return true;
            }
            violations.push(`${what}: no answer`);
            return false;
          }
          const code: unknown = res.json?.error?.code;
          if (res.status >= 400) stats.byCode[`${res.status} ${String(code)}`] = (stats.byCode[`${res.status} ${String(code)}`] ?? 0) + 1;
          if (res.status >= 500) {
            violations.push(`${what}: ${res.status} ${res.text.slice(0, 300)}`);
            return exp.kind !== 'served';
          }
          const replayed = res.headers.get('idempotent-replayed') === 'true';
          const receipt = res.headers.get(RECEIPT_HEADER);
          if (res.status < 300) {
            if (replayed) stats.replays++;
            else stats.served++;
            if (exp.kind === 'served' && !replayed) {
              if (receipt !== exp.receipt) violations.push(`${what}: receipt ${receipt}, expected ${exp.receipt}`);
              return true;
            }
            if (exp.kind === 'replay' && replayed) {
              if (res.status !== exp.of.status || JSON.stringify(res.json) !== JSON.stringify(exp.of.body) || receipt !== exp.of.receipt) {
                violations.push(
                  `${what}: replayed ${res.status} ${res.text} (${receipt}), the first answer was ${exp.of.status} ${JSON.stringify(exp.of.body)} (${exp.of.receipt})`,
                );
              }
              return true;
            }
            violations.push(
              `${what}: ${res.status}${replayed ? ' (replayed)' : ''} ${res.text.slice(0, 200)}, expected ${describeExp(exp)}`,
            );
            return false;
          }
          // A refusal.
          if (exp.kind === 'served') {
            violations.push(`${what}: a valid payment refused with ${res.status} ${res.text.slice(0, 300)}`);
            return false;
          }
          if (exp.kind === 'transport') {
            stats.transport++;
            if (res.status !== 431) violations.push(`${what}: ${res.status} for headers Node cannot take, expected 431`);
            return true;
          }
          if (res.status === 402) {
            stats.refused402++;
            const body = res.json;
            const reason: unknown = body?.reason?.code;
            if (body?.scheme !== PAYMENT_SCHEME || !res.headers.get(PAYMENT_REQUIRED_HEADER))
              violations.push(`${what}: a 402 without terms: ${res.text.slice(0, 300)}`);
            else if (!isErrorCode(code) || (code === 'PAYMENT_REQUIRED' ? reason !== undefined : reason !== code))
              violations.push(`${what}: a 402 whose reason.code ${String(reason)} / error.code ${String(code)} is not a known code`);
            else if (body.price !== String(ROUTES[route]) || body.prepay?.maxCalls !== MAX_CALLS)
              violations.push(`${what}: 402 terms with price ${body.price} and prepay ${JSON.stringify(body.prepay)}`);
          } else {
            stats.refused4xx++;
            if (!isErrorCode(code) || ERROR_STATUS[code] !== res.status)
              violations.push(`${what}: ${res.status} without its stable code: ${res.text.slice(0, 300)}`);
          }
          if (exp.kind !== 'refused' || res.status !== exp.status || !exp.codes.includes(code as ErrorCode)) {
            violations.push(`${what}: ${res.status} ${String(code)}, expected ${describeExp(exp)}`);
          }
          return true;
        };

        const plans = fc.sample(planArb, { seed: SEED, numRuns: REQUESTS });
        // One plan of each hostile kind for sure (once blocks are open), so that a short run still tries them all.
        const forcedFrom = Math.floor(REQUESTS / 3);
        if (REQUESTS >= 3 * HOSTILE.length) HOSTILE.forEach((kind, j) => Object.assign(plans[forcedFrom + j]!, { kind, key: 'none' }));
        let sent = 0;
        for (const [i, plan] of plans.entries()) {
          if (sent >= REQUESTS) break;
          const built = await build(plan);
          const payment = applyKey(built.payment, plan, i);
          const kind: string = payment !== built.payment && model.keyed.includes(payment) ? 'repeat of a keyed call' : built.kind;
          stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
          const what = describeReq(i, kind, plan, payment);
          const exp = model.predict(payment);
          sent += built.copies;
          let ok: boolean;
          if (built.copies === 1) {
            const res = await send(app.url, payment);
            ok = check(what, payment.route, res, exp);
            if (ok && exp.kind === 'served' && res) exp.commit(res.json, res.headers.get(RECEIPT_HEADER));
          } else {
            // Identical requests at once: at most one is paid; the others are refused or get its answer again.
            const results = await Promise.all(Array.from({ length: built.copies }, () => send(app.url, payment)));
            const first = results.findIndex((r) => r !== null && r.status < 300 && r.headers.get('idempotent-replayed') !== 'true');
            ok = true;
            if (exp.kind === 'served') {
              if (first < 0) {
                violations.push(
                  `${what} x${built.copies}: none served: ${results.map((r) => `${r?.status} ${r?.text.slice(0, 120)}`).join(' / ')}`,
                );
                ok = false;
              } else {
                const winner = results[first]!;
                ok = check(`${what} (copy ${first + 1} of ${built.copies})`, payment.route, winner, exp);
                if (ok) exp.commit(winner.json, winner.headers.get(RECEIPT_HEADER));
                const after = model.predict(payment);
                results.forEach((r, n) => {
                  if (n !== first && ok) ok = check(`${what} (copy ${n + 1} of ${built.copies})`, payment.route, r, after);
                });
              }
            } else {
              results.forEach((r, n) => {
                if (ok) ok = check(`${what} (copy ${n + 1} of ${built.copies})`, payment.route, r, exp);
              });
            }
          }
          if (ok && app.served() !== model.served) {
            violations.push(`${what}: the handler ran ${app.served()} times, the model served ${model.served}`);
            ok = false;
          }
          if (!ok) break;
        }

        if (VERBOSE)
          console.log(
            JSON.stringify({
              mode,
              seed: SEED,
              ...stats,
              blocksOpen: chans.map((c) => c.live.length),
              blocksForgotten: chans.map((c) => c.forgotten.length),
            }),
          );
        expect({ seed: SEED, violations }).toEqual({ seed: SEED, violations: [] });
        expect(app.served()).toBe(model.served);

        // What the provider holds: exactly the model's highest accepted voucher per channel, and its unspent tickets.
        await app.provider.flush();
        const book = app.provider['tickets'];
        for (const ch of chans) {
          const info = await bench.provider.channel(ch.id);
          expect({ seed: SEED, channel: ch.id, held: info.latestVoucher?.amount ?? '0', unspent: book.unspent(ch.id) }).toEqual({
            seed: SEED,
            channel: ch.id,
            held: ch.held.toString(),
            unspent: model.unspent(ch.id),
          });
        }
        expect(book.size).toBe(chans.reduce((n, ch) => n + ch.live.length, 0));

        // The run did what it is for (at the default size): honest calls served, and each kind of refusal seen.
        if (REQUESTS >= 3 * HOSTILE.length) {
          expect(stats.served).toBeGreaterThan(REQUESTS / 5);
          expect(stats.replays).toBeGreaterThan(0);
          for (const seen of [
            '402 MALFORMED_TICKET',
            '402 BAD_TICKET',
            '402 TICKET_USED',
            '402 UNKNOWN_TICKET_BLOCK',
            '402 TERMS_NOT_ACCEPTED',
            '402 AMOUNT_TOO_LOW',
            '402 PAYMENT_REQUIRED',
            '409 IDEMPOTENCY_CONFLICT',
            '400 VALIDATION_ERROR',
          ]) {
            expect({ seed: SEED, code: seen, seen: (stats.byCode[seen] ?? 0) > 0 }).toEqual({ seed: SEED, code: seen, seen: true });
          }
        }
      } finally {
        await app.stop();
      }
    },
    30_000 + REQUESTS * 100,
  );
});

function describeExp(exp: Expected): string {
  switch (exp.kind) {
    case 'served':
      return `served (${exp.receipt})`;
    case 'replay':
      return `a replay of ${JSON.stringify(exp.of.body)}`;
    case 'refused':
      return `${exp.status} ${exp.codes.join('|')}`;
    case 'transport':
      return '431';
  }
}
