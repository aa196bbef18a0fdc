import { ChanpayError } from './errors';

/**
 * How a service pays and gets paid. Same wire format in both paying modes:
 * - `local`: the service signs (consumer) or verifies (provider) in process, with channel terms cached from its
 *   payment server; no payment-server round trip per call.
 * - `remote`: the thesis topology; the consumer's payment server signs each voucher, the provider's verifies it.
 * - `off`: no payment server, no chain; the same services and code path otherwise (the measurement baseline).
 */
export type PaymentMode = 'local' | 'remote' | 'off';

export const PAYMENT_MODES: readonly PaymentMode[] = ['local', 'remote', 'off'];

export function parsePaymentMode(value: string | undefined, fallback: PaymentMode = 'local'): PaymentMode {
  if (value === undefined || value === '') return fallback;
  const v = value.trim().toLowerCase();
  if (v === 'false' || v === '0' || v === 'none' || v === 'no') return 'off';
  if ((PAYMENT_MODES as readonly string[]).includes(v)) return v as PaymentMode;
  throw new ChanpayError('VALIDATION_ERROR', `payment mode must be one of ${PAYMENT_MODES.join(', ')}, got "${value}"`);
}

/** `PAYMENT` (local | remote | off) wins; `PAYMENT_INACTIVE` (any value, as in the thesis) means off. */
export function paymentModeFromEnv(env: Readonly<Record<string, string | undefined>>, fallback: PaymentMode = 'local'): PaymentMode {
  if (env.PAYMENT) return parsePaymentMode(env.PAYMENT, fallback);
  if (env.PAYMENT_INACTIVE !== undefined) return 'off';
  return parsePaymentMode(env.PAYMENT_MODE, fallback);
}
