/**
 * A minimal JSON-RPC client: no request batching timers, explicit timeouts, typed errors. It sends through an
 * undici Pool (kept-alive connections to the node) rather than the global fetch, which costs 4–5 times the CPU
 * per call (`npx tsx payment-server/bench/rpc-client.ts`); the watcher alone calls the node several times a
 * second, idle or not.
 */
import { Pool } from 'undici';

export class RpcUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RpcUnavailableError';
  }
}

export class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  transactionHash: string;
  logIndex: string;
}

export interface RpcReceipt {
  transactionHash: string;
  status: string;
  blockNumber: string;
  gasUsed: string;
  effectiveGasPrice?: string;
  contractAddress: string | null;
  logs: RpcLog[];
}

export class Rpc {
  private id = 0;
  private readonly pool: Pool;
  private readonly path: string;

  constructor(
    readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {
    const u = new URL(url);
    this.pool = new Pool(u.origin, { connections: 8 });
    this.path = `${u.pathname}${u.search}`;
  }

  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    let status: number;
    let text: string;
    try {
      const res = await this.pool.request({
        path: this.path,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (e) {
      throw new RpcUnavailableError(`${method}: node unreachable at ${this.url}: ${(e as Error).message}`);
    }
    if (status >= 500) throw new RpcUnavailableError(`${method}: node answered HTTP ${status}`);
    let body: { result?: T; error?: { code: number; message: string; data?: unknown } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new RpcUnavailableError(`${method}: node answered with non-JSON (HTTP ${status})`);
    }
    if (body.error) throw new RpcError(`${method}: ${body.error.message}`, body.error.code, body.error.data);
    return body.result as T;
  }

  /** Closes the kept-alive connections (calls after this fail with RpcUnavailableError). */
  async close(): Promise<void> {
    await this.pool.close();
  }

  async chainId(): Promise<bigint> {
    return BigInt(await this.call<string>('eth_chainId'));
  }

  async blockNumber(): Promise<number> {
    return Number(await this.call<string>('eth_blockNumber'));
  }

  async latestTimestamp(): Promise<number> {
    const block = await this.call<{ timestamp: string }>('eth_getBlockByNumber', ['latest', false]);
    return Number(block.timestamp);
  }

  async balance(address: string): Promise<bigint> {
    return BigInt(await this.call<string>('eth_getBalance', [address, 'latest']));
  }

  async code(address: string): Promise<string> {
    return this.call<string>('eth_getCode', [address, 'latest']);
  }

  async logs(filter: { address: string; fromBlock: number; toBlock: number; topics?: (string | string[] | null)[] }): Promise<RpcLog[]> {
    return this.call<RpcLog[]>('eth_getLogs', [
      { address: filter.address, fromBlock: hexNum(filter.fromBlock), toBlock: hexNum(filter.toBlock), topics: filter.topics },
    ]);
  }

  async ethCall(tx: { from?: string; to: string; data: string; value?: bigint }, block: number | 'latest' = 'latest'): Promise<string> {
    return this.call<string>('eth_call', [
      { from: tx.from, to: tx.to, data: tx.data, ...(tx.value ? { value: hexNum(tx.value) } : {}) },
      block === 'latest' ? 'latest' : hexNum(block),
    ]);
  }

  async receipt(hash: string): Promise<RpcReceipt | null> {
    return this.call<RpcReceipt | null>('eth_getTransactionReceipt', [hash]);
  }
}

export function hexNum(n: number | bigint): string {
  return '0x' + n.toString(16);
}

/** Extracts revert data from the various shapes nodes use (ganache, anvil, geth). */
export function revertData(err: unknown): string | undefined {
  if (!(err instanceof RpcError)) return undefined;
  const d = err.data as unknown;
  if (typeof d === 'string' && d.startsWith('0x')) return d;
  if (d && typeof d === 'object') {
    const o = d as Record<string, unknown>;
    if (typeof o.data === 'string' && o.data.startsWith('0x')) return o.data;
    if (typeof o.result === 'string' && o.result.startsWith('0x')) return o.result;
    for (const v of Object.values(o)) {
      if (v && typeof v === 'object' && typeof (v as Record<string, unknown>).return === 'string') {
        return (v as Record<string, string>).return;
      }
    }
  }
  return undefined;
}
