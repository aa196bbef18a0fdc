/**
 * Turns a result into the three outputs: result.json (everything), results.md (the tables) and report.html
 * (the same tables plus inline SVG charts; opens offline). Tables are built once and rendered twice.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { boxPlotSvg, groupedBarSvg, stackedBarSvg, MODE_COLORS, type BoxEntry } from './charts';
import { THESIS } from './analysis';
import { THESIS_PERCENTILES } from './stats';
import { formatDuration } from './progress';
import { callsPerVoucher, CHANNEL_MODES } from './modes';
import { MODE_LABELS, type BenchMode, type BenchResult, type ModeResult, type ShapeResult } from './types';

export interface Table {
  header: string[];
  rows: string[][];
  /** Columns (by index) aligned right; default every column but the first. */
  left?: number[];
}

export interface Section {
  heading: string;
  text: string[];
  tables: { caption?: string; table: Table }[];
  /** HTML only. */
  charts: string[];
}

const n = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '–'
    : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const int = (v: number | null | undefined): string => n(v, 0);
const ether = (v: number): string => (v === 0 ? '0' : v.toExponential(3));
const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

const modeName: Record<BenchMode, string> = { off: 'no payment', local: 'local', prepaid: 'prepaid', remote: 'remote', naive: 'naive' };

function shapeOf(m: ModeResult | undefined, name: string): ShapeResult | undefined {
  return m?.shapes.find((s) => s.shape.name === name);
}

function heading(r: BenchResult): string[] {
  const e = r.environment;
  const commit = e.commit ? `${e.commit.describe}${e.commit.dirty ? ' (with uncommitted changes)' : ''}` : 'unknown';
  return [
    `Run ${r.startedAt} (${formatDuration(r.durationSeconds)})${r.quick ? ', **quick** settings (short runs: indicative only)' : ''}; commit ${commit}.`,
    `Machine: ${e.cpuModel}, ${e.cores} cores, ${e.memoryGiB} GiB, ${e.platform} ${e.kernel} ${e.arch}; load average ${e.loadAverageAtStart.join(' / ')} at the start, ${r.loadAverageAtEnd.join(' / ')} at the end.`,
    `Versions: ${Object.entries(e.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    `Load generator: ${r.settings.loadGenerator}. Warm-up per mode (not counted): ${r.settings.warmup.durationMs ? `${r.settings.warmup.durationMs / 1000} s` : `${r.settings.warmup.requests} actions`} at c=${r.settings.warmup.concurrency}.`,
  ];
}

function latencySections(r: BenchResult): Section[] {
  const modes = r.modes.filter((m) => m.mode !== 'naive');
  const naive = r.modes.find((m) => m.mode === 'naive');
  const sections: Section[] = [];
  const byShape: { caption: string; table: Table }[] = [];
  const charts: string[] = [];
  r.settings.shapes.forEach((spec) => {
    const thesisIndex = THESIS.shapes.findIndex((t) => spec.kind === 'thesis' && t.concurrency === spec.concurrency);
    const withThesis = thesisIndex >= 0;
    const header = ['percentile', ...(withThesis ? ['thesis (ab, paid, 2018)'] : []), ...modes.map((m) => modeName[m.mode]!)];
    const rows = THESIS_PERCENTILES.map((p) => [
      `${p} %`,
      ...(withThesis ? [int(THESIS.percentilesMs[`p${p}`]![thesisIndex])] : []),
      ...modes.map((m) => n(shapeOf(m, spec.name)?.latency.percentilesMs[`p${p}`])),
    ]);
    rows.push(['mean', ...(withThesis ? ['–'] : []), ...modes.map((m) => n(shapeOf(m, spec.name)?.latency.meanMs))]);
    rows.push([
      '**requests/s**',
      ...(withThesis ? [n(THESIS.requestsPerSecond[thesisIndex])] : []),
      ...modes.map((m) => `**${n(shapeOf(m, spec.name)?.requestsPerSecond, 1)}**`),
    ]);
    rows.push(['failed', ...(withThesis ? ['–'] : []), ...modes.map((m) => int(shapeOf(m, spec.name)?.failed))]);
    rows.push([
      "other programs' CPU (cores)",
      ...(withThesis ? ['–'] : []),
      ...modes.map((m) => n(shapeOf(m, spec.name)?.machine?.otherCores)),
    ]);
    const thesisRequests = withThesis ? THESIS.shapes[thesisIndex]!.requests : null;
    const thesisNote = thesisRequests !== null && thesisRequests !== spec.requests ? ` (thesis: n=${thesisRequests})` : '';
    byShape.push({ caption: `${spec.name}${thesisNote}: latency of \`/action\` in ms`, table: { header, rows } });
    const entries: BoxEntry[] = modes
      .map((m) => ({ m, s: shapeOf(m, spec.name) }))
      .filter((x) => x.s && x.s.ok > 0)
      .map(({ m, s }) => ({
        label: `${modeName[m.mode]} (${n(s!.requestsPerSecond, 0)} req/s)`,
        color: MODE_COLORS[m.mode]!,
        box: s!.box,
        max: s!.latency.percentilesMs.p100,
      }));
    const naiveShape = naive?.shapes.find((s) => s.shape.concurrency === spec.concurrency && spec.kind === 'thesis');
    if (naiveShape && naiveShape.ok > 0)
      entries.push({
        label: `naive (n=${naiveShape.shape.requests})`,
        color: MODE_COLORS.naive!,
        box: naiveShape.box,
        max: naiveShape.latency.percentilesMs.p100,
      });
    if (entries.length) charts.push(boxPlotSvg(`/action latency, ${spec.name}`, entries));
  });
  sections.push({
    heading: 'Latency of the public `/action`, side by side with the thesis',
    text: [
      'Each public call pays two providers (random-number 1 gwei, persistence 2 gwei): two paid hops. Percentiles are nearest-rank, as Apache Bench reports them. The thesis column is its §9.2 table (AWS, Geth, remote topology). "Other programs\' CPU" is what the rest of the machine used meanwhile (from /proc/stat, minus the benchmark\'s own processes): it competed for the same cores.',
    ],
    tables: byShape,
    charts,
  });
  return sections;
}

