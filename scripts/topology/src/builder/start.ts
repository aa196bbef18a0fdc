/**
 * The network builder: any topology as processes on 127.0.0.1. Starts the chain, one payment server per team
 * (the first deploys the contract, the others attach to it), every service as a child with its environment,
 * waits until each answers `/status`, opens the channels if asked, and stops everything it started, also when a
 * step fails (nothing half-started is left behind).
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { formatUnits } from 'ethers';
import { freePort, startPostgres, type EmbeddedChain, type ThrowawayPostgres } from '@chanpay/devkit';
import type { PaymentMode } from '@chanpay/protocol';
import { makeCredentials, type AccountCredentials, type Credentials } from '../credentials';
import { loadTopology } from '../load';
import { isPaid, uniformMode, type ResolvedTopology, type Team } from '../model';
import { activeTeams, entryRoute, needsPaymentServer, paysUpstreams } from '../roles';
import type { TopologyInput } from '../schema';
import { parseTopology, type TopologyOverrides } from '../validate';
import { startChainOf } from './chain';
import { startInProcess, type InProcessPart, type PartKind } from './in-process';
import { ENTRY_OF, paymentServerEnv, serviceEnv, type EnvContext } from './env';
import { REPO_ROOT, defaultNodeFlags, limited, spawnTs, stopChild, waitHealthy, type NetworkProcess } from './processes';
import { startRoundRobinProxy, type RoundRobinProxy } from '../proxy/round-robin';

export interface StartTopologyOptions {
  /** Replace every edge's settings (`--mode`, `--no-payment`, `--prepay`, `--sync`, a challenge period). */
  overrides?: TopologyOverrides;
  /** keccak:N or busy:N per request, split over the workers (only when the topology is given as a spec or input). */
  totalWork?: string;
  /** Fixed ports by process name (`chain`, a payment server's name, a service's name); they win over everything. */
  ports?: Record<string, number>;
  /** Free ports for everything `ports` does not fix (else the topology's ports, and free ones where it has none). */
  freePorts?: boolean;
  /** Databases and logs; wiped at start. Default data/topology/<name>. */
  dataDir?: string;
  /** Open every channel (GET /init on every paying service) before returning. Default true. */
  init?: boolean;
  /** Forward every child's output to this process, prefixed with its name. */
  verbose?: boolean;
  /** Flags for `node` (V8's among them) of every payment server and service started as a child; default defaultNodeFlags(). */
  nodeFlags?: string[];
  /** Extra environment of every child (the topology's own settings win). */
  env?: Record<string, string>;
  /** Payment servers' claim interval in seconds (0: only on close or request); default the team's, else 300. */
  claimIntervalSeconds?: number;
  /** ganache as a child process of its own (its CPU measured apart), listed in `processes` as `chain`. */
  chainProcess?: boolean;
  /** Use this chain instead of the topology's (called with the keys to fund); `stop()` stops it too. */
  startChain?: (privateKeys: string[]) => Promise<EmbeddedChain>;
  /** LOG_LEVEL of the services and PS_LOG_LEVEL of the payment servers; default those variables, else warn. */
  logLevel?: string;
  /** Everything any child writes, across restarts. */
  onOutput?: (name: string, text: string) => void;
  /** The services' admin token (ADMIN_TOKEN) for /redeem, /init, /terminate; default none (open routes). */
  adminToken?: string;
  /** Services started at the same time (default 4). */
  startConcurrency?: number;
  /** Per process, default 60 s. */
  healthTimeoutMs?: number;
  /**
   * Payment servers and services in this process instead of as children (same environment, same start code),
   * listed in `parts` rather than `processes`; the chain too unless `chainProcess`. For tests that reach into a
   * running part; `restart` stops and starts the part again.
   */
  inProcess?: boolean;
}

