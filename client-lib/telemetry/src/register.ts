/**
 * Imported first by every service's and tool's main: starts tracing when OTEL_EXPORTER_OTLP_ENDPOINT or
 * CHANPAY_TRACE_FILE is set (docs/observability.md), before koa and the http modules are loaded. Otherwise it
 * loads nothing more: tracing off costs an import.
 */
import path from 'node:path';
import { tracingSettingsFromEnv } from './settings';

const settings = tracingSettingsFromEnv();
if (settings) {
  // Loaded only when on: the SDK and its instrumentations are not needed otherwise.
  const { startTracing } = require('./tracing') as typeof import('./tracing');
  startTracing(settings, path.basename(path.dirname(path.dirname(process.argv[1] ?? 'chanpay'))));
}
