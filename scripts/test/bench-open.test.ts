/**
 * `npm run bench -- open --quick` and a quick topology sweep run to the end on real networks (chain:1 and chain:2
 * on ganache, every payment mode) and write complete, well-formed results: result.json, the CSVs, an HDR log per
 * run and report.html. No timing thresholds: only the outputs' shape and the consistency of the counts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LatencyHistogram } from '../bench/load/histogram';
import { PERCENTILE_KEYS, type OpenBenchResult } from '../bench/open/types';

const ROOT = path.resolve(__dirname, '..', '..');

function runBench(args: string[], dir: string): { result: OpenBenchResult; stdout: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench/main.ts'), ...args, '--out', dir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 400_000,
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  if (run.status !== 0)
    throw new Error(`the benchmark failed (${run.status ?? run.signal}):\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
  return { result: JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as OpenBenchResult, stdout: run.stdout };
}

const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

/** Parses a CSV written by csv.ts (no quoted commas in these files) and checks that it is rectangular. */
function readCsv(file: string): Record<string, string>[] {
  const [header, ...rows] = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => l.split(','));
  for (const r of rows) expect(r).toHaveLength(header!.length);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

/** Paid calls per request: x402 pays the entry edge only; naive, the thesis's two; ours, every hop of a chain. */
function paidHops(topology: string, mode: string): number {
  if (mode === 'off' || mode === 'traced-off') return 0;
  if (mode === 'x402') return 1;
  if (mode === 'naive' || topology === 'thesis') return 2;
  return Number(/^chain:(\d+)/.exec(topology)![1]);
}

function checkRuns(r: OpenBenchResult, dir: string): void {
  for (const run of r.runs) {
    expect(run.sent + run.dropped).toBe(run.scheduled);
    expect(run.ok + run.failed).toBe(run.sent);
    expect(run.failed).toBe(0);
    expect(run.ok).toBeGreaterThan(0);
    const ps = PERCENTILE_KEYS.map((k) => run.latencyMs[k]);
    for (const v of ps) expect(v).toBeGreaterThan(0);
    for (let i = 1; i < ps.length; i++) expect(ps[i]!).toBeGreaterThanOrEqual(ps[i - 1]! - 0.01);
    // The corrected latency is never below the time from the actual send.
    expect(run.latencyMs.p50).toBeGreaterThanOrEqual(run.serviceTimeMs.p50 - 0.01);
    expect(finite(run.achievedRate) && finite(run.latePercent)).toBe(true);
    expect(finite(run.machine?.otherCores)).toBe(true);
    // Every process of the network plus the load generator, with CPU, memory and (Node processes) event-loop lag.
    const net = r.networks.find((n) => n.topology === run.topology && n.mode === run.mode && n.repetition === run.repetition)!;
    expect(run.components.map((c) => c.name).sort()).toEqual([...net.processes.map((p) => p.name), 'load-generator'].sort());
    for (const c of run.components) {
      expect(finite(c.millicoresPer1000Rps)).toBe(true);
      expect(c.maxRssMiB).toBeGreaterThan(0);
      // anvil (x402's chain) is no Node process: no event loop to probe.
      if (c.name === 'x402-chain') expect(c.eventLoopDelayP99Ms).toBeNull();
      else expect(finite(c.eventLoopDelayP99Ms) && c.eventLoopDelayP99Ms! >= 0).toBe(true);
    }
    expect(run.paidHopsPerRequest).toBe(paidHops(run.topology, run.mode));
    // The raw HDR log: latency, service time and send lag, the latency histogram holding every answered request.
    const log = readFileSync(path.join(dir, run.hdrLog), 'utf8');
    const lines = log.split('\n').filter((l) => l.startsWith('Tag='));
    expect(lines.map((l) => l.split(',')[0])).toEqual(['Tag=latency', 'Tag=service-time', 'Tag=send-lag']);
    expect(LatencyHistogram.decode(lines[0]!.split(',')[4]!).count).toBe(run.ok);
  }
}

