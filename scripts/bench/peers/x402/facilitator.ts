/**
 * The local x402 facilitator, built from the SDK's own pieces: `x402Facilitator` (@x402/core/facilitator) with
 * the `exact` EVM scheme registered (@x402/evm/exact/facilitator), over a viem signer from one funded key. It
 * verifies EIP-3009 authorizations and settles them with one `transferWithAuthorization` each, paying the gas.
 */
import { createWalletClient, http, nonceManager, publicActions, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { x402Facilitator } from '@x402/core/facilitator';
import { registerExactEvmScheme } from '@x402/evm/exact/facilitator';
import { UptoEvmScheme } from '@x402/evm/upto/facilitator';
import { toFacilitatorEvmSigner } from '@x402/evm';
import { caip2, localViemChain, LOCAL_POLLING_INTERVAL_MS } from './chain';

export interface LocalFacilitatorOptions {
  rpcUrl: string;
  chainId: number;
  /** Pays the gas of every settlement; stays in this process. */
  privateKey: Hex;
  /** Bound of each receipt wait (the SDK's default is 180 s). */
  confirmationTimeoutMs?: number;
  /**
   * Also register the SDK's `upto` facilitator scheme. It settles through Permit2 and x402's
   * x402UptoPermit2Proxy at their fixed addresses, which no package ships bytecode for: on our chain it can only
   * refuse (see docs/x402.md); registered to show exactly how.
   */
  upto?: boolean;
}

export interface LocalFacilitator {
  facilitator: x402Facilitator;
  /** The account that sends the settlement transactions. */
  address: Address;
  network: `eip155:${number}`;
}

export function createLocalFacilitator(opts: LocalFacilitatorOptions): LocalFacilitator {
  // viem's nonce manager hands out nonces in this process, so concurrent settlements do not reuse one.
  const account = privateKeyToAccount(opts.privateKey, { nonceManager });
  const client = createWalletClient({
    account,
    chain: localViemChain(opts.chainId, opts.rpcUrl),
    transport: http(opts.rpcUrl),
    pollingInterval: LOCAL_POLLING_INTERVAL_MS,
  }).extend(publicActions);
  const signer = toFacilitatorEvmSigner(
    {
      address: account.address,
      readContract: (args) => client.readContract({ ...args, args: args.args ?? [] } as never),
      verifyTypedData: (args) => client.verifyTypedData(args as never),
      writeContract: (args) => client.writeContract({ ...args, args: args.args } as never),
      sendTransaction: (args) => client.sendTransaction(args),
      waitForTransactionReceipt: (args) => client.waitForTransactionReceipt(args),
      getCode: (args) => client.getCode(args),
    },
    { confirmationTimeoutMs: opts.confirmationTimeoutMs ?? 30_000 },
  );
  const network = caip2(opts.chainId);
  const facilitator = registerExactEvmScheme(new x402Facilitator(), { signer, networks: network });
  if (opts.upto) facilitator.register(network, new UptoEvmScheme(signer));
  return { facilitator, address: account.address, network };
}
