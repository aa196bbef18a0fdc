/**
 * One mode's network through a benchmark run: started and warmed up, paused (SIGSTOP) while other modes are
 * measured, resumed to measure a load shape, and at the end torn down on chain (claims, closes) and stopped.
 * Pausing the idle networks lets the modes take turns shape by shape, so that whatever else the machine does
 * meanwhile falls on every mode alike, and an idle network's timers cost the measured one nothing.
 */
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { startNetwork, type Network, type NetworkProcess } from '../network';
import { startNaiveNetwork, type NaiveNetwork } from './naive';
import { runLoad } from './load';
import { cpuDelta, cpuSnapshot, machineCpu, machineLoad } from './cpu';
import { advanceTime, blockNumber, collectTransactions, costByOperation, REFERENCE_GAS_PRICE_WEI } from './gas';
import { scrapeMetrics, verifyBetween, type PaymentServerMetrics } from './metrics';
import { boxStats, round, sortedCopy, summarize } from './stats';
import type { Progress } from './progress';
import type { Plan } from './plan';
import { isChannelMode, networkOf, PREPAID_CALLS_PER_VOUCHER } from './modes';
import { MODE_LABELS, type BenchMode, type ChainCost, type ModeResult, type ShapeResult, type ShapeSpec } from './types';
import type { ChannelStatus } from '@chanpay/service-public';

/** Complaint about a sampled `/action` body, or null. */
function actionCheck(paid: boolean) {
  return (body: string): string | null => {
    try {
      const b = JSON.parse(body) as { number?: unknown; receipts?: { randomNumber: unknown; persistence: unknown } };
      if (typeof b.number !== 'number') return `no number in ${body.slice(0, 120)}`;
      if (paid && !(b.receipts?.randomNumber && b.receipts?.persistence))
        return `a paid action without both receipts: ${body.slice(0, 200)}`;
      return null;
    } catch {
      return `not JSON: ${body.slice(0, 120)}`;
    }
  };
}

/** What the public service's `/status` counted per provider: calls paid (with a receipt), calls paid ahead and not made. */
interface ConsumerCounts {
  calls: Record<string, number>;
  prepaidCallsLeft: Record<string, number>;
  unusedSignedWei: Record<string, string>;
}

/**
 * Wei the consumer signed beyond the calls it was served and the tickets it still holds. Vouchers are
 * cumulative, so a claim of the latest one pays this to the provider for nothing: the ranges of refused
 * vouchers and of dropped or forgotten blocks (vouchers kept for reuse count here too). Zero when every signed
 * wei bought a call or a ticket.
 */
function unusedSignedWei(c: ChannelStatus | undefined): bigint {
  if (!c || c.calls === 0) return 0n;
  const price = BigInt(c.paid) / BigInt(c.calls);
  return BigInt(c.signed) - BigInt(c.paid) - BigInt(c.prepaidCalls) * price;
}

