/**
 * µBench's rule for comparing sizes fairly: the total work of one request stays the same whatever the number of
 * services. Every worker gets the same work per call, the total divided by the calls a request makes on
 * average (expectedCalls: probabilities and seqLen included), so that a chain of 2 and a BA graph of 50 burn the
 * same CPU per request and differ only in hops.
 */
import { TopologyError } from './errors';
import { expectedCalls } from './graph';
import type { TopologyInput } from './schema';
import { parseTopology } from './validate';

export interface TotalWork {
  kind: 'keccak' | 'busy';
  /** keccak rounds, or µs of busy loop, per request. */
  amount: number;
}

export function parseTotalWork(text: string): TotalWork {
  const m = /^(keccak|busy):(\d{1,10})$/.exec(text.trim());
  if (!m || Number(m[2]) > 1e10) throw new Error(`total work must be keccak:<rounds> or busy:<microseconds> per request, got "${text}"`);
  return { kind: m[1] as TotalWork['kind'], amount: Number(m[2]) };
}

/** The per-call work each worker gets so that a request's total is `total`. */
export function workPerCall(input: TopologyInput, total: TotalWork): { perCall: number; callsPerRequest: number } {
  const t = parseTopology(input);
  const visits = expectedCalls(t);
  const callsPerRequest = t.services.filter((s) => s.kind === 'worker').reduce((sum, s) => sum + visits.get(s.name)!, 0);
  if (callsPerRequest === 0)
    throw new TopologyError([{ path: ['services'], message: 'total work is spread over the workers, and this topology has none' }]);
  return { perCall: Math.round(total.amount / callsPerRequest), callsPerRequest };
}

/** A copy of the topology whose workers share `total` per request. */
export function withTotalWork(input: TopologyInput, total: TotalWork): TopologyInput {
  const { perCall } = workPerCall(input, total);
  const copy = structuredClone(input);
  for (const s of copy.services) {
    if (s.kind !== 'worker') continue;
    const { keccakRounds: _k, busyMicros: _b, ...rest } = s.work ?? {};
    s.work = { ...rest, ...(total.kind === 'keccak' ? { keccakRounds: perCall } : { busyMicros: perCall }) };
  }
  return copy;
}