export interface TopologyUrls {
  chain: string | null;
  /** By payment server name. */
  paymentServers: Record<string, string>;
  /** Base URL by service name (a service with replicas: its proxy's). */
  services: Record<string, string>;
  /** The replicas' own base URLs, by the name of a service or payment server with `replicas` > 1 (`<name>#1`, …). */
  replicas: Record<string, string[]>;
  /** The PostgreSQL server of the replicas' shared state and the stores on PostgreSQL, when there are any. */
  postgres: string | null;
}

export interface RunningTopology {
  topology: ResolvedTopology;
  /** The one mode of every edge, or `mixed`. */
  mode: PaymentMode | 'mixed';
  chain: EmbeddedChain | null;
  contract: string | null;
  urls: TopologyUrls;
  /** Where load goes: each entry's route (`http://127.0.0.1:8003/action`, `http://127.0.0.1:8100/work`). */
  entries: { service: string; url: string }[];
  processes: NetworkProcess[];
  /** In-process mode: each payment server's `PaymentServer` and each service's running object, by name. */
  parts: ReadonlyMap<string, InProcessPart>;
  /** By account name: keys, signer and token of every account that pays or is paid. */
  accounts: Map<string, AccountCredentials>;
  dataDir: string;
  /** The account of a service, or null when it neither pays nor is paid. */
  accountOfService(service: string): AccountCredentials | null;
  process(name: string): NetworkProcess;
  /** Opens every channel (GET /init on each paying service). */
  init(): Promise<void>;
  /** Restarts one process with the same settings. */
  restart(name: string): Promise<NetworkProcess | InProcessPart>;
  stop(): Promise<void>;
}

