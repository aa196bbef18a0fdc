import {
  ChanpayError,
  inErrorGroup,
  isValidIdempotencyKey,
  decodeVoucher,
  decodePrepay,
  decodeTicket,
  MAX_PREPAY_CALLS,
  type PrepayRequest,
  PAYMENT_SCHEME,
  encodeReceipt,
  type PaymentTerms,
  type Receipt,
} from '@chanpay/protocol';
import type { ClaimAllResponse } from '@chanpay/protocol';
import { PaymentServerClient, type PaymentServerClientOptions } from '../payment-server-client';
import { silentLogger, type Logger } from '../logger';
import { loadContext, type PaymentContext } from '../context';
import { IdempotencyStore, type CachedResponse, type IdempotencyRecord } from './idempotency';
import { LocalVerifier } from './local-verifier';
import { RemoteVerifier } from './remote-verifier';
import { TicketBook } from './ticket-book';
import type { VoucherVerifier } from './verifier';
import type { SharedState } from './state/provider-state';
import { OriginLedger } from '../origin/origin-ledger';
import { ATTR, failed, inSpan, startSpan, wei } from '@chanpay/telemetry/spans';

export interface PaymentProviderOptions {
  mode: 'local' | 'remote';
  /** The provider's own payment server (a client, or how to make one). */
  paymentServer: PaymentServerClient | PaymentServerClientOptions;
  /** The account to be paid, when the token is bound to several. */
  account?: string;
  /** Payment token, default ETH (the zero address). */
  token?: string;
  /** Local mode: acknowledge a call only after its voucher is stored at the payment server. */
  sync?: boolean;
  flushIntervalMs?: number;
  refreshIntervalMs?: number;
  /** Local, batched: refuse calls (503) while a voucher has waited this long to be stored. Default 2000 ms. */
  maxUnflushedMs?: number;
  /** Local: how long `stop()` keeps trying to store pending vouchers. Default 10 s. */
  stopTimeoutMs?: number;
  /** How long `start()` waits for the payment server, default 30 s. */
  startTimeoutMs?: number;
  idempotency?: { ttlMs?: number; maxEntries?: number };
  /**
   * `postgres://…` of the state shared by the provider's replicas (PROVIDER_STATE_URL). What is accepted (paid
   * ranges in local mode, prepaid blocks, idempotency records) is then decided there, once across replicas, and
   * written before the answer. Unset: in process, so each channel must be routed to one instance (in remote mode
   * the payment server decides vouchers, and only tickets and idempotency keys need the routing).
   */
  stateUrl?: string;
  /**
   * The most calls one voucher may prepay (prepaid tickets, advertised in the terms). Default 256; 0 or 1
   * takes no tickets. Prepaid calls are paid before they are served, so this bounds memory, not risk.
   */
  maxPrepayCalls?: number;
  /** Windows of the per-origin records (`origins`), default 60 s, 60 windows kept. */
  originWindows?: { windowSeconds?: number; maxWindows?: number };
  logger?: Logger;
}

interface Started {
  ctx: PaymentContext;
  verifier: VoucherVerifier;
  /** Local mode with PROVIDER_STATE_URL; null: in process. */
  shared: SharedState | null;
}

export interface ChargeRequest {
  /** The `payment-voucher` header, if any. */
  voucher?: string;
  /** The `payment-prepay` header that may come with a voucher: it pays for this many calls ahead. */
  prepay?: string;
  /** The `payment-ticket` header: a call paid by an earlier voucher's block. */
  ticket?: string;
  price: bigint;
  /** The `idempotency-key` header, if any. */
  idempotencyKey?: string;
  /** The call's root caller (its baggage's `chanpay.origin`): what it pays is recorded under it. */
  origin?: string;
}

/** Why a call may not be served, as an HTTP answer. */
export interface Refusal {
  status: number;
  error: ChanpayError;
  /** Present on 402: the terms to pay by. */
  terms?: PaymentTerms;
}

export type ChargeOutcome =
  /** Paid: serve it. With `record`, report the response through `record.settle` for idempotent retries. */
  | { kind: 'paid'; receipt: Receipt; receiptHeader: string; record?: IdempotencyRecord; retried?: boolean }
  /** A retry of a call already answered: send `response` again, charge nothing. */
  | { kind: 'replay'; receipt: Receipt; receiptHeader: string; response: CachedResponse }
  | { kind: 'refused'; refusal: Refusal };

