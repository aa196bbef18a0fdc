/** report.html of an open-loop result: tables and inline SVG charts made from result.json alone; opens offline. */
import { groupedBarSvg, lineChartSvg, MODE_COLORS, stackedBarSvg, type LineSeries } from '../charts';
import { CSS, inline, sectionsToMarkdown, tableToHtml, type Section } from '../report';
import { gasPerPaidCall } from './aggregate';
import { median } from './estimate';
import { OPEN_MODE_LABELS, type OpenMode } from './modes';
import { SPLIT_PARTS, type PartFigures, type SplitPart } from './trace-split';
import { PERCENTILE_KEYS, PERCENTILE_LABELS, type Estimate, type OpenBenchResult, type PointSummary } from './types';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
/** `12.34 (11.9–13.0)`: the median and, with repetitions, its 95 % CI. */
const withCi = (e: Estimate | null | undefined, digits = 2) =>
  !e ? '–' : e.n > 1 ? `${num(e.median, digits)} (${num(e.low, digits)}–${num(e.high, digits)})` : num(e.median, digits);
const KIND_COLORS: Record<string, string> = {
  service: '#2563eb',
  'payment-server': '#d97706',
  chain: '#059669',
  'load-generator': '#6b7280',
};

const modesOf = (r: OpenBenchResult) => r.settings.modes;
const pointsOf = (r: OpenBenchResult, topology: string, mode: OpenMode) =>
  r.points.filter((p) => p.topology === topology && p.mode === mode).sort((a, b) => a.rate - b.rate || a.connections - b.connections);
const xKey = (r: OpenBenchResult) => (r.kind === 'sweep-connections' ? 'connections' : 'rate');

function latencySection(r: OpenBenchResult, topology: string): Section {
  const key = xKey(r);
  const xs = [...new Set(r.points.filter((p) => p.topology === topology).map((p) => p[key]))].sort((a, b) => a - b);
  const xTitle = key === 'rate' ? 'scheduled requests per second' : 'connections per entry';
  const series = (metric: (p: PointSummary) => Estimate | null | undefined, modes: OpenMode[]): LineSeries[] =>
    modes.map((mode) => ({
      name: mode,
      color: MODE_COLORS[mode] ?? '#999',
      points: xs.map((x) => {
        const e = metric(pointsOf(r, topology, mode).find((p) => p[key] === x)!);
        return e ? { value: e.median, low: e.low, high: e.high } : null;
      }),
    }));
  const labels = xs.map(String);
  const paid = modesOf(r).filter((m) => m !== 'off');
  const charts = [
    lineChartSvg(
      `${topology}: p50 latency vs ${key}`,
      'ms',
      labels,
      series((p) => p?.latencyMs.p50, modesOf(r)),
      { xTitle },
    ),
    lineChartSvg(
      `${topology}: p99 latency vs ${key}`,
      'ms',
      labels,
      series((p) => p?.latencyMs.p99, modesOf(r)),
      { xTitle },
    ),
    ...(paid.length && modesOf(r).includes('off')
      ? [
          lineChartSvg(
            `${topology}: added p50 (mode − baseline)`,
            'ms',
            labels,
            series((p) => p?.addedLatencyMs?.p50, paid),
            { xTitle },
          ),
          lineChartSvg(
            `${topology}: added p99 (mode − baseline)`,
            'ms',
            labels,
            series((p) => p?.addedLatencyMs?.p99, paid),
            { xTitle },
          ),
        ]
      : []),
  ];
  const rows = modesOf(r).flatMap((mode) =>
    pointsOf(r, topology, mode).map((p) => [
      mode,
      String(p[key]),
      withCi(p.achievedRate, 0),
      withCi(p.latePercent, 2),
      String(p.dropped),
      String(p.failed),
      ...PERCENTILE_KEYS.map((k) => withCi(p.latencyMs[k])),
      p.sustainable ? 'yes' : 'no',
      p.otherCores === null ? '–' : num(p.otherCores, 2),
    ]),
  );
  const addedRows = paid.flatMap((mode) =>
    pointsOf(r, topology, mode).map((p) => [mode, String(p[key]), ...PERCENTILE_KEYS.map((k) => withCi(p.addedLatencyMs?.[k]))]),
  );
  return {
    heading: `Latency on ${topology}`,
    text: [
      `Latency from each request's scheduled send time to its last byte (coordinated omission corrected), ms: the median over ${r.settings.repetitions} run(s) per point${r.settings.repetitions > 1 ? ', with its 95 % confidence interval' : ''}. "Other programs": the cores the rest of the machine used meanwhile (/proc/stat), the noise every figure of the point carries.`,
    ],
    charts,
    tables: [
      {
        caption: 'Latency per percentile (ms)',
        table: {
          header: [
            'mode',
            key,
            'achieved/s',
            'late %',
            'dropped',
            'failed',
            ...PERCENTILE_KEYS.map((k) => PERCENTILE_LABELS[k]),
            'sustainable',
            'other programs (cores)',
          ],
          rows,
        },
      },
      ...(addedRows.length
        ? [
            {
              caption: 'Added latency = mode − baseline (ms)',
              table: { header: ['mode', key, ...PERCENTILE_KEYS.map((k) => `+${PERCENTILE_LABELS[k]}`)], rows: addedRows },
            },
          ]
        : []),
    ],
  };
}

