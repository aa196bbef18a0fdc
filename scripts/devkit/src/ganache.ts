import { Wallet, randomBytes, hexlify } from 'ethers';

export interface DevAccount {
  address: string;
  privateKey: string;
}

export interface EmbeddedChain {
  rpcUrl: string;
  chainId: bigint;
  /** Funded accounts, generated fresh for this chain. Their keys stay in this process. */
  accounts: DevAccount[];
  /** The node's process id when it runs as a child process (anvil), so its CPU can be measured apart. */
  pid?: number;
  stop(): Promise<void>;
}

export interface EmbeddedChainOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  chainId?: number;
  accounts?: number;
  /** Balance of each account in ether. */
  balanceEth?: number;
  /** Use these keys instead of random ones (each funded with balanceEth). */
  privateKeys?: string[];
  quiet?: boolean;
  /** Seconds between blocks; 0 (default) mines each transaction at once. */
  blockTime?: number;
}

/**
 * Starts ganache in this process, listening on 127.0.0.1 by default so that several processes (payment servers,
 * services, the visualizer) can share it. Shanghai is ganache's newest hardfork; contracts are compiled for it.
 */
export async function startEmbeddedChain(opts: EmbeddedChainOptions = {}): Promise<EmbeddedChain> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ganache = require('ganache') as typeof import('ganache');
  const keys = opts.privateKeys ?? Array.from({ length: opts.accounts ?? 10 }, () => hexlify(randomBytes(32)));
  const balance = '0x' + (BigInt(Math.round((opts.balanceEth ?? 1000) * 1e6)) * 10n ** 12n).toString(16);
  const chainId = opts.chainId ?? 1337;
  const server = ganache.server({
    chain: { chainId, hardfork: 'shanghai' },
    wallet: { accounts: keys.map((secretKey) => ({ secretKey, balance })) },
    logging: { quiet: opts.quiet ?? true },
    server: { ws: false },
    miner: opts.blockTime ? { blockTime: opts.blockTime } : { instamine: 'eager' },
  } as never);
  const host = opts.host ?? '127.0.0.1';
  await server.listen(opts.port ?? 0, host);
  const port = (server as unknown as { address(): { port: number } }).address().port;
  if (!port) throw new Error('could not tell which port ganache listens on');
  return {
    rpcUrl: `http://${host}:${port}`,
    chainId: BigInt(chainId),
    accounts: keys.map((privateKey) => ({ privateKey, address: new Wallet(privateKey).address.toLowerCase() })),
    stop: () => server.close(),
  };
}