/**
 * The provider side, independent of any web framework: turns (voucher header, price, idempotency key) into
 * "serve it, here is the receipt" or "refuse with this status and these terms".
 */
export class PaymentProvider {
  readonly server: PaymentServerClient;
  private readonly opts: PaymentProviderOptions;
  private readonly log: Logger;
  private readonly idempotency: IdempotencyStore;
  private readonly tickets = new TicketBook();
  private readonly maxPrepayCalls: number;
  /** What each served call paid, per channel, origin and window (a call paid by a ticket too). */
  readonly origins: OriginLedger;
  private ready: Promise<Started> | null = null;
  private started: Started | null = null;

  constructor(opts: PaymentProviderOptions) {
    this.opts = opts;
    this.server = opts.paymentServer instanceof PaymentServerClient ? opts.paymentServer : new PaymentServerClient(opts.paymentServer);
    this.log = opts.logger ?? silentLogger;
    this.idempotency = new IdempotencyStore(opts.idempotency?.ttlMs, opts.idempotency?.maxEntries);
    this.maxPrepayCalls = Math.min(opts.maxPrepayCalls ?? 256, MAX_PREPAY_CALLS);
    this.origins = new OriginLedger(opts.originWindows);
  }

  get mode(): 'local' | 'remote' {
    return this.opts.mode;
  }

  /** Loads the provider's account and chain from its payment server. Idempotent; a failed start may be retried. */
  start(): Promise<PaymentContext> {
    if (!this.ready) {
      this.ready = (async () => {
        const ctx = await loadContext(this.server, {
          account: this.opts.account,
          token: this.opts.token,
          waitMs: this.opts.startTimeoutMs,
        });
        // Remote mode: the payment server decides vouchers; the shared state still holds tickets and idempotency keys.
        // Loaded only when asked for: a provider without it never loads the PostgreSQL driver.
        const shared = this.opts.stateUrl
          ? await (await import('./state/pg-state')).PgProviderState.open({
              url: this.opts.stateUrl,
              idempotencyTtlMs: this.opts.idempotency?.ttlMs,
              logger: this.log,
            })
          : null;
        const verifier: VoucherVerifier =
          this.opts.mode === 'local'
            ? new LocalVerifier({
                server: this.server,
                context: ctx,
                sync: this.opts.sync,
                flushIntervalMs: this.opts.flushIntervalMs,
                refreshIntervalMs: this.opts.refreshIntervalMs,
                maxUnflushedMs: this.opts.maxUnflushedMs,
                stopTimeoutMs: this.opts.stopTimeoutMs,
                shared: shared ?? undefined,
                logger: this.log,
              })
            : new RemoteVerifier(this.server);
        this.started = { ctx, verifier, shared };
        this.log.info(
          { mode: this.opts.mode, provider: ctx.account.address, sync: this.opts.sync ?? false, state: shared ? 'shared' : 'process' },
          'payment provider ready',
        );
        return this.started;
      })();
      this.ready.catch(() => {
        this.ready = null;
      });
    }
    return this.ready.then((r) => r.ctx);
  }

  get context(): PaymentContext | null {
    return this.started?.ctx ?? null;
  }

  /** Decides one call. Never rejects: every failure becomes a refusal with a stable code. */
  async charge(req: ChargeRequest): Promise<ChargeOutcome> {
    try {
      const outcome = await this.chargeOrThrow(req);
      // A retried call was recorded when it was paid; a replay is not charged.
      if (outcome.kind === 'paid' && !outcome.retried && req.origin !== undefined)
        this.origins.record('provider', outcome.receipt.channelId, req.origin, 1, outcome.receipt.price);
      return outcome;
    } catch (e) {
      const error = e instanceof ChanpayError ? e : new ChanpayError('INTERNAL', 'payment check failed');
      if (!(e instanceof ChanpayError)) this.log.error({ err: (e as Error)?.stack ?? String(e) }, 'payment check failed');
      return { kind: 'refused', refusal: { status: error.status, error } };
    }
  }

