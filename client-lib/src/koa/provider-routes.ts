import type { Middleware } from 'koa';
import type { Router } from '@koa/router';
import type { PaymentProvider } from '../provider/payment-provider';
import { requireAdmin } from './require-admin';

/** `GET /redeem` of a provider: claims every channel with unclaimed vouchers now. */
export function redeemHandler(provider: PaymentProvider): Middleware {
  return async (ctx) => {
    const claims = await provider.redeem();
    ctx.body = { redemptionStarted: claims.channels.length > 0, transactions: claims.transactions, channels: claims.channels };
  };
}

/** `GET /payout` of a provider: what it has been paid so far. */
export function payoutHandler(provider: PaymentProvider): Middleware {
  return async (ctx) => {
    ctx.body = await provider.payout();
  };
}

/** A provider's own routes: `/redeem` (it spends gas, so behind the admin token) and `/payout`. */
export function addProviderRoutes(router: Router, provider: PaymentProvider, adminToken: string | undefined): void {
  router.get('/redeem', requireAdmin(adminToken), redeemHandler(provider));
  router.get('/payout', payoutHandler(provider));
}
