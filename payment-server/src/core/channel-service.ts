import { randomBytes } from 'node:crypto';
import { Interface } from 'ethers';
import {
  ChanpayError,
  PaidRanges,
  ZERO_ADDRESS,
  acceptWithRefresh,
  decodeVoucher,
  encodeReceipt,
  encodeVoucher,
  normalizeAddress,
  normalizeTerms,
  recordAccepted,
  voucherRefusal,
  type AcceptancePolicy,
  type Address,
  type ChannelTerms,
  type SignerOf,
  type Voucher,
} from '@chanpay/protocol';
import { channelIdOf, voucherSigner, VoucherSigner, type VoucherHasher } from '@chanpay/protocol/node';
import type { Account, Accounts } from '../accounts';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { GAS, TOPICS, decodeChannelState, encode, parseLog, FINALIZED, type ClaimEntry } from '../chain/contract';
import { chainError, type SentTx, type TxSender } from '../chain/tx-sender';
import type { Rpc } from '../chain/rpc';
import type { ChannelRecord, ChannelStore } from '../store/channel-store';
import type { EventBus } from './events';

/** The accounts a request may act for (those its bearer token is bound to). */
export interface Principal {
  accounts: Account[];
  /** Stable id of the token, for webhook ownership. */
  id: string;
}

export interface OpenParams {
  provider: string;
  deposit: bigint;
  token?: string;
  challengePeriod?: number;
  signer?: string;
  salt?: string;
}

export interface VerifyResult {
  channelId: string;
  amount: bigint;
  price: bigint;
  receipt: string;
  replayed: boolean;
}

export interface RecordResult {
  channelId: string | null;
  accepted: boolean;
  amount?: bigint;
  error?: { code: string; message: string };
}

const NOW = () => Math.floor(Date.now() / 1000);
const ERC20 = new Interface(['function approve(address,uint256) returns (bool)', 'function balanceOf(address) view returns (uint256)']);

/**
 * The payment server's business logic: channel life cycle on chain, vouchers off chain. HTTP handlers, the
 * watcher and the claimer all go through here.
 */
export class ChannelService {
  private readonly policy: AcceptancePolicy;
  private readonly signerOf: SignerOf;
  private readonly signers = new Map<string, VoucherSigner>();
  private readonly unknownIds = new Map<string, number>();
  private readonly discovering = new Map<string, Promise<ChannelRecord | undefined>>();
  private readonly channelLocks = new Map<string, Promise<unknown>>();
  private lastVoucherEvent = new Map<string, number>();
  /** Per channel, the newest block whose events were applied (so that an older contract read cannot undo them). */
  private readonly appliedBlock = new Map<string, number>();
  /** Per channel, the ranges of the cumulative amount already paid for (gaps are kept in memory only). */
  private readonly paid = new Map<string, PaidRanges>();

  constructor(
    readonly config: Config,
    readonly accounts: Accounts,
    readonly store: ChannelStore,
    readonly rpc: Rpc,
    readonly tx: TxSender,
    readonly hasher: VoucherHasher,
    readonly contract: Address,
    readonly chainId: bigint,
    private readonly events: EventBus,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    const acceptedTokens = new Set(config.defaults.acceptedTokens);
    this.policy = { acceptsToken: (token) => acceptedTokens.has(token), minChallengePeriod: config.defaults.minChallengePeriod };
    this.signerOf = (v) => voucherSigner(hasher, v);
    for (const a of accounts.all()) this.signers.set(a.voucherSigner, new VoucherSigner(hasher, a.voucherKey));
  }

  // ------------------------------------------------------------------ access

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

  roleOf(p: Principal, rec: ChannelRecord): 'consumer' | 'provider' | 'both' | null {
    const c = p.accounts.some((a) => a.address === rec.terms.consumer);
    const pr = p.accounts.some((a) => a.address === rec.terms.provider);
    return c && pr ? 'both' : c ? 'consumer' : pr ? 'provider' : null;
  }

