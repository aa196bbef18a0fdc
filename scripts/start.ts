/**
 * `npm start`: the whole example network on an embedded chain, every call paid.
 *   npm start                      local mode (services sign and verify in process)
 *   npm start -- --mode remote     the thesis topology (payment servers sign and verify every call)
 *   npm start -- --no-payment      the baseline: the same services, no chain, no payment servers
 *   npm start -- --sync            providers answer only after the voucher is stored by their payment server
 *   npm start -- --prepay 100      each voucher pays 100 calls ahead (prepaid tickets, docs/protocol.md)
 *   ADMIN_TOKEN=... npm start      the services' admin token (/redeem, /init, /terminate); default: a new one per run
 *   npm start -- --public-port 9003 --chain-port 9545 ...   other ports (also via PUBLIC_PORT, CHAIN_PORT, ...)
 *   npm start -- --verbose         show every process's log lines
 */
import { randomBytes } from 'node:crypto';
import { adminTokenFromEnv } from '@chanpay/client-lib';
import { parseCommandLine } from '@chanpay/devkit/cli';
import { DEFAULT_PORTS, startNetwork, type NetworkMode, type PortName } from './network';

const PORT_FLAGS: Record<string, PortName> = {
  'chain-port': 'chain',
  'payment-server-1-port': 'paymentServer1',
  'payment-server-2-port': 'paymentServer2',
  'persistence-port': 'persistence',
  'random-number-port': 'randomNumber',
  'public-port': 'public',
};
const ENV_PORTS: Record<PortName, string> = {
  chain: 'CHAIN_PORT',
  paymentServer1: 'PAYMENT_SERVER_1_PORT',
  paymentServer2: 'PAYMENT_SERVER_2_PORT',
  persistence: 'PERSISTENCE_PORT',
  randomNumber: 'RANDOM_NUMBER_PORT',
  public: 'PUBLIC_PORT',
};

const PORT_OPTIONS = Object.fromEntries(
  Object.entries(PORT_FLAGS).map(([flag, name]) => [
    flag,
    { type: 'string' as const, value: '<port>', description: `port of ${flag.replace(/-port$/, '')} (env ${ENV_PORTS[name]}, default ${DEFAULT_PORTS[name]})` },
  ]),
);

const COMMAND = {
  command: 'npm start --',
  summary: 'The whole example network on an embedded chain (two payment servers, three services), every call paid.',
  options: {
    mode: { type: 'string', value: '<local|remote>', default: 'local', description: 'local: services sign and verify in process; remote: their payment servers do (the thesis topology)' },
    'no-payment': { type: 'boolean', description: 'the baseline: the same services, no chain, no payment servers' },
    sync: { type: 'boolean', description: 'providers answer only after their payment server stored the voucher' },
    prepay: { type: 'string', value: '<calls>', default: process.env.PREPAY_CALLS ?? '1', description: 'calls each voucher pays ahead, 1 to 4096 (prepaid tickets; env PREPAY_CALLS)' },
    'challenge-period': { type: 'string', value: '<seconds>', default: '120', description: 'challenge period of the channels the network opens' },
    verbose: { type: 'boolean', description: "show every process's log lines" },
    ...PORT_OPTIONS,
  },
  notes: [
    'environment:',
    "  ADMIN_TOKEN   the services' admin token (/redeem, /init, /terminate); default: a new one per run",
    '  SHOW_TOKENS   print the payment servers\' bearer tokens too',
  ],
} as const;

async function main(): Promise<void> {
  const { values, fail } = parseCommandLine(COMMAND);
  const mode: NetworkMode = values['no-payment'] ? 'off' : (values.mode as NetworkMode);
  if (!['local', 'remote', 'off'].includes(mode)) fail(`--mode must be local or remote, got "${values.mode}"`);
  const ports: Partial<Record<PortName, number>> = {};
  for (const [name, env] of Object.entries(ENV_PORTS) as [PortName, string][]) {
    const flag = Object.keys(PORT_FLAGS).find((f) => PORT_FLAGS[f] === name)!;
    const raw = (values as unknown as Record<string, string | undefined>)[flag] ?? process.env[env];
    if (raw !== undefined) {
      if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) fail(`--${flag} / ${env} must be a port number, got "${raw}"`);
      ports[name] = Number(raw);
    }
  }

  const challengePeriod = values['challenge-period'];
  if (!/^\d{1,10}$/.test(challengePeriod) || Number(challengePeriod) < 1) fail(`--challenge-period must be a positive number of seconds, got "${challengePeriod}"`);

  const prepay = values.prepay;
  if (!/^\d{1,4}$/.test(prepay) || Number(prepay) < 1 || Number(prepay) > 4096) fail(`--prepay / PREPAY_CALLS must be 1 to 4096 calls per voucher, got "${prepay}"`);

  // The services' administrative routes (/redeem, /init, /terminate) need this token; ADMIN_TOKEN picks it.
  const adminToken = adminTokenFromEnv(process.env) ?? randomBytes(18).toString('base64url');
  const auth = `-H 'authorization: Bearer ${adminToken}'`;

  const started = Date.now();
  console.log(mode === 'off' ? 'Starting the example network without payment…' : `Starting the chain, two payment servers and three services (${mode} mode)…`);
  const net = await startNetwork({
    mode,
    ports,
    sync: values.sync,
    verbose: values.verbose,
    challengePeriod: Number(challengePeriod),
    env: { PREPAY_CALLS: prepay },
    adminToken,
  });
  const u = net.urls;
  const lines = [
    '',
    `Ready in ${((Date.now() - started) / 1000).toFixed(1)} s${mode === 'off' ? ' (no payment: baseline)' : `: channels open, ${mode} mode${prepay !== '1' ? `, ${prepay} calls per voucher` : ''}`}`,
    '',
    ...(u.chain ? [`  chain (ganache)      ${u.chain}   contract ${net.contract}`] : []),
    ...(u.paymentServer1 ? [`  payment-server-1     ${u.paymentServer1}/status   (random-number, persistence)`] : []),
    ...(u.paymentServer2 ? [`  payment-server-2     ${u.paymentServer2}/status   (public)`] : []),
    `  persistence          ${u.persistence}   GET /save?nr=  (2 gwei)`,
    `  random-number        ${u.randomNumber}   GET /randomNumber  (1 gwei)`,
    `  public               ${u.public}   GET /action${mode === 'off' ? '' : ', /init, /terminate'}`,
    '',
    'Try:',
    `  curl -s ${u.public}/action`,
    ...(mode === 'off'
      ? []
      : [
          `  curl -s ${u.randomNumber}/payout     # what random-number has been paid`,
          `  curl -s ${auth} ${u.randomNumber}/redeem     # claim on chain now (admin token: ADMIN_TOKEN, else a new one per run)`,
        ]),
    ...(u.chain ? [`  npm run visualizer   # then open http://127.0.0.1:8090/?rpc=${encodeURIComponent(u.chain)}&contract=${net.contract}`] : []),
    '',
    'Ctrl-C stops everything.',
  ];
  console.log(lines.join('\n'));
  if (net.tokens && process.env.SHOW_TOKENS) console.log(`tokens: ${JSON.stringify(net.tokens)}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await net.stop();
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
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
