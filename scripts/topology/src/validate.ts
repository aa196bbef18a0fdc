/**
 * From a topology file to a network that can run: the schema first, then every rule that spans fields (names
 * that must exist, a call graph without cycles, modes a payment server can serve, ports that do not collide).
 * All problems are collected and thrown together as one TopologyError, before anything starts.
 */
import { parseAmount, type PaymentMode } from '@chanpay/protocol';
import { TopologyError, formatPath, type TopologyIssue } from './errors';
import { findCycle } from './graph';
import {
  DEFAULT_PAYMENT,
  type Account,
  type CallGroup,
  type Edge,
  type EdgePayment,
  type FieldPath,
  type ResolvedTopology,
  type Service,
  type Team,
} from './model';
import { TopologySchema, type ServiceKind, type Topology } from './schema';

/** Settings that replace those of every edge (`npm start -- --mode remote`, `--no-payment`, `--prepay 10`). */
export interface TopologyOverrides {
  mode?: PaymentMode;
  prepay?: number;
  sync?: boolean;
  /** wei, or an amount string. */
  deposit?: bigint | string;
  challengePeriod?: number;
}

const DEFAULT_PRICE: Record<ServiceKind, bigint> = {
  public: 0n,
  'random-number': 1_000_000_000n,
  persistence: 2_000_000_000n,
  worker: 1_000_000_000n,
};

const PROVIDER_KINDS: readonly ServiceKind[] = ['random-number', 'persistence', 'worker'];
/** Names the compose files use for their own services. */
const RESERVED_NAMES = ['chain', 'deploy', 'visualizer', 'fund', 'postgres'];

export interface ParseOptions {
  overrides?: TopologyOverrides;
  /** Named in the error message ("invalid topology chain:5"). */
  source?: string;
}

/** Parses, applies the overrides, and checks a topology; throws a TopologyError listing every problem. */
export function parseTopology(input: unknown, opts: ParseOptions = {}): ResolvedTopology {
  const source = opts.source ? `topology ${opts.source}` : 'topology';
  const parsed = TopologySchema.safeParse(input);
  if (!parsed.success) {
    throw new TopologyError(
      parsed.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: i.message })),
      source,
    );
  }
  return resolveTopology(applyOverrides(parsed.data, opts.overrides), source);
}

/** The topology with the overrides written into its defaults and into every call. */
export function applyOverrides(t: Topology, o: TopologyOverrides = {}): Topology {
  const set: Record<string, unknown> = {};
  if (o.mode !== undefined) set.mode = o.mode;
  if (o.prepay !== undefined) set.prepay = o.prepay;
  if (o.sync !== undefined) set.sync = o.sync;
  if (o.deposit !== undefined) set.deposit = o.deposit.toString();
  if (o.challengePeriod !== undefined) set.challengePeriod = o.challengePeriod;
  if (Object.keys(set).length === 0) return t;
  const copy = structuredClone(t);
  copy.defaults.payment = { ...copy.defaults.payment, ...set };
  for (const groups of Object.values(copy.calls))
    for (const g of groups) for (const c of g.calls) if (c.payment) c.payment = { ...c.payment, ...set };
  return copy;
}

