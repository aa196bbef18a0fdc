/**
 * `scripts/bench/peers/x402/run.ts` measures a short real run (child processes on anvil) and prints well-formed
 * results with balanced books; its options behave. Figures are not checked against any threshold.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { MeasureResult } from '../bench/peers/x402/measure';

const ROOT = path.resolve(__dirname, '..', '..');
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench/peers/x402/run.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 240_000,
  });

describe('x402 run.ts', () => {
  it('--help lists every option; an unknown or bad option is one line of error and the usage', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    for (const option of ['--calls', '--concurrency', '--mode', '--chain', '--price', '--warmup', '--in-process', '--json'])
      expect(help.stdout).toContain(option);
    const unknown = run('--bogus');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe("Unknown option '--bogus'");
    expect(unknown.stderr).toContain('usage:');
    const bad = run('--mode', 'later');
    expect(bad.status).toBe(2);
    expect(bad.stderr.split('\n')[0]).toMatch(/--mode must be one of settle-before, upfront, settle-after/);
  }, 60_000);

  it('pays the calls at each concurrency and reports latency, gas per call and balanced books', () => {
    const out = run('--calls', '6', '--concurrency', '1,2', '--warmup', '1', '--mode', 'settle-after', '--json');
    if (out.status !== 0)
      throw new Error(`run.ts failed (${out.status ?? out.signal}):\n${out.stdout.slice(-3000)}\n${out.stderr.slice(-3000)}`);
    const results = JSON.parse(out.stdout) as MeasureResult[];
    expect(results.map((r) => r.concurrency)).toEqual([1, 2]);
    for (const r of results) {
      expect(r).toMatchObject({ order: 'settle-after', chain: 'anvil', calls: 6, warmup: 1, ok: 6, failed: 0 });
      expect(r.callsPerSecond).toBeGreaterThan(0);
      expect(r.latencyMs.p50).toBeGreaterThan(0);
      expect(r.latencyMs.p50).toBeLessThanOrEqual(r.latencyMs.p90);
      expect(r.latencyMs.p90).toBeLessThanOrEqual(r.latencyMs.p99);
      expect(r.latencyMs.p99).toBeLessThanOrEqual(r.latencyMs.max);
      // One transferWithAuthorization per paid call (warm-up included), none reverted, each above a plain transfer.
      expect(r.gas.settlementTransactions).toBe(7);
      expect(r.gas.failedTransactions).toBe(0);
      expect(r.gas.gasPerCall).toBeGreaterThan(21_000);
      expect(r.books).toEqual({ expected: '7000', providerGained: '7000', clientSpent: '7000', balanced: true });
      expect(r.settlements.failed).toBe(0);
    }
  }, 240_000);
});