/** Builds a topology given as a resolved topology, a topology input, or a spec (`chain:5`, a file path). */
export async function startTopology(
  topology: ResolvedTopology | TopologyInput | string,
  opts: StartTopologyOptions = {},
): Promise<RunningTopology> {
  const t = resolve(topology, opts);
  const verbose = opts.verbose ?? false;
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const dataDir = path.resolve(opts.dataDir ?? path.join(REPO_ROOT, 'data', 'topology', t.name));
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });

  const paid = isPaid(t);
  const teams = paid ? activeTeams(t) : [];
  const ports = await assignPorts(
    t,
    teams.map((x) => x.paymentServer.name),
    opts,
  );
  const credentials: Credentials = paid ? makeCredentials(t) : new Map();

  const processes: NetworkProcess[] = [];
  const specs = new Map<string, { entry: string; env: Record<string, string>; url: string }>();
  let chain: EmbeddedChain | null = null;
  let contract: string | null = null;
  const healthTimeoutMs = opts.healthTimeoutMs ?? 60_000;
  const nodeFlags = opts.nodeFlags ?? defaultNodeFlags();

  const parts = new Map<string, InProcessPart>();
  const proxies: RoundRobinProxy[] = [];
  let postgres: ThrowawayPostgres | null = null;
  const kindOf = (name: string): PartKind => t.services.find((s) => s.name === name)?.kind ?? 'payment-server';
  const launch = async (name: string, entry: string, env: Record<string, string>): Promise<{ url: string }> => {
    const spec = { entry, env: { ...opts.env, ...env }, url: url(ports.get(name)!) };
    specs.set(name, spec);
    if (opts.inProcess) {
      const part = await startInProcess(kindOf(name), spec.env);
      parts.set(name, part);
      return part;
    }
    const p: NetworkProcess = { name, url: spec.url, ...spawnTs(name, entry, spec.env, verbose, opts.onOutput, nodeFlags) };
    processes.push(p);
    await waitHealthy(p, healthTimeoutMs);
    return p;
  };
  /**
   * A provider with replicas: N processes on free ports (`<name>#1`, …) sharing one database of a private
   * PostgreSQL (PROVIDER_STATE_URL), and a round-robin proxy at the service's own URL.
   */
  const launchReplicas = async (s: ResolvedTopology['services'][number]): Promise<void> => {
    if (opts.inProcess) throw new Error(`${s.name}: replicas run as child processes; start without inProcess`);
    if (paysUpstreams(t, s))
      throw new Error(`${s.name}: a service that pays upstreams cannot run as replicas (they would sign on one channel)`);
    postgres ??= await startPostgres();
    const stateUrl = await postgres.createDatabase(`state_${s.name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`);
    const targets: string[] = [];
    for (let i = 1; i <= s.replicas; i++) {
      const port = await freePort();
      const name = `${s.name}#${i}`;
      const env = { ...opts.env, ...serviceEnv(ctx(), s), PORT: String(port), PROVIDER_STATE_URL: stateUrl };
      const spec = { entry: ENTRY_OF[s.kind], env, url: url(port) };
      specs.set(name, spec);
      const p: NetworkProcess = { name, url: spec.url, ...spawnTs(name, spec.entry, env, verbose, opts.onOutput, nodeFlags) };
      processes.push(p);
      targets.push(spec.url);
    }
    running.urls.replicas[s.name] = targets;
    await Promise.all(processes.filter((p) => p.name.startsWith(`${s.name}#`)).map((p) => waitHealthy(p, healthTimeoutMs)));
    proxies.push(await startRoundRobinProxy({ port: ports.get(s.name)!, targets }));
  };
  /**
   * A team's payment server: one process on SQLite, or (`store: "postgres"`) on a database of the private
   * PostgreSQL; with replicas, N processes (`<name>#1`, …) on that database behind a round-robin proxy at its URL.
   * The first replica starts alone (it deploys the contract when none is given; the others find it).
   */
  const launchPaymentServer = async (team: Team, contractAddress: string | null): Promise<{ url: string }> => {
    const name = team.paymentServer.name;
    const env = paymentServerEnv(ctx(), team, contractAddress);
    if (team.paymentServer.store !== 'postgres') return launch(name, 'payment-server/src/main.ts', env);
    if (opts.inProcess) throw new Error(`${name}: a payment server on PostgreSQL runs as child processes; start without inProcess`);
    postgres ??= await startPostgres();
    const { PS_DB_PATH: _sqlite, ...rest } = env;
    const dbEnv = { ...rest, PS_DB_URL: await postgres.createDatabase(`ps_${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`) };
    if (team.paymentServer.replicas <= 1) return launch(name, 'payment-server/src/main.ts', dbEnv);
    const targets: string[] = [];
    for (let i = 1; i <= team.paymentServer.replicas; i++) {
      const port = await freePort();
      const replica = `${name}#${i}`;
      const spec = { entry: 'payment-server/src/main.ts', env: { ...opts.env, ...dbEnv, PS_PORT: String(port) }, url: url(port) };
      specs.set(replica, spec);
      const p: NetworkProcess = { name: replica, url: spec.url, ...spawnTs(replica, spec.entry, spec.env, verbose, opts.onOutput) };
      processes.push(p);
      targets.push(spec.url);
      if (i === 1) await waitHealthy(p, healthTimeoutMs);
    }
    running.urls.replicas[name] = targets;
    await Promise.all(processes.filter((p) => p.name.startsWith(`${name}#`)).map((p) => waitHealthy(p, healthTimeoutMs)));
    const proxy = await startRoundRobinProxy({ port: ports.get(name)!, targets });
    proxies.push(proxy);
    return { url: url(ports.get(name)!) };
  };
  const serviceNames = new Set(t.services.map((s) => s.name));
  const isService = (name: string) => serviceNames.has(name.replace(/#\d+$/, ''));
  // Services first (a provider stores its pending vouchers at its payment server as it stops), then the payment
  // servers, then the chain.
  const stopParts = (names: (name: string) => boolean) =>
    Promise.all([...parts].filter(([name]) => names(name)).map(([, part]) => part.stop().catch(() => undefined)));
  const stop = async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await stopParts((name) => serviceNames.has(name));
    await stopParts((name) => !serviceNames.has(name));
    await Promise.all(processes.filter((p) => isService(p.name)).map((p) => stopChild(p.child)));
    await Promise.all(processes.filter((p) => !isService(p.name) && p.name !== 'chain').map((p) => stopChild(p.child)));
    await postgres?.stop();
    await chain?.stop();
    const chainChild = processes.find((p) => p.name === 'chain');
    if (chainChild) await stopChild(chainChild.child);
  };

  const ctx = (): EnvContext => ({
    topology: t,
    credentials,
    url: (name) => url(ports.get(name)!),
    port: (name) => ports.get(name)!,
    dataDir,
    rpcUrl: chain?.rpcUrl ?? '',
    logLevel: opts.logLevel,
    adminToken: opts.adminToken,
    claimIntervalSeconds: opts.claimIntervalSeconds,
  });

  const running: RunningTopology = {
    topology: t,
    mode: uniformMode(t),
    get chain() {
      return chain;
    },
    get contract() {
      return contract;
    },
    urls: {
      chain: null,
      paymentServers: Object.fromEntries(teams.map((x) => [x.paymentServer.name, url(ports.get(x.paymentServer.name)!)])),
      services: Object.fromEntries(t.services.map((s) => [s.name, url(ports.get(s.name)!)])),
      replicas: {},
      get postgres() {
        return postgres?.url ?? null;
      },
    },
    entries: t.entry.map((name) => {
      const s = t.services.find((x) => x.name === name)!;
      return { service: name, url: `${url(ports.get(name)!)}${entryRoute(s)}` };
    }),
    processes,
    parts,
    accounts: credentials,
    dataDir,
    accountOfService(service) {
      return [...credentials.values()].find((c) => c.service === service) ?? null;
    },
    process(name) {
      const p = processes.find((x) => x.name === name);
      if (!p) throw new Error(`no process ${name}; processes: ${processes.map((x) => x.name).join(', ')}`);
      return p;
    },
    async init() {
      const payers = t.services.filter((s) => paysUpstreams(t, s));
      await limited(payers, 4, async (s) => {
        const res = await fetch(`${url(ports.get(s.name)!)}/init`, {
          headers: opts.adminToken ? { authorization: `Bearer ${opts.adminToken}` } : {},
          signal: AbortSignal.timeout(60_000),
        });
        if (!res.ok) throw new Error(`GET ${s.name}/init failed: HTTP ${res.status} ${await res.text()}`);
      });
    },
    async restart(name) {
      const spec = specs.get(name);
      const part = parts.get(name);
      if (spec && part) {
        await part.stop();
        const again = await startInProcess(kindOf(name), spec.env);
        parts.set(name, again);
        return again;
      }
      const i = processes.findIndex((p) => p.name === name);
      if (!spec || i < 0) throw new Error(`no process ${name}`);
      await stopChild(processes[i]!.child, 5_000);
      const p: NetworkProcess = { name, url: spec.url, ...spawnTs(name, spec.entry, spec.env, verbose, opts.onOutput, nodeFlags) };
      processes[i] = p;
      await waitHealthy(p, healthTimeoutMs);
      return p;
    },
    stop,
  };

  try {
    if (paid) {
      const keys = [...credentials.values()].map((c) => c.privateKey);
      chain = opts.startChain
        ? await opts.startChain(keys)
        : await startChainOf(t, {
            port: ports.get('chain') ?? 0,
            privateKeys: keys,
            chainProcess: opts.chainProcess ?? false,
            env: opts.env ?? {},
            verbose,
            onOutput: opts.onOutput,
            onProcess: (p) => processes.push(p),
          });
      running.urls.chain = chain.rpcUrl;
      const [first, ...others] = teams;
      const ps1 = await launchPaymentServer(first!, null);
      contract = ((await (await fetch(`${ps1.url}/status`)).json()) as { contract: string }).contract;
      await Promise.all(others.map((team) => launchPaymentServer(team, contract)));
    }
    await limited(t.services, opts.startConcurrency ?? 4, async (s) => {
      if (s.replicas > 1) await launchReplicas(s);
      else await launch(s.name, ENTRY_OF[s.kind], serviceEnv(ctx(), s));
    });
    if (paid && (opts.init ?? true)) await running.init();
    return running;
  } catch (e) {
    await stop();
    throw e;
  }
}

