/**
 * The client library: a `fetch` that pays (consumer), the provider side that charges, its koa adapter, a typed
 * client of the payment server's API, and the kit the example services are built with. The wire format, error
 * codes and money rules are in `@chanpay/protocol`.
 */
export { PaymentConsumer, type PaymentConsumerOptions } from './consumer/payment-consumer';
export { receiptOf } from './consumer/provider-answer';
export { ticketsLeft, type ConsumerChannel, type PrepaidBlock, type UnspentVoucher } from './consumer/channel';
export {
  PaymentProvider,
  type PaymentProviderOptions,
  type ChargeRequest,
  type ChargeOutcome,
  type Refusal,
} from './provider/payment-provider';
export { loadContext, contextFromConfig, type PaymentContext } from './context';
export { IdempotencyStore, type CachedResponse, type IdempotencyRecord } from './provider/idempotency';
export { TicketBook, type TicketBookOptions } from './provider/ticket-book';
export { LocalVerifier, type LocalVerifierOptions } from './provider/local-verifier';
export { RemoteVerifier } from './provider/remote-verifier';
export type { VoucherVerifier, AcceptedVoucher, HeldVoucher } from './provider/verifier';
export { createKoaPayments, type KoaPayments, type PaymentState, type Price } from './koa/payment-required';
export { PaymentServerClient, neverSent, type PaymentServerClientOptions, type OpenChannelRequest } from './payment-server-client';
export { silentLogger, consoleLogger, logLevelFromEnv, type Logger, type LogLevel } from './logger';
export {
  providerFor,
  consumerFor,
  DEFAULT_DEPOSIT,
  type PaymentServerSettings,
  type ProviderSettings,
  type ConsumerSettings,
} from './service-kit/factories';
export { listen } from './service-kit/listen';
export { stopOnSignals } from './service-kit/signals';
export { adminTokenFromEnv } from './service-kit/settings';
export { errorMiddleware } from './koa/error-middleware';
export { inSpan, ATTR, wei as weiAttribute } from '@chanpay/telemetry/spans';
export { originContext } from './koa/origin-context';
export { originsHandler } from './koa/origins-route';
export { OriginLedger, type OriginLedgerOptions, type OriginRole } from './origin/origin-ledger';
export { currentRequestContext, runInRequestContext, type RequestContext } from './origin/request-context';
export { requireAdmin } from './koa/require-admin';
export { redeemHandler, payoutHandler } from './koa/provider-routes';
