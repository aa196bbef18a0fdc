/** `@chanpay/client-lib/telemetry`: OpenTelemetry tracing, off unless configured (docs/observability.md). */
export { tracingSettingsFromEnv, type TracingSettings } from './settings';
export { startTracing } from './tracing';
export { runningTracing, type RunningTracing } from './running';
export { JsonLinesSpanExporter, spanLine, type SpanLine } from './jsonl-exporter';
export { inSpan, failed, ATTR, wei } from './spans';
