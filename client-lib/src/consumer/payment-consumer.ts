import { randomUUID } from 'node:crypto';
import { ChanpayError, inErrorGroup, isErrorCode, type ErrorCode, VOUCHER_HEADER, decodeVoucher, isHex, MAX_PREPAY_CALLS, PREPAY_HEADER, TICKET_HEADER, encodePrepay, encodeTicket, IDEMPOTENCY_HEADER, PAYMENT_REQUIRED_HEADER, PAYMENT_SCHEME, RECEIPT_HEADER, decodeReceipt, decodeTerms, type PaymentTerms, type Receipt, toWei, type Amount } from '@chanpay/protocol';
import { recoverSigner, makeTicketChain } from '@chanpay/protocol/node';
import { PaymentServerClient, neverSent, sleep, type PaymentServerClientOptions } from '../payment-server-client';
import { silentLogger, type Logger } from '../logger';
import { loadContext, type PaymentContext } from '../context';
import { ChannelManager } from './channel-manager';
import { ticketsLeft, type ConsumerChannel, type PrepaidBlock, type UnspentVoucher } from './channel';
import { LocalVoucherSource, RemoteVoucherSource, type SignedNext, type VoucherSource } from './voucher-source';

export interface PaymentConsumerOptions {
  mode: 'local' | 'remote';
  /** The consumer's own payment server. */
  paymentServer: PaymentServerClient | PaymentServerClientOptions;
  /** The paying account, when the token is bound to several. */
  account?: string;
  /** Local mode: the service's hot voucher key (0x + 64 hex). It never leaves the process. */
  voucherKey?: string;
  /** Deposit of each new channel. A provider asking for a larger minimum deposit is refused. */
  deposit: Amount;
  /** Challenge period of new channels (seconds); default the payment server's default. */
  challengePeriod?: number;
  /** Top-up policy; default: add `deposit` whenever less than a fifth of it is left. `false` never tops up. */
  topUp?: false | { below?: Amount; amount?: Amount };
  /**
   * Prepaid tickets: each voucher pays this many calls ahead (capped by what the provider takes), and the
   * calls after it show a hash-chain ticket instead of a signed voucher, which costs a hash instead of a
   * signature on both sides. The provider is still paid before it serves; this consumer risks the unused
   * rest of its blocks, about 1.5 blocks per channel at most (lost if it restarts or the provider forgets them). Default 1: a
   * voucher with every call.
   */
  prepay?: number;
  /** Refuse to pay more than this per call. */
  maxPrice?: Amount;
  /** Paid attempts per call (a refused voucher is retried with a corrected one). Default 3. */
  maxAttempts?: number;
  /** Per attempt, default 30 s (in addition to any `signal` the caller passes). */
  timeoutMs?: number;
  /** Send a fresh Idempotency-Key with every call that has none, so that a 503 can be retried safely. */
  idempotencyKeys?: boolean;
  /** Adopt open channels found at the payment server (after a restart). Default true. */
  reuseChannels?: boolean;
  startTimeoutMs?: number;
  fetch?: typeof fetch;
  logger?: Logger;
}


interface Prepared {
  url: URL;
  method: string;
  headers: Headers;
  body: Uint8Array<ArrayBuffer> | string | undefined;
  signal: AbortSignal | undefined;
  other: RequestInit;
}

/** The payment headers of one attempt. */
interface PaymentHeaders {
  voucher?: string;
  prepay?: string;
  ticket?: string;
}

interface SentVoucher {
  route: string;
  payment: PaymentHeaders;
  channel: ConsumerChannel;
  /** The block the voucher opens, if it prepays calls. */
  block?: PrepaidBlock;
}

function setPaymentHeaders(headers: Headers, p: PaymentHeaders | undefined): void {
  for (const [name, value] of [
    [VOUCHER_HEADER, p?.voucher],
    [PREPAY_HEADER, p?.prepay],
    [TICKET_HEADER, p?.ticket],
  ] as const) {
    if (value) headers.set(name, value);
    else headers.delete(name);
  }
}

