/** The images' dependency layer: what the lockfile closure keeps and drops (no Docker needed). */
import path from 'node:path';
import { runtimeClosure, runtimeFiles } from '../../scripts/docker/deps';

const REPO = path.resolve(__dirname, '..', '..');

describe('runtime dependency closure of the images', () => {
  const keys = runtimeClosure(REPO, REPO);
  const top = new Set(
    [...keys].filter((k) => !k.slice('node_modules/'.length).includes('node_modules/')).map((k) => k.slice('node_modules/'.length)),
  );

  test('keeps what the components run, tsx, and every workspace link', () => {
    for (const name of [
      'ganache',
      'ethers',
      'better-sqlite3',
      'keccak',
      'secp256k1',
      'koa',
      '@koa/router',
      'pino',
      'prom-client',
      'zod',
      'tsx',
      'esbuild',
      '@chanpay/client-lib',
      '@chanpay/payment-server',
      '@chanpay/service-public',
    ]) {
      expect(top).toContain(name);
    }
  });

  test('drops the dev and host-only tools', () => {
    for (const name of [
      'jest',
      'typescript',
      'solc',
      'vite',
      'playwright-core',
      '@swc/core',
      '@foundry-rs/anvil',
      'dockerode',
      'testcontainers',
      'fast-check',
    ]) {
      expect(top).not.toContain(name);
    }
  });

  test("prunes files no process reads and other platforms' binaries", () => {
    const { files, bytes } = runtimeFiles(REPO);
    expect(files.some((f) => f.endsWith('.d.ts') || f.endsWith('.map'))).toBe(false);
    expect(files.some((f) => f.startsWith('node_modules/ganache/dist/web'))).toBe(false);
    expect(files.some((f) => f.startsWith('node_modules/better-sqlite3/deps/'))).toBe(false);
    expect(files).toContain('node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    const uws = files.filter((f) => /uws_.*\.node$/.test(f));
    expect(uws).toEqual([
      `node_modules/@trufflesuite/uws-js-unofficial/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`,
    ]);
    expect(bytes).toBeLessThan(120e6);
  });
});
