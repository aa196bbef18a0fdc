import { timingSafeEqual } from 'node:crypto';
import { ChanpayError } from '@chanpay/protocol';
import { bearerDigest, tokenDigest } from '@chanpay/protocol/node';
import type { Accounts } from '../accounts';
import type { Config } from '../config';
import type { Principal } from '../core/access';

/**
 * Bearer tokens, each bound to accounts. Tokens are kept only as SHA-256 digests and compared in constant time
 * against every entry (no early exit), so neither timing nor a memory dump gives a token away.
 */
export class TokenRegistry {
  private readonly entries: { digest: Buffer; principal: Principal }[];

  constructor(config: Config, accounts: Accounts) {
    this.entries = config.tokens.map((t) => {
      const digest = tokenDigest(t.token);
      return {
        digest,
        principal: { id: digest.subarray(0, 8).toString('hex'), accounts: t.accounts.map((n) => accounts.get(n)!) },
      };
    });
  }

  authenticate(header: string | undefined): Principal {
    const digest = bearerDigest(header);
    if (!digest) throw new ChanpayError('UNAUTHORIZED', 'missing bearer token: send "Authorization: Bearer <token>"');
    let found: Principal | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(e.digest, digest)) found = e.principal;
    }
    if (!found) throw new ChanpayError('UNAUTHORIZED', 'invalid bearer token');
    return found;
  }

  accountsOf(principalId: string): string[] {
    return this.entries.find((e) => e.principal.id === principalId)?.principal.accounts.map((a) => a.address) ?? [];
  }
}
