/**
 * The embedded ganache chain as a process of its own (`startTopology(…, { chainProcess: true })`), so that its
 * CPU time can be measured apart from the process that starts the network.
 * Environment: CHAIN_PORT (0 = free port), CHAIN_PRIVATE_KEYS (comma-separated 0x keys to fund), CHAIN_ID,
 * CHAIN_BLOCK_TIME (seconds, 0 = a block per transaction), CHAIN_BALANCE_ETH.
 * Prints `CHAIN_READY <rpcUrl>` once it listens; stops on SIGTERM / SIGINT.
 */
import { startEmbeddedChain } from '@chanpay/devkit';
import { parseCommandLine } from '@chanpay/devkit/cli';

const COMMAND = {
  command: 'npx tsx scripts/chain.ts',
  summary: 'The embedded ganache chain as a process of its own; prints `CHAIN_READY <rpcUrl>` once it listens.',
  options: {},
  notes: [
    'environment:',
    '  CHAIN_PORT          port to listen on (0 = a free port, the default)',
    '  CHAIN_PRIVATE_KEYS  comma-separated 0x keys to fund',
    '  CHAIN_ID            chain id (default 1337)',
    '  CHAIN_BLOCK_TIME    seconds between blocks (0 = a block per transaction, the default)',
    '  CHAIN_BALANCE_ETH   ether per funded key (default 1000)',
  ],
} as const;

function intFromEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > max) throw new Error(`${name} must be a whole number up to ${max}, got "${raw}"`);
  return Number(raw);
}

async function main(): Promise<void> {
  parseCommandLine(COMMAND);
  const privateKeys = (process.env.CHAIN_PRIVATE_KEYS ?? '').split(',').filter(Boolean);
  const chain = await startEmbeddedChain({
    port: intFromEnv('CHAIN_PORT', 0, 65535),
    chainId: intFromEnv('CHAIN_ID', 1337, 2 ** 32),
    blockTime: intFromEnv('CHAIN_BLOCK_TIME', 0, 600),
    balanceEth: intFromEnv('CHAIN_BALANCE_ETH', 1000, 1e9),
    ...(privateKeys.length ? { privateKeys } : {}),
  });
  process.stdout.write(`CHAIN_READY ${chain.rpcUrl}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 10_000).unref();
    chain.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  console.error(`chain failed to start: ${(e as Error).message}`);
  process.exit(1);
});
