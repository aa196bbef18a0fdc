/**
 * The payment modes an open-loop run compares. Ours are topology overrides applied to every edge; the two peers
 * are networks of their own: `naive` (the thesis's rejected design, one ETH transfer per paid call, thesis shape
 * only) and `x402` (x402 `exact` through its own SDK on the topology's entry edge, the topology behind it unpaid).
 */
import type { TopologyOverrides } from '@chanpay/topology';
import { PREPAID_CALLS_PER_VOUCHER } from '../modes';

/**
 * `target`: a network deployed elsewhere (`--target`), whatever payment it runs; never given in --modes.
 * `traced-off`: the baseline with tracing on in every process (CHANPAY_TRACE_FILE): what tracing itself costs.
 */
export type OpenMode = 'off' | 'traced-off' | 'local' | 'prepaid' | 'remote' | 'naive' | 'x402' | 'target';

export const OPEN_MODES: readonly Exclude<OpenMode, 'target'>[] = ['off', 'traced-off', 'local', 'prepaid', 'remote', 'naive', 'x402'];
/** What `--modes` runs when not told: ours (the peers need a thesis network or start processes of their own). */
export const DEFAULT_OPEN_MODES: readonly OpenMode[] = ['off', 'local', 'prepaid', 'remote'];

export const OPEN_MODE_LABELS: Record<OpenMode, string> = {
  off: 'no payment (baseline)',
  'traced-off': 'no payment, every process traced to a JSON-lines file (what tracing costs)',
  local: 'voucher per call, verified in the provider (local)',
  prepaid: `prepaid tickets (${PREPAID_CALLS_PER_VOUCHER} calls per voucher), local`,
  remote: 'voucher per call, signed and verified by the payment servers (remote)',
  naive: 'one on-chain ETH transfer per paid call, mined before the call (naive; thesis shape only)',
  target: 'a network deployed elsewhere (--target), loaded from this machine',
  x402: 'x402 exact through its SDK: one EIP-3009 transferWithAuthorization settled per request, on the entry edge',
};

/** Modes whose network is not the topology itself with payment set on its edges. */
export const PEER_MODES: readonly OpenMode[] = ['naive', 'x402'];

/** Modes without payment: no paid hops, no chain cost. */
export const unpaid = (mode: OpenMode): boolean => mode === 'off' || mode === 'traced-off';

export function overridesOf(mode: OpenMode): TopologyOverrides {
  if (mode === 'off' || mode === 'traced-off' || mode === 'naive' || mode === 'x402' || mode === 'target') return { mode: 'off' };
  if (mode === 'prepaid') return { mode: 'local', prepay: PREPAID_CALLS_PER_VOUCHER };
  return { mode, prepay: 1 };
}
