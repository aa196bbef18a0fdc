/** The payment modes an open-loop run compares, as topology overrides applied to every edge. */
import type { TopologyOverrides } from '@chanpay/topology';
import { PREPAID_CALLS_PER_VOUCHER } from '../modes';

export type OpenMode = 'off' | 'local' | 'prepaid' | 'remote';

export const OPEN_MODES: readonly OpenMode[] = ['off', 'local', 'prepaid', 'remote'];

export const OPEN_MODE_LABELS: Record<OpenMode, string> = {
  off: 'no payment (baseline)',
  local: 'voucher per call, verified in the provider (local)',
  prepaid: `prepaid tickets (${PREPAID_CALLS_PER_VOUCHER} calls per voucher), local`,
  remote: 'voucher per call, signed and verified by the payment servers (remote)',
};

export function overridesOf(mode: OpenMode): TopologyOverrides {
  if (mode === 'off') return { mode: 'off' };
  if (mode === 'prepaid') return { mode: 'local', prepay: PREPAID_CALLS_PER_VOUCHER };
  return { mode, prepay: 1 };
}
