/** The services' first import: starts tracing when configured (`@chanpay/telemetry/register`, docs/observability.md). */
import '@chanpay/telemetry/register';
