import { randomUUID } from 'node:crypto';
import {
  ChanpayError,
  inErrorGroup,
  isErrorCode,
  isHex,
  encodePrepay,
  toWei,
  IDEMPOTENCY_HEADER,
  BAGGAGE_HEADER,
  PAYMENT_SCHEME,
  REPLAYED_HEADER,
  originOfBaggage,
  withOriginBaggage,
  type Amount,
  type ErrorCode,
  type PaymentTerms,
  type Receipt,
} from '@chanpay/protocol';
import { recoverSigner } from '@chanpay/protocol/node';
import { PaymentServerClient, sleep, type PaymentServerClientOptions } from '../payment-server-client';
import { silentLogger, type Logger } from '../logger';
import { loadContext, type PaymentContext } from '../context';
import { CallBudget } from './call-budget';
import type { ConsumerChannel, PrepaidBlock } from './channel';
import { ChannelManager } from './channel-manager';
import type { ChannelWallet } from './channel-wallet';
import { UNPAID, setPaymentHeaders, type ChannelPayment, type Payment, type RepeatedPayment, type VoucherPayment } from './payment';
import {
  classifyAnswer,
  classifySendError,
  drain,
  readError,
  readTerms,
  receiptFor,
  type NoAnswer,
  type ProviderAnswer,
} from './provider-answer';
import { prepare, prepareSync, routeOf, type PreparedRequest } from './request';
import { blockSize, callsPerVoucher, checkTerms } from './terms-policy';
import { LocalVoucherSource, RemoteVoucherSource, type SignedNext, type VoucherSource } from './voucher-source';
import { currentRequestContext } from '../origin/request-context';
import { OriginLedger } from '../origin/origin-ledger';
import type { Span } from '@opentelemetry/api';
import { ATTR, inSpan, wei } from '@chanpay/telemetry/spans';
import { timedFetch, type UpstreamFetch } from '../http/timed-fetch';

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
  /**
   * The root caller named in the `baggage` of calls made outside any served request (a client or a job); inside
   * one, the request's origin is passed on, and a `chanpay.origin` the caller put in the headers wins.
   */
  origin?: string;
  /** Windows of the per-origin records (`origins`), default 60 s, 60 windows kept. */
  originWindows?: { windowSeconds?: number; maxWindows?: number };
  fetch?: typeof fetch;
  logger?: Logger;
}
/** What the consumer learns and builds once, at start. */
interface Started {
  ctx: PaymentContext;
  channels: ChannelManager;
  source: VoucherSource;
}

/** Per attempt when `timeoutMs` is not given. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;

/** Idempotency keys whose payment the consumer remembers (the oldest is forgotten first). */
const KEYS_REMEMBERED = 10_000;

/** `payAnew`'s answers other than a voucher: look for a ticket again (after a wait, or on another channel). */
const LOOK_AGAIN = Symbol('look again');
/** No paid attempt left: the call fails with the provider's last reason. */
const OUT_OF_ATTEMPTS = Symbol('out of attempts');

/**
 * The consumer side: `fetch` that pays. A call without a known price goes out unpaid; the provider's 402
 * names the price and terms; the consumer opens (once per provider) or resumes a channel through its own
 * payment server, signs `signed + price` and sends the call again. Known routes are paid on the first try.
 */
export class PaymentConsumer {
  readonly server: PaymentServerClient;
  private readonly opts: PaymentConsumerOptions;
  private readonly log: Logger;
  /** Every attempt goes out through it: the HTTP client and the per-attempt timeout. */
  private readonly attempt: UpstreamFetch;
  private readonly routeTerms = new Map<string, PaymentTerms>();
  /** The payment each idempotency key last went with, so that the caller's retry sends it again. */
  private readonly sentByKey = new Map<string, RepeatedPayment>();
  /** What this consumer paid, per channel, origin and window. */
  readonly origins: OriginLedger;
  private ready: Promise<Started> | null = null;
  private started: Started | null = null;

