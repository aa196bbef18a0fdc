import { INVALID_SPAN_CONTEXT, ProxyTracerProvider, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/**
 * chanpay's own spans, through the OpenTelemetry API only. Without a registered SDK (tracing off) they are skipped
 * before the API is asked for a tracer: the API's no-op path allocates a tracer, a span and a context per span,
 * which showed up at 1.5 % of a payment server's CPU in remote mode (`npm run bench -- --profile --modes remote`).
 * Attributes name channels, prices, amounts, the scheme and error codes; never a key, a token, a voucher or a ticket.
 */
export const ATTR = {
  channel: 'chanpay.channel',
  price: 'chanpay.price',
  amount: 'chanpay.amount',
  scheme: 'chanpay.scheme',
  /** voucher, ticket or none (the 402 round trip's unpaid try). */
  payment: 'chanpay.payment',
  /** paid, refused, replay. */
  outcome: 'chanpay.outcome',
  code: 'chanpay.code',
  origin: 'chanpay.origin',
  mode: 'chanpay.mode',
  upstream: 'chanpay.upstream',
  status: 'http.response.status_code',
  vouchers: 'chanpay.vouchers',
} as const;

const tracer = () => trace.getTracer('chanpay');

/** What the global provider delegates to while no SDK is registered (a fresh proxy's delegate is the API's no-op). */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();
/** The span `fn` gets while tracing is off: records nothing, as the API's own no-op span. */
const OFF_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Whether an OpenTelemetry SDK is registered (ours, or one the embedding program started). */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_PROVIDER;
}

/** A started span that is not made active (end it yourself); attributes are only built when tracing is on. */
export function startSpan(name: string, attributes: () => Attributes): Span {
  return tracingActive() ? tracer().startSpan(name, { attributes: attributes() }) : OFF_SPAN;
}

/**
 * Runs `fn` in a new active span, a child of the current one (`root`: of none, for background work that a timer
 * started from within some request); an error ends it with status ERROR and its code.
 */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, root = false): Promise<T> {
  if (!tracingActive()) return fn(OFF_SPAN);
  return tracer().startActiveSpan(name, { attributes, root }, async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      failed(span, e);
      throw e;
    } finally {
      span.end();
    }
  });
}

/** Marks a span failed with the error's stable code only (a ChanpayError's; messages may quote input, codes never do). */
export function failed(span: Span, e: unknown): void {
  const code = (e as { code?: unknown } | null)?.code;
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : 'error' });
}

/** Amounts and prices as decimal strings: wei exceed a double's exact range. */
export const wei = (v: bigint): string => v.toString();
