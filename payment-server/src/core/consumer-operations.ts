import { randomBytes } from 'node:crypto';
import { Interface } from 'ethers';
import {
  ChanpayError,
  ZERO_ADDRESS,
  normalizeAddress,
  type Address,
  type ApiInput,
  type ChannelTerms,
  type Voucher,
} from '@chanpay/protocol';
import { channelIdOf, VoucherSigner, type VoucherHasher } from '@chanpay/protocol/node';
import type { Account, Accounts } from '../accounts';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { GAS, encode } from '../chain/contract';
import { chainError, type SentTx, type TxSender } from '../chain/tx-sender';
import type { Rpc } from '../chain/rpc';
import type { ChannelRecord, ChannelStore } from '../store/channel-store';
import type { ChannelAccess, Principal } from './access';
import type { ChainLedger } from './chain-ledger';
import { nowSeconds } from './clock';

export type OpenChannelBody = ApiInput<'openChannel'>['body'];

const ERC20 = new Interface(['function approve(address,uint256) returns (bool)', 'function balanceOf(address) view returns (uint256)']);
const APPROVE_GAS = 100_000n;

export interface ConsumerOperationsDeps {
  defaults: Config['defaults'];
  accounts: Accounts;
  access: ChannelAccess;
  ledger: ChainLedger;
  store: ChannelStore;
  rpc: Rpc;
  tx: TxSender;
  hasher: VoucherHasher;
  contract: Address;
  metrics: Metrics;
  log: Logger;
}

function refuseUnlessOpen(rec: ChannelRecord): void {
  if (rec.state !== 'open')
    throw new ChanpayError(rec.state === 'closing' ? 'CHANNEL_CLOSING' : 'CHANNEL_CLOSED', `the channel is ${rec.state}`);
}

/** The consumer's side of a channel: open and fund it, top it up, sign its vouchers, close it and take the refund. */
export class ConsumerOperations {
  /** The voucher keys this server holds, by the signer address they sign for. */
  private readonly signers = new Map<string, VoucherSigner>();

  constructor(private readonly deps: ConsumerOperationsDeps) {
    for (const a of deps.accounts.all()) this.signers.set(a.voucherSigner, new VoucherSigner(deps.hasher, a.voucherKey));
  }

  async open(p: Principal, request: OpenChannelBody): Promise<ChannelRecord> {
    const { defaults, access, ledger, store, tx, contract, log } = this.deps;
    const account = access.actingAccount(p, request.account);
    if (request.deposit < defaults.minDeposit)
      throw new ChanpayError('VALIDATION_ERROR', `deposit must be at least ${defaults.minDeposit}`);
    if (request.challengePeriod !== undefined && request.challengePeriod < defaults.minChallengePeriod) {
      throw new ChanpayError('VALIDATION_ERROR', `challengePeriod must be at least ${defaults.minChallengePeriod} s`);
    }
    const token = normalizeAddress(request.token ?? ZERO_ADDRESS);
    const terms: ChannelTerms = {
      consumer: account.address,
      provider: normalizeAddress(request.provider),
      signer: normalizeAddress(request.signer ?? account.voucherSigner),
      token,
      challengePeriod: request.challengePeriod ?? defaults.challengePeriod,
      salt: (request.salt ?? '0x' + randomBytes(32).toString('hex')).toLowerCase(),
    };
    if (terms.provider === terms.consumer) throw new ChanpayError('VALIDATION_ERROR', 'a channel to oneself is pointless');
    if (terms.provider === ZERO_ADDRESS || terms.signer === ZERO_ADDRESS)
      throw new ChanpayError('VALIDATION_ERROR', 'provider and signer must not be the zero address');
    if (request.deposit <= 0n) throw new ChanpayError('VALIDATION_ERROR', 'deposit must be positive');
    const id = channelIdOf(terms);
    const sent = await this.pay(account, token, request.deposit, (value) =>
      tx.send({ wallet: account.wallet, to: contract, data: encode.open(terms, request.deposit), value, gasLimit: GAS.open, kind: 'open' }),
    );
    await ledger.applyReceipt(sent);
    const rec = await store.get(id);
    if (!rec) throw new ChanpayError('INTERNAL', `opened ${id} but saw no ChannelOpened event`);
    log.info({ channelId: id, provider: terms.provider, deposit: request.deposit.toString(), txHash: sent.hash }, 'channel opened');
    return rec;
  }

