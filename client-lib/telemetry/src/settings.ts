/** Where traces go: OTLP/HTTP (the standard variable) and/or a JSON-lines file. Neither set: tracing is off. */
export interface TracingSettings {
  otlpEndpoint?: string;
  traceFile?: string;
  /** The resource's service.name; default OTEL_SERVICE_NAME, else `fallbackName`. */
  serviceName?: string;
}

export function tracingSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): TracingSettings | null {
  if (env.OTEL_SDK_DISABLED === 'true') return null;
  const otlpEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || undefined;
  const traceFile = env.CHANPAY_TRACE_FILE || undefined;
  if (!otlpEndpoint && !traceFile) return null;
  return { otlpEndpoint, traceFile, serviceName: env.OTEL_SERVICE_NAME || undefined };
}

/** The variables that turn tracing on, as each command's --help lists them. */
export const TRACING_VARIABLES = {
  OTEL_EXPORTER_OTLP_ENDPOINT: 'export traces over OTLP/HTTP to this collector, e.g. http://127.0.0.1:4318',
  CHANPAY_TRACE_FILE: 'append every span as a JSON line to this file (neither variable: tracing off)',
  OTEL_SERVICE_NAME: "the process's name in its spans",
} as const;
