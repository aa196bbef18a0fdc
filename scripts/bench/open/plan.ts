/** What an open-loop run or sweep will do, from its command line (`npm run bench -- open|sweep …`). */
import path from 'node:path';
import { parseCommandLine } from '@chanpay/devkit/cli';
import { parseTotalWork } from '@chanpay/topology';
import { ARRIVAL_KINDS } from '../load/arrivals';
import { CHAIN_KINDS } from '../peers/x402/chain';
import { DEFAULT_MAX_IN_FLIGHT } from '../load/generate';
import type { LoadSettings } from './cell';
import { DEFAULT_OPEN_MODES, OPEN_MODES, type OpenMode } from './modes';
import type { TargetOptions } from './target';
import type { BenchKind, LoadPoint } from './types';

const ROOT = path.resolve(__dirname, '..', '..', '..');

export const SWEEPS = ['rate', 'connections', 'topology'] as const;
export type SweepKind = (typeof SWEEPS)[number];

/** The topology sweep: depth 1…6 and fan-out 1…4, total work held constant. */
export const TOPOLOGY_SWEEP = [
  'chain:1',
  'chain:2',
  'chain:3',
  'chain:4',
  'chain:5',
  'chain:6',
  'fanout:1,1',
  'fanout:2,1',
  'fanout:3,1',
  'fanout:4,1',
];
export const TOPOLOGY_SWEEP_QUICK = ['chain:1', 'chain:2', 'chain:3'];
/** About 4 ms of CPU per request here: enough work to be a service, little enough that payment is visible. */
export const DEFAULT_TOTAL_WORK = 'keccak:1000';

export interface OpenPlan {
  kind: BenchKind;
  quick: boolean;
  topologies: string[];
  modes: OpenMode[];
  points: LoadPoint[];
  repetitions: number;
  settings: LoadSettings;
  p99BoundMs: number;
  outDir: string;
  command: string;
  /** `--target`: load a network deployed elsewhere instead of starting one. */
  target: TargetOptions | null;
}

export const OPEN_COMMAND = {
  command: 'npm run bench -- open|sweep',
  positionals: 'open | sweep <rate|connections|topology>',
  summary:
    'Open-loop load at fixed rates (coordinated omission corrected) on any topology, in every payment mode: latency\n' +
    'and added latency per percentile, CPU per 1,000 rps and memory per component, event-loop lag, max sustainable\n' +
    'rate; `sweep` repeats each point on fresh networks and reports medians with 95 % confidence intervals.',
  options: {
    topology: {
      type: 'string',
      value: '<spec>',
      default: 'thesis',
      description: 'a topology file or generator (open, rate and connection sweeps)',
    },
    topologies: {
      type: 'string',
      value: '<specs>',
      description: `space-separated topologies of the topology sweep (default: ${TOPOLOGY_SWEEP.join(' ')}; --quick: ${TOPOLOGY_SWEEP_QUICK.join(' ')})`,
    },
    modes: {
      type: 'string',
      value: '<list>',
      default: DEFAULT_OPEN_MODES.join(','),
      description: `payment modes, comma-separated, of ${OPEN_MODES.join(', ')} (off is the baseline; naive: thesis topology only)`,
    },
    rates: {
      type: 'string',
      value: '<list>',
      description: 'requests per second (open: 100,200,400; rate sweep: 50,100,200,400,800; topology sweep: 100)',
    },
    connections: { type: 'string', value: '<list>', description: 'connections per entry (default 10; connection sweep: 1,2,4,8,16,32,64)' },
    seconds: { type: 'string', value: '<s>', description: 'measured seconds per point (default 10, --quick 2)' },
    'warmup-seconds': { type: 'string', value: '<s>', description: 'unmeasured seconds after each network starts (default 5, --quick 1)' },
    repeat: {
      type: 'string',
      value: '<n>',
      description: 'repetitions of every point, each on a fresh network (open 1, sweeps 5, --quick 1 and 2)',
    },
    arrivals: { type: 'string', value: '<kind>', default: 'poisson', description: 'constant or poisson' },
    seed: { type: 'string', value: '<n>', default: '1', description: 'seed of the arrivals (repetition r uses seed + r)' },
    'late-ms': { type: 'string', value: '<ms>', default: '2', description: 'a send more than this after its due time is late' },
    'max-in-flight': {
      type: 'string',
      value: '<n>',
      default: String(DEFAULT_MAX_IN_FLIGHT),
      description: 'outstanding requests per entry at most; more are dropped',
    },
    'p99-bound': {
      type: 'string',
      value: '<ms>',
      default: '50',
      description: 'max sustainable rate: p99 at most this, under 1 % late, none dropped or failed',
    },
    'total-work': {
      type: 'string',
      value: '<work>',
      description: `keccak:N or busy:N per request over the workers (topology sweep default ${DEFAULT_TOTAL_WORK})`,
    },
    target: {
      type: 'string',
      value: '<url>',
      description: 'open only: load this entry URL of a network deployed elsewhere (e.g. the Swarm stack); start nothing',
    },
    'chain-url': {
      type: 'string',
      value: '<rpc>',
      description: "with --target: the network's chain node, for the gas and ether mined during the run",
    },
    'payment-server-url': {
      type: 'string',
      value: '<url>',
      description: "with --target: a payment server, for its contract and its counters' movement",
    },
    'payment-server-token-file': {
      type: 'string',
      value: '<file>',
      description: 'with --payment-server-url: a file holding its bearer token',
    },
    'x402-chain': {
      type: 'string',
      value: '<node>',
      default: 'anvil',
      description: 'x402 mode: the node its facilitator settles on, anvil or ganache (viem is ten times slower on ganache)',
    },
    'trace-split': {
      type: 'string',
      value: '<s>',
      description:
        'after each cell, a traced pass of <s> seconds (fresh network, lowest rate) splitting each hop into payment, handler, network and framework time',
    },
    quick: { type: 'boolean', description: 'a CI-sized run' },
    out: { type: 'string', value: '<dir>', description: 'the results folder (default bench-results/<timestamp>-open)' },
    verbose: { type: 'boolean', description: "show the networks' log lines" },
  },
} as const;

