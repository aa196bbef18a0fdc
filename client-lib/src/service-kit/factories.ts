import { ChanpayError, type PaymentMode, type Amount } from '@chanpay/protocol';
import { PaymentProvider } from '../provider/payment-provider';
import { PaymentConsumer } from '../consumer/payment-consumer';
import type { Logger } from '../logger';
import { sharedPoolFetch } from '../http/pool-fetch';

/** What a paid service needs to reach its own payment server. */
export interface PaymentServerSettings {
  url: string;
  token: string;
  account?: string;
}

export interface ProviderSettings {
  mode: PaymentMode;
  /** Required unless mode is `off`. */
  paymentServer?: PaymentServerSettings;
  /** Local mode: answer only after the voucher is stored. */
  sync?: boolean;
  flushIntervalMs?: number;
  /** Most calls one voucher may prepay (prepaid tickets); default 256, 0 or 1 takes none. */
  maxPrepayCalls?: number;
  /** Local mode: the PostgreSQL state shared by replicas (PROVIDER_STATE_URL); unset: in process. */
  stateUrl?: string;
  logger?: Logger;
}

export interface ConsumerSettings {
  mode: PaymentMode;
  paymentServer?: PaymentServerSettings;
  /** Local mode: the hot voucher key (0x + 64 hex). */
  voucherKey?: string;
  deposit?: Amount;
  challengePeriod?: number;
  idempotencyKeys?: boolean;
  /** Per paid attempt, default 30 s (PaymentConsumerOptions.timeoutMs). */
  timeoutMs?: number;
  /** Calls each voucher pays ahead (prepaid tickets, PaymentConsumerOptions.prepay); default 1: none. */
  prepay?: number;
  /** The HTTP client paid attempts go out with; default the global fetch. */
  http?: typeof fetch;
  logger?: Logger;
}

/**
 * The payment server of a paying mode, or a clear refusal naming the variables that give it. A service reaches
 * it with the process's poolFetch, as it reaches its upstreams (half the CPU of the global fetch per request).
 */
function paymentServerOf(mode: PaymentMode, server: PaymentServerSettings | undefined) {
  if (!server?.url || !server.token) {
    throw new ChanpayError(
      'VALIDATION_ERROR',
      `payment mode ${mode} needs the payment server URL and token (PAYMENT_SERVER_URL, PAYMENT_SERVER_TOKEN)`,
    );
  }
  return {
    paymentServer: { url: server.url, token: server.token, account: server.account, fetch: sharedPoolFetch() as typeof fetch },
    account: server.account,
  };
}

/** A provider for the mode, or null in no-payment mode. */
export function providerFor(settings: ProviderSettings): PaymentProvider | null {
  if (settings.mode === 'off') return null;
  return new PaymentProvider({
    mode: settings.mode,
    ...paymentServerOf(settings.mode, settings.paymentServer),
    sync: settings.sync,
    flushIntervalMs: settings.flushIntervalMs,
    maxPrepayCalls: settings.maxPrepayCalls,
    stateUrl: settings.stateUrl,
    logger: settings.logger,
  });
}

/** 5 finney per channel, as in the thesis example network. */
export const DEFAULT_DEPOSIT = 5_000_000_000_000_000n;

/** A consumer for the mode, or null in no-payment mode. */
export function consumerFor(settings: ConsumerSettings): PaymentConsumer | null {
  if (settings.mode === 'off') return null;
  return new PaymentConsumer({
    mode: settings.mode,
    ...paymentServerOf(settings.mode, settings.paymentServer),
    voucherKey: settings.voucherKey,
    deposit: settings.deposit ?? DEFAULT_DEPOSIT,
    challengePeriod: settings.challengePeriod,
    idempotencyKeys: settings.idempotencyKeys,
    timeoutMs: settings.timeoutMs,
    prepay: settings.prepay,
    fetch: settings.http,
    logger: settings.logger,
  });
}
