import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChanpayError } from '@chanpay/protocol';
import { SecretEnvError, readSecretEnv } from '@chanpay/protocol/node';
import { adminTokenFromEnv } from '../src';
import { CONSUMER_VARIABLES, parseEnv, serviceBasics, serviceVariables } from '../src/service-kit';

describe('secrets from NAME or NAME_FILE (Docker secrets)', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chanpay-secret-env-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('NAME is used as it is; NAME_FILE is read with its trailing newline removed; neither (or empty) is undefined', () => {
    expect(readSecretEnv({ TOKEN: 'plain-value' }, 'TOKEN')).toBe('plain-value');
    expect(readSecretEnv({ TOKEN_FILE: file('token', 'from-the-file\n') }, 'TOKEN')).toBe('from-the-file');
    expect(readSecretEnv({ TOKEN_FILE: file('crlf', '  padded\r\n') }, 'TOKEN')).toBe('padded');
    expect(readSecretEnv({}, 'TOKEN')).toBeUndefined();
    expect(readSecretEnv({ TOKEN: '', TOKEN_FILE: '' }, 'TOKEN')).toBeUndefined();
    // An empty NAME does not count as set, so NAME_FILE alone decides.
    expect(readSecretEnv({ TOKEN: '', TOKEN_FILE: file('only', 'only-the-file') }, 'TOKEN')).toBe('only-the-file');
  });

  test('a missing, unreadable or empty file and both variables set are clear errors that never show the secret', () => {
    const secret = 'the-secret-value-123';
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ TOKEN_FILE: path.join(dir, 'no-such-file') }, /^TOKEN_FILE: cannot read .*no-such-file \(ENOENT\)$/],
      [{ TOKEN_FILE: dir }, /^TOKEN_FILE: cannot read .* \(EISDIR\)$/],
      [{ TOKEN_FILE: file('empty', '') }, /^TOKEN_FILE: .*empty is empty$/],
      [{ TOKEN_FILE: file('blank', ' \n\n') }, /^TOKEN_FILE: .*blank is empty$/],
      [{ TOKEN: secret, TOKEN_FILE: file('both', secret) }, /^set TOKEN or TOKEN_FILE, not both$/],
    ];
    for (const [env, message] of cases) {
      let error: unknown;
      try {
        readSecretEnv(env, 'TOKEN');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SecretEnvError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(secret);
    }
  });

  test('a file the process may not read is refused with EACCES', () => {
    if (process.getuid?.() === 0) return; // root reads any file: nothing to check
    const p = file('locked', 'locked-secret');
    chmodSync(p, 0o000);
    expect(() => readSecretEnv({ TOKEN_FILE: p }, 'TOKEN')).toThrow(/EACCES/);
  });

  test('the services read PAYMENT_SERVER_TOKEN, VOUCHER_KEY and ADMIN_TOKEN from *_FILE; a wrong one is a VALIDATION_ERROR', () => {
    const voucherKey = '0x' + '11'.repeat(32);
    const env = {
      PAYMENT: 'local',
      PAYMENT_SERVER_URL: 'http://127.0.0.1:3001',
      PAYMENT_SERVER_TOKEN_FILE: file('ps-token', 'payment-server-token-1\n'),
      VOUCHER_KEY_FILE: file('voucher-key', `${voucherKey}\n`),
      ADMIN_TOKEN_FILE: file('admin-token', 'an-admin-token-of-24-chs\n'),
    };
    const paymentServerOf = (e: Record<string, string>) => serviceBasics(parseEnv(serviceVariables(8000), e)).paymentServer;
    const voucherKeyOf = (e: Record<string, string>) => parseEnv(CONSUMER_VARIABLES, e).VOUCHER_KEY;
    expect(paymentServerOf(env)).toEqual({ url: 'http://127.0.0.1:3001', token: 'payment-server-token-1', account: undefined });
    expect(voucherKeyOf(env)).toBe(voucherKey);
    expect(adminTokenFromEnv(env)).toBe('an-admin-token-of-24-chs');
    // The file's content goes through the same check as the variable's.
    expect(() => adminTokenFromEnv({ ADMIN_TOKEN_FILE: file('short-admin', 'short\n') })).toThrow(/16 to 512/);

    const wrong: [() => unknown, RegExp][] = [
      [
        () => paymentServerOf({ ...env, PAYMENT_SERVER_TOKEN: 'also-set-directly' }),
        /set PAYMENT_SERVER_TOKEN or PAYMENT_SERVER_TOKEN_FILE, not both/,
      ],
      [() => voucherKeyOf({ ...env, VOUCHER_KEY_FILE: path.join(dir, 'missing-key') }), /VOUCHER_KEY_FILE: cannot read .*\(ENOENT\)/],
      [() => adminTokenFromEnv({ ADMIN_TOKEN_FILE: file('empty-admin', '') }), /ADMIN_TOKEN_FILE: .* is empty/],
    ];
    for (const [call, message] of wrong) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ChanpayError);
      expect((error as ChanpayError).code).toBe('VALIDATION_ERROR');
      expect((error as Error).message).toMatch(message);
    }
  });
});
