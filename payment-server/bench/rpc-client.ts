/**
 * What one JSON-RPC call to the node costs the payment server's process: `npx tsx payment-server/bench/rpc-client.ts`.
 * Sends `eth_blockNumber` to anvil (its own process, so that only the client's CPU is counted) in turn through
 * the global fetch, as the server's client did before, and through the server's `Rpc` (an undici Pool), and
 * prints CPU and wall time per call for each, best of the rounds.
 */
import { parseCommandLine } from '@chanpay/devkit/cli';
import { startAnvil } from '@chanpay/devkit';
import { Rpc } from '../src/chain/rpc';

const COMMAND = {
  command: 'npx tsx payment-server/bench/rpc-client.ts',
  summary: "CPU per JSON-RPC call of the payment server's client (undici Pool) against the global fetch, on anvil.",
  options: {
    calls: { type: 'string', value: '<n>', default: '3000', description: 'calls per round and client' },
    rounds: { type: 'string', value: '<n>', default: '3', description: 'rounds (the best one is reported)' },
  },
} as const;

/** The request the server's client sent with the global fetch before it had a Pool of its own. */
function viaGlobalFetch(url: string): () => Promise<unknown> {
  let id = 0;
  return async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'eth_blockNumber', params: [] }),
      signal: AbortSignal.timeout(10_000),
    });
    return ((await res.json()) as { result: string }).result;
  };
}

async function measure(call: () => Promise<unknown>, n: number): Promise<{ cpuUs: number; wallUs: number }> {
  for (let i = 0; i < Math.min(500, n); i++) await call();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await call();
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: (cpu.user + cpu.system) / n, wallUs: Number(process.hrtime.bigint() - t0) / 1000 / n };
}

const line = (name: string, m: { cpuUs: number; wallUs: number }) =>
  `${name.padEnd(18)} ${m.cpuUs.toFixed(0).padStart(5)} µs CPU/call  ${m.wallUs.toFixed(0).padStart(5)} µs wall/call`;

async function main(): Promise<void> {
  const { values } = parseCommandLine(COMMAND, process.argv.slice(2));
  const calls = Number(values.calls);
  const rounds = Number(values.rounds);
  const chain = await startAnvil({});
  const rpc = new Rpc(chain.rpcUrl);
  const clients: [string, () => Promise<unknown>][] = [
    ['global fetch', viaGlobalFetch(chain.rpcUrl)],
    ['Rpc (undici Pool)', () => rpc.blockNumber()],
  ];
  const best = new Map<string, { cpuUs: number; wallUs: number }>();
  try {
    for (let r = 1; r <= rounds; r++) {
      for (const [name, call] of clients) {
        const m = await measure(call, calls);
        console.log(`round ${r}/${rounds}  ${line(name, m)}`);
        const b = best.get(name);
        if (!b || m.cpuUs < b.cpuUs) best.set(name, m);
      }
    }
  } finally {
    await rpc.close();
    await chain.stop();
  }
  console.log(`\nbest of ${rounds} rounds of ${calls} calls of eth_blockNumber, one at a time, this process's CPU only:`);
  for (const [name, m] of best) console.log(`  ${line(name, m)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