export function resolveTopology(t: Topology, source = 'topology'): ResolvedTopology {
  const issues: TopologyIssue[] = [];
  const seen = new Set<string>();
  const issue = (path: FieldPath, message: string) => {
    // A default shared by many edges is reported once.
    const key = `${formatPath(path)}\n${message}`;
    if (!seen.has(key)) issues.push({ path, message });
    seen.add(key);
  };

  // ---- names
  const uniqueNames = (kind: string, names: string[], pathOf: (i: number) => FieldPath) => {
    const seen = new Map<string, number>();
    names.forEach((n, i) => {
      if (seen.has(n)) issue(pathOf(i), `${kind} "${n}" is defined twice (also at index ${seen.get(n)})`);
      else seen.set(n, i);
    });
  };
  uniqueNames(
    'team',
    t.teams.map((x) => x.name),
    (i) => ['teams', i, 'name'],
  );
  uniqueNames(
    'service',
    t.services.map((x) => x.name),
    (i) => ['services', i, 'name'],
  );

  const teams: Team[] = t.teams.map((team) => ({
    name: team.name,
    paymentServer: {
      name: team.paymentServer.name ?? `payment-server-${team.name}`,
      port: team.paymentServer.port ?? null,
      placement: team.paymentServer.placement ?? null,
      claimIntervalSeconds: team.paymentServer.claimIntervalSeconds ?? null,
      dbSync: team.paymentServer.dbSync ?? null,
      store: team.paymentServer.store ?? (team.paymentServer.replicas > 1 ? 'postgres' : 'sqlite'),
      replicas: team.paymentServer.replicas,
    },
    accounts: team.accounts
      ? team.accounts.map((a): Account => ({ name: a.name, voucherKey: a.voucherKey }))
      : t.services.filter((s) => s.team === team.name).map((s): Account => ({ name: s.account ?? s.name, voucherKey: 'both' })),
  }));
  const serviceNames = new Set(t.services.map((s) => s.name));
  teams.forEach((team, i) => {
    const ps = team.paymentServer.name;
    const path: FieldPath = t.teams[i]!.paymentServer.name ? ['teams', i, 'paymentServer', 'name'] : ['teams', i, 'name'];
    if (serviceNames.has(ps)) issue(path, `payment server name "${ps}" is also a service's name`);
    if (RESERVED_NAMES.includes(ps)) issue(path, `"${ps}" is reserved (${RESERVED_NAMES.join(', ')})`);
    if (team.paymentServer.replicas > 1 && team.paymentServer.store === 'sqlite')
      issue(
        ['teams', i, 'paymentServer', 'store'],
        'replicas of a payment server share one PostgreSQL store; a SQLite file has one process',
      );
    if (team.paymentServer.store === 'postgres' && team.paymentServer.dbSync)
      issue(['teams', i, 'paymentServer', 'dbSync'], "dbSync is SQLite's synchronous setting; PostgreSQL commits durably");
  });
  uniqueNames(
    'payment server',
    teams.map((x) => x.paymentServer.name),
    (i) => ['teams', i, 'paymentServer', 'name'],
  );
  t.services.forEach((s, i) => {
    if (RESERVED_NAMES.includes(s.name)) issue(['services', i, 'name'], `"${s.name}" is reserved (${RESERVED_NAMES.join(', ')})`);
  });
  const accountOwner = new Map<string, string>();
  teams.forEach((team, ti) =>
    team.accounts.forEach((a, ai) => {
      const other = accountOwner.get(a.name);
      if (other !== undefined)
        issue(
          ['teams', ti, 'accounts', ai, 'name'],
          `account "${a.name}" is also in team "${other}": account names are unique across teams`,
        );
      else accountOwner.set(a.name, team.name);
    }),
  );

  // ---- services
  const entries = new Set(t.entry);
  const accountUser = new Map<string, string>();
  const services: Service[] = t.services.map((s, i) => {
    const path = (...rest: FieldPath): FieldPath => ['services', i, ...rest];
    const team = teams.find((x) => x.name === s.team);
    const account = s.account ?? s.name;
    if (!team) issue(path('team'), `unknown team "${s.team}"; teams are ${teams.map((x) => `"${x.name}"`).join(', ')}`);
    else if (!team.accounts.some((a) => a.name === account)) {
      issue(
        path(s.account ? 'account' : 'name'),
        `team "${team.name}" has no account "${account}"${s.account ? '' : ' (a service uses the account named after it unless "account" says otherwise)'}`,
      );
    }
    const user = accountUser.get(account);
    if (user !== undefined)
      issue(
        path(s.account ? 'account' : 'name'),
        `account "${account}" is already the account of service "${user}": each service needs its own`,
      );
    else accountUser.set(account, s.name);

    let price = DEFAULT_PRICE[s.kind];
    if (s.price !== undefined) {
      price = parseAmount(s.price);
      if (entries.has(s.name) && price > 0n)
        issue(path('price'), 'an entry is called by the load generator, which does not pay: an entry has no price');
    }
    if (entries.has(s.name)) price = 0n;
    if (s.kind === 'public' && s.price !== undefined && !entries.has(s.name)) issue(path('price'), 'a public service has no paid route');
    if (s.work && s.kind !== 'worker')
      issue(path('work'), `only workers have configurable work; a ${s.kind} service does what it always does`);
    if (s.work && s.work.keccakRounds !== undefined && s.work.busyMicros !== undefined)
      issue(path('work'), 'give keccakRounds or busyMicros, not both');
    if (s.accepts && !PROVIDER_KINDS.includes(s.kind))
      issue(path('accepts'), `a ${s.kind} service is paid by nobody, so it accepts nothing`);
    if (s.replicas > 1 && !PROVIDER_KINDS.includes(s.kind))
      issue(path('replicas'), `only a provider service runs as replicas (sharing its accepted payments); a ${s.kind} service keeps 1`);
    if (s.replicas > 1 && s.kind === 'persistence')
      issue(path('replicas'), 'persistence keeps its numbers in a SQLite file of its own per process; keep 1');
    if (s.replicas > 1 && (t.calls[s.name]?.length ?? 0) > 0)
      issue(path('replicas'), 'a service that pays upstreams runs as one process (its replicas would sign on one channel); keep 1');
    return {
      name: s.name,
      kind: s.kind,
      team: s.team,
      account,
      price,
      maxPrepay: s.accepts?.prepaidTickets ?? 256,
      replicas: s.replicas,
      placement: s.placement ?? null,
      port: s.port ?? null,
      work:
        s.kind === 'worker'
          ? { keccakRounds: s.work?.keccakRounds ?? 0, busyMicros: s.work?.busyMicros ?? 0, responseBytes: s.work?.responseBytes ?? 0 }
          : null,
      groups: [],
      providerMode: 'off',
      providerSync: false,
    };
  });
  const byName = new Map(services.map((s) => [s.name, s]));

  // ---- calls
  const defaults = t.defaults.payment;
  const edges: Edge[] = [];
  for (const [from, groups] of Object.entries(t.calls)) {
    const caller = byName.get(from);
    if (!caller) {
      issue(['calls', from], `unknown caller "${from}": no service has that name`);
      continue;
    }
    if (caller.kind === 'random-number' || caller.kind === 'persistence') {
      if (groups.length > 0) issue(['calls', from], `a ${caller.kind} service calls nobody`);
      continue;
    }
    groups.forEach((g, gi) => {
      if (g.seqLen !== undefined && caller.kind !== 'worker')
        issue(['calls', from, gi, 'seqLen'], 'only workers pick calls at random; public always makes both');
      const group: CallGroup = { seqLen: g.seqLen ?? null, calls: [] };
      g.calls.forEach((c, ci) => {
        const path: FieldPath = ['calls', from, gi, 'calls', ci];
        const callee = byName.get(c.to);
        if (!callee) {
          issue([...path, 'to'], `unknown upstream "${c.to}": no service has that name`);
          return;
        }
        if (c.to === from) {
          issue([...path, 'to'], `service "${from}" calls itself`);
          return;
        }
        if (callee.kind === 'public') {
          issue([...path, 'to'], `"${c.to}" is a public service: it has no route to call`);
          return;
        }
        const payment = edgePayment(defaults, c.payment, [...path, 'payment'], issue);
        const edge: Edge = { from, to: c.to, group: gi, index: ci, probability: c.probability, payment, path };
        group.calls.push(edge);
        edges.push(edge);
      });
      caller.groups.push(group);
    });
  }
  for (const s of services) if (s.kind === 'public') checkPublicCalls(s, t, byName, issue);

  // ---- edges into one provider, and the same pair twice
  for (const s of services) {
    const into = edges.filter((e) => e.to === s.name);
    if (into.length === 0) continue;
    const first = into[0]!;
    s.providerMode = first.payment.mode;
    s.providerSync = first.payment.sync;
    for (const e of into.slice(1)) {
      if (e.payment.mode !== first.payment.mode) {
        issue(
          [...e.path, 'payment', 'mode'],
          `"${s.name}" is paid in ${first.payment.mode} mode by "${first.from}" (${formatPath(first.path)}) and in ${e.payment.mode} mode here: a provider runs one mode`,
        );
      } else if (e.payment.sync !== first.payment.sync) {
        issue(
          [...e.path, 'payment', 'sync'],
          `"${s.name}" gets sync ${first.payment.sync} from "${first.from}" and ${e.payment.sync} here: a provider either waits for its payment server or not`,
        );
      }
    }
  }
  const pairs = new Map<string, Edge>();
  for (const e of edges) {
    const key = `${e.from}>${e.to}`;
    const earlier = pairs.get(key);
    if (!earlier) pairs.set(key, e);
    else if (JSON.stringify(paymentJson(earlier.payment)) !== JSON.stringify(paymentJson(e.payment))) {
      issue(
        [...e.path, 'payment'],
        `"${e.from}" calls "${e.to}" also at ${formatPath(earlier.path)} with other payment settings: one channel per pair, one set of settings`,
      );
    }
  }

  // ---- what each payment mode needs
  for (const e of edges) {
    const caller = byName.get(e.from)!;
    const callee = byName.get(e.to)!;
    const team = teams.find((x) => x.name === caller.team);
    const account = team?.accounts.find((a) => a.name === caller.account);
    const modePath: FieldPath = [...e.path, 'payment', 'mode'];
    if (account && e.payment.mode === 'local' && (account.voucherKey === 'payment-server' || account.voucherKey === 'none')) {
      issue(
        modePath,
        `local mode needs a voucher key in service "${caller.name}", but account "${account.name}" of team "${team!.name}" has voucherKey "${account.voucherKey}" (use "service" or "both")`,
      );
    }
    if (account && e.payment.mode === 'remote' && account.voucherKey === 'service') {
      issue(
        modePath,
        `remote mode needs ${team!.paymentServer.name} to hold the signing key of account "${account.name}", but its voucher key is held by the service only (voucherKey "service"; use "both" or "payment-server")`,
      );
    }
    if (e.payment.mode !== 'off' && e.payment.prepay > 1 && e.payment.prepay > callee.maxPrepay) {
      issue(
        [...e.path, 'payment', 'prepay'],
        `"${callee.name}" takes at most ${callee.maxPrepay} prepaid calls per voucher (services.${callee.name}.accepts.prepaidTickets), not ${e.payment.prepay}`,
      );
    }
    if (e.payment.mode !== 'off' && callee.price === 0n) issue([...e.path, 'to'], `"${callee.name}" is paid on this edge but has no price`);
  }

  // ---- entries and reachability
  const entrySeen = new Set<string>();
  t.entry.forEach((name, i) => {
    const s = byName.get(name);
    if (entrySeen.has(name)) issue(['entry', i], `entry "${name}" is listed twice`);
    entrySeen.add(name);
    if (!s) issue(['entry', i], `unknown entry "${name}": no service has that name`);
    else if (s.kind !== 'public' && s.kind !== 'worker')
      issue(['entry', i], `a ${s.kind} service cannot be an entry: load is sent unpaid, and it only serves paid calls`);
    else {
      const caller = edges.find((e) => e.to === name);
      if (caller) issue(['entry', i], `entry "${name}" is also called by "${caller.from}"; an entry is only called by the load generator`);
    }
  });
  const reached = new Set<string>();
  const visit = (name: string) => {
    if (reached.has(name)) return;
    reached.add(name);
    for (const e of edges) if (e.from === name) visit(e.to);
  };
  for (const name of t.entry) if (byName.has(name)) visit(name);
  services.forEach((s, i) => {
    if (!reached.has(s.name)) issue(['services', i, 'name'], `service "${s.name}" is not an entry and no entry reaches it`);
  });
  for (const s of services)
    if (s.kind === 'public' && !entries.has(s.name))
      issue(
        ['services', t.services.findIndex((x) => x.name === s.name), 'kind'],
        'a public service has no paid route: it can only be an entry',
      );

  // ---- cycles
  const cycle = findCycle(
    services.map((s) => s.name),
    edges,
  );
  if (cycle) issue([...cycle.closing.path, 'to'], `the calls form a cycle: ${cycle.names.join(' → ')}`);

  // ---- ports
  const ports = new Map<number, string>();
  const claim = (port: number | null | undefined, owner: string, path: FieldPath) => {
    if (port === null || port === undefined) return;
    const other = ports.get(port);
    if (other !== undefined) issue(path, `port ${port} is also the port of ${other}`);
    else ports.set(port, owner);
  };
  claim(t.chain.port, 'the chain', ['chain', 'port']);
  teams.forEach((team, i) => claim(team.paymentServer.port, team.paymentServer.name, ['teams', i, 'paymentServer', 'port']));
  services.forEach((s, i) => claim(s.port, s.name, ['services', i, 'port']));

  // ---- chain
  if (t.chain.kind === 'external' && !t.chain.url) issue(['chain', 'url'], 'an external chain needs its JSON-RPC url');
  if (t.chain.kind !== 'external' && t.chain.url)
    issue(['chain', 'url'], `a ${t.chain.kind} chain is started here; url is for kind "external"`);
  if (t.chain.kind === 'external' && t.chain.port !== undefined)
    issue(['chain', 'port'], 'an external chain listens where it listens: give its url, not a port');

  if (issues.length) throw new TopologyError(issues, source);
  return {
    name: t.name,
    description: t.description ?? null,
    seed: t.seed,
    chain: t.chain,
    teams,
    services,
    edges,
    entry: t.entry,
    placement: t.placement,
    source: t,
  };
}

