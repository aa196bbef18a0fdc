import {
  CONSUMER_VARIABLES,
  DEFAULT_DEPOSIT,
  consumerSettings,
  describeVariables,
  parseEnv,
  parseEnvs,
  providerSettings,
  providerVariables,
  serviceBasics,
  serviceUsage,
  defineService,
  serviceVariables,
} from '../src/service-kit';

const KEY = '0x' + '11'.repeat(32);

/** What a provider service (port 8002, price 1000) makes of this environment. */
function provider(env: Record<string, string | undefined>) {
  const [common, own] = parseEnvs(serviceVariables(8002), providerVariables(1000n), env);
  const basics = serviceBasics(common);
  return { basics, settings: providerSettings(basics, own), price: own.PRICE_WEI };
}

function consumer(env: Record<string, string | undefined>) {
  const [common, own] = parseEnvs(serviceVariables(8003), CONSUMER_VARIABLES, env);
  return consumerSettings(serviceBasics(common), own);
}

describe('service settings from the environment (zod)', () => {
  test('an empty environment gives every default of services/README.md', () => {
    const { basics, settings, price } = provider({});
    expect(basics).toEqual({
      port: 8002,
      host: '127.0.0.1',
      mode: 'local',
      paymentServer: undefined,
      adminToken: undefined,
      logLevel: 'info',
    });
    expect(settings).toMatchObject({ mode: 'local', sync: false, flushIntervalMs: 100, maxPrepayCalls: 256 });
    expect(price).toBe(1000n);
    expect(consumer({})).toMatchObject({
      voucherKey: undefined,
      deposit: DEFAULT_DEPOSIT,
      challengePeriod: undefined,
      prepay: 1,
      idempotencyKeys: false,
    });
  });

  test('an empty variable counts as unset, as before', () => {
    const { basics, settings, price } = provider({
      PORT: '',
      HOST: '',
      PAYMENT: '',
      PAYMENT_FLUSH_MS: '',
      PAYMENT_SYNC: '',
      PRICE_WEI: '',
      PAYMENT_SERVER_URL: '',
      ADMIN_TOKEN: '',
    });
    expect([basics.port, basics.host, basics.mode, basics.paymentServer, basics.adminToken]).toEqual([
      8002,
      '127.0.0.1',
      'local',
      undefined,
      undefined,
    ]);
    expect([settings.flushIntervalMs, settings.sync, price]).toEqual([100, false, 1000n]);
    expect(consumer({ CHALLENGE_PERIOD: '', VOUCHER_KEY: '', DEPOSIT_WEI: '' })).toMatchObject({
      challengePeriod: undefined,
      voucherKey: undefined,
      deposit: DEFAULT_DEPOSIT,
    });
  });

  test('every variable is read into its setting', () => {
    const { basics, settings, price } = provider({
      PORT: '0',
      HOST: '::1',
      PAYMENT: 'remote',
      PAYMENT_SERVER_URL: 'http://127.0.0.1:3001',
      PAYMENT_SERVER_TOKEN: 'a-token-of-the-provider',
      PAYMENT_ACCOUNT: 'random-number',
      ADMIN_TOKEN: 'an-admin-token-of-20',
      LOG_LEVEL: 'WARN',
      PAYMENT_SYNC: 'yes',
      PAYMENT_FLUSH_MS: '5',
      PAYMENT_MAX_PREPAY: '0',
      PRICE_WEI: '7',
    });
    expect(basics).toEqual({
      port: 0,
      host: '::1',
      mode: 'remote',
      paymentServer: { url: 'http://127.0.0.1:3001', token: 'a-token-of-the-provider', account: 'random-number' },
      adminToken: 'an-admin-token-of-20',
      logLevel: 'warn',
    });
    expect(settings).toMatchObject({
      mode: 'remote',
      paymentServer: basics.paymentServer,
      sync: true,
      flushIntervalMs: 5,
      maxPrepayCalls: 0,
    });
    expect(price).toBe(7n);
    expect(
      consumer({ VOUCHER_KEY: KEY, DEPOSIT_WEI: '123', CHALLENGE_PERIOD: '60', PREPAY_CALLS: '100', IDEMPOTENCY_KEYS: 'true' }),
    ).toMatchObject({
      voucherKey: KEY,
      deposit: 123n,
      challengePeriod: 60,
      prepay: 100,
      idempotencyKeys: true,
    });
  });

  test('the payment mode: PAYMENT wins, PAYMENT_INACTIVE (even empty) means off, PAYMENT_MODE is read when PAYMENT is unset', () => {
    const mode = (env: Record<string, string>) => provider(env).basics.mode;
    expect(mode({ PAYMENT: 'off' })).toBe('off');
    expect(mode({ PAYMENT: 'false' })).toBe('off');
    expect(mode({ PAYMENT: 'none' })).toBe('off');
    expect(mode({ PAYMENT: 'remote', PAYMENT_INACTIVE: '1' })).toBe('remote');
    expect(mode({ PAYMENT_INACTIVE: '' })).toBe('off');
    expect(mode({ PAYMENT_INACTIVE: 'yes', PAYMENT_MODE: 'remote' })).toBe('off');
    expect(mode({ PAYMENT_MODE: 'remote' })).toBe('remote');
  });

  test('a wrong value is refused with one VALIDATION_ERROR naming every variable, what is wrong and the value given', () => {
    let error: unknown;
    try {
      provider({
        PORT: '70000',
        PAYMENT: 'sometimes',
        PAYMENT_FLUSH_MS: '-1',
        PAYMENT_SYNC: 'maybe',
        PRICE_WEI: '1 gwei',
        PAYMENT_SERVER_URL: 'ftp://x',
        LOG_LEVEL: 'loud',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR' });
    const problems = (error as Error).message.split('; ');
    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT must be a port number (0 to 65535), got "70000"',
        expect.stringMatching(/^PAYMENT must be local, remote, off .*, got "sometimes"$/),
        'PAYMENT_SERVER_URL must be an http:// or https:// URL, got "ftp://x"',
        expect.stringMatching(/^LOG_LEVEL must be one of .*, got "loud"$/),
        'PAYMENT_FLUSH_MS must be a non-negative integer, got "-1"',
        expect.stringMatching(/^PAYMENT_SYNC must be 1, true, yes or on .*, got "maybe"$/),
        'PRICE_WEI must be a decimal integer of wei, got "1 gwei"',
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  test('the value of a secret (tokens, the voucher key) never appears in the error', () => {
    const secrets = { ADMIN_TOKEN: 'short secret', VOUCHER_KEY: '0xnot-a-key-but-secret' };
    let message = '';
    try {
      consumer(secrets);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/ADMIN_TOKEN must be 16 to 512 visible ASCII characters/);
    expect(message).toMatch(/VOUCHER_KEY must be 0x followed by 64 hex digits/);
    expect(message).not.toContain('secret');
  });

  test('parseEnv reads one set of variables on its own', () => {
    expect(parseEnv(providerVariables(5n), { PAYMENT_MAX_PREPAY: '12' })).toEqual({
      PRICE_WEI: 5n,
      PAYMENT_SYNC: false,
      PAYMENT_FLUSH_MS: 100,
      PAYMENT_MAX_PREPAY: 12,
    });
  });

  test('--help lists every variable with its default (or what unset means) and description', () => {
    const command = defineService({
      name: 'example',
      summary: 'An example',
      defaultPort: 8002,
      variables: providerVariables(1000n),
      start: () => Promise.reject(new Error('not started')),
    });
    const lines = serviceUsage(command).split('\n');
    expect(lines[0]).toBe('Usage: example [--help]');
    const variables = { ...serviceVariables(8002), ...providerVariables(1000n) };
    const rows = lines.filter((line) => /^ {2}[A-Z_]+ /.test(line));
    expect(rows.map((row) => row.trim().split(/\s+/)[0])).toEqual(Object.keys(variables));
    expect(rows.find((row) => row.includes('PORT '))).toMatch(/PORT +default 8002 +listen port/);
    expect(rows.find((row) => row.includes('PRICE_WEI'))).toMatch(/PRICE_WEI +default 1000 +price per call/);
    expect(rows.find((row) => row.includes('PAYMENT_SERVER_URL'))).toMatch(/unset: required unless PAYMENT=off/);
    expect(describeVariables(variables)).toEqual(rows);
  });
});
