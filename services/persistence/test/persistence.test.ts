import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startEmbeddedChain, type EmbeddedChain } from '@chanpay/devkit';
import { createPaymentServer, type PaymentServer } from '@chanpay/payment-server';
import { NumberStore, startPersistenceService, type RunningPersistenceService } from '../src';

const PROVIDER_TOKEN = 'persistence-token-000000000002';

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe('persistence service without payments', () => {
  let dir: string;
  let svc: RunningPersistenceService;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'chanpay-persistence-'));
    svc = await startPersistenceService({ port: 0, payment: { mode: 'off' }, dbPath: path.join(dir, 'numbers.db') });
  });
  afterAll(async () => {
    await svc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('GET /save?nr= really stores the number in the SQLite file and answers 201', async () => {
    const res = await getJson(`${svc.url}/save?nr=0.25`);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ saved: 0.25, created: true });
    const db = new Database(path.join(dir, 'numbers.db'), { readonly: true });
    expect(db.prepare('SELECT value FROM numbers WHERE id = ?').get(res.body.id)).toEqual({ value: 0.25 });
    db.close();
  });

  test.each(['', 'abc', '1e999', '1,2', '0x10', 'NaN'])('nr=%s is a 400 VALIDATION_ERROR', async (nr) => {
    const res = await getJson(`${svc.url}/save?nr=${encodeURIComponent(nr)}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });

  test('the same Idempotency-Key stores once', () => {
    const store = new NumberStore(path.join(dir, 'keys.db'));
    const a = store.save(1, 'k1');
    const b = store.save(2, 'k1');
    expect(b).toEqual({ id: a.id, created: false });
    expect(store.count()).toBe(1);
    store.close();
  });
});

describe('persistence service with payments', () => {
  let dir: string;
  let chain: EmbeddedChain;
  let paymentServer: PaymentServer;
  let svc: RunningPersistenceService;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'chanpay-persistence-paid-'));
    chain = await startEmbeddedChain({ accounts: 1 });
    paymentServer = await createPaymentServer({
      port: 0,
      rpcUrl: chain.rpcUrl,
      dbPath: path.join(dir, 'payment-server.db'),
      logLevel: 'silent',
      accounts: [{ name: 'persistence', privateKey: chain.accounts[0]!.privateKey }],
      tokens: [{ token: PROVIDER_TOKEN, accounts: ['persistence'] }],
      defaults: { challengePeriod: 3, minChallengePeriod: 2 },
    });
    svc = await startPersistenceService({
      port: 0,
      payment: { mode: 'local', paymentServer: { url: paymentServer.url, token: PROVIDER_TOKEN } },
      dbPath: path.join(dir, 'persistence.db'),
    });
  });
  afterAll(async () => {
    await svc?.stop();
    await paymentServer?.stop();
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a malformed request is refused before payment (400, not 402), so it is never charged', async () => {
    const res = await getJson(`${svc.url}/save?nr=oops`);
    expect(res.status).toBe(400);
    const unpaid = await getJson(`${svc.url}/save?nr=1`);
    expect(unpaid.status).toBe(402);
    expect(unpaid.body.price).toBe('2000000000');
    expect(svc.store.count()).toBe(0);
  });

  test('/status reports the mode and what was saved; /payout is there', async () => {
    expect((await getJson(`${svc.url}/status`)).body).toMatchObject({ status: 'ok', payment: 'local', saved: 0 });
    expect((await getJson(`${svc.url}/payout`)).body).toMatchObject({ claimed: '0', unclaimed: '0' });
  });
});