  private async chargeOrThrow(req: ChargeRequest): Promise<ChargeOutcome> {
    const { ctx, verifier, shared } = this.started ?? (await this.startForCall());
    if (req.price <= 0n) throw new ChanpayError('INTERNAL', 'charge() needs a positive price');
    if (req.ticket !== undefined) {
      if (req.voucher !== undefined)
        return this.refuse(ctx, req.price, new ChanpayError('MALFORMED_TICKET', 'send a voucher or a ticket, not both'));
      return this.chargeTicket(ctx, shared, req, req.ticket);
    }
    if (!req.voucher) {
      return this.refuse(
        ctx,
        req.price,
        new ChanpayError('PAYMENT_REQUIRED', `this call costs ${req.price} wei: send a voucher in the payment-voucher header`),
      );
    }
    const decoded = decodeVoucher(req.voucher);
    if (!decoded.ok) return this.refuse(ctx, req.price, new ChanpayError(decoded.code, decoded.message));
    const voucher = decoded.voucher;
    if (voucher.chainId !== ctx.chainId || voucher.contract !== ctx.contract) {
      return this.refuse(
        ctx,
        req.price,
        new ChanpayError('WRONG_DOMAIN', 'the voucher is for another chain or contract', {
          expected: { chainId: ctx.chainId.toString(), contract: ctx.contract },
        }),
      );
    }
    let prepay: PrepayRequest | null = null;
    if (req.prepay !== undefined) {
      prepay = decodePrepay(req.prepay);
      if (!prepay)
        return this.refuse(
          ctx,
          req.price,
          new ChanpayError(
            'MALFORMED_TICKET',
            `payment-prepay must be <calls>.<anchor>: 2 to ${MAX_PREPAY_CALLS} calls and a 32-byte hex anchor`,
          ),
        );
      if (prepay.calls > this.maxPrepayCalls) {
        return this.refuse(
          ctx,
          req.price,
          new ChanpayError('TERMS_NOT_ACCEPTED', `this provider takes at most ${this.maxPrepayCalls} prepaid calls per voucher`, {
            maxCalls: this.maxPrepayCalls,
          }),
        );
      }
    }
    const reserved =
      req.idempotencyKey === undefined ? undefined : await this.reserve(shared, voucher.channelId, req.voucher, req.idempotencyKey);
    if (reserved && 'kind' in reserved) return reserved;
    // A block of prepaid calls is accepted like one call that costs all of them.
    const charged = prepay ? req.price * BigInt(prepay.calls) : req.price;
    const block = prepay ? { price: req.price, calls: prepay.calls, anchor: prepay.anchor } : undefined;
    let accepted;
    try {
      accepted = await inSpan(
        'chanpay.verify',
        { [ATTR.mode]: verifier.mode, [ATTR.channel]: voucher.channelId, [ATTR.amount]: wei(voucher.amount), [ATTR.price]: wei(charged) },
        () => verifier.accept(voucher, req.voucher!, charged, req.origin, block),
      );
    } catch (e) {
      const paid = e instanceof ChanpayError ? (e.details?.accepted as { amount: string; price: string } | undefined) : undefined;
      if (reserved && paid) {
        // Accepted but not yet stored (sync mode): not served now; a retry with this key and voucher will be.
        reserved.receipt = { channelId: voucher.channelId, amount: BigInt(paid.amount), price: req.price };
        // A block opened by such a voucher stays closed: its tickets are refused rather than served before it is stored.
        reserved.settle('unserved');
      } else if (reserved) {
        this.rejectRecord(shared, voucher.channelId, req.idempotencyKey!, reserved);
      }
      if (!(e instanceof ChanpayError)) throw e;
      if (inErrorGroup('PAYMENT_REFUSED', e.code)) {
        const latest = inErrorGroup('SHOWS_LATEST', e.code) ? await verifier.latest(voucher.channelId).catch(() => null) : null;
        return this.refuse(
          ctx,
          req.price,
          e,
          latest ? { channelId: voucher.channelId, acceptedAmount: latest.amount.toString(), signature: latest.signature } : undefined,
        );
      }
      if (e.code === 'FORBIDDEN' || e.code === 'UNAUTHORIZED' || e.code === 'VALIDATION_ERROR') {
        this.log.error({ code: e.code, err: e.message }, 'the payment server refused this provider (check its token and account)');
        throw new ChanpayError('PAYMENT_SERVER_UNAVAILABLE', 'the provider cannot use its payment server');
      }
      // Its database is down: to the consumer that is a payment server that cannot answer (it retries the same voucher).
      if (e.code === 'STORE_UNAVAILABLE')
        throw new ChanpayError('PAYMENT_SERVER_UNAVAILABLE', 'the payment server cannot reach its database');
      throw e;
    }
    // On the shared state in local mode the block was opened with the range, in one transaction.
    if (prepay && shared && !verifier.opensBlocks)
      await shared.openBlock(accepted.channelId, accepted.amount, req.price, prepay.calls, prepay.anchor);
    else if (prepay && !shared) this.tickets.open(accepted.channelId, accepted.amount, req.price, prepay.calls, prepay.anchor);
    // Receipts always name the price of one call, also for the call that prepaid a block.
    const receipt: Receipt = { channelId: accepted.channelId, amount: accepted.amount, price: req.price };
    if (reserved) reserved.receipt = receipt;
    return { kind: 'paid', receipt, receiptHeader: encodeReceipt(receipt), record: reserved };
  }

