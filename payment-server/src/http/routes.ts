import type { Context } from 'koa';
import { ChanpayError, encodeVoucher, type ApiInput, type ApiName, type ApiResponse, type ChannelInfo, type RecordResponse, type Voucher, type VoucherInfo } from '@chanpay/protocol';
import type { ChannelService, Principal } from '../core/channel-service';
import type { ChannelRecord } from '../store/channel-store';
import type { Webhooks } from '../jobs/webhooks';
import type { Metrics } from '../metrics';
import type { Config } from '../config';
import type { Rpc } from '../chain/rpc';

export interface RouteContext {
  service: ChannelService;
  webhooks: Webhooks;
  metrics: Metrics;
  config: Config;
  rpc: Rpc;
  version: string;
  startedAt: number;
  openapi: () => unknown;
  /** Check every answer against the API table's response schema (tests: PS_VALIDATE_RESPONSES=1). */
  validateResponses?: boolean;
}

/** What every handler gets besides its validated input. */
export interface HandlerContext {
  principal: Principal;
  ctx: Context;
}

export type Handler<N extends ApiName> = (input: ApiInput<N> & HandlerContext, rc: RouteContext) => ApiResponse<N> | Promise<ApiResponse<N>>;

/** One handler per endpoint of the API table (`API` in @chanpay/protocol); the router and OpenAPI come from that table. */
export type ApiHandlers = { [N in ApiName]: Handler<N> };

export function channelJson(service: ChannelService, p: Principal | null, rec: ChannelRecord, windows = 60): ChannelInfo {
  const role = p ? service.roleOf(p, rec) : null;
  const side = role === 'consumer' ? 'consumer' : 'provider';
  const latest = side === 'provider'
    ? rec.acceptedSignature ? { amount: rec.acceptedAmount.toString(), signature: rec.acceptedSignature, receivedAt: rec.acceptedAt } : null
    : rec.signedSignature ? { amount: rec.signedAmount.toString(), signature: rec.signedSignature, receivedAt: rec.signedAt } : null;
  const latestAmount = side === 'provider' ? rec.acceptedAmount : rec.signedAmount;
  return {
    id: rec.id,
    terms: rec.terms,
    role,
    state: rec.state,
    deposit: rec.deposit.toString(),
    claimed: rec.claimed.toString(),
    closesAt: rec.closesAt,
    openedAtBlock: rec.openedBlock,
    latestVoucher: latest,
    unclaimed: (latestAmount > rec.claimed ? latestAmount - rec.claimed : 0n).toString(),
    calls: rec.calls,
    windows: windows > 0 ? service.store.windows(rec.id, windows).map((w) => ({ start: w.start, calls: w.calls, amount: w.amount.toString() })) : [],
  };
}

function voucherJson(v: Voucher): VoucherInfo {
  return { channelId: v.channelId, amount: v.amount.toString(), signature: v.signature, chainId: v.chainId.toString(), contract: v.contract, header: encodeVoucher(v) };
}