const pidsOf = (processes: NetworkProcess[]) => Object.fromEntries(processes.map((p) => [p.name, p.child.pid]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function getJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export class ModeRun {
  readonly shapes: ShapeResult[] = [];
  readonly errors: string[] = [];
  readonly notes: string[] = [];
  actionsServed = 0;
  private paused = false;
  private readonly check: (body: string) => string | null;

  private constructor(
    readonly mode: BenchMode,
    readonly startupMs: number,
    private readonly net: Network | null,
    private readonly naive: NaiveNetwork | null,
    private readonly plan: Plan,
    private readonly profileDir: string | null,
  ) {
    this.check = actionCheck(isChannelMode(mode));
  }

  /** Starts the mode's network (a second try with fresh ports if the first fails: a free port can be taken in between). */
  static async start(mode: BenchMode, plan: Plan, dataDir: string, progress: Progress): Promise<ModeRun> {
    const profileDir = plan.profile ? path.join(plan.outDir, 'profiles', mode) : null;
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    const env: Record<string, string> = profileDir
      ? { NODE_OPTIONS: `--require ${path.join(__dirname, 'cpu-profile-preload.cjs')}`, CHANPAY_CPU_PROFILE_DIR: profileDir }
      : {};
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        if (mode === 'naive') {
          const naive = await startNaiveNetwork({ dataDir, verbose: plan.verbose, env });
          return new ModeRun(mode, Date.now() - started, null, naive, plan, profileDir);
        }
        const network = networkOf(mode);
        const net = await startNetwork({
          mode: network.mode,
          freePorts: true,
          dataDir,
          chainProcess: true,
          verbose: plan.verbose,
          // Small deposits so that the consumer tops its channels up during the run (and the top-ups get measured).
          env: { ...env, ...network.env, DEPOSIT_WEI: plan.depositWei.toString() },
        });
        return new ModeRun(mode, Date.now() - started, net, null, plan, profileDir);
      } catch (e) {
        if (attempt >= 2) throw e;
        progress.note(`${mode}: the network did not start (${(e as Error).message.split('\n')[0]}); trying again`);
      }
    }
  }

  get processes(): NetworkProcess[] {
    return this.net ? this.net.processes : this.naive!.processes;
  }

  private get publicUrl(): string {
    return this.net ? this.net.urls.public! : this.naive!.urls.public;
  }

  /**
   * Stops every process of the network in place (SIGSTOP): it costs no CPU until `resume`. Waits a moment first,
   * so that the providers store their last vouchers (a flush every 100 ms) and nothing is left half done.
   */
  async pause(): Promise<void> {
    if (this.paused) return;
    await sleep(300);
    for (const p of this.processes) if (p.child.exitCode === null) p.child.kill('SIGSTOP');
    this.paused = true;
  }

  async resume(): Promise<void> {
    if (!this.paused) return;
    for (const p of this.processes) if (p.child.exitCode === null) p.child.kill('SIGCONT');
    this.paused = false;
    // Timers that fell due while stopped (watchers, flushes) run first, not inside the measurement.
    await sleep(300);
  }

  /** Unmeasured calls until the JIT has settled; returns how many were served. */
  async warmUp(): Promise<number> {
    const w = this.mode === 'naive' ? { concurrency: 1, requests: 3 } : this.plan.warmup;
    const warm = await runLoad({ url: `${this.publicUrl}/action`, ...w, maxDurationMs: 120_000 });
    this.actionsServed += warm.ok;
    if (warm.failed > 0)
      this.errors.push(
        `warm-up: ${warm.failed} failed: ${JSON.stringify({ ...warm.statuses, ...warm.errors })} ${warm.checkFailures.join(' | ')}`,
      );
    return warm.ok;
  }

  private async scrape(): Promise<{ ps1: PaymentServerMetrics; ps2: PaymentServerMetrics } | null> {
    const net = this.net;
    if (this.mode !== 'remote' || !net?.tokens) return null;
    return {
      ps1: await scrapeMetrics(net.urls.paymentServer1!, net.tokens.paymentServer1),
      ps2: await scrapeMetrics(net.urls.paymentServer2!, net.tokens.paymentServer2),
    };
  }

  /** One load shape against `/action`, with the CPU of every process and the machine around it. */
  async measure(spec: ShapeSpec, progress: Progress): Promise<ShapeResult> {
    if (this.mode !== 'naive') {
      // Keep-alive connections idle while the network was paused (the services close them after 5 s) are made
      // again here, at the shape's concurrency, not inside the measurement.
      const rewarm = await runLoad({
        url: `${this.publicUrl}/action`,
        concurrency: spec.concurrency,
        requests: Math.min(200, spec.concurrency * 10),
        maxDurationMs: 10_000,
      });
      this.actionsServed += rewarm.ok;
      if (rewarm.failed > 0)
        this.errors.push(
          `re-warm before ${spec.name}: ${rewarm.failed} failed: ${JSON.stringify({ ...rewarm.statuses, ...rewarm.errors })}`,
        );
    }
    const m0 = await this.scrape();
    const c0 = cpuSnapshot(pidsOf(this.processes));
    const mc0 = machineCpu();
    const load = await runLoad({
      url: `${this.publicUrl}/action`,
      concurrency: spec.concurrency,
      requests: spec.requests,
      durationMs: spec.durationMs,
      maxDurationMs: 5 * 60_000,
      check: this.check,
      onTick: (done, ms) => progress.live(`${this.mode} ${spec.name}: ${done} requests, ${(ms / 1000).toFixed(0)} s`),
    });
    const mc1 = machineCpu();
    const c1 = cpuSnapshot(pidsOf(this.processes));
    const m1 = await this.scrape();
    progress.clearLive();
    const sorted = sortedCopy(load.latenciesMs);
    const cpuSeconds = cpuDelta(c0, c1);
    const cpu: ShapeResult['cpu'] = {};
    let total = 0;
    for (const [name, seconds] of Object.entries(cpuSeconds)) {
      const msPerRequest = seconds === null || load.ok === 0 ? null : (seconds * 1000) / load.ok;
      cpu[name] = {
        seconds: seconds === null ? null : round(seconds, 3),
        msPerRequest: msPerRequest === null ? null : round(msPerRequest, 4),
      };
      total += msPerRequest ?? 0;
    }
    const ours = Object.values(cpuSeconds).reduce<number>((a, x) => a + (x ?? 0), 0);
    const s = summarize(sorted);
    const b = boxStats(sorted);
    const result: ShapeResult = {
      shape: spec,
      ok: load.ok,
      failed: load.failed,
      statuses: load.statuses,
      errors: load.errors,
      checkFailures: load.checkFailures,
      elapsedMs: round(load.elapsedMs, 1),
      requestsPerSecond: round(load.ok / (load.elapsedMs / 1000), 2),
      latency: {
        count: s.count,
        meanMs: round(s.meanMs),
        minMs: round(s.minMs),
        percentilesMs: Object.fromEntries(Object.entries(s.percentilesMs).map(([k, v]) => [k, round(v)])) as typeof s.percentilesMs,
      },
      box: {
        ...b,
        q1: round(b.q1),
        median: round(b.median),
        q3: round(b.q3),
        whiskerLow: round(b.whiskerLow),
        whiskerHigh: round(b.whiskerHigh),
        outliers: b.outliers.map((x) => round(x)),
      },
      cpu,
      cpuMsPerRequestTotal: round(total, 4),
      machine: machineLoad(mc0, mc1, load.elapsedMs / 1000, ours),
      ...(m0 && m1
        ? {
            remote: {
              verify: (({ count, meanUs, cumulativeShare }) => ({
                count,
                meanUs: round(meanUs, 1),
                cumulativeShare: cumulativeShare.map((c) => ({ ...c, share: round(c.share, 4) })),
              }))(verifyBetween(m0.ps1, m1.ps1)),
              vouchersSigned: m1.ps2.vouchersSigned - m0.ps2.vouchersSigned,
            },
          }
        : {}),
    };
    this.shapes.push(result);
    this.actionsServed += result.ok;
    if (result.failed > 0)
      this.errors.push(`${spec.name}: ${result.failed} failed: ${JSON.stringify({ ...result.statuses, ...result.errors })}`);
    if (result.checkFailures.length) this.errors.push(`${spec.name}: ${result.checkFailures.slice(0, 3).join(' | ')}`);
    return result;
  }

  /**
   * Outside the measured runs: claims, a provider's close, the consumer's close and its withdrawal after the
   * challenge period (the chain's clock moved on), so that every kind of channel transaction gets measured; then
   * the cost of every transaction on the mode's chain.
   */
  async finish(): Promise<ModeResult> {
    await this.resume();
    const actionsBeforeTeardown = this.actionsServed;
    let consumer: ConsumerCounts | null = null;
    let chain: ChainCost | null = null;
    if (this.net?.urls.chain) {
      consumer = await this.channelTeardown(this.net);
      chain = await chainCost(this.net.urls.chain, this.net.contract, this.actionsServed * 2);
    } else if (this.naive) {
      chain = await chainCost(this.naive.urls.chain, null, this.actionsServed * 2);
    }
    return {
      mode: this.mode,
      label: MODE_LABELS[this.mode],
      startupMs: this.startupMs,
      processes: this.processes.map((p) => ({ name: p.name, pid: p.child.pid ?? null })),
      paidHopsPerAction: this.mode === 'off' ? 0 : 2,
      ...(this.mode === 'prepaid' ? { prepayCalls: PREPAID_CALLS_PER_VOUCHER } : {}),
      shapes: this.shapes,
      chain,
      accounting: {
        actionsServed: this.actionsServed,
        actionsBeforeTeardown,
        consumerCalls: consumer?.calls ?? null,
        ...(consumer ? { prepaidCallsLeft: consumer.prepaidCallsLeft, unusedSignedWei: consumer.unusedSignedWei } : {}),
        notes: this.notes,
      },
      errors: this.errors,
    };
  }

  private async channelTeardown(net: Network): Promise<ConsumerCounts> {
    const u = net.urls;
    const status = await getJson<{ channels: ChannelStatus[] }>(`${u.public}/status`);
    const byProvider = (addr: string | undefined) => status.channels.find((c) => c.provider.toLowerCase() === addr);
    const rn = byProvider(net.addresses?.randomNumber);
    const ps = byProvider(net.addresses?.persistence);
    const counts: ConsumerCounts = {
      calls: { 'random-number': rn?.calls ?? 0, persistence: ps?.calls ?? 0 },
      prepaidCallsLeft: { 'random-number': rn?.prepaidCalls ?? 0, persistence: ps?.prepaidCalls ?? 0 },
      unusedSignedWei: { 'random-number': unusedSignedWei(rn).toString(), persistence: unusedSignedWei(ps).toString() },
    };
    for (const [name, wei] of Object.entries(counts.unusedSignedWei)) {
      if (wei !== '0')
        this.notes.push(
          `the consumer signed ${wei} wei to ${name} beyond the calls it was served and the tickets it holds (refused vouchers, dropped blocks: paid for nothing once claimed)`,
        );
    }
    await getJson(`${u.randomNumber}/redeem`);
    await getJson(`${u.persistence}/redeem`);
    // A few more paid calls, so that the provider's close below has a voucher to claim (with prepaid tickets, a
    // block's worth more: the calls of a block already paid for bring no new voucher).
    const moreCalls = 5 + (this.mode === 'prepaid' ? PREPAID_CALLS_PER_VOUCHER : 0);
    const more = await runLoad({ url: `${u.public}/action`, concurrency: 1, requests: moreCalls, maxDurationMs: 60_000 });
    this.actionsServed += more.ok;
    await sleep(500);
    const auth = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    if (rn && net.tokens) {
      await getJson(`${u.paymentServer1}/channels/${rn.id}/close`, {
        method: 'POST',
        headers: auth(net.tokens.paymentServer1),
        body: '{}',
      }).catch((e: Error) => this.notes.push(`provider close of the random-number channel failed: ${e.message}`));
    }
    const terminated = await getJson<{ channels: { channelId: string; error?: string }[] }>(`${u.public}/terminate`);
    for (const c of terminated.channels) if (c.error && c.channelId !== rn?.id) this.notes.push(`terminate ${c.channelId}: ${c.error}`);
    if (ps && net.tokens && u.chain) {
      await sleep(1000);
      await advanceTime(u.chain, 3600);
      await getJson(`${u.paymentServer2}/channels/${ps.id}/withdraw`, {
        method: 'POST',
        headers: auth(net.tokens.paymentServer2),
        body: '{}',
      }).catch((e: Error) => this.notes.push(`withdraw after the challenge period: ${e.message}`));
    }
    return counts;
  }

  /** Resumes (a stopped process would not see SIGTERM) and stops every process; names the CPU profiles. */
  async stop(): Promise<void> {
    const pids = this.processes.map((p) => [p.name, p.child.pid] as const);
    await this.resume();
    await (this.net ?? this.naive)!.stop();
    if (this.profileDir) nameProfiles(this.profileDir, pids);
  }
}