describe('npm run bench -- open --quick', () => {
  let dir: string;
  let r: OpenBenchResult;
  let stdout: string;
  const modes = ['off', 'local', 'prepaid', 'remote'];

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chanpay-bench-open-'));
    ({ result: r, stdout } = runBench(['open', '--quick', '--topology', 'chain:1', '--rates', '20,40', '--seconds', '1'], dir));
  }, 420_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows progress with the time left, and records the machine, versions, commit and settings', () => {
    expect(stdout).toMatch(/\[1\/4\] chain:1 off r1/);
    expect(stdout).toMatch(/left\)/);
    expect(r.schema).toBe('chanpay-bench-open/1');
    expect(r.kind).toBe('open');
    expect(r.environment.versions.node).toBe(process.version);
    expect(r.environment.commit?.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(r.settings.modes).toEqual(modes);
    expect(r.settings.points).toEqual([
      { rate: 20, connections: 10 },
      { rate: 40, connections: 10 },
    ]);
  });

  it('measures every mode at every rate, every request accounted for', () => {
    expect(r.runs.map((x) => `${x.mode}@${x.load.rate}`)).toEqual(modes.flatMap((m) => [`${m}@20`, `${m}@40`]));
    expect(r.networks.every((n) => n.errors.length === 0)).toBe(true);
    checkRuns(r, dir);
    for (const n of r.networks.filter((x) => x.mode !== 'off')) expect(n.chain!.gasPerPaidCall).toBeGreaterThan(0);
  });

  it('states added latency against the baseline, CPU per component kind and the max sustainable rate', () => {
    expect(r.points).toHaveLength(8);
    for (const p of r.points) {
      if (p.mode === 'off') expect(p.addedLatencyMs).toBeNull();
      else {
        const base = r.points.find((b) => b.mode === 'off' && b.rate === p.rate)!;
        for (const k of PERCENTILE_KEYS)
          expect(p.addedLatencyMs![k].median).toBeCloseTo(p.latencyMs[k].median - base.latencyMs[k].median, 2);
      }
      expect(finite(p.millicoresPer1000Rps.total.median)).toBe(true);
      expect(finite(p.millicoresPer1000Rps['load-generator']?.median)).toBe(true);
      if (p.mode !== 'off')
        for (const k of ['payment-server', 'chain'] as const) expect(finite(p.millicoresPer1000Rps[k]?.median)).toBe(true);
      expect(typeof p.sustainable).toBe('boolean');
    }
    expect(r.maxSustainable.map((m) => m.mode)).toEqual(modes);
    for (const m of r.maxSustainable) expect(m.rate === null || [20, 40].includes(m.rate)).toBe(true);
  });

  it('writes rectangular CSVs, one row per run, point and component', () => {
    expect(readCsv(path.join(dir, 'runs.csv'))).toHaveLength(r.runs.length);
    expect(readCsv(path.join(dir, 'points.csv'))).toHaveLength(r.points.length);
    expect(readCsv(path.join(dir, 'components.csv'))).toHaveLength(r.points.reduce((a, p) => a + p.components.length, 0));
    expect(readCsv(path.join(dir, 'max-sustainable.csv'))).toHaveLength(4);
    for (const f of ['runs.csv', 'points.csv', 'components.csv'])
      expect(readFileSync(path.join(dir, f), 'utf8')).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('writes a self-contained report with latency curves and CPU bars', () => {
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs.filter((s) => s.includes('class="chart line-chart"')).length).toBe(4);
    expect(svgs.filter((s) => s.includes('class="chart bar-chart"')).length).toBe(1);
    for (const heading of [
      'Latency on chain:1',
      'Added latency = mode − baseline',
      'CPU and memory on chain:1',
      'Max sustainable throughput',
    ])
      expect(html).toContain(heading);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|\b(src|href)=/i);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
    // results.md: the same tables, rectangular.
    const markdown = readFileSync(path.join(dir, 'results.md'), 'utf8');
    expect(markdown).toMatch(/^# chanpay open-loop benchmark/);
    const tables = markdown.split('\n\n').filter((b) => b.startsWith('|'));
    expect(tables.length).toBeGreaterThanOrEqual(4);
    for (const t of tables) expect(new Set(t.split('\n').map((l) => l.split('|').length)).size).toBe(1);
    expect(markdown).not.toMatch(/NaN|undefined|Infinity/);
  });
});

