/**
 * One open-loop run at one rate against one or more entry URLs (the rate split evenly between them, each with
 * its own pool and its own seeded schedule), with what the generator itself cost: its CPU (process.cpuUsage)
 * and its event-loop delay (perf_hooks), so that a report can show whether the generator kept up.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { arrivals, type ArrivalKind } from './arrivals';
import { httpSender, type Sender } from './http-sender';
import { runOpenLoop, type OpenLoopResult } from './open-loop';

export interface GenerateOptions {
  urls: string[];
  /** Total requests per second over all URLs. */
  rate: number;
  durationMs: number;
  /** Connections per URL. */
  connections: number;
  arrivals: ArrivalKind;
  seed?: number;
  /** Outstanding requests at most, per URL. */
  maxInFlight?: number;
  lateMs?: number;
  timeoutMs?: number;
  check?: (body: string) => string | null;
  onTick?: (sent: number, elapsedMs: number) => void;
  /** How each URL's requests are sent; default a plain GET over an undici pool (http-sender.ts). */
  makeSender?: (url: string, connections: number) => Sender;
  /** Let the default sender go to hosts other than 127.0.0.1 (`--target`: a network deployed elsewhere). */
  anyHost?: boolean;
}

export interface GeneratorCost {
  cpuSeconds: number;
  /** CPU over the run's elapsed time, in cores. */
  cores: number;
  /** Event-loop lag: how late a 10 ms timer fired, p99 and max over the run. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

export interface GenerateResult extends OpenLoopResult {
  generator: GeneratorCost;
}

export const DEFAULT_MAX_IN_FLIGHT = 4096;

/** monitorEventLoopDelay records the time between ticks of a timer of this period: the lag is the excess. */
const EVENT_LOOP_RESOLUTION_MS = 10;
const lagMs = (ns: number) => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - EVENT_LOOP_RESOLUTION_MS) : 0);

/** Adds `b`'s counts into `a` (histograms merged); `a` is returned. */
function merge(a: OpenLoopResult, b: OpenLoopResult): OpenLoopResult {
  for (const k of ['scheduled', 'sent', 'ok', 'failed', 'late', 'dropped', 'abandoned', 'maxInFlightSeen', 'achievedRate'] as const)
    a[k] += b[k];
  for (const [k, v] of Object.entries(b.statuses)) a.statuses[k] = (a.statuses[k] ?? 0) + v;
  for (const [k, v] of Object.entries(b.errors)) a.errors[k] = (a.errors[k] ?? 0) + v;
  a.checkFailures.push(...b.checkFailures.slice(0, 20 - a.checkFailures.length));
  a.elapsedMs = Math.max(a.elapsedMs, b.elapsedMs);
  for (const h of ['latency', 'serviceTime', 'sendLag'] as const) {
    a[h].add(b[h]);
    b[h].destroy();
  }
  return a;
}

export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  if (opts.urls.length === 0) throw new Error('no URL to load');
  const senders = opts.urls.map((url) =>
    opts.makeSender
      ? opts.makeSender(url, opts.connections)
      : httpSender({ url, connections: opts.connections, timeoutMs: opts.timeoutMs, anyHost: opts.anyHost }),
  );
  const delay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  delay.enable();
  try {
    const runs = await Promise.all(
      senders.map((sender, k) =>
        runOpenLoop({
          schedule: arrivals({ kind: opts.arrivals, rate: opts.rate / senders.length, seed: (opts.seed ?? 1) + k }),
          durationMs: opts.durationMs,
          maxInFlight: opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
          lateMs: opts.lateMs,
          send: (_i, wantBody) => sender.send(wantBody),
          check: opts.check,
          onTick: k === 0 ? opts.onTick : undefined,
        }),
      ),
    );
    delay.disable();
    const elapsedS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const total = runs.slice(1).reduce(merge, runs[0]!);
    return {
      ...total,
      generator: {
        cpuSeconds,
        cores: cpuSeconds / elapsedS,
        eventLoopDelayP99Ms: lagMs(delay.percentile(99)),
        eventLoopDelayMaxMs: lagMs(delay.max),
      },
    };
  } finally {
    delay.disable();
    await Promise.all(senders.map((s) => s.close()));
  }
}