function overheadSection(r: BenchResult): Section {
  const rows = r.comparison.map((c) => [
    c.shape,
    modeName[c.mode]!,
    n(c.requestsPerSecond, 1),
    n(c.baselineRequestsPerSecond, 1),
    pct(c.throughputRatio),
    n(c.addedP50Ms),
    n(c.addedP50PerPaidHopMs),
    n(c.addedP99Ms),
  ]);
  const goals: Table = {
    header: ['goal', 'value', 'target', 'met'],
    rows: r.goals.map((g) => [g.name, g.value === null ? '–' : n(g.value, 3), g.target, g.met === null ? '–' : g.met ? 'yes' : '**no**']),
    left: [0, 2, 3],
  };
  const shapes = r.settings.shapes.map((s) => s.name);
  const bars = groupedBarSvg(
    'Requests per second by load shape',
    'requests/s',
    shapes.map((name) => {
      const thesisIndex = THESIS.shapes.findIndex((t) => name === `c=${t.concurrency} n=${t.requests}`);
      return {
        label: name.replace('saturation ', 'sat. '),
        bars: [
          ...r.modes
            .filter((m) => m.mode !== 'naive')
            .map((m) => ({ series: MODE_LABELS[m.mode], value: shapeOf(m, name)?.requestsPerSecond ?? null, color: MODE_COLORS[m.mode]! })),
          {
            series: 'thesis (paid, 2018)',
            value: thesisIndex >= 0 ? THESIS.requestsPerSecond[thesisIndex]! : null,
            color: MODE_COLORS.thesis!,
          },
        ],
      };
    }),
  );
  return {
    heading: 'What payment costs: throughput and latency against the unpaid network',
    text: [
      'Ratios are paid / unpaid requests per second in the same shape; "added" is paid minus unpaid latency; per paid hop divides the added median by the two paid calls of each action. The naive rows compare with the unpaid run of the same concurrency.',
    ],
    tables: [
      {
        table: {
          header: ['shape', 'mode', 'req/s', 'unpaid req/s', 'paid / unpaid', 'added p50 ms', 'added p50 per paid hop ms', 'added p99 ms'],
          rows,
          left: [0, 1],
        },
      },
      { caption: 'Goals', table: goals },
    ],
    charts: [bars],
  };
}

