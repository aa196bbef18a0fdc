import { z } from 'zod';
import { TRACING_VARIABLES } from '@chanpay/telemetry/settings';
import { PAYMENT_MODES, parsePaymentMode, paymentModeFromEnv, type PaymentMode } from '@chanpay/protocol';
import { logLevelFromEnv, type Logger, type LogLevel } from '../logger';
import {
  flagVariable,
  integerVariable,
  optionalIntegerVariable,
  optionalTextVariable,
  optionalUrlVariable,
  parseEnv,
  portVariable,
  textVariable,
  variable,
  variableHelp,
  weiVariable,
  type EnvOf,
} from './env';
import { DEFAULT_DEPOSIT, type ConsumerSettings, type PaymentServerSettings, type ProviderSettings } from './factories';

const paymentModeName = z.string().refine(
  (value) => {
    try {
      parsePaymentMode(value);
      return true;
    } catch {
      return false;
    }
  },
  `must be ${PAYMENT_MODES.join(', ')} (or false, 0, none, no: off)`,
);

/** 16 to 512 visible ASCII characters; 512 is the longest token a bearer header is read with (`bearerDigest`). */
const ADMIN_TOKEN = variable(
  z
    .string()
    .regex(/^[\x21-\x7e]{16,512}$/, 'must be 16 to 512 visible ASCII characters')
    .optional(),
  {
    description: 'bearer token of /redeem, /init and /terminate (they spend gas or deposits)',
    unset: 'those routes are open',
    secret: true,
  },
);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The variables every service reads (services/README.md, "All services"). */
export function serviceVariables(defaultPort: number) {
  return {
    PORT: portVariable(defaultPort),
    HOST: textVariable('listen address', '127.0.0.1'),
    PAYMENT: variable(paymentModeName.optional(), {
      description: 'local, remote or off (also false, 0, none)',
      default: 'local',
    }),
    // Not emptied to "unset": the thesis's flag means off whenever it is there, even empty.
    PAYMENT_INACTIVE: z
      .string()
      .optional()
      .register(variableHelp, { description: "set to anything (the thesis's flag): PAYMENT=off", unset: 'PAYMENT decides' }),
    PAYMENT_MODE: variable(paymentModeName.optional(), { description: 'read when PAYMENT is unset', unset: 'local' }),
    PAYMENT_SERVER_URL: optionalUrlVariable("the service's own payment server, e.g. http://127.0.0.1:3001", 'required unless PAYMENT=off'),
    PAYMENT_SERVER_TOKEN: variable(z.string().optional(), {
      description: "bearer token of the service's account at that server",
      unset: 'required unless PAYMENT=off',
      secret: true,
    }),
    PAYMENT_ACCOUNT: optionalTextVariable('account name, when the token is bound to several accounts', "the token's only account"),
    ADMIN_TOKEN,
    LOG_LEVEL: variable(
      z
        .string()
        .transform((level) => level.toLowerCase())
        .pipe(z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`))
        .prefault('info'),
      { description: 'info (also debug, trace), warn, error (also fatal) or silent; JSON lines on stderr', default: 'info' },
    ),
    // Read by @chanpay/telemetry/register before the service loads (docs/observability.md); listed for --help.
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrlVariable(TRACING_VARIABLES.OTEL_EXPORTER_OTLP_ENDPOINT, 'no OTLP export'),
    CHANPAY_TRACE_FILE: optionalTextVariable(TRACING_VARIABLES.CHANPAY_TRACE_FILE, 'no trace file'),
    OTEL_SERVICE_NAME: optionalTextVariable(TRACING_VARIABLES.OTEL_SERVICE_NAME, "the service's folder name"),
  };
}

export type ServiceEnv = EnvOf<ReturnType<typeof serviceVariables>>;

/** What a service gets from the variables every service reads. */
export interface ServiceBasics {
  port: number;
  host: string;
  mode: PaymentMode;
  paymentServer: PaymentServerSettings | undefined;
  adminToken: string | undefined;
  logLevel: LogLevel;
}

export function serviceBasics(env: ServiceEnv): ServiceBasics {
  return {
    port: env.PORT,
    host: env.HOST,
    mode: paymentModeFromEnv({ PAYMENT: env.PAYMENT, PAYMENT_INACTIVE: env.PAYMENT_INACTIVE, PAYMENT_MODE: env.PAYMENT_MODE }),
    paymentServer: env.PAYMENT_SERVER_URL
      ? { url: env.PAYMENT_SERVER_URL, token: env.PAYMENT_SERVER_TOKEN ?? '', account: env.PAYMENT_ACCOUNT }
      : undefined,
    adminToken: env.ADMIN_TOKEN,
    logLevel: logLevelFromEnv(env.LOG_LEVEL),
  };
}

/** The variables of a provider service (random-number, persistence). */
export function providerVariables(defaultPrice: bigint) {
  return {
    PRICE_WEI: weiVariable('price per call', defaultPrice),
    PAYMENT_SYNC: flagVariable('(local mode) answer a call only after its voucher is stored at the payment server'),
    PAYMENT_FLUSH_MS: integerVariable('(local mode, batched) longest wait before an accepted voucher is sent to the payment server', 100),
    PAYMENT_MAX_PREPAY: integerVariable('most calls one voucher may prepay (prepaid tickets); 0 takes no tickets', 256),
    PROVIDER_STATE_URL: variable(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
        .optional(),
      {
        description:
          'postgres://… shared by all replicas of this service: vouchers (local mode), tickets and idempotency keys accepted once across them',
        unset: 'kept in this process (route each channel to one instance)',
        secret: true,
      },
    ),
  };
}

export type ProviderEnv = EnvOf<ReturnType<typeof providerVariables>>;

export function providerSettings(basics: ServiceBasics & { logger?: Logger }, env: ProviderEnv): ProviderSettings {
  return {
    mode: basics.mode,
    paymentServer: basics.paymentServer,
    sync: env.PAYMENT_SYNC,
    flushIntervalMs: env.PAYMENT_FLUSH_MS,
    maxPrepayCalls: env.PAYMENT_MAX_PREPAY,
    stateUrl: env.PROVIDER_STATE_URL,
    logger: basics.logger,
  };
}

/** The variables of a consumer service (public). */
export const CONSUMER_VARIABLES = {
  VOUCHER_KEY: variable(
    z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits')
      .optional(),
    {
      description: '(local mode) the hot key that signs vouchers; only its address leaves the process',
      unset: 'required in local mode',
      secret: true,
    },
  ),
  DEPOSIT_WEI: weiVariable('deposit of each channel; top-ups add the same when a fifth is left', DEFAULT_DEPOSIT),
  CHALLENGE_PERIOD: optionalIntegerVariable('challenge period (s) of new channels', "the payment server's default"),
  PREPAY_CALLS: integerVariable('calls each voucher pays ahead (prepaid tickets); 1: a voucher with every call', 1),
  IDEMPOTENCY_KEYS: flagVariable('send an idempotency-key with every upstream call (a 503 is then retried once, not charged twice)'),
};

export type ConsumerEnv = EnvOf<typeof CONSUMER_VARIABLES>;

export function consumerSettings(basics: ServiceBasics & { logger?: Logger }, env: ConsumerEnv): ConsumerSettings {
  return {
    mode: basics.mode,
    paymentServer: basics.paymentServer,
    voucherKey: env.VOUCHER_KEY,
    deposit: env.DEPOSIT_WEI,
    challengePeriod: env.CHALLENGE_PERIOD,
    idempotencyKeys: env.IDEMPOTENCY_KEYS,
    prepay: env.PREPAY_CALLS,
    logger: basics.logger,
  };
}

/** The token of a service's administrative routes (ADMIN_TOKEN); undefined when unset. */
export function adminTokenFromEnv(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return parseEnv({ ADMIN_TOKEN }, env).ADMIN_TOKEN;
}
