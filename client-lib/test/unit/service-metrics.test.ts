import { OTHER_ORIGINS } from '@chanpay/protocol';
import { ServiceMetrics } from '../../src/metrics/service-metrics';

test('origins beyond the bound are counted under OTHER_ORIGINS; only paid calls count amounts', async () => {
  const m = new ServiceMetrics('svc', 2);
  for (const origin of ['a', 'b', 'c', 'd', 'a'])
    m.recordPayment({ scheme: 'ticket', outcome: 'paid', seconds: 0.00002, amount: 10n, origin });
  m.recordPayment({ scheme: 'voucher', outcome: 'refused', code: 'VOUCHER_AMOUNT_TOO_LOW', seconds: 0.0001, amount: 0n, origin: 'e' });
  const text = await m.registry.metrics();
  expect(text).toContain('chanpay_service_origin_paid_calls_total{origin="a",service="svc"} 2');
  expect(text).toContain('chanpay_service_origin_paid_calls_total{origin="b",service="svc"} 1');
  expect(text).toContain(`chanpay_service_origin_paid_calls_total{origin="${OTHER_ORIGINS}",service="svc"} 2`);
  expect(text).toContain(`chanpay_service_origin_paid_wei_total{origin="${OTHER_ORIGINS}",service="svc"} 20`);
  expect(text).not.toMatch(/origin="[cde]"/);
  expect(text).toContain('chanpay_service_paid_wei_total{scheme="ticket",service="svc"} 50');
  expect(text).toContain(
    'chanpay_service_payments_total{scheme="voucher",outcome="refused",code="VOUCHER_AMOUNT_TOO_LOW",service="svc"} 1',
  );
  expect(text).toContain('chanpay_service_payment_duration_seconds_bucket{le="0.00005",service="svc",scheme="ticket",outcome="paid"} 5');
});
