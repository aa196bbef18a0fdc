/**
 * `npm run bench -- open --target <entry url>`: a chain:1 network in remote mode is started with the builder (as
 * a deployed network would be, by someone else), then the benchmark loads its entry with nothing started of its
 * own, reading the chain and a payment server. Outputs complete and well formed; no timing thresholds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTopology, type RunningTopology } from '@chanpay/topology';
import { PERCENTILE_KEYS, type OpenBenchResult } from '../bench/open/types';

const ROOT = path.resolve(__dirname, '..', '..');

describe('npm run bench -- open --target', () => {
  let tmp: string;
  let net: RunningTopology | null = null;
  let r: OpenBenchResult;
  let stdout: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'chanpay-bench-target-'));
    net = await startTopology('chain:1', {
      overrides: { mode: 'remote', prepay: 1 },
      freePorts: true,
      chainProcess: true,
      dataDir: path.join(tmp, 'data'),
      init: true,
    });
    const psUrl = Object.values(net.urls.paymentServers)[0]!;
    // The token of an account of that payment server's team: the one its /metrics accepts.
    let token: string | null = null;
    for (const c of net.accounts.values()) {
      const res = await fetch(`${psUrl}/metrics`, { headers: { authorization: `Bearer ${c.token}` } });
      await res.text();
      if (res.ok) token = c.token;
    }
    if (!token) throw new Error('no account token opens the payment server');
    const tokenFile = path.join(tmp, 'ps-token');
    writeFileSync(tokenFile, token, { mode: 0o600 });
    const out = path.join(tmp, 'out');
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'scripts/bench/main.ts'),
        'open',
        '--target',
        net.entries[0]!.url,
        '--chain-url',
        net.urls.chain!,
        '--payment-server-url',
        psUrl,
        '--payment-server-token-file',
        tokenFile,
        '--rates',
        '20,40',
        '--seconds',
        '1',
        '--warmup-seconds',
        '1',
        '--out',
        out,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 200_000, env: { ...process.env, LOG_LEVEL: 'warn' } },
    );
    if (run.status !== 0)
      throw new Error(`the benchmark failed (${run.status ?? run.signal}):\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
    stdout = run.stdout;
    expect(stdout).not.toContain(token);
    r = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as OpenBenchResult;
  }, 300_000);
  afterAll(async () => {
    await net?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('loads the entry at each rate and reports latency per percentile, achieved rate, late and dropped', () => {
    expect(r.kind).toBe('open');
    expect(r.settings.modes).toEqual(['target']);
    expect(r.runs.map((x) => x.load.rate)).toEqual([20, 40]);
    for (const run of r.runs) {
      expect(run.mode).toBe('target');
      expect(run.sent + run.dropped).toBe(run.scheduled);
      expect(run.ok + run.failed).toBe(run.sent);
      expect(run.failed).toBe(0);
      for (const k of PERCENTILE_KEYS) expect(run.latencyMs[k]).toBeGreaterThan(0);
      expect(Number.isFinite(run.achievedRate) && Number.isFinite(run.latePercent)).toBe(true);
      // Only the load generator is measured: no zeros printed for components out of reach.
      expect(run.components.map((c) => c.name)).toEqual(['load-generator']);
    }
  });

  it('reads the gas and ether mined during the run and the payment server counters', () => {
    const t = r.target!;
    expect(t.componentsMeasured).toBe(false);
    expect(t.requestsServed).toBe(r.runs.reduce((a, x) => a + x.ok, 0));
    expect(t.chain!.toBlock).toBeGreaterThanOrEqual(t.chain!.fromBlock - 1);
    expect(t.chain!.totalGas).toBe(t.chain!.operations.reduce((a, o) => a + o.gasUsed, 0));
    expect(Number.isFinite(t.chain!.gasPerRequest) && Number.isFinite(t.chain!.etherPerRequest)).toBe(true);
    expect(t.paymentServer!.contract).toBe(net!.contract);
    expect(t.paymentServer!.counterDeltas.length).toBeGreaterThan(0);
    for (const c of t.paymentServer!.counterDeltas) expect(c.delta).toBeGreaterThan(0);
  });

  it('says in the report that the components cannot be measured from here', () => {
    const html = readFileSync(path.join(tmp, 'out', 'report.html'), 'utf8');
    expect(html).toContain('not measurable from this machine');
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
    expect(
      readFileSync(path.join(tmp, 'out', 'runs.csv'), 'utf8')
        .trimEnd()
        .split('\n'),
    ).toHaveLength(3);
  });
});
