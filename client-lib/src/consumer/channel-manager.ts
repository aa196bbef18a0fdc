import { ChanpayError, normalizeAddress, normalizeTerms, type Address, type ChannelInfo, type PaymentTerms } from '@chanpay/protocol';
import type { PaymentServerClient } from '../payment-server-client';
import { silentLogger, type Logger } from '../logger';
import type { PaymentContext } from '../context';
import type { ConsumerChannel } from './channel';
import { ChannelWallet } from './channel-wallet';
import type { VoucherSource } from './voucher-source';

export interface TopUpPolicy {
  /** Top up when the unsigned rest of the deposit would fall below this. */
  below: bigint;
  /** How much to add each time. */
  amount: bigint;
}

export interface ChannelManagerOptions {
  server: PaymentServerClient;
  context: PaymentContext;
  source: VoucherSource;
  deposit: bigint;
  challengePeriod?: number;
  topUp: TopUpPolicy | null;
  /** Adopt an open channel with the provider found at the payment server (after a restart). Default true. */
  reuse?: boolean;
  logger?: Logger;
}

/**
 * One channel per provider: found or opened once (single flight, however many calls wait for it), topped up
 * in the background before the deposit runs out, and dropped when the provider reports it closing or gone.
 */
export class ChannelManager {
  private readonly byProvider = new Map<string, ChannelWallet>();
  private readonly opening = new Map<string, Promise<ChannelWallet>>();
  private readonly log: Logger;

  constructor(private readonly opts: ChannelManagerOptions) {
    this.log = opts.logger ?? silentLogger;
  }

  list(): ChannelWallet[] {
    return [...this.byProvider.values()];
  }

  get(provider: string): ChannelWallet | undefined {
    return this.byProvider.get(provider.toLowerCase());
  }

  /** The open channel with the terms' provider, if there is one already (no waiting). */
  openChannelFor(terms: PaymentTerms): ChannelWallet | undefined {
    const known = this.byProvider.get(terms.provider.toLowerCase());
    return known && known.state === 'open' ? known : undefined;
  }

  channelFor(terms: PaymentTerms): Promise<ChannelWallet> {
    const key = terms.provider.toLowerCase();
    const known = this.byProvider.get(key);
    if (known && known.state === 'open') return Promise.resolve(known);
    let pending = this.opening.get(key);
    if (!pending) {
      pending = this.findOrOpen(terms).finally(() => this.opening.delete(key));
      this.opening.set(key, pending);
    }
    return pending;
  }

  /** Stops using a channel (closing, settled, unknown to the provider). Later calls find or open another. */
  forget(ch: ConsumerChannel, state?: ConsumerChannel['state']): void {
    if (state) ch.state = state;
    else if (ch.state === 'open') ch.state = 'closing';
    if (this.byProvider.get(ch.provider) === ch) this.byProvider.delete(ch.provider);
  }

  /**
   * Makes sure the deposit covers `price` more: starts a top-up in the background when the rest falls below
   * the policy's threshold, and waits for it only when the deposit does not cover this call (then it returns
   * the wait; null when nothing needs waiting for).
   */
  ensureFunds(ch: ConsumerChannel, price: bigint): Promise<void> | null {
    const policy = this.opts.topUp;
    const after = ch.deposit - ch.signed - price;
    if (policy && after < policy.below && !ch.topUp) this.startTopUp(ch, policy.amount > price ? policy.amount : price * 2n);
    // Covered: null, so that the caller signs in the same synchronous step (no other call can sign in between).
    if (after >= 0n) return null;
    return this.waitForFunds(ch, price);
  }

  private async waitForFunds(ch: ConsumerChannel, price: bigint): Promise<void> {
    const policy = this.opts.topUp;
    if (ch.topUp) await ch.topUp;
    if (ch.deposit - ch.signed - price < 0n) {
      throw new ChanpayError(
        'AMOUNT_EXCEEDS_DEPOSIT',
        policy ? 'the top-up did not cover this call' : 'the deposit is used up and top-ups are off',
        {
          channelId: ch.id,
          deposit: ch.deposit.toString(),
          signed: ch.signed.toString(),
        },
      );
    }
  }

