import path from 'node:path';
import { rmSync, writeFileSync } from 'node:fs';
import { loadConfig, ConfigError } from '../../src/config';
import { tempDir } from './harness';

const KEY = '0x' + '11'.repeat(32);
const TOKEN = 'tok-abcdefghijklmnop';

describe('payment server secrets from files (PS_ACCOUNTS_FILE, PS_TOKENS_FILE: Docker secrets)', () => {
  const dir = tempDir('chanpay-secret-files-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  test('the files hold what PS_ACCOUNTS and PS_TOKENS would, trailing newline and all', () => {
    const c = loadConfig({ PS_ACCOUNTS_FILE: file('accounts', `x:${KEY},y:${KEY}\n`), PS_TOKENS_FILE: file('tokens', `${TOKEN}:x+y\n`) });
    expect(c.accounts.map((a) => a.name)).toEqual(['x', 'y']);
    expect(c.accounts[0]!.privateKey).toBe(KEY);
    expect(c.tokens).toEqual([{ token: TOKEN, accounts: ['x', 'y'] }]);
  });

  test.each([
    [
      'a missing file',
      () => ({ PS_ACCOUNTS_FILE: path.join(dir, 'nope'), PS_TOKENS: `${TOKEN}:x` }),
      /PS_ACCOUNTS_FILE: cannot read .*nope \(ENOENT\)/,
    ],
    ['an empty file', () => ({ PS_ACCOUNTS: `x:${KEY}`, PS_TOKENS_FILE: file('empty', '\n') }), /PS_TOKENS_FILE: .*empty is empty/],
    [
      'both the variable and its file',
      () => ({ PS_ACCOUNTS: `x:${KEY}`, PS_ACCOUNTS_FILE: file('both', `x:${KEY}`), PS_TOKENS: `${TOKEN}:x` }),
      /set PS_ACCOUNTS or PS_ACCOUNTS_FILE, not both/,
    ],
  ])('%s is a ConfigError that names the variable and not the secret', (_what, env, message) => {
    let error: unknown;
    try {
      loadConfig(env());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(KEY);
  });
});
