/**
 * `npm start`: a whole service network on a local chain, every call paid; by default the thesis network.
 * `npm start -- --help` lists the options.
 */
import { randomBytes } from 'node:crypto';
import { adminTokenFromEnv } from '@chanpay/client-lib';
import {
  activeTeams,
  describeUrls,
  GENERATOR_HELP,
  loadTopology,
  startTopology,
  killSpawnedChildren,
  type ResolvedTopology,
  type TopologyOverrides,
} from '@chanpay/topology';
import { failUsage, parseCommandLine, type CommandSpec, type OptionSpecs } from '@chanpay/devkit/cli';

/** The value of --topology before the options are known (the port flags depend on the topology). */
function topologySpec(argv: string[]): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--topology') return argv[i + 1] ?? '';
    if (argv[i]!.startsWith('--topology=')) return argv[i]!.slice('--topology='.length);
  }
  return 'thesis';
}

const stemOf = (name: string) => name.toUpperCase().replace(/-/g, '_');

/** The options of `npm start`; the port options are those of the topology's processes. */
function commandSpec(names: string[]): CommandSpec<OptionSpecs> {
  return {
    command: 'npm start --',
    summary:
      'Starts a service network as processes on 127.0.0.1: a chain, one payment server per team and every service, opens the channels and prints every URL; every call is paid. Ctrl-C stops everything.',
    options: {
      topology: {
        type: 'string',
        value: '<spec>',
        default: 'thesis',
        description: 'a topology file (JSON, docs/topologies.md) or a generator (below)',
      },
      mode: {
        type: 'string',
        value: '<local|remote>',
        description: "payment mode of every edge (default the topology's; the thesis: local)",
      },
      'no-payment': { type: 'boolean', description: 'the unpaid baseline: the same services, no chain, no payment servers' },
      sync: { type: 'boolean', description: 'providers answer only after their payment server stored the voucher' },
      prepay: {
        type: 'string',
        value: '<calls>',
        description: 'each voucher pays this many calls ahead, 1 to 4096 (prepaid tickets; env PREPAY_CALLS)',
      },
      'total-work': { type: 'string', value: '<work>', description: 'keccak:<rounds> or busy:<µs> per request, split over the workers' },
      'challenge-period': { type: 'string', value: '<seconds>', description: 'challenge period of every channel' },
      'free-ports': { type: 'boolean', description: "free ports instead of the topology's" },
      verbose: { type: 'boolean', description: "show every process's log lines" },
      ...Object.fromEntries(
        names.map((n) => [`${n}-port`, { type: 'string' as const, value: '<port>', description: `port of ${n} (env ${stemOf(n)}_PORT)` }]),
      ),
    },
    notes: [
      ...GENERATOR_HELP.trimEnd().split('\n'),
      '',
      'environment:',
      "  ADMIN_TOKEN   the services' admin token (/redeem, /init, /terminate); default: a new one per run",
      '  PREPAY_CALLS  as --prepay',
      "  SHOW_TOKENS   print the payment servers' bearer tokens too",
    ],
  };
}

