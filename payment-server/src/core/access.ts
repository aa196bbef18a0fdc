import { ChanpayError } from '@chanpay/protocol';
import type { Account, Accounts } from '../accounts';
import type { ChannelRecord } from '../store/channel-store';
import type { ChainLedger } from './chain-ledger';

/** The accounts a request may act for (those its bearer token is bound to). */
export interface Principal {
  accounts: Account[];
  /** Stable id of the token, for webhook ownership. */
  id: string;
}

export type Party = 'consumer' | 'provider';
export type Role = Party | 'both';

/** Which party of a channel a principal is. */
export function roleOf(p: Principal, rec: ChannelRecord): Role | null {
  const consumer = p.accounts.some((a) => a.address === rec.terms.consumer);
  const provider = p.accounts.some((a) => a.address === rec.terms.provider);
  return consumer && provider ? 'both' : consumer ? 'consumer' : provider ? 'provider' : null;
}

/**
 * Who may do what: principal → the account it acts for, and the channels it is a party of (from the store, or
 * discovered on chain through the ledger).
 */
export class ChannelAccess {
  constructor(
    private readonly accounts: Accounts,
    private readonly ledger: ChainLedger,
  ) {}

  /** The account a request acts for: named explicitly, or the token's only account. */
  actingAccount(p: Principal, name?: string): Account {
    if (name) {
      const a = this.accounts.get(name);
      if (!a || !p.accounts.includes(a)) throw new ChanpayError('FORBIDDEN', `this token may not act for account ${name}`);
      return a;
    }
    if (p.accounts.length === 1) return p.accounts[0]!;
    throw new ChanpayError('VALIDATION_ERROR', 'this token is bound to several accounts: name one with "account"');
  }

  /** The named account (checked), or every account of the token when none is named. */
  actingAccounts(p: Principal, name?: string): Account[] {
    return name ? [this.actingAccount(p, name)] : p.accounts;
  }

  /** The principal restricted to the named account (checked), or unchanged when none is named. */
  narrowedTo(p: Principal, name?: string): Principal {
    return name ? { ...p, accounts: [this.actingAccount(p, name)] } : p;
  }

  /** A channel the principal is a party of (as `party` when given), and the account it is that party with. */
  async channelFor(p: Principal, id: string, party?: Party): Promise<{ rec: ChannelRecord; account: Account }> {
    const rec = await this.ledger.lookup(id);
    if (!rec) throw new ChanpayError('UNKNOWN_CHANNEL', `no channel ${id}`);
    const parties = party ? [party] : (['consumer', 'provider'] as const);
    for (const r of parties) {
      const account = p.accounts.find((a) => a.address === rec.terms[r]);
      if (account) return { rec, account };
    }
    throw new ChanpayError('NOT_CHANNEL_PARTY', party ? `only the channel's ${party} may do this` : 'not a party of this channel');
  }

  /**
   * A channel that pays one of the principal's accounts, for verifying its vouchers. A channel paying another
   * account of this server is FORBIDDEN (the token may not act for it), one paying a stranger WRONG_PROVIDER.
   */
  async providerChannel(p: Principal, id: string): Promise<ChannelRecord> {
    const rec = await this.ledger.lookup(id);
    if (!rec) throw new ChanpayError('UNKNOWN_CHANNEL', `no channel ${id} on chain`);
    if (!p.accounts.some((a) => a.address === rec.terms.provider)) {
      if (this.accounts.byAddr(rec.terms.provider)) throw new ChanpayError('FORBIDDEN', 'this token may not act for the channel provider');
      throw new ChanpayError('WRONG_PROVIDER', 'the channel pays another provider', { provider: rec.terms.provider });
    }
    return rec;
  }
}