  constructor(opts: PaymentConsumerOptions) {
    if (opts.mode === 'local' && !opts.voucherKey)
      throw new ChanpayError('VALIDATION_ERROR', 'local mode needs a voucherKey (VOUCHER_KEY): the hot key that signs vouchers');
    this.opts = opts;
    this.server = opts.paymentServer instanceof PaymentServerClient ? opts.paymentServer : new PaymentServerClient(opts.paymentServer);
    this.log = opts.logger ?? silentLogger;
    this.attempt = timedFetch(opts.fetch ?? fetch, opts.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS);
    this.origins = new OriginLedger(opts.originWindows);
  }

  get mode(): 'local' | 'remote' {
    return this.opts.mode;
  }

  start(): Promise<PaymentContext> {
    if (!this.ready) {
      this.ready = (async () => {
        const ctx = await loadContext(this.server, { account: this.opts.account, waitMs: this.opts.startTimeoutMs });
        const source: VoucherSource =
          this.opts.mode === 'local'
            ? new LocalVoucherSource(ctx, this.opts.voucherKey!)
            : new RemoteVoucherSource(this.server, ctx.account.signer);
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
   *
   * A loop of attempts: the next payment, send, what the answer means for it. Each round spends from the
   * call's `CallBudget` or ends the call.
   */
  fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    return inSpan('chanpay.pay', { [ATTR.scheme]: PAYMENT_SCHEME }, (span) => this.payAndFetch(input, init, span));
  }

  private async payAndFetch(input: string | URL | Request, init: RequestInit, span: Span): Promise<Response> {
    const { ctx, channels, source } = this.started ?? (await this.startForCall());
    const req = prepareSync(input, init) ?? (await prepare(input, init));
    const route = routeOf(req);
    const givenKey = req.headers.get(IDEMPOTENCY_HEADER);
    const key = givenKey ?? (this.opts.idempotencyKeys ? randomUUID() : null);
    if (key) req.headers.set(IDEMPOTENCY_HEADER, key);
    const origin = this.originFor(req.headers);
    if (origin) span.setAttribute(ATTR.origin, origin);
    const budget = new CallBudget(this.opts.maxAttempts ?? 3);
    // The same key again (the caller retrying a call) goes with the same payment, so it is not charged twice.
    let repeat = givenKey ? this.sentWith(givenKey, route) : undefined;
    let terms = this.routeTerms.get(route);
    for (;;) {
      // The next payment: the repeated one; none while the route's terms are unknown; else a ticket, an unspent
      // voucher or a new voucher, of the one open channel with the provider.
      let payment: Payment = UNPAID;
      let channel: ChannelWallet | undefined;
      if (repeat) {
        payment = repeat;
        channel = repeat.channel;
        repeat = undefined;
      } else if (terms) {
        channel = channels.openChannelFor(terms) ?? (await channels.channelFor(terms));
        const price = BigInt(terms.price);
        const blockCalls = budget.ticketRefusals > 0 ? callsPerVoucher(this.opts.prepay, terms) : 1;
        const next =
          this.takePrepaid(channel, price, blockCalls, budget) ??
          (await this.payAnew(channels, source, channel, price, blockCalls, budget, origin));
        if (next === LOOK_AGAIN) continue;
        if (next === OUT_OF_ATTEMPTS) break;
        payment = next;
        if (key) this.remember(key, { kind: 'repeat', of: next, channel, route });
      }

      setPaymentHeaders(req.headers, payment);
      let res: Response;
      try {
        res = await inSpan('chanpay.send', { [ATTR.payment]: payment.kind === 'unpaid' ? 'none' : payment.kind }, async (s) => {
          const r = await this.send(req);
          s.setAttribute(ATTR.status, r.status);
          // The unpaid try that learns the terms, or a payment the provider refused: a round trip that pays nothing.
          if (r.status === 402) s.updateName('chanpay.402');
          return r;
        });
      } catch (e) {
        if (channel) this.afterNoAnswer(channel, payment, classifySendError(e), key);
        throw e;
      }

      const receipt = channel && res.status !== 402 ? receiptFor(res, channel.id) : null;
      const answer = classifyAnswer(
        res.status,
        receipt,
        res.status === 402 ? await readTerms(res) : null,
        res.status === 503 && channel ? await readError(res) : null,
      );
      if (answer.kind === 'terms-unreadable') {
        // Refused: a block this payment opened is given up, so that calls waiting for it go on.
        channel?.settle(payment, answer, key !== null);
        throw new ChanpayError('PAYMENT_REQUIRED', `${route} answered 402 without readable payment terms`, { url: req.url.href });
      }
      if (answer.kind === 'refused') {
        try {
          terms = this.learnTerms(answer.terms, ctx, route);
        } catch (e) {
          // Terms we will not pay by: the payment was refused all the same (its block is given up).
          channel?.settle(payment, answer, key !== null);
          throw e;
        }
        // Unpaid (the first try): now the terms are known.
        if (channel) await this.afterRefusal(channels, channel, payment, answer, route, budget, key);
        continue;
      }
      if (answer.kind === 'not-stored' && key && channel && payment.kind !== 'unpaid' && budget.retries503 > 0) {
        // The provider could not store our payment: the same one again under the same key (not charged twice).
        budget.retries503--;
        repeat = payment.kind === 'repeat' ? payment : { kind: 'repeat', of: payment, channel, route };
        await drain(res);
        await sleep(200);
        continue;
      }
      channel?.settle(payment, answer, key !== null);
      if (receipt) {
        span.setAttributes({ [ATTR.channel]: receipt.channelId, [ATTR.amount]: wei(receipt.amount), [ATTR.price]: wei(receipt.price) });
        this.notePrice(route, receipt);
        // An answer replayed under the same key was paid (and recorded) the first time.
        if (origin && !res.headers.has(REPLAYED_HEADER)) this.origins.record('consumer', receipt.channelId, origin, 1, receipt.price);
      }
      return res;
    }
    const last = budget.lastRefusal;
    const code: ErrorCode = last && isErrorCode(last.code) ? last.code : 'PAYMENT_REQUIRED';
    throw new ChanpayError(code, `${route}: payment refused after ${budget.paidAttemptsUsed} attempts${last ? `: ${last.message}` : ''}`, {
      url: req.url.href,
      reason: last ?? null,
    });
  }

  /** Finds or opens the channel with the provider behind `url` (an unpaid request reads its terms). */
  async open(url: string | URL, init: RequestInit = {}): Promise<ConsumerChannel> {
    const { ctx, channels } = this.started ?? (await this.startForCall());
    const req = await prepare(url, init);
    const route = routeOf(req);
    const res = await this.send(req);
    if (res.status !== 402) {
      await drain(res);
      throw new ChanpayError('PAYMENT_REQUIRED', `${route} answered ${res.status}, not 402: it does not ask for payment`, {
        url: req.url.href,
      });
    }
    const t = await readTerms(res);
    if (!t) throw new ChanpayError('PAYMENT_REQUIRED', `${route} answered 402 without readable payment terms`, { url: req.url.href });
    return channels.channelFor(this.learnTerms(t, ctx, route));
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

  private async startForCall(): Promise<Started> {
    try {
      await this.start();
    } catch (e) {
      if (e instanceof ChanpayError) throw e;
      throw new ChanpayError('PAYMENT_SERVER_UNAVAILABLE', `the consumer cannot start: ${(e as Error).message}`);
    }
    return this.started!;
  }

  /**
   * A ticket, else an unspent voucher (as the budget allows). Taken without yielding, so that no two concurrent
   * calls get the same; if the provider took an unspent voucher after all, it refuses it, which costs no paid attempt.
   */
  private takePrepaid(channel: ChannelWallet, price: bigint, blockCalls: number, budget: CallBudget): ChannelPayment | undefined {
    const ticket = channel.takeTicket(price, blockCalls);
    if (ticket || budget.spareVouchers === 0) return ticket;
    const spare = channel.takeUnspent(price);
    if (spare) budget.spareVouchers--;
    return spare;
  }

  /**
   * With no ticket or unspent voucher at hand: waits for the block another call has on its way (its tickets may
   * pay this call too), or else signs a new voucher, for one call or a block of `blockCalls`.
   */
  private async payAnew(
    channels: ChannelManager,
    source: VoucherSource,
    channel: ChannelWallet,
    price: bigint,
    blockCalls: number,
    budget: CallBudget,
    origin: string | undefined,
  ): Promise<VoucherPayment | typeof LOOK_AGAIN | typeof OUT_OF_ATTEMPTS> {
    // Waiting rather than prepaying another block each: 20 concurrent first calls sign one block, not 20.
    const coming = blockCalls > 1 && budget.blockWaits > 0 ? channel.pendingBlock(price) : undefined;
    if (coming) {
      budget.blockWaits--;
      await settledOrTimeout(coming, this.opts.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS);
      return LOOK_AGAIN;
    }
    if (budget.paidAttempts === 0) return OUT_OF_ATTEMPTS;
    budget.paidAttempts--;
    const calls = blockSize(blockCalls, channel.callsCovered(price), channels.largestBlock(price));
    const charge = price * BigInt(calls);
    // Registered before signing (which may wait for a top-up), so that concurrent calls wait for it.
    const block = calls > 1 ? channel.openBlock(price, calls) : undefined;
    let signed: SignedNext | undefined;
    try {
      const wait = channels.ensureFunds(channel, charge);
      if (wait) await wait;
      for (let topUps = 0; !signed; topUps++) {
        try {
          signed = await inSpan('chanpay.sign', { [ATTR.mode]: source.mode, [ATTR.channel]: channel.id, [ATTR.price]: wei(charge) }, () =>
            source.next(channel, charge, origin),
          );
        } catch (e) {
          // Concurrent calls took what a top-up added before this one could sign (or, remote, the server's count is
          // ahead of ours): wait for the next top-up, a few times.
          if (
            !(e instanceof ChanpayError && e.code === 'AMOUNT_EXCEEDS_DEPOSIT' && topUps < 3 && (await channels.topUpNow(channel, charge)))
          )
            throw e;
        }
      }
    } catch (e) {
      if (block) channel.dropBlock(block);
      if (!(e instanceof ChanpayError && (e.code === 'CHANNEL_CLOSING' || e.code === 'CHANNEL_CLOSED'))) throw e;
      // The channel closed under us (its payment server refuses to sign): the next round opens another.
      channels.forget(channel);
      budget.lastRefusal = { code: e.code, message: e.message };
      return LOOK_AGAIN;
    }
    if (block) block.amount = signed.amount;
    return {
      kind: 'voucher',
      header: signed.header,
      amount: signed.amount,
      price: charge,
      block,
      prepay: block ? encodePrepay({ calls, anchor: block.links[0]! }) : undefined,
    };
  }

  /**
   * The call's root caller, also written into its `baggage`: the one its headers name, else the request being
   * served, else this consumer's own. A malformed baggage is refused here, before anything is paid.
   */
  private originFor(headers: Headers): string | undefined {
    const given = originOfBaggage(headers.get(BAGGAGE_HEADER) ?? undefined);
    if (!given.ok) throw new ChanpayError('MALFORMED_BAGGAGE', given.message);
    if (given.origin) return given.origin;
    const origin = currentRequestContext()?.origin ?? this.opts.origin;
    if (origin) headers.set(BAGGAGE_HEADER, withOriginBaggage(headers.get(BAGGAGE_HEADER), origin));
    return origin;
  }

  /** A request that got no answer: its payment is taken back if it provably never left this process. */
  private afterNoAnswer(channel: ChannelWallet, payment: Payment, outcome: NoAnswer, key: string | null): void {
    channel.settle(payment, outcome, key !== null);
    // Taken back: a retry under this key is a new call.
    if (outcome.kind === 'never-sent' && key) this.sentByKey.delete(key);
  }

  /** A refused payment: what the refusal means for it, for the call's budget and for the channel. */
  private async afterRefusal(
    channels: ChannelManager,
    channel: ChannelWallet,
    payment: Payment,
    answer: Extract<ProviderAnswer, { kind: 'refused' }>,
    route: string,
    budget: CallBudget,
    key: string | null,
  ): Promise<void> {
    channel.settle(payment, answer, key !== null);
    const reason = answer.terms.reason;
    if (payment.kind === 'ticket') {
      // A refused ticket costs no paid attempt: the call goes on with the next ticket, or after a few with a voucher.
      budget.ticketRefusals--;
      this.log.warn({ route, channelId: channel.id, code: reason?.code, reason: reason?.message }, 'ticket refused');
      return;
    }
    budget.lastRefusal = reason;
    await this.handleRefusal(channels, channel, answer.terms, route, payment.kind === 'voucher' ? payment : undefined);
  }

  /** What a voucher's refusal means for the channel: fail, resume above the provider's voucher, drop the channel, or wait. */
  private async handleRefusal(
    channels: ChannelManager,
    ch: ChannelWallet,
    t: PaymentTerms,
    route: string,
    voucher?: VoucherPayment,
  ): Promise<void> {
    const code = t.reason?.code ?? 'PAYMENT_REQUIRED';
    this.log.warn({ route, channelId: ch.id, code, reason: t.reason?.message }, 'voucher refused');
    if (inErrorGroup('FATAL', code)) {
      throw new ChanpayError(isErrorCode(code) ? code : 'PAYMENT_REQUIRED', `${route}: ${t.reason?.message ?? code}`, { channelId: ch.id });
    }
    if (code === 'AMOUNT_TOO_LOW') {
      // We paid a stale, lower price (dynamic pricing): take that voucher's range back if we can.
      if (voucher && this.opts.mode === 'local' && BigInt(t.price) > voucher.price) ch.takeBack(voucher);
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
  private resumeFrom(ch: ChannelWallet, t: PaymentTerms): void {
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
    this.log.info({ channelId: ch.id, from: ch.signed.toString(), to: amount.toString() }, "resuming above the provider's latest voucher");
    ch.signed = amount;
  }

  /** Terms this consumer pays (else it throws), remembered for the route so that its next calls are paid at once. */
  private learnTerms(t: PaymentTerms, ctx: PaymentContext, route: string): PaymentTerms {
    checkTerms(t, ctx, this.opts, route);
    this.routeTerms.set(route, t);
    return t;
  }

  /** Dynamic prices: the next call on this route starts from what this one cost. */
  private notePrice(route: string, receipt: Receipt): void {
    const t = this.routeTerms.get(route);
    if (t && BigInt(t.price) !== receipt.price) this.routeTerms.set(route, { ...t, price: receipt.price.toString() });
  }

  private sentWith(key: string, route: string): RepeatedPayment | undefined {
    const sent = this.sentByKey.get(key);
    return sent && sent.route === route ? sent : undefined;
  }

  private remember(key: string, sent: RepeatedPayment): void {
    this.sentByKey.delete(key);
    this.sentByKey.set(key, sent);
    if (this.sentByKey.size > KEYS_REMEMBERED) this.sentByKey.delete(this.sentByKey.keys().next().value as string);
  }

  private async send(req: PreparedRequest): Promise<Response> {
    return this.attempt(req.url, { ...req.other, method: req.method, headers: req.headers, body: req.body, signal: req.signal });
  }
}

/** Waits for a pending block's answer, for at most `ms`. */
async function settledOrTimeout(block: PrepaidBlock, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([block.settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