export async function chainCost(rpcUrl: string, contract: string | null, paidCalls: number): Promise<ChainCost> {
  const txs = await collectTransactions(rpcUrl, contract, 0, await blockNumber(rpcUrl));
  const operations = costByOperation(txs);
  const rest = operations.filter((o) => o.operation !== 'deploy');
  const sum = (key: 'gasUsed' | 'ether' | 'etherAtReference') => rest.reduce((a, o) => a + o[key], 0);
  const gasAll = txs.reduce((a, t) => a + t.gasUsed, 0n);
  const weiAll = txs.reduce((a, t) => a + t.gasUsed * t.effectiveGasPrice, 0n);
  const per = (x: number) => (paidCalls > 0 ? x / paidCalls : 0);
  return {
    operations,
    totalGas: sum('gasUsed'),
    totalEther: sum('ether'),
    totalEtherAtReference: sum('etherAtReference'),
    deployGas: operations.filter((o) => o.operation === 'deploy').reduce((a, o) => a + o.gasUsed, 0),
    paidCalls,
    perPaidCall: { gas: round(per(sum('gasUsed')), 1), ether: per(sum('ether')), etherAtReference: per(sum('etherAtReference')) },
    referenceGasPriceGwei: Number(REFERENCE_GAS_PRICE_WEI) / 1e9,
    meanEffectiveGasPriceGwei: gasAll > 0n ? round(Number(weiAll / gasAll) / 1e9, 3) : 0,
  };
}

/** The preload names profiles <pid>.cpuprofile: rename them after their process. */
function nameProfiles(dir: string, pids: (readonly [string, number | undefined])[]): void {
  if (!existsSync(dir)) return;
  for (const file of readdirSync(dir)) {
    const pid = Number(/^(\d+)\.cpuprofile$/.exec(file)?.[1]);
    const name = pids.find(([, p]) => p === pid)?.[0];
    if (name) renameSync(path.join(dir, file), path.join(dir, `${name}.cpuprofile`));
  }
}
