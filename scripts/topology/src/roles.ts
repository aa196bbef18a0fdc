/**
 * What each part of a topology needs to run, independent of how it is run (processes here, containers in the
 * compose files): which payment servers are needed, which accounts and keys they hold, how each service is
 * paid and pays, and the worker configuration. The process builder and the compose writer both render this.
 */
import type { PaymentMode } from '@chanpay/protocol';
import type { WorkerConfigInput } from '@chanpay/service-worker';
import { ROUTE_OF, type Account, type EdgePayment, type ResolvedTopology, type Service, type Team } from './model';

/** Default prices of the thesis kinds (their PRICE_WEI need not be set when the topology keeps them). */
export const KIND_DEFAULT_PRICE: Partial<Record<Service['kind'], bigint>> = {
  'random-number': 1_000_000_000n,
  persistence: 2_000_000_000n,
};

/** Whether a service pays anybody (then it needs its payment server and maybe a voucher key). */
export function paysUpstreams(t: ResolvedTopology, s: Service): boolean {
  return t.edges.some((e) => e.from === s.name && e.payment.mode !== 'off');
}

/** Whether a service talks to its payment server at all. */
export function needsPaymentServer(t: ResolvedTopology, s: Service): boolean {
  return s.providerMode !== 'off' || paysUpstreams(t, s);
}

/** The teams whose payment server has to run: those with a service that is paid or pays. */
export function activeTeams(t: ResolvedTopology): Team[] {
  return t.teams.filter((team) => t.services.some((s) => s.team === team.name && needsPaymentServer(t, s)));
}

export function accountOf(t: ResolvedTopology, s: Service): Account {
  return t.teams.find((x) => x.name === s.team)!.accounts.find((a) => a.name === s.account)!;
}

/** The payment server holds the hot voucher key (it signs in remote mode with it). */
export const serverHoldsVoucherKey = (a: Account) => a.voucherKey === 'both' || a.voucherKey === 'payment-server';
/** The service holds the hot voucher key (it signs in local mode). */
export const serviceHoldsVoucherKey = (a: Account) => a.voucherKey === 'both' || a.voucherKey === 'service';

/** The accounts a team's payment server holds: those of its services that are paid or pay. */
export function accountsOfTeam(t: ResolvedTopology, team: Team): { account: Account; service: Service }[] {
  return t.services.filter((s) => s.team === team.name && needsPaymentServer(t, s)).map((s) => ({ account: accountOf(t, s), service: s }));
}

/** public pays both upstreams through one consumer: the settings of its first edge are those of both. */
export function publicConsumer(s: Service): { payment: EdgePayment; randomNumber: string; persistence: string } {
  const [rn, ps] = s.groups[0]!.calls;
  return { payment: rn!.payment, randomNumber: rn!.to, persistence: ps!.to };
}

export interface WorkerConfigOptions {
  /** Base URL of a service as this worker reaches it. */
  urlOf: (service: string) => string;
  /** Leave each call's mode out, so that the worker's PAYMENT decides (a compose file with one mode switch). */
  inheritMode?: boolean;
}

/** WORKER_CONFIG of a worker. */
export function workerConfigOf(t: ResolvedTopology, s: Service, opts: WorkerConfigOptions): WorkerConfigInput {
  const kindOf = (name: string) => t.services.find((x) => x.name === name)!.kind as 'worker' | 'random-number' | 'persistence';
  return {
    name: s.name,
    // Unpaid callers (mode off) must not meet a price: the worker would answer them 402.
    price: s.providerMode === 'off' ? '0' : s.price.toString(),
    seed: t.seed,
    work: s.work ?? undefined,
    groups: s.groups.map((g) => ({
      seqLen: g.seqLen,
      calls: g.calls.map((e) => ({
        to: e.to,
        kind: kindOf(e.to),
        url: opts.urlOf(e.to),
        probability: e.probability,
        payment: {
          ...(opts.inheritMode ? {} : { mode: e.payment.mode }),
          prepay: e.payment.prepay,
          deposit: e.payment.deposit.toString(),
          challengePeriod: e.payment.challengePeriod,
          idempotencyKeys: e.payment.idempotencyKeys,
        },
      })),
    })),
  };
}

/** The route load is sent to on an entry. */
export const entryRoute = (s: Service) => ROUTE_OF[s.kind];

/** The one mode a service's process runs: how it is paid, or (public, entries) how it pays. */
export function processMode(t: ResolvedTopology, s: Service): PaymentMode {
  if (s.providerMode !== 'off') return s.providerMode;
  const out = t.edges.filter((e) => e.from === s.name).map((e) => e.payment.mode);
  return out.find((m) => m !== 'off') ?? 'off';
}
