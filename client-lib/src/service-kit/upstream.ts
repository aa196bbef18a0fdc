import type { PaymentConsumer } from '../consumer/payment-consumer';
import { DEFAULT_ATTEMPT_TIMEOUT_MS } from '../consumer/payment-consumer';
import { sharedPoolFetch } from '../http/pool-fetch';
import { timedFetch, type UpstreamFetch } from '../http/timed-fetch';
import { consumerFor, type ConsumerSettings } from './factories';

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
 */
export function upstreamClient(settings: ConsumerSettings, http: typeof fetch = sharedPoolFetch() as typeof fetch): UpstreamClient {
  const timeoutMs = settings.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const consumer = consumerFor({ ...settings, timeoutMs, http });
  if (!consumer) return { consumer: null, send: timedFetch(http, timeoutMs) };
  return { consumer, send: (url, init) => consumer.fetch(url, init) };
}
