import { AsyncLocalStorage } from 'node:async_hooks';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { OTHER_ORIGINS } from '@chanpay/protocol';
import { LATENCY_BUCKETS_SECONDS } from '@chanpay/telemetry/buckets';

/** How many origins get a label of their own in a service's metrics; the rest are counted under OTHER_ORIGINS. */
export const MAX_METRIC_ORIGINS = 20;

/** How a call paid, as the provider saw it: `none` is a call that came without a voucher or ticket. */
export type PaymentSchemeLabel = 'voucher' | 'ticket' | 'none';

/**
 * What came of a paid route's payment step: `paid` (charged, handler runs), `retried` (paid by an earlier
 * attempt with the same Idempotency-Key, handler runs uncharged), `replay` (the earlier answer is replayed),
 * `402` (no payment came: terms answered, code PAYMENT_REQUIRED), `refused` (any other refusal; the code says why).
 */
export type PaymentOutcomeLabel = 'paid' | 'retried' | 'replay' | '402' | 'refused';

/**
 * The Prometheus metrics of one service, in a registry of its own (several services can share a process).
 * Labels never carry a key, token or voucher: routes are the router's patterns, upstreams are names or hosts,
 * origins are bounded to `maxOrigins` names.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly origins = new Set<string>();
  readonly httpRequests: Counter<'route' | 'status'>;
  readonly httpSeconds: Histogram<'route' | 'status'>;
  readonly payments: Counter<'scheme' | 'outcome' | 'code'>;
  readonly paymentSeconds: Histogram<'scheme' | 'outcome'>;
  readonly paidWei: Counter<'scheme'>;
  readonly originCalls: Counter<'origin'>;
  readonly originWei: Counter<'origin'>;
  readonly upstreamRequests: Counter<'upstream' | 'status'>;
  readonly upstreamSeconds: Histogram<'upstream' | 'status'>;

  constructor(
    readonly service: string,
    readonly maxOrigins = MAX_METRIC_ORIGINS,
  ) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: 'chanpay_' });
    const buckets = [...LATENCY_BUCKETS_SECONDS];
    this.httpRequests = new Counter({
      name: 'chanpay_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers,
    });
    this.httpSeconds = new Histogram({
      name: 'chanpay_http_request_duration_seconds',
      help: 'Time from the request to the answer, by route and status',
      labelNames: ['route', 'status'],
      buckets,
      registers,
    });
    this.payments = new Counter({
      name: 'chanpay_service_payments_total',
      help: 'Payment steps of paid routes by scheme, outcome and refusal code ("" unless refused or 402)',
      labelNames: ['scheme', 'outcome', 'code'],
      registers,
    });
    this.paymentSeconds = new Histogram({
      name: 'chanpay_service_payment_duration_seconds',
      help: 'Time the payment step added to a call (check, verify, record), by scheme and outcome',
      labelNames: ['scheme', 'outcome'],
      buckets,
      registers,
    });
    this.paidWei = new Counter({
      name: 'chanpay_service_paid_wei_total',
      help: 'Amount charged for calls served, in wei, by scheme',
      labelNames: ['scheme'],
      registers,
    });
    this.originCalls = new Counter({
      name: 'chanpay_service_origin_paid_calls_total',
      help: `Paid calls by origin (root caller); origins beyond the first ${maxOrigins} are counted as ${OTHER_ORIGINS}`,
      labelNames: ['origin'],
      registers,
    });
    this.originWei = new Counter({
      name: 'chanpay_service_origin_paid_wei_total',
      help: `Amount charged by origin, in wei; origins beyond the first ${maxOrigins} are counted as ${OTHER_ORIGINS}`,
      labelNames: ['origin'],
      registers,
    });
    this.upstreamRequests = new Counter({
      name: 'chanpay_upstream_requests_total',
      help: 'Calls to upstream services by upstream and status ("error": no answer)',
      labelNames: ['upstream', 'status'],
      registers,
    });
    this.upstreamSeconds = new Histogram({
      name: 'chanpay_upstream_request_duration_seconds',
      help: 'Time of an upstream call, payment included, until its answer headers',
      labelNames: ['upstream', 'status'],
      buckets,
      registers,
    });
  }

  /** One payment step of a paid route. `amount` is what it charged (0 unless `paid`). */
  recordPayment(p: {
    scheme: PaymentSchemeLabel;
    outcome: PaymentOutcomeLabel;
    code?: string;
    seconds: number;
    amount: bigint;
    origin?: string;
  }): void {
    this.payments.inc({ scheme: p.scheme, outcome: p.outcome, code: p.code ?? '' });
    this.paymentSeconds.observe({ scheme: p.scheme, outcome: p.outcome }, p.seconds);
    if (p.outcome !== 'paid') return;
    this.paidWei.inc({ scheme: p.scheme }, Number(p.amount));
    if (p.origin === undefined) return;
    const origin = this.originLabel(p.origin);
    this.originCalls.inc({ origin });
    this.originWei.inc({ origin }, Number(p.amount));
  }

  recordUpstream(upstream: string, status: number | 'error', seconds: number): void {
    const labels = { upstream, status: String(status) };
    this.upstreamRequests.inc(labels);
    this.upstreamSeconds.observe(labels, seconds);
  }

  /** The origin's own name while fewer than `maxOrigins` have been seen, else OTHER_ORIGINS. */
  private originLabel(origin: string): string {
    if (this.origins.has(origin)) return origin;
    if (this.origins.size >= this.maxOrigins) return OTHER_ORIGINS;
    this.origins.add(origin);
    return origin;
  }
}

const current = new AsyncLocalStorage<ServiceMetrics>();

/** Runs `fn` with `metrics` as the serving service's, so that the upstream calls it makes are counted there. */
export function runWithServiceMetrics<T>(metrics: ServiceMetrics, fn: () => T): T {
  return current.run(metrics, fn);
}

/** The metrics of the service whose request is being served, if any. */
export function currentServiceMetrics(): ServiceMetrics | undefined {
  return current.getStore();
}
