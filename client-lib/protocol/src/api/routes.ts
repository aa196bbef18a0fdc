import type { z, ZodType } from 'zod';
import * as Q from './requests';
import * as R from './responses';

/** One endpoint of the payment server's API: its shape only (the server attaches the handler by name). */
export interface ApiRoute {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  /** Needs `authorization: Bearer <token>`. */
  auth: boolean;
  params?: ZodType;
  query?: ZodType;
  body?: ZodType;
  response: ZodType;
  /** Success status, default 200. */
  status?: number;
  /** The answer is not JSON (Prometheus text). */
  contentType?: string;
}

/**
 * The payment server's API, one entry per endpoint: the server's router and its OpenAPI document, the typed
 * client and the API fuzzer all come from this table.
 */
export const API = {
  status: {
    method: 'get',
    path: '/status',
    summary: 'Liveness and chain connection (no token needed)',
    auth: false,
    response: R.StatusResponse,
  },
  config: { method: 'get', path: '/config', summary: "Public settings and the token's accounts", auth: true, response: R.ConfigResponse },
  openapi: { method: 'get', path: '/openapi.json', summary: 'This API as OpenAPI 3.1 (no token needed)', auth: false, response: R.AnyJson },
  metrics: {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    auth: true,
    response: R.PrometheusText,
    contentType: 'text/plain',
  },
  openChannel: {
    method: 'post',
    path: '/channels',
    summary: 'Open and fund a channel in one transaction',
    auth: true,
    body: Q.OpenChannelBody,
    response: R.ChannelResponse,
    status: 201,
  },
  listChannels: {
    method: 'get',
    path: '/channels',
    summary: "List the token's channels",
    auth: true,
    query: Q.ListChannelsQuery,
    response: R.ChannelListResponse,
  },
  channel: {
    method: 'get',
    path: '/channels/:id',
    summary: 'One channel: chain state and off-chain state',
    auth: true,
    params: Q.ChannelIdParams,
    query: Q.ChannelQuery,
    response: R.ChannelResponse,
  },
  channelOrigins: {
    method: 'get',
    path: '/channels/:id/origins',
    summary: "Calls and amounts of a channel by origin (the root caller named in each call's baggage), per window",
    auth: true,
    params: Q.ChannelIdParams,
    query: Q.OriginsQuery,
    response: R.ChannelOriginsResponse,
  },
  topUp: {
    method: 'post',
    path: '/channels/:id/topup',
    summary: 'Add funds to an open channel',
    auth: true,
    params: Q.ChannelIdParams,
    body: Q.TopUpBody,
    response: R.TopUpResponse,
  },
  signVoucher: {
    method: 'post',
    path: '/channels/:id/vouchers',
    summary: 'Sign the next voucher (latest + price) with the key this server holds',
    auth: true,
    params: Q.ChannelIdParams,
    body: Q.SignVoucherBody,
    response: R.SignedVoucherResponse,
    status: 201,
  },
  latestVoucher: {
    method: 'get',
    path: '/channels/:id/vouchers/latest',
    summary: 'The latest voucher this server holds for the channel',
    auth: true,
    params: Q.ChannelIdParams,
    response: R.LatestVoucherResponse,
  },
  verifyVoucher: {
    method: 'post',
    path: '/vouchers/verify',
    summary: 'Verify and durably record the voucher of one paid call',
    auth: true,
    body: Q.VerifyVoucherBody,
    response: R.VerifyResponse,
  },
  verifyVouchers: {
    method: 'post',
    path: '/vouchers/verify-batch',
    summary: 'Verify and durably record the vouchers of several paid calls, in order; each item is answered on its own',
    auth: true,
    body: Q.VerifyBatchBody,
    response: R.VerifyBatchResponse,
  },
  recordVouchers: {
    method: 'post',
    path: '/vouchers',
    summary: 'Record vouchers a service accepted in process (each is verified again)',
    auth: true,
    body: Q.RecordVouchersBody,
    response: R.RecordVouchersResponse,
  },
  claim: {
    method: 'post',
    path: '/channels/:id/claim',
    summary: 'Claim the latest voucher on chain now',
    auth: true,
    params: Q.ChannelIdParams,
    body: Q.AccountBody,
    response: R.ClaimResponse,
  },
  claimAll: {
    method: 'post',
    path: '/claims',
    summary: 'Claim every channel with unclaimed vouchers, in one batch transaction per account',
    auth: true,
    body: Q.AccountBody,
    response: R.ClaimAllResponse,
  },
  close: {
    method: 'post',
    path: '/channels/:id/close',
    summary: 'Consumer: start the challenge period. Provider: claim and settle at once',
    auth: true,
    params: Q.ChannelIdParams,
    body: Q.AccountBody,
    response: R.CloseResponse,
  },
  withdraw: {
    method: 'post',
    path: '/channels/:id/withdraw',
    summary: 'Consumer: take the refund after the challenge period',
    auth: true,
    params: Q.ChannelIdParams,
    body: Q.AccountBody,
    response: R.WithdrawResponse,
  },
  closeStatus: {
    method: 'get',
    path: '/channels/:id/close-status',
    summary: 'Where a close stands',
    auth: true,
    params: Q.ChannelIdParams,
    response: R.CloseStatusResponse,
  },
  funds: {
    method: 'get',
    path: '/funds',
    summary: "Balances of the token's accounts and what their channels hold",
    auth: true,
    query: Q.AccountQuery,
    response: R.FundsResponse,
  },
  createWebhook: {
    method: 'post',
    path: '/webhooks',
    summary: 'Subscribe a URL to payment and channel events',
    auth: true,
    body: Q.WebhookBody,
    response: R.WebhookCreatedResponse,
    status: 201,
  },
  listWebhooks: {
    method: 'get',
    path: '/webhooks',
    summary: "The token's webhook subscriptions",
    auth: true,
    response: R.WebhookListResponse,
  },
  deleteWebhook: {
    method: 'delete',
    path: '/webhooks/:id',
    summary: 'Remove a webhook subscription',
    auth: true,
    params: Q.WebhookIdParams,
    response: R.DeletedResponse,
  },
} as const satisfies Record<string, ApiRoute>;

export type ApiName = keyof typeof API;

type Out<S> = S extends ZodType ? z.output<S> : undefined;
type In<S> = S extends ZodType ? z.input<S> : undefined;
type Field<N extends ApiName, K extends string> = (typeof API)[N] extends Record<K, infer S> ? S : undefined;

/** What a handler of the endpoint gets (validated and parsed) and must answer. */
export interface ApiInput<N extends ApiName> {
  params: Out<Field<N, 'params'>>;
  query: Out<Field<N, 'query'>>;
  body: Out<Field<N, 'body'>>;
}
/** What a client sends. */
export interface ApiRequest<N extends ApiName> {
  params: In<Field<N, 'params'>>;
  query: In<Field<N, 'query'>>;
  body: In<Field<N, 'body'>>;
}
export type ApiResponse<N extends ApiName> = z.output<(typeof API)[N]['response']>;

export const API_ROUTES: readonly (ApiRoute & { name: ApiName })[] = (Object.keys(API) as ApiName[]).map((name) => ({
  name,
  ...API[name],
}));
