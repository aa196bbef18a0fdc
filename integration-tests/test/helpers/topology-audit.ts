/**
 * Load and books for a running topology: requests to its entries, the paid calls counted per edge from the
 * receipts the answers carry, and the settlement (providers claim, then close each channel, which settles it at
 * once) followed by the on-chain audit of every channel.
 */
import { PaymentServerClient } from '@chanpay/client-lib';
import type { RunningTopology } from '@chanpay/topology';
import { balancesMatchBooks, conservation, type ConservationReport } from '../reliability/lib/conservation';

export interface HopReceipt {
  from: string;
  to: string;
  channelId: string;
  amount: string;
  price: string;
}

/** Paid calls per edge (`from>to`), per channel, and what they were priced at. */
export class EdgeBook {
  readonly calls = new Map<string, number>();
  readonly paid = new Map<string, bigint>();
  readonly channelOf = new Map<string, string>();

  add(r: HopReceipt): void {
    const edge = `${r.from}>${r.to}`;
    const known = this.channelOf.get(edge);
    if (known && known !== r.channelId) throw new Error(`${edge} was paid on two channels (${known}, ${r.channelId})`);
    this.channelOf.set(edge, r.channelId);
    this.calls.set(edge, (this.calls.get(edge) ?? 0) + 1);
    this.paid.set(edge, (this.paid.get(edge) ?? 0n) + BigInt(r.price));
  }
}

/** Sends `n` requests (ids 1..n) to every entry, in turn; every answer must be a 200 with its receipts. */
export async function sendRequests(net: RunningTopology, n: number): Promise<EdgeBook> {
  const book = new EdgeBook();
  for (let i = 1; i <= n; i++) {
    for (const entry of net.entries) {
      const res = await fetch(entry.url, { headers: { 'x-request-id': `${entry.service}-${i}` }, signal: AbortSignal.timeout(60_000) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${entry.service} request ${i}: HTTP ${res.status} ${text.slice(0, 500)}`);
      const body = JSON.parse(text) as { receipts: HopReceipt[] };
      for (const r of body.receipts) book.add(r);
    }
  }
  return book;
}

const adminHeaders = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** A provider's own view of what it was paid (`GET /payout`). */
export async function payout(net: RunningTopology, service: string): Promise<{ claimed: string; unclaimed: string }> {
  const res = await fetch(`${net.urls.services[service]}/payout`);
  if (!res.ok) throw new Error(`${service}/payout: HTTP ${res.status}`);
  return (await res.json()) as { claimed: string; unclaimed: string };
}

/** Every provider claims (`/redeem`), then closes each of its channels: a provider's close settles at once. */
export async function settle(net: RunningTopology, adminToken?: string): Promise<string[]> {
  const t = net.topology;
  const ids: string[] = [];
  for (const s of t.services.filter((x) => x.providerMode !== 'off')) {
    const redeem = await fetch(`${net.urls.services[s.name]}/redeem`, {
      headers: adminHeaders(adminToken),
      signal: AbortSignal.timeout(60_000),
    });
    if (!redeem.ok) throw new Error(`${s.name}/redeem: HTTP ${redeem.status} ${await redeem.text()}`);
    const account = net.accountOfService(s.name)!;
    const team = t.teams.find((x) => x.name === s.team)!;
    const client = new PaymentServerClient({ url: net.urls.paymentServers[team.paymentServer.name]!, token: account.token });
    for (const ch of await client.channels({ role: 'provider' })) {
      ids.push(ch.id);
      if (ch.state !== 'settled') await client.close(ch.id);
    }
  }
  return ids;
}

/** The books of the channels: each settled, payouts + refunds = deposits, and every account's balance to the wei. */
export async function audit(net: RunningTopology, ids: string[]): Promise<{ report: ConservationReport; balanceProblems: string[] }> {
  const rpc = net.chain!.rpcUrl;
  const report = await conservation(rpc, net.contract!, ids);
  const balanceProblems = await balancesMatchBooks(
    rpc,
    report,
    [...net.accounts.values()].map((a) => a.address),
    0,
  );
  return { report, balanceProblems };
}