  /** A call paid by a prepaid ticket: one hash or a few, no signature and no round trip. */
  private async chargeTicket(ctx: PaymentContext, shared: SharedState | null, req: ChargeRequest, header: string): Promise<ChargeOutcome> {
    const ticket = decodeTicket(header);
    if (!ticket)
      return this.refuse(
        ctx,
        req.price,
        new ChanpayError('MALFORMED_TICKET', 'payment-ticket must be <channelId>.<blockAmount>.<index>.<link>'),
      );
    const reserved =
      req.idempotencyKey === undefined ? undefined : await this.reserve(shared, ticket.channelId, header, req.idempotencyKey);
    if (reserved && 'kind' in reserved) return reserved;
    let price: bigint;
    const span = startSpan('chanpay.ticket_check', () => ({
      [ATTR.channel]: ticket.channelId,
      [ATTR.amount]: wei(ticket.blockAmount),
      [ATTR.price]: wei(req.price),
    }));
    try {
      price = shared ? await shared.spendTicket(ticket, req.price) : this.tickets.spend(ticket, req.price);
      span.end();
    } catch (e) {
      failed(span, e);
      span.end();
      if (reserved) this.rejectRecord(shared, ticket.channelId, req.idempotencyKey!, reserved);
      if (e instanceof ChanpayError) return this.refuse(ctx, req.price, e);
      throw e;
    }
    const receipt: Receipt = { channelId: ticket.channelId, amount: ticket.blockAmount, price };
    if (reserved) reserved.receipt = receipt;
    return { kind: 'paid', receipt, receiptHeader: encodeReceipt(receipt), record: reserved };
  }

  /**
   * With an Idempotency-Key the call is reserved before it is checked, so a concurrent repeat waits for this
   * one; a repeat of a call already answered or paid comes back as its outcome instead.
   */
  private async reserve(
    shared: SharedState | null,
    channelId: string,
    payment: string,
    key: string,
  ): Promise<IdempotencyRecord | ChargeOutcome> {
    if (!isValidIdempotencyKey(key))
      throw new ChanpayError('VALIDATION_ERROR', 'idempotency-key must be 1 to 128 visible ASCII characters');
    if (shared) return this.reserveShared(shared, channelId, payment, key);
    for (let round = 0; round < 4; round++) {
      // Checked and reserved without yielding; an existing record is handled (and may be waited for) first.
      if (!this.idempotency.get(channelId, key)) return this.idempotency.begin(channelId, key, payment, null);
      if (round === 3) break;
      const earlier = await this.earlierCall(channelId, key, payment);
      if (earlier) return earlier;
    }
    throw new ChanpayError('IDEMPOTENCY_CONFLICT', 'a call with this idempotency key is still running');
  }

  /** `reserve` across replicas: the shared store decides which replica runs the call. */
  private async reserveShared(
    shared: SharedState,
    channelId: string,
    payment: string,
    key: string,
  ): Promise<IdempotencyRecord | ChargeOutcome> {
    const found = await shared.reserve(channelId, key, payment);
    if (found.kind === 'new') return found.record;
    const receiptHeader = encodeReceipt(found.receipt);
    if (found.kind === 'served') return { kind: 'replay', receipt: found.receipt, receiptHeader, response: found.response };
    await this.flush();
    return { kind: 'paid', receipt: found.receipt, receiptHeader, record: found.record, retried: true };
  }

