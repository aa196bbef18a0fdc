import { createServer, type Server } from 'node:http';
import fc from 'fast-check';
import { ERROR_STATUS, encodeVoucher, isErrorCode } from '@chanpay/protocol';
import { requestFor, type FuzzRequest, type Pools } from './lib/api-fuzz';
import { paymentServerRoutes } from './lib/route-table';
import { bound, timeoutMs } from './lib/bounds';
import { recordFigure, stopwatch } from './lib/figures';
import { NotSendable } from './lib/http';
import { GWEI, TOKENS, startOneServer, type OneServer } from './lib/setup';
import { StateSnapshotter, diffSnapshots, settledSnapshot, type Snapshot } from './lib/snapshot';

/**
 * Property-based fuzzing of every payment server endpoint (from its route table): arbitrary paths, queries, headers,
 * tokens and bodies. Properties: never a 5xx; every 4xx is `{ error: { code, message } }` with a code from
 * ERROR_STATUS whose status matches; a missing or wrong token is 401 on every authenticated endpoint (and never
 * served); a rejected request changes no state (API views for every token, every SQLite table, balances and nonces
 * on chain); the server is still healthy at the end.
 */

const PER_ROUTE = bound(Number(process.env.CHANPAY_FUZZ_RUNS_PER_ROUTE ?? 14));
const SEED = process.env.CHANPAY_FUZZ_SEED ? Number(process.env.CHANPAY_FUZZ_SEED) : Date.now() % 2 ** 31;

