import { currentFees, type Fees } from './fees';
import { Transaction, type Wallet } from 'ethers';
import { ChanpayError, type ErrorCode } from '@chanpay/protocol';
import { type Rpc, RpcError, RpcUnavailableError, hexNum, revertData, type RpcReceipt } from './rpc';
import { decodeRevert } from './contract';
import type { Coordination } from '../store/coordination';

export interface TxRequest {
  wallet: Wallet;
  to?: string;
  data: string;
  value?: bigint;
  gasLimit: bigint;
  /** What the transaction does, for errors and metrics. */
  kind: string;
}

export interface SentTx {
  hash: string;
  receipt: RpcReceipt;
  gasUsed: bigint;
}

/** Contract errors that a client can act on, with their stable API codes. */
const REVERT_CODES: Record<string, ErrorCode> = {
  ChannelExists: 'INVALID_STATE',
  UnknownChannel: 'UNKNOWN_CHANNEL',
  ChannelIsClosing: 'CHANNEL_CLOSING',
  ChannelIsSettled: 'CHANNEL_CLOSED',
  ChannelNotClosing: 'INVALID_STATE',
  ChallengePeriodActive: 'INVALID_STATE',
  ChallengePeriodOver: 'INVALID_STATE',
  NotConsumer: 'NOT_CHANNEL_PARTY',
  NotProvider: 'NOT_CHANNEL_PARTY',
  InvalidTerms: 'VALIDATION_ERROR',
  ZeroAmount: 'VALIDATION_ERROR',
  WrongValue: 'VALIDATION_ERROR',
  InvalidVoucherSignature: 'BAD_SIGNATURE',
  NothingToClaim: 'NOTHING_TO_CLAIM',
  EmptyBatch: 'VALIDATION_ERROR',
  TransferFailed: 'CONTRACT_REVERT',
};

export function revertError(kind: string, data: string | undefined, fallback: string): ChanpayError {
  const decoded = decodeRevert(data);
  if (!decoded) return new ChanpayError('CONTRACT_REVERT', `${kind} reverted: ${fallback}`);
  return new ChanpayError(REVERT_CODES[decoded.name] ?? 'CONTRACT_REVERT', `${kind} reverted with ${decoded.name}`, {
    error: decoded.name,
    args: decoded.args,
  });
}

/** Turns node failures into API errors: unreachable node is 503, lack of ether is 409, the rest stays. */
export function chainError(kind: string, e: unknown): Error {
  if (e instanceof ChanpayError) return e;
  if (e instanceof RpcUnavailableError) return new ChanpayError('CHAIN_UNAVAILABLE', `${kind}: ${e.message}`);
  if (e instanceof RpcError) {
    const data = revertData(e);
    if (data) return revertError(kind, data, e.message);
    if (/insufficient funds|doesn't have enough funds/i.test(e.message)) {
      return new ChanpayError('INSUFFICIENT_FUNDS', `${kind}: the account cannot pay for this transaction`);
    }
    if (/revert/i.test(e.message)) return new ChanpayError('CONTRACT_REVERT', `${kind}: ${e.message}`);
  }
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Sends transactions from the server's own keys: one queue per account with nonces from the node, explicit
 * gas limits, a simulation first (so a revert comes back as a decoded custom error and costs no gas), and
 * receipts polled directly (anvil may not have a receipt right after the hash comes back).
 */
export class TxSender {
  private readonly queues = new Map<string, Promise<unknown>>();
  private fees: { value: Fees; at: number } | undefined;

  constructor(
    private readonly rpc: Rpc,
    private readonly chainId: bigint,
    private readonly opts: { receiptPollMs: number; txTimeoutMs: number },
    /** Told of every mined transaction, reverted ones too (metrics). */
    private readonly onSent?: (kind: string, tx: SentTx) => void,
    /** Other processes sending from the same accounts (replicas on one database): a send holds the account's lock in all. */
    private readonly shared?: Pick<Coordination, 'exclusive'>,
  ) {}

  async send(req: TxRequest): Promise<SentTx> {
    const from = req.wallet.address.toLowerCase();
    if (req.to) {
      try {
        await this.rpc.ethCall({ from, to: req.to, data: req.data, value: req.value });
      } catch (e) {
        throw chainError(req.kind, e);
      }
    }
    const send = () => this.signAndSend(from, req);
    const hash = await this.enqueue(from, this.shared ? () => this.shared!.exclusive([`nonce:${from}`], send) : send);
    const receipt = await this.waitForReceipt(hash, req.kind);
    const sent = { hash, receipt, gasUsed: BigInt(receipt.gasUsed) };
    this.onSent?.(req.kind, sent);
    if (receipt.status !== '0x1') {
      // It passed the simulation, so the state changed in between (a race with another transaction): the same
      // call now tells why.
      if (req.to) {
        try {
          await this.rpc.ethCall({ from, to: req.to, data: req.data, value: req.value });
        } catch (e) {
          const err = chainError(req.kind, e);
          if (err instanceof ChanpayError) throw new ChanpayError(err.code, err.message, { ...err.details, txHash: hash });
        }
      }
      throw new ChanpayError('CONTRACT_REVERT', `${req.kind} transaction ${hash} reverted on chain`, { txHash: hash });
    }
    return sent;
  }

  private enqueue<T>(account: string, job: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(account) ?? Promise.resolve();
    const next = prev.then(job, job);
    this.queues.set(
      account,
      next.catch(() => undefined),
    );
    return next;
  }

  private async signAndSend(from: string, req: TxRequest): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        // Sends are serialized per account (across processes, when several share the accounts) and each returns
        // once the node holds the transaction, so the node's pending count is exact. Asking every time (one cheap call) means a node that lost transactions
        // (a crash, a reorg) never leaves this account stuck behind a nonce it will not mine.
        const nonce = Number(await this.rpc.call<string>('eth_getTransactionCount', [from, 'pending']));
        const tx = Transaction.from({
          ...(await this.currentFees(attempt > 0)),
          chainId: this.chainId,
          nonce,
          to: req.to ?? null,
          data: req.data,
          value: req.value ?? 0n,
          gasLimit: req.gasLimit,
        });
        tx.signature = req.wallet.signingKey.sign(tx.unsignedHash);
        return await this.rpc.call<string>('eth_sendRawTransaction', [tx.serialized]);
      } catch (e) {
        // A nonce taken meanwhile, or a base fee that rose past what was offered: ask again (fees anew too).
        const retryable = e instanceof RpcError && /nonce|already known|replacement|underpriced|fee/i.test(e.message);
        if (retryable && attempt < 3) continue;
        throw chainError(req.kind, e);
      }
    }
  }

  /** The fees of the next transaction, asked of the node at most every 5 s (or now, on a retry). */
  private async currentFees(fresh: boolean): Promise<Fees> {
    const now = Date.now();
    if (fresh || !this.fees || now - this.fees.at > 5_000) this.fees = { value: await currentFees(this.rpc), at: now };
    return this.fees.value;
  }

  async waitForReceipt(hash: string, kind: string): Promise<RpcReceipt> {
    const deadline = Date.now() + this.opts.txTimeoutMs;
    let delay = this.opts.receiptPollMs;
    for (;;) {
      try {
        const receipt = await this.rpc.receipt(hash);
        if (receipt) return receipt;
      } catch (e) {
        if (!(e instanceof RpcUnavailableError)) throw chainError(kind, e);
      }
      if (Date.now() > deadline) {
        throw new ChanpayError('CHAIN_UNAVAILABLE', `${kind}: no receipt for ${hash} after ${this.opts.txTimeoutMs} ms`, { txHash: hash });
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }
}

export { hexNum };