/**
 * The consumer side: `fetch` that pays. A call without a known price goes out unpaid; the provider's 402
 * names the price and terms; the consumer opens (once per provider) or resumes a channel through its own
 * payment server, signs `signed + price` and sends the call again. Known routes are paid on the first try.
 */
export class PaymentConsumer {
  readonly server: PaymentServerClient;
  private readonly opts: PaymentConsumerOptions;
  private readonly log: Logger;
  private readonly fetchImpl: typeof fetch;
  private readonly routeTerms = new Map<string, PaymentTerms>();
  private readonly sentByKey = new Map<string, SentVoucher>();
  private ready: Promise<{ ctx: PaymentContext; channels: ChannelManager; source: VoucherSource }> | null = null;
  private started: { ctx: PaymentContext; channels: ChannelManager; source: VoucherSource } | null = null;

  constructor(opts: PaymentConsumerOptions) {
    if (opts.mode === 'local' && !opts.voucherKey) throw new ChanpayError('VALIDATION_ERROR', 'local mode needs a voucherKey (VOUCHER_KEY): the hot key that signs vouchers');
    this.opts = opts;
    this.server = opts.paymentServer instanceof PaymentServerClient ? opts.paymentServer : new PaymentServerClient(opts.paymentServer);
    this.log = opts.logger ?? silentLogger;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  get mode(): 'local' | 'remote' {
    return this.opts.mode;
  }

  start(): Promise<PaymentContext> {
    if (!this.ready) {
      this.ready = (async () => {
        const ctx = await loadContext(this.server, { account: this.opts.account, waitMs: this.opts.startTimeoutMs });
        const source: VoucherSource =
          this.opts.mode === 'local' ? new LocalVoucherSource(ctx, this.opts.voucherKey!) : new RemoteVoucherSource(this.server, ctx.account.signer);
        const deposit = toWei(this.opts.deposit);
        const topUp =
          this.opts.topUp === false
            ? null
            : { below: toWei(this.opts.topUp?.below ?? deposit / 5n), amount: toWei(this.opts.topUp?.amount ?? deposit) };
        const channels = new ChannelManager({
          server: this.server,
          context: ctx,
          source,
          deposit,
          challengePeriod: this.opts.challengePeriod,
          topUp,
          reuse: this.opts.reuseChannels,
          logger: this.log,
        });
        this.started = { ctx, channels, source };
        return this.started;
      })();
      this.ready.catch(() => {
        this.ready = null;
      });
    }
    return this.ready.then((r) => r.ctx);
  }

  /** The address vouchers are signed with (after `start`). */
  get signer(): string | null {
    return this.started?.source.signer ?? null;
  }

  channels(): ConsumerChannel[] {
    return this.started?.channels.list() ?? [];
  }

  /**
   * `fetch` with payment. Resolves with the provider's response (any status but a 402 that could be paid);
   * rejects with a `ChanpayError` when the call cannot be paid, or with fetch's own error when the provider
   * cannot be reached.
   */
  async fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    const { ctx, channels, source } = this.started ?? (await this.startForCall());
    const req = prepareSync(input, init) ?? (await prepare(input, init));
    const route = `${req.method} ${req.url.origin}${req.url.pathname}`;
    const givenKey = req.headers.get(IDEMPOTENCY_HEADER);
    const key = givenKey ?? (this.opts.idempotencyKeys ? randomUUID() : null);
    if (key) req.headers.set(IDEMPOTENCY_HEADER, key);
    // The same key again (the caller retrying a call) goes with the same voucher, so it is not charged twice.
    let reuse = givenKey ? this.sentByKey.get(givenKey) : undefined;
    if (reuse && reuse.route !== route) reuse = undefined;
    let terms = this.routeTerms.get(route);
    const maxAttempts = this.opts.maxAttempts ?? 3;
    let paidAttempts = 0;
    let sparesTried = 0;
    let ticketsRefused = 0;
    let blockWaits = 0;
    let retried503 = false;
    let last: PaymentTerms['reason'] | undefined;
    for (let round = 0; round < maxAttempts + 2 + MAX_SPARES_PER_CALL + MAX_TICKET_REFUSALS + MAX_BLOCK_WAITS; round++) {
      let payment: PaymentHeaders | undefined;
      let ch: ConsumerChannel | undefined;
      /** What this attempt adds to the channel when it signed or reused a voucher (a block: all its calls). */
      let paid: { amount: bigint; price: bigint; block?: PrepaidBlock } | undefined;
      let ticket: { block: PrepaidBlock; index: number } | undefined;
      let opening: PrepaidBlock | undefined;
      if (reuse) {
        payment = reuse.payment;
        ch = reuse.channel;
        opening = reuse.block;
      } else if (terms) {
        ch = channels.openChannelFor(terms) ?? (await channels.channelFor(terms));
        const price = BigInt(terms.price);
        let blockCalls = ticketsRefused < MAX_TICKET_REFUSALS ? this.blockCalls(terms) : 1;
        ticket = blockCalls > 1 ? takeTicket(ch, price, blockCalls) : undefined;
        // An unspent voucher next; if the provider took it after all it refuses it, which costs no attempt.
        const spare = ticket ? undefined : sparesTried < MAX_SPARES_PER_CALL ? takeUnspent(ch, price) : undefined;
        if (ticket) {
          payment = { ticket: encodeTicket({ channelId: ch.id, blockAmount: ticket.block.amount, index: ticket.index, preimage: ticket.block.links[ticket.index]! }) };
        } else if (spare) {
          sparesTried++;
          paid = { amount: spare.amount, price: spare.price, block: spare.block };
          payment = { voucher: spare.header, prepay: spare.block ? encodePrepay({ calls: spare.block.calls, anchor: spare.block.links[0]! }) : undefined };
          if (spare.block) {
            markPending(spare.block);
            ch.blocks.push(spare.block);
          }
        } else {
          // No ticket left and a block on its way: wait for its tickets rather than prepay another block each.
          const coming = blockCalls > 1 && blockWaits < MAX_BLOCK_WAITS ? pendingBlock(ch, price) : undefined;
          if (coming) {
            blockWaits++;
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([coming.settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.opts.timeoutMs ?? 30_000)))]);
            clearTimeout(timer);
            continue;
          }
          if (paidAttempts >= maxAttempts) break;
          paidAttempts++;
          // A block never takes more than the deposit has left (a top-up starts as usual), unless that is not
          // even two calls: then it waits for the top-up like a single call would.
          // Nor more than the top-up threshold, so that a top-up starts while a block still fits.
          const room = (ch.deposit - ch.signed) / price;
          if (blockCalls > 1 && room < BigInt(blockCalls) && room >= 2n) blockCalls = Number(room);
          const cap = channels.largestBlock(price);
          if (blockCalls > 1 && cap !== null && cap < BigInt(blockCalls)) blockCalls = cap >= 2n ? Number(cap) : 1;
          const charge = price * BigInt(blockCalls);
          // Registered before signing (which may wait for a top-up), so that concurrent calls wait for it.
          const block: PrepaidBlock | undefined =
            blockCalls > 1 ? markPending({ amount: 0n, price, calls: blockCalls, links: makeTicketChain(blockCalls), next: 1, returned: [], confirmed: false }) : undefined;
          if (block) ch.blocks.push(block);
          let signed: SignedNext;
          try {
            signed = await this.sign(channels, source, ch, charge);
          } catch (e) {
            if (block) dropBlock(ch, block);
            // The channel closed under us (its payment server refuses to sign): the next round opens another.
            if (e instanceof ChanpayError && (e.code === 'CHANNEL_CLOSING' || e.code === 'CHANNEL_CLOSED')) {
              last = { code: e.code, message: e.message };
              continue;
            }
            throw e;
          }
          paid = { amount: signed.amount, price: charge };
          payment = { voucher: signed.header };
          if (block) {
            block.amount = signed.amount;
            paid.block = block;
            payment.prepay = encodePrepay({ calls: blockCalls, anchor: block.links[0]! });
          }
        }
        opening = paid?.block;
        if (key) this.remember(key, { route, payment, channel: ch, block: opening });
      }
      setPaymentHeaders(req.headers, payment);
      let res: Response;
      try {
        res = await this.send(req);
      } catch (e) {
        // The request never left this process: the provider has not seen this voucher or ticket, so it is not spent.
        if (ch && neverSent(e)) {
          if (paid && payment?.voucher) putUnspent(ch, payment.voucher, paid.price, paid.block);
          if (ticket) returnTicket(ch, ticket.block, ticket.index);
          if (key) this.sentByKey.delete(key);
        } else if (ch && opening) {
          dropBlock(ch, opening);
        }
        throw e;
      }
      if (res.status === 503 && payment && key && !retried503 && (await errorCode(res)) === 'PAYMENT_SERVER_UNAVAILABLE') {
        // The provider could not store our voucher: send the same one again under the same key (not charged twice).
        retried503 = true;
        reuse = { route, payment, channel: ch!, block: opening };
        await drain(res);
        await sleep(200);
        continue;
      }
      if (res.status !== 402) {
        const receipt = ch ? this.noteReceipt(ch, res, route) : null;
        if (opening) {
          // Without a receipt the provider may still hold the block (its handler failed after the voucher was
          // accepted: a 5xx): keep it, a refused ticket costs a round trip, a dropped block its money. Refusals
          // before acceptance are 402s, 503s and 4xx, which open no block.
          if (receipt || (res.status >= 500 && res.status !== 503)) confirmBlock(opening);
          else dropBlock(ch!, opening);
        }
        // Not served and not charged (no receipt): the voucher pays the next call. With an idempotency key the
        // caller's retry sends this very voucher again instead (a provider in sync mode then serves it free).
        if (ch && !key && res.status === 503 && !receipt) {
          const err = await errorOf(res);
          // `accepted`: the provider took the voucher and will store it later (local sync mode); it is spent.
          if (err?.code === 'PAYMENT_SERVER_UNAVAILABLE' && !err.details?.accepted) {
            if (paid && payment?.voucher) putUnspent(ch, payment.voucher, paid.price, paid.block);
            if (ticket) returnTicket(ch, ticket.block, ticket.index);
          }
        }
        return res;
      }
      const t = await readTerms(res);
      if (!t) throw new ChanpayError('PAYMENT_REQUIRED', `${route} answered 402 without readable payment terms`, { url: req.url.href });
      this.checkTerms(t, ctx, route);
      terms = t;
      this.routeTerms.set(route, t);
      reuse = undefined;
      if (!payment) continue;
      if (ch && opening) dropBlock(ch, opening);
      if (ticket && ch) {
        // A refused ticket costs no attempt: the block is given up (or just the ticket, if it was spent) and the
        // call goes on with the next ticket or a voucher. Bounded, after which this call pays with a voucher.
        ticketsRefused++;
        if (t.reason?.code !== 'TICKET_USED') dropBlock(ch, ticket.block);
        this.log.warn({ route, channelId: ch.id, code: t.reason?.code, reason: t.reason?.message }, 'ticket refused');
        continue;
      }
      last = t.reason;
      // Refused for a reason that passes (a top-up or a new channel the provider has not seen yet): the voucher
      // was not taken, so it pays a later call instead of leaving its range unpaid inside the cumulative amount.
      if (ch && paid && payment.voucher && inErrorGroup('NOT_TAKEN_YET', t.reason?.code ?? '')) putUnspent(ch, payment.voucher, paid.price, paid.block);
      if (ch) await this.handleRefusal(channels, ch, t, route, paid);
    }
    const code: ErrorCode = last && isErrorCode(last.code) ? last.code : 'PAYMENT_REQUIRED';
    throw new ChanpayError(code, `${route}: payment refused after ${paidAttempts} attempts${last ? `: ${last.message}` : ''}`, {
      url: req.url.href,
      reason: last ?? null,
    });
  }

  /** Finds or opens the channel with the provider behind `url` (an unpaid request reads its terms). */
  async open(url: string | URL, init: RequestInit = {}): Promise<ConsumerChannel> {
    const { ctx, channels } = this.started ?? (await this.startForCall());
    const req = await prepare(url, init);
    const route = `${req.method} ${req.url.origin}${req.url.pathname}`;
    const res = await this.send(req);
    if (res.status !== 402) {
      await drain(res);
      throw new ChanpayError('PAYMENT_REQUIRED', `${route} answered ${res.status}, not 402: it does not ask for payment`, { url: req.url.href });
    }
    const t = await readTerms(res);
    if (!t) throw new ChanpayError('PAYMENT_REQUIRED', `${route} answered 402 without readable payment terms`, { url: req.url.href });
    this.checkTerms(t, ctx, route);
    this.routeTerms.set(route, t);
    return channels.channelFor(t);
  }

  /** Starts closing every channel this consumer uses (the challenge period begins; the server withdraws after). */
  async closeAll(): Promise<{ channelId: string; provider: string; state: string; closesAt: number | null; error?: string }[]> {
    const { channels } = this.started ?? (await this.startForCall());
    const out = [];
    for (const ch of channels.list()) {
      try {
        const r = await this.server.close(ch.id);
        channels.forget(ch, r.state);
        out.push({ channelId: ch.id, provider: ch.provider, state: r.state, closesAt: r.closesAt ?? null });
      } catch (e) {
        out.push({ channelId: ch.id, provider: ch.provider, state: ch.state, closesAt: null, error: (e as Error).message });
      }
    }
    return out;
  }

  private async startForCall() {
    try {
      await this.start();
    } catch (e) {
      if (e instanceof ChanpayError) throw e;
      throw new ChanpayError('PAYMENT_SERVER_UNAVAILABLE', `the consumer cannot start: ${(e as Error).message}`);
    }
    return this.started!;
  }

  private async sign(channels: ChannelManager, source: VoucherSource, ch: ConsumerChannel, price: bigint): Promise<SignedNext> {
    const wait = channels.ensureFunds(ch, price);
    if (wait) await wait;
    for (let topUps = 0; ; topUps++) {
      try {
        return await source.next(ch, price);
      } catch (e) {
        // Concurrent calls took what a top-up added before this one could sign (or, remote, the server's count is
        // ahead of ours): wait for the next top-up, a few times.
        if (e instanceof ChanpayError && e.code === 'AMOUNT_EXCEEDS_DEPOSIT' && topUps < 3 && (await channels.topUpNow(ch, price))) continue;
        if (e instanceof ChanpayError && (e.code === 'CHANNEL_CLOSING' || e.code === 'CHANNEL_CLOSED')) channels.forget(ch);
        throw e;
      }
    }
  }

  private async handleRefusal(channels: ChannelManager, ch: ConsumerChannel, t: PaymentTerms, route: string, paid?: { amount: bigint; price: bigint }): Promise<void> {
    const code = t.reason?.code ?? 'PAYMENT_REQUIRED';
    this.log.warn({ route, channelId: ch.id, code, reason: t.reason?.message }, 'voucher refused');
    if (inErrorGroup('FATAL', code)) {
      throw new ChanpayError(isErrorCode(code) ? code : 'PAYMENT_REQUIRED', `${route}: ${t.reason?.message ?? code}`, { channelId: ch.id });
    }
    if (code === 'AMOUNT_TOO_LOW') {
      // We paid a stale, lower price (dynamic pricing) and nothing was signed since: take that voucher's range
      // back, so the corrected voucher covers it instead of adding to it.
      if (paid && this.opts.mode === 'local' && BigInt(t.price) > paid.price && ch.signed === paid.amount) ch.signed = paid.amount - paid.price;
      this.resumeFrom(ch, t);
      return;
    }
    if (inErrorGroup('CHANNEL_GONE', code)) {
      channels.forget(ch, code === 'CHANNEL_CLOSED' ? 'settled' : undefined);
      return;
    }
    if (code === 'UNKNOWN_CHANNEL') {
      // A channel we just opened may not be indexed by the provider's payment server yet.
      if (Date.now() - ch.adoptedAt < 60_000) await sleep(250);
      else channels.forget(ch);
      return;
    }
    if (code === 'AMOUNT_EXCEEDS_DEPOSIT') await sleep(100);
  }

  /**
   * The provider holds a higher voucher than we know of (we restarted, or another instance signed): continue
   * above it, but only if its signature is provably ours.
   */
  private resumeFrom(ch: ConsumerChannel, t: PaymentTerms): void {
    const held = t.channel;
    if (!held || held.channelId.toLowerCase() !== ch.id || !held.signature || !/^\d{1,78}$/.test(held.acceptedAmount)) return;
    const amount = BigInt(held.acceptedAmount);
    if (amount <= ch.signed || amount > ch.deposit || !isHex(held.signature, 65)) return;
    const ctx = this.started!.ctx;
    const signer = recoverSigner(ctx.hasher.digest(ch.id, amount), held.signature);
    if (!signer.ok || signer.address !== ch.terms.signer) {
      this.log.warn({ channelId: ch.id, amount: amount.toString() }, 'the provider reported a voucher we did not sign; ignored');
      return;
    }
    this.log.info({ channelId: ch.id, from: ch.signed.toString(), to: amount.toString() }, 'resuming above the provider\'s latest voucher');
    ch.signed = amount;
  }

  private checkTerms(t: PaymentTerms, ctx: PaymentContext, route: string): void {
    const refuse = (code: ErrorCode, message: string) => {
      throw new ChanpayError(code, `${route}: ${message}`, { terms: t as unknown as Record<string, unknown> });
    };
    if (t.scheme !== PAYMENT_SCHEME) refuse('TERMS_NOT_ACCEPTED', `unknown payment scheme ${String(t.scheme)}`);
    if (!/^\d{1,78}$/.test(String(t.chainId)) || BigInt(t.chainId) !== ctx.chainId || String(t.contract).toLowerCase() !== ctx.contract) {
      refuse('WRONG_DOMAIN', `the provider is paid on chain ${t.chainId} contract ${t.contract}, our payment server uses chain ${ctx.chainId} contract ${ctx.contract}`);
    }
    if (!isHex(String(t.provider), 20)) refuse('TERMS_NOT_ACCEPTED', 'the provider address is not an address');
    if (String(t.token).toLowerCase() !== ctx.token) refuse('TERMS_NOT_ACCEPTED', `the provider wants token ${t.token}`);
    if (!/^\d{1,78}$/.test(String(t.price)) || BigInt(t.price) <= 0n) refuse('TERMS_NOT_ACCEPTED', `invalid price ${t.price}`);
    if (this.opts.maxPrice !== undefined && BigInt(t.price) > toWei(this.opts.maxPrice)) refuse('TERMS_NOT_ACCEPTED', `price ${t.price} is above our maximum ${this.opts.maxPrice}`);
    if (!/^\d{1,78}$/.test(String(t.minDeposit)) || BigInt(t.minDeposit) > toWei(this.opts.deposit)) {
      refuse('TERMS_NOT_ACCEPTED', `the provider wants a deposit of at least ${t.minDeposit}, we deposit ${this.opts.deposit}`);
    }
    if (!Number.isInteger(t.minChallengePeriod) || t.minChallengePeriod < 0 || t.minChallengePeriod > 4_294_967_295) {
      refuse('TERMS_NOT_ACCEPTED', 'invalid minimum challenge period');
    }
  }

  private noteReceipt(ch: ConsumerChannel, res: Response, route: string): Receipt | null {
    const header = res.headers.get(RECEIPT_HEADER);
    const receipt = header ? decodeReceipt(header) : null;
    receipts.set(res, receipt);
    if (!receipt || receipt.channelId !== ch.id) return null;
    ch.calls++;
    ch.paid += receipt.price;
    const t = this.routeTerms.get(route);
    // Dynamic prices: the next call on this route starts from what this one cost.
    if (t && BigInt(t.price) !== receipt.price) this.routeTerms.set(route, { ...t, price: receipt.price.toString() });
    return receipt;
  }

  /** Calls per voucher on a route: the consumer's `prepay`, capped by what the provider takes (1: no tickets). */
  private blockCalls(terms: PaymentTerms): number {
    const wanted = this.opts.prepay ?? 1;
    const max = terms.prepay?.maxCalls;
    if (wanted < 2 || typeof max !== 'number' || !Number.isInteger(max) || max < 2) return 1;
    return Math.min(wanted, max, MAX_PREPAY_CALLS);
  }

  private remember(key: string, sent: SentVoucher): void {
    this.sentByKey.delete(key);
    this.sentByKey.set(key, sent);
    if (this.sentByKey.size > 10_000) this.sentByKey.delete(this.sentByKey.keys().next().value as string);
  }

  private async send(req: Prepared): Promise<Response> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    return this.fetchImpl(req.url, { ...req.other, method: req.method, headers: req.headers, body: req.body, signal });
  }
}

