/**
 * The payment life cycle against one running payment server and its chain, from the outside, as the thesis's
 * integration tests did (and more): status, open and fund a channel, sign and verify vouchers, refuse a replay
 * and a foreign token, claim on chain, close, wait out the challenge period, withdraw, and check that on-chain
 * balances conserve to the wei. Runs the same against the embedded chain, containers, or any node; throws on
 * the first broken expectation.
 */
import assert from 'node:assert/strict';
import { ChanpayError, finney, gwei } from '@chanpay/protocol';
import { setTimeout as sleep } from 'node:timers/promises';
import { PaymentServerClient } from '@chanpay/client-lib';

export interface LifecycleTarget {
  paymentServerUrl: string;
  rpcUrl: string;
  /** Token bound to the consumer account only. */
  consumerToken: string;
  /** Token bound to the provider account only (a different account of the same server). */
  providerToken: string;
}

export interface LifecycleOptions {
  calls?: number;
  /** Seconds; the server must accept it (PS_MIN_CHALLENGE_PERIOD). */
  challengePeriod?: number;
  log?: (line: string) => void;
}

export interface LifecycleResult {
  channelId: string;
  contract: string;
  calls: number;
  claimed: bigint;
  refund: bigint;
  steps: { step: string; ms: number }[];
}

async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

const hexBlock = (n: number) => '0x' + n.toString(16);
const balanceAt = async (url: string, address: string, block: number) =>
  BigInt(await rpc<string>(url, 'eth_getBalance', [address, hexBlock(block)]));

/** Gas fees paid per sender in blocks (from, to]. */
async function feesPaid(url: string, from: number, to: number): Promise<Map<string, bigint>> {
  const fees = new Map<string, bigint>();
  for (let n = from + 1; n <= to; n++) {
    const block = await rpc<{ transactions: { hash: string; from: string }[] }>(url, 'eth_getBlockByNumber', [hexBlock(n), true]);
    for (const tx of block.transactions) {
      const r = await rpc<{ gasUsed: string; effectiveGasPrice: string }>(url, 'eth_getTransactionReceipt', [tx.hash]);
      const who = tx.from.toLowerCase();
      fees.set(who, (fees.get(who) ?? 0n) + BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice));
    }
  }
  return fees;
}

async function expectCode(code: string, what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof ChanpayError, `${what}: expected ${code}, got ${(e as Error).message}`);
    assert.equal(e.code, code, `${what}: expected ${code}, got ${e.code}`);
    return;
  }
  assert.fail(`${what}: expected ${code}, but it succeeded`);
}