function naiveSection(r: BenchResult): Section | null {
  const naive = r.modes.find((m) => m.mode === 'naive');
  if (!naive) return null;
  const rows = naive.shapes.map((s) => [
    s.shape.name,
    n(s.requestsPerSecond, 1),
    n(s.latency.percentilesMs.p50),
    n(s.latency.percentilesMs.p90),
    n(s.latency.percentilesMs.p99),
    n(s.latency.percentilesMs.p100),
    int(s.failed),
  ]);
  return {
    heading: 'The naive design: one on-chain transaction per paid call',
    text: [
      "The thesis's rejected first design, run on the same services: the consumer signs and sends an ETH transfer for each paid hop and waits for its receipt; the provider checks the receipt, recipient, value and that the hash was not used before. Bounded to a few dozen actions. Ganache mines at once, so these latencies are a lower bound: on a public chain each hop also waits for a block.",
    ],
    tables: [{ table: { header: ['shape', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'failed'], rows } }],
    charts: [],
  };
}

function cpuSection(r: BenchResult): Section {
  const pick = (kind: 'thesis' | 'saturation') => {
    const spec =
      kind === 'thesis'
        ? r.settings.shapes.filter((s) => s.kind === 'thesis').at(-1)
        : r.settings.shapes.find((s) => s.kind === 'saturation');
    return spec?.name;
  };
  const tables: Section['tables'] = [];
  const charts: string[] = [];
  const colors: Record<string, string> = {
    public: '#2563eb',
    'random-number': '#7c3aed',
    persistence: '#0891b2',
    'payment-server-1': '#d97706',
    'payment-server-2': '#f59e0b',
    chain: '#dc2626',
    'load-generator': '#9ca3af',
  };
  for (const kind of ['thesis', 'saturation'] as const) {
    const name = pick(kind);
    if (!name) continue;
    const modes = r.modes.filter((m) => shapeOf(m, name));
    const procs = Object.keys(colors).filter((p) => modes.some((m) => shapeOf(m, name)!.cpu[p]));
    const rows = procs.map((p) => [p, ...modes.map((m) => n(shapeOf(m, name)!.cpu[p]?.msPerRequest, 3))]);
    rows.push(['**total**', ...modes.map((m) => `**${n(shapeOf(m, name)!.cpuMsPerRequestTotal, 3)}**`)]);
    tables.push({
      caption: `${name}: CPU milliseconds per \`/action\``,
      table: { header: ['process', ...modes.map((m) => modeName[m.mode]!)], rows },
    });
    charts.push(
      stackedBarSvg(
        `CPU time per /action, ${name}`,
        'CPU ms per request',
        modes.map((m) => ({
          label: modeName[m.mode]!,
          segments: procs.map((p) => ({ part: p, value: shapeOf(m, name)!.cpu[p]?.msPerRequest ?? 0 })),
        })),
        Object.fromEntries(procs.map((p) => [p, colors[p]!])),
      ),
    );
  }
  const naive = r.modes.find((m) => m.mode === 'naive');
  const last = naive?.shapes.at(-1);
  if (last) {
    const procs = Object.keys(last.cpu);
    tables.push({
      caption: `naive ${last.shape.name}: CPU milliseconds per \`/action\``,
      table: {
        header: ['process', 'naive'],
        rows: [...procs.map((p) => [p, n(last.cpu[p]?.msPerRequest, 3)]), ['**total**', `**${n(last.cpuMsPerRequestTotal, 3)}**`]],
      },
    });
  }
  // What payment adds per action, against the floor of two signatures made and two checked (with prepaid
  // tickets, two per block of calls: one voucher pays that many calls).
  const off = r.modes.find((m) => m.mode === 'off');
  const added: string[][] = [];
  for (const m of r.modes.filter((x) => CHANNEL_MODES.includes(x.mode))) {
    const floorMs = (2 * (r.crypto.signUs + r.crypto.verifyUs)) / 1000 / callsPerVoucher(m.mode);
    for (const s of m.shapes.filter((x) => x.shape.kind !== 'naive' && x.shape.concurrency >= 20)) {
      const base = shapeOf(off, s.shape.name);
      if (!base) continue;
      const extra = s.cpuMsPerRequestTotal - base.cpuMsPerRequestTotal;
      added.push([
        modeName[m.mode]!,
        s.shape.name,
        n(base.cpuMsPerRequestTotal, 3),
        n(s.cpuMsPerRequestTotal, 3),
        n(extra, 3),
        n(floorMs, 3),
        pct(extra > 0 ? floorMs / extra : 0),
      ]);
    }
  }
  if (added.length) {
    tables.push({
      caption: `CPU added by payment per \`/action\`, against its floor (2 vouchers signed + 2 verified, as measured above${r.modes.some((m) => m.mode === 'prepaid') ? `; prepaid: the same per ${callsPerVoucher('prepaid')} actions, ticket hashes not counted` : ''})`,
      table: {
        header: ['mode', 'shape', 'unpaid ms', 'paid ms', 'added ms', 'signature floor ms', 'floor / added'],
        rows: added,
        left: [0, 1],
      },
    });
  }
  return {
    heading: 'CPU time per request, per process',
    text: [
      `User + system CPU of each process during the run divided by the requests served (from /proc/<pid>/stat, ${r.settings.clockTicksPerSecond} ticks per second). The load generator is this benchmark's own process and shares the cores with the network. With every process on the same two cores, throughput follows the total CPU per action (and the public service's share: it is one event loop on one core).`,
    ],
    tables,
    charts,
  };
}