  /** A channel the principal is a party of, from the store or discovered on chain. */
  async channelFor(p: Principal, id: string, role?: 'consumer' | 'provider'): Promise<{ rec: ChannelRecord; account: Account }> {
    const rec = await this.lookup(id);
    if (!rec) throw new ChanpayError('UNKNOWN_CHANNEL', `no channel ${id}`);
    const want = role ? [role] : (['consumer', 'provider'] as const);
    for (const r of want) {
      const account = p.accounts.find((a) => a.address === rec.terms[r]);
      if (account) return { rec, account };
    }
    throw new ChanpayError('NOT_CHANNEL_PARTY', role ? `only the channel's ${role} may do this` : 'not a party of this channel');
  }

  // ------------------------------------------------------------------ chain reads

  async lookup(id: string): Promise<ChannelRecord | undefined> {
    if (!/^0x[0-9a-f]{64}$/.test(id)) throw new ChanpayError('VALIDATION_ERROR', 'channel id must be 0x followed by 64 lower-case hex digits');
    return this.store.get(id) ?? this.discover(id);
  }

  /**
   * Finds a channel that the watcher has not seen yet by its ChannelOpened event. Ids recently found unknown are
   * remembered for a few seconds, so that a flood of made-up ids cannot turn into a flood of log queries.
   */
  private discover(id: string): Promise<ChannelRecord | undefined> {
    const until = this.unknownIds.get(id);
    if (until && until > Date.now()) return Promise.resolve(undefined);
    const pending = this.discovering.get(id);
    if (pending) return pending;
    const job = (async () => {
      try {
        const head = await this.rpc.blockNumber();
        const logs = await this.rpc.logs({ address: this.contract, fromBlock: this.config.fromBlock, toBlock: head, topics: [TOPICS.ChannelOpened, id] });
        const first = logs[0];
        if (!first) {
          if (this.unknownIds.size > 10_000) this.unknownIds.clear();
          this.unknownIds.set(id, Date.now() + 3_000);
          return undefined;
        }
        this.applyOpened(first);
        return this.refresh(id);
      } catch (e) {
        throw chainError('channel lookup', e);
      } finally {
        this.discovering.delete(id);
      }
    })();
    this.discovering.set(id, job);
    return job;
  }

  /**
   * Reads the channel's on-chain state into the store. The read is pinned to a block; if an event of a later block
   * was applied while it was in flight (a top-up's receipt, say), the read is older news and may only move the
   * channel forward, never back.
   */
  async refresh(id: string): Promise<ChannelRecord | undefined> {
    let state;
    let block: number;
    try {
      block = await this.rpc.blockNumber();
      state = decodeChannelState(await this.rpc.ethCall({ to: this.contract, data: encode.channel(id) }, block));
    } catch (e) {
      throw chainError('channel read', e);
    }
    const applied = this.appliedBlock.get(id) ?? -1;
    let authoritative = applied <= block;
    if (!authoritative) {
      // Either a newer event arrived during the read (keep it), or the node lost the blocks it came from.
      const head = await this.rpc.blockNumber().catch(() => applied);
      if (head < applied) {
        authoritative = true;
        this.appliedBlock.set(id, block);
      }
    }
    const s = state.closesAt === FINALIZED ? 'settled' : state.closesAt > 0n ? 'closing' : 'open';
    return this.store.updateChain(
      id,
      {
        deposit: state.deposit,
        claimed: state.claimed,
        state: s,
        closesAt: s === 'closing' ? Number(state.closesAt) : s === 'open' && authoritative ? null : (this.store.get(id)?.closesAt ?? null),
      },
      authoritative,
    );
  }

  /** Re-reads every channel that is not settled (after the node went back in time). */
  async refreshAll(): Promise<void> {
    for (const rec of this.store.all()) {
      if (rec.state !== 'settled') await this.refresh(rec.id);
    }
  }

