/**
 * The shape of an open-loop result (`result.json`, schema `chanpay-bench-open/1`), one record per measured run
 * in the manner of the Service Mesh Performance result record: environment, versions and commit once; per run
 * the configuration, the load (scheduled and achieved), the percentiles, CPU and memory per component; then the
 * aggregates over repetitions. Every figure of report.html and the CSVs is made from this alone.
 */
import type { Environment } from '../environment';
import type { OpenMode } from './modes';
import type { HopSplit } from './trace-split';

export type ComponentKind = 'service' | 'payment-server' | 'chain' | 'load-generator';

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p99_9: number;
  max: number;
}

export const PERCENTILE_KEYS: readonly (keyof Percentiles)[] = ['p50', 'p90', 'p99', 'p99_9', 'max'];
export const PERCENTILE_LABELS: Record<keyof Percentiles, string> = { p50: 'p50', p90: 'p90', p99: 'p99', p99_9: 'p99.9', max: 'max' };

export interface ComponentFigures {
  name: string;
  kind: ComponentKind;
  cpuSeconds: number | null;
  /** CPU over the window, in millicores (1000 = one core busy). */
  millicores: number | null;
  /** millicores ÷ (achieved rate / 1000). */
  millicoresPer1000Rps: number | null;
  maxRssMiB: number | null;
  eventLoopDelayP99Ms: number | null;
}

export interface LoadPoint {
  rate: number;
  connections: number;
}

export interface RunRecord {
  /** `<topology>/<mode>/<rate>rps/c<connections>/r<repetition>`, also the HDR log's tag. */
  id: string;
  topology: string;
  mode: OpenMode;
  repetition: number;
  load: LoadPoint & { arrivals: string; seed: number; durationMs: number; lateMs: number; maxInFlight: number; entries: number };
  /** Paid calls per request (expected, from the topology); 0 without payment. */
  paidHopsPerRequest: number;
  scheduled: number;
  sent: number;
  ok: number;
  failed: number;
  late: number;
  latePercent: number;
  dropped: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  achievedRate: number;
  /** From the scheduled send time (coordinated omission corrected), ms. */
  latencyMs: Percentiles & { mean: number };
  /** From the actual send, ms (what a closed-loop tool would report). */
  serviceTimeMs: Percentiles;
  sendLagMs: { p99: number; max: number };
  components: ComponentFigures[];
  /**
   * The whole machine over the window, in cores (/proc/stat): busy, busy with programs other than this benchmark
   * and its network (what competed for the same cores), stolen by the host; null off Linux.
   */
  machine: { busyCores: number; otherCores: number; stealCores: number } | null;
  /** Relative to the results folder. */
  hdrLog: string;
}

export interface NetworkRecord {
  topology: string;
  mode: OpenMode;
  repetition: number;
  startupMs: number;
  processes: { name: string; kind: ComponentKind }[];
  /** Paid calls served over the network's life, and the gas of every transaction on its chain but the deployment. */
  chain: {
    paidCalls: number;
    totalGas: number;
    gasPerPaidCall: number;
    /** At the chain's effective gas price. */
    totalEther?: number;
    operations: { operation: string; count: number }[];
  } | null;
  errors: string[];
}

/** A median over the repetitions and its 95 % confidence interval (bootstrap percentile). */
export interface Estimate {
  median: number;
  low: number;
  high: number;
  n: number;
}

export interface PointSummary {
  topology: string;
  mode: OpenMode;
  rate: number;
  connections: number;
  paidHopsPerRequest: number;
  repetitions: number;
  achievedRate: Estimate;
  latePercent: Estimate;
  dropped: number;
  failed: number;
  /** Cores other programs used during the runs (median), null when unknown. */
  otherCores: number | null;
  latencyMs: Record<keyof Percentiles, Estimate>;
  /** mode − baseline (`off`, same topology and load point), per percentile; null for the baseline itself or without one. */
  addedLatencyMs: Record<keyof Percentiles, Estimate> | null;
  /** Per component kind, summed over the components of that kind. */
  millicoresPer1000Rps: Partial<Record<ComponentKind, Estimate>> & { total: Estimate };
  /** Per component name. */
  components: {
    name: string;
    kind: ComponentKind;
    millicoresPer1000Rps: Estimate | null;
    maxRssMiB: number | null;
    eventLoopDelayP99Ms: number | null;
  }[];
  /** p99 ≤ the bound, < 1 % late, nothing dropped or failed, in the median run. */
  sustainable: boolean;
}