function cryptoSection(r: BenchResult): Section {
  const c = r.crypto;
  const rows = [
    [
      'sign a voucher (EIP-712 digest + secp256k1 sign)',
      n(c.signUs, 1),
      n(c.signBestRoundUs, 1),
      `${THESIS.signMs.createP50.map((x) => n(x, 1)).join(' / ')} ms`,
    ],
    [
      'verify a voucher (digest + recover + compare)',
      n(c.verifyUs, 1),
      n(c.verifyBestRoundUs, 1),
      `${THESIS.signMs.validateP50.map((x) => n(x, 1)).join(' / ')} ms`,
    ],
  ];
  const remote = r.modes.find((m) => m.mode === 'remote');
  const remoteRows = (remote?.shapes ?? [])
    .filter((s) => s.remote)
    .map((s) => [
      s.shape.name,
      int(s.remote!.verify.count),
      n(s.remote!.verify.meanUs, 1),
      pct(s.remote!.verify.cumulativeShare.find((b) => b.leUs === 250)?.share ?? 0),
      pct(s.remote!.verify.cumulativeShare.find((b) => b.leUs === 1000)?.share ?? 0),
      int(s.remote!.vouchersSigned),
    ]);
  return {
    heading: 'Time per signature',
    text: [
      `Measured in the benchmark process with the client library's own functions (native secp256k1: ${c.nativeSecp256k1}, native keccak: ${c.nativeKeccak}), ${c.iterations} iterations in 5 rounds. The thesis column is its median pure-crypto time per request in the payment server at c = 1 / 5 / 10 / 20 (§9.3).`,
      "In remote mode the providers' payment server reports the time to verify and record each voucher (`chanpay_voucher_verify_seconds`, which includes the SQLite write).",
    ],
    tables: [
      { table: { header: ['operation', 'µs (mean)', 'µs (best round)', 'thesis median'], rows, left: [0, 3] } },
      ...(remoteRows.length
        ? [
            {
              caption: 'remote mode: payment server verify + record per voucher',
              table: { header: ['shape', 'vouchers verified', 'mean µs', '≤ 250 µs', '≤ 1 ms', 'vouchers signed'], rows: remoteRows },
            },
          ]
        : []),
    ],
    charts: [],
  };
}