  private rejectRecord(shared: SharedState | null, channelId: string, key: string, record: IdempotencyRecord): void {
    if (shared) record.settle('rejected');
    else this.idempotency.reject(channelId, key, record);
  }

  /** A call seen before under the same key: answered again, served now, or refused as a conflict. */
  private async earlierCall(channelId: string, key: string, voucher: string): Promise<ChargeOutcome | null> {
    for (let round = 0; round < 3; round++) {
      const rec = this.idempotency.get(channelId, key);
      // Refused vouchers leave no record: a repeat is judged afresh.
      if (!rec) return null;
      if (rec.voucher !== voucher) throw new ChanpayError('IDEMPOTENCY_CONFLICT', 'this idempotency key was used with another voucher');
      if (rec.state === 'in-flight') {
        await Promise.race([rec.settled, new Promise((r) => setTimeout(r, 30_000).unref())]);
        continue;
      }
      const receipt = rec.receipt!;
      const receiptHeader = encodeReceipt(receipt);
      if (rec.state === 'served') {
        if (rec.response) return { kind: 'replay', receipt, receiptHeader, response: rec.response };
        throw new ChanpayError('IDEMPOTENCY_CONFLICT', 'this call was answered already and its answer was too large to keep');
      }
      // Paid before but never answered: serve it now, free. Reserved before any await, so only one repeat runs.
      const again = this.idempotency.begin(channelId, key, voucher, receipt);
      await this.flush();
      return { kind: 'paid', receipt, receiptHeader, record: again, retried: true };
    }
    throw new ChanpayError('IDEMPOTENCY_CONFLICT', 'a call with this idempotency key is still running');
  }

  private async startForCall() {
    try {
      await this.start();
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'payment provider cannot start');
      throw new ChanpayError('PAYMENT_SERVER_UNAVAILABLE', 'the provider cannot reach its payment server');
    }
    return this.started!;
  }

  private refuse(ctx: PaymentContext, price: bigint, error: ChanpayError, channel?: PaymentTerms['channel']): ChargeOutcome {
    const terms = this.termsFor(ctx, price, error.code === 'PAYMENT_REQUIRED' ? undefined : error, channel);
    return { kind: 'refused', refusal: { status: 402, error, terms } };
  }

  termsFor(ctx: PaymentContext, price: bigint, reason?: ChanpayError, channel?: PaymentTerms['channel']): PaymentTerms {
    return {
      scheme: PAYMENT_SCHEME,
      price: price.toString(),
      provider: ctx.account.address,
      contract: ctx.contract,
      chainId: ctx.chainId.toString(),
      token: ctx.token,
      minDeposit: ctx.defaults.minDeposit.toString(),
      minChallengePeriod: ctx.defaults.minChallengePeriod,
      ...(this.maxPrepayCalls >= 2 ? { prepay: { maxCalls: this.maxPrepayCalls } } : {}),
      ...(reason ? { reason: { code: reason.code, message: reason.message } } : {}),
      ...(channel ? { channel } : {}),
    };
  }

  /** Sends every accepted voucher to the payment server now. */
  async flush(): Promise<void> {
    await this.started?.verifier.flush();
  }

  /** Claims every channel with unclaimed vouchers now (after storing what is pending). */
  async redeem(): Promise<ClaimAllResponse> {
    await this.start();
    await this.flush();
    return this.server.claimAll();
  }

  /** What this provider has been paid so far: claimed on chain and held as vouchers. */
  async payout(): Promise<{ address: string; balance: string; claimed: string; unclaimed: string }> {
    const ctx = await this.start();
    await this.flush();
    const funds = await this.server.funds();
    const mine = funds.accounts.find((a) => a.address.toLowerCase() === ctx.account.address) ?? funds.accounts[0];
    if (!mine) throw new ChanpayError('INTERNAL', 'the payment server reported no account');
    return { address: mine.address, balance: mine.balance, claimed: mine.asProvider.claimed, unclaimed: mine.asProvider.unclaimed };
  }

  /** Stops accepting and stores what is pending. */
  async stop(): Promise<void> {
    const started = this.started;
    if (started) await started.verifier.stop();
    await started?.shared?.close();
  }
}
