/**
 * `npm run bench`: the cost of payment, measured side by side on this machine.
 * Starts the example network once per mode (no payment, local, local with prepaid tickets, remote), loads the
 * public service's `/action` with the thesis's four shapes plus a saturation run, the modes taking turns shape
 * by shape (the others paused), then runs the naive one-transaction-per-call design briefly, and writes
 * result.json, results.md and report.html to bench-results/<timestamp>/.
 *   npm run bench                        the full run (a few minutes)
 *   npm run bench -- --quick             a short run that CI can afford (with a short open-loop pass, into open/)
 *   npm run bench -- --modes off,local   only these modes (off, local, prepaid, remote, naive)
 *   npm run bench -- --out DIR           write the results to DIR
 *   npm run bench -- --saturation-seconds 60 --verbose
 *   npm run bench -- --profile           also write a V8 CPU profile per process (profiles/<mode>/<process>.cpuprofile;
 *                                        the profiler slows the processes down, so the figures are flagged)
 *   npm run bench -- open [--topology chain:3 --rates 100,200 …]     open-loop load on any topology (open/run.ts)
 *   npm run bench -- sweep rate|connections|topology […]             the sweeps, repeated on fresh networks
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clockTicksPerSecond } from './cpu';
import { measureCrypto } from './crypto';
import { describeEnvironment } from './environment';
import { round } from './stats';
import { Progress, formatDuration, type Step } from './progress';
import { compare, goals, THESIS } from './analysis';
import { writeReports } from './report';
import { makePlan, type Plan } from './plan';
import { ModeRun } from './mode-run';
import { PREPAID_CALLS_PER_VOUCHER } from './modes';
import { MODE_LABELS, type BenchMode, type BenchResult, type ModeResult, type ShapeResult } from './types';

const ROOT = path.resolve(__dirname, '..', '..');
/** Databases of the networks under test; per run, so that two runs cannot wipe each other's. */
const DATA_DIR = path.join(ROOT, 'data', `bench-${process.pid}`);

/** Guesses of throughput per mode, replaced by measurements as they come in (for the time-left estimate). */
const rpsGuess: Record<BenchMode, number> = { off: 800, local: 400, prepaid: 500, remote: 120, naive: 25 };
const startupGuess: Record<BenchMode, number> = { off: 5, local: 15, prepaid: 15, remote: 15, naive: 6 };

function planSteps(plan: Plan, channelModes: BenchMode[]): Step[] {
  const steps: Step[] = [{ label: 'crypto', estimateSeconds: () => (plan.quick ? 1 : 4) }];
  const warmupSeconds = (mode: BenchMode) =>
    mode === 'naive' ? 3 / rpsGuess.naive : Math.min(plan.warmup.requests / rpsGuess[mode], (plan.warmup.durationMs ?? Infinity) / 1000);
  for (const mode of channelModes) steps.push({ label: `${mode} start`, estimateSeconds: () => startupGuess[mode] + warmupSeconds(mode) });
  for (const s of plan.shapes) {
    for (const mode of channelModes)
      steps.push({
        label: `${mode} ${s.name}`,
        estimateSeconds: () => 0.6 + (s.durationMs ? s.durationMs / 1000 : (s.requests ?? 0) / rpsGuess[mode]),
      });
  }
  for (const mode of channelModes) if (mode !== 'off') steps.push({ label: `${mode} chain`, estimateSeconds: () => 6 });
  if (plan.modes.includes('naive')) {
    steps.push({ label: 'naive start', estimateSeconds: () => startupGuess.naive + warmupSeconds('naive') });
    for (const s of plan.naiveShapes) steps.push({ label: `naive ${s.name}`, estimateSeconds: () => (s.requests ?? 0) / rpsGuess.naive });
    steps.push({ label: 'naive chain', estimateSeconds: () => 2 });
  }
  return steps;
}

function describeShape(r: ShapeResult): string {
  const p = r.latency.percentilesMs;
  const bad = r.failed > 0 ? `, ${r.failed} FAILED` : '';
  const others = r.machine ? `, other programs ${r.machine.otherCores.toFixed(2)} cores` : '';
  return `${r.requestsPerSecond.toFixed(1).padStart(7)} req/s  p50 ${p.p50.toFixed(2)} ms  p99 ${p.p99.toFixed(2)} ms  (${r.ok} ok${bad}, ${(r.elapsedMs / 1000).toFixed(1)} s${others})`;
}

const describeChain = (m: ModeResult) =>
  m.chain
    ? `${m.chain.operations.map((o) => `${o.operation} ×${o.count}`).join(', ')}; ${m.chain.perPaidCall.gas.toFixed(1)} gas per paid call`
    : 'no chain';