const MAX_UNSPENT = 1_000;
/** Unspent vouchers one call may try before it signs a new one (each refusal of one costs a round trip). */
const MAX_SPARES_PER_CALL = 2;

/** Refused tickets one call may get before it pays with a voucher instead. */
const MAX_TICKET_REFUSALS = 3;
/** Times one call waits for another call's block before it opens one itself. */
const MAX_BLOCK_WAITS = 2;

/**
 * The lowest unspent voucher of the channel for calls of this price (a single call's, or a block's of such
 * calls), taken synchronously, so no two calls get it.
 */
function takeUnspent(ch: ConsumerChannel, price: bigint): UnspentVoucher | undefined {
  const i = ch.unspent.findIndex((u) => (u.block ? u.block.price : u.price) === price);
  return i < 0 ? undefined : ch.unspent.splice(i, 1)[0];
}

function putUnspent(ch: ConsumerChannel, header: string, price: bigint, block?: PrepaidBlock): void {
  if (block) dropBlock(ch, block);
  const d = decodeVoucher(header);
  if (!d.ok || ch.state !== 'open' || ch.unspent.length >= MAX_UNSPENT) return;
  const amount = d.voucher.amount;
  const i = ch.unspent.findIndex((x) => x.amount > amount);
  ch.unspent.splice(i < 0 ? ch.unspent.length : i, 0, { header, amount, price, ...(block ? { block } : {}) });
}

