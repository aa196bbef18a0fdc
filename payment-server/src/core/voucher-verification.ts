import {
  ChanpayError,
  PaidRanges,
  decodeVoucher,
  encodeReceipt,
  recordAccepted,
  voucherRefusal,
  type AcceptancePolicy,
  type Address,
  type ApiInput,
  type SignerOf,
  type Voucher,
} from '@chanpay/protocol';
import { voucherSigner, type VoucherHasher } from '@chanpay/protocol/node';
import type { Config } from '../config';
import type { Metrics } from '../metrics';
import type { ChannelRecord, ChannelStore, ChannelTx } from '../store/channel-store';
import type { ChannelAccess, Principal } from './access';
import type { ChainLedger } from './chain-ledger';
import type { ChannelEvents } from './channel-events';
import { nowSeconds } from './clock';

export type VerifyVoucherBody = ApiInput<'verifyVoucher'>['body'];
export type RecordVouchersBody = ApiInput<'recordVouchers'>['body'];
export type VerifyBatchBody = ApiInput<'verifyVouchers'>['body'];
export type VerifyBatchItem = VerifyBatchBody['items'][number];

/** One item of a batch: accepted as `verify` would have, or the error `verify` would have thrown. */
export type VerifyItemResult = { ok: true; result: VerifyResult } | { ok: false; channelId: string | null; error: ChanpayError };

export interface VerifyResult {
  channelId: string;
  amount: bigint;
  /** What this call was charged (for a replay under the same idempotency key: what the first call was). */
  price: bigint;
  receipt: string;
  replayed: boolean;
}

export interface RecordResult {
  channelId: string | null;
  accepted: boolean;
  amount?: bigint;
  error?: { code: string; message: string };
}

export interface VoucherVerificationDeps {
  defaults: Config['defaults'];
  access: ChannelAccess;
  ledger: ChainLedger;
  store: ChannelStore;
  hasher: VoucherHasher;
  chainId: bigint;
  contract: Address;
  events: ChannelEvents;
  metrics: Metrics;
}

/**
 * The provider's side: verifies the voucher of each paid call and records it durably before the call is served.
 * The acceptance rule is `voucherRefusal` from @chanpay/protocol (the same that providers verifying in process
 * run); around it, this class keeps per channel the ranges already paid for and checks and records under the
 * channel's lock in the store (`ChannelStore.locked`: across every process on the store), so that two concurrent
 * calls on one channel can never both be accepted for the same increment.
 */
export class VoucherVerification {
  private readonly policy: AcceptancePolicy;
  private readonly signerOf: SignerOf;
  /**
   * Per channel, the ranges of the cumulative amount already paid for (gaps are kept in memory only), with the
   * record's accepted amount and call count they were last brought to. When another process on the store
   * accepted meanwhile, those differ and the gaps are forgotten: a late voucher is then refused rather than
   * risk accepting a range twice.
   */
  private readonly paid = new Map<string, { ranges: PaidRanges; amount: bigint; calls: number }>();
  /** Per channel, the second of the last `voucher.accepted` event: at most one a second, however many calls. */
  private readonly lastVoucherEvent = new Map<string, number>();

  constructor(private readonly deps: VoucherVerificationDeps) {
    const acceptedTokens = new Set(deps.defaults.acceptedTokens);
    this.policy = { acceptsToken: (token) => acceptedTokens.has(token), minChallengePeriod: deps.defaults.minChallengePeriod };
    this.signerOf = (v) => voucherSigner(deps.hasher, v);
  }

