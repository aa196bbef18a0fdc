/**
 * The x402 paid service as a process of its own (so its CPU can be measured apart).
 * Environment: X402_FACILITATOR_URL, X402_NETWORK (eip155:<chain id>), X402_TOKEN, X402_PAY_TO, X402_PRICE (token
 * units), X402_ORDER (settle-before | upfront | settle-after), X402_UPSTREAM (optional: forward the paid route there), PORT (0 = free), HOST (default 127.0.0.1).
 * Prints `X402_SERVICE_READY <url>`; stops on SIGTERM / SIGINT after pending settlements are done (30 s at most).
 */
import { envAddress, envChoice, envPort, envPositiveBigint, envString, exitOnSignal } from './env';
import { SETTLEMENT_ORDERS, startPaidService } from './paid-service';

async function main(): Promise<void> {
  const network = envString('X402_NETWORK');
  if (!/^eip155:[0-9]+$/.test(network)) throw new Error(`X402_NETWORK must be eip155:<chain id>, got "${network}"`);
  const running = await startPaidService({
    facilitatorUrl: envString('X402_FACILITATOR_URL'),
    network: network as `eip155:${number}`,
    token: envAddress('X402_TOKEN'),
    payTo: envAddress('X402_PAY_TO'),
    price: envPositiveBigint('X402_PRICE'),
    order: envChoice('X402_ORDER', SETTLEMENT_ORDERS),
    ...(process.env.X402_UPSTREAM ? { upstream: process.env.X402_UPSTREAM } : {}),
    port: envPort(),
    host: process.env.HOST ?? '127.0.0.1',
  });
  process.stdout.write(`X402_SERVICE_READY ${running.url}\n`);
  exitOnSignal(running.stop);
}

main().catch((e: unknown) => {
  console.error(`x402 paid service failed to start: ${(e as Error).message}`);
  process.exit(1);
});
