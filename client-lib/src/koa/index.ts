/** `@chanpay/client-lib/koa`: the koa adapter of the provider side and the pieces every koa service shares. */
export { createKoaPayments, type KoaPayments, type PaymentState, type Price } from './payment-required';
export { errorMiddleware } from './error-middleware';
export { requireAdmin } from './require-admin';
export { redeemHandler, payoutHandler, addProviderRoutes } from './provider-routes';
export { createServiceApp, type ServiceAppOptions } from './service-app';
export { originContext } from './origin-context';
export { originsHandler } from './origins-route';
export { metricsMiddleware, addMetricsRoute } from './metrics-middleware';
export {
  ServiceMetrics,
  MAX_METRIC_ORIGINS,
  currentServiceMetrics,
  type PaymentSchemeLabel,
  type PaymentOutcomeLabel,
} from '../metrics/service-metrics';