/**
 * A ticket of a confirmed block for a call of this price, or undefined when this call should open a block:
 * when none is left, or when fewer than half a block are left and no block is on its way (so the next one is
 * ready before these run out). Synchronous, so no two calls get the same ticket.
 */
function takeTicket(ch: ConsumerChannel, price: bigint, blockCalls: number): { block: PrepaidBlock; index: number } | undefined {
  let available = 0;
  let pending = 0;
  for (const b of ch.blocks) {
    if (b.price !== price) continue;
    available += ticketsLeft(b);
    if (!b.confirmed) pending++;
  }
  if (available === 0 || (pending === 0 && available <= blockCalls / 2)) return undefined;
  for (const b of ch.blocks) {
    if (!b.confirmed || b.price !== price) continue;
    const index = b.returned.length > 0 ? b.returned.pop()! : b.next < b.calls ? b.next++ : -1;
    if (index < 0) continue;
    if (b.next === b.calls && b.returned.length === 0) dropBlock(ch, b);
    return { block: b, index };
  }
  return undefined;
}

/** A ticket that never reached the provider: handed out again. */
function returnTicket(ch: ConsumerChannel, block: PrepaidBlock, index: number): void {
  if (ch.state !== 'open') return;
  block.returned.push(index);
  if (!ch.blocks.includes(block)) ch.blocks.push(block);
}

