/** `@chanpay/client-lib/telemetry`: the tracing of `@chanpay/telemetry`, for services built with the SDK. */
export {
  tracingSettingsFromEnv,
  startTracing,
  runningTracing,
  JsonLinesSpanExporter,
  spanLine,
  inSpan,
  failed,
  ATTR,
  wei,
  type TracingSettings,
  type RunningTracing,
  type SpanLine,
} from '@chanpay/telemetry';
