import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { encodeVoucher } from '@chanpay/protocol';
import { VoucherHasher, VoucherSigner, hexToBuffer } from '@chanpay/protocol/node';
import { freePort, startAnvil, startPostgres, type EmbeddedChain, type ThrowawayPostgres } from '@chanpay/devkit';
import { CONSUMER_TOKEN, ON_POSTGRES, PROVIDER_TOKEN, api, waitFor, type Api } from './harness';

const GWEI = 1_000_000_000n;
const MAIN = path.resolve(__dirname, '../../src/main.ts');
const REPLICAS = 3;

interface Replica {
  child: ChildProcess;
  http: Api;
  output: () => string;
}

/**
 * Several payment server processes of one team (the same accounts and tokens) on one PostgreSQL database, on
 * anvil (ganache mishandles concurrent senders of one account). Runs in the payment-server-pg lane.
 */
(ON_POSTGRES ? describe : describe.skip)('payment server replicas on one PostgreSQL', () => {
  let chain: EmbeddedChain;
  let postgres: ThrowawayPostgres;
  let replicas: Replica[] = [];
  let signer: VoucherSigner;
  let env: Record<string, string>;

  const spawnReplica = async (extra: Record<string, string> = {}): Promise<Replica> => {
    const port = await freePort();
    let output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, ...env, ...extra, PS_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const http = api(() => `http://127.0.0.1:${port}`);
    await waitFor(
      'a replica to listen',
      async () => (await http.call('GET', '/status', null).catch(() => ({ status: 0 }))).status === 200,
      30_000,
    );
    return { child, http, output: () => output };
  };
  const kill = async (r: Replica) => {
    if (r.child.exitCode !== null || r.child.signalCode !== null) return;
    const exited = new Promise((resolve) => r.child.once('exit', resolve));
    r.child.kill('SIGKILL');
    await exited;
  };
  const leaders = () => replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null && r.output().includes('leading:'));
  const open = async (via: Replica, deposit = 10_000n * GWEI) => {
    const r = await via.http.call('POST', '/channels', CONSUMER_TOKEN, {
      provider: chain.accounts[1]!.address,
      deposit: deposit.toString(),
    });
    expect(r.status).toBe(201);
    return r.body.channel.id as string;
  };
  const verify = (via: Replica, header: string, price: bigint, idempotencyKey?: string) =>
    via.http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: header, price: price.toString(), idempotencyKey });

  beforeAll(async () => {
    chain = await startAnvil({ accounts: 3 });
    postgres = await startPostgres(); // fsync on: the crash test below counts on it
    const [c, p] = chain.accounts;
    env = {
      PS_RPC_URL: chain.rpcUrl,
      PS_DB_URL: postgres.url,
      PS_ACCOUNTS: `consumer:${c!.privateKey},provider:${p!.privateKey}`,
      PS_TOKENS: `${CONSUMER_TOKEN}:consumer,${PROVIDER_TOKEN}:provider`,
      PS_LOG_LEVEL: 'info',
      PS_CLAIM_INTERVAL_SECONDS: '0',
      PS_WATCH_INTERVAL_MS: '200',
    };
    // The first deploys the contract; the others find it in the database.
    replicas = [await spawnReplica()];
    // One replica group-commits its voucher records (PS_DB_BATCH=on): both ways of writing share the row locks.
    replicas.push(
      ...(await Promise.all(Array.from({ length: REPLICAS - 1 }, (_, i) => spawnReplica(i === 0 ? { PS_DB_BATCH: 'on' } : {})))),
    );
    const status = (await replicas[0]!.http.call('GET', '/status', null)).body;
    for (const r of replicas) expect((await r.http.call('GET', '/status', null)).body.contract).toBe(status.contract);
    signer = new VoucherSigner(
      new VoucherHasher({ chainId: BigInt(status.chainId), contract: status.contract }),
      hexToBuffer(c!.privateKey),
    );
  }, 120_000);
  afterAll(async () => {
    for (const r of replicas) await kill(r);
    for (const r of replicas) {
      expect(r.output()).not.toContain(chain.accounts[0]!.privateKey.slice(2));
      expect(r.output()).not.toContain(PROVIDER_TOKEN);
    }
    await postgres?.stop();
    await chain?.stop();
  });

  test('exactly one replica leads', async () => {
    await waitFor('a leader', () => leaders().length === 1, 10_000);
    expect(leaders()).toHaveLength(1);
  });

  test('webhooks: each event is delivered once, whichever replica saw it', async () => {
    const received: { type: string; channelId: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const event = JSON.parse(body) as { type: string; data: { channelId: string } };
        received.push({ type: event.type, channelId: event.data.channelId });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const created = await replicas[2]!.http.call('POST', '/webhooks', CONSUMER_TOKEN, {
        url,
        events: ['channel.opened', 'channel.topped_up'],
      });
      expect(created.status).toBe(201);
      const ids = await Promise.all(replicas.map((r) => open(r, 100n * GWEI)));
      const topUp = await replicas[1]!.http.call('POST', `/channels/${ids[0]}/topup`, CONSUMER_TOKEN, { amount: GWEI.toString() });
      expect(topUp.status).toBe(200);
      await waitFor('the deliveries', () => received.length >= ids.length + 1, 20_000);
      await new Promise((r) => setTimeout(r, 2_000)); // time enough for a second delivery, if there were one
      const seen = received.map((e) => `${e.type} ${e.channelId}`).sort();
      expect(seen).toEqual([...ids.map((id) => `channel.opened ${id}`), `channel.topped_up ${ids[0]}`].sort());
      await replicas[0]!.http.call('DELETE', `/webhooks/${created.body.webhook.id}`, CONSUMER_TOKEN);
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });

  test('channels opened at once through every replica from one account: no nonce is used twice', async () => {
    const ids = await Promise.all(Array.from({ length: 3 * REPLICAS }, (_, i) => open(replicas[i % REPLICAS]!, 100n * GWEI)));
    expect(new Set(ids).size).toBe(3 * REPLICAS);
    for (const r of replicas) {
      const listed = (await r.http.call('GET', '/channels', CONSUMER_TOKEN)).body.channels.map((ch: { id: string }) => ch.id);
      expect(listed).toEqual(expect.arrayContaining(ids));
    }
  });

  test('the same voucher sent 200 times at once across the replicas is accepted exactly once', async () => {
    const id = await open(replicas[0]!);
    const header = encodeVoucher(signer.sign(id, GWEI));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => verify(replicas[i % REPLICAS]!, header, GWEI)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.body.error.code === 'AMOUNT_TOO_LOW')).toHaveLength(199);
    for (const r of replicas) {
      expect((await r.http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel).toMatchObject({
        calls: 1,
        latestVoucher: { amount: GWEI.toString() },
      });
    }
  });

  test('many channels at once, each voucher sent to every replica at the same moment: each accepted exactly once', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => open(replicas[i % REPLICAS]!, 100n * GWEI)));
    for (let round = 1n; round <= 3n; round++) {
      const sends = ids.flatMap((id) => {
        const header = encodeVoucher(signer.sign(id, round * GWEI));
        return Array.from({ length: 3 * REPLICAS }, (_, i) => verify(replicas[i % REPLICAS]!, header, GWEI));
      });
      const results = await Promise.all(sends);
      expect(results.filter((r) => r.status === 200)).toHaveLength(ids.length);
      expect(results.filter((r) => r.status !== 200).every((r) => r.body.error.code === 'AMOUNT_TOO_LOW')).toBe(true);
    }
    for (const id of ids) expect((await replicas[0]!.http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel.calls).toBe(3);
  });

  test('the same voucher under one idempotency key, 200 times across the replicas: one acceptance, the rest replays', async () => {
    const id = await open(replicas[1]!);
    const header = encodeVoucher(signer.sign(id, GWEI));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => verify(replicas[i % REPLICAS]!, header, GWEI, 'call-1')));
    expect(results.map((r) => r.status)).toEqual(Array(200).fill(200));
    expect(results.filter((r) => r.body.replayed === false)).toHaveLength(1);
    expect((await replicas[2]!.http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel.calls).toBe(1);
  });

  test('distinct vouchers spread over the replicas, out of order: each call charged once', async () => {
    const id = await open(replicas[2]!);
    const amounts = Array.from({ length: 60 }, (_, i) => BigInt(i + 1) * GWEI).reverse();
    const results = await Promise.all(amounts.map((a, i) => verify(replicas[i % REPLICAS]!, encodeVoucher(signer.sign(id, a)), GWEI)));
    const accepted = results.filter((r) => r.status === 200);
    // A late voucher is refused when another replica accepted since this one last saw the channel (never charged twice).
    expect(results.filter((r) => r.status !== 200).every((r) => r.status === 409 && r.body.error.code === 'AMOUNT_TOO_LOW')).toBe(true);
    expect(new Set(accepted.map((r) => r.body.amount)).size).toBe(accepted.length);
    const ch = (await replicas[0]!.http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel;
    expect(ch.calls).toBe(accepted.length);
    expect(ch.latestVoucher.amount).toBe((60n * GWEI).toString());
  });

  test('kill -9 of the leader: another replica takes over and claims', async () => {
    const id = await open(replicas[0]!);
    const [leader] = leaders();
    await kill(leader!);
    const alive = replicas.filter((r) => r !== leader);
    await waitFor('another replica to lead', () => leaders().length === 1, 15_000);
    const newLeader = leaders()[0]!;
    expect(alive).toContain(newLeader);
    // A follower accepts; the new leader's claimer claims (threshold 0, interval 0: claimed on a consumer's close).
    const follower = alive.find((r) => r !== newLeader)!;
    expect((await verify(follower, encodeVoucher(signer.sign(id, 3n * GWEI)), 3n * GWEI)).status).toBe(200);
    expect((await follower.http.call('POST', `/channels/${id}/close`, CONSUMER_TOKEN, {})).body.state).toBe('closing');
    await waitFor(
      'the new leader to claim the closing channel',
      async () => (await follower.http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel.claimed === (3n * GWEI).toString(),
      30_000,
    );
    replicas = [...alive, await spawnReplica()];
    expect(leaders()).toHaveLength(1);
  });

  test('kill -9 of PostgreSQL under load, then a restart: nothing acknowledged is lost', async () => {
    const id = await open(replicas[0]!);
    let acknowledged = 0;
    let highest = 0n;
    let refusedWhileDown = 0;
    let amount = 0n;
    const send = async (i: number) => {
      amount += GWEI;
      const mine = amount;
      const r = await verify(replicas[i % replicas.length]!, encodeVoucher(signer.sign(id, mine)), GWEI).catch(() => ({
        status: 0,
        body: {},
      }));
      if (r.status === 200) {
        acknowledged++;
        if (mine > highest) highest = mine;
      } else {
        refusedWhileDown++;
        // The connection broke mid-request (0), or the answer says why, with a stable code.
        expect(r.status === 0 || (r.status === 503 && (r.body as { error: { code: string } }).error.code === 'STORE_UNAVAILABLE')).toBe(
          true,
        );
      }
    };
    for (let i = 0; i < 20; i++) await send(i);
    await postgres.kill();
    for (let i = 0; i < 10; i++) await send(i);
    await postgres.restart();
    await waitFor(
      'the replicas to reach PostgreSQL again',
      async () => {
        await send(0);
        return (await replicas[0]!.http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).status === 200;
      },
      30_000,
    );
    for (let i = 0; i < 20; i++) await send(i);
    expect(refusedWhileDown).toBeGreaterThan(0);
    // Every acknowledged call is stored (a call whose commit raced the crash may be stored without an answer).
    let latest = 0n;
    for (const r of replicas) {
      const ch = (await r.http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel;
      expect(ch.calls).toBeGreaterThanOrEqual(acknowledged);
      expect(BigInt(ch.latestVoucher.amount)).toBeGreaterThanOrEqual(highest);
      latest = BigInt(ch.latestVoucher.amount);
    }
    // The claimer leads again (its connection broke with the server) and the books are claimable to the wei.
    await waitFor('a leader after the restart', () => leaders().length >= 1, 15_000);
    const claim = await replicas[1]!.http.call('POST', `/channels/${id}/claim`, PROVIDER_TOKEN, {});
    expect(claim.status).toBe(200);
    expect(claim.body.claimed).toBe(latest.toString());
  });
});