describe('npm run bench -- open --quick --topology thesis --modes off,naive,x402', () => {
  let dir: string;
  let r: OpenBenchResult;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chanpay-bench-peers-'));
    ({ result: r } = runBench(
      ['open', '--quick', '--topology', 'thesis', '--modes', 'off,naive,x402', '--rates', '10', '--seconds', '1'],
      dir,
    ));
  }, 420_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('measures the peers beside the baseline, every request accounted for, every process probed', () => {
    expect(r.runs.map((x) => x.mode)).toEqual(['off', 'naive', 'x402']);
    expect(r.networks.flatMap((n) => n.errors)).toEqual([]);
    checkRuns(r, dir);
    const x402 = r.networks.find((n) => n.mode === 'x402')!;
    // The gateway, the SDK's facilitator and its chain beside the unpaid thesis network.
    expect(x402.processes.filter((p) => p.name.startsWith('x402-')).map((p) => [p.name, p.kind])).toEqual([
      ['x402-chain', 'chain'],
      ['x402-facilitator', 'payment-server'],
      ['x402-paid-service', 'service'],
    ]);
  });

  it('counts one settlement (x402) or one ETH transfer (naive) per paid call, with its gas and ether', () => {
    const op = { naive: 'ETH transfer', x402: 'transferWithAuthorization' } as const;
    for (const mode of ['naive', 'x402'] as const) {
      const chain = r.networks.find((n) => n.mode === mode)!.chain!;
      expect(chain.operations).toEqual([{ operation: op[mode], count: chain.paidCalls }]);
      expect(chain.gasPerPaidCall).toBeGreaterThan(mode === 'naive' ? 20_999 : 21_000);
      expect(chain.totalEther).toBeGreaterThan(0);
    }
    expect(readCsv(path.join(dir, 'chain.csv'))).toHaveLength(2);
  });

  it('states their added latency against the baseline and CPU per component kind, in the CSVs and the report', () => {
    for (const p of r.points.filter((x) => x.mode !== 'off')) {
      const base = r.points.find((b) => b.mode === 'off')!;
      for (const k of PERCENTILE_KEYS) expect(p.addedLatencyMs![k].median).toBeCloseTo(p.latencyMs[k].median - base.latencyMs[k].median, 2);
      expect(finite(p.millicoresPer1000Rps.chain?.median)).toBe(true);
    }
    expect(finite(r.points.find((p) => p.mode === 'x402')!.millicoresPer1000Rps['payment-server']?.median)).toBe(true);
    expect(readCsv(path.join(dir, 'points.csv')).map((x) => x.mode)).toEqual(['off', 'naive', 'x402']);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('x402 exact through its SDK');
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
  });
});

