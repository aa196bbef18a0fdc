import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from '@chanpay/telemetry/buckets';

/** Prometheus metrics of one payment server (its own registry, so several servers can share a process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'chanpay_' });
  const m = {
    registry,
    calls: new Counter({ name: 'chanpay_paid_calls_total', help: 'Paid calls accepted (vouchers recorded)', registers: [registry] }),
    amountWei: new Counter({ name: 'chanpay_accepted_wei_total', help: 'Amount accepted in vouchers, in wei', registers: [registry] }),
    claimedWei: new Counter({ name: 'chanpay_claimed_wei_total', help: 'Amount claimed on chain, in wei', registers: [registry] }),
    vouchersSigned: new Counter({ name: 'chanpay_vouchers_signed_total', help: 'Vouchers signed for consumers', registers: [registry] }),
    verifyResult: new Counter({
      name: 'chanpay_voucher_verifications_total',
      help: 'Voucher verifications by result code',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    verifySeconds: new Histogram({
      name: 'chanpay_voucher_verify_seconds',
      help: 'Time to verify and record one voucher',
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers: [registry],
    }),
    transactions: new Counter({
      name: 'chanpay_transactions_total',
      help: 'Transactions sent, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    gasUsed: new Counter({
      name: 'chanpay_gas_used_total',
      help: 'Gas used by our transactions, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    chainErrors: new Counter({
      name: 'chanpay_chain_errors_total',
      help: 'Failed chain operations, by operation',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'chanpay_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    httpSeconds: new Histogram({
      name: 'chanpay_http_request_duration_seconds',
      help: 'Time from the request to the answer, by route and status',
      labelNames: ['route', 'status'] as const,
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'chanpay_webhook_deliveries_total',
      help: 'Webhook delivery attempts by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
