import { Interface } from 'ethers';
import { PAYMENT_CHANNELS_ABI } from '@chanpay/protocol';
import { jsonRpc } from './processes';

const iface = new Interface(PAYMENT_CHANNELS_ABI as never);

export interface ChannelLedger {
  id: string;
  consumer: string;
  provider: string;
  /** Opening deposit plus every top-up. */
  deposits: bigint;
  /** Sum of ChannelClaimed amounts (paid to the provider while the channel was live). */
  claimedPayouts: bigint;
  settled: boolean;
  /** From ChannelSettled: the provider's total and the consumer's refund. */
  providerTotal: bigint;
  consumerRefund: bigint;
}

export interface ConservationReport {
  channels: ChannelLedger[];
  deposits: bigint;
  providerPayouts: bigint;
  consumerRefunds: bigint;
  /** Human-readable problems; empty when the books balance to the wei. */
  problems: string[];
}

/**
 * The on-chain books of the given channels, read from the contract's events only: for every settled channel,
 * provider total + consumer refund = deposits, and the provider total = the sum of its claims (what the provider was
 * paid while live plus what the settlement paid it). `expectSettled` makes an unsettled channel a problem.
 */
export async function conservation(
  rpcUrl: string,
  contract: string,
  ids: string[],
  { expectSettled = true } = {},
): Promise<ConservationReport> {
  const want = new Set(ids.map((i) => i.toLowerCase()));
  const logs = await jsonRpc<{ topics: string[]; data: string }[]>(rpcUrl, 'eth_getLogs', [
    { address: contract, fromBlock: '0x0', toBlock: 'latest' },
  ]);
  const book = new Map<string, ChannelLedger>();
  for (const log of logs) {
    const parsed = iface.parseLog(log);
    if (!parsed) continue;
    const id = String(parsed.args[0]).toLowerCase();
    if (!want.has(id)) continue;
    const a = parsed.args as unknown as Record<string, bigint | string>;
    if (parsed.name === 'ChannelOpened') {
      book.set(id, {
        id,
        consumer: String(a.consumer).toLowerCase(),
        provider: String(a.provider).toLowerCase(),
        deposits: a.deposit as bigint,
        claimedPayouts: 0n,
        settled: false,
        providerTotal: 0n,
        consumerRefund: 0n,
      });
      continue;
    }
    const c = book.get(id);
    if (!c) continue;
    if (parsed.name === 'ChannelToppedUp') c.deposits += a.amount as bigint;
    if (parsed.name === 'ChannelClaimed') c.claimedPayouts += a.amount as bigint;
    if (parsed.name === 'ChannelSettled') {
      c.settled = true;
      c.providerTotal = a.providerTotal as bigint;
      c.consumerRefund = a.consumerRefund as bigint;
    }
  }
  const problems: string[] = [];
  for (const id of want) {
    const c = book.get(id);
    if (!c) {
      problems.push(`${id}: no ChannelOpened event`);
      continue;
    }
    if (!c.settled) {
      if (expectSettled) problems.push(`${id}: not settled`);
      continue;
    }
    if (c.providerTotal + c.consumerRefund !== c.deposits) {
      problems.push(`${id}: provider ${c.providerTotal} + refund ${c.consumerRefund} != deposits ${c.deposits}`);
    }
    if (c.claimedPayouts !== c.providerTotal) problems.push(`${id}: claims ${c.claimedPayouts} != provider total ${c.providerTotal}`);
  }
  const channels = [...book.values()];
  const sum = (f: (c: ChannelLedger) => bigint) => channels.reduce((s, c) => s + f(c), 0n);
  return {
    channels,
    deposits: sum((c) => c.deposits),
    providerPayouts: sum((c) => c.providerTotal),
    consumerRefunds: sum((c) => c.consumerRefund),
    problems,
  };
}

/** Gas fees paid by each sender in blocks [from, to] (to check balances to the wei). */
export async function feesPaid(rpcUrl: string, from: number, to: number): Promise<Map<string, bigint>> {
  const fees = new Map<string, bigint>();
  for (let n = from; n <= to; n++) {
    const block = await jsonRpc<{ transactions: { hash: string; from: string }[] }>(rpcUrl, 'eth_getBlockByNumber', [
      '0x' + n.toString(16),
      true,
    ]);
    for (const tx of block.transactions) {
      const r = await jsonRpc<{ gasUsed: string; effectiveGasPrice: string }>(rpcUrl, 'eth_getTransactionReceipt', [tx.hash]);
      const a = tx.from.toLowerCase();
      fees.set(a, (fees.get(a) ?? 0n) + BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice));
    }
  }
  return fees;
}

export async function balanceAt(rpcUrl: string, address: string, block: number | 'latest' = 'latest'): Promise<bigint> {
  return BigInt(await jsonRpc<string>(rpcUrl, 'eth_getBalance', [address, typeof block === 'number' ? '0x' + block.toString(16) : block]));
}

export async function blockNumber(rpcUrl: string): Promise<number> {
  return Number(await jsonRpc<string>(rpcUrl, 'eth_blockNumber'));
}

/**
 * Balances to the wei: between `fromBlock` and now, each account's balance moved by exactly what the channel books
 * say (payouts in, refunds in, deposits out) minus the gas it paid. Only for accounts that did nothing else.
 */
export async function balancesMatchBooks(
  rpcUrl: string,
  report: ConservationReport,
  accounts: string[],
  fromBlock: number,
  /** Balances at `fromBlock` read beforehand (for a node that cannot serve old state, e.g. after a restart). */
  initial?: Map<string, bigint>,
): Promise<string[]> {
  const head = await blockNumber(rpcUrl);
  const fees = await feesPaid(rpcUrl, fromBlock + 1, head);
  const problems: string[] = [];
  for (const raw of accounts) {
    const a = raw.toLowerCase();
    let expected = 0n;
    for (const c of report.channels) {
      if (c.provider === a) expected += c.claimedPayouts;
      if (c.consumer === a) expected += c.consumerRefund - c.deposits;
    }
    const delta = (await balanceAt(rpcUrl, a)) - (initial?.get(a) ?? (await balanceAt(rpcUrl, a, fromBlock)));
    const got = delta + (fees.get(a) ?? 0n);
    if (got !== expected) problems.push(`${a}: balance moved ${got} (fees added back), books say ${expected}`);
  }
  return problems;
}
