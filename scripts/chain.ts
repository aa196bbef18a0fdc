/**
 * The embedded ganache chain as a process of its own (`startNetwork({ chainProcess: true })`), so that its CPU
 * time can be told apart from the process that starts the network (the benchmark's load generator).
 * Environment: CHAIN_PORT (0 = free port), CHAIN_PRIVATE_KEYS (comma-separated 0x keys to fund).
 * Prints `CHAIN_READY <rpcUrl>` once it listens; stops on SIGTERM / SIGINT.
 */
import { startEmbeddedChain } from '@chanpay/devkit';
import { parseCommandLine } from '@chanpay/devkit/cli';

const COMMAND = {
  command: 'npx tsx scripts/chain.ts',
  summary: 'The embedded ganache chain as a process of its own; prints `CHAIN_READY <rpcUrl>` once it listens.',
  options: {},
  notes: ['environment:', '  CHAIN_PORT          port to listen on (0 = a free port, the default)', '  CHAIN_PRIVATE_KEYS  comma-separated 0x keys to fund'],
} as const;

async function main(): Promise<void> {
  parseCommandLine(COMMAND);
  const port = Number(process.env.CHAIN_PORT ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`CHAIN_PORT must be a port number, got "${process.env.CHAIN_PORT}"`);
  const privateKeys = (process.env.CHAIN_PRIVATE_KEYS ?? '').split(',').filter(Boolean);
  const chain = await startEmbeddedChain({ port, ...(privateKeys.length ? { privateKeys } : {}) });
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
