import type { Context } from 'koa';
import { ChanpayError, encodeVoucher, type ApiInput, type ApiName, type ApiResponse } from '@chanpay/protocol';
import { roleOf, type Principal } from '../core/access';
import type { ChannelService } from '../core/channel-service';
import { selectChannels } from '../core/channel-list';
import { fundsOf } from '../core/funds';
import { latestHeldVoucher, sideOf } from '../core/held-voucher';
import type { ChannelRecord } from '../store/channel-store';
import type { Webhooks } from '../jobs/webhooks';
import type { Metrics } from '../metrics';
import type { Config } from '../config';
import type { Rpc } from '../chain/rpc';
import { nowSeconds } from '../core/clock';
import type { OriginRecords } from '../origins/origin-records';
import { channelOrigins } from '../origins/origin-handlers';
import { ATTR, inSpan, wei } from '@chanpay/telemetry/spans';
import {
  channelJson,
  claimAllJson,
  claimJson,
  closeJson,
  configJson,
  fundsJson,
  recordJson,
  verifyBatchJson,
  verifyJson,
  voucherJson,
  webhookJson,
  withdrawJson,
} from './presenters';

export interface RouteContext {
  service: ChannelService;
  webhooks: Webhooks;
  metrics: Metrics;
  config: Config;
  rpc: Rpc;
  /** Calls and amounts by origin (the root caller each call's baggage named), beside the channel's books. */
  origins: OriginRecords;
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

export type Handler<N extends ApiName> = (
  input: ApiInput<N> & HandlerContext,
  rc: RouteContext,
) => ApiResponse<N> | Promise<ApiResponse<N>>;

/** One handler per endpoint of the API table (`API` in @chanpay/protocol); the router and OpenAPI come from that table. */
export type ApiHandlers = { [N in ApiName]: Handler<N> };

/** A channel as the principal sees it, with its newest `windows` statistics windows. */
async function channelView(rc: RouteContext, p: Principal, rec: ChannelRecord, windows: number) {
  return channelJson(rec, roleOf(p, rec), windows > 0 ? await rc.service.store.windows(rec.id, windows) : []);
}

export const HANDLERS: ApiHandlers = {
  status: async (_i, rc) => {
    // A node that does not answer makes the server "degraded", not down.
    const blockNumber = await rc.rpc.blockNumber().catch(() => null);
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
  config: ({ principal }, rc) => configJson(principal.accounts, rc.config, rc.service),
  openapi: (_i, rc) => rc.openapi(),
  metrics: async ({ ctx }, rc) => {
    ctx.type = rc.metrics.registry.contentType;
    return rc.metrics.registry.metrics();
  },
  openChannel: async ({ principal, body }, rc) => ({
    channel: await channelView(rc, principal, await rc.service.consumer.open(principal, body), 60),
  }),
  listChannels: async ({ principal, query }, rc) => {
    const addresses = new Set(rc.service.access.actingAccounts(principal, query.account).map((a) => a.address));
    const selected = selectChannels(await rc.service.store.all(), addresses, query);
    return { channels: await Promise.all(selected.map((r) => channelView(rc, principal, r, query.windows ?? 0))) };
  },
  channel: async ({ principal, params, query }, rc) => {
    const { rec } = await rc.service.access.channelFor(principal, params.id);
    return { channel: await channelView(rc, principal, rec, query.windows ?? 60) };
  },
  topUp: async ({ principal, params, body }, rc) => {
    const { rec, txHash } = await rc.service.consumer.topUp(principal, params.id, body.amount);
    return { channel: await channelView(rc, principal, rec, 60), txHash };
  },
  channelOrigins: ({ principal, params, query }, rc) => channelOrigins(rc.service.access, rc.origins, principal, params, query),
  signVoucher: async ({ principal, params, body }, rc) => {
    const v = await inSpan('chanpay.sign', { [ATTR.channel]: params.id, [ATTR.price]: wei(body.price) }, async (span) => {
      const signed = await rc.service.consumer.signNext(principal, params.id, body.price);
      span.setAttribute(ATTR.amount, wei(signed.amount));
      return signed;
    });
    if (body.origin) await rc.origins.record('consumer', v.channelId, body.origin, 1, body.price, nowSeconds());
    return { voucher: voucherJson(v), header: encodeVoucher(v) };
  },
  latestVoucher: async ({ principal, params }, rc) => {
    const { rec } = await rc.service.access.channelFor(principal, params.id);
    const held = latestHeldVoucher(rec, sideOf(roleOf(principal, rec)));
    const { chainId, contract } = rc.service;
    return { voucher: held ? voucherJson({ chainId, contract, channelId: rec.id, amount: held.amount, signature: held.signature }) : null };
  },
  verifyVoucher: async ({ principal, body }, rc) => {
    const verified = await inSpan('chanpay.verify', { [ATTR.price]: wei(body.price) }, async (span) => {
      const r = await rc.service.provider.verify(principal, body);
      span.setAttributes({ [ATTR.channel]: r.channelId, [ATTR.amount]: wei(r.amount), [ATTR.outcome]: r.replayed ? 'replay' : 'paid' });
      return r;
    });
    // A replay under the same idempotency key was recorded the first time.
    if (body.origin && !verified.replayed)
      await rc.origins.record('provider', verified.channelId, body.origin, 1, verified.price, nowSeconds());
    return verifyJson(verified);
  },
  verifyVouchers: async ({ principal, body }, rc) => {
    const results = await inSpan('chanpay.verify', { 'chanpay.batch': body.items.length }, () =>
      rc.service.provider.verifyMany(principal, body),
    );
    const now = nowSeconds();
    for (const [i, r] of results.entries()) {
      const origin = body.items[i]!.origin;
      if (origin && r.ok && !r.result.replayed) await rc.origins.record('provider', r.result.channelId, origin, 1, r.result.price, now);
    }
    return verifyBatchJson(results);
  },
  recordVouchers: async ({ principal, body }, rc) => {
    const results = await rc.service.provider.recordMany(principal, body);
    const recs = new Map<string, ChannelRecord | undefined>();
    for (const id of new Set(results.map((r) => r.channelId).filter((id) => id !== null))) recs.set(id, await rc.service.store.get(id));
    return recordJson(results, (id) => recs.get(id));
  },
  claim: async ({ principal, params }, rc) => claimJson(await rc.service.claims.claimChannel(principal, params.id)),
  claimAll: async ({ principal, body }, rc) => claimAllJson(await rc.service.claims.claimAll(principal, body.account)),
  close: async ({ principal, params, body }, rc) => closeJson(await rc.service.claims.close(principal, params.id, body.account)),
  withdraw: async ({ principal, params }, rc) => withdrawJson(await rc.service.consumer.withdrawFor(principal, params.id)),
  closeStatus: ({ principal, params }, rc) => rc.service.claims.closeStatus(principal, params.id),
  funds: async ({ principal, query }, rc) => {
    const funds = await fundsOf(rc.service.access.actingAccounts(principal, query.account), rc.service.store, rc.rpc);
    return { accounts: funds.map(fundsJson) };
  },
  createWebhook: async ({ principal, body }, rc) => {
    const h = await rc.webhooks.create(principal.id, body.url, body.events, body.secret);
    return { webhook: { ...webhookJson(h), secret: h.secret } };
  },
  listWebhooks: async ({ principal }, rc) => ({ webhooks: (await rc.webhooks.list(principal.id)).map(webhookJson) }),
  deleteWebhook: async ({ principal, params }, rc) => {
    if (!(await rc.webhooks.remove(principal.id, params.id))) throw new ChanpayError('NOT_FOUND', 'no such webhook');
    return { deleted: true };
  },
};
