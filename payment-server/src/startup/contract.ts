import { PAYMENT_CHANNELS_BYTECODE, normalizeAddress, type Address } from '@chanpay/protocol';
import type { Wallet } from 'ethers';
import type { Logger } from '../logger';
import { GAS } from '../chain/contract';
import type { Rpc } from '../chain/rpc';
import type { TxSender } from '../chain/tx-sender';
import type { MetaStore } from '../store/meta-store';

export interface ContractChoice {
  /** The configured contract address, if any. */
  configured?: Address;
  /** Where to start following events when nothing is stored yet. */
  fromBlock: number;
  /** A development chain started with this server is new each time: a stored contract cannot be on it. */
  freshChain: boolean;
  /** Deploys the contract when none is configured or stored. */
  deployer: Wallet;
  dbPath: string;
}

export interface AttachedContract {
  contract: Address;
  /** The first block the watcher reads events from. */
  startBlock: number;
}

/**
 * Chooses the PaymentChannels contract: the configured one, else the one this database followed before, else a
 * new deployment. The database remembers its chain and contract: one database never mixes the channels of two.
 */
export async function attachContract(
  choice: ContractChoice,
  { meta, rpc, tx, chainId, log }: { meta: MetaStore; rpc: Rpc; tx: TxSender; chainId: bigint; log: Logger },
): Promise<AttachedContract> {
  const storedChain = await meta.get('chainId');
  if (storedChain && storedChain !== chainId.toString()) {
    throw new Error(`the database ${choice.dbPath} belongs to chain ${storedChain}, but the node is chain ${chainId}`);
  }
  let contract = choice.configured;
  let startBlock = choice.fromBlock;
  const storedContract = (await meta.get('contract')) as Address | undefined;
  if (!contract && storedContract && !choice.freshChain) {
    contract = storedContract;
    startBlock = Number((await meta.get('contractBlock')) ?? 0);
  }
  if (!contract) {
    const sent = await tx.send({ wallet: choice.deployer, data: PAYMENT_CHANNELS_BYTECODE, gasLimit: GAS.deploy, kind: 'deploy' });
    contract = normalizeAddress(sent.receipt.contractAddress!);
    startBlock = Number(sent.receipt.blockNumber);
    log.info({ contract, gasUsed: sent.gasUsed.toString() }, 'deployed PaymentChannels');
  } else if ((await rpc.code(contract)) === '0x') {
    throw new Error(`no contract at ${contract} on chain ${chainId}`);
  }
  if (storedContract && storedContract !== contract) {
    // A fresh chain (e.g. a restarted embedded one) or another contract: channel state from before does not apply.
    throw new Error(`the database ${choice.dbPath} tracks contract ${storedContract}; use another dbPath for ${contract}`);
  }
  if (storedContract) return { contract, startBlock: Number((await meta.get('contractBlock')) ?? startBlock) };
  await meta.set('contract', contract);
  await meta.set('contractBlock', String(startBlock));
  await meta.set('chainId', chainId.toString());
  return { contract, startBlock };
}