function chainSection(r: BenchResult): Section {
  const tables: Section['tables'] = [];
  const summary: string[][] = [];
  for (const m of r.modes) {
    if (!m.chain) continue;
    const c = m.chain;
    tables.push({
      caption: `${MODE_LABELS[m.mode]}: every transaction of the run (effective gas price ${n(c.meanEffectiveGasPriceGwei, 3)} gwei)`,
      table: {
        header: ['operation', 'count', 'gas each (mean)', 'gas total', 'ether (run price)', `ether at ${c.referenceGasPriceGwei} gwei`],
        rows: c.operations.map((o) => [
          o.operation,
          int(o.count),
          int(o.gasPerTx),
          int(o.gasUsed),
          ether(o.ether),
          ether(o.etherAtReference),
        ]),
      },
    });
    summary.push([
      modeName[m.mode]!,
      int(c.paidCalls),
      int(c.totalGas),
      n(c.perPaidCall.gas, 1),
      ether(c.perPaidCall.etherAtReference),
      int(c.deployGas),
    ]);
  }
  if (summary.length) {
    tables.push({
      caption: 'On-chain cost per paid call (deployment excluded: one contract serves every channel)',
      table: {
        header: ['mode', 'paid calls', 'gas (all but deploy)', 'gas per paid call', 'ether per paid call at 20 gwei', 'deploy gas'],
        rows: summary,
        left: [0],
      },
    });
  }
  return {
    heading: 'On-chain cost',
    text: [
      "Every transaction on each mode's chain, named by its PaymentChannels function. Channels are opened at the first call, topped up during the run (the benchmark deposits little on purpose), claimed and closed at the end (a provider close; a consumer close and its withdrawal after the challenge period, the chain clock moved on). The per-call figure shrinks the longer a channel is used; the naive design pays a 21,000-gas transfer for every call.",
      ...(r.modes.some((m) => m.mode === 'prepaid')
        ? [
            `In prepaid mode a voucher pays ${callsPerVoucher('prepaid')} calls ahead: fewer, larger vouchers, the same channel transactions (claims and closes are per channel, not per voucher).`,
          ]
        : []),
    ],
    tables,
    charts: [],
  };
}

function notesSection(r: BenchResult): Section {
  const lines = [...r.notes];
  for (const m of r.modes) {
    for (const e of m.errors) lines.push(`${m.mode}: ${e}`);
    for (const x of m.accounting.notes) lines.push(`${m.mode}: ${x}`);
    if (m.accounting.consumerCalls) {
      const counted = Object.entries(m.accounting.consumerCalls)
        .map(([k, v]) => `${v} paid calls to ${k}`)
        .join(', ');
      const left = Object.entries(m.accounting.prepaidCallsLeft ?? {}).filter(([, v]) => v > 0);
      const prepaid = left.length ? `; calls paid ahead and not yet made: ${left.map(([k, v]) => `${v} to ${k}`).join(', ')}` : '';
      lines.push(
        `${m.mode}: ${m.accounting.actionsBeforeTeardown} actions served before the teardown; the consumer counted ${counted}${prepaid}.`,
      );
    }
  }
  return { heading: 'Notes', text: lines.map((l) => `- ${l}`), tables: [], charts: [] };
}

export function buildSections(r: BenchResult): Section[] {
  return [
    ...latencySections(r),
    overheadSection(r),
    ...[naiveSection(r)].filter((s): s is Section => s !== null),
    cpuSection(r),
    cryptoSection(r),
    chainSection(r),
    notesSection(r),
  ];
}

// ---------------------------------------------------------------------- Markdown

const mdCell = (s: string) => s.replace(/\|/g, '\\|');

