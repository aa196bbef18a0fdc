#!/usr/bin/env node
/**
 * The integration-test image's command: runs the payment life cycle against a payment server and its chain and
 * exits 0 when every step passed, 1 otherwise (the thesis's integration-test container, as a process).
 *   PAYMENT_SERVER_URL, RPC_URL, CONSUMER_TOKEN, PROVIDER_TOKEN, CALLS (default 10), CHALLENGE_PERIOD (default 2)
 */
import { runLifecycle } from './lifecycle';

function required(name: string): string {
  const v = process.env[name];
  if (!v) {
    console.error(`integration test: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const result = await runLifecycle(
    {
      paymentServerUrl: required('PAYMENT_SERVER_URL'),
      rpcUrl: required('RPC_URL'),
      consumerToken: required('CONSUMER_TOKEN'),
      providerToken: required('PROVIDER_TOKEN'),
    },
    {
      calls: Number(process.env.CALLS || 10),
      challengePeriod: Number(process.env.CHALLENGE_PERIOD || 2),
      log: (line) => console.log(line),
    },
  );
  console.log(
    `PASS payment life cycle: channel ${result.channelId}, ${result.calls} calls, claimed ${result.claimed} wei, refunded ${result.refund} wei, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

main().catch((e: unknown) => {
  console.error(`FAIL payment life cycle: ${(e as Error).message}`);
  process.exit(1);
});
