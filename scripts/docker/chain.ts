/**
 * The chain image's entry point: ganache (the npm package) as a standalone JSON-RPC node, configured from the
 * environment so that no key is baked into the image:
 *   CHAIN_KEYS          comma-separated 0x private keys to fund (required; or CHAIN_KEYS_FILE: a file holding them)
 *   CHAIN_BALANCE_ETH   ether per key (default 1000)
 *   CHAIN_ID            default 1337
 *   CHAIN_HOST / CHAIN_PORT   default 0.0.0.0 / 8545
 *   CHAIN_DB_PATH       keep the chain in this folder across restarts (empty: in memory)
 *   CHAIN_BLOCK_TIME    seconds between blocks (default 0: a block per transaction, at once)
 * Shanghai is ganache's newest hardfork; the contracts are compiled for it.
 */
import { mkdirSync } from 'node:fs';
import { readSecretEnv } from '@chanpay/protocol/node';

function env(name: string, fallback: string): string {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : v;
}

function int(name: string, fallback: number): number {
  const v = env(name, String(fallback));
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

async function main(): Promise<void> {
  const keys = (readSecretEnv(process.env, 'CHAIN_KEYS') ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (keys.length === 0) throw new Error('CHAIN_KEYS is empty: give the 0x private keys to fund, comma-separated (or CHAIN_KEYS_FILE)');
  const bad = keys.findIndex((k) => !/^0x[0-9a-fA-F]{64}$/.test(k));
  if (bad >= 0) throw new Error(`CHAIN_KEYS entry ${bad + 1} is not 0x followed by 64 hex digits`);
  const balanceEth = env('CHAIN_BALANCE_ETH', '1000');
  if (!/^\d{1,12}$/.test(balanceEth)) throw new Error(`CHAIN_BALANCE_ETH must be a whole number of ether, got "${balanceEth}"`);
  const balance = '0x' + (BigInt(balanceEth) * 10n ** 18n).toString(16);
  const chainId = int('CHAIN_ID', 1337);
  const blockTime = int('CHAIN_BLOCK_TIME', 0);
  const dbPath = env('CHAIN_DB_PATH', '');
  if (dbPath) mkdirSync(dbPath, { recursive: true });

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ganache = require('ganache') as typeof import('ganache');
  const server = ganache.server({
    chain: { chainId, hardfork: 'shanghai' },
    wallet: { accounts: keys.map((secretKey) => ({ secretKey, balance })) },
    logging: { quiet: env('CHAIN_QUIET', 'true') !== 'false' },
    miner: blockTime > 0 ? { blockTime } : { instamine: 'eager' },
    ...(dbPath ? { database: { dbPath } } : {}),
  } as never);
  const host = env('CHAIN_HOST', '0.0.0.0');
  const port = int('CHAIN_PORT', 8545);
  await server.listen(port, host);
  console.log(
    JSON.stringify({ msg: 'chain listening', url: `http://${host}:${port}`, chainId, accounts: keys.length, persistent: Boolean(dbPath) }),
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(`chain failed to start: ${(e as Error).message}`);
  process.exit(1);
});
