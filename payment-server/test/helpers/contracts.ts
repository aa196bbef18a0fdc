import { Contract, ContractFactory, Interface, isCallException, type InterfaceAbi, type TransactionReceipt, type Wallet } from 'ethers';
import { loadArtifact, type ContractName } from '../../scripts/contracts';
import { waitForReceipt } from './receipts';

export { loadArtifact };

export function interfaceOf(name: ContractName): Interface {
  return new Interface(loadArtifact(name).abi as InterfaceAbi);
}

export interface Deployed {
  address: string;
  contract: Contract;
  receipt: TransactionReceipt;
}

/** Deploys a committed artifact from `wallet` and waits for the receipt by polling. */
export async function deploy(wallet: Wallet, name: ContractName): Promise<Deployed> {
  const artifact = loadArtifact(name);
  const factory = new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, wallet);
  const response = await wallet.sendTransaction(await factory.getDeployTransaction());
  const receipt = await waitForReceipt(requireProvider(wallet), response.hash);
  if (receipt.status !== 1 || !receipt.contractAddress) throw new Error(`deploying ${name} failed`);
  const address = receipt.contractAddress.toLowerCase();
  return { address, contract: new Contract(address, artifact.abi as InterfaceAbi, wallet), receipt };
}

/** Enough for any single call in these tests (a 20-channel batch claim uses about 350k). */
export const DEFAULT_GAS_LIMIT = 3_000_000n;

export interface SendOptions {
  value?: bigint;
  gasLimit?: bigint;
  /** Send without the eth_call preflight and return the receipt even if the transaction reverted on chain. */
  allowRevert?: boolean;
}

/**
 * Calls a contract function from `wallet` as a transaction and returns the mined receipt. A preflight eth_call
 * makes a reverting call throw ethers' CALL_EXCEPTION before anything is sent (read it with `revertOf`); the
 * transaction itself goes out with a fixed gas limit, because ganache's eth_estimateGas takes 100-200 ms here.
 */
export async function send(
  wallet: Wallet,
  contract: Contract,
  method: string,
  args: readonly unknown[],
  opts: SendOptions = {},
): Promise<TransactionReceipt> {
  const fn = (contract.connect(wallet) as Contract).getFunction(method);
  const value = opts.value ?? 0n;
  if (!opts.allowRevert) await fn.staticCall(...args, { value });
  const response = await fn.send(...args, { value, gasLimit: opts.gasLimit ?? DEFAULT_GAS_LIMIT });
  const receipt = await waitForReceipt(requireProvider(wallet), response.hash);
  if (receipt.status !== 1 && !opts.allowRevert) throw new Error(`${method} reverted on chain after its preflight passed`);
  return receipt;
}

export interface DecodedRevert {
  name: string;
  args: unknown[];
}

/**
 * Runs `action`, expects it to revert, and decodes the revert data with the given interfaces (the first that
 * knows the error wins; addresses lower-cased). Anything else (success, a non-revert failure, unknown data)
 * fails the test.
 */
export async function revertOf(action: Promise<unknown>, ...interfaces: Interface[]): Promise<DecodedRevert> {
  try {
    await action;
  } catch (err) {
    if (!isCallException(err)) throw err;
    const data = err.data ?? ganacheEstimateRevertData(err);
    if (!data) throw new Error(`reverted without data: ${err.shortMessage}`);
    for (const iface of interfaces) {
      const parsed = iface.parseError(data);
      if (parsed) {
        const args = parsed.fragment.inputs.map((input, i) =>
          input.type === 'address' ? String(parsed.args[i]).toLowerCase() : (parsed.args[i] as unknown),
        );
        return { name: parsed.name, args };
      }
    }
    throw new Error(`revert data not decodable: ${data}`);
  }
  throw new Error('expected a revert, but the call succeeded');
}

export interface DecodedEvent {
  name: string;
  /** Arguments by name; addresses lower-cased so they compare with the wire format's. */
  args: Record<string, unknown>;
}

/** ganache answers a reverting eth_estimateGas with `error.data.result`, where ethers does not look. */
function ganacheEstimateRevertData(err: { info?: Record<string, unknown> }): string | null {
  const result = (err.info?.error as { data?: { result?: unknown } } | undefined)?.data?.result;
  return typeof result === 'string' && /^0x[0-9a-f]*$/i.test(result) ? result : null;
}

/** The decoded events that one contract emitted in a receipt, in log order. */
export function eventsOf(receipt: TransactionReceipt, contract: Contract): DecodedEvent[] {
  const address = String(contract.target).toLowerCase();
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === address)
    .map((log) => {
      const parsed = contract.interface.parseLog(log);
      if (!parsed) throw new Error(`unknown log ${log.topics[0]}`);
      const args: Record<string, unknown> = {};
      parsed.fragment.inputs.forEach((input, i) => {
        const value: unknown = parsed.args[i];
        args[input.name] = input.type === 'address' ? String(value).toLowerCase() : value;
      });
      return { name: parsed.name, args };
    });
}

/** What the sender paid for a mined transaction (gas used times the effective gas price). */
export function feeOf(receipt: TransactionReceipt): bigint {
  return receipt.gasUsed * receipt.gasPrice;
}

function requireProvider(wallet: Wallet) {
  const provider = wallet.provider;
  if (!provider || !('send' in provider)) throw new Error('wallet needs a JsonRpcProvider');
  return provider as import('ethers').JsonRpcProvider;
}