function dropBlock(ch: ConsumerChannel, block: PrepaidBlock): void {
  const i = ch.blocks.indexOf(block);
  if (i >= 0) ch.blocks.splice(i, 1);
  block.settle?.();
}

function markPending(block: PrepaidBlock): PrepaidBlock {
  block.confirmed = false;
  block.settled = new Promise<void>((resolve) => (block.settle = resolve));
  return block;
}

function confirmBlock(block: PrepaidBlock): void {
  block.confirmed = true;
  block.settle?.();
}

/** A block of this price whose voucher is on its way. */
function pendingBlock(ch: ConsumerChannel, price: bigint): PrepaidBlock | undefined {
  return ch.blocks.find((b) => !b.confirmed && b.price === price);
}

/** The receipt of a paid response, if it has one. */
export function receiptOf(res: Response): Receipt | null {
  const known = receipts.get(res);
  if (known !== undefined) return known;
  const header = res.headers.get(RECEIPT_HEADER);
  return header ? decodeReceipt(header) : null;
}

/** Receipts already decoded by `fetch`, so that the caller's `receiptOf` does not parse them again. */
const receipts = new WeakMap<Response, Receipt | null>();

/** The common case without awaiting: a URL (no Request) and no body. */
function prepareSync(input: string | URL | Request, init: RequestInit): Prepared | null {
  if (input instanceof Request || (init.body !== undefined && init.body !== null)) return null;
  const { method, headers: given, body: _b, signal, ...other } = init;
  return {
    url: new URL(String(input)),
    method: (method ?? 'GET').toUpperCase(),
    headers: new Headers(given),
    body: undefined,
    signal: signal ?? undefined,
    other,
  };
}

