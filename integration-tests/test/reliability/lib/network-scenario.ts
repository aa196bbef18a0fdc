/**
 * The example network of scripts/network.ts (chain, payment-server-1 for the providers, payment-server-2 for the
 * public service, random-number, persistence, public) run for fault scenarios: every process's whole output kept
 * for the secret scan, the receipts of every served `/action` kept per channel, and the end of every scenario
 * (providers claim, the consumer closes, the challenge period passes, the books must balance to the wei).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { startNetwork, type Network, type NetworkOptions } from '../../../../scripts/network';
import { timeTravel } from './chain';
import { conservation, type ConservationReport } from './conservation';
import { conservationProblems } from './fault-hooks';
import { jsonApi } from './http';
import { waitFor } from './load';
import { TextCollector, findSecrets, type Secret, type SecretHit } from './secret-scan';

export type Hop = 'randomNumber' | 'persistence';
export const HOPS: Hop[] = ['randomNumber', 'persistence'];
/** The network's process name of each provider service. */
export const PROCESS_OF: Record<Hop, string> = { randomNumber: 'random-number', persistence: 'persistence' };

export interface ServedReceipt {
  amount: bigint;
  price: bigint;
  /** When the answer came back (ms since the epoch). */
  at: number;
}

export interface ChannelReceipts {
  id: string;
  hop: Hop;
  calls: number;
  /** Sum of the prices of the served calls. */
  paid: bigint;
  highest: bigint;
  receipts: ServedReceipt[];
}

/**
 * The receipts of every served `/action` (each names channel, cumulative amount and price per hop), kept per
 * channel: what the providers must be paid at least.
 */
export class ReceiptBook {
  readonly channels = new Map<string, ChannelReceipts>();
  served = 0;
  readonly failed: Record<string, number> = {};

  /** For `startActionLoad({ onResponse })`. Never throws. */
  readonly onResponse = (status: number, body: string): void => {
    let parsed:
      | { receipts?: Partial<Record<Hop, { channelId: string; amount: string; price: string } | null>>; error?: { code?: string } }
      | undefined;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (status !== 200 || !parsed?.receipts) {
      const key = `${status} ${parsed?.error?.code ?? ''}`.trim();
      this.failed[key] = (this.failed[key] ?? 0) + 1;
      return;
    }
    this.served++;
    const at = Date.now();
    for (const hop of HOPS) {
      const r = parsed.receipts[hop];
      if (!r) continue;
      const id = r.channelId.toLowerCase();
      const ch = this.channels.get(id) ?? { id, hop, calls: 0, paid: 0n, highest: 0n, receipts: [] };
      this.channels.set(id, ch);
      const amount = BigInt(r.amount);
      const price = BigInt(r.price);
      ch.calls++;
      ch.paid += price;
      if (amount > ch.highest) ch.highest = amount;
      ch.receipts.push({ amount, price, at });
    }
  };

  of(hop: Hop): ChannelReceipts[] {
    return [...this.channels.values()].filter((c) => c.hop === hop);
  }

  /** Highest receipt amount per channel right now. */
  highestNow(): Map<string, bigint> {
    return new Map([...this.channels.values()].map((c) => [c.id, c.highest]));
  }

  get failures(): number {
    return Object.values(this.failed).reduce((a, b) => a + b, 0);
  }
}

export interface ChannelView {
  id: string;
  terms: { consumer: string; provider: string; signer: string };
  state: 'open' | 'closing' | 'settled';
  deposit: string;
  claimed: string;
  calls: number;
  latestVoucher: null | { amount: string; signature: string };
}

export interface FaultNetworkOptions extends Omit<NetworkOptions, 'freePorts' | 'dataDir' | 'onOutput'> {
  /** The chain's own URL for the books and time travel, when the servers reach it through a proxy. */
  directRpcUrl?: () => string;
  /** Where every output goes (e.g. shared with a chain node started by `startChain`); default a new one. */
  collector?: TextCollector;
  /** Payment-server configuration beyond what scripts/network.ts sets (written to a PS_CONFIG file). */
  paymentServerConfig?: Record<string, unknown>;
}