export interface MaxSustainable {
  topology: string;
  mode: OpenMode;
  connections: number;
  /** The highest rate tried that was sustainable, or null. */
  rate: number | null;
  highestTried: number;
}

export interface PerHopRow {
  topology: string;
  /** Chain depth or fan-out. */
  family: 'chain' | 'fanout' | 'other';
  size: number;
  mode: OpenMode;
  rate: number;
  paidHopsPerRequest: number;
  addedP50Ms: Estimate | null;
  addedP99Ms: Estimate | null;
  addedP50PerHopMs: number | null;
  addedP99PerHopMs: number | null;
  /** (mode − baseline) total CPU per request, per paid hop, in ms. */
  cpuMsPerHop: number | null;
}

/**
 * `--trace-split`: one traced pass after a cell's measured points, on a fresh network of the same topology and
 * mode, and each hop's latency split from its spans (trace-split.ts; figures in ms).
 */
export interface TraceSplitRecord {
  topology: string;
  mode: OpenMode;
  repetition: number;
  /** The lowest rate of the cell's points, constant arrivals. */
  rate: number;
  connections: number;
  seconds: number;
  /** Requests answered 2xx during the traced seconds. */
  requests: number;
  spans: number;
  /** Entry first. */
  hops: HopSplit[];
}

/** `--target`: a network deployed elsewhere, loaded from this machine. */
export interface TargetRecord {
  url: string;
  chainUrl: string | null;
  paymentServerUrl: string | null;
  /** 2xx answers over the measured points. */
  requestsServed: number;
  /** Every transaction mined from the first measured point to the end of the last (anyone's, on a shared chain). */
  chain: {
    fromBlock: number;
    toBlock: number;
    transactions: number;
    totalGas: number;
    totalEther: number;
    gasPerRequest: number;
    etherPerRequest: number;
    operations: { operation: string; count: number; gasUsed: number; ether: number }[];
  } | null;
  /** How the payment server's Prometheus counters (`*_total`) moved over the measured points. */
  paymentServer: { contract: string | null; counterDeltas: { series: string; delta: number }[] } | null;
  /** Always false: the components' CPU and memory cannot be read from here. */
  componentsMeasured: false;
}

export type BenchKind = 'open' | 'sweep-rate' | 'sweep-connections' | 'sweep-topology';

export interface OpenBenchResult {
  schema: 'chanpay-bench-open/1';
  kind: BenchKind;
  quick: boolean;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  environment: Environment;
  loadAverageAtEnd: number[];
  settings: {
    topologies: string[];
    modes: OpenMode[];
    points: LoadPoint[];
    repetitions: number;
    durationSeconds: number;
    warmupSeconds: number;
    arrivals: string;
    seed: number;
    lateMs: number;
    maxInFlight: number;
    p99BoundMs: number;
    totalWork: string | null;
    /** The node of x402's facilitator (x402 mode). */
    x402Chain: string;
    /** `--trace-split`: seconds of each traced pass; null when not asked. */
    traceSplitSeconds?: number | null;
    command: string;
  };
  networks: NetworkRecord[];
  runs: RunRecord[];
  points: PointSummary[];
  maxSustainable: MaxSustainable[];
  perHop: PerHopRow[];
  /** Only with `--trace-split`: one per cell of our modes. */
  traceSplit?: TraceSplitRecord[];
  /** Only with `--target`. */
  target?: TargetRecord;
  notes: string[];
}