export async function runLifecycle(target: LifecycleTarget, opts: LifecycleOptions = {}): Promise<LifecycleResult> {
  const calls = opts.calls ?? 10;
  const challengePeriod = opts.challengePeriod ?? 2;
  const log = opts.log ?? (() => undefined);
  const price = gwei(1);
  const deposit = finney(5);
  const consumer = new PaymentServerClient({ url: target.paymentServerUrl, token: target.consumerToken });
  const provider = new PaymentServerClient({ url: target.paymentServerUrl, token: target.providerToken });
  const steps: LifecycleResult['steps'] = [];
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    const ms = Math.round(performance.now() - t0);
    steps.push({ step: name, ms });
    log(`ok  ${name} (${ms} ms)`);
    return out;
  };

  const { contract, consumerAddress, providerAddress } = await step('status and config', async () => {
    const status = await consumer.status();
    assert.equal(status.status, 'ok');
    assert.equal(status.chainReachable, true);
    assert.equal(
      BigInt(status.chainId),
      BigInt(await rpc<string>(target.rpcUrl, 'eth_chainId')),
      'the server and the node name the same chain',
    );
    assert.notEqual(await rpc<string>(target.rpcUrl, 'eth_getCode', [status.contract, 'latest']), '0x', 'the contract has code on chain');
    const [c] = (await consumer.config()).accounts;
    const [p] = (await provider.config()).accounts;
    assert.ok(c && p, 'each token is bound to an account');
    assert.notEqual(c.address, p.address, 'consumer and provider are different accounts');
    return { contract: status.contract.toLowerCase(), consumerAddress: c.address.toLowerCase(), providerAddress: p.address.toLowerCase() };
  });
  const startBlock = Number(await rpc<string>(target.rpcUrl, 'eth_blockNumber'));
  const before = {
    consumer: await balanceAt(target.rpcUrl, consumerAddress, startBlock),
    provider: await balanceAt(target.rpcUrl, providerAddress, startBlock),
    contract: await balanceAt(target.rpcUrl, contract, startBlock),
  };

  const channel = await step('open and fund a channel', async () => {
    const ch = await consumer.openChannel({ provider: providerAddress, deposit, challengePeriod });
    assert.equal(ch.state, 'open');
    assert.equal(ch.deposit, deposit.toString());
    assert.equal(ch.terms.consumer.toLowerCase(), consumerAddress);
    assert.equal(ch.terms.provider.toLowerCase(), providerAddress);
    return ch;
  });

  let first = '';
  await step(`${calls} vouchers signed by the consumer, verified by the provider`, async () => {
    for (let i = 1; i <= calls; i++) {
      const signed = await consumer.signVoucher(channel.id, price);
      assert.equal(signed.voucher.amount, (BigInt(i) * price).toString());
      if (i === 1) first = signed.header;
      const verified = await provider.verifyVoucher(signed.header, price);
      assert.equal(verified.accepted, true);
      assert.equal(verified.amount, (BigInt(i) * price).toString());
    }
  });

  await step('a replayed voucher and a foreign token are refused', async () => {
    await expectCode('AMOUNT_TOO_LOW', 'replaying the first voucher', () => provider.verifyVoucher(first, price));
    await expectCode('NOT_CHANNEL_PARTY', 'the provider signing for the consumer', () => provider.signVoucher(channel.id, price));
  });

  const claimed = await step('the provider claims on chain', async () => {
    const r = await provider.claim(channel.id);
    assert.equal(r.amount, (BigInt(calls) * price).toString());
    const ch = await provider.channel(channel.id);
    assert.equal(ch.claimed, (BigInt(calls) * price).toString());
    assert.equal(ch.unclaimed, '0');
    return BigInt(ch.claimed);
  });

  const refund = await step('the consumer closes, waits out the challenge period and withdraws', async () => {
    const closing = await consumer.close(channel.id);
    assert.equal(closing.state, 'closing');
    const deadline = Date.now() + (challengePeriod + 30) * 1000;
    for (;;) {
      const s = await consumer.closeStatus(channel.id);
      if (s.state === 'settled') break;
      if (s.canWithdraw) {
        // The server withdraws by itself too; whichever comes first settles the channel.
        await consumer.withdraw(channel.id).catch(() => undefined);
      } else {
        // An automining node makes blocks only for transactions; one empty block moves its clock on.
        await rpc(target.rpcUrl, 'evm_mine').catch(() => undefined);
      }
      assert.ok(Date.now() < deadline, 'the channel settles within the challenge period plus 30 s');
      await sleep(500);
    }
    return deposit - claimed;
  });

  await step('on-chain balances conserve to the wei', async () => {
    const end = Number(await rpc<string>(target.rpcUrl, 'eth_blockNumber'));
    const fees = await feesPaid(target.rpcUrl, startBlock, end);
    const fee = (a: string) => fees.get(a) ?? 0n;
    const paid = BigInt(calls) * price;
    assert.equal(
      await balanceAt(target.rpcUrl, providerAddress, end),
      before.provider - fee(providerAddress) + paid,
      'provider got exactly what it claimed',
    );
    assert.equal(
      await balanceAt(target.rpcUrl, consumerAddress, end),
      before.consumer - fee(consumerAddress) - paid,
      'consumer paid exactly that',
    );
    assert.equal(await balanceAt(target.rpcUrl, contract, end), before.contract, 'the contract holds nothing of this channel');
  });

  return { channelId: channel.id, contract, calls, claimed, refund, steps };
}
