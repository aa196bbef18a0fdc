/**
 * `@chanpay/telemetry`: OpenTelemetry tracing of services and payment servers, off unless configured
 * (docs/observability.md). This entry loads the SDK; `./spans` (the API only), `./running` and `./register` do not.
 */
export { tracingSettingsFromEnv, TRACING_VARIABLES, type TracingSettings } from './settings';
export { startTracing } from './tracing';
export { runningTracing, type RunningTracing } from './running';
export { JsonLinesSpanExporter, spanLine, type SpanLine } from './jsonl-exporter';
export { inSpan, startSpan, tracingActive, failed, ATTR, wei } from './spans';
