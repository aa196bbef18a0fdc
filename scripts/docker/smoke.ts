/**
 * One smoke call per scenario, on 127.0.0.1, with what it must show. Each returns a summary for the caller to
 * print or assert, and throws with the reason when the scenario does not work.
 */
import assert from 'node:assert/strict';
import type { Scenario } from './scenario';

export async function getJson<T = any>(url: string, timeoutMs = 60_000): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: body as T };
}

async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  return ((await res.json()) as { result: T }).result;
}

export interface PaidSmoke {
  actions: number;
  channels: { randomNumber: string; persistence: string };
  /** What the last /action's receipts say was paid in total on each channel, in wei. */
  paid: { randomNumber: string; persistence: string };
  redeemed: { randomNumber: string[]; persistence: string[] };
  payout: { randomNumber: { claimed: string; unclaimed: string }; persistence: { claimed: string; unclaimed: string } };
}

const GWEI = 1_000_000_000n;

/** /init, N x /action through the paid network, then both providers /redeem and /payout. */
export async function smokePayment(s: Scenario, actions = 3): Promise<PaidSmoke> {
  const pub = (p: string) => s.url('PUBLIC_PORT', p);
  const init = await getJson(pub('/init'), 120_000);
  assert.equal(init.status, 200, `/init answered ${init.status}: ${JSON.stringify(init.body)}`);
  const channels = { randomNumber: init.body.randomNumber as string, persistence: init.body.persistence as string };
  assert.match(channels.randomNumber, /^0x[0-9a-f]{64}$/, 'a channel to random-number');
  assert.match(channels.persistence, /^0x[0-9a-f]{64}$/, 'a channel to persistence');
  let last: any;
  for (let i = 1; i <= actions; i++) {
    const res = await getJson(pub('/action'));
    assert.equal(res.status, 200, `/action ${i} answered ${res.status}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.savedNumber, res.body.number, 'the number random-number drew is the one persistence saved');
    assert.equal(res.body.receipts.randomNumber.amount, (BigInt(i) * GWEI).toString(), `call ${i} to random-number paid, 1 gwei each`);
    assert.equal(res.body.receipts.persistence.amount, (BigInt(i) * 2n * GWEI).toString(), `call ${i} to persistence paid, 2 gwei each`);
    last = res.body;
  }
  const provider = async (portVar: 'RANDOM_NUMBER_PORT' | 'PERSISTENCE_PORT', channel: string, price: bigint) => {
    const redeem = await getJson(s.url(portVar, '/redeem'), 120_000);
    assert.equal(redeem.status, 200, `/redeem answered ${redeem.status}: ${JSON.stringify(redeem.body)}`);
    assert.deepEqual(redeem.body.channels, [channel], 'the provider claims its one channel');
    const payout = await getJson(s.url(portVar, '/payout'));
    assert.equal(payout.status, 200);
    assert.equal(payout.body.claimed, (BigInt(actions) * price).toString(), 'claimed on chain: every call, once');
    assert.equal(payout.body.unclaimed, '0');
    return {
      redeemed: redeem.body.channels as string[],
      payout: { claimed: payout.body.claimed as string, unclaimed: payout.body.unclaimed as string },
    };
  };
  const rn = await provider('RANDOM_NUMBER_PORT', channels.randomNumber, GWEI);
  const ps = await provider('PERSISTENCE_PORT', channels.persistence, 2n * GWEI);
  return {
    actions,
    channels,
    paid: { randomNumber: last.receipts.randomNumber.amount, persistence: last.receipts.persistence.amount },
    redeemed: { randomNumber: rn.redeemed, persistence: ps.redeemed },
    payout: { randomNumber: rn.payout, persistence: ps.payout },
  };
}

/** N x /action with no payment: no receipts, and no payment routes. */
export async function smokeNoPayment(s: Scenario, actions = 3): Promise<{ actions: number; numbers: number[] }> {
  const numbers: number[] = [];
  for (let i = 1; i <= actions; i++) {
    const res = await getJson(s.url('PUBLIC_PORT', '/action'));
    assert.equal(res.status, 200, `/action ${i} answered ${res.status}: ${JSON.stringify(res.body)}`);
    assert.deepEqual(res.body.receipts, { randomNumber: null, persistence: null }, 'nothing paid');
    assert.equal(res.body.savedNumber, res.body.number);
    numbers.push(res.body.number as number);
  }
  assert.equal((await getJson(s.url('PUBLIC_PORT', '/init'))).status, 404, 'no /init without payment');
  assert.equal((await getJson(s.url('RANDOM_NUMBER_PORT', '/redeem'))).status, 404, 'no /redeem without payment');
  const status = await getJson(s.url('RANDOM_NUMBER_PORT', '/status'));
  assert.equal(status.body.payment, 'off');
  return { actions, numbers };
}

/** The payment server is up on the chain, at the contract address the env file predicts. */
export async function smokeChain(s: Scenario): Promise<{ contract: string; chainId: string; blockNumber: number; visualizer: number }> {
  const status = await getJson(s.url('PAYMENT_SERVER_PORT', '/status'));
  assert.equal(status.status, 200);
  assert.equal(status.body.status, 'ok');
  assert.equal(status.body.contract, s.settings.CONTRACT_ADDRESS?.toLowerCase(), 'the server uses the deployer-nonce-0 contract');
  const code = await rpc<string>(s.url('CHAIN_PORT'), 'eth_getCode', [status.body.contract, 'latest']);
  assert.ok(code && code.length > 2, 'the contract has code on the chain');
  const page = await fetch(s.url('VISUALIZER_PORT', '/'), { signal: AbortSignal.timeout(10_000) });
  assert.equal(page.status, 200, 'the visualizer serves its page');
  return {
    contract: status.body.contract,
    chainId: String(status.body.chainId),
    blockNumber: status.body.blockNumber,
    visualizer: page.status,
  };
}

/** The test container ran the payment life cycle and passed. */
export async function smokeIntegrationTest(s: Scenario): Promise<{ exitCode: number; summary: string }> {
  const { exitCode, log } = await s.waitForTest();
  const summary =
    log
      .split('\n')
      .filter((l) => /^(PASS|FAIL)/.test(l))
      .join('\n') || log.split('\n').slice(-5).join('\n');
  assert.equal(exitCode, 0, `the integration test container failed:\n${log}`);
  return { exitCode, summary };
}

export async function smoke(s: Scenario): Promise<unknown> {
  switch (s.name) {
    case 'payment':
      return smokePayment(s);
    case 'no-payment':
      return smokeNoPayment(s);
    case 'chain':
      return smokeChain(s);
    case 'integration-test':
      return smokeIntegrationTest(s);
    case 'metrics':
      // smoke-metrics.ts builds on smokePayment; the scenario command calls it (no import cycle).
      throw new Error('the metrics scenario smokes with smokeMetrics (scripts/docker/smoke-metrics.ts)');
  }
}
