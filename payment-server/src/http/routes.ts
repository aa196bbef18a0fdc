import type { Context } from 'koa';
import { z, type ZodType } from 'zod';
import { ChanpayError, encodeVoucher } from '@chanpay/client-lib';
import type { ChannelService, Principal } from '../core/channel-service';
import type { ChannelRecord } from '../store/channel-store';
import type { Webhooks } from '../jobs/webhooks';
import type { Metrics } from '../metrics';
import type { Config } from '../config';
import type { Rpc } from '../chain/rpc';
import * as S from './schemas';

export interface RouteContext {
  service: ChannelService;
  webhooks: Webhooks;
  metrics: Metrics;
  config: Config;
  rpc: Rpc;
  version: string;
  startedAt: number;
  openapi: () => unknown;
}

export interface RouteDef {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  auth: boolean;
  params?: ZodType;
  query?: ZodType;
  body?: ZodType;
  status?: number;
  handler: (input: { principal: Principal; params: any; query: any; body: any; ctx: Context }, rc: RouteContext) => Promise<unknown> | unknown;
}

export function channelJson(service: ChannelService, p: Principal | null, rec: ChannelRecord, windows = 60) {
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

function voucherJson(service: ChannelService, v: ReturnType<ChannelService['latestVoucherOf']>) {
  if (!v) return null;
  return { channelId: v.channelId, amount: v.amount.toString(), signature: v.signature, chainId: v.chainId.toString(), contract: v.contract, header: encodeVoucher(v) };
}

export const ROUTES: RouteDef[] = [
  {
    method: 'get', path: '/status', summary: 'Liveness and chain connection (no token needed)', auth: false,
    handler: async (_i, rc) => {
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
  },
  {
    method: 'get', path: '/config', summary: "Public settings and the token's accounts", auth: true,
    handler: ({ principal }, rc) => ({
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
  },
  {
    method: 'get', path: '/openapi.json', summary: 'This API as OpenAPI 3.1', auth: true,
    handler: (_i, rc) => rc.openapi(),
  },
  {
    method: 'get', path: '/metrics', summary: 'Prometheus metrics', auth: true,
    handler: async ({ ctx }, rc) => {
      ctx.type = rc.metrics.registry.contentType;
      return rc.metrics.registry.metrics();
    },
  },
  {
    method: 'post', path: '/channels', summary: 'Open and fund a channel in one transaction', auth: true, body: S.OpenChannelBody, status: 201,
    handler: async ({ principal, body }, rc) => {
      const account = rc.service.actingAccount(principal, body.account);
      if (body.deposit < rc.config.defaults.minDeposit) throw new ChanpayError('VALIDATION_ERROR', `deposit must be at least ${rc.config.defaults.minDeposit}`);
      if (body.challengePeriod !== undefined && body.challengePeriod < rc.config.defaults.minChallengePeriod) {
        throw new ChanpayError('VALIDATION_ERROR', `challengePeriod must be at least ${rc.config.defaults.minChallengePeriod} s`);
      }
      const rec = await rc.service.open(account, body);
      return { channel: channelJson(rc.service, principal, rec) };
    },
  },
  {
    method: 'get', path: '/channels', summary: "List the token's channels", auth: true, query: S.ListChannelsQuery,
    handler: ({ principal, query }, rc) => {
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
  },
  {
    method: 'get', path: '/channels/:id', summary: 'One channel: chain state and off-chain state', auth: true, params: S.ChannelIdParam, query: S.ChannelQuery,
    handler: async ({ principal, params, query }, rc) => {
      const { rec } = await rc.service.channelFor(principal, params.id);
      return { channel: channelJson(rc.service, principal, rec, query.windows ?? 60) };
    },
  },
  {
    method: 'post', path: '/channels/:id/topup', summary: 'Add funds to an open channel', auth: true, params: S.ChannelIdParam, body: S.TopUpBody,
    handler: async ({ principal, params, body }, rc) => {
      const { rec, txHash } = await rc.service.topUp(principal, params.id, body.amount);
      return { channel: channelJson(rc.service, principal, rec), txHash };
    },
  },
  {
    method: 'post', path: '/channels/:id/vouchers', summary: 'Sign the next voucher (latest + price) with the key this server holds', auth: true, params: S.ChannelIdParam, body: S.SignVoucherBody, status: 201,
    handler: async ({ principal, params, body }, rc) => {
      const v = await rc.service.signNext(principal, params.id, body.price);
      return { voucher: voucherJson(rc.service, v), header: encodeVoucher(v) };
    },
  },
  {
    method: 'get', path: '/channels/:id/vouchers/latest', summary: 'The latest voucher this server holds for the channel', auth: true, params: S.ChannelIdParam,
    handler: async ({ principal, params }, rc) => {
      const { rec } = await rc.service.channelFor(principal, params.id);
      const role = rc.service.roleOf(principal, rec) === 'consumer' ? 'consumer' : 'provider';
      return { voucher: voucherJson(rc.service, rc.service.latestVoucherOf(rec, role)) };
    },
  },
  {
    method: 'post', path: '/vouchers/verify', summary: 'Verify and durably record the voucher of one paid call', auth: true, body: S.VerifyVoucherBody,
    handler: async ({ principal, body }, rc) => {
      const p = body.account ? { ...principal, accounts: [rc.service.actingAccount(principal, body.account)] } : principal;
      const r = await rc.service.verify(p, body.voucher, body.price, body.idempotencyKey);
      return { accepted: true, channelId: r.channelId, amount: r.amount.toString(), price: r.price.toString(), replayed: r.replayed, header: r.receipt };
    },
  },
  {
    method: 'post', path: '/vouchers', summary: 'Record vouchers a service accepted in process (each is verified again)', auth: true, body: S.RecordVouchersBody,
    handler: async ({ principal, body }, rc) => {
      const p = body.account ? { ...principal, accounts: [rc.service.actingAccount(principal, body.account)] } : principal;
      const entries = (body.vouchers as (string | { voucher: string; calls?: number })[]).map((v) => (typeof v === 'string' ? { voucher: v } : v));
      const results = await rc.service.recordMany(p, entries);
      const channels: Record<string, unknown> = {};
      for (const r of results) {
        const rec = r.channelId ? rc.service.store.get(r.channelId) : undefined;
        if (rec) channels[rec.id] = { state: rec.state, deposit: rec.deposit.toString(), claimed: rec.claimed.toString(), closesAt: rec.closesAt };
      }
      return { results: results.map((r) => ({ channelId: r.channelId, accepted: r.accepted, ...(r.amount !== undefined ? { amount: r.amount.toString() } : {}), ...(r.error ? { error: r.error } : {}) })), channels };
    },
  },
  {
    method: 'post', path: '/channels/:id/claim', summary: 'Claim the latest voucher on chain now', auth: true, params: S.ChannelIdParam, body: S.AccountBody,
    handler: async ({ principal, params }, rc) => {
      const { rec, account } = await rc.service.channelFor(principal, params.id, 'provider');
      const before = rec.claimed;
      const sent = await rc.service.claim(account, [rec]);
      if (!sent) throw new ChanpayError('NOTHING_TO_CLAIM', 'no voucher above the claimed amount', { claimed: rec.claimed.toString(), accepted: rec.acceptedAmount.toString() });
      return { txHash: sent.hash, claimed: rec.claimed.toString(), amount: (rec.claimed - before).toString(), gasUsed: sent.gasUsed.toString() };
    },
  },
  {
    method: 'post', path: '/claims', summary: 'Claim every channel with unclaimed vouchers, in one batch transaction per account', auth: true, body: S.AccountBody,
    handler: async ({ principal, body }, rc) => {
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
  },
  {
    method: 'post', path: '/channels/:id/close', summary: 'Consumer: start the challenge period. Provider: claim and settle at once', auth: true, params: S.ChannelIdParam, body: S.AccountBody,
    handler: async ({ principal, params, body }, rc) => {
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
  },
  {
    method: 'post', path: '/channels/:id/withdraw', summary: 'Consumer: take the refund after the challenge period', auth: true, params: S.ChannelIdParam, body: S.AccountBody,
    handler: async ({ principal, params }, rc) => {
      const { rec, account } = await rc.service.channelFor(principal, params.id, 'consumer');
      const sent = await rc.service.withdraw(rec, account);
      return { state: rec.state, txHash: sent.hash, refund: (rec.deposit - rec.claimed).toString() };
    },
  },
  {
    method: 'get', path: '/channels/:id/close-status', summary: 'Where a close stands', auth: true, params: S.ChannelIdParam,
    handler: async ({ principal, params }, rc) => {
      const { rec } = await rc.service.channelFor(principal, params.id);
      const now = await rc.rpc.latestTimestamp().catch(() => Math.floor(Date.now() / 1000));
      const secondsLeft = rec.state === 'closing' && rec.closesAt !== null ? Math.max(0, rec.closesAt - now) : null;
      return { state: rec.state, closesAt: rec.closesAt, secondsLeft, canWithdraw: rec.state === 'closing' && secondsLeft === 0 };
    },
  },
  {
    method: 'get', path: '/funds', summary: "Balances of the token's accounts and what their channels hold", auth: true, query: S.AccountQuery,
    handler: async ({ principal, query }, rc) => {
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
  },
  {
    method: 'post', path: '/webhooks', summary: 'Subscribe a URL to payment and channel events', auth: true, body: S.WebhookBody, status: 201,
    handler: ({ principal, body }, rc) => {
      const h = rc.webhooks.create(principal.id, body.url, body.events, body.secret);
      return { webhook: { id: h.id, url: h.url, events: h.events, secret: h.secret, createdAt: h.createdAt } };
    },
  },
  {
    method: 'get', path: '/webhooks', summary: "The token's webhook subscriptions", auth: true,
    handler: ({ principal }, rc) => ({ webhooks: rc.webhooks.list(principal.id).map((h) => ({ id: h.id, url: h.url, events: h.events, createdAt: h.createdAt })) }),
  },
  {
    method: 'delete', path: '/webhooks/:id', summary: 'Remove a webhook subscription', auth: true, params: S.WebhookIdParam,
    handler: ({ principal, params }, rc) => {
      if (!rc.webhooks.remove(principal.id, params.id)) throw new ChanpayError('NOT_FOUND', 'no such webhook');
      return { deleted: true };
    },
  },
];

export function buildOpenApi(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const json = (s: ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
  for (const r of ROUTES) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
      if (!schema) continue;
      const js = json(schema) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(js.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s });
      }
    }
    (paths[path] ??= {})[r.method] = {
      summary: r.summary,
      ...(r.auth ? {} : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(r.body) } } } } : {}),
      responses: {
        [String(r.status ?? 200)]: { description: 'success' },
        '4XX': { description: 'client error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        '503': { description: 'the Ethereum node is unreachable', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'chanpay payment server', version, description: 'Payment channels for per-call payments between services. See docs/api.md.' },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } } } },
        },
      },
    },
    paths,
  };
}
