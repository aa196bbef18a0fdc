/** The shape of a benchmark result (`result.json`); the Markdown and HTML reports are made from it alone. */
import type { BoxStats, LatencySummary } from './stats';
import type { OperationCost } from './gas';
import type { CryptoTimes } from './crypto';
import type { Environment } from './environment';
import type { VerifyStats } from './metrics';
import { PREPAID_CALLS_PER_VOUCHER } from './modes';

export type BenchMode = 'off' | 'local' | 'prepaid' | 'remote' | 'naive';

export const MODE_LABELS: Record<BenchMode, string> = {
  off: 'no payment (baseline)',
  local: 'channels, local mode',
  prepaid: `channels, local mode, prepaid tickets (${PREPAID_CALLS_PER_VOUCHER} calls per voucher)`,
  remote: 'channels, remote mode (thesis topology)',
  naive: 'one on-chain transaction per call (naive)',
};

export interface ShapeSpec {
  /** e.g. `c=5 n=500` or `saturation c=20 30 s`. */
  name: string;
  /** `latency`: many calls one at a time, for the added latency per paid hop (the thesis's c=1 has only 100). */
  kind: 'thesis' | 'latency' | 'saturation' | 'naive';
  concurrency: number;
  requests?: number;
  durationMs?: number;
}

export interface ProcessCpu {
  /** CPU seconds (user + system) during the run; null when unreadable. */
  seconds: number | null;
  /** CPU milliseconds per successful request. */
  msPerRequest: number | null;
}

export interface ShapeResult {
  shape: ShapeSpec;
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  checkFailures: string[];
  elapsedMs: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  box: BoxStats;
  /** Per process of the network, plus `load-generator` (this process). */
  cpu: Record<string, ProcessCpu>;
  /** Sum over all processes, load generator included. */
  cpuMsPerRequestTotal: number;
  /** Whole machine during the run, in cores: busy, busy with other programs than the benchmark, stolen by the host. */
  machine: { busyCores: number; otherCores: number; stealCores: number } | null;
  /** Remote mode: what the payment servers report for this run. */
  remote?: { verify: VerifyStats; vouchersSigned: number };
}

export interface ChainCost {
  operations: OperationCost[];
  /** Everything but the one-off contract deployment. */
  totalGas: number;
  totalEther: number;
  totalEtherAtReference: number;
  deployGas: number;
  /** Paid hops (calls from public to a provider) served in this mode, warm-up and teardown included. */
  paidCalls: number;
  perPaidCall: { gas: number; ether: number; etherAtReference: number };
  referenceGasPriceGwei: number;
  meanEffectiveGasPriceGwei: number;
}

export interface ModeResult {
  mode: BenchMode;
  label: string;
  startupMs: number;
  processes: { name: string; pid: number | null }[];
  paidHopsPerAction: number;
  /** Prepaid mode: calls each signed voucher paid ahead (the public service's PREPAY_CALLS). */
  prepayCalls?: number;
  shapes: ShapeResult[];
  chain: ChainCost | null;
  /**
   * Actions served and what the consumer counted as paid, per provider (a check that every call was paid); and
   * the calls it had paid ahead and not yet made when the measured runs ended (prepaid tickets; 0 without them).
   */
  accounting: {
    actionsServed: number;
    actionsBeforeTeardown: number;
    consumerCalls: Record<string, number> | null;
    prepaidCallsLeft?: Record<string, number>;
    /** Wei the consumer signed beyond the calls served and the tickets it holds (decimal strings); '0': nothing lost. */
    unusedSignedWei?: Record<string, string>;
    notes: string[];
  };
  errors: string[];
}

export interface ComparisonRow {
  shape: string;
  mode: BenchMode;
  requestsPerSecond: number;
  baselineRequestsPerSecond: number;
  throughputRatio: number;
  addedP50Ms: number;
  addedP50PerPaidHopMs: number;
  addedP99Ms: number;
}

export interface Goal {
  name: string;
  value: number | null;
  target: string;
  met: boolean | null;
}

export interface BenchResult {
  schema: 'chanpay-bench/1';
  quick: boolean;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  environment: Environment;
  loadAverageAtEnd: number[];
  settings: {
    modes: BenchMode[];
    shapes: ShapeSpec[];
    naiveShapes: ShapeSpec[];
    warmup: { concurrency: number; requests: number; durationMs?: number };
    depositWei: string;
    loadGenerator: string;
    clockTicksPerSecond: number;
  };
  crypto: CryptoTimes;
  modes: ModeResult[];
  comparison: ComparisonRow[];
  goals: Goal[];
  thesis: {
    shapes: string[];
    percentilesMs: Record<string, number[]>;
    requestsPerSecond: number[];
    signMs: { validateP50: number[]; createP50: number[] };
  };
  notes: string[];
}