export function tableToMarkdown(t: Table): string {
  const left = new Set(t.left ?? [0]);
  const lines = [`| ${t.header.map(mdCell).join(' | ')} |`, `|${t.header.map((_, i) => (left.has(i) ? '---' : '---:')).join('|')}|`];
  for (const row of t.rows) lines.push(`| ${row.map(mdCell).join(' | ')} |`);
  return lines.join('\n');
}

/** A report as Markdown: its title, the heading lines, then each section's text, bullets and tables (no charts). */
export function sectionsToMarkdown(title: string, headingLines: string[], sections: Section[]): string {
  const out = [`# ${title}`, '', ...headingLines.flatMap((l) => [l, ''])];
  for (const s of sections) {
    out.push(`## ${s.heading}`, '');
    const bullets = s.text.filter((t) => t.startsWith('- '));
    for (const t of s.text.filter((x) => !x.startsWith('- '))) out.push(t, '');
    if (bullets.length) out.push(...bullets, '');
    for (const { caption, table } of s.tables) {
      if (caption) out.push(`**${caption}**`, '');
      out.push(tableToMarkdown(table), '');
    }
  }
  return out.join('\n');
}

export function toMarkdown(r: BenchResult): string {
  return sectionsToMarkdown('chanpay benchmark results', heading(r), buildSections(r));
}

// ---------------------------------------------------------------------- HTML

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** The little Markdown the texts use: **bold** and `code`. */
export const inline = (s: string) =>
  esc(s)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>');

export function tableToHtml(t: Table, caption?: string): string {
  const left = new Set(t.left ?? [0]);
  const cls = (i: number) => (left.has(i) ? '' : ' class="num"');
  return [
    '<table>',
    caption ? `<caption>${inline(caption)}</caption>` : '',
    `<thead><tr>${t.header.map((h, i) => `<th${cls(i)}>${inline(h)}</th>`).join('')}</tr></thead>`,
    `<tbody>${t.rows.map((row) => `<tr>${row.map((c, i) => `<td${cls(i)}>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody>`,
    '</table>',
  ].join('');
}

export const CSS = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#111}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;font-variant-numeric:tabular-nums}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #ddd;padding:.25rem .55rem}th{background:#f5f5f5}td.num,th.num{text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{background:#fff;border:1px solid #eee;max-width:100%;height:auto}
.chart .title{font-weight:600;font-size:13px}.chart .tick{font-size:11px;fill:#555}.chart .label{font-size:11px;fill:#222}.chart .grid{stroke:#eee}
code{background:#f3f3f3;padding:0 .2rem;border-radius:3px}.meta{color:#444}`;

export function toHtml(r: BenchResult): string {
  const body: string[] = [`<h1>chanpay benchmark results</h1>`, ...heading(r).map((l) => `<p class="meta">${inline(l)}</p>`)];
  for (const s of buildSections(r)) {
    body.push(`<section><h2>${inline(s.heading)}</h2>`);
    const bullets = s.text.filter((t) => t.startsWith('- '));
    for (const t of s.text.filter((x) => !x.startsWith('- '))) body.push(`<p>${inline(t)}</p>`);
    if (bullets.length) body.push(`<ul>${bullets.map((b) => `<li>${inline(b.slice(2))}</li>`).join('')}</ul>`);
    if (s.charts.length) body.push(`<div class="charts">${s.charts.join('')}</div>`);
    for (const { caption, table } of s.tables) body.push(tableToHtml(table, caption));
    body.push('</section>');
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>chanpay benchmark ${esc(r.startedAt)}</title><style>${CSS}</style></head><body>${body.join('\n')}</body></html>\n`;
}

export function writeReports(r: BenchResult, dir: string): string[] {
  const files = { json: path.join(dir, 'result.json'), md: path.join(dir, 'results.md'), html: path.join(dir, 'report.html') };
  writeFileSync(files.json, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(files.md, toMarkdown(r));
  writeFileSync(files.html, toHtml(r));
  return Object.values(files);
}
