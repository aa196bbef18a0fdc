/**
 * The `thesis` topology is exactly the network scripts/network.ts built before the topology builder: the same
 * processes, accounts, keys, prices and settings. The expected environments below are the old builder's, written
 * out (commit 35c6e49); the new one may only add variables that hold the services' own defaults.
 */
import path from 'node:path';
import { loadTopology, makeCredentials, paymentServerEnv, serviceEnv, ENTRY_OF, type EnvContext, type ResolvedTopology } from '../src';

const PORTS: Record<string, number> = {
  chain: 8545,
  'payment-server-1': 3001,
  'payment-server-2': 3002,
  persistence: 8001,
  'random-number': 8002,
  public: 8003,
};
const url = (name: string) => `http://127.0.0.1:${PORTS[name]}`;

/** What the added variables mean when unset: the services' own defaults (services/README.md). */
const SERVICE_DEFAULTS: Record<string, string> = {
  PAYMENT_SYNC: 'false',
  PAYMENT_MAX_PREPAY: '256',
  DEPOSIT_WEI: '5000000000000000',
  PREPAY_CALLS: '1',
  IDEMPOTENCY_KEYS: 'false',
};
const PRICE_DEFAULT: Record<string, string> = { 'random-number': '1000000000', persistence: '2000000000' };

function context(t: ResolvedTopology): EnvContext {
  return {
    topology: t,
    credentials: makeCredentials(t),
    url,
    port: (n) => PORTS[n]!,
    dataDir: '/data/dir',
    rpcUrl: 'http://127.0.0.1:8545',
    logLevel: 'warn',
    adminToken: undefined,
    claimIntervalSeconds: undefined,
  };
}