function resolve(topology: ResolvedTopology | TopologyInput | string, opts: StartTopologyOptions): ResolvedTopology {
  if (typeof topology === 'string') return loadTopology(topology, { overrides: opts.overrides, totalWork: opts.totalWork });
  if ('edges' in topology && 'source' in topology)
    return opts.overrides ? parseTopology(topology.source, { overrides: opts.overrides }) : topology;
  return parseTopology(topology, { overrides: opts.overrides });
}

/** Ports by process name: `opts.ports`, else (unless freePorts) the topology's, else a free one; never twice the same. */
async function assignPorts(t: ResolvedTopology, paymentServers: string[], opts: StartTopologyOptions): Promise<Map<string, number>> {
  const fixed = opts.ports ?? {};
  const wanted = new Map<string, number | null>();
  wanted.set('chain', t.chain.kind === 'external' ? null : (fixed.chain ?? (opts.freePorts ? null : (t.chain.port ?? null))));
  for (const name of paymentServers) {
    const team = t.teams.find((x) => x.paymentServer.name === name)!;
    wanted.set(name, fixed[name] ?? (opts.freePorts ? null : team.paymentServer.port));
  }
  for (const s of t.services) wanted.set(s.name, fixed[s.name] ?? (opts.freePorts ? null : s.port));
  const out = new Map<string, number>();
  const taken = new Set<number>();
  for (const [name, port] of wanted) {
    if (port === null) continue;
    if (taken.has(port))
      throw new Error(`port ${port} is given to two processes (${[...out].find(([, p]) => p === port)![0]} and ${name})`);
    taken.add(port);
    out.set(name, port);
  }
  for (const [name, port] of wanted) {
    if (port !== null || (name === 'chain' && t.chain.kind === 'external')) continue;
    let p = await freePort();
    for (let tries = 0; taken.has(p) && tries < 20; tries++) p = await freePort();
    taken.add(p);
    out.set(name, p);
  }
  return out;
}