describe('npm run bench -- sweep topology --quick', () => {
  let dir: string;
  let r: OpenBenchResult;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chanpay-bench-sweep-'));
    ({ result: r } = runBench(
      [
        'sweep',
        'topology',
        '--quick',
        '--topologies',
        'chain:1 chain:2',
        '--modes',
        'off,local',
        '--rates',
        '20',
        '--seconds',
        '1',
        '--repeat',
        '2',
      ],
      dir,
    ));
  }, 420_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('repeats every point on fresh networks and reports medians with confidence intervals', () => {
    expect(r.kind).toBe('sweep-topology');
    expect(r.settings.totalWork).toBe('keccak:1000');
    expect(r.networks).toHaveLength(8);
    expect(r.runs).toHaveLength(8);
    checkRuns(r, dir);
    for (const p of r.points) {
      expect(p.repetitions).toBe(2);
      for (const k of PERCENTILE_KEYS) {
        const e = p.latencyMs[k];
        expect(e.n).toBe(2);
        expect(e.low).toBeLessThanOrEqual(e.median);
        expect(e.median).toBeLessThanOrEqual(e.high);
      }
    }
  });

  it('reports the added latency and CPU per paid hop against depth', () => {
    expect(r.perHop.map((h) => [h.family, h.size, h.mode, h.paidHopsPerRequest])).toEqual([
      ['chain', 1, 'local', 1],
      ['chain', 2, 'local', 2],
    ]);
    for (const h of r.perHop)
      for (const k of ['addedP50PerHopMs', 'addedP99PerHopMs', 'cpuMsPerHop'] as const) expect(finite(h[k])).toBe(true);
    expect(readCsv(path.join(dir, 'per-hop.csv'))).toHaveLength(2);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('Added latency and CPU per paid hop');
    expect(existsSync(path.join(dir, r.runs[0]!.hdrLog))).toBe(true);
  });
});

describe('npm run bench -- open --quick --topology chain:2 --modes off,traced-off,local --trace-split 1', () => {
  let dir: string;
  let r: OpenBenchResult;
  const modes = ['off', 'traced-off', 'local'];

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chanpay-bench-split-'));
    ({ result: r } = runBench(
      ['open', '--quick', '--topology', 'chain:2', '--modes', modes.join(','), '--rates', '20', '--seconds', '1', '--trace-split', '1'],
      dir,
    ));
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('measures traced-off like the baseline (no paid hops, no chain cost) and states its added latency', () => {
    expect(r.networks.every((n) => n.errors.length === 0)).toBe(true);
    checkRuns(r, dir);
    const traced = r.points.find((p) => p.mode === 'traced-off')!;
    expect(traced.paidHopsPerRequest).toBe(0);
    expect(r.networks.find((n) => n.mode === 'traced-off')!.chain).toBeNull();
    const base = r.points.find((p) => p.mode === 'off')!;
    for (const k of PERCENTILE_KEYS)
      expect(traced.addedLatencyMs![k].median).toBeCloseTo(traced.latencyMs[k].median - base.latencyMs[k].median, 2);
  });

  it('splits every hop of every mode from a traced pass: entry first, payment only on paid edges', () => {
    expect(r.settings.traceSplitSeconds).toBe(1);
    expect(r.traceSplit!.map((t) => t.mode)).toEqual(modes);
    for (const t of r.traceSplit!) {
      expect(t.requests).toBeGreaterThan(0);
      expect(t.spans).toBeGreaterThan(0);
      expect(t.hops.map((h) => h.service)).toEqual(['s0', 's1', 's2']);
      for (const h of t.hops) {
        // Every request reached every hop once (a request still in flight at the end may add one).
        expect(h.calls).toBeGreaterThanOrEqual(t.requests);
        expect(h.calls).toBeLessThanOrEqual(t.requests + 2);
        expect(h.parts.network === null).toBe(h.service === 's0');
        for (const f of Object.values(h.parts)) if (f) expect(f.p90).toBeGreaterThanOrEqual(f.p50);
        const paidHop = t.mode === 'local' && h.service !== 's0';
        expect(h.parts.payment!.p50 > 0).toBe(paidHop);
      }
    }
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('Where each hop');
    expect((html.match(/class="chart stacked-bar-chart"/g) ?? []).length).toBe(1);
    const markdown = readFileSync(path.join(dir, 'results.md'), 'utf8');
    expect(markdown).toMatch(/\| local \| s2 \| \d+ \| [\d.]+ \/ [\d.]+ \|/);
    expect(markdown).not.toMatch(/NaN|undefined|Infinity/);
  });
});