/** A payment server as one party sees it (its token is added to every call). */
export interface PartyApi {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export interface FaultNetwork {
  net: Network;
  /** Every line every process wrote (across restarts) and every response of the payment servers read here. */
  collector: TextCollector;
  contract: string;
  challengePeriod: number;
  rpcUrl(): string;
  /** payment-server-1 as each provider service sees it, payment-server-2 as the public service sees it. */
  api(who: Hop | 'public'): PartyApi;
  providerChannel(hop: Hop, id: string): Promise<ChannelView>;
  /** The channels the public service opened (payment-server-2's view, signed with its voucher key), every state. */
  consumerChannels(): Promise<ChannelView[]>;
  /** Rows the persistence service has saved (its paid /save calls). */
  saved(): Promise<number>;
  /** Every private key and token of the run (plus any added with `addSecret`). */
  secrets(): Secret[];
  addSecret(secret: Secret): void;
  scanSecrets(): SecretHit[];
  stop(): Promise<void>;
}

export async function getJson(url: string, timeoutMs = 60_000): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

/** The example network on free ports in a temporary directory, logging at debug level, with every output kept. */
export async function startFaultNetwork(opts: FaultNetworkOptions): Promise<FaultNetwork> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chanpay-netfault-'));
  const collector = opts.collector ?? new TextCollector();
  const env = { ...opts.env };
  if (opts.paymentServerConfig) {
    // Read by the payment servers only; scripts/network.ts's PS_* variables still override it.
    const file = path.join(dir, 'payment-server.config.json');
    writeFileSync(file, JSON.stringify(opts.paymentServerConfig));
    env.PS_CONFIG = file;
  }
  const partial = new Map<string, string>();
  const challengePeriod = opts.challengePeriod ?? 120;
  const net = await startNetwork({
    logLevel: 'debug',
    ...opts,
    env,
    challengePeriod,
    freePorts: true,
    dataDir: path.join(dir, 'network'),
    onOutput: (name, text) => {
      // Whole lines, so that a secret is never split between two chunks.
      const lines = ((partial.get(name) ?? '') + text).split('\n');
      partial.set(name, lines.pop() ?? '');
      for (const line of lines) if (line) collector.add(`log ${name}`, line);
    },
  });
  const creds = net.credentials!;
  const publicSigner = new Wallet(creds.privateKeys.publicVoucher).address.toLowerCase();
  const apis = {
    randomNumber: jsonApi(net.urls.paymentServer1!, collector),
    persistence: jsonApi(net.urls.paymentServer1!, collector),
    public: jsonApi(net.urls.paymentServer2!, collector),
  };
  const tokenOf = { randomNumber: creds.tokens.randomNumber, persistence: creds.tokens.persistence, public: creds.tokens.public };
  const api = (who: Hop | 'public'): PartyApi => ({ call: (method, p, body) => apis[who].call(method, p, tokenOf[who], body) });
  const added: Secret[] = [];
  const secrets = (): Secret[] => [
    ...Object.entries(creds.privateKeys).map(([k, v]) => ({ label: `private key ${k}`, kind: 'privateKey' as const, value: v })),
    ...Object.entries(creds.tokens).map(([k, v]) => ({ label: `token ${k}`, kind: 'token' as const, value: v })),
    ...added,
  ];
  return {
    net,
    collector,
    contract: net.contract!,
    challengePeriod,
    rpcUrl: opts.directRpcUrl ?? (() => net.urls.chain!),
    api,
    async providerChannel(hop, id) {
      const r = await api(hop).call('GET', `/channels/${id}`);
      if (r.status !== 200) throw new Error(`payment-server-1 GET /channels/${id} as ${hop}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.channel as ChannelView;
    },
    async consumerChannels() {
      const r = await api('public').call('GET', '/channels?role=consumer');
      if (r.status !== 200) throw new Error(`payment-server-2 GET /channels: ${r.status} ${JSON.stringify(r.body)}`);
      // Only the public service's own (a test may open channels of its own with another signer).
      return (r.body.channels as ChannelView[]).filter((c) => c.terms.signer.toLowerCase() === publicSigner);
    },
    async saved() {
      return (await getJson(`${net.urls.persistence}/status`)).body.saved as number;
    },
    secrets,
    addSecret: (secret) => void added.push(secret),
    scanSecrets: () => {
      for (const [name, rest] of partial) if (rest) collector.add(`log ${name}`, rest);
      partial.clear();
      return findSecrets(collector.all(), secrets());
    },
    async stop() {
      await net.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a scenario starts from: the channels earlier scenarios on the same network closed (the open ones are this one's). */
export interface ScenarioStart {
  earlierChannels: Set<string>;
  saved: number;
}

export async function scenarioStart(f: FaultNetwork): Promise<ScenarioStart> {
  const closed = (await f.consumerChannels()).filter((c) => c.state !== 'open');
  return { earlierChannels: new Set(closed.map((c) => c.id.toLowerCase())), saved: await f.saved() };
}

/** What the provider's payment server holds (latest voucher amount) for every channel of the book. */
export async function heldByProviders(f: FaultNetwork, book: ReceiptBook): Promise<Map<string, bigint>> {
  const held = new Map<string, bigint>();
  for (const ch of book.channels.values()) held.set(ch.id, BigInt((await f.providerChannel(ch.hop, ch.id)).latestVoucher?.amount ?? 0));
  return held;
}

/** Channels whose provider holds less than the highest receipt the services returned (empty: every receipt covered). */
export function uncovered(held: Map<string, bigint>, highest: Map<string, bigint>): string[] {
  return [...highest]
    .filter(([id, h]) => (held.get(id) ?? 0n) < h)
    .map(([id, h]) => `${id}: receipt up to ${h}, provider holds ${held.get(id) ?? 0n}`);
}

export interface Settlement {
  /** Channels of the scenario (opened by the public service since the scenario started). */
  ids: string[];
  hopOf: Map<string, Hop>;
  /** Per channel, what the provider's payment server held before the close (= what it must be paid). */
  accepted: Map<string, bigint>;
  books: ConservationReport;
  problems: string[];
  /** Receipts the provider is not paid for (must be empty). */
  unpaidReceipts: string[];
  /** Paid to each provider service in the scenario. */
  paidTo: Record<Hop, bigint>;
  settleMs: number;
}

/**
 * The end of every scenario: the providers claim (GET /redeem), the consumer closes every channel (GET /terminate),
 * the challenge period passes on the chain, the consumer's payment server withdraws the rest; then payouts + refunds
 * = deposits to the wei, every provider is paid exactly what its payment server held, and at least every receipt.
 */
export async function settleScenario(f: FaultNetwork, start: ScenarioStart, book: ReceiptBook): Promise<Settlement> {
  const t0 = Date.now();
  for (const hop of HOPS) {
    // Also races the payment server's own claimer (claims every second in most scenarios): bug 5.
    const r = await getJson(`${f.net.urls[hop]}/redeem`);
    if (r.status !== 200) throw new Error(`GET /redeem on ${hop}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const mine = (await f.consumerChannels()).filter((c) => !start.earlierChannels.has(c.id.toLowerCase()));
  const ids = mine.map((c) => c.id.toLowerCase());
  const accepted = new Map<string, bigint>();
  for (const id of ids) {
    const hop = book.channels.get(id)?.hop ?? (await hopByAsking(f, id));
    const view = await f.providerChannel(hop, id);
    accepted.set(id, BigInt(view.latestVoucher?.amount ?? 0));
  }
  const term = await getJson(`${f.net.urls.public}/terminate`);
  if (term.status !== 200) throw new Error(`GET /terminate: ${term.status} ${JSON.stringify(term.body)}`);
  const stillOpen = (await f.consumerChannels()).filter((c) => ids.includes(c.id.toLowerCase()) && c.state === 'open');
  if (stillOpen.length)
    throw new Error(`GET /terminate left channels open: ${stillOpen.map((c) => c.id).join(', ')} (${JSON.stringify(term.body)})`);
  await timeTravel(f.rpcUrl(), f.challengePeriod + 1);
  const s = await finishSettlement(f, ids, accepted, book);
  return { ...s, settleMs: Date.now() - t0 };
}

/**
 * After the challenge period of `ids`: waits for the consumer's payment server to withdraw (asks it once if it is
 * slow), then reads the books. `accepted`: what the provider's payment server held for each channel.
 */
export async function finishSettlement(
  f: FaultNetwork,
  ids: string[],
  accepted: Map<string, bigint>,
  book: ReceiptBook,
): Promise<Settlement> {
  const t0 = Date.now();
  const deadline = Date.now() + 30_000;
  for (const id of ids) {
    let nudged = false;
    await waitFor(
      `${id} settled`,
      async () => {
        const view = (await f.api('public').call('GET', `/channels/${id}`)).body.channel as ChannelView;
        if (view.state === 'settled') return true;
        // The server withdraws by itself; after a few seconds, ask it once.
        if (!nudged && Date.now() > deadline - 25_000) {
          nudged = true;
          await f.api('public').call('POST', `/channels/${id}/withdraw`, {});
        }
        return false;
      },
      Math.max(1000, deadline - Date.now()),
      100,
    );
  }
  const hopOf = new Map<string, Hop>();
  for (const id of ids) hopOf.set(id, book.channels.get(id)?.hop ?? (await hopByAsking(f, id)));
  const books = await conservation(f.rpcUrl(), f.contract, ids);
  const problems = await conservationProblems(f.rpcUrl(), f.contract, ids, accepted);
  const unpaidReceipts: string[] = [];
  for (const ch of book.channels.values()) {
    if (!ids.includes(ch.id)) {
      unpaidReceipts.push(`${ch.id}: receipts for a channel that is not the scenario's`);
      continue;
    }
    const paid = books.channels.find((c) => c.id === ch.id)?.providerTotal ?? 0n;
    if (paid < ch.highest || paid < ch.paid)
      unpaidReceipts.push(`${ch.id} (${ch.hop}): paid ${paid}, receipts up to ${ch.highest}, sum of prices ${ch.paid}`);
  }
  const paidTo: Record<Hop, bigint> = { randomNumber: 0n, persistence: 0n };
  for (const c of books.channels) paidTo[hopOf.get(c.id)!] += c.providerTotal;
  return { ids, hopOf, accepted, books, problems, unpaidReceipts, paidTo, settleMs: Date.now() - t0 };
}

export async function hopByAsking(f: FaultNetwork, id: string): Promise<Hop> {
  for (const hop of HOPS) if ((await f.api(hop).call('GET', `/channels/${id}`)).status === 200) return hop;
  throw new Error(`no provider knows channel ${id}`);
}

/** Waits until `n` more calls have been served than when it was called (the network carries on). */
export async function servedMore(book: ReceiptBook, n: number, timeoutMs = 30_000): Promise<void> {
  const from = book.served;
  await waitFor(`${n} more served calls (have ${book.served - from})`, () => book.served - from >= n, timeoutMs, 20);
}
