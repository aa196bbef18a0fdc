/** The CSV files of an open-loop result: one row per run, per load point, per component, per paid hop. */
import { type OpenBenchResult, PERCENTILE_KEYS, type Estimate } from './types';

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

const est = (name: string) => [name, `${name}_ci_low`, `${name}_ci_high`];
const estCells = (e: Estimate | null | undefined): unknown[] => (e ? [e.median, e.low, e.high] : ['', '', '']);

export function csvFiles(r: OpenBenchResult): Record<string, string> {
  const files: Record<string, string> = {};
  const kinds = ['service', 'payment-server', 'chain', 'load-generator'] as const;
  files['runs.csv'] = toCsv(
    [
      'id',
      'topology',
      'mode',
      'repetition',
      'rate',
      'connections',
      'achieved_rate',
      'scheduled',
      'sent',
      'ok',
      'failed',
      'late_percent',
      'dropped',
      ...PERCENTILE_KEYS.map((k) => `latency_${k}_ms`),
      'latency_mean_ms',
      'service_time_p50_ms',
      'service_time_p99_ms',
      'send_lag_p99_ms',
      'paid_hops_per_request',
      ...kinds.map((k) => `${k}_millicores_per_1000rps`),
      'other_programs_cores',
      'hdr_log',
    ],
    r.runs.map((x) => [
      x.id,
      x.topology,
      x.mode,
      x.repetition,
      x.load.rate,
      x.load.connections,
      x.achievedRate,
      x.scheduled,
      x.sent,
      x.ok,
      x.failed,
      x.latePercent,
      x.dropped,
      ...PERCENTILE_KEYS.map((k) => x.latencyMs[k]),
      x.latencyMs.mean,
      x.serviceTimeMs.p50,
      x.serviceTimeMs.p99,
      x.sendLagMs.p99,
      x.paidHopsPerRequest,
      ...kinds.map((k) => {
        const cs = x.components.filter((c) => c.kind === k && c.millicoresPer1000Rps !== null);
        return cs.length ? Math.round(cs.reduce((a, c) => a + c.millicoresPer1000Rps!, 0) * 10) / 10 : '';
      }),
      x.machine?.otherCores ?? '',
      x.hdrLog,
    ]),
  );
  files['points.csv'] = toCsv(
    [
      'topology',
      'mode',
      'rate',
      'connections',
      'repetitions',
      ...est('achieved_rate'),
      ...est('late_percent'),
      'dropped',
      'failed',
      ...PERCENTILE_KEYS.flatMap((k) => est(`latency_${k}_ms`)),
      ...PERCENTILE_KEYS.flatMap((k) => est(`added_${k}_ms`)),
      ...kinds.flatMap((k) => est(`${k}_millicores_per_1000rps`)),
      ...est('total_millicores_per_1000rps'),
      'sustainable',
    ],
    r.points.map((p) => [
      p.topology,
      p.mode,
      p.rate,
      p.connections,
      p.repetitions,
      ...estCells(p.achievedRate),
      ...estCells(p.latePercent),
      p.dropped,
      p.failed,
      ...PERCENTILE_KEYS.flatMap((k) => estCells(p.latencyMs[k])),
      ...PERCENTILE_KEYS.flatMap((k) => estCells(p.addedLatencyMs?.[k])),
      ...kinds.flatMap((k) => estCells(p.millicoresPer1000Rps[k])),
      ...estCells(p.millicoresPer1000Rps.total),
      p.sustainable,
    ]),
  );
  files['components.csv'] = toCsv(
    [
      'topology',
      'mode',
      'rate',
      'connections',
      'component',
      'kind',
      ...est('millicores_per_1000rps'),
      'max_rss_mib',
      'event_loop_delay_p99_ms',
    ],
    r.points.flatMap((p) =>
      p.components.map((c) => [
        p.topology,
        p.mode,
        p.rate,
        p.connections,
        c.name,
        c.kind,
        ...estCells(c.millicoresPer1000Rps),
        c.maxRssMiB,
        c.eventLoopDelayP99Ms,
      ]),
    ),
  );
  files['max-sustainable.csv'] = toCsv(
    ['topology', 'mode', 'connections', 'max_sustainable_rate', 'highest_rate_tried', 'p99_bound_ms'],
    r.maxSustainable.map((m) => [m.topology, m.mode, m.connections, m.rate, m.highestTried, r.settings.p99BoundMs]),
  );
  files['chain.csv'] = toCsv(
    ['topology', 'mode', 'repetition', 'paid_calls', 'total_gas', 'gas_per_paid_call', 'total_ether', 'operations'],
    r.networks
      .filter((n) => n.chain)
      .map((n) => [
        n.topology,
        n.mode,
        n.repetition,
        n.chain!.paidCalls,
        n.chain!.totalGas,
        n.chain!.gasPerPaidCall,
        n.chain!.totalEther ?? null,
        n.chain!.operations.map((o) => `${o.operation} x${o.count}`).join('; '),
      ]),
  );
  if (r.perHop.length)
    files['per-hop.csv'] = toCsv(
      [
        'topology',
        'family',
        'size',
        'mode',
        'rate',
        'paid_hops_per_request',
        ...est('added_p50_ms'),
        ...est('added_p99_ms'),
        'added_p50_per_hop_ms',
        'added_p99_per_hop_ms',
        'cpu_ms_per_hop',
      ],
      r.perHop.map((h) => [
        h.topology,
        h.family,
        h.size,
        h.mode,
        h.rate,
        h.paidHopsPerRequest,
        ...estCells(h.addedP50Ms),
        ...estCells(h.addedP99Ms),
        h.addedP50PerHopMs,
        h.addedP99PerHopMs,
        h.cpuMsPerHop,
      ]),
    );
  return files;
}
