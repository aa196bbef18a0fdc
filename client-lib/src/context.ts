import { ChanpayError, ZERO_ADDRESS, normalizeAddress, type Address } from '@chanpay/protocol';
import { VoucherHasher } from '@chanpay/protocol/node';
import type { ServerConfigInfo } from '@chanpay/protocol';
import type { PaymentServerClient } from './payment-server-client';

/** What a service learns from its own payment server once at start: who it is and on which chain and contract. */
export interface PaymentContext {
  /** The account this service acts for (as provider: who gets paid; as consumer: who pays). */
  account: { name: string; address: Address; signer: Address };
  chainId: bigint;
  contract: Address;
  hasher: VoucherHasher;
  defaults: { challengePeriod: number; minChallengePeriod: number; minDeposit: bigint };
  /** Payment token (zero address: ETH). */
  token: Address;
}

export function contextFromConfig(cfg: ServerConfigInfo, accountName: string | undefined, token: string = ZERO_ADDRESS): PaymentContext {
  const account = accountName ? cfg.accounts.find((a) => a.name === accountName) : cfg.accounts.length === 1 ? cfg.accounts[0] : undefined;
  if (!account) {
    throw new ChanpayError(
      'VALIDATION_ERROR',
      accountName
        ? `the payment server token is not bound to account "${accountName}"`
        : 'the payment server token is bound to several accounts: configure which one this service acts for',
      { accounts: cfg.accounts.map((a) => a.name) },
    );
  }
  const chainId = BigInt(cfg.chainId);
  const contract = normalizeAddress(cfg.contract);
  return {
    account: { name: account.name, address: normalizeAddress(account.address), signer: normalizeAddress(account.signer) },
    chainId,
    contract,
    hasher: new VoucherHasher({ chainId, contract }),
    defaults: {
      challengePeriod: cfg.defaults.challengePeriod,
      minChallengePeriod: cfg.defaults.minChallengePeriod,
      minDeposit: BigInt(cfg.defaults.minDeposit ?? 0),
    },
    token: normalizeAddress(token),
  };
}

/**
 * Loads the context, retrying while the payment server is not reachable yet (services may start first), for at
 * most `waitMs`. A configuration error (wrong token or account) fails at once.
 */
export async function loadContext(
  server: PaymentServerClient,
  opts: { account?: string; token?: string; waitMs?: number },
): Promise<PaymentContext> {
  const deadline = Date.now() + (opts.waitMs ?? 30_000);
  let delay = 100;
  for (;;) {
    try {
      return contextFromConfig(await server.config(), opts.account ?? server.account, opts.token);
    } catch (e) {
      const retryable = e instanceof ChanpayError && e.code === 'PAYMENT_SERVER_UNAVAILABLE';
      if (!retryable || Date.now() + delay > deadline) throw e;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2_000);
    }
  }
}
