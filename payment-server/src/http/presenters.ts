import { encodeVoucher, type ApiResponse, type ChannelInfo, type Voucher, type VoucherInfo } from '@chanpay/protocol';
import type { Account } from '../accounts';
import type { Config } from '../config';
import type { SentTx } from '../chain/tx-sender';
import type { Role } from '../core/access';
import type { CloseOutcome } from '../core/claims-and-closes';
import type { AccountFunds } from '../core/funds';
import { latestHeldVoucher, sideOf } from '../core/held-voucher';
import type { RecordResult, VerifyItemResult, VerifyResult } from '../core/voucher-verification';
import type { Webhook } from '../jobs/webhooks';
import type { ChannelRecord, Window } from '../store/channel-store';

/** The JSON shapes of the API's answers (amounts as decimal strings), from the core's records and results. */

/** One channel as seen by a party of it (`role`): a consumer sees the vouchers signed here, a provider those accepted. */
export function channelJson(rec: ChannelRecord, role: Role | null, windows: readonly Window[]): ChannelInfo {
  const latest = latestHeldVoucher(rec, sideOf(role));
  const latestAmount = latest?.amount ?? 0n;
  return {
    id: rec.id,
    terms: rec.terms,
    role,
    state: rec.state,
    deposit: rec.deposit.toString(),
    claimed: rec.claimed.toString(),
    closesAt: rec.closesAt,
    openedAtBlock: rec.openedBlock,
    latestVoucher: latest ? { amount: latest.amount.toString(), signature: latest.signature, receivedAt: latest.at } : null,
    unclaimed: (latestAmount > rec.claimed ? latestAmount - rec.claimed : 0n).toString(),
    calls: rec.calls,
    windows: windows.map((w) => ({ start: w.start, calls: w.calls, amount: w.amount.toString() })),
  };
}

export function voucherJson(v: Voucher): VoucherInfo {
  return {
    channelId: v.channelId,
    amount: v.amount.toString(),
    signature: v.signature,
    chainId: v.chainId.toString(),
    contract: v.contract,
    header: encodeVoucher(v),
  };
}

export function verifyJson(r: VerifyResult): ApiResponse<'verifyVoucher'> {
  return {
    accepted: true,
    channelId: r.channelId,
    amount: r.amount.toString(),
    price: r.price.toString(),
    replayed: r.replayed,
    header: r.receipt,
  };
}

/** Each item's answer, in the order sent: the single route's answer, or its error (code, message, details). */
export function verifyBatchJson(results: readonly VerifyItemResult[]): ApiResponse<'verifyVouchers'> {
  return {
    results: results.map((r) =>
      r.ok
        ? verifyJson(r.result)
        : {
            accepted: false as const,
            channelId: r.channelId,
            error: { code: r.error.code, message: r.error.message, ...(r.error.details ? { details: r.error.details } : {}) },
          },
    ),
  };
}

/** Each voucher's result, and where each channel named stands now (so that a provider's cache follows closes and top-ups). */
export function recordJson(
  results: readonly RecordResult[],
  channelOf: (id: string) => ChannelRecord | undefined,
): ApiResponse<'recordVouchers'> {
  const channels: ApiResponse<'recordVouchers'>['channels'] = {};
  for (const r of results) {
    const rec = r.channelId ? channelOf(r.channelId) : undefined;
    if (rec)
      channels[rec.id] = { state: rec.state, deposit: rec.deposit.toString(), claimed: rec.claimed.toString(), closesAt: rec.closesAt };
  }
  return {
    results: results.map((r) => ({
      channelId: r.channelId,
      accepted: r.accepted,
      ...(r.amount !== undefined ? { amount: r.amount.toString() } : {}),
      ...(r.error ? { error: r.error } : {}),
    })),
    channels,
  };
}

export function claimJson(c: { rec: ChannelRecord; sent: SentTx; amount: bigint }): ApiResponse<'claim'> {
  return { txHash: c.sent.hash, claimed: c.rec.claimed.toString(), amount: c.amount.toString(), gasUsed: c.sent.gasUsed.toString() };
}

export function claimAllJson(claimed: readonly { sent: SentTx; channels: string[] }[]): ApiResponse<'claimAll'> {
  const transactions = claimed.map((c) => ({ txHash: c.sent.hash, channels: c.channels, gasUsed: c.sent.gasUsed.toString() }));
  return { transactions, channels: transactions.flatMap((t) => t.channels) };
}

export function closeJson(c: CloseOutcome): ApiResponse<'close'> {
  const { rec } = c;
  if (c.by === 'provider')
    return { state: rec.state, txHash: c.sent.hash, claimed: rec.claimed.toString(), refund: (rec.deposit - rec.claimed).toString() };
  return { state: rec.state, closesAt: rec.closesAt, txHash: c.sent?.hash ?? null };
}

export function withdrawJson(w: { rec: ChannelRecord; sent: SentTx }): ApiResponse<'withdraw'> {
  return { state: w.rec.state, txHash: w.sent.hash, refund: (w.rec.deposit - w.rec.claimed).toString() };
}

export function fundsJson(f: AccountFunds): ApiResponse<'funds'>['accounts'][number] {
  const c = f.asConsumer;
  const p = f.asProvider;
  return {
    name: f.name,
    address: f.address,
    balance: f.balance.toString(),
    asConsumer: {
      channels: c.channels,
      deposited: c.deposited.toString(),
      claimed: c.claimed.toString(),
      signed: c.signed.toString(),
      refundable: c.refundable.toString(),
    },
    asProvider: { channels: p.channels, claimed: p.claimed.toString(), unclaimed: p.unclaimed.toString() },
  };
}

export function configJson(
  accounts: readonly Account[],
  config: Config,
  chain: { chainId: bigint; contract: string },
): ApiResponse<'config'> {
  return {
    chainId: chain.chainId.toString(),
    contract: chain.contract,
    accounts: accounts.map((a) => ({ name: a.name, address: a.address, signer: a.voucherSigner })),
    defaults: {
      challengePeriod: config.defaults.challengePeriod,
      minChallengePeriod: config.defaults.minChallengePeriod,
      minDeposit: config.defaults.minDeposit.toString(),
      acceptedTokens: config.defaults.acceptedTokens,
    },
    claimPolicy: { thresholdWei: config.claim.thresholdWei.toString(), intervalSeconds: config.claim.intervalSeconds },
    statsWindowSeconds: config.statsWindowSeconds,
  };
}

export function webhookJson(h: Webhook): ApiResponse<'listWebhooks'>['webhooks'][number] {
  return { id: h.id, url: h.url, events: h.events, createdAt: h.createdAt };
}