  /** Stores a ChannelOpened log if one of our accounts is a party. Returns whether it was ours. */
  applyOpened(log: { topics: string[]; data: string; blockNumber: string }): boolean {
    const parsed = parseLog(log);
    if (!parsed || parsed.name !== 'ChannelOpened') return false;
    const a = parsed.args;
    const terms = normalizeTerms({
      consumer: a.consumer as string,
      provider: a.provider as string,
      signer: a.signer as string,
      token: a.token as string,
      challengePeriod: a.challengePeriod as bigint,
      salt: a.salt as string,
    });
    if (!this.accounts.byAddr(terms.consumer) && !this.accounts.byAddr(terms.provider)) return false;
    const id = (a.channelId as string).toLowerCase();
    const isNew = !this.store.get(id);
    this.store.insert(id, terms, a.deposit as bigint, Number(log.blockNumber));
    this.unknownIds.delete(id);
    if (isNew) this.emit('channel.opened', id, { deposit: (a.deposit as bigint).toString(), terms });
    return true;
  }

  // ------------------------------------------------------------------ consumer

  async open(account: Account, params: OpenParams): Promise<ChannelRecord> {
    const token = normalizeAddress(params.token ?? ZERO_ADDRESS);
    const challengePeriod = params.challengePeriod ?? this.config.defaults.challengePeriod;
    const terms: ChannelTerms = {
      consumer: account.address,
      provider: normalizeAddress(params.provider),
      signer: normalizeAddress(params.signer ?? account.voucherSigner),
      token,
      challengePeriod,
      salt: (params.salt ?? '0x' + randomBytes(32).toString('hex')).toLowerCase(),
    };
    if (terms.provider === terms.consumer) throw new ChanpayError('VALIDATION_ERROR', 'a channel to oneself is pointless');
    if (terms.provider === ZERO_ADDRESS || terms.signer === ZERO_ADDRESS) throw new ChanpayError('VALIDATION_ERROR', 'provider and signer must not be the zero address');
    if (params.deposit <= 0n) throw new ChanpayError('VALIDATION_ERROR', 'deposit must be positive');
    const id = channelIdOf(terms);
    const open = () =>
      this.tx.send({
        wallet: account.wallet,
        to: this.contract,
        data: encode.open(terms, params.deposit),
        value: token === ZERO_ADDRESS ? params.deposit : 0n,
        gasLimit: GAS.open,
        kind: 'open',
      });
    const sent = token === ZERO_ADDRESS ? await open() : await this.withAllowance(account, token, params.deposit, open);
    this.applyReceipt(sent);
    const rec = this.store.get(id);
    if (!rec) throw new ChanpayError('INTERNAL', `opened ${id} but saw no ChannelOpened event`);
    this.log.info({ channelId: id, provider: terms.provider, deposit: params.deposit.toString(), txHash: sent.hash }, 'channel opened');
    return rec;
  }

  /**
   * Pays from an ERC-20 balance: checks everything that can be checked before the `approve` (so a refused request
   * costs no gas), approves exactly `amount`, runs `pay`, and takes the allowance back if `pay` fails.
   */
  private async withAllowance(account: Account, token: string, amount: bigint, pay: () => Promise<SentTx>): Promise<SentTx> {
    try {
      if ((await this.rpc.code(token)) === '0x') throw new ChanpayError('VALIDATION_ERROR', `no token contract at ${token}`);
      const balance = BigInt(await this.rpc.ethCall({ to: token, data: ERC20.encodeFunctionData('balanceOf', [account.address]) }));
      if (balance < amount) {
        throw new ChanpayError('INSUFFICIENT_FUNDS', `the account holds ${balance} of token ${token}, less than ${amount}`);
      }
    } catch (e) {
      throw chainError('token check', e);
    }
    const approve = (value: bigint) =>
      this.tx.send({ wallet: account.wallet, to: token, data: ERC20.encodeFunctionData('approve', [this.contract, value]), gasLimit: 100_000n, kind: 'approve' });
    await approve(amount);
    try {
      return await pay();
    } catch (e) {
      await approve(0n).catch((err: unknown) => this.log.warn({ err: (err as Error).message, token }, 'could not reset the allowance'));
      throw e;
    }
  }

