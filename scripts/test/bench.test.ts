/**
 * `npm run bench -- --quick` runs to the end on real networks (every mode) and writes well-formed results.
 * No timing thresholds: the figures depend on the machine; only their shape and consistency are checked.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { boxStats, nearestRank, sortedCopy, summarize } from '../bench/stats';
import { THESIS_PERCENTILES } from '../bench/stats';
import { PREPAID_CALLS_PER_VOUCHER } from '../bench/modes';
import type { BenchResult } from '../bench/types';

const ROOT = path.resolve(__dirname, '..', '..');

describe('nearest-rank percentiles (as Apache Bench and the thesis report them)', () => {
  it('picks the smallest sample with at least p % at or below it', () => {
    const sorted = sortedCopy([5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);
    expect(nearestRank(sorted, 50)).toBe(5);
    expect(nearestRank(sorted, 80)).toBe(8);
    expect(nearestRank(sorted, 95)).toBe(10);
    expect(nearestRank(sorted, 100)).toBe(10);
    expect(nearestRank(sortedCopy([7]), 99)).toBe(7);
    expect(summarize(sorted).percentilesMs.p90).toBe(9);
  });

  it('keeps outliers beyond 1.5 IQR out of the whiskers', () => {
    const b = boxStats(sortedCopy([1, 2, 3, 4, 5, 6, 7, 8, 100]));
    expect(b.median).toBe(5);
    expect(b.whiskerHigh).toBe(8);
    expect(b.outliers).toEqual([100]);
  });
});

describe('npm run bench -- --quick', () => {
  let dir: string;
  let result: BenchResult;
  let markdown: string;
  let html: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'chanpay-bench-'));
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench/main.ts'), '--quick', '--out', dir], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 400_000,
      env: { ...process.env, LOG_LEVEL: 'warn' },
    });
    if (run.status !== 0)
      throw new Error(`the benchmark failed (${run.status ?? run.signal}):\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
    // Progress: one line per step, with the time left.
    expect(run.stdout).toMatch(/\[\s*1\/\d+\] crypto/);
    expect(run.stdout).toMatch(/left\)/);
    result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as BenchResult;
    markdown = readFileSync(path.join(dir, 'results.md'), 'utf8');
    html = readFileSync(path.join(dir, 'report.html'), 'utf8');
  }, 420_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

  it('also runs a short open-loop pass on the thesis network, into open/', () => {
    const open = JSON.parse(readFileSync(path.join(dir, 'open', 'result.json'), 'utf8')) as {
      schema: string;
      runs: { mode: string; load: { rate: number }; ok: number; failed: number }[];
      points: { mode: string; addedLatencyMs: unknown }[];
    };
    expect(open.schema).toBe('chanpay-bench-open/1');
    expect(open.runs.map((r) => `${r.mode}@${r.load.rate}`)).toEqual(['off@20', 'off@40', 'local@20', 'local@40']);
    for (const r of open.runs) expect(r.ok > 0 && r.failed === 0).toBe(true);
    expect(open.points.filter((p) => p.mode === 'local').every((p) => p.addedLatencyMs !== null)).toBe(true);
    for (const f of ['report.html', 'points.csv', 'runs.csv'])
      expect(readFileSync(path.join(dir, 'open', f), 'utf8').length).toBeGreaterThan(0);
  });

  it('records the machine, versions and commit', () => {
    expect(result.schema).toBe('chanpay-bench/1');
    expect(result.quick).toBe(true);
    expect(result.environment.cores).toBeGreaterThan(0);
    expect(result.environment.versions.node).toBe(process.version);
    expect(result.environment.versions.ganache).toMatch(/^\d+\.\d+\.\d+/);
    expect(result.environment.commit?.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(result.environment.loadAverageAtStart).toHaveLength(3);
  });

  it('measures every mode in every shape, every request answered', () => {
    expect(result.modes.map((m) => m.mode)).toEqual(['off', 'local', 'prepaid', 'remote', 'naive']);
    for (const m of result.modes) {
      expect(m.errors).toEqual([]);
      const shapes = m.mode === 'naive' ? result.settings.naiveShapes : result.settings.shapes;
      expect(m.shapes.map((s) => s.shape.name)).toEqual(shapes.map((s) => s.name));
      for (const s of m.shapes) {
        expect(s.failed).toBe(0);
        expect(s.ok).toBeGreaterThan(0);
        if (s.shape.requests) expect(s.ok).toBe(s.shape.requests);
        expect(s.latency.count).toBe(s.ok);
        const ps = THESIS_PERCENTILES.map((p) => s.latency.percentilesMs[`p${p}`]);
        for (const v of ps) expect(v).toBeGreaterThan(0);
        for (let i = 1; i < ps.length; i++) expect(ps[i]).toBeGreaterThanOrEqual(ps[i - 1]!);
        expect(finite(s.requestsPerSecond) && s.requestsPerSecond > 0).toBe(true);
        expect(s.box.q1).toBeLessThanOrEqual(s.box.median);
        expect(s.box.median).toBeLessThanOrEqual(s.box.q3);
        // Per-process CPU for every process of the network, plus the load generator.
        for (const p of m.processes) expect(finite(s.cpu[p.name]?.msPerRequest)).toBe(true);
        expect(finite(s.cpu['load-generator']?.msPerRequest)).toBe(true);
        expect(finite(s.cpuMsPerRequestTotal)).toBe(true);
      }
    }
    const names = (mode: string) =>
      result.modes
        .find((m) => m.mode === mode)!
        .processes.map((p) => p.name)
        .sort();
    expect(names('off')).toEqual(['persistence', 'public', 'random-number']);
    expect(names('local')).toEqual(['chain', 'payment-server-1', 'payment-server-2', 'persistence', 'public', 'random-number']);
    expect(names('prepaid')).toEqual(names('local'));
    expect(names('naive')).toEqual(['chain', 'persistence', 'public', 'random-number']);
  });

  it('pays every call in the paid modes and measures every kind of channel transaction', () => {
    for (const mode of ['local', 'prepaid', 'remote'] as const) {
      const m = result.modes.find((x) => x.mode === mode)!;
      // A receipt for every call, tickets or not.
      expect(m.accounting.consumerCalls).toEqual({
        'random-number': m.accounting.actionsBeforeTeardown,
        persistence: m.accounting.actionsBeforeTeardown,
      });
      // Calls paid ahead and not yet made: only with prepaid tickets (evidence that tickets were in use).
      const left = Object.values(m.accounting.prepaidCallsLeft!);
      if (mode === 'prepaid') for (const v of left) expect(v).toBeGreaterThan(0);
      else expect(left).toEqual([0, 0]);
      const ops = new Map(m.chain!.operations.map((o) => [o.operation, o]));
      for (const op of ['deploy', 'open', 'topUp', 'claim', 'closeByProvider', 'startClose', 'withdraw'])
        expect(ops.get(op)?.count).toBeGreaterThan(0);
      expect(ops.get('open')!.count).toBe(2);
      for (const o of m.chain!.operations) {
        expect(o.gasUsed).toBeGreaterThan(0);
        expect(finite(o.ether) && finite(o.etherAtReference)).toBe(true);
      }
      expect(m.chain!.paidCalls).toBe(2 * m.accounting.actionsServed);
      expect(m.chain!.perPaidCall.gas).toBeGreaterThan(0);
      expect(m.chain!.perPaidCall.gas).toBeLessThan(21_000);
    }
    const prepaid = result.modes.find((m) => m.mode === 'prepaid')!;
    expect(prepaid.prepayCalls).toBe(PREPAID_CALLS_PER_VOUCHER);
    expect(prepaid.label).toContain(`${PREPAID_CALLS_PER_VOUCHER} calls per voucher`);
    expect(result.modes.filter((m) => m.mode !== 'prepaid').every((m) => m.prepayCalls === undefined)).toBe(true);
    const naive = result.modes.find((m) => m.mode === 'naive')!;
    expect(naive.chain!.operations.map((o) => o.operation)).toEqual(['ETH transfer']);
    expect(naive.chain!.operations[0]!.count).toBe(naive.chain!.paidCalls);
    expect(naive.chain!.perPaidCall.gas).toBe(21_000);
    const remote = result.modes.find((m) => m.mode === 'remote')!;
    for (const s of remote.shapes) {
      expect(s.remote!.verify.count).toBe(2 * s.ok);
      expect(s.remote!.vouchersSigned).toBe(2 * s.ok);
      expect(s.remote!.verify.meanUs).toBeGreaterThan(0);
    }
  });

  it('compares every paid shape with the unpaid one and states the goals', () => {
    expect(result.comparison.length).toBe(3 * result.settings.shapes.length + result.settings.naiveShapes.length);
    for (const c of result.comparison)
      for (const k of ['throughputRatio', 'addedP50Ms', 'addedP50PerPaidHopMs', 'addedP99Ms'] as const) expect(finite(c[k])).toBe(true);
    for (const mode of ['local', 'prepaid']) {
      const own = result.goals.filter((g) => g.name.startsWith(`${mode} mode:`));
      expect(own.map((g) => g.target)).toEqual(['≥ 0.75', '≥ 0.75', '< 1 ms']);
      for (const g of own) expect(typeof g.met).toBe('boolean');
    }
    for (const g of result.goals) expect(finite(g.value)).toBe(true);
    expect(result.crypto.signUs).toBeGreaterThan(0);
    expect(result.crypto.verifyUs).toBeGreaterThan(0);
  });

  it('writes Markdown tables side by side with the thesis', () => {
    expect(markdown).toMatch(/^# chanpay benchmark results/);
    expect(markdown).toContain('| 50 % | 43 |');
    expect(markdown).toContain('| **requests/s** | 22.48 |');
    expect(markdown).toContain('| percentile | thesis (ab, paid, 2018) | no payment | local | prepaid | remote |');
    for (const mode of ['local', 'prepaid']) expect(markdown).toContain(`| ${mode} mode: throughput at c=20 / unpaid throughput |`);
    for (const heading of [
      'Latency of the public',
      'What payment costs',
      'naive design',
      'CPU time per request',
      'Time per signature',
      'On-chain cost',
    ])
      expect(markdown).toContain(heading);
    // Every table is rectangular.
    const tables = markdown.split('\n\n').filter((b) => b.startsWith('|'));
    expect(tables.length).toBeGreaterThan(8);
    for (const t of tables) {
      const widths = t.split('\n').map((l) => l.replace(/\\\|/g, '').split('|').length);
      expect(new Set(widths).size).toBe(1);
    }
    expect(markdown).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('writes a self-contained HTML report with box plots and throughput charts', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs.filter((s) => s.includes('class="chart box-plot"')).length).toBe(result.settings.shapes.length);
    expect(svgs.some((s) => s.includes('class="chart bar-chart"'))).toBe(true);
    expect(svgs.some((s) => s.includes('class="chart bar-chart"') && s.includes(`${PREPAID_CALLS_PER_VOUCHER} calls per voucher`))).toBe(
      true,
    );
    expect(svgs.some((s) => s.includes('class="chart stacked-bar-chart"'))).toBe(true);
    for (const s of svgs) expect(s).toMatch(/<(rect|line)/);
    // Opens offline: no scripts, no external stylesheets, images or fonts.
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|\b(src|href)=/i);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
  });
});
