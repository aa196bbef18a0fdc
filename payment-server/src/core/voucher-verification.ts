import {
  ChanpayError,
  PaidRanges,
  acceptWithRefresh,
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
import type { ChannelRecord, ChannelStore } from '../store/channel-store';
import type { ChannelAccess, Principal } from './access';
import type { ChainLedger } from './chain-ledger';
import type { ChannelEvents } from './channel-events';
import { nowSeconds } from './clock';

export type VerifyVoucherBody = ApiInput<'verifyVoucher'>['body'];
export type RecordVouchersBody = ApiInput<'recordVouchers'>['body'];

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
 * run); around it, this class keeps per channel the ranges already paid for and checks and records without
 * yielding, so that two concurrent calls on one channel can never both be accepted for the same increment.
 */
export class VoucherVerification {
  private readonly policy: AcceptancePolicy;
  private readonly signerOf: SignerOf;
  /** Per channel, the ranges of the cumulative amount already paid for (gaps are kept in memory only). */
  private readonly paid = new Map<string, PaidRanges>();
  /** Per channel, the second of the last `voucher.accepted` event: at most one a second, however many calls. */
  private readonly lastVoucherEvent = new Map<string, number>();

  constructor(private readonly deps: VoucherVerificationDeps) {
    const acceptedTokens = new Set(deps.defaults.acceptedTokens);
    this.policy = { acceptsToken: (token) => acceptedTokens.has(token), minChallengePeriod: deps.defaults.minChallengePeriod };
    this.signerOf = (v) => voucherSigner(deps.hasher, v);
  }

  /** Verifies one voucher for a paid call and records it durably before answering. */
  async verify(principal: Principal, request: VerifyVoucherBody): Promise<VerifyResult> {
    const { access, ledger, metrics } = this.deps;
    const p = access.narrowedTo(principal, request.account);
    const { price, idempotencyKey } = request;
    const started = process.hrtime.bigint();
    try {
      const v = this.decode(request.voucher);
      const rec = await access.providerChannel(p, v.channelId);
      // The consumer may have topped up since we last looked.
      const tried = acceptWithRefresh(
        () => this.acceptSync(rec, v, price, idempotencyKey),
        () => ledger.refresh(rec.id),
      );
      const result = tried instanceof Promise ? await tried : tried;
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

  /** Records vouchers a service already accepted in process (local mode); each is checked again here. */
  async recordMany(principal: Principal, request: RecordVouchersBody): Promise<RecordResult[]> {
    const { access, ledger } = this.deps;
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
        const tried = acceptWithRefresh(
          () => this.acceptSync(rec, v, 0n, undefined, calls, true),
          () => ledger.refresh(rec.id),
        );
        const r = tried instanceof Promise ? await tried : tried;
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

  /** Check and record without yielding; returns the error instead of throwing so callers can retry once. */
  private acceptSync(
    rec: ChannelRecord,
    v: Voucher,
    price: bigint,
    idempotencyKey: string | undefined,
    calls = 1,
    servedAlready = false,
  ): VerifyResult | ChanpayError {
    const { store, metrics } = this.deps;
    try {
      if (idempotencyKey) {
        const seen = store.idempotent(rec.id, idempotencyKey);
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
      let paid = this.paid.get(rec.id);
      if (!paid) this.paid.set(rec.id, (paid = new PaidRanges(rec.acceptedAmount)));
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
      recordAccepted(paid, v, price);
      const increment = v.amount > rec.acceptedAmount ? v.amount - rec.acceptedAmount : 0n;
      const now = nowSeconds();
      store.recordAccepted(rec, v.amount, v.signature, calls, now, idempotencyKey ? { key: idempotencyKey, price } : undefined);
      metrics.calls.inc(calls);
      metrics.amountWei.inc(Number(increment));
      this.voucherEvent(rec, now);
      // A late voucher that fills a gap is covered by the higher one already held: the call is paid, the claim unchanged.
      const charged = price > 0n ? price : increment;
      return {
        channelId: rec.id,
        amount: v.amount,
        price: charged,
        receipt: encodeReceipt({ channelId: rec.id, amount: v.amount, price: charged }),
        replayed: false,
      };
    } catch (e) {
      if (e instanceof ChanpayError) return e;
      throw e;
    }
  }

  private voucherEvent(rec: ChannelRecord, now: number): void {
    if ((this.lastVoucherEvent.get(rec.id) ?? 0) >= now) return;
    this.lastVoucherEvent.set(rec.id, now);
    this.deps.events.publish('voucher.accepted', rec.id, { amount: rec.acceptedAmount.toString(), calls: rec.calls });
  }
}