function cpuSection(r: OpenBenchResult, topology: string): Section {
  const key = xKey(r);
  const kinds = ['service', 'payment-server', 'chain', 'load-generator'] as const;
  const groups = modesOf(r).flatMap((mode) =>
    pointsOf(r, topology, mode).map((p) => ({
      label: `${mode} ${p[key]}`,
      bars: kinds.map((k) => ({ series: k, value: p.millicoresPer1000Rps[k]?.median ?? null, color: KIND_COLORS[k]! })),
    })),
  );
  const componentRows = modesOf(r).flatMap((mode) =>
    pointsOf(r, topology, mode).flatMap((p) =>
      p.components.map((c) => [
        mode,
        String(p[key]),
        c.name,
        c.kind,
        withCi(c.millicoresPer1000Rps, 0),
        c.maxRssMiB === null ? '–' : num(c.maxRssMiB, 1),
        c.eventLoopDelayP99Ms === null ? '–' : num(c.eventLoopDelayP99Ms, 1),
      ]),
    ),
  );
  return {
    heading: `CPU and memory on ${topology}`,
    text: [
      'CPU per 1,000 requests per second, in millicores (1,000 = one core busy): CPU seconds of the process over the measured window ÷ its length ÷ (achieved rate / 1,000). Max RSS: the peak of /proc/<pid>/status VmRSS sampled every 200 ms. Event-loop lag: p99 of perf_hooks.monitorEventLoopDelay over the window.',
    ],
    charts: [
      groupedBarSvg(`${topology}: CPU per 1,000 rps by component`, 'millicores', groups, { width: Math.max(720, groups.length * 70) }),
    ],
    tables: [
      {
        caption: 'Per component',
        table: {
          header: ['mode', key, 'component', 'kind', 'millicores per 1,000 rps', 'max RSS MiB', 'event-loop p99 ms'],
          rows: componentRows,
        },
      },
    ],
  };
}

function sustainableSection(r: OpenBenchResult): Section {
  return {
    heading: 'Max sustainable throughput',
    text: [
      `The highest rate tried at which the median run's p99 stayed at or under ${r.settings.p99BoundMs} ms, under 1 % of sends were late (more than ${r.settings.lateMs} ms after due), and nothing was dropped or failed. "none" means no rate tried met it; the true maximum lies between the rates tried.`,
    ],
    charts: [],
    tables: [
      {
        table: {
          header: ['topology', 'mode', 'connections', 'max sustainable req/s', 'highest tried', 'gas per paid call'],
          rows: r.maxSustainable.map((m) => {
            const gas = gasPerPaidCall(r.networks, m.topology, m.mode);
            return [
              m.topology,
              m.mode,
              String(m.connections),
              m.rate === null ? 'none' : String(m.rate),
              String(m.highestTried),
              gas === null ? '–' : num(gas, 1),
            ];
          }),
        },
      },
    ],
  };
}