describe('REST API fuzzer (every endpoint of the payment server)', () => {
  let env: OneServer;
  let sink: Server;
  let sinkUrl: string;
  let pools: Pools;
  let snapshotter: StateSnapshotter;
  let baseline: Snapshot;
  const stats = {
    requests: 0,
    notSendable: 0,
    accepted: 0,
    rejected: 0,
    unauthenticated: 0,
    stateChecks: 0,
    http431: 0,
    http5xx: 0,
    byStatus: {} as Record<string, number>,
    byRoute: {} as Record<string, Record<string, number>>,
  };
  let stateChangesFound = 0;
  const routeKey = (req: FuzzRequest) => `${req.route.method.toUpperCase()} ${req.route.path}`;
  const elapsed = stopwatch();

  beforeAll(async () => {
    sink = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end('ok'));
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
    sinkUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}/hook`;

    env = await startOneServer();
    const { api, signer } = env;
    // Channels in every state, with the provider holding vouchers, and one to a provider this server does not serve.
    const live = await env.open(1000n * GWEI);
    for (let i = 1n; i <= 3n; i++)
      await api.call('POST', '/vouchers/verify', TOKENS.provider, {
        voucher: encodeVoucher(signer.sign(live, i * GWEI)),
        price: GWEI.toString(),
      });
    const closing = await env.open(10n * GWEI);
    await api.call('POST', '/vouchers/verify', TOKENS.provider, { voucher: encodeVoucher(signer.sign(closing, GWEI)), price: '0' });
    await api.call('POST', `/channels/${closing}/close`, TOKENS.consumer, {});
    const settled = await env.open(10n * GWEI);
    await api.call('POST', `/channels/${settled}/close`, TOKENS.provider, {});
    const foreign = (await api.call('POST', '/channels', TOKENS.consumer, { provider: env.outsider.address, deposit: GWEI.toString() }))
      .body.channel.id as string;
    const ofOther = (await api.call('POST', '/channels', TOKENS.other, { provider: env.provider.address, deposit: GWEI.toString() })).body
      .channel.id as string;
    const hook = await api.call('POST', '/webhooks', TOKENS.consumer, {
      url: sinkUrl,
      events: ['channel.opened', 'voucher.accepted', 'channel.claimed'],
    });
    const ids = [live, closing, settled, foreign, ofOther];
    pools = {
      addresses: [
        env.consumer.address,
        env.provider.address,
        env.other.address,
        env.outsider.address,
        env.contract,
        '0x' + '00'.repeat(20),
      ],
      channelIds: ids,
      webhookIds: [hook.body.webhook.id],
      accountNames: ['consumer', 'provider', 'other', env.provider.address, 'nobody'],
      vouchers: ids.flatMap((id) => [1n, 4n * GWEI, 5n * GWEI, 10n * GWEI, 1001n * GWEI].map((a) => encodeVoucher(signer.sign(id, a)))),
      tokens: Object.values(TOKENS),
      urls: [sinkUrl, `${sinkUrl}?x=1`],
    };
    snapshotter = new StateSnapshotter({
      api,
      tokens: Object.values(TOKENS),
      dbPath: env.server.spec.dbPath,
      rpcUrl: env.chain.rpcUrl,
      addresses: [env.consumer.address, env.provider.address, env.other.address, env.outsider.address, env.contract],
    });
    baseline = await settledSnapshot(snapshotter);
  }, 120_000);

  afterAll(async () => {
    snapshotter?.close();
    await env?.stop();
    await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
    recordFigure({
      scenario: 'REST API fuzzer',
      chain: 'anvil',
      load: `${stats.requests} requests, one at a time, over ${paymentServerRoutes().length} endpoints`,
      faults: 'none',
      inputs: `arbitrary paths, queries, headers, tokens (valid, missing, wrong) and JSON bodies: ${stats.rejected} rejected (4xx), ${stats.accepted} accepted, ${stats.http431} refused by node's parser (431, headers > 16 KiB); ${stats.unauthenticated} without a valid token`,
      lost: `${stats.http5xx} 5xx; ${stats.stateChecks - stateChangesFound} of ${stats.stateChecks} rejected requests left the state unchanged`,
      numbers: {
        ...stats,
        byStatus: JSON.stringify(stats.byStatus),
        byRoute: JSON.stringify(stats.byRoute),
        seed: SEED,
        perRoute: PER_ROUTE,
      },
      durationMs: elapsed(),
    });
  });

  /**
   * After an accepted request, background work may follow: the claimer claims a channel that started closing at
   * once. Wait for that before taking the new baseline, so it is not blamed on the next (rejected) request.
   */
  async function claimsSettled(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const list = (await env.api.call('GET', '/channels?role=provider', TOKENS.provider)).body.channels as {
        state: string;
        claimed: string;
        latestVoucher: { amount: string } | null;
      }[];
      if (list.every((c) => c.state !== 'closing' || !c.latestVoucher || BigInt(c.claimed) >= BigInt(c.latestVoucher.amount))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends one request and checks every property; returns a description of the first violation. */
  async function check(req: FuzzRequest): Promise<string | undefined> {
    // Webhook URLs must stay on 127.0.0.1: a valid-looking URL that points elsewhere is not sent at all.
    if (
      req.route.path === '/webhooks' &&
      req.json &&
      typeof req.json === 'object' &&
      typeof (req.json as { url?: unknown }).url === 'string'
    ) {
      try {
        const u = new URL((req.json as { url: string }).url);
        if (u.hostname !== '127.0.0.1') return undefined;
      } catch {
        /* not a URL: fine to send */
      }
    }
    let res;
    try {
      res = await env.api.send({ method: req.method, path: req.path, headers: req.headers, body: req.body });
    } catch (e) {
      if (e instanceof NotSendable) {
        stats.notSendable++;
        return undefined;
      }
      return `request failed: ${(e as Error).message}`;
    }
    stats.requests++;
    stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
    if (req.auth !== 'valid') stats.unauthenticated++;
    if (res.status >= 500 || res.status < 200) {
      stats.http5xx++;
      return `status ${res.status}: ${res.text.slice(0, 300)}`;
    }
    if (res.status === 431) {
      // Node's HTTP parser refuses headers over 16 KiB before the app sees the request (empty body, no code).
      stats.http431++;
      return undefined;
    }
    const methodMatches = req.method === req.route.method.toUpperCase() || (req.method === 'HEAD' && req.route.method === 'get');
    if (req.route.auth && req.auth !== 'valid' && req.pathMatchesRoute && methodMatches && res.status !== 401) {
      return `expected 401 without a valid token, got ${res.status}: ${res.text.slice(0, 300)}`;
    }
    if (req.route.auth && req.auth !== 'valid' && res.status < 400) return `served ${res.status} without a valid token`;
    if (res.status >= 400 && req.method !== 'HEAD') {
      const err = res.json?.error as { code?: unknown; message?: unknown } | undefined;
      if (!err || typeof err.message !== 'string' || !isErrorCode(err.code))
        return `4xx without a proper error body: ${res.status} ${res.text.slice(0, 300)}`;
      if (ERROR_STATUS[err.code] !== res.status)
        return `code ${err.code} has status ${ERROR_STATUS[err.code]} in ERROR_STATUS, but came with ${res.status}`;
    }
    stats.byRoute[routeKey(req)] ??= {};
    const perRoute = stats.byRoute[routeKey(req)]!;
    perRoute[res.status] = (perRoute[res.status] ?? 0) + 1;
    if (res.status < 400) {
      stats.accepted++;
      if (req.method === 'GET' || req.method === 'HEAD') {
        // A read changes nothing.
        const diff = diffSnapshots(baseline, await snapshotter.take());
        if (diff.length > 0) return `a ${req.method} changed the state: ${diff.slice(0, 8).join('; ')}`;
        return undefined;
      }
      await claimsSettled();
      baseline = await settledSnapshot(snapshotter, { quietMs: 250 });
      return undefined;
    }
    stats.rejected++;
    const after = await snapshotter.take();
    const diff = diffSnapshots(baseline, after);
    stats.stateChecks++;
    if (diff.length > 0) stateChangesFound++;
    if (diff.length > 0)
      return `rejected with ${res.status} ${res.json?.error?.code} but the state changed: ${diff.slice(0, 8).join('; ')}`;
    return undefined;
  }

  const routes = paymentServerRoutes();
  const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
  const describeRequest = (req: FuzzRequest) =>
    `${req.method} ${clip(req.path, 200)} auth=${req.auth} headers=${clip(JSON.stringify(req.headers), 300)} body(${req.bodyKind})=${clip(req.body ?? '', 400)}`;
  test.each(routes.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))(
    '%s',
    async (_name, route) => {
      await fc.assert(
        fc.asyncProperty(requestFor(route, pools), async (req) => {
          const problem = await check(req);
          if (problem) {
            // Start the next property from the state as it is now, so that one failure does not cascade.
            baseline = await settledSnapshot(snapshotter).catch(() => baseline);
            throw new Error(`${problem}\nrequest: ${describeRequest(req)}`);
          }
        }),
        { numRuns: PER_ROUTE, seed: SEED + route.path.length * 31 + route.method.length, endOnFailure: true },
      );
    },
    timeoutMs(60_000),
  );

  test('the server is healthy after the fuzzing: status ok, no unhandled error logged, process alive', async () => {
    const status = await env.api.call('GET', '/status', null);
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('ok');
    expect(env.server.process.alive).toBe(true);
    const errors = env.server.process.json().filter((l) => typeof l.level === 'number' && l.level >= 50);
    expect(errors).toEqual([]);
    expect(stats.requests).toBeGreaterThan(routes.length * PER_ROUTE * 0.8);
    if (process.env.CHANPAY_FUZZ_VERBOSE) console.log(JSON.stringify({ ...stats, seed: SEED }, null, 1));
  });
});
