import { timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import type { Context } from 'koa';
import { ChanpayError } from './wire/errors';
import { bearerDigest, tokenDigest } from './bearer';
import { paymentModeFromEnv, type PaymentMode } from './modes';
import { PaymentProvider } from './provider/payment-provider';
import { PaymentConsumer } from './consumer/payment-consumer';
import type { Logger } from './logger';
import { toWei, type Amount } from './units';
import { readSecretEnv } from './secret-env';

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
  logger?: Logger;
}

function needServer(mode: PaymentMode, s: PaymentServerSettings | undefined): PaymentServerSettings {
  if (!s?.url || !s.token) {
    throw new ChanpayError('VALIDATION_ERROR', `payment mode ${mode} needs the payment server URL and token (PAYMENT_SERVER_URL, PAYMENT_SERVER_TOKEN)`);
  }
  return s;
}

/** A provider for the mode, or null in no-payment mode. */
export function providerFor(s: ProviderSettings): PaymentProvider | null {
  if (s.mode === 'off') return null;
  const server = needServer(s.mode, s.paymentServer);
  return new PaymentProvider({
    mode: s.mode,
    paymentServer: { url: server.url, token: server.token, account: server.account },
    account: server.account,
    sync: s.sync,
    flushIntervalMs: s.flushIntervalMs,
    maxPrepayCalls: s.maxPrepayCalls,
    logger: s.logger,
  });
}

/** 5 finney per channel, as in the thesis example network. */
export const DEFAULT_DEPOSIT = 5_000_000_000_000_000n;

/** A consumer for the mode, or null in no-payment mode. */
export function consumerFor(s: ConsumerSettings): PaymentConsumer | null {
  if (s.mode === 'off') return null;
  const server = needServer(s.mode, s.paymentServer);
  return new PaymentConsumer({
    mode: s.mode,
    paymentServer: { url: server.url, token: server.token, account: server.account },
    account: server.account,
    voucherKey: s.voucherKey,
    deposit: s.deposit ?? DEFAULT_DEPOSIT,
    challengePeriod: s.challengePeriod,
    idempotencyKeys: s.idempotencyKeys,
    timeoutMs: s.timeoutMs,
    prepay: s.prepay,
    logger: s.logger,
  });
}

/** Listens on host:port (0 picks a free port) and returns the URL and a stop that does not wait for idle sockets. */
export async function listen(app: Koa, port: number, host = '127.0.0.1'): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}

/** Error answers of a service: a `ChanpayError` keeps its code and status; anything else is a 500 without details. */
export function errorMiddleware(logger?: Logger): Koa.Middleware {
  return async (ctx: Context, next) => {
    try {
      await next();
    } catch (e) {
      const err = e instanceof ChanpayError ? e : null;
      if (!err) logger?.error({ err: (e as Error)?.stack ?? String(e), path: ctx.path }, 'request failed');
      ctx.status = err ? err.status : 500;
      ctx.body = err ? err.toBody() : { error: { code: 'INTERNAL', message: 'internal error' } };
    }
  };
}

/**
 * Guards a service's administrative routes (`/redeem`, `/init`, `/terminate`: they spend gas or deposits): with a
 * token, only `authorization: Bearer <token>` passes (compared in constant time), anything else is 401
 * UNAUTHORIZED. Without one (ADMIN_TOKEN unset) they stay open, as in the original prototype.
 */
export function requireAdmin(token: string | undefined): Koa.Middleware {
  if (!token) return (_ctx, next) => next();
  const expected = tokenDigest(token);
  return async (ctx, next) => {
    const given = bearerDigest(ctx.get('authorization'));
    if (!given || !timingSafeEqual(given, expected)) {
      ctx.set('www-authenticate', 'Bearer');
      throw new ChanpayError('UNAUTHORIZED', 'this route needs the service\'s admin token: authorization: Bearer <ADMIN_TOKEN>');
    }
    await next();
  };
}

