import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KoaInstrumentation, KoaLayerType } from '@opentelemetry/instrumentation-koa';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { JsonLinesSpanExporter } from './jsonl-exporter';
import type { TracingSettings } from './settings';
import { runningTracing, setRunningTracing, type RunningTracing } from './running';

/**
 * Starts the OpenTelemetry SDK for this process: the http (incoming calls, W3C traceparent read), koa
 * (middleware and routes) and undici (fetch: outgoing calls, traceparent written) instrumentations, and chanpay's
 * own spans (`spans.ts`). Only W3C Trace Context is propagated: the `baggage` header is chanpay's origin and is
 * written by the consumer, not by OpenTelemetry. Must run before koa is loaded (the services' mains import
 * `@chanpay/client-lib/telemetry/register` first). Idempotent.
 */
export function startTracing(settings: TracingSettings, fallbackName = 'chanpay'): RunningTracing {
  const already = runningTracing();
  if (already) return already;
  const spanProcessors: SpanProcessor[] = [];
  if (settings.otlpEndpoint) spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  // Each span written as it ends: a file read while the network runs (tests, tail -f) is complete up to now.
  if (settings.traceFile) spanProcessors.push(new SimpleSpanProcessor(new JsonLinesSpanExporter(settings.traceFile)));
  const sdk = new NodeSDK({
    serviceName: settings.serviceName ?? fallbackName,
    spanProcessors,
    // Traces only: without these the SDK would also export metrics and logs to the OTLP endpoint (metrics are prom-client's).
    metricReaders: [],
    logRecordProcessors: [],
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [
      // Headers are never recorded (authorization, vouchers, tickets stay out of traces).
      new HttpInstrumentation({ ignoreOutgoingRequestHook: () => true }),
      // Routes only: a span per anonymous middleware (error answers, origin, router dispatch) says nothing.
      new KoaInstrumentation({ ignoreLayersType: [KoaLayerType.MIDDLEWARE] }),
      new UndiciInstrumentation(),
    ],
  });
  sdk.start();
  const running = { shutdown: () => sdk.shutdown() };
  setRunningTracing(running);
  return running;
}
