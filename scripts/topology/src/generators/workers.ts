/**
 * What the generated topologies share: every service is a worker; teams are assigned round-robin (one payment
 * server each); ports are fixed and deterministic (services from 8100, payment servers from 3101), so that the
 * compose files and two runs agree; every edge is paid with the same settings.
 */
import { parseAmount, type PaymentMode } from '@chanpay/protocol';
import { seededRandom } from '@chanpay/service-worker';
import type { TopologyInput } from '../schema';
import { parseTotalWork, withTotalWork } from '../total-work';

export const SERVICE_BASE_PORT = 8100;
export const PAYMENT_SERVER_BASE_PORT = 3101;

/** The key=value options every generator takes (after its positional numbers). */
export interface CommonParams {
  teams: number;
  price: string;
  keccak: number;
  busy: number;
  bytes: number;
  mode: PaymentMode;
  prepay: number;
  deposit: string;
  /** A number in [0, 1], or `random` (µBench's random model: a fresh probability in (0,1) per edge). */
  probability: number | 'random';
  /** Total work of one request, split over the workers (see totalWork.ts): `keccak:N` or `busy:N`. */
  total: string | null;
}

export const COMMON_DEFAULTS: CommonParams = {
  teams: 2,
  price: '1 gwei',
  keccak: 1000,
  busy: 0,
  bytes: 64,
  mode: 'local',
  prepay: 1,
  deposit: '5 finney',
  probability: 1,
  total: null,
};

export interface GeneratedNode {
  name: string;
  /** Upstream groups: names of the callees, in call order. */
  groups: string[][];
}

/** A topology of workers from nodes (the first `entries` of them are the entries). */
export function workerTopology(
  name: string,
  description: string,
  nodes: GeneratedNode[],
  entries: string[],
  p: CommonParams,
  seed: number,
): TopologyInput {
  const teams = Math.max(1, Math.min(p.teams, nodes.length));
  const teamOf = (i: number) => `team-${(i % teams) + 1}`;
  const random = seededRandom('probability', seed);
  const probability = () => (p.probability === 'random' ? Math.max(0.001, Math.round(random() * 1000) / 1000) : p.probability);
  const work = p.busy > 0 ? { busyMicros: p.busy, responseBytes: p.bytes } : { keccakRounds: p.keccak, responseBytes: p.bytes };
  const calls: NonNullable<TopologyInput['calls']> = {};
  for (const n of nodes) {
    const groups = n.groups.filter((g) => g.length > 0);
    if (groups.length) calls[n.name] = groups.map((g) => ({ calls: g.map((to) => ({ to, probability: probability() })) }));
  }
  const topology: TopologyInput = {
    name,
    description,
    seed,
    chain: { kind: 'ganache', port: 8545 },
    defaults: { payment: { mode: p.mode, prepay: p.prepay, deposit: p.deposit, challengePeriod: 120 } },
    teams: Array.from({ length: teams }, (_, i) => ({
      name: `team-${i + 1}`,
      paymentServer: { name: `payment-server-${i + 1}`, port: PAYMENT_SERVER_BASE_PORT + i },
    })),
    services: nodes.map((n, i) => ({
      name: n.name,
      kind: 'worker' as const,
      team: teamOf(i),
      ...(entries.includes(n.name) ? {} : { price: p.price }),
      port: SERVICE_BASE_PORT + i,
      work,
    })),
    calls,
    entry: entries,
  };
  return p.total ? withTotalWork(topology, parseTotalWork(p.total)) : topology;
}

/** Parses `a,b,key=value,…`: the positionals by name, then the common options. */
export function parseParams(
  spec: string,
  args: string,
  positional: { name: string; min: number; max: number; required: boolean }[],
): { values: number[]; common: CommonParams; extra: Map<string, string> } {
  const parts = args === '' ? [] : args.split(',').map((s) => s.trim());
  const values: number[] = [];
  const common: CommonParams = { ...COMMON_DEFAULTS };
  const extra = new Map<string, string>();
  let i = 0;
  for (; i < parts.length && !parts[i]!.includes('='); i++) {
    const def = positional[i];
    if (!def) throw new Error(`${spec}: too many numbers (${positional.map((p) => p.name).join(', ') || 'none'} expected)`);
    values.push(intIn(spec, def.name, parts[i]!, def.min, def.max));
  }
  positional.forEach((def, k) => {
    if (def.required && values[k] === undefined)
      throw new Error(`${spec}: ${def.name} is missing (${positional.map((p) => p.name).join(', ')})`);
  });
  for (; i < parts.length; i++) {
    const [key, value, ...rest] = parts[i]!.split('=');
    if (!key || value === undefined || rest.length)
      throw new Error(`${spec}: "${parts[i]}" is not key=value (options come after the numbers)`);
    switch (key) {
      case 'teams':
        common.teams = intIn(spec, key, value, 1, 64);
        break;
      case 'price':
      case 'deposit':
        try {
          parseAmount(value);
        } catch (e) {
          throw new Error(`${spec}: ${key}: ${(e as Error).message}`);
        }
        common[key] = value;
        break;
      case 'keccak':
        common.keccak = intIn(spec, key, value, 0, 100_000_000);
        break;
      case 'busy':
        common.busy = intIn(spec, key, value, 0, 10_000_000);
        break;
      case 'bytes':
        common.bytes = intIn(spec, key, value, 0, 10_000_000);
        break;
      case 'mode':
        if (value !== 'local' && value !== 'remote' && value !== 'off')
          throw new Error(`${spec}: mode must be local, remote or off, got "${value}"`);
        common.mode = value;
        break;
      case 'prepay':
        common.prepay = intIn(spec, key, value, 1, 4096);
        break;
      case 'probability':
        if (value === 'random') common.probability = 'random';
        else {
          const p = Number(value);
          if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(value) || p < 0 || p > 1)
            throw new Error(`${spec}: probability must be a number from 0 to 1 or "random", got "${value}"`);
          common.probability = p;
        }
        break;
      case 'total':
        common.total = value;
        break;
      default:
        extra.set(key, value);
    }
  }
  return { values, common, extra };
}

/** Rejects options a generator does not know. */
export function noOtherOptions(spec: string, extra: Map<string, string>, known: string[] = []): void {
  for (const key of extra.keys()) {
    if (!known.includes(key)) {
      throw new Error(
        `${spec}: unknown option "${key}"; options: ${[...known, 'teams', 'price', 'keccak', 'busy', 'bytes', 'mode', 'prepay', 'deposit', 'probability', 'total'].join(', ')}`,
      );
    }
  }
}

export function intIn(spec: string, name: string, text: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max)
    throw new Error(`${spec}: ${name} must be a whole number from ${min} to ${max}, got "${text}"`);
  return Number(text);
}

export function numberIn(spec: string, name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new Error(`${spec}: ${name} must be a number from ${min} to ${max}, got "${text}"`);
  return n;
}
