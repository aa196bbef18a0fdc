/**
 * The open-loop benchmark's arithmetic on made-up runs: medians and their confidence intervals, added latency
 * paired by repetition, CPU per component kind, the sustainable rule, the max sustainable rate and the per-hop
 * figures. Pure functions; nothing is timed.
 */
import { familyOf, maxSustainable, perHop, summarizePoints } from '../../bench/open/aggregate';
import { estimate, median } from '../../bench/open/estimate';
import type { OpenMode } from '../../bench/open/modes';
import type { RunRecord } from '../../bench/open/types';

function run(topology: string, mode: OpenMode, rate: number, repetition: number, p50: number, extra: Partial<RunRecord> = {}): RunRecord {
  const latencyMs = { p50, p90: p50 * 2, p99: p50 * 4, p99_9: p50 * 5, max: p50 * 6, mean: p50 };
  const hops = mode === 'off' ? 0 : Number(/:(\d+)/.exec(topology)?.[1] ?? 1);
  return {
    id: `${topology}/${mode}/${rate}rps/c10/r${repetition}`,
    topology,
    mode,
    repetition,
    load: { rate, connections: 10, arrivals: 'poisson', seed: 1, durationMs: 1000, lateMs: 2, maxInFlight: 100, entries: 1 },
    paidHopsPerRequest: hops,
    scheduled: rate,
    sent: rate,
    ok: rate,
    failed: 0,
    late: 0,
    latePercent: 0,
    dropped: 0,
    statuses: { 200: rate },
    errors: {},
    achievedRate: rate,
    latencyMs,
    serviceTimeMs: latencyMs,
    sendLagMs: { p99: 0.1, max: 0.2 },
    components: [
      {
        name: 's0',
        kind: 'service',
        cpuSeconds: rate * 0.001 * (1 + hops),
        millicores: 1,
        millicoresPer1000Rps: 100 * (1 + hops),
        maxRssMiB: 100,
        eventLoopDelayP99Ms: 1,
      },
      { name: 's1', kind: 'service', cpuSeconds: 0, millicores: 1, millicoresPer1000Rps: 50, maxRssMiB: 90, eventLoopDelayP99Ms: 2 },
      ...(mode === 'off'
        ? []
        : [
            {
              name: 'payment-server-1',
              kind: 'payment-server' as const,
              cpuSeconds: 0,
              millicores: 1,
              millicoresPer1000Rps: 30,
              maxRssMiB: 80,
              eventLoopDelayP99Ms: 1,
            },
          ]),
      {
        name: 'load-generator',
        kind: 'load-generator',
        cpuSeconds: 0,
        millicores: 1,
        millicoresPer1000Rps: 20,
        maxRssMiB: 120,
        eventLoopDelayP99Ms: 0.5,
      },
    ],
    machine: { busyCores: 1, otherCores: 0.1 * repetition, stealCores: 0 },
    hdrLog: 'hdr/x.hlog',
    ...extra,
  };
}

describe('estimate', () => {
  it('is the median with a bootstrap interval around it, repeatable', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const e = estimate([10, 11, 12, 13, 50]);
    expect(e.median).toBe(12);
    expect(e.low).toBeGreaterThanOrEqual(10);
    expect(e.low).toBeLessThanOrEqual(12);
    expect(e.high).toBeGreaterThanOrEqual(12);
    expect(e.high).toBeLessThanOrEqual(50);
    expect(e.n).toBe(5);
    expect(estimate([10, 11, 12, 13, 50])).toEqual(e);
    expect(estimate([7])).toEqual({ median: 7, low: 7, high: 7, n: 1 });
  });
});