const failedMode = (mode: BenchMode, e: unknown): ModeResult => ({
  mode,
  label: MODE_LABELS[mode],
  startupMs: 0,
  processes: [],
  paidHopsPerAction: mode === 'off' ? 0 : 2,
  ...(mode === 'prepaid' ? { prepayCalls: PREPAID_CALLS_PER_VOUCHER } : {}),
  shapes: [],
  chain: null,
  accounting: { actionsServed: 0, actionsBeforeTeardown: 0, consumerCalls: null, notes: [] },
  errors: [`the mode did not run: ${(e as Error).message}`],
});

async function startAndWarm(mode: BenchMode, plan: Plan, progress: Progress): Promise<ModeRun> {
  const run = await ModeRun.start(mode, plan, path.join(DATA_DIR, mode), progress);
  startupGuess[mode] = run.startupMs / 1000;
  let warmed: number;
  try {
    warmed = await run.warmUp();
  } catch (e) {
    await run.stop();
    throw e;
  }
  progress.step(
    `${mode.padEnd(7)} network up in ${formatDuration(run.startupMs / 1000)} (${run.processes.map((p) => p.name).join(', ')}), warm-up ${warmed} actions`,
  );
  return run;
}

async function measureStep(run: ModeRun, spec: Plan['shapes'][number], progress: Progress): Promise<void> {
  await run.resume();
  const r = await run.measure(spec, progress);
  if (r.requestsPerSecond > 0) rpsGuess[run.mode] = r.requestsPerSecond;
  progress.step(`${run.mode.padEnd(7)} ${spec.name.padEnd(24)} ${describeShape(r)}`);
}

/**
 * The CI-sized open-loop pass of `--quick` (issue 13: `--quick` keeps a CI-sized version of everything): the
 * thesis network without payment and in local mode at two fixed rates, into <out>/open/. About 25 s here; the
 * x402, naive and remote modes and the topology sweep would add a minute or more, so CI runs them in
 * scripts/test/bench-open.test.ts instead. Returns true when it failed.
 */
export const QUICK_OPEN_ARGS = ['open', '--quick', '--topology', 'thesis', '--modes', 'off,local', '--rates', '20,40', '--seconds', '1'];