export const HANDLERS: ApiHandlers = {
  status: async (_i, rc) => {
      let blockNumber: number | null = null;
      try {
        blockNumber = await rc.rpc.blockNumber();
      } catch {
        /* reported as degraded */
      }
      return {
        status: blockNumber === null ? 'degraded' : 'ok',
        version: rc.version,
        chainId: rc.service.chainId.toString(),
        contract: rc.service.contract,
        blockNumber,
        chainReachable: blockNumber !== null,
        uptimeSeconds: Math.round((Date.now() - rc.startedAt) / 1000),
      };
    },
  config: ({ principal }, rc) => ({
      chainId: rc.service.chainId.toString(),
      contract: rc.service.contract,
      accounts: principal.accounts.map((a) => ({ name: a.name, address: a.address, signer: a.voucherSigner })),
      defaults: {
        challengePeriod: rc.config.defaults.challengePeriod,
        minChallengePeriod: rc.config.defaults.minChallengePeriod,
        minDeposit: rc.config.defaults.minDeposit.toString(),
        acceptedTokens: rc.config.defaults.acceptedTokens,
      },
      claimPolicy: { thresholdWei: rc.config.claim.thresholdWei.toString(), intervalSeconds: rc.config.claim.intervalSeconds },
      statsWindowSeconds: rc.config.statsWindowSeconds,
    }),
  openapi: (_i, rc) => rc.openapi(),
  metrics: async ({ ctx }, rc) => {
      ctx.type = rc.metrics.registry.contentType;
      return rc.metrics.registry.metrics();
    },
  openChannel: async ({ principal, body }, rc) => {
      const account = rc.service.actingAccount(principal, body.account);
      if (body.deposit < rc.config.defaults.minDeposit) throw new ChanpayError('VALIDATION_ERROR', `deposit must be at least ${rc.config.defaults.minDeposit}`);
      if (body.challengePeriod !== undefined && body.challengePeriod < rc.config.defaults.minChallengePeriod) {
        throw new ChanpayError('VALIDATION_ERROR', `challengePeriod must be at least ${rc.config.defaults.minChallengePeriod} s`);
      }
      const rec = await rc.service.open(account, body);
      return { channel: channelJson(rc.service, principal, rec) };
    },
  listChannels: ({ principal, query }, rc) => {
      const mine = query.account ? [rc.service.actingAccount(principal, query.account)] : principal.accounts;
      const addrs = new Set(mine.map((a) => a.address));
      const channels = rc.service.store.all().filter((r) => {
        const asConsumer = addrs.has(r.terms.consumer);
        const asProvider = addrs.has(r.terms.provider);
        if (query.role === 'consumer' ? !asConsumer : query.role === 'provider' ? !asProvider : !(asConsumer || asProvider)) return false;
        if (query.state && r.state !== query.state) return false;
        if (query.provider && r.terms.provider !== query.provider) return false;
        if (query.consumer && r.terms.consumer !== query.consumer) return false;
        return true;
      });
      return { channels: channels.sort((a, b) => b.openedBlock - a.openedBlock).map((r) => channelJson(rc.service, principal, r, query.windows ?? 0)) };
    },
  channel: async ({ principal, params, query }, rc) => {
      const { rec } = await rc.service.channelFor(principal, params.id);
      return { channel: channelJson(rc.service, principal, rec, query.windows ?? 60) };
    },
  topUp: async ({ principal, params, body }, rc) => {
      const { rec, txHash } = await rc.service.topUp(principal, params.id, body.amount);
      return { channel: channelJson(rc.service, principal, rec), txHash };
    },
  signVoucher: async ({ principal, params, body }, rc) => {
      const v = await rc.service.signNext(principal, params.id, body.price);
      return { voucher: voucherJson(v), header: encodeVoucher(v) };
    },
  latestVoucher: async ({ principal, params }, rc) => {
      const { rec } = await rc.service.channelFor(principal, params.id);
      const role = rc.service.roleOf(principal, rec) === 'consumer' ? 'consumer' : 'provider';
      const v = rc.service.latestVoucherOf(rec, role);
      return { voucher: v ? voucherJson(v) : null };
    },
  verifyVoucher: async ({ principal, body }, rc) => {
      const p = body.account ? { ...principal, accounts: [rc.service.actingAccount(principal, body.account)] } : principal;
      const r = await rc.service.verify(p, body.voucher, body.price, body.idempotencyKey);
      return { accepted: true, channelId: r.channelId, amount: r.amount.toString(), price: r.price.toString(), replayed: r.replayed, header: r.receipt };
    },
  recordVouchers: async ({ principal, body }, rc) => {
      const p = body.account ? { ...principal, accounts: [rc.service.actingAccount(principal, body.account)] } : principal;
      const entries = body.vouchers.map((v) => (typeof v === 'string' ? { voucher: v } : v));
      const results = await rc.service.recordMany(p, entries);
      const channels: RecordResponse['channels'] = {};
      for (const r of results) {
        const rec = r.channelId ? rc.service.store.get(r.channelId) : undefined;
        if (rec) channels[rec.id] = { state: rec.state, deposit: rec.deposit.toString(), claimed: rec.claimed.toString(), closesAt: rec.closesAt };
      }
      return { results: results.map((r) => ({ channelId: r.channelId, accepted: r.accepted, ...(r.amount !== undefined ? { amount: r.amount.toString() } : {}), ...(r.error ? { error: r.error } : {}) })), channels };
    },
  claim: async ({ principal, params }, rc) => {
      const { rec, account } = await rc.service.channelFor(principal, params.id, 'provider');
      const before = rec.claimed;
      const sent = await rc.service.claim(account, [rec]);
      if (!sent) throw new ChanpayError('NOTHING_TO_CLAIM', 'no voucher above the claimed amount', { claimed: rec.claimed.toString(), accepted: rec.acceptedAmount.toString() });
      return { txHash: sent.hash, claimed: rec.claimed.toString(), amount: (rec.claimed - before).toString(), gasUsed: sent.gasUsed.toString() };
    },
  claimAll: async ({ principal, body }, rc) => {
      const accounts = body.account ? [rc.service.actingAccount(principal, body.account)] : principal.accounts;
      const txs: { txHash: string; channels: string[]; gasUsed: string }[] = [];
      for (const account of accounts) {
        const due = rc.service.store.all().filter((r) => r.terms.provider === account.address && r.state !== 'settled' && r.acceptedSignature && r.acceptedAmount > r.claimed);
        for (let i = 0; i < due.length; i += rc.config.claim.batchMax) {
          const batch = due.slice(i, i + rc.config.claim.batchMax);
          const sent = await rc.service.claim(account, batch);
          if (sent) txs.push({ txHash: sent.hash, channels: batch.map((r) => r.id), gasUsed: sent.gasUsed.toString() });
        }
      }
      return { transactions: txs, channels: txs.flatMap((t) => t.channels) };
    },
  close: async ({ principal, params, body }, rc) => {
      const p = body.account ? { ...principal, accounts: [rc.service.actingAccount(principal, body.account)] } : principal;
      const { rec, account } = await rc.service.channelFor(p, params.id);
      if (rec.state === 'settled') throw new ChanpayError('CHANNEL_CLOSED', 'the channel is already settled');
      if (account.address === rec.terms.provider) {
        const sent = await rc.service.closeByProvider(rec, account);
        return { state: rec.state, txHash: sent.hash, claimed: rec.claimed.toString(), refund: (rec.deposit - rec.claimed).toString() };
      }
      if (rec.state === 'closing') return { state: rec.state, closesAt: rec.closesAt, txHash: null };
      const sent = await rc.service.startClose(rec, account);
      return { state: rec.state, closesAt: rec.closesAt, txHash: sent.hash };
    },
  withdraw: async ({ principal, params }, rc) => {
      const { rec, account } = await rc.service.channelFor(principal, params.id, 'consumer');
      const sent = await rc.service.withdraw(rec, account);
      return { state: rec.state, txHash: sent.hash, refund: (rec.deposit - rec.claimed).toString() };
    },
  closeStatus: async ({ principal, params }, rc) => {
      const { rec } = await rc.service.channelFor(principal, params.id);
      const now = await rc.rpc.latestTimestamp().catch(() => Math.floor(Date.now() / 1000));
      const secondsLeft = rec.state === 'closing' && rec.closesAt !== null ? Math.max(0, rec.closesAt - now) : null;
      return { state: rec.state, closesAt: rec.closesAt, secondsLeft, canWithdraw: rec.state === 'closing' && secondsLeft === 0 };
    },
  funds: async ({ principal, query }, rc) => {
      const accounts = query.account ? [rc.service.actingAccount(principal, query.account)] : principal.accounts;
      const out = [];
      for (const a of accounts) {
        const all = rc.service.store.all();
        const asConsumer = all.filter((r) => r.terms.consumer === a.address);
        const asProvider = all.filter((r) => r.terms.provider === a.address);
        const sum = (rs: ChannelRecord[], f: (r: ChannelRecord) => bigint) => rs.reduce((s, r) => s + f(r), 0n).toString();
        out.push({
          name: a.name,
          address: a.address,
          balance: (await rc.rpc.balance(a.address)).toString(),
          asConsumer: {
            channels: asConsumer.length,
            deposited: sum(asConsumer, (r) => r.deposit),
            claimed: sum(asConsumer, (r) => r.claimed),
            signed: sum(asConsumer, (r) => r.signedAmount),
            refundable: sum(asConsumer.filter((r) => r.state !== 'settled'), (r) => r.deposit - r.claimed),
          },
          asProvider: {
            channels: asProvider.length,
            claimed: sum(asProvider, (r) => r.claimed),
            unclaimed: sum(asProvider, (r) => (r.acceptedAmount > r.claimed && r.state !== 'settled' ? r.acceptedAmount - r.claimed : 0n)),
          },
        });
      }
      return { accounts: out };
    },
  createWebhook: ({ principal, body }, rc) => {
      const h = rc.webhooks.create(principal.id, body.url, body.events, body.secret);
      return { webhook: { id: h.id, url: h.url, events: h.events, secret: h.secret, createdAt: h.createdAt } };
    },
  listWebhooks: ({ principal }, rc) => ({ webhooks: rc.webhooks.list(principal.id).map((h) => ({ id: h.id, url: h.url, events: h.events, createdAt: h.createdAt })) }),
  deleteWebhook: ({ principal, params }, rc) => {
      if (!rc.webhooks.remove(principal.id, params.id)) throw new ChanpayError('NOT_FOUND', 'no such webhook');
      return { deleted: true };
    },
};
