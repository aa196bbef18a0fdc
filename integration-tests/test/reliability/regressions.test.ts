import http from 'node:http';
import path from 'node:path';
import { encodeVoucher } from '@chanpay/protocol';
import { balanceAt, conservation } from './lib/conservation';
import { artifact, deploy, nonceOf, transact } from './lib/chain';
import { GWEI, TOKENS, startOneServer, tempDir, type OneServer } from './lib/setup';
import { sleep } from './lib/load';

/**
 * Bugs in the payment server that the reliability suite found. Each test showed one and failed until it was fixed
 * (now it guards against the bug coming back). The fixes are described next to each test and in
 * docs/reliability.md.
 */
describe('regressions: bugs the reliability suite found, now fixed', () => {
  let env: OneServer;

  beforeAll(async () => {
    env = await startOneServer();
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  /**
   * Bug 1. `ConsumerOperations.open` (and `topUp`) send the ERC-20 `approve` transaction before anything checks that
   * the open (top-up) itself can succeed. When it cannot (the consumer holds too few tokens, the "token" is not a
   * contract, the channel is closing, the provider is the zero address…), the request is rejected with a 4xx, but
   * the approve is already mined: the consumer paid gas and its nonce moved for a request that was refused, and an
   * allowance to the contract stays behind.
   * Fix: before approving, check what can be checked with eth_call: that the token has code, that
   * `balanceOf(consumer) >= amount`, and (top-up) that the channel is open; then simulate `open`/`topUp` with the
   * approve in place where the node allows it (state override on anvil/geth), or approve exactly and, if the
   * simulation then fails, reset the allowance to 0 in the same error path. Cheapest complete fix: validate terms
   * (provider != 0, signer != 0, challengePeriod > 0) and balance/code before the approve.
   */
  const newToken = async () => (await deploy(env.chain.rpcUrl, env.chainId, env.outsider.privateKey, artifact('TestToken'))).address;
  const theProvider = () => env.provider.address;
  test.each([
    ['a token the consumer holds none of', newToken, theProvider],
    ['an address without code as the token', async () => env.outsider.address, theProvider],
    ['a valid token but the zero address as provider', newToken, () => '0x' + '00'.repeat(20)],
  ])('a rejected token channel open (%s) spends no gas and sends no transaction', async (_what, token, providerOf) => {
    const tokenAddress = await token();
    const nonce = await nonceOf(env.chain.rpcUrl, env.consumer.address);
    const balance = await balanceAt(env.chain.rpcUrl, env.consumer.address);
    const r = await env.api.call('POST', '/channels', TOKENS.consumer, {
      provider: providerOf(),
      deposit: GWEI.toString(),
      token: tokenAddress,
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect({
      nonce: await nonceOf(env.chain.rpcUrl, env.consumer.address),
      balance: await balanceAt(env.chain.rpcUrl, env.consumer.address),
    }).toEqual({ nonce, balance });
  });

  test('a rejected top-up of a closing token channel spends no gas and sends no transaction', async () => {
    const tk = await deploy(env.chain.rpcUrl, env.chainId, env.outsider.privateKey, artifact('TestToken'));
    await transact(env.chain.rpcUrl, tk.contract, 'mint', [env.consumer.address, 10n * GWEI]);
    const id = await env.open(GWEI, { token: tk.address });
    expect((await env.api.call('POST', `/channels/${id}/close`, TOKENS.consumer, {})).status).toBe(200);
    const nonce = await nonceOf(env.chain.rpcUrl, env.consumer.address);
    const r = await env.api.call('POST', `/channels/${id}/topup`, TOKENS.consumer, { amount: GWEI.toString() });
    expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status: 409, code: 'CHANNEL_CLOSING' });
    expect(await nonceOf(env.chain.rpcUrl, env.consumer.address)).toBe(nonce);
  });

  /**
   * Bug 2. A request whose body is sent chunked (no Content-Length) and is larger than the 64 KiB limit gets its
   * 413, but `readJson` stops reading in the middle of the body (leaving the `for await` destroys the request
   * stream) while the response still says `Connection: keep-alive`. The rest of the body stays unread, so the next
   * request on that connection never gets an answer: a client that reuses connections (undici, node's agent) hangs
   * until its own timeout.
   * Fix: in `http/body.ts`, when the limit is exceeded, `ctx.set('Connection', 'close')` before throwing (node then
   * closes the socket after the 413), or keep draining the request (`ctx.req.resume()`) instead of breaking out.
   */
  test('after a 413 for an oversized chunked body, the next request on the same connection is answered', async () => {
    const port = Number(new URL(env.server.url).port);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, path: string, body?: string) =>
      new Promise<number | string>((resolve) => {
        const r = http.request(
          {
            host: '127.0.0.1',
            port,
            method,
            path,
            agent,
            timeout: 3000,
            headers: { authorization: `Bearer ${TOKENS.consumer}`, 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        r.on('timeout', () => r.destroy(new Error('no answer within 3 s')));
        r.on('error', (e) => resolve(e.message));
        if (body) r.write(body); // no Content-Length: node sends it chunked
        r.end();
      });
    try {
      expect(await send('POST', '/channels', 'x'.repeat(256 * 1024))).toBe(413);
      expect(await send('GET', '/channels')).toBe(200);
    } finally {
      agent.destroy();
    }
  });
});

/**
 * Bug 3. A dev node killed with kill -9 comes back from its last saved state (anvil --state), and so does a real
 * node after a reorg or after dropping a pending transaction: the chain forgets the provider's last claim.
 * (a) `TxSender` keeps its own nonce counter and only resets it when sending fails. After the node forgot a
 * transaction the counter is ahead of the chain: every later transaction of that account is queued by the node as a
 * future nonce, is never mined, and each request ends in 503 after `txTimeoutMs`, until the server restarts.
 * Fix: on a receipt timeout drop the cached nonce (`nonces.delete(from)`) and re-fetch
 * `eth_getTransactionCount(pending)`; better, since sends are serialized per account anyway, take
 * min(cached, pending) before each send so that a forgotten transaction is re-sent with its nonce.
 * (b) `ChannelStore.updateChain` never lowers `claimed`, even when `refresh` reads the contract directly, so the
 * server keeps believing the forgotten claim happened: the claimer sees nothing due, and a provider close settles
 * without the voucher. The provider loses what it had claimed.
 * Fix: let `refresh()` (a direct read of `channel(id)`) overwrite deposit/claimed/state with the chain's values (keep
 * the monotonic rule for event replays only), and make the watcher notice a head below its cursor or a changed
 * block hash, rescan from a safe depth and refresh every channel it holds.
 */
describe.each([
  ['(a) the next claim goes through: no nonce left ahead of the chain', 2n],
  ['(b) with no voucher since, the forgotten claim is claimed again', 0n],
])('known bug 3, a chain node crash that loses the last claim %s', (_what, extraVouchers) => {
  let env: OneServer;

  beforeAll(async () => {
    env = await startOneServer({
      anvil: { stateFile: path.join(tempDir(), 'anvil-state.json') },
      config: { chain: { rpcTimeoutMs: 1000, txTimeoutMs: 8000 } },
    });
  }, 60_000);
  afterAll(async () => {
    await env?.stop();
  });

  test('after the node forgets the last claim, the provider is still paid every accepted voucher', async () => {
    const id = await env.open(100n * GWEI);
    const v = (k: bigint) => encodeVoucher(env.signer.sign(id, k * GWEI));
    for (let k = 1n; k <= 5n; k++)
      expect((await env.api.call('POST', '/vouchers/verify', TOKENS.provider, { voucher: v(k), price: GWEI.toString() })).status).toBe(200);
    await env.chain.dumpState();
    expect((await env.api.call('POST', `/channels/${id}/claim`, TOKENS.provider, {})).body.claimed).toBe((5n * GWEI).toString());
    await env.chain.kill9();
    await env.chain.restart(); // back from the saved state: the claim never happened
    await sleep(1_500); // the server's loops reconnect
    for (let k = 6n; k <= 5n + extraVouchers; k++)
      expect((await env.api.call('POST', '/vouchers/verify', TOKENS.provider, { voucher: v(k), price: GWEI.toString() })).status).toBe(200);

    const close = await env.api.call('POST', `/channels/${id}/close`, TOKENS.provider, {});
    expect({ status: close.status, code: close.body.error?.code }).toEqual({ status: 200, code: undefined });
    const books = await conservation(env.chain.rpcUrl, env.contract, [id]);
    expect(books.problems).toEqual([]);
    expect(books.providerPayouts).toBe((5n + extraVouchers) * GWEI);
  }, 60_000);
});