/** The lines `npm start` prints: every URL with what it is. */
export function describeUrls(net: RunningTopology): string[] {
  const t = net.topology;
  const lines: string[] = [];
  const width = Math.max(20, ...t.services.map((s) => s.name.length + 1), ...t.teams.map((x) => x.paymentServer.name.length + 1));
  const pad = (s: string) => s.padEnd(width);
  if (net.urls.chain)
    lines.push(
      `  ${pad('chain')} ${net.urls.chain}   (${t.chain.kind}${t.chain.blockTime ? `, a block every ${t.chain.blockTime} s` : ''})   contract ${net.contract}`,
    );
  for (const team of t.teams) {
    const u = net.urls.paymentServers[team.paymentServer.name];
    if (!u) continue;
    const held = t.services.filter((s) => s.team === team.name && needsPaymentServer(t, s)).map((s) => s.name);
    lines.push(`  ${pad(team.paymentServer.name)} ${u}/status   (${held.join(', ')})`);
  }
  for (const s of t.services) {
    const u = net.urls.services[s.name]!;
    const entry = t.entry.includes(s.name);
    const what = entry
      ? `GET ${entryRoute(s)}  (entry)`
      : `GET ${entryRoute(s).replace(/=$/, '=<n>')}  (${formatWei(s.price)}${s.providerMode === 'off' ? ', unpaid' : ''})`;
    const calls = t.edges.filter((e) => e.from === s.name).map((e) => e.to);
    lines.push(`  ${pad(s.name)} ${u}   ${what}${calls.length ? `   calls ${calls.join(', ')}` : ''}`);
  }
  return lines;
}

/** An amount as a topology file would write it: finney when whole, else gwei (from a millionth of one), else wei. */
export function formatWei(wei: bigint): string {
  if (wei >= 10n ** 15n && wei % 10n ** 15n === 0n) return `${wei / 10n ** 15n} finney`;
  if (wei >= 10n ** 3n) return `${formatUnits(wei, 'gwei').replace(/\.0$/, '')} gwei`;
  return `${wei} wei`;
}