function edgePayment(
  defaults: Topology['defaults']['payment'],
  own: Topology['defaults']['payment'] | undefined,
  path: FieldPath,
  issue: (p: FieldPath, m: string) => void,
): EdgePayment {
  const merged = { ...defaults, ...own };
  let deposit = DEFAULT_PAYMENT.deposit;
  if (merged.deposit !== undefined) {
    deposit = parseAmount(merged.deposit);
    if (deposit === 0n)
      issue([...(own?.deposit !== undefined ? path : ['defaults', 'payment']), 'deposit'], 'a channel needs a deposit above 0');
  }
  return {
    mode: merged.mode ?? DEFAULT_PAYMENT.mode,
    prepay: merged.prepay ?? DEFAULT_PAYMENT.prepay,
    deposit,
    sync: merged.sync ?? DEFAULT_PAYMENT.sync,
    challengePeriod: merged.challengePeriod ?? DEFAULT_PAYMENT.challengePeriod,
    idempotencyKeys: merged.idempotencyKeys ?? DEFAULT_PAYMENT.idempotencyKeys,
  };
}

/** public always calls random-number, then persistence with that number, through one consumer. */
function checkPublicCalls(s: Service, t: Topology, byName: Map<string, Service>, issue: (p: FieldPath, m: string) => void): void {
  const path: FieldPath = ['calls', s.name];
  const calls = s.groups.flatMap((g) => g.calls);
  const shape = calls.map((e) => byName.get(e.to)?.kind);
  if (
    t.calls[s.name] === undefined ||
    s.groups.length !== 1 ||
    shape.length !== 2 ||
    shape[0] !== 'random-number' ||
    shape[1] !== 'persistence'
  ) {
    issue(path, 'a public service makes one group of two calls: a random-number service, then a persistence service (as in the thesis)');
    return;
  }
  calls.forEach((e) => {
    if (e.probability !== 1) issue([...e.path, 'probability'], 'a public service always makes both calls (probability 1)');
  });
  if (JSON.stringify(paymentJson(calls[0]!.payment)) !== JSON.stringify(paymentJson(calls[1]!.payment))) {
    issue(
      [...calls[1]!.path, 'payment'],
      'a public service pays both upstreams through one consumer: give both calls the same payment settings',
    );
  }
}

const paymentJson = (p: EdgePayment) => ({ ...p, deposit: p.deposit.toString() });