/** scripts/network.ts before the topology builder, for the same keys, tokens and ports. */
function oldEnvironments(ctx: EnvContext, mode: 'local' | 'remote' | 'off', sync: boolean): Record<string, Record<string, string>> {
  const common = { HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  if (mode === 'off') {
    const svc = { ...common, PAYMENT: 'off' };
    return {
      persistence: { ...svc, DB_PATH: path.join(ctx.dataDir, 'persistence.db'), PORT: '8001' },
      'random-number': { ...svc, PORT: '8002' },
      public: { ...svc, RANDOM_NUMBER_URL: url('random-number'), PERSISTENCE_URL: url('persistence'), PORT: '8003' },
    };
  }
  const c = (name: string) => ctx.credentials.get(name)!;
  const ps = {
    PS_HOST: '127.0.0.1',
    PS_RPC_URL: ctx.rpcUrl,
    PS_LOG_LEVEL: 'warn',
    PS_WATCH_INTERVAL_MS: '200',
    PS_MIN_CHALLENGE_PERIOD: '30',
    PS_CLAIM_INTERVAL_SECONDS: '300',
  };
  const provider = (name: string) => ({
    ...common,
    PAYMENT: mode,
    PAYMENT_SERVER_URL: url('payment-server-1'),
    PAYMENT_SERVER_TOKEN: c(name).token,
    ...(sync ? { PAYMENT_SYNC: 'true' } : {}),
  });
  return {
    'payment-server-1': {
      ...ps,
      PS_PORT: '3001',
      PS_DB_PATH: path.join(ctx.dataDir, 'payment-server-1.db'),
      PS_ACCOUNTS: `random-number:${c('random-number').privateKey},persistence:${c('persistence').privateKey}`,
      PS_TOKENS: `${c('random-number').token}:random-number,${c('persistence').token}:persistence`,
    },
    'payment-server-2': {
      ...ps,
      PS_PORT: '3002',
      PS_CONTRACT_ADDRESS: '0xcontract',
      PS_DB_PATH: path.join(ctx.dataDir, 'payment-server-2.db'),
      PS_ACCOUNTS: `public:${c('public').privateKey}:${c('public').voucherKey}`,
      PS_TOKENS: `${c('public').token}:public`,
    },
    persistence: { ...provider('persistence'), DB_PATH: path.join(ctx.dataDir, 'persistence.db'), PORT: '8001' },
    'random-number': { ...provider('random-number'), PORT: '8002' },
    public: {
      ...common,
      PAYMENT: mode,
      PAYMENT_SERVER_URL: url('payment-server-2'),
      PAYMENT_SERVER_TOKEN: c('public').token,
      VOUCHER_KEY: c('public').voucherKey!,
      CHALLENGE_PERIOD: '120',
      RANDOM_NUMBER_URL: url('random-number'),
      PERSISTENCE_URL: url('persistence'),
      PORT: '8003',
    },
  };
}

function newEnvironments(ctx: EnvContext): Record<string, Record<string, string>> {
  const t = ctx.topology;
  const out: Record<string, Record<string, string>> = {};
  const paid = t.edges.some((e) => e.payment.mode !== 'off');
  if (paid) {
    out['payment-server-1'] = paymentServerEnv(ctx, t.teams[0]!, null);
    out['payment-server-2'] = paymentServerEnv(ctx, t.teams[1]!, '0xcontract');
  }
  for (const s of t.services) out[s.name] = serviceEnv(ctx, s);
  return out;
}

describe.each([
  ['local', false],
  ['local', true],
  ['remote', false],
  ['off', false],
] as const)('thesis in %s mode (sync %s)', (mode, sync) => {
  const t = loadTopology('thesis', { overrides: { mode, ...(sync ? { sync } : {}) } });
  const ctx = context(t);
  const before = oldEnvironments(ctx, mode, sync);
  const now = newEnvironments(ctx);

  test('the same processes', () => {
    expect(Object.keys(now).sort()).toEqual(Object.keys(before).sort());
    expect(t.services.map((s) => [s.name, ENTRY_OF[s.kind]])).toEqual([
      ['random-number', 'services/random-number/src/main.ts'],
      ['persistence', 'services/persistence/src/main.ts'],
      ['public', 'services/public/src/main.ts'],
    ]);
  });

  test("every variable the old builder set has the same value; the added ones hold the services' defaults", () => {
    for (const [name, env] of Object.entries(before)) {
      const expected = env;
      for (const [k, v] of Object.entries(expected)) expect([name, k, now[name]![k]]).toEqual([name, k, v]);
      for (const [k, v] of Object.entries(now[name]!)) {
        if (k in expected) continue;
        // OTEL_SERVICE_NAME only names the spans, when tracing is on.
        const fallback = k === 'PRICE_WEI' ? PRICE_DEFAULT[name] : k === 'OTEL_SERVICE_NAME' ? name : SERVICE_DEFAULTS[k];
        expect([name, k, v]).toEqual([name, k, fallback]);
      }
    }
  });
});

test('the thesis prices, accounts and channel terms', () => {
  const t = loadTopology('thesis');
  expect(t.services.map((s) => [s.name, s.price, s.port, s.team])).toEqual([
    ['random-number', 1_000_000_000n, 8002, 'providers'],
    ['persistence', 2_000_000_000n, 8001, 'providers'],
    ['public', 0n, 8003, 'consumers'],
  ]);
  expect(t.edges.map((e) => [e.from, e.to, e.payment])).toEqual([
    [
      'public',
      'random-number',
      { mode: 'local', prepay: 1, deposit: 5_000_000_000_000_000n, sync: false, challengePeriod: 120, idempotencyKeys: false },
    ],
    [
      'public',
      'persistence',
      { mode: 'local', prepay: 1, deposit: 5_000_000_000_000_000n, sync: false, challengePeriod: 120, idempotencyKeys: false },
    ],
  ]);
  expect(t.teams.map((x) => [x.paymentServer.name, x.paymentServer.port])).toEqual([
    ['payment-server-1', 3001],
    ['payment-server-2', 3002],
  ]);
  expect(t.chain).toMatchObject({ kind: 'ganache', port: 8545, chainId: 1337, blockTime: 0 });
  // Only the paying account has a hot voucher key, as before.
  const creds = makeCredentials(t);
  expect([...creds.values()].map((c) => [c.account, c.voucherKey !== null])).toEqual([
    ['random-number', false],
    ['persistence', false],
    ['public', true],
  ]);
});
