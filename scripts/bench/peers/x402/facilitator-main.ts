/**
 * The local x402 facilitator as a process of its own (so its CPU can be measured apart).
 * Environment: X402_RPC_URL, X402_CHAIN_ID, X402_FACILITATOR_KEY (pays the settlements' gas), PORT (0 = free),
 * HOST (default 127.0.0.1). Prints `X402_FACILITATOR_READY <url>`; stops on SIGTERM / SIGINT.
 */
import { envKey, envPort, envPositiveBigint, envString, exitOnSignal } from './env';
import { startFacilitatorServer } from './facilitator-server';

async function main(): Promise<void> {
  const running = await startFacilitatorServer({
    rpcUrl: envString('X402_RPC_URL'),
    chainId: Number(envPositiveBigint('X402_CHAIN_ID')),
    privateKey: envKey('X402_FACILITATOR_KEY'),
    port: envPort(),
    host: process.env.HOST ?? '127.0.0.1',
  });
  process.stdout.write(`X402_FACILITATOR_READY ${running.url}\n`);
  exitOnSignal(running.stop);
}

main().catch((e: unknown) => {
  console.error(`x402 facilitator failed to start: ${(e as Error).message}`);
  process.exit(1);
});