export function makeOpenPlan(argv: string[]): OpenPlan {
  const { values, positionals, fail } = parseCommandLine(OPEN_COMMAND, argv);
  const [verb, sweepArg, ...rest] = positionals;
  if (rest.length) fail(`unexpected argument "${rest[0]}"`);
  if (verb !== 'open' && verb !== 'sweep') fail('give open or sweep <rate|connections|topology>');
  if (verb === 'open' && sweepArg !== undefined) fail(`unexpected argument "${sweepArg}"`);
  const sweep = verb === 'sweep' ? (SWEEPS.find((k) => k === sweepArg) ?? fail(`sweep what? ${SWEEPS.join(', ')}`)) : null;
  const quick = values.quick;
  const int = (name: string, text: string, max: number) => {
    const n = /^\d+$/.test(text.trim()) ? Number(text) : 0;
    return n > 0 && n <= max ? n : fail(`--${name}: integers in 1..${max}`);
  };
  const list = (name: string, text: string | undefined, fallback: string, max: number) =>
    (text ?? fallback).split(',').map((x) => int(name, x, max));

  const modes = values.modes
    .split(',')
    .map((m) => OPEN_MODES.find((x) => x === m.trim()) ?? fail(`--modes: unknown mode "${m}" (${OPEN_MODES.join(', ')})`));
  const defaultRates =
    sweep === 'rate'
      ? quick
        ? '50,100,200'
        : '50,100,200,400,800'
      : sweep === 'topology'
        ? '100'
        : sweep === 'connections'
          ? '200'
          : quick
            ? '50,100'
            : '100,200,400';
  const rates = list('rates', values.rates, defaultRates, 100_000);
  const connections = list('connections', values.connections, sweep === 'connections' ? (quick ? '1,4' : '1,2,4,8,16,32,64') : '10', 1024);
  if (sweep !== 'connections' && connections.length > 1) fail('--connections: one value, except in the connection sweep');
  if (sweep === 'connections' && rates.length > 1) fail('--rates: one rate in the connection sweep');
  const points: LoadPoint[] =
    sweep === 'connections'
      ? connections.map((c) => ({ rate: rates[0]!, connections: c }))
      : rates.map((rate) => ({ rate, connections: connections[0]! }));

  const topologies =
    sweep === 'topology'
      ? (values.topologies?.trim().split(/\s+/) ?? (quick ? TOPOLOGY_SWEEP_QUICK : TOPOLOGY_SWEEP))
      : values.topologies !== undefined
        ? fail('--topologies is for the topology sweep; give --topology')
        : [values.topology];
  const totalWork = values['total-work'] ?? (sweep === 'topology' ? DEFAULT_TOTAL_WORK : null);
  if (totalWork) {
    try {
      parseTotalWork(totalWork);
    } catch (e) {
      fail(`--total-work: ${(e as Error).message}`);
    }
  }
  if (modes.includes('naive') && topologies.some((t) => t !== 'thesis'))
    fail('--modes naive: the naive network has the thesis shape only (give --topology thesis)');
  const arrivals = ARRIVAL_KINDS.find((k) => k === values.arrivals) ?? fail(`--arrivals: ${ARRIVAL_KINDS.join(' or ')}`);
  const lateMs = Number(values['late-ms']);
  if (!(lateMs > 0)) fail('--late-ms must be positive');
  const p99BoundMs = Number(values['p99-bound']);
  if (!(p99BoundMs > 0)) fail('--p99-bound must be positive');
  const url = (name: string, text: string) => {
    try {
      const u = new URL(text);
      if (u.protocol === 'http:' || u.protocol === 'https:') return text.replace(/\/$/, '');
    } catch {
      /* below */
    }
    return fail(`--${name}: an http(s) URL, not "${text}"`);
  };
  let target: TargetOptions | null = null;
  if (values.target !== undefined) {
    if (sweep) fail('--target: with open only');
    if (values['trace-split'] !== undefined) fail('--trace-split: not with --target (its processes are not ours to trace)');
    target = {
      url: url('target', values.target),
      chainUrl: values['chain-url'] !== undefined ? url('chain-url', values['chain-url']) : null,
      paymentServerUrl: values['payment-server-url'] !== undefined ? url('payment-server-url', values['payment-server-url']) : null,
      paymentServerTokenFile: values['payment-server-token-file'] ?? null,
    };
    if (!target.paymentServerUrl !== !target.paymentServerTokenFile)
      fail('--payment-server-url and --payment-server-token-file go together');
  } else
    for (const name of ['chain-url', 'payment-server-url', 'payment-server-token-file'] as const)
      if (values[name] !== undefined) fail(`--${name}: with --target only`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
  const kind: BenchKind = sweep ? `sweep-${sweep}` : 'open';
  return {
    kind,
    quick,
    topologies: target ? [target.url] : topologies,
    modes: target ? ['target'] : modes,
    points,
    repetitions: values.repeat !== undefined ? int('repeat', values.repeat, 50) : sweep ? (quick ? 2 : 5) : 1,
    settings: {
      durationSeconds: values.seconds !== undefined ? int('seconds', values.seconds, 600) : quick ? 2 : 10,
      warmupSeconds: values['warmup-seconds'] !== undefined ? int('warmup-seconds', values['warmup-seconds'], 600) : quick ? 1 : 5,
      arrivals,
      seed: int('seed', values.seed, 2 ** 31),
      lateMs,
      maxInFlight: int('max-in-flight', values['max-in-flight'], 1_000_000),
      totalWork,
      x402Chain: CHAIN_KINDS.find((k) => k === values['x402-chain']) ?? fail(`--x402-chain: ${CHAIN_KINDS.join(' or ')}`),
      verbose: values.verbose,
      traceSplitSeconds: values['trace-split'] !== undefined ? int('trace-split', values['trace-split'], 600) : null,
    },
    p99BoundMs,
    outDir: path.resolve(values.out ?? path.join(ROOT, 'bench-results', `${stamp}-${target ? 'target' : kind}${quick ? '-quick' : ''}`)),
    command: `npm run bench -- ${argv.join(' ')}`,
    target,
  };
}
