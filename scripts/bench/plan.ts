/** What a benchmark run will do, from its command line. */
import path from 'node:path';
import { parseCommandLine } from '@chanpay/devkit/cli';
import { THESIS } from './analysis';
import type { BenchMode, ShapeSpec } from './types';

const ROOT = path.resolve(__dirname, '..', '..');
export const ALL_MODES: BenchMode[] = ['off', 'local', 'prepaid', 'remote', 'naive'];

export interface Plan {
  quick: boolean;
  modes: BenchMode[];
  shapes: ShapeSpec[];
  naiveShapes: ShapeSpec[];
  warmup: { concurrency: number; requests: number; durationMs?: number };
  depositWei: bigint;
  cryptoIterations: number;
  outDir: string;
  verbose: boolean;
  profile: boolean;
}

export const BENCH_COMMAND = {
  command: 'npm run bench --',
  summary:
    'The cost of payment, measured side by side on this machine: the example network once per mode, loaded with the\n' +
    "thesis's shapes and a saturation run; writes result.json, results.md and report.html.",
  options: {
    quick: { type: 'boolean', description: 'a short run that CI can afford' },
    modes: { type: 'string', value: '<list>', default: ALL_MODES.join(','), description: 'comma-separated modes to run' },
    out: { type: 'string', value: '<dir>', description: 'write the results to this folder (default: bench-results/<timestamp>)' },
    'saturation-seconds': {
      type: 'string',
      value: '<s>',
      description: 'length of the saturation run, up to 600 (default: 30, 2 with --quick)',
    },
    verbose: { type: 'boolean', description: "show the network's log lines" },
    profile: { type: 'boolean', description: 'also write a V8 CPU profile per process (slows them down; the figures are flagged)' },
  },
  notes: [
    'Open-loop load on any topology: `npm run bench -- open --help`; the sweeps: `npm run bench -- sweep rate|connections|topology`.',
  ],
} as const;

export function makePlan(argv: string[]): Plan {
  const { values, fail } = parseCommandLine(BENCH_COMMAND, argv);
  const modes = values.modes.split(',').map((m) => m.trim()) as BenchMode[];
  for (const m of modes) if (!ALL_MODES.includes(m)) fail(`--modes: unknown mode "${m}" (use ${ALL_MODES.join(', ')})`);
  const quick = values.quick;
  const saturationSeconds = values['saturation-seconds'] !== undefined ? Number(values['saturation-seconds']) : quick ? 2 : 30;
  if (!Number.isFinite(saturationSeconds) || saturationSeconds <= 0 || saturationSeconds > 600)
    fail('--saturation-seconds must be between 0 and 600');
  // The thesis's Apache Bench shapes (c, n); --quick keeps the concurrencies with fewer requests.
  const thesis: [number, number][] = quick
    ? [
        [1, 20],
        [5, 50],
        [10, 100],
        [20, 200],
      ]
    : THESIS.shapes.map((s) => [s.concurrency, s.requests]);
  const shapes: ShapeSpec[] = [
    ...thesis.map(([c, n]): ShapeSpec => ({ name: `c=${c} n=${n}`, kind: 'thesis', concurrency: c, requests: n })),
    { name: `latency c=1 n=${quick ? 50 : 2000}`, kind: 'latency', concurrency: 1, requests: quick ? 50 : 2000 },
    { name: `saturation c=20 ${saturationSeconds} s`, kind: 'saturation', concurrency: 20, durationMs: saturationSeconds * 1000 },
  ];
  const naive: [number, number][] = quick
    ? [
        [1, 5],
        [5, 10],
      ]
    : [
        [1, 30],
        [5, 50],
      ];
  const naiveShapes = naive.map(([c, n]): ShapeSpec => ({ name: `c=${c} n=${n}`, kind: 'naive', concurrency: c, requests: n }));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
  return {
    quick,
    modes,
    shapes,
    naiveShapes,
    // Long enough for the JIT to settle in every process before anything is measured.
    warmup: quick ? { concurrency: 5, requests: 30 } : { concurrency: 10, requests: 20_000, durationMs: 5_000 },
    // Small deposits so that the consumer tops its channels up during the run (and the top-ups get measured).
    depositWei: quick ? 400_000_000_000n : 10_000_000_000_000n,
    cryptoIterations: quick ? 2_000 : 20_000,
    outDir: path.resolve(values.out ?? path.join(ROOT, 'bench-results', stamp + (quick ? '-quick' : ''))),
    verbose: values.verbose,
    profile: values.profile,
  };
}
