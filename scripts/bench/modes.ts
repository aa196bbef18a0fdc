/** What each benchmark mode runs: which network, with what extra settings, and how its calls are paid. */
import type { NetworkMode } from '../network';
import type { BenchMode } from './types';

/** Calls each voucher pays ahead in the `prepaid` mode (the public service's PREPAY_CALLS); the rest carry tickets. */
export const PREPAID_CALLS_PER_VOUCHER = 100;

/** The modes whose calls are paid over payment channels: receipts with every action, channel transactions on chain. */
export const CHANNEL_MODES: readonly BenchMode[] = ['local', 'prepaid', 'remote'];

export const isChannelMode = (mode: BenchMode): boolean => CHANNEL_MODES.includes(mode);

/** Calls paid by one signed voucher: the number of prepaid calls, 1 without tickets. */
export const callsPerVoucher = (mode: BenchMode): number => (mode === 'prepaid' ? PREPAID_CALLS_PER_VOUCHER : 1);

/** The example network a (non-naive) mode starts, and the extra environment of every child process. */
export function networkOf(mode: Exclude<BenchMode, 'naive'>): { mode: NetworkMode; env: Record<string, string> } {
  // Set in every mode: a PREPAY_CALLS in the benchmark's own environment (the children inherit it) must not turn
  // the other modes into prepaid ones.
  const env = { PREPAY_CALLS: String(callsPerVoucher(mode)) };
  return { mode: mode === 'prepaid' ? 'local' : mode, env };
}
