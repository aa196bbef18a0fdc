/**
 * One measured run of the x402 peer: pays `calls` calls through the SDK's paying fetch with `concurrency` of them
 * in flight (closed loop), times each paid call from its first request to the last byte of the paid answer (the
 * 402 round trip included, as an x402 client makes it), then reads the gas of the settlement transactions from
 * their receipts and checks the books: the provider gained and the payer lost exactly calls × price.
 */
import { blockNumber, collectTransactions } from '../../gas';
import { nearestRank, round, sortedCopy } from '../../stats';
import type { X402Network } from './network';
import type { SettlementCounts } from './koa-adapter';

export interface MeasureOptions {
  calls: number;
  concurrency: number;
  /** Paid calls before the measured ones (counted in the books, not in the latencies); default 0. */
  warmup?: number;
  /** Bound of the whole run; default 10 minutes. */
  maxDurationMs?: number;
  /** Called about once a second with the measured calls done so far. */
  onProgress?: (done: number, elapsedMs: number) => void;
}

export interface MeasureResult {
  order: X402Network['order'];
  chain: X402Network['chainKind'];
  calls: number;
  concurrency: number;
  warmup: number;
  ok: number;
  failed: number;
  /** Failures by HTTP status or error message. */
  failures: Record<string, number>;
  elapsedMs: number;
  callsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Transactions the facilitator sent during the run (warm-up included); gasPerCall = their gas / calls paid. */
  gas: { settlementTransactions: number; failedTransactions: number; totalGas: string; gasPerCall: number };
  books: { expected: string; providerGained: string; clientSpent: string; balanced: boolean };
  settlements: SettlementCounts;
}

const MAX_CALLS = 100_000;

function summarizeLatencies(latencies: number[]): MeasureResult['latencyMs'] {
  const sorted = sortedCopy(latencies);
  const mean = latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : Number.NaN;
  const at = (p: number) => round(nearestRank(sorted, p));
  return { p50: at(50), p90: at(90), p99: at(99), max: at(100), mean: round(mean) };
}

export async function measureX402(net: X402Network, opts: MeasureOptions): Promise<MeasureResult> {
  if (!Number.isInteger(opts.calls) || opts.calls < 1 || opts.calls > MAX_CALLS) throw new Error(`calls must be 1..${MAX_CALLS}`);
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1 || opts.concurrency > 256) throw new Error('concurrency must be 1..256');
  const warmup = opts.warmup ?? 0;
  const maxDurationMs = opts.maxDurationMs ?? 10 * 60_000;
  const failures: Record<string, number> = {};
  const fail = (why: string) => (failures[why] = (failures[why] ?? 0) + 1);

  const payOnce = async (): Promise<number | null> => {
    const t0 = process.hrtime.bigint();
    try {
      const res = await net.fetchWithPayment(net.entryUrl, { signal: AbortSignal.timeout(60_000) });
      const body = await res.text();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (res.status !== 200) {
        fail(`HTTP ${res.status}`);
        return null;
      }
      if (typeof (JSON.parse(body) as { number?: unknown }).number !== 'number') {
        fail('paid answer without a number');
        return null;
      }
      return ms;
    } catch (e) {
      fail((e as Error).message.split('\n')[0]!.slice(0, 160));
      return null;
    }
  };

  const before = await net.readBalances();
  const startBlock = await blockNumber(net.rpcUrl);
  for (let i = 0; i < warmup; i++) await payOnce();

  const latencies: number[] = [];
  let issued = 0;
  let done = 0;
  const started = Date.now();
  const ticker = opts.onProgress ? setInterval(() => opts.onProgress!(done, Date.now() - started), 1000) : null;
  const worker = async () => {
    while (issued < opts.calls && Date.now() - started < maxDurationMs) {
      issued++;
      const ms = await payOnce();
      if (ms !== null) latencies.push(ms);
      done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    if (ticker) clearInterval(ticker);
  }
  const elapsedMs = Date.now() - started;

  const settlements = await net.drainSettlements(60_000);
  const after = await net.readBalances();
  const endBlock = await blockNumber(net.rpcUrl);
  const txs = (await collectTransactions(net.rpcUrl, null, startBlock + 1, endBlock)).filter(
    (t) => t.from === net.addresses.facilitator.toLowerCase(),
  );
  const settled = txs.filter((t) => t.status);
  // Reverted settlements cost gas too: every facilitator transaction counts, spread over the calls paid.
  const totalGas = txs.reduce((a, t) => a + t.gasUsed, 0n);
  const paidCalls = BigInt(warmup + latencies.length);
  const expected = paidCalls * net.price;
  const providerGained = after.provider - before.provider;
  const clientSpent = before.client - after.client;
  return {
    order: net.order,
    chain: net.chainKind,
    calls: opts.calls,
    concurrency: opts.concurrency,
    warmup,
    ok: latencies.length,
    failed: opts.calls - latencies.length,
    failures,
    elapsedMs,
    callsPerSecond: round((latencies.length * 1000) / Math.max(1, elapsedMs), 2),
    latencyMs: summarizeLatencies(latencies),
    gas: {
      settlementTransactions: settled.length,
      failedTransactions: txs.length - settled.length,
      totalGas: totalGas.toString(),
      gasPerCall: paidCalls > 0n ? Math.round(Number(totalGas) / Number(paidCalls)) : 0,
    },
    books: {
      expected: expected.toString(),
      providerGained: providerGained.toString(),
      clientSpent: clientSpent.toString(),
      balanced: providerGained === expected && clientSpent === expected,
    },
    settlements,
  };
}