  async topUp(p: Principal, id: string, amount: bigint): Promise<{ rec: ChannelRecord; txHash: string }> {
    const { access, ledger, tx, contract } = this.deps;
    const { rec, account } = await access.channelFor(p, id, 'consumer');
    if (amount <= 0n) throw new ChanpayError('VALIDATION_ERROR', 'amount must be positive');
    await ledger.refresh(id);
    refuseUnlessOpen(rec);
    const sent = await this.pay(account, rec.terms.token, amount, (value) =>
      tx.send({ wallet: account.wallet, to: contract, data: encode.topUp(rec.terms, amount), value, gasLimit: GAS.topUp, kind: 'topUp' }),
    );
    await ledger.applyReceipt(sent);
    return { rec, txHash: sent.hash };
  }

  /** Signs the next voucher (latest signed + price) with the voucher key this server holds for the channel signer. */
  async signNext(p: Principal, id: string, price: bigint): Promise<Voucher> {
    const { access, store, metrics } = this.deps;
    const { rec: found } = await access.channelFor(p, id, 'consumer');
    if (price <= 0n) throw new ChanpayError('VALIDATION_ERROR', 'price must be positive');
    const signer = this.signers.get(found.terms.signer);
    if (!signer)
      throw new ChanpayError('INVALID_STATE', 'this server does not hold the key of the channel signer (the service signs locally)');
    // The next amount is read, signed and stored under the channel's lock: two calls never sign the same amount.
    const voucher = await store.locked(id, async (rec, tx) => {
      refuseUnlessOpen(rec);
      const amount = rec.signedAmount + price;
      if (amount > rec.deposit) {
        throw new ChanpayError('AMOUNT_EXCEEDS_DEPOSIT', 'the deposit does not cover this voucher: top up first', {
          amount: amount.toString(),
          deposit: rec.deposit.toString(),
        });
      }
      const signed = signer.sign(id, amount);
      await tx.recordSigned(amount, signed.signature, nowSeconds());
      return signed;
    });
    metrics.vouchersSigned.inc();
    return voucher;
  }

  async startClose(rec: ChannelRecord, account: Account): Promise<SentTx> {
    return this.sendAndApply(account, encode.startClose(rec.terms), GAS.startClose, 'startClose');
  }

  /** Takes the refund of a channel whose challenge period is over (the claimer does this by itself). */
  async withdraw(rec: ChannelRecord, account: Account): Promise<SentTx> {
    return this.sendAndApply(account, encode.withdraw(rec.terms), GAS.withdraw, 'withdraw');
  }

  /** Withdraw on request: only the channel's consumer may. */
  async withdrawFor(p: Principal, id: string): Promise<{ rec: ChannelRecord; sent: SentTx }> {
    const { rec, account } = await this.deps.access.channelFor(p, id, 'consumer');
    return { rec, sent: await this.withdraw(rec, account) };
  }

  private async sendAndApply(account: Account, data: string, gasLimit: bigint, kind: string): Promise<SentTx> {
    const sent = await this.deps.tx.send({ wallet: account.wallet, to: this.deps.contract, data, gasLimit, kind });
    await this.deps.ledger.applyReceipt(sent);
    return sent;
  }

  /** Runs a payment into the contract: ETH as the transaction's value, an ERC-20 token through an allowance. */
  private pay(account: Account, token: string, amount: bigint, send: (value: bigint) => Promise<SentTx>): Promise<SentTx> {
    return token === ZERO_ADDRESS ? send(amount) : this.withAllowance(account, token, amount, () => send(0n));
  }

  /**
   * Pays from an ERC-20 balance: checks everything that can be checked before the `approve` (so a refused request
   * costs no gas), approves exactly `amount`, runs `pay`, and takes the allowance back if `pay` fails.
   */
  private async withAllowance(account: Account, token: string, amount: bigint, pay: () => Promise<SentTx>): Promise<SentTx> {
    const { rpc, tx, contract, log } = this.deps;
    try {
      if ((await rpc.code(token)) === '0x') throw new ChanpayError('VALIDATION_ERROR', `no token contract at ${token}`);
      const balance = BigInt(await rpc.ethCall({ to: token, data: ERC20.encodeFunctionData('balanceOf', [account.address]) }));
      if (balance < amount) {
        throw new ChanpayError('INSUFFICIENT_FUNDS', `the account holds ${balance} of token ${token}, less than ${amount}`);
      }
    } catch (e) {
      throw chainError('token check', e);
    }
    const approve = (value: bigint) =>
      tx.send({
        wallet: account.wallet,
        to: token,
        data: ERC20.encodeFunctionData('approve', [contract, value]),
        gasLimit: APPROVE_GAS,
        kind: 'approve',
      });
    await approve(amount);
    try {
      return await pay();
    } catch (e) {
      await approve(0n).catch((err: unknown) => log.warn({ err: (err as Error).message, token }, 'could not reset the allowance'));
      throw e;
    }
  }
}