/** Every process that has a port: the chain, the payment servers, the services. */
function processNames(t: ResolvedTopology): string[] {
  return [...(t.chain.kind === 'external' ? [] : ['chain']), ...t.teams.map((x) => x.paymentServer.name), ...t.services.map((s) => s.name)];
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const spec = topologySpec(argv);
  let base: ResolvedTopology;
  try {
    base = loadTopology(spec || 'thesis');
  } catch (e) {
    if (argv.includes('--help') || argv.includes('-h')) base = loadTopology('thesis');
    else failUsage(commandSpec([]), (e as Error).message);
  }
  const names = processNames(base);
  const spec$ = commandSpec(names);
  const fail: (message: string) => never = (message) => failUsage(spec$, message);
  const raw = parseCommandLine(spec$, argv).values as Record<string, string | boolean | undefined>;
  const text = (name: string) => raw[name] as string | undefined;
  const values = {
    'no-payment': raw['no-payment'] === true,
    sync: raw.sync === true,
    verbose: raw.verbose === true,
    'free-ports': raw['free-ports'] === true,
    mode: text('mode'),
    prepay: text('prepay'),
    'challenge-period': text('challenge-period'),
    'total-work': text('total-work'),
  };

  const overrides: TopologyOverrides = {};
  if (values['no-payment']) overrides.mode = 'off';
  else if (values.mode !== undefined) {
    if (values.mode !== 'local' && values.mode !== 'remote') fail(`--mode must be local or remote, got "${values.mode}"`);
    overrides.mode = values.mode;
  }
  if (values.sync) overrides.sync = true;
  const prepay = values.prepay ?? (process.env.PREPAY_CALLS || undefined);
  if (prepay !== undefined) {
    if (!/^\d{1,4}$/.test(prepay) || Number(prepay) < 1 || Number(prepay) > 4096)
      fail(`--prepay / PREPAY_CALLS must be 1 to 4096 calls per voucher, got "${prepay}"`);
    overrides.prepay = Number(prepay);
  }
  if (values['challenge-period'] !== undefined) {
    const cp = values['challenge-period'];
    if (!/^\d{1,7}$/.test(cp) || Number(cp) < 1) fail(`--challenge-period must be a number of seconds, got "${cp}"`);
    overrides.challengePeriod = Number(cp);
  }
  const ports: Record<string, number> = {};
  for (const name of names) {
    const env = `${stemOf(name)}_PORT`;
    const given = (raw[`${name}-port`] as string | undefined) ?? process.env[env];
    if (given === undefined) continue;
    if (!/^\d{1,5}$/.test(given) || Number(given) < 1 || Number(given) > 65535)
      fail(`--${name}-port / ${env} must be a port number, got "${given}"`);
    ports[name] = Number(given);
  }

  let topology: ResolvedTopology;
  try {
    topology = loadTopology(spec || 'thesis', { overrides, totalWork: values['total-work'] });
  } catch (e) {
    fail((e as Error).message);
  }

  // The services' administrative routes (/redeem, /init, /terminate) need this token; ADMIN_TOKEN picks it.
  const adminToken = adminTokenFromEnv(process.env) ?? randomBytes(18).toString('base64url');
  const auth = `-H 'authorization: Bearer ${adminToken}'`;
  const paid = topology.edges.some((e) => e.payment.mode !== 'off');
  const modes = [...new Set(topology.edges.map((e) => e.payment.mode))];
  const mode = modes.length === 1 ? `${modes[0]} mode` : `modes ${modes.join(' and ')}`;
  const prepays = [...new Set(topology.edges.map((e) => e.payment.prepay))];
  const teams = activeTeams(topology).length;

  const started = Date.now();
  console.log(
    paid
      ? `Starting ${topology.name}: the chain, ${teams} payment server${teams === 1 ? '' : 's'} and ${topology.services.length} services (${mode})…`
      : `Starting ${topology.name} without payment…`,
  );
  // Ctrl-C while the network starts: stop what has started (the handlers below take over once it runs).
  const interruptStart = (signal: NodeJS.Signals) => {
    console.log(`\n${signal} during start-up: stopping what has started…`);
    killSpawnedChildren('SIGTERM');
    setTimeout(() => process.exit(130), 3_000).unref();
    process.exitCode = 130;
  };
  process.once('SIGINT', interruptStart);
  process.once('SIGTERM', interruptStart);
  const net = await startTopology(topology, { ports, freePorts: values['free-ports'], verbose: values.verbose, adminToken });
  process.off('SIGINT', interruptStart);
  process.off('SIGTERM', interruptStart);
  const provider = topology.services.find((s) => s.providerMode !== 'off');
  const visualizerNames = [...net.accounts.values()].map((a) => `${a.address}:${a.service}`).join(',');
  const lines = [
    '',
    `Ready in ${((Date.now() - started) / 1000).toFixed(1)} s${paid ? `: channels open, ${mode}${prepays.length === 1 && prepays[0] !== 1 ? `, ${prepays[0]} calls per voucher` : ''}` : ' (no payment: baseline)'}`,
    '',
    ...describeUrls(net),
    '',
    'Try:',
    ...net.entries.map((e) => `  curl -s ${e.url}`),
    ...(paid && provider
      ? [
          `  curl -s ${net.urls.services[provider.name]}/payout     # what ${provider.name} has been paid`,
          `  curl -s ${auth} ${net.urls.services[provider.name]}/redeem     # claim on chain now (admin token: ADMIN_TOKEN, else a new one per run)`,
        ]
      : []),
    ...(net.urls.chain
      ? [
          `  npm run visualizer   # then open http://127.0.0.1:8090/?rpc=${encodeURIComponent(net.urls.chain)}&contract=${net.contract}&names=${encodeURIComponent(visualizerNames)}`,
        ]
      : []),
    '',
    'Ctrl-C stops everything.',
  ];
  console.log(lines.join('\n'));
  if (paid && process.env.SHOW_TOKENS)
    console.log(`tokens: ${JSON.stringify(Object.fromEntries([...net.accounts.values()].map((a) => [a.account, a.token])))}`);

  let stopping = false;
  /** Stops the network; exits 0 only when asked to stop (a signal) and everything stopped without an error. */
  const shutdown = async (reason: 'SIGINT' | 'SIGTERM' | 'failure') => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${reason}: stopping…`);
    try {
      await net.stop();
    } catch (e) {
      console.error(`stopping failed: ${(e as Error).stack ?? String(e)}`);
      process.exit(1);
    }
    console.log('stopped.');
    process.exit(reason === 'failure' ? 1 : 0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // The embedded chain runs in this process: a promise of it that fails while it closes is reported, and the stop
  // goes on; one that fails while the network runs stops it with exit code 1.
  process.on('unhandledRejection', (reason) => {
    console.error(`${stopping ? 'while stopping' : 'failure'}: ${(reason as Error)?.stack ?? String(reason)}`);
    if (!stopping) void shutdown('failure');
  });
  for (const p of net.processes) {
    p.child.once('exit', (code, sig) => {
      if (stopping) return;
      console.error(`${p.name} exited unexpectedly (code ${code}, signal ${sig}); last output:\n${p.output().slice(-2000)}`);
      void shutdown('failure');
    });
  }
}

main().catch((e: unknown) => {
  console.error(`npm start failed: ${(e as Error).message}`);
  process.exit(1);
});
