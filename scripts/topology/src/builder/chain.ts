/** The chain of a topology: ganache (in this process or a child), anvil, or an external node whose accounts it funds. */
import { JsonRpcProvider, Wallet, parseEther } from 'ethers';
import { startAnvil, startEmbeddedChain, type EmbeddedChain } from '@chanpay/devkit';
import type { ResolvedTopology } from '../model';
import { spawnTs, stopChild, type NetworkProcess } from './processes';

export interface ChainStart {
  /** 0: any free port. */
  port: number;
  privateKeys: string[];
  /** ganache as a child process (listed in the network's processes as `chain`). */
  chainProcess: boolean;
  env: Record<string, string>;
  verbose: boolean;
  onOutput?: (name: string, text: string) => void;
  /** Called with the started child, before it is ready (so that a failure can stop it). */
  onProcess: (p: NetworkProcess) => void;
}

export async function startChainOf(t: ResolvedTopology, o: ChainStart): Promise<EmbeddedChain> {
  const c = t.chain;
  switch (c.kind) {
    case 'ganache':
      if (o.chainProcess) return startChainProcess(t, o);
      return startEmbeddedChain({
        port: o.port,
        privateKeys: o.privateKeys,
        chainId: c.chainId,
        blockTime: c.blockTime,
        balanceEth: c.balanceEth,
      });
    case 'anvil':
      return startAnvil({ port: o.port, privateKeys: o.privateKeys, chainId: c.chainId, blockTime: c.blockTime, balanceEth: c.balanceEth });
    case 'external':
      return useExternalChain(t, o.privateKeys);
  }
}

async function startChainProcess(t: ResolvedTopology, o: ChainStart): Promise<EmbeddedChain> {
  const spawned = spawnTs(
    'chain',
    'scripts/topology/src/builder/chain-process.ts',
    {
      ...o.env,
      CHAIN_PORT: String(o.port),
      CHAIN_PRIVATE_KEYS: o.privateKeys.join(','),
      CHAIN_ID: String(t.chain.chainId),
      CHAIN_BLOCK_TIME: String(t.chain.blockTime),
      CHAIN_BALANCE_ETH: String(Math.round(t.chain.balanceEth)),
    },
    o.verbose,
    o.onOutput,
  );
  const p: NetworkProcess = { name: 'chain', url: '', ...spawned };
  o.onProcess(p);
  const deadline = Date.now() + 60_000;
  let ready: RegExpExecArray | null = null;
  while (!(ready = /CHAIN_READY (http:\/\/\S+)/.exec(p.output()))) {
    if (p.child.exitCode !== null) throw new Error(`chain exited with code ${p.child.exitCode}:\n${p.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`chain did not start in 60 s:\n${p.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  p.url = ready[1]!;
  return {
    rpcUrl: p.url,
    chainId: BigInt(t.chain.chainId),
    accounts: o.privateKeys.map((privateKey) => ({ privateKey, address: new Wallet(privateKey).address.toLowerCase() })),
    stop: () => stopChild(p.child),
  };
}

/** An external node: checks its chain id, then sends each account `balanceEth` from the funder key (never logged). */
async function useExternalChain(t: ResolvedTopology, privateKeys: string[]): Promise<EmbeddedChain> {
  const url = t.chain.url!;
  const funderKey = process.env[t.chain.funderKeyEnv];
  if (!funderKey || !/^0x[0-9a-fA-F]{64}$/.test(funderKey)) {
    throw new Error(
      `chain: an external chain needs a funded key in ${t.chain.funderKeyEnv} (0x + 64 hex) to fund the network's ${privateKeys.length} accounts`,
    );
  }
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, polling: true, pollingInterval: 100 });
  try {
    const chainId = Number(await provider.send('eth_chainId', []));
    if (chainId !== t.chain.chainId)
      throw new Error(`chain.chainId: the topology says ${t.chain.chainId}, the node at ${url} is chain ${chainId}`);
    const funder = new Wallet(funderKey, provider);
    const value = parseEther(String(t.chain.balanceEth));
    let nonce = await provider.getTransactionCount(funder.address, 'pending');
    const sent = [];
    for (const key of privateKeys) sent.push(await funder.sendTransaction({ to: new Wallet(key).address, value, nonce: nonce++ }));
    for (const tx of sent) await tx.wait(1, 120_000);
  } finally {
    provider.destroy();
  }
  return {
    rpcUrl: url,
    chainId: BigInt(t.chain.chainId),
    accounts: privateKeys.map((privateKey) => ({ privateKey, address: new Wallet(privateKey).address.toLowerCase() })),
    stop: async () => undefined,
  };
}
