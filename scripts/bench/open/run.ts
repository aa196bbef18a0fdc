/**
 * `npm run bench -- open|sweep …`: open-loop load on any topology, every payment mode, each point repeated on
 * fresh networks; writes result.json, the CSVs, one HDR log per run and report.html into the results folder.
 * The networks of one repetition take turns mode by mode, so that whatever else the machine does falls on every
 * mode alike.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeEnvironment } from '../environment';
import { formatDuration, Progress, type Step } from '../progress';
import { maxSustainable, perHop, summarizePoints, DEFAULT_LATE_PERCENT } from './aggregate';
import { liveNetworks, runCell } from './cell';
import { csvFiles } from './csv';
import { makeOpenPlan, type OpenPlan } from './plan';
import { openReportHtml, openReportMarkdown } from './report';
import { runTarget, TARGET_CPU_NOTE } from './target';
import { PEER_MODES } from './modes';
import type { NetworkRecord, OpenBenchResult, RunRecord, TargetRecord, TraceSplitRecord } from './types';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function steps(plan: OpenPlan): Step[] {
  if (plan.target) return plan.points.map(() => ({ label: 'point', estimateSeconds: () => plan.settings.durationSeconds + 1 }));
  const perCell = () => 12 + plan.settings.warmupSeconds + plan.points.length * (plan.settings.durationSeconds + 1.5);
  const split = plan.settings.traceSplitSeconds;
  const traced = () => (split === null ? 0 : 12 + Math.max(1, plan.settings.warmupSeconds) + split);
  const out: Step[] = [];
  for (let r = 0; r < plan.repetitions; r++)
    for (const _t of plan.topologies)
      for (const m of plan.modes) out.push({ label: 'cell', estimateSeconds: () => perCell() + (PEER_MODES.includes(m) ? 0 : traced()) });
  return out;
}

function notes(plan: OpenPlan): string[] {
  if (plan.target)
    return [
      `Open loop against ${plan.target.url}, a network deployed elsewhere, from this machine (${plan.settings.arrivals} arrivals, timed from the scheduled send time, coordinated omission corrected; a send more than ${plan.settings.lateMs} ms late counts as late; one due while ${plan.settings.maxInFlight} are outstanding is dropped). Nothing was started; warm-up ${plan.settings.warmupSeconds} s unmeasured.`,
      TARGET_CPU_NOTE,
      plan.target.chainUrl
        ? "Gas and ether: every transaction mined on the given chain from the first measured point to the end of the last, divided by the requests served (a remote network does not say how many paid calls each request made; on a shared chain others' transactions count too)."
        : 'No --chain-url: gas and ether not read.',
      'No added latency: the baseline (the same network without payment) is not run here; deploy it with --no-payment and run --target at it too.',
    ];
  return [
    `Open loop: requests are released on a ${plan.settings.arrivals} schedule whatever the answers, and each is timed from its scheduled send time (coordinated omission corrected, as wrk2 does); a send more than ${plan.settings.lateMs} ms after its due time counts as late, a request due while ${plan.settings.maxInFlight} are outstanding per entry is dropped (not sent, not in the histograms).`,
    'Added latency = mode − baseline (no payment), per percentile, from the runs of the same repetition and load point paired in order.',
    `Every network is fresh (new chain, stores and processes), warmed up for ${plan.settings.warmupSeconds} s, then measured point by point; the load generator runs in the benchmark process on the same cores as the network.`,
    'CPU per process from /proc/<pid>/stat (resolution 1/100 s); the load generator from process.cpuUsage.',
    "Gas per paid call: every transaction on the network's chain but the deployment (channel opens, top-ups) ÷ the paid calls it served; claims and closes are measured by the closed-loop `npm run bench`.",
    ...(plan.modes.includes('traced-off')
      ? [
          'traced-off: the baseline with every process tracing each span to a JSON-lines file (CHANPAY_TRACE_FILE, the SDK started, one synchronous append per span); its added latency is what tracing costs, apart from payment.',
        ]
      : []),
    ...(plan.settings.traceSplitSeconds !== null
      ? [
          `Per-hop split (--trace-split ${plan.settings.traceSplitSeconds}): after each cell of our modes, a traced pass on a fresh network of the same mode (warm-up, then ${plan.settings.traceSplitSeconds} s at the lowest rate), its spans split per hop; the measured points are untraced (traced-off excepted).`,
        ]
      : []),
  ];
}

async function main(): Promise<void> {
  const plan = makeOpenPlan(process.argv.slice(2));
  const environment = describeEnvironment();
  const startedAt = new Date();
  const progress = new Progress(steps(plan));
  const dataRoot = path.join(ROOT, 'data', `bench-open-${process.pid}`);
  mkdirSync(plan.outDir, { recursive: true });
  const onSignal = () => {
    console.log('\ninterrupted: stopping the networks…');
    void Promise.allSettled([...liveNetworks].map((n) => n.stop())).finally(() => {
      rmSync(dataRoot, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  console.log(
    `chanpay open-loop benchmark (${plan.kind}${plan.quick ? ', quick' : ''}): ${plan.topologies.join(', ')}; modes ${plan.modes.join(', ')}; ` +
      `points ${plan.points.map((p) => `${p.rate}/s×${p.connections}`).join(', ')}; ${plan.repetitions} repetition(s); ${environment.cores} cores, load average ${environment.loadAverageAtStart.join(' / ')}`,
  );
  const networks: NetworkRecord[] = [];
  const runs: RunRecord[] = [];
  const traceSplit: TraceSplitRecord[] = [];
  let failedCells = 0;
  let target: TargetRecord | undefined;
  if (plan.target) {
    const t = await runTarget(plan, plan.target, {
      onLive: (text) => progress.live(text),
      onPoint: (rec) => {
        progress.clearLive();
        progress.step(
          `${rec.load.rate} req/s c=${rec.load.connections}: achieved ${rec.achievedRate.toFixed(0)}/s, late ${rec.latePercent.toFixed(2)} %, dropped ${rec.dropped}, failed ${rec.failed}; p50 ${rec.latencyMs.p50.toFixed(2)} p99 ${rec.latencyMs.p99.toFixed(2)} max ${rec.latencyMs.max.toFixed(1)} ms`,
        );
      },
    });
    networks.push(t.network);
    runs.push(...t.runs);
    target = t.target;
    if (t.runs.some((x) => x.ok === 0)) failedCells++;
  } else
    try {
      for (let repetition = 1; repetition <= plan.repetitions; repetition++)
        for (const topology of plan.topologies)
          for (const mode of plan.modes) {
            const label = `${topology} ${mode} r${repetition}`;
            try {
              const cell = await runCell({
                topology,
                mode,
                repetition,
                points: plan.points,
                settings: plan.settings,
                outDir: plan.outDir,
                dataDir: path.join(dataRoot, `${mode}-${repetition}`),
                onLive: (t) => progress.live(t),
                onPoint: (p, rec) => {
                  if (!rec) return;
                  progress.clearLive();
                  progress.note(
                    `${label} ${p.rate} req/s c=${p.connections}: achieved ${rec.achievedRate.toFixed(0)}/s, late ${rec.latePercent.toFixed(2)} %, dropped ${rec.dropped}, failed ${rec.failed}; p50 ${rec.latencyMs.p50.toFixed(2)} p99 ${rec.latencyMs.p99.toFixed(2)} max ${rec.latencyMs.max.toFixed(1)} ms`,
                  );
                },
              });
              networks.push(cell.network);
              runs.push(...cell.runs);
              if (cell.traceSplit) traceSplit.push(cell.traceSplit);
              progress.step(
                `${label}: network up in ${formatDuration(cell.network.startupMs / 1000)}, ${cell.runs.length} point(s)${cell.network.errors.length ? `, ${cell.network.errors.length} error(s)` : ''}`,
              );
            } catch (e) {
              failedCells++;
              networks.push({
                topology,
                mode,
                repetition,
                startupMs: 0,
                processes: [],
                chain: null,
                errors: [`the network did not run: ${(e as Error).message.split('\n')[0]}`],
              });
              progress.step(`${label}: FAILED: ${(e as Error).message.split('\n')[0]}`);
            }
          }
    } finally {
      rmSync(dataRoot, { recursive: true, force: true });
    }
  const rule = { p99BoundMs: plan.p99BoundMs, latePercent: DEFAULT_LATE_PERCENT };
  const points = summarizePoints(runs, rule);
  const finishedAt = new Date();
  const result: OpenBenchResult = {
    schema: 'chanpay-bench-open/1',
    kind: plan.kind,
    quick: plan.quick,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    environment,
    loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
    settings: {
      topologies: plan.topologies,
      modes: plan.modes,
      points: plan.points,
      repetitions: plan.repetitions,
      durationSeconds: plan.settings.durationSeconds,
      warmupSeconds: plan.settings.warmupSeconds,
      arrivals: plan.settings.arrivals,
      seed: plan.settings.seed,
      lateMs: plan.settings.lateMs,
      maxInFlight: plan.settings.maxInFlight,
      p99BoundMs: plan.p99BoundMs,
      totalWork: plan.settings.totalWork,
      x402Chain: plan.settings.x402Chain,
      traceSplitSeconds: plan.settings.traceSplitSeconds,
      command: plan.command,
    },
    networks,
    runs,
    points,
    maxSustainable: maxSustainable(points),
    perHop: plan.kind === 'sweep-topology' ? perHop(points, runs) : [],
    ...(plan.settings.traceSplitSeconds !== null ? { traceSplit } : {}),
    ...(target ? { target } : {}),
    notes: notes(plan),
  };
  const written = ['result.json', 'report.html', 'results.md'].map((f) => path.join(plan.outDir, f));
  writeFileSync(written[0]!, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(written[1]!, openReportHtml(result));
  writeFileSync(written[2]!, openReportMarkdown(result));
  for (const [name, text] of Object.entries(csvFiles(result))) {
    writeFileSync(path.join(plan.outDir, name), text);
    written.push(path.join(plan.outDir, name));
  }
  console.log(`\ndone in ${formatDuration(result.durationSeconds)}:`);
  for (const m of result.maxSustainable)
    console.log(
      `  ${m.topology} ${m.mode} c=${m.connections}: max sustainable ${m.rate === null ? 'none of the rates tried' : `${m.rate} req/s`} (p99 ≤ ${plan.p99BoundMs} ms, < 1 % late)`,
    );
  for (const f of written) console.log(`  ${path.relative(process.cwd(), f)}`);
  console.log(`  ${path.relative(process.cwd(), path.join(plan.outDir, 'hdr'))}/ (${runs.length} HDR logs)`);
  process.exit(failedCells > 0 ? 1 : 0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