function perHopSection(r: OpenBenchResult): Section | null {
  if (r.kind !== 'sweep-topology' || r.perHop.length === 0) return null;
  const charts: string[] = [];
  for (const family of ['chain', 'fanout'] as const) {
    const rows = r.perHop.filter((h) => h.family === family);
    if (!rows.length) continue;
    const sizes = [...new Set(rows.map((h) => h.size))].sort((a, b) => a - b);
    const modes = [...new Set(rows.map((h) => h.mode))];
    for (const [metric, label] of [
      ['addedP50Ms', 'added p50'],
      ['addedP99Ms', 'added p99'],
    ] as const)
      charts.push(
        lineChartSvg(
          `${label} vs ${family === 'chain' ? 'depth' : 'fan-out'}`,
          'ms',
          sizes.map(String),
          modes.map((mode) => ({
            name: mode,
            color: MODE_COLORS[mode] ?? '#999',
            points: sizes.map((s) => {
              const e = rows.find((h) => h.size === s && h.mode === mode)?.[metric];
              return e ? { value: e.median, low: e.low, high: e.high } : null;
            }),
          })),
          { xTitle: family === 'chain' ? 'paid hops in a line (chain:D)' : 'upstreams called in parallel (fanout:F,1)' },
        ),
      );
    charts.push(
      lineChartSvg(
        `CPU per paid hop vs ${family === 'chain' ? 'depth' : 'fan-out'}`,
        'ms of CPU per hop',
        sizes.map(String),
        modes.map((mode) => ({
          name: mode,
          color: MODE_COLORS[mode] ?? '#999',
          points: sizes.map((s) => {
            const v = rows.find((h) => h.size === s && h.mode === mode)?.cpuMsPerHop;
            return v === null || v === undefined ? null : { value: v };
          }),
        })),
        { xTitle: family === 'chain' ? 'paid hops in a line (chain:D)' : 'upstreams called in parallel (fanout:F,1)' },
      ),
    );
  }
  return {
    heading: 'Added latency and CPU per paid hop',
    text: [
      `Total work per request held constant (${r.settings.totalWork ?? 'none'}), split over the workers (µBench's rule), so that the sizes differ only in hops. Per hop: the added latency ÷ the paid calls a request makes; CPU per hop: (mode − baseline) CPU of all components per request ÷ paid calls.`,
    ],
    charts,
    tables: [
      {
        table: {
          header: ['topology', 'mode', 'rate', 'paid hops', '+p50 ms', '+p99 ms', '+p50 per hop', '+p99 per hop', 'CPU ms per hop'],
          rows: r.perHop.map((h) => [
            h.topology,
            h.mode,
            String(h.rate),
            num(h.paidHopsPerRequest, 2),
            withCi(h.addedP50Ms),
            withCi(h.addedP99Ms),
            h.addedP50PerHopMs === null ? '–' : num(h.addedP50PerHopMs, 3),
            h.addedP99PerHopMs === null ? '–' : num(h.addedP99PerHopMs, 3),
            h.cpuMsPerHop === null ? '–' : num(h.cpuMsPerHop, 3),
          ]),
        },
      },
    ],
  };
}

const PART_COLORS: Record<SplitPart, string> = { payment: '#d97706', handler: '#2563eb', network: '#059669', framework: '#9ca3af' };

/** One hop of one mode over the repetitions: the median of each part's per-pass p50 and p90. */
interface HopRow {
  mode: OpenMode;
  service: string;
  calls: number;
  parts: Record<SplitPart, PartFigures | null>;
}

export function traceSplitRows(r: OpenBenchResult, topology: string): HopRow[] {
  const out: HopRow[] = [];
  for (const mode of modesOf(r)) {
    const passes = (r.traceSplit ?? []).filter((t) => t.topology === topology && t.mode === mode);
    const services = [...new Set(passes.flatMap((t) => t.hops.map((h) => h.service)))];
    for (const service of services) {
      const hops = passes.flatMap((t) => t.hops.filter((h) => h.service === service));
      const part = (k: SplitPart): PartFigures | null => {
        const fs = hops.map((h) => h.parts[k]).filter((f): f is PartFigures => f !== null);
        return fs.length ? { p50: median(fs.map((f) => f.p50)), p90: median(fs.map((f) => f.p90)) } : null;
      };
      out.push({
        mode,
        service,
        calls: hops.reduce((a, h) => a + h.calls, 0),
        parts: Object.fromEntries(SPLIT_PARTS.map((k) => [k, part(k)])) as HopRow['parts'],
      });
    }
  }
  return out;
}

