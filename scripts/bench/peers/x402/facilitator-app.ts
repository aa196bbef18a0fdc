/**
 * The facilitator's HTTP face, in koa: the three routes x402's `HTTPFacilitatorClient` calls.
 * - `GET /supported`: the registered kinds, extensions and signer addresses (`x402Facilitator.getSupported()`);
 * - `POST /verify`, `POST /settle`: body `{ x402Version, paymentPayload, paymentRequirements }`, checked with the
 *   SDK's own zod schemas of protocol version 2 (400 VALIDATION_ERROR otherwise), answered with the SDK's VerifyResponse / SettleResponse
 *   (200 whatever the verdict, as x402's reference facilitator does; 400 in x402's shape for a scheme or network
 *   this facilitator does not serve);
 * - `GET /status`: health, for the launcher.
 */
import Koa, { type Context } from 'koa';
import { Router } from '@koa/router';
import { ChanpayError } from '@chanpay/protocol';
import { errorMiddleware, type Logger } from '@chanpay/client-lib';
import { readJson } from '@chanpay/payment-server';
import { PaymentPayloadV2Schema, PaymentRequirementsV2Schema } from '@x402/core/schemas';
import type { PaymentPayload, PaymentRequirements } from '@x402/core/types';
import type { LocalFacilitator } from './facilitator';

async function readPaymentBody(ctx: Context): Promise<{ paymentPayload: PaymentPayload; paymentRequirements: PaymentRequirements }> {
  const body = (await readJson(ctx)) as { paymentPayload?: unknown; paymentRequirements?: unknown } | null;
  const payload = PaymentPayloadV2Schema.safeParse(body?.paymentPayload);
  if (!payload.success) throw new ChanpayError('VALIDATION_ERROR', `paymentPayload: ${payload.error.issues[0]?.message ?? 'invalid'}`);
  const requirements = PaymentRequirementsV2Schema.safeParse(body?.paymentRequirements);
  if (!requirements.success)
    throw new ChanpayError('VALIDATION_ERROR', `paymentRequirements: ${requirements.error.issues[0]?.message ?? 'invalid'}`);
  // The schemas check `network` against CAIP-2 (`eip155:1337`) but type it as a plain string.
  return { paymentPayload: payload.data as PaymentPayload, paymentRequirements: requirements.data as PaymentRequirements };
}

const isUnregistered = (e: unknown) => e instanceof Error && /^No facilitator registered/.test(e.message);

export function createFacilitatorApp(local: LocalFacilitator, logger?: Logger): Koa {
  const { facilitator } = local;
  const router = new Router();
  router.get('/status', (ctx) => {
    ctx.body = { status: 'ok', service: 'x402-facilitator', network: local.network, signer: local.address };
  });
  router.get('/supported', (ctx) => {
    ctx.body = facilitator.getSupported();
  });
  router.post('/verify', async (ctx) => {
    const { paymentPayload, paymentRequirements } = await readPaymentBody(ctx);
    try {
      ctx.body = await facilitator.verify(paymentPayload, paymentRequirements);
    } catch (e) {
      if (!isUnregistered(e)) throw e;
      ctx.status = 400;
      ctx.body = { isValid: false, invalidReason: 'unsupported_scheme', invalidMessage: (e as Error).message };
    }
  });
  router.post('/settle', async (ctx) => {
    const { paymentPayload, paymentRequirements } = await readPaymentBody(ctx);
    try {
      ctx.body = await facilitator.settle(paymentPayload, paymentRequirements);
    } catch (e) {
      if (!isUnregistered(e)) throw e;
      ctx.status = 400;
      ctx.body = {
        success: false,
        errorReason: 'unsupported_scheme',
        errorMessage: (e as Error).message,
        transaction: '',
        network: paymentRequirements.network,
      };
    }
  });
  const app = new Koa();
  app.use(errorMiddleware(logger));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
