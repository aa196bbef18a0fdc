import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Wallet, encryptKeystoreJson, hexlify, randomBytes } from 'ethers';
import { timeTravel } from './lib/chain';
import { recordFigure, stopwatch } from './lib/figures';
import { jsonApi } from './lib/http';
import { waitFor } from './lib/load';
import {
  runPaymentServerToExit,
  startAnvilNode,
  startPaymentServerProcess,
  type AnvilNode,
  type PaymentServerProcess,
} from './lib/processes';
import { TextCollector, findSecrets, type Secret } from './lib/secret-scan';
import { GWEI, QUIET_JOBS, tempDir } from './lib/setup';

/**
 * No private key and no bearer token in any log line or response body. Two payment servers (consumer side with
 * a separate voucher key, provider side) and the chain node run with log level debug through a whole life cycle,
 * errors, a kill -9 and a restart; everything they print and answer is scanned with the generic scanner of
 * lib/secret-scan.ts (hex in any case with or without 0x, base64, byte lists).
 */

const CONSUMER_TOKEN = 'secret-scan-consumer-tok-0001';
const PROVIDER_TOKEN = 'secret-scan-provider-tok-0002';

describe('secrets never leave the payment server', () => {
  const collector = new TextCollector();
  let chain: AnvilNode;
  let consumerServer: PaymentServerProcess;
  let providerServer: PaymentServerProcess;
  let sink: Server;
  let secrets: Secret[];
  const webhookSecret = 'whsec-' + hexlify(randomBytes(16)).slice(2);
  const voucherKey = Wallet.createRandom().privateKey;
  const elapsed = stopwatch();

  beforeAll(async () => {
    sink = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        collector.add('webhook delivery', JSON.stringify(req.headers) + body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
    chain = await startAnvilNode({ accounts: 3, collector });
    const [c, p] = chain.accounts as [AnvilNode['accounts'][number], AnvilNode['accounts'][number]];
    const dir = tempDir();
    const config = {
      ...QUIET_JOBS,
      claim: { ...QUIET_JOBS.claim, intervalSeconds: 1 },
      defaults: { challengePeriod: 120, minChallengePeriod: 60 },
    };
    consumerServer = await startPaymentServerProcess({
      name: 'ps-consumer',
      rpcUrl: chain.rpcUrl,
      dbPath: path.join(dir, 'c.db'),
      logLevel: 'debug',
      collector,
      config,
      accounts: [{ name: 'consumer', privateKey: c.privateKey, voucherKey }],
      tokens: [{ token: CONSUMER_TOKEN, accounts: ['consumer'] }],
    });
    const contract = (await jsonApi(consumerServer.url).call('GET', '/status', null)).body.contract as string;
    providerServer = await startPaymentServerProcess({
      name: 'ps-provider',
      rpcUrl: chain.rpcUrl,
      dbPath: path.join(dir, 'p.db'),
      logLevel: 'debug',
      collector,
      config,
      contractAddress: contract,
      accounts: [{ name: 'provider', privateKey: p.privateKey }],
      tokens: [{ token: PROVIDER_TOKEN, accounts: ['provider'] }],
    });
    secrets = [
      ...chain.accounts.map((a, i) => ({ label: `account key ${i}`, kind: 'privateKey' as const, value: a.privateKey })),
      { label: 'consumer voucher key', kind: 'privateKey', value: voucherKey },
      { label: 'consumer token', kind: 'token', value: CONSUMER_TOKEN },
      { label: 'provider token', kind: 'token', value: PROVIDER_TOKEN },
    ];
  }, 120_000);

  afterAll(async () => {
    await providerServer?.stop();
    await consumerServer?.stop();
    await chain?.stop();
    await new Promise<void>((r) => (sink ? sink.close(() => r()) : r()));
  });

  test('a whole life cycle at log level debug, with errors, a kill -9 and a restart', async () => {
    const c = jsonApi(consumerServer.url, collector);
    const p = jsonApi(() => providerServer.url, collector);
    const provider = chain.accounts[1]!.address;
    for (const [api, token] of [
      [c, CONSUMER_TOKEN],
      [p, PROVIDER_TOKEN],
    ] as const) {
      for (const path of ['/status', '/config', '/openapi.json', '/metrics', '/funds', '/channels', '/webhooks'])
        expect((await api.call('GET', path, token)).status).toBe(200);
      const hook = await api.call('POST', '/webhooks', token, {
        url: `http://127.0.0.1:${(sink.address() as { port: number }).port}/h`,
        events: ['channel.opened', 'channel.claimed', 'channel.closing', 'channel.settled', 'voucher.accepted', 'channel.topped_up'],
        secret: webhookSecret,
      });
      expect(hook.status).toBe(201);
    }
    const id = (await c.call('POST', '/channels', CONSUMER_TOKEN, { provider, deposit: (100n * GWEI).toString(), challengePeriod: 60 }))
      .body.channel.id as string;
    expect((await c.call('POST', `/channels/${id}/topup`, CONSUMER_TOKEN, { amount: GWEI.toString() })).status).toBe(200);
    const headers: string[] = [];
    for (let i = 0; i < 20; i++) {
      const signed = await c.call('POST', `/channels/${id}/vouchers`, CONSUMER_TOKEN, { price: GWEI.toString() });
      expect(signed.status).toBe(201);
      headers.push(signed.body.header);
      const r = await p.call('POST', '/vouchers/verify', PROVIDER_TOKEN, {
        voucher: signed.body.header,
        price: GWEI.toString(),
        idempotencyKey: `call-${i}`,
      });
      expect(r.status).toBe(200);
    }
    expect((await p.call('POST', '/vouchers', PROVIDER_TOKEN, { vouchers: headers.slice(-3) })).status).toBe(200);
    expect((await p.call('POST', `/channels/${id}/claim`, PROVIDER_TOKEN, {})).status).toBe(200);
    // Errors of every kind, including tokens sent to the wrong server and in the wrong place.
    await c.call('GET', '/channels', PROVIDER_TOKEN);
    await c.call('GET', `/channels?token=${CONSUMER_TOKEN}`, CONSUMER_TOKEN);
    await p.send({
      method: 'GET',
      path: '/channels',
      headers: { authorization: `Basic ${Buffer.from(`x:${PROVIDER_TOKEN}`).toString('base64')}` },
    });
    await p.send({ method: 'GET', path: '/channels', headers: { authorization: `Bearer ${PROVIDER_TOKEN}x` } });
    await p.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: headers[0], price: GWEI.toString() });
    await p.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: 'garbage', price: 'x' });
    await c.call('POST', '/channels', CONSUMER_TOKEN, { provider, deposit: (10n ** 30n).toString() });
    await c.call('POST', `/channels/${id}/withdraw`, CONSUMER_TOKEN, {});
    // kill -9 and restart of the provider side in the middle.
    await providerServer.kill9();
    await providerServer.restart();
    for (let i = 20; i < 25; i++) {
      const signed = await c.call('POST', `/channels/${id}/vouchers`, CONSUMER_TOKEN, { price: GWEI.toString() });
      expect(
        (await p.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher: signed.body.header, price: GWEI.toString() })).status,
      ).toBe(200);
    }
    expect((await p.call('POST', '/claims', PROVIDER_TOKEN, {})).status).toBe(200);
    expect((await c.call('POST', `/channels/${id}/close`, CONSUMER_TOKEN, {})).status).toBe(200);
    await c.call('GET', `/channels/${id}/close-status`, CONSUMER_TOKEN);
    await timeTravel(chain.rpcUrl, 61);
    await waitFor(
      'the refund',
      async () => (await c.call('GET', `/channels/${id}`, CONSUMER_TOKEN)).body.channel.state === 'settled',
      20_000,
    );
    for (const [api, token] of [
      [c, CONSUMER_TOKEN],
      [p, PROVIDER_TOKEN],
    ] as const) {
      for (const path of ['/funds', `/channels/${id}`, `/channels/${id}/vouchers/latest`, '/webhooks', '/metrics'])
        await api.call('GET', path, token);
    }
    await waitFor('webhook deliveries', () => collector.from('webhook delivery').length >= 10, 15_000);
  }, 120_000);

  test('bad configurations are refused without printing the secrets they contain', async () => {
    const dir = tempDir();
    const good = chain.accounts[0]!.privateKey;
    const outOfRange = '0x' + 'ff'.repeat(32);
    const badPassword = 'pw-' + hexlify(randomBytes(12)).slice(2);
    const keystore = path.join(dir, 'ks.json');
    const w = new Wallet(good);
    writeFileSync(
      keystore,
      await encryptKeystoreJson({ address: w.address, privateKey: w.privateKey }, 'right password', { scrypt: { N: 1024 } }),
    );
    writeFileSync(
      path.join(dir, 'cfg.json'),
      JSON.stringify({
        accounts: [{ name: 'k', keystore: { path: keystore, password: badPassword } }],
        tokens: [{ token: CONSUMER_TOKEN, accounts: ['k'] }],
        rpcUrl: chain.rpcUrl,
        dbPath: path.join(dir, 'x.db'),
      }),
    );
    const cases: Record<string, string>[] = [
      { PS_ACCOUNTS: `a:${outOfRange}`, PS_TOKENS: `${CONSUMER_TOKEN}:a` },
      { PS_ACCOUNTS: `a:${good.slice(0, -1)}`, PS_TOKENS: `${CONSUMER_TOKEN}:a` },
      { PS_ACCOUNTS: `a:${good}:${good.slice(2)}`, PS_TOKENS: `${CONSUMER_TOKEN}:a` },
      { PS_ACCOUNTS: `a:${good}:${good}:x`, PS_TOKENS: `${CONSUMER_TOKEN}:a` },
      { PS_ACCOUNTS: `a:${good}`, PS_TOKENS: `${CONSUMER_TOKEN}:nobody` },
      { PS_ACCOUNTS: `a:${good}`, PS_TOKENS: `short:a` },
      { PS_ACCOUNTS: `a:${good}`, PS_TOKENS: `${CONSUMER_TOKEN}:a`, PS_RPC_URL: 'http://127.0.0.1:1' },
      { PS_CONFIG: path.join(dir, 'cfg.json') },
    ];
    for (const env of cases) {
      const r = await runPaymentServerToExit(
        { PS_DB_PATH: path.join(dir, 'x.db'), PS_PORT: '0', PS_LOG_LEVEL: 'debug', ...env },
        collector,
      );
      expect(r.code).not.toBe(0);
      expect(r.output.length).toBeGreaterThan(0);
    }
    secrets.push(
      { label: 'out-of-range key', kind: 'privateKey', value: outOfRange },
      { label: 'keystore password', kind: 'other', value: badPassword },
    );
  }, 120_000);

  test('no private key or bearer token in any log line, response or webhook; the webhook secret only in its create response', () => {
    const all = collector.all();
    const logLines = collector.from('log ').length;
    expect(logLines).toBeGreaterThan(100); // debug logging really ran
    const hits = findSecrets(all, secrets);
    expect(hits).toEqual([]);
    const secretHits = findSecrets(
      all.filter((s) => !(s.source === 'response POST /webhooks' && s.text.includes('"webhook"'))),
      [{ label: 'webhook secret', kind: 'other', value: webhookSecret }],
    );
    expect(secretHits).toEqual([]);
    // ...but the scanner does see a secret when there is one (it is not blind).
    expect(findSecrets([{ source: 'probe', text: `{"k":"${secrets[0]!.value.slice(2).toUpperCase()}"}` }], secrets)).toHaveLength(1);
    recordFigure({
      scenario: 'Secret scan',
      chain: 'anvil',
      load: `2 payment servers and the node at log level debug through a life cycle (open, top-up, 25 paid calls, record, claim, close, refund, webhooks), a kill -9 and restart, 8 refused configurations`,
      faults: 'kill -9 of the provider payment server',
      inputs: `${all.length} texts scanned (${logLines} log lines, ${collector.from('response ').length} responses, ${collector.from('webhook delivery').length} webhook deliveries) for ${secrets.length} secrets in hex (any case, with or without 0x), base64 and byte-list form`,
      lost: `secrets found: ${hits.length + secretHits.length}`,
      numbers: {
        texts: all.length,
        logLines,
        responses: collector.from('response ').length,
        webhooks: collector.from('webhook delivery').length,
        secrets: secrets.length,
      },
      durationMs: elapsed(),
    });
  });
});
