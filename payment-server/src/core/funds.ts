import type { Account } from '../accounts';
import type { Rpc } from '../chain/rpc';
import type { ChannelRecord, ChannelStore } from '../store/channel-store';
import { unclaimedWei } from './claim-rules';

/** What an account's channels hold, in wei. */
export interface ChannelTotals {
  asConsumer: { channels: number; deposited: bigint; claimed: bigint; signed: bigint; refundable: bigint };
  asProvider: { channels: number; claimed: bigint; unclaimed: bigint };
}

export interface AccountFunds extends ChannelTotals {
  name: string;
  address: string;
  /** The account's own balance on chain (ETH, in wei). */
  balance: bigint;
}

const sum = (records: ChannelRecord[], amount: (r: ChannelRecord) => bigint) => records.reduce((total, r) => total + amount(r), 0n);

/**
 * Totals of one address's channels. As consumer: what it deposited, what providers claimed, what it signed, and
 * what it can still get back (deposit minus claimed of channels not settled). As provider: claimed, and what
 * accepted vouchers it can still claim.
 */
export function channelTotals(address: string, records: readonly ChannelRecord[]): ChannelTotals {
  const asConsumer = records.filter((r) => r.terms.consumer === address);
  const asProvider = records.filter((r) => r.terms.provider === address);
  return {
    asConsumer: {
      channels: asConsumer.length,
      deposited: sum(asConsumer, (r) => r.deposit),
      claimed: sum(asConsumer, (r) => r.claimed),
      signed: sum(asConsumer, (r) => r.signedAmount),
      refundable: sum(
        asConsumer.filter((r) => r.state !== 'settled'),
        (r) => r.deposit - r.claimed,
      ),
    },
    asProvider: { channels: asProvider.length, claimed: sum(asProvider, (r) => r.claimed), unclaimed: sum(asProvider, unclaimedWei) },
  };
}

/** Balance and channel totals of each account. */
export async function fundsOf(accounts: readonly Account[], store: ChannelStore, rpc: Rpc): Promise<AccountFunds[]> {
  const out: AccountFunds[] = [];
  for (const a of accounts) {
    const records = await store.all();
    const balance = await rpc.balance(a.address);
    out.push({ name: a.name, address: a.address, balance, ...channelTotals(a.address, records) });
  }
  return out;
}