function quickOpenPass(outDir: string): boolean {
  console.log(`\nopen-loop pass: npm run bench -- ${QUICK_OPEN_ARGS.join(' ')}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', __filename, ...QUICK_OPEN_ARGS, '--out', path.join(outDir, 'open')], {
    stdio: 'inherit',
    timeout: 180_000,
  });
  if (run.status !== 0) console.log(`  the open-loop pass failed (${run.status ?? run.signal})`);
  return run.status !== 0;
}

async function main(): Promise<void> {
  const verb = process.argv[2];
  if (verb === 'open' || verb === 'sweep') {
    // The open-loop benchmark is its own program with its own options (`npm run bench -- open --help`).
    require('./open/run');
    return;
  }
  const plan = makePlan(process.argv.slice(2));
  const startedAt = new Date();
  const environment = describeEnvironment();
  const channelModes = plan.modes.filter((m) => m !== 'naive');
  const progress = new Progress(planSteps(plan, channelModes));
  console.log(
    `chanpay benchmark${plan.quick ? ' (quick)' : ''}: modes ${plan.modes.join(', ')}; ${environment.cores} cores (${environment.cpuModel}), ` +
      `load average ${environment.loadAverageAtStart.join(' / ')}; the load generator runs on the same cores as the network.`,
  );
  if (plan.profile) console.log(`profiling every process (slower): profiles go to ${path.join(plan.outDir, 'profiles')}`);
  const live: ModeRun[] = [];
  const stopAll = async () => {
    for (const r of live.splice(0)) await r.stop().catch(() => undefined);
  };
  const onSignal = () => {
    console.log('\ninterrupted: stopping the networks…');
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const crypto = measureCrypto(plan.cryptoIterations);
  progress.step(
    `crypto  sign ${crypto.signUs.toFixed(1)} µs, verify ${crypto.verifyUs.toFixed(1)} µs per voucher (native secp256k1: ${crypto.nativeSecp256k1})`,
  );

  const results = new Map<BenchMode, ModeResult>();
  try {
    // Every network up and warm, each paused while the next starts.
    for (const mode of channelModes) {
      try {
        const run = await startAndWarm(mode, plan, progress);
        live.push(run);
        await run.pause();
      } catch (e) {
        progress.note(`${mode}: FAILED: ${(e as Error).stack ?? String(e)}`);
        results.set(mode, failedMode(mode, e));
      }
    }
    // Shape by shape, the modes take turns; only the measured one runs.
    for (const spec of plan.shapes) {
      for (const run of live) {
        await measureStep(run, spec, progress);
        await run.pause();
      }
    }
    for (const run of [...live]) {
      const t0 = Date.now();
      const result = await run.finish();
      results.set(run.mode, result);
      await run.stop();
      live.splice(live.indexOf(run), 1);
      if (run.mode !== 'off')
        progress.step(`${run.mode.padEnd(7)} chain: ${describeChain(result)} (${formatDuration((Date.now() - t0) / 1000)})`);
    }
    if (plan.modes.includes('naive')) {
      try {
        const run = await startAndWarm('naive', plan, progress);
        live.push(run);
        for (const spec of plan.naiveShapes) await measureStep(run, spec, progress);
        const result = await run.finish();
        results.set('naive', result);
        progress.step(`naive   chain: ${describeChain(result)}`);
      } catch (e) {
        progress.note(`naive: FAILED: ${(e as Error).stack ?? String(e)}`);
        results.set('naive', failedMode('naive', e));
      }
    }
  } finally {
    await stopAll();
    rmSync(DATA_DIR, { recursive: true, force: true });
  }
  const modes = plan.modes.map((m) => results.get(m)!).filter(Boolean);
  for (const m of modes) for (const n of m.accounting.notes) progress.note(`${m.mode}: ${n}`);
  const failedModes = modes.filter((m) => m.shapes.length === 0).length;

  const finishedAt = new Date();
  const result: BenchResult = {
    schema: 'chanpay-bench/1',
    quick: plan.quick,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    environment,
    loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
    settings: {
      modes: plan.modes,
      shapes: plan.shapes,
      naiveShapes: plan.naiveShapes,
      warmup: plan.warmup,
      depositWei: plan.depositWei.toString(),
      loadGenerator:
        'keep-alive node:http client in the benchmark process, fixed requests in flight, each request timed with process.hrtime from send to last body byte; nearest-rank percentiles',
      clockTicksPerSecond: clockTicksPerSecond(),
    },
    crypto: {
      ...crypto,
      signUs: round(crypto.signUs, 2),
      signBestRoundUs: round(crypto.signBestRoundUs, 2),
      verifyUs: round(crypto.verifyUs, 2),
      verifyBestRoundUs: round(crypto.verifyBestRoundUs, 2),
    },
    modes,
    comparison: [],
    goals: [],
    thesis: THESIS.asResult(),
    notes: [
      ...(plan.profile
        ? [
            '**Profiled run**: every process ran under the V8 CPU profiler, which slows it down; do not compare these figures with unprofiled runs.',
          ]
        : []),
      'The modes took turns shape by shape, the networks not being measured paused (SIGSTOP), so that whatever else ran on the machine meanwhile fell on every mode alike; "other programs\' CPU" says how much that was.',
      `The load generator, the chain and every service share this machine's ${environment.cores} cores: the figures are for a whole network on one small machine, not for one service alone.`,
      'Connections are kept alive (Apache Bench in the thesis opened one per request unless run with -k).',
      ...(plan.modes.includes('prepaid')
        ? [
            `The prepaid mode is the local network with PREPAY_CALLS=${PREPAID_CALLS_PER_VOUCHER}: each voucher the public service signs pays ${PREPAID_CALLS_PER_VOUCHER} calls ahead, and the calls after it carry a hash-chain ticket instead of a signature; receipts still come with every call.`,
          ]
        : []),
      'The naive mode runs on ganache, which mines each transaction at once; on a public chain every paid hop would also wait for a block (about 12 s on Ethereum today, 15-20 s in the thesis).',
      `CPU time comes from /proc/<pid>/stat (resolution 1/${clockTicksPerSecond()} s per process and run); the load generator's from process.cpuUsage().`,
    ],
  };
  result.comparison = compare(result);
  result.goals = goals(result);
  mkdirSync(plan.outDir, { recursive: true });
  const files = writeReports(result, plan.outDir);
  console.log(`\ndone in ${formatDuration(result.durationSeconds)}:`);
  for (const g of result.goals)
    console.log(
      `  ${g.met === null ? '?' : g.met ? 'met ' : 'MISSED'}  ${g.name}: ${g.value === null ? 'n/a' : g.value} (target ${g.target})`,
    );
  for (const m of modes) for (const e of m.errors) console.log(`  ${m.mode}: ${e}`);
  for (const f of files) console.log(`  ${path.relative(process.cwd(), f)}`);
  const openFailed = plan.quick ? quickOpenPass(plan.outDir) : false;
  process.exit(failedModes > 0 || openFailed ? 1 : 0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
