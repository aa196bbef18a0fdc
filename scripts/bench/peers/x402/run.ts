/**
 * `npx tsx scripts/bench/peers/x402/run.ts --calls 200 --concurrency 1`: x402 `exact` measured on a fresh local
 * network (see network.ts): calls/s, latency per paid call, gas per call, and the books checked.
 */
import { parseArgs } from 'node:util';
import { CHAIN_KINDS, type ChainKind } from './chain';
import { measureX402, type MeasureResult } from './measure';
import { startX402Network } from './network';
import { SETTLEMENT_ORDERS, type SettlementOrder } from './paid-service';

const USAGE = `usage: npx tsx scripts/bench/peers/x402/run.ts [options]
  Pays calls through x402's own SDK (@x402/fetch -> koa service -> local SDK facilitator -> EIP-3009 token on a
  local chain) and prints calls/s, p50/p90/p99 latency per paid call, gas per call and the books.
  --calls N            measured paid calls per concurrency level (default 200)
  --concurrency C      calls in flight, or a comma list run in turn, e.g. 1,8 (default 1)
  --mode ORDER         settle-before (x402's default: verify, handler, settle, then respond),
                       upfront (the SDK's upfront flow: settle, then handler), or
                       settle-after (verify, handler, respond, then settle); default settle-before
  --chain KIND         anvil or ganache (default anvil)
  --price UNITS        price per call in token units, 6 decimals (default 1000)
  --warmup N           unmeasured paid calls first, per concurrency level (default 10)
  --in-process         run the facilitator and the paid service in this process (default: child processes)
  --json               print the results as JSON (one array) instead of text
  --help               this text`;

interface RunArgs {
  calls: number;
  concurrency: number[];
  mode: SettlementOrder;
  chain: ChainKind;
  price: bigint;
  warmup: number;
  inProcess: boolean;
  json: boolean;
}

function positiveInt(name: string, v: string, max: number): number {
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || n < 1 || n > max) throw new Error(`--${name} must be an integer 1..${max}, got "${v}"`);
  return n;
}

function parse(argv: string[]): RunArgs | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      calls: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '1' },
      mode: { type: 'string', default: 'settle-before' },
      chain: { type: 'string', default: 'anvil' },
      price: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '10' },
      'in-process': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  if (!(SETTLEMENT_ORDERS as readonly string[]).includes(values.mode))
    throw new Error(`--mode must be one of ${SETTLEMENT_ORDERS.join(', ')}, got "${values.mode}"`);
  if (!(CHAIN_KINDS as readonly string[]).includes(values.chain))
    throw new Error(`--chain must be one of ${CHAIN_KINDS.join(', ')}, got "${values.chain}"`);
  if (!/^[1-9][0-9]*$/.test(values.price)) throw new Error(`--price must be a positive integer, got "${values.price}"`);
  if (!/^[0-9]+$/.test(values.warmup)) throw new Error(`--warmup must be a whole number, got "${values.warmup}"`);
  return {
    calls: positiveInt('calls', values.calls, 100_000),
    concurrency: values.concurrency.split(',').map((c) => positiveInt('concurrency', c.trim(), 256)),
    mode: values.mode as SettlementOrder,
    chain: values.chain as ChainKind,
    price: BigInt(values.price),
    warmup: Math.min(Number(values.warmup), 10_000),
    inProcess: values['in-process'],
    json: values.json,
  };
}

function report(r: MeasureResult): string {
  const l = r.latencyMs;
  return [
    `x402 exact, ${r.order}, ${r.chain}, concurrency ${r.concurrency}: ${r.ok}/${r.calls} paid calls in ${(r.elapsedMs / 1000).toFixed(2)} s = ${r.callsPerSecond} calls/s`,
    `  latency per paid call (ms): p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  max ${l.max}  mean ${l.mean}`,
    `  gas: ${r.gas.settlementTransactions} settlement transactions (${r.gas.failedTransactions} reverted), ${r.gas.gasPerCall} gas per paid call`,
    `  books: expected ${r.books.expected}, provider +${r.books.providerGained}, client -${r.books.clientSpent}: ${r.books.balanced ? 'balanced' : 'NOT BALANCED'}`,
    ...(r.settlements.failed
      ? [`  after-response settlements failed: ${r.settlements.failed} (${r.settlements.failures.join('; ')})`]
      : []),
    ...(r.failed ? [`  failures: ${JSON.stringify(r.failures)}`] : []),
  ].join('\n');
}

async function main(): Promise<void> {
  let args: RunArgs | null;
  try {
    args = parse(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message.split('\n')[0]}\n${USAGE}`);
    process.exit(2);
  }
  if (!args) {
    console.log(USAGE);
    return;
  }
  const log = (line: string) => (args.json ? process.stderr : process.stdout).write(line + '\n');
  log(`starting ${args.chain}, the token, the facilitator and the paid service (${args.mode}) ...`);
  const net = await startX402Network({
    chain: args.chain,
    // Ganache in its own process too, so that it does not share this process's event loop with the load.
    chainProcess: !args.inProcess,
    order: args.mode,
    price: args.price,
    processes: args.inProcess ? 'in-process' : 'children',
  });
  const results: MeasureResult[] = [];
  try {
    log(`entry ${net.entryUrl}; processes: ${net.processes.map((p) => `${p.name} pid ${p.pid ?? 'this'}`).join(', ')}`);
    for (const concurrency of args.concurrency) {
      log(`paying ${args.warmup} warm-up + ${args.calls} calls, concurrency ${concurrency} ...`);
      const result = await measureX402(net, {
        calls: args.calls,
        concurrency,
        warmup: args.warmup,
        onProgress: (done, ms) => log(`  ${done}/${args.calls} calls, ${(ms / 1000).toFixed(0)} s`),
      });
      results.push(result);
      if (!args.json) log(report(result));
    }
  } finally {
    await net.stop();
  }
  if (args.json) console.log(JSON.stringify(results, null, 2));
  if (results.some((r) => !r.books.balanced || r.failed > 0)) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(`x402 run failed: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
