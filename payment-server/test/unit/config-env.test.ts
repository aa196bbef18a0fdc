import { CONFIG_VARIABLES, loadConfig } from '../../src';

const KEY = `0x${'11'.repeat(32)}`;
const VOUCHER_KEY = `0x${'22'.repeat(32)}`;
const REQUIRED = { PS_ACCOUNTS: `a:${KEY},b:${KEY}`, PS_TOKENS: 'a-token-of-16-chars-or-more:a' };

/** A value for each variable and what the configuration holds after it is read. */
const SAMPLES: Record<string, [text: string, parsed: unknown]> = {
  PS_HOST: ['0.0.0.0', '0.0.0.0'],
  PS_PORT: ['3005', 3005],
  PS_RPC_URL: ['http://127.0.0.1:8545', 'http://127.0.0.1:8545'],
  PS_CONTRACT_ADDRESS: [`0x${'AB'.repeat(20)}`, `0x${'ab'.repeat(20)}`],
  PS_FROM_BLOCK: ['7', 7],
  PS_DB_PATH: ['elsewhere.db', 'elsewhere.db'],
  PS_DB_URL: ['postgres://ps@127.0.0.1:5432/chanpay', 'postgres://ps@127.0.0.1:5432/chanpay'],
  PS_DB_BATCH: ['on', 'on'],
  PS_DB_SYNC: ['full', 'full'],
  PS_LOG_LEVEL: ['warn', 'warn'],
  PS_STATS_WINDOW_SECONDS: ['30', 30],
  PS_CORS_ORIGINS: ['http://a.example, http://b.example', ['http://a.example', 'http://b.example']],
  PS_CHAIN_PORT: ['9545', 9545],
  PS_CHAIN_ID: ['31337', 31337],
  PS_CHALLENGE_PERIOD: ['7200', 7200],
  PS_MIN_CHALLENGE_PERIOD: ['120', 120],
  PS_MIN_DEPOSIT: ['5', 5n],
  PS_CLAIM_THRESHOLD_WEI: ['1000', 1000n],
  PS_CLAIM_INTERVAL_SECONDS: ['60', 60],
  PS_WATCH_INTERVAL_MS: ['250', 250],
  PS_ACCOUNTS: [`a:${KEY}:${VOUCHER_KEY}`, [{ name: 'a', privateKey: KEY, voucherKey: VOUCHER_KEY }]],
  PS_TOKENS: ['another-token-of-16-chars:a+b', [{ token: 'another-token-of-16-chars', accounts: ['a', 'b'] }]],
};

const at = (config: unknown, path: readonly string[]) => path.reduce<unknown>((o, key) => (o as Record<string, unknown>)[key], config);

describe('the payment server reads the environment variables its --help lists', () => {
  test('every listed variable has a sample here', () => {
    expect(CONFIG_VARIABLES.map((v) => v.name).sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  test.each(CONFIG_VARIABLES.map((v) => [v.name, v] as const))('%s lands where the list says', (name, variable) => {
    const [text, parsed] = SAMPLES[name]!;
    expect(at(loadConfig({ ...REQUIRED, [name]: text }), variable.path)).toEqual(parsed);
  });

  test('an empty variable is taken as unset', () => {
    const config = loadConfig({ ...REQUIRED, PS_PORT: '', PS_CORS_ORIGINS: '' });
    expect(config.port).toBe(3000);
    expect(config.corsOrigins).toEqual([]);
  });
});
