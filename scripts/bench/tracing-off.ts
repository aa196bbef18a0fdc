/**
 * `npm run bench:tracing-off`: what tracing costs when it is off, the state every process is in unless
 * CHANPAY_TRACE_FILE or OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/observability.md). Two figures, both in this
 * process with no SDK started, as in a service:
 * - the time of `@chanpay/telemetry/register`'s import, which reads the variables and loads nothing more;
 * - a chanpay span through the OpenTelemetry API (`inSpan` with attributes, one `setAttribute` and the end),
 *   which is the API's no-op without an SDK, in CPU time beyond the same loop without the span; times the spans
 *   a paid hop makes gives the time per hop.
 * Compare with the added latency of a paid hop (`npm run bench -- open`) or with `traced-off` (tracing on).
 */
import { performance } from 'node:perf_hooks';
import { parseCommandLine } from '@chanpay/devkit/cli';

const COMMAND = {
  command: 'npm run bench:tracing-off --',
  summary:
    "What tracing costs when off: the register import's time and a no-op chanpay span's, times the chanpay spans a\n" +
    'paid hop makes (payment step, verify or ticket check, handler, upstream call, pay, sign, send).',
  options: {
    spans: { type: 'string', value: '<n>', default: '1000000', description: 'spans timed per round' },
    rounds: { type: 'string', value: '<n>', default: '5', description: 'rounds; the median is reported' },
    'spans-per-hop': { type: 'string', value: '<n>', default: '7', description: 'chanpay spans one paid hop makes (caller and callee)' },
    json: { type: 'boolean', description: 'print JSON' },
  },
} as const;

const positiveInt = (s: string) => (/^\d+$/.test(s) && Number(s) > 0 ? Number(s) : null);

async function main(): Promise<void> {
  const { values, fail } = parseCommandLine(COMMAND, process.argv.slice(2));
  const spans = positiveInt(values.spans) ?? fail('--spans: a positive integer');
  const rounds = positiveInt(values.rounds) ?? fail('--rounds: a positive integer');
  const perHop = positiveInt(values['spans-per-hop']) ?? fail('--spans-per-hop: a positive integer');
  for (const v of ['CHANPAY_TRACE_FILE', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'])
    if (process.env[v]) fail(`${v} is set: this measures tracing off`);

  const t0 = performance.now();
  const c0 = process.cpuUsage();
  require('@chanpay/telemetry/register');
  const registerMs = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const registerCpuMs = (c1.user + c1.system) / 1000;
  const { inSpan, ATTR } = require('@chanpay/telemetry/spans') as typeof import('@chanpay/telemetry/spans');

  const attrs = { [ATTR.price]: '1000000000', [ATTR.scheme]: 'chanpay-channel-v1', [ATTR.payment]: 'voucher' };
  const work = async () => 1;
  const perSpanNs: number[] = [];
  // CPU time of this process (user + system), not wall time: on a shared machine the wall clock also counts the
  // time other programs had the core.
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  for (let r = 0; r < rounds + 1; r++) {
    const start = cpuMs();
    for (let i = 0; i < spans; i++)
      await inSpan('chanpay.payment', attrs, (span) => {
        span.setAttribute(ATTR.outcome, 'paid');
        return work();
      });
    const withSpans = cpuMs() - start;
    const base0 = cpuMs();
    for (let i = 0; i < spans; i++) await work();
    const without = cpuMs() - base0;
    // The first round warms the JIT up.
    if (r > 0) perSpanNs.push(((withSpans - without) * 1e6) / spans);
  }
  perSpanNs.sort((a, b) => a - b);
  const spanNs = perSpanNs[Math.floor(perSpanNs.length / 2)]!;
  const result = {
    registerImportMs: Math.round(registerMs * 1000) / 1000,
    registerImportCpuMs: Math.round(registerCpuMs * 1000) / 1000,
    noopSpanNs: Math.round(spanNs * 10) / 10,
    spansPerHop: perHop,
    perHopUs: Math.round(spanNs * perHop) / 1000,
    rounds,
    spans,
    node: process.version,
  };
  if (values.json) console.log(JSON.stringify(result));
  else
    console.log(
      `tracing off: register import ${result.registerImportMs} ms (${result.registerImportCpuMs} ms of CPU, once per process, tsx's compile included); ` +
        `a no-op chanpay span ${result.noopSpanNs} ns of CPU (median of ${rounds} rounds of ${spans}); × ${perHop} spans per paid hop = ${result.perHopUs} µs per hop`,
    );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
