/**
 * The `metrics` scenario's smoke call: the paid example network's smoke (smokePayment), then, through Prometheus's
 * HTTP API on 127.0.0.1, every process's target up and the payment counters scraped: each provider's paid calls
 * (`chanpay_service_payments_total{outcome="paid"}`) and the payment server's accepted vouchers
 * (`chanpay_paid_calls_total`) at least the calls made.
 */
import assert from 'node:assert/strict';
import type { Scenario } from './scenario';
import { smokePayment, type PaidSmoke } from './smoke';

/** The processes Prometheus scrapes in this scenario (compose/docker-compose.prometheus.yml), by their `part` label. */
export const SCRAPED_PARTS = ['payment-server-1', 'payment-server-2', 'persistence', 'public', 'random-number'] as const;

export interface MetricsSmoke {
  payment: PaidSmoke;
  targets: { part: string; job: string; health: string }[];
  /** sum by (part) of chanpay_service_payments_total{outcome="paid"}. */
  servicePaidCalls: Record<string, number>;
  /** sum by (part) of chanpay_paid_calls_total (the payment servers). */
  paymentServerPaidCalls: Record<string, number>;
}

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

async function api<T>(base: string, pathname: string): Promise<T> {
  const res = await fetch(`${base}${pathname}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; data: T; error?: string };
  assert.equal(body.status, 'success', `${pathname}: ${body.error ?? res.status}`);
  return body.data;
}

async function sumByPart(base: string, query: string): Promise<Record<string, number>> {
  const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
    base,
    `/api/v1/query?query=${encodeURIComponent(`sum by (part) (${query})`)}`,
  );
  return Object.fromEntries(data.result.map((r) => [r.metric.part ?? '', Number(r.value[1])]));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function smokeMetrics(s: Scenario, actions = 3, timeoutMs = 90_000): Promise<MetricsSmoke> {
  const payment = await smokePayment(s, actions);
  const base = s.url('PROMETHEUS_PORT');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { activeTargets } = await api<{ activeTargets: Target[] }>(base, '/api/v1/targets');
    const targets = activeTargets.map((t) => ({
      part: t.labels.part ?? '',
      job: t.labels.job ?? '',
      health: t.health,
      lastError: t.lastError,
    }));
    const servicePaidCalls = await sumByPart(base, 'chanpay_service_payments_total{outcome="paid"}');
    const paymentServerPaidCalls = await sumByPart(base, 'chanpay_paid_calls_total');
    const done =
      targets.length === SCRAPED_PARTS.length &&
      targets.every((t) => t.health === 'up') &&
      (servicePaidCalls['random-number'] ?? 0) >= actions &&
      (servicePaidCalls.persistence ?? 0) >= actions &&
      (paymentServerPaidCalls['payment-server-1'] ?? 0) >= 2 * actions;
    if (done)
      return {
        payment,
        targets: targets.map(({ lastError: _, ...t }) => t).sort((a, b) => a.part.localeCompare(b.part)),
        servicePaidCalls,
        paymentServerPaidCalls,
      };
    if (Date.now() > deadline)
      throw new Error(
        `Prometheus did not see the network within ${timeoutMs / 1000} s: targets ${JSON.stringify(targets)}, paid calls by service ${JSON.stringify(servicePaidCalls)}, by payment server ${JSON.stringify(paymentServerPaidCalls)}`,
      );
    await sleep(1000);
  }
}