  async topUp(p: Principal, id: string, amount: bigint): Promise<{ rec: ChannelRecord; txHash: string }> {
    const { rec, account } = await this.channelFor(p, id, 'consumer');
    if (amount <= 0n) throw new ChanpayError('VALIDATION_ERROR', 'amount must be positive');
    await this.refresh(id);
    if (rec.state !== 'open') throw new ChanpayError(rec.state === 'closing' ? 'CHANNEL_CLOSING' : 'CHANNEL_CLOSED', `the channel is ${rec.state}`);
    const topUp = () =>
      this.tx.send({
        wallet: account.wallet,
        to: this.contract,
        data: encode.topUp(rec.terms, amount),
        value: rec.terms.token === ZERO_ADDRESS ? amount : 0n,
        gasLimit: GAS.topUp,
        kind: 'topUp',
      });
    const sent = rec.terms.token === ZERO_ADDRESS ? await topUp() : await this.withAllowance(account, rec.terms.token, amount, topUp);
    this.applyReceipt(sent);
    return { rec, txHash: sent.hash };
  }

  /** Signs the next voucher (latest signed + price) with the voucher key this server holds for the channel signer. */
  async signNext(p: Principal, id: string, price: bigint): Promise<Voucher> {
    const { rec } = await this.channelFor(p, id, 'consumer');
    if (price <= 0n) throw new ChanpayError('VALIDATION_ERROR', 'price must be positive');
    const signer = this.signers.get(rec.terms.signer);
    if (!signer) throw new ChanpayError('INVALID_STATE', 'this server does not hold the key of the channel signer (the service signs locally)');
    // No await from here on: the next amount is read, signed and stored atomically.
    if (rec.state !== 'open') throw new ChanpayError(rec.state === 'closing' ? 'CHANNEL_CLOSING' : 'CHANNEL_CLOSED', `the channel is ${rec.state}`);
    const amount = rec.signedAmount + price;
    if (amount > rec.deposit) {
      throw new ChanpayError('AMOUNT_EXCEEDS_DEPOSIT', 'the deposit does not cover this voucher: top up first', {
        amount: amount.toString(),
        deposit: rec.deposit.toString(),
      });
    }
    const voucher = signer.sign(id, amount);
    this.store.recordSigned(rec, amount, voucher.signature, NOW());
    this.metrics.vouchersSigned.inc();
    return voucher;
  }

  async startClose(rec: ChannelRecord, account: Account): Promise<SentTx> {
    const sent = await this.tx.send({ wallet: account.wallet, to: this.contract, data: encode.startClose(rec.terms), gasLimit: GAS.startClose, kind: 'startClose' });
    this.applyReceipt(sent);
    return sent;
  }

  async withdraw(rec: ChannelRecord, account: Account): Promise<SentTx> {
    const sent = await this.tx.send({ wallet: account.wallet, to: this.contract, data: encode.withdraw(rec.terms), gasLimit: GAS.withdraw, kind: 'withdraw' });
    this.applyReceipt(sent);
    return sent;
  }

  // ------------------------------------------------------------------ provider