describe('summarizePoints', () => {
  const rule = { p99BoundMs: 50, latePercent: 1 };
  const runs = [
    run('chain:2', 'off', 100, 1, 5),
    run('chain:2', 'off', 100, 2, 6),
    run('chain:2', 'local', 100, 1, 8),
    run('chain:2', 'local', 100, 2, 10),
    run('chain:2', 'off', 200, 1, 10),
    run('chain:2', 'local', 200, 1, 20, { late: 5, latePercent: 2.5 }),
  ];
  const points = summarizePoints(runs, rule);
  const at = (mode: OpenMode, rate: number) => points.find((p) => p.mode === mode && p.rate === rate)!;

  it('gives one point per topology, mode, rate and connections, with the median over repetitions', () => {
    expect(points).toHaveLength(4);
    expect(at('off', 100).repetitions).toBe(2);
    expect(at('off', 100).latencyMs.p50.median).toBe(5.5);
    expect(at('local', 100).latencyMs.p99.median).toBe(36);
    expect(at('local', 100).otherCores).toBeCloseTo(0.15, 9);
  });

  it('subtracts the baseline of the same repetition and load point', () => {
    expect(at('off', 100).addedLatencyMs).toBeNull();
    // Pairs (8 − 5, 10 − 6): median 3.5.
    expect(at('local', 100).addedLatencyMs!.p50.median).toBe(3.5);
    expect(at('local', 200).addedLatencyMs!.max.median).toBe(60);
  });

  it('sums CPU per component kind, and keeps each component', () => {
    const p = at('local', 100);
    expect(p.millicoresPer1000Rps.service!.median).toBe(350);
    expect(p.millicoresPer1000Rps['payment-server']!.median).toBe(30);
    expect(p.millicoresPer1000Rps['load-generator']!.median).toBe(20);
    expect(p.millicoresPer1000Rps.chain).toBeUndefined();
    expect(p.millicoresPer1000Rps.total.median).toBe(400);
    expect(p.components.map((c) => c.name)).toEqual(['s0', 's1', 'payment-server-1', 'load-generator']);
    expect(p.components[0]!.maxRssMiB).toBe(100);
  });

  it('calls a point sustainable only with p99 within the bound, under 1 % late, nothing dropped or failed', () => {
    expect(at('off', 100).sustainable).toBe(true); // p99 22
    expect(at('local', 100).sustainable).toBe(true); // p99 36
    expect(at('off', 200).sustainable).toBe(true); // p99 40
    expect(at('local', 200).sustainable).toBe(false); // p99 80, 2.5 % late
    const dropped = summarizePoints([run('t:1', 'off', 10, 1, 1, { dropped: 1, sent: 9 })], rule);
    expect(dropped[0]!.sustainable).toBe(false);
  });

  it('finds the max sustainable rate per mode', () => {
    expect(maxSustainable(points)).toEqual([
      { topology: 'chain:2', mode: 'off', connections: 10, rate: 200, highestTried: 200 },
      { topology: 'chain:2', mode: 'local', connections: 10, rate: 100, highestTried: 200 },
    ]);
  });
});

describe('per paid hop', () => {
  it('names the family and size of a generated topology', () => {
    expect(familyOf('chain:4')).toEqual({ family: 'chain', size: 4 });
    expect(familyOf('fanout:3,1')).toEqual({ family: 'fanout', size: 3 });
    expect(familyOf('thesis')).toEqual({ family: 'other', size: 0 });
  });

  it('divides the added latency and the added CPU per request by the paid hops', () => {
    const runs = [
      run('chain:1', 'off', 50, 1, 4),
      run('chain:1', 'local', 50, 1, 6),
      run('chain:3', 'off', 50, 1, 4),
      run('chain:3', 'local', 50, 1, 10),
    ];
    const rows = perHop(summarizePoints(runs, { p99BoundMs: 50, latePercent: 1 }), runs);
    expect(rows.map((h) => [h.topology, h.family, h.size, h.paidHopsPerRequest, h.addedP50PerHopMs])).toEqual([
      ['chain:1', 'chain', 1, 1, 2],
      ['chain:3', 'chain', 3, 3, 2],
    ]);
    // s0 CPU: 0.001 s × (1 + hops) per request; the baseline's 0.001 s; per hop: 1 ms.
    for (const h of rows) expect(h.cpuMsPerHop).toBeCloseTo(1, 6);
    expect(rows[1]!.addedP99PerHopMs).toBe(8);
  });
});
