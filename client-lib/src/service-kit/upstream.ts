import type { PaymentConsumer } from '../consumer/payment-consumer';
import { DEFAULT_ATTEMPT_TIMEOUT_MS } from '../consumer/payment-consumer';
import { sharedPoolFetch } from '../http/pool-fetch';
import { timedFetch, type UpstreamFetch } from '../http/timed-fetch';
import { consumerFor, type ConsumerSettings } from './factories';
import { currentServiceMetrics } from '../metrics/service-metrics';

/** How a service reaches one upstream: `send` pays through `consumer` when the edge is paid. */
export interface UpstreamClient {
  consumer: PaymentConsumer | null;
  send: UpstreamFetch;
}

/**
 * The client of one upstream edge. Paid or not, calls go out through the same HTTP client (`http`) with the same
 * per-attempt timeout (`settings.timeoutMs`), so that the unpaid network is this code with payment switched
 * off and nothing else: a caller passes no signal of its own on either path. The default client is the process's
 * poolFetch (keep-alive pools over undici's Pool.request), which costs half the CPU of the global fetch.
 * `name` labels the upstream in the service's metrics (default: the host of each call's URL).
 */
export function upstreamClient(
  settings: ConsumerSettings,
  http: typeof fetch = sharedPoolFetch() as typeof fetch,
  opts: { name?: string } = {},
): UpstreamClient {
  const timeoutMs = settings.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const consumer = consumerFor({ ...settings, timeoutMs, http });
  const send: UpstreamFetch = consumer ? (url, init) => consumer.fetch(url, init) : timedFetch(http, timeoutMs);
  return { consumer, send: counted(send, opts.name) };
}

/**
 * Counts and times each call in the metrics of the service whose request makes it (none outside a request),
 * under `name` or else the URL's host: a label from the service's configuration, never from a caller.
 */
function counted(send: UpstreamFetch, name: string | undefined): UpstreamFetch {
  return async (url, init) => {
    const metrics = currentServiceMetrics();
    if (!metrics) return send(url, init);
    const upstream = name ?? new URL(url).host;
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const res = await send(url, init);
      metrics.recordUpstream(upstream, res.status, seconds());
      return res;
    } catch (e) {
      metrics.recordUpstream(upstream, 'error', seconds());
      throw e;
    }
  };
}
