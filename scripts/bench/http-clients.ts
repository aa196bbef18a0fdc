/**
 * `npm run bench:http-clients`: CPU per call of the HTTP clients a service could call its upstreams with, measured
 * in the calling process only (the server runs in a child process): the global fetch, node:http with a keep-alive
 * agent, and client-lib's poolFetch (undici Pool.request, a Response built from it). Each call carries an
 * AbortSignal.timeout as the services' calls do. Prints one line per client and round.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { poolFetch } from '@chanpay/client-lib/service-kit';
import { parseCommandLine, type CommandSpec, type OptionSpecs } from '@chanpay/devkit/cli';

const COMMAND = {
  command: 'npm run bench:http-clients --',
  summary: 'CPU per call of three HTTP clients against a small JSON server in a child process (client process only).',
  options: {
    calls: { type: 'string', value: '<n>', default: '20000', description: 'calls per client and round' },
    concurrency: { type: 'string', value: '<c>', default: '16', description: 'calls in flight' },
    rounds: { type: 'string', value: '<r>', default: '3', description: 'rounds over the three clients (the best is reported too)' },
  },
} satisfies CommandSpec<OptionSpecs>;

type Call = () => Promise<string>;

function childServer(): Promise<{ url: string; stop(): void }> {
  if (process.env.HTTP_CLIENTS_SERVER === '1') throw new Error('already the server');
  const child = fork(__filename, [], { env: { ...process.env, HTTP_CLIENTS_SERVER: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (port) => resolve({ url: `http://127.0.0.1:${port as number}/randomNumber`, stop: () => child.kill() }));
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

function serve(): void {
  const server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"number":42}');
  });
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as { port: number }).port));
}

async function measure(call: Call, calls: number, concurrency: number): Promise<number> {
  for (let i = 0; i < 1000; i++) await call();
  const cpu0 = process.cpuUsage();
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (n++ < calls) await call();
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / calls;
}

async function main(): Promise<void> {
  const { values, fail } = parseCommandLine(COMMAND);
  const calls = Number(values.calls);
  const concurrency = Number(values.concurrency);
  const rounds = Number(values.rounds);
  if (![calls, concurrency, rounds].every((n) => Number.isInteger(n) && n > 0))
    fail('--calls, --concurrency and --rounds are positive integers');
  const server = await childServer();
  const agent = new http.Agent({ keepAlive: true });
  const pooled = poolFetch();
  const clients: Record<string, Call> = {
    'global fetch': async () => (await fetch(server.url, { signal: AbortSignal.timeout(30_000) })).text(),
    'node:http keep-alive agent': () =>
      new Promise((resolve, reject) => {
        const req = http.get(server.url, { agent, signal: AbortSignal.timeout(30_000) }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
      }),
    'client-lib poolFetch': async () => (await pooled(server.url, { signal: AbortSignal.timeout(30_000) })).text(),
  };
  const best: Record<string, number> = {};
  try {
    for (let r = 1; r <= rounds; r++) {
      for (const [name, call] of Object.entries(clients)) {
        const us = await measure(call, calls, concurrency);
        best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, us);
        console.log(`round ${r}  ${name.padEnd(28)} ${us.toFixed(1).padStart(7)} µs CPU per call`);
      }
    }
    console.log(`best of ${rounds} rounds (${calls} calls each, ${concurrency} in flight):`);
    for (const [name, us] of Object.entries(best)) console.log(`  ${name.padEnd(28)} ${us.toFixed(1).padStart(7)} µs CPU per call`);
  } finally {
    server.stop();
    agent.destroy();
    await pooled.close();
  }
}

if (process.env.HTTP_CLIENTS_SERVER === '1') serve();
else
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
