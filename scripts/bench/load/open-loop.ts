/**
 * The open-loop scheduler: requests are released at the times the arrival process says, whether or not the
 * earlier ones have been answered, and each is timed from its *scheduled* send time (coordinated omission
 * corrected, as wrk2 does): when the generator or the server falls behind, the wait counts in the latency
 * instead of silently thinning the load.
 *
 * Rules, stated once:
 * - A request is due at `start + offset`; a timer wakes the scheduler and it sends every request already due,
 *   in order. It never sends early.
 * - **Late**: sent more than `lateMs` (default 2 ms) after it was due. Node's timers have a 1 ms grain, so a
 *   send routinely lags its due time by up to about a millisecond; twice that means the generator's own event loop
 *   fell behind. A late send's lag is still part of its latency; "late" says whether the schedule was kept.
 * - **Dropped**: due while `maxInFlight` requests were already outstanding: not sent, counted, not in the
 *   histograms (a run that drops is overloaded by definition, and the report says so).
 * - `latency` = answer − due time (corrected); `serviceTime` = answer − actual send (what a closed-loop tool
 *   would see); `sendLag` = actual send − due time.
 * - Only 2xx answers go into the histograms; the rest are counted by status or error.
 * - The achieved rate is the requests sent divided by the scheduled duration.
 */
import type { Clock } from './clock';
import { realClock } from './clock';
import { LatencyHistogram } from './histogram';
import type { SendOutcome } from './http-sender';

export interface OpenLoopOptions {
  /** Due offsets in ms from the start, non-decreasing (see arrivals.ts). */
  schedule: Iterator<number>;
  /** Requests due before this many ms are sent; the run then waits for the outstanding ones. */
  durationMs: number;
  /** Outstanding requests at most; a request due beyond that is dropped. */
  maxInFlight: number;
  lateMs?: number;
  /** Sends the i-th request; never rejects (a transport error is status 0). */
  send: (i: number, wantBody: boolean) => Promise<SendOutcome>;
  /** Checks every `checkEvery`-th 2xx body; returns a complaint or null. */
  check?: (body: string) => string | null;
  checkEvery?: number;
  /** Give up on outstanding requests this long after the schedule ends (they count as errors); default 30 s. */
  drainTimeoutMs?: number;
  clock?: Clock;
  /** Called about once a second with the requests sent so far. */
  onTick?: (sent: number, elapsedMs: number) => void;
}

export interface OpenLoopResult {
  scheduled: number;
  sent: number;
  ok: number;
  failed: number;
  late: number;
  dropped: number;
  /** Requests still unanswered when the drain timed out (also in `failed`). */
  abandoned: number;
  maxInFlightSeen: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  checkFailures: string[];
  durationMs: number;
  /** From the start to the last answer. */
  elapsedMs: number;
  /** Sent per second of the scheduled duration. */
  achievedRate: number;
  latency: LatencyHistogram;
  serviceTime: LatencyHistogram;
  sendLag: LatencyHistogram;
}

export function runOpenLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const clock = opts.clock ?? realClock;
  const lateMs = opts.lateMs ?? 2;
  const checkEvery = opts.checkEvery ?? 100;
  const drainTimeoutMs = opts.drainTimeoutMs ?? 30_000;
  if (!(opts.durationMs > 0)) throw new Error('durationMs must be positive');
  if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1) throw new Error('maxInFlight must be a positive integer');

  const r: OpenLoopResult = {
    scheduled: 0,
    sent: 0,
    ok: 0,
    failed: 0,
    late: 0,
    dropped: 0,
    abandoned: 0,
    maxInFlightSeen: 0,
    statuses: {},
    errors: {},
    checkFailures: [],
    durationMs: opts.durationMs,
    elapsedMs: 0,
    achievedRate: 0,
    latency: new LatencyHistogram(),
    serviceTime: new LatencyHistogram(),
    sendLag: new LatencyHistogram(),
  };
  const start = clock.now();
  let inFlight = 0;
  let scheduling = true;
  let settled = false;
  let lastTick = start;
  let next = opts.schedule.next();
  let cancelDrain: (() => void) | null = null;

  return new Promise<OpenLoopResult>((resolve) => {
    const finish = () => {
      if (settled) return;
      settled = true;
      cancelDrain?.();
      r.abandoned = inFlight;
      r.failed += inFlight;
      if (inFlight > 0) r.errors['no answer before the drain timeout'] = inFlight;
      r.achievedRate = r.sent / (opts.durationMs / 1000);
      if (r.elapsedMs === 0) r.elapsedMs = clock.now() - start;
      resolve(r);
    };
    const maybeDone = () => {
      if (!scheduling && inFlight === 0) finish();
    };

    const fire = (i: number, dueAt: number) => {
      r.scheduled++;
      if (inFlight >= opts.maxInFlight) {
        r.dropped++;
        return;
      }
      const sentAt = clock.now();
      const lag = sentAt - dueAt;
      if (lag > lateMs) r.late++;
      r.sendLag.record(Math.max(0, lag));
      inFlight++;
      r.sent++;
      if (inFlight > r.maxInFlightSeen) r.maxInFlightSeen = inFlight;
      const wantBody = opts.check !== undefined && i % checkEvery === 0;
      void opts.send(i, wantBody).then((o) => {
        if (settled) return;
        const doneAt = clock.now();
        inFlight--;
        r.elapsedMs = doneAt - start;
        r.statuses[o.status] = (r.statuses[o.status] ?? 0) + 1;
        if (o.status >= 200 && o.status < 300) {
          r.ok++;
          r.latency.record(doneAt - dueAt);
          r.serviceTime.record(doneAt - sentAt);
          const complaint = wantBody && o.body !== undefined ? opts.check!(o.body) : null;
          if (complaint && r.checkFailures.length < 20) r.checkFailures.push(complaint);
        } else {
          r.failed++;
          if (o.status === 0) {
            const msg = o.error ?? 'transport error';
            r.errors[msg] = (r.errors[msg] ?? 0) + 1;
          } else if (r.checkFailures.length < 20) r.checkFailures.push(`HTTP ${o.status}: ${(o.body ?? '').slice(0, 200)}`);
        }
        maybeDone();
      });
    };

    let index = 0;
    const tick = () => {
      const now = clock.now();
      while (!next.done && next.value < opts.durationMs && start + next.value <= now) {
        fire(index++, start + next.value);
        next = opts.schedule.next();
      }
      if (opts.onTick && now - lastTick >= 1000) {
        lastTick = now;
        opts.onTick(r.sent, now - start);
      }
      if (next.done || next.value >= opts.durationMs) {
        scheduling = false;
        cancelDrain = clock.after(drainTimeoutMs, finish);
        maybeDone();
        return;
      }
      clock.after(Math.max(0, start + next.value - clock.now()), tick);
    };
    tick();
  });
}
