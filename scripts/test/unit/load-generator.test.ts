/**
 * The open-loop load generator's parts: the arrival schedules, the HDR histogram wrapper, and the scheduler's
 * rules (coordinated-omission correction, late and dropped sends, the drain), the scheduler driven by a virtual
 * clock so that every figure is exact. One run over real HTTP checks that the counts add up. No timings asserted.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { arrivals, seededUniform } from '../../bench/load/arrivals';
import type { Clock } from '../../bench/load/clock';
import { generate } from '../../bench/load/generate';
import { hdrLog, LatencyHistogram } from '../../bench/load/histogram';
import type { SendOutcome } from '../../bench/load/http-sender';
import { runOpenLoop } from '../../bench/load/open-loop';

const take = (it: Iterator<number>, n: number) => Array.from({ length: n }, () => it.next().value as number);

describe('arrivals', () => {
  it('spaces constant arrivals exactly 1 / rate apart', () => {
    expect(take(arrivals({ kind: 'constant', rate: 4 }), 5)).toEqual([0, 250, 500, 750, 1000]);
    expect(take(arrivals({ kind: 'constant', rate: 3000 }), 3001)[3000]).toBeCloseTo(1000, 9);
  });

  it('draws Poisson arrivals from the seed: repeatable, exponential gaps of mean 1 / rate', () => {
    const a = take(arrivals({ kind: 'poisson', rate: 1000, seed: 7 }), 100_001);
    expect(take(arrivals({ kind: 'poisson', rate: 1000, seed: 7 }), 100_001)).toEqual(a);
    expect(take(arrivals({ kind: 'poisson', rate: 1000, seed: 8 }), 10)).not.toEqual(a.slice(0, 10));
    const gaps = a.slice(1).map((t, i) => t - a[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(0);
    const mean = gaps.reduce((x, y) => x + y, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((x, g) => x + (g - mean) ** 2, 0) / gaps.length);
    expect(mean).toBeGreaterThan(0.98);
    expect(mean).toBeLessThan(1.02);
    // An exponential distribution's standard deviation equals its mean; a constant one's is 0.
    expect(sd / mean).toBeGreaterThan(0.97);
    expect(sd / mean).toBeLessThan(1.03);
    // P(gap > mean) = 1/e.
    expect(gaps.filter((g) => g > mean).length / gaps.length).toBeCloseTo(Math.exp(-1), 2);
  });

  it('refuses a rate that is not a positive number', () => {
    for (const rate of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => arrivals({ kind: 'poisson', rate }).next()).toThrow(/rate/);
  });

  it('has a uniform generator in [0, 1)', () => {
    const u = seededUniform(1);
    const xs = Array.from({ length: 50_000 }, u);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(0.5, 2);
  });
});

describe('LatencyHistogram', () => {
  it('gives percentiles within its three significant digits, and the count, min, max and mean', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 10); // 0.1 … 100 ms
    const s = h.stats();
    expect(s.count).toBe(1000);
    const near = (value: number, expected: number) => expect(Math.abs(value - expected) / expected).toBeLessThan(0.001);
    near(s.p50, 50);
    near(s.p90, 90);
    near(s.p99, 99);
    near(s.p99_9, 99.9);
    near(s.maxMs, 100);
    near(s.minMs, 0.1);
    near(s.meanMs, 50.05);
    h.destroy();
  });

  it('merges, survives an encode/decode round trip, and is empty-safe', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.record(1);
    b.record(3);
    b.record(2);
    a.add(b);
    expect(a.count).toBe(3);
    const c = LatencyHistogram.decode(a.encode());
    // The encoding keeps the buckets, not the exact largest value: equal within the three significant digits.
    expect(c.count).toBe(3);
    for (const k of ['p50', 'p90', 'p99', 'maxMs', 'minMs'] as const)
      expect(Math.abs(c.stats()[k] - a.stats()[k])).toBeLessThanOrEqual(0.001 * a.stats()[k]);
    const empty = new LatencyHistogram().stats();
    expect(empty).toEqual({ count: 0, meanMs: 0, minMs: 0, p50: 0, p90: 0, p99: 0, p99_9: 0, maxMs: 0 });
  });

  it('clamps latencies beyond a minute and counts them', () => {
    const h = new LatencyHistogram();
    h.record(120_000);
    expect(h.clamped).toBe(1);
    expect(h.stats().maxMs).toBeCloseTo(60_000, -2);
  });

  it('writes a standard HDR interval log, one tagged line per histogram', () => {
    const h = new LatencyHistogram();
    h.record(2.5);
    const log = hdrLog([{ tag: 'off-1000rps', startMs: 1_700_000_000_000, endMs: 1_700_000_005_000, histogram: h }], 'a test');
    const lines = log.trim().split('\n');
    expect(lines[0]).toBe('#[Histogram log format version 1.3]');
    expect(lines).toContain('#a test');
    expect(lines.some((l) => l.startsWith('#[StartTime: 1700000000.000'))).toBe(true);
    expect(lines).toContain('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"');
    const data = lines.at(-1)!.split(',');
    expect(data[0]).toBe('Tag=off-1000rps');
    expect(Number(data[1])).toBe(0);
    expect(Number(data[2])).toBe(5);
    expect(Number(data[3])).toBeCloseTo(2.5, 2);
    expect(LatencyHistogram.decode(data[4]!).count).toBe(1);
  });
});

/** Virtual time: timers run in order of their due time, each after the promises it released have settled. */
class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  /** Every timer fires this many ms after it was due (a busy event loop). */
  constructor(private readonly timerLateMs = 0) {}
  now() {
    return this.t;
  }
  after(ms: number, fn: () => void, late = this.timerLateMs) {
    const timer = { at: this.t + Math.max(0, ms) + late, seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }
  /** A timer that is never late: the simulated server's answers. */
  exact(ms: number, fn: () => void) {
    return this.after(ms, fn, 0);
  }
  async run(): Promise<void> {
    for (let steps = 0; this.timers.length > 0 && steps < 100_000; steps++) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      this.t = next.at;
      next.fn();
      await new Promise((r) => setImmediate(r));
    }
  }
}