  /** Verifies one voucher for a paid call and records it durably before answering. */
  async verify(principal: Principal, request: VerifyVoucherBody): Promise<VerifyResult> {
    const { access, metrics } = this.deps;
    const p = access.narrowedTo(principal, request.account);
    const { price, idempotencyKey } = request;
    const started = process.hrtime.bigint();
    try {
      const v = this.decode(request.voucher);
      const rec = await access.providerChannel(p, v.channelId);
      // The consumer may have topped up since we last looked.
      const result = await this.acceptWithRefresh(rec, () => this.accept(rec.id, v, price, idempotencyKey));
      if (result instanceof ChanpayError) throw result;
      metrics.verifyResult.inc({ result: 'accepted' });
      return result;
    } catch (e) {
      metrics.verifyResult.inc({ result: e instanceof ChanpayError ? e.code : 'error' });
      throw e;
    } finally {
      metrics.verifySeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * Verifies the vouchers of several paid calls, in order, each exactly as `verify` would (its own idempotency
   * key, price and refusals: a refused item changes nothing for the others), and records the accepted ones in one
   * transaction of the store (`ChannelStore.lockedMany`) before answering. A voucher above the deposit is tried
   * once more after re-reading the channel, as `verify` does, after the batch committed.
   */
  async verifyMany(principal: Principal, request: VerifyBatchBody): Promise<VerifyItemResult[]> {
    const { access, metrics } = this.deps;
    const p = access.narrowedTo(principal, request.account);
    const started = process.hrtime.bigint();
    const out: VerifyItemResult[] = new Array(request.items.length);
    const refused = (i: number, channelId: string | null, e: unknown) => {
      if (!(e instanceof ChanpayError)) throw e;
      out[i] = { ok: false, channelId, error: e };
    };
    const pending: { i: number; item: VerifyBatchItem; v: Voucher; id: string }[] = [];
    for (const [i, item] of request.items.entries()) {
      let channelId: string | null = null;
      try {
        const v = this.decode(item.voucher);
        channelId = v.channelId;
        const rec = await access.providerChannel(p, v.channelId);
        pending.push({ i, item, v, id: rec.id });
      } catch (e) {
        refused(i, channelId, e);
      }
    }
    const overDeposit: typeof pending = [];
    if (pending.length > 0) {
      const now = nowSeconds();
      const accepted = await this.deps.store.lockedMany(
        pending.map((x) => x.id),
        async (recs, txOf) => {
          const raised = new Map<string, ChannelRecord>();
          for (const x of pending) {
            const rec = recs.get(x.id);
            if (!rec) throw new Error(`no channel ${x.id} in the store`);
            try {
              const r = await this.acceptLocked(rec, txOf(x.id), x.v, x.item.price, x.item.idempotencyKey, 1, false, now);
              out[x.i] = { ok: true, result: r };
              if (!r.replayed) raised.set(rec.id, rec);
            } catch (e) {
              if (e instanceof ChanpayError && e.code === 'AMOUNT_EXCEEDS_DEPOSIT') overDeposit.push(x);
              else refused(x.i, x.id, e);
            }
          }
          return raised;
        },
      );
      for (const rec of accepted.values()) this.voucherEvent(rec, now);
    }
    // The consumer may have topped up since we last looked: re-read each such channel once, then try again alone.
    const refreshed = new Set<string>();
    for (const x of overDeposit) {
      if (!refreshed.has(x.id)) {
        refreshed.add(x.id);
        await this.deps.ledger.refresh(x.id);
      }
      const r = await this.accept(x.id, x.v, x.item.price, x.item.idempotencyKey);
      if (r instanceof ChanpayError) refused(x.i, x.id, r);
      else out[x.i] = { ok: true, result: r };
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    for (const r of out) {
      metrics.verifyResult.inc({ result: r.ok ? 'accepted' : r.error.code });
      metrics.verifySeconds.observe(seconds);
    }
    return out;
  }

  /** Records vouchers a service already accepted in process (local mode); each is checked again here. */
  async recordMany(principal: Principal, request: RecordVouchersBody): Promise<RecordResult[]> {
    const { access } = this.deps;
    const p = access.narrowedTo(principal, request.account);
    const results: RecordResult[] = [];
    for (const entry of request.vouchers) {
      const header = typeof entry === 'string' ? entry : entry.voucher;
      const calls = typeof entry === 'string' ? 1 : (entry.calls ?? 1);
      let channelId: string | null = null;
      try {
        const v = this.decode(header);
        channelId = v.channelId;
        const rec = await access.providerChannel(p, v.channelId);
        if (v.amount === rec.acceptedAmount && v.signature === rec.acceptedSignature) {
          results.push({ channelId, accepted: true, amount: v.amount });
          continue;
        }
        // These calls were served already: record them while the provider can still claim (a closing channel too).
        const r = await this.acceptWithRefresh(rec, () => this.accept(rec.id, v, 0n, undefined, calls, true));
        if (r instanceof ChanpayError) throw r;
        results.push({ channelId, accepted: true, amount: v.amount });
      } catch (e) {
        if (!(e instanceof ChanpayError)) throw e;
        results.push({ channelId, accepted: false, error: { code: e.code, message: e.message } });
      }
    }
    return results;
  }

  private decode(header: string): Voucher {
    const d = decodeVoucher(header);
    if (!d.ok) throw new ChanpayError(d.code, d.message);
    const v = d.voucher;
    const { chainId, contract } = this.deps;
    if (v.chainId !== chainId || v.contract !== contract) {
      throw new ChanpayError('WRONG_DOMAIN', 'the voucher is for another chain or contract', {
        expected: { chainId: chainId.toString(), contract },
        got: { chainId: v.chainId.toString(), contract: v.contract },
      });
    }
    return v;
  }

  /**
   * The protocol's `acceptWithRefresh` rule, for an attempt that awaits its lock: above the deposit, re-read the
   * channel (the consumer may have topped up) and try once more.
   */
  private async acceptWithRefresh(
    rec: ChannelRecord,
    attempt: () => Promise<VerifyResult | ChanpayError>,
  ): Promise<VerifyResult | ChanpayError> {
    const first = await attempt();
    if (!(first instanceof ChanpayError) || first.code !== 'AMOUNT_EXCEEDS_DEPOSIT') return first;
    await this.deps.ledger.refresh(rec.id);
    return attempt();
  }

  /** Check and record under the channel's lock; returns the error instead of throwing so callers can retry once. */
  private async accept(
    channelId: string,
    v: Voucher,
    price: bigint,
    idempotencyKey: string | undefined,
    calls = 1,
    servedAlready = false,
  ): Promise<VerifyResult | ChanpayError> {
    try {
      const { result, rec, now } = await this.deps.store.locked(channelId, async (rec, tx) => {
        const now = nowSeconds();
        return { result: await this.acceptLocked(rec, tx, v, price, idempotencyKey, calls, servedAlready, now), rec, now };
      });
      if (!result.replayed) this.voucherEvent(rec, now);
      return result;
    } catch (e) {
      if (e instanceof ChanpayError) return e;
      throw e;
    }
  }

  private async acceptLocked(
    rec: ChannelRecord,
    tx: ChannelTx,
    v: Voucher,
    price: bigint,
    idempotencyKey: string | undefined,
    calls: number,
    servedAlready: boolean,
    now: number,
  ): Promise<VerifyResult> {
    const { metrics } = this.deps;
    {
      if (idempotencyKey) {
        const seen = await tx.idempotent(idempotencyKey);
        if (seen) {
          if (seen.amount !== v.amount) {
            throw new ChanpayError('IDEMPOTENCY_CONFLICT', 'this idempotency key was used with another voucher');
          }
          return {
            channelId: rec.id,
            amount: v.amount,
            price: seen.price,
            receipt: encodeReceipt({ channelId: rec.id, amount: v.amount, price: seen.price }),
            replayed: true,
          };
        }
      }
      let known = this.paid.get(rec.id);
      if (!known || known.amount !== rec.acceptedAmount || known.calls !== rec.calls) {
        known = { ranges: new PaidRanges(rec.acceptedAmount), amount: rec.acceptedAmount, calls: rec.calls };
        this.paid.set(rec.id, known);
      }
      const paid = known.ranges;
      const refusal = voucherRefusal({
        channel: rec,
        voucher: v,
        price,
        paid,
        policy: this.policy,
        signerOf: this.signerOf,
        servedAlready,
      });
      if (refusal) throw refusal;
      const increment = v.amount > rec.acceptedAmount ? v.amount - rec.acceptedAmount : 0n;
      await tx.recordAccepted(v.amount, v.signature, calls, now, idempotencyKey ? { key: idempotencyKey, price } : undefined);
      // Only once durable: a failed write leaves the ranges as they were.
      recordAccepted(paid, v, price);
      Object.assign(known, { amount: rec.acceptedAmount, calls: rec.calls });
      metrics.calls.inc(calls);
      metrics.amountWei.inc(Number(increment));
      // A late voucher that fills a gap is covered by the higher one already held: the call is paid, the claim unchanged.
      const charged = price > 0n ? price : increment;
      return {
        channelId: rec.id,
        amount: v.amount,
        price: charged,
        receipt: encodeReceipt({ channelId: rec.id, amount: v.amount, price: charged }),
        replayed: false,
      };
    }
  }

  private voucherEvent(rec: ChannelRecord, now: number): void {
    if ((this.lastVoucherEvent.get(rec.id) ?? 0) >= now) return;
    this.lastVoucherEvent.set(rec.id, now);
    this.deps.events.publish('voucher.accepted', rec, { amount: rec.acceptedAmount.toString(), calls: rec.calls });
  }
}