function traceSplitSection(r: OpenBenchResult, topology: string): Section | null {
  const rows = traceSplitRows(r, topology);
  if (!rows.length) return null;
  const passes = (r.traceSplit ?? []).filter((t) => t.topology === topology);
  const bars = rows.map((h) => ({
    label: `${h.mode} ${h.service}`,
    segments: SPLIT_PARTS.map((k) => ({ part: k, value: h.parts[k]?.p50 ?? 0 })),
  }));
  const cell = (f: PartFigures | null) => (f ? `${num(f.p50, 3)} / ${num(f.p90, 3)}` : '–');
  return {
    heading: `Where each hop's time goes on ${topology} (traced pass)`,
    text: [
      `From the spans of a traced pass after each cell (a fresh network of the same mode, every process writing CHANPAY_TRACE_FILE, ${passes[0]?.seconds ?? '?'} s at ${passes[0]?.rate ?? '?'} req/s after a warm-up; ${passes.reduce((a, t) => a + t.requests, 0)} requests, ${passes.reduce((a, t) => a + t.spans, 0)} spans), never from the measured points, whose figures carry no tracing. Per call a hop served: **payment** = its payment step (\`chanpay.payment\`: check, verify, record) + its caller's signing and 402 round trips (\`chanpay.pay\` − \`chanpay.send\`); **handler** = \`chanpay.handler\` minus its upstream calls (the service's own work); **network** = the caller's client span of the call minus the hop's application span (loopback TCP and both HTTP stacks; unknown for an entry, whose caller is the load generator); **framework** = the application span minus payment step and handler (koa, routing, origin, metrics). Bars stack the parts' medians (a sum of medians, not the median of sums); the table gives p50 / p90 in ms, the median over repetitions. Tracing is on in this pass, so every part carries its share of tracing's cost (the traced-off mode measures it).`,
    ],
    charts: [
      stackedBarSvg(`${topology}: per-hop latency split (p50, ms)`, 'ms', bars, PART_COLORS, {
        // Room for the longest label under each bar (about 7 px a character).
        width: Math.max(720, bars.length * Math.max(64, 10 + 7 * Math.max(...bars.map((b) => b.label.length))) + 260),
      }),
    ],
    tables: [
      {
        caption: 'Per hop, p50 / p90 (ms)',
        table: {
          header: ['mode', 'hop', 'calls', ...SPLIT_PARTS.map((k) => `${k} p50 / p90`)],
          rows: rows.map((h) => [h.mode, h.service, String(h.calls), ...SPLIT_PARTS.map((k) => cell(h.parts[k]))]),
        },
      },
    ],
  };
}

function notesSection(r: OpenBenchResult): Section {
  const errors = r.networks.flatMap((n) => n.errors.map((e) => `${n.topology} ${n.mode} r${n.repetition}: ${e}`));
  return {
    heading: 'Method and notes',
    text: [
      ...r.notes.map((n) => `- ${n}`),
      ...errors.map((e) => `- **error**: ${e}`),
      `- Raw histograms: one HDR interval log per run in \`hdr/\` (tags latency, service-time, send-lag; values in µs); every run's figures in runs.csv, per point in points.csv, per component in components.csv.`,
    ],
    charts: [],
    tables: [],
  };
}

function heading(r: OpenBenchResult): string[] {
  const e = r.environment;
  const s = r.settings;
  return [
    `${r.kind}${r.quick ? ' (quick)' : ''}, ${r.startedAt} (${r.durationSeconds} s): \`${r.settings.command}\``,
    `${e.cores} cores (${e.cpuModel}), ${e.memoryGiB} GiB; load average ${e.loadAverageAtStart.join(' / ')} at start, ${r.loadAverageAtEnd.join(' / ')} at end; node ${e.versions.node}; commit ${e.commit ? e.commit.describe : 'unknown'}.`,
    `Topologies ${s.topologies.join(', ')}; modes ${s.modes.map((m) => `${m} (${OPEN_MODE_LABELS[m]})`).join(', ')}; ${s.arrivals} arrivals, ${s.durationSeconds} s per point after ${s.warmupSeconds} s warm-up per network, ${s.repetitions} repetition(s) on fresh networks.`,
  ];
}

function sectionsOf(r: OpenBenchResult): Section[] {
  return [
    ...r.settings.topologies.flatMap((t) =>
      [latencySection(r, t), cpuSection(r, t), traceSplitSection(r, t)].filter((x): x is Section => x !== null),
    ),
    sustainableSection(r),
    ...[perHopSection(r)].filter((s): s is Section => s !== null),
    notesSection(r),
  ];
}

/** results.md: the report's tables without the charts (what docs/benchmarks.md quotes). */
export function openReportMarkdown(r: OpenBenchResult): string {
  return sectionsToMarkdown('chanpay open-loop benchmark', heading(r), sectionsOf(r));
}

export function openReportHtml(r: OpenBenchResult): string {
  const sections = sectionsOf(r);
  const body = [`<h1>chanpay open-loop benchmark</h1>`, ...heading(r).map((l) => `<p class="meta">${inline(l)}</p>`)];
  for (const s of sections) {
    body.push(`<section><h2>${inline(s.heading)}</h2>`);
    const bullets = s.text.filter((t) => t.startsWith('- '));
    for (const t of s.text.filter((x) => !x.startsWith('- '))) body.push(`<p>${inline(t)}</p>`);
    if (bullets.length) body.push(`<ul>${bullets.map((b) => `<li>${inline(b.slice(2))}</li>`).join('')}</ul>`);
    if (s.charts.length) body.push(`<div class="charts">${s.charts.join('')}</div>`);
    for (const { caption, table } of s.tables) body.push(tableToHtml(table, caption));
    body.push('</section>');
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>chanpay open-loop benchmark ${esc(r.startedAt)}</title><style>${CSS}</style></head><body>${body.join('\n')}</body></html>\n`;
}
