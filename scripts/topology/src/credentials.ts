/** Fresh keys and tokens for one run of a topology. They stay in this process and in the children's environment. */
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import type { ResolvedTopology } from './model';
import { accountOf, needsPaymentServer, paysUpstreams } from './roles';

export interface AccountCredentials {
  account: string;
  service: string;
  team: string;
  address: string;
  privateKey: string;
  /** The hot key that signs the account's vouchers, when it has one (else the account key signs). */
  voucherKey: string | null;
  /** The channel signer: the voucher key's address, else the account's. */
  signer: string;
  /** Bearer token of the account at its team's payment server. */
  token: string;
}

export type Credentials = Map<string, AccountCredentials>;

const newToken = () => randomBytes(24).toString('base64url');

/** One account per service that is paid or pays (by account name). */
export function makeCredentials(t: ResolvedTopology): Credentials {
  const out: Credentials = new Map();
  for (const s of t.services) {
    if (!needsPaymentServer(t, s)) continue;
    const account = accountOf(t, s);
    const wallet = Wallet.createRandom();
    // Only a paying account signs vouchers; a provider's account needs no hot key.
    const voucher = account.voucherKey === 'none' || !paysUpstreams(t, s) ? null : Wallet.createRandom();
    out.set(account.name, {
      account: account.name,
      service: s.name,
      team: s.team,
      address: wallet.address.toLowerCase(),
      privateKey: wallet.privateKey,
      voucherKey: voucher?.privateKey ?? null,
      signer: (voucher ?? wallet).address.toLowerCase(),
      token: newToken(),
    });
  }
  return out;
}
