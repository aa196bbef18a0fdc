import { JsonRpcProvider, Network, type Log } from 'ethers';
import { decodeCall, decodeEvent, isPaymentChannelsDeployment, type DecodedCall, type DecodedEvent } from '../lib/decode';
import { paymentChannels } from '../lib/abi';
import { toChannelEvent, type ChannelEvent } from '../lib/events';

export interface TxSummary {
  hash: string;
  blockNumber: number;
  from: string;
  to: string | null;
  value: bigint;
  gasUsed: bigint | null;
  /** 1 success, 0 reverted, null unknown. */
  status: number | null;
  call: DecodedCall | null;
  /** Logs decoded with the PaymentChannels ABI (other logs are counted in `otherLogs`). */
  events: DecodedEvent[];
  otherLogs: number;
  createdContract: string | null;
  deploysPaymentChannels: boolean;
}

export interface BlockSummary {
  number: number;
  hash: string;
  timestamp: number;
  gasUsed: bigint;
  txs: TxSummary[];
}

/** Largest block range asked for in one `eth_getLogs`; public nodes often refuse more. */
const LOG_RANGE = 5_000;

/** Reads what the page shows from one node over JSON-RPC (ethers), without any wallet. */
export class ChainReader {
  private constructor(
    readonly rpcUrl: string,
    readonly chainId: bigint,
    private readonly provider: JsonRpcProvider,
  ) {}

  /**
   * Asks the node for its chain id first with a plain request, so that an unreachable node or a missing CORS
   * header gives one clear error instead of ethers' endless network-detection retries.
   */
  static async connect(rpcUrl: string, timeoutMs = 5_000): Promise<ChainReader> {
    const chainId = BigInt((await rawRpc(rpcUrl, 'eth_chainId', [], timeoutMs)) as string);
    const network = Network.from(chainId);
    const provider = new JsonRpcProvider(rpcUrl, network, { staticNetwork: network, cacheTimeout: -1 });
    return new ChainReader(rpcUrl, chainId, provider);
  }

  async blockNumber(): Promise<number> {
    return this.provider.getBlockNumber();
  }

  async block(number: number): Promise<BlockSummary | null> {
    const block = await this.provider.getBlock(number, true);
    if (!block) return null;
    const txs = await Promise.all(
      block.prefetchedTransactions.map(async (tx): Promise<TxSummary> => {
        const receipt = await this.provider.getTransactionReceipt(tx.hash);
        const events: DecodedEvent[] = [];
        let otherLogs = 0;
        for (const log of receipt?.logs ?? []) {
          const decoded = decodeEvent(rawLog(log));
          if (decoded) events.push(decoded);
          else otherLogs++;
        }
        const createdContract = receipt?.contractAddress?.toLowerCase() ?? null;
        return {
          hash: tx.hash,
          blockNumber: number,
          from: tx.from.toLowerCase(),
          to: tx.to?.toLowerCase() ?? null,
          value: tx.value,
          gasUsed: receipt?.gasUsed ?? null,
          status: receipt?.status ?? null,
          call: tx.to ? decodeCall(tx.data, tx.value) : null,
          events,
          otherLogs,
          createdContract,
          deploysPaymentChannels: tx.to === null && isPaymentChannelsDeployment(tx.data),
        };
      }),
    );
    return {
      number: block.number,
      hash: block.hash ?? '',
      timestamp: block.timestamp,
      gasUsed: block.gasUsed,
      txs,
    };
  }

  /** The contract's channel events in [fromBlock, toBlock], in chain order. */
  async channelEvents(contract: string, fromBlock: number, toBlock: number): Promise<ChannelEvent[]> {
    const events: ChannelEvent[] = [];
    for (let start = fromBlock; start <= toBlock; start += LOG_RANGE) {
      const end = Math.min(toBlock, start + LOG_RANGE - 1);
      const logs = await this.provider.getLogs({ address: contract, fromBlock: start, toBlock: end });
      for (const log of logs) {
        const event = toChannelEvent(rawLog(log));
        if (event) events.push(event);
      }
    }
    return events;
  }

  /**
   * The address that emitted the latest `ChannelOpened` in [fromBlock, toBlock], i.e. a PaymentChannels
   * contract in use, found by the event's signature alone.
   */
  async findChannelsContract(fromBlock: number, toBlock: number): Promise<string | null> {
    const topic = paymentChannels.getEvent('ChannelOpened')!.topicHash;
    for (let end = toBlock; end >= fromBlock; end -= LOG_RANGE) {
      const start = Math.max(fromBlock, end - LOG_RANGE + 1);
      const logs = await this.provider.getLogs({ topics: [topic], fromBlock: start, toBlock: end });
      const last = logs[logs.length - 1];
      if (last) return last.address.toLowerCase();
    }
    return null;
  }

  async balance(address: string, block: number): Promise<bigint> {
    return this.provider.getBalance(address, block);
  }

  destroy(): void {
    this.provider.destroy();
  }
}

function rawLog(log: Log) {
  return {
    address: log.address,
    topics: log.topics,
    data: log.data,
    blockNumber: log.blockNumber,
    logIndex: log.index,
    transactionHash: log.transactionHash,
  };
}

async function rawRpc(url: string, method: string, params: unknown[], timeoutMs: number): Promise<unknown> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: controller.signal,
    });
  } catch (err) {
    throw new Error(
      `cannot reach the node at ${url} (${controller.signal.aborted ? 'timed out' : String(err)}); ` +
        'is it running, and does it allow this page’s origin (CORS)?',
    );
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) throw new Error(`the node at ${url} answered HTTP ${response.status}`);
  const body = (await response.json()) as { result?: unknown; error?: { message?: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message ?? 'error'}`);
  return body.result;
}
