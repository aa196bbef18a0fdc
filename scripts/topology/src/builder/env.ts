/**
 * The environment of each process of a topology run as processes on 127.0.0.1. Every setting the topology makes
 * is written out explicitly, so that nothing this process inherited (say a PREPAY_CALLS in the shell) changes it.
 */
import path from 'node:path';
import type { Credentials } from '../credentials';
import type { ResolvedTopology, Service, Team } from '../model';
import {
  accountOf,
  accountsOfTeam,
  needsPaymentServer,
  paysUpstreams,
  processMode,
  publicConsumer,
  serverHoldsVoucherKey,
  serviceHoldsVoucherKey,
  workerConfigOf,
} from '../roles';

export interface EnvContext {
  topology: ResolvedTopology;
  credentials: Credentials;
  url: (processName: string) => string;
  port: (processName: string) => number;
  dataDir: string;
  rpcUrl: string;
  logLevel: string | undefined;
  adminToken: string | undefined;
  claimIntervalSeconds: number | undefined;
}

/**
 * The smallest challenge period of any paid edge the team's services are on, as consumer or as provider (a
 * provider's payment server refuses channels shorter than its minimum), capped at 30 s (the servers' usual one).
 */
function minChallengePeriod(t: ResolvedTopology, team: Team): number {
  const inTeam = (name: string) => t.services.find((s) => s.name === name)!.team === team.name;
  const periods = t.edges.filter((e) => e.payment.mode !== 'off' && (inTeam(e.from) || inTeam(e.to))).map((e) => e.payment.challengePeriod);
  return Math.min(30, ...periods);
}

export function paymentServerEnv(ctx: EnvContext, team: Team, contract: string | null): Record<string, string> {
  const t = ctx.topology;
  const held = accountsOfTeam(t, team).map(({ account }) => ({ account, creds: ctx.credentials.get(account.name)! }));
  const ps = team.paymentServer;
  return {
    PS_HOST: '127.0.0.1',
    PS_PORT: String(ctx.port(ps.name)),
    PS_RPC_URL: ctx.rpcUrl,
    PS_DB_PATH: path.join(ctx.dataDir, `${ps.name}.db`),
    PS_LOG_LEVEL: ctx.logLevel ?? process.env.PS_LOG_LEVEL ?? 'warn',
    // Names the server's spans when tracing is on.
    OTEL_SERVICE_NAME: ps.name,
    PS_WATCH_INTERVAL_MS: '200',
    PS_MIN_CHALLENGE_PERIOD: String(minChallengePeriod(t, team)),
    PS_CLAIM_INTERVAL_SECONDS: String(ctx.claimIntervalSeconds ?? ps.claimIntervalSeconds ?? 300),
    ...(ps.dbSync ? { PS_DB_SYNC: ps.dbSync } : {}),
    ...(contract ? { PS_CONTRACT_ADDRESS: contract } : {}),
    // In remote mode a payment server signs with the account's hot voucher key when it holds one.
    PS_ACCOUNTS: held
      .map(
        ({ account, creds }) =>
          `${account.name}:${creds.privateKey}${creds.voucherKey && serverHoldsVoucherKey(account) ? `:${creds.voucherKey}` : ''}`,
      )
      .join(','),
    PS_TOKENS: held.map(({ account, creds }) => `${creds.token}:${account.name}`).join(','),
  };
}

/** The .ts entry of each kind. */
export const ENTRY_OF: Record<Service['kind'], string> = {
  public: 'services/public/src/main.ts',
  'random-number': 'services/random-number/src/main.ts',
  persistence: 'services/persistence/src/main.ts',
  worker: 'services/worker/src/main.ts',
};

export function serviceEnv(ctx: EnvContext, s: Service): Record<string, string> {
  const t = ctx.topology;
  const team = t.teams.find((x) => x.name === s.team)!;
  const creds = ctx.credentials.get(accountOf(t, s).name);
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(ctx.port(s.name)),
    LOG_LEVEL: ctx.logLevel ?? process.env.LOG_LEVEL ?? 'warn',
    PAYMENT: processMode(t, s),
    // Names the service's spans when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT or CHANPAY_TRACE_FILE).
    OTEL_SERVICE_NAME: s.name,
    ...(ctx.adminToken ? { ADMIN_TOKEN: ctx.adminToken } : {}),
  };
  if (needsPaymentServer(t, s) && creds) {
    env.PAYMENT_SERVER_URL = ctx.url(team.paymentServer.name);
    env.PAYMENT_SERVER_TOKEN = creds.token;
  }
  if (s.providerMode !== 'off') {
    env.PAYMENT_SYNC = s.providerSync ? 'true' : 'false';
    env.PAYMENT_MAX_PREPAY = String(s.maxPrepay);
    if (s.kind !== 'worker') env.PRICE_WEI = s.price.toString();
  }
  if (paysUpstreams(t, s) && creds?.voucherKey && serviceHoldsVoucherKey(accountOf(t, s))) env.VOUCHER_KEY = creds.voucherKey;
  switch (s.kind) {
    case 'persistence':
      env.DB_PATH = path.join(ctx.dataDir, `${s.name}.db`);
      break;
    case 'public': {
      const c = publicConsumer(s);
      if (c.payment.mode !== 'off') {
        env.CHALLENGE_PERIOD = String(c.payment.challengePeriod);
        env.DEPOSIT_WEI = c.payment.deposit.toString();
        env.PREPAY_CALLS = String(c.payment.prepay);
        env.IDEMPOTENCY_KEYS = c.payment.idempotencyKeys ? 'true' : 'false';
      }
      env.RANDOM_NUMBER_URL = ctx.url(c.randomNumber);
      env.PERSISTENCE_URL = ctx.url(c.persistence);
      break;
    }
    case 'worker':
      env.WORKER_CONFIG = JSON.stringify(workerConfigOf(t, s, { urlOf: ctx.url }));
      break;
    case 'random-number':
      break;
  }
  return env;
}