async function prepare(input: string | URL | Request, init: RequestInit): Promise<Prepared> {
  let url: URL;
  let method = init.method;
  const headers = new Headers();
  let body: Uint8Array<ArrayBuffer> | string | undefined;
  if (input instanceof Request) {
    url = new URL(input.url);
    method ??= input.method;
    input.headers.forEach((v, k) => headers.set(k, v));
    if (init.body === undefined && input.body) body = new Uint8Array(await input.arrayBuffer());
  } else {
    url = new URL(String(input));
  }
  if (init.headers) new Headers(init.headers).forEach((v, k) => headers.set(k, v));
  if (init.body !== undefined && init.body !== null) body = await bufferBody(init.body);
  // The rest of init (credentials, redirect, …) passes through; these four are rebuilt per attempt.
  const { method: _m, headers: _h, body: _b, signal: _s, ...other } = init;
  return { url, method: (method ?? 'GET').toUpperCase(), headers, body, signal: init.signal ?? undefined, other };
}

/** A body that can be sent more than once (the call may be repeated with a corrected voucher). */
async function bufferBody(body: BodyInit): Promise<Uint8Array<ArrayBuffer> | string> {
  if (typeof body === 'string') return body;
  return new Uint8Array(await new Response(body).arrayBuffer());
}

async function readTerms(res: Response): Promise<PaymentTerms | null> {
  const header = res.headers.get(PAYMENT_REQUIRED_HEADER);
  const fromHeader = header ? decodeTerms(header) : null;
  if (fromHeader) {
    await drain(res);
    return fromHeader;
  }
  try {
    const body = (await res.json()) as PaymentTerms;
    return body && body.scheme === PAYMENT_SCHEME ? body : null;
  } catch {
    return null;
  }
}

async function errorCode(res: Response): Promise<string | null> {
  return (await errorOf(res))?.code ?? null;
}

async function errorOf(res: Response): Promise<{ code: string; details?: Record<string, unknown> } | null> {
  try {
    const body = (await res.clone().json()) as { error?: { code?: unknown; details?: unknown } };
    if (typeof body?.error?.code !== 'string') return null;
    const details = body.error.details;
    return { code: body.error.code, details: typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : undefined };
  } catch {
    return null;
  }
}

async function drain(res: Response): Promise<void> {
  await res.arrayBuffer().catch(() => undefined);
}