/** A server with one worker: requests wait in line, each takes `serviceMs`. */
function serialServer(clock: VirtualClock, serviceMs: number) {
  let freeAt = 0;
  return () =>
    new Promise<SendOutcome>((resolve) => {
      freeAt = Math.max(freeAt, clock.now()) + serviceMs;
      clock.exact(freeAt - clock.now(), () => resolve({ status: 200 }));
    });
}

describe('the open-loop scheduler', () => {
  it('times each request from its scheduled send (coordinated omission corrected)', async () => {
    // 10 requests due every 10 ms into a server that needs 25 ms each: request i is answered at 25 (i + 1).
    const clock = new VirtualClock();
    const done = runOpenLoop({
      schedule: arrivals({ kind: 'constant', rate: 100 }),
      durationMs: 100,
      maxInFlight: 100,
      send: serialServer(clock, 25),
      clock,
    });
    await clock.run();
    const r = await done;
    expect([r.scheduled, r.sent, r.ok, r.failed, r.late, r.dropped]).toEqual([10, 10, 10, 0, 0, 0]);
    const near = (value: number, expected: number) => expect(Math.abs(value - expected)).toBeLessThanOrEqual(expected * 0.001);
    // Latency of request i = 25 (i + 1) − 10 i = 15 i + 25: 25, 40, …, 160 ms. A closed-loop generator would
    // have waited for each answer and reported 25 ms throughout.
    const s = r.latency.stats();
    near(s.minMs, 25);
    near(s.p50, 85);
    near(s.p90, 145);
    near(s.maxMs, 160);
    // On time; the histogram's floor is 1 µs.
    expect(r.sendLag.stats().maxMs).toBe(0.001);
    expect(r.elapsedMs).toBe(250);
    expect(r.achievedRate).toBe(100);
    expect(r.statuses).toEqual({ 200: 10 });
  });

  it('counts sends more than lateMs after their due time as late, and still charges the lag', async () => {
    // Every wake-up comes 3 ms after it was due: request 0 goes at once, the other four 3 ms late.
    const clock = new VirtualClock(3);
    const done = runOpenLoop({
      schedule: arrivals({ kind: 'constant', rate: 100 }),
      durationMs: 50,
      maxInFlight: 100,
      lateMs: 2,
      send: serialServer(clock, 1),
      clock,
    });
    await clock.run();
    const r = await done;
    expect([r.scheduled, r.sent, r.late, r.dropped]).toEqual([5, 5, 4, 0]);
    expect(r.sendLag.stats().maxMs).toBeCloseTo(3, 2);
    expect(r.latency.stats().maxMs).toBeCloseTo(4, 2);
    expect(r.serviceTime.stats().maxMs).toBeCloseTo(1, 2);
  });

  it('drops what is due while maxInFlight requests are outstanding', async () => {
    const clock = new VirtualClock();
    const done = runOpenLoop({
      schedule: arrivals({ kind: 'constant', rate: 100 }),
      durationMs: 50,
      maxInFlight: 2,
      send: () => new Promise((resolve) => clock.exact(1000, () => resolve({ status: 200 }))),
      clock,
    });
    await clock.run();
    const r = await done;
    expect([r.scheduled, r.sent, r.ok, r.dropped, r.maxInFlightSeen]).toEqual([5, 2, 2, 3, 2]);
    expect(r.latency.count).toBe(2);
  });

  it('counts failures by status and error, keeps them out of the histograms, and gives up after the drain timeout', async () => {
    const clock = new VirtualClock();
    const outcomes: (SendOutcome | null)[] = [
      { status: 200 },
      { status: 402, body: '{"error":"x"}' },
      { status: 0, error: 'ECONNRESET' },
      null,
    ];
    const done = runOpenLoop({
      schedule: arrivals({ kind: 'constant', rate: 100 }),
      durationMs: 40,
      maxInFlight: 10,
      drainTimeoutMs: 500,
      send: (i) => new Promise((resolve) => (outcomes[i] ? clock.exact(5, () => resolve(outcomes[i]!)) : undefined)),
      clock,
    });
    await clock.run();
    const r = await done;
    expect([r.sent, r.ok, r.failed, r.abandoned]).toEqual([4, 1, 3, 1]);
    expect(r.statuses).toEqual({ 0: 1, 200: 1, 402: 1 });
    expect(r.errors).toEqual({ ECONNRESET: 1, 'no answer before the drain timeout': 1 });
    expect(r.checkFailures).toEqual(['HTTP 402: {"error":"x"}']);
    expect(r.latency.count).toBe(1);
  });

  it('checks every checkEvery-th body', async () => {
    const clock = new VirtualClock();
    const seen: boolean[] = [];
    const done = runOpenLoop({
      schedule: arrivals({ kind: 'constant', rate: 1000 }),
      durationMs: 10,
      maxInFlight: 10,
      checkEvery: 4,
      check: (body) => (body === 'good' ? null : `bad body ${body}`),
      send: (i, wantBody) => {
        seen.push(wantBody);
        return new Promise((resolve) =>
          clock.exact(1, () => resolve({ status: 200, body: wantBody ? (i === 4 ? 'bad' : 'good') : undefined })),
        );
      },
      clock,
    });
    await clock.run();
    const r = await done;
    expect(seen).toEqual([true, false, false, false, true, false, false, false, true, false]);
    expect(r.checkFailures).toEqual(['bad body bad']);
  });
});

describe('generate() over real HTTP', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends every scheduled request, split over the URLs, and accounts for each', async () => {
    const r = await generate({ urls: [url, url], rate: 400, durationMs: 250, connections: 2, arrivals: 'constant' });
    expect(r.scheduled).toBe(100);
    expect(r.sent + r.dropped).toBe(r.scheduled);
    expect(r.ok + r.failed).toBe(r.sent);
    expect(r.failed).toBe(0);
    expect(r.latency.count).toBe(r.ok);
    expect(r.statuses).toEqual({ 200: r.ok });
    expect(r.generator.cpuSeconds).toBeGreaterThan(0);
  });

  it('refuses hosts other than 127.0.0.1', async () => {
    await expect(
      generate({ urls: ['http://localhost:1/'], rate: 10, durationMs: 10, connections: 1, arrivals: 'constant' }),
    ).rejects.toThrow(/only sends to 127\.0\.0\.1/);
  });
});