  /** Verifies one voucher for a paid call and records it durably before answering. */
  async verify(p: Principal, header: string, price: bigint, idempotencyKey?: string): Promise<VerifyResult> {
    const started = process.hrtime.bigint();
    try {
      const v = this.decode(header);
      const rec = await this.providerChannel(p, v.channelId);
      // The consumer may have topped up since we last looked.
      const tried = acceptWithRefresh(() => this.acceptSync(rec, v, price, idempotencyKey), () => this.refresh(rec.id));
      const result = tried instanceof Promise ? await tried : tried;
      if (result instanceof ChanpayError) throw result;
      this.metrics.verifyResult.inc({ result: 'accepted' });
      return result;
    } catch (e) {
      this.metrics.verifyResult.inc({ result: e instanceof ChanpayError ? e.code : 'error' });
      throw e;
    } finally {
      this.metrics.verifySeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /** Records vouchers a service already accepted in process (local mode); each is checked again here. */
  async recordMany(p: Principal, entries: { voucher: string; calls?: number }[]): Promise<RecordResult[]> {
    const results: RecordResult[] = [];
    for (const entry of entries) {
      let channelId: string | null = null;
      try {
        const v = this.decode(entry.voucher);
        channelId = v.channelId;
        const rec = await this.providerChannel(p, v.channelId);
        if (v.amount === rec.acceptedAmount && v.signature === rec.acceptedSignature) {
          results.push({ channelId, accepted: true, amount: v.amount });
          continue;
        }
        // These calls were served already: record them while the provider can still claim (a closing channel too).
        const tried = acceptWithRefresh(() => this.acceptSync(rec, v, 0n, undefined, entry.calls ?? 1, true), () => this.refresh(rec.id));
        const r = tried instanceof Promise ? await tried : tried;
        if (r instanceof ChanpayError) throw r;
        results.push({ channelId, accepted: true, amount: v.amount });
      } catch (e) {
        if (!(e instanceof ChanpayError)) throw e;
        results.push({ channelId, accepted: false, error: { code: e.code, message: e.message } });
      }
    }
    return results;
  }

  private decode(header: string): Voucher {
    const d = decodeVoucher(header);
    if (!d.ok) throw new ChanpayError(d.code, d.message);
    const v = d.voucher;
    if (v.chainId !== this.chainId || v.contract !== this.contract) {
      throw new ChanpayError('WRONG_DOMAIN', 'the voucher is for another chain or contract', {
        expected: { chainId: this.chainId.toString(), contract: this.contract },
        got: { chainId: v.chainId.toString(), contract: v.contract },
      });
    }
    return v;
  }

  private async providerChannel(p: Principal, id: string): Promise<ChannelRecord> {
    const rec = await this.lookup(id);
    if (!rec) throw new ChanpayError('UNKNOWN_CHANNEL', `no channel ${id} on chain`);
    if (!p.accounts.some((a) => a.address === rec.terms.provider)) {
      if (this.accounts.byAddr(rec.terms.provider)) throw new ChanpayError('FORBIDDEN', 'this token may not act for the channel provider');
      throw new ChanpayError('WRONG_PROVIDER', 'the channel pays another provider', { provider: rec.terms.provider });
    }
    return rec;
  }

  /** Check and record without yielding; returns the error instead of throwing so callers can retry once. */
  private acceptSync(rec: ChannelRecord, v: Voucher, price: bigint, idempotencyKey: string | undefined, calls = 1, servedAlready = false): VerifyResult | ChanpayError {
    try {
      if (idempotencyKey) {
        const seen = this.store.idempotent(rec.id, idempotencyKey);
        if (seen) {
          if (seen.amount !== v.amount) {
            throw new ChanpayError('IDEMPOTENCY_CONFLICT', 'this idempotency key was used with another voucher');
          }
          return { channelId: rec.id, amount: v.amount, price: seen.price, receipt: encodeReceipt({ channelId: rec.id, amount: v.amount, price: seen.price }), replayed: true };
        }
      }
      let paid = this.paid.get(rec.id);
      if (!paid) this.paid.set(rec.id, (paid = new PaidRanges(rec.acceptedAmount)));
      const refusal = voucherRefusal({ channel: rec, voucher: v, price, paid, policy: this.policy, signerOf: this.signerOf, servedAlready });
      if (refusal) throw refusal;
      recordAccepted(paid, v, price);
      const increment = v.amount > rec.acceptedAmount ? v.amount - rec.acceptedAmount : 0n;
      const now = NOW();
      this.store.recordAccepted(rec, v.amount, v.signature, calls, now, idempotencyKey ? { key: idempotencyKey, price } : undefined);
      this.metrics.calls.inc(calls);
      this.metrics.amountWei.inc(Number(increment));
      this.voucherEvent(rec, now);
      // A late voucher that fills a gap is covered by the higher one already held: the call is paid, the claim unchanged.
      const charged = price > 0n ? price : increment;
      return { channelId: rec.id, amount: v.amount, price: charged, receipt: encodeReceipt({ channelId: rec.id, amount: v.amount, price: charged }), replayed: false };
    } catch (e) {
      if (e instanceof ChanpayError) return e;
      throw e;
    }
  }

  private voucherEvent(rec: ChannelRecord, now: number): void {
    if ((this.lastVoucherEvent.get(rec.id) ?? 0) >= now) return;
    this.lastVoucherEvent.set(rec.id, now);
    this.emit('voucher.accepted', rec.id, { amount: rec.acceptedAmount.toString(), calls: rec.calls });
  }

  latestVoucherOf(rec: ChannelRecord, role: 'consumer' | 'provider'): Voucher | null {
    const amount = role === 'provider' ? rec.acceptedAmount : rec.signedAmount;
    const signature = role === 'provider' ? rec.acceptedSignature : rec.signedSignature;
    if (!signature) return null;
    return { chainId: this.chainId, contract: this.contract, channelId: rec.id, amount, signature };
  }

  /** Claims the latest accepted vouchers of these channels (one provider account), batched when several. */
  async claim(account: Account, recs: ChannelRecord[]): Promise<SentTx | null> {
    const mine = recs.filter((r) => r.terms.provider === account.address);
    if (mine.length === 0) return null;
    // Decide what is due under the channels' locks, from the contract itself: a claim that ran meanwhile (the
    // claim policy and a request at once) or events a node lost must not make us claim the same amount again.
    return this.withChannelLocks(mine.map((r) => r.id), async () => {
      for (const r of mine) await this.refresh(r.id);
      const due = mine.filter((r) => r.acceptedSignature && r.acceptedAmount > r.claimed && r.state !== 'settled');
      if (due.length === 0) return null;
      const entries: ClaimEntry[] = due.map((r) => ({ terms: r.terms, amount: r.acceptedAmount, signature: r.acceptedSignature! }));
      const now = NOW();
      due.forEach((r) => this.store.recordClaimAttempt(r, now));
      const send = (es: ClaimEntry[]) =>
        es.length === 1
          ? this.tx.send({ wallet: account.wallet, to: this.contract, data: encode.claim(es[0]!), gasLimit: GAS.claim, kind: 'claim' })
          : this.tx.send({
              wallet: account.wallet,
              to: this.contract,
              data: encode.claimBatch(es),
              gasLimit: GAS.claimBatchBase + GAS.claimBatchPerChannel * BigInt(es.length),
              kind: 'claimBatch',
            });
      let sent: SentTx;
      try {
        sent = await send(entries);
      } catch (e) {
        if (entries.length === 1) throw e;
        // One bad entry reverts a batch: fall back to claiming one by one, so the rest still get paid.
        this.log.warn({ err: (e as Error).message, channels: due.length }, 'batch claim failed; claiming one by one');
        let last: SentTx | null = null;
        for (const entry of entries) {
          try {
            last = await send([entry]);
            this.applyReceipt(last);
          } catch (err) {
            this.log.warn({ err: (err as Error).message }, 'claim failed');
          }
        }
        return last;
      }
      this.applyReceipt(sent);
      return sent;
    });
  }

  /** Provider close: claims the latest voucher (if any beyond the claimed) and refunds the rest, in one step. */
  async closeByProvider(rec: ChannelRecord, account: Account): Promise<SentTx> {
    return this.withChannelLocks([rec.id], async () => {
      await this.refresh(rec.id);
      const voucher = rec.acceptedSignature && rec.acceptedAmount > rec.claimed ? { amount: rec.acceptedAmount, signature: rec.acceptedSignature } : undefined;
      const sent = await this.tx.send({
        wallet: account.wallet,
        to: this.contract,
        data: encode.closeByProvider(rec.terms, voucher),
        gasLimit: GAS.closeByProvider,
        kind: 'closeByProvider',
      });
      this.applyReceipt(sent);
      return sent;
    });
  }

  private async withChannelLocks<T>(ids: string[], job: () => Promise<T>): Promise<T> {
    const previous = ids.map((id) => this.channelLocks.get(id) ?? Promise.resolve());
    const run = Promise.allSettled(previous).then(job);
    const settled = run.catch(() => undefined);
    ids.forEach((id) => this.channelLocks.set(id, settled));
    try {
      return await run;
    } finally {
      ids.forEach((id) => {
        if (this.channelLocks.get(id) === settled) this.channelLocks.delete(id);
      });
    }
  }

  // ------------------------------------------------------------------ events

  /** Applies the contract events of our own transaction at once, without waiting for the watcher. */
  applyReceipt(sent: SentTx): void {
    for (const log of sent.receipt.logs) {
      if (log.address.toLowerCase() === this.contract) this.applyLog(log);
    }
  }

  /** Applies one contract log to the store (idempotent: the watcher may apply the same log again). */
  applyLog(log: { topics: string[]; data: string; blockNumber: string }): void {
    const parsed = parseLog(log);
    if (!parsed) return;
    if (parsed.name === 'ChannelOpened') {
      this.applyOpened(log);
      return;
    }
    const id = (parsed.args[0] as string).toLowerCase();
    if (!this.store.get(id)) return;
    const block = Number(log.blockNumber);
    if (block > (this.appliedBlock.get(id) ?? -1)) this.appliedBlock.set(id, block);
    switch (parsed.name) {
      case 'ChannelToppedUp': {
        const rec = this.store.get(id)!;
        const before = rec.deposit;
        this.store.updateChain(id, { deposit: parsed.args.deposit as bigint });
        if (rec.deposit > before) this.emit('channel.topped_up', id, { deposit: rec.deposit.toString(), amount: (parsed.args.amount as bigint).toString() });
        break;
      }
      case 'ChannelClaimed': {
        const rec = this.store.get(id)!;
        const before = rec.claimed;
        this.store.updateChain(id, { claimed: parsed.args.claimed as bigint });
        if (rec.claimed > before) {
          this.metrics.claimedWei.inc(Number(rec.claimed - before));
          this.emit('channel.claimed', id, { claimed: rec.claimed.toString(), amount: (parsed.args.amount as bigint).toString() });
        }
        break;
      }
      case 'ChannelCloseStarted': {
        const rec = this.store.get(id)!;
        const was = rec.state;
        this.store.updateChain(id, { state: 'closing', closesAt: Number(parsed.args.closesAt) });
        if (was === 'open' && rec.state === 'closing') this.emit('channel.closing', id, { closesAt: rec.closesAt });
        break;
      }
      case 'ChannelSettled': {
        const rec = this.store.get(id)!;
        const was = rec.state;
        this.store.updateChain(id, { state: 'settled', claimed: parsed.args.providerTotal as bigint });
        if (was !== 'settled') {
          this.emit('channel.settled', id, {
            providerTotal: (parsed.args.providerTotal as bigint).toString(),
            consumerRefund: (parsed.args.consumerRefund as bigint).toString(),
          });
        }
        break;
      }
    }
  }

  private emit(type: Parameters<EventBus['emit']>[0]['type'], id: string, data: Record<string, unknown>): void {
    const rec = this.store.get(id);
    const parties = rec ? [rec.terms.consumer, rec.terms.provider].filter((a) => this.accounts.byAddr(a)) : [];
    this.events.emit({ type, channelId: id, parties, data });
  }

  /** Encodes a stored voucher as its header, for APIs that hand vouchers out. */
  header(v: Voucher): string {
    return encodeVoucher(v);
  }
}
