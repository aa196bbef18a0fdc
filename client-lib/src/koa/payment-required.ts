import type { Context, Middleware } from 'koa';
import {
  ChanpayError,
  VOUCHER_HEADER,
  PREPAY_HEADER,
  TICKET_HEADER,
  IDEMPOTENCY_HEADER,
  PAYMENT_REQUIRED_HEADER,
  RECEIPT_HEADER,
  encodeTerms,
  PAYMENT_SCHEME,
  type Receipt,
  toWei,
  type Amount,
} from '@chanpay/protocol';
import type { ChargeOutcome, PaymentProvider } from '../provider/payment-provider';
import { cacheable, replay } from './idempotent-replay';
import { currentRequestContext } from '../origin/request-context';
import { ATTR, inSpan, wei as weiText } from '@chanpay/telemetry/spans';
import type { PaymentOutcomeLabel, ServiceMetrics } from '../metrics/service-metrics';
import { METRICS_STATE } from './metrics-middleware';

/** A fixed price in wei, or a function of the request (dynamic pricing per call). 0 serves the call free. */
export type Price = Amount | ((ctx: Context) => Amount | Promise<Amount>);

/** What the middleware leaves in `ctx.state.payment` for the handler. */
export interface PaymentState {
  price: bigint;
  /** null in no-payment mode and for free calls. */
  receipt: Receipt | null;
  /** The call was paid by an earlier attempt with the same Idempotency-Key (the handler runs again, uncharged). */
  retried: boolean;
  idempotencyKey: string | null;
}

export interface KoaPayments {
  /** Middleware that lets a request through only with a voucher paying `price`; answers 402 otherwise. */
  paymentRequired(price: Price): Middleware;
  readonly provider: PaymentProvider | null;
}

/**
 * The koa adapter. With `provider` null (no-payment mode) `paymentRequired` only records the price and calls
 * the handler, so a service runs the same code with and without payments.
 */
export function createKoaPayments(provider: PaymentProvider | null): KoaPayments {
  return {
    provider,
    paymentRequired(price: Price): Middleware {
      return async (ctx, next) => {
        let wei: bigint;
        try {
          wei = toWei(typeof price === 'function' ? await price(ctx) : price);
        } catch (e) {
          const err = new ChanpayError('INTERNAL', `the price of this call cannot be computed: ${(e as Error).message}`);
          ctx.status = err.status;
          ctx.body = err.toBody();
          return;
        }
        // An empty header is a key too (and refused by the provider): it must not turn the call into one without a key.
        const key = idempotencyKeyOf(ctx);
        if (!provider || wei === 0n) {
          ctx.state.payment = { price: wei, receipt: null, retried: false, idempotencyKey: key } satisfies PaymentState;
          return inSpan('chanpay.handler', { [ATTR.price]: weiText(wei) }, () => next());
        }
        const voucher = ctx.get(VOUCHER_HEADER) || undefined;
        const ticket = ctx.get(TICKET_HEADER) || undefined;
        const origin = (ctx.state.origin as string | undefined) ?? currentRequestContext()?.origin;
        const scheme = ticket ? 'ticket' : voucher ? 'voucher' : 'none';
        const started = process.hrtime.bigint();
        const outcome = await inSpan(
          'chanpay.payment',
          {
            [ATTR.price]: weiText(wei),
            [ATTR.scheme]: PAYMENT_SCHEME,
            [ATTR.payment]: scheme,
            ...(origin ? { [ATTR.origin]: origin } : {}),
          },
          async (span) => {
            const o = await provider.charge({
              voucher,
              prepay: ctx.get(PREPAY_HEADER) || undefined,
              ticket,
              price: wei,
              idempotencyKey: key ?? undefined,
              origin,
            });
            span.setAttribute(ATTR.outcome, o.kind);
            if (o.kind === 'refused') span.setAttribute(ATTR.code, o.refusal.error.code);
            else span.setAttributes({ [ATTR.channel]: o.receipt.channelId, [ATTR.amount]: weiText(o.receipt.amount) });
            return o;
          },
        );
        (ctx.state[METRICS_STATE] as ServiceMetrics | undefined)?.recordPayment({
          scheme,
          outcome: outcomeLabel(outcome),
          code: outcome.kind === 'refused' ? outcome.refusal.error.code : undefined,
          seconds: Number(process.hrtime.bigint() - started) / 1e9,
          amount: outcome.kind === 'paid' && !outcome.retried ? wei : 0n,
          origin,
        });
        if (outcome.kind === 'refused') {
          const { status, error, terms } = outcome.refusal;
          ctx.status = status;
          if (terms) {
            ctx.set(PAYMENT_REQUIRED_HEADER, encodeTerms(terms));
            ctx.body = { ...terms, error: { code: error.code, message: error.message } };
          } else {
            ctx.body = error.toBody();
          }
          return;
        }
        ctx.set(RECEIPT_HEADER, outcome.receiptHeader);
        if (outcome.kind === 'replay') {
          replay(ctx, outcome.response);
          return;
        }
        const record = outcome.record;
        ctx.state.payment = {
          price: wei,
          receipt: outcome.receipt,
          retried: outcome.retried ?? false,
          idempotencyKey: key,
        } satisfies PaymentState;
        try {
          await inSpan('chanpay.handler', {}, () => next());
        } catch (e) {
          record?.settle('unserved');
          throw e;
        }
        if (record) {
          const cached = cacheable(ctx);
          record.settle(cached ? 'served' : 'unserved', cached ?? undefined);
        }
      };
    },
  };
}

/** The Idempotency-Key header as sent (an empty one too, which is refused), or null when there is none. */
function idempotencyKeyOf(ctx: Context): string | null {
  const value = ctx.headers[IDEMPOTENCY_HEADER];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

function outcomeLabel(o: ChargeOutcome): PaymentOutcomeLabel {
  // Every refusal answers 402 with terms; a call that brought no payment at all is the plain 402.
  if (o.kind === 'refused') return o.refusal.error.code === 'PAYMENT_REQUIRED' ? '402' : 'refused';
  if (o.kind === 'replay') return 'replay';
  return o.retried ? 'retried' : 'paid';
}