  /** The most calls of this price one prepaid block should take: the top-up threshold's worth (null: no top-ups). */
  largestBlock(price: bigint): bigint | null {
    return this.opts.topUp ? this.opts.topUp.below / price : null;
  }

  /** Waits for a running top-up, or starts one (used when the server refuses to sign above the deposit). */
  async topUpNow(ch: ConsumerChannel, price: bigint): Promise<boolean> {
    const policy = this.opts.topUp;
    if (!ch.topUp && policy) this.startTopUp(ch, policy.amount > price ? policy.amount : price * 2n);
    if (!ch.topUp) return false;
    await ch.topUp;
    return true;
  }

  private startTopUp(ch: ConsumerChannel, amount: bigint): void {
    ch.topUp = (async () => {
      try {
        const { channel } = await this.opts.server.topUp(ch.id, amount);
        const deposit = BigInt(channel.deposit);
        ch.deposit = deposit > ch.deposit + amount ? deposit : ch.deposit + amount;
        this.log.info({ channelId: ch.id, amount: amount.toString(), deposit: ch.deposit.toString() }, 'channel topped up');
      } catch (e) {
        this.log.warn({ channelId: ch.id, err: (e as Error).message }, 'top-up failed');
        if (e instanceof ChanpayError && (e.code === 'CHANNEL_CLOSING' || e.code === 'CHANNEL_CLOSED' || e.code === 'INVALID_STATE'))
          this.forget(ch);
      } finally {
        ch.topUp = null;
      }
    })();
  }

  private async findOrOpen(terms: PaymentTerms): Promise<ChannelWallet> {
    const provider = normalizeAddress(terms.provider);
    const adopted = this.opts.reuse === false ? null : await this.findOpen(provider, terms);
    const ch = adopted ?? (await this.open(provider, terms));
    this.byProvider.set(provider, ch);
    return ch;
  }

  private async findOpen(provider: Address, terms: PaymentTerms): Promise<ChannelWallet | null> {
    const { context, source } = this.opts;
    const list = await this.opts.server.channels({ role: 'consumer', state: 'open', provider });
    const usable = list
      .filter(
        (c) =>
          c.state === 'open' &&
          c.terms.consumer.toLowerCase() === context.account.address &&
          c.terms.provider.toLowerCase() === provider &&
          c.terms.signer.toLowerCase() === source.signer &&
          c.terms.token.toLowerCase() === terms.token.toLowerCase() &&
          c.terms.challengePeriod >= terms.minChallengePeriod,
      )
      .sort((a, b) => b.openedAtBlock - a.openedAtBlock);
    const info = usable[0];
    if (!info) return null;
    // Remote: the server knows what it signed. Local: start from what was claimed; the provider's first
    // refusal (AMOUNT_TOO_LOW with its latest voucher, checked to be ours) moves us up to where it stands.
    const signed = info.latestVoucher ? BigInt(info.latestVoucher.amount) : 0n;
    const claimed = BigInt(info.claimed);
    this.log.info({ channelId: info.id, provider }, 'resuming an open channel');
    return walletOf(info, signed > claimed ? signed : claimed, false);
  }

  private async open(provider: Address, terms: PaymentTerms): Promise<ChannelWallet> {
    const { context, source } = this.opts;
    const minDeposit = BigInt(terms.minDeposit);
    const deposit = this.opts.deposit > minDeposit ? this.opts.deposit : minDeposit;
    const wanted = this.opts.challengePeriod ?? context.defaults.challengePeriod;
    const challengePeriod = wanted > terms.minChallengePeriod ? wanted : terms.minChallengePeriod;
    const info = await this.opts.server.openChannel({
      provider,
      deposit,
      token: terms.token,
      challengePeriod,
      ...(source.mode === 'local' ? { signer: source.signer } : {}),
    });
    this.log.info({ channelId: info.id, provider, deposit: deposit.toString() }, 'channel opened');
    return walletOf(info, 0n, true);
  }
}

function walletOf(info: ChannelInfo, signed: bigint, openedHere: boolean): ChannelWallet {
  return new ChannelWallet({
    id: info.id.toLowerCase(),
    terms: normalizeTerms(info.terms),
    deposit: BigInt(info.deposit),
    signed,
    state: info.state,
    openedHere,
  });
}
