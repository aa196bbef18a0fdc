/**
 * A provider with 3 replicas on one PostgreSQL state (PROVIDER_STATE_URL), behind the builder's round-robin
 * proxy: the same voucher or ticket sent to all replicas at once is accepted exactly once, and a replica killed
 * with SIGKILL under load loses no acknowledged call; the books balance to the wei. In local mode the shared state
 * decides vouchers; in remote mode the payment server does (the shared state still holds tickets and keys).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PaymentServerClient } from '@chanpay/client-lib';
import { postgresUnavailable } from '@chanpay/devkit';
import { encodePrepay, encodeTicket, encodeVoucher, type Address } from '@chanpay/protocol';
import { VoucherHasher, VoucherSigner, hexToBuffer, makeTicketChain } from '@chanpay/protocol/node';
import { generate, startTopology, type RunningTopology, type TopologyInput } from '@chanpay/topology';
import { audit, settle, type HopReceipt } from './helpers/topology-audit';

jest.setTimeout(300_000);

const GWEI = 1_000_000_000n;
const REPLICAS = 3;
const noPostgres = postgresUnavailable();
const describeWithPostgres = noPostgres ? describe.skip : describe;
if (noPostgres) console.warn(`provider replicas skipped: ${noPostgres}`);

interface Answer {
  status: number;
  code: string | null;
  body: string;
}

describeWithPostgres.each(['local', 'remote'] as const)('a provider with 3 replicas on one PostgreSQL state, %s mode', (mode) => {
  let net: RunningTopology;
  let consumer: PaymentServerClient;
  let providerServer: PaymentServerClient;
  let signer: VoucherSigner;
  let providerAddress: string;
  let signerAddress: string;
  let replicas: string[];
  /** What each channel opened here must finally pay the provider, in wei. */
  const expected = new Map<string, bigint>();

  beforeAll(async () => {
    const input = generate('chain:1') as TopologyInput;
    input.defaults!.payment!.mode = mode;
    const s1 = input.services.find((s) => s.name === 's1')!;
    s1.replicas = REPLICAS;
    net = await startTopology(input, {
      freePorts: true,
      dataDir: path.join(mkdtempSync(path.join(tmpdir(), 'chanpay-replicas-')), 'net'),
      claimIntervalSeconds: 0,
    });
    replicas = net.urls.replicas.s1!;
    const payer = net.accountOfService('s0')!;
    const payee = net.accountOfService('s1')!;
    providerAddress = payee.address;
    signerAddress = payer.signer;
    consumer = new PaymentServerClient({ url: net.urls.paymentServers['payment-server-1']!, token: payer.token });
    providerServer = new PaymentServerClient({ url: net.urls.paymentServers['payment-server-2']!, token: payee.token });
    signer = new VoucherSigner(
      new VoucherHasher({ chainId: net.chain!.chainId, contract: net.contract as Address }),
      hexToBuffer(payer.voucherKey!),
    );
  });

  afterAll(async () => {
    await net?.stop();
  });

  const openChannel = async () =>
    (await consumer.openChannel({ provider: providerAddress, deposit: 1_000_000n * GWEI, signer: signerAddress })).id;

  const voucher = (channelId: string, amount: bigint) => encodeVoucher(signer.sign(channelId, amount));

  async function call(base: string, headers: Record<string, string>): Promise<Answer> {
    const res = await fetch(`${base}/work`, { headers, signal: AbortSignal.timeout(60_000) });
    const body = await res.text();
    let code: string | null = null;
    try {
      code = (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, code, body };
  }

  /** Sends `n` copies at once, spread over the replicas directly (not through the proxy). */
  const burst = (n: number, headers: (i: number) => Record<string, string>) =>
    Promise.all(Array.from({ length: n }, (_, i) => call(replicas[i % REPLICAS]!, headers(i))));

  const tally = (answers: Answer[]) => {
    const out: Record<string, number> = {};
    for (const a of answers) out[`${a.status} ${a.code ?? ''}`.trim()] = (out[`${a.status} ${a.code ?? ''}`.trim()] ?? 0) + 1;
    return out;
  };

  test('the same voucher sent 200 times at once to the replicas is accepted once', async () => {
    const id = await openChannel();
    const v = voucher(id, GWEI);
    const answers = await burst(200, (i) => ({ 'payment-voucher': v, 'x-request-id': `same-${i}` }));
    expect(tally(answers)).toEqual({ '200': 1, '402 AMOUNT_TOO_LOW': 199 });
    expected.set(id, GWEI);
  });

  test('with one Idempotency-Key: paid once, every answer the same call (or a stable conflict while it runs)', async () => {
    const id = await openChannel();
    const v = voucher(id, GWEI);
    const answers = await burst(200, () => ({ 'payment-voucher': v, 'idempotency-key': 'one-key', 'x-request-id': 'keyed' }));
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((a) => a.body)).size).toBe(1);
    for (const a of answers.filter((x) => x.status !== 200)) expect(`${a.status} ${a.code}`).toBe('409 IDEMPOTENCY_CONFLICT');
    // The range was taken once: the same voucher without the key is a replay; the next one pays.
    expect((await call(replicas[1]!, { 'payment-voucher': v })).code).toBe('AMOUNT_TOO_LOW');
    expect((await call(replicas[2]!, { 'payment-voucher': voucher(id, 2n * GWEI) })).status).toBe(200);
    expected.set(id, 2n * GWEI);
  });

  test('a prepaid ticket sent 200 times at once to the replicas is accepted once', async () => {
    const id = await openChannel();
    const links = makeTicketChain(4);
    const opened = await call(replicas[0]!, {
      'payment-voucher': voucher(id, 4n * GWEI),
      'payment-prepay': encodePrepay({ calls: 4, anchor: links[0]! }),
    });
    expect(opened.status).toBe(200);
    const ticket = (index: number) => encodeTicket({ channelId: id, blockAmount: 4n * GWEI, index, preimage: links[index]! });
    const answers = await burst(200, (i) => ({ 'payment-ticket': ticket(1), 'x-request-id': `ticket-${i}` }));
    expect(tally(answers)).toEqual({ '200': 1, '402 TICKET_USED': 199 });
    expect((await call(replicas[1]!, { 'payment-ticket': ticket(3) })).status).toBe(200);
    expect((await call(replicas[2]!, { 'payment-ticket': ticket(2) })).status).toBe(200);
    // The block is used up on every replica.
    expect((await call(replicas[0]!, { 'payment-ticket': ticket(2) })).code).toBe('UNKNOWN_TICKET_BLOCK');
    expected.set(id, 4n * GWEI);
  });

  test('kill -9 of a replica under load: no acknowledged call lost, the books balance to the wei', async () => {
    const entry = net.entries[0]!.url;
    const acknowledged: HopReceipt[] = [];
    let failed = 0;
    let sent = 0;
    const victim = net.process('s1#2');
    const worker = async (w: number) => {
      for (let i = 0; i < 50; i++) {
        sent++;
        if (sent === 120) victim.child.kill('SIGKILL');
        const res = await fetch(entry, { headers: { 'x-request-id': `load-${w}-${i}` }, signal: AbortSignal.timeout(60_000) });
        const text = await res.text();
        if (res.status === 200) acknowledged.push(...(JSON.parse(text) as { receipts: HopReceipt[] }).receipts);
        else failed++;
      }
    };
    const CONCURRENCY = 6;
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
    expect(victim.child.signalCode).toBe('SIGKILL');
    expect(acknowledged.length).toBeGreaterThan(200);
    const channelId = acknowledged[0]!.channelId;
    const price = BigInt(acknowledged[0]!.price);
    const paidAcknowledged = acknowledged.reduce((sum, r) => sum + BigInt(r.price), 0n);
    const highestReceipt = acknowledged.reduce((max, r) => (BigInt(r.amount) > max ? BigInt(r.amount) : max), 0n);

    // The live replicas store what the dead one accepted and did not store (its sweep), within a few seconds.
    let held = 0n;
    for (let tries = 0; tries < 40 && held < highestReceipt; tries++) {
      await new Promise((r) => setTimeout(r, 250));
      held = BigInt((await providerServer.latestVoucher(channelId))?.amount ?? '0');
    }
    expect(held).toBeGreaterThanOrEqual(highestReceipt);
    expect(held).toBeGreaterThanOrEqual(paidAcknowledged);
    // At most the calls in flight at the dead replica were accepted and not acknowledged (their answers were lost).
    expect(held - paidAcknowledged).toBeLessThanOrEqual(BigInt(CONCURRENCY + failed) * price);

    const ids = await settle(net);
    const { report, balanceProblems } = await audit(net, ids);
    expect(report.problems).toEqual([]);
    expect(balanceProblems).toEqual([]);
    const paidOn = (id: string) => {
      const ch = report.channels.find((c) => c.id === id.toLowerCase())!;
      return ch.providerTotal;
    };
    expect(paidOn(channelId)).toBe(held);
    for (const [id, wei] of expected) expect([id, paidOn(id)]).toEqual([id, wei]);
    console.log(
      `replicas (${mode}): ${acknowledged.length} acknowledged calls (${failed} failed around the kill), held ${held} wei, acknowledged ${paidAcknowledged} wei`,
    );
  });
});
