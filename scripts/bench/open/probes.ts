/**
 * What the benchmark reads from the processes under test around a measured window: CPU seconds (/proc, see
 * ../cpu.ts), resident memory sampled from /proc/<pid>/status every 200 ms (the window's peak), and each Node
 * process's event-loop delay from the preload (../process-probe-preload.cjs), asked for with SIGUSR2.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { processCpuSeconds } from '../cpu';

export const PROBE_PRELOAD = path.join(__dirname, '..', 'process-probe-preload.cjs');

/** The environment that makes every child load the probe, writing to `dir`. */
export function probeEnv(dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const inherited = process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ` : '';
  return { NODE_OPTIONS: `${inherited}--require ${PROBE_PRELOAD}`, CHANPAY_PROBE_DIR: dir };
}

interface ProbeReport {
  pid: number;
  seq: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number; mean: number };
  rssBytes: number;
  maxRssKb: number;
}

function readReport(dir: string, pid: number): ProbeReport | null {
  const file = path.join(dir, `${pid}.json`);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ProbeReport;
  } catch {
    return null;
  }
}

/** Resident set size of a process in bytes, or null. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export interface ComponentWindow {
  cpuSeconds: number | null;
  maxRssBytes: number | null;
  /** Node processes with the probe loaded; null otherwise. */
  eventLoopDelayP99Ms: number | null;
  eventLoopDelayMaxMs: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A measured window over a set of processes: `start()` before the load, `stop()` after it. */
export class ProbeWindow {
  private cpu0 = new Map<string, number | null>();
  private maxRss = new Map<string, number | null>();
  private seq0 = new Map<string, number>();
  private sampler: NodeJS.Timeout | null = null;

  constructor(
    private readonly pids: Record<string, number | undefined>,
    private readonly dir: string,
  ) {}

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      const rss = pid === undefined ? null : rssBytes(pid);
      const prev = this.maxRss.get(name) ?? null;
      this.maxRss.set(name, rss === null ? prev : Math.max(prev ?? 0, rss));
    }
  }

  /** Resets every probe (SIGUSR2), waits for the answers, then reads the CPU counters. */
  async start(): Promise<void> {
    const before = this.seqs();
    this.signalAll();
    await this.waitForReports(before);
    this.seq0 = this.seqs();
    for (const [name, pid] of Object.entries(this.pids)) this.cpu0.set(name, pid === undefined ? null : processCpuSeconds(pid));
    this.maxRss.clear();
    this.sample();
    this.sampler = setInterval(() => this.sample(), 200);
  }

  async stop(): Promise<Record<string, ComponentWindow>> {
    if (this.sampler) clearInterval(this.sampler);
    this.sample();
    const cpu1 = new Map(Object.entries(this.pids).map(([name, pid]) => [name, pid === undefined ? null : processCpuSeconds(pid)]));
    this.signalAll();
    await this.waitForReports(this.seq0);
    const out: Record<string, ComponentWindow> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const r = pid === undefined ? null : readReport(this.dir, pid);
      const fresh = r !== null && r.seq > (this.seq0.get(name) ?? 0);
      const a = this.cpu0.get(name) ?? null;
      const b = cpu1.get(name) ?? null;
      out[name] = {
        cpuSeconds: a === null || b === null ? null : b - a,
        maxRssBytes: this.maxRss.get(name) ?? null,
        eventLoopDelayP99Ms: fresh ? r.eventLoopDelayMs.p99 : null,
        eventLoopDelayMaxMs: fresh ? r.eventLoopDelayMs.max : null,
      };
    }
    return out;
  }

  /** The last report's sequence number per probed process (-1: no probe there). */
  private seqs(): Map<string, number> {
    return new Map(
      Object.entries(this.pids).map(([name, pid]) => [name, (pid !== undefined ? readReport(this.dir, pid)?.seq : undefined) ?? -1]),
    );
  }

  /** SIGUSR2 to each process whose probe announced itself: to any other it would be fatal (the default action). */
  private signalAll(): void {
    for (const pid of Object.values(this.pids)) {
      if (pid === undefined || readReport(this.dir, pid) === null) continue;
      try {
        process.kill(pid, 'SIGUSR2');
      } catch {
        /* gone: its figures are null */
      }
    }
  }

  /** Until every probed process wrote a report newer than `after` (at most 3 s). */
  private async waitForReports(after: Map<string, number>): Promise<void> {
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const pending = Object.entries(this.pids).filter(([name, pid]) => {
        const seq = pid === undefined ? undefined : readReport(this.dir, pid)?.seq;
        return seq !== undefined && seq <= (after.get(name) ?? -1);
      });
      if (pending.length === 0) return;
      await sleep(20);
    }
  }
}
