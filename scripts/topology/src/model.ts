/** The topology after validation: every default filled in, amounts in wei, the calls as a list of edges. */
import type { PaymentMode } from '@chanpay/protocol';
import type { Placement, ServiceKind, Topology, VoucherKeyHolder } from './schema';

/** A field's place in the topology file, as zod reports it: `['services', 2, 'price']`. */
export type FieldPath = (string | number)[];

/** How the caller pays on one edge, every setting resolved. */
export interface EdgePayment {
  mode: PaymentMode;
  prepay: number;
  deposit: bigint;
  sync: boolean;
  challengePeriod: number;
  idempotencyKeys: boolean;
}

/** One upstream call: `from` calls `to` (group `group`, position `index` in it) with `probability`. */
export interface Edge {
  from: string;
  to: string;
  group: number;
  index: number;
  probability: number;
  payment: EdgePayment;
  /** Where the call is written in the file (for error messages). */
  path: FieldPath;
}

export interface CallGroup {
  seqLen: number | null;
  calls: Edge[];
}

export interface Work {
  keccakRounds: number;
  busyMicros: number;
  responseBytes: number;
}

export interface Service {
  name: string;
  kind: ServiceKind;
  team: string;
  account: string;
  /** 0 for entries (the load generator does not pay). */
  price: bigint;
  /** Most calls one voucher may prepay at this provider. */
  maxPrepay: number;
  replicas: number;
  placement: string | null;
  port: number | null;
  work: Work | null;
  groups: CallGroup[];
  /** How this service is paid: the mode of the edges into it (`off` when nobody pays it). */
  providerMode: PaymentMode;
  /** Local mode: whether it answers only after its payment server stored the voucher. */
  providerSync: boolean;
}

export interface Account {
  name: string;
  voucherKey: VoucherKeyHolder;
}

export interface Team {
  name: string;
  paymentServer: {
    name: string;
    port: number | null;
    placement: string | null;
    claimIntervalSeconds: number | null;
    dbSync: 'normal' | 'full' | null;
    /** Where it keeps its state; postgres whenever replicas > 1. */
    store: 'sqlite' | 'postgres';
    replicas: number;
  };
  accounts: Account[];
}

export interface ResolvedTopology {
  name: string;
  description: string | null;
  seed: number;
  chain: Topology['chain'];
  teams: Team[];
  services: Service[];
  edges: Edge[];
  entry: string[];
  /** Where a Swarm runs each part (the stack file's constraints). */
  placement: Placement;
  /** The file as parsed (defaults applied), for printing and JSON output. */
  source: Topology;
}

export const DEFAULT_PAYMENT: EdgePayment = {
  mode: 'local',
  prepay: 1,
  deposit: 5_000_000_000_000_000n,
  sync: false,
  challengePeriod: 120,
  idempotencyKeys: false,
};

/** The paid route each kind serves (entries' route for load, providers' route for callers). */
export const ROUTE_OF: Record<ServiceKind, string> = {
  public: '/action',
  'random-number': '/randomNumber',
  persistence: '/save?nr=',
  worker: '/work',
};

export function serviceOf(t: ResolvedTopology, name: string): Service {
  const s = t.services.find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name}`);
  return s;
}

export function teamOf(t: ResolvedTopology, service: Service): Team {
  return t.teams.find((x) => x.name === service.team)!;
}

/** Whether anything in the network is paid (then it needs a chain and payment servers). */
export function isPaid(t: ResolvedTopology): boolean {
  return t.edges.some((e) => e.payment.mode !== 'off');
}

/** The one payment mode of every edge, or `mixed`. */
export function uniformMode(t: ResolvedTopology): PaymentMode | 'mixed' {
  const modes = new Set(t.edges.map((e) => e.payment.mode));
  if (modes.size === 0) return 'off';
  return modes.size === 1 ? [...modes][0]! : 'mixed';
}