/** `GET /redeem` of a provider: claims every channel with unclaimed vouchers now. */
export function redeemHandler(provider: PaymentProvider): Koa.Middleware {
  return async (ctx) => {
    const r = await provider.redeem();
    ctx.body = { redemptionStarted: r.channels.length > 0, transactions: r.transactions, channels: r.channels };
  };
}

/** `GET /payout` of a provider: what it has been paid so far. */
export function payoutHandler(provider: PaymentProvider): Koa.Middleware {
  return async (ctx) => {
    ctx.body = await provider.payout();
  };
}

// ---------------------------------------------------------------------- environment

/** A secret from NAME or from the file NAME_FILE names (Docker secrets); a wrong one is a VALIDATION_ERROR. */
function secretFromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  try {
    return readSecretEnv(env, name);
  } catch (e) {
    throw new ChanpayError('VALIDATION_ERROR', (e as Error).message);
  }
}

export function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v)) throw new ChanpayError('VALIDATION_ERROR', `${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

export function envFlag(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = (env[name] ?? '').toLowerCase();
  return v === '1' || v === 'true' || v === 'yes' || v === 'on';
}

export function envWei(env: NodeJS.ProcessEnv, name: string, fallback: bigint): bigint {
  const v = env[name];
  return v === undefined || v === '' ? fallback : toWei(v);
}

/** The token of a service's administrative routes (ADMIN_TOKEN), 16 to 512 characters; undefined when unset. */
export function adminTokenFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const token = secretFromEnv(env, 'ADMIN_TOKEN');
  if (token === undefined) return undefined;
  // At most 512: the longest token a bearer header is read with (bearerDigest).
  if (token.length < 16 || token.length > 512 || !/^[\x21-\x7e]+$/.test(token)) {
    throw new ChanpayError('VALIDATION_ERROR', 'ADMIN_TOKEN must be 16 to 512 visible ASCII characters');
  }
  return token;
}

export function paymentServerFromEnv(env: NodeJS.ProcessEnv): PaymentServerSettings | undefined {
  if (!env.PAYMENT_SERVER_URL) return undefined;
  return { url: env.PAYMENT_SERVER_URL, token: secretFromEnv(env, 'PAYMENT_SERVER_TOKEN') ?? '', account: env.PAYMENT_ACCOUNT || undefined };
}

export function providerSettingsFromEnv(env: NodeJS.ProcessEnv, logger?: Logger): ProviderSettings {
  return {
    mode: paymentModeFromEnv(env),
    paymentServer: paymentServerFromEnv(env),
    sync: envFlag(env, 'PAYMENT_SYNC'),
    flushIntervalMs: envInt(env, 'PAYMENT_FLUSH_MS', 100),
    maxPrepayCalls: envInt(env, 'PAYMENT_MAX_PREPAY', 256),
    logger,
  };
}

export function consumerSettingsFromEnv(env: NodeJS.ProcessEnv, logger?: Logger): ConsumerSettings {
  return {
    mode: paymentModeFromEnv(env),
    paymentServer: paymentServerFromEnv(env),
    voucherKey: secretFromEnv(env, 'VOUCHER_KEY'),
    deposit: envWei(env, 'DEPOSIT_WEI', DEFAULT_DEPOSIT),
    challengePeriod: env.CHALLENGE_PERIOD ? envInt(env, 'CHALLENGE_PERIOD', 0) : undefined,
    idempotencyKeys: envFlag(env, 'IDEMPOTENCY_KEYS'),
    prepay: envInt(env, 'PREPAY_CALLS', 1),
    logger,
  };
}

/** Stops on SIGINT / SIGTERM, once, then exits. */
export function stopOnSignals(stop: () => Promise<void>, logger?: Logger): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger?.info({ signal }, 'stopping');
    const timer = setTimeout(() => process.exit(1), 15_000);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger?.error({ err: (e as Error).message }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}
