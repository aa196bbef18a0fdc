import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { Wallet, encryptKeystoreJsonSync } from 'ethers';
import { loadConfig, parseConfig, ConfigError } from '../../src/config';
import { Accounts } from '../../src/accounts';
import { tempDir } from './harness';

const KEY = '0x' + '11'.repeat(32);
const base = { accounts: [{ name: 'a', privateKey: KEY }], tokens: [{ token: 'a-token-of-16-chars-or-more', accounts: ['a'] }] };

describe('payment server configuration', () => {
  test('defaults are safe: loopback, deploy, embedded chain', () => {
    const c = parseConfig(base);
    expect(c).toMatchObject({ host: '127.0.0.1', port: 3000, dbSync: 'normal' });
    expect(c.rpcUrl).toBeUndefined();
    expect(c.contractAddress).toBeUndefined();
    expect(c.defaults.acceptedTokens).toEqual(['0x0000000000000000000000000000000000000000']);
  });

  test.each([
    [{ ...base, port: 70000 }, 'port'],
    [{ ...base, rpcUrl: 'not a url' }, 'rpcUrl'],
    [{ ...base, contractAddress: '0x1234' }, 'contractAddress'],
    [{ ...base, accounts: [{ name: 'a', privateKey: '0x12' }] }, 'accounts.0.privateKey'],
    [{ ...base, accounts: [{ name: 'a' }] }, 'give exactly one of privateKey or keystore'],
    [{ ...base, tokens: [{ token: 'short', accounts: ['a'] }] }, 'tokens.0.token'],
    [{ ...base, tokens: [{ token: 'a-token-of-16-chars-or-more', accounts: ['nobody'] }] }, 'unknown account "nobody"'],
    [
      {
        ...base,
        accounts: [
          { name: 'a', privateKey: KEY },
          { name: 'a', privateKey: KEY },
        ],
      },
      'account names must be unique',
    ],
    [{ ...base, defaults: { challengePeriod: 10, minChallengePeriod: 60 } }, 'must be at least minChallengePeriod'],
    [{ ...base, claim: { thresholdWei: '-5' } }, 'claim.thresholdWei'],
    [{ ...base, dbSync: 'sometimes' }, 'dbSync'],
  ])('rejects %j with a clear message naming %s', (input, fragment) => {
    expect(() => parseConfig(input)).toThrow(ConfigError);
    expect(() => parseConfig(input)).toThrow(fragment);
  });

  test('environment overrides and compact key/token lists; secrets are not echoed in errors', () => {
    const c = loadConfig({
      PS_PORT: '3005',
      PS_HOST: '0.0.0.0',
      PS_ACCOUNTS: `x:${KEY},y:${KEY}:0x${'22'.repeat(32)}`,
      PS_TOKENS: 'tok-abcdefghijklmnop:x+y',
      PS_CLAIM_THRESHOLD_WEI: '1000',
    });
    expect(c.port).toBe(3005);
    expect(c.host).toBe('0.0.0.0');
    expect(c.accounts.map((a) => a.name)).toEqual(['x', 'y']);
    expect(c.accounts[1]!.voucherKey).toBe('0x' + '22'.repeat(32));
    expect(c.tokens).toEqual([{ token: 'tok-abcdefghijklmnop', accounts: ['x', 'y'] }]);
    expect(c.claim.thresholdWei).toBe(1000n);
    expect(() => loadConfig({ PS_PORT: 'eighty' })).toThrow('PS_PORT must be a non-negative integer');
    let message = '';
    try {
      loadConfig({ PS_ACCOUNTS: 'x:0xdeadbeef', PS_TOKENS: 'tok-abcdefghijklmnop:x' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('accounts.0.privateKey');
    expect(message).not.toContain('deadbeef');
  });

  test('a config file is read, and a parsed config parses again unchanged', () => {
    const file = path.join(tempDir(), 'ps.json');
    writeFileSync(file, JSON.stringify({ ...base, port: 3100, claim: { thresholdWei: '5' } }));
    const c = loadConfig({ PS_CONFIG: file });
    expect(c.port).toBe(3100);
    expect(parseConfig(c)).toEqual(c);
    expect(() => loadConfig({ PS_CONFIG: path.join(tempDir(), 'missing.json') })).toThrow('cannot read PS_CONFIG');
  });

  test('keys from an encrypted keystore file, with the password from the environment', async () => {
    const wallet = Wallet.createRandom();
    const json = encryptKeystoreJsonSync({ address: wallet.address, privateKey: wallet.privateKey }, 'correct horse', {
      scrypt: { N: 1024 },
    });
    const file = path.join(tempDir(), 'key.json');
    writeFileSync(file, json);
    const config = parseConfig({ ...base, accounts: [{ name: 'a', keystore: { path: file, passwordEnv: 'KS_PASS' } }] });
    const accounts = await Accounts.load(config, { KS_PASS: 'correct horse' });
    expect(accounts.get('a')!.address).toBe(wallet.address.toLowerCase());
    await expect(Accounts.load(config, { KS_PASS: 'wrong' })).rejects.toThrow('cannot decrypt keystore');
    await expect(Accounts.load(config, {})).rejects.toThrow('keystore needs password or passwordEnv');
  });
});
